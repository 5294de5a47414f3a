//! A real SCIM 2.0 server for end-to-end tests of sync: scim2-server (PyPI; scripts/setup installs
//! it into target/test-python) on a free 127.0.0.1 port with a bearer token, optionally with the
//! Roster extension schema loaded (the JSON file roster-scim ships), killed when dropped. Its state
//! is read and changed with plain HTTP/1.0 requests over a std TcpStream, apart from Roster.
//!
//! The same server as `crates/scim/tests/common/mod.rs` starts for the services' tests, both
//! through roster-testkit; this one links none of Roster's crates, like the rest of the harness.

use roster_testkit::{scim2, LoopbackServer};
use serde_json::Value;

/// The bearer token the server accepts.
pub const TOKEN: &str = "e2e-token-3b7d41c2";

/// The Roster extension schema, as a server loads it.
const ROSTER_USER_EXTENSION_JSON: &str = include_str!("../../crates/scim/schemas/roster-user-extension.json");

/// A running scim2-server, killed when dropped.
pub struct ScimServer {
    server: LoopbackServer,
    pub port: u16,
}

impl ScimServer {
    /// Starts the server; `roster_extension` loads Roster's extension schema and attaches it to
    /// the User resource type.
    pub fn start(roster_extension: bool) -> ScimServer {
        let extension = roster_extension.then_some(ROSTER_USER_EXTENSION_JSON);
        let server = scim2::start(TOKEN, extension, |_| Vec::new());
        ScimServer { port: server.port(), server }
    }

    /// The SCIM base URL a remote is added with.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v2", self.port)
    }

    /// A plain HTTP/1.0 request below /v2: the status and the JSON body (`Null` when empty).
    pub fn raw(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        scim2::raw_request(self.port, TOKEN, method, path, body)
    }

    /// The users whose userName is `user_name` (0 or 1), read straight from the server.
    pub fn users_named(&self, user_name: &str) -> Vec<Value> {
        let (status, page) = self.raw("GET", &format!("/Users?filter=userName%20eq%20%22{user_name}%22"), None);
        assert_eq!(status, 200, "GET /Users by userName: {page}");
        page["Resources"].as_array().cloned().unwrap_or_default()
    }

    /// What the server wrote to its log (for failure messages).
    pub fn log(&self) -> String {
        self.server.log()
    }
}
