//! The client: one directory (base URL + bearer token), kept-alive connections, a bound on
//! requests in flight, retries by the [`RetryPolicy`].

use std::fmt;
use std::ops::ControlFlow;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::blocking::Client as Http;
use reqwest::header::{
    HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MATCH, LOCATION, RETRY_AFTER,
};
use reqwest::{Method, Url};
use roster_core::Secret;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::discovery::{Capabilities, ResourceType, Schema, ServiceProviderConfig};
use crate::error::{ScimError, ScimErrorCode};
use crate::filter::Filter;
use crate::model::{ErrorResponse, ListResponse, Resource};
use crate::patch::PatchOp;
use crate::retry::{parse_retry_after, RetryClock, RetryPolicy, SystemRetryClock};
use crate::tls;

const SCIM_JSON: &str = "application/scim+json";

/// How to reach a directory. The token is a [`Secret`]: `Debug` prints `<redacted>`.
#[derive(Clone)]
pub struct ClientConfig {
    /// The SCIM base URL, e.g. `https://idp.example.com/scim/v2` (resources are below it:
    /// `…/v2/Users`). http or https; no user name or password in it.
    pub base_url: String,
    pub token: Secret<String>,
    /// Accept any certificate. Off by default; only ever an admin's explicit choice.
    pub insecure_skip_tls_verify: bool,
    /// PEM certificates trusted beside the OS's roots (a company CA).
    pub extra_root_certificates: Vec<Vec<u8>>,
    pub connect_timeout: Duration,
    /// The longest one request may take, answer included.
    pub request_timeout: Duration,
    /// The most requests in flight at once, over all threads using the client (and the
    /// connections kept alive).
    pub max_concurrency: usize,
    pub retry: RetryPolicy,
}

impl ClientConfig {
    /// Verified TLS, 10 s to connect, 60 s per request, 8 requests at once, the default
    /// retry policy.
    pub fn new(base_url: impl Into<String>, token: Secret<String>) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            token,
            insecure_skip_tls_verify: false,
            extra_root_certificates: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_concurrency: 8,
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field(
                "extra_root_certificates",
                &self.extra_root_certificates.len(),
            )
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_concurrency", &self.max_concurrency)
            .field("retry", &self.retry)
            .finish()
    }
}

/// A SCIM client for one directory. Cheap to clone (clones share connections, the bound on
/// requests in flight and the discovered capabilities) and safe to use from many threads.
///
/// Blocking: call it from a plain thread (the CLI, a worker thread of the desktop), never
/// from an async runtime's own threads.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: Http,
    base: Url,
    /// `host:port` and the base path, for messages.
    server: String,
    authorization: HeaderValue,
    token: Secret<String>,
    retry: RetryPolicy,
    clock: Arc<dyn RetryClock>,
    gate: Gate,
    capabilities: Mutex<Option<Capabilities>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base.as_str())
            .field("token", &self.inner.token)
            .finish_non_exhaustive()
    }
}

/// Whether a failed request may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Repeating does no harm (GET, PUT, PATCH of set values, DELETE).
    Safe,
    /// Only when the server surely did not act on it (connection refused, 429, 503): POST.
    UnlessMaybeApplied,
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub etag: Option<String>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// What a create did.
#[derive(Debug, Clone, PartialEq)]
pub struct Created<T> {
    pub resource: T,
    /// True when the answer to the create was lost and the resource was found on the server
    /// (so it was created exactly once, by an earlier attempt).
    pub recovered: bool,
}

/// What a PATCH returned: the resource when the server sends it (200), else only its new
/// version (204).
#[derive(Debug, Clone, PartialEq)]
pub struct Patched<T> {
    pub resource: Option<T>,
    pub version: Option<String>,
}

/// Which resources to list, and how many per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// Resources asked per page. Servers may return fewer (their `maxResults`); paging goes
    /// on by what they did return.
    pub page_size: u64,
    /// Only these attributes (`attributes=`), when not empty.
    pub attributes: Vec<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            filter: None,
            page_size: 100,
            attributes: Vec::new(),
        }
    }
}

impl ListQuery {
    pub fn filtered(filter: Filter) -> ListQuery {
        ListQuery {
            filter: Some(filter),
            ..ListQuery::default()
        }
    }
}

/// What paging through a list saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paging {
    /// `totalResults` of the last page.
    pub total_results: u64,
    pub received: u64,
    pub pages: u32,
}

impl Client {
    /// A client with real sleeping and randomness for its retries.
    pub fn new(config: ClientConfig) -> Result<Client, ScimError> {
        Client::with_clock(config, Arc::new(SystemRetryClock::new()))
    }

    /// A client whose retries sleep, read the time and draw jitter through `clock`.
    pub fn with_clock(
        config: ClientConfig,
        clock: Arc<dyn RetryClock>,
    ) -> Result<Client, ScimError> {
        let mut base = Url::parse(config.base_url.trim()).map_err(|e| {
            ScimError::new(
                ScimErrorCode::Protocol,
                format!("the SCIM base URL {:?} is not a URL: {e}", config.base_url),
            )
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(ScimError::new(
                ScimErrorCode::Protocol,
                format!(
                    "the SCIM base URL must start with https:// (or http://), not {:?}",
                    base.scheme()
                ),
            ));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(ScimError::new(
                ScimErrorCode::Protocol,
                "the SCIM base URL must not hold a user name or password: give the token apart",
            ));
        }
        base.set_query(None);
        base.set_fragment(None);
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let server = format!(
            "{}:{}{}",
            base.host_str().unwrap_or_default(),
            base.port_or_known_default().unwrap_or_default(),
            base.path().trim_end_matches('/')
        );
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", config.token.expose()))
            .map_err(|_| {
                ScimError::new(
                    ScimErrorCode::Unauthorized,
                    "the bearer token holds characters a header cannot carry",
                )
            })?;
        authorization.set_sensitive(true);
        let tls = tls::client_config(
            config.insecure_skip_tls_verify,
            &config.extra_root_certificates,
        )?;
        let max_concurrency = config.max_concurrency.max(1);
        let http = Http::builder()
            .tls_backend_preconfigured(tls)
            .user_agent(concat!("roster-scim/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_max_idle_per_host(max_concurrency)
            .pool_idle_timeout(Duration::from_secs(50))
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                ScimError::new(
                    ScimErrorCode::Tls,
                    format!("cannot set up HTTPS: {}", chain(&e)),
                )
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                server,
                authorization,
                token: config.token,
                retry: config.retry,
                clock,
                gate: Gate::new(max_concurrency),
                capabilities: Mutex::new(None),
            }),
        })
    }

    /// The base URL, with a trailing slash.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    pub fn max_concurrency(&self) -> usize {
        self.inner.gate.limit
    }

    /// What the last [`Client::discover`] found, if it ran.
    pub fn capabilities(&self) -> Option<Capabilities> {
        lock(&self.inner.capabilities).clone()
    }

    // ---- discovery -------------------------------------------------------------------------

    /// Reads `/ServiceProviderConfig`, `/Schemas` and `/ResourceTypes` (the last two may be
    /// missing: RFC 7644 makes them optional), then checks the token with a one-result
    /// `/Users` query (some servers serve discovery without one). The client keeps the
    /// result: `If-Match` is sent only when the server supports ETags, and pages are no
    /// larger than its `maxResults`.
    pub fn discover(&self) -> Result<Capabilities, ScimError> {
        let config: ServiceProviderConfig = parse(
            &self.get_answer(&["ServiceProviderConfig"], &[])?,
            "ServiceProviderConfig",
        )?;
        let schemas = self.optional_list::<Schema>("Schemas")?;
        let resource_types = self.optional_list::<ResourceType>("ResourceTypes")?;
        let capabilities =
            Capabilities::from_discovery(&config, schemas.as_deref(), resource_types.as_deref());
        self.get_answer(
            &["Users"],
            &[
                ("startIndex", "1".into()),
                ("count", "1".into()),
                ("attributes", "id".into()),
            ],
        )?;
        *lock(&self.inner.capabilities) = Some(capabilities.clone());
        Ok(capabilities)
    }

    /// A discovery list (`/Schemas`, `/ResourceTypes`): a ListResponse or a bare array;
    /// `None` when the server does not serve it.
    fn optional_list<T: DeserializeOwned>(
        &self,
        endpoint: &str,
    ) -> Result<Option<Vec<T>>, ScimError> {
        let answer = match self.get_answer(&[endpoint], &[]) {
            Ok(answer) => answer,
            Err(e) if matches!(e.status(), Some(404 | 405 | 501)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let value: Value = parse(&answer, endpoint)?;
        let items = match value {
            Value::Array(items) => items,
            Value::Object(mut map) => {
                match map.remove("Resources").or_else(|| map.remove("resources")) {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                }
            }
            _ => return Err(self.protocol_error(endpoint, "neither a list nor a ListResponse")),
        };
        // One odd entry (a schema this type cannot read) does not hide the others.
        Ok(Some(
            items
                .into_iter()
                .filter_map(|item| serde_json::from_value(item).ok())
                .collect(),
        ))
    }

    // ---- reading ---------------------------------------------------------------------------

    pub fn get<T: Resource>(&self, id: &str) -> Result<T, ScimError> {
        let answer = self.get_answer(&[T::ENDPOINT, id], &[])?;
        let mut resource: T = parse(&answer, T::ENDPOINT)?;
        keep_etag(&mut resource, &answer);
        Ok(resource)
    }

    /// One page: `startIndex` (1-based) and `count`.
    pub fn page<T: Resource>(
        &self,
        query: &ListQuery,
        start_index: u64,
        count: u64,
    ) -> Result<ListResponse<T>, ScimError> {
        let mut params = vec![
            ("startIndex", start_index.max(1).to_string()),
            ("count", count.to_string()),
        ];
        if let Some(filter) = &query.filter {
            params.push(("filter", filter.to_string()));
        }
        if !query.attributes.is_empty() {
            params.push(("attributes", query.attributes.join(",")));
        }
        parse(&self.get_answer(&[T::ENDPOINT], &params)?, T::ENDPOINT)
    }

    /// Every page of a query, in order, until `totalResults` are received (or a page comes
    /// back empty, or `on_page` breaks). Each next page starts after the resources actually
    /// returned, so a server that caps `count` below the page size is followed correctly.
    pub fn for_each_page<T: Resource>(
        &self,
        query: &ListQuery,
        mut on_page: impl FnMut(ListResponse<T>) -> ControlFlow<()>,
    ) -> Result<Paging, ScimError> {
        let mut count = query.page_size.max(1);
        if let Some(max) = self.capabilities().and_then(|c| c.max_results) {
            count = count.min(max);
        }
        let mut paging = Paging::default();
        let mut start = 1;
        loop {
            let page: ListResponse<T> = self.page(query, start, count)?;
            let received = page.resources.len() as u64;
            paging.pages += 1;
            paging.received += received;
            paging.total_results = page.total_results;
            let total = page.total_results;
            if on_page(page).is_break() || received == 0 || start - 1 + received >= total {
                return Ok(paging);
            }
            start += received;
        }
    }

    /// Every resource a query matches, through as many pages as it takes.
    pub fn list<T: Resource>(&self, query: &ListQuery) -> Result<Vec<T>, ScimError> {
        let mut all = Vec::new();
        self.for_each_page(query, |page: ListResponse<T>| {
            all.extend(page.resources);
            ControlFlow::Continue(())
        })?;
        Ok(all)
    }

    /// The one resource matching `filter`, if any; two or more is a `conflict`.
    pub fn find<T: Resource>(&self, filter: &Filter) -> Result<Option<T>, ScimError> {
        match self.find_value(T::ENDPOINT, filter)? {
            Some(value) => serde_json::from_value(value)
                .map(Some)
                .map_err(|e| self.protocol_error(T::ENDPOINT, &e.to_string())),
            None => Ok(None),
        }
    }

    pub(crate) fn find_value(
        &self,
        endpoint: &str,
        filter: &Filter,
    ) -> Result<Option<Value>, ScimError> {
        let params = [
            ("startIndex", "1".to_owned()),
            ("count", "2".to_owned()),
            ("filter", filter.to_string()),
        ];
        let page: ListResponse<Value> = parse(&self.get_answer(&[endpoint], &params)?, endpoint)?;
        let mut found = page.resources.into_iter();
        match (found.next(), found.next()) {
            (Some(_), Some(_)) => Err(ScimError::new(
                ScimErrorCode::Conflict,
                format!(
                    "GET {}/{endpoint}: more than one resource matches {filter} ({} in all)",
                    self.inner.server, page.total_results
                ),
            )),
            (one, None) => Ok(one),
            (None, Some(_)) => unreachable!("an iterator yields no value after None"),
        }
    }

    /// The user whose `externalId` is `external_id` (Roster's id of them).
    pub fn find_user_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<crate::User>, ScimError> {
        self.find(&Filter::eq("externalId", external_id))
    }

    pub fn find_user_by_user_name(
        &self,
        user_name: &str,
    ) -> Result<Option<crate::User>, ScimError> {
        self.find(&Filter::eq("userName", user_name))
    }

    pub fn find_group_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<crate::Group>, ScimError> {
        self.find(&Filter::eq("externalId", external_id))
    }

    pub fn find_group_by_display_name(
        &self,
        display_name: &str,
    ) -> Result<Option<crate::Group>, ScimError> {
        self.find(&Filter::eq("displayName", display_name))
    }

    // ---- writing ---------------------------------------------------------------------------

    /// POSTs a new resource (its `schemas` filled in). Sent again only after failures that
    /// leave it surely undone (connection refused, 429, 503); after one that may have been
    /// applied the error says so ([`ScimError::maybe_applied`]): use [`Client::create_once`].
    pub fn create<T: Resource>(&self, resource: &T) -> Result<T, ScimError> {
        let body = create_body(resource);
        let answer = self.execute(
            Method::POST,
            self.url(&[T::ENDPOINT], &[]),
            Some(&body),
            None,
            Replay::UnlessMaybeApplied,
        )?;
        let mut created: T = parse(&answer, T::ENDPOINT)?;
        keep_etag(&mut created, &answer);
        Ok(created)
    }

    /// Creates a resource exactly once, even when answers get lost: after a failure that may
    /// have been applied (or a 409 following one), looks the resource up by
    /// [`Resource::identity_filter`] (`externalId`, else `userName` / `displayName`) and
    /// returns it if it is there; creates it again only if it is not.
    pub fn create_once<T: Resource>(&self, resource: &T) -> Result<Created<T>, ScimError> {
        let filter = resource.identity_filter();
        self.create_checked(resource, |client| client.find::<T>(&filter))
    }

    /// [`Client::create_once`] with the caller's own check: `check` is asked, after each
    /// failure that may have been applied, whether the resource exists now.
    pub fn create_checked<T: Resource>(
        &self,
        resource: &T,
        mut check: impl FnMut(&Client) -> Result<Option<T>, ScimError>,
    ) -> Result<Created<T>, ScimError> {
        let body = create_body(resource);
        let outcome = self.post_once(T::ENDPOINT, &body, |client| {
            Ok(check(client)?.map(|found| serde_json::to_value(found).unwrap_or(Value::Null)))
        })?;
        match outcome {
            PostOutcome::Created(answer) => {
                let mut created: T = parse(&answer, T::ENDPOINT)?;
                keep_etag(&mut created, &answer);
                Ok(Created {
                    resource: created,
                    recovered: false,
                })
            }
            PostOutcome::Found(value) => Ok(Created {
                resource: serde_json::from_value(value)
                    .map_err(|e| self.protocol_error(T::ENDPOINT, &e.to_string()))?,
                recovered: true,
            }),
        }
    }

    /// The POST loop behind every create: `check` runs after each failure that may have been
    /// applied, and the POST is repeated (with backoff, within the retry policy's attempts)
    /// only when it finds nothing.
    pub(crate) fn post_once(
        &self,
        endpoint: &str,
        body: &[u8],
        mut check: impl FnMut(&Client) -> Result<Option<Value>, ScimError>,
    ) -> Result<PostOutcome, ScimError> {
        let url = self.url_of_path(endpoint);
        let mut uncertain = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.execute(
                Method::POST,
                url.clone(),
                Some(body),
                None,
                Replay::UnlessMaybeApplied,
            ) {
                Ok(answer) => return Ok(PostOutcome::Created(answer)),
                Err(error) => error,
            };
            // A 409 after an attempt whose answer was lost is most likely that attempt's
            // own resource.
            let lost =
                error.maybe_applied() || (uncertain && error.code() == ScimErrorCode::Conflict);
            if !lost {
                return Err(error);
            }
            uncertain = true;
            if let Some(found) = check(self)? {
                return Ok(PostOutcome::Found(found));
            }
            if error.code() == ScimErrorCode::Conflict || attempt >= self.inner.retry.max_attempts {
                return Err(ScimError {
                    maybe_applied: false,
                    ..error
                });
            }
            let wait = self
                .inner
                .retry
                .backoff(attempt, self.inner.clock.random_fraction());
            self.inner.clock.sleep(wait);
        }
    }

    /// PUTs the resource whole at its id, with `If-Match` its version (when it has one and
    /// the server supports ETags).
    pub fn replace<T: Resource>(&self, resource: &T) -> Result<T, ScimError> {
        let id = resource.id().ok_or_else(|| {
            ScimError::new(
                ScimErrorCode::Invalid,
                format!("a {} to replace needs its id", T::ENDPOINT),
            )
        })?;
        let mut resource = resource.clone();
        resource.fill_schemas();
        let body = serde_json::to_vec(&resource).expect("a resource serialises");
        let if_match = self.if_match(resource.version());
        let answer = self.execute(
            Method::PUT,
            self.url(&[T::ENDPOINT, id], &[]),
            Some(&body),
            if_match,
            Replay::Safe,
        )?;
        let mut replaced: T = parse(&answer, T::ENDPOINT)?;
        keep_etag(&mut replaced, &answer);
        Ok(replaced)
    }

    /// PATCHes the resource `id`, with `If-Match: version` when given and the server supports
    /// ETags. A 412 means it changed meanwhile; with [`ScimError::maybe_applied`] set, the
    /// change may be this very patch, sent again after its answer was lost.
    pub fn patch<T: Resource>(
        &self,
        id: &str,
        patch: &PatchOp,
        version: Option<&str>,
    ) -> Result<Patched<T>, ScimError> {
        let body = serde_json::to_vec(patch).expect("a patch serialises");
        let answer = self.execute(
            Method::PATCH,
            self.url(&[T::ENDPOINT, id], &[]),
            Some(&body),
            self.if_match(version),
            Replay::Safe,
        )?;
        if answer.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Patched {
                resource: None,
                version: answer.etag,
            });
        }
        let mut resource: T = parse(&answer, T::ENDPOINT)?;
        keep_etag(&mut resource, &answer);
        let version = resource.version().map(str::to_owned);
        Ok(Patched {
            resource: Some(resource),
            version,
        })
    }

    /// DELETEs the resource `id`. A 404 after an attempt whose answer was lost counts as
    /// done.
    pub fn delete<T: Resource>(&self, id: &str, version: Option<&str>) -> Result<(), ScimError> {
        match self.execute(
            Method::DELETE,
            self.url(&[T::ENDPOINT, id], &[]),
            None,
            self.if_match(version),
            Replay::Safe,
        ) {
            Ok(_) => Ok(()),
            Err(e) if e.code() == ScimErrorCode::NotFound && e.maybe_applied() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `If-Match` only with a version, and not to a server known to have no ETags.
    pub(crate) fn if_match<'a>(&self, version: Option<&'a str>) -> Option<&'a str> {
        let etag = lock(&self.inner.capabilities)
            .as_ref()
            .is_none_or(|c| c.etag);
        version.filter(|_| etag)
    }

    // ---- transport -------------------------------------------------------------------------

    /// `base/segment/segment?query`, each segment percent-encoded.
    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.inner.base.clone();
        {
            let mut path = url.path_segments_mut().expect("an http(s) URL has a path");
            path.pop_if_empty();
            path.extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// The URL of a bulk operation's `path` (`/Users/ID`).
    pub(crate) fn url_of_path(&self, path: &str) -> Url {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.url(&segments, &[])
    }

    fn get_answer(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Answer, ScimError> {
        self.execute(
            Method::GET,
            self.url(segments, query),
            None,
            None,
            Replay::Safe,
        )
    }

    /// Sends a request, and again as the retry policy and `replay` allow.
    pub(crate) fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<&[u8]>,
        if_match: Option<&str>,
        replay: Replay,
    ) -> Result<Answer, ScimError> {
        let what = format!(
            "{method} {}:{}{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default(),
            url.path()
        );
        let policy = self.inner.retry;
        let mut maybe_applied = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = {
                let _permit = self.inner.gate.enter();
                self.send_once(&what, &method, &url, body, if_match)
            };
            let mut error = match result {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            maybe_applied |= error.maybe_applied;
            let may_repeat = replay == Replay::Safe || !error.maybe_applied;
            let wait = may_repeat
                .then(|| policy.delay_after(attempt, &error, self.inner.clock.random_fraction()))
                .flatten();
            match wait {
                Some(wait) => self.inner.clock.sleep(wait),
                None => {
                    error.attempts = attempt;
                    error.maybe_applied = maybe_applied;
                    return Err(error);
                }
            }
        }
    }

    fn send_once(
        &self,
        what: &str,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        if_match: Option<&str>,
    ) -> Result<Answer, ScimError> {
        let mut request = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, self.inner.authorization.clone())
            .header(ACCEPT, "application/scim+json, application/json");
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, SCIM_JSON).body(body.to_vec());
        }
        if let Some(version) = if_match {
            request = request.header(IF_MATCH, version);
        }
        let response = request
            .send()
            .map_err(|e| self.transport_error(what, &e, false))?;
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header(ETAG);
        let location = header(LOCATION);
        let retry_after = header(RETRY_AFTER);
        // A body that breaks off after the server answered: it did act on the request.
        let body = response
            .bytes()
            .map_err(|e| self.transport_error(what, &e, true))?
            .to_vec();
        if (200..300).contains(&status) {
            return Ok(Answer {
                status,
                etag,
                location,
                body,
            });
        }
        let text = String::from_utf8_lossy(&body);
        let parsed: Option<ErrorResponse> = serde_json::from_slice(&body).ok();
        let mut error = ScimError::from_answer(what, status, parsed, &text);
        if matches!(status, 429 | 503) {
            let now = self.inner.clock.now();
            error = error.with_retry_after(retry_after.and_then(|v| parse_retry_after(&v, now)));
        }
        if (300..400).contains(&status) {
            error.message = format!(
                "{what}: the server redirects to {} (answered {status}); use that address as the base URL",
                location.as_deref().unwrap_or("another address")
            );
        }
        // 5xx other than 503 and 501: the server may have failed after acting on it.
        error.maybe_applied = status >= 500 && !matches!(status, 501 | 503);
        Err(error.redact(self.inner.token.expose()))
    }

    fn transport_error(&self, what: &str, error: &reqwest::Error, answered: bool) -> ScimError {
        let reason = chain(error);
        let (code, message, maybe_applied) = if is_tls(error) {
            (
                ScimErrorCode::Tls,
                format!("{what}: no secure connection: {reason}"),
                false,
            )
        } else if error.is_timeout() {
            let sent = answered || !error.is_connect();
            (
                ScimErrorCode::Timeout,
                format!("{what}: no answer in time ({reason})"),
                sent,
            )
        } else if error.is_connect() {
            (
                ScimErrorCode::Unreachable,
                format!("{what}: cannot connect: {reason}"),
                false,
            )
        } else if error.is_builder() {
            (ScimErrorCode::Protocol, format!("{what}: {reason}"), false)
        } else {
            // Sent, or partly: the connection broke before the whole answer came.
            (
                ScimErrorCode::Unreachable,
                format!("{what}: the connection broke: {reason}"),
                true,
            )
        };
        let mut error = ScimError::new(code, message);
        error.maybe_applied = maybe_applied;
        error.redact(self.inner.token.expose())
    }

    fn protocol_error(&self, what: &str, reason: &str) -> ScimError {
        ScimError::new(
            ScimErrorCode::Protocol,
            format!(
                "{}/{what}: the answer is not SCIM: {reason}",
                self.inner.server
            ),
        )
    }

    pub(crate) fn clock(&self) -> &dyn RetryClock {
        self.inner.clock.as_ref()
    }

    pub(crate) fn server(&self) -> &str {
        &self.inner.server
    }
}

/// A create's outcome: the server's answer, or the resource found after a lost answer.
pub(crate) enum PostOutcome {
    Created(Answer),
    Found(Value),
}

fn create_body<T: Resource>(resource: &T) -> Vec<u8> {
    let mut resource = resource.clone();
    resource.fill_schemas();
    serde_json::to_vec(&resource).expect("a resource serialises")
}

/// Fills `meta.version` from the `ETag` header when the body has none.
fn keep_etag<T: Resource>(resource: &mut T, answer: &Answer) {
    if let Some(etag) = &answer.etag {
        let meta = resource.meta_mut().get_or_insert_with(Default::default);
        if meta.version.is_none() {
            meta.version = Some(etag.clone());
        }
    }
}

pub(crate) fn parse<T: DeserializeOwned>(answer: &Answer, what: &str) -> Result<T, ScimError> {
    serde_json::from_slice(&answer.body).map_err(|e| {
        let start: String = String::from_utf8_lossy(&answer.body)
            .chars()
            .take(120)
            .collect();
        ScimError::new(
            ScimErrorCode::Protocol,
            format!(
                "{what}: the answer ({}) is not the SCIM JSON expected: {e}; it starts {start:?}",
                answer.status
            ),
        )
    })
}

/// The causes of an error, innermost last, without the URL (which reqwest puts first).
fn chain(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p: &String| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        error.to_string()
    } else {
        parts.join(": ")
    }
}

/// Whether rustls failed somewhere in the error's causes. An `io::Error` hides the error it
/// wraps from `source()` (it returns the wrapped error's source), so those are opened with
/// `get_ref()`.
fn is_tls(error: &reqwest::Error) -> bool {
    let mut pending: Vec<&(dyn std::error::Error + 'static)> = vec![error];
    while let Some(cause) = pending.pop() {
        if cause.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            pending.push(inner);
        }
        pending.extend(cause.source());
    }
    false
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A bound on requests in flight.
struct Gate {
    limit: usize,
    in_flight: Mutex<usize>,
    freed: Condvar,
}

struct Permit<'a>(&'a Gate);

impl Gate {
    fn new(limit: usize) -> Gate {
        Gate {
            limit,
            in_flight: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    fn enter(&self) -> Permit<'_> {
        let mut in_flight = lock(&self.in_flight);
        while *in_flight >= self.limit {
            in_flight = self
                .freed
                .wait(in_flight)
                .unwrap_or_else(|e| e.into_inner());
        }
        *in_flight += 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *lock(&self.0.in_flight) -= 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Result<Client, ScimError> {
        Client::new(ClientConfig::new(base, Secret::new("t0ken-t0ken".into())))
    }

    #[test]
    fn urls_are_built_below_the_base_path() {
        let c = client("https://idp.example.com/scim/v2").unwrap();
        assert_eq!(c.base_url(), "https://idp.example.com/scim/v2/");
        assert_eq!(
            c.url(
                &["Users", "a b/c"],
                &[("filter", "userName eq \"x\"".into())]
            )
            .as_str(),
            "https://idp.example.com/scim/v2/Users/a%20b%2Fc?filter=userName+eq+%22x%22"
        );
        assert_eq!(
            c.url_of_path("/Groups/g1").as_str(),
            "https://idp.example.com/scim/v2/Groups/g1"
        );
        let root = client("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            root.url(&["Bulk"], &[]).as_str(),
            "http://127.0.0.1:8080/Bulk"
        );
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for base in [
            "idp.example.com/scim",
            "ftp://idp.example.com/",
            "https://u:p@idp.example.com/",
        ] {
            let error = client(base).unwrap_err();
            assert_eq!(error.code(), ScimErrorCode::Protocol, "{base}");
        }
    }

    #[test]
    fn debug_never_shows_the_token() {
        let config = ClientConfig::new(
            "https://idp.example.com/",
            Secret::new("t0ken-t0ken".into()),
        );
        assert!(!format!("{config:?}").contains("t0ken"), "{config:?}");
        let c = Client::new(config).unwrap();
        assert!(!format!("{c:?}").contains("t0ken"), "{c:?}");
    }

    #[test]
    fn the_gate_bounds_requests_in_flight() {
        let gate = Gate::new(2);
        let peak = Mutex::new((0usize, 0usize));
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let _p = gate.enter();
                    {
                        let mut p = lock(&peak);
                        p.0 += 1;
                        p.1 = p.1.max(p.0);
                    }
                    std::thread::sleep(Duration::from_millis(5));
                    lock(&peak).0 -= 1;
                });
            }
        });
        assert_eq!(lock(&peak).1, 2);
    }
}
