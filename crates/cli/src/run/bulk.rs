//! `roster bulk …`: the sample template; the plan of a CSV file; apply, history and undo.

use std::path::{Path, PathBuf};

use roster_workspace::{BulkApplyOptions, BulkPlan, Error, ErrorCode, Workspace, TEMPLATE_FILE_NAME};

use crate::args::BulkCommand;
use crate::output::{self, count, Out};

pub fn run(ws: &mut Workspace, cmd: &BulkCommand, out: Out) -> Result<(), Error> {
    match cmd {
        BulkCommand::Plan { file, out: plan_csv } => {
            let plan = plan_file(ws, file, out)?;
            if let Some(path) = plan_csv {
                ws.bulk_save_plan(&plan, path)?;
            }
            out.bulk_plan(ws, &plan)?;
            refuse_errors(&plan, file, "fix them and plan again")
        }
        BulkCommand::Apply { file, skip_invalid, report, failed_only, yes } => {
            let plan = plan_file(ws, file, out)?;
            out.bulk_plan_counts(&plan);
            let options = BulkApplyOptions { skip_invalid: *skip_invalid, confirmed_deletes: yes.then(|| plan.deletes()) };
            let bar = output::ProgressBar::new(!out.json, "Applying");
            let applied = ws.bulk_apply(&plan, &options, &bar);
            bar.finish();
            if let Some(path) = report {
                let saved = ws.bulk_save_results(&plan, applied.as_ref().ok(), *failed_only, path)?;
                out.note(&format!("Wrote {} ({})", saved.path, count(saved.rows as u64, "row", "rows")));
            }
            out.bulk_applied(&applied.map_err(|e| with_cli_words(e, &plan))?)
        }
        BulkCommand::History => out.bulk_history(&ws.bulk_history()?),
        BulkCommand::Undo { batch, force } => {
            let bar = output::ProgressBar::new(!out.json, "Undoing");
            let undone = ws.bulk_undo(batch, *force, &bar);
            bar.finish();
            out.bulk_undone(&undone?)
        }
        BulkCommand::Template { out: path } => {
            let path = path.clone().unwrap_or_else(|| PathBuf::from(TEMPLATE_FILE_NAME));
            let saved = ws.bulk_save_template(&path)?;
            out.info(&saved, |s| format!("Wrote {}", s.path))
        }
    }
}

fn plan_file(ws: &Workspace, file: &Path, out: Out) -> Result<BulkPlan, Error> {
    let bar = output::ProgressBar::new(!out.json, "Checking");
    let plan = ws.bulk_plan_file(file, &bar);
    bar.finish();
    plan
}

/// Exit 3 when the file cannot be used or a row has an error.
fn refuse_errors(plan: &BulkPlan, file: &Path, advice: &str) -> Result<(), Error> {
    let s = plan.summary();
    if !s.file_problems.is_empty() {
        let reasons: Vec<&str> = s.file_problems.iter().map(|p| p.message.as_str()).collect();
        return Err(Error::new(ErrorCode::Validation, format!("{} cannot be used: {}", file.display(), reasons.join("; "))));
    }
    if s.summary.error > 0 {
        return Err(Error::new(ErrorCode::Validation, format!("{} with errors; {advice}", count(s.summary.error, "row", "rows"))));
    }
    Ok(())
}

/// The window asks for a typed number; here the confirmation is `--yes`, and skipping bad
/// rows is `--skip-invalid`.
fn with_cli_words(mut e: Error, plan: &BulkPlan) -> Error {
    let s = plan.summary();
    if e.fields.iter().any(|f| f.code == "confirmation_required") {
        e.message = format!("This file deletes {} users: add --yes to confirm", plan.deletes());
        e.fields.clear();
    } else if e.code == ErrorCode::Validation && s.summary.error > 0 && s.file_problems.is_empty() {
        e.message = format!(
            "{} with errors: nothing was applied. Fix them (see `roster bulk plan`), or add --skip-invalid to apply the valid rows",
            count(s.summary.error, "row", "rows")
        );
    }
    e
}
