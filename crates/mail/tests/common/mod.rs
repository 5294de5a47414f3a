//! The SMTP sink the mail tests send to: aiosmtpd (PyPI; scripts/setup installs it into
//! target/test-python), one per test on a free 127.0.0.1 port, writing what it receives into
//! a Maildir that Python's own email parser reads back (roster-testkit's `sink.py read`).

#![allow(dead_code)] // each test binary uses its own part

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use roster_mail::{MailServer, Postman, Security};
pub use roster_testkit::free_port;
use roster_testkit::{aiosmtpd, LoopbackServer};
use serde_json::Value;

pub const FROM: &str = "Roster Admin <roster@example.com>";

/// A running aiosmtpd, killed when dropped.
pub struct Sink {
    server: LoopbackServer,
    pub port: u16,
}

impl Sink {
    /// `python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Mailbox DIR`, after `options`.
    pub fn start_with(options: &[&str]) -> Sink {
        let server =
            LoopbackServer::launch("the SMTP sink", Duration::from_secs(20)).start(|port, dir| {
                let maildir = dir.join(aiosmtpd::MAILDIR);
                aiosmtpd::command(port, options, aiosmtpd::MAILBOX, &maildir)
            });
        Self::new(server)
    }

    pub fn start() -> Sink {
        Self::start_with(&[])
    }

    /// roster-testkit's sink.py: aiosmtpd with a login (`--auth USER:PASSWORD`) or refused
    /// recipients (`--reject ADDRESS`).
    pub fn start_script(options: &[&str]) -> Sink {
        Self::new(aiosmtpd::start_sink(free_port(), options))
    }

    fn new(server: LoopbackServer) -> Sink {
        Sink {
            port: server.port(),
            server,
        }
    }

    pub fn server(&self) -> MailServer {
        MailServer::new("127.0.0.1", self.port, Security::None, FROM)
    }

    pub fn postman(&self) -> Postman {
        Postman::new(self.server(), None).unwrap()
    }

    /// Every mail the sink has received, as `sink.py read` describes them.
    pub fn mails(&self) -> Vec<Value> {
        aiosmtpd::read_mails(&aiosmtpd::maildir(&self.server))
    }
}

/// A self-signed certificate for localhost and 127.0.0.1 (cert.pem, key.pem in `dir`).
pub fn self_signed(dir: &Path) -> (String, String) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl to make a test certificate");
    assert!(status.success());
    (
        cert.to_str().unwrap().to_owned(),
        key.to_str().unwrap().to_owned(),
    )
}

/// A certificate authority and a server certificate it signed for `localhost` only (not for
/// 127.0.0.1): (ca.pem, server.pem, server.key) in `dir`.
pub fn ca_and_server_certificate(dir: &Path) -> (String, String, String) {
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run openssl to make test certificates");
        assert!(status.success(), "openssl {args:?}");
    };
    fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Roster Test CA",
        "-keyout",
        &path("ca.key"),
        "-out",
        &path("ca.pem"),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &path("server.key"),
        "-out",
        &path("server.csr"),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &path("server.csr"),
        "-CA",
        &path("ca.pem"),
        "-CAkey",
        &path("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &path("server.ext"),
        "-out",
        &path("server.pem"),
    ]);
    (path("ca.pem"), path("server.pem"), path("server.key"))
}
