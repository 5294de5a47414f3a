//! `roster sync …`: status, pull, plan, push, conflicts and resolve against the linked remote.

use roster_workspace::{Error, ErrorCode, SyncPullView, SyncPushView, SyncResolveInput, Workspace};

use crate::args::{KeepArg, SyncCommand};
use crate::output::{self, count, Out};

pub fn run(ws: &mut Workspace, cmd: &SyncCommand, out: Out) -> Result<(), Error> {
    match cmd {
        SyncCommand::Status => out.sync_status(&ws.sync_status()?),
        SyncCommand::Pull => {
            warn_if_linked_insecure(ws, out);
            let bar = output::ProgressBar::new(!out.json, "Pulling").cancel_on_ctrl_c();
            let pulled = ws.sync_pull(&bar);
            bar.finish();
            let pulled = pulled?;
            out.sync_pulled(&pulled)?;
            pull_outcome(&pulled)
        }
        SyncCommand::Plan => out.sync_plan(&ws.sync_plan()?),
        SyncCommand::Push => {
            warn_if_linked_insecure(ws, out);
            let bar = output::ProgressBar::new(!out.json, "Pushing").cancel_on_ctrl_c();
            let pushed = ws.sync_push(&bar);
            bar.finish();
            let pushed = pushed?;
            out.sync_pushed(&pushed)?;
            outcome(&pushed)
        }
        SyncCommand::Conflicts => out.sync_conflicts(&ws.sync_conflicts()?),
        SyncCommand::Pushes { limit, before } => super::sync_results::pushes(ws, *limit, *before, out),
        SyncCommand::Results { push, only, csv } => super::sync_results::results(ws, *push, *only, csv.as_deref(), out),
        SyncCommand::Resolve { id, keep, field } => {
            let keep = keep.map(|k| match k {
                KeepArg::Mine => "mine".to_owned(),
                KeepArg::Theirs => "theirs".to_owned(),
            });
            out.sync_resolved(&ws.sync_resolve_fields(*id, &SyncResolveInput { keep, fields: field.iter().cloned().collect() })?)
        }
    }
}

/// The TLS warning before a pull or push talks to the linked remote (nothing when none is linked:
/// the services say so).
fn warn_if_linked_insecure(ws: &Workspace, out: Out) {
    let remotes = ws.remote_list().unwrap_or_default();
    out.warn_if_insecure(remotes.iter().find(|r| r.linked));
}

/// Exit 5 when the pull left conflicts; the view is printed first.
fn pull_outcome(p: &SyncPullView) -> Result<(), Error> {
    let conflicts = p.users.conflicts + p.groups.conflicts;
    if conflicts == 0 {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::Conflict,
        format!(
            "{} (a local change waits where the remote changed the same field, or deleted it): `roster sync conflicts` shows them, `roster sync resolve ID --keep mine|theirs` or `--field NAME=mine|theirs` settles each",
            count(conflicts, "conflict", "conflicts")
        ),
    ))
}

/// Exit 1 when the push stopped early (the server, or Ctrl-C) or an operation failed, 5 when
/// only conflicts arose; the view is printed first, so the reason on stderr is the last word.
fn outcome(p: &SyncPushView) -> Result<(), Error> {
    let waiting = format!("{} still queued: `roster sync push` sends {}", count(p.not_sent, "change", "changes"), if p.not_sent == 1 { "it" } else { "them" });
    if let Some(why) = &p.stopped {
        return Err(Error::new(ErrorCode::Remote, format!("The push stopped: {why}; {waiting}")));
    }
    if p.cancelled {
        return Err(Error::new(ErrorCode::Cancelled, format!("Stopped: {waiting}")));
    }
    let conflicts = (p.conflicts > 0)
        .then(|| format!("{}: `roster sync conflicts` shows them, `roster sync resolve ID --keep mine|theirs` settles each", count(p.conflicts, "conflict", "conflicts")));
    if p.failed > 0 {
        let mut message = format!("{} failed, each with the server's message in the results; fix and `roster sync push` again", count(p.failed, "operation", "operations"));
        if let Some(c) = conflicts {
            message = format!("{message}; {c}");
        }
        return Err(Error::new(ErrorCode::Remote, message));
    }
    if let Some(c) = conflicts {
        return Err(Error::new(ErrorCode::Conflict, c));
    }
    Ok(())
}
