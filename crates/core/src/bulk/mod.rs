//! Bulk CSV: the pure first layer. Bytes in; a table, a column mapping and one checked row
//! per data row out. No IO, no store: whether a username already exists, or whether a
//! delete's email belongs to the same user, is decided later by the plan step, which gets
//! the typed [`Username`](crate::Username) and [`Email`](crate::Email) of every row here.
//!
//! # The file
//!
//! - **Encodings**: UTF-8 with or without BOM, UTF-16 LE/BE with BOM, and Windows-1252 when
//!   the bytes are not valid UTF-8. NUL bytes or mostly control characters: a binary file,
//!   refused ([`FileProblem`] `binary`). An empty or blank file is refused (`empty`).
//! - **Delimiter**: comma, semicolon or tab, whichever occurs most in the header line outside
//!   quotes (comma on a tie or when none occurs).
//! - CRLF or LF; quoted fields may hold delimiters and line breaks; blank lines are skipped;
//!   Entra's `version:v1.0` first line is skipped.
//! - **Header only**: not an error; the table has no rows and a `no_rows` [`Warning`].
//! - **Row numbers** are the spreadsheet's: the file's first line is row 1 (the header, or
//!   Entra's version line with the header on row 2); a blank line is a row of its own, as a
//!   spreadsheet shows it; a quoted cell with line breaks is still one row.
//! - A cell longer than [`MAX_CELL_BYTES`] is not kept: its row gets a `cell_too_long` problem.
//! - A row with a different number of cells than the header is a `wrong_cell_count` row
//!   problem (extra cells that are all blank, as trailing delimiters leave, are ignored).
//!
//! # Columns
//!
//! `Action, Username, Email, First Name, Last Name, Phone, Password, Groups, Roles, Status,
//! Second Factor, Device Limit, Password Expiry`, then custom attributes by name. Headers
//! match ignoring case, spaces, underscores, hyphens, dots, bracketed or parenthesised notes
//! and a trailing "Required", and vendor aliases (Entra, Google Workspace, Okta): see
//! [`Columns::map`]. Entra's `Block sign in (Yes/No)` is read as Status inverted (Yes =
//! disabled). An unknown column is a warning and is ignored; two columns for one field are a
//! file problem.
//!
//! Without an Action column every row is an add, as in vendor templates; then a missing
//! Username column means the Email column is the username too (Google's templates have
//! none), and a missing Email column means the Username column is the email too (Entra's
//! userPrincipalName), each with a warning; with neither, a file problem. With an Action
//! column (Roster's own layout) there are no stand-ins: no Username column is a file
//! problem, and so is no Email column when any row is an add or a delete.
//!
//! # Cells
//!
//! - `Action`: `add`, `update` or `delete`, any case.
//! - `add`: Username and Email required; the row is checked by [`UserDraft::parse`](crate::UserDraft::parse),
//!   exactly as the single-user form.
//! - `update`: the user is found by Username; only non-empty cells change. The token
//!   **`<clear>`** ([`CLEAR`]) clears an optional field: First Name, Last Name, Phone, Groups,
//!   Roles, Device Limit (back to the workspace default), Password Expiry, and custom
//!   attributes that are not required. `<clear>` in Username, Email, Password, Status or
//!   Second Factor is a `not_clearable` problem. In an add row `<clear>` is the same as blank.
//! - `delete`: Username AND Email required (the plan checks they belong to the same user);
//!   other cells are ignored.
//! - `Groups` and `Roles`: several names in one cell separated by `|` (and by `;` too when the
//!   file's delimiter is not `;`), e.g. `Sales|London`. Group and role names cannot contain
//!   either character.
//! - `Status`: active or disabled; `Second Factor`: none, totp, email_otp, sms_otp, push,
//!   hardware_key; `Device Limit`: 1 to 100; `Password Expiry`: `YYYY-MM-DD`.
//!
//! - **Once per file**: a username may appear in one row only (whatever the actions), and an
//!   email in one add only, ignoring case; a later row is a `duplicate_in_file` problem that
//!   names the earlier row. (Whether a user exists already is the plan's question.)
//!
//! Every problem is a [`RowProblem`]: the spreadsheet row, the column as written in the file,
//! a stable code ([`FieldCode::as_str`](crate::FieldCode::as_str) for field rules, or a bulk code
//! such as `unknown_action`, `missing_cell`, `duplicate_in_file`) and a message. Every row is
//! checked; nothing stops at the first error.
//!
//! # Writing CSV
//!
//! [`neutralise`] guards every cell Roster writes against CSV (formula) injection. Reading
//! undoes it: a cell's leading apostrophe before `=`, `+`, `-` or `@` is dropped, so a
//! results file's failed rows (`--failed-only`) import again as they are.

mod header;
mod read;
mod row;

use std::borrow::Cow;
use std::fmt;

pub use header::{Column, Columns};
pub use read::{read, CsvRow, CsvTable, MAX_CELL_BYTES, MAX_TEXT_BYTES};
pub use row::{check_row, check_rows, digest_ignoring_case, Action, FileOnce, AddRow, Change, CheckedRow, ParsedRow, UpdateRow, CLEAR};

use crate::attribute::AttributeDefinition;
use crate::settings::Settings;

/// Why a whole file cannot be used. `code` is stable (`empty`, `binary`, `invalid_encoding`,
/// `no_header`, `duplicate_column`, `missing_column`, `unreadable`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub code: &'static str,
    pub message: String,
}

impl FileProblem {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Something an admin should know that does not stop the import (`unknown_column`,
/// `no_rows`, `username_from_email`, `email_from_username`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
    /// The column concerned, as written in the file, if one is.
    pub column: Option<String>,
}

impl Warning {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), column: None }
    }

    pub(crate) fn about(column: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), column: Some(column.to_owned()) }
    }
}

/// One problem in one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The row as a spreadsheet numbers it (header = row 1).
    pub row: usize,
    /// The column's header as written in the file; empty for a problem with the whole row.
    pub column: String,
    /// A [`FieldCode`](crate::FieldCode) string, or a bulk code (`unknown_action`, `missing_cell`,
    /// `wrong_cell_count`, `cell_too_long`, `not_clearable`, `duplicate_in_file`).
    pub code: String,
    pub message: String,
}

/// A file read, mapped and checked row by row.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub table: CsvTable,
    pub columns: Columns,
    pub warnings: Vec<Warning>,
    pub rows: Vec<CheckedRow>,
}

/// A file read and its header mapped, rows not yet checked: see [`check_row`] and [`FileOnce`].
#[derive(Debug, Clone)]
pub struct Mapped {
    pub table: CsvTable,
    pub columns: Columns,
    pub warnings: Vec<Warning>,
}

/// Reads `bytes` and maps the header. File problems (all of them) stop it.
pub fn map(bytes: &[u8], defs: &[AttributeDefinition]) -> Result<Mapped, Vec<FileProblem>> {
    let table = read(bytes).map_err(|p| vec![p])?;
    let (columns, mut warnings, mut problems) = Columns::map(&table.headers, defs);
    problems.extend(columns.missing_for_rows(&table));
    if !problems.is_empty() {
        return Err(problems);
    }
    warnings.splice(0..0, table.warnings.iter().cloned());
    Ok(Mapped { table, columns, warnings })
}

/// Reads `bytes`, maps the header and checks every row. File problems (all of them) stop
/// it; everything else is in the result.
pub fn prepare(bytes: &[u8], settings: &Settings, defs: &[AttributeDefinition]) -> Result<Prepared, Vec<FileProblem>> {
    let Mapped { table, columns, warnings } = map(bytes, defs)?;
    let rows = check_rows(&table, &columns, settings, defs);
    Ok(Prepared { table, columns, warnings, rows })
}

/// A cell as Roster writes it into a CSV: one starting with `=`, `+`, `-`, `@`, tab or
/// carriage return gets a leading apostrophe, so a spreadsheet shows it as text instead of
/// running it as a formula (OWASP "CSV injection").
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralise_guards_formula_starts() {
        for bad in ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            let out = neutralise(bad);
            assert!(matches!(out, Cow::Owned(_)), "{bad:?}");
            assert_eq!(out, format!("'{bad}"));
        }
        for ok in ["alice", "", " =x", "a=b", "'=already", "Zoë"] {
            assert!(matches!(neutralise(ok), Cow::Borrowed(_)), "{ok:?}");
            assert_eq!(neutralise(ok), ok);
        }
    }
}
