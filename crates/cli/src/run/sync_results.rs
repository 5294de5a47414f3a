//! `roster sync pushes` and `roster sync results`: the kept history of pushes and one push's
//! results per operation, printed or exported as CSV (to a file, or to standard output with `-`).

use std::path::Path;

use roster_workspace::{Error, PushResultFilter, SyncPushResultsView, SyncPushSummaryView, Workspace, RESULTS_PAGE_MAX};

use crate::args::PushResultArg;
use crate::output::{count, print_json, table, Out};

pub fn pushes(ws: &Workspace, limit: usize, before: Option<i64>, out: Out) -> Result<(), Error> {
    let pushes = ws.sync_pushes(limit, before)?;
    if out.json {
        print_json(&pushes);
        return Ok(());
    }
    if pushes.is_empty() {
        println!("No pushes{}: `roster sync push` sends the pending changes", if before.is_some() { " before that one" } else { " yet" });
        return Ok(());
    }
    let rows: Vec<Vec<String>> = pushes
        .iter()
        .map(|p| {
            let n = |v: u64| v.to_string();
            vec![n(p.id as u64), p.remote.clone(), p.started_at.clone(), finished(p), n(p.done), n(p.failed), n(p.conflicts), n(p.not_sent)]
        })
        .collect();
    table(&["PUSH", "REMOTE", "STARTED", "FINISHED", "DONE", "FAILED", "CONFLICTS", "NOT SENT"], &rows);
    if let Some(oldest) = pushes.last().filter(|_| pushes.len() == limit) {
        eprintln!("Older: roster sync pushes --before {}", oldest.id);
    }
    eprintln!("Each push's results: roster sync results PUSH [--only failed] [--csv FILE]");
    Ok(())
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
            let mut all = ws.sync_push_results(push, only, 0, RESULTS_PAGE_MAX)?;
            while (all.results.len() as u64) < all.total {
                let page = ws.sync_push_results(Some(all.push.id), only, all.results.len() as u64, RESULTS_PAGE_MAX)?;
                if page.results.is_empty() {
                    break;
                }
                all.results.extend(page.results);
            }
            print_results(&all, out);
            Ok(())
        }
    }
}

fn finished(p: &SyncPushSummaryView) -> String {
    p.finished_at.clone().unwrap_or_else(|| "interrupted".into())
}

fn print_results(v: &SyncPushResultsView, out: Out) {
    if out.json {
        print_json(v);
        return;
    }
    let p = &v.push;
    let state = if p.interrupted { "interrupted: it never finished".to_owned() } else { format!("finished {}", finished(p)) };
    println!(
        "Push {} to {}, started {}, {state}: {} done, {} failed, {}, {} not sent",
        p.id,
        p.remote,
        p.started_at,
        p.done,
        p.failed,
        count(p.conflicts, "conflict", "conflicts"),
        p.not_sent
    );
    if v.results.is_empty() {
        println!("{}", if v.only.is_some() { "No operations with that result" } else { "No operations" });
        return;
    }
    println!();
    let rows: Vec<Vec<String>> = v
        .results
        .iter()
        .map(|r| {
            vec![
                r.n.to_string(),
                r.entity.clone(),
                r.name.clone(),
                r.method.clone(),
                r.status.map(|s| s.to_string()).unwrap_or_default(),
                r.result.clone(),
                r.message.clone(),
            ]
        })
        .collect();
    table(&["N", "ENTITY", "NAME", "METHOD", "STATUS", "RESULT", "MESSAGE"], &rows);
}
