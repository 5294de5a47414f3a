//! `roster bulk …`: the sample template and the plan of a CSV file.

use std::path::{Path, PathBuf};

use roster_workspace::{Error, ErrorCode, Workspace, TEMPLATE_FILE_NAME};

use crate::args::BulkCommand;
use crate::output::{count, Out};

pub fn run(ws: &Workspace, cmd: &BulkCommand, out: Out) -> Result<(), Error> {
    match cmd {
        BulkCommand::Plan { file, out: plan_csv } => {
            let bytes = std::fs::read(file).map_err(|e| io_error("read", file, &e))?;
            let plan = ws.bulk_plan(&bytes)?;
            if let Some(path) = plan_csv {
                write(path, &plan.to_csv())?;
            }
            out.bulk_plan(&plan)?;
            if !plan.file_problems.is_empty() {
                let reasons: Vec<&str> = plan.file_problems.iter().map(|p| p.message.as_str()).collect();
                return Err(Error::new(ErrorCode::Validation, format!("{} cannot be used: {}", file.display(), reasons.join("; "))));
            }
            if plan.summary.error > 0 {
                return Err(Error::new(
                    ErrorCode::Validation,
                    format!("{} with errors; fix them and plan again", count(plan.summary.error, "row", "rows")),
                ));
            }
            Ok(())
        }
        BulkCommand::Template { out: path } => {
            let path = path.clone().unwrap_or_else(|| PathBuf::from(TEMPLATE_FILE_NAME));
            write(&path, &ws.bulk_template()?)?;
            let written = serde_json::json!({ "path": path.display().to_string() });
            out.info(&written, |_| format!("Wrote {}", path.display()))
        }
    }
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| io_error("write", path, &e))
}

fn io_error(verb: &str, path: &Path, e: &std::io::Error) -> Error {
    let code = if e.kind() == std::io::ErrorKind::NotFound { ErrorCode::NotFound } else { ErrorCode::Internal };
    Error::new(code, format!("Cannot {verb} {}: {e}", path.display()))
}
