//! aiosmtpd (PyPI; scripts/setup installs it into target/test-python): an SMTP server whose
//! handler writes every mail it receives somewhere a test can read it.

use std::path::Path;
use std::process::Command;

use crate::python;

/// The handler that writes each mail into a Maildir.
pub const MAILBOX: &str = "aiosmtpd.handlers.Mailbox";

/// `python -m aiosmtpd -n -l 127.0.0.1:PORT OPTIONS -c HANDLER MAILDIR`: aiosmtpd in the
/// foreground on `port`, with `handler` (a class path, such as [`MAILBOX`]) given `maildir`.
pub fn command(port: u16, options: &[&str], handler: &str, maildir: &Path) -> Command {
    let mut command = Command::new(python());
    command
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(options)
        .args(["-c", handler])
        .arg(maildir);
    command
}
