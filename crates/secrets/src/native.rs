//! The operating system's own credential store, chosen at compile time: the Secret Service on
//! Linux and the BSDs, the login Keychain on macOS, the Credential Manager on Windows.
//!
//! Entries are built here from the concrete credential types, never through `keyring::Entry::new`:
//! that goes through a process-wide default builder, which falls back to the crate's in-memory
//! mock when a platform feature is missing and which any code can replace at run time. A
//! platform with no native store does not compile.

use keyring::Credential;

/// What a platform failure means to Roster (see [`classify`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// There is no store to talk to (no session bus, no Secret Service, no default keyring).
    Unavailable,
    /// The store is there but refused (locked, unlock prompt dismissed, denied).
    AccessDenied,
}

// ---- Linux and the BSDs: the Secret Service over D-Bus ---------------------------------------

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
mod platform {
    use super::Failure;
    use keyring::secret_service::SsCredential;
    use keyring::Credential;

    pub(crate) const STORE: &str = "the Secret Service";

    pub(crate) const UNAVAILABLE_HINT: &str = "install and start gnome-keyring or another Secret \
        Service provider (org.freedesktop.secrets on the D-Bus session bus)";

    pub(crate) fn credential(service: &str, account: &str) -> keyring::Result<Box<Credential>> {
        // No target: the item goes in the default collection (the "login" keyring).
        Ok(Box::new(SsCredential::new_with_target(
            None, service, account,
        )?))
    }

    /// D-Bus errors that mean nobody is there to answer: no bus, no Secret Service on it.
    const UNREACHABLE: &[&str] = &[
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.NoServer",
        "org.freedesktop.DBus.Error.NoReply",
        "org.freedesktop.DBus.Error.Timeout",
        "org.freedesktop.DBus.Error.TimedOut",
        "org.freedesktop.DBus.Error.Disconnected",
        "org.freedesktop.DBus.Error.FileNotFound",
        "org.freedesktop.DBus.Error.NotSupported",
        "org.freedesktop.DBus.Error.BadAddress",
        "org.freedesktop.DBus.Error.NoNetwork",
        "org.freedesktop.DBus.Error.UnknownMethod",
        "org.freedesktop.DBus.Error.UnknownObject",
    ];

    pub(crate) fn classify(error: &(dyn std::error::Error + 'static)) -> Option<(Failure, String)> {
        use dbus_secret_service::Error;
        let error = error.downcast_ref::<Error>()?;
        match error {
            Error::Dbus(dbus) => {
                let name = dbus.name().unwrap_or_default();
                if UNREACHABLE.contains(&name) || name.starts_with("org.freedesktop.DBus.Error.Spawn")
                {
                    Some((Failure::Unavailable, error.to_string()))
                } else if name == "org.freedesktop.DBus.Error.AccessDenied"
                    || name == "org.freedesktop.Secret.Error.IsLocked"
                {
                    Some((Failure::AccessDenied, error.to_string()))
                } else {
                    None
                }
            }
            Error::Unavailable => Some((Failure::Unavailable, error.to_string())),
            // The only lookup that finds nothing this way is the default collection's alias.
            Error::NoResult => Some((
                Failure::Unavailable,
                "the Secret Service has no default keyring: create one (with Seahorse, for example) \
                 and make it the default"
                    .to_owned(),
            )),
            Error::Locked => Some((Failure::AccessDenied, "the keyring is locked".to_owned())),
            Error::Prompt => Some((
                Failure::AccessDenied,
                "the keyring is locked and its unlock prompt was dismissed".to_owned(),
            )),
            _ => None,
        }
    }
}

// ---- macOS: the login Keychain --------------------------------------------------------------

#[cfg(target_os = "macos")]
mod platform {
    use super::Failure;
    use keyring::macos::MacCredential;
    use keyring::Credential;

    pub(crate) const STORE: &str = "the macOS Keychain";

    pub(crate) const UNAVAILABLE_HINT: &str = "sign in to macOS so that the login Keychain is open";

    pub(crate) fn credential(service: &str, account: &str) -> keyring::Result<Box<Credential>> {
        // No target: the user's login Keychain.
        Ok(Box::new(MacCredential::new_with_target(
            None, service, account,
        )?))
    }

    pub(crate) fn classify(_: &(dyn std::error::Error + 'static)) -> Option<(Failure, String)> {
        None
    }
}

// ---- Windows: the Credential Manager --------------------------------------------------------

#[cfg(target_os = "windows")]
mod platform {
    use super::Failure;
    use keyring::windows::WinCredential;
    use keyring::Credential;

    pub(crate) const STORE: &str = "the Windows Credential Manager";

    pub(crate) const UNAVAILABLE_HINT: &str =
        "sign in to Windows with a user account that has a credential store";

    pub(crate) fn credential(service: &str, account: &str) -> keyring::Result<Box<Credential>> {
        Ok(Box::new(WinCredential::new_with_target(
            None, service, account,
        )?))
    }

    pub(crate) fn classify(_: &(dyn std::error::Error + 'static)) -> Option<(Failure, String)> {
        None
    }
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows",
)))]
compile_error!(
    "roster-secrets knows no native keyring on this platform, and Roster keeps secrets only in \
     the OS keyring (never a mock or a file)"
);

/// The name of the platform's store, for messages ("the Secret Service").
pub(crate) const STORE: &str = platform::STORE;

/// What to do when the store cannot be reached, for messages.
pub(crate) const UNAVAILABLE_HINT: &str = platform::UNAVAILABLE_HINT;

/// The platform credential for `account` of `service`. Nothing is written until a secret is set.
pub(crate) fn credential(service: &str, account: &str) -> keyring::Result<Box<Credential>> {
    platform::credential(service, account)
}

/// Whether the platform error inside a keyring failure means "no store" or "refused", with a
/// description of it; `None` for any other failure.
pub(crate) fn classify(error: &(dyn std::error::Error + 'static)) -> Option<(Failure, String)> {
    platform::classify(error)
}
