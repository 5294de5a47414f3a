//! The IPC commands of remote directories and sync (docs/ipc.md, "Remotes and sync"). Each calls
//! one workspace function. Pull and push report progress on a channel and stop on `sync_cancel`,
//! which names its run like `bulk_cancel` and `mail_cancel` (see `bulk.rs`). What waits on the
//! remote (pull, push, a connection test) runs on a workspace connection of its own
//! ([`Desktop::with_own`]), so the other screens answer meanwhile.
//!
//! The SCIM client is blocking (reqwest's, with a runtime of its own), and Tauri runs `async`
//! commands on its tokio runtime's threads, where that client must not run: the commands that
//! reach the server run it on a thread of their own ([`off_runtime`]).

use std::collections::BTreeMap;

use roster_workspace::{
    Error, ErrorCode, RemoteInput, RemoteView, SyncConflictView, SyncPlanView, SyncPullView, SyncPushView, SyncResolveInput,
    SyncStatusView,
};
use tauri::ipc::Channel;
use tauri::State;

use crate::bulk::{BulkSession, ProgressMessage};
use crate::Desktop;

// ---- Settings: remotes -------------------------------------------------------------------------

/// The token in `input` goes to the OS keyring (refused with `not_configured` when there is none);
/// an absent, null or empty token: the server needs none. The first remote added is linked.
#[tauri::command(async)]
pub fn remote_add(desktop: State<'_, Desktop>, input: RemoteInput) -> Result<RemoteView, Error> {
    desktop.with(|ws| ws.remote_add(input))
}

#[tauri::command(async)]
pub fn remote_list(desktop: State<'_, Desktop>) -> Result<Vec<RemoteView>, Error> {
    desktop.with(|ws| ws.remote_list())
}

#[tauri::command(async)]
pub fn remote_show(desktop: State<'_, Desktop>, name: String) -> Result<RemoteView, Error> {
    desktop.with(|ws| ws.remote_show(&name))
}

/// From now on the workspace's changes queue for this remote.
#[tauri::command(async)]
pub fn remote_link(desktop: State<'_, Desktop>, name: String) -> Result<RemoteView, Error> {
    desktop.with(|ws| ws.remote_link(&name))
}

/// Returns the remote as it was. Removing the linked one makes the workspace local only.
#[tauri::command(async)]
pub fn remote_remove(desktop: State<'_, Desktop>, name: String) -> Result<RemoteView, Error> {
    desktop.with(|ws| ws.remote_remove(&name))
}

/// Discovery: reads the server's capabilities and keeps them (`RemoteView.capabilities`).
#[tauri::command(async)]
pub fn remote_test(desktop: State<'_, Desktop>, name: String) -> Result<RemoteView, Error> {
    off_runtime(|| desktop.with_own(|ws| ws.remote_test(&name)))
}

// ---- Sync ----------------------------------------------------------------------------------------

/// Cheap (two counts and the linked remote): the header calls it after every change.
#[tauri::command(async)]
pub fn sync_status(desktop: State<'_, Desktop>) -> Result<SyncStatusView, Error> {
    desktop.with(|ws| ws.sync_status())
}

/// Pulls the linked remote's users and groups, progress on `onProgress`; `sync_cancel` stops it
/// before it commits (`cancelled`: nothing changed).
#[tauri::command(async)]
pub fn sync_pull(
    desktop: State<'_, Desktop>,
    work: State<'_, BulkSession>,
    on_progress: Channel<ProgressMessage>,
) -> Result<SyncPullView, Error> {
    let progress = work.progress(on_progress);
    off_runtime(|| desktop.with_own(|ws| ws.sync_pull(&progress)))
}

/// What a push would send now; contacts nobody.
#[tauri::command(async)]
pub fn sync_plan(desktop: State<'_, Desktop>) -> Result<SyncPlanView, Error> {
    desktop.with(|ws| ws.sync_plan())
}

/// Sends the pending changes, progress on `onProgress`; `sync_cancel` stops it before the next
/// request (the command returns normally, `cancelled` true, the rest still queued).
#[tauri::command(async)]
pub fn sync_push(
    desktop: State<'_, Desktop>,
    work: State<'_, BulkSession>,
    on_progress: Channel<ProgressMessage>,
) -> Result<SyncPushView, Error> {
    let progress = work.progress(on_progress);
    off_runtime(|| desktop.with_own(|ws| ws.sync_push(&progress)))
}

/// Asks pull or push `run` (its progress channel's id; none: the latest) to stop. Not `async`,
/// like `bulk_cancel`: it only raises a flag.
#[tauri::command]
pub fn sync_cancel(work: State<'_, BulkSession>, run: Option<u32>) {
    work.cancel(run);
}

#[tauri::command(async)]
pub fn sync_conflicts(desktop: State<'_, Desktop>) -> Result<Vec<SyncConflictView>, Error> {
    desktop.with(|ws| ws.sync_conflicts())
}

/// `keep`: `mine` or `theirs` for every field not in `fields` (field → `mine` | `theirs`).
#[tauri::command(async)]
pub fn sync_resolve(
    desktop: State<'_, Desktop>,
    id: i64,
    keep: Option<String>,
    fields: Option<BTreeMap<String, String>>,
) -> Result<SyncConflictView, Error> {
    desktop.with(|ws| ws.sync_resolve_fields(id, &SyncResolveInput { keep, fields: fields.unwrap_or_default() }))
}

/// Runs `work` on a thread outside the async runtime and waits for it.
fn off_runtime<T: Send>(work: impl FnOnce() -> Result<T, Error> + Send) -> Result<T, Error> {
    std::thread::scope(|s| s.spawn(work).join())
        .unwrap_or_else(|_| Err(Error::new(ErrorCode::Internal, "Talking to the remote directory failed badly; restart Roster")))
}
