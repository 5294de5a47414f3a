-- Roster workspace, schema 4: the mail outbox, invitations and edited mail templates.

-- Every mail goes through here: queued → sending → sent | failed. A user's mail is rendered
-- when it is sent (from the user as they are then); other mails (the bulk result) keep their
-- finished content. A row left in 'sending' by a crash may have reached the server: it is
-- never sent again by itself, only failed with that reason so the admin can retry it.
CREATE TABLE mail_outbox (
    seq             INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('activation', 'password_reset', 'welcome', 'bulk_result')),
    -- The user a user's mail is for (their id: the mail fails if they are gone by then).
    user_id         TEXT,
    -- Where it goes: the user's address when queued (updated when sent), or the admin's.
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL DEFAULT '',
    body_text       TEXT,
    body_html       TEXT,
    attachment_name TEXT,
    attachment      BLOB,
    -- A reminder of an activation mail sent before.
    reminder        INTEGER NOT NULL DEFAULT 0 CHECK (reminder IN (0, 1)),
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    error_code      TEXT,
    error           TEXT,
    queued_at       TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    sent_at         TEXT
) STRICT;

CREATE INDEX mail_outbox_state ON mail_outbox (state, seq);
CREATE INDEX mail_outbox_user ON mail_outbox (user_id) WHERE user_id IS NOT NULL;

-- Users sent an activation mail who have not set a password since: "invited". A temporary
-- password mailed to them is kept only as its argon2id hash, expired at once (it must be
-- changed at first sign-in); the sync pushes it to a linked directory.
CREATE TABLE invitations (
    user_seq                INTEGER PRIMARY KEY REFERENCES users (seq) ON DELETE CASCADE,
    invited_at              TEXT NOT NULL,
    last_sent_at            TEXT NOT NULL,
    mails                   INTEGER NOT NULL DEFAULT 1,
    temporary_password_hash TEXT,
    temporary_password_set  TEXT
) STRICT;

CREATE INDEX invitations_last_sent ON invitations (last_sent_at);

-- Setting a password (form, CLI, bulk, sync) ends the invitation: the user has onboarded.
CREATE TRIGGER invitations_end AFTER UPDATE OF password_hash ON users
WHEN new.password_hash IS NOT NULL BEGIN
    DELETE FROM invitations WHERE user_seq = new.seq;
END;

-- Templates the admin edited; a kind without a row uses Roster's default.
CREATE TABLE mail_templates (
    kind       TEXT PRIMARY KEY NOT NULL CHECK (kind IN ('activation', 'password_reset', 'welcome', 'bulk_result')),
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
