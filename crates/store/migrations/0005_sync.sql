-- Roster workspace, schema 5: remote directories (SCIM 2.0) and the queue of local changes
-- waiting to be pushed to the linked one.

-- Remote profiles. Their bearer tokens live in the OS keyring, never here. At most one is
-- linked: the workspace's changes queue for it.
CREATE TABLE remotes (
    seq           INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    url           TEXT NOT NULL,
    insecure      INTEGER NOT NULL DEFAULT 0 CHECK (insecure IN (0, 1)),
    linked        INTEGER NOT NULL DEFAULT 0 CHECK (linked IN (0, 1)),
    -- What the server said of itself at the last discovery (JSON), and when.
    capabilities  TEXT CHECK (capabilities IS NULL OR json_valid(capabilities)),
    discovered_at TEXT,
    last_pull     TEXT,
    last_push     TEXT,
    created_at    TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX remotes_one_linked ON remotes (linked) WHERE linked = 1;

-- Each local user or group known to the linked remote: its id there, its ETag / version, and
-- the representation both sides last agreed on (JSON), the base of a three-way comparison.
CREATE TABLE sync_resources (
    entity    TEXT NOT NULL CHECK (entity IN ('user', 'group')),
    local_id  TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    etag      TEXT,
    base      TEXT NOT NULL CHECK (json_valid(base)),
    synced_at TEXT NOT NULL,
    PRIMARY KEY (entity, local_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX sync_resources_remote ON sync_resources (entity, remote_id);

-- Local changes waiting for a push: one row per changed user or group, whatever the number of
-- changes (push sends the difference between the resource now and its base). Written by the
-- triggers below in the transaction of the change itself, whichever path made it (form, CLI,
-- bulk, undo, actions), and only while a remote is linked and no pull is merging.
CREATE TABLE sync_pending (
    seq        INTEGER PRIMARY KEY,
    entity     TEXT NOT NULL CHECK (entity IN ('user', 'group')),
    local_id   TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    changed_at TEXT NOT NULL,
    -- Counts the changes since queued: a push that read revision N removes the row only if
    -- no change came after it.
    rev        INTEGER NOT NULL DEFAULT 1,
    attempts   INTEGER NOT NULL DEFAULT 0,
    error      TEXT,
    UNIQUE (entity, local_id)
) STRICT;

-- One row while a pull merges the remote's state: those writes are not local changes.
CREATE TABLE sync_merging (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1)
) STRICT;

CREATE TRIGGER sync_user_insert AFTER INSERT ON users
WHEN EXISTS (SELECT 1 FROM remotes WHERE linked = 1) AND NOT EXISTS (SELECT 1 FROM sync_merging) BEGIN
    INSERT INTO sync_pending (entity, local_id, op, changed_at) VALUES ('user', new.id, 'upsert', new.updated_at)
    ON CONFLICT (entity, local_id) DO UPDATE SET op = 'upsert', changed_at = excluded.changed_at, attempts = 0, error = NULL, rev = rev + 1;
END;
CREATE TRIGGER sync_user_update AFTER UPDATE ON users
WHEN EXISTS (SELECT 1 FROM remotes WHERE linked = 1) AND NOT EXISTS (SELECT 1 FROM sync_merging) BEGIN
    INSERT INTO sync_pending (entity, local_id, op, changed_at) VALUES ('user', new.id, 'upsert', new.updated_at)
    ON CONFLICT (entity, local_id) DO UPDATE SET op = 'upsert', changed_at = excluded.changed_at, attempts = 0, error = NULL, rev = rev + 1;
END;
CREATE TRIGGER sync_user_delete AFTER DELETE ON users
WHEN EXISTS (SELECT 1 FROM remotes WHERE linked = 1) AND NOT EXISTS (SELECT 1 FROM sync_merging) BEGIN
    INSERT INTO sync_pending (entity, local_id, op, changed_at) VALUES ('user', old.id, 'delete', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    ON CONFLICT (entity, local_id) DO UPDATE SET op = 'delete', changed_at = excluded.changed_at, attempts = 0, error = NULL, rev = rev + 1;
END;

-- Roles and sessions travel with the user; memberships with the group.
CREATE TRIGGER sync_user_roles_insert AFTER INSERT ON user_roles
WHEN EXISTS (SELECT 1 FROM remotes WHERE linked = 1) AND NOT EXISTS (SELECT 1 FROM sync_merging) BEGIN
    INSERT INTO sync_pending (entity, local_id, op, changed_at)
    SELECT 'user', id, 'upsert', strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM users WHERE seq = new.user_seq
    ON CONFLICT (entity, local_id) DO UPDATE SET op = 'upsert', changed_at = excluded.changed_at, attempts = 0, error = NULL, rev = rev + 1;
END;
CREATE TRIGGER sync_user_roles_delete AFTER DELETE ON user_roles
WHEN EXISTS (SELECT 1 FROM remotes WHERE linked = 1) AND NOT EXISTS (SELECT 1 FROM sync_merging) BEGIN
    INSERT INTO sync_pending (entity, local_id, op, changed_at)
    SELECT 'user', id, 'upsert', strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM users WHERE seq = old.user_seq
    ON CONFLICT (entity, local_id) DO UPDATE SET op = 'upsert', changed_at = excluded.changed_at, attempts = 0, error = NULL, rev = rev + 1;
END;
CREATE TRIGGER sync_sessions_delete AFTER DELETE ON sessions
WHEN EXISTS (SELECT 1 FROM remotes WHERE linked = 1) AND NOT EXISTS (SELECT 1 FROM sync_merging) BEGIN
    INSERT INTO sync_pending (entity, local_id, op, changed_at)
    SELECT 'user', id, 'upsert', strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM users WHERE seq = old.user_seq
    ON CONFLICT (entity, local_id) DO UPDATE SET op = 'upsert', changed_at = excluded.changed_at, attempts = 0, error = NULL, rev = rev + 1;
END;

CREATE TRIGGER sync_group_insert AFTER INSERT ON groups
WHEN EXISTS (SELECT 1 FROM remotes WHERE linked = 1) AND NOT EXISTS (SELECT 1 FROM sync_merging) BEGIN
    INSERT INTO sync_pending (entity, local_id, op, changed_at) VALUES ('group', new.id, 'upsert', new.updated_at)
    ON CONFLICT (entity, local_id) DO UPDATE SET op = 'upsert', changed_at = excluded.changed_at, attempts = 0, error = NULL, rev = rev + 1;
END;
CREATE TRIGGER sync_group_update AFTER UPDATE ON groups
WHEN EXISTS (SELECT 1 FROM remotes WHERE linked = 1) AND NOT EXISTS (SELECT 1 FROM sync_merging) BEGIN
    INSERT INTO sync_pending (entity, local_id, op, changed_at) VALUES ('group', new.id, 'upsert', new.updated_at)
    ON CONFLICT (entity, local_id) DO UPDATE SET op = 'upsert', changed_at = excluded.changed_at, attempts = 0, error = NULL, rev = rev + 1;
END;
CREATE TRIGGER sync_group_delete AFTER DELETE ON groups
WHEN EXISTS (SELECT 1 FROM remotes WHERE linked = 1) AND NOT EXISTS (SELECT 1 FROM sync_merging) BEGIN
    INSERT INTO sync_pending (entity, local_id, op, changed_at) VALUES ('group', old.id, 'delete', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    ON CONFLICT (entity, local_id) DO UPDATE SET op = 'delete', changed_at = excluded.changed_at, attempts = 0, error = NULL, rev = rev + 1;
END;
CREATE TRIGGER sync_group_members_insert AFTER INSERT ON group_members
WHEN EXISTS (SELECT 1 FROM remotes WHERE linked = 1) AND NOT EXISTS (SELECT 1 FROM sync_merging) BEGIN
    INSERT INTO sync_pending (entity, local_id, op, changed_at)
    SELECT 'group', id, 'upsert', strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM groups WHERE seq = new.group_seq
    ON CONFLICT (entity, local_id) DO UPDATE SET op = 'upsert', changed_at = excluded.changed_at, attempts = 0, error = NULL, rev = rev + 1;
END;
CREATE TRIGGER sync_group_members_delete AFTER DELETE ON group_members
WHEN EXISTS (SELECT 1 FROM remotes WHERE linked = 1) AND NOT EXISTS (SELECT 1 FROM sync_merging) BEGIN
    INSERT INTO sync_pending (entity, local_id, op, changed_at)
    SELECT 'group', id, 'upsert', strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM groups WHERE seq = old.group_seq
    ON CONFLICT (entity, local_id) DO UPDATE SET op = 'upsert', changed_at = excluded.changed_at, attempts = 0, error = NULL, rev = rev + 1;
END;

-- Passwords set offline (form, bulk, temporary passwords), encrypted with a key kept in the
-- OS keyring, until pushed; deleted once the remote has them.
CREATE TABLE sync_passwords (
    user_id    TEXT PRIMARY KEY NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    set_at     TEXT NOT NULL
) STRICT;

-- Conflicts: a push refused with 412, or a pull that found the remote changed while a local
-- change waited. Mine, theirs and base per field (JSON objects), until resolved.
CREATE TABLE sync_conflicts (
    seq         INTEGER PRIMARY KEY,
    entity      TEXT NOT NULL CHECK (entity IN ('user', 'group')),
    local_id    TEXT NOT NULL,
    remote_id   TEXT,
    mine        TEXT NOT NULL CHECK (json_valid(mine)),
    theirs      TEXT NOT NULL CHECK (json_valid(theirs)),
    base        TEXT NOT NULL CHECK (json_valid(base)),
    theirs_etag TEXT,
    found_at    TEXT NOT NULL,
    resolved_at TEXT,
    resolution  TEXT
) STRICT;
CREATE UNIQUE INDEX sync_conflicts_open ON sync_conflicts (entity, local_id) WHERE resolved_at IS NULL;

-- The results of every push, per operation, kept for export.
CREATE TABLE sync_pushes (
    seq         INTEGER PRIMARY KEY,
    remote      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    sent        INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    conflicts   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE sync_push_results (
    push_seq INTEGER NOT NULL REFERENCES sync_pushes (seq) ON DELETE CASCADE,
    n        INTEGER NOT NULL,
    entity   TEXT NOT NULL,
    local_id TEXT NOT NULL,
    name     TEXT NOT NULL,
    method   TEXT NOT NULL,
    status   INTEGER,
    result   TEXT NOT NULL,
    message  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (push_seq, n)
) STRICT, WITHOUT ROWID;
