//! `roster mail send | outbox | retry | options | template` and the mails of `bulk apply` and
//! `user add`, on the real binary against a real SMTP sink (aiosmtpd, `sink/`). Mail is set up
//! without a login, so no keyring is needed (these pass with ROSTER_NO_KEYRING=1 too).

mod common;
mod sink;

use std::collections::HashMap;
use std::process::Output;
use std::time::Duration;

use common::{code, stderr, stdout, Ws};
use serde_json::Value;
use sink::{free_port, Sink};

const PORTAL: &str = "https://login.example.com/reset?user={username}&src=roster";

fn ok(out: Output) -> Output {
    assert_eq!(code(&out), 0, "stdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    out
}

/// A workspace whose mail goes to 127.0.0.1:`port`, no login, from roster@example.com.
fn mail_ws(port: u16) -> Ws {
    let ws = Ws::new();
    ok(ws.run(&["mail", "setup", "--host", "127.0.0.1", "--port", &port.to_string(), "--security", "none", "--from", "roster@example.com"]));
    ws
}

fn add_named(ws: &Ws, username: &str, email: &str, first: &str, last: &str) {
    ws.json(&["user", "add", "--username", username, "--email", email, "--first", first, "--last", last]);
}

/// Runs with --json and returns stdout's document, whatever the exit code.
fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}\n{}", stdout(out), stderr(out)))
}

fn outbox(ws: &Ws) -> Vec<Value> {
    ws.json(&["mail", "outbox", "--limit", "1000"])["mails"].as_array().unwrap().clone()
}

/// The workspace file, read directly (the tests check what it holds, not only what Roster says).
fn sqlite(ws: &Ws) -> rusqlite::Connection {
    rusqlite::Connection::open(&ws.path).unwrap()
}

/// The workspace file and its WAL and shared-memory files, as bytes.
fn workspace_bytes(ws: &Ws) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let path = format!("{}{suffix}", ws.path.display());
            std::fs::read(&path).ok().map(|b| (path, b))
        })
        .collect()
}

fn write_file(ws: &Ws, name: &str, text: &str) -> String {
    let path = ws.path.with_file_name(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `n` users without a password (u0000…), added by one bulk file.
fn bulk_add(ws: &Ws, n: usize) {
    let mut csv = String::from("Action,Username,Email,First Name\n");
    for i in 0..n {
        csv.push_str(&format!("add,u{i:04},u{i:04}@example.com,User{i}\n"));
    }
    let file = write_file(ws, "many.csv", &csv);
    ok(ws.run(&["bulk", "apply", &file]));
}

#[test]
fn activation_with_a_portal_link_reaches_both_users_and_makes_them_invited() {
    let sink = Sink::start();
    let ws = mail_ws(sink.port);
    ok(ws.run(&["mail", "options", "--portal-url", PORTAL, "--organisation", "Acme"]));
    let shown = stdout(&ok(ws.run(&["mail", "options"])));
    assert!(shown.contains(&format!("a link to the directory's reset page: {PORTAL}")), "{shown}");
    add_named(&ws, "ann@corp", "ann@corp.example", "Ann", "Archer");
    add_named(&ws, "b.smith", "bob@example.com", "Bob", "Smith");

    let out = ok(ws.run(&["mail", "send", "activation", "ann@corp", "b.smith"]));
    let text = stdout(&out);
    assert!(text.contains("Queued 2 activation mails\n"), "{text}");
    assert!(text.contains("2 sent, 0 failed, 0 still queued\n"), "{text}");

    let mails = sink.mails();
    assert_eq!(mails.len(), 2);
    for (username, encoded, email, first) in [("ann@corp", "ann%40corp", "ann@corp.example", "Ann"), ("b.smith", "b.smith", "bob@example.com", "Bob")] {
        let got: Vec<_> = mails.iter().filter(|m| m.rcpt_to == [email]).collect();
        assert_eq!(got.len(), 1, "one mail to {email}: {mails:?}");
        let m = got[0];
        assert_eq!(m.to, email);
        assert_eq!(m.subject, "Set up your Acme account");
        assert_eq!(m.content_type, "multipart/alternative");
        let link = format!("https://login.example.com/reset?user={encoded}&src=roster");
        assert!(m.text.contains(&format!("Set your password here: {link}")), "{username}: {}", m.text);
        assert!(m.text.contains(&format!("Hello {first},")) && m.text.contains(&format!("Username: {username}")), "{}", m.text);
        assert!(!m.text.contains("temporary password"), "a portal link, not a temporary password: {}", m.text);
        let html = m.html.as_deref().expect("an HTML part");
        assert!(html.contains(&format!("<a href=\"{}\">", link.replace('&', "&amp;"))), "{html}");
    }

    let ann = ws.user("ann@corp");
    assert!(ann["invitedAt"].is_string(), "{ann}");
    assert_eq!(ann["onboarded"], false, "an invitation is not a password");
    let shown = stdout(&ok(ws.run(&["user", "show", "b.smith"])));
    assert!(shown.lines().any(|l| l.starts_with("Invited") && l.contains('T')), "{shown}");
    let stats = ws.json(&["stats", "onboarding"]);
    assert_eq!((stats["invited"].as_u64(), stats["notOnboarded"].as_u64(), stats["reminderDue"].as_u64()), (Some(2), Some(2), Some(0)), "{stats}");
    let o = ws.json(&["mail", "outbox"]);
    assert_eq!((o["sent"].as_u64(), o["queued"].as_u64()), (Some(2), Some(0)));
    assert!(o["mails"].as_array().unwrap().iter().all(|m| m["kind"] == "activation" && m["state"] == "sent" && m["attempts"] == 1), "{o}");
}

#[test]
fn a_temporary_password_is_mailed_and_kept_only_as_its_argon2id_hash() {
    let sink = Sink::start();
    let ws = mail_ws(sink.port);
    let shown = stdout(&ok(ws.run(&["mail", "options"])));
    assert!(shown.contains("Reset method   a temporary password"), "{shown}");
    add_named(&ws, "dana", "dana@example.com", "Dana", "Dahl");

    let v = json_of(&ok(ws.run(&["--json", "mail", "send", "activation", "dana"])));
    assert_eq!((v["queued"]["queued"].as_u64(), v["sent"]["sent"].as_u64()), (Some(1), Some(1)), "{v}");
    let mails = sink.mails_to("dana@example.com");
    assert_eq!(mails.len(), 1);
    let line = mails[0].text.lines().find(|l| l.starts_with("Your temporary password: ")).unwrap_or_else(|| panic!("{}", mails[0].text));
    let password = line.trim_start_matches("Your temporary password: ").trim().to_owned();
    assert_eq!(password.len(), 23, "{password}");
    assert!(mails[0].html.as_deref().unwrap().contains(&format!("<code>{password}</code>")));
    assert!(!mails[0].text.contains("https://"), "no link without a portal URL");

    let files = workspace_bytes(&ws);
    let phc: String = sqlite(&ws)
        .query_row(
            "SELECT i.temporary_password_hash FROM invitations i JOIN users u ON u.seq = i.user_seq WHERE u.username = 'dana'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(phc.starts_with("$argon2id$"), "{phc}");
    let hash = roster_core::PasswordHash::from_phc(&phc).unwrap();
    assert!(hash.verify(&password), "the stored hash verifies the mailed password");
    assert!(!hash.verify("not-the-password-at-all"));
    for (path, bytes) in files {
        assert!(!bytes.windows(password.len()).any(|w| w == password.as_bytes()), "{path} holds the temporary password");
    }
    assert_eq!(ws.user("dana")["onboarded"], false);
}

#[test]
fn reset_and_welcome_mails() {
    let sink = Sink::start();
    let ws = mail_ws(sink.port);
    ok(ws.run(&["mail", "options", "--portal-url", PORTAL, "--organisation", "Acme"]));
    ws.add_with_password("erin");
    add_named(&ws, "fred", "fred@example.com", "Fred", "Fisher");

    // Activation does not fit a user who has a password: skipped with the reason, exit 0.
    let out = ok(ws.run(&["mail", "send", "activation", "erin"]));
    assert!(stdout(&out).contains("Skipped erin: erin has already set a password"), "{}", stdout(&out));
    assert_eq!(sink.count(), 0);

    ok(ws.run(&["mail", "send", "reset", "erin"]));
    let m = sink.mails_to("erin@example.com");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].subject, "Reset your Acme password");
    assert!(m[0].text.contains("https://login.example.com/reset?user=erin&src=roster"), "{}", m[0].text);

    let v = json_of(&ok(ws.run(&["--json", "mail", "send", "welcome", "erin", "fred"])));
    assert_eq!((v["queued"]["kind"].as_str(), v["sent"]["sent"].as_u64()), (Some("welcome"), Some(2)), "{v}");
    let fred = sink.mails_to("fred@example.com");
    assert_eq!(fred.len(), 1);
    assert_eq!(fred[0].subject, "Welcome to Acme");
    assert!(fred[0].text.contains("Hello Fred,") && fred[0].text.contains("You sign in as fred."), "{}", fred[0].text);
    assert_eq!(sink.mails_to("erin@example.com").len(), 2);

    // Without a portal, the row's "Reset password" mails a temporary password, expired at once.
    ok(ws.run(&["mail", "options", "--portal-url", ""]));
    let out = ok(ws.run(&["user", "reset-password", "erin"]));
    assert_eq!(stdout(&out), "Sent the password reset mail to erin@example.com\n");
    let erin = sink.mails_to("erin@example.com");
    assert_eq!(erin.len(), 3);
    let reset = erin.iter().find(|m| m.text.contains("Your temporary password: ")).expect("the temporary password mail");
    assert_eq!(reset.subject, "Reset your Acme password");
    assert!(ws.user("erin")["passwordExpiresAt"].is_string(), "a temporary password must be changed at first sign-in");

    // An unknown user: not found (4), nothing queued.
    let e = ws.fails(4, &["mail", "send", "welcome", "nobody"]);
    assert_eq!(e["error"]["code"], "not_found");
    assert_eq!(outbox(&ws).len(), 4);
}

#[test]
fn a_server_that_cannot_be_reached_leaves_the_mail_queued_and_retry_delivers_it_once() {
    let port = free_port();
    let ws = mail_ws(port);
    ok(ws.run(&["mail", "options", "--portal-url", PORTAL]));
    ws.add("gina");

    let out = ws.run(&["--json", "mail", "send", "activation", "gina"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(v["sent"]["stoppedBy"]["code"], "unreachable", "{v}");
    assert_eq!((v["sent"]["sent"].as_u64(), v["sent"]["queued"].as_u64()), (Some(0), Some(1)));
    let e: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(e["error"]["code"], "remote");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("cannot reach the mail server 127.0.0.1:{port}")) && message.contains("roster mail send"), "{message}");

    // Human: the reason on stderr, exit 1.
    let out = ws.run(&["mail", "send"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("0 sent, 0 failed, 1 still queued"), "{}", stdout(&out));
    assert!(stderr(&out).contains(&format!("127.0.0.1:{port}")), "{}", stderr(&out));

    let mails = outbox(&ws);
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!((m["state"].as_str(), m["errorCode"].as_str(), m["username"].as_str()), (Some("queued"), Some("unreachable"), Some("gina")), "{m}");
    assert!(m["error"].as_str().unwrap().contains(&format!("127.0.0.1:{port}")), "{m}");
    assert!(ws.user("gina")["invitedAt"].is_null(), "not invited until the mail went");
    let table = stdout(&ok(ws.run(&["mail", "outbox"])));
    assert!(table.starts_with("Outbox: 1 queued, 0 sending, 0 sent, 0 failed\n"), "{table}");
    assert!(table.contains("gina@example.com") && table.contains(&format!("127.0.0.1:{port}")), "{table}");

    let sink = Sink::start_on(port, 0.0);
    let out = ok(ws.run(&["mail", "retry"]));
    assert!(stdout(&out).contains("1 sent, 0 failed, 0 still queued"), "{}", stdout(&out));
    assert_eq!(sink.mails_to("gina@example.com").len(), 1);
    let out = ok(ws.run(&["mail", "send"]));
    assert_eq!(stdout(&out), "Nothing to send: no mails are queued\n");
    assert_eq!(sink.count(), 1, "delivered exactly once");
    let m = &outbox(&ws)[0];
    assert_eq!((m["state"].as_str(), m["errorCode"].as_str()), (Some("sent"), None), "{m}");
    assert!(ws.user("gina")["invitedAt"].is_string());
}

/// Kill -9 in the middle of a send to 600 users, then resume: nobody gets two mails, and the
/// mails that were in flight are failed as interrupted instead of being sent again.
#[test]
fn a_send_killed_midway_resumes_without_sending_anyone_twice() {
    let sink = Sink::start();
    let ws = Ws::new();
    bulk_add(&ws, 600);
    ok(ws.run(&["mail", "setup", "--host", "127.0.0.1", "--port", &sink.port.to_string(), "--security", "none", "--from", "roster@example.com"]));
    ok(ws.run(&["mail", "options", "--portal-url", PORTAL]));

    let mut child = ws.command(&["--json", "mail", "send", "activation", "--all-not-onboarded", "--concurrency", "8"]).spawn().unwrap();
    let before_kill = sink.wait_for(60, Duration::from_secs(30));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!((60..600).contains(&before_kill), "killed in the middle ({before_kill} mails had arrived)");

    let out = ok(ws.run(&["--json", "mail", "send", "--concurrency", "8"]));
    let v = json_of(&out);
    assert!(v["interrupted"].as_u64().unwrap() >= 1, "the killed run had mails in flight: {v}");

    let rows = outbox(&ws);
    assert_eq!(rows.len(), 600);
    let mut sent_to = Vec::new();
    let mut interrupted = 0;
    for r in &rows {
        match (r["state"].as_str().unwrap(), r["errorCode"].as_str()) {
            ("sent", _) => sent_to.push(r["to"].as_str().unwrap().to_owned()),
            ("failed", Some("interrupted")) => interrupted += 1,
            other => panic!("a mail is {other:?}: {r}"),
        }
    }
    let mut received: HashMap<String, usize> = HashMap::new();
    for mail in sink.recipients() {
        for r in mail {
            *received.entry(r).or_default() += 1;
        }
    }
    let total: usize = received.values().sum();
    assert!(received.values().all(|n| *n == 1), "somebody got two mails: {:?}", received.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>());
    for to in &sent_to {
        assert_eq!(received.get(to), Some(&1), "{to} is marked sent");
    }
    assert!(total >= sent_to.len() && total <= sent_to.len() + interrupted, "{total} received, {} sent, {interrupted} interrupted", sent_to.len());
    assert_eq!(sent_to.len() + interrupted, 600);

    // They are failed, with the reason; the admin can send them again on purpose.
    let out = ok(ws.run(&["mail", "outbox", "--state", "failed", "--limit", "1"]));
    assert!(stdout(&out).contains("it may have been delivered"), "{}", stdout(&out));
}

/// Ctrl-C stops a send after the mails under way: the rest stay queued (not interrupted) and
/// the next `mail send` sends them.
#[test]
fn ctrl_c_leaves_the_unsent_mails_queued() {
    let sink = Sink::slow(0.1);
    let ws = Ws::new();
    bulk_add(&ws, 40);
    ok(ws.run(&["mail", "setup", "--host", "127.0.0.1", "--port", &sink.port.to_string(), "--security", "none", "--from", "roster@example.com"]));
    ok(ws.run(&["mail", "options", "--portal-url", PORTAL]));

    let child = ws.command(&["--json", "mail", "send", "activation", "--all-not-onboarded", "--concurrency", "2"]).spawn().unwrap();
    sink.wait_for(4, Duration::from_secs(20));
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(v["sent"]["cancelled"], true, "{v}");
    let e: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(e["error"]["code"], "cancelled");
    let sent = v["sent"]["sent"].as_u64().unwrap() as usize;
    assert_eq!(sink.count(), sent, "every mail under way finished and was recorded");
    let o = ws.json(&["mail", "outbox"]);
    assert_eq!((o["sending"].as_u64(), o["failed"].as_u64(), o["sent"].as_u64()), (Some(0), Some(0), Some(sent as u64)), "{o}");
    assert_eq!(o["queued"].as_u64(), Some(40 - sent as u64));
    assert!(sent < 40, "stopped before the end");

    let v = json_of(&ok(ws.run(&["--json", "mail", "send"])));
    assert_eq!((v["sent"].as_u64(), v["interrupted"].as_u64()), (Some(40 - sent as u64), Some(0)), "{v}");
    let mails = sink.mails();
    assert_eq!(mails.len(), 40);
    let mut to: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    to.sort_unstable();
    to.dedup();
    assert_eq!(to.len(), 40, "each user got exactly one");
}

#[test]
fn bulk_apply_mails_the_results_without_passwords_and_activates_new_users() {
    let sink = Sink::start();
    let ws = mail_ws(sink.port);
    let out = ok(ws.run(&["mail", "options", "--alert-to", "admin@corp.example", "--auto-send-on-create", "true", "--portal-url", PORTAL]));
    assert!(stdout(&out).contains("Activation     sent when a user is created without a password"), "{}", stdout(&out));
    let secret = "a long passphrase 42";
    let file = write_file(
        &ws,
        "people.csv",
        &format!("Action,Username,Email,Password\nadd,hana,hana@example.com,\nadd,ivan,ivan@example.com,{secret}\nadd,jack,jack@example.com,\n"),
    );
    let out = ok(ws.run(&["bulk", "apply", &file]));
    assert!(stdout(&out).contains("The results were mailed to admin@corp.example"), "{}", stdout(&out));

    let admin = sink.mails_to("admin@corp.example");
    assert_eq!(admin.len(), 1);
    assert!(admin[0].subject.starts_with("Bulk import result: people.csv: 3 created"), "{}", admin[0].subject);
    assert_eq!(admin[0].attachments.len(), 1);
    let (name, kind, csv) = &admin[0].attachments[0];
    assert_eq!((name.as_str(), kind.as_str()), ("people-results.csv", "text/csv"));
    let lines: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let password = lines[0].iter().position(|h| *h == "Password").unwrap_or_else(|| panic!("a Password column: {csv}"));
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1..].iter().all(|row| row[password].is_empty()), "the Password column is blank: {csv}");
    assert!(!csv.contains(secret));

    for user in ["hana", "jack"] {
        let got = sink.mails_to(&format!("{user}@example.com"));
        assert_eq!(got.len(), 1, "{user} was created without a password: an activation mail");
        assert!(got[0].text.contains(&format!("user={user}&src=roster")), "{}", got[0].text);
        assert!(ws.user(user)["invitedAt"].is_string());
    }
    assert!(sink.mails_to("ivan@example.com").is_empty(), "ivan has a password");

    // `user add` without a password sends it too.
    ws.add("kim");
    assert_eq!(sink.mails_to("kim@example.com").len(), 1);
    ok(ws.run(&["mail", "options", "--auto-send-on-create", "false"]));
    ws.add("lou");
    assert!(sink.mails_to("lou@example.com").is_empty());
}

#[test]
fn a_reminder_goes_to_invited_users_and_is_marked_in_the_outbox() {
    let sink = Sink::start();
    let ws = mail_ws(sink.port);
    ok(ws.run(&["mail", "options", "--portal-url", PORTAL]));
    ws.add("mia");
    ws.add("noah");
    ok(ws.run(&["mail", "send", "activation", "mia", "noah"]));

    let stats = ws.json(&["stats", "onboarding", "--remind-after-days", "0"]);
    assert_eq!((stats["invited"].as_u64(), stats["reminderDue"].as_u64(), stats["remindAfterDays"].as_u64()), (Some(2), Some(2), Some(0)), "{stats}");
    let text = stdout(&ok(ws.run(&["stats", "onboarding", "--remind-after-days", "0"])));
    assert!(text.contains("invited      2") && text.contains("reminder due 2"), "{text}");
    assert!(text.contains("roster mail send activation --reminder-after-days 0"), "{text}");
    let quiet = stdout(&ok(ws.run(&["stats", "onboarding"])));
    assert!(!quiet.contains("--reminder-after-days"), "nobody is due after 7 days: {quiet}");

    // More than ten years is refused by the core, naming the option's field, and nothing is queued.
    let out = ws.run(&["stats", "onboarding", "--remind-after-days", "4000"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("0 to 3650 days"), "{}", stderr(&out));
    let out = ws.run(&["mail", "send", "activation", "--reminder-after-days", "4000"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));

    // Nobody was mailed 30 days ago: nothing to queue.
    let v = json_of(&ok(ws.run(&["--json", "mail", "send", "activation", "--reminder-after-days", "30"])));
    assert_eq!(v["queued"]["queued"], 0, "{v}");

    let v = json_of(&ok(ws.run(&["--json", "mail", "send", "activation", "--reminder-after-days", "0"])));
    assert_eq!((v["queued"]["queued"].as_u64(), v["sent"]["sent"].as_u64()), (Some(2), Some(2)), "{v}");
    for user in ["mia", "noah"] {
        assert_eq!(sink.mails_to(&format!("{user}@example.com")).len(), 2);
        let rows: Vec<Value> = outbox(&ws).into_iter().filter(|m| m["username"] == user).collect();
        assert_eq!(rows.len(), 2);
        // Newest first: the reminder, then the first mail.
        assert_eq!((rows[0]["reminder"].as_bool(), rows[1]["reminder"].as_bool()), (Some(true), Some(false)), "{rows:?}");
        let u = ws.user(user);
        assert_ne!(u["invitedAt"], u["lastInvitedAt"], "{u}");
    }
    let table = stdout(&ok(ws.run(&["mail", "outbox"])));
    assert!(table.contains("activation (reminder)"), "{table}");
}

#[test]
fn templates_refuse_unknown_placeholders_and_preview_fills_them_in() {
    let sink = Sink::start();
    let ws = mail_ws(sink.port);
    ok(ws.run(&["mail", "options", "--organisation", "Acme", "--portal-url", PORTAL]));
    add_named(&ws, "lena", "lena@example.com", "Lena", "Lopez");

    let e = ws.fails(3, &["mail", "template", "set", "welcome", "--subject", "Hi {first_nmae}", "--text", "Hello"]);
    assert_eq!(e["error"]["code"], "validation");
    assert_eq!(e["error"]["fields"][0]["field"], "subject", "{e}");
    assert!(e["error"]["fields"][0]["message"].as_str().unwrap().contains("{first_nmae} is not a placeholder"), "{e}");
    let body = write_file(&ws, "welcome.txt", "Hello {first_name} {last_name}, sign in as {username} at {organisation}. {link}\n");
    let out = ws.run(&["mail", "template", "set", "welcome", "--subject", "Hi {first_name}", "--text-file", &body]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).starts_with("text: Plain text: {link} is not a placeholder of this mail"), "{}", stderr(&out));
    assert_eq!(ws.json(&["mail", "template", "show", "welcome"])["edited"], false, "nothing saved");

    std::fs::write(&body, "Hello {first_name} {last_name}, sign in as {username} at {organisation}.\n").unwrap();
    let out = ok(ws.run(&["mail", "template", "set", "welcome", "--subject", "Hi {first_name}", "--text-file", &body]));
    assert!(stdout(&out).starts_with("Saved the welcome template"), "{}", stdout(&out));
    let list = ws.json(&["mail", "template", "list"]);
    let edited: Vec<(&str, bool)> = list.as_array().unwrap().iter().map(|t| (t["kind"].as_str().unwrap(), t["edited"].as_bool().unwrap())).collect();
    assert_eq!(edited, [("activation", false), ("password_reset", false), ("welcome", true), ("bulk_result", false)]);

    let p = ws.json(&["mail", "template", "preview", "welcome", "--user", "lena"]);
    assert_eq!((p["to"].as_str(), p["subject"].as_str()), (Some("lena@example.com"), Some("Hi Lena")), "{p}");
    assert_eq!(p["text"], "Hello Lena Lopez, sign in as lena at Acme.\n");
    let text = stdout(&ok(ws.run(&["mail", "template", "preview", "activation", "--user", "lena"])));
    assert!(text.starts_with("To: lena@example.com\nSubject: Set up your Acme account\n"), "{text}");
    assert!(text.contains("Set your password here: https://login.example.com/reset?user=lena&src=roster"), "{text}");
    let sample = ws.json(&["mail", "template", "preview", "reset"]);
    assert_eq!(sample["to"], "ann@example.com", "a sample user without --user");
    assert_eq!(ws.fails(4, &["mail", "template", "preview", "welcome", "--user", "nobody"])["error"]["code"], "not_found");

    // A template without HTML sends a plain-text mail (no empty HTML part for mail apps to show).
    ok(ws.run(&["mail", "send", "welcome", "lena"]));
    let m = sink.mails_to("lena@example.com");
    assert_eq!(m.len(), 1);
    assert_eq!((m[0].subject.as_str(), m[0].text.trim_end()), ("Hi Lena", "Hello Lena Lopez, sign in as lena at Acme."));
    assert_eq!((m[0].content_type.as_str(), m[0].html.as_deref()), ("text/plain", None));

    let out = ok(ws.run(&["mail", "template", "reset", "welcome"]));
    assert_eq!(stdout(&out), "The welcome template is Roster's default again\n");
    let shown = stdout(&ok(ws.run(&["mail", "template", "show", "welcome"])));
    assert!(shown.starts_with("welcome (Roster's default)\nPlaceholders: {first_name}, {last_name}, {username}, {email}, {organisation}\nSubject: Welcome to {organisation}\n"), "{shown}");
}

#[test]
fn usage_errors() {
    let ws = Ws::new();
    let out = ws.run(&["mail", "send", "alice"]);
    assert_eq!(code(&out), 2, "a username is not a kind");
    let out = ws.run(&["mail", "send", "--all-not-onboarded"]);
    assert_eq!(code(&out), 2, "--all-not-onboarded needs the kind");
    let out = ws.run(&["mail", "send", "activation", "x", "--concurrency", "9"]);
    assert_eq!(code(&out), 2);
    assert_eq!(ws.fails(2, &["mail", "template", "set", "welcome", "--subject", "s"])["error"]["code"], "usage");
    // Mail is not set up: exit 1, nothing queued.
    ws.add("olga");
    let e = ws.fails(1, &["mail", "send", "activation", "olga"]);
    assert_eq!(e["error"]["code"], "not_configured");
    assert_eq!(ws.json(&["mail", "outbox"])["queued"], 0);
    let e = ws.fails(3, &["mail", "options", "--expires-days", "0", "--alert-to", "nope"]);
    let fields: Vec<&str> = e["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["alertTo", "expiresDays"], "{e}");
}
