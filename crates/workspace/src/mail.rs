//! Mail set-up: the SMTP server in the workspace's settings, its password in the OS keyring
//! (never in the workspace file), and a test mail.

use roster_core::mail::escape;
use roster_core::{AuditEntity, Email, FieldCode, FieldError, FieldErrors, Secret};
use roster_mail::{MailError, MailServer, OutgoingMail, Postman, Security};
use roster_secrets::{workspace_account, Keyring, SecretError};
use roster_store::AuditRecord;
use serde::{Deserialize, Serialize};

use crate::views::deserialize_secret;
use crate::{Error, ErrorCode, FieldProblem, Workspace};

/// The mail server as the admin gives it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MailSetupInput {
    pub host: String,
    /// None: the usual port of the security mode (25, 587 or 465).
    pub port: Option<u16>,
    /// `none`, `starttls` or `tls`.
    pub security: String,
    /// The login; empty for a server without one.
    pub user: String,
    /// The sender address.
    pub from: String,
    /// A new password (kept in the OS keyring); None keeps the one stored.
    #[serde(deserialize_with = "deserialize_secret")]
    pub password: Option<Secret<String>>,
}

/// The mail set-up, without the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailView {
    pub configured: bool,
    pub host: String,
    pub port: u16,
    pub security: String,
    pub user: String,
    pub from: String,
    /// Whether the OS keyring holds this workspace's SMTP password.
    pub password_in_keyring: bool,
    /// `available`, or why the keyring cannot be used.
    pub keyring: String,
}

/// A test mail sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailSentView {
    pub to: String,
    pub server: String,
}

/// The mail settings as stored.
struct StoredMail {
    host: String,
    port: u16,
    security: String,
    user: String,
    from: String,
}

const HOST: &str = "mail.host";
const PORT: &str = "mail.port";
const SECURITY: &str = "mail.security";
const USER: &str = "mail.user";
const FROM: &str = "mail.from";
/// A random id that stays with the workspace file, naming its secrets in the keyring.
pub(crate) const WORKSPACE_ID: &str = "workspace_id";
const SMTP_PASSWORD: &str = "smtp-password";

impl Workspace {
    /// Saves the mail server; a password given goes to the OS keyring and nowhere else.
    /// Without a usable keyring a password is refused (`not_configured`), never written
    /// in plain text.
    pub fn mail_setup(&mut self, input: MailSetupInput) -> Result<MailView, Error> {
        let mut errors = FieldErrors::new();
        let host = input.host.trim().to_owned();
        if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
            errors.push(FieldError::new("host", FieldCode::Required, "Enter the mail server's host name, like smtp.example.com"));
        }
        let security = Security::parse(&input.security);
        if security.is_none() {
            errors.push(FieldError::new("security", FieldCode::InvalidValue, "Security must be none, starttls or tls"));
        }
        let from = errors.take(Email::parse(&input.from).map_err(|mut e| {
            e.field = "from".into();
            e
        }));
        if input.port == Some(0) {
            errors.push(FieldError::new("port", FieldCode::InvalidValue, "The port must be 1 to 65535"));
        }
        let user = input.user.trim().to_owned();
        if input.password.is_some() && user.is_empty() {
            errors.push(FieldError::new("user", FieldCode::Required, "Enter the login the password belongs to"));
        }
        let (Some(security), Some(from), true) = (security, from, errors.is_empty()) else {
            return Err(Error::from_fields(errors));
        };
        let port = input.port.unwrap_or_else(|| security.usual_port());
        let id = self.workspace_id()?;
        if let Some(password) = &input.password {
            Keyring::new().store(&workspace_account(&id, SMTP_PASSWORD), password).map_err(secret_error)?;
        }
        let now = self.clock.now();
        let actor = self.actor.clone();
        let summary = format!("Mail server set to {host}:{port} ({}) from {from}", security.as_str());
        self.store.write(|w| {
            w.set_setting(HOST, Some(&host))?;
            w.set_setting(PORT, Some(&port.to_string()))?;
            w.set_setting(SECURITY, Some(security.as_str()))?;
            w.set_setting(USER, Some(&user))?;
            w.set_setting(FROM, Some(from.as_str()))?;
            w.append_audit(&AuditRecord {
                at: now,
                actor: &actor,
                entity: AuditEntity::Settings,
                entity_id: "mail",
                subject: "mail",
                action: "mail_setup",
                summary: &summary,
                before: None,
                after: None,
            })?;
            Ok::<_, Error>(())
        })?;
        self.mail_show()
    }

    /// The mail set-up and whether its password is in the keyring.
    pub fn mail_show(&self) -> Result<MailView, Error> {
        let stored = self.stored_mail()?;
        let keyring = Keyring::new();
        let (password_in_keyring, keyring_state) = match (self.store.reader().setting(WORKSPACE_ID)?, keyring.availability().into_result()) {
            (_, Err(e)) => (false, e.to_string()),
            (None, Ok(())) => (false, "available".to_owned()),
            // A keyring that answered availability but fails this lookup (a Secret Service that
            // dropped off the bus) is reported like an unavailable one, not as an error: the set-up
            // reads back after mail_setup saved it, and a server without a login needs no keyring.
            (Some(id), Ok(())) => match keyring.contains(&workspace_account(&id, SMTP_PASSWORD)) {
                Ok(found) => (found, "available".to_owned()),
                Err(e) => (false, e.to_string()),
            },
        };
        Ok(MailView {
            configured: !stored.host.is_empty(),
            host: stored.host,
            port: stored.port,
            security: stored.security,
            user: stored.user,
            from: stored.from,
            password_in_keyring,
            keyring: keyring_state,
        })
    }

    /// The mail settings as stored (empty host: not set up).
    fn stored_mail(&self) -> Result<StoredMail, Error> {
        let r = self.store.reader();
        let get = |k: &str| r.setting(k).map(Option::unwrap_or_default);
        Ok(StoredMail { host: get(HOST)?, port: get(PORT)?.parse().unwrap_or(0), security: get(SECURITY)?, user: get(USER)?, from: get(FROM)? })
    }

    /// Sends a test mail to `to` through the configured server.
    pub fn mail_test(&self, to: &str) -> Result<MailSentView, Error> {
        let to = Email::parse(to).map_err(|mut e| {
            e.field = "to".into();
            Error::from_fields(e.into())
        })?;
        let postman = self.postman()?;
        let server = postman.server().address();
        let text = format!("This is a test mail from Roster, sent through {server}. Mail works.\n");
        let mail = OutgoingMail::new(to.as_str(), "Roster test mail", text.clone()).with_html(format!("<p>{}</p>", escape(text.trim())));
        postman.send(&mail).map_err(mail_error)?;
        Ok(MailSentView { to: to.to_string(), server })
    }

    /// A postman for the configured server, with the password from the keyring.
    pub(crate) fn postman(&self) -> Result<Postman, Error> {
        let view = self.stored_mail()?;
        if view.host.is_empty() {
            return Err(Error::new(ErrorCode::NotConfigured, "Mail is not set up: run `roster mail setup` or open Settings → Mail"));
        }
        let security = Security::parse(&view.security).ok_or_else(|| Error::new(ErrorCode::Internal, "the stored mail security is unreadable"))?;
        let mut server = MailServer::new(view.host, view.port, security, view.from);
        let mut password = None;
        if !view.user.is_empty() {
            server.user = Some(view.user);
            let id = self.store.reader().setting(WORKSPACE_ID)?.unwrap_or_default();
            password = Keyring::new().load(&workspace_account(&id, SMTP_PASSWORD)).map_err(secret_error)?;
            if password.is_none() {
                return Err(Error::new(ErrorCode::NotConfigured, "The mail server needs a login, but its password is not in the keyring: set it again with `roster mail setup --password-stdin`"));
            }
        }
        Postman::new(server, password).map_err(mail_error)
    }

    /// The workspace's id, made the first time it is needed.
    pub(crate) fn workspace_id(&mut self) -> Result<String, Error> {
        if let Some(id) = self.store.reader().setting(WORKSPACE_ID)? {
            return Ok(id);
        }
        let id = roster_core::UserId::from_random_bytes(self.random_bytes::<16>()).to_string();
        self.store.write(|w| w.set_setting(WORKSPACE_ID, Some(&id)))?;
        Ok(id)
    }
}

/// A keyring problem: `not_configured` when there is no keyring to use.
pub(crate) fn secret_error(e: SecretError) -> Error {
    let code = match e.code() {
        "keyring_unavailable" | "access_denied" => ErrorCode::NotConfigured,
        _ => ErrorCode::Internal,
    };
    Error { code, message: e.to_string(), fields: vec![FieldProblem { field: "keyring".into(), code: e.code().into(), message: e.to_string() }] }
}

/// A mail server problem (`remote`), its kind in `fields[0].code`.
pub(crate) fn mail_error(e: MailError) -> Error {
    let message = e.message().to_owned();
    Error { code: ErrorCode::Remote, message: message.clone(), fields: vec![FieldProblem { field: "mail".into(), code: e.code().as_str().into(), message }] }
}
