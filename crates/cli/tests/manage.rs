//! Managing users from the command line: per-user actions, groups, roles, sessions,
//! multi-select, attributes, onboarding statistics, the audit log and undo. Each test runs
//! the real `roster` binary on its own workspace file.

mod common;

use common::{code, stderr, stdout, Ws};
use serde_json::{json, Value};

fn names(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn disable_enable_round_trip_and_undo() {
    let ws = Ws::new();
    ws.add("alice");
    let text = ws.run(&["user", "disable", "alice"]);
    assert_eq!(code(&text), 0, "{}", stderr(&text));
    assert_eq!(stdout(&text), "Disabled alice@example.com\n");
    assert!(stderr(&text).starts_with("Undo: roster user undo "), "{}", stderr(&text));
    assert_eq!(ws.user("alice")["status"], "disabled");

    let enabled = ws.json(&["user", "enable", "alice"]);
    assert_eq!(enabled["message"], "Enabled alice@example.com");
    assert_eq!(enabled["user"]["status"], "active");
    let again = ws.json(&["user", "enable", "alice"]);
    assert_eq!(again["undo"], Value::Null, "a no-op cannot be undone");
    assert_eq!(again["user"]["version"], enabled["user"]["version"], "a no-op writes nothing");

    let disabled = ws.json(&["user", "disable", "alice"]);
    let seq = disabled["undo"].as_i64().expect("disable can be undone").to_string();
    let undone = ws.json(&["user", "undo", &seq]);
    assert_eq!(undone["message"], "Undone: Disabled alice@example.com");
    assert_eq!(undone["user"]["status"], "active");
    assert_eq!(ws.fails(5, &["user", "undo", &seq])["error"]["code"], "stale", "undoing twice would overwrite the undo");
    assert_eq!(ws.fails(4, &["user", "undo", "9999"])["error"]["code"], "not_found");
    assert_eq!(ws.fails(4, &["user", "disable", "ghost"])["error"]["code"], "not_found");
}

#[test]
fn groups_of_a_user_assign_and_unassign() {
    let ws = Ws::new();
    ws.add("alice");
    ws.json(&["group", "add", "Sales", "--description", "Brings in customers"]);
    ws.json(&["group", "add", "Support"]);
    let view = ws.json(&["user", "groups", "alice"]);
    assert_eq!(view["username"], "alice");
    assert_eq!(view["memberOf"], json!([]));
    assert_eq!(names(&view["available"]), ["Sales", "Support"]);

    let assigned = ws.json(&["user", "assign", "alice", "sales", "Support"]);
    assert_eq!(assigned["message"], "Added alice@example.com to Sales, Support");
    assert_eq!(assigned["user"]["groups"], json!(["Sales", "Support"]));
    let view = ws.json(&["user", "groups", "alice"]);
    assert_eq!(names(&view["memberOf"]), ["Sales", "Support"]);
    assert_eq!(view["available"], json!([]), "only groups the user is not in can be assigned");

    let removed = ws.json(&["user", "unassign", "alice", "Support"]);
    assert_eq!(removed["user"]["groups"], json!(["Sales"]));
    assert!(removed["undo"].is_i64());
    let text = ws.run(&["user", "groups", "alice"]);
    assert_eq!(code(&text), 0);
    assert!(stdout(&text).contains("alice is a member of:"), "{}", stdout(&text));
    assert!(stdout(&text).contains("Support"), "{}", stdout(&text));

    assert!(ws.fails(4, &["user", "assign", "alice", "Nope"])["error"]["message"].as_str().unwrap().contains("Nope"));
    assert_eq!(code(&ws.run(&["user", "assign", "alice"])), 2, "at least one group");
    assert_eq!(ws.user("alice")["groups"], json!(["Sales"]));
}

#[test]
fn second_factor_identity_mfa_and_password_reset() {
    let ws = Ws::new();
    ws.add_with_password("bob");
    let set = ws.json(&["user", "second-factor", "bob", "hardware_key"]);
    assert_eq!(set["user"]["secondFactor"], "hardware_key");
    let err = ws.fails(3, &["user", "second-factor", "bob", "carrier_pigeon"]);
    assert_eq!(err["error"]["code"], "validation");
    assert_eq!(err["error"]["fields"][0]["field"], "secondFactor");
    let text = ws.run(&["user", "second-factor", "bob", "pigeon"]);
    assert_eq!(code(&text), 3);
    assert!(stderr(&text).starts_with("secondFactor: "), "{}", stderr(&text));

    let mfa = ws.json(&["user", "reset-mfa", "bob"]);
    assert_eq!(mfa["user"]["mfaEnrolled"], false);
    assert_eq!(mfa["message"], "Nothing to change for bob@example.com", "bob never enrolled MFA: a no-op");
    assert_eq!(mfa["undo"], serde_json::Value::Null);

    let removed = ws.json(&["user", "remove-identity", "bob"]);
    assert_eq!(removed["user"]["onboarded"], false);
    assert_eq!(removed["user"]["secondFactor"], "none");
    assert_eq!(removed["undo"], Value::Null, "a cleared password cannot come back");

    let reset = ws.run(&["user", "reset-password", "bob"]);
    assert_eq!(code(&reset), 1);
    assert!(stderr(&reset).starts_with("error: Mail is not configured"), "{}", stderr(&reset));
    assert_eq!(ws.fails(1, &["user", "reset-password", "bob"])["error"]["code"], "not_configured");
    assert_eq!(ws.fails(4, &["user", "reset-password", "ghost"])["error"]["code"], "not_found");
}

#[test]
fn password_expiry_is_set_or_cleared_never_both() {
    let ws = Ws::new();
    ws.add_with_password("bob");
    let set = ws.json(&["user", "expire-password", "bob", "--at", "2027-03-31"]);
    assert_eq!(set["user"]["passwordExpiresAt"], "2027-03-31");
    assert_eq!(set["message"], "The password of bob@example.com expires after 2027-03-31");
    let cleared = ws.json(&["user", "expire-password", "bob", "--clear"]);
    assert_eq!(cleared["user"]["passwordExpiresAt"], Value::Null);
    assert_eq!(ws.fails(2, &["user", "expire-password", "bob", "--at", "2027-03-31", "--clear"])["error"]["code"], "usage");
    assert_eq!(code(&ws.run(&["user", "expire-password", "bob"])), 2, "one of --at or --clear");
    assert_eq!(ws.fails(3, &["user", "expire-password", "bob", "--at", "31/03/2027"])["error"]["code"], "validation");
    assert_eq!(ws.user("bob")["passwordExpiresAt"], Value::Null);
}

#[test]
fn device_limit_and_back_to_the_default() {
    let ws = Ws::new();
    ws.add("carol");
    assert_eq!(ws.json(&["user", "device-limit", "carol", "3"])["user"]["deviceLimit"], 3);
    let reset = ws.json(&["user", "device-limit", "carol", "--default"]);
    assert_eq!(reset["user"]["deviceLimit"], Value::Null);
    assert_eq!(reset["message"], "Reset the device limit of carol@example.com to the workspace default");
    assert_eq!(code(&ws.run(&["user", "device-limit", "carol", "3", "--default"])), 2);
    assert_eq!(code(&ws.run(&["user", "device-limit", "carol"])), 2);
    assert_eq!(ws.fails(3, &["user", "device-limit", "carol", "0"])["error"]["code"], "validation");
    assert_eq!(ws.fails(3, &["user", "device-limit", "carol", "many"])["error"]["code"], "validation");
}

#[test]
fn sessions_are_listed_and_revoked_one_or_all() {
    let ws = Ws::new();
    let out = ws.run(&["demo", "--users", "40"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let users = ws.json(&["user", "list", "--limit", "100"]);
    let (name, sessions) = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .map(|n| {
            let s = ws.json(&["user", "sessions", &n]);
            (n, s)
        })
        .find(|(_, s)| s.as_array().unwrap().len() >= 2)
        .expect("the demo gives some user two sessions or more");
    let sessions = sessions.as_array().unwrap().clone();
    for key in ["id", "device", "ip", "userAgent", "startedAt", "lastSeenAt"] {
        assert!(sessions[0].get(key).is_some(), "session JSON has {key}: {}", sessions[0]);
    }
    let table = ws.run(&["user", "sessions", &name]);
    let first_line = stdout(&table).lines().next().unwrap().to_owned();
    assert_eq!(first_line.split_whitespace().collect::<Vec<_>>(), ["ID", "DEVICE", "IP", "USER", "AGENT", "STARTED", "LAST", "SEEN"]);
    assert!(stdout(&table).contains(sessions[0]["id"].as_str().unwrap()));

    let id = sessions[0]["id"].as_str().unwrap();
    let one = ws.json(&["user", "revoke-session", &name, id]);
    assert!(one["message"].as_str().unwrap().starts_with("Revoked a session of "), "{one}");
    assert_eq!(ws.json(&["user", "sessions", &name]).as_array().unwrap().len(), sessions.len() - 1);
    assert_eq!(ws.fails(4, &["user", "revoke-session", &name, id])["error"]["code"], "not_found");
    assert_eq!(code(&ws.run(&["user", "revoke-session", &name])), 2, "an id or --all");
    assert_eq!(code(&ws.run(&["user", "revoke-session", &name, id, "--all"])), 2);

    let all = ws.json(&["user", "revoke-session", &name, "--all"]);
    let expected = match sessions.len() - 1 {
        1 => "Revoked the only session of ".to_owned(),
        n => format!("Revoked all {n} sessions of "),
    };
    assert!(all["message"].as_str().unwrap().starts_with(&expected), "{all}");
    assert_eq!(ws.json(&["user", "sessions", &name]), json!([]));
    assert_eq!(stdout(&ws.run(&["user", "sessions", &name])), "No active sessions\n");
}

#[test]
fn roles_of_a_user_are_added_and_removed() {
    let ws = Ws::new();
    ws.add("dave");
    ws.json(&["role", "add", "Auditor"]);
    ws.json(&["role", "add", "Employee"]);
    ws.json(&["role", "add", "Manager"]);
    let added = ws.json(&["user", "role", "dave", "--add", "employee", "--add", "Manager"]);
    assert_eq!(added["user"]["roles"], json!(["Employee", "Manager"]));
    let changed = ws.json(&["user", "role", "dave", "--add", "Auditor", "--remove", "Employee"]);
    assert_eq!(changed["user"]["roles"], json!(["Auditor", "Manager"]));
    assert_eq!(changed["message"], "Roles of dave@example.com: Auditor, Manager");
    let undone = ws.json(&["user", "undo", &changed["undo"].to_string()]);
    assert_eq!(undone["user"]["roles"], json!(["Employee", "Manager"]));
    assert_eq!(ws.fails(4, &["user", "role", "dave", "--add", "Pope"])["error"]["code"], "not_found");
    assert_eq!(code(&ws.run(&["user", "role", "dave"])), 2, "--add or --remove");
    assert_eq!(ws.user("dave")["roles"], json!(["Employee", "Manager"]));
}

#[test]
fn bulk_actions_and_a_big_delete_needs_the_count() {
    let ws = Ws::new();
    let users: Vec<String> = (0..12).map(|i| format!("user{i:02}")).collect();
    for u in &users {
        ws.add(u);
    }
    let all: Vec<&str> = users.iter().map(String::as_str).collect();
    let bulk = |action: &str, names: &[&str], extra: &[&str]| -> Vec<String> {
        let mut a = vec!["user".to_owned(), "bulk".to_owned(), action.to_owned()];
        a.extend(names.iter().map(|s| s.to_string()));
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let refs = |v: &[String]| -> Vec<String> { v.to_vec() };
    let run = |a: Vec<String>| ws.run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let json_of = |a: Vec<String>| ws.json(&a.iter().map(String::as_str).collect::<Vec<_>>());

    let disabled = json_of(bulk("disable", &all[..3], &[]));
    assert_eq!(disabled["message"], "Disabled 3 users");
    assert_eq!(disabled["changed"], json!(["user00", "user01", "user02"]));
    let again = json_of(bulk("disable", &all[..4], &[]));
    assert_eq!(again["message"], "Disabled 1 user (3 already so)");
    assert_eq!(json_of(bulk("enable", &all[..4], &[]))["message"], "Enabled 4 users");

    ws.json(&["group", "add", "Temps"]);
    assert_eq!(json_of(bulk("assign-group", &all[..5], &["--group", "Temps"]))["message"], "Added to Temps: 5 users");
    json_of(bulk("remove-from-group", &all[..2], &["--group", "Temps"]));
    assert_eq!(ws.json(&["group", "show", "Temps"])["group"]["members"], 3);
    assert_eq!(code(&run(bulk("assign-group", &all[..2], &[]))), 2, "needs --group");
    let mail = run(bulk("send-activation-mail", &all, &[]));
    assert_eq!(code(&mail), 1);
    assert!(stderr(&mail).contains("Mail is not configured"), "{}", stderr(&mail));
    let mut with_ghost = refs(&users[..2]);
    with_ghost.push("ghost".into());
    let ghost = run(bulk("disable", &with_ghost.iter().map(String::as_str).collect::<Vec<_>>(), &[]));
    assert_eq!(code(&ghost), 4, "all or nothing");
    assert_eq!(ws.user("user00")["status"], "active");

    let refused = run(bulk("delete", &all, &[]));
    assert_eq!(code(&refused), 2);
    assert!(stderr(&refused).contains("confirm with the number 12"), "{}", stderr(&refused));
    assert_eq!(code(&run(bulk("delete", &all, &["--yes-count", "11"]))), 2);
    assert_eq!(ws.user_count(), 12, "nothing was deleted");
    let deleted = json_of(bulk("delete", &all, &["--yes-count", "12"]));
    assert_eq!(deleted["message"], "Deleted 12 users");
    assert_eq!(ws.user_count(), 0);
}

#[test]
fn groups_add_list_show_rename_members_delete() {
    let ws = Ws::new();
    for u in ["ann", "ben", "cat"] {
        ws.add(u);
    }
    let g = ws.json(&["group", "add", "Sales", "--description", "Brings in customers"]);
    assert_eq!((g["name"].as_str(), g["description"].as_str(), g["members"].as_u64()), (Some("Sales"), Some("Brings in customers"), Some(0)));
    assert_eq!(ws.fails(5, &["group", "add", "sales"])["error"]["code"], "conflict");
    ws.json(&["group", "add", "Support"]);
    assert_eq!(names(&ws.json(&["group", "list"])), ["Sales", "Support"]);

    let members = ws.json(&["group", "members", "Sales", "--add", "ann", "ben", "cat"]);
    assert_eq!(members["members"], 3);
    let members = ws.json(&["group", "members", "sales", "--remove", "ben"]);
    assert_eq!(members["members"], 2);
    assert_eq!(ws.fails(4, &["group", "members", "Sales", "--add", "ghost"])["error"]["code"], "not_found");
    assert_eq!(code(&ws.run(&["group", "members", "Sales"])), 2, "--add or --remove");

    let page = ws.json(&["group", "show", "sales", "--limit", "1"]);
    assert_eq!(page["group"]["name"], "Sales");
    assert_eq!(page["users"][0]["username"], "ann");
    let next = page["next"].as_str().expect("a second page").to_owned();
    let page2 = ws.json(&["group", "show", "Sales", "--limit", "1", "--after", &next]);
    assert_eq!(page2["users"][0]["username"], "cat");
    assert_eq!(page2["next"], Value::Null);
    assert!(stdout(&ws.run(&["group", "show", "Sales"])).starts_with("Sales (2 members): Brings in customers"));

    let renamed = ws.json(&["group", "rename", "Sales", "Revenue"]);
    assert_eq!(renamed["name"], "Revenue");
    assert_eq!(ws.user("ann")["groups"], json!(["Revenue"]));
    assert_eq!(ws.fails(5, &["group", "rename", "Revenue", "support"])["error"]["code"], "conflict");
    assert_eq!(ws.fails(4, &["group", "show", "Sales"])["error"]["code"], "not_found");

    let deleted = ws.json(&["group", "delete", "revenue"]);
    assert_eq!(deleted["members"], 2);
    assert_eq!(names(&ws.json(&["group", "list"])), ["Support"]);
    assert_eq!(ws.user("ann")["groups"], json!([]), "the user stays, the membership goes");
    assert_eq!(ws.fails(4, &["group", "delete", "Revenue"])["error"]["code"], "not_found");
}

#[test]
fn roles_add_list_delete() {
    let ws = Ws::new();
    let r = ws.json(&["role", "add", "Release Manager", "--description", "Ships"]);
    assert_eq!(r, json!({ "name": "Release Manager", "description": "Ships", "users": 0 }));
    assert_eq!(ws.fails(5, &["role", "add", "release manager"])["error"]["code"], "conflict");
    ws.json(&["role", "add", "Auditor"]);
    assert_eq!(names(&ws.json(&["role", "list"])), ["Auditor", "Release Manager"]);
    let table = stdout(&ws.run(&["role", "list"]));
    assert!(table.starts_with("ROLE"), "{table}");
    assert!(table.contains("Ships"), "{table}");
    ws.add("eve");
    ws.json(&["user", "role", "eve", "--add", "Release Manager"]);
    let deleted = ws.json(&["role", "delete", "RELEASE MANAGER"]);
    assert_eq!(deleted["users"], 1);
    assert_eq!(names(&ws.json(&["role", "list"])), ["Auditor"]);
    assert_eq!(ws.user("eve")["roles"], json!([]));
    assert_eq!(ws.fails(4, &["role", "delete", "Release Manager"])["error"]["code"], "not_found");
}

#[test]
fn attributes_are_dropped_with_their_values() {
    let ws = Ws::new();
    ws.json(&["attr", "define", "badge", "--type", "string"]);
    ws.json(&["user", "add", "--username", "fay", "--email", "fay@example.com", "--attr", "badge=B-7"]);
    let dropped = ws.json(&["attr", "drop", "BADGE"]);
    assert_eq!(dropped, json!({ "name": "badge", "type": "string", "required": false }));
    assert_eq!(ws.json(&["attr", "list"]), json!([]));
    assert_eq!(ws.user("fay")["attributes"], json!({}));
    assert_eq!(ws.fails(4, &["attr", "drop", "badge"])["error"]["code"], "not_found");
}

#[test]
fn onboarding_statistics() {
    let ws = Ws::new();
    ws.add_with_password("on1");
    ws.add_with_password("on2");
    for u in ["wait1", "wait2", "wait3"] {
        ws.add(u);
    }
    ws.json(&["user", "disable", "wait1"]);
    let stats = ws.json(&["stats", "onboarding"]);
    assert_eq!(
        stats,
        json!({
            "total": 5, "onboarded": 2, "notOnboarded": 3, "invited": 0, "disabled": 1,
            "remindAfterDays": 7, "reminderDue": 0,
            "waiting": [
                { "bucket": "under 1 day", "count": 3 },
                { "bucket": "1–7 days", "count": 0 },
                { "bucket": "7–30 days", "count": 0 },
                { "bucket": "30–90 days", "count": 0 },
                { "bucket": "over 90 days", "count": 0 },
            ],
        })
    );
    let text = ws.run(&["stats", "onboarding"]);
    assert_eq!(code(&text), 0);
    let text = stdout(&text);
    assert!(text.contains("Onboarded      2") && text.contains("Not onboarded  3") && text.contains("Disabled       1"), "{text}");
    let under = text.lines().find(|l| l.contains("under 1 day")).unwrap();
    assert!(under.contains('3') && under.contains('█'), "a bar beside the number: {under}");
    assert!(text.contains("  invited      0") && text.contains("  reminder due 0  (invited, last mailed 7 days ago or more)"), "{text}");
    assert!(text.contains("Invite the others: roster mail send activation --all-not-onboarded"), "{text}");
}

#[test]
fn the_audit_log_filters_and_pages() {
    let ws = Ws::new();
    ws.add("alice");
    ws.add("bob");
    ws.json(&["user", "disable", "alice"]);
    ws.json(&["user", "enable", "alice"]);
    ws.json(&["user", "delete", "bob"]);

    let all = ws.json(&["audit"]);
    let actions: Vec<&str> = all["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["delete", "enable", "disable", "create", "create"], "newest first");
    assert_eq!(all["next"], Value::Null);
    assert!(all["entries"].as_array().unwrap().iter().all(|e| e["actor"] == "tester"));

    let bob = ws.json(&["audit", "--user", "bob"]);
    assert_eq!(bob["entries"].as_array().unwrap().len(), 2, "a deleted user's entries are still found");
    assert_eq!(bob["entries"][0]["before"]["email"], "bob@example.com");
    let disables = ws.json(&["audit", "--action", "disable"]);
    assert_eq!(disables["entries"].as_array().unwrap().len(), 1);
    assert_eq!(disables["entries"][0]["subject"], "alice");
    assert_eq!(disables["entries"][0]["undoable"], true);

    let page1 = ws.json(&["audit", "--limit", "2"]);
    assert_eq!(page1["entries"].as_array().unwrap().len(), 2);
    let next = page1["next"].as_i64().expect("more pages").to_string();
    let page2 = ws.json(&["audit", "--limit", "2", "--before", &next]);
    assert_eq!(page2["entries"][0]["action"], "disable");
    let text = ws.run(&["audit", "--limit", "2"]);
    assert_eq!(code(&text), 0);
    assert_eq!(stderr(&text), format!("More: --before {next}\n"));
    let lines: Vec<String> = stdout(&text).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("tester") && lines[0].contains("delete") && lines[0].contains("Deleted bob@example.com"), "{lines:?}");
    assert_eq!(ws.fails(2, &["audit", "--limit", "0"])["error"]["code"], "usage");
}
