//! The SMTP sink the mail tests send to: aiosmtpd (PyPI; scripts/setup installs it into
//! target/test-python), one per test on a free 127.0.0.1 port, writing what it receives into
//! a Maildir that Python's own email parser reads back (`sink.py read`).

#![allow(dead_code)] // each test binary uses its own part

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use roster_mail::{MailServer, Postman, Security};
use serde_json::Value;
use tempfile::TempDir;

pub const FROM: &str = "Roster Admin <roster@example.com>";

/// `$ROSTER_TEST_PYTHON`, else the venv scripts/setup makes, else `python3` from PATH.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("ROSTER_TEST_PYTHON") {
        return python.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-python/bin/python3");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

pub fn sink_script() -> PathBuf {
    // From crates/mail or from another crate beside it that includes this module.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../mail/tests/sink.py")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running aiosmtpd, killed when dropped.
pub struct Sink {
    child: Child,
    pub port: u16,
    dir: TempDir,
}

impl Sink {
    /// `python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Mailbox DIR`, after `options`.
    pub fn start_with(options: &[&str]) -> Sink {
        Self::spawn(|port, maildir| {
            let mut command = Command::new(python());
            command
                .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
                .args(options)
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(maildir);
            command
        })
    }

    pub fn start() -> Sink {
        Self::start_with(&[])
    }

    /// tests/sink.py: aiosmtpd with a login (`--auth USER:PASSWORD`) or refused recipients.
    pub fn start_script(options: &[&str]) -> Sink {
        Self::spawn(|port, maildir| {
            let mut command = Command::new(python());
            command
                .arg(sink_script())
                .args(["serve", "127.0.0.1", &port.to_string()])
                .arg(maildir)
                .args(options);
            command
        })
    }

    fn spawn(command: impl Fn(u16, &Path) -> Command) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = fs::File::create(dir.path().join("sink.log")).unwrap();
        let mut child = command(port, &dir.path().join("maildir"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {}: {e}; run scripts/setup",
                    python().display()
                )
            });
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let log = fs::read_to_string(dir.path().join("sink.log")).unwrap_or_default();
                panic!(
                    "the SMTP sink ({}) exited with {status}; is aiosmtpd installed (scripts/setup \
                     puts it in target/test-python)?\n{log}",
                    python().display()
                );
            }
            if TcpStream::connect_timeout(
                &([127, 0, 0, 1], port).into(),
                Duration::from_millis(200),
            )
            .is_ok()
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the SMTP sink did not listen on {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Sink { child, port, dir }
    }

    pub fn server(&self) -> MailServer {
        MailServer::new("127.0.0.1", self.port, Security::None, FROM)
    }

    pub fn postman(&self) -> Postman {
        Postman::new(self.server(), None).unwrap()
    }

    /// Every mail the sink has received, as `sink.py read` describes them.
    pub fn mails(&self) -> Vec<Value> {
        let maildir = self.dir.path().join("maildir");
        if !maildir.exists() {
            return Vec::new();
        }
        let output = Command::new(python())
            .arg(sink_script())
            .arg("read")
            .arg(&maildir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "sink.py read: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        match serde_json::from_slice(&output.stdout).unwrap() {
            Value::Array(mails) => mails,
            other => panic!("not a list: {other}"),
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
