//! A SCIM client for a remote profile: its URL, its token from the OS keyring (none: no
//! token is sent), its TLS choice; discovery that keeps the server's capabilities.

use roster_core::Secret;
use roster_scim::{Capabilities, Client, ClientConfig, ScimErrorCode};
use roster_secrets::{Keyring, SecretError};

use crate::remotes::token_account;
use roster_store::RemoteRow;

use super::{not_linked, scim_error};
use crate::{Error, ErrorCode, FieldProblem, RemoteView, Workspace};

/// The linked remote, a client for it, and what it said of itself.
pub(crate) struct Linked {
    pub row: RemoteRow,
    pub client: Client,
    pub capabilities: Capabilities,
}

impl Workspace {
    /// Reads the server's capabilities (`/ServiceProviderConfig`, `/Schemas`,
    /// `/ResourceTypes`, and a one-user query that checks the token) and keeps them, so the
    /// remote's view shows them.
    pub fn remote_test(&mut self, name: &str) -> Result<RemoteView, Error> {
        let row = self
            .store
            .reader()
            .remote(name.trim())?
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("No remote named \"{}\"", name.trim())))?;
        let (client, keyring) = self.remote_client(&row)?;
        self.discover(&row, &client).map_err(|e| unreadable_token(e, keyring))?;
        self.remote_show(&row.name)
    }

    pub(crate) fn linked_row(&self) -> Result<RemoteRow, Error> {
        self.store.reader().linked_remote()?.ok_or_else(not_linked)
    }

    /// The linked remote with a client and fresh capabilities (discovery runs on every sync).
    pub(crate) fn linked(&mut self) -> Result<Linked, Error> {
        let row = self.linked_row()?;
        let (client, keyring) = self.remote_client(&row)?;
        let capabilities = self.discover(&row, &client).map_err(|e| unreadable_token(e, keyring))?;
        Ok(Linked { row, client, capabilities })
    }

    fn discover(&mut self, row: &RemoteRow, client: &Client) -> Result<Capabilities, Error> {
        let capabilities = client.discover().map_err(scim_error)?;
        let json = serde_json::to_string(&capabilities).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        let now = self.clock.now();
        self.store.write(|w| w.set_capabilities(&row.name, &json, now))?;
        Ok(capabilities)
    }

    /// Which extensions the linked remote takes, as of its last discovery (the dry runs use
    /// it without asking the server).
    pub(crate) fn stored_extension(row: &RemoteRow) -> super::map::Extensions {
        row.capabilities
            .as_deref()
            .and_then(|c| serde_json::from_str::<Capabilities>(c).ok())
            .map(|c| super::map::Extensions::of(&c))
            .unwrap_or_default()
    }

    /// A client for `row`, and the keyring's failure when it could not be reached (the client
    /// then sends no token: a server that needs none still answers).
    pub(crate) fn remote_client(&self, row: &RemoteRow) -> Result<(Client, Option<SecretError>), Error> {
        let (token, keyring) = match self.store.reader().setting(crate::mail::WORKSPACE_ID)? {
            // No keyring here: no token can have been stored from here.
            Some(id) => match Keyring::new().load(&token_account(&id, &row.name)) {
                Ok(token) => (token, None),
                Err(e) if e.code() == "keyring_unavailable" => (None, Some(e)),
                Err(e) => return Err(crate::mail::secret_error(e)),
            },
            None => (None, None),
        };
        let mut config = ClientConfig::new(row.url.clone(), token.unwrap_or_else(|| Secret::new(String::new())));
        config.insecure_skip_tls_verify = row.insecure;
        Ok((Client::new(config).map_err(scim_error)?, keyring))
    }
}

/// A 401 after the keyring could not be reached says so: the token was never sent, and the
/// admin's fix is the keyring, not the token.
fn unreadable_token(e: Error, keyring: Option<SecretError>) -> Error {
    let unauthorized = e.fields.iter().any(|f| f.field == "remote" && f.code == ScimErrorCode::Unauthorized.as_str());
    match keyring {
        Some(keyring) if unauthorized => {
            let message = format!(
                "{}. The OS keyring could not be reached, so the remote's token was not sent: {keyring}",
                e.message
            );
            let token = FieldProblem { field: "token".into(), code: keyring.code().into(), message: message.clone() };
            Error { message, fields: e.fields.into_iter().chain([token]).collect(), ..e }
        }
        _ => e,
    }
}
