//! Remote profiles and the change queue of a linked workspace, and the adoption at link of
//! what existed before it (queued once, however often the link is made). One test runs
//! against a real scim2-server: users and a group made before the link, one of the users
//! already on the server, link → pull → push leaves each on the server exactly once.

mod common;
#[path = "../../scim/tests/common/mod.rs"]
mod scim_server;

use roster_core::Secret;
use roster_scim::USER_SCHEMA;
use roster_workspace::{ErrorCode, RemoteInput, Silent, UserInput};
use scim_server::{ScimServer, ServerOptions, TOKEN};
use serde_json::{json, Value};

fn remote(name: &str, url: &str) -> RemoteInput {
    RemoteInput { name: name.into(), url: url.into(), ..RemoteInput::default() }
}

#[test]
fn the_first_remote_is_linked_and_from_then_on_every_change_queues_once_per_user() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    ws.add_user(UserInput { username: "before".into(), email: "before@example.com".into(), ..UserInput::default() }).unwrap();
    assert_eq!(ws.sync_status().unwrap().remote, None);

    let bad = ws.remote_add(remote("no spaces", "ftp://x")).unwrap_err();
    assert_eq!(bad.code, ErrorCode::Validation);
    assert_eq!(bad.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["name", "url"]);

    let corp = ws.remote_add(remote("corp", "https://idp.example.com/scim/v2/")).unwrap();
    assert!(corp.linked && !corp.token_in_keyring && !corp.insecure_skip_tls_verify);
    assert_eq!(corp.adopted, Some(1), "the user made before the link is queued for the first push");
    assert_eq!(ws.remote_show("corp").unwrap().adopted, None, "only the link says what it queued");
    assert_eq!(corp.url, "https://idp.example.com/scim/v2");
    assert_eq!(ws.remote_add(remote("CORP", "https://other.example.com")).unwrap_err().code, ErrorCode::Conflict);

    ws.add_user(UserInput { username: "ann".into(), email: "ann@example.com".into(), ..UserInput::default() }).unwrap();
    ws.disable_user("ann").unwrap();
    ws.add_group("Sales", "").unwrap();
    ws.change_group_members("Sales", &["ann".to_owned()], &[]).unwrap();
    let status = ws.sync_status().unwrap();
    assert_eq!((status.remote.as_deref(), status.pending, status.conflicts), (Some("corp"), 3, 0), "before, ann and Sales, whatever the number of changes");
    assert_eq!(ws.remote_link("corp").unwrap().adopted, Some(0), "linking again queues nothing twice");
    assert_eq!(ws.sync_status().unwrap().pending, 3);

    let lab = ws.remote_add(remote("lab", "http://127.0.0.1:8000")).unwrap();
    assert!(!lab.linked, "the first remote stays linked");
    assert_eq!(lab.adopted, None, "adding a remote that is not linked queues nothing");
    assert_eq!(ws.remote_list().unwrap().iter().map(|r| (r.name.as_str(), r.linked)).collect::<Vec<_>>(), [("corp", true), ("lab", false)]);
    let lab = ws.remote_link("lab").unwrap();
    assert_eq!(lab.adopted, Some(3), "the old remote's queue is forgotten; lab knows nothing yet, so all of it is queued anew");
    assert_eq!(ws.sync_status().unwrap().pending, 3);
    assert_eq!(ws.sync_plan().unwrap().creates, 3, "each becomes a create for lab");
    ws.remote_remove("lab").unwrap();
    assert_eq!(ws.sync_status().unwrap().remote, None);
    assert_eq!(ws.remote_show("lab").unwrap_err().code, ErrorCode::NotFound);
}

fn user(username: &str, first: &str, last: &str) -> UserInput {
    UserInput { username: username.into(), email: format!("{username}@example.com"), first_name: first.into(), last_name: last.into(), ..UserInput::default() }
}

/// The server's resources of `endpoint` with this `key` (userName, displayName).
fn on_server(server: &ScimServer, endpoint: &str, key: &str, value: &str) -> Vec<Value> {
    server.all(endpoint).into_iter().filter(|r| r[key] == value).collect()
}

#[test]
fn what_existed_before_the_link_is_pushed_once_matching_what_the_remote_already_has() {
    let server = ScimServer::start(ServerOptions::without_extension());
    // bob is already on the remote, as the workspace has him.
    let (status, bob_remote) = server.raw(
        "POST",
        "/Users",
        Some(&json!({"schemas": [USER_SCHEMA], "userName": "bob", "name": {"givenName": "Bob", "familyName": "Builder"},
            "emails": [{"value": "bob@example.com", "type": "work", "primary": true}], "active": true})),
    );
    assert_eq!(status, 201, "{bob_remote}");

    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    ws.add_user(user("ada", "Ada", "Lovelace")).unwrap();
    ws.add_user(user("bob", "Bob", "Builder")).unwrap();
    ws.add_user(user("cy", "Cy", "Twombly")).unwrap();
    ws.add_group("Team", "").unwrap();
    ws.change_group_members("Team", &["ada".to_owned(), "bob".to_owned()], &[]).unwrap();
    assert_eq!(ws.sync_status().unwrap().pending, 0, "nothing queues while local only");

    let idp = ws
        .remote_add(RemoteInput { name: "idp".into(), url: server.base_url(), token: Some(Secret::new(TOKEN.to_owned())), ..RemoteInput::default() })
        .unwrap();
    assert_eq!(idp.adopted, Some(4), "three users and a group");
    assert_eq!(ws.remote_link("idp").unwrap().adopted, Some(0));

    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!((pulled.users.created, pulled.users.conflicts, pulled.groups.conflicts), (0, 0, 0), "bob is matched by userName: {pulled:?}");
    let plan = ws.sync_plan().unwrap();
    let mut creates: Vec<&str> = plan.operations.iter().filter(|o| o.operation == "create").map(|o| o.name.as_str()).collect();
    creates.sort();
    assert_eq!(creates, ["Team", "ada", "cy"], "bob is not created twice: {plan:?}");

    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.conflicts, pushed.not_sent), (3, 0, 0, 0), "{pushed:?}");
    assert_eq!(ws.sync_status().unwrap().pending, 0);

    let one = |endpoint: &str, key: &str, value: &str| {
        let found = on_server(&server, endpoint, key, value);
        assert_eq!(found.len(), 1, "exactly one {value} on the server: {found:?}");
        found.into_iter().next().unwrap()
    };
    let ada = one("Users", "userName", "ada");
    assert_eq!((ada["name"]["givenName"].as_str(), ada["name"]["familyName"].as_str()), (Some("Ada"), Some("Lovelace")));
    assert_eq!(ada["emails"][0]["value"], "ada@example.com");
    assert_eq!(one("Users", "userName", "bob")["id"], bob_remote["id"], "the remote's own bob, not a second one");
    assert_eq!(one("Users", "userName", "cy")["name"]["familyName"], "Twombly");
    assert_eq!(server.all("Users").len(), 3);
    let team = one("Groups", "displayName", "Team");
    let mut members: Vec<String> = team["members"].as_array().unwrap().iter().map(|m| m["value"].as_str().unwrap().to_owned()).collect();
    members.sort();
    let mut expected = vec![ada["id"].as_str().unwrap().to_owned(), bob_remote["id"].as_str().unwrap().to_owned()];
    expected.sort();
    assert_eq!(members, expected);

    assert_eq!(ws.remote_link("idp").unwrap().adopted, Some(0), "everything is known to the remote now");
    let again = ws.sync_pull(&Silent).unwrap();
    assert_eq!((again.users.unchanged, again.groups.unchanged, again.users.created), (3, 1, 0), "{again:?}");
}

#[test]
fn adopting_a_large_workspace_is_one_statement() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    ws.seed_demo(20_000, 1, &Silent).unwrap();
    let groups = ws.list_groups().unwrap().len() as u64;
    let started = std::time::Instant::now();
    let linked = ws.remote_add(remote("corp", "https://idp.example.com/scim/v2")).unwrap();
    let took = started.elapsed();
    assert_eq!(linked.adopted, Some(20_000 + groups));
    assert_eq!(ws.sync_status().unwrap().pending, 20_000 + groups);
    assert!(took < std::time::Duration::from_secs(5), "linking 20,000 users took {took:?}");
}
