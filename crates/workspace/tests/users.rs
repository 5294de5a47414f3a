//! Use-case tests on real workspace files, with a fixed clock and a seeded random source.

mod common;

use common::open;
use roster_core::Secret;
use roster_workspace::{
    AttributeInput, ErrorCode, Silent, UserEditInput, UserInput, UserListQuery, Workspace,
};

fn input(username: &str, email: &str) -> UserInput {
    UserInput { username: username.into(), email: email.into(), ..UserInput::default() }
}

#[test]
fn add_then_show() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir);
    let v = ws
        .add_user(UserInput {
            first_name: "Alice".into(),
            last_name: "Liddell".into(),
            phone: "(415) 555-2671".into(),
            ..input("alice", "alice@example.com")
        })
        .unwrap();
    assert_eq!(v.phone.as_deref(), Some("+14155552671"), "read in the workspace's default region, US");
    assert!(!v.onboarded);
    assert_eq!(v.version, 1);
    assert_eq!(v.created_at, "2026-11-29T10:00:00Z");
    let shown = ws.get_user("ALICE").unwrap();
    assert_eq!(shown, v);
    let audit = serde_json::to_value(&shown).unwrap();
    assert_eq!(audit["firstName"], "Alice", "camelCase JSON");
}

#[test]
fn a_password_onboards_and_is_stored_only_as_argon2id() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir);
    let v = ws
        .add_user(UserInput { password: Some(Secret::new("correct horse battery".into())), ..input("bob", "bob@example.com") })
        .unwrap();
    assert!(v.onboarded);
    drop(ws);
    let bytes = std::fs::read(dir.path().join("w.roster")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("correct horse battery"), "the plain password never reaches the file");
    let wal = std::fs::read(dir.path().join("w.roster-wal")).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&wal).contains("correct horse battery"));
}

#[test]
fn every_problem_at_once_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir);
    ws.add_user(input("alice", "alice@example.com")).unwrap();
    let err = ws
        .add_user(UserInput { phone: "12".into(), ..input("Alice", "not-an-email") })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation);
    let fields: Vec<(&str, &str)> = err.fields.iter().map(|f| (f.field.as_str(), f.code.as_str())).collect();
    assert_eq!(fields, [("email", "invalid_email"), ("phone", "invalid_phone"), ("username", "taken")]);
    assert_eq!(ws.info().unwrap().user_count, 1);
}

#[test]
fn taken_only_is_a_conflict_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir);
    ws.add_user(input("alice", "alice@example.com")).unwrap();
    let err = ws.add_user(input("carol", "ALICE@example.com")).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(err.fields[0].field, "email");
    assert!(err.fields[0].message.contains("used by alice"), "{}", err.fields[0].message);
}

#[test]
fn edit_checks_version_and_email_holder() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir);
    ws.add_user(input("alice", "alice@example.com")).unwrap();
    ws.add_user(input("bob", "bob@example.com")).unwrap();
    let v = ws
        .edit_user("alice", UserEditInput { expected_version: Some(1), last_name: Some("Smith".into()), ..Default::default() })
        .unwrap();
    assert_eq!((v.last_name.as_str(), v.version), ("Smith", 2));
    let stale = ws
        .edit_user("alice", UserEditInput { expected_version: Some(1), last_name: Some("Jones".into()), ..Default::default() })
        .unwrap_err();
    assert_eq!(stale.code, ErrorCode::Stale);
    let own_email = ws.edit_user("alice", UserEditInput { email: Some("Alice@Example.com".into()), ..Default::default() }).unwrap();
    assert_eq!(own_email.email, "Alice@Example.com", "a user may re-case their own email");
    let taken = ws.edit_user("alice", UserEditInput { email: Some("bob@example.com".into()), ..Default::default() }).unwrap_err();
    assert_eq!(taken.code, ErrorCode::Conflict);
    let missing = ws.edit_user("nobody", UserEditInput::default()).unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
}

#[test]
fn attributes_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir);
    ws.define_attribute("costCenter", "number", false).unwrap();
    let err = ws.define_attribute("CostCenter", "string", false).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    let bad = ws
        .add_user(UserInput { attributes: AttributeInput(vec![("costCenter".into(), "abc".into())]), ..input("a", "a@example.com") })
        .unwrap_err();
    assert_eq!(bad.fields[0].field, "attributes.costCenter");
    assert_eq!(bad.fields[0].code, "invalid_number");
    let ok = ws
        .add_user(UserInput { attributes: AttributeInput(vec![("costcenter".into(), "42".into())]), ..input("a", "a@example.com") })
        .unwrap();
    assert_eq!(ok.attributes["costCenter"], serde_json::json!(42.0));
    let err = ws.define_attribute("badge", "string", true).unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation, "cannot require what existing users lack");
}

#[test]
fn delete_is_audited_with_the_before_image() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir);
    ws.add_user(input("alice", "alice@example.com")).unwrap();
    let gone = ws.delete_user("alice").unwrap();
    assert_eq!(ws.get_user("alice").unwrap_err().code, ErrorCode::NotFound);
    assert_eq!(ws.delete_user("alice").unwrap_err().code, ErrorCode::NotFound);
    drop(ws);
    let conn = rusqlite_free_audit(&dir);
    assert_eq!(conn.len(), 2);
    assert_eq!(conn[0].0, "delete");
    assert_eq!(conn[0].1, "tester");
    let before: serde_json::Value = serde_json::from_str(conn[0].2.as_deref().unwrap()).unwrap();
    assert_eq!(before["username"], "alice");
    assert_eq!(before["id"], gone.id.as_str());
}

/// The audit entries, newest first, through the store's reader.
fn rusqlite_free_audit(dir: &tempfile::TempDir) -> Vec<(String, String, Option<String>)> {
    let store = roster_store::Store::open(&dir.path().join("w.roster")).unwrap();
    store.reader().audit_entries(None, 10).unwrap().into_iter().map(|r| (r.action, r.actor, r.before)).collect()
}

#[test]
fn list_validates_its_query() {
    let dir = tempfile::tempdir().unwrap();
    let ws = open(&dir);
    let err = ws.list_users(&UserListQuery { sort: Some("shoeSize".into()), ..Default::default() }).unwrap_err();
    assert_eq!(err.code, ErrorCode::Usage);
    let err = ws.list_users(&UserListQuery { after: Some("nonsense".into()), ..Default::default() }).unwrap_err();
    assert_eq!(err.code, ErrorCode::Usage);
    let err = ws.list_users(&UserListQuery { limit: Some(0), ..Default::default() }).unwrap_err();
    assert_eq!(err.code, ErrorCode::Usage);
}

#[test]
fn demo_is_deterministic_and_refuses_a_full_workspace() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (mut wa, mut wb) = (open(&a), open(&b));
    let sa = wa.seed_demo(300, 42, &Silent).unwrap();
    let sb = wb.seed_demo(300, 42, &Silent).unwrap();
    assert_eq!((sa.sessions, sa.disabled), (sb.sessions, sb.disabled));
    assert_eq!(sa.users, 300);
    assert!(sa.not_onboarded > 10 && sa.disabled > 2 && sa.sessions > 10, "a living directory: {sa:?}");
    let page = |w: &Workspace| w.list_users(&UserListQuery { limit: Some(1000), ..Default::default() }).unwrap().users;
    let (pa, pb) = (page(&wa), page(&wb));
    assert_eq!(pa.len(), 300);
    assert_eq!(
        pa.iter().map(|u| (&u.username, &u.email, &u.phone)).collect::<Vec<_>>(),
        pb.iter().map(|u| (&u.username, &u.email, &u.phone)).collect::<Vec<_>>(),
        "same seed, same directory"
    );
    assert!(pa.iter().all(|u| u.groups.iter().any(|g| g == "All Staff")));
    assert!(pa.iter().any(|u| u.phone.as_deref().is_some_and(|p| p.starts_with("+44"))));
    let err = wa.seed_demo(10, 1, &Silent).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
}
