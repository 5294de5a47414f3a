//! Why a mail did not go: a stable code to switch on, and a sentence for the admin.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use lettre::transport::smtp;
use roster_core::Secret;

use crate::server::{MailServer, Security};

/// What went wrong, as a stable name front ends and the outbox switch on (never on the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailErrorCode {
    /// No connection: the host is unknown, refuses connections, or the connection broke.
    Unreachable,
    /// No secure connection: the certificate is not trusted or not for this host, the server
    /// offers no STARTTLS, or the TLS handshake failed.
    Tls,
    /// The server refused the login (wrong user or password, or no login method in common).
    AuthFailed,
    /// The server answered a mail (its sender, a recipient, its size or content) with a
    /// refusal; [`MailError::reply_code`] tells a temporary (4xx) from a final (5xx) one.
    Rejected,
    /// The server did not answer in time (connecting, or any command after).
    Timeout,
    /// A sender or recipient is not an email address.
    InvalidAddress,
    /// Anything else the SMTP conversation or the encoding of a mail ran into.
    SmtpError,
}

impl MailErrorCode {
    /// `unreachable`, `tls`, `auth_failed`, `rejected`, `timeout`, `invalid_address`, `smtp_error`.
    pub fn as_str(self) -> &'static str {
        match self {
            MailErrorCode::Unreachable => "unreachable",
            MailErrorCode::Tls => "tls",
            MailErrorCode::AuthFailed => "auth_failed",
            MailErrorCode::Rejected => "rejected",
            MailErrorCode::Timeout => "timeout",
            MailErrorCode::InvalidAddress => "invalid_address",
            MailErrorCode::SmtpError => "smtp_error",
        }
    }

    /// Whether the problem is the server's or the connection's rather than one mail's, so the
    /// next mails would meet it too: `unreachable`, `tls`, `auth_failed`, `timeout`.
    pub fn is_server_wide(self) -> bool {
        matches!(
            self,
            MailErrorCode::Unreachable
                | MailErrorCode::Tls
                | MailErrorCode::AuthFailed
                | MailErrorCode::Timeout
        )
    }
}

impl fmt::Display for MailErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mail that did not go, or a server that could not be used. The message names the server
/// (`host:port`) and the reason; it never contains the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailError {
    code: MailErrorCode,
    message: String,
    reply_code: Option<u16>,
}

impl MailError {
    pub(crate) fn new(code: MailErrorCode, message: impl Into<String>) -> Self {
        MailError {
            code,
            message: message.into(),
            reply_code: None,
        }
    }

    pub fn code(&self) -> MailErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The server's SMTP reply code (e.g. 535, 550, 421) when the server refused something.
    pub fn reply_code(&self) -> Option<u16> {
        self.reply_code
    }

    /// Reads lettre's error for `server`. `redact` holds the password in every form it crosses
    /// the wire in; none of them survives into the message, whatever the server echoed.
    pub(crate) fn from_smtp(
        err: &smtp::Error,
        server: &MailServer,
        redact: &[Secret<String>],
    ) -> Self {
        let address = server.address();
        let reason = reason(err);
        let (code, message, reply_code) = if let Some(status) = err.status() {
            let number = u16::from(status);
            let reply = if reason.is_empty() {
                format!("{number}")
            } else {
                format!("{number} {reason}")
            };
            let temporary = if number < 500 {
                " (for now; try again later)"
            } else {
                ""
            };
            if AUTH_REPLIES.contains(&number) {
                let message = match &server.user {
                    Some(user) => format!("the mail server {address} refused the login of \"{user}\"{temporary}: {reply}"),
                    None => format!("the mail server {address} wants a login (a user and password): {reply}"),
                };
                (MailErrorCode::AuthFailed, message, Some(number))
            } else {
                (
                    MailErrorCode::Rejected,
                    format!("the mail server {address} refused the mail{temporary}: {reply}"),
                    Some(number),
                )
            }
        } else if is_timeout(err) {
            (
                MailErrorCode::Timeout,
                format!(
                    "the mail server {address} did not answer within {} s",
                    server.timeout.as_secs_f64()
                ),
                None,
            )
        } else if err.is_tls() || (server.security != Security::None && is_tls_io(err)) {
            let hint = if reason.contains("certificate") {
                "; the server's certificate was not accepted (check the host name, that the \
                 certificate has not expired, and that this computer trusts its authority)"
            } else {
                ""
            };
            (
                MailErrorCode::Tls,
                format!("no secure connection to the mail server {address}: {reason}{hint}"),
                None,
            )
        } else if err.is_client() && reason.contains("STARTTLS") {
            (
                MailErrorCode::Tls,
                format!(
                    "the mail server {address} does not offer STARTTLS, so the connection cannot be \
                     secured; choose security \"tls\" (usually port 465) if the server speaks TLS \
                     from the start"
                ),
                None,
            )
        } else if err.is_client() && reason.contains("authentication mechanism") {
            (
                MailErrorCode::AuthFailed,
                format!(
                    "the mail server {address} offers no login method Roster knows (PLAIN, LOGIN) \
                     on this connection; many servers offer login only after STARTTLS"
                ),
                None,
            )
        } else if err.is_client() && reason.contains("SMTPUTF8") {
            (
                MailErrorCode::InvalidAddress,
                format!(
                    "the mail server {address} cannot take addresses with non-ASCII characters"
                ),
                None,
            )
        } else if io_error(err).is_some() || err.to_string().starts_with("Connection error") {
            (
                MailErrorCode::Unreachable,
                format!("cannot reach the mail server {address}: {reason}"),
                None,
            )
        } else if err.is_response() && reason.contains("incomplete response") {
            (
                MailErrorCode::Unreachable,
                format!("the mail server {address} closed the connection"),
                None,
            )
        } else {
            (
                MailErrorCode::SmtpError,
                format!("the mail server {address}: {err}"),
                None,
            )
        };
        MailError {
            code,
            message: redacted(message, redact),
            reply_code,
        }
    }
}

impl fmt::Display for MailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for MailError {}

/// Reply codes that refuse a login: 530 authentication required, 534 mechanism too weak,
/// 535 credentials invalid, 538 encryption required for the mechanism.
const AUTH_REPLIES: [u16; 4] = [530, 534, 535, 538];

/// The innermost explanation of `err`: its source chain without lettre's kind prefix.
fn reason(err: &smtp::Error) -> String {
    let mut parts = Vec::new();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        // Each level's Display often repeats its source's; keep the new part only.
        if !parts.iter().any(|p: &String| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        return err.to_string();
    }
    parts.join(": ").trim().to_owned()
}

fn io_error(err: &smtp::Error) -> Option<&io::Error> {
    let mut source = err.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return Some(io);
        }
        source = s.source();
    }
    None
}

/// A failed TLS handshake on the stream (an untrusted certificate, say) comes as an
/// `InvalidData` IO error wrapping rustls's.
fn is_tls_io(err: &smtp::Error) -> bool {
    io_error(err).is_some_and(|io| io.kind() == io::ErrorKind::InvalidData)
}

/// Connect timeouts are `TimedOut`; a read or write past its socket timeout is `WouldBlock`
/// (EAGAIN) on Unix.
fn is_timeout(err: &smtp::Error) -> bool {
    err.is_timeout()
        || io_error(err).is_some_and(|io| {
            matches!(
                io.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            )
        })
}

fn redacted(mut message: String, secrets: &[Secret<String>]) -> String {
    for secret in secrets {
        let secret = secret.expose();
        if !secret.is_empty() && message.contains(secret.as_str()) {
            message = message.replace(secret.as_str(), "<redacted>");
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let all = [
            (MailErrorCode::Unreachable, "unreachable"),
            (MailErrorCode::Tls, "tls"),
            (MailErrorCode::AuthFailed, "auth_failed"),
            (MailErrorCode::Rejected, "rejected"),
            (MailErrorCode::Timeout, "timeout"),
            (MailErrorCode::InvalidAddress, "invalid_address"),
            (MailErrorCode::SmtpError, "smtp_error"),
        ];
        for (code, name) in all {
            assert_eq!(code.as_str(), name);
            assert_eq!(code.to_string(), name);
        }
    }

    #[test]
    fn redaction_removes_every_form() {
        let secrets = [
            Secret::new("s3cret!".to_owned()),
            Secret::new("czNjcmV0IQ==".to_owned()),
        ];
        let out = redacted("535 bad s3cret! (czNjcmV0IQ==)".to_owned(), &secrets);
        assert_eq!(out, "535 bad <redacted> (<redacted>)");
    }
}
