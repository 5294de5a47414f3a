//! The mail outbox against a real SMTP sink (aiosmtpd): activation by portal link and by
//! temporary password, invitations and reminders, reset and welcome mails, a send killed
//! half way, the server down, cancel, auto-send on create and bulk add, the bulk result
//! mail with its attachment, templates and preview.

mod common;
#[path = "../../mail/tests/common/mod.rs"]
mod sink;

use std::sync::atomic::{AtomicU64, Ordering};

use roster_workspace::{
    BulkApplyOptions, ErrorCode, MailOptionsInput, MailQueueInput, MailSetupInput, MailTemplateInput, OutboxQuery, Progress, Silent,
    UserInput, Workspace, INTERRUPTED,
};
use serde_json::Value;
use sink::Sink;

const PORTAL: &str = "https://login.example.com/reset?user={username}";

fn setup(ws: &mut Workspace, port: u16) {
    ws.mail_setup(MailSetupInput {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: "none".into(),
        user: String::new(),
        from: "it@example.com".into(),
        password: None,
    })
    .unwrap();
}

fn add(ws: &mut Workspace, username: &str, first: &str, password: Option<&str>) {
    ws.add_user(UserInput {
        username: username.into(),
        email: format!("{username}@example.com"),
        first_name: first.into(),
        password: password.map(|p| roster_core::Secret::new(p.to_owned())),
        ..UserInput::default()
    })
    .unwrap();
}

fn activation(usernames: &[&str]) -> MailQueueInput {
    MailQueueInput { kind: "activation".into(), usernames: usernames.iter().map(|u| u.to_string()).collect(), ..MailQueueInput::default() }
}

fn portal(ws: &mut Workspace) {
    ws.mail_options_set(MailOptionsInput { portal_url: Some(PORTAL.into()), organisation: Some("Acme".into()), ..MailOptionsInput::default() }).unwrap();
}

fn to(mail: &Value) -> String {
    mail["rcpt_to"][0].as_str().unwrap().to_owned()
}

fn sql<T: rusqlite::types::FromSql>(dir: &tempfile::TempDir, query: &str) -> T {
    let c = rusqlite::Connection::open(dir.path().join("w.roster")).unwrap();
    c.query_row(query, [], |r| r.get(0)).unwrap()
}

#[test]
fn activation_mails_carry_the_portal_link_make_users_invited_and_reminders_go_only_when_asked() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    setup(&mut ws, sink.port);
    portal(&mut ws);
    add(&mut ws, "ann.lee", "Ann", None);
    add(&mut ws, "bo", "", None);
    add(&mut ws, "cy", "Cy", Some("Correct-horse-battery-9"));

    let all = MailQueueInput { kind: "activation".into(), all_not_onboarded: true, ..MailQueueInput::default() };
    let done = ws.mail_send_to(all.clone(), 4, &Silent).unwrap();
    assert_eq!((done.queued.queued, done.sent.sent, done.sent.failed, done.sent.queued), (2, 2, 0, 0), "{done:?}");

    let mut mails = sink.mails();
    mails.sort_by_key(to);
    assert_eq!(mails.iter().map(to).collect::<Vec<_>>(), ["ann.lee@example.com", "bo@example.com"]);
    let ann = &mails[0];
    assert_eq!(ann["subject"], "Set up your Acme account");
    assert_eq!(ann["from"], "it@example.com");
    let text = ann["text"].as_str().unwrap();
    assert!(text.starts_with("Hello Ann,") && text.contains("Set your password here: https://login.example.com/reset?user=ann.lee"), "{text}");
    assert!(text.contains("This expires on 2026-12-06."), "7 days after the fixed clock: {text}");
    assert!(ann["html"].as_str().unwrap().contains(r#"<a href="https://login.example.com/reset?user=ann.lee">"#));
    assert!(mails[1]["text"].as_str().unwrap().starts_with("Hello bo,"), "no first name: the username");

    let view = ws.get_user("ann.lee").unwrap();
    assert_eq!(view.invited_at.as_deref(), Some("2026-11-29T10:00:00Z"));
    assert!(!view.onboarded);
    let stats = ws.onboarding_stats(Some(7)).unwrap();
    assert_eq!((stats.not_onboarded, stats.invited, stats.reminder_due), (2, 2, 0));
    assert_eq!(ws.onboarding_stats(Some(0)).unwrap().reminder_due, 2, "mailed at least 0 days ago");

    // Asking again: the invited are not mailed twice; one named explicitly is refused with why.
    let again = ws.mail_send_to(all, 4, &Silent).unwrap();
    assert_eq!((again.queued.queued, again.sent.sent), (0, 0));
    let onboarded = ws.mail_queue(activation(&["cy"])).unwrap();
    assert_eq!(onboarded.skipped[0].code, "onboarded");
    assert_eq!(ws.mail_queue(activation(&["nobody"])).unwrap_err().code, ErrorCode::NotFound);

    // A reminder to those last mailed at least 0 days ago: both, marked as reminders.
    let remind = MailQueueInput { kind: "activation".into(), reminder_after_days: Some(0), ..MailQueueInput::default() };
    let reminded = ws.mail_send_to(remind, 4, &Silent).unwrap();
    assert_eq!((reminded.queued.queued, reminded.sent.sent), (2, 2));
    assert_eq!(sink.mails().len(), 4);
    let outbox = ws.mail_outbox(&OutboxQuery::default()).unwrap();
    assert_eq!((outbox.sent, outbox.queued, outbox.failed), (4, 0, 0));
    assert!(outbox.mails[..2].iter().all(|m| m.reminder && m.state == "sent" && m.subject == "Set up your Acme account"));
    assert_eq!(sql::<i64>(&dir, "SELECT mails FROM invitations i JOIN users u ON u.seq = i.user_seq WHERE u.username = 'bo'"), 2);

    // Setting a password (here by a bulk update) ends the invitation.
    let plan = ws.bulk_plan_bytes(b"Action,Username,Password\nupdate,bo,Tr0ub4dor-and-more\n".to_vec(), "pw.csv", &Silent).unwrap();
    ws.bulk_apply(&plan, &BulkApplyOptions::default(), &Silent).unwrap();
    assert_eq!(ws.onboarding_stats(None).unwrap().invited, 1);
    assert_eq!(ws.get_user("bo").unwrap().invited_at, None);
}

#[test]
fn a_temporary_password_is_mailed_and_only_its_hash_is_kept() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    setup(&mut ws, sink.port);
    add(&mut ws, "dee", "Dee", None);
    add(&mut ws, "eve", "Eve", Some("Correct-horse-battery-9"));
    assert_eq!(ws.mail_options().unwrap().reset_method, "temporary_password");

    assert_eq!(ws.mail_send_to(activation(&["dee"]), 1, &Silent).unwrap().sent.sent, 1);
    let reset = ws.send_password_reset("eve").unwrap();
    assert_eq!(reset.message, "Sent the password reset mail to eve@example.com");
    let welcome = MailQueueInput { kind: "welcome".into(), usernames: vec!["eve".into()], ..MailQueueInput::default() };
    assert_eq!(ws.mail_send_to(welcome, 1, &Silent).unwrap().sent.sent, 1);

    let mails = sink.mails();
    let find = |who: &str, subject: &str| mails.iter().find(|m| to(m) == who && m["subject"].as_str().unwrap().contains(subject)).unwrap().clone();
    let password_in = |m: &Value| {
        let text = m["text"].as_str().unwrap();
        let line = text.lines().find_map(|l| l.strip_prefix("Your temporary password: ")).unwrap_or_else(|| panic!("{text}"));
        assert!(m["html"].as_str().unwrap().contains(&format!("<code>{line}</code>")));
        line.to_owned()
    };
    let dee = password_in(&find("dee@example.com", "Set up your"));
    let eve = password_in(&find("eve@example.com", "Reset your"));
    assert_eq!(dee.len(), 23);
    assert_ne!(dee, eve);
    assert!(find("eve@example.com", "Welcome to").get("text").unwrap().as_str().unwrap().contains("You sign in as eve"));

    // Dee (not onboarded) is invited with the temporary password's hash; still not onboarded.
    let hash: String = sql(&dir, "SELECT temporary_password_hash FROM invitations");
    assert!(hash.starts_with("$argon2id$"));
    assert!(roster_core::PasswordHash::from_phc(&hash).unwrap().verify(&dee));
    assert!(!ws.get_user("dee").unwrap().onboarded);
    // Eve's password is now the temporary one, expired at once.
    let eve_hash: String = sql(&dir, "SELECT password_hash FROM users WHERE username = 'eve'");
    assert!(roster_core::PasswordHash::from_phc(&eve_hash).unwrap().verify(&eve));
    assert_eq!(ws.get_user("eve").unwrap().password_expires_at.as_deref(), Some("2026-11-29"));

    // Neither plain password is anywhere in the workspace file (or its WAL).
    drop(ws);
    for file in ["w.roster", "w.roster-wal"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
        for p in [&dee, &eve] {
            assert!(!bytes.windows(p.len()).any(|w| w == p.as_bytes()), "{p} found in {file}");
        }
    }
}

#[test]
fn a_mail_left_in_flight_by_a_killed_run_is_failed_not_sent_again_and_retry_sends_it_once() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    setup(&mut ws, sink.port);
    portal(&mut ws);
    for u in ["fay", "gus", "hal"] {
        add(&mut ws, u, "", None);
    }
    assert_eq!(ws.mail_queue(activation(&["fay", "gus", "hal"])).unwrap().queued, 3);
    // A run claimed gus's mail and was killed: the row stays 'sending'.
    let c = rusqlite::Connection::open(dir.path().join("w.roster")).unwrap();
    c.execute("UPDATE mail_outbox SET state = 'sending', attempts = 1 WHERE recipient = 'gus@example.com'", []).unwrap();

    let resumed = ws.mail_send(4, &Silent).unwrap();
    assert_eq!((resumed.interrupted, resumed.sent, resumed.failed), (1, 2, 0));
    let mut got: Vec<String> = sink.mails().iter().map(to).collect();
    got.sort();
    assert_eq!(got, ["fay@example.com", "hal@example.com"]);
    let failed = ws.mail_outbox(&OutboxQuery { state: Some("failed".into()), ..OutboxQuery::default() }).unwrap();
    assert_eq!(failed.mails.len(), 1);
    assert_eq!((failed.mails[0].error_code.as_deref(), failed.mails[0].username.as_deref()), (Some(INTERRUPTED), Some("gus")));
    assert!(failed.mails[0].error.as_deref().unwrap().contains("may have been delivered"));

    // Asking for gus's activation again is refused: it may have arrived.
    assert_eq!(ws.mail_queue(activation(&["gus"])).unwrap().skipped[0].code, INTERRUPTED);
    // The admin retries it: it goes once.
    let retried = ws.mail_retry(Some(vec![failed.mails[0].id]), 4, &Silent).unwrap();
    assert_eq!((retried.sent, retried.interrupted), (1, 0));
    assert_eq!(sink.mails().iter().filter(|m| to(m) == "gus@example.com").count(), 1);
    let outbox = ws.mail_outbox(&OutboxQuery::default()).unwrap();
    let gus = outbox.mails.iter().find(|m| m.username.as_deref() == Some("gus")).unwrap();
    assert_eq!((gus.state.as_str(), gus.attempts), ("sent", 2));
}

#[test]
fn with_the_server_down_mails_stay_queued_with_the_reason_and_go_on_retry() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    let down = sink::free_port();
    setup(&mut ws, down);
    portal(&mut ws);
    add(&mut ws, "ida", "Ida", None);
    add(&mut ws, "jo", "Jo", None);

    let done = ws.mail_send_to(activation(&["ida", "jo"]), 4, &Silent).unwrap();
    assert_eq!((done.sent.sent, done.sent.failed, done.sent.queued), (0, 0, 2), "{done:?}");
    let stopped = done.sent.stopped_by.unwrap();
    assert_eq!(stopped.code, "unreachable");
    assert!(stopped.message.contains(&format!("127.0.0.1:{down}")), "{}", stopped.message);
    let outbox = ws.mail_outbox(&OutboxQuery::default()).unwrap();
    assert_eq!(outbox.queued, 2);
    assert!(
        outbox.mails.iter().all(|m| m.error_code.as_deref() == Some("unreachable") && m.error.as_deref().unwrap().contains(&format!("127.0.0.1:{down}"))),
        "every waiting mail gives the reason, tried or not: {:?}",
        outbox.mails
    );
    assert_eq!(ws.send_password_reset("ida").unwrap_err().code, ErrorCode::Remote);
    assert!(ws.get_user("ida").unwrap().invited_at.is_none());

    let sink = Sink::start();
    setup(&mut ws, sink.port);
    let retried = ws.mail_retry(None, 4, &Silent).unwrap();
    assert_eq!((retried.sent, retried.queued, retried.failed), (3, 0, 0), "two activations and the reset");
    assert_eq!(sink.mails().len(), 3);
    assert!(ws.get_user("jo").unwrap().invited_at.is_some());
}

/// Cancels once `after` mails were reported done.
struct CancelAfter {
    after: u64,
    done: AtomicU64,
}

impl Progress for CancelAfter {
    fn update(&self, done: u64, _total: u64) {
        self.done.store(done, Ordering::SeqCst);
    }
    fn is_cancelled(&self) -> bool {
        self.done.load(Ordering::SeqCst) >= self.after
    }
}

#[test]
fn cancelling_leaves_the_rest_queued_and_a_send_without_mail_set_up_changes_nothing() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    for i in 0..40 {
        add(&mut ws, &format!("u{i:02}"), "", None);
    }
    let all = MailQueueInput { kind: "activation".into(), all_not_onboarded: true, ..MailQueueInput::default() };
    assert_eq!(ws.mail_send_to(all.clone(), 2, &Silent).unwrap_err().code, ErrorCode::NotConfigured);
    assert_eq!(ws.mail_outbox(&OutboxQuery::default()).unwrap().queued, 0, "nothing queued without mail");

    setup(&mut ws, sink.port);
    portal(&mut ws);
    let cancel = CancelAfter { after: 1, done: AtomicU64::new(0) };
    let done = ws.mail_send_to(all, 2, &cancel).unwrap();
    assert!(done.sent.cancelled);
    assert_eq!(done.queued.queued, 40);
    assert!(done.sent.sent >= 1 && done.sent.sent < 40, "{done:?}");
    assert_eq!(done.sent.sent + done.sent.queued, 40);
    assert_eq!(sink.mails().len() as u64, done.sent.sent);
    let outbox = ws.mail_outbox(&OutboxQuery::default()).unwrap();
    assert_eq!((outbox.sending, outbox.failed), (0, 0), "released, not left in flight");
    assert!(outbox.mails.iter().filter(|m| m.state == "queued").all(|m| m.attempts == 0));

    let rest = ws.mail_send(2, &Silent).unwrap();
    assert_eq!(rest.sent + done.sent.sent, 40);
    let mut got: Vec<String> = sink.mails().iter().map(to).collect();
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 40, "each user got exactly one");
    assert_eq!(sink.mails().len(), 40);
}

#[test]
fn auto_send_on_create_and_bulk_add_and_the_bulk_result_goes_to_the_admin_with_its_file() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    setup(&mut ws, sink.port);
    ws.mail_options_set(MailOptionsInput {
        portal_url: Some(PORTAL.into()),
        alert_to: Some("admin@example.com".into()),
        auto_send_on_create: Some(true),
        ..MailOptionsInput::default()
    })
    .unwrap();
    add(&mut ws, "kim", "Kim", None);
    add(&mut ws, "lou", "Lou", Some("Correct-horse-battery-9"));
    assert_eq!(sink.mails().iter().map(to).collect::<Vec<_>>(), ["kim@example.com"], "only the user without a password");

    let csv = "Action,Username,Email,First Name,Password\nadd,max,max@example.com,Max,\nadd,ned,ned@example.com,Ned,Secret-passphrase-77\nadd,oz,oz@example.com,,\nadd,bad,not-an-email,,\n";
    let plan = ws.bulk_plan_bytes(csv.as_bytes().to_vec(), "hr.csv", &Silent).unwrap();
    let result = ws.bulk_apply(&plan, &BulkApplyOptions { skip_invalid: true, confirmed_deletes: None }, &Silent).unwrap();
    assert_eq!((result.created, result.failed), (3, 1));
    assert_eq!(result.alert.status, "sent", "{:?}", result.alert);
    assert_eq!(result.alert.message, "The results were mailed to admin@example.com");

    let mails = sink.mails();
    let mut activations: Vec<String> = mails.iter().filter(|m| m["subject"].as_str().unwrap().starts_with("Set up")).map(to).collect();
    activations.sort();
    assert_eq!(activations, ["kim@example.com", "max@example.com", "oz@example.com"]);
    let alert = mails.iter().find(|m| to(m) == "admin@example.com").expect("the bulk result mail");
    assert_eq!(alert["subject"], "Bulk import result: hr.csv: 3 created, 0 updated, 0 deleted, 0 unchanged, 1 failed");
    let attachment = &alert["attachments"][0];
    assert_eq!(attachment["file_name"], "hr-results.csv");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(attachment["bytes_base64"].as_str().unwrap()).unwrap();
    let file = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines[0], "Action,Username,Email,First Name,Password,Result,Message");
    assert!(lines[2].starts_with("add,ned,ned@example.com,Ned,,created,"), "the password is blanked: {}", lines[2]);
    assert!(!file.contains("Secret-passphrase-77"));
    assert!(lines[4].starts_with("add,bad,not-an-email,,,failed,"), "{}", lines[4]);
}

#[test]
fn templates_are_checked_used_previewed_and_reset() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    setup(&mut ws, sink.port);
    portal(&mut ws);
    add(&mut ws, "pia", "Pia", None);

    let bad = MailTemplateInput { kind: "welcome".into(), subject: "Hi {first_nmae}".into(), text: "Welcome".into(), html: String::new() };
    let e = ws.mail_template_save(bad.clone()).unwrap_err();
    assert_eq!((e.code, e.fields[0].field.as_str(), e.fields[0].code.as_str()), (ErrorCode::Validation, "subject", "invalid_value"));
    assert_eq!(ws.mail_preview(bad, None).unwrap_err().code, ErrorCode::Validation);

    let mine = MailTemplateInput {
        kind: "welcome".into(),
        subject: "Hi {first_name} from {organisation}".into(),
        text: "You are {username}.".into(),
        html: "<b>{username}</b>".into(),
    };
    let preview = ws.mail_preview(mine.clone(), Some("pia")).unwrap();
    assert_eq!((preview.to.as_str(), preview.subject.as_str(), preview.text.as_str()), ("pia@example.com", "Hi Pia from Acme", "You are pia."));
    assert_eq!(ws.mail_preview(mine.clone(), None).unwrap().subject, "Hi Ann from Acme", "a sample user");
    let saved = ws.mail_template_save(mine).unwrap();
    assert!(saved.edited);
    let welcome = MailQueueInput { kind: "welcome".into(), usernames: vec!["pia".into()], ..MailQueueInput::default() };
    ws.mail_send_to(welcome.clone(), 1, &Silent).unwrap();
    assert_eq!(sink.mails()[0]["html"].as_str().unwrap().trim(), "<b>pia</b>");

    let reset = ws.mail_template_reset("welcome").unwrap();
    assert!(!reset.edited && reset.subject == "Welcome to {organisation}");
    assert_eq!(ws.mail_templates().unwrap().len(), 4);
    ws.mail_send_to(welcome, 1, &Silent).unwrap();
    assert!(sink.mails().iter().any(|m| m["subject"] == "Welcome to Acme"));
}

#[test]
fn one_sender_at_a_time_so_a_second_never_takes_the_firsts_mails_in_flight_for_interrupted_ones() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    setup(&mut ws, sink.port);
    portal(&mut ws);
    add(&mut ws, "quin", "", None);
    ws.mail_queue(activation(&["quin"])).unwrap();
    // Another process is sending (it holds the lock, its mail in flight).
    let c = rusqlite::Connection::open(dir.path().join("w.roster")).unwrap();
    c.execute("UPDATE mail_outbox SET state = 'sending'", []).unwrap();
    let other = std::fs::File::create(dir.path().join("w.roster.mail-lock")).unwrap();
    other.lock().unwrap();

    let e = ws.mail_send(4, &Silent).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("Another Roster"), "{}", e.message);
    assert_eq!(ws.mail_outbox(&OutboxQuery::default()).unwrap().sending, 1, "the other run's mail is left alone");

    // That process ended without recording its mail: now it counts as interrupted.
    drop(other);
    let after = ws.mail_send(4, &Silent).unwrap();
    assert_eq!((after.interrupted, after.sent), (1, 0));
    assert!(sink.mails().is_empty());
}
