//! The results file: the file's own columns and each row's result, or only the failed rows,
//! ready to fix and import again.

use std::io::Write;
use std::path::Path;

use super::{csv_line, plan_csv_line, BulkPlan, BulkProblemView, BulkResultView, BulkSavedView, Outcome, PLAN_CSV_HEADER};
use crate::{Error, ErrorCode, Workspace};

/// Writes `bytes` to `path` through a temporary file beside it, so a failed write leaves no
/// half file.
pub(super) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_with(path, |out| out.write_all(bytes))
}

fn write_with(path: &Path, f: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>) -> Result<(), Error> {
    let fail = |e: std::io::Error| Error::new(ErrorCode::Validation, format!("Cannot write {}: {e}", path.display()));
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.part", std::process::id()));
    let result = (|| {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        f(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

impl Workspace {
    /// Writes the plan as CSV (Row, Action, Username, Outcome, Changes, Problems), a page of
    /// rows at a time; file problems, if any, are rows without a number.
    pub fn bulk_save_plan(&self, plan: &BulkPlan, path: &Path) -> Result<BulkSavedView, Error> {
        let mut pages = Vec::new();
        let mut offset = 0;
        // Rendering needs the store; writing does not: render first, a page at a time.
        let total = plan.outcomes.len();
        let mut text = String::new();
        text.push_str(&csv_line(&PLAN_CSV_HEADER));
        text.push_str("\r\n");
        for p in &plan.file_problems {
            text.push_str(&csv_line(&["", "", "", "error", "", &p.message]));
            text.push_str("\r\n");
        }
        pages.push(text);
        while offset < total {
            let page = self.bulk_plan_rows(plan, None, offset, 1000)?;
            offset += page.rows.len().max(1);
            let mut text = String::new();
            for r in &page.rows {
                text.push_str(&plan_csv_line(r));
                text.push_str("\r\n");
            }
            pages.push(text);
        }
        write_with(path, |out| pages.iter().try_for_each(|p| out.write_all(p.as_bytes())))?;
        Ok(BulkSavedView { path: path.display().to_string(), rows: total })
    }

    /// Writes the results of `plan` to `path` (comma-separated, UTF-8, every cell
    /// neutralised): the file's own columns, then `Result` (created, updated, deleted,
    /// unchanged, failed, or skipped when the plan was not applied) and `Message` (the
    /// problems of a failed row, the batch of an applied one). With `failed_only`, only the
    /// failed rows, in the file's own columns: fix them and import the file again.
    pub fn bulk_save_results(&self, plan: &BulkPlan, applied: Option<&BulkResultView>, failed_only: bool, path: &Path) -> Result<BulkSavedView, Error> {
        let Some(mapped) = &plan.mapped else {
            return Err(Error::new(ErrorCode::Validation, format!("{} could not be read, so it has no rows to report", plan.file_name)));
        };
        let mut written = 0usize;
        write_with(path, |out| {
            written = write_results(plan, mapped, applied, failed_only, false, out)?;
            Ok(())
        })?;
        Ok(BulkSavedView { path: path.display().to_string(), rows: written })
    }
}

/// The results file's lines (see [`Workspace::bulk_save_results`]); with `blank_passwords`
/// the Password column is left empty, for a copy that travels by mail. The rows written.
pub(super) fn write_results(
    plan: &BulkPlan,
    mapped: &super::Mapped,
    applied: Option<&BulkResultView>,
    failed_only: bool,
    blank_passwords: bool,
    out: &mut impl Write,
) -> std::io::Result<usize> {
    let mut written = 0;
    let width = mapped.columns.headers.len();
    let password = if blank_passwords { mapped.columns.index(&roster_core::bulk::Column::Password) } else { None };
    let mut header: Vec<&str> = mapped.columns.headers.iter().map(String::as_str).collect();
    if !failed_only {
        header.extend(["Result", "Message"]);
    }
    write_line(out, &header)?;
    let batch = applied.and_then(|a| a.batch_id.as_deref());
    for (i, &outcome) in plan.outcomes.iter().enumerate() {
        if failed_only && outcome != Outcome::Error {
            continue;
        }
        let row = mapped.table.row(i);
        let mut cells: Vec<String> = row.cells().take(width).map(str::to_owned).collect();
        cells.resize(width, String::new());
        if let Some(p) = password {
            cells[p].clear();
        }
        if !failed_only {
            let (result, message) = result_of(plan, i, outcome, applied.is_some(), batch);
            cells.push(result.to_owned());
            cells.push(message);
        }
        write_line(out, &cells)?;
        written += 1;
    }
    Ok(written)
}

fn write_line<S: AsRef<str>>(out: &mut impl Write, cells: &[S]) -> std::io::Result<()> {
    out.write_all(csv_line(cells).as_bytes())?;
    out.write_all(b"\r\n")
}

fn result_of(plan: &BulkPlan, i: usize, outcome: Outcome, applied: bool, batch: Option<&str>) -> (&'static str, String) {
    if outcome == Outcome::Error {
        let problems = plan.problems.get(&(i as u32)).map(Vec::as_slice).unwrap_or_default();
        let text: Vec<String> = problems.iter().map(BulkProblemView::describe).collect();
        return ("failed", text.join("; "));
    }
    if !applied {
        return ("skipped", "Not applied: the file has rows with errors".to_owned());
    }
    let result = match outcome {
        Outcome::Create => "created",
        Outcome::Update => "updated",
        Outcome::Delete => "deleted",
        _ => "unchanged",
    };
    let message = match (outcome, batch) {
        (Outcome::Unchanged, _) => "Nothing to change".to_owned(),
        (_, Some(b)) => format!("Batch {b}"),
        _ => String::new(),
    };
    (result, message)
}
