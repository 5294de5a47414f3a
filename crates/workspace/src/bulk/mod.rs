//! Bulk CSV against the workspace: the plan (what a file would change, row by row), its
//! atomic apply, the results file, the history of batches and their exact undo, and the
//! sample template. The plan only reads; a dry run is the plan.
//!
//! The core's `bulk` layer reads the bytes, maps the header and checks every row with the
//! form's own rules; [`plan`] compares each row with the workspace. A [`BulkPlan`] keeps
//! the file's cells (one buffer) and one outcome byte per row, plus the problems of error
//! rows: a million rows fit in a few hundred megabytes. What a row changes (old → new) is
//! worked out again when a page of rows is shown, and once more when the plan is applied.
//! Rows are checked on every core, in chunks, while the calling thread does the part that
//! needs the store.

mod apply;
mod plan;
mod report;
mod undo;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use roster_core::bulk::{self, CheckedRow, Column, FileOnce, Mapped};
use roster_core::{AttributeDefinition, AttributeType, Phone, Settings};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use apply::{BulkAlertView, BulkApplyOptions, BulkHashes, BulkPasswords, BulkResultView};
pub use undo::{BulkBatchView, BulkUndoView};

use crate::progress::Progress;
use crate::{Error, ErrorCode, Workspace};

/// Counts per outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkSummaryView {
    pub create: u64,
    pub update: u64,
    pub delete: u64,
    pub unchanged: u64,
    pub error: u64,
}

/// One field a row changes. `old` is null for a create; a password shows as "(set)".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkChangeView {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// One problem of a row: the column as written in the file (empty for the whole row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkProblemView {
    pub column: String,
    pub code: String,
    pub message: String,
}

impl BulkProblemView {
    /// "Column: message", or the message alone for a problem with the whole row.
    pub fn describe(&self) -> String {
        if self.column.is_empty() { self.message.clone() } else { format!("{}: {}", self.column, self.message) }
    }
}

/// A warning or a file problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkNoticeView {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column: Option<String>,
}

/// One data row of the file, planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRowView {
    /// The spreadsheet row (header = row 1).
    pub row: usize,
    /// `add`, `update`, `delete`; null when the action cell was blank or unknown.
    pub action: Option<String>,
    /// `create`, `update`, `delete`, `unchanged` or `error`.
    pub outcome: String,
    pub username: String,
    pub changes: Vec<BulkChangeView>,
    pub problems: Vec<BulkProblemView>,
}

/// What a file would do to the workspace. Rows in file order; deterministic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkPlanView {
    pub summary: BulkSummaryView,
    pub rows: Vec<BulkRowView>,
    pub warnings: Vec<BulkNoticeView>,
    /// Why the file cannot be used at all; then there are no rows.
    pub file_problems: Vec<BulkNoticeView>,
}

impl BulkPlanView {
    /// Whether any row or the file has an error.
    pub fn has_errors(&self) -> bool {
        self.summary.error > 0 || !self.file_problems.is_empty()
    }
}

/// The template's file name.
pub const TEMPLATE_FILE_NAME: &str = "bulkUserCsvSample.csv";

/// Where a row is: its spreadsheet row, its position among all rows, and among error rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkPositionView {
    pub row: usize,
    pub index: usize,
    pub error_index: usize,
}

/// A page of planned rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkPageView {
    /// Rows matching the filter.
    pub total: usize,
    pub offset: usize,
    pub rows: Vec<BulkRowView>,
}

/// A plan at a glance: the counts, the warnings, the file's problems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkPlanSummaryView {
    pub file_name: String,
    pub rows: usize,
    pub summary: BulkSummaryView,
    pub warnings: Vec<BulkNoticeView>,
    pub file_problems: Vec<BulkNoticeView>,
    /// Deleting this many users needs the admin to confirm the number.
    pub deletes_need_confirmation: bool,
    pub user_count: u64,
}

/// A file saved (template, results).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkSavedView {
    pub path: String,
    /// Data rows written.
    pub rows: usize,
}

/// A row's outcome in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Create,
    Update,
    Delete,
    Unchanged,
    Error,
}

impl Outcome {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Unchanged => "unchanged",
            Self::Error => "error",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Create, Self::Update, Self::Delete, Self::Unchanged, Self::Error].into_iter().find(|o| o.as_str() == s)
    }
}

/// Deleting more than this many users, or more than [`CONFIRM_DELETE_PERCENT`] of them, in
/// one file needs the admin to confirm the number.
pub const CONFIRM_BULK_DELETES_OVER: u64 = 10;
pub const CONFIRM_DELETE_PERCENT: u64 = 5;

/// A file read and checked against the workspace: every row's outcome. Opaque; rows are
/// rendered a page at a time ([`Workspace::bulk_plan_rows`]). Applying it
/// ([`Workspace::bulk_apply`]) is refused if the workspace changed since it was made.
pub struct BulkPlan {
    /// Unique in this process: what a plan's hashed passwords ([`BulkHashes`]) belong to.
    id: u64,
    file_name: String,
    workspace: PathBuf,
    /// None when the file cannot be used (then `file_problems` says why).
    mapped: Option<Mapped>,
    settings: Settings,
    defs: Vec<AttributeDefinition>,
    outcomes: Vec<Outcome>,
    /// The problems of error rows, by row index.
    problems: HashMap<u32, Vec<BulkProblemView>>,
    summary: BulkSummaryView,
    warnings: Vec<BulkNoticeView>,
    file_problems: Vec<BulkNoticeView>,
    stamp: (i64, u64),
    user_count: u64,
}

impl BulkPlan {
    pub fn summary(&self) -> BulkPlanSummaryView {
        BulkPlanSummaryView {
            file_name: self.file_name.clone(),
            rows: self.outcomes.len(),
            summary: self.summary.clone(),
            warnings: self.warnings.clone(),
            file_problems: self.file_problems.clone(),
            deletes_need_confirmation: self.deletes_need_confirmation(),
            user_count: self.user_count,
        }
    }

    /// Any error row, or a file problem.
    pub fn has_errors(&self) -> bool {
        self.summary.error > 0 || !self.file_problems.is_empty()
    }

    pub fn deletes(&self) -> u64 {
        self.summary.delete
    }

    /// More than [`CONFIRM_BULK_DELETES_OVER`] deletes, or more than
    /// [`CONFIRM_DELETE_PERCENT`]% of the workspace's users.
    pub fn deletes_need_confirmation(&self) -> bool {
        let d = self.summary.delete;
        d > CONFIRM_BULK_DELETES_OVER || (d > 0 && d * 100 > self.user_count * CONFIRM_DELETE_PERCENT)
    }

    /// The first error row after spreadsheet row `after_row`, wrapping to the first one.
    pub fn next_error(&self, after_row: usize) -> Option<BulkPositionView> {
        let table = &self.mapped.as_ref()?.table;
        // Rows are in spreadsheet order: the first one after `after_row`, by bisection.
        let (mut start, mut end) = (0, table.len());
        while start < end {
            let mid = (start + end) / 2;
            if table.row(mid).row <= after_row {
                start = mid + 1;
            } else {
                end = mid;
            }
        }
        let found = (start..self.outcomes.len())
            .chain(0..start)
            .find(|&i| self.outcomes[i] == Outcome::Error)?;
        let error_index = self.outcomes[..found].iter().filter(|&&o| o == Outcome::Error).count();
        Some(BulkPositionView { row: table.row(found).row, index: found, error_index })
    }

    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    fn count(&mut self, outcome: Outcome) {
        let s = &mut self.summary;
        match outcome {
            Outcome::Create => s.create += 1,
            Outcome::Update => s.update += 1,
            Outcome::Delete => s.delete += 1,
            Outcome::Unchanged => s.unchanged += 1,
            Outcome::Error => s.error += 1,
        }
    }

    /// Indexes of the rows with one of `outcomes`, in file order.
    fn indexes(&self, outcomes: &[Outcome]) -> Vec<u32> {
        (0..self.outcomes.len() as u32).filter(|&i| outcomes.contains(&self.outcomes[i as usize])).collect()
    }
}

/// How many rows are checked at a time, on all cores.
const CHUNK: usize = 2048;

/// Checks the rows `indexes` of `mapped` on every core, chunk by chunk, while `f` takes
/// them in order on this thread. Stops (cancelled, nothing kept) when `progress` says so.
fn for_each_checked(
    mapped: &Mapped,
    settings: &Settings,
    defs: &[AttributeDefinition],
    indexes: &[u32],
    progress: &dyn Progress,
    mut f: impl FnMut(usize, CheckedRow) -> Result<(), Error>,
) -> Result<(), Error> {
    let total = indexes.len() as u64;
    progress.update(0, total);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(usize, CheckedRow)>>(2);
        scope.spawn(move || {
            for chunk in indexes.chunks(CHUNK) {
                let rows: Vec<(usize, CheckedRow)> = chunk
                    .par_iter()
                    .map(|&i| (i as usize, bulk::check_row(mapped.table.row(i as usize), &mapped.columns, settings, defs)))
                    .collect();
                if tx.send(rows).is_err() {
                    break; // the consumer stopped
                }
            }
        });
        let mut done = 0u64;
        for rows in rx {
            if progress.is_cancelled() {
                return Err(Error::cancelled());
            }
            done += rows.len() as u64;
            for (i, checked) in rows {
                f(i, checked)?;
            }
            progress.update(done, total);
        }
        Ok(())
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound { ErrorCode::NotFound } else { ErrorCode::Validation };
        Error::new(code, format!("Cannot read {}: {e}", path.display()))
    })
}

impl Workspace {
    /// Reads and plans the CSV file at `path`, changing nothing.
    pub fn bulk_plan_file(&self, path: &Path, progress: &dyn Progress) -> Result<BulkPlan, Error> {
        progress.phase("reading");
        let bytes = read_file(path)?;
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        self.bulk_plan_bytes(bytes, &name, progress)
    }

    /// Plans `bytes` (a CSV file called `file_name`) against the workspace, changing nothing.
    /// Every row is checked; the plan is deterministic.
    pub fn bulk_plan_bytes(&self, bytes: Vec<u8>, file_name: &str, progress: &dyn Progress) -> Result<BulkPlan, Error> {
        let r = self.store.reader();
        let (settings, defs, stamp, user_count) = (r.settings()?, r.attribute_definitions()?, r.stamp()?, r.user_count()?);
        progress.phase("reading");
        let mapped = bulk::map(&bytes, &defs);
        drop(bytes);
        static PLANS: AtomicU64 = AtomicU64::new(0);
        let mut plan = BulkPlan {
            id: PLANS.fetch_add(1, Ordering::Relaxed),
            file_name: file_name.to_owned(),
            workspace: self.path().to_owned(),
            mapped: None,
            settings,
            defs,
            outcomes: Vec::new(),
            problems: HashMap::new(),
            summary: BulkSummaryView::default(),
            warnings: Vec::new(),
            file_problems: Vec::new(),
            stamp,
            user_count,
        };
        let mapped = match mapped {
            Ok(m) => m,
            Err(problems) => {
                plan.file_problems =
                    problems.into_iter().map(|p| BulkNoticeView { code: p.code.to_owned(), message: p.message, column: None }).collect();
                return Ok(plan);
            }
        };
        plan.warnings = mapped
            .warnings
            .iter()
            .map(|w| BulkNoticeView { code: w.code.to_owned(), message: w.message.clone(), column: w.column.clone() })
            .collect();
        progress.phase("checking");
        let n = mapped.table.len();
        let mut once = FileOnce::with_capacity(n);
        let mut outcomes = Vec::with_capacity(n);
        let mut problems = HashMap::new();
        {
            let ctx = plan::Ctx::new(self, &mapped.columns, &plan.settings, &plan.defs)?;
            let all: Vec<u32> = (0..n as u32).collect();
            for_each_checked(&mapped, &plan.settings, &plan.defs, &all, progress, |i, mut checked| {
                once.claim(&mut checked, &mapped.columns, &mapped.table);
                let (outcome, view) = ctx.plan_row(&checked, false)?;
                if outcome == Outcome::Error {
                    problems.insert(i as u32, view.problems);
                }
                outcomes.push(outcome);
                Ok(())
            })?;
        }
        plan.outcomes = outcomes;
        plan.problems = problems;
        for i in 0..plan.outcomes.len() {
            plan.count(plan.outcomes[i]);
        }
        plan.mapped = Some(mapped);
        Ok(plan)
    }

    /// A page of `plan`'s rows, with what each changes (old → new) or its problems.
    /// `outcome` filters (`create`, `update`, `delete`, `unchanged`, `error`); None is all.
    pub fn bulk_plan_rows(&self, plan: &BulkPlan, outcome: Option<&str>, offset: usize, limit: usize) -> Result<BulkPageView, Error> {
        let filter = match outcome.filter(|o| !o.is_empty() && *o != "all") {
            None => None,
            Some(o) => Some(Outcome::parse(o).ok_or_else(|| {
                Error::new(ErrorCode::Usage, format!("\"{o}\" is not an outcome: use create, update, delete, unchanged or error"))
            })?),
        };
        let Some(mapped) = &plan.mapped else {
            return Ok(BulkPageView { total: 0, offset, rows: Vec::new() });
        };
        // Rows are worked out again against the workspace: only while it is as planned do
        // they show what applying would do.
        if self.store.reader().stamp()? != plan.stamp {
            return Err(apply::stale());
        }
        let matching = |i: &usize| filter.is_none_or(|f| plan.outcomes[*i] == f);
        let total = if filter.is_none() { plan.outcomes.len() } else { (0..plan.outcomes.len()).filter(matching).count() };
        let ctx = plan::Ctx::new(self, &mapped.columns, &plan.settings, &plan.defs)?;
        let mut rows = Vec::new();
        for i in (0..plan.outcomes.len()).filter(matching).skip(offset).take(limit.min(1000)) {
            rows.push(self.planned_row(plan, mapped, &ctx, i)?);
        }
        Ok(BulkPageView { total, offset, rows })
    }

    /// Row `i` as planned: its stored problems if it is an error, else what it changes now.
    fn planned_row(&self, plan: &BulkPlan, mapped: &Mapped, ctx: &plan::Ctx<'_>, i: usize) -> Result<BulkRowView, Error> {
        let checked = bulk::check_row(mapped.table.row(i), &mapped.columns, &plan.settings, &plan.defs);
        if plan.outcomes[i] == Outcome::Error {
            return Ok(BulkRowView {
                row: checked.row,
                action: checked.action.map(|a| a.as_str().to_owned()),
                outcome: Outcome::Error.as_str().to_owned(),
                username: checked.username,
                changes: Vec::new(),
                problems: plan.problems.get(&(i as u32)).cloned().unwrap_or_default(),
            });
        }
        Ok(ctx.plan_row(&checked, true)?.1)
    }

    /// Plans `bytes` and renders every row: for small files and tests (a page at a time with
    /// [`Workspace::bulk_plan_rows`] is what a million rows want).
    pub fn bulk_plan(&self, bytes: &[u8]) -> Result<BulkPlanView, Error> {
        let plan = self.bulk_plan_bytes(bytes.to_vec(), "", &crate::Silent)?;
        let rows = self.all_rows(&plan)?;
        Ok(BulkPlanView { summary: plan.summary, rows, warnings: plan.warnings, file_problems: plan.file_problems })
    }

    fn all_rows(&self, plan: &BulkPlan) -> Result<Vec<BulkRowView>, Error> {
        let mut rows = Vec::with_capacity(plan.outcomes.len());
        while rows.len() < plan.outcomes.len() {
            let page = self.bulk_plan_rows(plan, None, rows.len(), 1000)?;
            rows.extend(page.rows);
        }
        Ok(rows)
    }

    /// The sample file (`bulkUserCsvSample.csv`): the canonical header, the workspace's
    /// custom attributes, and one example row each for add, update and delete. Every cell
    /// is neutralised against formula injection.
    pub fn bulk_template(&self) -> Result<String, Error> {
        let r = self.store.reader();
        let settings = r.settings()?;
        let defs = r.attribute_definitions()?;
        let groups: Vec<String> = r.groups()?.into_iter().take(2).map(|g| g.name.as_str().to_owned()).collect();
        let roles: Vec<String> = r.roles()?.into_iter().take(1).map(|g| g.name.as_str().to_owned()).collect();
        Ok(template(&settings, &defs, &groups, &roles))
    }

    /// Writes the sample file to `path`.
    pub fn bulk_save_template(&self, path: &Path) -> Result<BulkSavedView, Error> {
        let text = self.bulk_template()?;
        report::write_file(path, text.as_bytes())?;
        Ok(BulkSavedView { path: path.display().to_string(), rows: 3 })
    }

    /// Refuses a plan made on another workspace.
    fn check_plan_is_mine(&self, plan: &BulkPlan) -> Result<(), Error> {
        if plan.workspace != self.path() {
            return Err(Error::new(ErrorCode::Usage, "This plan was made on another workspace: plan the file again"));
        }
        Ok(())
    }
}

fn template(settings: &Settings, defs: &[AttributeDefinition], groups: &[String], roles: &[String]) -> String {
    let mut header: Vec<String> = Column::CANONICAL.iter().map(|c| c.header().to_owned()).collect();
    header.extend(defs.iter().map(|d| d.name.as_str().to_owned()));
    let sample_phone = "(415) 555-2671";
    let phone = if Phone::parse(sample_phone, settings.default_region).is_ok() { sample_phone } else { "" };
    let sample = |d: &AttributeDefinition| match d.kind {
        AttributeType::String => "Example".to_owned(),
        AttributeType::Number => "42".to_owned(),
        AttributeType::Boolean => "true".to_owned(),
        AttributeType::Date => "2027-01-31".to_owned(),
    };
    let mut add: Vec<String> = [
        "add",
        "jane.doe",
        "jane.doe@example.com",
        "Jane",
        "Doe",
        phone,
        "",
        &groups.join("|"),
        &roles.join("|"),
        "active",
        "totp",
        "3",
        "2027-12-31",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    add.extend(defs.iter().map(sample));
    let mut update: Vec<String> =
        ["update", "john.smith", "", "John", "Smith", "", "", "", "", "disabled", "", "", ""].iter().map(|s| (*s).to_owned()).collect();
    update.extend(defs.iter().map(|_| String::new()));
    let mut delete: Vec<String> =
        ["delete", "old.user", "old.user@example.com", "", "", "", "", "", "", "", "", "", ""].iter().map(|s| (*s).to_owned()).collect();
    delete.extend(defs.iter().map(|_| String::new()));
    let mut out = String::new();
    for line in [header, add, update, delete] {
        out.push_str(&csv_line(&line));
        out.push_str("\r\n");
    }
    out
}

/// One CSV line: every cell neutralised, quoted when it holds a delimiter, quote or line break.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    cells
        .iter()
        .map(|c| {
            let c = bulk::neutralise(c.as_ref());
            if c.contains([',', '"', '\n', '\r', ';', '\t']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The header of a plan written as CSV.
const PLAN_CSV_HEADER: [&str; 6] = ["Row", "Action", "Username", "Outcome", "Changes", "Problems"];

/// One planned row as a line of the plan CSV (without the line end).
fn plan_csv_line(r: &BulkRowView) -> String {
    let show = |v: &Value| match v {
        Value::Null => "(empty)".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let changes: Vec<String> = r.changes.iter().map(|c| format!("{}: {} → {}", c.field, show(&c.old), show(&c.new))).collect();
    let problems: Vec<String> = r.problems.iter().map(BulkProblemView::describe).collect();
    csv_line(&[
        r.row.to_string(),
        r.action.clone().unwrap_or_default(),
        r.username.clone(),
        r.outcome.clone(),
        changes.join("; "),
        problems.join("; "),
    ])
}

impl BulkPlanView {
    /// The plan as CSV (Row, Action, Username, Outcome, Changes, Problems), every cell
    /// neutralised against formula injection. File problems, if any, are rows without a number.
    pub fn to_csv(&self) -> String {
        let mut out = csv_line(&PLAN_CSV_HEADER);
        out.push_str("\r\n");
        for p in &self.file_problems {
            out.push_str(&csv_line(&["", "", "", "error", "", &p.message]));
            out.push_str("\r\n");
        }
        for r in &self.rows {
            out.push_str(&plan_csv_line(r));
            out.push_str("\r\n");
        }
        out
    }
}
