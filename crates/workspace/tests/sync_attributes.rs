//! Custom attributes the workspace does not define, and many PATCHes refused 412, against a
//! real SCIM server (scim2-server with the Roster and enterprise extensions, started per test
//! on loopback).
//!
//! A remote user may carry custom attributes (the Roster extension's `customAttributes`, or
//! enterprise ones such as `costCenter`) that have no definition here: a pull names each once
//! and leaves them on the server, the user is not "updated" again and again, a push of another
//! change never removes them, and defining the attribute here takes the value at the next pull.
//!
//! A push whose PATCHes the server refuses 412 (changed there since the base) reads each of
//! those resources back, several at once: the same change on both sides is done, different
//! ones are conflicts.
//!
//! The bearer token goes to the OS keyring (run through scripts/test, which provides one).

mod common;
#[path = "../../scim/tests/common/mod.rs"]
mod scim_server;

use std::time::{Duration, Instant};

use roster_scim::{ENTERPRISE_USER_SCHEMA, ROSTER_USER_SCHEMA, USER_SCHEMA};
use roster_workspace::{AttributeInput, Silent, UserEditInput, UserInput, Workspace};
use scim_server::proxy::{Fault, FaultProxy, Plan};
use scim_server::{ScimServer, ServerOptions, TOKEN};
use serde_json::{json, Value};



/// The Roster custom attributes of a server user, as `name=value`, sorted.
fn remote_custom(server: &ScimServer, username: &str) -> Vec<String> {
    let u = server.one_user(username);
    let mut all: Vec<String> = u[ROSTER_USER_SCHEMA]["customAttributes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| format!("{}={}", a["name"].as_str().unwrap(), a["value"].as_str().unwrap()))
        .collect();
    all.sort();
    all
}

fn seed(server: &ScimServer, username: &str, custom: Value, cost_center: Option<&str>) {
    let mut body = json!({
        "schemas": [USER_SCHEMA, ROSTER_USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName": username,
        "name": {"givenName": "First", "familyName": "Last"},
        "emails": [{"value": format!("{username}@example.org"), "type": "work", "primary": true}],
        "active": true,
        ROSTER_USER_SCHEMA: {"customAttributes": custom},
    });
    if let Some(c) = cost_center {
        body[ENTERPRISE_USER_SCHEMA] = json!({"costCenter": c});
    }
    let (status, answer) = server.raw("POST", "/Users", Some(&body));
    assert_eq!(status, 201, "POST /Users: {answer}");
}

fn attribute(ws: &Workspace, username: &str, name: &str) -> Option<Value> {
    ws.get_user(username).unwrap().attributes.get(name).cloned()
}

#[test]
fn custom_attributes_not_defined_here_stay_on_the_server_and_are_named_once() {
    let server = ScimServer::start(ServerOptions::with_extension());
    // `badgeColour` and the enterprise `costCenter` are not defined here; `shoeSize` is, spelt
    // otherwise on the server.
    seed(&server, "cara", json!([{"name": "badgeColour", "value": "green"}, {"name": "ShoeSize", "value": "42"}]), Some("4200"));
    seed(&server, "dan", json!([{"name": "BADGECOLOUR", "value": "blue"}, {"name": "shoesize", "value": "44"}]), None);
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open_linked(&dir, server.base_url(), TOKEN);
    ws.define_attribute("shoeSize", "number", false).unwrap();

    let pulled = ws.sync_pull(&Silent).unwrap();
    assert_eq!((pulled.users.created, pulled.users.conflicts), (2, 0), "{pulled:?}");
    let named: Vec<(&str, &str, &str, &str)> =
        pulled.problems.iter().map(|p| (p.entity.as_str(), p.name.as_str(), p.field.as_str(), p.message.as_str())).collect();
    assert_eq!(
        named,
        [
            ("attribute", "badgeColour", "customAttributes", "not defined in this workspace: kept on idp, not here (2 users) — define it under Attributes to take it"),
            ("attribute", "costCenter", "customAttributes", "not defined in this workspace: kept on idp, not here (1 user) — define it under Attributes to take it"),
        ],
        "one problem per attribute name, not per user"
    );
    assert_eq!(attribute(&ws, "cara", "shoeSize"), Some(json!(42.0)), "a defined attribute is taken whatever its case on the server");
    assert_eq!(attribute(&ws, "cara", "badgeColour"), None);
    assert_eq!(ws.sync_status().unwrap().pending, 0);

    let again = ws.sync_pull(&Silent).unwrap();
    assert_eq!((again.users.unchanged, again.users.updated, again.users.conflicts), (2, 0, 0), "only undefined attributes differ: unchanged {again:?}");
    assert_eq!(again.problems.len(), 2, "{:?}", again.problems);

    // Another change to cara (and dan's shoe size): the push sends only that, and the
    // attributes the workspace cannot hold stay on the server.
    ws.edit_user("cara", UserEditInput { first_name: Some("Carla".into()), ..UserEditInput::default() }).unwrap();
    ws.edit_user("dan", UserEditInput { attributes: AttributeInput(vec![("shoeSize".into(), "45".into())]), ..UserEditInput::default() }).unwrap();
    let plan = ws.sync_plan().unwrap();
    let fields: Vec<(&str, Vec<String>)> = plan.operations.iter().map(|o| (o.name.as_str(), o.fields.clone())).collect();
    assert_eq!(fields, [("cara", vec!["givenName".to_owned()]), ("dan", vec!["customAttributes".to_owned()])], "{plan:?}");
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed, pushed.conflicts), (2, 0, 0), "{pushed:?}");
    let cara = server.one_user("cara");
    assert_eq!(cara["name"]["givenName"], "Carla");
    assert_eq!(remote_custom(&server, "cara"), ["ShoeSize=42", "badgeColour=green"], "the server keeps what Roster cannot hold: {cara}");
    assert_eq!(cara[ENTERPRISE_USER_SCHEMA]["costCenter"], "4200", "{cara}");
    assert_eq!(remote_custom(&server, "dan"), ["BADGECOLOUR=blue", "shoesize=45"], "one attribute changed, the other kept");

    // Clearing shoeSize here removes that one attribute only.
    ws.edit_user("cara", UserEditInput { attributes: AttributeInput(vec![("shoeSize".into(), "".into())]), ..UserEditInput::default() }).unwrap();
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed), (1, 0), "{pushed:?}");
    assert_eq!(remote_custom(&server, "cara"), ["badgeColour=green"]);
    let settled = ws.sync_pull(&Silent).unwrap();
    assert_eq!((settled.users.unchanged, settled.users.updated), (2, 0), "{settled:?}");

    // Defined here now: the next pull takes the values.
    ws.define_attribute("badgeColour", "string", false).unwrap();
    ws.define_attribute("CostCenter", "number", false).unwrap();
    let taken = ws.sync_pull(&Silent).unwrap();
    assert_eq!((taken.users.updated, taken.users.conflicts), (2, 0), "{taken:?}");
    assert!(taken.problems.is_empty(), "{:?}", taken.problems);
    assert_eq!(attribute(&ws, "cara", "badgeColour"), Some(json!("green")));
    assert_eq!(attribute(&ws, "dan", "badgeColour"), Some(json!("blue")));
    assert_eq!(attribute(&ws, "cara", "CostCenter"), Some(json!(4200.0)));
    assert_eq!(ws.sync_status().unwrap().pending, 0);
    let last = ws.sync_pull(&Silent).unwrap();
    assert_eq!((last.users.unchanged, last.users.updated), (2, 0), "{last:?}");

    // And now a change to them travels, one name at a time.
    ws.edit_user("dan", UserEditInput { attributes: AttributeInput(vec![("badgeColour".into(), "red".into())]), ..UserEditInput::default() }).unwrap();
    let pushed = ws.sync_push(&Silent).unwrap();
    assert_eq!((pushed.done, pushed.failed), (1, 0), "{pushed:?}");
    assert_eq!(remote_custom(&server, "dan"), ["BADGECOLOUR=red", "shoesize=45"]);
}

const MANY: usize = 300;

fn many(n: usize) -> String {
    format!("many{n:03}")
}

/// Half the users changed the same way on both sides, half differently: every PATCH is
/// refused 412 (the server's version moved on) and read back, up to 8 at once.
#[test]
fn a_push_refused_412_many_times_reads_each_back_and_settles_it() {
    let server = ScimServer::start(ServerOptions::with_extension());
    // Each single GET of a user answered 40 ms late: one at a time they would take 12 s.
    let proxy = FaultProxy::start(server.port, Plan::script_for("GET", "/v2/Users/", &[Fault::Delay(Duration::from_millis(40)); MANY]));
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open_linked(&dir, proxy.base_url(), TOKEN);
    for n in 0..MANY {
        ws.add_user(UserInput {
            username: many(n),
            email: format!("{}@example.org", many(n)),
            first_name: "Before".into(),
            last_name: "Last".into(),
            ..UserInput::default()
        })
        .unwrap();
    }
    let created = ws.sync_push(&Silent).unwrap();
    assert_eq!((created.done, created.failed), (MANY as u64, 0), "{:?}", created.results.iter().find(|r| r.result != "done"));

    // The server changes every given name (straight, not through the proxy); so does the admin here.
    let on_server: Vec<Value> = server.all("Users");
    assert_eq!(on_server.len(), MANY);
    for u in &on_server {
        let n: usize = u["userName"].as_str().unwrap()["many".len()..].parse().unwrap();
        let theirs = if n.is_multiple_of(2) { format!("Same{n}") } else { format!("Theirs{n}") };
        let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "name.givenName", "value": theirs}]});
        let (status, answer) = server.raw("PATCH", &format!("/Users/{}", u["id"].as_str().unwrap()), Some(&patch));
        assert!(status == 200 || status == 204, "PATCH: {status} {answer}");
    }
    for n in 0..MANY {
        let mine = if n.is_multiple_of(2) { format!("Same{n}") } else { format!("Mine{n}") };
        ws.edit_user(&many(n), UserEditInput { first_name: Some(mine), ..UserEditInput::default() }).unwrap();
    }

    let before = proxy.tally();
    let started = Instant::now();
    let pushed = ws.sync_push(&Silent).unwrap();
    let took = started.elapsed();
    let tally = proxy.tally();
    eprintln!("{MANY} PATCHes refused 412 settled in {:.1} s ({} requests)", took.as_secs_f64(), tally.requests - before.requests);
    assert_eq!((pushed.done, pushed.conflicts, pushed.failed, pushed.not_sent), ((MANY / 2) as u64, (MANY / 2) as u64, 0, 0), "{pushed:?}");
    let delayed = |t: &scim_server::proxy::Tally| t.faults.get("delay").copied().unwrap_or(0);
    assert_eq!(delayed(&tally) - delayed(&before), MANY, "one GET per 412, each through the slow path");
    assert!(pushed.requests as usize > MANY, "the PATCHes' requests, then one GET per 412: {} requests", pushed.requests);
    assert!(tally.requests - before.requests >= pushed.requests as usize, "each went through the proxy");
    for r in &pushed.results {
        let n: usize = r.name["many".len()..].parse().unwrap();
        let expected = if n.is_multiple_of(2) { ("done", Some(200)) } else { ("conflict", Some(412)) };
        assert_eq!((r.result.as_str(), r.status), expected, "{r:?}");
    }

    let conflicts = ws.sync_conflicts().unwrap();
    assert_eq!(conflicts.len(), MANY / 2);
    for c in &conflicts {
        let n: usize = c.name["many".len()..].parse().unwrap();
        assert_eq!(n % 2, 1, "{c:?}");
        let given = c.fields.iter().find(|f| f.field == "givenName").unwrap_or_else(|| panic!("givenName differs: {c:?}"));
        assert_eq!(given.mine, Some(json!(format!("Mine{n}"))));
        assert_eq!(given.theirs, Some(json!(format!("Theirs{n}"))), "theirs read back from the server");
        assert_eq!(given.base, Some(json!("Before")));
    }
    assert_eq!(ws.sync_status().unwrap().pending, (MANY / 2) as u64, "the same change on both sides is no longer queued");
    assert_eq!(ws.sync_plan().unwrap().held, (MANY / 2) as u64, "the others wait for their conflicts");
}
