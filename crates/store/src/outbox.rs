//! The mail outbox, invitations and edited mail templates (schema 4).
//!
//! The store keeps states and moves rows between them when told; which mail to send, and
//! when a mail counts as sent, is the services' business.

use std::collections::HashMap;
use std::rc::Rc;

use roster_core::{Timestamp, UserId};
use rusqlite::types::Value;
use rusqlite::{params, OptionalExtension, Row};

use crate::codec::{parse_timestamp, timestamp};
use crate::{Reader, StoreError, Writer};

/// A mail to queue.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    /// `activation`, `password_reset`, `welcome` or `bulk_result`.
    pub kind: &'a str,
    pub user_id: Option<&'a UserId>,
    pub recipient: &'a str,
    /// Finished content for mails not rendered per user; empty for user mails.
    pub subject: &'a str,
    pub text: Option<&'a str>,
    pub html: Option<&'a str>,
    pub attachment: Option<(&'a str, &'a [u8])>,
    pub reminder: bool,
    pub at: Timestamp,
}

/// A row of the outbox. `attachment` is read only by [`Writer::claim_mails`].
#[derive(Clone, PartialEq)]
pub struct OutboxRow {
    pub seq: i64,
    pub kind: String,
    pub user_id: Option<UserId>,
    pub recipient: String,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
    pub attachment: Option<(String, Vec<u8>)>,
    pub reminder: bool,
    pub state: String,
    pub attempts: u32,
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub queued_at: Timestamp,
    pub updated_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

impl std::fmt::Debug for OutboxRow {
    /// The bodies of a finished mail are not printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxRow")
            .field("seq", &self.seq)
            .field("kind", &self.kind)
            .field("recipient", &self.recipient)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("error_code", &self.error_code)
            .finish_non_exhaustive()
    }
}

/// How many mails are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub queued: u64,
    pub sending: u64,
    pub sent: u64,
    pub failed: u64,
}

/// A user's invitation: the activation mails sent since they were created or last reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub invited_at: Timestamp,
    pub last_sent_at: Timestamp,
    pub mails: u32,
    /// The PHC string of the temporary password mailed last, and when it was set.
    pub temporary_password_hash: Option<String>,
    pub temporary_password_set: Option<Timestamp>,
}

/// A mail template as the admin edited it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTemplate {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub updated_at: Timestamp,
}

const OUTBOX_COLUMNS: &str = "seq, kind, user_id, recipient, subject, body_text, body_html, reminder, state, attempts, \
    error_code, error, queued_at, updated_at, sent_at";

fn read_outbox_row(r: &Row<'_>) -> Result<OutboxRow, StoreError> {
    let user_id: Option<String> = r.get(2)?;
    Ok(OutboxRow {
        seq: r.get(0)?,
        kind: r.get(1)?,
        user_id: user_id.map(|id| UserId::parse(&id).map_err(|e| StoreError::Corrupt(e.message))).transpose()?,
        recipient: r.get(3)?,
        subject: r.get(4)?,
        text: r.get(5)?,
        html: r.get(6)?,
        attachment: None,
        reminder: r.get(7)?,
        state: r.get(8)?,
        attempts: r.get(9)?,
        error_code: r.get(10)?,
        error: r.get(11)?,
        queued_at: parse_timestamp(&r.get::<_, String>(12)?)?,
        updated_at: parse_timestamp(&r.get::<_, String>(13)?)?,
        sent_at: r.get::<_, Option<String>>(14)?.map(|t| parse_timestamp(&t)).transpose()?,
    })
}

fn read_invitation(r: &Row<'_>, first: usize) -> Result<Invitation, StoreError> {
    Ok(Invitation {
        invited_at: parse_timestamp(&r.get::<_, String>(first)?)?,
        last_sent_at: parse_timestamp(&r.get::<_, String>(first + 1)?)?,
        mails: r.get(first + 2)?,
        temporary_password_hash: r.get(first + 3)?,
        temporary_password_set: r.get::<_, Option<String>>(first + 4)?.map(|t| parse_timestamp(&t)).transpose()?,
    })
}

impl Reader<'_> {
    /// The newest mail's seq (0 when the outbox is empty).
    pub fn last_mail_seq(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT coalesce(max(seq), 0) FROM mail_outbox", [], |r| r.get(0))?)
    }

    /// How many mails with seqs in `seqs` are queued.
    pub fn queued_between(&self, seqs: std::ops::RangeInclusive<i64>) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM mail_outbox WHERE state = 'queued' AND seq BETWEEN ?1 AND ?2")?
            .query_row([seqs.start(), seqs.end()], |r| r.get(0))?;
        Ok(n as u64)
    }

    pub fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let mut c = OutboxCounts::default();
        let mut stmt = self.conn.prepare_cached("SELECT state, count(*) FROM mail_outbox GROUP BY state")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let n = r.get::<_, i64>(1)? as u64;
            match r.get::<_, String>(0)?.as_str() {
                "queued" => c.queued = n,
                "sending" => c.sending = n,
                "sent" => c.sent = n,
                _ => c.failed = n,
            }
        }
        Ok(c)
    }

    /// Newest first; `state` filters, `before` is the last seq of the previous page.
    pub fn outbox_page(&self, state: Option<&str>, before: Option<i64>, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE (?1 IS NULL OR state = ?1) AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
        ))?;
        let mut rows = stmt.query(params![state, before.unwrap_or(i64::MAX), limit as i64])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(read_outbox_row(r)?);
        }
        Ok(out)
    }

    /// The mails with these seqs (content included, attachment not), in seq order.
    pub fn outbox_rows(&self, seqs: &[i64]) -> Result<Vec<OutboxRow>, StoreError> {
        let ids: Rc<Vec<Value>> = Rc::new(seqs.iter().copied().map(Value::from).collect());
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE seq IN rarray(?1) ORDER BY seq"))?;
        let mut rows = stmt.query([ids])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(read_outbox_row(r)?);
        }
        Ok(out)
    }

    /// The state of a mail of `kind` for this user that still waits in the outbox: queued,
    /// being sent, or failed with `error_code` (e.g. interrupted: it may have arrived).
    pub fn mail_waiting_for(&self, user: &UserId, kind: &str, error_code: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT state FROM mail_outbox WHERE user_id = ?1 AND kind = ?2
                   AND (state IN ('queued', 'sending') OR (state = 'failed' AND error_code = ?3)) ORDER BY seq DESC LIMIT 1",
            )?
            .query_row([user.to_string(), kind.to_owned(), error_code.to_owned()], |r| r.get(0))
            .optional()?)
    }

    pub fn invitation(&self, user: &UserId) -> Result<Option<Invitation>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.invited_at, i.last_sent_at, i.mails, i.temporary_password_hash, i.temporary_password_set
               FROM invitations i JOIN users u ON u.seq = i.user_seq WHERE u.id = ?1",
        )?;
        let mut rows = stmt.query([user.to_string()])?;
        rows.next()?.map(|r| read_invitation(r, 0)).transpose()
    }

    /// The invitations of these users (those that have one).
    pub fn invitations_of(&self, users: &[UserId]) -> Result<HashMap<UserId, Invitation>, StoreError> {
        let ids: Rc<Vec<Value>> = Rc::new(users.iter().map(|u| Value::from(u.to_string())).collect());
        let mut stmt = self.conn.prepare_cached(
            "SELECT u.id, i.invited_at, i.last_sent_at, i.mails, i.temporary_password_hash, i.temporary_password_set
               FROM users u JOIN invitations i ON i.user_seq = u.seq WHERE u.id IN rarray(?1)",
        )?;
        let mut rows = stmt.query([ids])?;
        let mut out = HashMap::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            out.insert(UserId::parse(&id).map_err(|e| StoreError::Corrupt(e.message))?, read_invitation(r, 1)?);
        }
        Ok(out)
    }

    /// Invited users who have still not set a password: how many, and how many of them were
    /// last mailed at or before each threshold given.
    pub fn invited_counts(&self, last_sent_before: &[Timestamp]) -> Result<(u64, Vec<u64>), StoreError> {
        let total: i64 = self.conn.query_row(
            "SELECT count(*) FROM invitations i JOIN users u ON u.seq = i.user_seq WHERE u.password_hash IS NULL",
            [],
            |r| r.get(0),
        )?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT count(*) FROM invitations i JOIN users u ON u.seq = i.user_seq WHERE u.password_hash IS NULL AND i.last_sent_at <= ?1",
        )?;
        let before = last_sent_before
            .iter()
            .map(|t| Ok(stmt.query_row([timestamp(*t)], |r| r.get::<_, i64>(0))? as u64))
            .collect::<Result<_, StoreError>>()?;
        Ok((total as u64, before))
    }

    /// Active users without a password: never invited, or (with `invited_before`) invited
    /// and last mailed before then. Oldest first.
    pub fn users_to_invite(&self, invited_before: Option<Timestamp>) -> Result<Vec<UserId>, StoreError> {
        let sql = match invited_before {
            None => "SELECT u.id FROM users u WHERE u.password_hash IS NULL AND u.status = 'active'
                       AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.user_seq = u.seq) ORDER BY u.seq",
            Some(_) => "SELECT u.id FROM users u JOIN invitations i ON i.user_seq = u.seq
                         WHERE u.password_hash IS NULL AND u.status = 'active' AND i.last_sent_at <= ?1 ORDER BY u.seq",
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = match invited_before {
            None => stmt.query([])?,
            Some(t) => stmt.query([timestamp(t)])?,
        };
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            out.push(UserId::parse(&id).map_err(|e| StoreError::Corrupt(e.message))?);
        }
        Ok(out)
    }

    pub fn mail_template(&self, kind: &str) -> Result<Option<StoredTemplate>, StoreError> {
        self.conn
            .prepare_cached("SELECT subject, body_text, body_html, updated_at FROM mail_templates WHERE kind = ?1")?
            .query_row([kind], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))
            .optional()?
            .map(|(subject, text, html, at)| Ok(StoredTemplate { subject, text, html, updated_at: parse_timestamp(&at)? }))
            .transpose()
    }
}

impl Writer<'_> {
    pub fn enqueue_mail(&self, m: &NewMail<'_>) -> Result<i64, StoreError> {
        let at = timestamp(m.at);
        let (name, bytes) = m.attachment.map_or((None, None), |(n, b)| (Some(n), Some(b)));
        self.tx
            .prepare_cached(
                "INSERT INTO mail_outbox (kind, user_id, recipient, subject, body_text, body_html, attachment_name, attachment,
                    reminder, queued_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
            )?
            .execute(params![m.kind, m.user_id.map(ToString::to_string), m.recipient, m.subject, m.text, m.html, name, bytes, m.reminder, at])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Queues an activation mail for each user batch `batch` created without a password.
    pub fn enqueue_batch_activations(&self, batch: i64, at: Timestamp) -> Result<usize, StoreError> {
        let at = timestamp(at);
        Ok(self
            .tx
            .prepare_cached(
                "INSERT INTO mail_outbox (kind, user_id, recipient, queued_at, updated_at)
                 SELECT 'activation', u.id, u.email, ?2, ?2 FROM bulk_batch_users b JOIN users u ON u.id = b.user_id
                  WHERE b.batch_seq = ?1 AND b.op = 'create' AND u.password_hash IS NULL ORDER BY b.row",
            )?
            .execute(params![batch, at])?)
    }

    /// Takes up to `limit` queued mails (with seqs in `seqs`), oldest first, into `sending`
    /// (one more attempt each) and returns them with their content and attachment.
    pub fn claim_mails(&self, limit: usize, seqs: std::ops::RangeInclusive<i64>, at: Timestamp) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2
              WHERE seq IN (SELECT seq FROM mail_outbox WHERE state = 'queued' AND seq BETWEEN ?3 AND ?4 ORDER BY seq LIMIT ?1)
              RETURNING {OUTBOX_COLUMNS}, attachment_name, attachment"
        ))?;
        let mut rows = stmt.query(params![limit as i64, timestamp(at), seqs.start(), seqs.end()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = read_outbox_row(r)?;
            let name: Option<String> = r.get(15)?;
            let bytes: Option<Vec<u8>> = r.get(16)?;
            row.attachment = name.zip(bytes);
            out.push(row);
        }
        out.sort_by_key(|r| r.seq);
        Ok(out)
    }

    /// A claimed mail went out: what it went to and with which subject.
    pub fn mail_sent(&self, seq: i64, recipient: &str, subject: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE mail_outbox SET state = 'sent', recipient = ?2, subject = ?3, sent_at = ?4, updated_at = ?4,
                    error_code = NULL, error = NULL WHERE seq = ?1",
            )?
            .execute(params![seq, recipient, subject, timestamp(at)])?;
        Ok(())
    }

    pub fn mail_failed(&self, seq: i64, code: &str, error: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE mail_outbox SET state = 'failed', error_code = ?2, error = ?3, updated_at = ?4 WHERE seq = ?1")?
            .execute(params![seq, code, error, timestamp(at)])?;
        Ok(())
    }

    /// The server could not take a claimed mail (unreachable, login refused): it goes back to
    /// the queue with the reason, for the next send or retry.
    pub fn mail_deferred(&self, seq: i64, code: &str, error: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE mail_outbox SET state = 'queued', error_code = ?2, error = ?3, updated_at = ?4 WHERE seq = ?1")?
            .execute(params![seq, code, error, timestamp(at)])?;
        Ok(())
    }

    /// Notes why the queued mails (with seqs in `seqs`) wait: the server could not be reached.
    pub fn note_queued(&self, seqs: std::ops::RangeInclusive<i64>, code: &str, error: &str, at: Timestamp) -> Result<usize, StoreError> {
        Ok(self
            .tx
            .prepare_cached("UPDATE mail_outbox SET error_code = ?1, error = ?2, updated_at = ?3 WHERE state = 'queued' AND seq BETWEEN ?4 AND ?5")?
            .execute(params![code, error, timestamp(at), seqs.start(), seqs.end()])?)
    }

    /// Claimed mails that were not tried after all (the sending was cancelled or stopped)
    /// go back to the queue, their attempt not counted.
    pub fn release_mails(&self, seqs: &[i64], at: Timestamp) -> Result<usize, StoreError> {
        let ids: Rc<Vec<Value>> = Rc::new(seqs.iter().copied().map(Value::from).collect());
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE mail_outbox SET state = 'queued', attempts = attempts - 1, updated_at = ?2 WHERE state = 'sending' AND seq IN rarray(?1)",
            )?
            .execute(params![ids, timestamp(at)])?)
    }

    /// Mails left in `sending` by a run that ended without saying how they went (a crash or
    /// a kill): they may have reached the server, so they fail with `code` and `error`
    /// instead of going out a second time by themselves.
    pub fn interrupt_mails(&self, code: &str, error: &str, at: Timestamp) -> Result<usize, StoreError> {
        Ok(self
            .tx
            .prepare_cached("UPDATE mail_outbox SET state = 'failed', error_code = ?1, error = ?2, updated_at = ?3 WHERE state = 'sending'")?
            .execute(params![code, error, timestamp(at)])?)
    }

    /// Failed mails (all, or those with these seqs) go back to the queue.
    pub fn requeue_mails(&self, seqs: Option<&[i64]>, at: Timestamp) -> Result<usize, StoreError> {
        let at = timestamp(at);
        Ok(match seqs {
            None => self
                .tx
                .prepare_cached("UPDATE mail_outbox SET state = 'queued', updated_at = ?1 WHERE state = 'failed'")?
                .execute([at])?,
            Some(seqs) => {
                let ids: Rc<Vec<Value>> = Rc::new(seqs.iter().copied().map(Value::from).collect());
                self.tx
                    .prepare_cached("UPDATE mail_outbox SET state = 'queued', updated_at = ?2 WHERE state = 'failed' AND seq IN rarray(?1)")?
                    .execute(params![ids, at])?
            }
        })
    }

    /// Records an activation mail sent to `user` (a reminder adds to the count). A temporary
    /// password's hash replaces the one before; `None` keeps the user without one.
    pub fn record_invitation(&self, user: &UserId, at: Timestamp, temporary_password_hash: Option<&str>) -> Result<(), StoreError> {
        let at = timestamp(at);
        self.tx
            .prepare_cached(
                "INSERT INTO invitations (user_seq, invited_at, last_sent_at, mails, temporary_password_hash, temporary_password_set)
                 SELECT seq, ?2, ?2, 1, ?3, CASE WHEN ?3 IS NULL THEN NULL ELSE ?2 END FROM users WHERE id = ?1
                 ON CONFLICT (user_seq) DO UPDATE SET last_sent_at = excluded.last_sent_at, mails = mails + 1,
                    temporary_password_hash = excluded.temporary_password_hash,
                    temporary_password_set = excluded.temporary_password_set",
            )?
            .execute(params![user.to_string(), at, temporary_password_hash])?;
        Ok(())
    }

    pub fn save_mail_template(&self, kind: &str, subject: &str, text: &str, html: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO mail_templates (kind, subject, body_text, body_html, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (kind) DO UPDATE SET subject = excluded.subject, body_text = excluded.body_text,
                    body_html = excluded.body_html, updated_at = excluded.updated_at",
            )?
            .execute(params![kind, subject, text, html, timestamp(at)])?;
        Ok(())
    }

    /// Back to Roster's default; whether there was an edited one.
    pub fn delete_mail_template(&self, kind: &str) -> Result<bool, StoreError> {
        Ok(self.tx.prepare_cached("DELETE FROM mail_templates WHERE kind = ?1")?.execute([kind])? > 0)
    }
}
