use std::fmt;
use std::path::{Path, PathBuf};

/// Which unique rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Username,
    Email,
    GroupName,
    RoleName,
    AttributeName,
}

#[derive(Debug)]
pub enum StoreError {
    /// The file was written by a newer Roster (schema `found`, this build knows `supported`).
    TooNew { path: PathBuf, found: u32, supported: u32 },
    /// The file is SQLite but not a Roster workspace, or not SQLite at all.
    NotAWorkspace { path: PathBuf, reason: String },
    /// A unique rule was broken: the caller checked, but someone else wrote first.
    Duplicate(UniqueField),
    /// Another connection held the write lock for longer than the busy timeout.
    Busy,
    /// A stored value no longer parses: the file was changed outside Roster.
    Corrupt(String),
    Io { path: PathBuf, source: std::io::Error },
    Sqlite(rusqlite::Error),
}

impl StoreError {
    pub(crate) fn open(path: &Path, e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => {
                Self::NotAWorkspace { path: path.to_owned(), reason: "it is not a SQLite database".into() }
            }
            _ => Self::Sqlite(e),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooNew { path, found, supported } => write!(
                f,
                "{} was written by a newer version of Roster (workspace schema {found}; this Roster reads up to {supported}). \
                 Update Roster to open it; the file was left untouched.",
                path.display()
            ),
            Self::NotAWorkspace { path, reason } => {
                write!(f, "{} is not a Roster workspace ({reason}); the file was left untouched.", path.display())
            }
            Self::Duplicate(field) => write!(f, "a {field:?} with that value exists already"),
            Self::Busy => write!(f, "the workspace is busy: another Roster is writing to it"),
            Self::Corrupt(what) => write!(f, "the workspace holds a value Roster cannot read: {what}"),
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Sqlite(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Sqlite(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(err, Some(msg)) = &e {
            if err.code == rusqlite::ErrorCode::ConstraintViolation && msg.starts_with("UNIQUE constraint failed") {
                let field = if msg.contains("users.username") {
                    Some(UniqueField::Username)
                } else if msg.contains("users.email") {
                    Some(UniqueField::Email)
                } else if msg.contains("groups.name") {
                    Some(UniqueField::GroupName)
                } else if msg.contains("roles.name") {
                    Some(UniqueField::RoleName)
                } else if msg.contains("attribute_definitions.name") {
                    Some(UniqueField::AttributeName)
                } else {
                    None
                };
                if let Some(field) = field {
                    return Self::Duplicate(field);
                }
            }
        }
        if matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)) {
            return Self::Busy;
        }
        Self::Sqlite(e)
    }
}
