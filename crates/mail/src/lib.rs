//! Roster's SMTP transport: finished mails out to one server, over reused connections, several
//! at once.
//!
//! ```no_run
//! use roster_core::Secret;
//! use roster_mail::{MailServer, OutgoingMail, Postman, Security};
//!
//! let mut server = MailServer::new("smtp.example.com", 587, Security::StartTls, "Roster <it@example.com>");
//! server.user = Some("it@example.com".into());
//! let postman = Postman::new(server, Some(Secret::new("app password".to_owned())))?;
//! postman.test_connection()?;
//! postman.send(&OutgoingMail::new("ann@example.com", "Welcome", "Hello Ann").with_html("<p>Hello Ann</p>"))?;
//! # Ok::<(), roster_mail::MailError>(())
//! ```
//!
//! TLS is verified (rustls, against the platform's trust store) unless the server's
//! [`Security`] is `None`, which is only ever an explicit choice. Errors carry a stable
//! [`MailErrorCode`] and a message naming `host:port` and the reason, never the password.
//!
//! Architecture invariant: the only crate that knows SMTP and lettre. It stores nothing and
//! knows no workspace, keyring or template: callers hand it a server, a password and finished
//! mails, and record the outcome themselves.

mod error;
mod mail;
mod postman;
mod server;

pub use error::{MailError, MailErrorCode};
pub use mail::{Attachment, OutgoingMail};
pub use postman::{Postman, Tally};
pub use server::{MailServer, Security};
