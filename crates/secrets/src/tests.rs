//! Unit tests on the keyring crate's mock credential (no store is reached). The real store is
//! exercised by `tests/keyring.rs`.

use super::*;
use keyring::mock::MockCredential;

const SECRET: &str = "correct-horse-battery-staple-42";

/// A mock entry: it keeps its secret in itself, so one entry is used for a whole sequence.
fn mock_entry() -> Entry {
    let credential = keyring::mock::default_credential_builder()
        .build(None, SERVICE, "test-account")
        .expect("a mock credential");
    Entry::new_with_credential(credential)
}

/// Makes the entry's next call fail with `error`.
fn fail_next(entry: &Entry, error: keyring::Error) {
    let mock: &MockCredential = entry.get_credential().downcast_ref().expect("a mock entry");
    mock.set_error(error);
}

fn secret() -> Secret<String> {
    Secret::new(SECRET.to_owned())
}

#[test]
fn stores_loads_overwrites_and_deletes_through_an_entry() {
    let entry = mock_entry();
    assert_eq!(load_from(&entry, "a").unwrap(), None);
    store_in(&entry, "a", &secret()).unwrap();
    assert_eq!(load_from(&entry, "a").unwrap(), Some(secret()));
    store_in(&entry, "a", &Secret::new("another".to_owned())).unwrap();
    assert_eq!(load_from(&entry, "a").unwrap().unwrap().expose(), "another");
    assert!(
        delete_from(&entry, "a").unwrap(),
        "there was a secret to delete"
    );
    assert_eq!(load_from(&entry, "a").unwrap(), None);
    assert!(
        !delete_from(&entry, "a").unwrap(),
        "deleting nothing is no error"
    );
}

#[test]
fn a_refusal_is_access_denied() {
    let entry = mock_entry();
    fail_next(
        &entry,
        keyring::Error::NoStorageAccess(Box::new(std::io::Error::other("denied by policy"))),
    );
    let error = load_from(&entry, "a").unwrap_err();
    assert_eq!(error.code(), "access_denied");
    assert!(error.to_string().contains("denied by policy"), "{error}");
}

#[test]
fn an_unknown_platform_failure_is_a_keyring_error() {
    let entry = mock_entry();
    fail_next(
        &entry,
        keyring::Error::PlatformFailure(Box::new(std::io::Error::other("disk on fire"))),
    );
    let error = delete_from(&entry, "a").unwrap_err();
    assert_eq!(error.code(), "keyring_error");
    assert!(error.to_string().contains("disk on fire"), "{error}");
}

#[test]
fn bad_encoding_never_shows_the_stored_bytes() {
    let entry = mock_entry();
    fail_next(
        &entry,
        keyring::Error::BadEncoding(SECRET.as_bytes().to_vec()),
    );
    let error = load_from(&entry, "smtp").unwrap_err();
    assert_eq!(error.code(), "keyring_error");
    assert!(error.to_string().contains("not UTF-8"), "{error}");
    assert_no_secret(&format!("{error} {error:?}"));
}

#[test]
fn a_platform_that_echoes_the_secret_back_is_redacted() {
    let entry = mock_entry();
    fail_next(
        &entry,
        keyring::Error::PlatformFailure(Box::new(std::io::Error::other(format!(
            "cannot store {SECRET} today"
        )))),
    );
    let error = store_in(&entry, "a", &secret()).unwrap_err();
    assert_eq!(error.code(), "keyring_error");
    assert!(error.to_string().contains("details withheld"), "{error}");
    assert_no_secret(&format!("{error} {error:?}"));
}

#[test]
fn ambiguous_and_invalid_entries_have_clear_codes() {
    let entry = mock_entry();
    fail_next(&entry, keyring::Error::Ambiguous(vec![]));
    assert_eq!(load_from(&entry, "a").unwrap_err().code(), "keyring_error");
    fail_next(&entry, keyring::Error::TooLong("user".into(), 10));
    assert_eq!(
        load_from(&entry, "a").unwrap_err().code(),
        "invalid_account"
    );
    fail_next(
        &entry,
        keyring::Error::Invalid("user".into(), "is bad".into()),
    );
    assert_eq!(
        load_from(&entry, "a").unwrap_err().code(),
        "invalid_account"
    );
}

#[test]
fn account_names_are_checked_before_any_store_is_reached() {
    let keyring = Keyring::new();
    for bad in ["", "   ", "tab\there", &"x".repeat(MAX_ACCOUNT_LEN + 1)] {
        let error = keyring.load(bad).unwrap_err();
        assert_eq!(error.code(), "invalid_account", "{bad:?}");
    }
    let error = Keyring::with_service("").load("a").unwrap_err();
    assert_eq!(error.code(), "invalid_account");
}

#[test]
fn workspace_accounts_name_the_workspace_and_the_secret() {
    assert_eq!(
        workspace_account("0190e0c8", "smtp-password"),
        "0190e0c8/smtp-password"
    );
    assert!(check_account(&workspace_account(
        "0190e0c8-5f2a-7cc1-9d8e-3b4f5a6b7c8d",
        "smtp-password"
    ))
    .is_ok());
}

#[test]
fn every_code_is_stable() {
    let errors = [
        SecretError::unavailable("x"),
        SecretError::AccessDenied { detail: "x".into() },
        SecretError::invalid_account("a", "x"),
        SecretError::keyring("x"),
    ];
    let codes: Vec<&str> = errors.iter().map(SecretError::code).collect();
    assert_eq!(
        codes,
        [
            "keyring_unavailable",
            "access_denied",
            "invalid_account",
            "keyring_error"
        ]
    );
}

#[test]
fn no_type_of_this_crate_prints_a_secret_in_debug() {
    let entry = mock_entry();
    store_in(&entry, "a", &secret()).unwrap();
    let loaded = load_from(&entry, "a");
    let keyring = Keyring::new();
    let printed = [
        format!("{loaded:?}"),
        format!("{:?}", loaded.as_ref().unwrap().as_ref().unwrap()),
        format!("{keyring:?}"),
        format!("{:?}", Availability::Available),
        format!(
            "{:?}",
            Availability::Unavailable(SecretError::unavailable("x"))
        ),
        format!("{:?}", SecretError::keyring("x")),
    ];
    for text in &printed {
        assert_no_secret(text);
    }
    assert_eq!(printed[0], "Ok(Some(<redacted>))");
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains(SECRET), "the secret leaked into {text:?}");
    let bytes = format!("{:?}", SECRET.as_bytes());
    assert!(
        !text.contains(&bytes[1..bytes.len() - 1]),
        "the secret's bytes leaked into {text:?}"
    );
}

/// The Secret Service's own errors, as the keyring crate wraps them.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
mod secret_service {
    use super::*;
    use dbus_secret_service::Error as SsError;

    fn dbus(name: &str, message: &str) -> SsError {
        SsError::Dbus(dbus::Error::new_custom(name, message))
    }

    #[test]
    fn the_native_store_is_the_secret_service_never_the_mock_or_keyutils() {
        let entry = Keyring::new().entry("a").unwrap();
        let credential = entry.get_credential();
        assert!(
            credential
                .downcast_ref::<keyring::secret_service::SsCredential>()
                .is_some(),
            "the entry is not a Secret Service credential"
        );
    }

    #[test]
    fn no_secret_service_on_the_bus_is_unavailable_with_what_to_install() {
        let entry = mock_entry();
        fail_next(
            &entry,
            keyring::Error::PlatformFailure(Box::new(dbus(
                "org.freedesktop.DBus.Error.ServiceUnknown",
                "The name org.freedesktop.secrets was not provided by any .service files",
            ))),
        );
        let error = store_in(&entry, "a", &secret()).unwrap_err();
        assert_eq!(error.code(), "keyring_unavailable");
        let message = error.to_string();
        assert!(message.starts_with("no keyring available: "), "{message}");
        assert!(message.contains("gnome-keyring"), "{message}");
        assert!(
            message.contains("org.freedesktop.secrets was not provided"),
            "{message}"
        );
    }

    #[test]
    fn no_session_bus_is_unavailable() {
        let entry = mock_entry();
        fail_next(
            &entry,
            keyring::Error::PlatformFailure(Box::new(dbus(
                "org.freedesktop.DBus.Error.NotSupported",
                "Unable to autolaunch a dbus-daemon without a $DISPLAY for X11",
            ))),
        );
        assert_eq!(
            load_from(&entry, "a").unwrap_err().code(),
            "keyring_unavailable"
        );
    }

    #[test]
    fn no_default_keyring_is_unavailable() {
        let entry = mock_entry();
        fail_next(
            &entry,
            keyring::Error::NoStorageAccess(Box::new(SsError::NoResult)),
        );
        let error = load_from(&entry, "a").unwrap_err();
        assert_eq!(error.code(), "keyring_unavailable");
        assert!(error.to_string().contains("no default keyring"), "{error}");
    }

    #[test]
    fn a_locked_keyring_or_a_dismissed_prompt_is_access_denied() {
        let entry = mock_entry();
        for inner in [SsError::Locked, SsError::Prompt] {
            fail_next(&entry, keyring::Error::NoStorageAccess(Box::new(inner)));
            assert_eq!(
                store_in(&entry, "a", &secret()).unwrap_err().code(),
                "access_denied"
            );
        }
        fail_next(
            &entry,
            keyring::Error::PlatformFailure(Box::new(dbus(
                "org.freedesktop.Secret.Error.IsLocked",
                "Cannot create an item in a locked collection",
            ))),
        );
        assert_eq!(
            store_in(&entry, "a", &secret()).unwrap_err().code(),
            "access_denied"
        );
    }

    #[test]
    fn another_dbus_failure_is_a_keyring_error() {
        let entry = mock_entry();
        fail_next(
            &entry,
            keyring::Error::PlatformFailure(Box::new(dbus(
                "org.freedesktop.DBus.Error.InvalidArgs",
                "bad arguments",
            ))),
        );
        assert_eq!(load_from(&entry, "a").unwrap_err().code(), "keyring_error");
    }
}
