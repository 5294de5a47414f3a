//! The one error type the front ends see: a stable code, a message, the fields concerned.

use std::fmt;

use roster_core::{FieldError, FieldErrors};
use roster_store::{StoreError, UniqueField};
use serde::Serialize;

/// Stable codes: the window and scripts switch on these, never on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Input failed a rule; `fields` says which and why.
    Validation,
    NotFound,
    /// A username, email or name is taken.
    Conflict,
    /// The record changed since it was read.
    Stale,
    /// The request itself is malformed (a bad cursor, an unknown sort).
    Usage,
    /// The capability needs set-up first (mail not configured).
    NotConfigured,
    /// The workspace file cannot be used (written by a newer Roster, not a workspace, unreadable).
    Workspace,
    /// Long work was cancelled before it committed: nothing changed.
    Cancelled,
    /// A server Roster talks to (the mail server) could not be reached or refused; the
    /// field's code says how (`unreachable`, `tls`, `auth_failed`, `rejected`, `timeout`, …).
    Remote,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validation => "validation",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Stale => "stale",
            Self::Usage => "usage",
            Self::NotConfigured => "not_configured",
            Self::Workspace => "workspace",
            Self::Cancelled => "cancelled",
            Self::Remote => "remote",
            Self::Internal => "internal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl From<FieldError> for FieldProblem {
    fn from(e: FieldError) -> Self {
        Self { field: e.field, code: e.code.as_str().to_owned(), message: e.message }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<FieldProblem>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), fields: Vec::new() }
    }

    pub fn cancelled() -> Self {
        Self::new(ErrorCode::Cancelled, "Cancelled: nothing was changed")
    }

    pub fn not_found_user(username: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("No user with username \"{}\"", username.trim()))
    }

    /// A validation error, or a conflict when every problem is a taken value.
    pub fn from_fields(errors: FieldErrors) -> Self {
        let fields: Vec<FieldProblem> = errors.into_iter().map(FieldProblem::from).collect();
        let code = if fields.iter().all(|f| f.code == roster_core::FieldCode::Taken.as_str()) {
            ErrorCode::Conflict
        } else {
            ErrorCode::Validation
        };
        let message = match fields.as_slice() {
            [one] => one.message.clone(),
            many => format!("{} fields need attention", many.len()),
        };
        Self { code, message, fields }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::TooNew { .. } | StoreError::NotAWorkspace { .. } | StoreError::Io { .. } => {
                Self::new(ErrorCode::Workspace, e.to_string())
            }
            StoreError::Duplicate(field) => {
                let (name, what) = match field {
                    UniqueField::Username => ("username", "That username is taken"),
                    UniqueField::Email => ("email", "That email address is used by another user"),
                    UniqueField::GroupName | UniqueField::RoleName | UniqueField::AttributeName => ("name", "That name is taken"),
                };
                Self {
                    code: ErrorCode::Conflict,
                    message: what.to_owned(),
                    fields: vec![FieldProblem { field: name.into(), code: "taken".into(), message: what.into() }],
                }
            }
            StoreError::Busy => Self::new(
                ErrorCode::Workspace,
                "The workspace is busy: another Roster window or command is writing to it. Try again.",
            ),
            StoreError::Corrupt(_) | StoreError::Sqlite(_) => Self::new(ErrorCode::Internal, e.to_string()),
        }
    }
}
