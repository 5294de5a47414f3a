//! Settings → Mail: the mail server form (the error summary for an empty form, saving a server
//! without a login) and "Send test mail" into a real SMTP sink (aiosmtpd from scripts/setup,
//! writing a Maildir). The CLI checks what was saved.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use roster_tests::desktop::Desktop;
use roster_tests::{test_name, TempWorkspace};
use serde_json::json;

/// ROSTER_TEST_PYTHON, else the virtualenv scripts/setup makes (target/test-python), else python3.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("ROSTER_TEST_PYTHON") {
        return p.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-python/bin/python3");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

/// aiosmtpd on a free 127.0.0.1 port, writing every mail it gets into a Maildir; killed on drop.
struct Sink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sink {
    fn start() -> Sink {
        let dir = tempfile::tempdir().expect("a temporary folder for the Maildir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd with {}: {e}; run scripts/setup", python().display()));
        let sink = Sink { child, port, dir };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "aiosmtpd did not listen on {port}; run scripts/setup");
            std::thread::sleep(Duration::from_millis(50));
        }
        sink
    }

    /// The raw messages received so far (the Maildir's `new` folder).
    fn messages(&self) -> Vec<String> {
        let new = self.dir.path().join("maildir/new");
        let mut out: Vec<String> = std::fs::read_dir(new).map_or_else(
            |_| Vec::new(),
            |d| d.map(|e| std::fs::read_to_string(e.expect("a Maildir entry").path()).expect("a readable mail")).collect(),
        );
        out.sort();
        out
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Picks an option of a <select> as the keyboard or mouse would: the page sees `change`.
fn choose(app: &Desktop, select: &str, value: &str) {
    app.wait_for(select);
    app.js(
        "const s = document.querySelector(arguments[0]);
         s.focus();
         s.value = arguments[1];
         s.dispatchEvent(new Event('input', { bubbles: true }));
         s.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![json!(select), json!(value)],
    );
}

#[test]
fn mail_settings_save_a_server_and_send_a_test_mail() {
    let sink = Sink::start();
    let workspace = TempWorkspace::new();
    let app = Desktop::launch(test_name!(), workspace.path());
    app.click(r##"#nav a[data-section="settings"]"##);
    app.wait_for(r##"#nav a[data-section="settings"][aria-current="page"]"##);
    app.wait_for(r#"#mail-form[aria-busy="false"]"#);
    app.wait_for_text("#mail-state", "Mail is not set up yet");
    assert_eq!(app.value("#mail-security"), "starttls", "STARTTLS is the default");
    assert_eq!(app.attr("#mail-port", "placeholder").as_deref(), Some("587"), "the usual port of STARTTLS");
    app.screenshot("empty");

    // An empty form: the core's messages, in a summary that takes focus and links to each field.
    app.click("#mail-save");
    app.wait_for("#mail-errors");
    app.wait_until("the summary to take focus", |d| d.focused_id().as_deref() == Some("mail-errors"));
    let links = app.attr_all("#mail-errors a[data-target]", "href");
    assert!(
        links.contains(&"#mail-host".to_string()) && links.contains(&"#mail-from".to_string()),
        "the summary links to the server and the from address: {links:?}"
    );
    assert_eq!(app.attr("#mail-host", "aria-invalid").as_deref(), Some("true"));
    app.screenshot("errors");
    app.click(r##"#mail-errors a[href="#mail-host"]"##);
    app.wait_until("the link to move focus to the server field", |d| d.focused_id().as_deref() == Some("mail-host"));

    // A server without a login.
    let port = sink.port.to_string();
    app.fill("#mail-host", "127.0.0.1");
    choose(&app, "#mail-security", "none");
    assert_eq!(app.attr("#mail-port", "placeholder").as_deref(), Some("25"), "the placeholder follows the security");
    app.fill("#mail-port", &port);
    app.fill("#mail-from", "roster@example.com");
    app.click("#mail-save");
    let server = format!("127.0.0.1:{port}");
    app.wait_for_text("#notice", &format!("Saved the mail server {server}"));
    app.wait_for_gone("#mail-errors");
    app.wait_for_text("#mail-state", &format!("Sending through {server}"));
    app.wait_for_text("#hint-mail-password", "No password is stored");
    let shown = workspace.cli().json(["mail", "show"]);
    assert_eq!(
        (shown["host"].as_str(), shown["port"].as_u64(), shown["security"].as_str(), shown["user"].as_str(), shown["from"].as_str()),
        (Some("127.0.0.1"), Some(sink.port.into()), Some("none"), Some(""), Some("roster@example.com")),
        "the CLI sees what the window saved: {shown}"
    );
    app.screenshot("saved");

    // The test mail arrives in the sink.
    app.fill("#mail-test-to", "admin@example.com");
    app.click("#mail-test-send");
    app.wait_for_text("#mail-test-result", &format!("Sent a test mail to admin@example.com through {server}"));
    app.wait_for_gone("#mail-test-errors");
    app.screenshot("sent");
    let started = Instant::now();
    while sink.messages().is_empty() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = sink.messages();
    assert_eq!(got.len(), 1, "exactly one mail arrived");
    assert!(got[0].contains("Subject: Roster test mail") && got[0].contains("To: admin@example.com"), "{}", got[0]);
}
