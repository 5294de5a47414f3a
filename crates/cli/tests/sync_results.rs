//! `roster sync pushes` and `roster sync results` on the real binary against a real SCIM
//! server (scim2-server): a user made before the link is adopted and said so, a push with one
//! operation the server refuses is listed, its results filtered, exported as CSV to a file and
//! to standard output; an unknown push exits 4 with `not_found`.
//!
//! The token goes to the OS keyring (run through scripts/test, which provides one); with
//! ROSTER_NO_KEYRING=1 there is nothing to push, and the test stops after the refusal.

mod common;
#[path = "../../scim/tests/common/mod.rs"]
mod scim_server;

use std::process::Output;

use common::{code, stderr, stdout, Ws};
use scim_server::{ScimServer, ServerOptions, TOKEN};
use serde_json::{json, Value};

fn ok(out: Output) -> Output {
    assert_eq!(code(&out), 0, "stdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    out
}

#[test]
fn pushes_are_listed_and_each_ones_results_filtered_and_exported() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let (status, body) = server.raw(
        "POST",
        "/Users",
        Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "dup",
            "emails": [{"value": "dup@example.org", "primary": true}]})),
    );
    assert_eq!(status, 201, "{body}");

    let ws = Ws::new();
    ws.add("ada");
    let url = server.base_url();
    let added = ws.run_with_stdin(&["remote", "add", "idp", "--url", url.as_str(), "--token-stdin"], Some(&format!("{TOKEN}\n")));
    if std::env::var_os("ROSTER_NO_KEYRING").is_some_and(|v| v == "1") {
        assert_eq!(code(&added), 1, "without a keyring the token is refused: {}", stderr(&added));
        return;
    }
    let text = stdout(&ok(added));
    assert!(text.contains("Queued 1 user or group that existed before the link"), "{text}");
    assert!(text.contains("roster sync pull"), "the pull is advised first: {text}");
    let relinked = ws.json(&["remote", "link", "idp"]);
    assert_eq!(relinked["adopted"], 0, "nothing is queued twice: {relinked}");

    assert!(stdout(&ok(ws.run(&["sync", "pushes"]))).contains("No pushes yet"));
    assert_eq!(ws.fails(4, &["sync", "results"])["error"]["code"], "not_found", "no push yet");

    ws.add("dup");
    let pushed = ws.run(&["sync", "push"]);
    assert_eq!(code(&pushed), 1, "dup is refused by the server: {}", stderr(&pushed));

    let pushes = ws.json(&["sync", "pushes"]);
    let list = pushes.as_array().unwrap();
    assert_eq!(list.len(), 1, "{pushes}");
    let p = &list[0];
    assert_eq!((p["done"].as_u64(), p["failed"].as_u64(), p["notSent"].as_u64(), p["interrupted"].as_bool()), (Some(1), Some(1), Some(0), Some(false)), "{p}");
    let id = p["id"].as_i64().unwrap().to_string();
    let table = stdout(&ok(ws.run(&["sync", "pushes"])));
    assert!(table.starts_with("PUSH") && table.contains("idp"), "{table}");

    let failed = ws.json(&["sync", "results", "--only", "failed"]);
    let results = failed["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{failed}");
    assert_eq!((results[0]["name"].as_str(), results[0]["method"].as_str()), (Some("dup"), Some("POST")));
    let all: Value = ws.json(&["sync", "results", &id]);
    assert_eq!(all["total"], 2);
    assert_eq!(ws.json(&["sync", "results", "--only", "not_sent"])["total"], 0);
    assert!(stdout(&ok(ws.run(&["sync", "results", "--only", "not-sent"]))).contains("No operations with that result"));
    let text = stdout(&ok(ws.run(&["sync", "results"])));
    assert!(text.contains("1 done, 1 failed") && text.lines().any(|l| l.contains("dup") && l.contains("failed")), "{text}");

    assert_eq!(ws.fails(4, &["sync", "results", "999"])["error"]["code"], "not_found");
    assert_eq!(code(&ws.run(&["sync", "results", "--only", "sent"])), 2, "a result that does not exist is a usage error");

    let csv = stdout(&ok(ws.run(&["sync", "results", "--csv", "-"])));
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert_eq!(lines[0], "N,Entity,Name,Local id,Method,Status,Result,Message");
    assert!(lines[1].starts_with("1,user,ada,") && lines[1].contains(",POST,201,done,"), "{csv}");

    let file = ws.path.with_file_name("failed.csv");
    let file_arg = file.to_str().unwrap();
    let saved = stdout(&ok(ws.run(&["sync", "results", &id, "--only", "failed", "--csv", file_arg])));
    assert!(saved.contains(&format!("Wrote 1 result of push {id} to")), "{saved}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written.split_terminator("\r\n").count(), 2, "{written}");
    assert!(written.split_terminator("\r\n").nth(1).unwrap().starts_with("2,user,dup,"), "{written}");
}
