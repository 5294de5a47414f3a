//! Applying bulk plans, their results files, history and undo, on real workspace files.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use common::open;
use roster_core::Secret;
use roster_workspace::{
    AttributeInput, BulkApplyOptions, BulkPlan, ErrorCode, Progress, Silent, UserEditInput, UserInput, Workspace,
};

/// alice (password, Sales, Auditor, costCenter 7), bob, and 11 more users (u01..u11).
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
        password: Some(Secret::new("correct horse battery staple".into())),
        attributes: AttributeInput(vec![("costCenter".into(), "7".into())]),
    })
    .unwrap();
    ws.add_user(UserInput { username: "bob".into(), email: "bob@example.com".into(), ..UserInput::default() }).unwrap();
    ws.assign_groups("alice", &["Sales".into()]).unwrap();
    ws.change_roles("alice", &["Auditor".into()], &[]).unwrap();
    ws.assign_groups("bob", &["London".into()]).unwrap();
    for i in 1..=11 {
        ws.add_user(UserInput { username: format!("u{i:02}"), email: format!("u{i:02}@example.com"), ..UserInput::default() }).unwrap();
    }
    ws
}

/// Every user row (all columns but the version), their groups and roles, in id order.
fn state(dir: &tempfile::TempDir) -> Vec<String> {
    let c = rusqlite::Connection::open(dir.path().join("w.roster")).unwrap();
    let mut s = c
        .prepare(
            "SELECT u.id, u.seq, u.username, u.email, u.first_name, u.last_name, ifnull(u.phone, ''), u.status,
                    ifnull(u.password_hash, ''), ifnull(u.password_expires_at, ''), u.second_factor, u.mfa_enrolled,
                    ifnull(u.device_limit, ''), u.attributes, u.created_at, u.updated_at,
                    (SELECT group_concat(g.name) FROM group_members m JOIN groups g ON g.seq = m.group_seq WHERE m.user_seq = u.seq),
                    (SELECT group_concat(r.name) FROM user_roles ur JOIN roles r ON r.seq = ur.role_seq WHERE ur.user_seq = u.seq)
             FROM users u ORDER BY u.id",
        )
        .unwrap();
    let rows = s
        .query_map([], |r| {
            let cells: Vec<String> = (0..18).map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}"))).collect::<Result<_, _>>()?;
            Ok(cells.join("|"))
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// Whether `password` is the user's (argon2id hash as stored).
fn verifies(dir: &tempfile::TempDir, username: &str, password: &str) -> bool {
    let c = rusqlite::Connection::open(dir.path().join("w.roster")).unwrap();
    let phc: String = c.query_row("SELECT password_hash FROM users WHERE username = ?1", [username], |r| r.get(0)).unwrap();
    roster_core::PasswordHash::from_phc(&phc).unwrap().verify(password)
}

/// A delete of one of these 13 users is more than 5% of them: it needs the number confirmed.
fn confirm_one() -> BulkApplyOptions {
    BulkApplyOptions { skip_invalid: false, confirmed_deletes: Some(1) }
}

fn plan(ws: &Workspace, csv: &str) -> BulkPlan {
    ws.bulk_plan_bytes(csv.as_bytes().to_vec(), "people.csv", &Silent).unwrap()
}

const FILE: &str = "Action,Username,Email,First Name,Last Name,Phone,Password,Groups,Roles,Status,costCenter\n\
    add,carol,carol@example.com,Carol,Danvers,+44 20 7946 0958,Higher-further-faster-1,Sales|London,Auditor,disabled,9\n\
    update,alice,,Alicia,,<clear>,A-brand-new-passphrase-2,London,<clear>,,<clear>\n\
    delete,bob,bob@example.com,,,,,,,,\n";

#[test]
fn apply_changes_everything_in_one_batch_and_undo_restores_it_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = seeded(&dir);
    let before = state(&dir);
    let p = plan(&ws, FILE);
    assert!(!p.has_errors(), "{:?}", ws.bulk_plan_rows(&p, Some("error"), 0, 10).unwrap());
    let result = ws.bulk_apply(&p, &confirm_one(), &Silent).unwrap();
    assert_eq!((result.created, result.updated, result.deleted, result.unchanged, result.failed), (1, 1, 1, 0, 0));
    assert_eq!(result.alert.status, "not_configured");
    let batch = result.batch_id.clone().unwrap();

    let carol = ws.get_user("carol").unwrap();
    assert_eq!((carol.first_name.as_str(), carol.status, carol.phone.as_deref()), ("Carol", "disabled", Some("+442079460958")));
    assert_eq!(carol.groups, ["London", "Sales"]);
    assert_eq!(carol.roles, ["Auditor"]);
    assert_eq!(carol.attributes["costCenter"], 9.0);
    let alice = ws.get_user("alice").unwrap();
    assert_eq!((alice.first_name.as_str(), alice.phone.as_deref()), ("Alicia", None));
    assert_eq!((alice.groups.clone(), alice.roles.clone()), (vec!["London".to_owned()], vec![]));
    assert!(!alice.attributes.contains_key("costCenter"));
    assert_eq!(ws.get_user("bob").unwrap_err().code, ErrorCode::NotFound);
    // Passwords were hashed (argon2id) and verify.
    assert!(verifies(&dir, "carol", "Higher-further-faster-1"));
    assert!(verifies(&dir, "alice", "A-brand-new-passphrase-2"));
    assert!(!verifies(&dir, "alice", "correct horse battery staple"));

    let history = ws.bulk_history().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].id.as_str(), history[0].file_name.as_str(), history[0].created, history[0].actor.as_str()), (batch.as_str(), "people.csv", 1, "tester"));

    let undone = ws.bulk_undo(&batch, false, &Silent).unwrap();
    assert_eq!((undone.removed, undone.reverted, undone.restored), (1, 1, 1));
    assert_eq!(state(&dir), before, "every column, hash, group and role as before the batch");
    assert!(verifies(&dir, "alice", "correct horse battery staple"));
    assert!(ws.bulk_history().unwrap()[0].undone_at.is_some());
    let again = ws.bulk_undo(&batch, false, &Silent).unwrap_err();
    assert_eq!(again.code, ErrorCode::Conflict, "{again:?}");
    let audit = ws.audit(&Default::default()).unwrap();
    let actions: Vec<&str> = audit.entries.iter().take(2).map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["bulk_undo", "bulk_apply"]);
}

#[test]
fn undo_refuses_users_changed_since_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = seeded(&dir);
    let p = plan(&ws, FILE);
    let batch = ws.bulk_apply(&p, &confirm_one(), &Silent).unwrap().batch_id.unwrap();
    ws.edit_user("carol", UserEditInput { last_name: Some("Marvel".into()), ..UserEditInput::default() }).unwrap();
    let e = ws.bulk_undo(&batch, false, &Silent).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(e.fields.len(), 1, "{e:?}");
    assert_eq!((e.fields[0].field.as_str(), e.fields[0].code.as_str()), ("carol", "changed_since"));
    assert!(e.fields[0].message.starts_with("Row 2: carol"), "{}", e.fields[0].message);
    assert!(ws.get_user("carol").is_ok(), "nothing undone");
    let undone = ws.bulk_undo(&batch, true, &Silent).unwrap();
    assert_eq!(undone.removed, 1);
    assert_eq!(ws.get_user("carol").unwrap_err().code, ErrorCode::NotFound);
    assert!(ws.get_user("bob").is_ok());
}

#[test]
fn undo_cannot_recreate_a_user_whose_username_is_taken_since() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = seeded(&dir);
    let p = plan(&ws, "Action,Username,Email\ndelete,bob,bob@example.com\n");
    let batch = ws.bulk_apply(&p, &confirm_one(), &Silent).unwrap().batch_id.unwrap();
    ws.add_user(UserInput { username: "bob".into(), email: "bob2@example.com".into(), ..UserInput::default() }).unwrap();
    for force in [false, true] {
        let e = ws.bulk_undo(&batch, force, &Silent).unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict);
        assert_eq!((e.fields[0].field.as_str(), e.fields[0].code.as_str()), ("bob", "taken"));
    }
}

#[test]
fn rows_with_errors_are_refused_unless_skipped_and_then_reported_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = seeded(&dir);
    let file = "Action,Username,Email,Phone\nadd,dave,dave@example.com,\nadd,erin,not-an-email,\nadd,frank,frank@example.com,+1 555\n";
    let p = plan(&ws, file);
    assert_eq!((p.summary().summary.create, p.summary().summary.error), (1, 2));
    let users = ws.info().unwrap().user_count;
    let e = ws.bulk_apply(&p, &BulkApplyOptions::default(), &Silent).unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    assert_eq!(ws.info().unwrap().user_count, users, "nothing applied");

    let report = dir.path().join("refused.csv");
    ws.bulk_save_results(&p, None, false, &report).unwrap();
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.starts_with("Action,Username,Email,Phone,Result,Message\r\n"), "{text}");
    assert!(text.contains("add,dave,dave@example.com,,skipped,Not applied"), "{text}");

    let result = ws.bulk_apply(&p, &BulkApplyOptions { skip_invalid: true, confirmed_deletes: None }, &Silent).unwrap();
    assert_eq!((result.created, result.failed), (1, 2));
    assert!(ws.get_user("dave").is_ok());

    let full = dir.path().join("results.csv");
    let saved = ws.bulk_save_results(&p, Some(&result), false, &full).unwrap();
    assert_eq!(saved.rows, 3);
    let text = std::fs::read_to_string(&full).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], format!("add,dave,dave@example.com,,created,Batch {}", result.batch_id.as_deref().unwrap()));
    assert!(lines[2].starts_with("add,erin,not-an-email,,failed,\"Email: Enter an email address in the correct format"), "{}", lines[2]);
    // A phone starting with + is neutralised in the file...
    assert!(lines[3].starts_with("add,frank,frank@example.com,'+1 555,failed,\"Phone: "), "{}", lines[3]);

    let failed = dir.path().join("failed.csv");
    assert_eq!(ws.bulk_save_results(&p, Some(&result), true, &failed).unwrap().rows, 2);
    let text = std::fs::read_to_string(&failed).unwrap();
    assert_eq!(text, "Action,Username,Email,Phone\r\nadd,erin,not-an-email,\r\nadd,frank,frank@example.com,'+1 555\r\n");
    // ...and reads back as it was: fix the rows, import again.
    let fixed = text.replace("not-an-email", "erin@example.com").replace("'+1 555", "'+1 415 555 2671");
    let again = plan(&ws, &fixed);
    assert_eq!((again.summary().summary.create, again.summary().summary.error), (2, 0), "{:?}", ws.bulk_plan_rows(&again, None, 0, 5).unwrap());
}

#[test]
fn a_plan_is_refused_once_the_workspace_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = seeded(&dir);
    let p = plan(&ws, "Action,Username,Email\nadd,dave,dave@example.com\n");
    ws.edit_user("bob", UserEditInput { first_name: Some("Robert".into()), ..UserEditInput::default() }).unwrap();
    let e = ws.bulk_apply(&p, &BulkApplyOptions::default(), &Silent).unwrap_err();
    assert_eq!(e.code, ErrorCode::Stale);
    assert!(ws.get_user("dave").is_err());
    // Its rows no longer say what applying would do either.
    assert_eq!(ws.bulk_plan_rows(&p, None, 0, 10).unwrap_err().code, ErrorCode::Stale);
    let p = plan(&ws, "Action,Username,Email\nadd,dave,dave@example.com\n");
    ws.bulk_apply(&p, &BulkApplyOptions::default(), &Silent).unwrap();
}

#[test]
fn passwords_hashed_apart_apply_unless_the_workspace_changed_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = seeded(&dir);
    let file = "Action,Username,Email,Password\nadd,dave,dave@example.com,Correct-Horse-1!\n";
    let options = BulkApplyOptions::default();

    // The desktop's way: salts under the workspace, hashing without it, then the apply.
    let p = plan(&ws, file);
    let hashes = ws.bulk_passwords(&p, &options).unwrap().hash(&p, &Silent).unwrap();
    ws.bulk_apply_hashed(&p, &options, hashes, &Silent).unwrap();
    assert!(verifies(&dir, "dave", "Correct-Horse-1!"));

    // A change made while the passwords were being hashed: stale, nothing applied.
    let p = plan(&ws, &file.replace("dave", "erin"));
    let hashes = ws.bulk_passwords(&p, &options).unwrap().hash(&p, &Silent).unwrap();
    ws.edit_user("bob", UserEditInput { first_name: Some("Robert".into()), ..UserEditInput::default() }).unwrap();
    assert_eq!(ws.bulk_apply_hashed(&p, &options, hashes, &Silent).unwrap_err().code, ErrorCode::Stale);
    assert!(ws.get_user("erin").is_err());

    // Hashes made for one plan are not taken for another.
    // (Two plans of one workspace state: the rows of one are not the other's.)
    let p = plan(&ws, &file.replace("dave", "erin"));
    let other = plan(&ws, &file.replace("dave", "finn").replace("Horse-1", "Horse-2"));
    let hashes = ws.bulk_passwords(&p, &options).unwrap().hash(&p, &Silent).unwrap();
    assert_eq!(ws.bulk_apply_hashed(&other, &options, hashes, &Silent).unwrap_err().code, ErrorCode::Usage);
    assert_eq!(ws.bulk_passwords(&p, &options).unwrap().hash(&other, &Silent).unwrap_err().code, ErrorCode::Usage);
    assert!(ws.get_user("finn").is_err());
}

#[test]
fn many_deletes_need_the_number_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = seeded(&dir);
    let mut file = String::from("Action,Username,Email\n");
    for i in 1..=11 {
        file.push_str(&format!("delete,u{i:02},u{i:02}@example.com\n"));
    }
    let p = plan(&ws, &file);
    assert!(p.summary().deletes_need_confirmation);
    for confirmed in [None, Some(10)] {
        let e = ws.bulk_apply(&p, &BulkApplyOptions { skip_invalid: false, confirmed_deletes: confirmed }, &Silent).unwrap_err();
        assert_eq!((e.code, e.fields[0].code.as_str()), (ErrorCode::Validation, "confirmation_required"));
    }
    let r = ws.bulk_apply(&p, &BulkApplyOptions { skip_invalid: false, confirmed_deletes: Some(11) }, &Silent).unwrap();
    assert_eq!(r.deleted, 11);
    // 5% of the workspace: 1 of the 2 users left is more than 5%.
    let p = plan(&ws, "Action,Username,Email\ndelete,bob,bob@example.com\n");
    assert!(p.summary().deletes_need_confirmation);
}

/// Cancels once the work has started.
struct CancelAfterStart(AtomicU64);
impl Progress for CancelAfterStart {
    fn update(&self, _done: u64, _total: u64) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 0
    }
}

#[test]
fn cancelling_an_apply_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = seeded(&dir);
    let before = state(&dir);
    let mut file = String::from("Action,Username,Email,Password\n");
    for i in 0..5000 {
        file.push_str(&format!("add,new{i},new{i}@example.com,{}\n", if i < 3 { "A-long-enough-passphrase" } else { "" }));
    }
    let p = plan(&ws, &file);
    let e = ws.bulk_apply(&p, &BulkApplyOptions::default(), &CancelAfterStart(AtomicU64::new(0))).unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled);
    assert_eq!(state(&dir), before);
    assert!(ws.bulk_history().unwrap().is_empty());
    // The same plan still applies: nothing was changed.
    let r = ws.bulk_apply(&p, &BulkApplyOptions::default(), &Silent).unwrap();
    assert_eq!(r.created, 5000);
    assert!(verifies(&dir, "new2", "A-long-enough-passphrase"));
}

#[test]
fn pages_filter_by_outcome_and_next_error_wraps() {
    let dir = tempfile::tempdir().unwrap();
    let ws = seeded(&dir);
    let file = "Action,Username,Email\nadd,n1,n1@example.com\nadd,n2,bad\nupdate,alice,\nadd,n3,n3@example.com\nfrobnicate,x,\n";
    let p = plan(&ws, file);
    let errors = ws.bulk_plan_rows(&p, Some("error"), 0, 50).unwrap();
    assert_eq!(errors.total, 2);
    assert_eq!(errors.rows.iter().map(|r| r.row).collect::<Vec<_>>(), [3, 6]);
    assert_eq!(errors.rows[1].problems[0].code, "unknown_action");
    let creates = ws.bulk_plan_rows(&p, Some("create"), 1, 50).unwrap();
    assert_eq!((creates.total, creates.rows.len(), creates.rows[0].row), (2, 1, 5));
    assert_eq!(ws.bulk_plan_rows(&p, Some("unchanged"), 0, 50).unwrap().rows[0].row, 4);
    assert_eq!(ws.bulk_plan_rows(&p, Some("nonsense"), 0, 5).unwrap_err().code, ErrorCode::Usage);
    let first = p.next_error(0).unwrap();
    assert_eq!((first.row, first.index, first.error_index), (3, 1, 0));
    let second = p.next_error(3).unwrap();
    assert_eq!((second.row, second.index, second.error_index), (6, 4, 1));
    assert_eq!(p.next_error(6).unwrap().row, 3, "wraps to the first");
    // Deterministic: the same file plans the same.
    assert_eq!(ws.bulk_plan_rows(&plan(&ws, file), None, 0, 50).unwrap(), ws.bulk_plan_rows(&p, None, 0, 50).unwrap());
}

#[test]
fn batches_undone_newest_first_need_no_force() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = seeded(&dir);
    let before = state(&dir);
    let first = ws.bulk_apply(&plan(&ws, "Action,Username,Email\nadd,carol,carol@example.com\n"), &BulkApplyOptions::default(), &Silent).unwrap();
    let second = ws
        .bulk_apply(&plan(&ws, "Action,Username,Email,First Name\nupdate,carol,,Caroline\ndelete,bob,bob@example.com,\n"), &confirm_one(), &Silent)
        .unwrap();
    let after_first_only = {
        // What the workspace looked like between the two batches, to compare with below.
        let tmp = tempfile::tempdir().unwrap();
        let mut w = seeded(&tmp);
        w.bulk_apply(&plan(&w, "Action,Username,Email\nadd,carol,carol@example.com\n"), &BulkApplyOptions::default(), &Silent).unwrap();
        state(&tmp).len()
    };
    ws.bulk_undo(second.batch_id.as_deref().unwrap(), false, &Silent).unwrap();
    assert_eq!(state(&dir).len(), after_first_only);
    assert_eq!(ws.get_user("carol").unwrap().first_name, "");
    // The second undo put carol back exactly as the first batch left her (version too).
    ws.bulk_undo(first.batch_id.as_deref().unwrap(), false, &Silent).unwrap();
    assert_eq!(state(&dir), before);
}

#[test]
fn undo_works_through_big_batches_a_range_of_rows_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = seeded(&dir);
    let before = state(&dir);
    let mut adds = String::from("Action,Username,Email\n");
    for i in 0..21_000 {
        adds.push_str(&format!("add,big{i},big{i}@example.com\n"));
    }
    let created = ws.bulk_apply(&plan(&ws, &adds), &BulkApplyOptions::default(), &Silent).unwrap();
    assert_eq!(created.created, 21_000);
    let mut updates = String::from("Action,Username,Email,First Name\n");
    for i in (0..21_000).step_by(2) {
        updates.push_str(&format!("update,big{i},,Even\n"));
    }
    let updated = ws.bulk_apply(&plan(&ws, &updates), &BulkApplyOptions::default(), &Silent).unwrap();
    assert_eq!(updated.updated, 10_500);
    let u = ws.bulk_undo(updated.batch_id.as_deref().unwrap(), false, &Silent).unwrap();
    assert_eq!(u.reverted, 10_500);
    assert_eq!(ws.get_user("big20998").unwrap().first_name, "");
    let u = ws.bulk_undo(created.batch_id.as_deref().unwrap(), false, &Silent).unwrap();
    assert_eq!(u.removed, 21_000);
    assert_eq!(state(&dir), before);
}
