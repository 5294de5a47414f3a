//! Managing users: per-user actions, groups, roles, sessions, multi-select, onboarding
//! statistics, the audit log and undo. Real workspace files, a settable clock, a seeded rng.

use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use roster_core::Timestamp;
use roster_workspace::{AuditListQuery, BulkAction, Clock, ErrorCode, Silent, UserInput, UserListQuery, Workspace};

#[derive(Clone)]
struct TestClock(Arc<Mutex<Timestamp>>);
impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

const START: Timestamp = time::macros::datetime!(2026-11-29 10:00 UTC);

fn open(dir: &tempfile::TempDir) -> (Workspace, TestClock) {
    let clock = TestClock(Arc::new(Mutex::new(START)));
    let ws = Workspace::open_with(
        &dir.path().join("w.roster"),
        Box::new(clock.clone()),
        Box::new(rand::rngs::StdRng::seed_from_u64(3)),
        "tester".into(),
    )
    .unwrap();
    (ws, clock)
}

fn add(ws: &mut Workspace, name: &str) {
    ws.add_user(UserInput { username: name.into(), email: format!("{name}@example.com"), ..UserInput::default() }).unwrap();
}

#[test]
fn disable_enable_and_undo() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = open(&dir);
    add(&mut ws, "alice");
    let done = ws.disable_user("alice").unwrap();
    assert_eq!(done.message, "Disabled alice@example.com");
    assert_eq!(done.user.status, "disabled");
    let again = ws.disable_user("alice").unwrap();
    assert!(again.undo.is_none() && again.user.version == done.user.version, "a no-op writes nothing");
    let undone = ws.undo(done.undo.unwrap()).unwrap();
    assert_eq!(undone.user.status, "active");
    assert_eq!(undone.message, "Undone: Disabled alice@example.com");
    // Undoing the same entry again would overwrite the undo: refused.
    assert_eq!(ws.undo(done.undo.unwrap()).unwrap_err().code, ErrorCode::Stale);
}

#[test]
fn second_factor_expiry_device_limit_mfa_identity() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = open(&dir);
    ws.add_user(UserInput {
        username: "bob".into(),
        email: "bob@example.com".into(),
        password: Some(roster_core::Secret::new("correct horse battery".into())),
        ..UserInput::default()
    })
    .unwrap();
    assert_eq!(ws.set_second_factor("bob", "hardware_key").unwrap().user.second_factor, "hardware_key");
    assert_eq!(ws.set_second_factor("bob", "carrier pigeon").unwrap_err().code, ErrorCode::Validation);
    assert_eq!(ws.expire_password("bob", Some("2027-03-31")).unwrap().user.password_expires_at.as_deref(), Some("2027-03-31"));
    assert_eq!(ws.expire_password("bob", Some("31/03/2027")).unwrap_err().code, ErrorCode::Validation);
    assert_eq!(ws.set_device_limit("bob", Some("3")).unwrap().user.device_limit, Some(3));
    let reset = ws.set_device_limit("bob", None).unwrap();
    assert_eq!(reset.user.device_limit, None);
    assert_eq!(reset.message, "Reset the device limit of bob@example.com to the workspace default");
    assert_eq!(ws.set_device_limit("bob", Some("0")).unwrap_err().code, ErrorCode::Validation);
    let removed = ws.remove_identity("bob").unwrap();
    assert!(!removed.user.onboarded && removed.user.second_factor == "none" && removed.user.password_expires_at.is_none());
    assert!(removed.undo.is_none(), "the cleared password cannot come back");
    assert_eq!(ws.send_password_reset("bob").unwrap_err().code, ErrorCode::NotConfigured);
    assert_eq!(ws.disable_user("nobody").unwrap_err().code, ErrorCode::NotFound);
}

#[test]
fn groups_assign_unassign_undo_rename_delete() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = open(&dir);
    add(&mut ws, "alice");
    ws.add_group("Sales", "Brings in customers").unwrap();
    ws.add_group("Support", "").unwrap();
    assert_eq!(ws.add_group("sales", "").unwrap_err().code, ErrorCode::Conflict);
    let view = ws.user_groups("alice").unwrap();
    assert!(view.member_of.is_empty());
    assert_eq!(view.available.len(), 2);
    let assigned = ws.assign_groups("alice", &["sales".into(), "Support".into()]).unwrap();
    assert_eq!(assigned.user.groups, ["Sales", "Support"]);
    assert_eq!(ws.user_groups("alice").unwrap().available.len(), 0, "Assign Groups lists only groups the user is not in");
    let removed = ws.unassign_groups("alice", &["Support".into()]).unwrap();
    assert_eq!(removed.user.groups, ["Sales"]);
    let undone = ws.undo(removed.undo.unwrap()).unwrap();
    assert_eq!(undone.user.groups, ["Sales", "Support"]);
    assert_eq!(ws.assign_groups("alice", &["Nope".into()]).unwrap_err().code, ErrorCode::NotFound);

    let members = ws.group_members("sales", &UserListQuery::default()).unwrap();
    assert_eq!(members.users.len(), 1);
    ws.rename_group("Sales", "Revenue").unwrap();
    assert_eq!(ws.get_user("alice").unwrap().groups, ["Revenue", "Support"]);
    let gone = ws.delete_group("Support").unwrap();
    assert_eq!(gone.members, 1);
    assert_eq!(ws.get_user("alice").unwrap().groups, ["Revenue"], "the user stays, the membership goes");
}

#[test]
fn roles_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = open(&dir);
    ws.seed_demo(40, 5, &Silent).unwrap();
    let with_sessions = ws
        .list_users(&UserListQuery { limit: Some(100), ..Default::default() })
        .unwrap()
        .users
        .into_iter()
        .find(|u| !ws.sessions(&u.username).unwrap().is_empty())
        .expect("the demo gives some users sessions");
    let name = with_sessions.username;
    let sessions = ws.sessions(&name).unwrap();
    let one = ws.revoke_sessions(&name, Some(&sessions[0].id)).unwrap();
    assert_eq!(one.message, format!("Revoked a session of {}", with_sessions.email));
    assert_eq!(ws.sessions(&name).unwrap().len(), sessions.len() - 1);
    ws.revoke_sessions(&name, None).unwrap();
    assert!(ws.sessions(&name).unwrap().is_empty());
    assert_eq!(ws.revoke_sessions(&name, Some("nope")).unwrap_err().code, ErrorCode::NotFound);

    let r = ws.change_roles(&name, &["Auditor".into()], &["Employee".into(), "Manager".into()]).unwrap();
    assert!(r.user.roles.contains(&"Auditor".to_owned()) && !r.user.roles.contains(&"Employee".to_owned()));
    assert_eq!(ws.change_roles(&name, &["Pope".into()], &[]).unwrap_err().code, ErrorCode::NotFound);
    ws.add_role("Release Manager", "Ships").unwrap();
    assert!(ws.list_roles().unwrap().iter().any(|r| r.name == "Release Manager"));
    ws.delete_role("release manager").unwrap();
}

#[test]
fn multi_select_is_all_or_nothing_and_big_deletes_need_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = open(&dir);
    let names: Vec<String> = (0..12).map(|i| format!("user{i:02}")).collect();
    for n in &names {
        add(&mut ws, n);
    }
    let mut with_ghost = names[..3].to_vec();
    with_ghost.push("ghost".into());
    assert_eq!(ws.apply_to_users(&with_ghost, BulkAction::Disable, None).unwrap_err().code, ErrorCode::NotFound);
    assert!(ws.get_user("user00").unwrap().status == "active", "nothing changed");
    let done = ws.apply_to_users(&names[..3], BulkAction::Disable, None).unwrap();
    assert_eq!(done.message, "Disabled 3 users");
    let again = ws.apply_to_users(&names[..4], BulkAction::Disable, None).unwrap();
    assert_eq!(again.message, "Disabled 1 user (3 already so)");
    ws.add_group("Temps", "").unwrap();
    let assigned = ws.apply_to_users(&names[..5], BulkAction::AssignGroup("temps".into()), None).unwrap();
    assert_eq!(assigned.message, "Added to Temps: 5 users", "the group as stored, not as typed");
    assert_eq!(ws.group_view("Temps").unwrap().members, 5);
    ws.apply_to_users(&names[..2], BulkAction::RemoveFromGroup("Temps".into()), None).unwrap();
    assert_eq!(ws.group_view("Temps").unwrap().members, 3);
    assert_eq!(ws.apply_to_users(&names, BulkAction::SendActivationMail, None).unwrap_err().code, ErrorCode::NotConfigured);

    let refused = ws.apply_to_users(&names, BulkAction::Delete, None).unwrap_err();
    assert_eq!(refused.code, ErrorCode::Usage);
    assert!(refused.message.contains("confirm with the number 12"), "{}", refused.message);
    assert_eq!(ws.apply_to_users(&names, BulkAction::Delete, Some(11)).unwrap_err().code, ErrorCode::Usage);
    assert_eq!(ws.info().unwrap().user_count, 12);
    let deleted = ws.apply_to_users(&names, BulkAction::Delete, Some(12)).unwrap();
    assert_eq!(deleted.message, "Deleted 12 users");
    assert_eq!(ws.info().unwrap().user_count, 0);
}

#[test]
fn onboarding_statistics_bucket_the_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, clock) = open(&dir);
    // Not onboarded users created 100, 40, 10, 3 and 0 days before "now".
    for (i, days) in [100i64, 40, 10, 3, 0].iter().enumerate() {
        *clock.0.lock().unwrap() = START - time::Duration::days(*days);
        add(&mut ws, &format!("waiting{i}"));
    }
    *clock.0.lock().unwrap() = START;
    ws.add_user(UserInput {
        username: "done".into(),
        email: "done@example.com".into(),
        password: Some(roster_core::Secret::new("correct horse battery".into())),
        ..UserInput::default()
    })
    .unwrap();
    ws.disable_user("waiting0").unwrap();
    let s = ws.onboarding_stats(None).unwrap();
    assert_eq!((s.total, s.onboarded, s.not_onboarded, s.disabled), (6, 1, 5, 1));
    let buckets: Vec<(&str, u64)> = s.waiting.iter().map(|b| (b.bucket, b.count)).collect();
    assert_eq!(buckets, [("under 1 day", 1), ("1–7 days", 1), ("7–30 days", 1), ("30–90 days", 1), ("over 90 days", 1)]);
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["notOnboarded"], 5, "camelCase for roster stats onboarding --json");
}

#[test]
fn the_audit_log_lists_filters_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = open(&dir);
    add(&mut ws, "alice");
    add(&mut ws, "bob");
    ws.disable_user("alice").unwrap();
    ws.enable_user("alice").unwrap();
    ws.delete_user("bob").unwrap();
    let all = ws.audit(&AuditListQuery::default()).unwrap();
    let actions: Vec<&str> = all.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["delete", "enable", "disable", "create", "create"], "newest first");
    assert!(all.entries.iter().all(|e| e.actor == "tester"));
    let bob = ws.audit(&AuditListQuery { user: Some("BOB".into()), ..Default::default() }).unwrap();
    assert_eq!(bob.entries.len(), 2, "a deleted user's entries are still found by name");
    assert_eq!(bob.entries[0].before.as_ref().unwrap()["email"], "bob@example.com", "the delete keeps the before image");
    let disables = ws.audit(&AuditListQuery { action: Some("disable".into()), ..Default::default() }).unwrap();
    assert_eq!(disables.entries.len(), 1);
    assert!(disables.entries[0].undoable);
    let page1 = ws.audit(&AuditListQuery { limit: Some(2), ..Default::default() }).unwrap();
    let page2 = ws.audit(&AuditListQuery { limit: Some(2), before: page1.next, ..Default::default() }).unwrap();
    assert_eq!(page2.entries[0].action, "disable");
    assert!(page2.next.is_some());
    let created = all.entries.iter().find(|e| e.action == "create").unwrap();
    assert_eq!(ws.undo(created.seq).unwrap_err().code, ErrorCode::Usage, "creating is undone by deleting, not from the log");
}

#[test]
fn dropping_an_attribute_removes_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = open(&dir);
    ws.define_attribute("badge", "string", false).unwrap();
    ws.add_user(UserInput {
        username: "alice".into(),
        email: "alice@example.com".into(),
        attributes: roster_workspace::AttributeInput(vec![("badge".into(), "B-7".into())]),
        ..UserInput::default()
    })
    .unwrap();
    ws.drop_attribute("BADGE").unwrap();
    assert!(ws.list_attributes().unwrap().is_empty());
    assert!(ws.get_user("alice").unwrap().attributes.is_empty());
    ws.define_attribute("badge", "number", false).unwrap();
    assert!(ws.get_user("alice").unwrap().attributes.is_empty(), "the old string value does not come back as a number");
    assert_eq!(ws.drop_attribute("nope").unwrap_err().code, ErrorCode::NotFound);
}
