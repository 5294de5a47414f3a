//! Roster's SCIM 2.0 client (RFC 7643 / RFC 7644): the protocol library remote sync is built
//! on. It talks to one directory (a base URL and a bearer token) and stores nothing.
//!
//! ```no_run
//! use roster_core::Secret;
//! use roster_scim::{Client, ClientConfig, ListQuery, MultiValue, PatchOp, User};
//!
//! let client = Client::new(ClientConfig::new("https://idp.example.com/scim/v2", Secret::new("token".into())))?;
//! let capabilities = client.discover()?;             // bulk? etag? the Roster extension?
//! let mut user = User::new("alice");
//! user.external_id = Some("0190b6e2-…".into());     // Roster's id: finds a create whose answer was lost
//! user.emails = vec![MultiValue::primary_work("alice@example.com")];
//! capabilities.fit_user(&mut user);                  // drop extensions the server does not take
//! let created = client.create_once(&user)?.resource; // never twice, even when answers get lost
//! let mut changed = created.clone();
//! changed.active = Some(false);
//! client.patch::<User>(created.id.as_deref().unwrap(), &PatchOp::diff(&created, &changed), created.meta.as_ref().and_then(|m| m.version.as_deref()))?;
//! let everyone: Vec<User> = client.list(&ListQuery::default())?;
//! # Ok::<(), roster_scim::ScimError>(())
//! ```
//!
//! - **Wire types** ([`User`] with the enterprise and Roster extensions, [`Group`],
//!   [`ListResponse`], [`PatchOp`], [`BulkRequest`] / [`BulkResponse`], [`ErrorResponse`],
//!   [`ServiceProviderConfig`], [`Schema`], [`ResourceType`]) are boundary types: they
//!   derive serde, spell attributes as SCIM does, and keep attributes they do not name.
//!   The Roster extension's definition ships as `schemas/roster-user-extension.json`
//!   ([`ROSTER_USER_EXTENSION_JSON`]), in SCIM schema format, for servers to load.
//! - **Discovery** ([`Client::discover`]) reads `/ServiceProviderConfig`, `/Schemas` and
//!   `/ResourceTypes` into [`Capabilities`].
//! - **Reading**: [`Client::get`], [`Client::list`] / [`Client::for_each_page`] (paging by
//!   `startIndex` / `count`, following what the server actually returned, so a server that
//!   caps `count` is read whole), [`Client::find`] by filter.
//! - **Writing**: [`Client::create`], [`Client::create_once`], [`Client::replace`] (PUT),
//!   [`Client::patch`] ([`PatchOp::diff`] sends only changed attributes), [`Client::delete`],
//!   with `If-Match` when the server supports ETags.
//! - **Many operations**: [`Client::bulk`] sends `/Bulk` requests in chunks within the
//!   server's limits, `bulkId` references resolved within and across chunks
//!   (see [`bulk`]), or single requests several at once when the server has no `/Bulk`.
//!
//! Invariants:
//!
//! - **Errors** have a stable [`ScimErrorCode`] (switch on it, never on the text) and keep the
//!   server's `status`, `scimType` and `detail`; `Retry-After` is parsed.
//! - **Retries** ([`RetryPolicy`]): 429 and 503 wait for `Retry-After`; other 5xx, timeouts
//!   and connection errors back off exponentially with full jitter. A POST is never sent
//!   again after a failure that may have been applied ([`ScimError::maybe_applied`]): the
//!   create paths look the resource up by `externalId` (else `userName` / `displayName`)
//!   first, so nothing is created twice. Sleeping and randomness come from a
//!   [`RetryClock`], so tests are fast and deterministic.
//! - **Secrets**: the token is a [`roster_core::Secret`]: `Debug` of the config and the
//!   client print `<redacted>`, its header is marked sensitive, and an error message never
//!   contains it (even when a server echoes it). A user's password is write only: sent when
//!   set, dropped when read, hidden by every `Debug` (users, patches, bulk operations).
//! - **TLS** is rustls with ring, verified against the OS's trust store unless the caller
//!   sets `insecure_skip_tls_verify`; never native-tls or OpenSSL. Redirects are not
//!   followed (the token goes to the configured server only).
//! - **Connections** are kept alive and reused; at most `max_concurrency` requests are in
//!   flight per client, across threads.
//! - **Blocking**: call it from a plain thread, never from an async runtime's threads.
//!
//! Architecture invariant: a protocol library. It knows no workspace file, no keyring, no UI
//! and no Roster use case; mapping between Roster's users and SCIM users is the caller's. The
//! only crate that depends on reqwest.

pub mod bulk;
mod client;
mod discovery;
mod error;
mod filter;
mod model;
mod patch;
mod push;
mod retry;
mod tls;

pub use bulk::{BulkMethod, BulkOperation, BulkOperationResponse, BulkRequest, BulkResponse};
pub use client::{Client, ClientConfig, Created, ListQuery, Paging, Patched};
pub use discovery::{
    AuthenticationScheme, BulkConfig, BulkLimits, Capabilities, FilterConfig, ResourceType, Schema,
    SchemaAttribute, SchemaExtension, ServiceProviderConfig, Supported,
};
pub use error::{ScimError, ScimErrorCode};
pub use filter::Filter;
pub use model::{
    CustomAttribute, EnterpriseUser, ErrorResponse, Group, ListResponse, Manager, Meta, MultiValue,
    Name, Reference, Resource, RosterUser, Session, User, BULK_REQUEST_SCHEMA,
    BULK_RESPONSE_SCHEMA, ENTERPRISE_USER_SCHEMA, ERROR_SCHEMA, GROUP_SCHEMA, LIST_RESPONSE_SCHEMA,
    PATCH_OP_SCHEMA, ROSTER_USER_EXTENSION_JSON, ROSTER_USER_SCHEMA, USER_SCHEMA,
};
pub use patch::{PatchKind, PatchOp, PatchOperation};
pub use push::{BulkMode, BulkOptions, BulkProgress, BulkReport, Done, OperationResult, Outcome};
pub use retry::{parse_retry_after, RetryClock, RetryPolicy, SystemRetryClock};
