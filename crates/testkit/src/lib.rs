//! The loopback servers Roster's tests talk to: the Python test servers scripts/setup installs
//! into target/test-python (scim2-server, aiosmtpd), each started on a 127.0.0.1 port with a
//! temporary folder of its own and killed when dropped.
//!
//! Test-only, and it links none of Roster's crates: the crates' tests, roster-tests' harness
//! (which sees Roster only from the outside) and roster-bench use it alike. What a server means
//! to a test (the mails it checks, a SCIM client for it, a dump of its resources) stays with that
//! test's harness.

pub mod aiosmtpd;
pub mod scim2;

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// `$ROSTER_TEST_PYTHON`, else the venv scripts/setup makes (target/test-python in the
/// workspace), else `python3` from PATH.
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

/// The version of the Python distribution `name` (`importlib.metadata.version`) installed for
/// [`python()`], such as "1.4.6" for aiosmtpd; `None` when it cannot be read.
pub fn package_version(name: &str) -> Option<String> {
    let output = Command::new(python())
        .args([
            "-c",
            "import sys, importlib.metadata as m; print(m.version(sys.argv[1]))",
            name,
        ])
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success() && !version.is_empty()).then_some(version)
}

/// A loopback port nothing listens on (bound, then freed) until a server is started on it.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The server's stderr, in its folder.
const LOG: &str = "server.log";

/// How a [`LoopbackServer`] starts: its name in failure messages, how long it may take, its
/// port, and how it shows it is ready.
#[must_use = "a Launch starts nothing until `start`"]
pub struct Launch {
    name: String,
    within: Duration,
    port: Option<u16>,
    ready_line: Option<String>,
}

impl Launch {
    /// On `port` (one a test picked earlier, when nothing listened there yet) instead of a free one.
    pub fn on_port(mut self, port: u16) -> Launch {
        self.port = Some(port);
        self
    }

    /// Ready once the server prints `line` on stdout (instead of once its port accepts).
    pub fn ready_line(mut self, line: &str) -> Launch {
        self.ready_line = Some(line.to_owned());
        self
    }

    /// Runs `command(port, folder)` (the folder is the server's own, removed when it is
    /// dropped) with stdin closed and stderr in the server's log, stdout discarded (read for
    /// the ready line if there is one), and waits until the server is ready. Panics with the
    /// log, pointing at scripts/setup, when it cannot start, exits or is not ready in time
    /// (at the caller's line).
    #[track_caller]
    pub fn start(self, command: impl FnOnce(u16, &Path) -> Command) -> LoopbackServer {
        let dir = tempfile::tempdir().expect("a temporary folder for a test server");
        let port = self.port.unwrap_or_else(free_port);
        let log = fs::File::create(dir.path().join(LOG)).expect("create the test server's log");
        let mut command = command(port, dir.path());
        let program: OsString = command.get_program().to_owned();
        let stdout = if self.ready_line.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(log)
            .spawn();
        let name = &self.name;
        let child = match child {
            Ok(child) => child,
            Err(e) => panic!(
                "cannot start {name} ({}): {e}; run scripts/setup",
                Path::new(&program).display()
            ),
        };
        let mut server = LoopbackServer { child, port, dir };
        // The ready line (when asked for) is read on a thread of its own, so that a server that
        // says nothing still times out; the thread reads on to the end (the pipe stays open).
        let lines = server.child.stdout.take().map(|stdout| {
            let (send, receive) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { return };
                    let _ = send.send(line);
                }
            });
            receive
        });
        let started = Instant::now();
        loop {
            if let Some(status) = server.exited() {
                panic!(
                    "{name} ({}) exited with {status}; is it installed? run scripts/setup (it puts \
                     the test servers in target/test-python)\n{}",
                    Path::new(&program).display(),
                    server.log()
                );
            }
            let ready = match (&lines, &self.ready_line) {
                (Some(lines), Some(ready_line)) => {
                    lines.try_iter().any(|line| line.trim() == ready_line)
                }
                _ => TcpStream::connect_timeout(
                    &([127, 0, 0, 1], port).into(),
                    Duration::from_millis(200),
                )
                .is_ok(),
            };
            if ready {
                return server;
            }
            assert!(
                started.elapsed() < self.within,
                "{name} did not listen on {port} within {} s; run scripts/setup\n{}",
                self.within.as_secs(),
                server.log()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

/// A server running on a 127.0.0.1 port with a temporary folder of its own (its log in it);
/// killed, and its folder removed, when dropped.
pub struct LoopbackServer {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl LoopbackServer {
    /// A server called `name` in failure messages, which must be ready `within` this time.
    pub fn launch(name: &str, within: Duration) -> Launch {
        Launch {
            name: name.to_owned(),
            within,
            port: None,
            ready_line: None,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's own folder (given to the command that started it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What the server wrote to stderr so far (for failure messages).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join(LOG)).unwrap_or_default()
    }

    /// The process id, to signal it (`kill -INT`, `kill -KILL`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How the server ended, once it has (without waiting).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("the test server's status")
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn a_ready_line_is_enough_and_drop_kills_the_server() {
        let server = LoopbackServer::launch("a shell", Duration::from_secs(10))
            .ready_line("ready")
            .start(|port, _| {
                sh(&format!(
                    "echo on {port} >&2; echo starting; echo ready; exec sleep 60"
                ))
            });
        assert_eq!(
            server.log(),
            format!("on {}\n", server.port()),
            "stderr is the log"
        );
        let pid = server.pid();
        let dir = server.dir().to_owned();
        drop(server);
        assert!(!dir.exists(), "the folder goes with the server");
        let alive = Command::new("kill")
            .args(["-0", &pid.to_string()])
            .status()
            .unwrap();
        assert!(!alive.success(), "the server was killed");
    }

    #[test]
    fn a_server_on_a_port_picked_earlier_is_ready_once_the_port_accepts() {
        let port = free_port();
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let server = LoopbackServer::launch("a shell", Duration::from_secs(10))
            .on_port(port)
            .start(|_, _| sh("exec sleep 60"));
        assert_eq!(server.port(), port);
        drop(listener);
    }

    #[test]
    #[should_panic(
        expected = "a shell (sh) exited with exit status: 3; is it installed? run scripts/setup"
    )]
    fn a_server_that_exits_is_named_with_its_log() {
        let _ = LoopbackServer::launch("a shell", Duration::from_secs(10))
            .start(|_, _| sh("echo no such module >&2; exit 3"));
    }

    #[test]
    #[should_panic(expected = "a shell did not listen on")]
    fn a_server_that_never_listens_times_out() {
        let _ = LoopbackServer::launch("a shell", Duration::from_millis(300))
            .start(|_, _| sh("exec sleep 60"));
    }
}
