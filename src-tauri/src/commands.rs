//! The IPC commands (docs/ipc.md). Each calls one workspace function. All touch SQLite or wait
//! for a native dialog, so all but `bulk_cancel`, `mail_cancel` and `sync_cancel` are `async`: Tauri runs them
//! off the main thread and the window never freezes.

use std::path::PathBuf;

use roster_workspace::{
    ActionView, AttributeView, AuditListQuery, AuditPageView, BulkActionInput, BulkActionView, BulkApplyOptions, BulkBatchView,
    BulkPageView, BulkPlanSummaryView, BulkPositionView, BulkResultView, BulkSavedView, BulkUndoView, Error, ErrorCode, GroupView,
    MailOptionsInput, MailOptionsView, MailPreviewView, MailQueueInput, MailSendView, MailSentToView, MailSentView, MailSetupInput,
    MailTemplateInput, MailTemplateView, MailView, OnboardingView, OutboxQuery, OutboxView, RoleView, SessionView, Silent, UserEditInput,
    UserGroupsView, UserInput, UserListQuery, UserPageView, UserView, WorkspaceInfo, DEFAULT_CONCURRENCY,
};
use tauri::ipc::Channel;
use tauri::{Runtime, State, Window};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};

use crate::bulk::{BulkSession, ProgressMessage};
use crate::Desktop;

#[tauri::command(async)]
pub fn workspace_info(desktop: State<'_, Desktop>) -> Result<WorkspaceInfo, Error> {
    desktop.with(|ws| ws.info())
}

#[tauri::command(async)]
pub fn list_users(desktop: State<'_, Desktop>, query: UserListQuery) -> Result<UserPageView, Error> {
    desktop.with(|ws| ws.list_users(&query))
}

#[tauri::command(async)]
pub fn get_user(desktop: State<'_, Desktop>, username: String) -> Result<UserView, Error> {
    desktop.with(|ws| ws.get_user(&username))
}

#[tauri::command(async)]
pub fn add_user(desktop: State<'_, Desktop>, input: UserInput) -> Result<UserView, Error> {
    desktop.with(|ws| ws.add_user(input))
}

#[tauri::command(async)]
pub fn edit_user(desktop: State<'_, Desktop>, username: String, input: UserEditInput) -> Result<UserView, Error> {
    desktop.with(|ws| ws.edit_user(&username, input))
}

#[tauri::command(async)]
pub fn delete_user(desktop: State<'_, Desktop>, username: String) -> Result<(), Error> {
    desktop.with(|ws| ws.delete_user(&username)).map(|_| ())
}

#[tauri::command(async)]
pub fn list_attributes(desktop: State<'_, Desktop>) -> Result<Vec<AttributeView>, Error> {
    desktop.with(|ws| ws.list_attributes())
}

// ---- Manage users: the row's Select menu -------------------------------------------------------

/// `action`: `disable`, `enable`, `remove_identity`, `reset_mfa` or `reset_password`.
#[tauri::command(async)]
pub fn user_action(desktop: State<'_, Desktop>, username: String, action: String) -> Result<ActionView, Error> {
    desktop.with(|ws| match action.as_str() {
        "disable" => ws.disable_user(&username),
        "enable" => ws.enable_user(&username),
        "remove_identity" => ws.remove_identity(&username),
        "reset_mfa" => ws.reset_mfa(&username),
        "reset_password" => ws.send_password_reset(&username),
        other => Err(Error::new(ErrorCode::Usage, format!("\"{other}\" is not a user action"))),
    })
}

#[tauri::command(async)]
pub fn set_second_factor(desktop: State<'_, Desktop>, username: String, method: String) -> Result<ActionView, Error> {
    desktop.with(|ws| ws.set_second_factor(&username, &method))
}

/// `at`: `YYYY-MM-DD`, or null to clear the expiry.
#[tauri::command(async)]
pub fn expire_password(desktop: State<'_, Desktop>, username: String, at: Option<String>) -> Result<ActionView, Error> {
    desktop.with(|ws| ws.expire_password(&username, at.as_deref()))
}

/// `limit`: a number as text, or null for the workspace default.
#[tauri::command(async)]
pub fn set_device_limit(desktop: State<'_, Desktop>, username: String, limit: Option<String>) -> Result<ActionView, Error> {
    desktop.with(|ws| ws.set_device_limit(&username, limit.as_deref()))
}

#[tauri::command(async)]
pub fn user_groups(desktop: State<'_, Desktop>, username: String) -> Result<UserGroupsView, Error> {
    desktop.with(|ws| ws.user_groups(&username))
}

#[tauri::command(async)]
pub fn assign_groups(desktop: State<'_, Desktop>, username: String, groups: Vec<String>) -> Result<ActionView, Error> {
    desktop.with(|ws| ws.assign_groups(&username, &groups))
}

#[tauri::command(async)]
pub fn unassign_groups(desktop: State<'_, Desktop>, username: String, groups: Vec<String>) -> Result<ActionView, Error> {
    desktop.with(|ws| ws.unassign_groups(&username, &groups))
}

#[tauri::command(async)]
pub fn change_roles(desktop: State<'_, Desktop>, username: String, add: Vec<String>, remove: Vec<String>) -> Result<ActionView, Error> {
    desktop.with(|ws| ws.change_roles(&username, &add, &remove))
}

#[tauri::command(async)]
pub fn user_sessions(desktop: State<'_, Desktop>, username: String) -> Result<Vec<SessionView>, Error> {
    desktop.with(|ws| ws.sessions(&username))
}

/// `id`: one session, or null for all of them.
#[tauri::command(async)]
pub fn revoke_sessions(desktop: State<'_, Desktop>, username: String, id: Option<String>) -> Result<ActionView, Error> {
    desktop.with(|ws| ws.revoke_sessions(&username, id.as_deref()))
}

/// `confirm`: the number of users, required to delete more than ten.
#[tauri::command(async)]
pub fn apply_to_users(
    desktop: State<'_, Desktop>,
    usernames: Vec<String>,
    action: BulkActionInput,
    confirm: Option<usize>,
) -> Result<BulkActionView, Error> {
    desktop.with(|ws| ws.apply_to_users(&usernames, action.parse()?, confirm))
}

#[tauri::command(async)]
pub fn undo(desktop: State<'_, Desktop>, seq: i64) -> Result<ActionView, Error> {
    desktop.with(|ws| ws.undo(seq))
}

// ---- Groups, roles, attributes -------------------------------------------------------------------

#[tauri::command(async)]
pub fn list_groups(desktop: State<'_, Desktop>) -> Result<Vec<GroupView>, Error> {
    desktop.with(|ws| ws.list_groups())
}

#[tauri::command(async)]
pub fn add_group(desktop: State<'_, Desktop>, name: String, description: String) -> Result<GroupView, Error> {
    desktop.with(|ws| ws.add_group(&name, &description))
}

#[tauri::command(async)]
pub fn rename_group(desktop: State<'_, Desktop>, name: String, new_name: String) -> Result<GroupView, Error> {
    desktop.with(|ws| ws.rename_group(&name, &new_name))
}

#[tauri::command(async)]
pub fn delete_group(desktop: State<'_, Desktop>, name: String) -> Result<GroupView, Error> {
    desktop.with(|ws| ws.delete_group(&name))
}

#[tauri::command(async)]
pub fn group_members(desktop: State<'_, Desktop>, name: String, query: UserListQuery) -> Result<UserPageView, Error> {
    desktop.with(|ws| ws.group_members(&name, &query))
}

#[tauri::command(async)]
pub fn change_group_members(desktop: State<'_, Desktop>, name: String, add: Vec<String>, remove: Vec<String>) -> Result<GroupView, Error> {
    desktop.with(|ws| ws.change_group_members(&name, &add, &remove))
}

#[tauri::command(async)]
pub fn list_roles(desktop: State<'_, Desktop>) -> Result<Vec<RoleView>, Error> {
    desktop.with(|ws| ws.list_roles())
}

#[tauri::command(async)]
pub fn add_role(desktop: State<'_, Desktop>, name: String, description: String) -> Result<RoleView, Error> {
    desktop.with(|ws| ws.add_role(&name, &description))
}

#[tauri::command(async)]
pub fn delete_role(desktop: State<'_, Desktop>, name: String) -> Result<RoleView, Error> {
    desktop.with(|ws| ws.delete_role(&name))
}

/// `kind`: `string`, `number`, `boolean` or `date`.
#[tauri::command(async)]
pub fn define_attribute(desktop: State<'_, Desktop>, name: String, kind: String, required: bool) -> Result<AttributeView, Error> {
    desktop.with(|ws| ws.define_attribute(&name, &kind, required))
}

#[tauri::command(async)]
pub fn drop_attribute(desktop: State<'_, Desktop>, name: String) -> Result<AttributeView, Error> {
    desktop.with(|ws| ws.drop_attribute(&name))
}

// ---- Onboarding and the audit log ---------------------------------------------------------------

#[tauri::command(async)]
pub fn onboarding_stats(desktop: State<'_, Desktop>, remind_after_days: Option<u32>) -> Result<OnboardingView, Error> {
    desktop.with(|ws| ws.onboarding_stats(remind_after_days))
}

#[tauri::command(async)]
pub fn audit_log(desktop: State<'_, Desktop>, query: AuditListQuery) -> Result<AuditPageView, Error> {
    desktop.with(|ws| ws.audit(&query))
}

// ---- Settings: mail ----------------------------------------------------------------------------

#[tauri::command(async)]
pub fn mail_show(desktop: State<'_, Desktop>) -> Result<MailView, Error> {
    desktop.with(|ws| ws.mail_show())
}

/// A password in `input` goes to the OS keyring (refused with `not_configured` when there is
/// none); an absent or null password keeps the stored one.
#[tauri::command(async)]
pub fn mail_setup(desktop: State<'_, Desktop>, input: MailSetupInput) -> Result<MailView, Error> {
    desktop.with(|ws| ws.mail_setup(input))
}

/// Sends a test mail through the configured server; `remote` names why the server failed.
#[tauri::command(async)]
pub fn mail_test(desktop: State<'_, Desktop>, to: String) -> Result<MailSentView, Error> {
    desktop.with(|ws| ws.mail_test(&to))
}

// ---- Mail: how users get a password, templates, the outbox, sending -------------------------------

#[tauri::command(async)]
pub fn mail_options(desktop: State<'_, Desktop>) -> Result<MailOptionsView, Error> {
    desktop.with(|ws| ws.mail_options())
}

/// An absent (null) option keeps its value; an empty text clears it.
#[tauri::command(async)]
pub fn mail_options_set(desktop: State<'_, Desktop>, input: MailOptionsInput) -> Result<MailOptionsView, Error> {
    desktop.with(|ws| ws.mail_options_set(input))
}

#[tauri::command(async)]
pub fn mail_templates(desktop: State<'_, Desktop>) -> Result<Vec<MailTemplateView>, Error> {
    desktop.with(|ws| ws.mail_templates())
}

#[tauri::command(async)]
pub fn mail_template_save(desktop: State<'_, Desktop>, input: MailTemplateInput) -> Result<MailTemplateView, Error> {
    desktop.with(|ws| ws.mail_template_save(input))
}

/// Back to Roster's default template of `kind`.
#[tauri::command(async)]
pub fn mail_template_reset(desktop: State<'_, Desktop>, kind: String) -> Result<MailTemplateView, Error> {
    desktop.with(|ws| ws.mail_template_reset(&kind))
}

/// `input` filled in for `username` (null: a sample user); nothing is stored or sent.
#[tauri::command(async)]
pub fn mail_preview(desktop: State<'_, Desktop>, input: MailTemplateInput, username: Option<String>) -> Result<MailPreviewView, Error> {
    desktop.with(|ws| ws.mail_preview(input, username.as_deref()))
}

#[tauri::command(async)]
pub fn mail_outbox(desktop: State<'_, Desktop>, query: OutboxQuery) -> Result<OutboxView, Error> {
    desktop.with(|ws| ws.mail_outbox(&query))
}

/// Queues `input`'s mails and sends everything queued, progress on `onProgress`; `mail_cancel`
/// stops it before the next mail (the rest stay queued). Long work runs one at a time behind the
/// workspace's lock, so the mail commands use the bulk session's progress and cancelled run.
#[tauri::command(async)]
pub fn mail_send_to(
    desktop: State<'_, Desktop>,
    work: State<'_, BulkSession>,
    input: MailQueueInput,
    on_progress: Channel<ProgressMessage>,
) -> Result<MailSentToView, Error> {
    let progress = work.progress(on_progress);
    desktop.with(|ws| ws.mail_send_to(input, DEFAULT_CONCURRENCY, &progress))
}

/// Failed mails (`ids`, or all of them when null) go back to the queue, then the queue is sent.
#[tauri::command(async)]
pub fn mail_retry(
    desktop: State<'_, Desktop>,
    work: State<'_, BulkSession>,
    ids: Option<Vec<i64>>,
    on_progress: Channel<ProgressMessage>,
) -> Result<MailSendView, Error> {
    let progress = work.progress(on_progress);
    desktop.with(|ws| ws.mail_retry(ids, DEFAULT_CONCURRENCY, &progress))
}

/// Asks send `run` (its progress channel's id; none: the latest) to stop. Not `async`, like
/// `bulk_cancel`: it only raises a flag.
#[tauri::command]
pub fn mail_cancel(work: State<'_, BulkSession>, run: Option<u32>) {
    work.cancel(run);
}

// ---- Bulk CSV: plan a file, apply it, results, history, undo ------------------------------------

/// The native dialog for CSV files, over the window on Windows and macOS (GTK places it itself).
fn csv_dialog<R: Runtime>(window: &Window<R>) -> FileDialogBuilder<R> {
    let dialog = window.dialog().file().add_filter("CSV", &["csv", "txt"]);
    #[cfg(any(windows, target_os = "macos"))]
    let dialog = dialog.set_parent(window);
    dialog
}

/// A chosen file as the text the window sends back in `path` arguments.
fn path_text(chosen: FilePath) -> Result<String, Error> {
    let path = chosen.into_path().map_err(|e| Error::new(ErrorCode::Usage, format!("That file cannot be used: {e}")))?;
    path.into_os_string()
        .into_string()
        .map_err(|p| Error::new(ErrorCode::Usage, format!("The path {} is not valid text: rename the file or folder", PathBuf::from(p).display())))
}

/// The open dialog; null when the admin cancels it.
#[tauri::command(async)]
pub fn choose_open_file<R: Runtime>(window: Window<R>) -> Result<Option<String>, Error> {
    csv_dialog(&window).blocking_pick_file().map(path_text).transpose()
}

/// The save dialog, proposing `defaultName`; null when the admin cancels it.
#[tauri::command(async)]
pub fn choose_save_file<R: Runtime>(window: Window<R>, default_name: Option<String>) -> Result<Option<String>, Error> {
    let dialog = csv_dialog(&window);
    let dialog = match default_name {
        Some(name) => dialog.set_file_name(name),
        None => dialog,
    };
    dialog.blocking_save_file().map(path_text).transpose()
}

#[tauri::command(async)]
pub fn bulk_save_template(desktop: State<'_, Desktop>, path: PathBuf) -> Result<BulkSavedView, Error> {
    desktop.with(|ws| ws.bulk_save_template(&path))
}

/// Plans the file at `path`; on success it becomes the open plan.
#[tauri::command(async)]
pub fn bulk_open(
    desktop: State<'_, Desktop>,
    bulk: State<'_, BulkSession>,
    path: PathBuf,
    on_progress: Channel<ProgressMessage>,
) -> Result<BulkPlanSummaryView, Error> {
    let progress = bulk.progress(on_progress);
    let plan = desktop.with(|ws| ws.bulk_plan_file(&path, &progress))?;
    bulk.replace(plan)
}

/// `outcome`: null for every row, else `create`, `update`, `delete`, `unchanged` or `error`.
#[tauri::command(async)]
pub fn bulk_rows(
    desktop: State<'_, Desktop>,
    bulk: State<'_, BulkSession>,
    outcome: Option<String>,
    offset: usize,
    limit: usize,
) -> Result<BulkPageView, Error> {
    let plan = bulk.plan()?;
    desktop.with(|ws| ws.bulk_plan_rows(&plan, outcome.as_deref(), offset, limit))
}

#[tauri::command(async)]
pub fn bulk_next_error(bulk: State<'_, BulkSession>, after_row: usize) -> Result<Option<BulkPositionView>, Error> {
    Ok(bulk.plan()?.next_error(after_row))
}

/// `confirmedDeletes`: the number of deletions the admin typed, when the plan asks for it.
#[tauri::command(async)]
pub fn bulk_apply(
    desktop: State<'_, Desktop>,
    bulk: State<'_, BulkSession>,
    skip_invalid: bool,
    confirmed_deletes: Option<u64>,
    on_progress: Channel<ProgressMessage>,
) -> Result<BulkResultView, Error> {
    let plan = bulk.plan()?;
    let progress = bulk.progress(on_progress);
    let options = BulkApplyOptions { skip_invalid, confirmed_deletes };
    // Passwords are hashed without holding the workspace, so other screens work meanwhile.
    let hashes = desktop.with(|ws| ws.bulk_passwords(&plan, &options))?.hash(&plan, &progress)?;
    let result = desktop.with(|ws| ws.bulk_apply_hashed(&plan, &options, hashes, &progress))?;
    bulk.applied(&plan, &result)?;
    Ok(result)
}

/// Asks plan or apply `run` (its progress channel's id; none: the latest) to stop. Not `async`:
/// it only raises a flag, and must not wait behind the work it stops.
#[tauri::command]
pub fn bulk_cancel(bulk: State<'_, BulkSession>, run: Option<u32>) {
    bulk.cancel(run);
}

/// The results file of the open plan (with what applying it did, if it was applied).
#[tauri::command(async)]
pub fn bulk_save_results(
    desktop: State<'_, Desktop>,
    bulk: State<'_, BulkSession>,
    path: PathBuf,
    failed_only: bool,
) -> Result<BulkSavedView, Error> {
    let (plan, result) = bulk.plan_and_result()?;
    desktop.with(|ws| ws.bulk_save_results(&plan, result.as_ref(), failed_only, &path))
}

#[tauri::command(async)]
pub fn bulk_history(desktop: State<'_, Desktop>) -> Result<Vec<BulkBatchView>, Error> {
    desktop.with(|ws| ws.bulk_history())
}

#[tauri::command(async)]
pub fn bulk_undo(desktop: State<'_, Desktop>, batch_id: String, force: bool) -> Result<BulkUndoView, Error> {
    desktop.with(|ws| ws.bulk_undo(&batch_id, force, &Silent))
}
