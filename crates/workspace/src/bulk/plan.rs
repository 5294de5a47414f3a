//! One row against the workspace: taken usernames and emails, users that must exist, a
//! delete's email that must belong to the same user, groups and roles that must exist, and
//! for an update the field-by-field difference old → new.

use std::collections::HashSet;

use roster_core::bulk::{self, Change, CheckedRow, Column, Columns, ParsedRow, RowProblem, UpdateRow};
use roster_core::{AttributeDefinition, Email, FieldErrors, GroupName, RoleName, Settings, User, Username};
use serde_json::Value;

use super::{BulkChangeView, BulkProblemView, BulkRowView, Outcome};
use crate::views::UserView;
use crate::{Error, Workspace};

pub(super) struct Ctx<'a> {
    ws: &'a Workspace,
    columns: &'a Columns,
    settings: &'a Settings,
    defs: &'a [AttributeDefinition],
    /// Lower-cased names (names are unique regardless of ASCII case).
    groups: HashSet<String>,
    roles: HashSet<String>,
    /// The workspace had no users when the plan began: no username or email can be taken.
    empty: bool,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(ws: &'a Workspace, columns: &'a Columns, settings: &'a Settings, defs: &'a [AttributeDefinition]) -> Result<Self, Error> {
        let r = ws.store.reader();
        let groups = r.groups()?.into_iter().map(|g| g.name.as_str().to_ascii_lowercase()).collect();
        let roles = r.roles()?.into_iter().map(|g| g.name.as_str().to_ascii_lowercase()).collect();
        Ok(Self { ws, columns, settings, defs, groups, roles, empty: r.user_count()? == 0 })
    }

    /// A username or email held by someone other than `except`, with the single-user form's
    /// own check and words, reported against the file's Username or Email column.
    fn taken(
        &self,
        username: Option<&roster_core::Username>,
        email: Option<&roster_core::Email>,
        except: Option<&roster_core::Username>,
        problems: &mut Vec<BulkProblemView>,
    ) -> Result<(), Error> {
        if self.empty {
            return Ok(());
        }
        let mut errors = roster_core::FieldErrors::new();
        self.ws.check_taken(username, email, except, &mut errors)?;
        for e in errors {
            let column = if e.field == "username" { Column::Username } else { Column::Email };
            problems.push(self.problem(&column, e.code.as_str(), e.message));
        }
        Ok(())
    }

    fn problem(&self, column: &Column, code: &str, message: String) -> BulkProblemView {
        BulkProblemView { column: self.columns.header_of(column), code: code.to_owned(), message }
    }

    /// Plans one checked row ("once per file" is checked before, by the core's `FileOnce`).
    /// `changes` says whether a create lists its fields (a page shows them; the count does
    /// not need them).
    pub(super) fn plan_row(&self, checked: &CheckedRow, changes: bool) -> Result<(Outcome, BulkRowView), Error> {
        let mut view = BulkRowView {
            row: checked.row,
            action: checked.action.map(|a| a.as_str().to_owned()),
            outcome: Outcome::Error.as_str().to_owned(),
            username: checked.username.clone(),
            changes: Vec::new(),
            problems: Vec::new(),
        };
        let parsed = match &checked.result {
            Err(problems) => {
                view.problems = problems.iter().map(problem_view).collect();
                return Ok((Outcome::Error, view));
            }
            Ok(p) => p,
        };
        let outcome = match parsed {
            ParsedRow::Add(add) => self.plan_add(add, &mut view, changes)?,
            ParsedRow::Update(up) => self.plan_update(up, &mut view)?,
            ParsedRow::Delete { username, email } => self.plan_delete(username, email, &mut view)?,
        };
        let outcome = if view.problems.is_empty() { outcome } else { Outcome::Error };
        view.outcome = outcome.as_str().to_owned();
        if outcome == Outcome::Error {
            view.changes.clear();
        }
        Ok((outcome, view))
    }

    fn check_names(&self, groups: &[GroupName], roles: &[RoleName], problems: &mut Vec<BulkProblemView>) {
        let missing: Vec<&str> =
            groups.iter().map(GroupName::as_str).filter(|g| !self.groups.contains(&g.to_ascii_lowercase())).collect();
        for g in missing {
            problems.push(self.problem(&Column::Groups, "unknown_group", format!("No group named \"{g}\"")));
        }
        let missing: Vec<&str> =
            roles.iter().map(RoleName::as_str).filter(|r| !self.roles.contains(&r.to_ascii_lowercase())).collect();
        for r in missing {
            problems.push(self.problem(&Column::Roles, "unknown_role", format!("No role named \"{r}\"")));
        }
    }

    fn plan_add(&self, add: &bulk::AddRow, view: &mut BulkRowView, changes: bool) -> Result<Outcome, Error> {
        self.taken(Some(&add.user.username), Some(&add.user.email), None, &mut view.problems)?;
        self.check_names(&add.groups, &add.roles, &mut view.problems);
        if !changes {
            return Ok(Outcome::Create);
        }
        // The user as it would be created (no password hashed: the plan only says "(set)").
        let mut new_user = add.user.clone();
        let has_password = new_user.password.take().is_some();
        let mut user = new_user.into_user(roster_core::UserId::from_random_bytes([0; 16]), roster_core::Timestamp::UNIX_EPOCH, roster_core::Salt([0; 16]));
        user.groups = add.groups.clone();
        user.roles = add.roles.clone();
        if let Some(s) = add.status {
            user.status = s;
        }
        if let Some(f) = add.second_factor {
            user.second_factor = f;
        }
        user.device_limit = add.device_limit;
        user.password_expires_at = add.password_expiry;
        view.changes = diff(None, &UserView::from(&user));
        if has_password {
            view.changes.push(password_change(false));
        }
        Ok(Outcome::Create)
    }

    fn plan_update(&self, up: &UpdateRow, view: &mut BulkRowView) -> Result<Outcome, Error> {
        let r = self.ws.store.reader();
        let Some(current) = r.user_by_username(up.username.as_str())? else {
            view.problems.push(self.problem(&Column::Username, "not_found", Error::not_found_user(up.username.as_str()).message));
            return Ok(Outcome::Error);
        };
        self.taken(None, up.email.as_ref(), Some(&current.username), &mut view.problems)?;
        let mut names = (Vec::new(), Vec::new());
        if let Change::Set(g) = &up.groups {
            names.0 = g.clone();
        }
        if let Change::Set(ro) = &up.roles {
            names.1 = ro.clone();
        }
        self.check_names(&names.0, &names.1, &mut view.problems);
        let next = match updated_user(&current, up, self.settings, self.defs) {
            Ok(next) => next,
            Err(errors) => {
                for e in errors {
                    let column = self.column_of_field(&e.field);
                    view.problems.push(self.problem(&column, e.code.as_str(), e.message));
                }
                return Ok(Outcome::Error);
            }
        };
        view.changes = diff(Some(&UserView::from(&current)), &UserView::from(&next));
        if up.password.is_some() {
            view.changes.push(password_change(current.password.is_some()));
        }
        Ok(if view.changes.is_empty() { Outcome::Unchanged } else { Outcome::Update })
    }

    fn plan_delete(&self, username: &Username, email: &Email, view: &mut BulkRowView) -> Result<Outcome, Error> {
        let r = self.ws.store.reader();
        let Some(user) = r.user_by_username(username.as_str())? else {
            view.problems.push(self.problem(&Column::Username, "not_found", Error::not_found_user(username.as_str()).message));
            return Ok(Outcome::Error);
        };
        if user.email != *email {
            let holder = r.username_with_email(email.as_str())?;
            let whose = match holder {
                Some(h) => format!("belongs to {h}"),
                None => "belongs to no user".to_owned(),
            };
            view.problems.push(self.problem(
                &Column::Email,
                "email_mismatch",
                format!("Email address {email} {whose}, not to {} (whose email is {})", user.username, user.email),
            ));
        }
        Ok(Outcome::Delete)
    }

    /// The column of a core field name (`email`, `firstName`, `attributes.NAME`, …).
    fn column_of_field(&self, field: &str) -> Column {
        match field {
            "username" => Column::Username,
            "email" => Column::Email,
            "firstName" => Column::FirstName,
            "lastName" => Column::LastName,
            "phone" => Column::Phone,
            "password" => Column::Password,
            other => match other.strip_prefix("attributes.") {
                Some(name) => Column::Attribute(
                    self.defs
                        .iter()
                        .find(|d| d.name.as_str().eq_ignore_ascii_case(name))
                        .map_or_else(|| name.to_owned(), |d| d.name.as_str().to_owned()),
                ),
                None => Column::Attribute(other.to_owned()),
            },
        }
    }
}

/// The user as an update row leaves `current` (same version and time stamps; the password
/// is not hashed here). The profile part goes through the form's own edit code.
pub(super) fn updated_user(current: &User, up: &UpdateRow, settings: &Settings, defs: &[AttributeDefinition]) -> Result<User, FieldErrors> {
    let patch = up.edit.parse(current, settings, defs)?;
    let mut next: User = patch.apply(current, current.updated_at).unwrap_or_else(|| current.clone());
    next.version = current.version;
    match &up.groups {
        Change::Keep => {}
        Change::Set(g) => next.groups = g.clone(),
        Change::Clear => next.groups.clear(),
    }
    match &up.roles {
        Change::Keep => {}
        Change::Set(ro) => next.roles = ro.clone(),
        Change::Clear => next.roles.clear(),
    }
    if let Some(s) = up.status {
        next.status = s;
    }
    if let Some(f) = up.second_factor {
        next.second_factor = f;
    }
    match &up.device_limit {
        Change::Keep => {}
        Change::Set(d) => next.device_limit = Some(*d),
        Change::Clear => next.device_limit = None,
    }
    match &up.password_expiry {
        Change::Keep => {}
        Change::Set(d) => next.password_expires_at = Some(*d),
        Change::Clear => next.password_expires_at = None,
    }
    Ok(next)
}

pub(super) fn problem_view(p: &RowProblem) -> BulkProblemView {
    BulkProblemView { column: p.column.clone(), code: p.code.clone(), message: p.message.clone() }
}

fn password_change(had: bool) -> BulkChangeView {
    BulkChangeView { field: "password".into(), old: if had { "(set)".into() } else { Value::Null }, new: "(set)".into() }
}

/// The fields that differ between `old` (none for a create) and `new`, in column order.
/// A create lists only the fields it sets.
fn diff(old: Option<&UserView>, new: &UserView) -> Vec<BulkChangeView> {
    let text = |s: &str| if s.is_empty() { Value::Null } else { Value::String(s.to_owned()) };
    let opt = |s: &Option<String>| s.as_deref().map_or(Value::Null, text);
    let list = |l: &[String]| if l.is_empty() { Value::Null } else { Value::String(l.join("|")) };
    let fields = |v: &UserView| -> Vec<(&'static str, Value)> {
        vec![
            ("username", text(&v.username)),
            ("email", text(&v.email)),
            ("firstName", text(&v.first_name)),
            ("lastName", text(&v.last_name)),
            ("phone", opt(&v.phone)),
            ("groups", list(&v.groups)),
            ("roles", list(&v.roles)),
            ("status", text(v.status)),
            ("secondFactor", text(v.second_factor)),
            ("deviceLimit", v.device_limit.map_or(Value::Null, Value::from)),
            ("passwordExpiry", opt(&v.password_expires_at)),
        ]
    };
    let mut out = Vec::new();
    match old {
        None => {
            for (field, new) in fields(new) {
                if !new.is_null() {
                    out.push(BulkChangeView { field: field.into(), old: Value::Null, new });
                }
            }
            for (k, v) in &new.attributes {
                out.push(BulkChangeView { field: format!("attributes.{k}"), old: Value::Null, new: v.clone() });
            }
        }
        Some(old) => {
            for ((field, o), (_, n)) in fields(old).into_iter().zip(fields(new)) {
                let same = match field {
                    // Group and role order is not a change.
                    "groups" | "roles" => sorted_lower(&o) == sorted_lower(&n),
                    _ => o == n,
                };
                if !same {
                    out.push(BulkChangeView { field: field.into(), old: o, new: n });
                }
            }
            let keys: std::collections::BTreeSet<&String> = old.attributes.keys().chain(new.attributes.keys()).collect();
            for k in keys {
                let (o, n) = (old.attributes.get(k).cloned().unwrap_or(Value::Null), new.attributes.get(k).cloned().unwrap_or(Value::Null));
                if o != n {
                    out.push(BulkChangeView { field: format!("attributes.{k}"), old: o, new: n });
                }
            }
        }
    }
    out
}

fn sorted_lower(v: &Value) -> Vec<String> {
    let mut items: Vec<String> = v.as_str().unwrap_or("").split('|').filter(|s| !s.is_empty()).map(str::to_ascii_lowercase).collect();
    items.sort();
    items
}

