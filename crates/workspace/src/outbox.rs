//! The mails users and the admin get, through a durable outbox: queue (activation, password
//! reset, welcome, bulk result), send what is queued (several at once over reused
//! connections, with progress and cancel), list, retry; the templates and how a user gets to
//! a password (the directory's reset page, or a one-time temporary password).
//!
//! A mail is `queued`, then `sending` while the server has it, then `sent` or `failed`. A
//! run that is killed leaves its few mails in flight in `sending`: the next run fails them
//! as `interrupted` (they may have been delivered) instead of sending them twice; the admin
//! retries them if they did not arrive. When the server cannot be reached the mails stay
//! queued, the reason kept, and go out with the next send or retry.

use std::sync::Mutex;

use rayon::prelude::*;
use roster_core::mail::{render, temporary_password, MailKind, MailTemplate, MailValues, PortalUrl, RenderedMail};
use roster_core::{AuditEntity, Email, FieldCode, FieldError, FieldErrors, Password, PasswordHash, Salt, Secret, Timestamp, User};
use roster_mail::{Attachment, MailError, OutgoingMail};
use roster_store::{AuditRecord, NewMail, OutboxRow, StoredTemplate, Writer};
use serde::{Deserialize, Serialize};
use time::Duration;

use crate::progress::Progress;
use crate::views::rfc3339;
use crate::{Error, ErrorCode, FieldProblem, Workspace};

const PORTAL_URL: &str = "mail.portal_url";
const ORGANISATION: &str = "mail.organisation";
const EXPIRES_DAYS: &str = "mail.expires_days";
const ALERT_TO: &str = "mail.alert_to";
/// Mails sent at once (each on its own connection), unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// An error code of a mail left `sending` by a run that stopped.
pub const INTERRUPTED: &str = "interrupted";

/// Which mails to queue.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MailQueueInput {
    /// `activation`, `password_reset` (or `reset`), `welcome`.
    pub kind: String,
    pub usernames: Vec<String>,
    /// Activation: every active user without a password who was never invited.
    pub all_not_onboarded: bool,
    /// Activation: a reminder to invited users last mailed at least this many days ago.
    pub reminder_after_days: Option<u32>,
}

/// What was queued, and who was left out and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailQueuedView {
    pub kind: &'static str,
    pub queued: u64,
    pub skipped: Vec<MailSkipView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailSkipView {
    pub username: String,
    /// `onboarded`, `disabled`, `already_queued`.
    pub code: &'static str,
    pub reason: String,
}

/// Mails queued, then the outbox sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailSentToView {
    pub queued: MailQueuedView,
    pub sent: MailSendView,
}

/// What a send did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailSendView {
    pub sent: u64,
    pub failed: u64,
    /// Still queued afterwards (cancelled, or the server could not be reached).
    pub queued: u64,
    pub cancelled: bool,
    /// Mails a stopped run had left in flight, failed as `interrupted` before this one began.
    pub interrupted: u64,
    /// Why sending stopped early: the server could not be reached or refused the login.
    pub stopped_by: Option<FieldProblem>,
    /// The mails that failed in this run (at most 100).
    pub failures: Vec<OutboxMailView>,
}

/// One mail of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMailView {
    pub id: i64,
    pub kind: &'static str,
    pub username: Option<String>,
    pub to: String,
    pub subject: String,
    pub reminder: bool,
    /// `queued`, `sending`, `sent` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub queued_at: String,
    pub updated_at: String,
    pub sent_at: Option<String>,
}

/// A page of the outbox, newest first, with the count in every state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxView {
    pub queued: u64,
    pub sending: u64,
    pub sent: u64,
    pub failed: u64,
    pub mails: Vec<OutboxMailView>,
    /// Pass as `before` for the next page.
    pub next: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OutboxQuery {
    pub state: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<usize>,
}

/// A template as the admin types it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MailTemplateInput {
    pub kind: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailTemplateView {
    pub kind: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Whether the admin changed it (false: Roster's default).
    pub edited: bool,
    pub placeholders: Vec<&'static str>,
}

/// A template filled in, as the recipient would see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailPreviewView {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// How users get to a password, and what the mails say about the organisation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MailOptionsInput {
    /// The directory's reset page (`{username}`, `{email}`); empty: temporary passwords.
    pub portal_url: Option<String>,
    pub organisation: Option<String>,
    /// How many days a link or temporary password is said to be valid.
    pub expires_days: Option<u32>,
    /// Where bulk results go; empty: the sender address.
    pub alert_to: Option<String>,
    /// Send the activation mail when a user is created without a password (form, CLI, bulk).
    pub auto_send_on_create: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailOptionsView {
    /// `portal_link` or `temporary_password`.
    pub reset_method: &'static str,
    pub portal_url: String,
    pub organisation: String,
    pub expires_days: u32,
    pub alert_to: String,
    pub auto_send_on_create: bool,
}

/// The options as the services use them.
struct Options {
    portal: Option<PortalUrl>,
    organisation: String,
    expires_days: u32,
    alert_to: String,
}

/// A claimed mail, ready to go.
struct Ready {
    seq: i64,
    mail: OutgoingMail,
    subject: String,
    /// For a user's mail: the user, and the hash of the temporary password it carries.
    user: Option<(User, Option<PasswordHash>)>,
    /// That temporary password, kept (sealed) for a push when the workspace is linked.
    temporary: Option<Secret<String>>,
    kind: MailKind,
}

impl Workspace {
    /// Queues `kind` for the users named (or, for activation, every user still to invite, or
    /// a reminder to those invited long ago). Unknown usernames are `not_found` and nothing
    /// is queued; users the mail does not fit are skipped with the reason.
    pub fn mail_queue(&mut self, input: MailQueueInput) -> Result<MailQueuedView, Error> {
        let kind = parse_kind(&input.kind)?;
        if kind == MailKind::BulkResult {
            return Err(Error::from_fields(FieldError::new("kind", FieldCode::InvalidValue, "The bulk result mail is sent by bulk apply").into()));
        }
        let now = self.clock.now();
        let r = self.store.reader();
        let mut users: Vec<User> = Vec::new();
        let mut missing = Vec::new();
        for name in input.usernames.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            match r.user_by_username(name)? {
                Some(u) => users.push(u),
                None => missing.push(name.to_owned()),
            }
        }
        if !missing.is_empty() {
            let message = format!("No user with username {}", missing.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(", "));
            let mut e = Error::new(ErrorCode::NotFound, message.clone());
            e.fields.push(FieldProblem { field: "usernames".into(), code: "not_found".into(), message });
            return Err(e);
        }
        let bulk_selection = kind == MailKind::Activation && (input.all_not_onboarded || input.reminder_after_days.is_some());
        if bulk_selection {
            let before = input.reminder_after_days.map(|d| crate::onboarding::remind_after(d, "reminderAfterDays").map(|after| now - after)).transpose()?;
            let mut ids = Vec::new();
            if input.all_not_onboarded {
                ids.extend(r.users_to_invite(None)?);
            }
            if let Some(before) = before {
                ids.extend(r.users_to_invite(Some(before))?);
            }
            for id in ids {
                if let Some(u) = r.user_by_id(&id)? {
                    users.push(u);
                }
            }
        } else if users.is_empty() {
            return Err(Error::from_fields(FieldError::new("usernames", FieldCode::Required, "Name at least one user").into()));
        }
        let mut queued = Vec::new();
        let mut skipped = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for u in users {
            if !seen.insert(u.id) {
                continue;
            }
            let skip = |code, reason: String| MailSkipView { username: u.username.to_string(), code, reason };
            if kind == MailKind::Activation && u.onboarded() {
                skipped.push(skip("onboarded", format!("{} has already set a password", u.username)));
            } else if u.status != roster_core::UserStatus::Active && kind != MailKind::Welcome {
                skipped.push(skip("disabled", format!("{} is disabled", u.username)));
            } else if let Some(state) = r.mail_waiting_for(&u.id, kind.as_str(), INTERRUPTED)? {
                skipped.push(match state.as_str() {
                    "failed" => skip(
                        INTERRUPTED,
                        format!("The last {} mail to {} was interrupted and may have arrived: retry it (roster mail retry) if it did not", label(kind), u.username),
                    ),
                    _ => skip("already_queued", format!("A {} mail to {} is already waiting in the outbox", label(kind), u.username)),
                });
            } else {
                queued.push(u);
            }
        }
        let reminders = r.invitations_of(&queued.iter().map(|u| u.id).collect::<Vec<_>>())?;
        let actor = self.actor.clone();
        let n = queued.len() as u64;
        self.store.write(|w| {
            for u in &queued {
                w.enqueue_mail(&NewMail {
                    kind: kind.as_str(),
                    user_id: Some(&u.id),
                    recipient: u.email.as_str(),
                    subject: "",
                    text: None,
                    html: None,
                    attachment: None,
                    reminder: kind == MailKind::Activation && reminders.contains_key(&u.id),
                    at: now,
                })?;
            }
            if n > 0 {
                let summary = format!("Queued {} {} mail{}", n, label(kind), if n == 1 { "" } else { "s" });
                let subject = if n == 1 { queued[0].username.to_string() } else { String::new() };
                audit_mail(w, now, &actor, &subject, "mail_queue", &summary)?;
            }
            Ok::<_, Error>(())
        })?;
        Ok(MailQueuedView { kind: kind.as_str(), queued: n, skipped })
    }

    /// Queues `input`'s mails, then sends everything queued (what this queued, and what an
    /// earlier run left queued).
    pub fn mail_send_to(&mut self, input: MailQueueInput, concurrency: usize, progress: &dyn Progress) -> Result<MailSentToView, Error> {
        self.postman()?;
        let queued = self.mail_queue(input)?;
        let sent = self.mail_send(concurrency, progress)?;
        Ok(MailSentToView { queued, sent })
    }

    /// Queues one user's mail and sends it now (the per-user actions); `remote` when the
    /// server cannot take it (it then waits in the outbox), `conflict` when it does not fit.
    pub(crate) fn send_one(&mut self, kind: MailKind, username: &str) -> Result<String, Error> {
        let first = self.store.reader().last_mail_seq()? + 1;
        let queued = self.mail_queue(MailQueueInput { kind: kind.as_str().into(), usernames: vec![username.to_owned()], ..MailQueueInput::default() })?;
        if let Some(skip) = queued.skipped.first() {
            return Err(Error::new(ErrorCode::Conflict, skip.reason.clone()));
        }
        let sent = self.send_queued(1, first..=i64::MAX, &crate::Silent)?;
        let row = self.store.reader().outbox_rows(&[first])?.into_iter().next();
        match row {
            Some(r) if r.state == "sent" => Ok(format!("Sent the {} mail to {}", label(kind), r.recipient)),
            Some(r) => {
                let why = r.error.or(sent.stopped_by.map(|p| p.message)).unwrap_or_default();
                let waits = if r.state == "queued" { "; it waits in the outbox and goes with the next send or retry" } else { "" };
                Err(Error::new(ErrorCode::Remote, format!("The {} mail to {} was not sent: {why}{waits}", label(kind), r.recipient)))
            }
            None => Err(Error::new(ErrorCode::Internal, "The queued mail is missing from the outbox")),
        }
    }

    /// The lock one sending run holds (`<workspace>.mail-lock` beside the workspace file);
    /// `conflict` while another process holds it.
    fn sender_lock(&self) -> Result<std::fs::File, Error> {
        self.run_lock(
            "mail",
            "Another Roster (a window or the CLI) is sending this workspace's mail: the mails stay queued; send again when it has finished",
        )
    }

    /// Whether a mail server is set up.
    pub(crate) fn mail_configured(&self) -> Result<bool, Error> {
        Ok(self.store.reader().setting("mail.host")?.is_some_and(|h| !h.is_empty()))
    }

    /// Sends the activation mail queued by [`Workspace::queue_activation`] right away, if
    /// mail is set up; when it cannot go now it stays queued, its reason in the outbox.
    pub(crate) fn send_activation_now(&mut self, seq: i64) {
        if self.mail_configured().unwrap_or(false) {
            let _ = self.send_queued(1, seq..=seq, &crate::Silent);
        }
    }

    /// Queues the activation mail of a user just created without a password, in the
    /// creating transaction, when "send reset mail on create" is on. The mail's seq.
    pub(crate) fn queue_activation(w: &Writer<'_>, user: &User, at: Timestamp) -> Result<i64, Error> {
        Ok(w.enqueue_mail(&NewMail {
            kind: MailKind::Activation.as_str(),
            user_id: Some(&user.id),
            recipient: user.email.as_str(),
            subject: "",
            text: None,
            html: None,
            attachment: None,
            reminder: false,
            at,
        })?)
    }

    /// Sends every queued mail, `concurrency` at once (1 to 8). Mails a stopped run left in
    /// flight are failed as `interrupted` first. Cancelling stops before the next mail; the
    /// rest stay queued. `not_configured` when mail is not set up (nothing changes).
    pub fn mail_send(&mut self, concurrency: usize, progress: &dyn Progress) -> Result<MailSendView, Error> {
        self.send_queued(concurrency, 0..=i64::MAX, progress)
    }

    /// Sends the queued mails with seqs in `seqs` (see [`Workspace::mail_send`]).
    pub(crate) fn send_queued(&mut self, concurrency: usize, seqs: std::ops::RangeInclusive<i64>, progress: &dyn Progress) -> Result<MailSendView, Error> {
        let postman = self.postman()?;
        // One sender per workspace at a time (window and CLI alike): while this lock is held no
        // other run has mails in flight, so rows left in `sending` are a stopped run's. The OS
        // releases it when the process ends, however it ends.
        let _sender = self.sender_lock()?;
        let now = self.clock.now();
        let interrupted = self.store.write(|w| {
            w.interrupt_mails(
                INTERRUPTED,
                "Roster stopped while this mail was being sent: it may have been delivered, so it was not sent again. Retry it if it did not arrive.",
                now,
            )
        })? as u64;
        let options = self.mail_options_in_use()?;
        // Temporary passwords of a linked workspace are kept, sealed, for the next push; without
        // a keyring for the key nothing is sent (a password is never kept in plain text).
        let mut sealer = if options.portal.is_none() { self.password_sealer()? } else { None };
        let templates = self.templates()?;
        let settings = self.store.reader().settings()?;
        let total = self.store.reader().queued_between(seqs.clone())?;
        progress.phase("sending mails");
        progress.update(0, total);
        let concurrency = concurrency.clamp(1, roster_mail::Postman::MAX_CONNECTIONS);
        // Claimed mails a killed run never tried are failed as interrupted with the rest, so a
        // chunk is kept small: twice the mails in flight.
        let chunk = concurrency * 2;
        let mut view = MailSendView { sent: 0, failed: 0, queued: 0, cancelled: false, interrupted, stopped_by: None, failures: Vec::new() };
        let mut done = 0u64;
        loop {
            if progress.is_cancelled() {
                view.cancelled = true;
                break;
            }
            let now = self.clock.now();
            let claimed = self.store.write(|w| w.claim_mails(chunk, seqs.clone(), now))?;
            if claimed.is_empty() {
                break;
            }
            let (ready, unready) = self.prepare(claimed, &options, &templates, &settings, now);
            let results: Mutex<Vec<Option<Result<(), MailError>>>> = Mutex::new(vec![None; ready.len()]);
            let tally = postman.send_many(
                ready.iter().map(|r| &r.mail),
                concurrency,
                |i, result| {
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                },
                || progress.is_cancelled(),
            );
            let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
            let now = self.clock.now();
            let actor = self.actor.clone();
            let stopped = tally.stopped_by.as_ref().map(|e| (e.code().as_str(), e.message().to_owned()));
            let (sent, failed) = self.store.write(|w| {
                let (mut sent, mut failed) = (0u64, Vec::new());
                for (seq, code, message) in &unready {
                    w.mail_failed(*seq, code, message, now)?;
                    failed.push(*seq);
                }
                let mut untried = Vec::new();
                for (r, result) in ready.iter().zip(&results) {
                    match result {
                        None => untried.push(r.seq),
                        Some(Ok(())) => {
                            w.mail_sent(r.seq, &r.mail.to.join(", "), &r.subject, now)?;
                            if let Some((user, hash)) = &r.user {
                                record_sent(w, r.kind, user, hash.as_ref(), now, &actor)?;
                                if let (Some(sealer), Some(p)) = (sealer.as_mut(), &r.temporary) {
                                    sealer.keep(w, &user.id, p)?;
                                }
                            }
                            sent += 1;
                        }
                        Some(Err(e)) if e.code().is_server_wide() => {
                            // The server, not the mail: it stays queued, the reason kept.
                            w.mail_deferred(r.seq, e.code().as_str(), e.message(), now)?;
                        }
                        Some(Err(e)) => {
                            w.mail_failed(r.seq, e.code().as_str(), e.message(), now)?;
                            failed.push(r.seq);
                        }
                    }
                }
                w.release_mails(&untried, now)?;
                Ok::<_, Error>((sent, failed))
            })?;
            view.sent += sent;
            view.failed += failed.len() as u64;
            if view.failures.len() < 100 {
                let keep: Vec<i64> = failed.into_iter().take(100 - view.failures.len()).collect();
                let rows = self.store.reader().outbox_rows(&keep)?;
                view.failures.extend(self.outbox_views(rows)?);
            }
            done += sent + (unready.len() as u64) + tally.failed as u64;
            progress.update(done.min(total), total);
            if let Some((code, message)) = stopped {
                // Every mail still waiting gives the reason, not only the ones tried.
                let now = self.clock.now();
                self.store.write(|w| w.note_queued(seqs.clone(), code, &message, now))?;
                view.stopped_by = Some(FieldProblem { field: "mail".into(), code: code.to_owned(), message });
                break;
            }
            if tally.cancelled {
                view.cancelled = true;
                break;
            }
        }
        view.queued = self.store.reader().outbox_counts()?.queued;
        Ok(view)
    }

    /// Failed mails (all, or these) go back to the queue; then sends the queue.
    pub fn mail_retry(&mut self, ids: Option<Vec<i64>>, concurrency: usize, progress: &dyn Progress) -> Result<MailSendView, Error> {
        // Check the set-up first, so a retry without mail leaves the failed ones as they are.
        self.postman()?;
        let now = self.clock.now();
        self.store.write(|w| w.requeue_mails(ids.as_deref(), now))?;
        self.mail_send(concurrency, progress)
    }

    /// A page of the outbox, newest first.
    pub fn mail_outbox(&self, q: &OutboxQuery) -> Result<OutboxView, Error> {
        let state = q.state.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(s) = state {
            if !matches!(s, "queued" | "sending" | "sent" | "failed") {
                return Err(Error::from_fields(FieldError::new("state", FieldCode::InvalidValue, "State must be queued, sending, sent or failed").into()));
            }
        }
        let limit = q.limit.unwrap_or(50).clamp(1, 1000);
        let r = self.store.reader();
        let c = r.outbox_counts()?;
        let mut rows = r.outbox_page(state, q.before, limit + 1)?;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| r.seq)
        } else {
            None
        };
        Ok(OutboxView { queued: c.queued, sending: c.sending, sent: c.sent, failed: c.failed, mails: self.outbox_views(rows)?, next })
    }

    /// Every template, edited or Roster's default.
    pub fn mail_templates(&self) -> Result<Vec<MailTemplateView>, Error> {
        let r = self.store.reader();
        MailKind::ALL.into_iter().map(|k| Ok(template_view(k, r.mail_template(k.as_str())?))).collect()
    }

    pub fn mail_template_save(&mut self, input: MailTemplateInput) -> Result<MailTemplateView, Error> {
        let kind = parse_kind(&input.kind)?;
        let t = MailTemplate::parse(kind, &input.subject, &input.text, &input.html).map_err(Error::from_fields)?;
        let now = self.clock.now();
        let actor = self.actor.clone();
        self.store.write(|w| {
            w.save_mail_template(kind.as_str(), &t.subject, &t.text, &t.html, now)?;
            audit_mail(w, now, &actor, kind.as_str(), "mail_template", &format!("Edited the {} mail template", label(kind)))
        })?;
        Ok(template_view(kind, self.store.reader().mail_template(kind.as_str())?))
    }

    /// Back to Roster's default template.
    pub fn mail_template_reset(&mut self, kind: &str) -> Result<MailTemplateView, Error> {
        let kind = parse_kind(kind)?;
        let now = self.clock.now();
        let actor = self.actor.clone();
        self.store.write(|w| {
            if w.delete_mail_template(kind.as_str())? {
                audit_mail(w, now, &actor, kind.as_str(), "mail_template", &format!("Reset the {} mail template to Roster's default", label(kind)))?;
            }
            Ok::<_, Error>(())
        })?;
        Ok(template_view(kind, None))
    }

    /// `input` filled in for `username` (or a sample user), as it would be sent now; a
    /// template that does not parse gives its field errors. Nothing is stored or sent.
    pub fn mail_preview(&self, input: MailTemplateInput, username: Option<&str>) -> Result<MailPreviewView, Error> {
        let kind = parse_kind(&input.kind)?;
        let t = MailTemplate::parse(kind, &input.subject, &input.text, &input.html).map_err(Error::from_fields)?;
        let options = self.mail_options_in_use()?;
        let now = self.clock.now();
        let user = match username.map(str::trim).filter(|u| !u.is_empty()) {
            Some(name) => Some(self.store.reader().user_by_username(name)?.ok_or_else(|| Error::new(ErrorCode::NotFound, format!("No user named {name}")))?),
            None => None,
        };
        let mut values = match &user {
            Some(u) => user_values(u, &options, now),
            None => MailValues {
                first_name: "Ann".into(),
                last_name: "Example".into(),
                username: "ann.example".into(),
                email: "ann@example.com".into(),
                organisation: options.organisation.clone(),
                expires: expiry(&options, now),
                ..MailValues::default()
            },
        };
        if matches!(kind, MailKind::Activation | MailKind::PasswordReset) {
            match &options.portal {
                Some(p) => values.link = Some(p.for_user(&values.username, &values.email)),
                None => values.temporary_password = Some(Secret::new("(a new temporary password)".to_owned())),
            }
        }
        if kind == MailKind::BulkResult {
            values.summary = "12 created, 3 updated, 0 deleted, 40 unchanged, 1 failed".into();
        }
        let m = render(&t, &values);
        let to = match kind {
            MailKind::BulkResult => options.alert_to.clone(),
            _ => values.email.clone(),
        };
        Ok(MailPreviewView { to, subject: m.subject, text: m.text, html: m.html })
    }

    pub fn mail_options(&self) -> Result<MailOptionsView, Error> {
        let o = self.mail_options_in_use()?;
        Ok(MailOptionsView {
            reset_method: if o.portal.is_some() { "portal_link" } else { "temporary_password" },
            portal_url: o.portal.map(|p| p.as_str().to_owned()).unwrap_or_default(),
            organisation: self.store.reader().setting(ORGANISATION)?.unwrap_or_default(),
            expires_days: o.expires_days,
            alert_to: self.store.reader().setting(ALERT_TO)?.unwrap_or_default(),
            auto_send_on_create: self.store.reader().settings()?.auto_send_reset_mail,
        })
    }

    /// Changes the options given (None keeps one; an empty text clears it).
    pub fn mail_options_set(&mut self, input: MailOptionsInput) -> Result<MailOptionsView, Error> {
        let mut errors = FieldErrors::new();
        let portal = input.portal_url.as_deref().map(str::trim).map(|p| if p.is_empty() { Ok(None) } else { PortalUrl::parse(p).map(Some) });
        let portal = portal.map(|p| errors.take(p)).unwrap_or(Some(None)).map(|p| p.map(|p| p.as_str().to_owned()));
        let alert = input.alert_to.as_deref().map(str::trim).map(|a| {
            if a.is_empty() {
                Ok(String::new())
            } else {
                Email::parse(a).map(|e| e.to_string()).map_err(|mut e| {
                    e.field = "alertTo".into();
                    e
                })
            }
        });
        let alert = alert.map(|a| errors.take(a));
        if input.expires_days.is_some_and(|d| !(1..=365).contains(&d)) {
            errors.push(FieldError::new("expiresDays", FieldCode::InvalidValue, "Expiry must be 1 to 365 days"));
        }
        if input.organisation.as_deref().is_some_and(|o| o.contains(['\r', '\n']) || o.chars().count() > 200) {
            errors.push(FieldError::new("organisation", FieldCode::InvalidValue, "The organisation name must be one line of at most 200 characters"));
        }
        if !errors.is_empty() {
            return Err(Error::from_fields(errors));
        }
        let now = self.clock.now();
        let actor = self.actor.clone();
        self.store.write(|w| {
            let set = |k: &str, v: &str| w.set_setting(k, Some(v).filter(|v| !v.is_empty()));
            if input.portal_url.is_some() {
                set(PORTAL_URL, portal.flatten().as_deref().unwrap_or(""))?;
            }
            if let Some(Some(a)) = &alert {
                set(ALERT_TO, a)?;
            }
            if let Some(o) = &input.organisation {
                set(ORGANISATION, o.trim())?;
            }
            if let Some(d) = input.expires_days {
                set(EXPIRES_DAYS, &d.to_string())?;
            }
            if let Some(on) = input.auto_send_on_create {
                set("auto_send_reset_mail", if on { "true" } else { "false" })?;
            }
            audit_mail(w, now, &actor, "mail", "mail_options", "Changed how mails reach users")
        })?;
        self.mail_options()
    }

    /// Mails the admin the result of an applied batch, the results file attached (without the
    /// Password column; only the failed rows when the whole file would be over 10 MB), and
    /// sends the outbox (activation mails the batch queued go too).
    /// `first_queued`: the first of the activation mails the batch queued, sent along.
    pub(crate) fn bulk_alert(
        &mut self,
        file_name: &str,
        summary: &str,
        results: impl Fn(bool) -> Vec<u8>,
        first_queued: Option<i64>,
        progress: &dyn Progress,
    ) -> Result<(String, String), Error> {
        if !self.mail_configured()? {
            return Ok(("not_configured".into(), "Mail is not set up, so no alert was sent about this batch".into()));
        }
        let options = self.mail_options_in_use()?;
        let template = self.templates()?.into_iter().find(|(k, _)| *k == MailKind::BulkResult).expect("every kind has a template").1;
        let values = MailValues { organisation: options.organisation.clone(), summary: summary.to_owned(), ..MailValues::default() };
        let m = render(&template, &values);
        let mut csv = results(false);
        let mut name = format!("{}-results.csv", file_name.trim_end_matches(".csv"));
        if csv.len() > 10_000_000 {
            csv = results(true);
            name = format!("{}-failed-rows.csv", file_name.trim_end_matches(".csv"));
        }
        let now = self.clock.now();
        let first = first_queued.unwrap_or(i64::MAX);
        let seq = self.store.write(|w| {
            w.enqueue_mail(&NewMail {
                kind: MailKind::BulkResult.as_str(),
                user_id: None,
                recipient: &options.alert_to,
                subject: &m.subject,
                text: Some(&m.text),
                html: Some(&m.html),
                attachment: Some((&name, &csv)),
                reminder: false,
                at: now,
            })
        })?;
        let outcome = self.send_queued(DEFAULT_CONCURRENCY, first.min(seq)..=seq, progress);
        let row = self.store.reader().outbox_rows(&[seq])?.into_iter().next();
        let to = &options.alert_to;
        Ok(match (row, outcome) {
            (Some(r), _) if r.state == "sent" => ("sent".into(), format!("The results were mailed to {to}")),
            (Some(r), _) if r.state == "failed" => {
                ("failed".into(), format!("The results mail to {to} failed: {}", r.error.unwrap_or_default()))
            }
            (Some(r), Err(e)) => ("queued".into(), format!("The results mail to {to} waits in the outbox: {}", r.error.unwrap_or(e.message))),
            (Some(r), Ok(_)) => ("queued".into(), format!("The results mail to {to} waits in the outbox{}", r.error.map(|e| format!(": {e}")).unwrap_or_default())),
            (None, _) => ("failed".into(), "The results mail is missing from the outbox".into()),
        })
    }

    fn mail_options_in_use(&self) -> Result<Options, Error> {
        let r = self.store.reader();
        let from = r.setting("mail.from")?.unwrap_or_default();
        let portal = r.setting(PORTAL_URL)?.and_then(|p| PortalUrl::parse(&p).ok());
        let organisation = r
            .setting(ORGANISATION)?
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| from.rsplit_once('@').map(|(_, d)| d.trim_end_matches('>').to_owned()).unwrap_or_else(|| "your organisation".to_owned()));
        let expires_days = r.setting(EXPIRES_DAYS)?.and_then(|d| d.parse().ok()).unwrap_or(7);
        let alert_to = r.setting(ALERT_TO)?.filter(|a| !a.is_empty()).unwrap_or(from);
        Ok(Options { portal, organisation, expires_days, alert_to })
    }

    fn templates(&self) -> Result<Vec<(MailKind, MailTemplate)>, Error> {
        let r = self.store.reader();
        MailKind::ALL
            .into_iter()
            .map(|k| {
                let t = r.mail_template(k.as_str())?.map_or_else(|| MailTemplate::default_for(k), |s| MailTemplate { subject: s.subject, text: s.text, html: s.html });
                Ok((k, t))
            })
            .collect()
    }

    /// Renders claimed mails: user mails from the user as they are now (a temporary password
    /// made here and hashed on every core); mails that cannot go are returned with why.
    fn prepare(
        &mut self,
        claimed: Vec<OutboxRow>,
        options: &Options,
        templates: &[(MailKind, MailTemplate)],
        settings: &roster_core::Settings,
        now: Timestamp,
    ) -> (Vec<Ready>, Vec<(i64, &'static str, String)>) {
        let mut unready = Vec::new();
        let mut ready = Vec::new();
        let mut to_render = Vec::new();
        for row in claimed {
            let Ok(kind) = MailKind::parse(&row.kind) else {
                unready.push((row.seq, "invalid_mail", format!("Unknown mail kind {}", row.kind)));
                continue;
            };
            let Some(id) = &row.user_id else {
                ready.push(finished_mail(row, kind));
                continue;
            };
            let user = match self.store.reader().user_by_id(id) {
                Ok(Some(u)) => u,
                Ok(None) => {
                    unready.push((row.seq, "user_deleted", format!("The user this mail was for ({}) was deleted before it was sent", row.recipient)));
                    continue;
                }
                Err(e) => {
                    unready.push((row.seq, "internal", format!("The user could not be read: {e}")));
                    continue;
                }
            };
            if kind == MailKind::Activation && user.onboarded() {
                unready.push((row.seq, "onboarded", format!("{} set a password before the activation mail went out", user.username)));
                continue;
            }
            let mut values = user_values(&user, options, now);
            let mut temporary = None;
            if matches!(kind, MailKind::Activation | MailKind::PasswordReset) {
                match &options.portal {
                    Some(p) => values.link = Some(p.for_user(user.username.as_str(), user.email.as_str())),
                    None => temporary = Some((temporary_password(&self.random_bytes::<32>()), Salt(self.random_bytes::<16>()))),
                }
            }
            to_render.push((row.seq, kind, user, values, temporary));
        }
        let policy = settings.password_policy;
        let rendered: Vec<Result<Ready, (i64, &'static str, String)>> = to_render
            .into_par_iter()
            .map(|(seq, kind, user, mut values, temporary)| {
                let mut hash = None;
                let kept = temporary.as_ref().map(|(p, _)| p.clone());
                if let Some((password, salt)) = temporary {
                    let p = Password::parse(password.expose(), policy, &[]).map_err(|e| {
                        (seq, "policy", format!("A temporary password meeting the workspace's password policy cannot be made: {}", e.message))
                    })?;
                    hash = Some(p.hash(salt));
                    values.temporary_password = Some(password);
                }
                let template = &templates.iter().find(|(k, _)| *k == kind).expect("every kind has a template").1;
                let RenderedMail { subject, text, html } = render(template, &values);
                let mut mail = OutgoingMail::new(user.email.to_string(), subject.clone(), text);
                // A template saved without HTML makes a plain-text mail, not an empty HTML part.
                if !html.trim().is_empty() {
                    mail = mail.with_html(html);
                }
                Ok(Ready { seq, mail, subject, user: Some((user, hash)), temporary: kept, kind })
            })
            .collect();
        for r in rendered {
            match r {
                Ok(r) => ready.push(r),
                Err(e) => unready.push(e),
            }
        }
        (ready, unready)
    }

    fn outbox_views(&self, rows: Vec<OutboxRow>) -> Result<Vec<OutboxMailView>, Error> {
        let r = self.store.reader();
        rows.into_iter()
            .map(|m| {
                let username = match &m.user_id {
                    Some(id) => r.user_by_id(id)?.map(|u| u.username.to_string()),
                    None => None,
                };
                Ok(OutboxMailView {
                    id: m.seq,
                    kind: MailKind::parse(&m.kind).map(MailKind::as_str).unwrap_or("unknown"),
                    username,
                    to: m.recipient,
                    subject: m.subject,
                    reminder: m.reminder,
                    state: m.state,
                    attempts: m.attempts,
                    error_code: m.error_code,
                    error: m.error,
                    queued_at: rfc3339(m.queued_at),
                    updated_at: rfc3339(m.updated_at),
                    sent_at: m.sent_at.map(rfc3339),
                })
            })
            .collect()
    }
}

/// A mail queued finished (the bulk result), as it was queued.
fn finished_mail(row: OutboxRow, kind: MailKind) -> Ready {
    let mut mail = OutgoingMail::new(row.recipient, row.subject.clone(), row.text.unwrap_or_default());
    if let Some(html) = row.html.filter(|h| !h.trim().is_empty()) {
        mail = mail.with_html(html);
    }
    if let Some((name, bytes)) = row.attachment {
        mail = mail.with_attachment(Attachment::new(name, "text/csv", bytes));
    }
    Ready { seq: row.seq, mail, subject: row.subject, user: None, temporary: None, kind }
}

/// After a user's mail went out: an activation makes the user invited (with the hash of the
/// temporary password it carried); a reset with a temporary password sets it, expired at once.
fn record_sent(w: &Writer<'_>, kind: MailKind, user: &User, hash: Option<&PasswordHash>, now: Timestamp, actor: &str) -> Result<(), Error> {
    let summary = match kind {
        MailKind::Activation => {
            w.record_invitation(&user.id, now, hash.map(PasswordHash::as_phc))?;
            format!("Sent the activation mail to {}", user.email)
        }
        MailKind::PasswordReset => {
            if let Some(h) = hash {
                if user.onboarded() {
                    // Read again in this transaction: the reset replaces whatever password is there now.
                    if let Some(mut fresh) = w.reader().user_by_id(&user.id)? {
                        let version = fresh.version;
                        fresh.password = Some(h.clone());
                        fresh.password_expires_at = Some(now.date());
                        fresh.updated_at = now;
                        fresh.version += 1;
                        w.update_user(&fresh, version)?;
                    }
                } else {
                    w.record_invitation(&user.id, now, Some(h.as_phc()))?;
                }
            }
            format!("Sent a password reset mail to {}", user.email)
        }
        MailKind::Welcome => format!("Sent the welcome mail to {}", user.email),
        MailKind::BulkResult => return Ok(()),
    };
    w.append_audit(&AuditRecord {
        at: now,
        actor,
        entity: AuditEntity::User,
        entity_id: &user.id.to_string(),
        subject: user.username.as_str(),
        action: "mail_sent",
        summary: &summary,
        before: None,
        after: None,
    })?;
    Ok(())
}

fn audit_mail(w: &Writer<'_>, at: Timestamp, actor: &str, subject: &str, action: &str, summary: &str) -> Result<(), Error> {
    w.append_audit(&AuditRecord { at, actor, entity: AuditEntity::Settings, entity_id: "mail", subject, action, summary, before: None, after: None })?;
    Ok(())
}

fn user_values(u: &User, options: &Options, now: Timestamp) -> MailValues {
    MailValues {
        first_name: u.first_name.as_ref().map(ToString::to_string).unwrap_or_default(),
        last_name: u.last_name.as_ref().map(ToString::to_string).unwrap_or_default(),
        username: u.username.to_string(),
        email: u.email.to_string(),
        organisation: options.organisation.clone(),
        expires: expiry(options, now),
        ..MailValues::default()
    }
}

fn expiry(options: &Options, now: Timestamp) -> String {
    let d = (now + Duration::days(i64::from(options.expires_days))).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn parse_kind(raw: &str) -> Result<MailKind, Error> {
    let raw = if raw.trim().eq_ignore_ascii_case("reset") { "password_reset" } else { raw };
    MailKind::parse(raw).map_err(|e| Error::from_fields(e.into()))
}

fn label(kind: MailKind) -> &'static str {
    match kind {
        MailKind::Activation => "activation",
        MailKind::PasswordReset => "password reset",
        MailKind::Welcome => "welcome",
        MailKind::BulkResult => "bulk result",
    }
}

fn template_view(kind: MailKind, stored: Option<StoredTemplate>) -> MailTemplateView {
    let edited = stored.is_some();
    let t = stored.map_or_else(|| MailTemplate::default_for(kind), |s| MailTemplate { subject: s.subject, text: s.text, html: s.html });
    MailTemplateView { kind: kind.as_str(), subject: t.subject, text: t.text, html: t.html, edited, placeholders: kind.placeholders().to_vec() }
}

