//! Bulk CSV against the workspace: the plan (what a file would change, row by row) and the
//! sample template. The plan only reads; a dry run is the plan.
//!
//! The core's `bulk` layer reads the bytes, maps the header and checks every row with the
//! form's own rules; here each row is compared with the workspace: taken usernames and
//! emails, users that must exist, a delete's email that must belong to the same user, groups
//! and roles that must exist, and for an update the field-by-field difference old → new.

use std::collections::{HashMap, HashSet};

use roster_core::bulk::{self, Change, CheckedRow, Column, Columns, ParsedRow, RowProblem};
use roster_core::{AttributeDefinition, AttributeType, Email, GroupName, Phone, RoleName, Settings, User, Username};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::views::UserView;
use crate::{Error, Workspace};

/// Counts per outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkSummaryView {
    pub create: u64,
    pub update: u64,
    pub delete: u64,
    pub unchanged: u64,
    pub error: u64,
}

/// One field a row changes. `old` is null for a create; a password shows as "(set)".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkChangeView {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// One problem of a row: the column as written in the file (empty for the whole row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkProblemView {
    pub column: String,
    pub code: String,
    pub message: String,
}

/// A warning or a file problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkNoticeView {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column: Option<String>,
}

/// One data row of the file, planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRowView {
    /// The spreadsheet row (header = row 1).
    pub row: usize,
    /// `add`, `update`, `delete`; null when the action cell was blank or unknown.
    pub action: Option<String>,
    /// `create`, `update`, `delete`, `unchanged` or `error`.
    pub outcome: String,
    pub username: String,
    pub changes: Vec<BulkChangeView>,
    pub problems: Vec<BulkProblemView>,
}

/// What a file would do to the workspace. Rows in file order; deterministic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkPlanView {
    pub summary: BulkSummaryView,
    pub rows: Vec<BulkRowView>,
    pub warnings: Vec<BulkNoticeView>,
    /// Why the file cannot be used at all; then there are no rows.
    pub file_problems: Vec<BulkNoticeView>,
}

impl BulkPlanView {
    /// Whether any row or the file has an error.
    pub fn has_errors(&self) -> bool {
        self.summary.error > 0 || !self.file_problems.is_empty()
    }
}

/// The template's file name.
pub const TEMPLATE_FILE_NAME: &str = "bulkUserCsvSample.csv";

impl Workspace {
    /// Plans `bytes` (a CSV file) against the workspace without changing anything.
    pub fn bulk_plan(&self, bytes: &[u8]) -> Result<BulkPlanView, Error> {
        let (settings, defs) = {
            let r = self.store.reader();
            (r.settings()?, r.attribute_definitions()?)
        };
        let prepared = match bulk::prepare(bytes, &settings, &defs) {
            Ok(p) => p,
            Err(problems) => {
                return Ok(BulkPlanView {
                    summary: BulkSummaryView::default(),
                    rows: Vec::new(),
                    warnings: Vec::new(),
                    file_problems: problems
                        .into_iter()
                        .map(|p| BulkNoticeView { code: p.code.to_owned(), message: p.message, column: None })
                        .collect(),
                });
            }
        };
        let r = self.store.reader();
        let groups: HashSet<String> = r.groups()?.into_iter().map(|g| g.name.as_str().to_ascii_lowercase()).collect();
        let roles: HashSet<String> = r.roles()?.into_iter().map(|g| g.name.as_str().to_ascii_lowercase()).collect();
        // Emails the file gives to users (adds, and updates that change an email): the first
        // row to claim one keeps it; a later add or update claiming it cannot apply.
        let mut claims: HashMap<String, usize> = HashMap::new();
        for checked in &prepared.rows {
            let email = match &checked.result {
                Ok(ParsedRow::Add(a)) => Some(&a.user.email),
                Ok(ParsedRow::Update(u)) => u.email.as_ref(),
                _ => None,
            };
            if let Some(e) = email {
                claims.entry(e.as_str().to_ascii_lowercase()).or_insert(checked.row);
            }
        }
        let ctx = Ctx { ws: self, columns: &prepared.columns, settings: &settings, defs: &defs, groups, roles, claims };
        let mut summary = BulkSummaryView::default();
        let mut rows = Vec::with_capacity(prepared.rows.len());
        // One or two point queries per row (indexed lookups). A million rows will want these
        // batched (a temporary table of the file's usernames and emails joined once).
        for checked in &prepared.rows {
            let view = ctx.plan_row(checked)?;
            match view.outcome.as_str() {
                "create" => summary.create += 1,
                "update" => summary.update += 1,
                "delete" => summary.delete += 1,
                "unchanged" => summary.unchanged += 1,
                _ => summary.error += 1,
            }
            rows.push(view);
        }
        let warnings = prepared
            .warnings
            .iter()
            .map(|w| BulkNoticeView { code: w.code.to_owned(), message: w.message.clone(), column: None })
            .collect();
        Ok(BulkPlanView { summary, rows, warnings, file_problems: Vec::new() })
    }

    /// The sample file (`bulkUserCsvSample.csv`): the canonical header, the workspace's
    /// custom attributes, and one example row each for add, update and delete. Every cell
    /// is neutralised against formula injection.
    pub fn bulk_template(&self) -> Result<String, Error> {
        let r = self.store.reader();
        let settings = r.settings()?;
        let defs = r.attribute_definitions()?;
        let groups: Vec<String> = r.groups()?.into_iter().take(2).map(|g| g.name.as_str().to_owned()).collect();
        let roles: Vec<String> = r.roles()?.into_iter().take(1).map(|g| g.name.as_str().to_owned()).collect();
        Ok(template(&settings, &defs, &groups, &roles))
    }
}

fn template(settings: &Settings, defs: &[AttributeDefinition], groups: &[String], roles: &[String]) -> String {
    let mut header: Vec<String> = Column::CANONICAL.iter().map(|c| c.header().to_owned()).collect();
    header.extend(defs.iter().map(|d| d.name.as_str().to_owned()));
    let sample_phone = "(415) 555-2671";
    let phone = if Phone::parse(sample_phone, settings.default_region).is_ok() { sample_phone } else { "" };
    let sample = |d: &AttributeDefinition| match d.kind {
        AttributeType::String => "Example".to_owned(),
        AttributeType::Number => "42".to_owned(),
        AttributeType::Boolean => "true".to_owned(),
        AttributeType::Date => "2027-01-31".to_owned(),
    };
    let mut add: Vec<String> = [
        "add",
        "jane.doe",
        "jane.doe@example.com",
        "Jane",
        "Doe",
        phone,
        "",
        &groups.join("|"),
        &roles.join("|"),
        "active",
        "totp",
        "3",
        "2027-12-31",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    add.extend(defs.iter().map(sample));
    let mut update: Vec<String> =
        ["update", "john.smith", "", "John", "Smith", "", "", "", "", "disabled", "", "", ""].iter().map(|s| (*s).to_owned()).collect();
    update.extend(defs.iter().map(|_| String::new()));
    let mut delete: Vec<String> =
        ["delete", "old.user", "old.user@example.com", "", "", "", "", "", "", "", "", "", ""].iter().map(|s| (*s).to_owned()).collect();
    delete.extend(defs.iter().map(|_| String::new()));
    let mut out = String::new();
    for line in [header, add, update, delete] {
        out.push_str(&csv_line(&line));
        out.push_str("\r\n");
    }
    out
}

/// One CSV line: every cell neutralised, quoted when it holds a delimiter, quote or line break.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    cells
        .iter()
        .map(|c| {
            let c = bulk::neutralise(c.as_ref());
            if c.contains([',', '"', '\n', '\r', ';', '\t']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

struct Ctx<'a> {
    ws: &'a Workspace,
    columns: &'a Columns,
    settings: &'a Settings,
    defs: &'a [AttributeDefinition],
    /// Lower-cased names (names are unique regardless of ASCII case).
    groups: HashSet<String>,
    roles: HashSet<String>,
    /// Lower-cased email → the first row of the file that gives it to a user.
    claims: HashMap<String, usize>,
}

impl Ctx<'_> {
    /// A username or email held by someone other than `except`, with the single-user form's
    /// own check and words, reported against the file's Username or Email column.
    fn taken(
        &self,
        username: Option<&roster_core::Username>,
        email: Option<&roster_core::Email>,
        except: Option<&roster_core::Username>,
        problems: &mut Vec<BulkProblemView>,
    ) -> Result<(), Error> {
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

    fn plan_row(&self, checked: &CheckedRow) -> Result<BulkRowView, Error> {
        let mut view = BulkRowView {
            row: checked.row,
            action: checked.action.map(|a| a.as_str().to_owned()),
            outcome: "error".to_owned(),
            username: checked.username.clone(),
            changes: Vec::new(),
            problems: Vec::new(),
        };
        let parsed = match &checked.result {
            Err(problems) => {
                view.problems = problems.iter().map(problem_view).collect();
                return Ok(view);
            }
            Ok(p) => p,
        };
        let claimed = match parsed {
            ParsedRow::Add(a) => Some(&a.user.email),
            ParsedRow::Update(u) => u.email.as_ref(),
            ParsedRow::Delete { .. } => None,
        };
        if let Some(e) = claimed {
            if let Some(&first) = self.claims.get(&e.as_str().to_ascii_lowercase()).filter(|&&first| first != checked.row) {
                view.problems.push(self.problem(
                    &Column::Email,
                    "duplicate_in_file",
                    format!("Email \"{e}\" is already given to a user on row {first}"),
                ));
            }
        }
        let outcome = match parsed {
            ParsedRow::Add(add) => self.plan_add(add, &mut view)?,
            ParsedRow::Update(up) => self.plan_update(up, &mut view)?,
            ParsedRow::Delete { username, email } => self.plan_delete(username, email, &mut view)?,
        };
        view.outcome = if view.problems.is_empty() { outcome.to_owned() } else { "error".to_owned() };
        if !view.problems.is_empty() {
            view.changes.clear();
        }
        Ok(view)
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

    fn plan_add(&self, add: &bulk::AddRow, view: &mut BulkRowView) -> Result<&'static str, Error> {
        self.taken(Some(&add.user.username), Some(&add.user.email), None, &mut view.problems)?;
        self.check_names(&add.groups, &add.roles, &mut view.problems);
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
        Ok("create")
    }

    fn plan_update(&self, up: &bulk::UpdateRow, view: &mut BulkRowView) -> Result<&'static str, Error> {
        let r = self.ws.store.reader();
        let Some(current) = r.user_by_username(up.username.as_str())? else {
            view.problems.push(self.problem(&Column::Username, "not_found", Error::not_found_user(up.username.as_str()).message));
            return Ok("error");
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
        // The profile part goes through the form's edit code against the current user.
        let patch = match up.edit.parse(&current, self.settings, self.defs) {
            Ok(p) => p,
            Err(errors) => {
                for e in errors {
                    let column = self.column_of_field(&e.field);
                    view.problems.push(self.problem(&column, e.code.as_str(), e.message));
                }
                return Ok("error");
            }
        };
        let mut next: User = patch.apply(&current, current.updated_at).unwrap_or_else(|| current.clone());
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
        view.changes = diff(Some(&UserView::from(&current)), &UserView::from(&next));
        if up.password.is_some() {
            view.changes.push(password_change(current.password.is_some()));
        }
        Ok(if view.changes.is_empty() { "unchanged" } else { "update" })
    }

    fn plan_delete(&self, username: &Username, email: &Email, view: &mut BulkRowView) -> Result<&'static str, Error> {
        let r = self.ws.store.reader();
        let Some(user) = r.user_by_username(username.as_str())? else {
            view.problems.push(self.problem(&Column::Username, "not_found", Error::not_found_user(username.as_str()).message));
            return Ok("error");
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
        Ok("delete")
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

fn problem_view(p: &RowProblem) -> BulkProblemView {
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

impl BulkPlanView {
    /// The plan as CSV (Row, Action, Username, Outcome, Changes, Problems), every cell
    /// neutralised against formula injection. File problems, if any, are rows without a number.
    pub fn to_csv(&self) -> String {
        let show = |v: &Value| match v {
            Value::Null => "(empty)".to_owned(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut out = csv_line(&["Row", "Action", "Username", "Outcome", "Changes", "Problems"]);
        out.push_str("\r\n");
        for p in &self.file_problems {
            out.push_str(&csv_line(&["", "", "", "error", "", &p.message]));
            out.push_str("\r\n");
        }
        for r in &self.rows {
            let changes: Vec<String> = r.changes.iter().map(|c| format!("{}: {} → {}", c.field, show(&c.old), show(&c.new))).collect();
            let problems: Vec<String> = r
                .problems
                .iter()
                .map(|p| if p.column.is_empty() { p.message.clone() } else { format!("{}: {}", p.column, p.message) })
                .collect();
            out.push_str(&csv_line(&[
                r.row.to_string(),
                r.action.clone().unwrap_or_default(),
                r.username.clone(),
                r.outcome.clone(),
                changes.join("; "),
                problems.join("; "),
            ]));
            out.push_str("\r\n");
        }
        out
    }
}
