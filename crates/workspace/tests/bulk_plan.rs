//! The bulk plan on real workspace files, with a fixed clock and a seeded random source.

mod common;

use common::open;
use roster_workspace::{AttributeInput, BulkPlanView, BulkRowView, UserInput, Workspace};
use serde_json::{json, Value};

/// A workspace with alice and bob, groups Sales and London, role Auditor, attribute costCenter.
fn seeded(dir: &tempfile::TempDir) -> Workspace {
    let mut ws = open(dir);
    ws.add_group("Sales", "").unwrap();
    ws.add_group("London", "").unwrap();
    ws.add_role("Auditor", "").unwrap();
    ws.define_attribute("costCenter", "number", false).unwrap();
    ws.add_user(UserInput {
        username: "alice".into(),
        email: "alice@example.com".into(),
        first_name: "Alice".into(),
        last_name: "Liddell".into(),
        phone: "(415) 555-2671".into(),
        attributes: AttributeInput(vec![("costCenter".into(), "7".into())]),
        ..UserInput::default()
    })
    .unwrap();
    ws.add_user(UserInput { username: "bob".into(), email: "bob@example.com".into(), ..UserInput::default() }).unwrap();
    ws.assign_groups("alice", &["Sales".into()]).unwrap();
    ws
}

const HEADER: &str = "Action,Username,Email,First Name,Last Name,Phone,Password,Groups,Roles,Status,Second Factor,Device Limit,Password Expiry,costCenter\n";

fn plan(ws: &Workspace, rows: &str) -> BulkPlanView {
    ws.bulk_plan(format!("{HEADER}{rows}").as_bytes()).unwrap()
}

fn codes(row: &BulkRowView) -> Vec<(&str, &str)> {
    row.problems.iter().map(|p| (p.column.as_str(), p.code.as_str())).collect()
}

fn changes(row: &BulkRowView) -> Vec<(String, Value, Value)> {
    row.changes.iter().map(|c| (c.field.clone(), c.old.clone(), c.new.clone())).collect()
}

#[test]
fn each_outcome_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let p = plan(
        &ws,
        "add,carol,carol@example.com,Carol,,,,Sales|London,Auditor,,,,,\n\
         update,alice,,Alicia,,,,,,,,,,\n\
         delete,bob,bob@example.com,,,,,,,,,,,\n\
         update,alice2,,,,,,,,,,,,\n\
         frobnicate,dave,dave@example.com,,,,,,,,,,,\n",
    );
    let outcomes: Vec<(usize, &str)> = p.rows.iter().map(|r| (r.row, r.outcome.as_str())).collect();
    assert_eq!(outcomes, [(2, "create"), (3, "update"), (4, "delete"), (5, "error"), (6, "error")]);
    assert_eq!(serde_json::to_value(&p.summary).unwrap(), json!({"create": 1, "update": 1, "delete": 1, "unchanged": 0, "error": 2}));
    assert!(p.has_errors());
    assert_eq!(codes(&p.rows[3]), [("Username", "not_found")]);
    assert_eq!(p.rows[3].problems[0].message, "No user with username \"alice2\"");
    assert_eq!(p.rows[4].action, None);
    let create = changes(&p.rows[0]);
    assert!(create.contains(&("groups".into(), Value::Null, json!("Sales|London"))), "{create:?}");
    assert!(create.contains(&("email".into(), Value::Null, json!("carol@example.com"))));
    // Nothing changed in the workspace.
    assert_eq!(ws.info().unwrap().user_count, 2);
}

#[test]
fn json_shape_is_camel_case() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let v = serde_json::to_value(plan(&ws, "update,alice,,Alicia,,,,,,,,,,\n")).unwrap();
    assert_eq!(
        v,
        json!({
            "summary": {"create": 0, "update": 1, "delete": 0, "unchanged": 0, "error": 0},
            "rows": [{"row": 2, "action": "update", "outcome": "update", "username": "alice",
                      "changes": [{"field": "firstName", "old": "Alice", "new": "Alicia"}], "problems": []}],
            "warnings": [],
            "fileProblems": []
        })
    );
}

#[test]
fn taken_in_the_workspace_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let p = plan(&ws, "add,ALICE,bob@example.com,,,,,,,,,,,\n");
    assert_eq!(p.rows[0].outcome, "error");
    assert_eq!(codes(&p.rows[0]), [("Username", "taken"), ("Email", "taken")]);
    assert_eq!(p.rows[0].problems[0].message, "Username ALICE is taken");
    assert_eq!(p.rows[0].problems[1].message, "Email address bob@example.com is used by bob");
    assert!(p.rows[0].changes.is_empty());
    // An update to another user's email is taken too; to one's own (any case) is not.
    let p = plan(&ws, "update,alice,BOB@example.com,,,,,,,,,,,\n");
    assert_eq!(codes(&p.rows[0]), [("Email", "taken")]);
    assert_eq!(p.rows[0].problems[0].message, "Email address BOB@example.com is used by bob");
    let p = plan(&ws, "update,bob,BOB@example.com,,,,,,,,,,,\n");
    assert_eq!(p.rows[0].outcome, "update", "a change of case is a change");
}

#[test]
fn delete_needs_the_same_users_email() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let p = plan(&ws, "delete,bob,alice@example.com,,,,,,,,,,,\ndelete,nobody,nobody@example.com,,,,,,,,,,,\n");
    assert_eq!(codes(&p.rows[0]), [("Email", "email_mismatch")]);
    let m = &p.rows[0].problems[0].message;
    assert!(m.contains("alice@example.com") && m.contains("alice") && m.contains("bob"), "{m}");
    assert_eq!(codes(&p.rows[1]), [("Username", "not_found")]);
    let p = plan(&ws, "delete,BOB,BOB@EXAMPLE.COM,,,,,,,,,,,\n");
    assert_eq!(p.rows[0].outcome, "delete", "any case");
}

#[test]
fn unchanged_update_and_field_diffs() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let p = plan(
        &ws,
        "update,alice,alice@example.com,Alice,Liddell,(415) 555-2671,,Sales,,active,none,,,7\n\
         update,bob,,Robert,Builder,(415) 555-2672,S3cure!Passw0rd-long,London,Auditor,disabled,totp,5,2027-01-31,12\n",
    );
    assert_eq!(p.rows[0].outcome, "unchanged", "{:?}", p.rows[0]);
    assert!(p.rows[0].changes.is_empty());
    assert_eq!(p.rows[1].outcome, "update", "{:?}", p.rows[1].problems);
    assert_eq!(
        changes(&p.rows[1]),
        vec![
            ("firstName".into(), Value::Null, json!("Robert")),
            ("lastName".into(), Value::Null, json!("Builder")),
            ("phone".into(), Value::Null, json!("+14155552672")),
            ("groups".into(), Value::Null, json!("London")),
            ("roles".into(), Value::Null, json!("Auditor")),
            ("status".into(), json!("active"), json!("disabled")),
            ("secondFactor".into(), json!("none"), json!("totp")),
            ("deviceLimit".into(), Value::Null, json!(5)),
            ("passwordExpiry".into(), Value::Null, json!("2027-01-31")),
            ("attributes.costCenter".into(), Value::Null, json!(12.0)),
            ("password".into(), Value::Null, json!("(set)")),
        ]
    );
    let text = serde_json::to_string(&p).unwrap();
    assert!(!text.contains("S3cure"), "a password never shows");
    assert_eq!(p.summary.unchanged, 1);
}

#[test]
fn clear_empties_optional_fields() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let p = plan(&ws, "update,alice,,<clear>,,<clear>,,<clear>,,,,,,<clear>\n");
    assert_eq!(p.rows[0].outcome, "update", "{:?}", p.rows[0].problems);
    assert_eq!(
        changes(&p.rows[0]),
        vec![
            ("firstName".into(), json!("Alice"), Value::Null),
            ("phone".into(), json!("+14155552671"), Value::Null),
            ("groups".into(), json!("Sales"), Value::Null),
            ("attributes.costCenter".into(), json!(7.0), Value::Null),
        ]
    );
}

#[test]
fn unknown_groups_and_roles() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let p = plan(&ws, "add,carol,carol@example.com,,,,,sales|Paris,Boss,,,,,\nupdate,bob,,,,,,Nowhere,,,,,,\n");
    assert_eq!(codes(&p.rows[0]), [("Groups", "unknown_group"), ("Roles", "unknown_role")]);
    assert_eq!(p.rows[0].problems[0].message, "No group named \"Paris\"");
    assert_eq!(codes(&p.rows[1]), [("Groups", "unknown_group")]);
    assert_eq!(p.summary.error, 2);
}

#[test]
fn core_row_problems_pass_through() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let p = plan(&ws, "add,carol,not-an-email,,,,,,,,,,,\n");
    assert_eq!(p.rows[0].outcome, "error");
    assert_eq!(codes(&p.rows[0]), [("Email", "invalid_email")]);
}

#[test]
fn unreadable_file_is_a_file_problem() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let p = ws.bulk_plan(b"").unwrap();
    assert!(p.rows.is_empty());
    assert_eq!(p.file_problems[0].code, "empty");
    assert!(p.has_errors());
    let p = ws.bulk_plan(b"\x00\x01\x02\x03binary\x00").unwrap();
    assert_eq!(p.file_problems[0].code, "binary");
}

#[test]
fn template_plans_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = seeded(&dir);
    let text = ws.bulk_template().unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(header, HEADER.trim_end());
    ws.add_user(UserInput { username: "john.smith".into(), email: "john.smith@example.com".into(), ..UserInput::default() }).unwrap();
    ws.add_user(UserInput { username: "old.user".into(), email: "old.user@example.com".into(), ..UserInput::default() }).unwrap();
    let p = ws.bulk_plan(text.as_bytes()).unwrap();
    assert!(p.file_problems.is_empty() && p.warnings.is_empty(), "{p:?}");
    let outcomes: Vec<&str> = p.rows.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, ["create", "update", "delete"], "{:?}", p.rows);
    // Without its users, the update and delete rows say so.
    let dir2 = tempfile::tempdir().unwrap();
    let fresh = open(&dir2);
    let t = fresh.bulk_template().unwrap();
    assert!(t.starts_with("Action,Username,Email,First Name,Last Name,Phone,Password,Groups,Roles,Status,Second Factor,Device Limit,Password Expiry\r\n"));
    let p = fresh.bulk_plan(t.as_bytes()).unwrap();
    assert_eq!(p.rows.iter().map(|r| r.outcome.as_str()).collect::<Vec<_>>(), ["create", "error", "error"]);
}

#[test]
fn an_email_given_twice_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let p = plan(&ws, "update,alice,new@example.com,,,,,,,,,,,\nadd,carol,NEW@example.com,,,,,,,,,,,\n");
    assert_eq!(p.rows[0].outcome, "update");
    assert_eq!(codes(&p.rows[1]), [("Email", "duplicate_in_file")]);
    assert_eq!(p.rows[1].problems[0].message, "Email \"NEW@example.com\" is already given to a user on row 2");
}

#[test]
fn deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let rows = "add,carol,carol@example.com,Carol,,,,Sales|London,Auditor,,,,,3\nupdate,alice,,Alicia,,,,<clear>,,,,,,\ndelete,bob,bob@example.com,,,,,,,,,,,\nadd,x,bad,,,,,,,,,,,\n";
    let a = serde_json::to_string(&plan(&ws, rows)).unwrap();
    let b = serde_json::to_string(&plan(&ws, rows)).unwrap();
    assert_eq!(a, b);
}
