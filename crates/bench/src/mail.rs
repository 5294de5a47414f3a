//! The mail section (issue 5, "Sending many"): `mails` activation mails to a local SMTP sink
//! through Roster's outbox, beside a plain serial sender over one connection, in one run.
//!
//! 1. The sink: PyPI aiosmtpd from the venv scripts/setup makes (target/test-python), with its
//!    `Sink` handler, which discards every mail, on a free 127.0.0.1 port; started here and
//!    stopped at the end. Its CPU time is read from /proc around each measurement, to show it
//!    is not what limits the figures.
//! 2. Roster: a fresh workspace with `mails` users without a password (one bulk add), mail set
//!    up without login or TLS to the sink, a portal link as the way to a password; then
//!    `mail_send_to(activation, all_not_onboarded)` timed end to end (queue, render, send,
//!    record each mail as sent and each user as invited), with [`DEFAULT_CONCURRENCY`]
//!    connections. For information, the same with 1 and with 8 connections (fresh workspaces).
//! 3. The baseline: the same mails (same recipients, the default activation template rendered
//!    by `roster_core::mail::render` with the same values, checked against the workspace's
//!    own preview), rendered beforehand, then sent one after another with
//!    `roster_mail::Postman::send`: one connection, reused.
//!
//! On one connection lettre 0.11.23 spends about 45 ms a mail waiting: it writes the body,
//! then the closing `\r\n.\r\n` in a second small write on a socket without `TCP_NODELAY`,
//! which Nagle holds back until the server's delayed ACK (40 ms on Linux). Connections at once
//! overlap those waits. Were they gone (about 0.5 ms a mail), this one-threaded Python sink
//! would be what limits both sides, and the sink line says so.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use roster_core::mail::{render, MailKind, MailTemplate, MailValues, PortalUrl};
use roster_mail::{MailServer, OutgoingMail, Postman, Security};
use roster_testkit::{aiosmtpd, package_version, LoopbackServer};
use roster_tests::csvgen::{write_csv, CsvKind, CsvSpec, GeneratedUser};
use roster_workspace::{
    BulkApplyOptions, MailOptionsInput, MailQueueInput, MailSetupInput, MailTemplateInput, Silent, Workspace, DEFAULT_CONCURRENCY,
};

use crate::verdict;

pub const DEFAULT_MAILS: u64 = 1_000;
/// Mails per second through the outbox over the plain serial sender's.
const TARGET_RATIO: f64 = 2.0;
const SEED: u64 = 5;
const FROM: &str = "roster@example.com";
const PORTAL: &str = "https://login.example.com/reset?user={username}";
/// The connection counts measured for information only, beside [`DEFAULT_CONCURRENCY`].
const INFO_CONCURRENCY: [usize; 2] = [1, 8];
/// The sink's share of one core above which it may be what limits a figure.
const SINK_BUSY_LIMIT: f64 = 0.5;

pub fn run(mails: u64, extra: bool) {
    require_python("mail", "aiosmtpd", "the SMTP sink is missing: no python with PyPI aiosmtpd");
    let dir = roster_tests::paths::target_dir().join("bench").join("mail");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create target/bench/mail");
    let users: Vec<GeneratedUser> = (0..mails).map(|i| GeneratedUser::new(SEED, i, false)).collect();
    let mut csv = Vec::new();
    write_csv(&mut csv, &CsvSpec { rows: mails, kind: CsvKind::Add, seed: SEED, passwords: false, start: 0 }).expect("write the users CSV");

    let sink = Sink::start();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    // Roster first, then the baseline, then the informative runs: each its own workspace.
    let roster = send_through_outbox(&sink, &dir, &csv, mails, DEFAULT_CONCURRENCY);
    let baseline_mails = baseline_mails(&dir, &csv, &users, mails, sink.port);
    println!(
        "mail: sink aiosmtpd {} (handlers.Sink: discards each mail) on 127.0.0.1:{}; {mails} users without a password; activation mails with a portal link, about {} B each (text {} B, html {} B); {cores} cores",
        sink.version,
        sink.port,
        baseline_mails.iter().map(|m| m.size).sum::<usize>() / baseline_mails.len().max(1),
        baseline_mails.first().map_or(0, |m| m.text),
        baseline_mails.first().map_or(0, |m| m.html),
    );
    let serial = send_serially(&sink, &baseline_mails);

    let ratio = roster.rate(mails) / serial.rate(mails);
    println!(
        "mail: {mails} activation mails through the outbox ({DEFAULT_CONCURRENCY} connections): {:.1} s = {:.1} mails/s; plain serial sender, one connection: {:.1} s = {:.1} mails/s ({:.1} ms a mail); ratio {ratio:.2}; target >= {TARGET_RATIO}: {}",
        roster.wall.as_secs_f64(),
        roster.rate(mails),
        serial.wall.as_secs_f64(),
        serial.rate(mails),
        serial.wall.as_secs_f64() * 1000.0 / mails as f64,
        verdict(ratio >= TARGET_RATIO)
    );

    let mut all = vec![(format!("the outbox, {DEFAULT_CONCURRENCY} connections"), &roster), ("the serial sender".to_owned(), &serial)];
    let informative: Vec<(usize, Measured)> = if extra {
        INFO_CONCURRENCY.iter().map(|&c| (c, send_through_outbox(&sink, &dir, &csv, mails, c))).collect()
    } else {
        Vec::new()
    };
    if !informative.is_empty() {
        println!(
            "      the outbox with other connection counts (information, no target): {}",
            informative
                .iter()
                .map(|(c, m)| format!(
                    "{c} connection{}: {:.1} s = {:.1} mails/s, ratio {:.2}",
                    if *c == 1 { "" } else { "s" },
                    m.wall.as_secs_f64(),
                    m.rate(mails),
                    m.rate(mails) / serial.rate(mails)
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    all.extend(informative.iter().map(|(c, m)| (format!("the outbox, {c} connection{}", if *c == 1 { "" } else { "s" }), m)));

    // The sink: CPU per mail over the whole run, and its share of a core in each measurement.
    let sink_cpu: f64 = all.iter().map(|(_, m)| m.sink_cpu.as_secs_f64()).sum();
    let sent = mails as f64 * all.len() as f64;
    let per_mail = sink_cpu / sent;
    let busiest = all.iter().map(|(_, m)| m.sink_busy()).fold(0.0, f64::max);
    println!(
        "      sink: {:.2} ms of CPU a mail, so it could take about {:.0} mails/s on its one thread; its share of one core: {}; {}",
        per_mail * 1000.0,
        1.0 / per_mail.max(1e-9),
        all.iter().map(|(name, m)| format!("{:.0}% during {name}", m.sink_busy() * 100.0)).collect::<Vec<_>>().join(", "),
        if busiest < SINK_BUSY_LIMIT {
            format!("under {:.0}% throughout: the sink is not the bottleneck", SINK_BUSY_LIMIT * 100.0)
        } else {
            "NOTE: the sink was busy enough to limit these figures".to_owned()
        }
    );
    println!(
        "      the bench process (Roster, SQLite, lettre), share of one core: {}",
        all.iter().map(|(name, m)| format!("{:.0}% during {name}", m.own_busy() * 100.0)).collect::<Vec<_>>().join(", ")
    );
    drop(sink);
    let _ = std::fs::remove_dir_all(&dir);
}

/// roster-testkit's python (the venv scripts/setup makes, or `$ROSTER_TEST_PYTHON`) must
/// import `module`; else the bench `section` exits, saying `missing` and how to get it.
pub(crate) fn require_python(section: &str, module: &str, missing: &str) {
    let python = roster_testkit::python();
    let works = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        eprintln!(
            "roster-bench {section}: {missing} at {}. Run scripts/setup (it makes that venv, target/test-python), then run the bench again.",
            python.display()
        );
        std::process::exit(1);
    }
}

/// aiosmtpd with the `Sink` handler on a free 127.0.0.1 port (roster-testkit's); killed on drop.
struct Sink {
    server: LoopbackServer,
    port: u16,
    version: String,
}

impl Sink {
    fn start() -> Sink {
        let version = package_version("aiosmtpd").unwrap_or_default();
        let server = LoopbackServer::launch("aiosmtpd", Duration::from_secs(20)).start(|port, _| aiosmtpd::discarding(port));
        Sink { port: server.port(), server, version }
    }

    fn cpu(&self) -> Duration {
        process_cpu(self.server.pid())
    }
}

/// CPU time (user + system, every thread) of a process so far; zero where /proc is not there.
pub(crate) fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's name, which is in parentheses and may hold spaces:
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // USER_HZ is 100 on every Linux platform Roster runs on.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// One measurement: wall time, and the CPU time of the sink and of this process meanwhile.
struct Measured {
    wall: Duration,
    sink_cpu: Duration,
    own_cpu: Duration,
}

impl Measured {
    /// Times `f`, and reads the CPU counters just before and after it.
    fn take(sink: &Sink, f: impl FnOnce()) -> Measured {
        let (sink_before, own_before) = (sink.cpu(), process_cpu(std::process::id()));
        let t = Instant::now();
        f();
        let wall = t.elapsed();
        let (sink_after, own_after) = (sink.cpu(), process_cpu(std::process::id()));
        Measured { wall, sink_cpu: sink_after.saturating_sub(sink_before), own_cpu: own_after.saturating_sub(own_before) }
    }

    fn rate(&self, mails: u64) -> f64 {
        mails as f64 / self.wall.as_secs_f64()
    }

    fn sink_busy(&self) -> f64 {
        self.sink_cpu.as_secs_f64() / self.wall.as_secs_f64()
    }

    fn own_busy(&self) -> f64 {
        self.own_cpu.as_secs_f64() / self.wall.as_secs_f64()
    }
}

/// A fresh workspace with the users of `csv`, mail set up to the sink with a portal link.
fn prepared_workspace(dir: &Path, name: &str, csv: &[u8], mails: u64, port: u16) -> Workspace {
    let path = dir.join(format!("{name}.roster"));
    let mut ws = Workspace::open(&path).unwrap_or_else(|e| panic!("open {}: {e:?}", path.display()));
    let plan = ws.bulk_plan_bytes(csv.to_vec(), "users.csv", &Silent).expect("plan the users");
    assert!(!plan.has_errors(), "the generated users plan without errors: {:?}", plan.summary());
    let applied = ws.bulk_apply(&plan, &BulkApplyOptions { skip_invalid: false, confirmed_deletes: Some(plan.deletes()) }, &Silent).expect("add the users");
    assert_eq!(applied.created, mails, "every generated user was created");
    ws.mail_setup(MailSetupInput {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: "none".into(),
        user: String::new(),
        from: FROM.into(),
        password: None,
    })
    .expect("set up mail to the sink");
    ws.mail_options_set(MailOptionsInput { portal_url: Some(PORTAL.into()), ..MailOptionsInput::default() }).expect("set the portal link");
    ws
}

/// Roster: queue + render + send + record every activation mail; the time of that alone.
fn send_through_outbox(sink: &Sink, dir: &Path, csv: &[u8], mails: u64, concurrency: usize) -> Measured {
    let mut ws = prepared_workspace(dir, &format!("outbox-{concurrency}"), csv, mails, sink.port);
    let input = MailQueueInput { kind: "activation".into(), all_not_onboarded: true, ..MailQueueInput::default() };
    let mut done = None;
    let took = Measured::take(sink, || done = Some(ws.mail_send_to(input, concurrency, &Silent).expect("send the activation mails")));
    let done = done.expect("sent");
    assert_eq!(done.queued.queued, mails, "every user got an activation mail queued: {:?}", done.queued.skipped.first());
    assert_eq!(
        (done.sent.sent, done.sent.failed, done.sent.queued),
        (mails, 0, 0),
        "every mail was sent ({concurrency} connections): {:?} {:?}",
        done.sent.stopped_by,
        done.sent.failures.first()
    );
    took
}

/// A baseline mail, and its sizes.
struct BaselineMail {
    mail: OutgoingMail,
    size: usize,
    text: usize,
    html: usize,
}

/// The mails the outbox sends, rendered here as a plain sender would: the default activation
/// template with each user's values. One is checked against the workspace's own preview.
fn baseline_mails(dir: &Path, csv: &[u8], users: &[GeneratedUser], mails: u64, port: u16) -> Vec<BaselineMail> {
    let template = MailTemplate::default_for(MailKind::Activation);
    let portal = PortalUrl::parse(PORTAL).expect("a valid portal URL");
    // As the workspace says it: the sender's domain, and a week from today.
    let organisation = FROM.rsplit_once('@').map_or("", |(_, d)| d).to_owned();
    let expires = {
        let d = (time::OffsetDateTime::now_utc() + time::Duration::days(7)).date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    };
    let values = |u: &GeneratedUser| MailValues {
        first_name: u.first_name.to_owned(),
        last_name: u.last_name.to_owned(),
        username: u.username.clone(),
        email: u.email.clone(),
        link: Some(portal.for_user(&u.username, &u.email)),
        expires: expires.clone(),
        organisation: organisation.clone(),
        ..MailValues::default()
    };

    // The same content as Roster's: compare the first user's with the workspace's preview.
    if let Some(first) = users.first() {
        let ws = prepared_workspace(dir, "preview", csv, mails, port);
        let preview = ws
            .mail_preview(
                MailTemplateInput { kind: "activation".into(), subject: template.subject.clone(), text: template.text.clone(), html: template.html.clone() },
                Some(&first.username),
            )
            .expect("preview the activation mail");
        let mine = render(&template, &values(first));
        assert_eq!((&preview.subject, &preview.text, &preview.html), (&mine.subject, &mine.text, &mine.html), "the baseline renders what Roster sends");
    }

    users
        .iter()
        .map(|u| {
            let m = render(&template, &values(u));
            let (text, html) = (m.text.len(), m.html.len());
            let size = m.subject.len() + text + html;
            BaselineMail { mail: OutgoingMail::new(u.email.clone(), m.subject, m.text).with_html(m.html), size, text, html }
        })
        .collect()
}

/// The baseline: each mail after the last, on one reused connection.
fn send_serially(sink: &Sink, mails: &[BaselineMail]) -> Measured {
    let postman = Postman::new(MailServer::new("127.0.0.1", sink.port, Security::None, FROM), None).expect("a postman for the sink");
    Measured::take(sink, || {
        for m in mails {
            postman.send(&m.mail).unwrap_or_else(|e| panic!("the serial sender: {e}"));
        }
    })
}
