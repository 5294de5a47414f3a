//! The CLI contract, checked by running the real `roster` binary on real workspace files.

mod common;

use std::path::Path;
use std::process::Command;

use common::{code, stderr, Ws};
use serde_json::Value;

/// What a reader of the workspace sees, to compare before and after a failed command.
fn file_bytes(ws: &Ws) -> Vec<u8> {
    serde_json::to_vec(&ws.json(&["user", "list", "--limit", "1000"])).unwrap()
}

#[test]
fn init_is_idempotent() {
    let ws = Ws::new();
    assert_eq!(code(&ws.run(&["init"])), 0);
    assert_eq!(code(&ws.run(&["init"])), 0);
    let info = ws.json(&["init"]);
    assert_eq!(info["userCount"], 0);
    assert_eq!(info["schemaVersion"], 5);
}

#[test]
fn add_show_list_edit_delete() {
    let ws = Ws::new();
    let added = ws.json(&[
        "user", "add", "--username", "alice", "--email", "alice@example.com", "--first", "Alice", "--last", "Liddell",
        "--phone", "+44 7400 123456",
    ]);
    for key in [
        "id", "username", "email", "firstName", "lastName", "phone", "status", "onboarded", "passwordExpiresAt",
        "secondFactor", "mfaEnrolled", "deviceLimit", "attributes", "groups", "roles", "createdAt", "updatedAt", "version",
    ] {
        assert!(added.get(key).is_some(), "user JSON has {key}: {added}");
    }
    assert_eq!(added["phone"], "+447400123456");
    assert_eq!(added["onboarded"], false);
    assert_eq!(added["status"], "active");

    let shown = ws.json(&["user", "show", "ALICE"]);
    assert_eq!(shown, added, "show finds the user in any case");

    let list = ws.json(&["user", "list"]);
    assert_eq!(list["users"].as_array().unwrap().len(), 1);
    assert_eq!(list["next"], Value::Null);

    let edited = ws.json(&["user", "edit", "alice", "--last", "Smith", "--phone", ""]);
    assert_eq!(edited["lastName"], "Smith");
    assert_eq!(edited["phone"], Value::Null, "an empty value clears an optional field");
    assert_eq!(edited["version"], 2);

    let text = ws.run(&["user", "delete", "alice"]);
    assert_eq!(code(&text), 0);
    assert!(String::from_utf8_lossy(&text.stdout).contains("Deleted alice"));
    assert_eq!(code(&ws.run(&["user", "show", "alice"])), 4);
}

#[test]
fn password_from_stdin_onboards_and_never_reaches_output() {
    let ws = Ws::new();
    let out = ws.run_with_stdin(
        &["--json", "user", "add", "--username", "bob", "--email", "bob@example.com", "--password-stdin"],
        Some("correct horse battery\n"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["onboarded"], true);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("horse"));
    let empty = ws.run_with_stdin(&["user", "add", "--username", "c", "--email", "c@example.com", "--password-stdin"], Some(""));
    assert_eq!(code(&empty), 2);
    let weak = ws.run_with_stdin(&["user", "add", "--username", "d", "--email", "d@example.com", "--password-stdin"], Some("short\n"));
    assert_eq!(code(&weak), 3);
    assert!(stderr(&weak).starts_with("password: Password must be at least 12 characters"), "{}", stderr(&weak));
}

#[test]
fn validation_errors_name_every_field_exit_3_and_write_nothing() {
    let ws = Ws::new();
    ws.run(&["init"]);
    let before = file_bytes(&ws);
    let out = ws.run(&["user", "add", "--username", "bad name", "--email", "nope", "--phone", "12"]);
    assert_eq!(code(&out), 3);
    let lines: Vec<String> = stderr(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "one line per problem: {lines:?}");
    assert!(lines[0].starts_with("username: "), "{lines:?}");
    assert!(lines[1].starts_with("email: Enter an email address in the correct format"), "{lines:?}");
    assert!(lines[2].starts_with("phone: "), "{lines:?}");
    assert_eq!(file_bytes(&ws), before, "a failed command writes nothing");

    let out = ws.run(&["--json", "user", "add", "--username", "ok", "--email", "nope"]);
    assert_eq!(code(&out), 3);
    assert!(out.stdout.is_empty(), "errors go to stderr");
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "validation");
    assert_eq!(err["error"]["fields"][0]["field"], "email");
    assert_eq!(err["error"]["fields"][0]["code"], "invalid_email");
    assert!(err["error"]["fields"][0]["message"].as_str().unwrap().contains("correct format"));
}

#[test]
fn duplicates_are_conflicts_exit_5() {
    let ws = Ws::new();
    ws.json(&["user", "add", "--username", "alice", "--email", "alice@example.com"]);
    let out = ws.run(&["--json", "user", "add", "--username", "ALICE", "--email", "other@example.com"]);
    assert_eq!(code(&out), 5);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "conflict");
    assert_eq!(err["error"]["fields"][0]["field"], "username");
    let out = ws.run(&["user", "add", "--username", "bob", "--email", "Alice@Example.com"]);
    assert_eq!(code(&out), 5);
    assert!(stderr(&out).contains("email: Email address Alice@Example.com is used by alice"), "{}", stderr(&out));
    assert_eq!(ws.json(&["user", "list"])["users"].as_array().unwrap().len(), 1);
}

#[test]
fn usage_errors_exit_2_and_not_found_exit_4() {
    let ws = Ws::new();
    assert_eq!(code(&ws.run(&["user", "add", "--username", "x"])), 2, "missing --email");
    assert_eq!(code(&ws.run(&["user", "list", "--status", "sleeping"])), 2);
    assert_eq!(code(&ws.run(&["user", "list", "--after", "not-a-cursor"])), 2);
    assert_eq!(code(&ws.run(&["user", "list", "--limit", "0"])), 2);
    assert_eq!(code(&ws.run(&["frobnicate"])), 2);
    let out = ws.run(&["--json", "frobnicate"]);
    assert_eq!(code(&out), 2);
    let err: Value = serde_json::from_slice(&out.stderr).expect("usage errors are JSON too with --json");
    assert_eq!(err["error"]["code"], "usage");
    assert_eq!(code(&ws.run(&["user", "show", "ghost"])), 4);
    assert_eq!(code(&ws.run(&["user", "edit", "ghost", "--first", "G"])), 4);
    assert_eq!(code(&ws.run(&["user", "delete", "ghost"])), 4);
    assert_eq!(code(&ws.run(&["--help"])), 0);
}

#[test]
fn pages_with_cursors_and_filters() {
    let ws = Ws::new();
    let out = ws.run(&["demo", "--users", "120", "--seed", "3"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut args = vec!["user", "list", "--limit", "25"];
        if let Some(a) = after.as_deref() {
            args.extend(["--after", a]);
        }
        let page = ws.json(&args);
        seen.extend(page["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()));
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 120);
    let mut sorted = seen.clone();
    sorted.sort_by_key(|s| s.to_lowercase());
    assert_eq!(seen, sorted, "pages follow one another in username order");

    let not_onboarded = ws.json(&["user", "list", "--onboarded", "no", "--limit", "1000"]);
    assert!(not_onboarded["users"].as_array().unwrap().iter().all(|u| u["onboarded"] == false));
    let disabled = ws.json(&["user", "list", "--status", "disabled", "--limit", "1000"]);
    assert!(disabled["users"].as_array().unwrap().iter().all(|u| u["status"] == "disabled"));
    let first = &seen[0];
    let prefix = &first[..3];
    let found = ws.json(&["user", "list", "--search", prefix, "--limit", "1000"]);
    assert!(found["users"].as_array().unwrap().iter().any(|u| u["username"] == first.as_str()));
}

#[test]
fn attributes_are_defined_then_typed() {
    let ws = Ws::new();
    assert_eq!(code(&ws.run(&["attr", "define", "costCenter", "--type", "number"])), 0);
    assert_eq!(code(&ws.run(&["attr", "define", "costcenter", "--type", "string"])), 5);
    assert_eq!(ws.json(&["attr", "list"]), serde_json::json!([{ "name": "costCenter", "type": "number", "required": false }]));
    let out = ws.run(&["user", "add", "--username", "a", "--email", "a@example.com", "--attr", "costCenter=abc"]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).starts_with("attributes.costCenter: costCenter must be a number"), "{}", stderr(&out));
    let ok = ws.json(&["user", "add", "--username", "a", "--email", "a@example.com", "--attr", "costCenter=42"]);
    assert_eq!(ok["attributes"]["costCenter"], 42.0);
    assert_eq!(code(&ws.run(&["user", "add", "--username", "b", "--email", "b@example.com", "--attr", "novalue"])), 2);
}

#[test]
fn demo_refuses_a_full_workspace() {
    let ws = Ws::new();
    ws.json(&["user", "add", "--username", "alice", "--email", "alice@example.com"]);
    assert_eq!(code(&ws.run(&["demo", "--users", "5"])), 5);
}

#[test]
fn a_workspace_from_a_newer_roster_is_refused_untouched() {
    let ws = Ws::new();
    ws.run(&["init"]);
    // Written by a future schema: raise user_version behind Roster's back.
    bump_user_version(&ws.path);
    let before = std::fs::read(&ws.path).unwrap();
    let out = ws.run(&["user", "list"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("newer version of Roster"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&ws.path).unwrap(), before, "left untouched");
}

/// Sets user_version, a big-endian u32 at byte 60 of the SQLite header (the file was closed
/// cleanly, so its WAL is checkpointed and the header is current).
fn bump_user_version(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn workspace_comes_from_the_environment_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("env.roster");
    let out = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(["--json", "init"])
        .env("ROSTER_WORKSPACE", &path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["path"], path.display().to_string());
    assert!(path.exists());
}
