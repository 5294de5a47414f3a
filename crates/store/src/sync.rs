//! Remote directories and the queue of local changes for the linked one (schema 5).
//!
//! The queue is written by triggers (see `0005_sync.sql`) in the transaction of each change,
//! so no path that changes a user or group can forget it; this module reads it and moves it
//! on when the services say a push or a pull did its part.

use roster_core::Timestamp;
use rusqlite::{params, OptionalExtension, Row};

use crate::codec::{parse_timestamp, timestamp};
use crate::{Reader, StoreError, Writer};

/// A remote profile (its token is in the OS keyring, not here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRow {
    pub name: String,
    pub url: String,
    pub insecure: bool,
    pub linked: bool,
    /// The server's self-description at the last discovery (JSON).
    pub capabilities: Option<String>,
    pub discovered_at: Option<Timestamp>,
    pub last_pull: Option<Timestamp>,
    pub last_push: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A local change waiting for a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRow {
    pub seq: i64,
    /// `user` or `group`.
    pub entity: String,
    pub local_id: String,
    /// `upsert` or `delete`.
    pub op: String,
    pub changed_at: Timestamp,
    pub rev: i64,
    pub attempts: u32,
    pub error: Option<String>,
}

/// What the linked remote and the workspace last agreed on for one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedRow {
    pub remote_id: String,
    pub etag: Option<String>,
    /// The agreed representation (JSON).
    pub base: String,
    pub synced_at: Timestamp,
}

const REMOTE_COLUMNS: &str = "name, url, insecure, linked, capabilities, discovered_at, last_pull, last_push, created_at";

fn opt_time(r: &Row<'_>, i: usize) -> Result<Option<Timestamp>, StoreError> {
    r.get::<_, Option<String>>(i)?.map(|t| parse_timestamp(&t)).transpose()
}

fn read_remote(r: &Row<'_>) -> Result<RemoteRow, StoreError> {
    Ok(RemoteRow {
        name: r.get(0)?,
        url: r.get(1)?,
        insecure: r.get(2)?,
        linked: r.get(3)?,
        capabilities: r.get(4)?,
        discovered_at: opt_time(r, 5)?,
        last_pull: opt_time(r, 6)?,
        last_push: opt_time(r, 7)?,
        created_at: parse_timestamp(&r.get::<_, String>(8)?)?,
    })
}

impl Reader<'_> {
    pub fn remotes(&self) -> Result<Vec<RemoteRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {REMOTE_COLUMNS} FROM remotes ORDER BY name"))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(read_remote(r)?);
        }
        Ok(out)
    }

    /// The remote with this name (any case).
    pub fn remote(&self, name: &str) -> Result<Option<RemoteRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {REMOTE_COLUMNS} FROM remotes WHERE name = ?1"))?;
        let mut rows = stmt.query([name])?;
        rows.next()?.map(read_remote).transpose()
    }

    pub fn linked_remote(&self) -> Result<Option<RemoteRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {REMOTE_COLUMNS} FROM remotes WHERE linked = 1"))?;
        let mut rows = stmt.query([])?;
        rows.next()?.map(read_remote).transpose()
    }

    /// How many changes wait for a push, and how many conflicts wait for a decision.
    pub fn sync_counts(&self) -> Result<(u64, u64), StoreError> {
        let pending: i64 = self.conn.query_row("SELECT count(*) FROM sync_pending", [], |r| r.get(0))?;
        let conflicts: i64 = self.conn.query_row("SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL", [], |r| r.get(0))?;
        Ok((pending as u64, conflicts as u64))
    }

    /// Pending changes in the order they were first made, after `after_seq`.
    pub fn pending_changes(&self, after_seq: i64, limit: usize) -> Result<Vec<PendingRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, entity, local_id, op, changed_at, rev, attempts, error FROM sync_pending WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![after_seq, limit as i64])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(PendingRow {
                seq: r.get(0)?,
                entity: r.get(1)?,
                local_id: r.get(2)?,
                op: r.get(3)?,
                changed_at: parse_timestamp(&r.get::<_, String>(4)?)?,
                rev: r.get(5)?,
                attempts: r.get(6)?,
                error: r.get(7)?,
            });
        }
        Ok(out)
    }

    pub fn synced(&self, entity: &str, local_id: &str) -> Result<Option<SyncedRow>, StoreError> {
        self.conn
            .prepare_cached("SELECT remote_id, etag, base, synced_at FROM sync_resources WHERE entity = ?1 AND local_id = ?2")?
            .query_row([entity, local_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))
            .optional()?
            .map(|(remote_id, etag, base, at)| Ok(SyncedRow { remote_id, etag, base, synced_at: parse_timestamp(&at)? }))
            .transpose()
    }
}

impl Writer<'_> {
    pub fn insert_remote(&self, name: &str, url: &str, insecure: bool, at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT INTO remotes (name, url, insecure, created_at) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![name, url, insecure, timestamp(at)])?;
        Ok(())
    }

    /// Removes a remote; if it was the linked one, what was queued and agreed for it goes too.
    pub fn delete_remote(&self, name: &str) -> Result<bool, StoreError> {
        let was_linked: Option<bool> =
            self.tx.prepare_cached("SELECT linked FROM remotes WHERE name = ?1")?.query_row([name], |r| r.get(0)).optional()?;
        let Some(was_linked) = was_linked else { return Ok(false) };
        if was_linked {
            self.tx.execute_batch(
                "DELETE FROM sync_pending; DELETE FROM sync_resources; DELETE FROM sync_passwords; DELETE FROM sync_conflicts;",
            )?;
        }
        self.tx.prepare_cached("DELETE FROM remotes WHERE name = ?1")?.execute([name])?;
        Ok(true)
    }

    /// Links the workspace to `name` (unlinking any other, and forgetting what was queued
    /// and agreed for that one).
    pub fn link_remote(&self, name: &str) -> Result<bool, StoreError> {
        let current: Option<String> = self.tx.query_row("SELECT name FROM remotes WHERE linked = 1", [], |r| r.get(0)).optional()?;
        if current.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(name)) {
            return Ok(true);
        }
        if current.is_some() {
            self.tx.execute_batch(
                "UPDATE remotes SET linked = 0 WHERE linked = 1;
                 DELETE FROM sync_pending; DELETE FROM sync_resources; DELETE FROM sync_passwords; DELETE FROM sync_conflicts;",
            )?;
        }
        Ok(self.tx.prepare_cached("UPDATE remotes SET linked = 1 WHERE name = ?1")?.execute([name])? == 1)
    }

    pub fn set_capabilities(&self, name: &str, capabilities_json: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE remotes SET capabilities = ?2, discovered_at = ?3 WHERE name = ?1")?
            .execute(params![name, capabilities_json, timestamp(at)])?;
        Ok(())
    }

    /// Runs `f` with the change queue off: what a pull merges is the remote's own state.
    pub fn merging<T>(&self, f: impl FnOnce(&Self) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.tx.execute("INSERT OR IGNORE INTO sync_merging (singleton) VALUES (1)", [])?;
        let result = f(self);
        self.tx.execute("DELETE FROM sync_merging", [])?;
        result
    }

    /// Records what both sides now agree on for a resource.
    pub fn set_synced(&self, entity: &str, local_id: &str, s: &SyncedRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sync_resources (entity, local_id, remote_id, etag, base, synced_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (entity, local_id) DO UPDATE SET remote_id = excluded.remote_id, etag = excluded.etag,
                    base = excluded.base, synced_at = excluded.synced_at",
            )?
            .execute(params![entity, local_id, s.remote_id, s.etag, s.base, timestamp(s.synced_at)])?;
        Ok(())
    }

    pub fn forget_synced(&self, entity: &str, local_id: &str) -> Result<(), StoreError> {
        self.tx.prepare_cached("DELETE FROM sync_resources WHERE entity = ?1 AND local_id = ?2")?.execute([entity, local_id])?;
        Ok(())
    }

    /// A pushed change is done, unless the resource changed again since revision `rev` was
    /// read: then it stays queued for the next push.
    pub fn pending_done(&self, seq: i64, rev: i64) -> Result<bool, StoreError> {
        Ok(self.tx.prepare_cached("DELETE FROM sync_pending WHERE seq = ?1 AND rev = ?2")?.execute(params![seq, rev])? == 1)
    }

    pub fn pending_failed(&self, seq: i64, error: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE sync_pending SET attempts = attempts + 1, error = ?2 WHERE seq = ?1")?
            .execute(params![seq, error])?;
        Ok(())
    }
}
