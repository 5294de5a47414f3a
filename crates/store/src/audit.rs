//! The audit log: appended to by every change, never altered (triggers refuse it).

use roster_core::{AuditEntity, Timestamp};

use crate::codec::{parse_timestamp, timestamp};
use crate::{Reader, StoreError, Writer};

/// One entry to append. `before` and `after` are JSON documents of the entity.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    pub at: Timestamp,
    pub actor: &'a str,
    pub entity: AuditEntity,
    pub entity_id: &'a str,
    /// The username or group name at the time, to find the entry by name later.
    pub subject: &'a str,
    pub action: &'a str,
    pub summary: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub subject: String,
    pub action: String,
    pub summary: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Writer<'_> {
    /// Appends the entry; returns its seq.
    pub fn append_audit(&self, r: &AuditRecord<'_>) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO audit_log (at, actor, entity, entity_id, action, summary, before, after, subject)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(rusqlite::params![
                timestamp(r.at),
                r.actor,
                r.entity.as_str(),
                r.entity_id,
                r.action,
                r.summary,
                r.before,
                r.after,
                r.subject
            ])?;
        Ok(self.tx.last_insert_rowid())
    }
}

/// Which entries to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// The username or group name the entry is about (any case).
    pub subject: Option<String>,
    pub action: Option<String>,
    pub limit: usize,
    /// Entries older than this seq (the last seq of the previous page).
    pub before_seq: Option<i64>,
}

impl Reader<'_> {
    /// One page of entries, newest first.
    pub fn audit_page(&self, q: &AuditQuery) -> Result<Vec<AuditRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, at, actor, entity, entity_id, subject, action, summary, before, after FROM audit_log
             WHERE (?1 IS NULL OR subject = ?1 COLLATE NOCASE) AND (?2 IS NULL OR action = ?2)
               AND (?3 IS NULL OR seq < ?3)
             ORDER BY seq DESC LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            rusqlite::params![q.subject, q.action, q.before_seq, q.limit.max(1) as i64],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            },
        )?;
        rows.map(|row| {
            let (seq, at, actor, entity, entity_id, subject, action, summary, before, after) = row?;
            Ok(AuditRow { seq, at: parse_timestamp(&at)?, actor, entity, entity_id, subject, action, summary, before, after })
        })
        .collect()
    }

    /// One entry by seq.
    pub fn audit_entry(&self, seq: i64) -> Result<Option<AuditRow>, StoreError> {
        Ok(self.audit_page(&AuditQuery { limit: 1, before_seq: Some(seq + 1), ..AuditQuery::default() })?.into_iter().find(|r| r.seq == seq))
    }

    /// The newest entries first, optionally for one entity id.
    pub fn audit_entries(&self, entity_id: Option<&str>, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT seq FROM audit_log WHERE ?1 IS NULL OR entity_id = ?1 ORDER BY seq DESC LIMIT ?2")?;
        let seqs: Vec<i64> = stmt.query_map(rusqlite::params![entity_id, limit as i64], |r| r.get(0))?.collect::<Result<_, _>>()?;
        seqs.into_iter().filter_map(|s| self.audit_entry(s).transpose()).collect()
    }
}
