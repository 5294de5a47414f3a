//! The SCIM server the tests talk to: scim2-server (PyPI; scripts/setup installs it into
//! target/test-python), one per test on a free 127.0.0.1 port with a bearer token, with or
//! without the Roster extension schema, killed when dropped. Its state is checked with plain
//! HTTP/1.0 requests over a std TcpStream, apart from the client under test.

#![allow(dead_code)] // each test binary uses its own part

pub mod proxy;
pub mod tls_front;

use std::collections::VecDeque;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use roster_core::Secret;
use roster_scim::{
    Client, ClientConfig, RetryClock, RetryPolicy, ROSTER_USER_EXTENSION_JSON, ROSTER_USER_SCHEMA,
};
use serde_json::{json, Value};
use tempfile::TempDir;

pub const TOKEN: &str = "test-token-5f1c9a0e";

/// `$ROSTER_TEST_PYTHON`, else the venv scripts/setup makes, else `python3` from PATH.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("ROSTER_TEST_PYTHON") {
        return python.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-python/bin/python3");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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

/// The server's own default schemas and resource types, read once from the package (the
/// `--schema` and `--resource-type` files replace them, so ours must repeat them).
fn defaults() -> &'static (Value, Value) {
    static DEFAULTS: OnceLock<(Value, Value)> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        let output = Command::new(python())
            .args([
                "-c",
                "import json; from scim2_server.utils import load_json_resource as r; \
                 print(json.dumps([r('default-schemas.json'), r('default-resource-types.json')]))",
            ])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}; run scripts/setup", python().display()));
        assert!(
            output.status.success(),
            "scim2-server is not installed for {} (scripts/setup puts it in target/test-python): {}",
            python().display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let both: Value = serde_json::from_slice(&output.stdout).unwrap();
        (both[0].clone(), both[1].clone())
    })
}

/// A running scim2-server, killed when dropped.
pub struct ScimServer {
    child: Child,
    pub port: u16,
    dir: TempDir,
}

impl ScimServer {
    pub fn start(options: ServerOptions) -> ScimServer {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut args: Vec<String> = vec![
            "--port".into(),
            port.to_string(),
            "--bearer-token".into(),
            TOKEN.into(),
            "--dump-resources".into(),
            dir.path().join("dump.json").to_str().unwrap().into(),
        ];
        if options.roster_extension {
            let (schemas, resource_types) = defaults();
            let mut schemas = schemas.as_array().unwrap().clone();
            schemas.push(serde_json::from_str(ROSTER_USER_EXTENSION_JSON).unwrap());
            let mut resource_types = resource_types.clone();
            for resource_type in resource_types.as_array_mut().unwrap() {
                if resource_type["id"] == "User" {
                    resource_type["schemaExtensions"]
                        .as_array_mut()
                        .unwrap()
                        .push(json!({"schema": ROSTER_USER_SCHEMA, "required": false}));
                }
            }
            let (schema_file, type_file) = (
                dir.path().join("schemas.json"),
                dir.path().join("resource-types.json"),
            );
            fs::write(&schema_file, serde_json::to_vec(&schemas).unwrap()).unwrap();
            fs::write(&type_file, serde_json::to_vec(&resource_types).unwrap()).unwrap();
            args.extend(["--schema".into(), schema_file.to_str().unwrap().into()]);
            args.extend(["--resource-type".into(), type_file.to_str().unwrap().into()]);
        }
        if let Some(config) = &options.service_provider_config {
            let file = dir.path().join("service-provider-config.json");
            fs::write(&file, serde_json::to_vec(config).unwrap()).unwrap();
            args.extend([
                "--service-provider-config".into(),
                file.to_str().unwrap().into(),
            ]);
        }
        let log = fs::File::create(dir.path().join("server.log")).unwrap();
        let mut child = Command::new(python())
            .args([
                "-c",
                "import sys; from scim2_server.testserver.cli import main; \
                 sys.argv[0] = 'scim2-server'; main()",
            ])
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {}: {e}; run scripts/setup",
                    python().display()
                )
            });
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let log = fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
                panic!(
                    "scim2-server ({}) exited with {status}; is it installed (scripts/setup puts it \
                     in target/test-python)?\n{log}",
                    python().display()
                );
            }
            if TcpStream::connect_timeout(
                &([127, 0, 0, 1], port).into(),
                Duration::from_millis(200),
            )
            .is_ok()
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "scim2-server did not listen on {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
        ScimServer { child, port, dir }
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
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "scim2-server did not stop on SIGINT"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let dump = fs::read(self.dir.path().join("dump.json")).unwrap();
        serde_json::from_slice(&dump).unwrap()
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for ScimServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn raw_request(port: u16, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let head = format!(
        "{method} /v2{path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer has a head");
    let head = String::from_utf8_lossy(&answer[..split]);
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = &answer[split + 4..];
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into()))
    };
    (status, json)
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
