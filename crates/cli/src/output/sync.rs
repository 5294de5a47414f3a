//! Printing remotes and sync: profiles with their capabilities, status, pull, plan, push
//! results, conflicts, and the push history with each push's results. Never a token: the
//! views carry only whether the keyring holds one.

use std::io::Write;

use roster_workspace::{
    Error, RemoteView, SyncConflictView, SyncPlanView, SyncPullView, SyncPushResultsView, SyncPushSummaryView, SyncPushView, SyncStatusView,
};
use serde_json::Value;

use super::{count, print_json, table, Out};

impl Out {
    /// On stderr each time a remote without TLS verification is added or contacted, also with
    /// --json (then as `{"warning": {"code", "message"}}` on one line).
    pub fn warn_if_insecure(self, remote: Option<&RemoteView>) {
        let Some(r) = remote.filter(|r| r.insecure_skip_tls_verify) else { return };
        let message = format!(
            "TLS verification is off for the remote {}: anyone on the network path could read its token and change what it sends",
            r.name
        );
        if self.json {
            eprintln!("{}", serde_json::json!({ "warning": { "code": "tls_verification_off", "message": message } }));
        } else {
            eprintln!("warning: {message}");
        }
    }

    pub fn remote_added(self, r: &RemoteView) -> Result<(), Error> {
        self.warn_if_insecure(Some(r));
        self.info(r, |r| {
            let linked = if r.linked { "; linked: the workspace's changes now queue for it" } else { "" };
            format!("Added the remote {} ({}), {}{linked}. Check it: roster remote test {}{}", r.name, r.url, token(r), r.name, adopted(r))
        })
    }

    pub fn remotes(self, remotes: &[RemoteView]) -> Result<(), Error> {
        if self.json {
            print_json(remotes);
            return Ok(());
        }
        if remotes.is_empty() {
            println!("No remotes: the workspace is local only. Add one with: roster remote add NAME --url BASE_URL [--token-stdin]");
            return Ok(());
        }
        let rows: Vec<Vec<String>> = remotes
            .iter()
            .map(|r| {
                vec![
                    if r.linked { "*" } else { "" }.to_owned(),
                    r.name.clone(),
                    r.url.clone(),
                    tls(r).to_owned(),
                    if r.token_in_keyring { "in keyring" } else { "none" }.to_owned(),
                    or_dash(&r.last_pull),
                    or_dash(&r.last_push),
                ]
            })
            .collect();
        table(&["", "NAME", "URL", "TLS", "TOKEN", "LAST PULL", "LAST PUSH"], &rows);
        eprintln!("* linked: the workspace's changes queue for it");
        Ok(())
    }

    pub fn remote(self, r: &RemoteView) -> Result<(), Error> {
        if self.json {
            print_json(r);
            return Ok(());
        }
        let rows = [
            ("Name", r.name.clone()),
            ("URL", r.url.clone()),
            ("Linked", if r.linked { "yes (the workspace's changes queue for it)".into() } else { format!("no (roster remote link {})", r.name) }),
            ("TLS", tls(r).to_owned()),
            ("Token", token(r).to_owned()),
            ("Last pull", or_dash(&r.last_pull)),
            ("Last push", or_dash(&r.last_push)),
            ("Added", r.created_at.clone()),
            ("Capabilities", r.discovered_at.as_ref().map_or_else(|| format!("not read yet: roster remote test {}", r.name), |at| format!("as of {at}"))),
        ];
        let mut out = std::io::stdout().lock();
        for (k, v) in rows {
            let _ = writeln!(out, "{k:<18} {v}");
        }
        if let Some(c) = &r.capabilities {
            for (k, v) in capabilities(c) {
                let _ = writeln!(out, "  {k:<16} {v}");
            }
        }
        Ok(())
    }

    pub fn remote_tested(self, r: &RemoteView) -> Result<(), Error> {
        if !self.json {
            let token = if r.token_in_keyring { " and took the token" } else { " (no token sent)" };
            println!("Reached {} at {}: the server answered{token}.\n", r.name, r.url);
        }
        self.remote(r)
    }

    pub fn remote_linked(self, r: &RemoteView) -> Result<(), Error> {
        self.info(r, |r| format!("Linked the workspace to {}: its changes now queue for it (roster sync status){}", r.name, adopted(r)))
    }

    pub fn remote_removed(self, r: &RemoteView) -> Result<(), Error> {
        self.info(r, |r| {
            let local = if r.linked { "; the workspace is local only now, and what was queued for it is forgotten" } else { "" };
            format!("Removed the remote {} and its token{local}", r.name)
        })
    }

    pub fn sync_status(self, s: &SyncStatusView) -> Result<(), Error> {
        if self.json {
            print_json(s);
            return Ok(());
        }
        let Some(remote) = &s.remote else {
            println!("Local only: not linked to a remote (roster remote add NAME --url BASE_URL)");
            return Ok(());
        };
        println!("Remote     {remote}");
        println!("Pending    {}", count(s.pending, "change", "changes"));
        println!("Conflicts  {}", s.conflicts);
        println!("Last pull  {}", or_dash(&s.last_pull));
        println!("Last push  {}", or_dash(&s.last_push));
        if !s.local_only_fields.is_empty() {
            println!("Local only {} (this remote has no Roster extension)", s.local_only_fields.join(", "));
        }
        if s.conflicts > 0 {
            eprintln!("Conflicts: roster sync conflicts, then roster sync resolve ID --keep mine|theirs");
        }
        Ok(())
    }

    pub fn sync_pulled(self, p: &SyncPullView) -> Result<(), Error> {
        if self.json {
            print_json(p);
        } else {
            let mut out = std::io::stdout().lock();
            let counts = |c: &roster_workspace::SyncCountsView| {
                format!("{} new, {} updated, {} unchanged, {} removed, {}", c.created, c.updated, c.unchanged, c.deleted, count(c.conflicts, "conflict", "conflicts"))
            };
            let _ = writeln!(out, "Pulled from {}: users {}; groups {}", p.remote, counts(&p.users), counts(&p.groups));
            for problem in &p.problems {
                let _ = writeln!(out, "Not taken: {} {}, {}: {}", problem.entity, problem.name, problem.field, problem.message);
            }
            local_only(&mut out, &p.local_only_fields);
        }
        // Conflicts: the command exits 5 with what to do next.
        Ok(())
    }

    pub fn sync_plan(self, p: &SyncPlanView) -> Result<(), Error> {
        if self.json {
            print_json(p);
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "A push to {} would send {} to create, {} to update, {} to delete ({} pending{})",
            p.remote,
            p.creates,
            p.patches,
            p.deletes,
            count(p.pending, "change", "changes"),
            if p.nothing_to_send > 0 { format!(", {} with nothing to send", p.nothing_to_send) } else { String::new() }
        );
        if p.held > 0 {
            let _ = writeln!(out, "{} until a conflict is resolved (roster sync conflicts)", count(p.held, "change waits", "changes wait"));
        }
        drop(out);
        if !p.operations.is_empty() {
            println!();
            let rows: Vec<Vec<String>> = p
                .operations
                .iter()
                .map(|o| vec![o.operation.clone(), o.entity.clone(), o.name.clone(), o.fields.join(", "), if o.password { "yes" } else { "" }.to_owned()])
                .collect();
            table(&["OPERATION", "ENTITY", "NAME", "FIELDS", "PASSWORD"], &rows);
        }
        local_only(&mut std::io::stdout().lock(), &p.local_only_fields);
        Ok(())
    }

    /// Each operation that did not go through, with the server's message, then the counts.
    pub fn sync_pushed(self, p: &SyncPushView) -> Result<(), Error> {
        if self.json {
            print_json(p);
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        for r in p.results.iter().filter(|r| r.result == "failed" || r.result == "conflict") {
            let status = r.status.map_or_else(String::new, |s| format!(" ({s})"));
            let what = if r.result == "conflict" { "Conflict" } else { "Failed" };
            let message = if r.message.is_empty() { "no reason given" } else { &r.message };
            let _ = writeln!(out, "{what}: {} {} {}{status}: {message}", r.method, r.entity, r.name);
        }
        if p.held > 0 {
            let _ = writeln!(out, "Held: {} until a conflict is resolved (roster sync conflicts)", count(p.held, "change waits", "changes wait"));
        }
        if p.results.is_empty() && p.stopped.is_none() {
            if p.held == 0 {
                let _ = writeln!(out, "Nothing to push: no pending changes");
            }
            return Ok(());
        }
        let how = if p.used_bulk { "Bulk request" } else { "request" };
        let _ = writeln!(
            out,
            "Pushed to {}: {} done, {} failed, {}, {} not sent ({}). Results kept as push {}",
            p.remote,
            p.done,
            p.failed,
            count(p.conflicts, "conflict", "conflicts"),
            p.not_sent,
            count(p.requests, how, &format!("{how}s")),
            p.push
        );
        Ok(())
    }

    pub fn sync_conflicts(self, conflicts: &[SyncConflictView]) -> Result<(), Error> {
        if self.json {
            print_json(conflicts);
            return Ok(());
        }
        if conflicts.is_empty() {
            println!("No conflicts");
            return Ok(());
        }
        for (i, c) in conflicts.iter().enumerate() {
            let deleted = if c.deleted_on_remote { ", deleted on the remote" } else { "" };
            println!("{}Conflict {}: {} {} (found {}{deleted})", if i == 0 { "" } else { "\n" }, c.id, c.entity, c.name, c.found_at);
            let theirs = |f: &roster_workspace::SyncFieldView| if c.deleted_on_remote { "(deleted)".to_owned() } else { value(&f.theirs) };
            let rows: Vec<Vec<String>> = c
                .fields
                .iter()
                .map(|f| vec![f.field.clone(), value(&f.mine), theirs(f), value(&f.base), if f.conflicting { "yes" } else { "" }.to_owned()])
                .collect();
            table(&["FIELD", "MINE", "THEIRS", "BASE", "BOTH CHANGED"], &rows);
        }
        eprintln!("Resolve each: roster sync resolve ID --keep mine|theirs, or per field with --field NAME=mine|theirs (every field both sides changed)");
        eprintln!("Deleted on the remote: --keep mine creates it again with the next push, --keep theirs deletes it here");
        Ok(())
    }

    pub fn sync_resolved(self, c: &SyncConflictView) -> Result<(), Error> {
        self.info(c, |c| {
            let side = c.resolution.as_deref().unwrap_or("");
            let next = match (side, c.deleted_on_remote) {
                ("mine", true) => ": it is created again on the remote with the next push (roster sync push)",
                ("theirs", true) => ": deleted here too",
                ("mine", false) => ": your version goes with the next push (roster sync push)",
                ("theirs", false) => ": the remote's version is in the workspace",
                _ => ": the fields kept theirs are in the workspace, the ones kept mine go with the next push (roster sync push)",
            };
            let side = if side == "fields" { "a side per field".to_owned() } else { side.to_owned() };
            format!("Resolved conflict {} ({} {}) keeping {side}{next}", c.id, c.entity, c.name)
        })
    }

    /// `roster sync pushes`: the kept pushes, newest first.
    pub fn sync_pushes(self, pushes: &[SyncPushSummaryView], limit: usize, before: Option<i64>) -> Result<(), Error> {
        if self.json {
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

    /// `roster sync results`: one push and its operations.
    pub fn sync_push_results(self, v: &SyncPushResultsView) -> Result<(), Error> {
        if self.json {
            print_json(v);
            return Ok(());
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
            return Ok(());
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
        Ok(())
    }
}

/// When a push finished, or that it never did.
fn finished(p: &SyncPushSummaryView) -> String {
    p.finished_at.clone().unwrap_or_else(|| "interrupted".into())
}

fn tls(r: &RemoteView) -> &'static str {
    if r.insecure_skip_tls_verify {
        "NOT VERIFIED"
    } else {
        "verified"
    }
}

fn token(r: &RemoteView) -> &'static str {
    if r.token_in_keyring {
        "token in the OS keyring"
    } else {
        "no token"
    }
}

/// What a link queued of what existed before it, and why to pull before the first push.
fn adopted(r: &RemoteView) -> String {
    match r.adopted {
        Some(n) if n > 0 => format!(
            "\nQueued {} that existed before the link. Run `roster sync pull` before `roster sync push`: users and groups already on {} are then matched (by externalId, then userName or group name) instead of created twice",
            count(n, "user or group", "users and groups"),
            r.name
        ),
        _ => String::new(),
    }
}

fn or_dash(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".into())
}

/// A field's value in a conflict: strings as they are, others as JSON, absent as "-".
fn value(v: &Option<Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn local_only(out: &mut impl Write, fields: &[String]) {
    if !fields.is_empty() {
        let _ = writeln!(out, "Local only for this remote (it has no Roster extension): {}", fields.join(", "));
    }
}

/// The capabilities a discovery kept (SCIM's own JSON, as roster-scim writes it), one line each.
fn capabilities(c: &Value) -> Vec<(&'static str, String)> {
    let yes = |v: &Value| if v.as_bool() == Some(true) { "yes" } else { "no" };
    let number = |v: &Value| v.as_u64().map_or_else(|| "?".to_owned(), |n| n.to_string());
    let bulk = match &c["bulk"] {
        Value::Null => "no (one request per change)".to_owned(),
        b => format!("yes, maxOperations {}, maxPayloadSize {} bytes", number(&b["maxOperations"]), number(&b["maxPayloadSize"])),
    };
    let filter = match (yes(&c["filter"]), c["maxResults"].as_u64()) {
        ("yes", Some(n)) => format!("yes, maxResults {n}"),
        (f, _) => f.to_owned(),
    };
    let roster = if yes(&c["rosterExtension"]) == "yes" { "yes".to_owned() } else { "no (Roster's own fields stay local only for this remote)".to_owned() };
    vec![
        ("Bulk", bulk),
        ("Patch", yes(&c["patch"]).to_owned()),
        ("Filter", filter),
        ("ETag", yes(&c["etag"]).to_owned()),
        ("Change password", yes(&c["changePassword"]).to_owned()),
        ("Enterprise ext.", yes(&c["enterpriseExtension"]).to_owned()),
        ("Roster extension", roster),
    ]
}
