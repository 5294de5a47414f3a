//! `Workspace::sync_push` as a whole under faults: a real scim2-server (with the Roster
//! extension) behind the fault proxy of the SCIM client's tests (crates/scim/tests/common),
//! one request in five answered 500 / 429 / 503 (with Retry-After), dropped, slowed, or
//! forwarded and its answer thrown away after the server committed it.
//!
//! More than 10,000 SCIM operations go through the push: 5,000 new users and 50 new groups
//! of them (created in the same push), then, once they are on the server, a change to every
//! user — new names, new phones, disabled, deleted — and the memberships that follow. The
//! admin pushes again while anything waits (a bounded number of times); then the server's
//! state, read straight from it, must be exactly the workspace's: one resource per userName
//! and externalId, every change there, the deleted gone, the members right, nothing queued
//! and no conflict.

mod common;
#[path = "../../scim/tests/common/mod.rs"]
mod scim_server;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use roster_core::Secret;
use roster_workspace::{RemoteInput, Silent, UserEditInput, UserInput, Workspace};
use scim_server::proxy::{Fault, FaultProxy, Plan};
use scim_server::{ScimServer, ServerOptions, TOKEN};
use serde_json::Value;

const USERS: usize = 5000;
const GROUPS: usize = 50;
/// Pushes an admin would try before giving up.
const MAX_ROUNDS: usize = 12;

/// What each user should be in the end.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    first: String,
    last: String,
    phone: Option<String>,
    active: bool,
}

fn username(n: usize) -> String {
    format!("fault{n:05}")
}

fn group_name(g: usize) -> String {
    format!("Team {g:02}")
}

/// Pushes until nothing waits; returns the rounds it took.
fn push_until_settled(ws: &mut Workspace, what: &str) -> usize {
    for round in 1..=MAX_ROUNDS {
        let started = Instant::now();
        let pushed = ws.sync_push(&Silent).unwrap_or_else(|e| panic!("{what}, push {round}: {e:?}"));
        let status = ws.sync_status().unwrap();
        eprintln!(
            "{what}, push {round}: {} done, {} failed, {} conflicts, {} not sent, {} requests, stopped: {:?}; {} pending; {:.1} s",
            pushed.done,
            pushed.failed,
            pushed.conflicts,
            pushed.not_sent,
            pushed.requests,
            pushed.stopped,
            status.pending,
            started.elapsed().as_secs_f64()
        );
        assert_eq!(pushed.conflicts, 0, "{what}: faults are no conflicts: {:?}", pushed.results.iter().find(|r| r.result == "conflict"));
        assert_eq!(status.conflicts, 0);
        if status.pending == 0 {
            return round;
        }
    }
    panic!("{what}: still pending after {MAX_ROUNDS} pushes");
}

#[test]
fn ten_thousand_operations_under_20_percent_faults_converge_exactly_once() {
    let started = Instant::now();
    let server = ScimServer::start(ServerOptions::with_extension());
    let proxy = FaultProxy::start(
        server.port,
        Plan::random(
            20_240_611,
            0.2,
            &[
                Fault::ServerError,
                Fault::TooManyRequests(1),
                Fault::Unavailable(Some(1)),
                Fault::Unavailable(None),
                Fault::Drop,
                Fault::LoseAnswer,
                Fault::Delay(Duration::from_millis(300)),
            ],
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    ws.remote_add(RemoteInput { name: "idp".into(), url: proxy.base_url(), token: Some(Secret::new(TOKEN.to_owned())), insecure_skip_tls_verify: false })
        .unwrap();

    // 5,000 new users, and 50 new groups of 20 of them each, all in one push.
    let mut expected: BTreeMap<String, Expected> = BTreeMap::new();
    let mut local_ids: HashMap<String, String> = HashMap::new();
    for n in 0..USERS {
        let name = username(n);
        let id = ws
            .add_user(UserInput {
                username: name.clone(),
                email: format!("{name}@example.com"),
                first_name: format!("Given{n}"),
                last_name: format!("Family{n}"),
                ..UserInput::default()
            })
            .unwrap()
            .id;
        local_ids.insert(name.clone(), id);
        expected.insert(name, Expected { first: format!("Given{n}"), last: format!("Family{n}"), phone: None, active: true });
    }
    let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for g in 0..GROUPS {
        ws.add_group(&group_name(g), "").unwrap();
        let names: Vec<String> = (0..1000).filter(|n| n % GROUPS == g).map(username).collect();
        ws.change_group_members(&group_name(g), &names, &[]).unwrap();
        members.insert(group_name(g), names.into_iter().collect());
    }
    let plan = ws.sync_plan().unwrap();
    assert_eq!((plan.creates, plan.patches, plan.deletes), ((USERS + GROUPS) as u64, 0, 0));
    let mut operations = plan.operations.len();
    eprintln!("set up in {:.1} s", started.elapsed().as_secs_f64());
    let rounds = push_until_settled(&mut ws, "creates");
    check_server(&server, &expected, &members, &local_ids);

    // A change to every user: names, phones, disabled, deleted; members follow.
    for n in 0..USERS {
        let name = username(n);
        match n % 5 {
            0 => {
                ws.edit_user(&name, UserEditInput { last_name: Some(format!("Renamed{n}")), ..UserEditInput::default() }).unwrap();
                expected.get_mut(&name).unwrap().last = format!("Renamed{n}");
            }
            1 => {
                ws.edit_user(&name, UserEditInput { phone: Some(format!("+44 7400 1{n:05}")), ..UserEditInput::default() }).unwrap();
                expected.get_mut(&name).unwrap().phone = Some(format!("+4474001{n:05}"));
            }
            2 => {
                ws.disable_user(&name).unwrap();
                expected.get_mut(&name).unwrap().active = false;
            }
            3 => {
                ws.delete_user(&name).unwrap();
                expected.remove(&name);
                for m in members.values_mut() {
                    m.remove(&name);
                }
            }
            _ => {
                ws.edit_user(
                    &name,
                    UserEditInput { first_name: Some(format!("Other{n}")), phone: Some(format!("+44 7400 2{n:05}")), ..UserEditInput::default() },
                )
                .unwrap();
                let e = expected.get_mut(&name).unwrap();
                e.first = format!("Other{n}");
                e.phone = Some(format!("+4474002{n:05}"));
            }
        }
    }
    for g in 0..GROUPS {
        let added: Vec<String> = (1000..1500).filter(|n| n % GROUPS == g && n % 5 != 3).map(username).collect();
        if !added.is_empty() {
            ws.change_group_members(&group_name(g), &added, &[]).unwrap();
        }
        members.get_mut(&group_name(g)).unwrap().extend(added);
    }
    let plan = ws.sync_plan().unwrap();
    assert_eq!((plan.creates, plan.deletes), (0, (USERS / 5) as u64), "{:?}", (plan.creates, plan.patches, plan.deletes));
    operations += plan.operations.len();
    assert!(operations >= 10_000, "at least 10,000 SCIM operations in all: {operations}");
    let rounds = rounds + push_until_settled(&mut ws, "changes");
    check_server(&server, &expected, &members, &local_ids);

    let tally = proxy.tally();
    eprintln!("{operations} operations in {rounds} pushes, {:.1} s; proxy: {tally:?}", started.elapsed().as_secs_f64());
    let faulty: usize = tally.faults.values().sum();
    assert!(faulty * 100 >= tally.requests * 12, "about one request in five met a fault: {tally:?}");
    for kind in ["500", "429", "503", "drop", "lose answer", "delay"] {
        assert!(tally.faults.get(kind).is_some_and(|&n| n > 0), "{kind} happened: {tally:?}");
    }
    assert_eq!(ws.sync_status().unwrap().pending, 0);
    assert!(ws.sync_conflicts().unwrap().is_empty());
    // And what the server holds is what a pull finds unchanged.
    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!((pulled.users.created, pulled.users.updated, pulled.users.deleted, pulled.users.conflicts), (0, 0, 0, 0), "{pulled:?}");
    assert_eq!((pulled.groups.created, pulled.groups.updated, pulled.groups.deleted, pulled.groups.conflicts), (0, 0, 0, 0), "{pulled:?}");
}

/// The server's users and groups, read straight from it, against what the workspace says.
fn check_server(
    server: &ScimServer,
    expected: &BTreeMap<String, Expected>,
    members: &BTreeMap<String, BTreeSet<String>>,
    local_ids: &HashMap<String, String>,
) {
    let users = server.all("Users");
    let mut by_name: HashMap<String, &Value> = HashMap::new();
    let mut external_ids = BTreeSet::new();
    for u in &users {
        let name = u["userName"].as_str().unwrap().to_owned();
        assert!(by_name.insert(name.clone(), u).is_none(), "{name} is on the server twice");
        let external = u["externalId"].as_str().unwrap_or_else(|| panic!("{name} has no externalId: {u}"));
        assert!(external_ids.insert(external.to_owned()), "externalId {external} twice");
        assert_eq!(Some(external), local_ids.get(&name).map(String::as_str), "{name}: externalId is its Roster id");
    }
    let deleted: Vec<&String> = by_name.keys().filter(|n| !expected.contains_key(*n)).take(5).collect();
    assert!(deleted.is_empty(), "deleted users still on the server: {deleted:?}");
    assert_eq!(users.len(), expected.len(), "every user once, no more");
    let mut id_of: HashMap<String, String> = HashMap::new();
    for (name, e) in expected {
        let u = by_name.get(name).unwrap_or_else(|| panic!("{name} is missing on the server"));
        let got = Expected {
            first: u["name"]["givenName"].as_str().unwrap_or_default().to_owned(),
            last: u["name"]["familyName"].as_str().unwrap_or_default().to_owned(),
            phone: u["phoneNumbers"][0]["value"].as_str().map(str::to_owned),
            active: u["active"].as_bool().unwrap_or(true),
        };
        assert_eq!(&got, e, "{name} on the server: {u}");
        id_of.insert(u["id"].as_str().unwrap().to_owned(), name.clone());
    }
    let groups = server.all("Groups");
    assert_eq!(groups.len(), members.len(), "every group once: {:?}", groups.iter().map(|g| &g["displayName"]).collect::<Vec<_>>());
    for g in &groups {
        let name = g["displayName"].as_str().unwrap();
        let want = members.get(name).unwrap_or_else(|| panic!("no group {name} here"));
        let values: Vec<String> =
            g["members"].as_array().cloned().unwrap_or_default().iter().map(|m| m["value"].as_str().unwrap().to_owned()).collect();
        let got: BTreeSet<String> = values.iter().map(|v| id_of.get(v).cloned().unwrap_or_else(|| format!("unknown {v}"))).collect();
        assert_eq!(values.len(), got.len(), "{name}: no member twice");
        assert_eq!(&got, want, "{name}'s members on the server");
    }
}


fn add(ws: &mut Workspace, name: &str, first: &str) -> String {
    ws.add_user(UserInput {
        username: name.into(),
        email: format!("{name}@example.com"),
        first_name: first.into(),
        last_name: "Local".into(),
        ..UserInput::default()
    })
    .unwrap()
    .id
}

fn on_server(server: &ScimServer, endpoint: &str, key: &str, value: &str) -> Vec<Value> {
    server.all(endpoint).into_iter().filter(|r| r[key] == value).collect()
}

/// What an earlier push left on the server when it was killed, or its answers lost, before it
/// recorded anything: the resources, made with the local ids as externalId.
#[test]
fn resources_an_earlier_push_made_are_taken_not_made_twice() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open_linked(&dir, server.base_url(), TOKEN);
    let same = add(&mut ws, "same", "Same");
    let older = add(&mut ws, "older", "Newer");
    let other = add(&mut ws, "taken", "Mine");
    ws.add_group("Crew", "").unwrap();
    ws.change_group_members("Crew", &["same".into(), "older".into()], &[]).unwrap();
    let group_id = ws.sync_plan().unwrap().operations.iter().find(|o| o.entity == "group").unwrap().local_id.clone();

    let user = |name: &str, first: &str, external: &str| {
        serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "externalId": external,
            "name": {"givenName": first, "familyName": "Local"},
            "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}], "active": true})
    };
    let (status, a) = server.raw("POST", "/Users", Some(&user("same", "Same", &same)));
    assert_eq!(status, 201, "{a}");
    let (status, b) = server.raw("POST", "/Users", Some(&user("older", "Older", &older)));
    assert_eq!(status, 201, "{b}");
    // Someone else's user with the same userName: not ours.
    let (status, _) = server.raw("POST", "/Users", Some(&user("taken", "Theirs", "someone-else")));
    assert_eq!(status, 201);
    let (status, g) = server.raw(
        "POST",
        "/Groups",
        Some(&serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Crew", "externalId": group_id,
            "members": [{"value": a["id"]}, {"value": b["id"]}]})),
    );
    assert_eq!(status, 201, "{g}");

    let pushed = ws.sync_push(&Silent).unwrap();
    let result = |name: &str| pushed.results.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("{name}: {pushed:?}")).clone();
    assert_eq!(result("same").result, "done", "{:?}", result("same"));
    assert!(result("same").message.contains("already on the server"), "{:?}", result("same"));
    assert_eq!(result("older").result, "done");
    assert!(result("older").message.contains("differences go in the next push"), "{:?}", result("older"));
    assert_eq!(result("Crew").result, "done", "the group is found by its externalId before it is created: {:?}", result("Crew"));
    let taken = result("taken");
    assert_eq!((taken.result.as_str(), taken.status), ("failed", Some(409)), "someone else's userName stays a failure: {taken:?}");
    assert!(taken.message.contains("409"), "the server's words: {taken:?}");

    assert_eq!(on_server(&server, "Users", "userName", "same").len(), 1);
    assert_eq!(on_server(&server, "Users", "userName", "older").len(), 1);
    assert_eq!(on_server(&server, "Groups", "displayName", "Crew").len(), 1, "no second group");
    assert_eq!(on_server(&server, "Users", "userName", "taken")[0]["externalId"], "someone-else", "theirs is untouched");

    // What differs (older's first name) and the refused one wait; the next push sends the
    // difference as a PATCH over the adopted version.
    let plan = ws.sync_plan().unwrap();
    let older_op = plan.operations.iter().find(|o| o.name == "older").expect("older still waits");
    assert_eq!((older_op.operation.as_str(), older_op.fields.clone()), ("patch", vec!["givenName".to_owned()]), "{plan:?}");
    assert!(plan.operations.iter().all(|o| o.name != "same" && o.name != "Crew"), "{plan:?}");
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!(pushed.results.iter().find(|r| r.name == "older").unwrap().result, "done");
    assert_eq!(on_server(&server, "Users", "userName", "older")[0]["name"]["givenName"], "Newer");
    let _ = other;
}

/// A PATCH whose answer is lost is sent again; the server then refuses the old version (412),
/// and its version is already the local one: done, not a conflict.
#[test]
fn a_patch_applied_before_its_answer_was_lost_is_done() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let proxy = FaultProxy::start(server.port, Plan::script_for("POST", "/v2/Bulk", &[Fault::Pass, Fault::LoseAnswer]));
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open_linked(&dir, proxy.base_url(), TOKEN);
    add(&mut ws, "ada", "Ada");
    assert_eq!(ws.sync_push(&Silent).unwrap().done, 1);
    ws.edit_user("ada", UserEditInput { first_name: Some("Adele".into()), ..UserEditInput::default() }).unwrap();
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.conflicts, pushed.failed), (1, 0, 0), "{:?}", pushed.results);
    assert_eq!(proxy.tally().faults.get("lose answer"), Some(&1));
    assert!(pushed.results[0].message.contains("already applied"), "{:?}", pushed.results[0]);
    assert_eq!(on_server(&server, "Users", "userName", "ada")[0]["name"]["givenName"], "Adele");
    let status = ws.sync_status().unwrap();
    assert_eq!((status.pending, status.conflicts), (0, 0));
    // The recorded version is the server's: the next change goes through with If-Match.
    ws.edit_user("ada", UserEditInput { last_name: Some("Next".into()), ..UserEditInput::default() }).unwrap();
    assert_eq!(ws.sync_push(&Silent).unwrap().done, 1);
}

/// A user deleted on the server while a local change to it waited: the PATCH's 404 is a
/// conflict whose theirs is null (deleted on the remote), never a silent re-create; a delete
/// that finds it gone is done.
#[test]
fn a_patch_of_a_user_deleted_on_the_server_is_a_conflict() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open_linked(&dir, server.base_url(), TOKEN);
    add(&mut ws, "gone", "Gone");
    add(&mut ws, "both", "Both");
    assert_eq!(ws.sync_push(&Silent).unwrap().done, 2);
    for name in ["gone", "both"] {
        let id = on_server(&server, "Users", "userName", name)[0]["id"].as_str().unwrap().to_owned();
        let (status, _) = server.raw("DELETE", &format!("/Users/{id}"), None);
        assert_eq!(status, 204);
    }
    ws.edit_user("gone", UserEditInput { first_name: Some("Still".into()), ..UserEditInput::default() }).unwrap();
    ws.delete_user("both").unwrap();
    let pushed = ws.sync_push(&Silent).unwrap();
    let gone = pushed.results.iter().find(|r| r.name == "gone").unwrap();
    assert_eq!((gone.result.as_str(), gone.status), ("conflict", Some(404)), "{gone:?}");
    let both = pushed.results.iter().find(|r| r.name == "both").unwrap();
    assert_eq!((both.result.as_str(), both.message.as_str()), ("done", "already gone"));
    assert!(on_server(&server, "Users", "userName", "gone").is_empty(), "not re-created silently");
    let conflicts = ws.sync_conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].name, "gone");
    assert!(conflicts[0].fields.iter().all(|f| f.theirs.is_none()), "theirs: deleted on the remote: {:?}", conflicts[0]);
    assert_eq!(ws.sync_status().unwrap().conflicts, 1);
}
