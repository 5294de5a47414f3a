-- Roster workspace, schema 3: bulk batches (a CSV file applied), for their history and an
-- exact undo.

CREATE TABLE bulk_batches (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    applied_at TEXT NOT NULL,
    actor      TEXT NOT NULL,
    file_name  TEXT NOT NULL,
    rows       INTEGER NOT NULL,
    created    INTEGER NOT NULL,
    updated    INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    unchanged  INTEGER NOT NULL,
    failed     INTEGER NOT NULL,
    undone_at  TEXT,
    undone_by  TEXT
) STRICT;

-- Every user a batch created, updated or deleted, by the file's row, with the version the
-- batch left it at (NULL for a delete): undo refuses a user whose version has moved on.
CREATE TABLE bulk_batch_users (
    batch_seq     INTEGER NOT NULL REFERENCES bulk_batches (seq) ON DELETE CASCADE,
    row           INTEGER NOT NULL,
    op            TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    user_id       TEXT NOT NULL,
    version_after INTEGER,
    PRIMARY KEY (batch_seq, row)
) STRICT, WITHOUT ROWID;
CREATE INDEX bulk_batch_users_user ON bulk_batch_users (batch_seq, user_id);

-- The users a batch updated or deleted exactly as they were before it (password hash
-- included), with their groups and roles: what undo puts back.
CREATE TABLE bulk_before_users (
    batch_seq           INTEGER NOT NULL REFERENCES bulk_batches (seq) ON DELETE CASCADE,
    seq                 INTEGER NOT NULL,
    id                  TEXT NOT NULL,
    username            TEXT NOT NULL,
    email               TEXT NOT NULL,
    first_name          TEXT NOT NULL,
    last_name           TEXT NOT NULL,
    phone               TEXT,
    status              TEXT NOT NULL,
    password_hash       TEXT,
    password_expires_at TEXT,
    second_factor       TEXT NOT NULL,
    mfa_enrolled        INTEGER NOT NULL,
    device_limit        INTEGER,
    attributes          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    version             INTEGER NOT NULL,
    PRIMARY KEY (batch_seq, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE bulk_before_groups (
    batch_seq INTEGER NOT NULL REFERENCES bulk_batches (seq) ON DELETE CASCADE,
    user_seq  INTEGER NOT NULL,
    group_seq INTEGER NOT NULL,
    PRIMARY KEY (batch_seq, user_seq, group_seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE bulk_before_roles (
    batch_seq INTEGER NOT NULL REFERENCES bulk_batches (seq) ON DELETE CASCADE,
    user_seq  INTEGER NOT NULL,
    role_seq  INTEGER NOT NULL,
    PRIMARY KEY (batch_seq, user_seq, role_seq)
) STRICT, WITHOUT ROWID;
