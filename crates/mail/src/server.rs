//! Where mail goes: the SMTP server and how to talk to it.

use std::time::Duration;

/// How the connection to the server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Security {
    /// Plain text from start to end: no TLS at all. Only when an admin chooses it (a relay on
    /// the same machine or network); the password, if any, crosses the wire readable.
    None,
    /// A plain connection upgraded with STARTTLS before anything else is said (usually port
    /// 587). A server that does not offer STARTTLS is refused, never used in plain text.
    StartTls,
    /// TLS from the first byte, "SMTPS" (usually port 465).
    Tls,
}

impl Security {
    /// The stable name used in settings and on the command line: `none`, `starttls`, `tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            Security::None => "none",
            Security::StartTls => "starttls",
            Security::Tls => "tls",
        }
    }

    /// The inverse of [`Security::as_str`] (ASCII case ignored).
    pub fn parse(name: &str) -> Option<Security> {
        [Security::None, Security::StartTls, Security::Tls]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The port servers usually listen on for this kind of connection: 25, 587 or 465.
    pub fn usual_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        }
    }
}

/// An SMTP server to send through, and the sender's address. The password is not here: it is
/// passed on its own, as a `Secret`, to [`crate::Postman::new`], so this value can be shown,
/// compared and stored freely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailServer {
    /// A host name or an IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// The login name, when the server wants one (`AUTH PLAIN` or `AUTH LOGIN`).
    pub user: Option<String>,
    /// The sender, as an address or `Name <address>`; also the envelope sender.
    pub from: String,
    /// How long to wait for the connection, and then for each answer of the server.
    pub timeout: Duration,
}

impl MailServer {
    /// Thirty seconds: long enough for a slow relay, short enough that a dead one is noticed.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// A server without login, with the default timeout.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        security: Security,
        from: impl Into<String>,
    ) -> Self {
        MailServer {
            host: host.into(),
            port,
            security,
            user: None,
            from: from.into(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// `host:port` (`[host]:port` for an IPv6 address), as messages name the server.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_names_round_trip() {
        for s in [Security::None, Security::StartTls, Security::Tls] {
            assert_eq!(Security::parse(s.as_str()), Some(s));
        }
        assert_eq!(Security::parse(" STARTTLS "), Some(Security::StartTls));
        assert_eq!(Security::parse("ssl"), None);
    }

    #[test]
    fn address_names_host_and_port() {
        let server = MailServer::new("smtp.example.com", 587, Security::StartTls, "a@example.com");
        assert_eq!(server.address(), "smtp.example.com:587");
        let server = MailServer::new("::1", 25, Security::None, "a@example.com");
        assert_eq!(server.address(), "[::1]:25");
        assert_eq!(server.timeout, MailServer::DEFAULT_TIMEOUT);
    }
}
