-- Roster workspace, schema 2: fast onboarding statistics, and the audit log's subject (the
-- username or group name at the time), so the log of a deleted user can still be found by name.

CREATE INDEX users_not_onboarded ON users (created_at) WHERE password_hash IS NULL;
CREATE INDEX users_disabled ON users (seq) WHERE status = 'disabled';

ALTER TABLE audit_log ADD COLUMN subject TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_log_subject ON audit_log (subject COLLATE NOCASE, seq);
