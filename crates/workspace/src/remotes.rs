//! Remote directories (SCIM 2.0 service providers): profiles with their bearer token in the
//! OS keyring, the one the workspace is linked to, and the sync status.
//!
//! Once a remote is linked, every change to users, groups, roles, sessions and memberships
//! queues itself for the next push (store triggers, in the change's own transaction). Linking
//! also adopts what existed before: every user and group the remote does not know yet is
//! queued, in the link's transaction, so that the first push sends it (a pull first matches
//! those already on the remote, by externalId then userName, instead of creating them twice).

use roster_core::{AuditEntity, FieldCode, FieldError, FieldErrors, Secret, Timestamp};
use roster_secrets::{workspace_account, Keyring};
use roster_store::{AuditRecord, RemoteRow, Writer};
use serde::{Deserialize, Serialize};

use crate::mail::secret_error;
use crate::views::{deserialize_secret, rfc3339};
use crate::{Error, ErrorCode, Workspace};

/// A remote as the admin gives it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RemoteInput {
    pub name: String,
    /// The SCIM base URL, e.g. `https://idp.example.com/scim/v2`.
    pub url: String,
    /// The bearer token (kept in the OS keyring only); None: the server needs none.
    #[serde(deserialize_with = "deserialize_secret")]
    pub token: Option<Secret<String>>,
    /// Skip TLS verification for this remote (a warning each time it is used).
    pub insecure_skip_tls_verify: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteView {
    pub name: String,
    pub url: String,
    pub insecure_skip_tls_verify: bool,
    pub linked: bool,
    /// Whether the OS keyring holds a token for it.
    pub token_in_keyring: bool,
    /// The server's capabilities at the last discovery (SCIM's own JSON), if any.
    pub capabilities: Option<serde_json::Value>,
    pub discovered_at: Option<String>,
    pub last_pull: Option<String>,
    pub last_push: Option<String>,
    pub created_at: String,
    /// Set by `remote_add` and `remote_link` when they link: how many users and groups that
    /// existed before (and that this remote does not know yet) were queued for a push. Null
    /// elsewhere, and when adding a remote that is not linked.
    pub adopted: Option<u64>,
}

/// Where the workspace stands with its linked remote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatusView {
    /// None: the workspace is local only.
    pub remote: Option<String>,
    pub pending: u64,
    pub conflicts: u64,
    /// The fields the linked remote does not keep (no Roster extension at its last discovery):
    /// changes to them stay in this workspace. Empty when local only or not discovered yet.
    pub local_only_fields: Vec<String>,
    pub last_pull: Option<String>,
    pub last_push: Option<String>,
}

impl Workspace {
    /// Adds a remote profile; its token goes to the OS keyring (refused, not written
    /// elsewhere, when there is no keyring). The first remote added is linked, adopting what
    /// the workspace already holds (see [`Workspace::remote_link`]).
    pub fn remote_add(&mut self, input: RemoteInput) -> Result<RemoteView, Error> {
        let mut errors = FieldErrors::new();
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            errors.push(FieldError::new("name", FieldCode::InvalidValue, "A remote's name is 1 to 64 letters, digits, '-', '_' or '.'"));
        }
        let url = input.url.trim().trim_end_matches('/').to_owned();
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace) || url.len() < 10 {
            errors.push(FieldError::new("url", FieldCode::InvalidValue, "The SCIM base URL must start with https:// (or http:// on a trusted network)"));
        }
        if !errors.is_empty() {
            return Err(Error::from_fields(errors));
        }
        if self.store.reader().remote(&name)?.is_some() {
            return Err(Error::from_fields(FieldError::new("name", FieldCode::Taken, format!("A remote named {name} exists")).into()));
        }
        let id = self.workspace_id()?;
        if let Some(token) = &input.token {
            Keyring::new().store(&token_account(&id, &name), token).map_err(secret_error)?;
        }
        let now = self.clock.now();
        let actor = self.actor.clone();
        let adopted = self.store.write(|w| {
            w.insert_remote(&name, &url, input.insecure_skip_tls_verify, now)?;
            let adopted = match w.reader().linked_remote()? {
                None => Some(link_and_adopt(w, &name, now)?),
                Some(_) => None,
            };
            let queued = adopted.map(queued_text).unwrap_or_default();
            audit_remote(w, now, &actor, &name, "remote_add", &format!("Added the remote {name} ({url}){queued}"))?;
            Ok::<_, Error>(adopted)
        })?;
        Ok(RemoteView { adopted, ..self.remote_show(&name)? })
    }

    pub fn remote_list(&self) -> Result<Vec<RemoteView>, Error> {
        let rows = self.store.reader().remotes()?;
        rows.into_iter().map(|r| self.remote_view(r)).collect()
    }

    pub fn remote_show(&self, name: &str) -> Result<RemoteView, Error> {
        let row = self.store.reader().remote(name.trim())?.ok_or_else(|| not_found(name))?;
        self.remote_view(row)
    }

    /// Removes a remote and its token. Removing the linked one makes the workspace local only
    /// and forgets what was queued for it.
    pub fn remote_remove(&mut self, name: &str) -> Result<RemoteView, Error> {
        let view = self.remote_show(name)?;
        let now = self.clock.now();
        let actor = self.actor.clone();
        self.store.write(|w| {
            w.delete_remote(&view.name)?;
            audit_remote(w, now, &actor, &view.name, "remote_remove", &format!("Removed the remote {}", view.name))
        })?;
        if let Some(id) = self.store.reader().setting(crate::mail::WORKSPACE_ID)? {
            // Without a keyring here no token can have been stored from here.
            match Keyring::new().delete(&token_account(&id, &view.name)) {
                Err(e) if e.code() != "keyring_unavailable" => return Err(secret_error(e)),
                _ => {}
            }
        }
        Ok(view)
    }

    /// Links the workspace to this remote: from now on its changes queue for it. Linking
    /// another than the current one forgets the current one's queue. In the same transaction
    /// every user and group the remote does not know yet is queued (`adopted`: how many were
    /// newly queued; linking the same remote again queues nothing twice).
    pub fn remote_link(&mut self, name: &str) -> Result<RemoteView, Error> {
        let view = self.remote_show(name)?;
        let now = self.clock.now();
        let actor = self.actor.clone();
        let adopted = self.store.write(|w| {
            let adopted = link_and_adopt(w, &view.name, now)?;
            let summary = format!("Linked the workspace to {}{}", view.name, queued_text(adopted));
            audit_remote(w, now, &actor, &view.name, "remote_link", &summary)?;
            Ok::<_, Error>(adopted)
        })?;
        Ok(RemoteView { adopted: Some(adopted), ..self.remote_show(name)? })
    }

    pub fn sync_status(&self) -> Result<SyncStatusView, Error> {
        let r = self.store.reader();
        let (pending, conflicts) = r.sync_counts()?;
        let linked = r.linked_remote()?;
        Ok(SyncStatusView {
            remote: linked.as_ref().map(|l| l.name.clone()),
            pending,
            conflicts,
            local_only_fields: linked
                .as_ref()
                .filter(|l| l.capabilities.is_some())
                .map(|l| crate::sync::local_only(Self::stored_extension(l)))
                .unwrap_or_default(),
            last_pull: linked.as_ref().and_then(|l| l.last_pull).map(rfc3339),
            last_push: linked.as_ref().and_then(|l| l.last_push).map(rfc3339),
        })
    }

    fn remote_view(&self, r: RemoteRow) -> Result<RemoteView, Error> {
        let token_in_keyring = match self.store.reader().setting(crate::mail::WORKSPACE_ID)? {
            Some(id) => Keyring::new().contains(&token_account(&id, &r.name)).unwrap_or(false),
            None => false,
        };
        Ok(RemoteView {
            name: r.name,
            url: r.url,
            insecure_skip_tls_verify: r.insecure,
            linked: r.linked,
            token_in_keyring,
            capabilities: r.capabilities.and_then(|c| serde_json::from_str(&c).ok()),
            discovered_at: r.discovered_at.map(rfc3339),
            last_pull: r.last_pull.map(rfc3339),
            last_push: r.last_push.map(rfc3339),
            created_at: rfc3339(r.created_at),
            adopted: None,
        })
    }
}

/// The keyring account of a remote's bearer token.
pub(crate) fn token_account(workspace_id: &str, remote: &str) -> String {
    workspace_account(workspace_id, &format!("scim-token/{}", remote.to_ascii_lowercase()))
}

/// Links `name` and queues what existed before the link; how many were queued.
fn link_and_adopt(w: &Writer<'_>, name: &str, at: Timestamp) -> Result<u64, Error> {
    w.link_remote(name)?;
    Ok(w.adopt_unsynced(at)?)
}

fn queued_text(adopted: u64) -> String {
    if adopted == 0 {
        String::new()
    } else {
        format!("; queued {adopted} existing users and groups for a push")
    }
}

fn not_found(name: &str) -> Error {
    Error::new(ErrorCode::NotFound, format!("No remote named \"{}\"", name.trim()))
}

fn audit_remote(w: &Writer<'_>, at: Timestamp, actor: &str, name: &str, action: &str, summary: &str) -> Result<(), Error> {
    w.append_audit(&AuditRecord { at, actor, entity: AuditEntity::Settings, entity_id: "remote", subject: name, action, summary, before: None, after: None })?;
    Ok(())
}
