//! `roster mail setup | show | test` on the real binary, with the password in the real OS
//! keyring (the test suite runs inside a private D-Bus session with an unlocked
//! gnome-keyring; set ROSTER_NO_KEYRING=1 on a machine that has none) and a real SMTP sink
//! (aiosmtpd from scripts/setup).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{code, stderr, stdout, Ws};
use roster_testkit::{aiosmtpd, free_port, LoopbackServer};

/// aiosmtpd writing every mail it gets into a Maildir; stopped on drop.
struct Sink {
    server: LoopbackServer,
    port: u16,
}

impl Sink {
    fn start() -> Self {
        let server = LoopbackServer::launch("aiosmtpd", Duration::from_secs(20))
            .start(|port, dir| aiosmtpd::command(port, &[], aiosmtpd::MAILBOX, &dir.join("maildir")));
        Self { port: server.port(), server }
    }

    /// The raw messages received so far.
    fn messages(&self) -> Vec<String> {
        let new = self.server.dir().join("maildir/new");
        let mut out: Vec<String> = std::fs::read_dir(new).map_or_else(|_| Vec::new(), |d| d.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect());
        out.sort();
        out
    }
}

fn no_keyring() -> bool {
    std::env::var_os("ROSTER_NO_KEYRING").is_some_and(|v| v == "1")
}

#[test]
fn setup_keeps_the_password_in_the_keyring_only_and_a_test_mail_arrives() {
    let ws = Ws::new();
    let sink = Sink::start();
    let port = sink.port.to_string();
    let password = format!("smtp-secret-{}", std::process::id());
    let out = ws.run_with_stdin(
        &["--json", "mail", "setup", "--host", "127.0.0.1", "--port", &port, "--security", "none", "--user", "mailer", "--from", "roster@example.com", "--password-stdin"],
        Some(&format!("{password}\n")),
    );
    if no_keyring() {
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        assert!(stderr(&out).contains("no keyring available"), "{}", stderr(&out));
        return;
    }
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["host"].as_str(), v["port"].as_u64(), v["passwordInKeyring"].as_bool()), (Some("127.0.0.1"), Some(sink.port.into()), Some(true)));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&password));
    let shown = ws.run(&["mail", "show"]);
    assert!(stdout(&shown).contains("The password is in the OS keyring."), "{}", stdout(&shown));

    // aiosmtpd offers no login on a plain connection: the server says so, naming itself.
    let out = ws.run(&["--json", "mail", "test", "--to", "admin@example.com"]);
    assert_eq!(code(&out), 1);
    let e: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!((e["error"]["code"].as_str(), e["error"]["fields"][0]["code"].as_str()), (Some("remote"), Some("auth_failed")));
    assert!(e["error"]["message"].as_str().unwrap().contains(&format!("127.0.0.1:{port}")), "{e}");

    // Without a login: the mail goes out.
    let out = ws.run(&["mail", "setup", "--host", "127.0.0.1", "--port", &port, "--security", "none", "--from", "roster@example.com"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = ws.run(&["mail", "test", "--to", "admin@example.com"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("Sent a test mail to admin@example.com through 127.0.0.1:{port}\n"));
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("Subject: Roster test mail") && got[0].contains("To: admin@example.com"), "{}", got[0]);

    // The password is in no byte of the workspace file (or its WAL).
    for suffix in ["", "-wal"] {
        let path = PathBuf::from(format!("{}{suffix}", ws.path.display()));
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(!bytes.windows(password.len()).any(|w| w == password.as_bytes()), "{} holds the password", path.display());
        }
    }
}

#[test]
fn an_unreachable_server_is_named_with_the_reason() {
    let ws = Ws::new();
    let port = free_port().to_string();
    assert_eq!(code(&ws.run(&["mail", "setup", "--host", "127.0.0.1", "--port", &port, "--security", "none", "--from", "roster@example.com"])), 0);
    let out = ws.run(&["mail", "test", "--to", "admin@example.com"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains(&format!("cannot reach the mail server 127.0.0.1:{port}")), "{}", stderr(&out));
    let out = ws.run(&["mail", "setup", "--host", "", "--security", "ssl", "--from", "nobody"]);
    assert_eq!(code(&out), 3);
    for field in ["host:", "security:", "from:"] {
        assert!(stderr(&out).contains(field), "{}", stderr(&out));
    }
}
