//! Roster's desktop shell: opens the workspace and serves the UI's commands.
//!
//! Architecture invariant: this is the only crate that knows Tauri; it holds no business
//! rule. The workspace is chosen by `--workspace PATH`, else `ROSTER_WORKSPACE`, else the
//! platform's default; a workspace that cannot be opened (say, one written by a newer
//! Roster) is reported by every command, so the window can say why.

mod bulk;
mod commands;
mod sync;
mod sync_results;

use std::path::PathBuf;
use std::sync::Mutex;

use roster_workspace::{Error, ErrorCode, Workspace};
use tauri::{Builder, Runtime};

pub use bulk::{BulkSession, ProgressMessage};

/// The open workspace, or why it could not be opened.
pub struct Desktop(Result<Mutex<Workspace>, Error>);

impl Desktop {
    pub fn open(path: PathBuf) -> Self {
        Self(Workspace::open(&path).map(Mutex::new))
    }

    /// Runs `f` with the workspace. The lock is held for one use case at a time.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Workspace) -> Result<T, Error>) -> Result<T, Error> {
        let ws = self.0.as_ref().map_err(Clone::clone)?;
        let mut guard = ws.lock().map_err(|_| Error::new(ErrorCode::Internal, "An earlier command failed badly; restart Roster"))?;
        f(&mut guard)
    }

    /// Runs long work `f` (a pull or push that waits on a remote) on a connection of its own to
    /// the same workspace file, as a CLI beside the window would: the window's other commands
    /// do not wait behind it. The services make that safe for any two Rosters on one file (one
    /// transaction per change, a pull or push at a time per file, a change made meanwhile seen
    /// as such).
    pub(crate) fn with_own<T>(&self, f: impl FnOnce(&mut Workspace) -> Result<T, Error>) -> Result<T, Error> {
        let path = self.with(|ws| Ok(ws.path().to_owned()))?;
        f(&mut Workspace::open(&path)?)
    }
}

/// `--workspace PATH` or `--workspace=PATH` from the command line, if given.
fn workspace_arg(args: impl IntoIterator<Item = String>) -> Option<PathBuf> {
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        if a == "--workspace" {
            return args.next().map(PathBuf::from);
        }
        if let Some(p) = a.strip_prefix("--workspace=") {
            return Some(PathBuf::from(p));
        }
    }
    None
}

/// Registers the dialog plugin, state (the workspace; the bulk screen's open plan and the
/// cancelled run of long work: bulk, mail, sync) and commands on `builder`; tests pass
/// `tauri::test::mock_builder()`.
pub fn build<R: Runtime>(builder: Builder<R>, desktop: Desktop) -> Builder<R> {
    builder.plugin(tauri_plugin_dialog::init()).manage(desktop).manage(BulkSession::default()).invoke_handler(tauri::generate_handler![
        commands::workspace_info,
        commands::list_users,
        commands::get_user,
        commands::add_user,
        commands::edit_user,
        commands::delete_user,
        commands::list_attributes,
        commands::user_action,
        commands::set_second_factor,
        commands::expire_password,
        commands::set_device_limit,
        commands::user_groups,
        commands::assign_groups,
        commands::unassign_groups,
        commands::change_roles,
        commands::user_sessions,
        commands::revoke_sessions,
        commands::apply_to_users,
        commands::undo,
        commands::list_groups,
        commands::add_group,
        commands::rename_group,
        commands::delete_group,
        commands::group_members,
        commands::change_group_members,
        commands::list_roles,
        commands::add_role,
        commands::delete_role,
        commands::define_attribute,
        commands::drop_attribute,
        commands::onboarding_stats,
        commands::audit_log,
        commands::mail_show,
        commands::mail_setup,
        commands::mail_test,
        commands::mail_options,
        commands::mail_options_set,
        commands::mail_templates,
        commands::mail_template_save,
        commands::mail_template_reset,
        commands::mail_preview,
        commands::mail_outbox,
        commands::mail_send_to,
        commands::mail_retry,
        commands::mail_cancel,
        commands::choose_open_file,
        commands::choose_save_file,
        commands::bulk_save_template,
        commands::bulk_open,
        commands::bulk_rows,
        commands::bulk_next_error,
        commands::bulk_apply,
        commands::bulk_cancel,
        commands::bulk_save_results,
        commands::bulk_history,
        commands::bulk_undo,
        sync::remote_add,
        sync::remote_list,
        sync::remote_show,
        sync::remote_link,
        sync::remote_remove,
        sync::remote_test,
        sync::sync_status,
        sync::sync_pull,
        sync::sync_plan,
        sync::sync_push,
        sync::sync_cancel,
        sync::sync_conflicts,
        sync::sync_resolve,
        sync_results::sync_pushes,
        sync_results::sync_push_results,
        sync_results::sync_push_results_save,
    ])
}

pub fn run() {
    let path = Workspace::resolve_path(workspace_arg(std::env::args().skip(1)).as_deref());
    build(tauri::Builder::default(), Desktop::open(path))
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("the Roster window could not start");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_argument_forms() {
        let args = |v: &[&str]| workspace_arg(v.iter().map(|s| s.to_string()));
        assert_eq!(args(&["--workspace", "/tmp/a.roster"]), Some(PathBuf::from("/tmp/a.roster")));
        assert_eq!(args(&["--workspace=/tmp/b.roster"]), Some(PathBuf::from("/tmp/b.roster")));
        assert_eq!(args(&["--other"]), None);
    }
}
