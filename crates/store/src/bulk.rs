//! Bulk batches: what a CSV file applied, kept so it can be listed and undone exactly.
//!
//! A batch records every user it created, updated or deleted (by file row) and the version
//! it left them at; updated and deleted users are copied first, row for row, with their
//! group and role memberships, so undo restores them byte for byte (password hash included).

use roster_core::Timestamp;
use rusqlite::{params, OptionalExtension};

use crate::codec::{parse_timestamp, timestamp};
use crate::{Reader, StoreError, Writer};

/// What a batch did to one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOp {
    Create,
    Update,
    Delete,
}

impl BatchOp {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "create" => Ok(Self::Create),
            "update" => Ok(Self::Update),
            "delete" => Ok(Self::Delete),
            other => Err(StoreError::Corrupt(format!("batch op {other:?}"))),
        }
    }
}

/// Counts of a batch, per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub unchanged: u64,
    pub failed: u64,
}

/// A batch as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    pub seq: i64,
    pub id: String,
    pub applied_at: Timestamp,
    pub actor: String,
    pub file_name: String,
    pub counts: BatchCounts,
    pub undone_at: Option<Timestamp>,
    pub undone_by: Option<String>,
}

/// One user a batch touched that stands in the way of its undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchUserState {
    /// The file row that touched them.
    pub row: u64,
    pub op: BatchOp,
    pub user_id: String,
    /// The username now, or (deleted users, users gone since) the username before the batch.
    pub username: String,
}

/// See [`Reader::batch_conflicts`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchConflicts {
    /// Users the batch touched.
    pub total: u64,
    /// Created or updated users changed since (undo anyway overwrites them).
    pub changed: u64,
    pub changed_users: Vec<BatchUserState>,
    /// Deleted users who cannot be re-created (even by undo anyway).
    pub blocked: u64,
    pub blocked_users: Vec<BatchUserState>,
}

/// File rows undone per statement.
const UNDO_CHUNK: usize = 10_000;

const BATCH_COLUMNS: &str =
    "seq, id, applied_at, actor, file_name, rows, created, updated, deleted, unchanged, failed, undone_at, undone_by";

fn read_batch(r: &rusqlite::Row<'_>) -> Result<BatchRow, StoreError> {
    let n = |i: usize| -> Result<u64, StoreError> { Ok(r.get::<_, i64>(i)? as u64) };
    Ok(BatchRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        applied_at: parse_timestamp(&r.get::<_, String>(2)?)?,
        actor: r.get(3)?,
        file_name: r.get(4)?,
        counts: BatchCounts { rows: n(5)?, created: n(6)?, updated: n(7)?, deleted: n(8)?, unchanged: n(9)?, failed: n(10)? },
        undone_at: r.get::<_, Option<String>>(11)?.map(|t| parse_timestamp(&t)).transpose()?,
        undone_by: r.get(12)?,
    })
}

impl Reader<'_> {
    /// Batches, newest first.
    pub fn batches(&self, limit: usize) -> Result<Vec<BatchRow>, StoreError> {
        let sql = format!("SELECT {BATCH_COLUMNS} FROM bulk_batches ORDER BY seq DESC LIMIT ?1");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([limit as i64], |r| Ok(read_batch(r)))?;
        rows.map(|r| r?).collect()
    }

    pub fn batch(&self, id: &str) -> Result<Option<BatchRow>, StoreError> {
        let sql = format!("SELECT {BATCH_COLUMNS} FROM bulk_batches WHERE id = ?1");
        self.conn.prepare_cached(&sql)?.query_row([id], |r| Ok(read_batch(r))).optional()?.transpose()
    }

    /// What stands in the way of undoing the batch, in file order, the first `limit` of each
    /// kind and how many there are: users it created or updated that have changed since
    /// (another version, or gone), and users it deleted that cannot be re-created (one with
    /// their id, username or email exists now). Streams the batch's rows, so a million cost
    /// no memory.
    pub fn batch_conflicts(&self, batch_seq: i64, limit: usize) -> Result<BatchConflicts, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT b.row, b.op, b.user_id, u.username, bu.username,
                    CASE WHEN b.op = 'delete'
                         THEN u.seq IS NOT NULL OR EXISTS (SELECT 1 FROM users x WHERE x.username = bu.username OR x.email = bu.email)
                         ELSE u.seq IS NULL OR u.version IS NOT b.version_after END
             FROM bulk_batch_users b
             LEFT JOIN users u ON u.id = b.user_id
             LEFT JOIN bulk_before_users bu ON bu.batch_seq = b.batch_seq AND bu.id = b.user_id
             WHERE b.batch_seq = ?1
             ORDER BY b.row",
        )?;
        let mut rows = stmt.query([batch_seq])?;
        let mut out = BatchConflicts::default();
        while let Some(r) = rows.next()? {
            out.total += 1;
            if !r.get::<_, bool>(5)? {
                continue;
            }
            let op = BatchOp::parse(&r.get::<_, String>(1)?)?;
            let (count, list) = if op == BatchOp::Delete { (&mut out.blocked, &mut out.blocked_users) } else { (&mut out.changed, &mut out.changed_users) };
            *count += 1;
            if list.len() < limit {
                let username = r.get::<_, Option<String>>(3)?.or(r.get::<_, Option<String>>(4)?).unwrap_or_default();
                list.push(BatchUserState { row: r.get::<_, i64>(0)? as u64, op, user_id: r.get(2)?, username });
            }
        }
        Ok(out)
    }

}

/// A batch to record.
#[derive(Debug, Clone)]
pub struct NewBatch<'a> {
    pub id: &'a str,
    pub applied_at: Timestamp,
    pub actor: &'a str,
    pub file_name: &'a str,
}

impl Writer<'_> {
    /// Starts a batch (counts zero until [`Writer::finish_batch`]); returns its seq.
    pub fn insert_batch(&self, b: &NewBatch<'_>) -> Result<i64, StoreError> {
        self.tx.execute(
            "INSERT INTO bulk_batches (id, applied_at, actor, file_name, rows, created, updated, deleted, unchanged, failed)
             VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, 0)",
            params![b.id, timestamp(b.applied_at), b.actor, b.file_name],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    pub fn finish_batch(&self, batch_seq: i64, c: &BatchCounts) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE bulk_batches SET rows = ?2, created = ?3, updated = ?4, deleted = ?5, unchanged = ?6, failed = ?7 WHERE seq = ?1",
            params![batch_seq, c.rows as i64, c.created as i64, c.updated as i64, c.deleted as i64, c.unchanged as i64, c.failed as i64],
        )?;
        Ok(())
    }

    /// Records that the batch's `row` did `op` to the user, leaving them at `version_after`.
    pub fn record_batch_user(&self, batch_seq: i64, row: u64, op: BatchOp, user_id: &str, version_after: Option<u64>) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT INTO bulk_batch_users (batch_seq, row, op, user_id, version_after) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![batch_seq, row as i64, op.as_str(), user_id, version_after.map(|v| v as i64)])?;
        Ok(())
    }

    /// Copies the user (every column) and their memberships into the batch's before-image.
    pub fn snapshot_user(&self, batch_seq: i64, user_id: &str) -> Result<(), StoreError> {
        self.tx.prepare_cached("INSERT INTO bulk_before_users SELECT ?1, * FROM users WHERE id = ?2")?.execute(params![batch_seq, user_id])?;
        self.tx
            .prepare_cached(
                "INSERT INTO bulk_before_groups (batch_seq, user_seq, group_seq)
                 SELECT ?1, m.user_seq, m.group_seq FROM group_members m JOIN users u ON u.seq = m.user_seq WHERE u.id = ?2",
            )?
            .execute(params![batch_seq, user_id])?;
        self.tx
            .prepare_cached(
                "INSERT INTO bulk_before_roles (batch_seq, user_seq, role_seq)
                 SELECT ?1, r.user_seq, r.role_seq FROM user_roles r JOIN users u ON u.seq = r.user_seq WHERE u.id = ?2",
            )?
            .execute(params![batch_seq, user_id])?;
        Ok(())
    }

    /// Undo, step 1: removes the users the batch created (as they are now). Returns how many.
    pub fn undo_creates(&self, batch_seq: i64) -> Result<u64, StoreError> {
        let mut n = 0;
        for (lo, hi) in self.op_ranges(batch_seq, BatchOp::Create)? {
            n += self.tx.execute(
                "DELETE FROM users WHERE id IN
                    (SELECT user_id FROM bulk_batch_users WHERE batch_seq = ?1 AND op = 'create' AND row BETWEEN ?2 AND ?3)",
                params![batch_seq, lo, hi],
            )? as u64;
        }
        Ok(n)
    }

    /// Undo, step 2: puts updated users back as they were (every column, the version too:
    /// the record is again exactly what that version was; their groups and roles that still
    /// exist). Returns how many.
    pub fn undo_updates(&self, batch_seq: i64) -> Result<u64, StoreError> {
        let mut n = 0;
        for (lo, hi) in self.op_ranges(batch_seq, BatchOp::Update)? {
            n += self.tx.execute(
                "UPDATE users SET (username, email, first_name, last_name, phone, status, password_hash, password_expires_at,
                        second_factor, mfa_enrolled, device_limit, attributes, created_at, updated_at, version) =
                     (SELECT username, email, first_name, last_name, phone, status, password_hash, password_expires_at,
                        second_factor, mfa_enrolled, device_limit, attributes, created_at, updated_at, version
                      FROM bulk_before_users b WHERE b.batch_seq = ?1 AND b.id = users.id)
                 WHERE id IN (SELECT user_id FROM bulk_batch_users WHERE batch_seq = ?1 AND op = 'update' AND row BETWEEN ?2 AND ?3)",
                params![batch_seq, lo, hi],
            )? as u64;
            self.restore_memberships(batch_seq, BatchOp::Update, (lo, hi))?;
        }
        Ok(n)
    }

    /// Undo, step 3: re-creates deleted users exactly as they were, under their old seq when
    /// it is free, with their groups and roles that still exist. Returns how many.
    pub fn undo_deletes(&self, batch_seq: i64) -> Result<u64, StoreError> {
        let mut n = 0;
        for (lo, hi) in self.op_ranges(batch_seq, BatchOp::Delete)? {
            n += self.tx.execute(
                "INSERT INTO users (seq, id, username, email, first_name, last_name, phone, status, password_hash,
                        password_expires_at, second_factor, mfa_enrolled, device_limit, attributes, created_at, updated_at, version)
                 SELECT CASE WHEN EXISTS (SELECT 1 FROM users x WHERE x.seq = b.seq) THEN NULL ELSE b.seq END,
                        b.id, b.username, b.email, b.first_name, b.last_name, b.phone, b.status, b.password_hash,
                        b.password_expires_at, b.second_factor, b.mfa_enrolled, b.device_limit, b.attributes, b.created_at,
                        b.updated_at, b.version
                 FROM bulk_batch_users bb JOIN bulk_before_users b ON b.batch_seq = bb.batch_seq AND b.id = bb.user_id
                 WHERE bb.batch_seq = ?1 AND bb.op = 'delete' AND bb.row BETWEEN ?2 AND ?3
                 ORDER BY b.seq",
                params![batch_seq, lo, hi],
            )? as u64;
            self.restore_memberships(batch_seq, BatchOp::Delete, (lo, hi))?;
        }
        Ok(n)
    }

    /// The batch's file rows of `op`, as ranges of at most [`UNDO_CHUNK`] rows: undo works a
    /// range per statement, so what SQLite keeps to roll a statement back (and FTS5's pending
    /// deletes) stays small however big the batch.
    fn op_ranges(&self, batch_seq: i64, op: BatchOp) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut stmt = self.tx.prepare_cached("SELECT row FROM bulk_batch_users WHERE batch_seq = ?1 AND op = ?2 ORDER BY row")?;
        let mut rows = stmt.query(params![batch_seq, op.as_str()])?;
        let mut ranges: Vec<(i64, i64)> = Vec::new();
        // The range being gathered: first row, last row, how many rows.
        let mut current: Option<(i64, i64, usize)> = None;
        while let Some(r) = rows.next()? {
            let row: i64 = r.get(0)?;
            current = match current {
                Some((lo, _, n)) if n < UNDO_CHUNK => Some((lo, row, n + 1)),
                Some((lo, hi, _)) => {
                    ranges.push((lo, hi));
                    Some((row, row, 1))
                }
                None => Some((row, row, 1)),
            };
        }
        ranges.extend(current.map(|(lo, hi, _)| (lo, hi)));
        Ok(ranges)
    }

    /// Memberships of the batch's `op` users with file rows in `rows`, from the before-image,
    /// mapped to their seq now.
    fn restore_memberships(&self, batch_seq: i64, op: BatchOp, rows: (i64, i64)) -> Result<(), StoreError> {
        // Driven by the batch's rows of `op`; every join is a key or index lookup.
        let users = "SELECT b.seq AS old_seq, u.seq AS new_seq FROM bulk_batch_users bb
                     JOIN bulk_before_users b ON b.batch_seq = bb.batch_seq AND b.id = bb.user_id
                     JOIN users u ON u.id = b.id
                     WHERE bb.batch_seq = ?1 AND bb.op = ?2 AND bb.row BETWEEN ?3 AND ?4";
        let args = params![batch_seq, op.as_str(), rows.0, rows.1];
        if op == BatchOp::Update {
            self.tx.execute(&format!("DELETE FROM group_members WHERE user_seq IN (SELECT new_seq FROM ({users}))"), args)?;
            self.tx.execute(&format!("DELETE FROM user_roles WHERE user_seq IN (SELECT new_seq FROM ({users}))"), args)?;
        }
        self.tx.execute(
            &format!(
                "INSERT OR IGNORE INTO group_members (group_seq, user_seq)
                 SELECT g.group_seq, m.new_seq FROM bulk_before_groups g JOIN ({users}) m ON m.old_seq = g.user_seq
                 WHERE g.batch_seq = ?1 AND g.group_seq IN (SELECT seq FROM groups)"
            ),
            args,
        )?;
        self.tx.execute(
            &format!(
                "INSERT OR IGNORE INTO user_roles (user_seq, role_seq)
                 SELECT m.new_seq, r.role_seq FROM bulk_before_roles r JOIN ({users}) m ON m.old_seq = r.user_seq
                 WHERE r.batch_seq = ?1 AND r.role_seq IN (SELECT seq FROM roles)"
            ),
            args,
        )?;
        Ok(())
    }

    pub fn mark_batch_undone(&self, batch_seq: i64, at: Timestamp, by: &str) -> Result<(), StoreError> {
        self.tx.execute("UPDATE bulk_batches SET undone_at = ?2, undone_by = ?3 WHERE seq = ?1", params![batch_seq, timestamp(at), by])?;
        Ok(())
    }
}
