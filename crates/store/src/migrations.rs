//! Schema migrations: append-only SQL files, applied in order; the version is
//! `PRAGMA user_version`.

use std::path::Path;

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use crate::{StoreError, APPLICATION_ID};

const MIGRATION_SLICE: &[M<'static>] = &[
    M::up(include_str!("../migrations/0001_workspace.sql")),
    M::up(include_str!("../migrations/0002_onboarding_audit_subject.sql")),
    M::up(include_str!("../migrations/0003_bulk_batches.sql")),
    M::up(include_str!("../migrations/0004_mail_outbox.sql")),
    M::up(include_str!("../migrations/0005_sync.sql")),
];

pub(crate) const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_SLICE);

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATION_SLICE.len() as u32;

pub(crate) fn check_and_migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let open_err = |e| StoreError::open(path, e);
    let app_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(open_err)?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(open_err)?;
    let has_tables: bool = conn
        .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_schema)", [], |r| r.get(0))
        .map_err(open_err)?;
    if app_id != APPLICATION_ID && (has_tables || version != 0) {
        return Err(StoreError::NotAWorkspace { path: path.to_owned(), reason: "it is another program's SQLite database".into() });
    }
    if version > i64::from(SCHEMA_VERSION) {
        return Err(StoreError::TooNew { path: path.to_owned(), found: version as u32, supported: SCHEMA_VERSION });
    }
    // WAL is persistent in the file; set before any schema change so readers never block the writer.
    conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
    if app_id != APPLICATION_ID {
        conn.pragma_update(None, "application_id", APPLICATION_ID).map_err(open_err)?;
    }
    MIGRATIONS.to_latest(conn).map_err(|e| match e {
        rusqlite_migration::Error::RusqliteError { err, .. } => StoreError::Sqlite(err),
        other => StoreError::Corrupt(format!("migration failed: {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        MIGRATIONS.validate().expect("every migration applies cleanly to an empty database");
    }

    /// A workspace made by an older Roster is brought up to date with its data kept.
    #[test]
    fn an_older_workspace_is_upgraded_in_place() {
        let dir = std::env::temp_dir().join(format!("roster-migrate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.roster");
        let _ = std::fs::remove_file(&path);
        {
            let mut conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
            Migrations::from_slice(&MIGRATION_SLICE[..1]).to_latest(&mut conn).unwrap();
            conn.execute(
                "INSERT INTO audit_log (at, actor, entity, entity_id, action, summary) VALUES ('2026-01-01T00:00:00Z', 'a', 'user', 'u1', 'create', 'old entry')",
                [],
            )
            .unwrap();
        }
        let mut conn = Connection::open(&path).unwrap();
        check_and_migrate(&mut conn, &path).unwrap();
        let v: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let (summary, subject): (String, String) =
            conn.query_row("SELECT summary, subject FROM audit_log", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!((summary.as_str(), subject.as_str()), ("old entry", ""), "old entries are kept, with an empty subject");
        drop(conn);
        let _ = std::fs::remove_dir_all(dir);
    }
}
