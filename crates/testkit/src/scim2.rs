//! scim2-server (PyPI; scripts/setup installs it into target/test-python): a SCIM 2.0 server
//! started with a bearer token and, when asked, an extension schema (Roster's, as roster-scim
//! ships it) attached to the User resource type; and plain HTTP/1.0 requests to it over a std
//! `TcpStream`, apart from any client under test.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{json, Value};

use crate::{python, LoopbackServer};

/// scim2-server on a free port with `token` and `extension` (a schema's JSON text) if any;
/// `more_args(folder)` adds arguments (files it writes in the server's folder). Ready within
/// 30 s.
#[track_caller]
pub fn start(
    token: &str,
    extension: Option<&str>,
    more_args: impl FnOnce(&Path) -> Vec<String>,
) -> LoopbackServer {
    start_with(Some(token), extension, more_args)
}

/// [`start`], with no `--bearer-token` when `token` is `None` (the server then asks for none).
#[track_caller]
pub fn start_with(
    token: Option<&str>,
    extension: Option<&str>,
    more_args: impl FnOnce(&Path) -> Vec<String>,
) -> LoopbackServer {
    LoopbackServer::launch("scim2-server", Duration::from_secs(30)).start(|port, dir| {
        let mut command = command();
        command.args(["--port", &port.to_string()]);
        if let Some(token) = token {
            command.args(["--bearer-token", token]);
        }
        if let Some(extension) = extension {
            command.args(extension_args(dir, extension));
        }
        command.args(more_args(dir));
        command
    })
}

/// `python -c '… scim2_server.testserver.cli.main()'`, the server's command line before its
/// arguments.
pub fn command() -> Command {
    let mut command = Command::new(python());
    command.args([
        "-c",
        "import sys; from scim2_server.testserver.cli import main; \
         sys.argv[0] = 'scim2-server'; main()",
    ]);
    command
}

/// The server's own default schemas and resource types, read once from the package (the
/// `--schema` and `--resource-type` files replace them, so ours must repeat them).
pub fn defaults() -> &'static (Value, Value) {
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
        let both: Value = serde_json::from_slice(&output.stdout).expect("the defaults as JSON");
        (both[0].clone(), both[1].clone())
    })
}

/// Writes schemas.json and resource-types.json into `dir`: the server's [`defaults`] with
/// `extension` (a schema's JSON text) added, and attached (not required) to the User resource
/// type. Returns the `--schema FILE --resource-type FILE` arguments.
pub fn extension_args(dir: &Path, extension: &str) -> Vec<String> {
    let (schemas, resource_types) = defaults();
    let extension: Value = serde_json::from_str(extension).expect("the extension schema is JSON");
    let schema_id = extension["id"].clone();
    let mut schemas = schemas.as_array().expect("a list of schemas").clone();
    schemas.push(extension);
    let mut resource_types = resource_types.clone();
    for resource_type in resource_types
        .as_array_mut()
        .expect("a list of resource types")
    {
        if resource_type["id"] == "User" {
            resource_type["schemaExtensions"]
                .as_array_mut()
                .expect("the User's schema extensions")
                .push(json!({"schema": schema_id, "required": false}));
        }
    }
    let (schema_file, type_file) = (dir.join("schemas.json"), dir.join("resource-types.json"));
    fs::write(&schema_file, serde_json::to_vec(&schemas).unwrap()).expect("write schemas.json");
    fs::write(&type_file, serde_json::to_vec(&resource_types).unwrap())
        .expect("write resource-types.json");
    vec![
        "--schema".into(),
        schema_file.display().to_string(),
        "--resource-type".into(),
        type_file.display().to_string(),
    ]
}

/// A plain HTTP/1.0 request to `/v2{path}` on 127.0.0.1:`port` with the bearer `token`: the
/// status and the JSON body (`Null` when empty, a string when not JSON).
pub fn raw_request(
    port: u16,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let head = format!(
        "{method} /v2{path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\
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
