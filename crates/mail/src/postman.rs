//! The postman: one pooled SMTP transport that carries mails to one server.

use std::borrow::Borrow;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{SmtpTransport, Transport};
use roster_core::Secret;

use crate::error::{MailError, MailErrorCode};
use crate::mail::{parse_mailbox, OutgoingMail};
use crate::server::{MailServer, Security};

/// Sends mail through one [`MailServer`] over reused connections.
///
/// Connections are opened when needed (TLS and login included), parked after each mail and
/// reused by the next one (after a `NOOP` tells they are still alive); ones idle for a minute
/// are closed. Several threads may send at once, each on its own connection: see
/// [`Postman::send_many`]. Dropping the postman closes every parked connection.
pub struct Postman {
    transport: SmtpTransport,
    server: MailServer,
    from: Mailbox,
    /// The password as typed and as the login methods encode it, scrubbed from every message.
    redact: Vec<Secret<String>>,
}

/// What [`Postman::send_many`] did, once it returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Mails the server accepted.
    pub sent: usize,
    /// Mails that failed (each was reported to `on_each` with its error).
    pub failed: usize,
    /// Whether `cancelled` said stop before every mail was tried.
    pub cancelled: bool,
    /// A failure of the server or the connection (`unreachable`, `tls`, `auth_failed`,
    /// `timeout`) that stopped the sending: the next mails would have met it too.
    pub stopped_by: Option<MailError>,
}

impl Postman {
    /// The most connections a postman keeps, and so the most mails [`Postman::send_many`]
    /// sends at once.
    pub const MAX_CONNECTIONS: usize = 8;

    /// How long a parked connection may wait for the next mail before it is closed.
    const IDLE: Duration = Duration::from_secs(60);

    /// A postman for `server`, logging in with `server.user` and `password` when a user is set.
    /// Nothing is sent and no connection is opened yet: [`Postman::test_connection`] does.
    ///
    /// Fails with `invalid_address` when `server.from` is not an address, `auth_failed` when a
    /// user is set without a password, and `tls` when TLS cannot be set up.
    pub fn new(server: MailServer, password: Option<Secret<String>>) -> Result<Self, MailError> {
        let from = parse_mailbox(&server.from, "sender")?;

        let mut builder = SmtpTransport::builder_dangerous(server.host.as_str())
            .port(server.port)
            .timeout(Some(server.timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(Self::MAX_CONNECTIONS as u32)
                    .idle_timeout(Self::IDLE),
            );
        builder = match server.security {
            Security::None => builder.tls(Tls::None),
            Security::StartTls => builder.tls(Tls::Required(tls_parameters(&server)?)),
            Security::Tls => builder.tls(Tls::Wrapper(tls_parameters(&server)?)),
        };

        let mut redact = Vec::new();
        if let Some(user) = &server.user {
            let Some(password) = password else {
                return Err(MailError::new(
                    MailErrorCode::AuthFailed,
                    format!(
                        "the mail server {} needs a password for \"{user}\", and none was given",
                        server.address()
                    ),
                ));
            };
            let plain = password.expose();
            // AUTH PLAIN sends base64("\0user\0password"), AUTH LOGIN base64("password").
            redact.push(Secret::new(BASE64.encode(format!("\0{user}\0{plain}"))));
            redact.push(Secret::new(BASE64.encode(plain)));
            redact.push(Secret::new(plain.clone()));
            builder = builder.credentials(Credentials::new(user.clone(), plain.clone()));
        }

        Ok(Postman {
            transport: builder.build(),
            server,
            from,
            redact,
        })
    }

    pub fn server(&self) -> &MailServer {
        &self.server
    }

    /// Connects (TLS and login included) and checks the server answers, without sending
    /// anything. The connection is kept for the next mail.
    pub fn test_connection(&self) -> Result<(), MailError> {
        match self.transport.test_connection() {
            Ok(true) => Ok(()),
            Ok(false) => Err(MailError::new(
                MailErrorCode::SmtpError,
                format!(
                    "the mail server {} does not answer NOOP",
                    self.server.address()
                ),
            )),
            Err(e) => Err(self.error(&e)),
        }
    }

    /// Sends one mail, on a parked connection when there is one.
    pub fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = mail.to_message(&self.from)?;
        self.transport
            .send(&message)
            .map(drop)
            .map_err(|e| self.error(&e))
    }

    /// Sends `mails` on up to `concurrency` connections at once (1 to
    /// [`Postman::MAX_CONNECTIONS`]; one thread each), calling `on_each(index, result)` from
    /// those threads as each mail is done — in any order, exactly once for each mail tried.
    ///
    /// Before taking each next mail a thread asks `cancelled()`; once it says yes no new mail
    /// is started, and those under way finish. A failure of the server rather than of one
    /// mail (see [`MailErrorCode::is_server_wide`]) stops the sending the same way and is
    /// returned in [`Tally::stopped_by`]. Mails never started get no `on_each` call.
    ///
    /// `mails` is read lazily, one at a time: an outbox can render each mail as it goes.
    pub fn send_many<I, M, F, C>(
        &self,
        mails: I,
        concurrency: usize,
        on_each: F,
        cancelled: C,
    ) -> Tally
    where
        I: IntoIterator<Item = M>,
        I::IntoIter: Send,
        M: Borrow<OutgoingMail> + Send,
        F: Fn(usize, Result<(), MailError>) + Sync,
        C: Fn() -> bool + Sync,
    {
        let queue = Mutex::new(mails.into_iter().enumerate());
        let sent = AtomicUsize::new(0);
        let failed = AtomicUsize::new(0);
        let was_cancelled = AtomicBool::new(false);
        let stop = AtomicBool::new(false);
        let stopped_by: Mutex<Option<MailError>> = Mutex::new(None);

        let worker = || loop {
            if stop.load(Ordering::Acquire) {
                return;
            }
            if cancelled() {
                was_cancelled.store(true, Ordering::Release);
                return;
            }
            let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
            let Some((index, mail)) = next else { return };
            let result = self.send(mail.borrow());
            match &result {
                Ok(()) => {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    failed.fetch_add(1, Ordering::Relaxed);
                    if e.code().is_server_wide() {
                        stop.store(true, Ordering::Release);
                        stopped_by
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get_or_insert_with(|| e.clone());
                    }
                }
            }
            on_each(index, result);
        };

        let threads = concurrency.clamp(1, Self::MAX_CONNECTIONS);
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(worker);
            }
            worker();
        });

        Tally {
            sent: sent.into_inner(),
            failed: failed.into_inner(),
            cancelled: was_cancelled.into_inner(),
            stopped_by: stopped_by.into_inner().unwrap_or_else(|e| e.into_inner()),
        }
    }

    fn error(&self, err: &lettre::transport::smtp::Error) -> MailError {
        MailError::from_smtp(err, &self.server, &self.redact)
    }
}

/// TLS for `server.host`, verified against the platform's trust store (the system's roots
/// and, on macOS and Windows, its verifier).
fn tls_parameters(server: &MailServer) -> Result<TlsParameters, MailError> {
    TlsParameters::new(server.host.clone()).map_err(|e| {
        MailError::new(
            MailErrorCode::Tls,
            format!(
                "TLS cannot be set up for the mail server {}: {e}",
                server.address()
            ),
        )
    })
}

impl fmt::Debug for Postman {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Postman")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}
