//! Mail in the window, against a real SMTP sink (aiosmtpd from scripts/setup, writing a
//! Maildir): Settings → Mail (the mail server form, its error summary, "Send test mail", how users
//! get a password), activation mails from the On-Boarding Status tab and from the Users list's
//! multi-select with progress and their result, reminders after a number of days the admin
//! chooses, the Outbox, and the template editor with its live preview. The CLI checks what was
//! saved.

use std::process::Command;
use std::time::{Duration, Instant};

use roster_tests::desktop::Desktop;
use roster_tests::{test_name, TempWorkspace};
use roster_testkit::{aiosmtpd, free_port, LoopbackServer};
use thirtyfour::Key;
use serde_json::json;

/// aiosmtpd on a free 127.0.0.1 port, writing every mail it gets into a Maildir; killed on drop.
struct Sink {
    server: LoopbackServer,
    port: u16,
}

impl Sink {
    fn start() -> Sink {
        Sink::start_on(free_port())
    }

    /// A sink on `port` (one a test picked earlier, when nothing listened there yet).
    fn start_on(port: u16) -> Sink {
        Sink::spawn(port, &[])
    }

    /// A sink that takes `seconds` over each mail, so that sending many lasts long enough to watch
    /// (and cancel).
    fn start_slow(seconds: f64) -> Sink {
        Sink::spawn(free_port(), &["--delay", &seconds.to_string()])
    }

    /// roster-testkit's sink.py (`serve`) on `port` with `options`.
    fn spawn(port: u16, options: &[&str]) -> Sink {
        Sink { server: aiosmtpd::start_sink(port, options), port }
    }

    /// The raw messages received so far (the Maildir's `new` folder).
    fn messages(&self) -> Vec<String> {
        let new = aiosmtpd::maildir(&self.server).join("new");
        let mut out: Vec<String> = std::fs::read_dir(new).map_or_else(
            |_| Vec::new(),
            |d| d.map(|e| std::fs::read_to_string(e.expect("a Maildir entry").path()).expect("a readable mail")).collect(),
        );
        out.sort();
        out
    }
}

/// Waits (up to 10 s) until the sink holds `n` mails, and returns them.
fn wait_for_mails(sink: &Sink, n: usize) -> Vec<String> {
    let started = Instant::now();
    while sink.messages().len() < n && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    // A moment more: a mail too many would arrive now.
    std::thread::sleep(Duration::from_millis(300));
    sink.messages()
}

/// Settings → Mail: saves a server without a login at 127.0.0.1:`port`, sending from roster@example.com.
fn set_up_mail(app: &Desktop, port: u16) {
    app.click(r##"#nav a[data-section="settings"]"##);
    app.wait_for(r#"#mail-form[aria-busy="false"]"#);
    app.fill("#mail-host", "127.0.0.1");
    choose(app, "#mail-security", "none");
    app.fill("#mail-port", &port.to_string());
    app.fill("#mail-from", "roster@example.com");
    app.click("#mail-save");
    app.wait_for_text("#mail-state", &format!("Sending through 127.0.0.1:{port}"));
}

/// The Users area's On-Boarding Status tab, its list loaded.
fn open_onboarding(app: &Desktop) {
    app.click(r##"#nav a[data-section="users"]"##);
    app.click("#tab-onboarding");
    app.wait_for("#tab-onboarding[aria-current=\"page\"]");
    app.wait_for("#stat-total");
    app.wait_until("the onboarding list to finish loading", |d| d.exists(r#"#onboarding-table[aria-busy="false"]"#));
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

#[test]
fn onboarding_sends_activation_mails_to_two_users_who_then_show_as_invited() {
    let sink = Sink::start();
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("ann", "ann@example.com", "Ann", "Archer");
    cli.add_user_named("ben", "ben@example.com", "Ben", "Baker");
    cli.add_user_named("cid", "cid@example.com", "Cid", "Cole");
    let app = Desktop::launch(test_name!(), workspace.path());

    // Settings → Mail: the server, then how users get a password.
    set_up_mail(&app, sink.port);
    app.wait_for(r#"#mail-options-form[aria-busy="false"]"#);
    assert_eq!(
        app.js("return document.querySelector('#mail-reset-temporary-password').checked;", vec![]),
        json!(true),
        "temporary passwords when no reset page is set"
    );
    assert!(!app.is_displayed("#mail-portal-url"), "the URL field belongs to the link choice");
    app.click("#mail-reset-portal-link");
    app.wait_for("#mail-portal-url");
    app.fill("#mail-portal-url", "login.example.com/reset");
    app.fill("#mail-organisation", "Acme Ltd");
    app.click("#mail-options-save");
    app.wait_for("#mail-options-errors");
    app.wait_until("the summary to take focus", |d| d.focused_id().as_deref() == Some("mail-options-errors"));
    assert_eq!(app.attr_all("#mail-options-errors a[data-target]", "href"), ["#mail-portal-url"], "the core's problem, linked to its field");
    app.screenshot("options-error");
    app.click("#mail-reset-temporary-password");
    app.wait_for_gone("#mail-portal-url");
    app.click("#mail-options-save");
    app.wait_for_text("#notice", "Saved: mails carry a one-time temporary password");
    app.wait_for_gone("#mail-options-errors");
    let options = cli.json(["mail", "options"]);
    assert_eq!((options["resetMethod"].as_str(), options["organisation"].as_str()), (Some("temporary_password"), Some("Acme Ltd")), "{options}");
    app.screenshot("settings");

    // On-Boarding Status: tick two users who have not onboarded, send them the activation mail.
    open_onboarding(&app);
    assert_eq!(app.attr_all(r#"#onboarding-table tr[data-invited="true"]"#, "data-username"), Vec::<String>::new(), "nobody is invited yet");
    assert_eq!(app.text(r#"tr[data-username="ann"] .cell-invitation"#), "Not invited yet");
    app.click(r#"tr[data-username="ann"] .row-select"#);
    app.click(r#"tr[data-username="cid"] .row-select"#);
    app.wait_for_text("#onboarding-selected", "2 users selected");
    app.click("#onboarding-apply");
    let title = app.wait_for_text("#onboarding-result-title", "Sent 2 activation mails");
    assert!(!title.contains("failed") && !title.contains("queued") && !title.contains("skipped"), "{title}");
    app.wait_until("the result to take focus", |d| d.focused_id().as_deref() == Some("onboarding-result-title"));
    assert!(!app.is_displayed("#onboarding-progress"), "the progress panel goes when the sending is done");
    assert_eq!(app.attr("#send-sent", "data-value").as_deref(), Some("2"));
    assert_eq!(app.attr("#send-failed", "data-value").as_deref(), Some("0"));

    // They show as invited, the others not; the statistics count them.
    app.wait_until("ann and cid to show as invited", |d| {
        d.attr_all(r#"#onboarding-table tr[data-invited="true"]"#, "data-username") == ["ann", "cid"]
    });
    assert!(app.text(r#"tr[data-username="ann"] .cell-invitation"#).starts_with("Invited today"), "the invitation says when");
    assert_eq!(app.text(r#"tr[data-username="ben"] .cell-invitation"#), "Not invited yet");
    app.wait_for_text("#stat-invited", "2");
    app.wait_for_text("#onboarding-reminder-text", "No invited user is due a reminder");
    assert_eq!(cli.json(["stats", "onboarding"])["invited"], 2, "the CLI sees the same invitations");
    app.js("document.querySelector('#onboarding-result').scrollIntoView({ block: 'start' });", vec![]);
    app.screenshot("sent");

    // Exactly two mails reached the sink, one to each, with a temporary password.
    let got = wait_for_mails(&sink, 2);
    assert_eq!(got.len(), 2, "exactly two mails arrived: {got:#?}");
    let mut to: Vec<&str> = got.iter().filter_map(|m| m.lines().find_map(|l| l.strip_prefix("To: "))).collect();
    to.sort_unstable();
    assert_eq!(to, ["ann@example.com", "cid@example.com"]);
    for mail in &got {
        assert!(mail.contains("Subject: Set up your Acme Ltd account"), "the organisation is named: {mail}");
        assert!(mail.contains("Your temporary password:"), "{mail}");
    }

    // The Outbox (Settings) lists them as sent.
    app.click(r##"#nav a[data-section="settings"]"##);
    app.click("#tab-mail-outbox");
    app.wait_for("#tab-mail-outbox[aria-current=\"page\"]");
    app.wait_until("the outbox to load", |d| d.exists(r#"#outbox-table[aria-busy="false"]"#));
    assert_eq!(app.text("#outbox-count-sent"), "2");
    assert_eq!(app.text("#outbox-count-failed"), "0");
    assert_eq!(app.attr_all(r#"#outbox-table tr[data-state="sent"]"#, "data-kind"), ["activation", "activation"]);
    assert_eq!(app.attr("#outbox-retry", "aria-disabled").as_deref(), Some("true"), "nothing to retry or send");
    app.screenshot("outbox");
}

#[test]
fn queued_mails_wait_for_a_server_that_is_down_then_go_from_the_outbox() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("ann", "ann@example.com", "Ann", "Archer");
    cli.add_user_named("ben", "ben@example.com", "Ben", "Baker");
    let port = free_port();
    let app = Desktop::launch(test_name!(), workspace.path());
    set_up_mail(&app, port);

    // Nothing listens on the port yet: the mails stay queued and the result says why.
    open_onboarding(&app);
    app.click("#onboarding-select-all");
    app.wait_for_text("#onboarding-selected", "2 users selected");
    app.click("#onboarding-apply");
    app.wait_for_text("#onboarding-result-title", "No activation mail was sent; 2 still queued");
    let result = app.text("#onboarding-result");
    assert!(result.contains("The sending stopped") && result.contains(&format!("127.0.0.1:{port}")), "the server and the reason: {result}");
    assert!(result.contains("Check the host and port"), "what to check: {result}");
    assert_eq!(app.attr_all(r#"#onboarding-table tr[data-invited="true"]"#, "data-username"), Vec::<String>::new(), "no mail went, so nobody is invited");
    app.screenshot("down");

    // The Outbox keeps them queued; once the server is up, Send queued sends them.
    app.click("#onboarding-result a[href=\"#/settings/mail/outbox\"]");
    app.wait_for("#tab-mail-outbox[aria-current=\"page\"]");
    app.wait_until("the outbox to load", |d| d.exists(r#"#outbox-table[aria-busy="false"]"#));
    assert_eq!(app.text("#outbox-count-queued"), "2");
    assert_eq!(app.text("#outbox-retry"), "Send queued");
    let sink = Sink::start_on(port);
    app.click("#outbox-retry");
    app.wait_for_text("#outbox-result-title", "Sent 2 mails");
    app.wait_for_text("#outbox-count-sent", "2");
    assert_eq!(app.text("#outbox-count-queued"), "0");
    assert_eq!(wait_for_mails(&sink, 2).len(), 2, "each queued mail went once");
    assert_eq!(cli.json(["stats", "onboarding"])["invited"], 2);
    app.screenshot("sent");
}

#[test]
fn a_template_with_a_typo_is_named_then_fixed_previewed_and_saved() {
    let workspace = TempWorkspace::new();
    let app = Desktop::launch(test_name!(), workspace.path());
    app.click(r##"#nav a[data-section="settings"]"##);
    app.click("#tab-mail-templates");
    app.wait_for("#tab-mail-templates[aria-current=\"page\"]");
    app.wait_for(r#"#template-form[aria-busy="false"]"#);
    app.wait_for_text("#preview-subject", "Set up your");
    choose(&app, "#template-kind", "welcome");
    app.wait_for_text("#template-form-title", "Welcome mail");
    app.wait_for_text("#preview-subject", "Welcome to");
    assert_eq!(app.text("#template-state"), "Roster's default");
    assert!(app.exists(r#"#template-placeholders [data-placeholder="first_name"]"#), "the mail's placeholders are listed");
    assert!(!app.exists(r#"#template-placeholders [data-placeholder="link"]"#), "only the ones this mail may use");

    // A typo: the preview waits, Save names the problem in the summary, linked to the field.
    app.fill("#template-subject", "Welcome aboard, {frist_name}");
    app.wait_for_text("#template-preview-status", "{frist_name} is not a placeholder");
    assert_eq!(app.text("#template-state"), "Changes not saved");
    app.click("#template-save");
    let summary = app.wait_for_text("#template-errors", "{frist_name} is not a placeholder of this mail");
    assert!(summary.contains("There is a problem"), "{summary}");
    app.wait_until("the summary to take focus", |d| d.focused_id().as_deref() == Some("template-errors"));
    assert_eq!(app.attr_all("#template-errors a[data-target]", "href"), ["#template-subject"]);
    assert_eq!(app.attr("#template-subject", "aria-invalid").as_deref(), Some("true"));
    app.screenshot("typo");
    app.click(r##"#template-errors a[href="#template-subject"]"##);
    app.wait_until("the link to move focus to the subject", |d| d.focused_id().as_deref() == Some("template-subject"));

    // Fixed, with a placeholder inserted from the list: the preview follows as you type.
    app.fill("#template-subject", "Welcome aboard, ");
    app.click(r#"#template-placeholders [data-placeholder="first_name"]"#);
    assert_eq!(app.value("#template-subject"), "Welcome aboard, {first_name}", "inserted where the cursor was");
    app.wait_for_text("#preview-subject", "Welcome aboard, Ann");
    app.wait_for_gone("#template-preview-status .banner");
    let srcdoc = app.attr("#preview-html", "srcdoc").unwrap_or_default();
    assert!(srcdoc.contains("<strong>ann.example</strong>"), "the HTML part, filled in: {srcdoc}");
    assert_eq!(app.attr("#preview-html", "sandbox").as_deref(), Some(""), "the HTML runs nothing");
    assert!(app.text("#preview-text").contains("You sign in as ann.example"));
    app.click("#template-save");
    app.wait_for_text("#notice", "Saved the welcome mail template");
    app.wait_for_gone("#template-errors");
    app.wait_for_text("#template-state", "Edited");
    let shown = workspace.cli().json(["mail", "template", "show", "welcome"]);
    assert_eq!(shown["subject"], "Welcome aboard, {first_name}", "the CLI sees the saved template: {shown}");
    app.screenshot("saved");

    // Reset to default, after a question.
    app.click("#template-reset");
    app.wait_for("#action-dialog");
    app.click("#action-submit");
    app.wait_for_gone("#action-dialog");
    app.wait_for_text("#template-state", "Roster's default");
    assert_eq!(app.value("#template-subject"), "Welcome to {organisation}");
}

#[test]
fn sending_activation_mails_shows_progress_and_cancel_leaves_the_rest_queued() {
    // 40 users, a sink that takes 0.25 s a mail, 4 at a time: about 2.5 s, time to press Cancel.
    let sink = Sink::start_slow(0.25);
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    let csv = workspace.dir().join("people.csv");
    let mut text = String::from("Username,Email\n");
    for i in 0..40 {
        text.push_str(&format!("user{i:02},user{i:02}@example.com\n"));
    }
    std::fs::write(&csv, text).expect("write the CSV file");
    cli.ok(["bulk", "apply", csv.to_str().expect("a UTF-8 path")]);
    let app = Desktop::launch(test_name!(), workspace.path());
    set_up_mail(&app, sink.port);

    open_onboarding(&app);
    app.click("#onboarding-select-all");
    app.wait_for_text("#onboarding-selected", "40 users selected");
    app.click("#onboarding-apply");
    app.wait_for("#onboarding-progress");
    app.wait_until("Cancel to have focus", |d| d.focused_id().as_deref() == Some("onboarding-progress-cancel"));
    app.wait_for_text("#onboarding-progress-count", "of 40 mails");
    app.screenshot("progress");
    app.click("#onboarding-progress-cancel");
    let title = app.wait_for_text("#onboarding-result-title", "(cancelled)");
    app.wait_for_gone("#onboarding-progress");
    let sent: u64 = app.attr("#send-sent", "data-value").and_then(|v| v.parse().ok()).expect("a count of sent mails");
    let queued: u64 = app.attr("#send-queued", "data-value").and_then(|v| v.parse().ok()).expect("a count of queued mails");
    assert!(sent < 40 && sent + queued == 40, "some went, the rest stay queued: {title}");
    assert!(app.text("#onboarding-result").contains("queued and go"), "the result says the rest wait");
    assert_eq!(
        app.count(r#"#onboarding-table tr[data-invited="true"]"#) as u64,
        sent,
        "exactly those sent show as invited"
    );
    app.screenshot("cancelled");
    assert_eq!(wait_for_mails(&sink, sent as usize).len() as u64, sent, "nothing more arrives after Cancel");
}

#[test]
fn bulk_apply_then_sends_activation_mails_and_the_result_with_progress() {
    // 20 new users and auto-send on: after the batch commits, 20 activation mails and the result.
    let sink = Sink::start_slow(0.2);
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.ok(["mail", "setup", "--host", "127.0.0.1", "--port", &sink.port.to_string(), "--security", "none", "--from", "roster@example.com"]);
    cli.ok(["mail", "options", "--auto-send-on-create", "true", "--alert-to", "it@example.com"]);
    let csv = workspace.dir().join("starters.csv");
    let mut text = String::from("Username,Email\n");
    for i in 0..20 {
        text.push_str(&format!("new{i:02},new{i:02}@example.com\n"));
    }
    std::fs::write(&csv, text).expect("write the CSV file");
    let app = Desktop::launch(test_name!(), workspace.path());

    app.click(r##"#nav a[data-section="bulk"]"##);
    app.wait_for("#bulk-path");
    app.fill("#bulk-path", csv.to_str().expect("a UTF-8 path"));
    app.click("#bulk-open");
    app.wait_until("the plan to be shown", |d| d.is_displayed("#bulk-plan") && d.exists("#bulk-summary-bar"));
    app.click("#bulk-apply");
    app.wait_for_text("#bulk-progress-label", "Sending mails");
    app.screenshot("sending");
    app.wait_for_gone("#bulk-progress");
    app.wait_for_text("#bulk-alert", "The results were mailed to it@example.com");
    app.screenshot("applied");
    let got = wait_for_mails(&sink, 21);
    assert_eq!(got.len(), 21, "20 activation mails and the result");
    assert_eq!(cli.json(["stats", "onboarding"])["invited"], 20);
}

#[test]
fn password_reset_from_the_select_menu_is_mailed_with_a_portal_link() {
    let sink = Sink::start();
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("ann", "ann@example.com", "Ann", "Archer");
    cli.ok(["mail", "setup", "--host", "127.0.0.1", "--port", &sink.port.to_string(), "--security", "none", "--from", "roster@example.com"]);
    cli.ok(["mail", "options", "--portal-url", "https://login.example.com/reset?user={username}"]);
    let app = Desktop::launch(test_name!(), workspace.path());
    crate::wait_for_user_list(&app);

    app.click(&format!("{} button.row-select", crate::user_row("ann")));
    app.wait_for("#row-menu");
    app.click(r#"#row-menu [role="menuitem"][data-action="reset-password"]"#);
    app.wait_for_text("#reset-password-what", "a link to your reset page");
    app.screenshot("confirm");
    app.click("#action-submit");
    app.wait_for_gone("#action-dialog");
    app.wait_for_text("#notice", "ann@example.com");
    let got = wait_for_mails(&sink, 1);
    assert_eq!(got.len(), 1, "one reset mail");
    // The bodies are quoted-printable: undo its soft line breaks and its "=3D" for "=".
    let mail = got[0].replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    assert!(mail.contains("To: ann@example.com") && mail.contains("https://login.example.com/reset?user=ann"), "{mail}");
}

#[test]
fn invited_users_waiting_over_a_week_get_a_reminder() {
    let sink = Sink::start();
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    for name in ["ann", "ben", "cid"] {
        cli.add_user(name, &format!("{name}@example.com"));
    }
    cli.ok(["mail", "setup", "--host", "127.0.0.1", "--port", &sink.port.to_string(), "--security", "none", "--from", "roster@example.com"]);
    cli.ok(["mail", "send", "activation", "ann", "ben", "cid"]);
    assert_eq!(wait_for_mails(&sink, 3).len(), 3);
    // Roster's clock cannot be turned forward from outside: ann and ben's invitations are made
    // ten days old in the file itself (sqlite3, which scripts/setup installs).
    let aged = std::process::Command::new("sqlite3")
        .arg(workspace.path())
        .arg(
            "UPDATE invitations SET invited_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-10 days'), \
             last_sent_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-10 days') \
             WHERE user_seq IN (SELECT seq FROM users WHERE username IN ('ann', 'ben'))",
        )
        .status()
        .expect("run sqlite3; run scripts/setup");
    assert!(aged.success(), "sqlite3 could not age the invitations");
    assert_eq!(cli.json(["stats", "onboarding"])["reminderDue"], 2, "the CLI counts two due a reminder");

    let app = Desktop::launch(test_name!(), workspace.path());
    open_onboarding(&app);
    let due = app.wait_for_text("#onboarding-reminder-text", "2 invited users are due a reminder");
    assert!(due.contains("waiting over 7 days"), "{due}");
    assert!(app.text(r#"tr[data-username="ann"] .cell-invitation"#).starts_with("Invited 10 days ago"));
    app.screenshot("due");
    app.click("#onboarding-remind");
    app.wait_for_text("#onboarding-result-title", "Sent 2 activation mails");
    app.wait_for_text("#onboarding-reminder-text", "No invited user is due a reminder");
    let ann = app.text(r#"tr[data-username="ann"] .cell-invitation"#);
    assert!(ann.contains("Invited 10 days ago") && ann.contains("Reminded today"), "{ann}");
    assert_eq!(app.text(r#"tr[data-username="cid"] .cell-invitation"#), "Invited today", "cid was not due");
    assert_eq!(wait_for_mails(&sink, 5).len(), 5, "one reminder each to ann and ben, none to cid");
    app.js("document.querySelector('#onboarding-reminder').scrollIntoView({ block: 'start' });", vec![]);
    app.screenshot("reminded");
}

/// The recipients of `mails` (their `To:` lines), sorted.
fn recipients(mails: &[String]) -> Vec<String> {
    let mut to: Vec<String> = mails.iter().filter_map(|m| m.lines().find_map(|l| l.strip_prefix("To: ")).map(str::to_owned)).collect();
    to.sort_unstable();
    to
}

/// Makes the invitations of `usernames` `days` old in the workspace file itself (Roster's clock
/// cannot be turned forward from outside; sqlite3 comes with scripts/setup).
fn age_invitations(workspace: &TempWorkspace, usernames: &[&str], days: u32) {
    let names = usernames.iter().map(|u| format!("'{u}'")).collect::<Vec<_>>().join(", ");
    let aged = Command::new("sqlite3")
        .arg(workspace.path())
        .arg(format!(
            "UPDATE invitations SET invited_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-{days} days'), \
             last_sent_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-{days} days') \
             WHERE user_seq IN (SELECT seq FROM users WHERE username IN ({names}))"
        ))
        .status()
        .expect("run sqlite3; run scripts/setup");
    assert!(aged.success(), "sqlite3 could not age the invitations");
}

#[test]
fn users_list_multi_select_sends_activation_mails_through_the_outbox_with_progress() {
    // A sink that takes 4 s over each mail: the progress panel stays long enough to be seen.
    let sink = Sink::start_slow(4.0);
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    for (name, first, last) in [("ann", "Ann", "Archer"), ("ben", "Ben", "Baker"), ("cid", "Cid", "Cole"), ("dee", "Dee", "Dale")] {
        cli.add_user_named(name, &format!("{name}@example.com"), first, last);
    }
    cli.ok(["mail", "setup", "--host", "127.0.0.1", "--port", &sink.port.to_string(), "--security", "none", "--from", "roster@example.com"]);
    let app = Desktop::launch(test_name!(), workspace.path());
    crate::wait_for_user_list(&app);

    // Three of the four ticked, the activation mail chosen in the bar.
    for name in ["ann", "cid", "dee"] {
        app.click(&format!(r#"input.row-check[value="{name}"]"#));
    }
    app.wait_for_text("#bulk-count", "3 selected");
    choose(&app, "#bulk-action", "send_activation_mail");
    app.click("#bulk-apply");

    // The outbox path: the shared progress panel, Cancel focused, counting the mails.
    app.wait_for("#bulk-mail-progress");
    app.wait_until("Cancel to have focus", |d| d.focused_id().as_deref() == Some("bulk-mail-progress-cancel"));
    app.wait_for_text("#bulk-mail-progress-label", "Sending activation mails to 3 users");
    app.wait_for_text("#bulk-mail-progress-count", "of 3 mails");
    assert_eq!(app.text("#bulk-mail-progress-cancel"), "Cancel");
    app.screenshot("progress");

    // Then the result under the bar, which takes focus; the selection is done with.
    let title = app.wait_for_text("#bulk-mail-result-title", "Sent 3 activation mails");
    assert!(!title.contains("failed") && !title.contains("queued") && !title.contains("skipped"), "{title}");
    app.wait_for_gone("#bulk-mail-progress");
    app.wait_until("the result to take focus", |d| d.focused_id().as_deref() == Some("bulk-mail-result-title"));
    assert_eq!(app.attr("#send-sent", "data-value").as_deref(), Some("3"));
    assert_eq!(app.attr("#send-failed", "data-value").as_deref(), Some("0"));
    assert_eq!(app.attr("#send-queued", "data-value").as_deref(), Some("0"));
    app.wait_for_text("#notice", "Sent 3 activation mails");
    app.wait_for_text("#bulk-count", "No users selected");
    app.screenshot("sent");

    // Exactly three mails reached the sink, one to each ticked user; none to ben.
    let got = wait_for_mails(&sink, 3);
    assert_eq!(got.len(), 3, "exactly three mails arrived: {got:#?}");
    assert_eq!(recipients(&got), ["ann@example.com", "cid@example.com", "dee@example.com"]);
    let stats = cli.json(["stats", "onboarding"]);
    assert_eq!(stats["invited"], 3, "the sent activations made them invited: {stats}");

    // The Outbox lists them as sent, as activation mails of the three.
    app.click(r##"#nav a[data-section="settings"]"##);
    app.click("#tab-mail-outbox");
    app.wait_for("#tab-mail-outbox[aria-current=\"page\"]");
    app.wait_until("the outbox to load", |d| d.exists(r#"#outbox-table[aria-busy="false"]"#));
    assert_eq!(app.text("#outbox-count-sent"), "3");
    assert_eq!(app.text("#outbox-count-queued"), "0");
    assert_eq!(app.text("#outbox-count-failed"), "0");
    assert_eq!(app.attr_all(r#"#outbox-table tr[data-state="sent"]"#, "data-kind"), ["activation", "activation", "activation"]);
    let outbox = cli.json(["mail", "outbox"]);
    let mut sent_to: Vec<&str> = outbox["mails"].as_array().expect("mails").iter().filter_map(|m| m["username"].as_str()).collect();
    sent_to.sort_unstable();
    assert_eq!(sent_to, ["ann", "cid", "dee"], "the CLI sees the same outbox: {outbox}");
    app.screenshot("outbox");
}

#[test]
fn users_list_activation_mails_to_a_server_that_is_down_stay_queued_with_the_way_to_the_outbox() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("ann", "ann@example.com", "Ann", "Archer");
    cli.add_user_named("ben", "ben@example.com", "Ben", "Baker");
    cli.ok(["user", "disable", "ben"]);
    let port = free_port();
    cli.ok(["mail", "setup", "--host", "127.0.0.1", "--port", &port.to_string(), "--security", "none", "--from", "roster@example.com"]);
    let app = Desktop::launch(test_name!(), workspace.path());
    crate::wait_for_user_list(&app);

    app.click("#select-all-rows");
    app.wait_for_text("#bulk-count", "2 selected");
    choose(&app, "#bulk-action", "send_activation_mail");
    app.click("#bulk-apply");
    // Nothing listens: ann's mail stays queued with the reason, ben (disabled) is skipped.
    app.wait_for_text("#bulk-mail-result-title", "No activation mail was sent; 1 still queued; 1 user skipped");
    let result = app.text("#bulk-mail-result");
    assert!(result.contains("The sending stopped") && result.contains(&format!("127.0.0.1:{port}")), "the server and the reason: {result}");
    assert!(result.contains("ben is disabled"), "why ben was skipped: {result}");
    assert!(result.contains("The 1 mail not sent stays queued; retry it from the Outbox"), "{result}");
    assert_eq!(app.attr_all("#bulk-mail-result-skipped li", "data-username"), ["ben"]);
    app.screenshot("down");

    // The result leads to the Outbox, where the mail waits.
    app.click(r##"#bulk-mail-result a[href="#/settings/mail/outbox"]"##);
    app.wait_for("#tab-mail-outbox[aria-current=\"page\"]");
    app.wait_until("the outbox to load", |d| d.exists(r#"#outbox-table[aria-busy="false"]"#));
    assert_eq!(app.text("#outbox-count-queued"), "1");
    assert_eq!(cli.json(["stats", "onboarding"])["invited"], 0, "no mail went, so nobody is invited");
}

#[test]
fn the_reminder_threshold_in_days_changes_who_is_due_and_who_is_reminded() {
    let sink = Sink::start();
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    for name in ["ann", "ben", "cid"] {
        cli.add_user(name, &format!("{name}@example.com"));
    }
    cli.ok(["mail", "setup", "--host", "127.0.0.1", "--port", &sink.port.to_string(), "--security", "none", "--from", "roster@example.com"]);
    cli.ok(["mail", "send", "activation", "ann", "ben", "cid"]);
    assert_eq!(wait_for_mails(&sink, 3).len(), 3);
    // ann was invited ten days ago, ben three, cid today.
    age_invitations(&workspace, &["ann"], 10);
    age_invitations(&workspace, &["ben"], 3);
    assert_eq!(cli.json(["stats", "onboarding"])["reminderDue"], 1, "after 7 days, ann");
    assert_eq!(cli.json(["stats", "onboarding", "--remind-after-days", "1"])["reminderDue"], 2, "after 1 day, ann and ben");

    let app = Desktop::launch(test_name!(), workspace.path());
    open_onboarding(&app);
    let due = app.wait_for_text("#onboarding-reminder-text", "1 invited user is due a reminder");
    assert!(due.contains("waiting over 7 days"), "{due}");
    assert_eq!(app.value("#onboarding-remind-days"), "7", "the default threshold");
    assert_eq!(app.attr("#onboarding-remind-days", "min").as_deref(), Some("0"));

    // A threshold the core refuses: its message in the error summary, which takes focus and
    // links to the field; the count stays.
    app.fill("#onboarding-remind-days", "4000");
    app.press("#onboarding-remind-days", Key::Enter);
    let summary = app.wait_for_text("#onboarding-reminder-errors", "A reminder is due after 0 to 3650 days since the last mail, not 4000");
    assert!(summary.contains("There is a problem"), "{summary}");
    app.wait_until("the summary to take focus", |d| d.focused_id().as_deref() == Some("onboarding-reminder-errors"));
    assert_eq!(app.attr_all("#onboarding-reminder-errors a[data-target]", "href"), ["#onboarding-remind-days"]);
    assert_eq!(app.attr("#onboarding-remind-days", "aria-invalid").as_deref(), Some("true"));
    app.wait_for_text("#error-onboarding-remind-days", "A reminder is due after 0 to 3650 days since the last mail, not 4000");
    assert_eq!(app.attr("#onboarding-reminder-text", "data-due").as_deref(), Some("1"), "the count is still the last good one");
    app.screenshot("out-of-range");
    app.click(r##"#onboarding-reminder-errors a[href="#onboarding-remind-days"]"##);
    app.wait_until("the link to move focus to the field", |d| d.focused_id().as_deref() == Some("onboarding-remind-days"));

    // One day: ann and ben are due, as the CLI counts them.
    app.fill("#onboarding-remind-days", "1");
    let due = app.wait_for_text("#onboarding-reminder-text", "2 invited users are due a reminder");
    assert!(due.contains("waiting over 1 day since"), "{due}");
    app.wait_for_gone("#onboarding-reminder-errors");
    assert_eq!(app.attr("#onboarding-remind-days", "aria-invalid"), None);
    app.screenshot("one-day");

    // The threshold is kept while the window is open.
    app.click("#tab-users");
    crate::wait_for_user_list(&app);
    open_onboarding(&app);
    app.wait_for_text("#onboarding-reminder-text", "2 invited users are due a reminder");
    assert_eq!(app.value("#onboarding-remind-days"), "1", "the threshold chosen earlier");

    // Send reminder goes to those two, after one day.
    app.click("#onboarding-remind");
    app.wait_for_text("#onboarding-result-title", "Sent 2 activation mails");
    app.wait_for_text("#onboarding-reminder-text", "No invited user is due a reminder: none has been waiting over 1 day");
    let got = wait_for_mails(&sink, 5);
    assert_eq!(got.len(), 5, "one reminder each to ann and ben, none to cid: {got:#?}");
    let outbox = cli.json(["mail", "outbox"]);
    let mut reminded: Vec<&str> = outbox["mails"]
        .as_array()
        .expect("mails")
        .iter()
        .filter(|m| m["reminder"] == true)
        .filter_map(|m| m["username"].as_str())
        .collect();
    reminded.sort_unstable();
    assert_eq!(reminded, ["ann", "ben"], "the outbox marks the two reminders: {outbox}");
    app.js("document.querySelector('#onboarding-reminder').scrollIntoView({ block: 'start' });", vec![]);
    app.screenshot("reminded");
}

#[test]
fn users_list_cancel_stops_the_activation_mails_and_leaves_the_rest_queued() {
    // 20 users, a sink that takes 0.5 s a mail, 4 at a time: about 2.5 s, time to press Cancel.
    let sink = Sink::start_slow(0.5);
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    let csv = workspace.dir().join("people.csv");
    let mut text = String::from("Username,Email\n");
    for i in 0..20 {
        text.push_str(&format!("user{i:02},user{i:02}@example.com\n"));
    }
    std::fs::write(&csv, text).expect("write the CSV file");
    cli.ok(["bulk", "apply", csv.to_str().expect("a UTF-8 path")]);
    cli.ok(["mail", "setup", "--host", "127.0.0.1", "--port", &sink.port.to_string(), "--security", "none", "--from", "roster@example.com"]);
    let app = Desktop::launch(test_name!(), workspace.path());
    crate::wait_for_user_list(&app);

    app.click("#select-all-rows");
    app.wait_for_text("#bulk-count", "20 selected");
    choose(&app, "#bulk-action", "send_activation_mail");
    app.click("#bulk-apply");
    app.wait_for("#bulk-mail-progress");
    app.wait_until("Cancel to have focus", |d| d.focused_id().as_deref() == Some("bulk-mail-progress-cancel"));
    // Once the mails are counted, the first ones are with the server: Cancel stops after them.
    // (No screenshot here: taking one lasts about as long as the whole sending.)
    app.wait_for_text("#bulk-mail-progress-count", "of 20 mails");
    app.click("#bulk-mail-progress-cancel");
    let title = app.wait_for_text("#bulk-mail-result-title", "(cancelled)");
    app.wait_for_gone("#bulk-mail-progress");
    let sent: u64 = app.attr("#send-sent", "data-value").and_then(|v| v.parse().ok()).expect("a count of sent mails");
    let queued: u64 = app.attr("#send-queued", "data-value").and_then(|v| v.parse().ok()).expect("a count of queued mails");
    assert!(sent < 20 && sent + queued == 20, "some went, the rest stay queued: {title}");
    assert!(app.text("#bulk-mail-result").contains("queued and go"), "the result says the rest wait");
    app.screenshot("cancelled");

    // The outbox holds the rest, queued; nothing more arrives.
    let outbox = cli.json(["mail", "outbox"]);
    assert_eq!((outbox["sent"].as_u64(), outbox["queued"].as_u64()), (Some(sent), Some(queued)), "{outbox}");
    assert_eq!(wait_for_mails(&sink, sent as usize).len() as u64, sent, "nothing more arrives after Cancel");
}
