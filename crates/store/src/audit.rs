//! The audit log: appended to by every change, never altered (triggers refuse it).

use roster_core::{AuditAction, AuditEntity, Timestamp};

use crate::codec::{parse_timestamp, timestamp};
use crate::{Reader, StoreError, Writer};

/// One entry to append. `before` and `after` are JSON documents of the entity.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    pub at: Timestamp,
    pub actor: &'a str,
    pub entity: AuditEntity,
    pub entity_id: &'a str,
    pub action: AuditAction,
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
    pub action: String,
    pub summary: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Writer<'_> {
    pub fn append_audit(&self, r: &AuditRecord<'_>) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO audit_log (at, actor, entity, entity_id, action, summary, before, after)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(rusqlite::params![
                timestamp(r.at),
                r.actor,
                r.entity.as_str(),
                r.entity_id,
                r.action.as_str(),
                r.summary,
                r.before,
                r.after
            ])?;
        Ok(())
    }
}

impl Reader<'_> {
    /// The newest entries first, optionally for one entity id.
    pub fn audit_entries(&self, entity_id: Option<&str>, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, at, actor, entity, entity_id, action, summary, before, after FROM audit_log
             WHERE ?1 IS NULL OR entity_id = ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![entity_id, limit as i64], |r| {
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
            ))
        })?;
        rows.map(|row| {
            let (seq, at, actor, entity, entity_id, action, summary, before, after) = row?;
            Ok(AuditRow { seq, at: parse_timestamp(&at)?, actor, entity, entity_id, action, summary, before, after })
        })
        .collect()
    }
}
