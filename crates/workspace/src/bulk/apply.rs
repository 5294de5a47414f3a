//! Applying a plan: every change in one transaction, passwords hashed first on every core.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;
use roster_core::bulk::{self, Column, ParsedRow};
use roster_core::{AuditEntity, PasswordHash, Salt, Timestamp, User, UserId};
use roster_store::{AuditRecord, BatchCounts, BatchOp, NewBatch, Writer};
use serde::{Deserialize, Serialize};

use super::plan::updated_user;
use super::{for_each_checked, BulkPlan, Outcome};
use crate::progress::Progress;
use crate::{Error, ErrorCode, FieldProblem, Workspace};

/// How to apply a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkApplyOptions {
    /// Apply the valid rows of a plan that has error rows (they are reported as failed).
    pub skip_invalid: bool,
    /// The number of deletions the admin confirmed (needed when the plan deletes more than
    /// 10 users or more than 5% of them).
    pub confirmed_deletes: Option<u64>,
}

/// The mail to the admin about an applied batch, with the results file attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkAlertView {
    /// `sent`; `queued` (the server could not take it now: it goes with the next send or
    /// retry); `failed` (the server refused it: see the outbox); `not_configured` while mail
    /// is not set up.
    pub status: String,
    pub message: String,
}

/// What applying did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkResultView {
    /// The batch to undo it by; None when the plan changed nothing.
    pub batch_id: Option<String>,
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub alert: BulkAlertView,
}

/// The passwords a plan sets, each with a salt the workspace drew: hashing them (argon2id,
/// most of a big apply's time) needs nothing of the workspace, so a caller that shares the
/// workspace (the desktop) hashes without holding it. From [`Workspace::bulk_passwords`].
pub struct BulkPasswords {
    salts: Vec<(u32, Salt)>,
    /// The plan's id.
    plan: u64,
}

/// A plan's passwords hashed, for [`Workspace::bulk_apply_hashed`] of that plan only.
pub struct BulkHashes {
    hashes: HashMap<u32, PasswordHash>,
    plan: u64,
}

/// How many, for which plan; never the salts or hashes.
impl std::fmt::Debug for BulkPasswords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkPasswords").field("plan", &self.plan).field("passwords", &self.salts.len()).finish()
    }
}

impl std::fmt::Debug for BulkHashes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkHashes").field("plan", &self.plan).field("passwords", &self.hashes.len()).finish()
    }
}

impl BulkPasswords {
    /// Hashes the passwords on every core, with progress ("hashing passwords"); cancelled
    /// through `progress`.
    pub fn hash(self, plan: &BulkPlan, progress: &dyn Progress) -> Result<BulkHashes, Error> {
        if self.plan != plan.id {
            return Err(other_plan());
        }
        Ok(BulkHashes { hashes: hash_passwords(plan, self.salts, progress)?, plan: self.plan })
    }
}

impl Workspace {
    /// Applies `plan`: all its changes in one transaction, or none. Refused when the file or
    /// a row has an error (unless `skip_invalid`), when deletions need a confirmation that
    /// was not given, and when the workspace changed since the plan was made (`stale`: plan
    /// again, so nothing is applied that was not reviewed). Passwords are hashed first, on
    /// every core. Cancelling (through `progress`) before the commit changes nothing.
    ///
    /// The same as [`Workspace::bulk_passwords`], [`BulkPasswords::hash`], then
    /// [`Workspace::bulk_apply_hashed`], which a caller sharing the workspace calls apart.
    pub fn bulk_apply(&mut self, plan: &BulkPlan, options: &BulkApplyOptions, progress: &dyn Progress) -> Result<BulkResultView, Error> {
        let hashes = self.bulk_passwords(plan, options)?.hash(plan, progress)?;
        self.bulk_apply_hashed(plan, options, hashes, progress)
    }

    /// Checks that `plan` can be applied (as `bulk_apply` does) and salts the passwords it
    /// sets, drawn in file order from the workspace's random source.
    pub fn bulk_passwords(&mut self, plan: &BulkPlan, options: &BulkApplyOptions) -> Result<BulkPasswords, Error> {
        self.check_plan_is_mine(plan)?;
        check_applicable(plan, options)?;
        if self.store.reader().stamp()? != plan.stamp {
            return Err(stale());
        }
        let changing = plan.indexes(&[Outcome::Create, Outcome::Update, Outcome::Delete]);
        Ok(BulkPasswords { salts: self.password_salts(plan, &changing), plan: plan.id })
    }

    /// Applies `plan` with its passwords hashed (see [`Workspace::bulk_apply`]). The workspace
    /// may have changed while they were hashed: that is `stale`, as for any apply.
    pub fn bulk_apply_hashed(
        &mut self,
        plan: &BulkPlan,
        options: &BulkApplyOptions,
        hashed: BulkHashes,
        progress: &dyn Progress,
    ) -> Result<BulkResultView, Error> {
        self.check_plan_is_mine(plan)?;
        check_applicable(plan, options)?;
        if hashed.plan != plan.id {
            return Err(other_plan());
        }
        if self.store.reader().stamp()? != plan.stamp {
            return Err(stale());
        }
        let s = &plan.summary;
        let mut result = BulkResultView {
            batch_id: None,
            created: 0,
            updated: 0,
            deleted: 0,
            unchanged: s.unchanged,
            failed: s.error,
            alert: alert(),
        };
        let Some(mapped) = &plan.mapped else { return Ok(result) };
        let changing = plan.indexes(&[Outcome::Create, Outcome::Update, Outcome::Delete]);
        if changing.is_empty() {
            return Ok(result);
        }

        // Passwords were hashed first, outside the transaction (and the workspace).
        let hashes = hashed.hashes;
        let sets_passwords = !hashes.is_empty();
        // A linked workspace keeps the file's passwords, sealed, for the next push.
        let sealer = if sets_passwords { self.password_sealer()? } else { None };

        progress.phase("applying");
        let now = self.clock.now();
        let id_random: [u8; 6] = self.random_bytes::<6>();
        let batch_id = batch_id(now, self.random_bytes::<2>());
        let Workspace { store, actor, .. } = self;
        let counts = store.write(|w| {
            if w.reader().stamp()? != plan.stamp {
                return Err(stale());
            }
            let batch = w.insert_batch(&NewBatch { id: &batch_id, applied_at: now, actor, file_name: &plan.file_name })?;
            let mut apply = RowApply { w, batch, now, hashes, sealer, id_random, counts: BatchCounts::default(), pending: Vec::new() };
            for_each_checked(mapped, &plan.settings, &plan.defs, &changing, progress, |i, checked| {
                let row = checked.row as u64;
                match checked.result {
                    Ok(parsed) => apply.row(i as u32, row, parsed, plan),
                    Err(_) => Err(stale()),
                }
            })?;
            apply.flush()?;
            if progress.is_cancelled() {
                return Err(Error::cancelled());
            }
            let mut counts = apply.counts;
            counts.rows = plan.outcomes.len() as u64;
            counts.unchanged = s.unchanged;
            counts.failed = s.error;
            w.finish_batch(batch, &counts)?;
            let first_mail = w.reader().last_mail_seq()? + 1;
            let activations = if plan.settings.auto_send_reset_mail { w.enqueue_batch_activations(batch, now)? } else { 0 };
            let summary = format!(
                "Applied {}: {} created, {} updated, {} deleted, {} unchanged, {} failed (batch {batch_id})",
                plan.file_name, counts.created, counts.updated, counts.deleted, counts.unchanged, counts.failed
            );
            let after = serde_json::json!({ "batch": batch_id, "file": plan.file_name, "created": counts.created,
                "updated": counts.updated, "deleted": counts.deleted, "unchanged": counts.unchanged, "failed": counts.failed });
            w.append_audit(&AuditRecord {
                at: now,
                actor,
                entity: AuditEntity::Batch,
                entity_id: &batch_id,
                subject: &plan.file_name,
                action: "bulk_apply",
                summary: &summary,
                before: None,
                after: Some(after.to_string()),
            })?;
            Ok::<_, Error>((counts, (activations > 0).then_some(first_mail)))
        })?;
        let (counts, first_mail) = counts;
        result.batch_id = Some(batch_id);
        result.created = counts.created;
        result.updated = counts.updated;
        result.deleted = counts.deleted;
        let summary = format!(
            "{}: {} created, {} updated, {} deleted, {} unchanged, {} failed",
            plan.file_name, result.created, result.updated, result.deleted, result.unchanged, result.failed
        );
        let applied = result.clone();
        let results = |failed_only: bool| {
            let mut out = Vec::new();
            super::report::write_results(plan, mapped, Some(&applied), failed_only, true, &mut out).expect("writing to memory cannot fail");
            out
        };
        let (status, message) = self.bulk_alert(&plan.file_name, &summary, results, first_mail, progress)?;
        result.alert = BulkAlertView { status, message };
        Ok(result)
    }

    /// A salt for each changing row that sets a password, drawn in file order from the
    /// workspace's random source (so tests are deterministic).
    fn password_salts(&mut self, plan: &BulkPlan, changing: &[u32]) -> Vec<(u32, Salt)> {
        let Some(mapped) = &plan.mapped else { return Vec::new() };
        let Some(col) = mapped.columns.index(&Column::Password) else { return Vec::new() };
        changing
            .iter()
            .filter(|&&i| plan.outcomes[i as usize] != Outcome::Delete)
            .filter(|&&i| mapped.table.row(i as usize).cell(col).is_some_and(|c| !c.trim().is_empty()))
            .map(|&i| (i, Salt(self.random_bytes::<16>())))
            .collect::<Vec<_>>()
    }
}

fn other_plan() -> Error {
    Error::new(ErrorCode::Usage, "These passwords were salted for another plan: apply the plan again")
}

fn check_applicable(plan: &BulkPlan, options: &BulkApplyOptions) -> Result<(), Error> {
    if !plan.file_problems.is_empty() {
        let reasons: Vec<&str> = plan.file_problems.iter().map(|p| p.message.as_str()).collect();
        return Err(Error::new(ErrorCode::Validation, format!("{} cannot be used: {}", plan.file_name, reasons.join("; "))));
    }
    if plan.summary.error > 0 && !options.skip_invalid {
        let n = plan.summary.error;
        return Err(Error::new(
            ErrorCode::Validation,
            format!("{n} {} errors: nothing was applied. Fix them, or apply only the valid rows (skip invalid rows)", if n == 1 { "row has" } else { "rows have" }),
        ));
    }
    if plan.deletes_need_confirmation() && options.confirmed_deletes != Some(plan.summary.delete) {
        let n = plan.summary.delete;
        let message = format!("This file deletes {}: confirm with the number {n}", crate::views::count(n, "user", "users"));
        return Err(Error {
            code: ErrorCode::Validation,
            message: message.clone(),
            fields: vec![FieldProblem { field: "confirm".into(), code: "confirmation_required".into(), message }],
        });
    }
    Ok(())
}

pub(super) fn stale() -> Error {
    Error::new(ErrorCode::Stale, "The workspace changed since this plan was made: plan the file again and review it before applying")
}

/// The alert of a batch that sent none: mail is not set up.
fn alert() -> BulkAlertView {
    BulkAlertView { status: "not_configured".into(), message: "Mail is not set up, so no alert was sent about this batch".into() }
}

/// `YYYYMMDD-HHMMSS-xxxx`: sortable, short enough to type.
fn batch_id(at: Timestamp, random: [u8; 2]) -> String {
    let t = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}-{:02x}{:02x}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        random[0],
        random[1]
    )
}

/// Hashes the passwords of the rows in `salts` on every core.
fn hash_passwords(plan: &BulkPlan, salts: Vec<(u32, Salt)>, progress: &dyn Progress) -> Result<HashMap<u32, PasswordHash>, Error> {
    let Some(mapped) = &plan.mapped else { return Ok(HashMap::new()) };
    if salts.is_empty() {
        return Ok(HashMap::new());
    }
    progress.phase("hashing passwords");
    let total = salts.len() as u64;
    let (done, stop) = (AtomicU64::new(0), AtomicBool::new(false));
    progress.update(0, total);
    let hashes: Vec<(u32, Option<PasswordHash>)> = salts
        .into_par_iter()
        .map(|(i, salt)| {
            if stop.load(Ordering::Relaxed) || progress.is_cancelled() {
                stop.store(true, Ordering::Relaxed);
                return (i, None);
            }
            let checked = bulk::check_row(mapped.table.row(i as usize), &mapped.columns, &plan.settings, &plan.defs);
            let password = match checked.result {
                Ok(ParsedRow::Add(a)) => a.user.password,
                Ok(ParsedRow::Update(u)) => u.password,
                _ => None,
            };
            let hash = password.map(|p| p.hash(salt));
            progress.update(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            (i, hash)
        })
        .collect();
    if stop.load(Ordering::Relaxed) {
        return Err(Error::cancelled());
    }
    Ok(hashes.into_iter().filter_map(|(i, h)| h.map(|h| (i, h))).collect())
}

/// Writes rows of a batch: consecutive rows of one kind go to the store together, in file
/// order (see `Writer::insert_users` for why).
struct RowApply<'w, 'c> {
    w: &'w Writer<'c>,
    batch: i64,
    now: Timestamp,
    hashes: HashMap<u32, PasswordHash>,
    sealer: Option<crate::sync::PasswordSealer>,
    /// New users get sequential ids: the batch's time, a counter, these bytes.
    id_random: [u8; 6],
    counts: BatchCounts,
    /// Rows not written yet, all of one kind, with their file rows.
    pending: Vec<Pending>,
}

enum Pending {
    Create { row: u64, user: User },
    Update { row: u64, current: Box<User>, next: Box<User> },
    Delete { row: u64, user: User },
}

impl Pending {
    fn kind(&self) -> BatchOp {
        match self {
            Self::Create { .. } => BatchOp::Create,
            Self::Update { .. } => BatchOp::Update,
            Self::Delete { .. } => BatchOp::Delete,
        }
    }
}

/// How many rows go to the store in one statement.
const PENDING: usize = 4096;

impl RowApply<'_, '_> {
    fn row(&mut self, index: u32, row: u64, parsed: ParsedRow, plan: &BulkPlan) -> Result<(), Error> {
        let op = match parsed {
            ParsedRow::Add(add) => {
                let bulk::AddRow { user: mut new_user, groups, roles, status, second_factor, device_limit, password_expiry } = *add;
                let id = UserId::sequential(self.now, self.counts.created as u32, self.id_random);
                if let (Some(sealer), Some(p)) = (self.sealer.as_mut(), &new_user.password) {
                    sealer.keep(self.w, &id, p.secret())?;
                }
                new_user.password = None;
                let mut user = new_user.into_user(id, self.now, Salt([0; 16]));
                user.password = self.hashes.remove(&index);
                if let Some(s) = status {
                    user.status = s;
                }
                if let Some(f) = second_factor {
                    user.second_factor = f;
                }
                user.device_limit = device_limit;
                user.password_expires_at = password_expiry;
                user.groups = groups;
                user.roles = roles;
                self.counts.created += 1;
                Pending::Create { row, user }
            }
            ParsedRow::Update(up) => {
                let current = self.w.reader().user_by_username(up.username.as_str())?.ok_or_else(stale)?;
                let mut next: User = updated_user(&current, &up, &plan.settings, &plan.defs).map_err(|_| stale())?;
                if let Some(hash) = self.hashes.remove(&index) {
                    next.password = Some(hash);
                    if let (Some(sealer), Some(p)) = (self.sealer.as_mut(), &up.password) {
                        sealer.keep(self.w, &current.id, p.secret())?;
                    }
                }
                next.version = current.version + 1;
                next.updated_at = self.now;
                self.counts.updated += 1;
                Pending::Update { row, current: Box::new(current), next: Box::new(next) }
            }
            ParsedRow::Delete { username, .. } => {
                let user = self.w.reader().user_by_username(username.as_str())?.ok_or_else(stale)?;
                self.counts.deleted += 1;
                Pending::Delete { row, user }
            }
        };
        if self.pending.first().is_some_and(|p| p.kind() != op.kind()) {
            self.flush()?;
        }
        self.pending.push(op);
        if self.pending.len() >= PENDING {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the pending rows and records them in the batch.
    fn flush(&mut self) -> Result<(), Error> {
        let pending = std::mem::take(&mut self.pending);
        let Some(kind) = pending.first().map(Pending::kind) else { return Ok(()) };
        let w = self.w;
        match kind {
            BatchOp::Create => {
                w.insert_users(pending.iter().filter_map(|p| match p {
                    Pending::Create { user, .. } => Some(user),
                    _ => None,
                }))?;
            }
            BatchOp::Update => {
                let mut staged = Vec::with_capacity(pending.len());
                for p in &pending {
                    if let Pending::Update { current, next, .. } = p {
                        w.snapshot_user(self.batch, &current.id.to_string())?;
                        staged.push((next.as_ref(), current.version));
                    }
                }
                if w.update_users(staged.iter().copied())? != staged.len() {
                    return Err(stale());
                }
            }
            BatchOp::Delete => {
                for p in &pending {
                    if let Pending::Delete { user, .. } = p {
                        w.snapshot_user(self.batch, &user.id.to_string())?;
                    }
                }
                w.delete_users(pending.iter().filter_map(|p| match p {
                    Pending::Delete { user, .. } => Some(&user.id),
                    _ => None,
                }))?;
            }
        }
        for p in &pending {
            match p {
                Pending::Create { row, user } => {
                    for g in &user.groups {
                        w.add_member(g, &user.id)?;
                    }
                    for r in &user.roles {
                        w.assign_role(r, &user.id)?;
                    }
                    w.record_batch_user(self.batch, *row, BatchOp::Create, &user.id.to_string(), Some(user.version))?;
                }
                Pending::Update { row, current, next } => {
                    let id = &current.id;
                    for g in next.groups.iter().filter(|g| !current.groups.contains(g)) {
                        w.add_member(g, id)?;
                    }
                    for g in current.groups.iter().filter(|g| !next.groups.contains(g)) {
                        w.remove_member(g, id)?;
                    }
                    for r in next.roles.iter().filter(|r| !current.roles.contains(r)) {
                        w.assign_role(r, id)?;
                    }
                    for r in current.roles.iter().filter(|r| !next.roles.contains(r)) {
                        w.unassign_role(r, id)?;
                    }
                    w.record_batch_user(self.batch, *row, BatchOp::Update, &id.to_string(), Some(next.version))?;
                }
                Pending::Delete { row, user } => {
                    w.record_batch_user(self.batch, *row, BatchOp::Delete, &user.id.to_string(), None)?;
                }
            }
        }
        self.pending = pending;
        self.pending.clear();
        Ok(())
    }
}
