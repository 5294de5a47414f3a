//! Why a SCIM request did not succeed: a stable code to switch on, the server's own words, and
//! what a retry may assume.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::model::ErrorResponse;

/// What went wrong, as a stable name callers switch on (never on the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScimErrorCode {
    /// No connection: the host is unknown, refuses connections, or the connection broke.
    Unreachable,
    /// The server did not answer in time (connecting, or the whole request).
    Timeout,
    /// No secure connection: the certificate is not trusted or not for this host, or the TLS
    /// handshake failed.
    Tls,
    /// 401: the bearer token is missing, wrong or expired.
    Unauthorized,
    /// 403: the token is good but may not do this.
    Forbidden,
    /// 404: no such resource (or endpoint).
    NotFound,
    /// 409: a value that must be unique is taken (`scimType` `uniqueness`), or another conflict.
    Conflict,
    /// 412: the resource changed on the server since the version named in `If-Match`.
    PreconditionFailed,
    /// 400 (and other 4xx not named here): the server refused the request as written; its
    /// `scimType` and `detail` are kept.
    Invalid,
    /// 413: the request is larger than the server accepts.
    PayloadTooLarge,
    /// 429: too many requests; see [`ScimError::retry_after`].
    TooManyRequests,
    /// 503: the server is down for now; see [`ScimError::retry_after`].
    Unavailable,
    /// 500 and other 5xx: the server failed.
    ServerError,
    /// 501: the server does not implement this (an endpoint, a method, `/Bulk`).
    Unsupported,
    /// The answer is not SCIM: unparseable JSON, a missing body, a redirect, a bad URL.
    Protocol,
    /// A bulk operation was not sent because an operation it refers to (by `bulkId`) failed.
    FailedDependency,
}

impl ScimErrorCode {
    /// `unreachable`, `timeout`, `tls`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `precondition_failed`, `invalid`, `payload_too_large`, `too_many_requests`,
    /// `unavailable`, `server_error`, `unsupported`, `protocol`, `failed_dependency`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimErrorCode::Unreachable => "unreachable",
            ScimErrorCode::Timeout => "timeout",
            ScimErrorCode::Tls => "tls",
            ScimErrorCode::Unauthorized => "unauthorized",
            ScimErrorCode::Forbidden => "forbidden",
            ScimErrorCode::NotFound => "not_found",
            ScimErrorCode::Conflict => "conflict",
            ScimErrorCode::PreconditionFailed => "precondition_failed",
            ScimErrorCode::Invalid => "invalid",
            ScimErrorCode::PayloadTooLarge => "payload_too_large",
            ScimErrorCode::TooManyRequests => "too_many_requests",
            ScimErrorCode::Unavailable => "unavailable",
            ScimErrorCode::ServerError => "server_error",
            ScimErrorCode::Unsupported => "unsupported",
            ScimErrorCode::Protocol => "protocol",
            ScimErrorCode::FailedDependency => "failed_dependency",
        }
    }

    /// The code for an HTTP error status.
    pub fn from_status(status: u16) -> ScimErrorCode {
        match status {
            401 => ScimErrorCode::Unauthorized,
            403 => ScimErrorCode::Forbidden,
            404 => ScimErrorCode::NotFound,
            409 => ScimErrorCode::Conflict,
            412 => ScimErrorCode::PreconditionFailed,
            413 => ScimErrorCode::PayloadTooLarge,
            429 => ScimErrorCode::TooManyRequests,
            503 => ScimErrorCode::Unavailable,
            501 => ScimErrorCode::Unsupported,
            400..=499 => ScimErrorCode::Invalid,
            500..=599 => ScimErrorCode::ServerError,
            _ => ScimErrorCode::Protocol,
        }
    }

    /// Whether the same request may succeed later without any change: connection trouble,
    /// timeouts, 429, 503 and other 5xx.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ScimErrorCode::Unreachable
                | ScimErrorCode::Timeout
                | ScimErrorCode::TooManyRequests
                | ScimErrorCode::Unavailable
                | ScimErrorCode::ServerError
        )
    }
}

impl fmt::Display for ScimErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request that failed. The message names the server (`host:port`), the request
/// (`PATCH /Users/ID`) and the reason in the server's words; it never contains the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub(crate) code: ScimErrorCode,
    pub(crate) message: String,
    pub(crate) status: Option<u16>,
    pub(crate) scim_type: Option<String>,
    pub(crate) detail: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) attempts: u32,
    pub(crate) maybe_applied: bool,
}

impl ScimError {
    pub(crate) fn new(code: ScimErrorCode, message: impl Into<String>) -> Self {
        ScimError {
            code,
            message: message.into(),
            status: None,
            scim_type: None,
            detail: None,
            retry_after: None,
            attempts: 1,
            maybe_applied: false,
        }
    }

    /// An error answer of the server (`status` ≥ 300) for the request `what` (e.g.
    /// `POST 127.0.0.1:8080/Users`), with the SCIM error body when there was one.
    pub(crate) fn from_answer(
        what: &str,
        status: u16,
        body: Option<ErrorResponse>,
        raw_body: &str,
    ) -> Self {
        let code = ScimErrorCode::from_status(status);
        let (scim_type, detail) = match body {
            Some(body) => (body.scim_type, body.detail),
            None => {
                let text = raw_body.trim();
                let detail = (!text.is_empty()).then(|| truncate(text, 300));
                (None, detail)
            }
        };
        let mut message = format!("{what}: the server answered {status}");
        if let Some(reason) = status_reason(status) {
            message.push(' ');
            message.push_str(reason);
        }
        if let Some(scim_type) = &scim_type {
            message.push_str(&format!(" ({scim_type})"));
        }
        if let Some(detail) = &detail {
            message.push_str(": ");
            message.push_str(detail);
        }
        ScimError {
            code,
            message,
            status: Some(status),
            scim_type,
            detail,
            retry_after: None,
            attempts: 1,
            maybe_applied: false,
        }
    }

    pub fn code(&self) -> ScimErrorCode {
        self.code
    }

    /// One sentence for an admin: the server, the request and the reason.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the server's answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The SCIM `scimType` of the answer (`uniqueness`, `invalidValue`, `mutability`, …).
    pub fn scim_type(&self) -> Option<&str> {
        self.scim_type.as_deref()
    }

    /// The server's `detail`, word for word (or the start of a non-SCIM error body).
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// How long the server asked to wait (`Retry-After` of a 429 or 503), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// How many times the request was sent (1 when it was not retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Whether the server may have carried the request out even though it failed: the
    /// connection broke or timed out after the request was sent, or the server answered 5xx
    /// other than 501 and 503 (for a request sent more than once: any attempt did). A create
    /// with this set is not sent again blindly: look it up first (by `externalId`, else
    /// `userName` / `displayName`; [`crate::Client::create_once`] does it). A 412 or 404 with
    /// it set may be this request's own earlier attempt, applied.
    pub fn maybe_applied(&self) -> bool {
        self.maybe_applied
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Removes `secret` wherever it appears (a server that echoes the Authorization header
    /// back in its error detail).
    pub(crate) fn redact(mut self, secret: &str) -> Self {
        if secret.len() >= 4 {
            self.message = self.message.replace(secret, "<redacted>");
            if let Some(detail) = &mut self.detail {
                *detail = detail.replace(secret, "<redacted>");
            }
        }
        self
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for ScimError {}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn status_reason(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_stable_codes() {
        let cases = [
            (400, "invalid"),
            (401, "unauthorized"),
            (403, "forbidden"),
            (404, "not_found"),
            (405, "invalid"),
            (409, "conflict"),
            (412, "precondition_failed"),
            (413, "payload_too_large"),
            (429, "too_many_requests"),
            (500, "server_error"),
            (501, "unsupported"),
            (502, "server_error"),
            (503, "unavailable"),
            (302, "protocol"),
        ];
        for (status, code) in cases {
            assert_eq!(
                ScimErrorCode::from_status(status).as_str(),
                code,
                "status {status}"
            );
        }
    }

    #[test]
    fn an_answer_keeps_the_servers_words() {
        let body = ErrorResponse {
            schemas: vec![],
            status: "409".into(),
            scim_type: Some("uniqueness".into()),
            detail: Some("userName is taken".into()),
        };
        let error = ScimError::from_answer("POST h:1/Users", 409, Some(body), "");
        assert_eq!(error.code(), ScimErrorCode::Conflict);
        assert_eq!(error.scim_type(), Some("uniqueness"));
        assert_eq!(error.detail(), Some("userName is taken"));
        assert_eq!(
            error.message(),
            "POST h:1/Users: the server answered 409 Conflict (uniqueness): userName is taken"
        );
    }

    #[test]
    fn a_non_scim_body_is_kept_short() {
        let long = "x".repeat(1000);
        let error = ScimError::from_answer("GET h:1/Users", 502, None, &long);
        assert_eq!(error.code(), ScimErrorCode::ServerError);
        assert_eq!(error.detail().unwrap().chars().count(), 301);
    }

    #[test]
    fn redact_removes_an_echoed_token() {
        let error = ScimError::from_answer(
            "GET h:1/Users",
            401,
            None,
            "bad header: Bearer s3cret-token",
        )
        .redact("s3cret-token");
        assert!(
            !error.message().contains("s3cret-token"),
            "{}",
            error.message()
        );
        assert!(!error.detail().unwrap().contains("s3cret-token"));
    }
}
