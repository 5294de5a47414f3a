//! Sessions and the enterprise extension in sync, against a real SCIM server (scim2-server,
//! started per test on loopback): sessions made on the server are pulled with their details;
//! revoking one here, then all, is pushed as PATCH removes and the server keeps only what
//! was not revoked; without the Roster extension sessions stay local. A custom attribute
//! named like an enterprise attribute (`department`) is pushed into the enterprise extension
//! and a change made to it on the server is pulled back into the attribute.
//!
//! The bearer token goes to the OS keyring (run through scripts/test, which provides one).

mod common;
#[path = "../../scim/tests/common/mod.rs"]
mod scim_server;

use roster_scim::{ENTERPRISE_USER_SCHEMA, ROSTER_USER_SCHEMA, USER_SCHEMA};
use roster_workspace::{AttributeInput, Silent, UserEditInput, UserInput, Workspace};
use scim_server::{ScimServer, ServerOptions, TOKEN};
use serde_json::{json, Value};

fn linked(dir: &tempfile::TempDir, server: &ScimServer) -> Workspace {
    common::open_linked(dir, server.base_url(), TOKEN)
}


fn remote_session_ids(server: &ScimServer, username: &str) -> Vec<String> {
    let u = server.one_user(username);
    let mut ids: Vec<String> = u[ROSTER_USER_SCHEMA]["sessions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn local_session_ids(ws: &Workspace, username: &str) -> Vec<String> {
    let mut ids: Vec<String> = ws.sessions(username).unwrap().into_iter().map(|s| s.id).collect();
    ids.sort();
    ids
}

/// A user made on the server with three sessions (the directory's sign-ins).
fn seed_with_sessions(server: &ScimServer) -> Value {
    let session = |id: &str, device: &str, ip: &str| {
        json!({"id": id, "device": device, "ip": ip, "userAgent": format!("Agent {id}"),
            "startedAt": "2026-11-20T08:00:00Z", "lastSeenAt": "2026-11-28T17:30:00Z"})
    };
    let body = json!({
        "schemas": [USER_SCHEMA, ROSTER_USER_SCHEMA],
        "userName": "ada",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@example.org", "type": "work", "primary": true}],
        "active": true,
        ROSTER_USER_SCHEMA: {"sessions": [session("s1", "Laptop", "192.0.2.1"), session("s2", "Phone", "192.0.2.2"), session("s3", "Tablet", "192.0.2.3")]}
    });
    let (status, answer) = server.raw("POST", "/Users", Some(&body));
    assert_eq!(status, 201, "POST /Users: {answer}");
    answer
}

#[test]
fn sessions_made_on_the_server_are_pulled_and_revoking_them_here_is_pushed() {
    let server = ScimServer::start(ServerOptions::with_extension());
    seed_with_sessions(&server);
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);

    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!(pulled.users.created, 1, "{pulled:?}");
    assert!(pulled.problems.is_empty(), "{:?}", pulled.problems);
    let sessions = ws.sessions("ada").unwrap();
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    let phone = sessions.iter().find(|s| s.id == "s2").expect("s2 pulled");
    assert_eq!((phone.device.as_str(), phone.ip.as_str(), phone.user_agent.as_str()), ("Phone", "192.0.2.2", "Agent s2"));
    assert_eq!((phone.started_at.as_str(), phone.last_seen_at.as_str()), ("2026-11-20T08:00:00Z", "2026-11-28T17:30:00Z"));
    assert_eq!(ws.sync_status().unwrap().pending, 0, "sessions a pull writes are not a local change");

    // Revoke one here: the push removes that one only.
    ws.revoke_sessions("ada", Some("s2")).unwrap();
    let plan = ws.sync_plan().unwrap();
    assert_eq!(plan.patches, 1, "{plan:?}");
    assert_eq!(plan.operations[0].fields, ["sessions"]);
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed), (1, 0), "{pushed:?}");
    assert_eq!(remote_session_ids(&server, "ada"), ["s1", "s3"], "the server kept the others");
    let kept = server.one_user("ada")[ROSTER_USER_SCHEMA]["sessions"][0].clone();
    assert_eq!(kept["device"], "Laptop", "the sessions left keep their details");

    // A new sign-in on the server arrives with the next pull; nothing waits to be pushed.
    let id = server.one_user("ada")["id"].as_str().unwrap().to_owned();
    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": format!("{ROSTER_USER_SCHEMA}:sessions"), "value": [{"id": "s4", "device": "Desktop"}]}]});
    let (status, answer) = server.raw("PATCH", &format!("/Users/{id}"), Some(&add));
    assert!(status == 200 || status == 204, "PATCH: {status} {answer}");
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!(pulled.users.updated, 1, "{pulled:?}");
    assert_eq!(local_session_ids(&ws, "ada"), ["s1", "s3", "s4"]);
    assert_eq!(ws.sync_status().unwrap().pending, 0);

    // Revoked here while the server made another: the pull merges the two (the new one is
    // taken, the revoked one stays revoked), the push sends the revocation.
    ws.revoke_sessions("ada", Some("s1")).unwrap();
    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": format!("{ROSTER_USER_SCHEMA}:sessions"), "value": [{"id": "s5", "device": "Watch"}]}]});
    let (status, answer) = server.raw("PATCH", &format!("/Users/{id}"), Some(&add));
    assert!(status == 200 || status == 204, "PATCH: {status} {answer}");
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!(pulled.users.conflicts, 0, "{pulled:?}");
    assert_eq!(local_session_ids(&ws, "ada"), ["s3", "s4", "s5"]);
    assert_eq!(ws.sessions("ada").unwrap().iter().find(|s| s.id == "s5").unwrap().device, "Watch");
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed), (1, 0), "{pushed:?}");
    assert_eq!(remote_session_ids(&server, "ada"), ["s3", "s4", "s5"]);

    // Revoke all here: one remove of them all.
    ws.revoke_sessions("ada", None).unwrap();
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed), (1, 0), "{pushed:?}");
    assert!(remote_session_ids(&server, "ada").is_empty(), "{}", server.one_user("ada"));
    assert_eq!(server.one_user("ada")["name"]["givenName"], "Ada", "only the sessions went");

    let again = ws.sync_pull(&Silent).unwrap();
    assert_eq!((again.users.unchanged, again.users.updated), (1, 0), "{again:?}");
    assert!(ws.sessions("ada").unwrap().is_empty());
}

#[test]
fn without_the_roster_extension_sessions_stay_local() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    ws.add_user(UserInput { username: "bea".into(), email: "bea@example.com".into(), first_name: "Bea".into(), ..UserInput::default() }).unwrap();
    ws.sync_push(&Silent).unwrap();
    assert!(server.one_user("bea").get(ROSTER_USER_SCHEMA).is_none());
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert!(pulled.local_only_fields.iter().any(|f| f == "sessions"), "{:?}", pulled.local_only_fields);
    assert_eq!(pulled.users.unchanged, 1, "{pulled:?}");

    // A session revoked here (the table's trigger queues the user) sends nothing.
    seed_local_session(&dir, "bea", "local-1");
    assert_eq!(local_session_ids(&ws, "bea"), ["local-1"]);
    assert_eq!(ws.sync_pull(&Silent).unwrap().users.unchanged, 1, "a pull leaves local sessions alone");
    assert_eq!(local_session_ids(&ws, "bea"), ["local-1"]);
    ws.revoke_sessions("bea", Some("local-1")).unwrap();
    let plan = ws.sync_plan().unwrap();
    assert_eq!((plan.pending, plan.patches, plan.nothing_to_send), (1, 0, 1), "{plan:?}");
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!(pushed.requests, 0, "{pushed:?}");
    assert_eq!(ws.sync_status().unwrap().pending, 0);
}

/// Writes a session straight into the workspace file (as a directory's report would land):
/// the use cases only revoke sessions, they never make one.
fn seed_local_session(dir: &tempfile::TempDir, username: &str, id: &str) {
    let conn = rusqlite::Connection::open(dir.path().join("w.roster")).unwrap();
    let n = conn
        .execute(
            "INSERT INTO sessions (id, user_seq, device, ip, user_agent, started_at, last_seen_at)
             SELECT ?1, seq, 'Laptop', '192.0.2.9', 'Agent', '2026-11-20T08:00:00Z', '2026-11-28T17:30:00Z' FROM users WHERE username = ?2",
            [id, username],
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_department_attribute_travels_in_the_enterprise_extension() {
    // scim2-server's default schemas include the enterprise extension, attached to User; the
    // Roster extension is left out so that only the enterprise one carries the attribute.
    let server = ScimServer::start(ServerOptions::without_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    ws.define_attribute("department", "string", false).unwrap();
    ws.define_attribute("shoeSize", "number", false).unwrap();
    ws.define_attribute("Manager", "string", false).unwrap();
    ws.add_user(UserInput {
        username: "cy".into(),
        email: "cy@example.com".into(),
        first_name: "Cy".into(),
        attributes: AttributeInput(vec![("department".into(), "Sales".into()), ("shoeSize".into(), "42".into()), ("Manager".into(), "boss-1".into())]),
        ..UserInput::default()
    })
    .unwrap();
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed), (1, 0), "{pushed:?}");
    let cy = server.one_user("cy");
    assert_eq!(cy[ENTERPRISE_USER_SCHEMA]["department"], "Sales", "{cy}");
    assert_eq!(cy[ENTERPRISE_USER_SCHEMA]["manager"]["value"], "boss-1", "Manager (any case) is manager.value: {cy}");
    assert!(cy["schemas"].as_array().unwrap().contains(&json!(ENTERPRISE_USER_SCHEMA)));
    assert!(cy.get(ROSTER_USER_SCHEMA).is_none(), "shoeSize has nowhere to go: it stays local");

    // Changed here: a PATCH of the enterprise attribute.
    ws.edit_user(
        "cy",
        UserEditInput {
            attributes: AttributeInput(vec![("department".into(), "Research".into()), ("Manager".into(), "boss-2".into())]),
            ..UserEditInput::default()
        },
    )
    .unwrap();
    let plan = ws.sync_plan().unwrap();
    assert_eq!(plan.operations[0].fields, ["customAttributes"], "{plan:?}");
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed), (1, 0), "{pushed:?}");
    let cy_now = server.one_user("cy");
    assert_eq!(cy_now[ENTERPRISE_USER_SCHEMA]["department"], "Research");
    assert_eq!(cy_now[ENTERPRISE_USER_SCHEMA]["manager"]["value"], "boss-2");

    // Changed on the server: pulled into the attribute; the local-only one is kept.
    let id = cy["id"].as_str().unwrap().to_owned();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": format!("{ENTERPRISE_USER_SCHEMA}:department"), "value": "Support"}]});
    let (status, answer) = server.raw("PATCH", &format!("/Users/{id}"), Some(&patch));
    assert!(status == 200 || status == 204, "PATCH: {status} {answer}");
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!(pulled.users.updated, 1, "{pulled:?}");
    assert!(pulled.problems.is_empty(), "{:?}", pulled.problems);
    let local = ws.get_user("cy").unwrap();
    assert_eq!(local.attributes["department"], json!("Support"));
    assert_eq!(local.attributes["shoeSize"], json!(42.0));
    assert_eq!(local.attributes["Manager"], json!("boss-2"));
    assert_eq!(ws.sync_status().unwrap().pending, 0);
    let again = ws.sync_pull(&Silent).unwrap();
    assert_eq!((again.users.unchanged, again.users.updated), (1, 0), "{again:?}");
}
