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

/// A conflict between a local change and the remote's (mine, theirs, base: JSON objects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRow {
    pub seq: i64,
    /// `user` or `group`.
    pub entity: String,
    pub local_id: String,
    pub remote_id: Option<String>,
    pub mine: String,
    pub theirs: String,
    pub base: String,
    pub theirs_etag: Option<String>,
    pub found_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub resolution: Option<String>,
}

/// One operation's result in a push, as kept for export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushResultRow {
    pub n: i64,
    pub entity: String,
    pub local_id: String,
    /// The user name or group name, for people.
    pub name: String,
    /// `POST`, `PATCH`, `DELETE`.
    pub method: String,
    pub status: Option<u16>,
    /// `done`, `failed`, `conflict`, `not_sent`.
    pub result: String,
    pub message: String,
}

/// A password set offline, encrypted, waiting for a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPasswordRow {
    pub user_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub set_at: Timestamp,
}

const CONFLICT_COLUMNS: &str =
    "seq, entity, local_id, remote_id, mine, theirs, base, theirs_etag, found_at, resolved_at, resolution";

fn read_conflict(r: &Row<'_>) -> Result<ConflictRow, StoreError> {
    Ok(ConflictRow {
        seq: r.get(0)?,
        entity: r.get(1)?,
        local_id: r.get(2)?,
        remote_id: r.get(3)?,
        mine: r.get(4)?,
        theirs: r.get(5)?,
        base: r.get(6)?,
        theirs_etag: r.get(7)?,
        found_at: parse_timestamp(&r.get::<_, String>(8)?)?,
        resolved_at: opt_time(r, 9)?,
        resolution: r.get(10)?,
    })
}

fn read_pending(r: &Row<'_>) -> Result<PendingRow, StoreError> {
    Ok(PendingRow {
        seq: r.get(0)?,
        entity: r.get(1)?,
        local_id: r.get(2)?,
        op: r.get(3)?,
        changed_at: parse_timestamp(&r.get::<_, String>(4)?)?,
        rev: r.get(5)?,
        attempts: r.get(6)?,
        error: r.get(7)?,
    })
}

impl Reader<'_> {
    /// The local id of the resource the linked remote knows as `remote_id`.
    pub fn synced_local_id(&self, entity: &str, remote_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT local_id FROM sync_resources WHERE entity = ?1 AND remote_id = ?2")?
            .query_row([entity, remote_id], |r| r.get(0))
            .optional()?)
    }

    /// Every (local id, remote id) of an entity the linked remote knows.
    pub fn synced_ids(&self, entity: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT local_id, remote_id FROM sync_resources WHERE entity = ?1")?;
        let rows = stmt.query_map([entity], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The change waiting for a push for this resource, if any.
    pub fn pending_for(&self, entity: &str, local_id: &str) -> Result<Option<PendingRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, entity, local_id, op, changed_at, rev, attempts, error FROM sync_pending WHERE entity = ?1 AND local_id = ?2",
        )?;
        let mut rows = stmt.query([entity, local_id])?;
        rows.next()?.map(read_pending).transpose()
    }

    /// Open conflicts (unresolved), oldest first.
    pub fn open_conflicts(&self) -> Result<Vec<ConflictRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {CONFLICT_COLUMNS} FROM sync_conflicts WHERE resolved_at IS NULL ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(read_conflict(r)?);
        }
        Ok(out)
    }

    pub fn conflict(&self, seq: i64) -> Result<Option<ConflictRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {CONFLICT_COLUMNS} FROM sync_conflicts WHERE seq = ?1"))?;
        let mut rows = stmt.query([seq])?;
        rows.next()?.map(read_conflict).transpose()
    }

    /// A group by its id: (name, description).
    pub fn group_by_id(&self, id: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT name, description FROM groups WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// The ids of a group's members (by the group's id), sorted.
    pub fn group_member_ids(&self, group_id: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT u.id FROM group_members m JOIN users u ON u.seq = m.user_seq JOIN groups g ON g.seq = m.group_seq
             WHERE g.id = ?1 ORDER BY u.id",
        )?;
        let rows = stmt.query_map([group_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every group's id and name.
    pub fn group_ids(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT id, name FROM groups ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn kept_password(&self, user_id: &str) -> Result<Option<KeptPasswordRow>, StoreError> {
        self.conn
            .prepare_cached("SELECT user_id, nonce, ciphertext, set_at FROM sync_passwords WHERE user_id = ?1")?
            .query_row([user_id], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?)))
            .optional()?
            .map(|(user_id, nonce, ciphertext, at)| Ok(KeptPasswordRow { user_id, nonce, ciphertext, set_at: parse_timestamp(&at)? }))
            .transpose()
    }

    /// The results of a push, in the order sent.
    pub fn push_results(&self, push_seq: i64) -> Result<Vec<PushResultRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT n, entity, local_id, name, method, status, result, message FROM sync_push_results WHERE push_seq = ?1 ORDER BY n",
        )?;
        let rows = stmt.query_map([push_seq], |r| {
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
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Writer<'_> {
    pub fn set_last_pull(&self, name: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx.prepare_cached("UPDATE remotes SET last_pull = ?2 WHERE name = ?1")?.execute(params![name, timestamp(at)])?;
        Ok(())
    }

    pub fn set_last_push(&self, name: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx.prepare_cached("UPDATE remotes SET last_push = ?2 WHERE name = ?1")?.execute(params![name, timestamp(at)])?;
        Ok(())
    }

    /// Queues a change for a resource by hand (as the triggers do), e.g. when a conflict is
    /// resolved by keeping the local side.
    pub fn queue_change(&self, entity: &str, local_id: &str, op: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sync_pending (entity, local_id, op, changed_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (entity, local_id) DO UPDATE SET op = excluded.op, changed_at = excluded.changed_at,
                    attempts = 0, error = NULL, rev = rev + 1",
            )?
            .execute(params![entity, local_id, op, timestamp(at)])?;
        Ok(())
    }

    /// Drops the queued change of a resource whatever its revision (the remote's state won).
    pub fn pending_drop(&self, entity: &str, local_id: &str) -> Result<(), StoreError> {
        self.tx.prepare_cached("DELETE FROM sync_pending WHERE entity = ?1 AND local_id = ?2")?.execute([entity, local_id])?;
        Ok(())
    }

    /// Records a conflict, or refreshes the open one of the same resource.
    #[allow(clippy::too_many_arguments)]
    pub fn record_conflict(
        &self,
        entity: &str,
        local_id: &str,
        remote_id: Option<&str>,
        mine: &str,
        theirs: &str,
        base: &str,
        theirs_etag: Option<&str>,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let existing: Option<i64> = self
            .tx
            .prepare_cached("SELECT seq FROM sync_conflicts WHERE entity = ?1 AND local_id = ?2 AND resolved_at IS NULL")?
            .query_row([entity, local_id], |r| r.get(0))
            .optional()?;
        if let Some(seq) = existing {
            self.tx
                .prepare_cached(
                    "UPDATE sync_conflicts SET remote_id = ?2, mine = ?3, theirs = ?4, base = ?5, theirs_etag = ?6, found_at = ?7 WHERE seq = ?1",
                )?
                .execute(params![seq, remote_id, mine, theirs, base, theirs_etag, timestamp(at)])?;
            return Ok(seq);
        }
        self.tx
            .prepare_cached(
                "INSERT INTO sync_conflicts (entity, local_id, remote_id, mine, theirs, base, theirs_etag, found_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![entity, local_id, remote_id, mine, theirs, base, theirs_etag, timestamp(at)])?;
        Ok(self.tx.last_insert_rowid())
    }

    pub fn resolve_conflict(&self, seq: i64, resolution: &str, at: Timestamp) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("UPDATE sync_conflicts SET resolved_at = ?2, resolution = ?3 WHERE seq = ?1 AND resolved_at IS NULL")?
            .execute(params![seq, timestamp(at), resolution])?
            == 1)
    }

    /// Settles the open conflict of a resource, if any, when a pull found the two sides agree
    /// again (`resolution` says how, e.g. `merged`).
    pub fn close_open_conflict(&self, entity: &str, local_id: &str, resolution: &str, at: Timestamp) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("UPDATE sync_conflicts SET resolved_at = ?3, resolution = ?4 WHERE entity = ?1 AND local_id = ?2 AND resolved_at IS NULL")?
            .execute(params![entity, local_id, timestamp(at), resolution])?
            == 1)
    }

    pub fn keep_password(&self, user_id: &str, nonce: &[u8], ciphertext: &[u8], at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sync_passwords (user_id, nonce, ciphertext, set_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user_id) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext, set_at = excluded.set_at",
            )?
            .execute(params![user_id, nonce, ciphertext, timestamp(at)])?;
        Ok(())
    }

    /// Drops a kept password, if it is still the one set at `set_at` (a newer one stays).
    pub fn drop_password(&self, user_id: &str, set_at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM sync_passwords WHERE user_id = ?1 AND set_at = ?2")?
            .execute(params![user_id, timestamp(set_at)])?;
        Ok(())
    }

    /// Starts the record of a push; returns its seq.
    pub fn insert_push(&self, remote: &str, at: Timestamp) -> Result<i64, StoreError> {
        self.tx.prepare_cached("INSERT INTO sync_pushes (remote, started_at) VALUES (?1, ?2)")?.execute(params![remote, timestamp(at)])?;
        Ok(self.tx.last_insert_rowid())
    }

    pub fn finish_push(&self, seq: i64, at: Timestamp, sent: u64, failed: u64, conflicts: u64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE sync_pushes SET finished_at = ?2, sent = ?3, failed = ?4, conflicts = ?5 WHERE seq = ?1")?
            .execute(params![seq, timestamp(at), sent as i64, failed as i64, conflicts as i64])?;
        Ok(())
    }

    pub fn insert_push_result(&self, push_seq: i64, r: &PushResultRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sync_push_results (push_seq, n, entity, local_id, name, method, status, result, message)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![push_seq, r.n, r.entity, r.local_id, r.name, r.method, r.status, r.result, r.message])?;
        Ok(())
    }
}
