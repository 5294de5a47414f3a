-- Roster workspace, schema 1. Append-only: a shipped migration is never edited; a change
-- is a new file. Timestamps are RFC 3339 UTC text, dates YYYY-MM-DD text.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE attribute_definitions (
    name       TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
    type       TEXT NOT NULL CHECK (type IN ('string', 'number', 'boolean', 'date')),
    required   INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
    created_at TEXT NOT NULL
) STRICT;

-- seq is the rowid: the order users were created in, and the tie-breaker of every sort.
CREATE TABLE users (
    seq                 INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    username            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email               TEXT NOT NULL UNIQUE COLLATE NOCASE,
    first_name          TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    last_name           TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    phone               TEXT,
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    password_hash       TEXT,
    password_expires_at TEXT,
    second_factor       TEXT NOT NULL DEFAULT 'none'
                        CHECK (second_factor IN ('none', 'totp', 'email_otp', 'sms_otp', 'push', 'hardware_key')),
    mfa_enrolled        INTEGER NOT NULL DEFAULT 0 CHECK (mfa_enrolled IN (0, 1)),
    device_limit        INTEGER CHECK (device_limit BETWEEN 1 AND 100),
    attributes          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE INDEX users_first_name ON users (first_name);
CREATE INDEX users_last_name ON users (last_name);

-- Free-text search over the words of names, username, email and phone; prefix queries
-- ("smi*") are served from the 2- and 3-character prefix indexes. Contentless: it holds only
-- the index. The phone is indexed in E.164 and without its first one to three digits, so
-- the national number ("4155") is found whatever the length of the country code.
CREATE VIRTUAL TABLE users_search USING fts5 (
    username, email, first_name, last_name, phone,
    content = '', contentless_delete = 1,
    tokenize = "unicode61 remove_diacritics 2 tokenchars '_'",
    prefix = '2 3'
);

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, username, email, first_name, last_name, phone)
    VALUES (new.seq, new.username, new.email, new.first_name, new.last_name,
            new.phone || ' ' || substr(new.phone, 3) || ' ' || substr(new.phone, 4) || ' ' || substr(new.phone, 5));
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM users_search WHERE rowid = old.seq;
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF username, email, first_name, last_name, phone ON users BEGIN
    DELETE FROM users_search WHERE rowid = old.seq;
    INSERT INTO users_search (rowid, username, email, first_name, last_name, phone)
    VALUES (new.seq, new.username, new.email, new.first_name, new.last_name,
            new.phone || ' ' || substr(new.phone, 3) || ' ' || substr(new.phone, 4) || ' ' || substr(new.phone, 5));
END;

CREATE TABLE groups (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE group_members (
    group_seq INTEGER NOT NULL REFERENCES groups (seq) ON DELETE CASCADE,
    user_seq  INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
    PRIMARY KEY (group_seq, user_seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (user_seq);

CREATE TABLE roles (
    seq         INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE user_roles (
    user_seq INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
    role_seq INTEGER NOT NULL REFERENCES roles (seq) ON DELETE CASCADE,
    PRIMARY KEY (user_seq, role_seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_roles_role ON user_roles (role_seq);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    user_seq     INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
    device       TEXT NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (user_seq);

-- Append-only: every mutation adds one entry; the triggers refuse to change or remove one.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action    TEXT NOT NULL,
    summary   TEXT NOT NULL,
    before    TEXT CHECK (before IS NULL OR json_valid(before)),
    after     TEXT CHECK (after IS NULL OR json_valid(after))
) STRICT;
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit log entries are never changed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit log entries are never removed');
END;
