//! A real SCIM 2.0 server for end-to-end tests of sync: scim2-server (PyPI; scripts/setup installs
//! it into target/test-python) on a free 127.0.0.1 port with a bearer token, optionally with the
//! Roster extension schema loaded (the JSON file roster-scim ships), killed when dropped. Its state
//! is read and changed with plain HTTP/1.0 requests over a std TcpStream, apart from Roster.
//!
//! The same server as `crates/scim/tests/common/mod.rs` starts for the services' tests; this one
//! links none of Roster's crates, like the rest of the harness.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The bearer token the server accepts.
pub const TOKEN: &str = "e2e-token-3b7d41c2";

/// The Roster extension schema, as a server loads it.
const ROSTER_USER_EXTENSION_JSON: &str = include_str!("../../crates/scim/schemas/roster-user-extension.json");

/// `$ROSTER_TEST_PYTHON`, else the virtualenv scripts/setup makes, else `python3` from PATH.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("ROSTER_TEST_PYTHON") {
        return python.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-python/bin/python3");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running scim2-server, killed when dropped.
pub struct ScimServer {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl ScimServer {
    /// Starts the server; `roster_extension` loads Roster's extension schema and attaches it to
    /// the User resource type.
    pub fn start(roster_extension: bool) -> ScimServer {
        let dir = tempfile::tempdir().expect("a temporary folder for scim2-server");
        let port = free_port();
        let mut args: Vec<String> = vec!["--port".into(), port.to_string(), "--bearer-token".into(), TOKEN.into()];
        if roster_extension {
            let (schemas, resource_types) = defaults();
            let mut schemas = schemas.as_array().unwrap().clone();
            schemas.push(serde_json::from_str(ROSTER_USER_EXTENSION_JSON).unwrap());
            let schema_id = schemas.last().unwrap()["id"].clone();
            let mut resource_types = resource_types;
            for resource_type in resource_types.as_array_mut().unwrap() {
                if resource_type["id"] == "User" {
                    resource_type["schemaExtensions"].as_array_mut().unwrap().push(json!({ "schema": schema_id, "required": false }));
                }
            }
            let (schema_file, type_file) = (dir.path().join("schemas.json"), dir.path().join("resource-types.json"));
            fs::write(&schema_file, serde_json::to_vec(&schemas).unwrap()).unwrap();
            fs::write(&type_file, serde_json::to_vec(&resource_types).unwrap()).unwrap();
            args.extend(["--schema".into(), schema_file.to_str().unwrap().into()]);
            args.extend(["--resource-type".into(), type_file.to_str().unwrap().into()]);
        }
        let log = fs::File::create(dir.path().join("server.log")).unwrap();
        let mut child = Command::new(python())
            .args(["-c", "import sys; from scim2_server.testserver.cli import main; sys.argv[0] = 'scim2-server'; main()"])
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; run scripts/setup", python().display()));
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let log = fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
                panic!("scim2-server ({}) exited with {status}; run scripts/setup\n{log}", python().display());
            }
            if TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok() {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "scim2-server did not listen on {port} within 30 s");
            std::thread::sleep(Duration::from_millis(30));
        }
        ScimServer { child, port, dir }
    }

    /// The SCIM base URL a remote is added with.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v2", self.port)
    }

    /// A plain HTTP/1.0 request below /v2: the status and the JSON body (`Null` when empty).
    pub fn raw(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let body = body.map(|b| serde_json::to_vec(b).unwrap()).unwrap_or_default();
        let head = format!(
            "{method} /v2{path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n",
            self.port,
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer has a head");
        let head = String::from_utf8_lossy(&answer[..split]);
        let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        let body = &answer[split + 4..];
        let json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into()))
        };
        (status, json)
    }

    /// The users whose userName is `user_name` (0 or 1), read straight from the server.
    pub fn users_named(&self, user_name: &str) -> Vec<Value> {
        let (status, page) = self.raw("GET", &format!("/Users?filter=userName%20eq%20%22{user_name}%22"), None);
        assert_eq!(status, 200, "GET /Users by userName: {page}");
        page["Resources"].as_array().cloned().unwrap_or_default()
    }

    /// What the server wrote to its log (for failure messages).
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

/// The server's own default schemas and resource types (the `--schema` and `--resource-type`
/// files replace them, so ours repeat them).
fn defaults() -> (Value, Value) {
    let output = Command::new(python())
        .args([
            "-c",
            "import json; from scim2_server.utils import load_json_resource as r; \
             print(json.dumps([r('default-schemas.json'), r('default-resource-types.json')]))",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; run scripts/setup", python().display()));
    assert!(output.status.success(), "scim2-server is not installed for {}: {}", python().display(), String::from_utf8_lossy(&output.stderr));
    let both: Value = serde_json::from_slice(&output.stdout).unwrap();
    (both[0].clone(), both[1].clone())
}
