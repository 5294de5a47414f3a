//! The history of pushes and each push's results per operation, as kept by `sync_push`
//! (`sync_pushes`, `sync_push_results`): listed newest first, read a page at a time with an
//! optional result filter, and exported as CSV (RFC 4180: comma-separated, CRLF line ends,
//! a cell quoted when it holds a comma, quote, semicolon, tab or line break; every cell
//! neutralised against spreadsheet formulas, as in the bulk exports).

use std::io::Write;
use std::path::Path;

use roster_store::{PushResultRow, PushRow, Reader};
use serde::Serialize;

use super::SyncResultView;
use crate::views::rfc3339;
use crate::{csv_line, Error, ErrorCode, Workspace};

/// The most pushes one `sync_pushes` call lists.
pub const PUSHES_PAGE_MAX: usize = 200;
/// The most results one `sync_push_results` call returns (the window pages through the rest).
pub const RESULTS_PAGE_MAX: usize = 1000;
/// The columns of an exported push, in order.
pub const PUSH_RESULTS_CSV_HEADER: [&str; 8] = ["N", "Entity", "Name", "Local id", "Method", "Status", "Result", "Message"];

/// Which results of a push to show or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushResultFilter {
    Done,
    Failed,
    Conflict,
    NotSent,
}

impl PushResultFilter {
    /// `done`, `failed`, `conflict` or `not_sent` (any case; `conflicts` and `not-sent` too).
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "done" => Ok(Self::Done),
            "failed" => Ok(Self::Failed),
            "conflict" | "conflicts" => Ok(Self::Conflict),
            "not_sent" => Ok(Self::NotSent),
            other => Err(Error::new(ErrorCode::Usage, format!("\"{other}\" is not a result: use done, failed, conflict or not_sent"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Conflict => "conflict",
            Self::NotSent => "not_sent",
        }
    }
}

/// One push in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPushSummaryView {
    /// The push's number (`SyncPushView.push`).
    pub id: i64,
    pub remote: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// The push never finished (Roster stopped while it ran): its counts are those recorded.
    pub interrupted: bool,
    pub done: u64,
    pub failed: u64,
    pub conflicts: u64,
    pub not_sent: u64,
    /// Operations recorded (done + failed + conflicts + not sent).
    pub operations: u64,
}

/// A page of one push's results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPushResultsView {
    pub push: SyncPushSummaryView,
    /// The result shown only (`done`, `failed`, `conflict`, `not_sent`), or null for all.
    pub only: Option<String>,
    pub offset: u64,
    /// Results matching `only` in the whole push.
    pub total: u64,
    pub results: Vec<SyncResultView>,
}

/// An export written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncResultsSavedView {
    pub push: i64,
    pub path: String,
    /// Operations written (header not counted).
    pub rows: u64,
}

fn summary(p: PushRow) -> SyncPushSummaryView {
    SyncPushSummaryView {
        id: p.seq,
        remote: p.remote,
        started_at: rfc3339(p.started_at),
        interrupted: p.finished_at.is_none(),
        finished_at: p.finished_at.map(rfc3339),
        operations: p.done + p.failed + p.conflicts + p.not_sent,
        done: p.done,
        failed: p.failed,
        conflicts: p.conflicts,
        not_sent: p.not_sent,
    }
}

pub(crate) fn result_view(r: PushResultRow) -> SyncResultView {
    SyncResultView {
        n: r.n as u64,
        entity: r.entity,
        local_id: r.local_id,
        name: r.name,
        method: r.method,
        status: r.status,
        result: r.result,
        message: r.message,
    }
}

/// The push `id`, or the newest when None; `not_found` when there is no such push.
fn find_push(r: &Reader<'_>, id: Option<i64>) -> Result<PushRow, Error> {
    let seq = match id {
        Some(id) => id,
        None => r.last_push_seq()?.ok_or_else(|| Error::new(ErrorCode::NotFound, "No push yet: `roster sync push` sends the pending changes"))?,
    };
    r.push(seq)?.ok_or_else(|| Error::new(ErrorCode::NotFound, format!("No push {seq}: `roster sync pushes` lists them")))
}

impl Workspace {
    /// Pushes newest first, at most `limit` (1 to 200), those before push `before` when given.
    pub fn sync_pushes(&self, limit: usize, before: Option<i64>) -> Result<Vec<SyncPushSummaryView>, Error> {
        let rows = self.store.reader().pushes(limit.clamp(1, PUSHES_PAGE_MAX), before)?;
        Ok(rows.into_iter().map(summary).collect())
    }

    /// A page of the results of push `push` (the newest when None), in the order sent: `limit`
    /// (1 to 1000) from `offset`, only those of `only` when given.
    pub fn sync_push_results(&self, push: Option<i64>, only: Option<PushResultFilter>, offset: u64, limit: usize) -> Result<SyncPushResultsView, Error> {
        let r = self.store.reader();
        let row = find_push(&r, push)?;
        let filter = only.map(PushResultFilter::as_str);
        let total = r.push_result_count(row.seq, filter)?;
        let results = r.push_results_page(row.seq, filter, offset, limit.clamp(1, RESULTS_PAGE_MAX))?.into_iter().map(result_view).collect();
        Ok(SyncPushResultsView { push: summary(row), only: filter.map(str::to_owned), offset, total, results })
    }

    /// Writes the results of push `push` (the newest when None) as CSV to `out`, one row per
    /// operation under [`PUSH_RESULTS_CSV_HEADER`], a page at a time; returns the rows written.
    pub fn sync_push_results_csv(&self, push: Option<i64>, only: Option<PushResultFilter>, out: &mut dyn Write) -> Result<u64, Error> {
        let r = self.store.reader();
        let row = find_push(&r, push)?;
        let filter = only.map(PushResultFilter::as_str);
        let fail = |e: std::io::Error| Error::new(ErrorCode::Internal, format!("Cannot write the results: {e}"));
        let mut line = csv_line(&PUSH_RESULTS_CSV_HEADER);
        line.push_str("\r\n");
        out.write_all(line.as_bytes()).map_err(fail)?;
        let mut written = 0u64;
        loop {
            let page = r.push_results_page(row.seq, filter, written, RESULTS_PAGE_MAX)?;
            if page.is_empty() {
                break;
            }
            let mut text = String::new();
            for p in &page {
                let status = p.status.map(|s| s.to_string()).unwrap_or_default();
                text.push_str(&csv_line(&[p.n.to_string().as_str(), &p.entity, &p.name, &p.local_id, &p.method, &status, &p.result, &p.message]));
                text.push_str("\r\n");
            }
            out.write_all(text.as_bytes()).map_err(fail)?;
            written += page.len() as u64;
        }
        out.flush().map_err(fail)?;
        Ok(written)
    }

    /// Writes the CSV of [`Workspace::sync_push_results_csv`] to `path`, through a temporary
    /// file beside it, so a failed write leaves no half file.
    pub fn sync_push_results_save(&self, push: Option<i64>, only: Option<PushResultFilter>, path: &Path) -> Result<SyncResultsSavedView, Error> {
        let id = find_push(&self.store.reader(), push)?.seq;
        let cannot = |e: std::io::Error| Error::new(ErrorCode::Validation, format!("Cannot write {}: {e}", path.display()));
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.part", std::process::id()));
        let result = (|| -> Result<u64, Error> {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(cannot)?);
            let rows = self.sync_push_results_csv(Some(id), only, &mut out)?;
            out.into_inner().map_err(|e| cannot(e.into_error()))?.sync_all().map_err(cannot)?;
            std::fs::rename(&tmp, path).map_err(cannot)?;
            Ok(rows)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        Ok(SyncResultsSavedView { push: id, path: path.display().to_string(), rows: result? })
    }
}
