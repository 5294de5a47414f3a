//! The SCIM server the tests talk to: scim2-server (PyPI; scripts/setup installs it into
//! target/test-python), one per test on a free 127.0.0.1 port with a bearer token, with or
//! without the Roster extension schema, killed when dropped. Its state is checked with plain
//! HTTP/1.0 requests over a std TcpStream, apart from the client under test.

#![allow(dead_code)] // each test binary uses its own part

pub mod proxy;
pub mod tls_front;

use std::collections::VecDeque;
use std::fs;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use roster_core::Secret;
use roster_scim::{Client, ClientConfig, RetryClock, RetryPolicy, ROSTER_USER_EXTENSION_JSON};
#[allow(unused_imports)] // for the test binaries that pick a port themselves
pub use roster_testkit::free_port;
use roster_testkit::{scim2, LoopbackServer};
use serde_json::{json, Value};

pub const TOKEN: &str = "test-token-5f1c9a0e";

/// How to start the server.
#[derive(Clone)]
pub struct ServerOptions {
    /// Load the Roster extension schema and attach it to the User resource type.
    pub roster_extension: bool,
    /// Replaces the default service provider configuration (every feature, bulk 1000 /
    /// 1 MiB, maxResults 1000).
    pub service_provider_config: Option<Value>,
}

impl ServerOptions {
    pub fn with_extension() -> ServerOptions {
        ServerOptions {
            roster_extension: true,
            service_provider_config: None,
        }
    }

    pub fn without_extension() -> ServerOptions {
        ServerOptions {
            roster_extension: false,
            service_provider_config: None,
        }
    }

    /// The default configuration with `bulk` and `filter` replaced.
    pub fn config(mut self, bulk: Value, filter: Value) -> ServerOptions {
        self.service_provider_config = Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": bulk,
            "filter": filter,
            "changePassword": {"supported": true},
            "sort": {"supported": true},
            "etag": {"supported": true}
        }));
        self
    }
}

/// A running scim2-server, killed when dropped.
pub struct ScimServer {
    server: LoopbackServer,
    pub port: u16,
}

impl ScimServer {
    pub fn start(options: ServerOptions) -> ScimServer {
        let extension = options.roster_extension.then_some(ROSTER_USER_EXTENSION_JSON);
        let server = scim2::start(TOKEN, extension, |dir| {
            let mut args = vec![
                "--dump-resources".to_owned(),
                dir.join("dump.json").display().to_string(),
            ];
            if let Some(config) = &options.service_provider_config {
                let file = dir.join("service-provider-config.json");
                fs::write(&file, serde_json::to_vec(config).unwrap()).unwrap();
                args.extend(["--service-provider-config".into(), file.display().to_string()]);
            }
            args
        });
        ScimServer {
            port: server.port(),
            server,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v2", self.port)
    }

    /// A client for this server with a fast test clock (waits recorded, not slept).
    pub fn client(&self) -> Client {
        self.client_with(|_| {})
    }

    pub fn client_with(&self, adjust: impl FnOnce(&mut ClientConfig)) -> Client {
        client_for(&self.base_url(), adjust).0
    }

    /// A plain HTTP/1.0 request straight to the server (not through the client under test):
    /// the status and the JSON body (`Null` when empty).
    pub fn raw(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        raw_request(self.port, method, path, body)
    }

    /// GET `path` below /v2, expecting 200.
    pub fn get(&self, path: &str) -> Value {
        let (status, body) = self.raw("GET", path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Every resource of `endpoint` (`Users`, `Groups`), read straight from the server.
    pub fn all(&self, endpoint: &str) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let page = self.get(&format!(
                "/{endpoint}?startIndex={}&count=1000",
                all.len() + 1
            ));
            let resources = page["Resources"].as_array().cloned().unwrap_or_default();
            let total = page["totalResults"].as_u64().unwrap() as usize;
            let empty = resources.is_empty();
            all.extend(resources);
            if empty || all.len() >= total {
                return all;
            }
        }
    }

    /// The one user the server holds with this userName (fails the test unless exactly one).
    #[allow(dead_code)] // not every test binary that includes the harness asks
    pub fn one_user(&self, user_name: &str) -> Value {
        let found: Vec<Value> = self.all("Users").into_iter().filter(|u| u["userName"] == user_name).collect();
        assert_eq!(found.len(), 1, "exactly one {user_name} on the server: {found:?}");
        found.into_iter().next().unwrap()
    }

    /// Stops the server (SIGINT, as Ctrl-C) and returns what it wrote with
    /// `--dump-resources`: every resource it held, as it stored them.
    pub fn stop_and_dump(mut self) -> Vec<Value> {
        let status = Command::new("kill")
            .args(["-INT", &self.server.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        while self.server.exited().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "scim2-server did not stop on SIGINT"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let dump = fs::read(self.server.dir().join("dump.json")).unwrap();
        serde_json::from_slice(&dump).unwrap()
    }

    pub fn log(&self) -> String {
        self.server.log()
    }
}

/// A plain HTTP/1.0 request with [`TOKEN`] (see [`scim2::raw_request`]).
pub fn raw_request(port: u16, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    scim2::raw_request(port, TOKEN, method, path, body)
}

/// A client for `base_url` (token [`TOKEN`], quick timeouts), and the clock it waits on.
pub fn client_for(
    base_url: &str,
    adjust: impl FnOnce(&mut ClientConfig),
) -> (Client, Arc<TestClock>) {
    let mut config = ClientConfig::new(base_url, Secret::new(TOKEN.to_owned()));
    config.connect_timeout = Duration::from_secs(5);
    config.request_timeout = Duration::from_secs(30);
    config.retry = RetryPolicy {
        max_attempts: 8,
        ..RetryPolicy::default()
    };
    adjust(&mut config);
    let clock = Arc::new(TestClock::new(7));
    (Client::with_clock(config, clock.clone()).unwrap(), clock)
}

/// Records each wait instead of sleeping it; draws jitter from a seeded generator.
pub struct TestClock {
    rng: Mutex<StdRng>,
    waits: Mutex<VecDeque<Duration>>,
}

impl TestClock {
    pub fn new(seed: u64) -> TestClock {
        TestClock {
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            waits: Mutex::new(VecDeque::new()),
        }
    }

    /// The waits asked for so far, oldest first.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().iter().copied().collect()
    }
}

impl RetryClock for TestClock {
    fn sleep(&self, duration: Duration) {
        self.waits.lock().unwrap().push_back(duration);
    }
    fn random_fraction(&self) -> f64 {
        self.rng.lock().unwrap().gen::<f64>()
    }
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A user for the tests: `userName` `{prefix}{n}`, externalId `ext-{prefix}{n}`, a work email.
pub fn test_user(prefix: &str, n: usize) -> roster_scim::User {
    let mut user = roster_scim::User::new(format!("{prefix}{n}"));
    user.external_id = Some(format!("ext-{prefix}{n}"));
    user.name = Some(roster_scim::Name {
        given_name: Some(format!("Given{n}")),
        family_name: Some(format!("Family{n}")),
        ..Default::default()
    });
    user.emails = vec![roster_scim::MultiValue::primary_work(format!(
        "{prefix}{n}@example.com"
    ))];
    user.active = Some(true);
    user
}
