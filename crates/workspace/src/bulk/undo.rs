//! The history of batches and their exact undo.

use roster_core::AuditEntity;
use roster_store::{AuditRecord, BatchRow};
use serde::{Deserialize, Serialize};

use crate::progress::Progress;
use crate::views::{count, rfc3339};
use crate::{Error, ErrorCode, FieldProblem, Workspace};

/// One applied batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkBatchView {
    pub id: String,
    pub applied_at: String,
    pub actor: String,
    pub file_name: String,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub undone_at: Option<String>,
    pub undone_by: Option<String>,
}

impl From<&BatchRow> for BulkBatchView {
    fn from(b: &BatchRow) -> Self {
        let c = &b.counts;
        Self {
            id: b.id.clone(),
            applied_at: rfc3339(b.applied_at),
            actor: b.actor.clone(),
            file_name: b.file_name.clone(),
            rows: c.rows,
            created: c.created,
            updated: c.updated,
            deleted: c.deleted,
            unchanged: c.unchanged,
            failed: c.failed,
            undone_at: b.undone_at.map(rfc3339),
            undone_by: b.undone_by.clone(),
        }
    }
}

/// What an undo did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkUndoView {
    pub batch_id: String,
    /// Users the batch created, removed.
    pub removed: u64,
    /// Users the batch updated, put back as they were.
    pub reverted: u64,
    /// Users the batch deleted, re-created.
    pub restored: u64,
}

/// How many changed users an error lists by name.
const LISTED: usize = 100;

impl Workspace {
    /// Batches, newest first.
    pub fn bulk_history(&self) -> Result<Vec<BulkBatchView>, Error> {
        Ok(self.store.reader().batches(1000)?.iter().map(BulkBatchView::from).collect())
    }

    /// Puts the workspace back as it was before batch `batch_id`: removes the users it
    /// created, reverts the ones it updated (every field, password hash, groups and roles),
    /// re-creates the ones it deleted. Refused (`conflict`, each user in `fields`) when a user
    /// the batch touched has changed since, unless `force`; a deleted user whose username or
    /// email someone else has taken since cannot be re-created, even with `force`.
    pub fn bulk_undo(&mut self, batch_id: &str, force: bool, progress: &dyn Progress) -> Result<BulkUndoView, Error> {
        let batch = self
            .store
            .reader()
            .batch(batch_id.trim())?
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("No batch \"{}\": see the bulk history", batch_id.trim())))?;
        if let (Some(at), Some(by)) = (batch.undone_at, &batch.undone_by) {
            return Err(Error::new(ErrorCode::Conflict, format!("Batch {} was already undone by {by} on {}", batch.id, rfc3339(at))));
        }
        progress.phase("undoing");
        let now = self.clock.now();
        let Workspace { store, actor, .. } = self;
        store.write(|w| {
            let conflicts = w.reader().batch_conflicts(batch.seq, LISTED)?;
            let total = conflicts.total;
            progress.update(0, total);
            if conflicts.blocked > 0 {
                return Err(listed(
                    &conflicts.blocked_users,
                    conflicts.blocked,
                    "taken",
                    "cannot be re-created: the username or email is now used by another user",
                    format!("{} deleted {} cannot be re-created: their username or email is taken now", batch.id, count(conflicts.blocked, "user", "users")),
                ));
            }
            let changed = conflicts.changed;
            if changed > 0 && !force {
                return Err(listed(
                    &conflicts.changed_users,
                    changed,
                    "changed_since",
                    "changed since the batch",
                    format!(
                        "{} the batch touched {} changed since: undo anyway to overwrite {}",
                        count(changed, "user", "users"),
                        if changed == 1 { "has" } else { "have" },
                        if changed == 1 { "that change" } else { "those changes" }
                    ),
                ));
            }
            if progress.is_cancelled() {
                return Err(Error::cancelled());
            }
            let removed = w.undo_creates(batch.seq)?;
            let reverted = w.undo_updates(batch.seq)?;
            let restored = w.undo_deletes(batch.seq)?;
            if progress.is_cancelled() {
                return Err(Error::cancelled());
            }
            w.mark_batch_undone(batch.seq, now, actor)?;
            let summary = format!(
                "Undid batch {} ({}): {removed} removed, {reverted} reverted, {restored} re-created{}",
                batch.id,
                batch.file_name,
                if force && changed > 0 { format!(", overwriting changes to {}", count(changed, "user", "users")) } else { String::new() }
            );
            w.append_audit(&AuditRecord {
                at: now,
                actor,
                entity: AuditEntity::Batch,
                entity_id: &batch.id,
                subject: &batch.file_name,
                action: "bulk_undo",
                summary: &summary,
                before: None,
                after: Some(serde_json::json!({ "batch": batch.id, "removed": removed, "reverted": reverted, "restored": restored }).to_string()),
            })?;
            progress.update(total, total);
            Ok(BulkUndoView { batch_id: batch.id.clone(), removed, reverted, restored })
        })
    }
}


/// A conflict naming each user (the first [`LISTED`]) in `fields`: field = username, code
/// `changed_since` (undo anyway overwrites it) or `taken` (cannot be re-created, even so).
fn listed(users: &[roster_store::BatchUserState], count: u64, code: &str, why: &str, message: String) -> Error {
    let mut fields: Vec<FieldProblem> = users
        .iter()
        .take(LISTED)
        .map(|u| FieldProblem {
            field: u.username.clone(),
            code: code.into(),
            message: format!("Row {}: {} {why}", u.row, if u.username.is_empty() { "a user" } else { &u.username }),
        })
        .collect();
    if count > users.len() as u64 {
        fields.push(FieldProblem { field: String::new(), code: "more".into(), message: format!("and {} more", count - users.len() as u64) });
    }
    Error { code: ErrorCode::Conflict, message, fields }
}
