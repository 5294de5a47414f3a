//! Sync use cases against a real SCIM server (scim2-server, started per test on loopback,
//! with and without the Roster extension schema): pull into an empty workspace; create,
//! update, disable, delete and group membership pushed and checked on the server with plain
//! GETs; a change made on the server while a local one waits becomes a conflict, resolved
//! keeping theirs and keeping mine; 2,500 new users pushed in chunks.
//!
//! The bearer token goes to the OS keyring (run through scripts/test, which provides one).

mod common;
#[path = "../../scim/tests/common/mod.rs"]
mod scim_server;

use roster_core::Secret;
use roster_scim::{ROSTER_USER_SCHEMA, USER_SCHEMA};
use roster_workspace::{ErrorCode, RemoteInput, Silent, SyncResolveInput, UserEditInput, UserInput, Workspace};
use scim_server::{ScimServer, ServerOptions, TOKEN};
use serde_json::{json, Value};

fn linked(dir: &tempfile::TempDir, server: &ScimServer) -> Workspace {
    common::open_linked(dir, server.base_url(), TOKEN)
}

fn add(ws: &mut Workspace, username: &str, first: &str, last: &str) -> String {
    ws.add_user(UserInput {
        username: username.into(),
        email: format!("{username}@example.com"),
        first_name: first.into(),
        last_name: last.into(),
        ..UserInput::default()
    })
    .unwrap()
    .id
}


fn remote_group(server: &ScimServer, name: &str) -> Value {
    let found: Vec<Value> = server.all("Groups").into_iter().filter(|g| g["displayName"] == name).collect();
    assert_eq!(found.len(), 1, "exactly one group {name} on the server: {found:?}");
    found.into_iter().next().unwrap()
}

fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> =
        group["members"].as_array().cloned().unwrap_or_default().iter().map(|m| m["value"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

fn post(server: &ScimServer, path: &str, body: Value) -> Value {
    let (status, answer) = server.raw("POST", path, Some(&body));
    assert_eq!(status, 201, "POST {path}: {answer}");
    answer
}

fn seed_user(server: &ScimServer, username: &str, given: &str, extension: bool) -> Value {
    let mut body = json!({
        "schemas": [USER_SCHEMA],
        "userName": username,
        "name": {"givenName": given, "familyName": "Remote"},
        "emails": [{"value": format!("{username}@example.org"), "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "+447400123456", "type": "work", "primary": true}],
        "active": true,
        "roles": [{"value": "Auditor"}],
    });
    if extension {
        body["schemas"] = json!([USER_SCHEMA, ROSTER_USER_SCHEMA]);
        body[ROSTER_USER_SCHEMA] = json!({"secondFactor": "totp", "mfaEnrolled": true, "deviceLimit": 3});
    }
    post(server, "/Users", body)
}

fn pull_into_an_empty_workspace_creates_everyone(options: ServerOptions) {
    let extension = options.roster_extension;
    let server = ScimServer::start(options);
    let ada = seed_user(&server, "ada", "Ada", extension);
    let bob = seed_user(&server, "bob", "Bob", extension);
    seed_user(&server, "cy", "Cy", extension);
    post(&server, "/Groups", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering",
        "members": [{"value": ada["id"]}, {"value": bob["id"]}]}));

    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!((pulled.users.created, pulled.groups.created), (3, 1), "{pulled:?}");
    assert!(pulled.problems.is_empty(), "{:?}", pulled.problems);
    assert_eq!(pulled.local_only_fields.is_empty(), extension, "Roster's fields are local only without the extension");

    let a = ws.get_user("ada").unwrap();
    assert_eq!((a.first_name.as_str(), a.last_name.as_str(), a.email.as_str()), ("Ada", "Remote", "ada@example.org"));
    assert_eq!(a.phone.as_deref(), Some("+447400123456"));
    assert_eq!(a.roles, ["Auditor"]);
    assert_eq!(a.groups, ["Engineering"]);
    if extension {
        assert_eq!((a.second_factor, a.mfa_enrolled, a.device_limit), ("totp", true, Some(3)));
    }
    let status = ws.sync_status().unwrap();
    assert_eq!(status.pending, 0, "what a pull writes is not a local change");
    assert!(status.last_pull.is_some());

    let again = ws.sync_pull(&Silent).unwrap();
    assert_eq!((again.users.unchanged, again.users.created, again.users.updated), (3, 0, 0), "{again:?}");
    assert_eq!(again.groups.unchanged, 1);
    assert_eq!(ws.sync_plan().unwrap().pending, 0);
}

#[test]
fn pull_into_an_empty_workspace_creates_everyone_with_the_extension() {
    pull_into_an_empty_workspace_creates_everyone(ServerOptions::with_extension());
}

#[test]
fn pull_into_an_empty_workspace_creates_everyone_without_the_extension() {
    pull_into_an_empty_workspace_creates_everyone(ServerOptions::without_extension());
}

fn push_creates_updates_and_deletes(options: ServerOptions) {
    let extension = options.roster_extension;
    let server = ScimServer::start(options);
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    let alice = add(&mut ws, "alice", "Alice", "Liddell");
    let bob = add(&mut ws, "bob", "Bob", "Builder");
    let carol = add(&mut ws, "carol", "Carol", "Singer");
    ws.add_group("Sales", "").unwrap();
    ws.change_group_members("Sales", &["alice".into(), "bob".into()], &[]).unwrap();
    if extension {
        ws.set_device_limit("alice", Some("4")).unwrap();
    }

    let plan = ws.sync_plan().unwrap();
    assert_eq!((plan.creates, plan.patches, plan.deletes), (4, 0, 0), "{plan:?}");
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.not_sent), (4, 0, 0), "{pushed:?}");
    assert_eq!(ws.sync_status().unwrap().pending, 0);

    let a = server.one_user("alice");
    assert_eq!(a["externalId"], alice.as_str(), "externalId is Roster's id");
    assert_eq!(a["name"]["familyName"], "Liddell");
    assert_eq!(a["emails"][0]["value"], "alice@example.com");
    assert_eq!(a["active"], true);
    if extension {
        assert_eq!(a[ROSTER_USER_SCHEMA]["deviceLimit"], 4);
    } else {
        assert!(a.get(ROSTER_USER_SCHEMA).is_none(), "without the extension Roster's fields stay local");
    }
    let b = server.one_user("bob");
    let c = server.one_user("carol");
    assert_eq!(c["externalId"], carol.as_str());
    let sales = remote_group(&server, "Sales");
    let mut expected = vec![a["id"].as_str().unwrap().to_owned(), b["id"].as_str().unwrap().to_owned()];
    expected.sort();
    assert_eq!(member_ids(&sales), expected, "a new user joined a new group in the same push");

    // Update, disable, delete, membership.
    ws.edit_user("alice", UserEditInput { last_name: Some("Smith".into()), ..UserEditInput::default() }).unwrap();
    ws.disable_user("bob").unwrap();
    ws.delete_user("carol").unwrap();
    ws.change_group_members("Sales", &[], &["bob".into()]).unwrap();
    let plan = ws.sync_plan().unwrap();
    assert_eq!((plan.creates, plan.patches, plan.deletes), (0, 3, 1), "{plan:?}");
    let alice_op = plan.operations.iter().find(|o| o.name == "alice").unwrap();
    assert_eq!(alice_op.fields, ["familyName"], "only the changed attribute is sent");
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed), (4, 0), "{pushed:?}");

    let a = server.one_user("alice");
    assert_eq!(a["name"]["familyName"], "Smith");
    assert_eq!(a["name"]["givenName"], "Alice");
    assert_eq!(server.one_user("bob")["active"], false);
    let (status, _) = server.raw("GET", &format!("/Users/{}", c["id"].as_str().unwrap()), None);
    assert_eq!(status, 404, "carol is deleted on the server");
    assert_eq!(member_ids(&remote_group(&server, "Sales")), [a["id"].as_str().unwrap().to_owned()]);
    assert_eq!(ws.sync_status().unwrap().pending, 0);
    let _ = bob;

    // Nothing left: a pull sees everything as it is.
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!((pulled.users.unchanged, pulled.users.updated, pulled.users.created), (2, 0, 0), "{pulled:?}");
}

#[test]
fn push_creates_updates_and_deletes_with_the_extension() {
    push_creates_updates_and_deletes(ServerOptions::with_extension());
}

#[test]
fn push_creates_updates_and_deletes_without_the_extension() {
    push_creates_updates_and_deletes(ServerOptions::without_extension());
}

#[test]
fn a_change_made_on_the_server_while_one_waits_here_is_a_conflict() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    add(&mut ws, "alice", "Alice", "Liddell");
    ws.sync_push(&Silent).unwrap();
    let id = server.one_user("alice")["id"].as_str().unwrap().to_owned();
    let patch = |field: &str, value: &str| {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": field, "value": value}]});
        let (status, answer) = server.raw("PATCH", &format!("/Users/{id}"), Some(&body));
        assert!(status == 200 || status == 204, "PATCH: {status} {answer}");
    };

    // Keep theirs.
    ws.edit_user("alice", UserEditInput { first_name: Some("Alicia".into()), ..UserEditInput::default() }).unwrap();
    patch("name.givenName", "Ally");
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!(pulled.users.conflicts, 1, "{pulled:?}");
    assert_eq!(ws.get_user("alice").unwrap().first_name, "Alicia", "a pull never overwrites a local change");
    let conflicts = ws.sync_conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    let field = conflicts[0].fields.iter().find(|f| f.field == "givenName").expect("givenName is in conflict");
    assert_eq!((field.mine.clone(), field.theirs.clone(), field.base.clone()), (Some(json!("Alicia")), Some(json!("Ally")), Some(json!("Alice"))));
    let resolved = ws.sync_resolve(conflicts[0].id, "theirs").unwrap();
    assert_eq!(resolved.resolution.as_deref(), Some("theirs"));
    assert_eq!(ws.get_user("alice").unwrap().first_name, "Ally");
    let status = ws.sync_status().unwrap();
    assert_eq!((status.pending, status.conflicts), (0, 0));
    assert_eq!(ws.sync_resolve(conflicts[0].id, "mine").unwrap_err().code, ErrorCode::Conflict, "a conflict is resolved once");

    // Keep mine.
    ws.edit_user("alice", UserEditInput { last_name: Some("Mine".into()), ..UserEditInput::default() }).unwrap();
    patch("name.familyName", "Theirs");
    assert_eq!(ws.sync_pull(&Silent).unwrap().users.conflicts, 1);
    let conflict = ws.sync_conflicts().unwrap().remove(0);
    ws.sync_resolve(conflict.id, "mine").unwrap();
    let plan = ws.sync_plan().unwrap();
    assert_eq!(plan.operations.len(), 1);
    assert_eq!(plan.operations[0].fields, ["familyName"], "{plan:?}");
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.conflicts), (1, 0, 0), "{pushed:?}");
    let a = server.one_user("alice");
    assert_eq!((a["name"]["givenName"].as_str(), a["name"]["familyName"].as_str()), (Some("Ally"), Some("Mine")));
    assert_eq!(ws.sync_status().unwrap().pending, 0);
}

#[test]
fn a_push_over_a_changed_remote_version_is_a_conflict() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    add(&mut ws, "alice", "Alice", "Liddell");
    ws.sync_push(&Silent).unwrap();
    let id = server.one_user("alice")["id"].as_str().unwrap().to_owned();
    ws.edit_user("alice", UserEditInput { first_name: Some("Alicia".into()), ..UserEditInput::default() }).unwrap();
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "name.givenName", "value": "Ally"}]});
    let (status, _) = server.raw("PATCH", &format!("/Users/{id}"), Some(&body));
    assert!(status == 200 || status == 204);
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!(pushed.conflicts, 1, "If-Match with the old version is refused (412): {pushed:?}");
    assert_eq!(pushed.requests, 2, "one /Bulk request, then the refused user read back: {pushed:?}");
    assert_eq!(server.one_user("alice")["name"]["givenName"], "Ally", "the server's change is not overwritten");
    let conflict = ws.sync_conflicts().unwrap().remove(0);
    assert!(conflict.fields.iter().any(|f| f.field == "givenName"));
    ws.sync_resolve(conflict.id, "mine").unwrap();
    assert_eq!(ws.sync_push(&Silent).unwrap().done, 1);
    assert_eq!(server.one_user("alice")["name"]["givenName"], "Alicia");
}

#[test]
fn a_bulk_of_2500_users_is_pushed_in_chunks() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    let mut ids = std::collections::HashMap::new();
    for n in 0..2500 {
        let username = format!("user{n:04}");
        let id = add(&mut ws, &username, "Given", &format!("Family{n}"));
        ids.insert(username, id);
    }
    assert_eq!(ws.sync_plan().unwrap().creates, 2500);
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.not_sent), (2500, 0, 0), "{:?}", pushed.results.iter().find(|r| r.result != "done"));
    assert!(pushed.used_bulk);
    assert!(pushed.requests >= 3, "2,500 operations go in chunks within maxOperations 1000: {} requests", pushed.requests);
    assert_eq!(pushed.results.len(), 2500, "every operation's result is kept");
    let all = server.all("Users");
    assert_eq!(all.len(), 2500);
    for u in &all {
        assert_eq!(u["externalId"].as_str(), ids.get(u["userName"].as_str().unwrap()).map(String::as_str), "{u}");
    }
    assert_eq!(ws.sync_status().unwrap().pending, 0);
}

#[test]
fn sync_needs_a_linked_remote() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    assert_eq!(ws.sync_plan().unwrap_err().code, ErrorCode::NotConfigured);
    assert_eq!(ws.sync_pull(&Silent).unwrap_err().code, ErrorCode::NotConfigured);
    assert_eq!(ws.sync_push(&Silent).unwrap_err().code, ErrorCode::NotConfigured);
    assert_eq!(ws.sync_conflicts().unwrap_err().code, ErrorCode::NotConfigured);
}

#[test]
fn remote_test_keeps_the_capabilities() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    let view = ws.remote_test("idp").unwrap();
    let caps = view.capabilities.expect("discovery is kept");
    assert_eq!(caps["rosterExtension"], true);
    assert_eq!(caps["bulk"]["maxOperations"], 1000);
    assert!(view.discovered_at.is_some());
    drop(server);
    let err = ws.remote_test("idp").unwrap_err();
    assert_eq!(err.code, ErrorCode::Remote);
    assert_eq!(err.fields[0].code, "unreachable", "{err:?}");
}

fn patch_remote(server: &ScimServer, path: &str, operations: Value) {
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations});
    let (status, answer) = server.raw("PATCH", path, Some(&body));
    assert!(status == 200 || status == 204, "PATCH {path}: {status} {answer}");
}

fn edit_names(ws: &mut Workspace, username: &str, first: Option<&str>, last: Option<&str>) {
    ws.edit_user(username, UserEditInput { first_name: first.map(Into::into), last_name: last.map(Into::into), ..UserEditInput::default() }).unwrap();
}

#[test]
fn different_fields_changed_on_each_side_merge_without_a_conflict() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    add(&mut ws, "alice", "Alice", "Liddell");
    ws.sync_push(&Silent).unwrap();
    let id = server.one_user("alice")["id"].as_str().unwrap().to_owned();

    edit_names(&mut ws, "alice", Some("Alicia"), None);
    patch_remote(&server, &format!("/Users/{id}"), json!([
        {"op": "replace", "path": "name.familyName", "value": "Smith"},
        {"op": "replace", "path": "active", "value": false},
    ]));
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!((pulled.users.conflicts, pulled.users.updated), (0, 1), "different fields merge: {pulled:?}");
    let a = ws.get_user("alice").unwrap();
    assert_eq!((a.first_name.as_str(), a.last_name.as_str(), a.status), ("Alicia", "Smith", "disabled"), "theirs taken, mine kept");
    assert!(ws.sync_conflicts().unwrap().is_empty());
    let plan = ws.sync_plan().unwrap();
    assert_eq!(plan.operations.len(), 1, "{plan:?}");
    assert_eq!(plan.operations[0].fields, ["givenName"], "the push sends exactly mine's field: {plan:?}");

    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.conflicts), (1, 0, 0), "the ETag of theirs is the base's: {pushed:?}");
    let a = server.one_user("alice");
    assert_eq!((a["name"]["givenName"].as_str(), a["name"]["familyName"].as_str(), a["active"].as_bool()), (Some("Alicia"), Some("Smith"), Some(false)));
    let status = ws.sync_status().unwrap();
    assert_eq!((status.pending, status.conflicts), (0, 0));
    let again = ws.sync_pull(&Silent).unwrap();
    assert_eq!((again.users.unchanged, again.users.updated, again.users.conflicts), (1, 0, 0), "both sides agree now: {again:?}");
}

#[test]
fn a_conflict_is_resolved_per_field() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    add(&mut ws, "alice", "Alice", "Liddell");
    ws.sync_push(&Silent).unwrap();
    let id = server.one_user("alice")["id"].as_str().unwrap().to_owned();

    edit_names(&mut ws, "alice", Some("Alicia"), Some("Mine"));
    patch_remote(&server, &format!("/Users/{id}"), json!([
        {"op": "replace", "path": "name.givenName", "value": "Ally"},
        {"op": "replace", "path": "name.familyName", "value": "Theirs"},
        {"op": "replace", "path": "active", "value": false},
    ]));
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!(pulled.users.conflicts, 1, "{pulled:?}");
    let c = ws.sync_conflicts().unwrap().remove(0);
    assert!(!c.deleted_on_remote);
    let conflicting: Vec<&str> = c.fields.iter().filter(|f| f.conflicting).map(|f| f.field.as_str()).collect();
    assert_eq!(conflicting, ["familyName", "givenName"], "{c:?}");
    assert!(c.fields.iter().any(|f| f.field == "active" && !f.conflicting), "only theirs changed active: {c:?}");

    let resolve = |ws: &mut Workspace, keep: Option<&str>, fields: &[(&str, &str)]| {
        ws.sync_resolve_fields(
            c.id,
            &SyncResolveInput { keep: keep.map(Into::into), fields: fields.iter().map(|(f, s)| ((*f).to_owned(), (*s).to_owned())).collect() },
        )
    };
    let e = resolve(&mut ws, None, &[("givenName", "mine")]).unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    assert_eq!(e.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["familyName"], "the field still to choose is named: {e:?}");
    let e = resolve(&mut ws, Some("mine"), &[("nickName", "theirs")]).unwrap_err();
    assert_eq!((e.code, e.fields[0].field.as_str(), e.fields[0].code.as_str()), (ErrorCode::Validation, "nickName", "unknown_field"));
    let e = resolve(&mut ws, None, &[("givenName", "both"), ("familyName", "mine")]).unwrap_err();
    assert_eq!((e.code, e.fields[0].field.as_str()), (ErrorCode::Validation, "givenName"));
    assert_eq!(ws.get_user("alice").unwrap().first_name, "Alicia", "a refused resolution changes nothing");

    let resolved = resolve(&mut ws, None, &[("givenName", "mine"), ("familyName", "theirs")]).unwrap();
    assert_eq!(resolved.resolution.as_deref(), Some("fields"));
    let a = ws.get_user("alice").unwrap();
    assert_eq!((a.first_name.as_str(), a.last_name.as_str(), a.status), ("Alicia", "Theirs", "disabled"), "active: the side that changed it");
    let plan = ws.sync_plan().unwrap();
    assert_eq!(plan.operations[0].fields, ["givenName"], "{plan:?}");
    assert_eq!(resolve(&mut ws, Some("mine"), &[]).unwrap_err().code, ErrorCode::Conflict, "resolved once");
    assert_eq!(ws.sync_resolve_fields(9999, &SyncResolveInput::default()).unwrap_err().code, ErrorCode::NotFound);

    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.conflicts), (1, 0, 0), "{pushed:?}");
    let a = server.one_user("alice");
    assert_eq!((a["name"]["givenName"].as_str(), a["name"]["familyName"].as_str(), a["active"].as_bool()), (Some("Alicia"), Some("Theirs"), Some(false)));
    assert_eq!(ws.sync_status().unwrap().pending, 0);
}

/// alice and bob pushed, then deleted on the server while `edit` changes each here.
fn pushed_then_deleted_on_the_server(server: &ScimServer, ws: &mut Workspace, edit: impl Fn(&mut Workspace, &str)) {
    add(ws, "alice", "Alice", "Liddell");
    add(ws, "bob", "Bob", "Builder");
    ws.sync_push(&Silent).unwrap();
    for name in ["alice", "bob"] {
        let id = server.one_user(name)["id"].as_str().unwrap().to_owned();
        let (status, answer) = server.raw("DELETE", &format!("/Users/{id}"), None);
        assert_eq!(status, 204, "DELETE: {answer}");
        edit(ws, name);
    }
}

#[test]
fn a_user_deleted_on_the_server_while_a_change_waits_is_a_conflict() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    pushed_then_deleted_on_the_server(&server, &mut ws, |ws, name| edit_names(ws, name, None, Some("Changed")));

    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!((pulled.users.conflicts, pulled.users.deleted), (2, 0), "a waiting change is not dropped: {pulled:?}");
    let conflicts = ws.sync_conflicts().unwrap();
    assert!(conflicts.iter().all(|c| c.deleted_on_remote && c.fields.iter().all(|f| f.theirs.is_none())), "{conflicts:?}");
    assert_eq!(ws.get_user("bob").unwrap().last_name, "Changed");

    // A push does not create them again behind the admin's back.
    ws.sync_push(&Silent).unwrap();
    assert!(server.all("Users").is_empty(), "nothing re-created: {:?}", server.all("Users"));

    let of = |name: &str| conflicts.iter().find(|c| c.name == name).unwrap().id;
    let e = ws
        .sync_resolve_fields(of("alice"), &SyncResolveInput { keep: None, fields: [("familyName".into(), "mine".into()), ("givenName".into(), "theirs".into())].into() })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation, "deleted on the remote: kept or deleted whole");
    assert_eq!(ws.sync_resolve(of("alice"), "theirs").unwrap().resolution.as_deref(), Some("theirs"));
    assert_eq!(ws.get_user("alice").unwrap_err().code, ErrorCode::NotFound, "theirs: deleted here too");
    ws.sync_resolve(of("bob"), "mine").unwrap();
    let plan = ws.sync_plan().unwrap();
    assert_eq!((plan.pending, plan.creates), (1, 1), "mine: bob is created again, alice has nothing to send: {plan:?}");

    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.conflicts), (1, 0, 0), "{pushed:?}");
    assert_eq!(server.one_user("bob")["name"]["familyName"], "Changed");
    assert_eq!(server.all("Users").len(), 1, "alice stays deleted");
    let status = ws.sync_status().unwrap();
    assert_eq!((status.pending, status.conflicts), (0, 0));
}

#[test]
fn members_added_on_each_side_merge_as_a_set() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    for name in ["alice", "bob", "carol", "dan"] {
        add(&mut ws, name, "A", "B");
    }
    ws.add_group("Sales", "").unwrap();
    ws.change_group_members("Sales", &["alice".into(), "dan".into()], &[]).unwrap();
    ws.sync_push(&Silent).unwrap();
    let remote_id = |name: &str| server.one_user(name)["id"].as_str().unwrap().to_owned();
    let group_id = remote_group(&server, "Sales")["id"].as_str().unwrap().to_owned();

    // Here bob joins and dan leaves; there carol joins.
    ws.change_group_members("Sales", &["bob".into()], &["dan".into()]).unwrap();
    patch_remote(&server, &format!("/Groups/{group_id}"), json!([{"op": "add", "path": "members", "value": [{"value": remote_id("carol")}]}]));
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!((pulled.groups.conflicts, pulled.groups.updated), (0, 1), "{pulled:?}");
    let mut members: Vec<String> = ws.get_user("carol").unwrap().groups;
    members.extend(ws.get_user("bob").unwrap().groups);
    assert_eq!(members, ["Sales", "Sales"], "carol taken from the remote, bob kept");
    assert!(ws.get_user("dan").unwrap().groups.is_empty(), "dan's removal kept");

    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.conflicts), (1, 0, 0), "{pushed:?}");
    let mut expected = vec![remote_id("alice"), remote_id("bob"), remote_id("carol")];
    expected.sort();
    assert_eq!(member_ids(&remote_group(&server, "Sales")), expected);
    assert_eq!(ws.sync_status().unwrap().pending, 0);
}

#[test]
fn a_patch_answered_404_is_resolved_like_a_deletion_seen_at_pull() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    pushed_then_deleted_on_the_server(&server, &mut ws, |ws, name| edit_names(ws, name, Some("Edited"), None));
    // No pull first: the PATCHes find them gone.
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!(pushed.conflicts, 2, "{pushed:?}");
    let conflicts = ws.sync_conflicts().unwrap();
    assert!(conflicts.iter().all(|c| c.deleted_on_remote), "{conflicts:?}");
    let of = |name: &str| conflicts.iter().find(|c| c.name == name).unwrap().id;
    ws.sync_resolve(of("alice"), "theirs").unwrap();
    assert_eq!(ws.get_user("alice").unwrap_err().code, ErrorCode::NotFound);
    ws.sync_resolve_fields(of("bob"), &SyncResolveInput { keep: None, fields: [("givenName".into(), "mine".into())].into() }).unwrap();
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.conflicts), (1, 0, 0), "{pushed:?}");
    assert_eq!(server.one_user("bob")["name"]["givenName"], "Edited");
    assert_eq!(server.all("Users").len(), 1, "alice stays deleted");
    let status = ws.sync_status().unwrap();
    assert_eq!((status.pending, status.conflicts), (0, 0));
    // A pull now changes nothing.
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!((pulled.users.created, pulled.users.deleted, pulled.users.conflicts), (0, 0, 0), "{pulled:?}");
}

#[test]
fn changes_with_an_open_conflict_are_held_until_it_is_resolved() {
    let server = ScimServer::start(ServerOptions::with_extension());
    seed_user(&server, "bob", "Bob", true);
    let dir = tempfile::tempdir().unwrap();
    // Made before the link (adopted by it): a bob who differs from the server's, and his group.
    let mut ws = common::open(&dir);
    add(&mut ws, "bob", "Robert", "Local");
    ws.add_group("Team", "").unwrap();
    ws.change_group_members("Team", &["bob".into()], &[]).unwrap();
    ws.remote_add(RemoteInput { name: "idp".into(), url: server.base_url(), token: Some(Secret::new(TOKEN.to_owned())), insecure_skip_tls_verify: false })
        .unwrap();
    add(&mut ws, "carol", "Carol", "Free");

    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!(pulled.users.conflicts, 1, "the two bobs disagree: {pulled:?}");
    let plan = ws.sync_plan().unwrap();
    assert_eq!(plan.held, 2, "bob waits for his conflict, and Team for bob: {plan:?}");
    let held: Vec<&str> = plan.operations.iter().filter(|o| o.operation == "held").map(|o| o.name.as_str()).collect();
    assert_eq!(held, ["bob", "Team"], "{plan:?}");

    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.conflicts, pushed.held), (1, 0, 0, 2), "only carol goes: {pushed:?}");
    assert_eq!(server.one_user("bob")["name"]["givenName"], "Bob", "the server's bob is untouched");
    assert!(server.all("Groups").is_empty(), "Team waits for bob");
    assert_eq!(ws.sync_status().unwrap().pending, 2);

    let conflict = ws.sync_conflicts().unwrap().remove(0);
    ws.sync_resolve(conflict.id, "mine").unwrap();
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.conflicts, pushed.held), (2, 0, 0, 0), "{pushed:?}");
    let bob = server.one_user("bob");
    assert_eq!((bob["name"]["givenName"].as_str(), bob["name"]["familyName"].as_str()), (Some("Robert"), Some("Local")), "mine kept: {bob}");
    assert_eq!(member_ids(&remote_group(&server, "Team")), [bob["id"].as_str().unwrap().to_owned()]);
    assert_eq!(ws.sync_status().unwrap().pending, 0);
}

/// Stops a push at its "pushing" phase until the test lets it go on.
struct HeldAtPushing {
    reached: std::sync::Mutex<std::sync::mpsc::Sender<()>>,
    go_on: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl roster_workspace::Progress for HeldAtPushing {
    fn phase(&self, name: &str) {
        if name == "pushing" {
            self.reached.lock().unwrap().send(()).unwrap();
            self.go_on.lock().unwrap().recv().unwrap();
        }
    }
    fn update(&self, _done: u64, _total: u64) {}
}

#[test]
fn one_pull_or_push_at_a_time_per_workspace_a_second_is_refused_as_a_conflict() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = linked(&dir, &server);
    add(&mut ws, "alice", "Alice", "Liddell");
    ws.add_group("Staff", "").unwrap();
    ws.assign_groups("alice", &["Staff".to_owned()]).unwrap();
    // A second Roster on the same file (another window or the CLI).
    let mut other = Workspace::open(ws.path()).unwrap();

    let (reached_tx, reached) = std::sync::mpsc::channel();
    let (go_on, go_on_rx) = std::sync::mpsc::channel();
    let held = HeldAtPushing { reached: std::sync::Mutex::new(reached_tx), go_on: std::sync::Mutex::new(go_on_rx) };
    std::thread::scope(|scope| {
        // Dropped if a check below fails, so the held push ends instead of waiting for ever.
        let go_on = go_on;
        let first = scope.spawn(|| ws.sync_push(&held));
        reached.recv().unwrap();
        // Both would look the new group up, find nothing and create it: refused instead.
        let push = other.sync_push(&Silent).unwrap_err();
        assert_eq!(push.code, ErrorCode::Conflict, "{push:?}");
        assert!(push.message.contains("Another Roster"), "{}", push.message);
        assert_eq!(other.sync_pull(&Silent).unwrap_err().code, ErrorCode::Conflict, "a pull waits for the push too");
        go_on.send(()).unwrap();
        let pushed = first.join().unwrap().unwrap();
        assert_eq!((pushed.done, pushed.failed, pushed.conflicts), (2, 0, 0), "{pushed:?}");
    });
    assert_eq!(other.sync_push(&Silent).unwrap().done, 0, "once the first has ended the other may push: nothing is left");
    assert_eq!(server.all("Groups").len(), 1, "one Staff group on the server");
    assert_eq!(server.all("Users").len(), 1);
}
