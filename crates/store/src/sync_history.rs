//! The history of pushes (`sync_pushes`, `sync_push_results`, schema 5) read back a page at a
//! time, and the adoption of what existed before a link: every user and group the linked
//! remote does not know yet, queued in one statement.

use roster_core::Timestamp;
use rusqlite::{params, OptionalExtension, Row};

use crate::codec::{parse_timestamp, timestamp};
use crate::{PushResultRow, Reader, StoreError, Writer};

/// One push as kept: its counts are those of its recorded results, so a push stopped before it
/// finished (no `finished_at`) still says what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRow {
    pub seq: i64,
    pub remote: String,
    pub started_at: Timestamp,
    /// None: the push never finished (the program stopped while it ran).
    pub finished_at: Option<Timestamp>,
    pub done: u64,
    pub failed: u64,
    pub conflicts: u64,
    pub not_sent: u64,
}

const PUSH_SELECT: &str = "SELECT p.seq, p.remote, p.started_at, p.finished_at,
        (SELECT count(*) FROM sync_push_results r WHERE r.push_seq = p.seq AND r.result = 'done'),
        (SELECT count(*) FROM sync_push_results r WHERE r.push_seq = p.seq AND r.result = 'failed'),
        (SELECT count(*) FROM sync_push_results r WHERE r.push_seq = p.seq AND r.result = 'conflict'),
        (SELECT count(*) FROM sync_push_results r WHERE r.push_seq = p.seq AND r.result = 'not_sent')
    FROM sync_pushes p";

fn read_push(r: &Row<'_>) -> Result<PushRow, StoreError> {
    let count = |i: usize| -> Result<u64, StoreError> { Ok(r.get::<_, i64>(i)? as u64) };
    Ok(PushRow {
        seq: r.get(0)?,
        remote: r.get(1)?,
        started_at: parse_timestamp(&r.get::<_, String>(2)?)?,
        finished_at: r.get::<_, Option<String>>(3)?.map(|t| parse_timestamp(&t)).transpose()?,
        done: count(4)?,
        failed: count(5)?,
        conflicts: count(6)?,
        not_sent: count(7)?,
    })
}

fn read_result(r: &Row<'_>) -> rusqlite::Result<PushResultRow> {
    Ok(PushResultRow {
        n: r.get(0)?,
        entity: r.get(1)?,
        local_id: r.get(2)?,
        name: r.get(3)?,
        method: r.get(4)?,
        status: r.get(5)?,
        result: r.get(6)?,
        message: r.get(7)?,
    })
}

impl Reader<'_> {
    /// Pushes newest first, those before `before` (a push's seq) when given.
    pub fn pushes(&self, limit: usize, before: Option<i64>) -> Result<Vec<PushRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!("{PUSH_SELECT} WHERE p.seq < ?1 ORDER BY p.seq DESC LIMIT ?2"))?;
        let mut rows = stmt.query(params![before.unwrap_or(i64::MAX), limit as i64])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(read_push(r)?);
        }
        Ok(out)
    }

    pub fn push(&self, seq: i64) -> Result<Option<PushRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!("{PUSH_SELECT} WHERE p.seq = ?1"))?;
        let mut rows = stmt.query([seq])?;
        rows.next()?.map(read_push).transpose()
    }

    /// The newest push's seq, if any push was ever made.
    pub fn last_push_seq(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.conn.query_row("SELECT max(seq) FROM sync_pushes", [], |r| r.get(0)).optional()?.flatten())
    }

    /// A page of a push's results in the order sent, only those with `result` when given.
    pub fn push_results_page(&self, push_seq: i64, result: Option<&str>, offset: u64, limit: usize) -> Result<Vec<PushResultRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT n, entity, local_id, name, method, status, result, message FROM sync_push_results
             WHERE push_seq = ?1 AND (?2 IS NULL OR result = ?2) ORDER BY n LIMIT ?3 OFFSET ?4",
        )?;
        let rows = stmt.query_map(params![push_seq, result, limit as i64, offset as i64], read_result)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many results a push has, only those with `result` when given.
    pub fn push_result_count(&self, push_seq: i64, result: Option<&str>) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM sync_push_results WHERE push_seq = ?1 AND (?2 IS NULL OR result = ?2)")?
            .query_row(params![push_seq, result], |r| r.get(0))?;
        Ok(n as u64)
    }
}

impl Writer<'_> {
    /// Queues an upsert for every user and group the linked remote does not know (no
    /// `sync_resources` row) and that has no change queued already; returns how many were
    /// queued. One `INSERT … SELECT` per entity, so it stays fast for a large workspace; a
    /// queued change keeps its revision, so repeating it never duplicates nor re-arms a row.
    pub fn adopt_unsynced(&self, at: Timestamp) -> Result<u64, StoreError> {
        let at = timestamp(at);
        let mut queued = 0;
        for (entity, table) in [("user", "users"), ("group", "groups")] {
            queued += self.tx.execute(
                &format!(
                    "INSERT INTO sync_pending (entity, local_id, op, changed_at)
                     SELECT '{entity}', t.id, 'upsert', ?1 FROM {table} t
                     WHERE NOT EXISTS (SELECT 1 FROM sync_resources s WHERE s.entity = '{entity}' AND s.local_id = t.id)
                     ORDER BY t.seq
                     ON CONFLICT (entity, local_id) DO NOTHING"
                ),
                [&at],
            )? as u64;
        }
        Ok(queued)
    }
}
