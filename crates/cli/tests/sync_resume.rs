//! A `roster sync push` killed (SIGKILL) partway, then run again: the second push finishes
//! what the first began, nothing is made twice and nothing waits. The real binary against a
//! real scim2-server (the SCIM client's harness, crates/scim/tests/common); the server's state
//! is read straight from it.
//!
//! The token goes to the OS keyring: run through scripts/test, which provides one. Without a
//! keyring (ROSTER_NO_KEYRING=1) there is nothing to push with, and the test says so and stops.

mod common;
#[path = "../../scim/tests/common/mod.rs"]
mod scim_server;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use common::{code, stderr, stdout, Ws};
use scim_server::{ScimServer, ServerOptions, TOKEN};
use serde_json::Value;

const USERS: usize = 3000;
const GROUPS: usize = 10;

fn ok(out: Output) -> Output {
    assert_eq!(code(&out), 0, "stdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    out
}

/// How many resources of `endpoint` match `filter` (none: all), asked straight of the server.
fn count(server: &ScimServer, endpoint: &str, filter: Option<&str>) -> u64 {
    let query = match filter {
        Some(f) => format!("/{endpoint}?count=0&filter={}", f.replace(' ', "%20").replace('"', "%22")),
        None => format!("/{endpoint}?count=0"),
    };
    server.get(&query)["totalResults"].as_u64().unwrap()
}

/// Polls until `reached` holds, then kills the push at once (SIGKILL). Returns whether it was
/// still running then.
fn kill_when(child: &mut Child, mut reached: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if reached() {
            let running = child.try_wait().unwrap().is_none();
            child.kill().unwrap();
            child.wait().unwrap();
            return running;
        }
        assert!(started.elapsed() < Duration::from_secs(240), "the push never got there");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn pending(ws: &Ws) -> u64 {
    ws.json(&["sync", "status"])["pending"].as_u64().unwrap()
}

/// Every user once, with its externalId; each group once with exactly its members.
fn check_server(server: &ScimServer, last_name: &str, groups: &BTreeMap<String, BTreeSet<String>>) {
    let users = server.all("Users");
    let mut id_of: HashMap<String, String> = HashMap::new();
    let mut names = BTreeSet::new();
    let mut external = BTreeSet::new();
    for u in &users {
        let name = u["userName"].as_str().unwrap().to_owned();
        assert!(names.insert(name.clone()), "{name} is on the server twice");
        assert!(external.insert(u["externalId"].as_str().unwrap().to_owned()), "externalId of {name} twice");
        assert_eq!(u["name"]["familyName"], last_name, "{u}");
        id_of.insert(u["id"].as_str().unwrap().to_owned(), name);
    }
    assert_eq!(names.len(), USERS, "every user on the server, once");
    let remote_groups = server.all("Groups");
    assert_eq!(remote_groups.len(), GROUPS, "every group once");
    for g in &remote_groups {
        let name = g["displayName"].as_str().unwrap();
        let values: Vec<String> = g["members"].as_array().cloned().unwrap_or_default().iter().map(|m| m["value"].as_str().unwrap().to_owned()).collect();
        let got: BTreeSet<String> = values.iter().map(|v| id_of.get(v).cloned().unwrap_or_else(|| format!("unknown {v}"))).collect();
        assert_eq!(values.len(), got.len(), "{name}: no member twice");
        assert_eq!(Some(&got), groups.get(name), "{name}'s members");
    }
}

#[test]
fn a_push_killed_midway_is_finished_by_the_next_one() {
    if std::env::var_os("ROSTER_NO_KEYRING").is_some_and(|v| v == "1") {
        eprintln!("no keyring (ROSTER_NO_KEYRING=1): no token can be kept, so nothing is pushed here");
        return;
    }
    let server = ScimServer::start(ServerOptions::with_extension());
    let ws = Ws::new();
    let url = server.base_url();
    ok(ws.run_with_stdin(&["remote", "add", "idp", "--url", url.as_str(), "--token-stdin"], Some(&format!("{TOKEN}\n"))));

    // 3,000 new users in 10 new groups, from one CSV.
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for g in 0..GROUPS {
        ok(ws.run(&["group", "add", &format!("Team {g}")]));
    }
    let mut csv = String::from("Action,Username,Email,First Name,Last Name,Groups\n");
    for n in 0..USERS {
        let (name, group) = (format!("resume{n:04}"), format!("Team {}", n % GROUPS));
        csv.push_str(&format!("add,{name},{name}@example.com,Given{n},First,{group}\n"));
        groups.entry(group).or_default().insert(name);
    }
    let file = ws.path.with_file_name("users.csv");
    std::fs::write(&file, &csv).unwrap();
    ok(ws.run(&["bulk", "apply", file.to_str().unwrap()]));
    assert_eq!(pending(&ws), (USERS + GROUPS) as u64);

    // Killed once the server has some of them, not all.
    let mut push = ws.command(&["sync", "push"]).spawn().unwrap();
    let killed = kill_when(&mut push, || count(&server, "Users", None) > 0);
    assert!(killed, "the push was still running when killed");
    let made = count(&server, "Users", None);
    eprintln!("killed with {made} of {USERS} users on the server");
    assert!(made > 0 && made < USERS as u64, "killed midway: {made} of {USERS} on the server");
    assert!(pending(&ws) > 0, "a killed push recorded nothing it had not finished");

    // Run again: it finishes, exactly once each.
    let out = ok(ws.run(&["--json", "sync", "push"]));
    let pushed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((pushed["failed"].as_u64(), pushed["conflicts"].as_u64(), pushed["notSent"].as_u64()), (Some(0), Some(0), Some(0)), "{}", stdout(&out));
    assert_eq!(pending(&ws), 0);
    let status = ws.json(&["sync", "status"]);
    assert_eq!((status["pending"].as_u64(), status["conflicts"].as_u64()), (Some(0), Some(0)), "{status}");
    check_server(&server, "First", &groups);

    // Every user renamed; the push killed once the server has every change, before it has
    // recorded them all (while the last answer is on its way, or while it records — when it
    // can be caught at all: it may be done first), then run again. The PATCHes it sent again
    // carry the old version and are refused (412), and are found already applied.
    let mut csv = String::from("Action,Username,Email,Last Name\n");
    for n in 0..USERS {
        csv.push_str(&format!("update,resume{n:04},resume{n:04}@example.com,Second\n"));
    }
    std::fs::write(&file, &csv).unwrap();
    ok(ws.run(&["bulk", "apply", file.to_str().unwrap()]));
    assert_eq!(pending(&ws), USERS as u64);
    let mut push = ws.command(&["sync", "push"]).spawn().unwrap();
    let renamed = r#"name.familyName eq "Second""#;
    let caught = kill_when(&mut push, || count(&server, "Users", Some(renamed)) == USERS as u64);
    let left = pending(&ws);
    eprintln!("{}: {left} changes still queued", if caught { "killed after the server had every change" } else { "the push ended before it could be killed" });
    let out = ok(ws.run(&["--json", "sync", "push"]));
    let pushed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((pushed["failed"].as_u64(), pushed["conflicts"].as_u64()), (Some(0), Some(0)), "changes applied but not recorded are found applied, not conflicts: {}", stdout(&out));
    let status = ws.json(&["sync", "status"]);
    assert_eq!((status["pending"].as_u64(), status["conflicts"].as_u64()), (Some(0), Some(0)), "{status}");
    check_server(&server, "Second", &groups);
}
