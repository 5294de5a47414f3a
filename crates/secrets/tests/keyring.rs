//! The real OS keyring: secrets stored, read, overwritten and deleted in the platform's store.
//!
//! These tests need a reachable keyring, and FAIL when there is none. On Linux that is a Secret
//! Service on the D-Bus session bus: `scripts/test` (and so CI) runs the suite in a private
//! D-Bus session with a throwaway, unlocked gnome-keyring. To run only this crate that way:
//!
//! ```sh
//! scripts/test -p roster-secrets
//! ```
//!
//! On a machine that has no keyring at all, set `ROSTER_NO_KEYRING=1`: the tests then check
//! the other promise instead, that every call fails with the clear `keyring_unavailable` error
//! and stores nothing (and they fail if a keyring answers after all).
//!
//! The tests use their own service name, so they never touch a real Roster's secrets, and each
//! uses accounts of its own, deleted at the end even when it fails.

use std::sync::atomic::{AtomicU32, Ordering};

use roster_secrets::{workspace_account, Availability, Keyring, Secret, SecretError};

const TEST_SERVICE: &str = "org.roster.Roster.tests";

/// Whether the machine says it has no keyring (`ROSTER_NO_KEYRING=1`).
fn no_keyring_expected() -> bool {
    std::env::var("ROSTER_NO_KEYRING").is_ok_and(|v| v == "1")
}

fn keyring() -> Keyring {
    Keyring::with_service(TEST_SERVICE)
}

/// An account no other test (or earlier run) uses; deleted when dropped.
struct Account(String);

impl Account {
    fn new(name: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let workspace = format!(
            "test-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        Self(workspace_account(&workspace, name))
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        if !no_keyring_expected() {
            let _ = keyring().delete(&self.0);
        }
    }
}

fn secret(value: &str) -> Secret<String> {
    Secret::new(value.to_owned())
}

/// The clear error of a machine without a keyring.
fn assert_unavailable(error: &SecretError) {
    assert_eq!(error.code(), "keyring_unavailable", "{error}");
    let message = error.to_string();
    assert!(message.starts_with("no keyring available: "), "{message}");
    assert!(message.contains("never in plain text"), "{message}");
}

/// Fails unless a keyring is reachable; `None` when `ROSTER_NO_KEYRING=1` (after checking that
/// `run` fails with the clear error there).
fn with_keyring(run_without: impl FnOnce() -> Result<(), SecretError>) -> Option<Keyring> {
    let keyring = keyring();
    if no_keyring_expected() {
        let error = run_without().expect_err(
            "ROSTER_NO_KEYRING=1 says this machine has no keyring, yet the call succeeded: unset it",
        );
        assert_unavailable(&error);
        return None;
    }
    if let Availability::Unavailable(error) = keyring.availability() {
        panic!("{}", no_keyring_help(&error));
    }
    Some(keyring)
}

fn no_keyring_help(error: &SecretError) -> String {
    format!(
        "no keyring is reachable, so the real-keyring tests cannot run: {error}\n\
         Run them in a session with a keyring (`scripts/test -p roster-secrets` starts a private \
         one), or set ROSTER_NO_KEYRING=1 on a machine that has none."
    )
}

#[test]
fn the_keyring_is_available_unless_the_machine_says_it_has_none() {
    let availability = keyring().availability();
    if no_keyring_expected() {
        match availability {
            Availability::Unavailable(error) => assert_unavailable(&error),
            Availability::Available => {
                panic!("ROSTER_NO_KEYRING=1 says this machine has no keyring, yet one answered")
            }
        }
    } else if let Availability::Unavailable(error) = availability {
        panic!("{}", no_keyring_help(&error));
    }
}

#[test]
fn stores_loads_overwrites_and_deletes_a_secret() {
    let account = Account::new("smtp-password");
    let Some(keyring) = with_keyring(|| keyring().store(&account.0, &secret("first-password")))
    else {
        return;
    };

    assert_eq!(
        keyring.load(&account.0).unwrap(),
        None,
        "a new account holds nothing"
    );
    assert!(!keyring.contains(&account.0).unwrap());

    keyring
        .store(&account.0, &secret("first-password"))
        .unwrap();
    assert_eq!(
        keyring.load(&account.0).unwrap(),
        Some(secret("first-password"))
    );
    assert!(keyring.contains(&account.0).unwrap());
    // Another handle (a new platform entry, as a later run would make) reads the same secret:
    // it is in the store, not in the object that wrote it.
    assert_eq!(
        Keyring::with_service(TEST_SERVICE)
            .load(&account.0)
            .unwrap(),
        Some(secret("first-password"))
    );

    keyring
        .store(&account.0, &secret("second-password"))
        .unwrap();
    assert_eq!(
        keyring.load(&account.0).unwrap(),
        Some(secret("second-password"))
    );

    assert!(
        keyring.delete(&account.0).unwrap(),
        "there was a secret to delete"
    );
    assert_eq!(keyring.load(&account.0).unwrap(), None);
    assert!(!keyring.contains(&account.0).unwrap());
    assert!(
        !keyring.delete(&account.0).unwrap(),
        "deleting nothing is no error"
    );
}

#[test]
fn accounts_and_services_keep_their_secrets_apart() {
    let smtp = Account::new("smtp-password");
    let scim = Account::new("scim-token");
    let Some(keyring) = with_keyring(|| keyring().store(&smtp.0, &secret("x")).map(drop)) else {
        return;
    };
    keyring.store(&smtp.0, &secret("smtp secret")).unwrap();
    keyring.store(&scim.0, &secret("scim secret")).unwrap();
    assert_eq!(keyring.load(&smtp.0).unwrap(), Some(secret("smtp secret")));
    assert_eq!(keyring.load(&scim.0).unwrap(), Some(secret("scim secret")));

    let elsewhere = Keyring::with_service(format!("{TEST_SERVICE}.elsewhere"));
    assert_eq!(
        elsewhere.load(&smtp.0).unwrap(),
        None,
        "another service sees nothing"
    );

    assert!(keyring.delete(&smtp.0).unwrap());
    assert_eq!(keyring.load(&scim.0).unwrap(), Some(secret("scim secret")));
}

#[test]
fn any_text_round_trips() {
    let account = Account::new("token");
    let Some(keyring) = with_keyring(|| keyring().store(&account.0, &secret("x"))) else {
        return;
    };
    let values = [
        "",
        "pässwörd ✓ パスワード",
        "quotes \" ' and \\ backslashes; spaces  and\ttabs\nand newlines",
        &"0123456789abcdef".repeat(256),
    ];
    for value in values {
        keyring.store(&account.0, &secret(value)).unwrap();
        let loaded = keyring.load(&account.0).unwrap().expect("just stored");
        assert!(
            loaded.expose() == value,
            "a value of {} bytes came back changed",
            value.len()
        );
    }
}

#[test]
fn a_stored_secret_never_appears_in_debug_output() {
    const VALUE: &str = "never-print-me-4f1c2b9e";
    let account = Account::new("smtp-password");
    let Some(keyring) = with_keyring(|| keyring().store(&account.0, &secret(VALUE))) else {
        return;
    };
    keyring.store(&account.0, &secret(VALUE)).unwrap();
    let loaded = keyring.load(&account.0);
    let printed = [
        format!("{loaded:?}"),
        format!("{keyring:?}"),
        format!("{:?}", keyring.availability()),
        format!("{:?}", keyring.contains(&account.0)),
        format!("{:?}", keyring.load("")),
    ];
    for text in &printed {
        assert!(!text.contains(VALUE), "the secret leaked into {text:?}");
    }
    assert_eq!(printed[0], "Ok(Some(<redacted>))");
    assert_eq!(
        loaded.unwrap().unwrap().expose(),
        VALUE,
        "and yet it was stored"
    );
}

/// On Linux the secret is an item of the Secret Service itself, found there without this crate:
/// the store is the real one, not keyutils nor a mock.
#[cfg(target_os = "linux")]
#[test]
fn on_linux_the_secret_is_an_item_of_the_secret_service() {
    use dbus_secret_service::{EncryptionType, SecretService};
    use std::collections::HashMap;

    let account = Account::new("smtp-password");
    let Some(keyring) = with_keyring(|| keyring().store(&account.0, &secret("x"))) else {
        return;
    };
    keyring
        .store(&account.0, &secret("in the secret service"))
        .unwrap();

    let service =
        SecretService::connect(EncryptionType::Dh).expect("connect to the Secret Service");
    let found = service
        .search_items(HashMap::from([
            ("service", TEST_SERVICE),
            ("username", account.0.as_str()),
        ]))
        .expect("search the Secret Service");
    let items: Vec<_> = found.unlocked.iter().chain(found.locked.iter()).collect();
    assert_eq!(items.len(), 1, "one item for the account");
    items[0].unlock().expect("unlock the item");
    assert_eq!(
        items[0].get_secret().expect("read the item"),
        b"in the secret service"
    );
}

/// No keyring at all, forced: the calls run in a child process whose session bus does not exist
/// (or has no Secret Service), so this is checked on every machine, keyring or not.
#[cfg(target_os = "linux")]
mod unreachable {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};

    const CHILD: &str = "unreachable::child_every_call_says_no_keyring_is_available";

    /// Runs [`child_every_call_says_no_keyring_is_available`] in a child process with the session
    /// bus at `bus_address`, and checks that it ran and passed.
    fn run_child(bus_address: &str) {
        let output = Command::new(std::env::current_exe().expect("the test binary"))
            .args([
                "--ignored",
                "--exact",
                CHILD,
                "--nocapture",
                "--test-threads=1",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", bus_address)
            // With a display, libdbus could start a bus of its own (X11 autolaunch).
            .env_remove("DISPLAY")
            .env("ROSTER_SECRETS_CHILD", "1")
            .output()
            .expect("run the test binary again");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "the child failed or did not run ({}):\n{stdout}\n{stderr}",
            output.status
        );
        assert!(stdout.contains("no keyring available: "), "{stdout}");
    }

    #[test]
    fn without_a_session_bus_every_call_says_no_keyring_is_available() {
        run_child("unix:path=/nonexistent/roster-tests/bus");
    }

    /// A headless box's usual case: a session bus, and nobody on it owning
    /// org.freedesktop.secrets (the private bus starts no service on demand).
    #[test]
    fn without_a_secret_service_on_the_bus_every_call_says_no_keyring_is_available() {
        let Some(bus) = Bus::start() else {
            return;
        };
        run_child(&bus.address);
    }

    /// Not a test on its own: [`run_child`] runs it, in a process with no reachable keyring.
    #[test]
    #[ignore = "run by the unreachable::* tests in a child process"]
    fn child_every_call_says_no_keyring_is_available() {
        assert_eq!(
            std::env::var("ROSTER_SECRETS_CHILD").as_deref(),
            Ok("1"),
            "only meaningful in the child process the unreachable::* tests start"
        );
        let keyring = keyring();
        let account = "test-unreachable/smtp-password";
        let availability = keyring.availability();
        let Availability::Unavailable(error) = &availability else {
            panic!("a keyring answered on a bus that has none: {availability:?}");
        };
        assert_unavailable(error);
        println!("{error}");
        let secret = secret("must-go-nowhere-7d3a");
        let stored = keyring.store(account, &secret).unwrap_err();
        assert_unavailable(&stored);
        assert!(!stored.to_string().contains(secret.expose()));
        assert!(!format!("{stored:?}").contains(secret.expose()));
        assert_unavailable(&keyring.load(account).unwrap_err());
        assert_unavailable(&keyring.contains(account).unwrap_err());
        assert_unavailable(&keyring.delete(account).unwrap_err());
    }

    /// A private `dbus-daemon` with no service directories; stopped when dropped.
    struct Bus {
        child: Child,
        address: String,
        _dir: tempfile::TempDir,
    }

    impl Bus {
        /// `None` only when `ROSTER_NO_KEYRING=1` and there is no `dbus-daemon` either.
        fn start() -> Option<Bus> {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let config = dir.path().join("bus.conf");
            std::fs::write(
                &config,
                format!(
                    r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                    dir.path().display()
                ),
            )
            .expect("write the bus configuration");
            let spawned = Command::new("dbus-daemon")
                .arg(format!("--config-file={}", config.display()))
                .args(["--nofork", "--print-address=1"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                // Read only if it fails (it warns about file limits when not root).
                .stderr(Stdio::piped())
                .spawn();
            let mut child = match spawned {
                Ok(child) => child,
                Err(error) if no_keyring_expected() => {
                    eprintln!("not checked: cannot start dbus-daemon ({error})");
                    return None;
                }
                Err(error) => panic!(
                    "cannot start dbus-daemon ({error}): install D-Bus (scripts/setup does), \
                     or set ROSTER_NO_KEYRING=1 on a machine without it"
                ),
            };
            let mut address = String::new();
            BufReader::new(child.stdout.take().expect("piped"))
                .read_line(&mut address)
                .expect("read the bus address");
            let address = address.trim().to_owned();
            if address.is_empty() {
                let _ = child.kill();
                let output = child.wait_with_output().expect("wait for dbus-daemon");
                panic!(
                    "dbus-daemon printed no address: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            Some(Bus {
                child,
                address,
                _dir: dir,
            })
        }
    }

    impl Drop for Bus {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
