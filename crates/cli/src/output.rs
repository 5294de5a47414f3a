//! Printing: human text or one JSON document, and errors.

mod sync;

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use roster_workspace::{
    ActionView, AttributeView, AuditPageView, BulkActionView, BulkBatchView, BulkPlan, BulkResultView, BulkUndoView, Error, GroupView, MailOptionsView,
    MailPreviewView, MailSendView, MailSentToView, MailTemplateView, OnboardingView, OutboxMailView, OutboxView, Progress, RoleView, SessionView,
    UserGroupsView, UserPageView, UserView, Workspace,
};
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
}

impl Out {
    /// Prints `value` as JSON, or the line `text` makes of it.
    pub fn info<T: Serialize>(self, value: &T, text: impl FnOnce(&T) -> String) -> Result<(), Error> {
        if self.json {
            print_json(value);
        } else {
            println!("{}", text(value));
        }
        Ok(())
    }

    pub fn user(self, u: &UserView) -> Result<(), Error> {
        if self.json {
            print_json(u);
            return Ok(());
        }
        let dash = |s: &str| if s.is_empty() { "-".to_owned() } else { s.to_owned() };
        let rows: Vec<(&str, String)> = vec![
            ("Username", u.username.clone()),
            ("Email", u.email.clone()),
            ("First name", dash(&u.first_name)),
            ("Last name", dash(&u.last_name)),
            ("Phone", u.phone.clone().unwrap_or_else(|| "-".into())),
            ("Status", u.status.to_owned()),
            ("Onboarded", if u.onboarded { "yes".into() } else { "no (no password yet)".into() }),
            ("Invited", invited(u)),
            ("Password expires", u.password_expires_at.clone().unwrap_or_else(|| "-".into())),
            ("Second factor", u.second_factor.to_owned()),
            ("MFA enrolled", if u.mfa_enrolled { "yes".into() } else { "no".into() }),
            ("Device limit", u.device_limit.map_or_else(|| "workspace default".into(), |d| d.to_string())),
            ("Groups", dash(&u.groups.join(", "))),
            ("Roles", dash(&u.roles.join(", "))),
            ("Created", u.created_at.clone()),
            ("Updated", format!("{} (version {})", u.updated_at, u.version)),
            ("Id", u.id.clone()),
        ];
        let mut out = std::io::stdout().lock();
        for (k, v) in rows {
            let _ = writeln!(out, "{k:<17} {v}");
        }
        for (k, v) in &u.attributes {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = writeln!(out, "{:<17} {text}", format!("{k}:"));
        }
        Ok(())
    }

    pub fn user_page(self, page: &UserPageView) -> Result<(), Error> {
        if self.json {
            print_json(page);
            return Ok(());
        }
        let header = ["", "USERNAME", "EMAIL", "NAME", "PHONE", "STATUS"];
        let rows: Vec<Vec<String>> = page
            .users
            .iter()
            .map(|u| {
                [
                    if u.onboarded { "●" } else { "○" }.to_owned(),
                    u.username.clone(),
                    u.email.clone(),
                    format!("{} {}", u.first_name, u.last_name).trim().to_owned(),
                    u.phone.clone().unwrap_or_default(),
                    u.status.to_owned(),
                ]
                .into()
            })
            .collect();
        table(&header, &rows);
        if rows.is_empty() {
            println!("(no users)");
        }
        eprintln!("● onboarded  ○ not onboarded (no password yet)");
        if let Some(next) = &page.next {
            eprintln!("More: add --after {next}");
        }
        Ok(())
    }

    /// What a per-user action did, and how to undo it.
    pub fn action(self, a: &ActionView) -> Result<(), Error> {
        if self.json {
            print_json(a);
            return Ok(());
        }
        println!("{}", a.message);
        if let Some(seq) = a.undo {
            eprintln!("Undo: roster user undo {seq}");
        }
        Ok(())
    }

    pub fn bulk(self, b: &BulkActionView) -> Result<(), Error> {
        self.info(b, |b| b.message.clone())
    }

    pub fn user_groups(self, v: &UserGroupsView) -> Result<(), Error> {
        if self.json {
            print_json(v);
            return Ok(());
        }
        println!("{} is a member of:", v.username);
        group_table(&v.member_of);
        println!("\nCan be assigned to:");
        group_table(&v.available);
        Ok(())
    }

    /// The plan of a bulk CSV file: counts per outcome, one line per problem, warnings.
    /// The plan: with --json the whole plan (rows rendered a page at a time, written as they
    /// come); else the counts, every error row's problems, and the warnings.
    pub fn bulk_plan(self, ws: &Workspace, plan: &BulkPlan) -> Result<(), Error> {
        let s = plan.summary();
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        if self.json {
            let _ = write!(out, "{{\"summary\":{},\"rows\":[", compact(&s.summary));
            let mut offset = 0;
            while offset < s.rows {
                let page = ws.bulk_plan_rows(plan, None, offset, 1000)?;
                for (k, r) in page.rows.iter().enumerate() {
                    let _ = write!(out, "{}{}", if offset + k == 0 { "" } else { "," }, compact(r));
                }
                offset += page.rows.len().max(1);
            }
            let _ = writeln!(out, "],\"warnings\":{},\"fileProblems\":{}}}", compact(&s.warnings), compact(&s.file_problems));
            return Ok(());
        }
        drop(out);
        self.bulk_plan_counts(plan);
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let mut offset = 0;
        while offset < s.summary.error as usize {
            let page = ws.bulk_plan_rows(plan, Some("error"), offset, 1000)?;
            for r in &page.rows {
                for p in &r.problems {
                    if p.column.is_empty() {
                        let _ = writeln!(out, "row {}: {}", r.row, p.message);
                    } else {
                        let _ = writeln!(out, "row {}, {}: {}", r.row, p.column, p.message);
                    }
                }
            }
            offset += page.rows.len().max(1);
        }
        for w in &s.warnings {
            let _ = writeln!(out, "warning: {}", w.message);
        }
        Ok(())
    }

    /// "3 to create, 1 to update, …" (not with --json, where the result says it all).
    pub fn bulk_plan_counts(self, plan: &BulkPlan) {
        let s = plan.summary();
        if self.json || !s.file_problems.is_empty() {
            return;
        }
        let c = &s.summary;
        println!(
            "{}: {} to create, {} to update, {} to delete, {} unchanged, {}",
            s.file_name,
            c.create,
            c.update,
            c.delete,
            c.unchanged,
            count(c.error, "row with errors", "rows with errors")
        );
    }

    /// A line for people (stderr with --json, so stdout stays one JSON document).
    pub fn note(self, text: &str) {
        if self.json {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    }

    pub fn bulk_applied(self, r: &BulkResultView) -> Result<(), Error> {
        self.info(r, |r| {
            let counts = format!(
                "{} created, {} updated, {} deleted, {} unchanged, {} failed",
                r.created, r.updated, r.deleted, r.unchanged, r.failed
            );
            let mut text = match &r.batch_id {
                Some(id) => format!("{counts}. Batch {id} (undo with: roster bulk undo {id})"),
                None => format!("{counts}. Nothing to change, so no batch."),
            };
            if r.alert.status != "not_configured" {
                text.push('\n');
                text.push_str(&r.alert.message);
            }
            text
        })
    }

    /// Mails queued, who was skipped and why, then what the send did.
    pub fn mail_sent_to(self, v: &MailSentToView) -> Result<(), Error> {
        if self.json {
            print_json(v);
            return Ok(());
        }
        let q = &v.queued;
        println!("Queued {}", count(q.queued, &format!("{} mail", q.kind), &format!("{} mails", q.kind)));
        for s in &q.skipped {
            println!("Skipped {}: {}", s.username, s.reason);
        }
        send_lines(&v.sent);
        Ok(())
    }

    pub fn mail_send(self, v: &MailSendView) -> Result<(), Error> {
        if self.json {
            print_json(v);
            return Ok(());
        }
        if v.sent + v.failed + v.queued + v.interrupted == 0 && v.stopped_by.is_none() {
            println!("Nothing to send: no mails are queued");
            return Ok(());
        }
        send_lines(v);
        Ok(())
    }

    /// The counts per state, then a table of the page; the next page's flag on stderr.
    pub fn outbox(self, o: &OutboxView) -> Result<(), Error> {
        if self.json {
            print_json(o);
        } else {
            println!("Outbox: {} queued, {} sending, {} sent, {} failed\n", o.queued, o.sending, o.sent, o.failed);
            let rows: Vec<Vec<String>> = o
                .mails
                .iter()
                .map(|m| {
                    vec![
                        m.id.to_string(),
                        if m.reminder { format!("{} (reminder)", m.kind) } else { m.kind.to_owned() },
                        m.username.clone().unwrap_or_else(|| "-".into()),
                        m.to.clone(),
                        m.state.clone(),
                        m.attempts.to_string(),
                        m.error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            if rows.is_empty() {
                println!("(no mails)");
            } else {
                table(&["ID", "KIND", "USER", "TO", "STATE", "ATTEMPTS", "ERROR"], &rows);
            }
        }
        if let Some(next) = o.next {
            eprintln!("More: --before {next}");
        }
        Ok(())
    }

    pub fn mail_options(self, o: &MailOptionsView) -> Result<(), Error> {
        if self.json {
            print_json(o);
            return Ok(());
        }
        let method = if o.reset_method == "portal_link" {
            format!("a link to the directory's reset page: {}", o.portal_url)
        } else {
            "a temporary password in the mail, to be changed at first sign-in (--portal-url sends a reset page link instead)".to_owned()
        };
        let or = |v: &str, default: &str| if v.is_empty() { format!("- ({default})") } else { v.to_owned() };
        println!("Reset method   {method}");
        println!("Organisation   {}", or(&o.organisation, "the sender's domain"));
        println!("Expires after  {}", count(o.expires_days.into(), "day", "days"));
        println!("Bulk results   {}", or(&o.alert_to, "to the sender address"));
        let on_create = if o.auto_send_on_create { "sent when a user is created without a password" } else { "not sent by itself (--auto-send-on-create true)" };
        println!("Activation     {on_create}");
        Ok(())
    }

    pub fn mail_templates(self, templates: &[MailTemplateView]) -> Result<(), Error> {
        if self.json {
            print_json(templates);
            return Ok(());
        }
        let rows: Vec<Vec<String>> =
            templates.iter().map(|t| vec![t.kind.to_owned(), if t.edited { "edited" } else { "default" }.to_owned(), t.subject.clone()]).collect();
        table(&["KIND", "TEMPLATE", "SUBJECT"], &rows);
        Ok(())
    }

    pub fn mail_template(self, t: &MailTemplateView) -> Result<(), Error> {
        if self.json {
            print_json(t);
            return Ok(());
        }
        println!("{} ({})", t.kind, if t.edited { "edited" } else { "Roster's default" });
        println!("Placeholders: {}", t.placeholders.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(", "));
        println!("Subject: {}", t.subject);
        print_parts(&t.text, &t.html);
        Ok(())
    }

    pub fn mail_preview(self, p: &MailPreviewView) -> Result<(), Error> {
        if self.json {
            print_json(p);
            return Ok(());
        }
        println!("To: {}", p.to);
        println!("Subject: {}", p.subject);
        print_parts(&p.text, &p.html);
        Ok(())
    }

    pub fn bulk_history(self, batches: &[BulkBatchView]) -> Result<(), Error> {
        if self.json {
            print_json(batches);
            return Ok(());
        }
        if batches.is_empty() {
            println!("No batches yet: `roster bulk apply FILE` applies one.");
            return Ok(());
        }
        let rows: Vec<Vec<String>> = batches
            .iter()
            .map(|b| {
                vec![
                    b.id.clone(),
                    b.applied_at.clone(),
                    b.actor.clone(),
                    b.file_name.clone(),
                    format!("{}/{}/{}", b.created, b.updated, b.deleted),
                    b.undone_at.as_ref().map_or_else(String::new, |at| format!("undone {at} by {}", b.undone_by.as_deref().unwrap_or(""))),
                ]
            })
            .collect();
        table(&["BATCH", "APPLIED", "BY", "FILE", "CREATED/UPDATED/DELETED", "UNDONE"], &rows);
        Ok(())
    }

    pub fn bulk_undone(self, u: &BulkUndoView) -> Result<(), Error> {
        self.info(u, |u| {
            format!("Undid batch {}: {} removed, {} reverted, {} re-created", u.batch_id, u.removed, u.reverted, u.restored)
        })
    }

    pub fn groups(self, groups: &[GroupView]) -> Result<(), Error> {
        if self.json {
            print_json(groups);
            return Ok(());
        }
        group_table(groups);
        Ok(())
    }

    /// A group and a page of its members: `{"group": …, "users": […], "next": CURSOR|null}`.
    pub fn group_page(self, group: &GroupView, page: &UserPageView) -> Result<(), Error> {
        if self.json {
            print_json(&serde_json::json!({ "group": group, "users": page.users, "next": page.next }));
            return Ok(());
        }
        let description = if group.description.is_empty() { String::new() } else { format!(": {}", group.description) };
        println!("{} ({}){description}\n", group.name, count(group.members, "member", "members"));
        self.user_page(page)
    }

    pub fn roles(self, roles: &[RoleView]) -> Result<(), Error> {
        if self.json {
            print_json(roles);
            return Ok(());
        }
        if roles.is_empty() {
            println!("No roles. Add one with: roster role add NAME");
            return Ok(());
        }
        let rows: Vec<Vec<String>> = roles.iter().map(|r| vec![r.name.clone(), r.users.to_string(), r.description.clone()]).collect();
        table(&["ROLE", "USERS", "DESCRIPTION"], &rows);
        Ok(())
    }

    pub fn sessions(self, sessions: &[SessionView]) -> Result<(), Error> {
        if self.json {
            print_json(sessions);
            return Ok(());
        }
        if sessions.is_empty() {
            println!("No active sessions");
            return Ok(());
        }
        let rows: Vec<Vec<String>> = sessions
            .iter()
            .map(|s| vec![s.id.clone(), s.device.clone(), s.ip.clone(), s.user_agent.clone(), s.started_at.clone(), s.last_seen_at.clone()])
            .collect();
        table(&["ID", "DEVICE", "IP", "USER AGENT", "STARTED", "LAST SEEN"], &rows);
        Ok(())
    }

    pub fn onboarding(self, s: &OnboardingView) -> Result<(), Error> {
        if self.json {
            print_json(s);
            return Ok(());
        }
        let days = count(s.remind_after_days.into(), "day", "days");
        println!("Users          {}", s.total);
        println!("Onboarded      {}", s.onboarded);
        println!("Not onboarded  {}", s.not_onboarded);
        println!("  invited      {}  (sent an activation mail; no password yet)", s.invited);
        println!("  reminder due {}  (invited, last mailed {days} ago or more)", s.reminder_due);
        println!("Disabled       {}", s.disabled);
        println!("\nNot onboarded, waiting for:");
        let max = s.waiting.iter().map(|b| b.count).max().unwrap_or(0).max(1);
        let label = s.waiting.iter().map(|b| b.bucket.chars().count()).max().unwrap_or(0);
        for b in &s.waiting {
            let bar = "█".repeat(((b.count * 30).div_ceil(max)) as usize);
            println!("  {:<label$}  {:>7}  {bar}", b.bucket, b.count);
        }
        if s.reminder_due > 0 {
            println!("\nRemind them: roster mail send activation --reminder-after-days {}", s.remind_after_days);
        }
        if s.not_onboarded > s.invited {
            println!("{}Invite the others: roster mail send activation --all-not-onboarded", if s.reminder_due > 0 { "" } else { "\n" });
        }
        Ok(())
    }

    pub fn audit(self, page: &AuditPageView) -> Result<(), Error> {
        if self.json {
            print_json(page);
        } else {
            if page.entries.is_empty() {
                println!("(no audit entries)");
            }
            for e in &page.entries {
                let at = e.at.get(..19).unwrap_or(&e.at).replace('T', " ");
                println!("#{:<6} {at}  {}  {}  {}", e.seq, e.actor, e.action, e.summary);
            }
        }
        if let Some(next) = page.next {
            eprintln!("More: --before {next}");
        }
        Ok(())
    }

    pub fn attributes(self, attrs: &[AttributeView]) -> Result<(), Error> {
        if self.json {
            print_json(&attrs);
            return Ok(());
        }
        if attrs.is_empty() {
            println!("No custom attributes. Define one with: roster attr define NAME --type string|number|boolean|date");
        }
        for a in attrs {
            println!("{:<24} {:<8}{}", a.name, a.kind, if a.required { " required" } else { "" });
        }
        Ok(())
    }
}

/// "2026-11-29T08:00:00Z", with the last reminder when there was one; "-" when not invited.
fn invited(u: &UserView) -> String {
    match (&u.invited_at, &u.last_invited_at) {
        (Some(first), Some(last)) if first != last => format!("{first} (last reminded {last})"),
        (Some(first), _) => first.clone(),
        (None, _) => "-".into(),
    }
}

/// The counts of a send, the mails that failed in it, and the mails a stopped run left in flight.
fn send_lines(v: &MailSendView) {
    let mut out = std::io::stdout().lock();
    if v.interrupted > 0 {
        let _ = writeln!(
            out,
            "{} left in flight by a run that stopped failed as interrupted: {} may have arrived. `roster mail outbox --state failed` lists them; `roster mail retry ID...` sends one again",
            count(v.interrupted, "mail", "mails"),
            if v.interrupted == 1 { "it" } else { "they" }
        );
    }
    for f in &v.failures {
        let _ = writeln!(out, "Failed #{} {} to {}: {}", f.id, f.kind, f.to, failure(f));
    }
    let _ = writeln!(out, "{} sent, {} failed, {} still queued{}", v.sent, v.failed, v.queued, if v.cancelled { " (stopped by Ctrl-C)" } else { "" });
}

fn failure(f: &OutboxMailView) -> &str {
    f.error.as_deref().or(f.error_code.as_deref()).unwrap_or("no reason given")
}

/// A template's or a preview's text and HTML parts.
fn print_parts(text: &str, html: &str) {
    println!("\n--- text ---\n{}", text.trim_end());
    if html.trim().is_empty() {
        println!("\n--- no HTML part ---");
    } else {
        println!("\n--- html ---\n{}", html.trim_end());
    }
}

fn group_table(groups: &[GroupView]) {
    if groups.is_empty() {
        println!("(no groups)");
        return;
    }
    let rows: Vec<Vec<String>> = groups.iter().map(|g| vec![g.name.clone(), g.members.to_string(), g.description.clone()]).collect();
    table(&["GROUP", "MEMBERS", "DESCRIPTION"], &rows);
}

/// Columns as wide as their widest cell, two spaces apart, a header line first.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) {
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).chain([header[i].chars().count()]).max().unwrap_or(0);
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        cells.zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ").trim_end().to_owned()
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", line(&mut header.iter().copied()));
    for r in rows {
        let _ = writeln!(out, "{}", line(&mut r.iter().map(String::as_str)));
    }
}

pub(crate) fn print_json<T: Serialize + ?Sized>(value: &T) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

/// Errors on stderr: one line per problem naming the field, or `{"error": …}` with --json.
pub fn print_error(e: &Error, json: bool) {
    let mut err = std::io::stderr().lock();
    if json {
        let _ = serde_json::to_writer(&mut err, &serde_json::json!({ "error": e }));
        let _ = writeln!(err);
        return;
    }
    if e.fields.is_empty() {
        let _ = writeln!(err, "error: {}", e.message);
    } else {
        for f in &e.fields {
            let _ = writeln!(err, "{}: {}", f.field, f.message);
        }
    }
}

/// A progress bar on stderr when it is a terminal; silent otherwise. Work it reports on
/// can be stopped with Ctrl-C ([`ProgressBar::cancel_on_ctrl_c`]).
pub struct ProgressBar {
    bar: Option<indicatif::ProgressBar>,
    /// Whether people read stderr (not --json): the Ctrl-C notice goes there.
    show: bool,
    cancelled: Option<Arc<AtomicBool>>,
}

impl ProgressBar {
    pub fn new(show: bool, message: &'static str) -> Self {
        let bar = (show && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(0);
            b.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")
                    .expect("the template is valid")
                    .progress_chars("=> "),
            );
            b.set_message(message);
            b
        });
        Self { bar, show, cancelled: None }
    }

    /// The first Ctrl-C asks the work to stop (it finishes what is under way, and what is
    /// not started stays as it was); a second one quits at once (exit 130).
    pub fn cancel_on_ctrl_c(mut self) -> Self {
        let flag = Arc::new(AtomicBool::new(false));
        let (seen, bar, show) = (flag.clone(), self.bar.clone(), self.show);
        let installed = ctrlc::set_handler(move || {
            if seen.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            let notice = "Stopping: what is under way finishes, the rest is left as it was (Ctrl-C again to quit at once)";
            match &bar {
                Some(b) => b.println(notice),
                None if show => eprintln!("{notice}"),
                None => {}
            }
        });
        if installed.is_ok() {
            self.cancelled = Some(flag);
        }
        self
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for ProgressBar {
    fn is_cancelled(&self) -> bool {
        self.cancelled.as_ref().is_some_and(|c| c.load(Ordering::SeqCst))
    }

    fn phase(&self, name: &str) {
        if let Some(b) = &self.bar {
            let mut label = name.to_owned();
            if let Some(first) = label.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            b.set_message(label);
            b.set_position(0);
        }
    }

    fn update(&self, done: u64, total: u64) {
        if let Some(b) = &self.bar {
            b.set_length(total);
            b.set_position(done);
        }
    }
}

/// "1 member", "3 members".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A value as compact JSON, inside a document written piece by piece.
fn compact<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("views always serialise")
}
