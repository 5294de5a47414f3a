//! `roster remote …` and `roster sync …` on the real binary against a real SCIM server
//! (scim2-server, started per test on loopback with a bearer token; the harness is the SCIM
//! client's own, crates/scim/tests/common). The server's state is checked with plain HTTP
//! requests, apart from Roster.
//!
//! The token goes to the OS keyring (`--token-stdin`): run through scripts/test, which provides
//! one. With ROSTER_NO_KEYRING=1 the tests check that the token is refused instead, and stop.

mod common;
#[path = "../../scim/tests/common/mod.rs"]
mod scim_server;

use std::process::Output;

use common::{code, stderr, stdout, with_json, Ws};
use scim_server::{ScimServer, ServerOptions, TOKEN};
use serde_json::{json, Value};

fn ok(out: Output) -> Output {
    assert_eq!(code(&out), 0, "stdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    out
}

fn no_keyring() -> bool {
    std::env::var_os("ROSTER_NO_KEYRING").is_some_and(|v| v == "1")
}

/// `roster remote add NAME --url URL --token-stdin [extra…]` with the server's token on stdin.
fn add_remote(ws: &Ws, name: &str, server: &ScimServer, extra: &[&str]) -> Output {
    let url = server.base_url();
    let mut args = vec!["remote", "add", name, "--url", url.as_str(), "--token-stdin"];
    args.extend_from_slice(extra);
    ws.run_with_stdin(&args, Some(&format!("{TOKEN}\n")))
}

/// A workspace linked to `server` as `idp`; None without a keyring (after checking that the
/// token is refused rather than kept anywhere else).
fn linked(server: &ScimServer) -> Option<Ws> {
    let ws = Ws::new();
    let out = add_remote(&ws, "idp", server, &[]);
    if no_keyring() {
        assert_eq!(code(&out), 1, "without a keyring the token is refused: {}", stderr(&out));
        assert!(stderr(&out).contains("keyring"), "{}", stderr(&out));
        assert!(ws.json(&["remote", "list"]).as_array().unwrap().is_empty(), "nothing is added when the token cannot be kept");
        return None;
    }
    ok(out);
    Some(ws)
}

/// The server's user with this userName (exactly one).
fn remote_user(server: &ScimServer, username: &str) -> Value {
    let found: Vec<Value> = server.all("Users").into_iter().filter(|u| u["userName"] == username).collect();
    assert_eq!(found.len(), 1, "exactly one {username} on the server: {found:?}");
    found.into_iter().next().unwrap()
}

/// A change made on the server directly, as another admin would.
fn patch_on_server(server: &ScimServer, id: &str, path: &str, value: &str) {
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": path, "value": value}]});
    let (status, answer) = server.raw("PATCH", &format!("/Users/{id}"), Some(&body));
    assert!(status == 200 || status == 204, "PATCH on the server: {status} {answer}");
}

/// Runs with --json and returns stdout's document, whatever the exit code.
fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}\n{}", stdout(out), stderr(out)))
}

/// The workspace file and its WAL, as bytes.
fn workspace_bytes(ws: &Ws) -> Vec<u8> {
    ["", "-wal"].iter().filter_map(|suffix| std::fs::read(format!("{}{suffix}", ws.path.display())).ok()).flatten().collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_remote_is_added_with_its_token_in_the_keyring_only_tested_and_shown_with_its_capabilities() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let Some(ws) = linked(&server) else { return };
    let shown = ws.json(&["remote", "show", "idp"]);
    assert_eq!(shown["linked"], true, "the first remote added is linked: {shown}");
    assert_eq!(shown["tokenInKeyring"], true, "{shown}");
    assert_eq!(shown["insecureSkipTlsVerify"], false);
    assert_eq!(shown["capabilities"], Value::Null, "nothing read from the server yet: {shown}");

    let tested = ws.json(&["remote", "test", "idp"]);
    let caps = &tested["capabilities"];
    assert_eq!(caps["rosterExtension"], true, "{tested}");
    assert_eq!(caps["bulk"]["maxOperations"], 1000, "{tested}");
    assert!(tested["discoveredAt"].is_string(), "{tested}");
    let text = stdout(&ok(ws.run(&["remote", "show", "idp"])));
    for line in ["maxOperations 1000", "maxPayloadSize 1048576", "maxResults 1000", "ETag             yes", "Change password  yes", "Roster extension yes"] {
        assert!(text.contains(line), "`remote show` has {line:?}:\n{text}");
    }
    let listed = ws.json(&["remote", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert!(stdout(&ok(ws.run(&["remote", "list"]))).contains(&server.base_url()));

    // The token is in none of the outputs, nor in the workspace file.
    for args in [&["remote", "show", "idp"][..], &["remote", "list"], &["remote", "test", "idp"], &["sync", "status"]] {
        for out in [ws.run(args), ws.run(&with_json(args))] {
            assert!(!stdout(&out).contains(TOKEN) && !stderr(&out).contains(TOKEN), "{args:?} printed the token");
        }
    }
    assert!(!contains(&workspace_bytes(&ws), TOKEN), "the token is never written to the workspace file");

    // Removing the remote removes its token: added again without one, the keyring has none.
    let removed = ws.json(&["remote", "remove", "idp"]);
    assert_eq!(removed["name"], "idp");
    assert_eq!(ws.json(&["sync", "status"])["remote"], Value::Null, "removing the linked remote makes the workspace local only");
    ok(ws.run(&["remote", "add", "idp", "--url", &server.base_url()]));
    assert_eq!(ws.json(&["remote", "show", "idp"])["tokenInKeyring"], false, "the token went with the remote");
}

#[test]
fn remote_show_says_when_the_server_has_no_roster_extension() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let Some(ws) = linked(&server) else { return };
    let out = ok(ws.run(&["remote", "test", "idp"]));
    assert!(stdout(&out).contains("Reached idp"), "{}", stdout(&out));
    assert!(stdout(&out).contains("Roster extension no (Roster's own fields stay local only for this remote)"), "{}", stdout(&out));
    assert_eq!(ws.json(&["remote", "show", "idp"])["capabilities"]["rosterExtension"], false);
}

#[test]
fn a_pull_when_the_keyring_cannot_be_reached_says_the_token_was_not_sent() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let Some(ws) = linked(&server) else { return };
    // The token is in the keyring; now the session bus (and so the Secret Service) is gone.
    let out = ws
        .command(&["--json", "sync", "pull"])
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/roster-test-bus")
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let error: Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let error = &error["error"];
    let codes: Vec<(&str, &str)> = error["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("{error}"))
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, [("remote", "unauthorized"), ("token", "keyring_unavailable")], "{error}");
    assert!(error["message"].as_str().unwrap().contains("The OS keyring could not be reached, so the remote's token was not sent"), "{error}");
    // With the keyring back, the same pull goes through.
    ok(ws.run(&["sync", "pull"]));
}

#[test]
fn a_remote_without_tls_verification_warns_each_time_it_is_added_or_used() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let ws = Ws::new();
    let added = add_remote(&ws, "lab", &server, &["--insecure-skip-tls-verify"]);
    if no_keyring() {
        assert_eq!(code(&added), 1);
        return;
    }
    ok(added.clone());
    assert!(stderr(&added).contains("warning: TLS verification is off for the remote lab"), "{}", stderr(&added));
    for args in [&["remote", "test", "lab"][..], &["sync", "pull"], &["sync", "push"]] {
        let out = ok(ws.run(args));
        assert!(stderr(&out).contains("warning: TLS verification is off for the remote lab"), "{args:?}: {}", stderr(&out));
        // With --json the warning is one JSON line on stderr; stdout stays one document.
        let out = ok(ws.run(&with_json(args)));
        let warning: Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stderr(&out)));
        assert_eq!(warning["warning"]["code"], "tls_verification_off", "{warning}");
        json_of(&out);
    }
    assert!(stdout(&ok(ws.run(&["remote", "list"]))).contains("NOT VERIFIED"));
    // Status and plan contact nobody: no warning.
    assert!(stderr(&ok(ws.run(&["sync", "status"]))).is_empty());
}

#[test]
fn sync_status_json_is_exactly_remote_pending_conflicts_last_pull_last_push() {
    let ws = Ws::new();
    assert_eq!(
        ws.json(&["sync", "status"]),
        json!({"remote": null, "pending": 0, "conflicts": 0, "localOnlyFields": [], "lastPull": null, "lastPush": null}),
        "a local-only workspace"
    );
    assert!(stdout(&ok(ws.run(&["sync", "status"]))).contains("Local only"));

    let server = ScimServer::start(ServerOptions::with_extension());
    let Some(ws) = linked(&server) else { return };
    ws.add("alice");
    let status = ws.json(&["sync", "status"]);
    let keys: Vec<&str> = status.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 6, "exactly six keys: {status}");
    assert_eq!(status, json!({"remote": "idp", "pending": 1, "conflicts": 0, "localOnlyFields": [], "lastPull": null, "lastPush": null}));
    ok(ws.run(&["sync", "pull"]));
    ok(ws.run(&["sync", "push"]));
    let status = ws.json(&["sync", "status"]);
    assert_eq!((&status["pending"], &status["conflicts"]), (&json!(0), &json!(0)), "{status}");
    assert!(status["lastPull"].is_string() && status["lastPush"].is_string(), "{status}");
}

#[test]
fn a_user_added_with_user_add_is_planned_pushed_and_on_the_server() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let Some(ws) = linked(&server) else { return };
    ws.json(&["user", "add", "--username", "alice", "--email", "alice@example.com", "--first", "Alice", "--last", "Liddell"]);
    let local_id = ws.user("alice")["id"].as_str().unwrap().to_owned();

    let plan = ws.json(&["sync", "plan"]);
    assert_eq!((&plan["remote"], &plan["pending"], &plan["creates"]), (&json!("idp"), &json!(1), &json!(1)), "{plan}");
    let op = &plan["operations"][0];
    assert_eq!((&op["operation"], &op["entity"], &op["name"]), (&json!("create"), &json!("user"), &json!("alice")), "{plan}");
    let text = stdout(&ok(ws.run(&["sync", "plan"])));
    assert!(text.contains("1 to create") && text.contains("alice"), "{text}");
    assert!(server.all("Users").is_empty(), "a plan sends nothing");

    let pushed = stdout(&ok(ws.run(&["sync", "push"])));
    assert!(pushed.contains("Pushed to idp: 1 done, 0 failed, 0 conflicts, 0 not sent"), "{pushed}");
    let alice = remote_user(&server, "alice");
    assert_eq!(alice["externalId"], local_id.as_str(), "externalId is Roster's id: {alice}");
    assert_eq!((&alice["name"]["givenName"], &alice["name"]["familyName"]), (&json!("Alice"), &json!("Liddell")), "{alice}");
    assert_eq!(alice["emails"][0]["value"], "alice@example.com", "{alice}");
    assert_eq!(alice["active"], true);
    let again = ws.json(&["sync", "push"]);
    assert_eq!((&again["done"], &again["results"]), (&json!(0), &json!([])), "nothing is sent twice: {again}");
    assert_eq!(server.all("Users").len(), 1);
}

#[test]
fn a_change_on_the_server_becomes_a_conflict_at_pull_listed_and_resolved_keeping_theirs() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let Some(ws) = linked(&server) else { return };
    ws.json(&["user", "add", "--username", "alice", "--email", "alice@example.com", "--first", "Alice", "--last", "Liddell"]);
    ok(ws.run(&["sync", "push"]));
    let id = remote_user(&server, "alice")["id"].as_str().unwrap().to_owned();

    ws.json(&["user", "edit", "alice", "--first", "Alicia"]);
    patch_on_server(&server, &id, "name.givenName", "Ally");
    let pulled = ws.run(&["sync", "pull"]);
    assert_eq!(code(&pulled), 5, "a pull that leaves a conflict exits 5: {}", stderr(&pulled));
    assert!(stdout(&pulled).contains("1 conflict"), "{}", stdout(&pulled));
    assert!(stderr(&pulled).contains("roster sync conflicts"), "the pull points to the conflicts: {}", stderr(&pulled));
    assert_eq!(ws.user("alice")["firstName"], "Alicia", "a pull never overwrites a local change");
    assert_eq!(ws.json(&["sync", "status"])["conflicts"], 1);

    let conflicts = ws.json(&["sync", "conflicts"]);
    let conflicts = conflicts.as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let c = &conflicts[0];
    assert_eq!((&c["entity"], &c["name"]), (&json!("user"), &json!("alice")), "{c}");
    let field = c["fields"].as_array().unwrap().iter().find(|f| f["field"] == "givenName").unwrap_or_else(|| panic!("givenName is in conflict: {c}"));
    assert_eq!((&field["mine"], &field["theirs"], &field["base"]), (&json!("Alicia"), &json!("Ally"), &json!("Alice")), "{c}");
    let text = stdout(&ok(ws.run(&["sync", "conflicts"])));
    assert!(text.contains("FIELD") && text.contains("Alicia") && text.contains("Ally") && text.contains("Alice"), "{text}");

    let conflict_id = c["id"].as_i64().unwrap().to_string();
    let resolved = ws.json(&["sync", "resolve", &conflict_id, "--keep", "theirs"]);
    assert_eq!(resolved["resolution"], "theirs", "{resolved}");
    assert_eq!(ws.user("alice")["firstName"], "Ally", "theirs is taken locally");
    let status = ws.json(&["sync", "status"]);
    assert_eq!((&status["pending"], &status["conflicts"]), (&json!(0), &json!(0)), "{status}");
    assert_eq!(ws.json(&["sync", "conflicts"]), json!([]));
    let err = ws.fails(5, &["sync", "resolve", &conflict_id, "--keep", "mine"]);
    assert_eq!(err["error"]["code"], "conflict", "a conflict is resolved once: {err}");
    assert_eq!(remote_user(&server, "alice")["name"]["givenName"], "Ally");
}

#[test]
fn a_push_lists_refused_operations_with_the_servers_message_exit_1_and_conflicts_exit_5() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let Some(ws) = linked(&server) else { return };

    // 409: the user name is taken on the server.
    let (status, answer) = server.raw("POST", "/Users", Some(&json!({"schemas": [roster_scim::USER_SCHEMA], "userName": "carol"})));
    assert_eq!(status, 201, "{answer}");
    ws.add("carol");
    let out = ws.run(&["sync", "push"]);
    assert_eq!(code(&out), 1, "{}\n{}", stdout(&out), stderr(&out));
    let failed = stdout(&out).lines().find(|l| l.starts_with("Failed: POST user carol (409)")).map(str::to_owned);
    let failed = failed.unwrap_or_else(|| panic!("the refused operation is listed: {}", stdout(&out)));
    assert!(failed.contains("already in use"), "with the server's message: {failed}");
    assert!(stderr(&out).contains("1 operation failed"), "{}", stderr(&out));
    let out = ws.run(&with_json(&["sync", "push"]));
    assert_eq!(code(&out), 1);
    let pushed = json_of(&out);
    assert_eq!((&pushed["failed"], &pushed["results"][0]["status"]), (&json!(1), &json!(409)), "{pushed}");
    assert!(!pushed["results"][0]["message"].as_str().unwrap().is_empty(), "{pushed}");
    assert_eq!(ws.json(&["sync", "status"])["pending"], 1, "a refused change stays queued");
    ws.json(&["user", "delete", "carol"]);

    // 412: the server's version changed since the last sync.
    ws.json(&["user", "add", "--username", "alice", "--email", "alice@example.com", "--first", "Alice"]);
    ok(ws.run(&["sync", "push"]));
    let id = remote_user(&server, "alice")["id"].as_str().unwrap().to_owned();
    ws.json(&["user", "edit", "alice", "--first", "Alicia"]);
    patch_on_server(&server, &id, "name.givenName", "Ally");
    let out = ws.run(&["sync", "push"]);
    assert_eq!(code(&out), 5, "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("Conflict: PATCH user alice (412)"), "{}", stdout(&out));
    assert!(stderr(&out).contains("roster sync resolve"), "{}", stderr(&out));
    assert_eq!(remote_user(&server, "alice")["name"]["givenName"], "Ally", "the server's change is not overwritten");
    let conflict = ws.json(&["sync", "conflicts"])[0].clone();
    ok(ws.run(&["sync", "resolve", &conflict["id"].to_string(), "--keep", "mine"]));
    let out = ok(ws.run(&["sync", "push"]));
    assert!(stdout(&out).contains("1 done"), "{}", stdout(&out));
    assert_eq!(remote_user(&server, "alice")["name"]["givenName"], "Alicia", "mine was kept and pushed");
}

#[test]
fn usage_errors_and_unknown_names_have_their_exit_codes() {
    let ws = Ws::new();
    // Not linked: sync needs a remote (exit 1, not_configured); status works.
    for args in [&["sync", "pull"][..], &["sync", "plan"], &["sync", "push"], &["sync", "conflicts"]] {
        let err = ws.fails(1, args);
        assert_eq!(err["error"]["code"], "not_configured", "{args:?}: {err}");
    }
    // Unknown remote: 4.
    for args in [&["remote", "show", "nope"][..], &["remote", "test", "nope"], &["remote", "link", "nope"], &["remote", "remove", "nope"]] {
        let err = ws.fails(4, args);
        assert_eq!(err["error"]["code"], "not_found", "{args:?}: {err}");
    }
    // Arguments clap refuses: 2.
    ws.fails(2, &["remote", "add", "idp"]);
    ws.fails(2, &["sync", "resolve", "1", "--keep", "both"]);
    ws.fails(2, &["sync", "resolve", "one", "--keep", "mine"]);
    ws.fails(2, &["sync", "resolve", "1"]);
    let err = ws.fails(2, &["remote", "add", "idp", "--url", "https://idp.example.com/scim/v2", "--token-stdin"]);
    assert!(err["error"]["message"].as_str().unwrap().contains("no token"), "an empty stdin is no token: {err}");
    // Values the services refuse: 3; a name taken: 5.
    let err = ws.fails(3, &["remote", "add", "idp", "--url", "ftp://idp.example.com"]);
    assert_eq!(err["error"]["fields"][0]["field"], "url", "{err}");
    ws.fails(3, &["remote", "add", "no spaces", "--url", "https://idp.example.com/scim/v2"]);
    ok(ws.run(&["remote", "add", "idp", "--url", "https://idp.example.com/scim/v2"]));
    let err = ws.fails(5, &["remote", "add", "idp", "--url", "https://other.example.com/scim/v2"]);
    assert_eq!(err["error"]["fields"][0]["field"], "name", "{err}");
    // Linked now: an unknown conflict is 4.
    ws.fails(4, &["sync", "resolve", "999", "--keep", "mine"]);
    ok(ws.run(&["remote", "add", "second", "--url", "https://second.example.com/scim/v2"]));
    let linked = ws.json(&["remote", "link", "second"]);
    assert_eq!(linked["linked"], true);
    assert_eq!(ws.json(&["sync", "status"])["remote"], "second");
}

#[test]
fn different_fields_merge_at_pull_and_a_conflict_is_resolved_per_field_with_field_flags() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let Some(ws) = linked(&server) else { return };
    ws.json(&["user", "add", "--username", "alice", "--email", "alice@example.com", "--first", "Alice", "--last", "Liddell"]);
    ok(ws.run(&["sync", "push"]));
    let id = remote_user(&server, "alice")["id"].as_str().unwrap().to_owned();

    // Different fields: merged, exit 0, the push sends mine's field.
    ws.json(&["user", "edit", "alice", "--first", "Alicia"]);
    patch_on_server(&server, &id, "name.familyName", "Smith");
    let pulled = ws.json(&["sync", "pull"]);
    assert_eq!((&pulled["users"]["conflicts"], &pulled["users"]["updated"]), (&json!(0), &json!(1)), "{pulled}");
    assert_eq!((&ws.user("alice")["firstName"], &ws.user("alice")["lastName"]), (&json!("Alicia"), &json!("Smith")));
    ok(ws.run(&["sync", "push"]));
    let a = remote_user(&server, "alice");
    assert_eq!((&a["name"]["givenName"], &a["name"]["familyName"]), (&json!("Alicia"), &json!("Smith")), "{a}");

    // The same fields: a conflict, resolved per field.
    ws.json(&["user", "edit", "alice", "--first", "Mine", "--last", "Mine"]);
    patch_on_server(&server, &id, "name.givenName", "Theirs");
    patch_on_server(&server, &id, "name.familyName", "Theirs");
    let pulled = ws.run(&["--json", "sync", "pull"]);
    assert_eq!(code(&pulled), 5, "{}", stderr(&pulled));
    assert_eq!(json_of(&pulled)["users"]["conflicts"], 1);
    let c = ws.json(&["sync", "conflicts"])[0].clone();
    let both: Vec<&Value> = c["fields"].as_array().unwrap().iter().filter(|f| f["conflicting"] == true).map(|f| &f["field"]).collect();
    assert_eq!(both, [&json!("familyName"), &json!("givenName")], "{c}");
    let text = stdout(&ok(ws.run(&["sync", "conflicts"])));
    assert!(text.contains("BOTH CHANGED"), "{text}");
    let cid = c["id"].to_string();

    let err = ws.fails(3, &["sync", "resolve", &cid, "--field", "givenName=mine"]);
    assert_eq!(err["error"]["fields"][0]["field"], "familyName", "the field still to choose is named: {err}");
    let err = ws.fails(3, &["sync", "resolve", &cid, "--keep", "mine", "--field", "nickName=theirs"]);
    assert_eq!((&err["error"]["fields"][0]["field"], &err["error"]["fields"][0]["code"]), (&json!("nickName"), &json!("unknown_field")), "{err}");
    ws.fails(2, &["sync", "resolve", &cid, "--field", "givenName"]);
    ws.fails(4, &["sync", "resolve", "999", "--field", "givenName=mine"]);

    let resolved = ws.json(&["sync", "resolve", &cid, "--keep", "theirs", "--field", "givenName=mine"]);
    assert_eq!(resolved["resolution"], "fields", "{resolved}");
    assert_eq!((&ws.user("alice")["firstName"], &ws.user("alice")["lastName"]), (&json!("Mine"), &json!("Theirs")));
    let text = stdout(&ok(ws.run(&["sync", "conflicts"])));
    assert!(text.contains("No conflicts"), "{text}");
    ws.fails(5, &["sync", "resolve", &cid, "--keep", "mine"]);
    ok(ws.run(&["sync", "push"]));
    let a = remote_user(&server, "alice");
    assert_eq!((&a["name"]["givenName"], &a["name"]["familyName"]), (&json!("Mine"), &json!("Theirs")), "{a}");
    assert_eq!(ws.json(&["sync", "status"])["pending"], 0);
}
