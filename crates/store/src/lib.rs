//! The workspace file: one SQLite database per workspace.
//!
//! [`Store::open`] creates or migrates the file and refuses one written by a newer Roster.
//! Reads go through [`Reader`]; every change goes through [`Store::write`], which runs in
//! one transaction: all of it lands, or none of it.
//!
//! Architecture invariant: the store keeps what it is given and decides no business rule.
//! It knows SQLite and the domain types; it knows nothing of the UI, the network, the
//! keyring or mail.

mod audit;
mod bulk;
mod codec;
mod error;
mod migrations;
mod outbox;
mod page;
mod search;
mod settings;
mod sync;
mod sync_history;
mod users;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use audit::{AuditQuery, AuditRecord, AuditRow};
pub use bulk::{BatchConflicts, BatchCounts, BatchOp, BatchRow, BatchUserState, NewBatch};
pub use error::{StoreError, UniqueField};
pub use migrations::SCHEMA_VERSION;
pub use outbox::{Invitation, NewMail, OutboxCounts, OutboxRow, StoredTemplate};
pub use page::{Cursor, Direction, Page, SortKey, UserFilter, UserQuery};
pub use sync::{ConflictRow, KeptPasswordRow, PendingRow, PushResultRow, RemoteRow, SyncedRow};
pub use sync_history::PushRow;
pub use users::{GroupRow, NewGroup, OnboardingCounts, RoleRow};

/// `PRAGMA application_id` of a Roster workspace ("Rost"), so that Roster never migrates
/// some other program's SQLite file.
pub const APPLICATION_ID: i32 = 0x526f_7374;

pub struct Store {
    conn: Connection,
    path: PathBuf,
    orders: search::SortOrders,
}

impl Store {
    /// Opens the workspace at `path`, creating it (and its folder) when missing and bringing
    /// its schema up to date. A file written by a newer Roster, or a SQLite file that is not
    /// a Roster workspace, is refused and left exactly as it was.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io { path: dir.to_owned(), source: e })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::open(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(|e| StoreError::open(path, e))?;
        migrations::check_and_migrate(&mut conn, path)?;
        configure(&conn).map_err(|e| StoreError::open(path, e))?;
        Ok(Self { conn, path: path.to_owned(), orders: search::SortOrders::default() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn reader(&self) -> Reader<'_> {
        Reader { conn: &self.conn, orders: Some(&self.orders) }
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    pub fn write<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Writer<'_>) -> Result<T, E>) -> Result<T, E> {
        // IMMEDIATE takes the write lock up front, so reads made inside the transaction cannot
        // be invalidated by another writer before this one commits.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::from)?;
        let writer = Writer { tx };
        let value = f(&writer)?;
        writer.tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }
}

/// Per-connection settings: they are not stored in the file, so every open sets them.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -64_000)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // `rarray(?)`: a list of seqs as one parameter, for search results (see search.rs).
    rusqlite::vtab::array::load_module(conn)?;
    Ok(())
}

/// Read access, inside or outside a transaction.
pub struct Reader<'c> {
    conn: &'c Connection,
    /// Cached orders of the sort columns, for searches (none inside a write transaction).
    orders: Option<&'c search::SortOrders>,
}

/// Write access within one transaction. Reads through [`Writer::reader`] see its changes.
pub struct Writer<'c> {
    tx: Transaction<'c>,
}

impl Reader<'_> {
    /// Changes whenever anything in the workspace may have changed: a commit by another
    /// connection (`data_version`) or a change made through this one (`total_changes`).
    /// Equal stamps on the same open workspace mean nothing changed in between.
    pub fn stamp(&self) -> Result<(i64, u64), StoreError> {
        let version: i64 = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok((version, self.conn.total_changes()))
    }
}

impl Writer<'_> {
    pub fn reader(&self) -> Reader<'_> {
        Reader { conn: &self.tx, orders: None }
    }
}

#[cfg(test)]
mod tests {
    /// The desktop keeps the store in a `Mutex` shared across threads.
    #[test]
    fn store_is_send() {
        fn send<T: Send>() {}
        send::<super::Store>();
    }
}
