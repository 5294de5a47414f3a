//! Header → columns: which cell of a row holds which field.

use std::collections::HashMap;

use super::read::CsvTable;
use super::{FileProblem, Warning};
use crate::attribute::AttributeDefinition;

/// A field a CSV column can hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Column {
    Action,
    Username,
    Email,
    FirstName,
    LastName,
    Phone,
    Password,
    Groups,
    Roles,
    Status,
    SecondFactor,
    DeviceLimit,
    PasswordExpiry,
    /// A custom attribute, by its defined name.
    Attribute(String),
}

impl Column {
    /// The canonical columns, in template order.
    pub const CANONICAL: [Column; 13] = [
        Column::Action,
        Column::Username,
        Column::Email,
        Column::FirstName,
        Column::LastName,
        Column::Phone,
        Column::Password,
        Column::Groups,
        Column::Roles,
        Column::Status,
        Column::SecondFactor,
        Column::DeviceLimit,
        Column::PasswordExpiry,
    ];

    /// The header Roster writes.
    pub fn header(&self) -> &str {
        match self {
            Column::Action => "Action",
            Column::Username => "Username",
            Column::Email => "Email",
            Column::FirstName => "First Name",
            Column::LastName => "Last Name",
            Column::Phone => "Phone",
            Column::Password => "Password",
            Column::Groups => "Groups",
            Column::Roles => "Roles",
            Column::Status => "Status",
            Column::SecondFactor => "Second Factor",
            Column::DeviceLimit => "Device Limit",
            Column::PasswordExpiry => "Password Expiry",
            Column::Attribute(name) => name,
        }
    }
}

/// Normalised header text → column. Keys are lower case without spaces, `_`, `-` or `.`.
/// The canonical names, then aliases from Entra, Google Workspace and Okta user templates.
const ALIASES: &[(&str, Column)] = &[
    ("action", Column::Action),
    ("operation", Column::Action),
    ("username", Column::Username),
    ("userprincipalname", Column::Username),
    ("upn", Column::Username),
    ("login", Column::Username),
    ("loginname", Column::Username),
    ("user", Column::Username),
    ("userid", Column::Username),
    ("email", Column::Email),
    ("mail", Column::Email),
    ("emailaddress", Column::Email),
    ("primaryemail", Column::Email),
    ("emailaddr", Column::Email),
    ("firstname", Column::FirstName),
    ("first", Column::FirstName),
    ("givenname", Column::FirstName),
    ("forename", Column::FirstName),
    ("lastname", Column::LastName),
    ("last", Column::LastName),
    ("surname", Column::LastName),
    ("sn", Column::LastName),
    ("familyname", Column::LastName),
    ("phone", Column::Phone),
    ("mobile", Column::Phone),
    ("mobilephone", Column::Phone),
    ("phonenumber", Column::Phone),
    ("telephone", Column::Phone),
    ("telephonenumber", Column::Phone),
    ("password", Column::Password),
    ("initialpassword", Column::Password),
    ("groups", Column::Groups),
    ("group", Column::Groups),
    ("roles", Column::Roles),
    ("role", Column::Roles),
    ("status", Column::Status),
    ("accountstatus", Column::Status),
    ("secondfactor", Column::SecondFactor),
    ("mfa", Column::SecondFactor),
    ("mfamethod", Column::SecondFactor),
    ("devicelimit", Column::DeviceLimit),
    ("passwordexpiry", Column::PasswordExpiry),
    ("passwordexpires", Column::PasswordExpiry),
    ("passwordexpiresat", Column::PasswordExpiry),
];

/// Entra's `Block sign in (Yes/No)`: Status, inverted (Yes = disabled).
const BLOCK_SIGN_IN: &str = "blocksignin";

/// Where each field is in the file's rows.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// The file's headers as written.
    pub headers: Vec<String>,
    by_column: HashMap<Column, usize>,
    /// The Status column is Entra's "Block sign in": Yes means disabled.
    pub status_inverted: bool,
    /// No Username column: the Email cell is the username too.
    pub username_from_email: bool,
    /// No Email column: the Username cell is the email too.
    pub email_from_username: bool,
}

impl Columns {
    /// Maps `headers` to columns. Matching ignores case, spaces, `_`, `-`, `.`, notes in
    /// `[...]` or `(...)` and a trailing "Required"; when the text outside the notes is not
    /// known, a note that is (`Name [userPrincipalName]`) is tried. Unknown columns: a
    /// warning each (ignored). Two headers for one field: a file problem.
    pub fn map(headers: &[String], defs: &[AttributeDefinition]) -> (Columns, Vec<Warning>, Vec<FileProblem>) {
        let mut columns = Columns { headers: headers.to_vec(), ..Columns::default() };
        let mut warnings = Vec::new();
        let mut problems = Vec::new();
        for (i, header) in headers.iter().enumerate() {
            if header.trim().is_empty() {
                continue; // a trailing delimiter leaves an empty header
            }
            let Some((column, inverted)) = identify(header, defs) else {
                warnings.push(Warning::about(header, "unknown_column", format!("Column \"{header}\" is not one Roster knows; it is ignored")));
                continue;
            };
            if let Some(&first) = columns.by_column.get(&column) {
                problems.push(FileProblem::new(
                    "duplicate_column",
                    format!("Columns \"{}\" and \"{header}\" both give {}: keep one of them", headers[first], column.header()),
                ));
                continue;
            }
            if inverted {
                columns.status_inverted = true;
            }
            columns.by_column.insert(column, i);
        }
        let has = |c: &Column| columns.by_column.contains_key(c);
        if has(&Column::Action) {
            // Roster's own layout: no stand-ins. Email is checked against the rows' actions
            // by `missing_for_rows`.
            if !has(&Column::Username) {
                problems.push(FileProblem::new("missing_column", "The file needs a Username column: every row names its user by username"));
            }
            return (columns, warnings, problems);
        }
        match (has(&Column::Username), has(&Column::Email)) {
            (false, true) => {
                columns.username_from_email = true;
                warnings.push(Warning::new("username_from_email", "There is no Username column: each user's email is their username"));
            }
            (true, false) => {
                columns.email_from_username = true;
                warnings.push(Warning::new(
                    "email_from_username",
                    "There is no Email column: each username is used as the email (it must be an email address)",
                ));
            }
            (false, false) => problems.push(FileProblem::new(
                "missing_column",
                "The file needs a Username or an Email column to know which users it is about",
            )),
            (true, true) => {}
        }
        (columns, warnings, problems)
    }

    /// A file with an Action column and no Email column cannot hold adds or deletes: one
    /// file problem (not a problem on every row) when it does.
    pub fn missing_for_rows(&self, table: &CsvTable) -> Vec<FileProblem> {
        let (Some(action), false) = (self.index(&Column::Action), self.by_column.contains_key(&Column::Email)) else {
            return Vec::new();
        };
        let needs_email = table.rows().any(|r| {
            let a = r.cell(action).map_or("", str::trim);
            a.eq_ignore_ascii_case("add") || a.eq_ignore_ascii_case("delete")
        });
        if needs_email {
            vec![FileProblem::new("missing_column", "The file has add or delete rows, so it needs an Email column")]
        } else {
            Vec::new()
        }
    }

    /// Index of `column` in a row, if the file has it.
    pub fn index(&self, column: &Column) -> Option<usize> {
        self.by_column.get(column).copied()
    }

    /// The header as written in the file for `column`, or its canonical name.
    pub fn header_of(&self, column: &Column) -> String {
        match self.index(column) {
            Some(i) => self.headers[i].clone(),
            None => column.header().to_owned(),
        }
    }

    /// Whether the file has an Action column (without one, every row is an add).
    pub fn has_action(&self) -> bool {
        self.by_column.contains_key(&Column::Action)
    }

    /// Custom attribute columns: (defined name, index).
    pub fn attributes(&self) -> impl Iterator<Item = (&str, usize)> {
        self.by_column.iter().filter_map(|(c, &i)| match c {
            Column::Attribute(n) => Some((n.as_str(), i)),
            _ => None,
        })
    }
}

/// Lower case without spaces, `_`, `-`, `.`, notes in brackets, or a trailing "required".
fn normalise(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '[' | '(' | '{' => depth += 1,
            ']' | ')' | '}' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            c if c.is_whitespace() || matches!(c, '_' | '-' | '.' | '*' | ':') => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    if out.len() > "required".len() {
        if let Some(s) = out.strip_suffix("required") {
            out.truncate(s.len());
        }
    }
    out
}

/// The bracketed notes of a header, normalised (`[userPrincipalName]` → `userprincipalname`).
fn notes(text: &str) -> Vec<String> {
    let mut notes = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(['[', '(']) {
        let close = if rest[start..].starts_with('[') { ']' } else { ')' };
        let Some(len) = rest[start + 1..].find(close) else { break };
        notes.push(normalise(&rest[start + 1..start + 1 + len]));
        rest = &rest[start + 1 + len + 1..];
    }
    notes
}

fn identify(header: &str, defs: &[AttributeDefinition]) -> Option<(Column, bool)> {
    let key = normalise(header);
    let lookup = |key: &str| -> Option<(Column, bool)> {
        if key == BLOCK_SIGN_IN {
            return Some((Column::Status, true));
        }
        if let Some((_, c)) = ALIASES.iter().find(|(k, _)| *k == key) {
            return Some((c.clone(), false));
        }
        let def = defs
            .iter()
            .find(|d| d.name.as_str().eq_ignore_ascii_case(key))
            .or_else(|| defs.iter().find(|d| normalise(d.name.as_str()) == key))?;
        Some((Column::Attribute(def.name.as_str().to_owned()), false))
    };
    if key.is_empty() {
        return notes(header).iter().find_map(|n| lookup(n));
    }
    lookup(&key).or_else(|| notes(header).iter().find_map(|n| lookup(n)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AttributeName, AttributeType};

    fn map(headers: &[&str]) -> (Columns, Vec<Warning>, Vec<FileProblem>) {
        let defs = [AttributeDefinition { name: AttributeName::parse("costCenter").unwrap(), kind: AttributeType::Number, required: false }];
        Columns::map(&headers.iter().map(|h| h.to_string()).collect::<Vec<_>>(), &defs)
    }

    #[test]
    fn headers_and_aliases() {
        let cases: &[(&str, Column)] = &[
            ("First Name [Required]", Column::FirstName),
            ("User name [userPrincipalName] Required", Column::Username),
            ("Email Address [Required]", Column::Email),
            ("givenName", Column::FirstName),
            ("first_name", Column::FirstName),
            ("SURNAME", Column::LastName),
            ("sn", Column::LastName),
            ("family-name", Column::LastName),
            ("login", Column::Username),
            ("mail", Column::Email),
            ("Primary Email", Column::Email),
            ("mobilePhone", Column::Phone),
            ("Phone Number", Column::Phone),
            ("Block sign in (Yes/No) [accountEnabled] Required", Column::Status),
            ("Cost Center", Column::Attribute("costCenter".into())),
            ("cost_center", Column::Attribute("costCenter".into())),
            ("Password Expiry", Column::PasswordExpiry),
        ];
        for (h, c) in cases {
            let (cols, w, p) = map(&["x-ignored", h]);
            assert!(p.is_empty() || p.iter().all(|p| p.code == "missing_column"), "{h}: {p:?}");
            assert_eq!(cols.index(c), Some(1), "{h}");
            assert_eq!(w.iter().filter(|w| w.code == "unknown_column").count(), 1);
        }
        assert!(map(&["Block sign in", "login"]).0.status_inverted);
    }

    #[test]
    fn duplicates_and_missing() {
        let (_, _, p) = map(&["Email", "mail", "Username"]);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].code, "duplicate_column");
        assert!(p[0].message.contains("\"Email\" and \"mail\""), "{}", p[0].message);
        let (_, _, p) = map(&["First Name"]);
        assert_eq!(p[0].code, "missing_column");
        let (c, w, p) = map(&["Email Address [Required]", "First Name [Required]"]);
        assert!(p.is_empty() && c.username_from_email && w[0].code == "username_from_email");
    }
}
