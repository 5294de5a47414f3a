//! `roster sync pushes` and `roster sync results`: the kept history of pushes and one push's
//! results per operation, printed (crate::output::sync) or exported as CSV (to a file, or to
//! standard output with `-`).

use std::path::Path;

use roster_workspace::{Error, PushResultFilter, Workspace, RESULTS_PAGE_MAX};

use crate::args::PushResultArg;
use crate::output::{count, Out};

pub fn pushes(ws: &Workspace, limit: usize, before: Option<i64>, out: Out) -> Result<(), Error> {
    out.sync_pushes(&ws.sync_pushes(limit, before)?, limit, before)
}

pub fn results(ws: &Workspace, push: Option<i64>, only: Option<PushResultArg>, csv: Option<&Path>, out: Out) -> Result<(), Error> {
    let only = only.map(|o| match o {
        PushResultArg::Done => PushResultFilter::Done,
        PushResultArg::Failed => PushResultFilter::Failed,
        PushResultArg::Conflict => PushResultFilter::Conflict,
        PushResultArg::NotSent => PushResultFilter::NotSent,
    });
    match csv {
        Some(path) if path.as_os_str() == "-" => {
            ws.sync_push_results_csv(push, only, &mut std::io::stdout().lock())?;
            Ok(())
        }
        Some(path) => {
            let saved = ws.sync_push_results_save(push, only, path)?;
            out.info(&saved, |s| format!("Wrote {} of push {} to {}", count(s.rows, "result", "results"), s.push, s.path))
        }
        None => {
            // Every page of the push, for one table.
            let mut all = ws.sync_push_results(push, only, 0, RESULTS_PAGE_MAX)?;
            while (all.results.len() as u64) < all.total {
                let page = ws.sync_push_results(Some(all.push.id), only, all.results.len() as u64, RESULTS_PAGE_MAX)?;
                if page.results.is_empty() {
                    break;
                }
                all.results.extend(page.results);
            }
            out.sync_push_results(&all)
        }
    }
}
