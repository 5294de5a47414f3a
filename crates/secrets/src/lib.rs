//! Roster's secrets — the SMTP password now, SCIM tokens later — kept in the OS keyring and
//! nowhere else: the Secret Service on Linux (gnome-keyring, KWallet, KeePassXC…), the login
//! Keychain on macOS, the Credential Manager on Windows.
//!
//! [`Keyring`] is the only way to reach the keyring; no other crate of Roster knows it. When no
//! keyring can be reached, every call fails with [`SecretError::Unavailable`] (code
//! `keyring_unavailable`) and nothing is written anywhere else: there is no plain-text or
//! in-memory fallback. Values travel as [`Secret<String>`], which prints `<redacted>` and cannot
//! be serialised, and no error message holds one.
//!
//! ```no_run
//! use roster_core::Secret;
//! use roster_secrets::{workspace_account, Keyring};
//!
//! let keyring = Keyring::new();
//! let account = workspace_account("0190e0c8-5f2a-7cc1-9d8e-3b4f5a6b7c8d", "smtp-password");
//! keyring.store(&account, &Secret::new("s3cret".to_owned()))?;
//! assert_eq!(keyring.load(&account)?.map(|s| s.expose().clone()), Some("s3cret".to_owned()));
//! keyring.delete(&account)?;
//! # Ok::<(), roster_secrets::SecretError>(())
//! ```

mod error;
mod native;

use std::sync::{Mutex, MutexGuard};

use keyring::Entry;
pub use roster_core::Secret;

pub use error::SecretError;

/// The keyring service under which Roster keeps every secret (the application's id).
pub const SERVICE: &str = "org.roster.Roster";

/// The longest account name accepted, in bytes (well within every platform's limits).
const MAX_ACCOUNT_LEN: usize = 200;

/// The account that [`Keyring::availability`] looks up; it is never stored.
const PROBE_ACCOUNT: &str = "roster-availability-probe";

/// The keyring account of one secret of one workspace: `"{workspace}/{name}"`, e.g.
/// `workspace_account(id, "smtp-password")`. `workspace` should be an id that stays with the
/// workspace when its file moves, not a path.
pub fn workspace_account(workspace: &str, name: &str) -> String {
    format!("{workspace}/{name}")
}

/// The OS keyring, seen as a map from account names to secrets under one service name.
///
/// Calls block (on Linux they are D-Bus round trips to the Secret Service, and a locked keyring
/// may ask its user to unlock it). They are serialised within the process, because the
/// platform stores do not promise to handle concurrent access to one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyring {
    service: String,
}

/// Whether the keyring can be used right now (see [`Keyring::availability`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Available,
    /// It cannot: the error says why (code `keyring_unavailable` when there is none at all).
    Unavailable(SecretError),
}

impl Availability {
    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available)
    }

    /// `Ok(())` when available, else the reason as an error.
    pub fn into_result(self) -> Result<(), SecretError> {
        match self {
            Availability::Available => Ok(()),
            Availability::Unavailable(error) => Err(error),
        }
    }
}

impl Default for Keyring {
    fn default() -> Self {
        Self::new()
    }
}

impl Keyring {
    /// Roster's keyring: the service [`SERVICE`].
    pub fn new() -> Self {
        Self::with_service(SERVICE)
    }

    /// A keyring under another service name (tests use their own, so they never touch the
    /// entries of a real Roster).
    pub fn with_service(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// Stores `secret` under `account`, replacing any secret already there.
    pub fn store(&self, account: &str, secret: &Secret<String>) -> Result<(), SecretError> {
        let entry = self.entry(account)?;
        let _one_at_a_time = serialise();
        store_in(&entry, account, secret)
    }

    /// The secret stored under `account`, or `None` when there is none.
    pub fn load(&self, account: &str) -> Result<Option<Secret<String>>, SecretError> {
        let entry = self.entry(account)?;
        let _one_at_a_time = serialise();
        load_from(&entry, account)
    }

    /// Whether a secret is stored under `account` (without handing it out).
    pub fn contains(&self, account: &str) -> Result<bool, SecretError> {
        Ok(self.load(account)?.is_some())
    }

    /// Deletes the secret stored under `account`; `Ok(false)` when there was none.
    pub fn delete(&self, account: &str) -> Result<bool, SecretError> {
        let entry = self.entry(account)?;
        let _one_at_a_time = serialise();
        delete_from(&entry, account)
    }

    /// Whether the keyring can be reached, found by looking up an account that is never stored.
    /// On a headless Linux box without a Secret Service this is
    /// `Unavailable(SecretError::Unavailable { .. })`, whose message says what to install.
    pub fn availability(&self) -> Availability {
        match self.load(PROBE_ACCOUNT) {
            Ok(_) => Availability::Available,
            Err(error) => Availability::Unavailable(error),
        }
    }

    /// The platform's entry for `account`. Building it reaches no store.
    fn entry(&self, account: &str) -> Result<Entry, SecretError> {
        check_account(account)?;
        if self.service.is_empty() {
            return Err(SecretError::invalid_account(
                account,
                "the keyring service name is empty",
            ));
        }
        let credential = native::credential(&self.service, account)
            .map_err(|error| SecretError::from_keyring(error, account))?;
        Ok(Entry::new_with_credential(credential))
    }
}

fn check_account(account: &str) -> Result<(), SecretError> {
    if account.trim().is_empty() {
        return Err(SecretError::invalid_account(account, "it is empty"));
    }
    if account.len() > MAX_ACCOUNT_LEN {
        return Err(SecretError::invalid_account(
            account,
            format!("it is longer than {MAX_ACCOUNT_LEN} bytes"),
        ));
    }
    if account.chars().any(char::is_control) {
        return Err(SecretError::invalid_account(
            account,
            "it contains a control character",
        ));
    }
    Ok(())
}

/// One keyring call at a time in this process.
fn serialise() -> MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    // A panic while holding the lock leaves nothing half-done on our side.
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn store_in(entry: &Entry, account: &str, secret: &Secret<String>) -> Result<(), SecretError> {
    entry
        .set_password(secret.expose())
        .map_err(|error| SecretError::from_keyring(error, account).without(secret.expose()))
}

fn load_from(entry: &Entry, account: &str) -> Result<Option<Secret<String>>, SecretError> {
    match entry.get_password() {
        Ok(value) => Ok(Some(Secret::new(value))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(error) => Err(SecretError::from_keyring(error, account)),
    }
}

fn delete_from(entry: &Entry, account: &str) -> Result<bool, SecretError> {
    match entry.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(error) => Err(SecretError::from_keyring(error, account)),
    }
}

#[cfg(test)]
mod tests;
