//! Users, their groups, roles and sessions, and the attribute definitions.

use roster_core::{
    AttributeDefinition, AttributeName, AttributeType, DeviceLimit, Email, GroupName, PasswordHash,
    PersonName, Phone, RoleName, SecondFactor, Session, Timestamp, User, UserId, UserStatus, Username,
};
use rusqlite::types::Value;
use rusqlite::{params, OptionalExtension, Row};

use crate::codec::{attributes_json, date, parse_attributes, parse_date, parse_timestamp, timestamp};
use crate::page::{fts_query, Cursor, Direction, Page, SortKey, UserQuery};
use crate::{Reader, StoreError, Writer};

pub(crate) const USER_COLUMNS: &str = "seq, id, username, email, first_name, last_name, phone, status, password_hash, \
    password_expires_at, second_factor, mfa_enrolled, device_limit, attributes, created_at, updated_at, version";

/// A user row as stored, before its groups and roles are attached.
pub(crate) struct UserRow {
    pub(crate) seq: i64,
    pub(crate) user: User,
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

pub(crate) fn read_user_row(row: &Row<'_>, defs: &[AttributeDefinition]) -> Result<UserRow, StoreError> {
    let text = |i: usize| -> Result<String, StoreError> { Ok(row.get::<_, String>(i)?) };
    let opt_text = |i: usize| -> Result<Option<String>, StoreError> { Ok(row.get::<_, Option<String>>(i)?) };
    let name = |s: String, field: &str| -> Result<Option<PersonName>, StoreError> {
        PersonName::parse_optional(&s, field, field).map_err(|_| corrupt(field, &s))
    };
    let username = text(2)?;
    let email = text(3)?;
    let status = text(7)?;
    let second_factor = text(10)?;
    let user = User {
        id: UserId::parse(&text(1)?).map_err(|e| StoreError::Corrupt(e.message))?,
        username: Username::parse(&username).map_err(|_| corrupt("username", &username))?,
        email: Email::parse(&email).map_err(|_| corrupt("email", &email))?,
        first_name: name(text(4)?, "first name")?,
        last_name: name(text(5)?, "last name")?,
        phone: opt_text(6)?.map(|p| Phone::from_e164(&p).map_err(|_| corrupt("phone", &p))).transpose()?,
        status: status.parse::<UserStatus>().map_err(|_| corrupt("status", &status))?,
        password: opt_text(8)?.map(|h| PasswordHash::from_phc(&h).map_err(|_| corrupt("password hash of", &username))).transpose()?,
        password_expires_at: opt_text(9)?.map(|d| parse_date(&d)).transpose()?,
        second_factor: second_factor.parse::<SecondFactor>().map_err(|_| corrupt("second factor", &second_factor))?,
        mfa_enrolled: row.get::<_, bool>(11)?,
        device_limit: row
            .get::<_, Option<u32>>(12)?
            .map(|n| DeviceLimit::new(n).map_err(|_| corrupt("device limit", &n.to_string())))
            .transpose()?,
        attributes: parse_attributes(&text(13)?, defs)?,
        groups: Vec::new(),
        roles: Vec::new(),
        created_at: parse_timestamp(&text(14)?)?,
        updated_at: parse_timestamp(&text(15)?)?,
        version: row.get::<_, i64>(16)? as u64,
    };
    Ok(UserRow { seq: row.get(0)?, user })
}

/// A group to create.
#[derive(Debug, Clone)]
pub struct NewGroup<'a> {
    pub id: &'a str,
    pub name: &'a GroupName,
    pub description: &'a str,
    pub at: Timestamp,
}

impl Reader<'_> {
    pub fn attribute_definitions(&self) -> Result<Vec<AttributeDefinition>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT name, type, required FROM attribute_definitions ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))?;
        rows.map(|row| {
            let (name, kind, required) = row?;
            Ok(AttributeDefinition {
                name: AttributeName::parse(&name).map_err(|_| corrupt("attribute name", &name))?,
                kind: kind.parse::<AttributeType>().map_err(|_| corrupt("attribute type", &kind))?,
                required,
            })
        })
        .collect()
    }

    pub fn user_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// The user with this username (any case), with groups and roles.
    pub fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.one_user("username = ?1", username)
    }

    /// The user with this id, with groups and roles.
    pub fn user_by_id(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        self.one_user("id = ?1", &id.to_string())
    }

    /// The username of whoever has this email (any case).
    pub fn username_with_email(&self, email: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT username FROM users WHERE email = ?1")?
            .query_row([email], |r| r.get(0))
            .optional()?)
    }

    pub fn username_exists(&self, username: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)")?
            .query_row([username], |r| r.get(0))?)
    }

    fn one_user(&self, condition: &str, value: &str) -> Result<Option<User>, StoreError> {
        let defs = self.attribute_definitions()?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([value])?;
        let Some(row) = rows.next()? else { return Ok(None) };
        let mut ur = read_user_row(row, &defs)?;
        self.attach_memberships(&mut ur)?;
        Ok(Some(ur.user))
    }

    pub(crate) fn attach_memberships(&self, ur: &mut UserRow) -> Result<(), StoreError> {
        let mut g = self.conn.prepare_cached(
            "SELECT g.name FROM group_members m JOIN groups g ON g.seq = m.group_seq WHERE m.user_seq = ?1 ORDER BY g.name",
        )?;
        ur.user.groups = g
            .query_map([ur.seq], |r| r.get::<_, String>(0))?
            .map(|n| {
                let n = n?;
                GroupName::parse(&n).map_err(|_| corrupt("group name", &n))
            })
            .collect::<Result<_, _>>()?;
        let mut r = self.conn.prepare_cached(
            "SELECT r.name FROM user_roles ur JOIN roles r ON r.seq = ur.role_seq WHERE ur.user_seq = ?1 ORDER BY r.name",
        )?;
        ur.user.roles = r
            .query_map([ur.seq], |r| r.get::<_, String>(0))?
            .map(|n| {
                let n = n?;
                RoleName::parse(&n).map_err(|_| corrupt("role name", &n))
            })
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// One page of users. The plan walks the sort column's index from the cursor, so a page
    /// costs the same at the start or the end of a million users.
    pub fn list_users(&self, q: &UserQuery) -> Result<Page, StoreError> {
        if let Some(fts) = q.filter.search.as_deref().and_then(fts_query) {
            return self.search_users(q, &fts);
        }
        let defs = self.attribute_definitions()?;
        let col = q.sort.column();
        let (cmp, ord) = match q.direction {
            Direction::Asc => (">", "ASC"),
            Direction::Desc => ("<", "DESC"),
        };
        let mut sql = format!("SELECT {USER_COLUMNS} FROM users WHERE 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(status) = q.filter.status {
            sql.push_str(" AND status = ?");
            args.push(status.as_str().to_owned().into());
        }
        if let Some(group) = &q.filter.group {
            sql.push_str(
                " AND seq IN (SELECT m.user_seq FROM group_members m JOIN groups g ON g.seq = m.group_seq WHERE g.name = ?)",
            );
            args.push(group.clone().into());
        }
        match q.filter.onboarded {
            Some(true) => sql.push_str(" AND password_hash IS NOT NULL"),
            Some(false) => sql.push_str(" AND password_hash IS NULL"),
            None => {}
        }
        if let Some(c) = q.after.as_ref().filter(|c| c.sort == q.sort && c.direction == q.direction) {
            if q.sort == SortKey::CreatedAt {
                sql.push_str(&format!(" AND seq {cmp} ?"));
                args.push(c.seq.into());
            } else {
                sql.push_str(&format!(" AND ({col}, seq) {cmp} (?, ?)"));
                args.push(c.key.clone().into());
                args.push(c.seq.into());
            }
        }
        if q.sort == SortKey::CreatedAt {
            sql.push_str(&format!(" ORDER BY seq {ord} LIMIT ?"));
        } else {
            sql.push_str(&format!(" ORDER BY {col} {ord}, seq {ord} LIMIT ?"));
        }
        let limit = q.limit.max(1);
        // One extra row tells whether there is a next page.
        args.push(((limit + 1) as i64).into());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::with_capacity(limit + 1);
        while let Some(row) = rows.next()? {
            out.push(read_user_row(row, &defs)?);
        }
        let has_more = out.len() > limit;
        out.truncate(limit);
        let next = if has_more {
            out.last().map(|last| Cursor {
                sort: q.sort,
                direction: q.direction,
                key: sort_value(&last.user, q.sort),
                seq: last.seq,
            })
        } else {
            None
        };
        let mut users = Vec::with_capacity(out.len());
        for mut ur in out {
            self.attach_memberships(&mut ur)?;
            users.push(ur.user);
        }
        Ok(Page { users, next })
    }

    pub fn sessions_of(&self, user: &UserId) -> Result<Vec<Session>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.id, s.device, s.ip, s.user_agent, s.started_at, s.last_seen_at FROM sessions s
             JOIN users u ON u.seq = s.user_seq WHERE u.id = ?1 ORDER BY s.last_seen_at DESC",
        )?;
        let rows = stmt.query_map([user.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?, r.get::<_, String>(5)?))
        })?;
        rows.map(|row| {
            let (id, device, ip, user_agent, started, seen) = row?;
            Ok(Session { id, device, ip, user_agent, started_at: parse_timestamp(&started)?, last_seen_at: parse_timestamp(&seen)? })
        })
        .collect()
    }
}

/// The stored value of the sort column, as the cursor keeps it.
pub(crate) fn sort_value(user: &User, sort: SortKey) -> String {
    match sort {
        SortKey::Username => user.username.as_str().to_owned(),
        SortKey::Email => user.email.as_str().to_owned(),
        SortKey::FirstName => user.first_name.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_default(),
        SortKey::LastName => user.last_name.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_default(),
        SortKey::CreatedAt => String::new(),
    }
}

fn name_text(n: &Option<PersonName>) -> &str {
    n.as_ref().map_or("", PersonName::as_str)
}

/// A user's stored columns, as ?1 to ?15 of the insert and the update (created_at apart).
fn user_values(u: &User) -> [Value; 15] {
    let text = |s: &str| Value::Text(s.to_owned());
    let opt = |s: Option<String>| s.map_or(Value::Null, Value::Text);
    [
        text(&u.id.to_string()),
        text(u.username.as_str()),
        text(u.email.as_str()),
        text(name_text(&u.first_name)),
        text(name_text(&u.last_name)),
        opt(u.phone.as_ref().map(|p| p.as_e164().to_owned())),
        text(u.status.as_str()),
        opt(u.password.as_ref().map(|h| h.as_phc().to_owned())),
        opt(u.password_expires_at.map(date)),
        text(u.second_factor.as_str()),
        Value::Integer(i64::from(u.mfa_enrolled)),
        u.device_limit.map_or(Value::Null, |d| Value::Integer(i64::from(d.get()))),
        Value::Text(attributes_json(&u.attributes)),
        Value::Text(timestamp(u.updated_at)),
        Value::Integer(u.version as i64),
    ]
}

impl Writer<'_> {
    /// Inserts a user (its groups and roles are ignored: see [`Writer::add_member`]).
    pub fn insert_user(&self, u: &User) -> Result<(), StoreError> {
        let mut values = user_values(u).to_vec();
        values.push(timestamp(u.created_at).into());
        self.tx
            .prepare_cached(
                "INSERT INTO users (id, username, email, first_name, last_name, phone, status, password_hash,
                    password_expires_at, second_factor, mfa_enrolled, device_limit, attributes, updated_at, version, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(rusqlite::params_from_iter(values))?;
        Ok(())
    }

    /// Inserts many users with one statement (their groups and roles are ignored). The same
    /// as [`Writer::insert_user`] for each, in order, but the full-text index takes them in
    /// one go: SQLite opens a savepoint per statement that writes a virtual table, and FTS5
    /// writes its pending terms to disk at each one, so one statement per user costs most of
    /// an import's time. The rows are staged in a temporary table first.
    pub fn insert_users<'u>(&self, users: impl IntoIterator<Item = &'u User>) -> Result<(), StoreError> {
        self.tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS staged_users (id, username, email, first_name, last_name, phone, status, password_hash,
                password_expires_at, second_factor, mfa_enrolled, device_limit, attributes, updated_at, version, created_at);
             DELETE FROM temp.staged_users;",
        )?;
        {
            let mut stage = self.tx.prepare_cached(
                "INSERT INTO temp.staged_users VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?;
            for u in users {
                let mut values = user_values(u).to_vec();
                values.push(timestamp(u.created_at).into());
                stage.execute(rusqlite::params_from_iter(values))?;
            }
        }
        self.tx
            .prepare_cached(
                "INSERT INTO users (id, username, email, first_name, last_name, phone, status, password_hash,
                    password_expires_at, second_factor, mfa_enrolled, device_limit, attributes, updated_at, version, created_at)
                 SELECT * FROM temp.staged_users ORDER BY rowid",
            )?
            .execute([])?;
        self.tx.execute("DELETE FROM temp.staged_users", [])?;
        Ok(())
    }

    /// Writes each user over the stored one with the same id, if its stored version is the
    /// one given; in one statement, for the reason [`Writer::insert_users`] gives. Returns
    /// how many were written: fewer than given means some had another version (then the
    /// caller rolls back).
    pub fn update_users<'u>(&self, users: impl IntoIterator<Item = (&'u User, u64)>) -> Result<usize, StoreError> {
        self.tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS staged_updates (id PRIMARY KEY, username, email, first_name, last_name, phone, status,
                password_hash, password_expires_at, second_factor, mfa_enrolled, device_limit, attributes, updated_at, version, expected);
             DELETE FROM temp.staged_updates;",
        )?;
        {
            let mut stage = self.tx.prepare_cached(
                "INSERT INTO temp.staged_updates VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?;
            for (u, expected) in users {
                let mut values = user_values(u).to_vec();
                values.push((expected as i64).into());
                stage.execute(rusqlite::params_from_iter(values))?;
            }
        }
        let n = self
            .tx
            .prepare_cached(
                "UPDATE users SET (username, email, first_name, last_name, phone, status, password_hash, password_expires_at,
                        second_factor, mfa_enrolled, device_limit, attributes, updated_at, version) =
                     (s.username, s.email, s.first_name, s.last_name, s.phone, s.status, s.password_hash, s.password_expires_at,
                        s.second_factor, s.mfa_enrolled, s.device_limit, s.attributes, s.updated_at, s.version)
                 FROM temp.staged_updates s
                 WHERE users.id = s.id AND users.version = s.expected",
            )?
            .execute([])?;
        self.tx.execute("DELETE FROM temp.staged_updates", [])?;
        Ok(n)
    }

    /// Deletes these users (memberships, roles and sessions go with them) in one statement.
    /// Returns how many there were.
    pub fn delete_users<'u>(&self, ids: impl IntoIterator<Item = &'u UserId>) -> Result<usize, StoreError> {
        let ids: Vec<Value> = ids.into_iter().map(|id| Value::Text(id.to_string())).collect();
        Ok(self
            .tx
            .prepare_cached("DELETE FROM users WHERE id IN (SELECT value FROM rarray(?1))")?
            .execute([std::rc::Rc::new(ids)])?)
    }

    /// Writes `u` over the stored user with the same id, if the stored version is
    /// `expected_version`. Returns false (writing nothing) when it is not.
    pub fn update_user(&self, u: &User, expected_version: u64) -> Result<bool, StoreError> {
        let mut values = user_values(u).to_vec();
        values.push((expected_version as i64).into());
        let n = self
            .tx
            .prepare_cached(
                "UPDATE users SET username = ?2, email = ?3, first_name = ?4, last_name = ?5, phone = ?6, status = ?7,
                    password_hash = ?8, password_expires_at = ?9, second_factor = ?10, mfa_enrolled = ?11,
                    device_limit = ?12, attributes = ?13, updated_at = ?14, version = ?15
                 WHERE id = ?1 AND version = ?16",
            )?
            .execute(rusqlite::params_from_iter(values))?;
        Ok(n == 1)
    }

    /// Deletes the user (memberships, roles and sessions go with it). False if absent.
    pub fn delete_user(&self, id: &UserId) -> Result<bool, StoreError> {
        Ok(self.tx.prepare_cached("DELETE FROM users WHERE id = ?1")?.execute([id.to_string()])? == 1)
    }

    pub fn define_attribute(&self, def: &AttributeDefinition, at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT INTO attribute_definitions (name, type, required, created_at) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![def.name.as_str(), def.kind.as_str(), def.required, timestamp(at)])?;
        Ok(())
    }

    pub fn insert_group(&self, g: &NewGroup<'_>) -> Result<(), StoreError> {
        let at = timestamp(g.at);
        self.tx
            .prepare_cached("INSERT INTO groups (id, name, description, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)")?
            .execute(params![g.id, g.name.as_str(), g.description, at])?;
        Ok(())
    }

    pub fn add_member(&self, group: &GroupName, user: &UserId) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO group_members (group_seq, user_seq)
                 SELECT g.seq, u.seq FROM groups g, users u WHERE g.name = ?1 AND u.id = ?2",
            )?
            .execute(params![group.as_str(), user.to_string()])?;
        Ok(())
    }

    pub fn insert_role(&self, name: &RoleName, description: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT INTO roles (name, description, created_at) VALUES (?1, ?2, ?3)")?
            .execute(params![name.as_str(), description, timestamp(at)])?;
        Ok(())
    }

    pub fn assign_role(&self, role: &RoleName, user: &UserId) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO user_roles (user_seq, role_seq)
                 SELECT u.seq, r.seq FROM users u, roles r WHERE u.id = ?1 AND r.name = ?2",
            )?
            .execute(params![user.to_string(), role.as_str()])?;
        Ok(())
    }

    pub fn insert_session(&self, user: &UserId, s: &Session) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sessions (id, user_seq, device, ip, user_agent, started_at, last_seen_at)
                 SELECT ?1, seq, ?2, ?3, ?4, ?5, ?6 FROM users WHERE id = ?7",
            )?
            .execute(params![s.id, s.device, s.ip, s.user_agent, timestamp(s.started_at), timestamp(s.last_seen_at), user.to_string()])?;
        Ok(())
    }
}

/// A group with its member count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub id: String,
    pub name: GroupName,
    pub description: String,
    pub members: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A role with the number of users who have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub name: RoleName,
    pub description: String,
    pub users: u64,
}

/// Onboarding figures; `waiting` counts not-onboarded users created at or after each
/// threshold given, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnboardingCounts {
    pub total: u64,
    pub not_onboarded: u64,
    pub disabled: u64,
    pub created_since: Vec<u64>,
}

impl Reader<'_> {
    pub fn groups(&self) -> Result<Vec<GroupRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT g.id, g.name, g.description, (SELECT count(*) FROM group_members m WHERE m.group_seq = g.seq),
                    g.created_at, g.updated_at FROM groups g ORDER BY g.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?, r.get::<_, String>(4)?, r.get::<_, String>(5)?))
        })?;
        rows.map(|row| {
            let (id, name, description, members, created, updated) = row?;
            Ok(GroupRow {
                id,
                name: GroupName::parse(&name).map_err(|_| corrupt("group name", &name))?,
                description,
                members: members as u64,
                created_at: parse_timestamp(&created)?,
                updated_at: parse_timestamp(&updated)?,
            })
        })
        .collect()
    }

    pub fn group(&self, name: &str) -> Result<Option<GroupRow>, StoreError> {
        Ok(self.groups()?.into_iter().find(|g| g.name.as_str().eq_ignore_ascii_case(name.trim())))
    }

    pub fn roles(&self) -> Result<Vec<RoleRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.name, r.description, (SELECT count(*) FROM user_roles ur WHERE ur.role_seq = r.seq) FROM roles r ORDER BY r.name",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?;
        rows.map(|row| {
            let (name, description, users) = row?;
            Ok(RoleRow { name: RoleName::parse(&name).map_err(|_| corrupt("role name", &name))?, description, users: users as u64 })
        })
        .collect()
    }

    /// Totals for onboarding statistics; served by partial indexes, so quick at a million.
    pub fn onboarding_counts(&self, thresholds: &[Timestamp]) -> Result<OnboardingCounts, StoreError> {
        let total = self.user_count()?;
        let not_onboarded: i64 = self.conn.query_row("SELECT count(*) FROM users WHERE password_hash IS NULL", [], |r| r.get(0))?;
        let disabled: i64 = self.conn.query_row("SELECT count(*) FROM users WHERE status = 'disabled'", [], |r| r.get(0))?;
        let mut since = self.conn.prepare_cached("SELECT count(*) FROM users WHERE password_hash IS NULL AND created_at >= ?1")?;
        let created_since = thresholds
            .iter()
            .map(|t| Ok(since.query_row([timestamp(*t)], |r| r.get::<_, i64>(0))? as u64))
            .collect::<Result<_, StoreError>>()?;
        Ok(OnboardingCounts { total, not_onboarded: not_onboarded as u64, disabled: disabled as u64, created_since })
    }
}

impl Writer<'_> {
    pub fn remove_member(&self, group: &GroupName, user: &UserId) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "DELETE FROM group_members WHERE group_seq = (SELECT seq FROM groups WHERE name = ?1)
                   AND user_seq = (SELECT seq FROM users WHERE id = ?2)",
            )?
            .execute(params![group.as_str(), user.to_string()])?
            == 1)
    }

    pub fn rename_group(&self, old: &GroupName, new: &GroupName, description: Option<&str>, at: Timestamp) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("UPDATE groups SET name = ?2, description = coalesce(?3, description), updated_at = ?4 WHERE name = ?1")?
            .execute(params![old.as_str(), new.as_str(), description, timestamp(at)])?
            == 1)
    }

    /// Deletes the group; its memberships go, its users stay.
    pub fn delete_group(&self, name: &GroupName) -> Result<bool, StoreError> {
        Ok(self.tx.prepare_cached("DELETE FROM groups WHERE name = ?1")?.execute([name.as_str()])? == 1)
    }

    pub fn unassign_role(&self, role: &RoleName, user: &UserId) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "DELETE FROM user_roles WHERE role_seq = (SELECT seq FROM roles WHERE name = ?1)
                   AND user_seq = (SELECT seq FROM users WHERE id = ?2)",
            )?
            .execute(params![role.as_str(), user.to_string()])?
            == 1)
    }

    pub fn delete_role(&self, name: &RoleName) -> Result<bool, StoreError> {
        Ok(self.tx.prepare_cached("DELETE FROM roles WHERE name = ?1")?.execute([name.as_str()])? == 1)
    }

    /// Removes one session of the user (all when `id` is `None`); returns how many went.
    pub fn delete_sessions(&self, user: &UserId, id: Option<&str>) -> Result<usize, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "DELETE FROM sessions WHERE user_seq = (SELECT seq FROM users WHERE id = ?1) AND (?2 IS NULL OR id = ?2)",
            )?
            .execute(params![user.to_string(), id])?)
    }

    /// Removes an attribute definition and every user's value of it; returns how many users had one.
    pub fn drop_attribute(&self, name: &AttributeName) -> Result<usize, StoreError> {
        let path = format!("$.\"{}\"", name.as_str());
        let n = self
            .tx
            .prepare_cached("UPDATE users SET attributes = json_remove(attributes, ?1) WHERE json_type(attributes, ?1) IS NOT NULL")?
            .execute([&path])?;
        self.tx.prepare_cached("DELETE FROM attribute_definitions WHERE name = ?1")?.execute([name.as_str()])?;
        Ok(n)
    }
}
