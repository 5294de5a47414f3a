//! A real SMTP sink for the CLI's mail tests: aiosmtpd (scripts/setup installs it into
//! target/test-python) on a 127.0.0.1 port, writing each mail into a Maildir, optionally slow
//! (roster-testkit's `sink.py serve --delay`), read back with Python's own email parser
//! (`sink.py read`).
#![allow(dead_code)] // each test file uses its own part of it

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use roster_testkit::free_port;
use roster_testkit::{aiosmtpd, LoopbackServer};
use serde_json::Value;

/// A received mail, as `sink.py read` describes it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub rcpt_to: Vec<String>,
    pub to: String,
    pub subject: String,
    /// `multipart/alternative`, `multipart/mixed`, `text/plain`, …
    pub content_type: String,
    pub text: String,
    pub html: Option<String>,
    /// (file name, content type, text)
    pub attachments: Vec<(String, String, String)>,
}

/// A running sink, killed when dropped.
pub struct Sink {
    server: LoopbackServer,
    pub port: u16,
}

impl Sink {
    pub fn start() -> Self {
        Self::start_on(free_port(), 0.0)
    }

    /// Each mail is taken `delay` seconds late (the connections stay open meanwhile).
    pub fn slow(delay: f64) -> Self {
        Self::start_on(free_port(), delay)
    }

    /// A sink on `port` (one a test picked earlier, when nothing listened there yet); ready
    /// once sink.py says "ready" (it listens by then).
    pub fn start_on(port: u16, delay: f64) -> Self {
        let server = aiosmtpd::start_sink(port, &["--delay", &delay.to_string()]);
        Self { server, port }
    }

    fn maildir(&self) -> PathBuf {
        aiosmtpd::maildir(&self.server)
    }

    /// How many mails have arrived (the Maildir's `new` folder: each file is moved there whole).
    pub fn count(&self) -> usize {
        fs::read_dir(self.maildir().join("new")).map_or(0, |d| d.count())
    }

    /// Waits until at least `n` mails have arrived (at most `within`).
    pub fn wait_for(&self, n: usize, within: Duration) -> usize {
        let started = Instant::now();
        loop {
            let got = self.count();
            if got >= n || started.elapsed() > within {
                return got;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn mails(&self) -> Vec<Mail> {
        let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        aiosmtpd::read_mails(&self.maildir())
            .iter()
            .map(|m| Mail {
                rcpt_to: m["rcpt_to"].as_array().unwrap().iter().map(s).collect(),
                to: s(&m["to"]),
                subject: s(&m["subject"]),
                content_type: s(&m["content_type"]),
                text: s(&m["text"]),
                html: m["html"].as_str().map(str::to_owned),
                attachments: m["attachments"].as_array().unwrap().iter().map(|a| (s(&a["file_name"]), s(&a["content_type"]), s(&a["text"]))).collect(),
            })
            .collect()
    }

    /// The envelope recipients of every mail received, one list per mail (read from the raw
    /// files' `X-RcptTo` header, which is quicker than parsing many mails).
    pub fn recipients(&self) -> Vec<Vec<String>> {
        let Ok(dir) = fs::read_dir(self.maildir().join("new")) else { return Vec::new() };
        dir.map(|e| {
            let raw = fs::read_to_string(e.unwrap().path()).unwrap();
            let header = raw.lines().find_map(|l| l.strip_prefix("X-RcptTo: ")).unwrap_or_else(|| panic!("no X-RcptTo in {raw}"));
            header.split(',').map(|r| r.trim().to_owned()).collect()
        })
        .collect()
    }

    /// The mails that went to `address`.
    pub fn mails_to(&self, address: &str) -> Vec<Mail> {
        self.mails().into_iter().filter(|m| m.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(address))).collect()
    }
}
