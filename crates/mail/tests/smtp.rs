//! roster-mail against a real SMTP server: the aiosmtpd sink (see common/mod.rs), one per test.
//! What needs a trusted certificate authority is in tls.rs.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use common::{free_port, self_signed, Sink, FROM};
use roster_core::Secret;
use roster_mail::{Attachment, MailErrorCode, MailServer, OutgoingMail, Postman, Security};
use serde_json::Value;
fn numbered_mails(count: usize) -> Vec<OutgoingMail> {
    (0..count)
        .map(|i| {
            OutgoingMail::new(
                format!("user{i}@example.com"),
                format!("Mail {i}"),
                format!("Hello number {i}"),
            )
        })
        .collect()
}

/// Checks the sink got exactly mails `0..count` (by subject), each once, each to its own user.
fn assert_each_once(mails: &[Value], expected: impl IntoIterator<Item = usize>) {
    let expected: BTreeSet<usize> = expected.into_iter().collect();
    let mut seen = BTreeSet::new();
    for mail in mails {
        let subject = mail["subject"].as_str().unwrap();
        let i: usize = subject.strip_prefix("Mail ").unwrap().parse().unwrap();
        assert!(seen.insert(i), "mail {i} arrived twice");
        assert_eq!(
            mail["rcpt_to"],
            serde_json::json!([format!("user{i}@example.com")])
        );
    }
    assert_eq!(seen, expected);
}

#[test]
fn a_mail_arrives_with_its_recipients_both_bodies_and_attachments() {
    let sink = Sink::start();
    let postman = sink.postman();
    postman.test_connection().unwrap();

    let binary: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let csv = "Action,Username,Result\r\nadd,zoë,created\r\n"
        .as_bytes()
        .to_vec();
    let mail = OutgoingMail {
        to: vec![
            "Zoë Martin <zoe@example.com>".into(),
            "audit@example.com".into(),
        ],
        subject: "Bienvenue, Zoë — your account is ready".into(),
        text: "Hello Zoë,\n\nYour temporary password: Xq7-p2L!\n".into(),
        html: Some("<p>Hello Zoë,</p><p>Your temporary password: <b>Xq7-p2L!</b></p>".into()),
        attachments: vec![
            Attachment::new("résultats.csv", "text/csv; charset=utf-8", csv.clone()),
            Attachment::new("blob.bin", "application/octet-stream", binary.clone()),
        ],
    };
    postman.send(&mail).unwrap();

    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let got = &mails[0];
    assert_eq!(got["mail_from"], "roster@example.com");
    assert_eq!(
        got["rcpt_to"],
        serde_json::json!(["zoe@example.com", "audit@example.com"])
    );
    assert_eq!(got["from"], FROM);
    assert_eq!(got["to"], "Zoë Martin <zoe@example.com>, audit@example.com");
    assert_eq!(got["subject"], mail.subject);
    assert!(
        got["message_id"].as_str().unwrap().starts_with('<'),
        "{got}"
    );
    assert_eq!(
        got["text"].as_str().unwrap().replace("\r\n", "\n"),
        mail.text
    );
    assert_eq!(
        got["html"].as_str().unwrap().trim_end(),
        mail.html.as_deref().unwrap()
    );

    let attachments = got["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2, "{got}");
    assert_eq!(attachments[0]["file_name"], "résultats.csv");
    assert_eq!(attachments[0]["content_type"], "text/csv");
    assert_eq!(
        BASE64
            .decode(attachments[0]["bytes_base64"].as_str().unwrap())
            .unwrap(),
        csv
    );
    assert_eq!(attachments[1]["file_name"], "blob.bin");
    assert_eq!(attachments[1]["content_type"], "application/octet-stream");
    assert_eq!(
        BASE64
            .decode(attachments[1]["bytes_base64"].as_str().unwrap())
            .unwrap(),
        binary
    );
}

#[test]
fn a_text_only_mail_has_no_html_part() {
    let sink = Sink::start();
    sink.postman()
        .send(&OutgoingMail::new("ann@example.com", "Plain", "Just text."))
        .unwrap();
    let mails = sink.mails();
    assert_eq!(mails[0]["text"].as_str().unwrap().trim_end(), "Just text.");
    assert_eq!(mails[0]["html"], Value::Null);
    assert_eq!(mails[0]["attachments"], serde_json::json!([]));
}

#[test]
fn a_refused_port_is_unreachable_and_named() {
    let port = free_port(); // nothing listens there any more
    let server = MailServer::new("127.0.0.1", port, Security::None, FROM);
    let postman = Postman::new(server, None).unwrap();

    let err = postman.test_connection().unwrap_err();
    assert_eq!(err.code(), MailErrorCode::Unreachable, "{err}");
    assert!(
        err.message().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.message().to_lowercase().contains("refused"), "{err}");

    let err = postman
        .send(&OutgoingMail::new("ann@example.com", "s", "t"))
        .unwrap_err();
    assert_eq!(err.code(), MailErrorCode::Unreachable, "{err}");
    assert!(
        err.message().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts and then says nothing (no greeting), until the client gives up.
    let silent = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
    });
    let mut server = MailServer::new("127.0.0.1", port, Security::None, FROM);
    server.timeout = Duration::from_millis(500);
    let started = Instant::now();
    let err = Postman::new(server, None)
        .unwrap()
        .test_connection()
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(err.code(), MailErrorCode::Timeout, "{err}");
    assert!(
        err.message().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.message().contains("0.5 s"), "{err}");
    silent.join().unwrap();
}

#[test]
fn tls_certificates_are_verified_by_default() {
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(certs.path());

    // TLS from the first byte, with a certificate no one vouches for.
    let sink = Sink::start_with(&["--smtpscert", &cert, "--smtpskey", &key]);
    let mut server = sink.server();
    server.host = "localhost".into();
    server.security = Security::Tls;
    let err = Postman::new(server, None)
        .unwrap()
        .test_connection()
        .unwrap_err();
    assert_eq!(err.code(), MailErrorCode::Tls, "{err}");
    assert!(
        err.message().contains(&format!("localhost:{}", sink.port)),
        "{err}"
    );
    assert!(
        err.message().to_lowercase().contains("certificate"),
        "{err}"
    );

    // STARTTLS with the same certificate.
    let sink = Sink::start_with(&["--tlscert", &cert, "--tlskey", &key]);
    let mut server = sink.server();
    server.host = "localhost".into();
    server.security = Security::StartTls;
    let postman = Postman::new(server, None).unwrap();
    let err = postman
        .send(&OutgoingMail::new("ann@example.com", "s", "t"))
        .unwrap_err();
    assert_eq!(err.code(), MailErrorCode::Tls, "{err}");
    assert!(sink.mails().is_empty());
}

#[test]
fn starttls_is_never_skipped_when_chosen() {
    let sink = Sink::start(); // offers no STARTTLS
    let mut server = sink.server();
    server.security = Security::StartTls;
    let err = Postman::new(server, None)
        .unwrap()
        .send(&OutgoingMail::new("ann@example.com", "s", "t"))
        .unwrap_err();
    assert_eq!(err.code(), MailErrorCode::Tls, "{err}");
    assert!(err.message().contains("STARTTLS"), "{err}");
    assert!(
        err.message().contains(&format!("127.0.0.1:{}", sink.port)),
        "{err}"
    );
    assert!(sink.mails().is_empty());
}

#[test]
fn login_works_and_a_wrong_password_is_auth_failed_without_the_password() {
    let sink = Sink::start_script(&["--auth", "mailer:right-horse-battery"]);
    let mut server = sink.server();
    server.user = Some("mailer".into());

    let postman = Postman::new(
        server.clone(),
        Some(Secret::new("right-horse-battery".into())),
    )
    .unwrap();
    postman
        .send(&OutgoingMail::new("ann@example.com", "Logged in", "t"))
        .unwrap();
    assert_eq!(sink.mails().len(), 1);

    let wrong = "wrong-staple-9f3k";
    let postman = Postman::new(server.clone(), Some(Secret::new(wrong.into()))).unwrap();
    let err = postman.test_connection().unwrap_err();
    assert_eq!(err.code(), MailErrorCode::AuthFailed, "{err}");
    assert_eq!(err.reply_code(), Some(535), "{err}");
    assert!(
        err.message().contains(&format!("127.0.0.1:{}", sink.port)),
        "{err}"
    );
    assert!(err.message().contains("\"mailer\""), "{err}");
    let shown = format!("{err} {err:?} {postman:?}");
    assert!(
        !shown.contains(wrong) && !shown.contains(&BASE64.encode(wrong)),
        "{shown}"
    );
    let err = postman
        .send(&OutgoingMail::new("ann@example.com", "s", "t"))
        .unwrap_err();
    assert_eq!(err.code(), MailErrorCode::AuthFailed, "{err}");

    // No login at all: the server asks for one.
    let err = Postman::new(sink.server(), None)
        .unwrap()
        .send(&OutgoingMail::new("ann@example.com", "s", "t"))
        .unwrap_err();
    assert_eq!(err.code(), MailErrorCode::AuthFailed, "{err}");
    assert_eq!(err.reply_code(), Some(530), "{err}");

    // A user without a password is refused before anything is sent.
    let err = Postman::new(server, None).unwrap_err();
    assert_eq!(err.code(), MailErrorCode::AuthFailed, "{err}");
    assert_eq!(sink.mails().len(), 1);
}

#[test]
fn a_login_on_a_server_that_offers_none_is_auth_failed() {
    let sink = Sink::start(); // advertises no AUTH
    let mut server = sink.server();
    server.user = Some("mailer".into());
    let err = Postman::new(server, Some(Secret::new("pw".into())))
        .unwrap()
        .test_connection()
        .unwrap_err();
    assert_eq!(err.code(), MailErrorCode::AuthFailed, "{err}");
    assert!(
        err.message().contains(&format!("127.0.0.1:{}", sink.port)),
        "{err}"
    );
}

#[test]
fn a_refused_recipient_is_rejected_with_the_servers_reason() {
    let sink = Sink::start_script(&["--reject", "nobody@example.com"]);
    let postman = sink.postman();
    let err = postman
        .send(&OutgoingMail::new("nobody@example.com", "s", "t"))
        .unwrap_err();
    assert_eq!(err.code(), MailErrorCode::Rejected, "{err}");
    assert_eq!(err.reply_code(), Some(550));
    assert!(err.message().contains("no such user here"), "{err}");
    assert!(
        err.message().contains(&format!("127.0.0.1:{}", sink.port)),
        "{err}"
    );

    // The connection is still good for the next mail.
    postman
        .send(&OutgoingMail::new("ann@example.com", "After", "t"))
        .unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["subject"], "After");
}

#[test]
fn invalid_addresses_are_refused_before_anything_is_sent() {
    let sink = Sink::start();
    let err = Postman::new(
        MailServer::new("127.0.0.1", sink.port, Security::None, "not an address"),
        None,
    )
    .unwrap_err();
    assert_eq!(err.code(), MailErrorCode::InvalidAddress, "{err}");
    assert!(err.message().contains("\"not an address\""), "{err}");

    let err = sink
        .postman()
        .send(&OutgoingMail::new("ann@@example", "s", "t"))
        .unwrap_err();
    assert_eq!(err.code(), MailErrorCode::InvalidAddress, "{err}");
    assert!(err.message().contains("\"ann@@example\""), "{err}");
    assert!(sink.mails().is_empty());
}

#[test]
fn send_many_delivers_each_mail_exactly_once() {
    let sink = Sink::start();
    let mails = numbered_mails(200);
    let reported = Mutex::new(Vec::new());
    let tally = sink.postman().send_many(
        &mails,
        4,
        |i, result| {
            result.unwrap();
            reported.lock().unwrap().push(i);
        },
        || false,
    );
    assert_eq!((tally.sent, tally.failed, tally.cancelled), (200, 0, false));
    assert!(tally.stopped_by.is_none());
    let mut reported = reported.into_inner().unwrap();
    reported.sort_unstable();
    assert_eq!(reported, (0..200).collect::<Vec<_>>());
    assert_each_once(&sink.mails(), 0..200);
}

#[test]
fn send_many_owned_mails_one_connection() {
    let sink = Sink::start();
    let tally = sink
        .postman()
        .send_many(numbered_mails(20), 1, |_, r| r.unwrap(), || false);
    assert_eq!(tally.sent, 20);
    assert_each_once(&sink.mails(), 0..20);
}

#[test]
fn cancel_stops_starting_new_mails() {
    let sink = Sink::start();
    let mails = numbered_mails(200);
    let done = AtomicUsize::new(0);
    let reported = Mutex::new(Vec::new());
    let tally = sink.postman().send_many(
        &mails,
        4,
        |i, result| {
            result.unwrap();
            reported.lock().unwrap().push(i);
            done.fetch_add(1, Ordering::SeqCst);
        },
        || done.load(Ordering::SeqCst) >= 20,
    );
    assert!(tally.cancelled);
    // Those under way when the cancel came still finish: at most one per connection.
    assert!((20..20 + 4).contains(&tally.sent), "{tally:?}");
    assert_eq!(tally.failed, 0);
    let reported = reported.into_inner().unwrap();
    assert_eq!(reported.len(), tally.sent);
    assert_each_once(&sink.mails(), reported);
}

#[test]
fn send_many_stops_when_the_server_is_unreachable() {
    let port = free_port();
    let postman = Postman::new(
        MailServer::new("127.0.0.1", port, Security::None, FROM),
        None,
    )
    .unwrap();
    let calls = AtomicUsize::new(0);
    let tally = postman.send_many(
        numbered_mails(100),
        4,
        |_, result| {
            assert_eq!(result.unwrap_err().code(), MailErrorCode::Unreachable);
            calls.fetch_add(1, Ordering::SeqCst);
        },
        || false,
    );
    let stopped_by = tally
        .stopped_by
        .as_ref()
        .expect("stopped by the refused connection");
    assert_eq!(stopped_by.code(), MailErrorCode::Unreachable);
    assert!(
        stopped_by.message().contains(&format!("127.0.0.1:{port}")),
        "{stopped_by}"
    );
    assert_eq!(tally.sent, 0);
    assert!((1..=4).contains(&tally.failed), "{tally:?}");
    assert_eq!(calls.load(Ordering::SeqCst), tally.failed);
}

/// Mails per second for 1000 mails on 1 and on 4 connections (`cargo test -p roster-mail --test
/// smtp -- --ignored --nocapture send_many_rate`).
#[test]
#[ignore = "a measurement, not a check: run by hand"]
fn send_many_rate() {
    let count = 1000;
    for concurrency in [1, 2, 4, 8] {
        let sink = Sink::start();
        let postman = sink.postman();
        postman.test_connection().unwrap();
        let started = Instant::now();
        let tally = postman.send_many(
            numbered_mails(count),
            concurrency,
            |_, r| r.unwrap(),
            || false,
        );
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(tally.sent, count);
        println!(
            "send_many({count}, concurrency {concurrency}): {seconds:.2} s, {:.0} mails/s",
            count as f64 / seconds
        );
    }
}
