//! aiosmtpd (PyPI; scripts/setup installs it into target/test-python): an SMTP server whose
//! handler writes every mail it receives somewhere a test can read it, or discards it; and the
//! tests' own sink on it, sink.py (beside this crate's Cargo.toml), for what aiosmtpd's command
//! line cannot do (a login on a plain connection, refused recipients, slow mails), which also
//! reads a Maildir back with Python's own email parser.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::{python, LoopbackServer};

/// The handler that writes each mail into a Maildir.
pub const MAILBOX: &str = "aiosmtpd.handlers.Mailbox";

/// The handler that discards each mail (it takes no folder).
pub const SINK: &str = "aiosmtpd.handlers.Sink";

/// The Maildir a server writes into, in its own folder ([`LoopbackServer::dir`]).
pub const MAILDIR: &str = "maildir";

/// `python -m aiosmtpd -n -l 127.0.0.1:PORT OPTIONS -c HANDLER MAILDIR`: aiosmtpd in the
/// foreground on `port`, with `handler` (a class path, such as [`MAILBOX`]) given `maildir`.
pub fn command(port: u16, options: &[&str], handler: &str, maildir: &Path) -> Command {
    let mut command = without_argument(port, options, handler);
    command.arg(maildir);
    command
}

/// `python -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Sink`: aiosmtpd in the
/// foreground on `port`, discarding every mail ([`SINK`]).
pub fn discarding(port: u16) -> Command {
    without_argument(port, &[], SINK)
}

fn without_argument(port: u16, options: &[&str], handler: &str) -> Command {
    let mut command = Command::new(python());
    command
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(options)
        .args(["-c", handler]);
    command
}

/// sink.py: `serve HOST PORT MAILDIR [--auth USER:PASSWORD] [--reject ADDRESS]...
/// [--delay SECONDS]` and `read MAILDIR` (its docstring says what each does).
pub fn sink_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sink.py")
}

/// `python sink.py serve 127.0.0.1 PORT MAILDIR OPTIONS`: the sink on `port`, writing every
/// mail into `maildir`; `options` are `--auth USER:PASSWORD`, `--reject ADDRESS` (again for
/// more), `--delay SECONDS`. It prints "ready" once it listens.
pub fn sink_command(port: u16, maildir: &Path, options: &[&str]) -> Command {
    let mut command = Command::new(python());
    command
        .arg(sink_script())
        .args(["serve", "127.0.0.1", &port.to_string()])
        .arg(maildir)
        .args(options);
    command
}

/// The sink ([`sink_command`]) on `port` (one a test picked earlier, or [`crate::free_port`])
/// with `options`, writing into its [`maildir`]; ready once it says so, within 20 s.
#[track_caller]
pub fn start_sink(port: u16, options: &[&str]) -> LoopbackServer {
    LoopbackServer::launch("the SMTP sink (sink.py)", Duration::from_secs(20))
        .on_port(port)
        .ready_line("ready")
        .start(|port, dir| sink_command(port, &dir.join(MAILDIR), options))
}

/// Where `server` (started with its Maildir at [`MAILDIR`] in its folder) writes the mails.
pub fn maildir(server: &LoopbackServer) -> PathBuf {
    server.dir().join(MAILDIR)
}

/// Every mail in `maildir` as `sink.py read` describes it (empty while the Maildir is not
/// there yet, before the first mail): `key`, `mail_from`, `rcpt_to`, `from`, `to`, `subject`,
/// `message_id`, `content_type`, `text`, `html` and `attachments`, each with `file_name`,
/// `content_type`, `bytes_base64` and `text`.
pub fn read_mails(maildir: &Path) -> Vec<Value> {
    if !maildir.exists() {
        return Vec::new();
    }
    let output = Command::new(python())
        .arg(sink_script())
        .arg("read")
        .arg(maildir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; run scripts/setup", python().display()));
    assert!(
        output.status.success(),
        "sink.py read: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    match serde_json::from_slice(&output.stdout).expect("sink.py read writes JSON") {
        Value::Array(mails) => mails,
        other => panic!("sink.py read: not a list: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpStream;
    use std::time::Instant;

    use super::*;

    /// A plain SMTP client, one line at a time.
    struct Smtp {
        reader: BufReader<TcpStream>,
        writer: TcpStream,
    }

    impl Smtp {
        fn connect(port: u16) -> Smtp {
            let writer = TcpStream::connect(("127.0.0.1", port)).unwrap();
            writer
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let mut smtp = Smtp {
                reader: BufReader::new(writer.try_clone().unwrap()),
                writer,
            };
            assert!(smtp.reply().starts_with("220"), "a greeting");
            smtp
        }

        /// The last line of the server's reply ("250 OK" after "250-…" lines).
        fn reply(&mut self) -> String {
            loop {
                let mut line = String::new();
                self.reader.read_line(&mut line).unwrap();
                if line.as_bytes().get(3) != Some(&b'-') {
                    return line.trim_end().to_owned();
                }
            }
        }

        fn say(&mut self, line: &str) -> String {
            write!(self.writer, "{line}\r\n").unwrap();
            self.reply()
        }

        /// Says `line`; the reply must have this `code`.
        fn expect(&mut self, line: &str, code: &str) {
            let reply = self.say(line);
            assert!(reply.starts_with(code), "{line}: {reply}, not {code}");
        }
    }

    #[test]
    fn the_sink_logs_in_refuses_waits_and_reads_every_field_back() {
        let options = [
            "--auth",
            "ann:secret",
            "--reject",
            "Nobody@example.com",
            "--delay",
            "0.3",
        ];
        let server = start_sink(crate::free_port(), &options);
        let mut smtp = Smtp::connect(server.port());
        smtp.expect("EHLO test", "250");
        smtp.expect("MAIL FROM:<roster@example.com>", "530"); // a login first
        smtp.expect("AUTH PLAIN AGFubgB3cm9uZw==", "535"); // ann:wrong
        smtp.expect("AUTH PLAIN AGFubgBzZWNyZXQ=", "235"); // ann:secret
        smtp.expect("MAIL FROM:<roster@example.com>", "250");
        smtp.expect("RCPT TO:<nobody@example.com>", "550"); // refused whatever the case
        smtp.expect("RCPT TO:<ann@example.com>", "250");
        smtp.expect("DATA", "354");
        let message = [
            "From: Roster <roster@example.com>",
            "To: ann@example.com",
            "Subject: Hello",
            "Message-ID: <1@example.com>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"b\"",
            "",
            "--b",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Hi Ann",
            "--b",
            "Content-Type: text/csv",
            "Content-Disposition: attachment; filename=\"a.csv\"",
            "Content-Transfer-Encoding: base64",
            "",
            "bmFtZSxhbm4K",
            "--b--",
        ];
        for line in message {
            write!(smtp.writer, "{line}\r\n").unwrap();
        }
        let sent = Instant::now();
        smtp.expect(".", "250");
        let took = sent.elapsed();
        assert!(
            took >= Duration::from_millis(300),
            "taken --delay late: {took:?}"
        );
        smtp.expect("QUIT", "221");

        let mails = read_mails(&maildir(&server));
        assert_eq!(mails.len(), 1, "{mails:?}");
        let mail = &mails[0];
        let key = mail["key"].as_str().unwrap_or_default();
        assert!(!key.is_empty(), "the Maildir key: {mail}");
        let fields = [
            ("mail_from", "roster@example.com"),
            ("from", "Roster <roster@example.com>"),
            ("to", "ann@example.com"),
            ("subject", "Hello"),
            ("message_id", "<1@example.com>"),
            ("content_type", "multipart/mixed"),
            ("text", "Hi Ann"),
        ];
        for (field, value) in fields {
            assert_eq!(mail[field], value, "{field}");
        }
        assert_eq!(mail["rcpt_to"], serde_json::json!(["ann@example.com"]));
        assert_eq!(mail["html"], Value::Null);
        assert_eq!(
            mail["attachments"],
            serde_json::json!([{
                "file_name": "a.csv",
                "content_type": "text/csv",
                "bytes_base64": "bmFtZSxhbm4K",
                "text": "name,ann\n",
            }])
        );
    }

    #[test]
    fn an_empty_maildir_reads_as_no_mail() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_mails(&dir.path().join(MAILDIR)), Vec::<Value>::new());
    }
}
