//! Baselines from the `sqlite3` command-line shell: what SQLite itself takes to load, update
//! and delete the rows of a bulk CSV file, with `.import` doing the reading.
//!
//! Each timing is the whole `sqlite3` process, script in on stdin, on a database file made
//! beforehand (untimed) beside Roster's workspace, with the connection settings Roster's store
//! uses: WAL, `synchronous = NORMAL`, a 64 MB page cache and temporary tables in memory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The 13 columns of a bulk file, in its order.
const COLUMNS: &str = "action TEXT, username TEXT, email TEXT, first_name TEXT, last_name TEXT, phone TEXT, \
     password TEXT, groups TEXT, roles TEXT, status TEXT, second_factor TEXT, device_limit TEXT, password_expiry TEXT";

/// Roster's users indexes (crates/store/migrations/0001_workspace.sql) on the file's columns:
/// username and email unique regardless of case, first and last name indexed, and the
/// contentless FTS5 search index kept by triggers, phone expression included. The file writes
/// phones as people do (`+1 650 253 0142`) and Roster indexes them in E.164, which for the
/// generated numbers is that text without its spaces: so the baseline indexes the same words.
const INDEXED_USERS: &str = "
CREATE TABLE users (
    action          TEXT,
    username        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    first_name      TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    last_name       TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    phone           TEXT,
    password        TEXT,
    groups          TEXT,
    roles           TEXT,
    status          TEXT,
    second_factor   TEXT,
    device_limit    TEXT,
    password_expiry TEXT
);
CREATE INDEX users_first_name ON users (first_name);
CREATE INDEX users_last_name ON users (last_name);
";

/// Every new user into the search index, phone expression included.
const SEARCH_INSERT: &str = "
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, username, email, first_name, last_name, phone)
    VALUES (new.rowid, new.username, new.email, new.first_name, new.last_name,
            replace(new.phone, ' ', '') || ' ' || substr(replace(new.phone, ' ', ''), 3) || ' ' || substr(replace(new.phone, ' ', ''), 4) || ' ' || substr(replace(new.phone, ' ', ''), 5));
END;
";

/// Roster's search index, as it is (SQLite 3.43 and later).
const SEARCH_CONTENTLESS_DELETE: &str = "
CREATE VIRTUAL TABLE users_search USING fts5 (
    username, email, first_name, last_name, phone,
    content = '', contentless_delete = 1,
    tokenize = \"unicode61 remove_diacritics 2 tokenchars '_'\",
    prefix = '2 3'
);
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM users_search WHERE rowid = old.rowid;
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF username, email, first_name, last_name, phone ON users BEGIN
    DELETE FROM users_search WHERE rowid = old.rowid;
    INSERT INTO users_search (rowid, username, email, first_name, last_name, phone)
    VALUES (new.rowid, new.username, new.email, new.first_name, new.last_name,
            replace(new.phone, ' ', '') || ' ' || substr(replace(new.phone, ' ', ''), 3) || ' ' || substr(replace(new.phone, ' ', ''), 4) || ' ' || substr(replace(new.phone, ' ', ''), 5));
END;
";

/// The same index for a shell older than 3.43, which has no `contentless_delete`: a
/// contentless table then forgets a row through FTS5's `'delete'` command, given the old values.
const SEARCH_DELETE_COMMAND: &str = "
CREATE VIRTUAL TABLE users_search USING fts5 (
    username, email, first_name, last_name, phone,
    content = '',
    tokenize = \"unicode61 remove_diacritics 2 tokenchars '_'\",
    prefix = '2 3'
);
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, username, email, first_name, last_name, phone)
    VALUES ('delete', old.rowid, old.username, old.email, old.first_name, old.last_name,
            replace(old.phone, ' ', '') || ' ' || substr(replace(old.phone, ' ', ''), 3) || ' ' || substr(replace(old.phone, ' ', ''), 4) || ' ' || substr(replace(old.phone, ' ', ''), 5));
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF username, email, first_name, last_name, phone ON users BEGIN
    INSERT INTO users_search (users_search, rowid, username, email, first_name, last_name, phone)
    VALUES ('delete', old.rowid, old.username, old.email, old.first_name, old.last_name,
            replace(old.phone, ' ', '') || ' ' || substr(replace(old.phone, ' ', ''), 3) || ' ' || substr(replace(old.phone, ' ', ''), 4) || ' ' || substr(replace(old.phone, ' ', ''), 5));
    INSERT INTO users_search (rowid, username, email, first_name, last_name, phone)
    VALUES (new.rowid, new.username, new.email, new.first_name, new.last_name,
            replace(new.phone, ' ', '') || ' ' || substr(replace(new.phone, ' ', ''), 3) || ' ' || substr(replace(new.phone, ' ', ''), 4) || ' ' || substr(replace(new.phone, ' ', ''), 5));
END;
";

/// Per connection, as `roster_store` opens one (WAL is set once, with the schema).
const CONNECTION: &str = "PRAGMA synchronous = NORMAL;\nPRAGMA cache_size = -64000;\nPRAGMA temp_store = MEMORY;\n";

/// The `sqlite3` program on PATH.
pub struct Sqlite3 {
    program: PathBuf,
    /// `3.40.1`, say.
    pub version: String,
    /// Whether this shell's FTS5 has `contentless_delete` (3.43+), as Roster's bundled SQLite does.
    pub contentless_delete: bool,
}

impl Sqlite3 {
    /// Finds `sqlite3`; stops the benchmark, saying how to install it, when there is none.
    pub fn find() -> Sqlite3 {
        let program = PathBuf::from(std::env::var_os("ROSTER_BENCH_SQLITE3").unwrap_or_else(|| "sqlite3".into()));
        let output = Command::new(&program).arg("--version").output().unwrap_or_else(|e| {
            panic!("bulk baselines need the sqlite3 command-line shell ({}: {e}); scripts/setup installs it", program.display())
        });
        let version = String::from_utf8_lossy(&output.stdout).split_whitespace().next().unwrap_or("?").to_owned();
        let probe = "CREATE VIRTUAL TABLE probe USING fts5 (a, content = '', contentless_delete = 1);";
        let contentless_delete = Command::new(&program)
            .args([":memory:", probe])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        Sqlite3 { program, version, contentless_delete }
    }

    /// How the indexed baseline keeps its search index, for the report.
    pub fn search_index(&self) -> &'static str {
        if self.contentless_delete {
            "contentless_delete FTS5 as Roster's"
        } else {
            "this shell predates contentless_delete: FTS5 deletes by the 'delete' command"
        }
    }

    /// `.import` into a table of the file's 13 columns and no index.
    pub fn plain_import(&self, db: &Path, csv: &Path) -> Duration {
        self.create(db, &format!("CREATE TABLE users ({COLUMNS});"));
        let t = self.timed(db, &format!("{CONNECTION}.import --csv --skip 1 {} users\n", quoted(csv)));
        t.0
    }

    /// `.import` into a table with Roster's users indexes and search index.
    pub fn indexed_import(&self, db: &Path, csv: &Path) -> Duration {
        let search = if self.contentless_delete { SEARCH_CONTENTLESS_DELETE } else { SEARCH_DELETE_COMMAND };
        self.create(db, &format!("{INDEXED_USERS}{search}{SEARCH_INSERT}"));
        self.timed(db, &format!("{CONNECTION}.import --csv --skip 1 {} users\n", quoted(csv))).0
    }

    /// `.import` of an update file into a staging table, then one `UPDATE … FROM` giving each
    /// named user the file's first name and phone; one transaction. Returns the time and the
    /// number of users changed.
    pub fn update_from(&self, db: &Path, csv: &Path) -> (Duration, u64) {
        self.staged(
            db,
            csv,
            "UPDATE users SET first_name = s.first_name, phone = s.phone FROM temp.staging AS s WHERE users.username = s.username;",
        )
    }

    /// `.import` of a delete file into a staging table, then one `DELETE` of the users it names.
    pub fn delete_in(&self, db: &Path, csv: &Path) -> (Duration, u64) {
        self.staged(db, csv, "DELETE FROM users WHERE username IN (SELECT username FROM temp.staging);")
    }

    /// Rows in `users` (untimed check that a baseline did its work).
    pub fn count_users(&self, db: &Path) -> u64 {
        let out = self.run(db, "SELECT count(*) FROM users;\n");
        out.trim().parse().unwrap_or_else(|_| panic!("sqlite3 count: {out:?}"))
    }

    fn staged(&self, db: &Path, csv: &Path, statement: &str) -> (Duration, u64) {
        let script = format!(
            "{CONNECTION}BEGIN IMMEDIATE;\nCREATE TEMP TABLE staging ({COLUMNS});\n\
             .import --csv --skip 1 --schema temp {} staging\n{statement}\nSELECT changes();\nCOMMIT;\n",
            quoted(csv)
        );
        let (took, out) = self.timed(db, &script);
        let changed = out.lines().last().and_then(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("sqlite3 changes(): {out:?}"));
        (took, changed)
    }

    /// A fresh database file in WAL mode holding `schema`.
    fn create(&self, db: &Path, schema: &str) {
        remove_db(db);
        self.run(db, &format!("PRAGMA journal_mode = WAL;\n{schema}\n"));
    }

    fn timed(&self, db: &Path, script: &str) -> (Duration, String) {
        let t = Instant::now();
        let out = self.run(db, script);
        (t.elapsed(), out)
    }

    /// Runs `script` on `db`; anything on stderr (a refused row, a failed statement) stops the
    /// benchmark: a baseline that skipped work would flatter nobody.
    fn run(&self, db: &Path, script: &str) -> String {
        let mut child = Command::new(&self.program)
            .arg("-batch")
            .arg("-bail")
            .arg(db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}", self.program.display()));
        child.stdin.take().expect("piped stdin").write_all(script.as_bytes()).expect("write the sqlite3 script");
        let output = child.wait_with_output().expect("wait for sqlite3");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success() && stderr.trim().is_empty(), "sqlite3 {} failed ({}):\n{stderr}\nscript:\n{script}", db.display(), output.status);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// A database file and its WAL and shared-memory files, gone.
pub fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// A path as one argument of a dot-command.
fn quoted(path: &Path) -> String {
    let text = path.to_str().expect("bench paths are UTF-8");
    assert!(!text.contains(['"', '\\']), "a path sqlite3's dot-commands can take: {text}");
    format!("\"{text}\"")
}
