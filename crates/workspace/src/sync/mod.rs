//! Sync with the linked remote directory over SCIM 2.0: pull its users and groups into the
//! workspace, plan and push the local changes the store's triggers queued, keep conflicts
//! (mine / theirs / base per field) until the admin resolves them.
//!
//! The comparison is three-way on a canonical form of each resource ([`map`]): `base` is
//! what both sides last agreed on (kept per resource in `sync_resources`), `mine` the local
//! resource now, `theirs` the remote one. A pull takes theirs where nothing local waits; a
//! push sends the difference between base and mine. Network work happens before the one
//! store transaction that records its result; nothing here holds a transaction open across
//! a request.

mod client;
mod conflicts;
mod map;
mod merge;
mod passwords;
mod pull;
mod push;
mod sessions;
pub(crate) mod results;

/// scim2-server for the tests that need the crate's insides (shared with the SCIM client's tests).
#[cfg(test)]
#[path = "../../../scim/tests/common/mod.rs"]
mod scim_server;

use roster_scim::ScimError;
use serde::Serialize;

pub use conflicts::SyncResolveInput;

/// For the use cases that set passwords (add_user, bulk apply): see `Workspace::password_sealer`.
#[allow(unused_imports)]
pub(crate) use passwords::PasswordSealer;
pub(crate) use pull::local_only;

use crate::{Error, ErrorCode, FieldProblem, Workspace};

/// Counts of one kind of resource in a pull.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncCountsView {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Gone from the remote and removed locally (nothing local was waiting for them).
    pub deleted: u64,
    pub conflicts: u64,
}

/// A remote resource, or one of its fields, that the workspace could not take as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncProblemView {
    /// `user` or `group`.
    pub entity: String,
    /// The user name or group name on the remote.
    pub name: String,
    pub field: String,
    pub message: String,
}

/// What a pull did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPullView {
    pub remote: String,
    pub users: SyncCountsView,
    pub groups: SyncCountsView,
    pub problems: Vec<SyncProblemView>,
    /// Fields kept in the workspace only, because this remote has no Roster extension
    /// ("local only for this remote").
    pub local_only_fields: Vec<String>,
    pub pulled_at: String,
}

/// One operation a push would send (or sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncOperationView {
    pub entity: String,
    pub local_id: String,
    pub name: String,
    /// `create`, `patch`, `delete`, or `held` (waits for its conflict to be resolved).
    pub operation: String,
    /// The attributes a patch changes (or a create sets).
    pub fields: Vec<String>,
    /// A password set offline goes with it.
    pub password: bool,
}

/// What a push would send: a dry run that contacts nobody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPlanView {
    pub remote: String,
    pub pending: u64,
    pub creates: u64,
    pub patches: u64,
    pub deletes: u64,
    /// Pending changes with nothing to send (e.g. a user created and deleted offline).
    pub nothing_to_send: u64,
    /// Pending changes that wait for an open conflict to be resolved (operation `held`): not sent.
    pub held: u64,
    pub operations: Vec<SyncOperationView>,
    pub local_only_fields: Vec<String>,
}

/// One operation's result in a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncResultView {
    pub n: u64,
    pub entity: String,
    pub local_id: String,
    pub name: String,
    /// `POST`, `PATCH`, `DELETE`.
    pub method: String,
    pub status: Option<u16>,
    /// `done`, `failed`, `conflict` or `not_sent`.
    pub result: String,
    /// The server's message when it refused.
    pub message: String,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPushView {
    pub remote: String,
    /// The push's number in the kept results (`sync_pushes`).
    pub push: i64,
    pub done: u64,
    pub failed: u64,
    pub conflicts: u64,
    /// Left queued for the next push (cancelled, or the server stopped answering).
    pub not_sent: u64,
    /// Pending changes not sent because they wait for an open conflict (see `SyncPlanView.held`).
    pub held: u64,
    pub cancelled: bool,
    /// Why the push stopped early, when it did.
    pub stopped: Option<String>,
    pub used_bulk: bool,
    /// HTTP requests this push sent: `/Bulk` or single ones, lookups of lost creates, and the
    /// read-backs of resources refused with 412.
    pub requests: u64,
    pub results: Vec<SyncResultView>,
    pub pushed_at: String,
}

/// One field of a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncFieldView {
    pub field: String,
    pub mine: Option<serde_json::Value>,
    pub theirs: Option<serde_json::Value>,
    pub base: Option<serde_json::Value>,
    /// Both sides changed it, to different values: the admin chooses. Otherwise only one side
    /// changed it (or both the same way) and a merge takes that side's value.
    pub conflicting: bool,
}

/// A local change and a remote one that disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncConflictView {
    pub id: i64,
    pub entity: String,
    pub local_id: String,
    pub remote_id: Option<String>,
    pub name: String,
    pub found_at: String,
    /// The remote no longer has it (theirs is JSON null): every field's theirs is absent.
    pub deleted_on_remote: bool,
    /// Only the fields where mine, theirs and base are not all the same.
    pub fields: Vec<SyncFieldView>,
    /// `mine` or `theirs` (one side for every field) or `fields` (some of each) once resolved.
    pub resolution: Option<String>,
}

impl Workspace {
    /// The lock a pull or push holds (`<workspace>.sync-lock`): one at a time per workspace,
    /// across the window and the CLI.
    pub(crate) fn sync_lock(&self) -> Result<std::fs::File, Error> {
        self.run_lock("sync", "Another Roster (a window or the CLI) is pulling from or pushing to this workspace's remote: try again when it has finished")
    }
}

/// A SCIM server problem (`remote`), its kind (the `ScimErrorCode`) in `fields[0].code`.
pub(crate) fn scim_error(e: ScimError) -> Error {
    let message = e.message().to_owned();
    Error { code: ErrorCode::Remote, message: message.clone(), fields: vec![FieldProblem { field: "remote".into(), code: e.code().as_str().into(), message }] }
}

pub(crate) fn not_linked() -> Error {
    Error::new(ErrorCode::NotConfigured, "This workspace is not linked to a remote directory: add one with `roster remote add` or in Settings → Remotes")
}
