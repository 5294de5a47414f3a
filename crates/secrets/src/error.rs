//! Keyring failures, with stable codes and messages that never hold a secret.

use crate::native::{self, Failure};

/// Why a secret could not be stored, read or deleted. Front ends switch on [`code`](Self::code),
/// never on the text. No variant holds a secret: the keyring crate's own error (whose
/// `BadEncoding` carries the raw stored bytes) is turned into text here and dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No OS keyring can be reached (on Linux: no D-Bus session bus, no Secret Service on it, or
    /// no default keyring). The secret was not stored anywhere else.
    #[error(
        "no keyring available: {hint}; Roster keeps secrets only in the OS keyring, never in \
         plain text ({detail})"
    )]
    Unavailable { hint: &'static str, detail: String },
    /// The keyring is there but refused: locked, its unlock prompt dismissed, or access denied.
    #[error("the keyring refused access: {detail}; unlock it and try again")]
    AccessDenied { detail: String },
    /// The account name cannot name a keyring entry (a bug in the caller, not the admin's doing).
    #[error("cannot use {account:?} as a keyring account: {reason}")]
    InvalidAccount { account: String, reason: String },
    /// Any other failure of the keyring.
    #[error("keyring error ({store}): {detail}")]
    Keyring { store: &'static str, detail: String },
}

impl SecretError {
    /// A stable, machine-readable code: `keyring_unavailable`, `access_denied`,
    /// `invalid_account` or `keyring_error`.
    pub fn code(&self) -> &'static str {
        match self {
            SecretError::Unavailable { .. } => "keyring_unavailable",
            SecretError::AccessDenied { .. } => "access_denied",
            SecretError::InvalidAccount { .. } => "invalid_account",
            SecretError::Keyring { .. } => "keyring_error",
        }
    }

    pub(crate) fn unavailable(detail: impl Into<String>) -> Self {
        SecretError::Unavailable {
            hint: native::UNAVAILABLE_HINT,
            detail: detail.into(),
        }
    }

    pub(crate) fn keyring(detail: impl Into<String>) -> Self {
        SecretError::Keyring {
            store: native::STORE,
            detail: detail.into(),
        }
    }

    pub(crate) fn invalid_account(account: &str, reason: impl Into<String>) -> Self {
        SecretError::InvalidAccount {
            account: account.to_owned(),
            reason: reason.into(),
        }
    }

    /// The keyring crate's error for an operation on `account`. `NoEntry` is the callers' to
    /// handle (it is no failure for `load` and `delete`); here it is an unexpected one.
    pub(crate) fn from_keyring(error: keyring::Error, account: &str) -> Self {
        use keyring::Error as K;
        match error {
            K::PlatformFailure(inner) => match native::classify(inner.as_ref()) {
                Some((Failure::Unavailable, detail)) => SecretError::unavailable(detail),
                Some((Failure::AccessDenied, detail)) => SecretError::AccessDenied { detail },
                None => SecretError::keyring(inner.to_string()),
            },
            K::NoStorageAccess(inner) => match native::classify(inner.as_ref()) {
                Some((Failure::Unavailable, detail)) => SecretError::unavailable(detail),
                Some((Failure::AccessDenied, detail)) => SecretError::AccessDenied { detail },
                None => SecretError::AccessDenied {
                    detail: inner.to_string(),
                },
            },
            K::NoEntry => SecretError::keyring(format!("no entry for account {account:?}")),
            // The stored bytes are dropped here, unread.
            K::BadEncoding(_) => SecretError::keyring(format!(
                "the secret stored for account {account:?} is not UTF-8 text"
            )),
            K::TooLong(attribute, limit) => SecretError::invalid_account(
                account,
                format!("its {attribute} is longer than the keyring's limit of {limit} characters"),
            ),
            K::Invalid(attribute, reason) => {
                SecretError::invalid_account(account, format!("{attribute} {reason}"))
            }
            K::Ambiguous(items) => SecretError::keyring(format!(
                "{} keyring items match account {account:?}; remove all but one (with Seahorse, \
                 Keychain Access or Credential Manager)",
                items.len()
            )),
            other => SecretError::keyring(other.to_string()),
        }
    }

    /// The same error, its platform-supplied text withheld if it contains `secret`: a last guard,
    /// in case a platform ever echoes a value back in an error message. (Withheld whole rather
    /// than masked, so that a short secret cannot turn every message into a puzzle.)
    pub(crate) fn without(self, secret: &str) -> Self {
        const WITHHELD: &str = "details withheld: they would show the secret";
        let scrub = |text: String| {
            if !secret.is_empty() && text.contains(secret) {
                WITHHELD.to_owned()
            } else {
                text
            }
        };
        match self {
            SecretError::Unavailable { hint, detail } => SecretError::Unavailable {
                hint,
                detail: scrub(detail),
            },
            SecretError::AccessDenied { detail } => SecretError::AccessDenied {
                detail: scrub(detail),
            },
            SecretError::InvalidAccount { account, reason } => SecretError::InvalidAccount {
                account,
                reason: scrub(reason),
            },
            SecretError::Keyring { store, detail } => SecretError::Keyring {
                store,
                detail: scrub(detail),
            },
        }
    }
}
