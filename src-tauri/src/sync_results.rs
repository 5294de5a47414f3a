//! The IPC commands of the push history (docs/ipc.md, "Push history"): pushes newest first, one
//! push's results a page at a time, and their export as CSV. The window asks for the file with
//! `choose_save_file` (the native save dialog, as the bulk exports do); the file is written here,
//! in Rust, never by the window.

use std::path::PathBuf;

use roster_workspace::{Error, PushResultFilter, SyncPushResultsView, SyncPushSummaryView, SyncResultsSavedView};
use tauri::State;

use crate::Desktop;

/// `only`: `done`, `failed`, `conflict` or `not_sent`; absent or null: every result.
fn filter(only: Option<String>) -> Result<Option<PushResultFilter>, Error> {
    only.filter(|o| !o.trim().is_empty()).map(|o| PushResultFilter::parse(&o)).transpose()
}

/// Pushes newest first: `limit` (1 to 200, default 20) older than push `before` when given.
#[tauri::command(async)]
pub fn sync_pushes(desktop: State<'_, Desktop>, limit: Option<usize>, before: Option<i64>) -> Result<Vec<SyncPushSummaryView>, Error> {
    desktop.with(|ws| ws.sync_pushes(limit.unwrap_or(20), before))
}

/// A page of push `push`'s results (the newest push when null): `limit` (1 to 1000, default
/// 100) from `offset`, only `only` when given.
#[tauri::command(async)]
pub fn sync_push_results(
    desktop: State<'_, Desktop>,
    push: Option<i64>,
    only: Option<String>,
    offset: Option<u64>,
    limit: Option<usize>,
) -> Result<SyncPushResultsView, Error> {
    let only = filter(only)?;
    desktop.with(|ws| ws.sync_push_results(push, only, offset.unwrap_or(0), limit.unwrap_or(100)))
}

/// Writes push `push`'s results (only `only` when given) as CSV to `path`.
#[tauri::command(async)]
pub fn sync_push_results_save(desktop: State<'_, Desktop>, push: i64, only: Option<String>, path: PathBuf) -> Result<SyncResultsSavedView, Error> {
    let only = filter(only)?;
    desktop.with(|ws| ws.sync_push_results_save(Some(push), only, &path))
}
