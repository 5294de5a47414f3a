//! Per-row rules: a data row → a typed row, or every problem it has.
//!
//! Each cell goes through the same parser and message as the single-user form.

use std::collections::HashMap;

use super::header::{Column, Columns};
use super::read::{CsvRow, CsvTable, MAX_CELL_BYTES};
use super::RowProblem;
use crate::attribute::{parse_date, AttributeDefinition, AttributeValue};
use crate::email::Email;
use crate::field::{FieldCode, FieldError};
use crate::group::{GroupName, RoleName};
use crate::name::PersonName;
use crate::password::Password;
use crate::phone::Phone;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::user::{DeviceLimit, NewUser, SecondFactor, UserDraft, UserEdit, UserStatus};
use crate::username::Username;
use crate::Date;

/// In an update row, clears an optional field (any case).
pub const CLEAR: &str = "<clear>";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Add,
    Update,
    Delete,
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }

    /// `add`, `update` or `delete` in any case.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "add" => Some(Self::Add),
            "update" => Some(Self::Update),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }
}

/// What an update row does to one optional field.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Change<T> {
    /// The cell was blank (or the file has no such column).
    #[default]
    Keep,
    Set(T),
    /// The cell was `<clear>`.
    Clear,
}

impl<T> Change<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Change::Keep)
    }
}

fn set<T>(c: Change<T>) -> Option<T> {
    match c {
        Change::Set(v) => Some(v),
        _ => None,
    }
}

/// A valid add row.
#[derive(Debug, Clone)]
pub struct AddRow {
    /// What [`UserDraft::parse`] made of the row, as the form would.
    pub user: NewUser,
    pub groups: Vec<GroupName>,
    pub roles: Vec<RoleName>,
    pub status: Option<UserStatus>,
    pub second_factor: Option<SecondFactor>,
    pub device_limit: Option<DeviceLimit>,
    pub password_expiry: Option<Date>,
}

/// A valid update row: the user it names and what changes.
#[derive(Debug, Clone)]
pub struct UpdateRow {
    pub username: Username,
    pub email: Option<Email>,
    pub first_name: Change<PersonName>,
    pub last_name: Change<PersonName>,
    pub phone: Change<Phone>,
    pub password: Option<Password>,
    pub groups: Change<Vec<GroupName>>,
    pub roles: Change<Vec<RoleName>>,
    pub status: Option<UserStatus>,
    pub second_factor: Option<SecondFactor>,
    pub device_limit: Change<DeviceLimit>,
    pub password_expiry: Change<Date>,
    /// Custom attributes by defined name.
    pub attributes: Vec<(String, Change<AttributeValue>)>,
    /// The profile part as raw text (`Some("")` clears), for [`UserEdit::parse`] against the
    /// current user once the plan has found them: the same code the form's edit runs.
    pub edit: UserEdit,
}

#[derive(Debug, Clone)]
pub enum ParsedRow {
    Add(Box<AddRow>),
    Update(Box<UpdateRow>),
    /// The plan checks that both belong to the same user.
    Delete { username: Username, email: Email },
}

/// One data row, checked.
#[derive(Debug, Clone)]
pub struct CheckedRow {
    /// The spreadsheet row number.
    pub row: usize,
    /// The row's position among the file's data rows.
    pub index: usize,
    /// `None` when the action cell was blank or unknown.
    pub action: Option<Action>,
    /// The username cell as written (trimmed), to name the row in a report.
    pub username: String,
    pub result: Result<ParsedRow, Vec<RowProblem>>,
}

/// Checks every row of `table`; see the [module documentation](super) for the rules.
pub fn check_rows(table: &CsvTable, columns: &Columns, settings: &Settings, defs: &[AttributeDefinition]) -> Vec<CheckedRow> {
    let mut once = FileOnce::with_capacity(table.len());
    table
        .rows()
        .map(|r| {
            let mut checked = check_row(r, columns, settings, defs);
            once.claim(&mut checked, columns, table);
            checked
        })
        .collect()
}

/// Checks one row on its own: every rule but "once per file" ([`FileOnce`]). Pure, so rows
/// can be checked on several threads.
pub fn check_row(row: CsvRow<'_>, columns: &Columns, settings: &Settings, defs: &[AttributeDefinition]) -> CheckedRow {
    let list_separators: &[char] = if row.delimiter() == b';' { &['|'] } else { &['|', ';'] };
    RowCtx { row, columns, settings, defs, list_separators, problems: Vec::new() }.check()
}

/// "Once per file", in file order: a username in one row only, whatever the actions; an
/// email given to one user only, by an add or by an update that changes it (ignoring case).
/// A later row gets a `duplicate_in_file` problem naming the earlier one.
///
/// Keeps a 64-bit digest and a row index per value (16 bytes), not the value. When two
/// digests match, the earlier row's cell is read again to tell a duplicate from a
/// collision; colliding values are then kept whole. A million rows cost some 64 MB.
#[derive(Debug, Default)]
pub struct FileOnce {
    usernames: HashMap<u64, u32, Digested>,
    /// Index of the row; [`FileOnce::BY_UPDATE`] set when an update gave the email.
    emails: HashMap<u64, u32, Digested>,
    /// Values whose digest an earlier, different value has: lower-cased value → row index.
    collided: HashMap<String, u32>,
}

impl FileOnce {
    const BY_UPDATE: u32 = 1 << 31;

    pub fn with_capacity(rows: usize) -> Self {
        Self {
            usernames: HashMap::with_capacity_and_hasher(rows, Digested),
            emails: HashMap::with_capacity_and_hasher(rows, Digested),
            collided: HashMap::new(),
        }
    }

    /// Claims the row's username (and the email it gives a user); turns the row into an
    /// error when an earlier row has them.
    pub fn claim(&mut self, checked: &mut CheckedRow, columns: &Columns, table: &CsvTable) {
        let (username, email, by_update) = match &checked.result {
            Ok(ParsedRow::Add(add)) => (Some(add.user.username.as_str()), Some(add.user.email.as_str()), false),
            Ok(ParsedRow::Update(u)) => (Some(u.username.as_str()), u.email.as_ref().map(Email::as_str), true),
            Ok(ParsedRow::Delete { username, .. }) => (Some(username.as_str()), None, false),
            Err(_) => (None, None, false),
        };
        let index = checked.index as u32;
        let mut dup = Vec::new();
        if let Some(username) = username {
            let column = username_column(columns);
            if let Some(first) = self.first(Kind::Username, username, index, 0, &column, columns, table) {
                let first_row = table.row(first as usize).row;
                dup.push(problem(checked.row, columns.header_of(&column), "duplicate_in_file",
                    format!("Username \"{username}\" is already on row {first_row}: a file changes each user once")));
            }
        }
        if let Some(email) = email {
            let column = if by_update { Column::Email } else { email_column(columns) };
            let flag = if by_update { Self::BY_UPDATE } else { 0 };
            if let Some(first) = self.first(Kind::Email, email, index, flag, &column, columns, table) {
                let first_row = table.row((first & !Self::BY_UPDATE) as usize).row;
                let message = if by_update || first & Self::BY_UPDATE != 0 {
                    format!("Email \"{email}\" is already given to a user on row {first_row}")
                } else {
                    format!("Email \"{email}\" is already added on row {first_row}")
                };
                dup.push(problem(checked.row, columns.header_of(&column), "duplicate_in_file", message));
            }
        }
        if !dup.is_empty() {
            checked.result = Err(dup);
        }
    }

    /// Records `value` for row `index` (with `flag`); the earlier claim (index | flag) when
    /// the same value, ignoring case, was there already.
    #[allow(clippy::too_many_arguments)]
    fn first(&mut self, kind: Kind, value: &str, index: u32, flag: u32, column: &Column, columns: &Columns, table: &CsvTable) -> Option<u32> {
        let map = match kind {
            Kind::Username => &mut self.usernames,
            Kind::Email => &mut self.emails,
        };
        let digest = digest_ignoring_case(value);
        let earlier = *map.entry(digest).or_insert(index | flag);
        if earlier == index | flag {
            return None;
        }
        // Same digest: the same value, or (rarely) a collision.
        let earlier_index = (earlier & !Self::BY_UPDATE) as usize;
        let earlier_value = columns.index(column).and_then(|c| table.row(earlier_index).cell(c)).map_or("", str::trim);
        let earlier_value = earlier_value.strip_prefix('\'').filter(|v| v.starts_with(['=', '+', '-', '@'])).unwrap_or(earlier_value);
        if earlier_value.eq_ignore_ascii_case(value) || earlier_value.to_lowercase() == value.to_lowercase() {
            return Some(earlier);
        }
        let key = format!("{}:{}", kind as u8, value.to_lowercase());
        match self.collided.get(&key) {
            Some(&e) => Some(e),
            None => {
                self.collided.insert(key, index | flag);
                None
            }
        }
    }
}

/// Keys that are digests already are their own hash.
#[derive(Debug, Clone, Copy, Default)]
struct Digested;

impl std::hash::BuildHasher for Digested {
    type Hasher = DigestHasher;
    fn build_hasher(&self) -> DigestHasher {
        DigestHasher(0)
    }
}

#[derive(Debug, Default)]
struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Username,
    Email,
}

/// A 64-bit digest of `value` lower-cased (SipHash-1-3, fixed keys: the same in every run).
pub fn digest_ignoring_case(value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    for c in value.chars().flat_map(char::to_lowercase) {
        c.hash(&mut h);
    }
    h.finish()
}

fn username_column(c: &Columns) -> Column {
    if c.username_from_email { Column::Email } else { Column::Username }
}

fn email_column(c: &Columns) -> Column {
    if c.email_from_username { Column::Username } else { Column::Email }
}

fn problem(row: usize, column: String, code: &str, message: String) -> RowProblem {
    RowProblem { row, column, code: code.to_owned(), message }
}

struct RowCtx<'a> {
    row: CsvRow<'a>,
    columns: &'a Columns,
    settings: &'a Settings,
    defs: &'a [AttributeDefinition],
    list_separators: &'a [char],
    problems: Vec<RowProblem>,
}

impl RowCtx<'_> {
    fn check(mut self) -> CheckedRow {
        let username = self.cell(&username_column(self.columns)).to_owned();
        let action = if self.columns.has_action() { Action::parse(self.cell(&Column::Action)) } else { Some(Action::Add) };
        let done = |mut s: Self, result: Option<ParsedRow>| {
            let result = match result {
                Some(p) if s.problems.is_empty() => Ok(p),
                _ => Err(std::mem::take(&mut s.problems)),
            };
            CheckedRow { row: s.row.row, index: s.row.index, action, username: username.clone(), result }
        };

        for i in self.row.too_long() {
            let header = self.columns.headers.get(i).cloned().unwrap_or_default();
            self.push(header, "cell_too_long", format!("This cell is longer than {} KiB; Roster does not read it", MAX_CELL_BYTES / 1024));
        }
        let (have, want) = (self.row.len(), self.columns.headers.len());
        let extra_blank = have > want && self.row.cells().skip(want).all(|c| c.trim().is_empty());
        if have != want && !extra_blank {
            self.push(String::new(), "wrong_cell_count", format!("This row has {have} cells but the header has {want}: check for a missing or extra delimiter"));
            return done(self, None);
        }
        let Some(action) = action else {
            let raw = self.cell(&Column::Action).to_owned();
            let header = self.columns.header_of(&Column::Action);
            if raw.is_empty() {
                self.push(header, "missing_cell", "Enter an action: add, update or delete".to_owned());
            } else {
                self.push(header, "unknown_action", format!("\"{raw}\" is not an action: use add, update or delete"));
            }
            return done(self, None);
        };
        let parsed = match action {
            Action::Add => self.add().map(|a| ParsedRow::Add(Box::new(a))),
            Action::Update => self.update().map(|u| ParsedRow::Update(Box::new(u))),
            Action::Delete => self.delete(),
        };
        done(self, parsed)
    }

    /// The trimmed cell of `column`, `""` when the file has no such column. An apostrophe
    /// that [`neutralise`](super::neutralise) put before `=`, `+`, `-` or `@` is dropped, so
    /// a results file Roster wrote imports as it was (`'+1 415 555 2671` is a phone).
    fn cell(&self, column: &Column) -> &str {
        let cell = self.columns.index(column).and_then(|i| self.row.cell(i)).map_or("", str::trim);
        match cell.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
            _ => cell,
        }
    }

    /// The cell, with `<clear>` read as blank (for adds).
    fn add_cell(&self, column: &Column) -> &str {
        let c = self.cell(column);
        if c.eq_ignore_ascii_case(CLEAR) { "" } else { c }
    }

    fn push(&mut self, column: String, code: &str, message: String) {
        self.problems.push(problem(self.row.row, column, code, message));
    }

    /// Records a parser's error against `column`'s header.
    fn field_error(&mut self, column: &Column, e: FieldError) {
        let header = self.columns.header_of(column);
        self.push(header, e.code.as_str(), e.message);
    }

    fn take<T>(&mut self, column: &Column, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.field_error(column, e)).ok()
    }

    /// The column a form field name's error belongs to.
    fn column_of_field(&self, field: &str) -> Column {
        match field {
            "username" => username_column(self.columns),
            "email" => email_column(self.columns),
            "firstName" => Column::FirstName,
            "lastName" => Column::LastName,
            "phone" => Column::Phone,
            "password" => Column::Password,
            f => {
                let name = f.strip_prefix("attributes.").unwrap_or(f);
                let def = self.defs.iter().find(|d| d.name.as_str().eq_ignore_ascii_case(name));
                Column::Attribute(def.map_or(name, |d| d.name.as_str()).to_owned())
            }
        }
    }

    fn list<T>(&mut self, column: &Column, raw: &str, parse: fn(&str) -> Result<T, FieldError>) -> Vec<T>
    where
        T: PartialEq,
    {
        let mut out: Vec<T> = Vec::new();
        for piece in raw.split(self.list_separators).map(str::trim).filter(|p| !p.is_empty()) {
            if let Some(v) = self.take(column, parse(piece)) {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        out
    }

    fn status(&mut self, raw: &str) -> Option<UserStatus> {
        if !self.columns.status_inverted {
            return self.take(&Column::Status, raw.parse());
        }
        match raw.to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => Some(UserStatus::Disabled),
            "no" | "n" | "false" | "0" => Some(UserStatus::Active),
            _ => {
                let header = self.columns.header_of(&Column::Status);
                self.push(header, FieldCode::InvalidValue.as_str(), format!("\"{raw}\" is not Yes or No: Yes blocks sign-in (the user is disabled)"));
                None
            }
        }
    }

    fn expiry(&mut self, raw: &str) -> Option<Date> {
        let r = parse_date(raw).map_err(|_| {
            FieldError::new("passwordExpiresAt", FieldCode::InvalidDate, format!("Password expiry must be a date as YYYY-MM-DD (got \"{raw}\")"))
        });
        self.take(&Column::PasswordExpiry, r)
    }

    /// The non-blank cells of the simple typed columns, parsed.
    fn extras(&mut self, add: bool) -> Extras {
        let get = |s: &Self, c: &Column| if add { s.add_cell(c).to_owned() } else { s.cell(c).to_owned() };
        let mut x = Extras::default();
        let groups = get(self, &Column::Groups);
        let roles = get(self, &Column::Roles);
        let status = get(self, &Column::Status);
        let factor = get(self, &Column::SecondFactor);
        let limit = get(self, &Column::DeviceLimit);
        let expiry = get(self, &Column::PasswordExpiry);
        x.groups = self.clearable(&Column::Groups, &groups, |s, raw| Some(s.list(&Column::Groups, raw, GroupName::parse)));
        x.roles = self.clearable(&Column::Roles, &roles, |s, raw| Some(s.list(&Column::Roles, raw, RoleName::parse)));
        x.status = self.fixed(&Column::Status, &status, |s, raw| s.status(raw));
        x.second_factor = self.fixed(&Column::SecondFactor, &factor, |s, raw| s.take(&Column::SecondFactor, raw.parse()));
        x.device_limit = self.clearable(&Column::DeviceLimit, &limit, |s, raw| s.take(&Column::DeviceLimit, DeviceLimit::parse(raw)));
        x.password_expiry = self.clearable(&Column::PasswordExpiry, &expiry, |s, raw| s.expiry(raw));
        x
    }

    /// Blank → Keep, `<clear>` → Clear, else parsed.
    fn clearable<T>(&mut self, _column: &Column, raw: &str, parse: impl FnOnce(&mut Self, &str) -> Option<T>) -> Change<T> {
        if raw.is_empty() {
            Change::Keep
        } else if raw.eq_ignore_ascii_case(CLEAR) {
            Change::Clear
        } else {
            parse(self, raw).map_or(Change::Keep, Change::Set)
        }
    }

    /// Blank → None; `<clear>` is a problem (the field has no empty value).
    fn fixed<T>(&mut self, column: &Column, raw: &str, parse: impl FnOnce(&mut Self, &str) -> Option<T>) -> Option<T> {
        if raw.is_empty() {
            None
        } else if raw.eq_ignore_ascii_case(CLEAR) {
            self.not_clearable(column);
            None
        } else {
            parse(self, raw)
        }
    }

    fn not_clearable(&mut self, column: &Column) {
        let header = self.columns.header_of(column);
        self.push(header.clone(), "not_clearable", format!("{header} cannot be cleared: leave the cell empty to keep the current value"));
    }

    fn add(&mut self) -> Option<AddRow> {
        let password = self.add_cell(&Column::Password);
        let draft = UserDraft {
            username: self.add_cell(&username_column(self.columns)).to_owned(),
            email: self.add_cell(&email_column(self.columns)).to_owned(),
            first_name: self.add_cell(&Column::FirstName).to_owned(),
            last_name: self.add_cell(&Column::LastName).to_owned(),
            phone: self.add_cell(&Column::Phone).to_owned(),
            password: (!password.is_empty()).then(|| Secret::new(password.to_owned())),
            attributes: self
                .columns
                .attributes()
                .map(|(name, _)| (name.to_owned(), self.add_cell(&Column::Attribute(name.to_owned())).to_owned()))
                .collect(),
        };
        let user = match draft.parse(self.settings, self.defs) {
            Ok(u) => Some(u),
            Err(errors) => {
                for e in errors {
                    let column = self.column_of_field(&e.field);
                    self.field_error(&column, e);
                }
                None
            }
        };
        let x = self.extras(true);
        Some(AddRow {
            user: user?,
            groups: set(x.groups).unwrap_or_default(),
            roles: set(x.roles).unwrap_or_default(),
            status: x.status,
            second_factor: x.second_factor,
            device_limit: set(x.device_limit),
            password_expiry: set(x.password_expiry),
        })
    }

    fn update(&mut self) -> Option<UpdateRow> {
        let username_col = username_column(self.columns);
        let raw_username = self.cell(&username_col).to_owned();
        let username = if raw_username.eq_ignore_ascii_case(CLEAR) {
            self.not_clearable(&username_col);
            None
        } else {
            self.take(&username_col, Username::parse(&raw_username))
        };
        let mut edit = UserEdit::default();
        // Email: only from a real Email column (a username standing in for it is no change).
        let raw_email = if self.columns.email_from_username { String::new() } else { self.cell(&Column::Email).to_owned() };
        let email = self.fixed(&Column::Email, &raw_email, |s, raw| s.take(&Column::Email, Email::parse(raw)));
        if email.is_some() {
            edit.email = Some(raw_email.clone());
        }
        let name = |s: &mut Self, column: Column, field: &str, label: &str, slot: &mut Option<String>| {
            let raw = s.cell(&column).to_owned();
            let change = s.clearable(&column, &raw, |s, raw| s.take(&column, PersonName::parse_optional(raw, field, label)).flatten());
            match &change {
                Change::Set(_) => *slot = Some(raw),
                Change::Clear => *slot = Some(String::new()),
                Change::Keep => {}
            }
            change
        };
        let first_name = name(self, Column::FirstName, "firstName", "First name", &mut edit.first_name);
        let last_name = name(self, Column::LastName, "lastName", "Last name", &mut edit.last_name);
        let raw_phone = self.cell(&Column::Phone).to_owned();
        let region = self.settings.default_region;
        let phone = self.clearable(&Column::Phone, &raw_phone, |s, raw| s.take(&Column::Phone, Phone::parse(raw, region)));
        match &phone {
            Change::Set(_) => edit.phone = Some(raw_phone),
            Change::Clear => edit.phone = Some(String::new()),
            Change::Keep => {}
        }
        let raw_password = self.cell(&Column::Password).to_owned();
        let identifiers = [raw_username.as_str(), raw_email.as_str()];
        let policy = self.settings.password_policy;
        let password = self.fixed(&Column::Password, &raw_password, |s, raw| s.take(&Column::Password, Password::parse(raw, policy, &identifiers)));
        let x = self.extras(false);
        let mut attributes = Vec::new();
        let attribute_columns: Vec<String> = self.columns.attributes().map(|(n, _)| n.to_owned()).collect();
        for name in attribute_columns {
            let column = Column::Attribute(name.clone());
            let raw = self.cell(&column).to_owned();
            let Some(def) = self.defs.iter().find(|d| d.name.as_str() == name) else { continue };
            let change = if raw.eq_ignore_ascii_case(CLEAR) && def.required {
                // The same rule and words as the form's edit.
                self.field_error(&column, FieldError::new(def.name.field(), FieldCode::Required, format!("Enter a value for {}", def.name)));
                Change::Keep
            } else {
                self.clearable(&column, &raw, |s, raw| s.take(&column, AttributeValue::parse(def, raw)))
            };
            match &change {
                Change::Set(_) => edit.attributes.push((name.clone(), raw)),
                Change::Clear => edit.attributes.push((name.clone(), String::new())),
                Change::Keep => {}
            }
            if !change.is_keep() {
                attributes.push((name, change));
            }
        }
        Some(UpdateRow {
            username: username?,
            email,
            first_name,
            last_name,
            phone,
            password,
            groups: x.groups,
            roles: x.roles,
            status: x.status,
            second_factor: x.second_factor,
            device_limit: x.device_limit,
            password_expiry: x.password_expiry,
            attributes,
            edit,
        })
    }

    fn delete(&mut self) -> Option<ParsedRow> {
        let ucol = username_column(self.columns);
        let ecol = email_column(self.columns);
        let username = self.take(&ucol, Username::parse(self.cell(&ucol)));
        let raw_email = self.cell(&ecol).to_owned();
        let email = if raw_email.is_empty() {
            let header = self.columns.header_of(&ecol);
            self.push(header, FieldCode::Required.as_str(), "Enter the user's email too: a delete needs both the username and the email".to_owned());
            None
        } else {
            self.take(&ecol, Email::parse(&raw_email))
        };
        Some(ParsedRow::Delete { username: username?, email: email? })
    }
}

#[derive(Default)]
struct Extras {
    groups: Change<Vec<GroupName>>,
    roles: Change<Vec<RoleName>>,
    status: Option<UserStatus>,
    second_factor: Option<SecondFactor>,
    device_limit: Change<DeviceLimit>,
    password_expiry: Change<Date>,
}
