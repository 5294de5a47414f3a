//! Store tests on real SQLite files.

use std::collections::HashSet;

use roster_core::{
    AttributeDefinition, AttributeName, AttributeType, AuditAction, AuditEntity, GroupName, Region, RoleName, Salt,
    Settings, User, UserDraft, UserId, UserStatus,
};
use roster_store::{AuditRecord, Cursor, Direction, SortKey, Store, StoreError, UniqueField, UserFilter, UserQuery, SCHEMA_VERSION};

const NOW: time::OffsetDateTime = time::macros::datetime!(2026-11-29 10:00 UTC);

fn workspace() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("w.roster")).unwrap();
    (dir, store)
}

fn user(n: u32, username: &str, first: &str, last: &str) -> User {
    UserDraft {
        username: username.into(),
        email: format!("{username}@example.com"),
        first_name: first.into(),
        last_name: last.into(),
        phone: if n.is_multiple_of(2) { "+1 415 555 2671".into() } else { String::new() },
        ..UserDraft::default()
    }
    .parse(&Settings::default(), &[])
    .unwrap()
    .into_user(UserId::from_random_bytes([n as u8; 16].map(|b| b ^ (n >> 8) as u8)), NOW, Salt([0; 16]))
}

fn insert(store: &mut Store, users: &[User]) {
    store.write(|w| users.iter().try_for_each(|u| w.insert_user(u))).map_err(|e: StoreError| e).unwrap();
}

#[test]
fn a_user_round_trips_with_every_field() {
    let (_d, mut store) = workspace();
    let def = AttributeDefinition { name: AttributeName::parse("costCenter").unwrap(), kind: AttributeType::Number, required: false };
    let mut u = UserDraft {
        username: "alice".into(),
        email: "Alice@Example.com".into(),
        first_name: "Zoë".into(),
        last_name: "Liddell".into(),
        phone: "07400 123456".into(),
        attributes: vec![("costCenter".into(), "42.5".into())],
        ..UserDraft::default()
    }
    .parse(&Settings { default_region: Region::parse("GB").unwrap(), ..Settings::default() }, std::slice::from_ref(&def))
    .unwrap()
    .into_user(UserId::from_random_bytes([9; 16]), NOW, Salt([0; 16]));
    u.status = UserStatus::Disabled;
    u.password_expires_at = Some(time::macros::date!(2027 - 01 - 31));
    u.device_limit = Some(roster_core::DeviceLimit::new(3).unwrap());
    let group = GroupName::parse("Sales").unwrap();
    let role = RoleName::parse("Helpdesk").unwrap();
    store
        .write(|w| {
            w.define_attribute(&def, NOW)?;
            w.insert_user(&u)?;
            w.insert_group(&roster_store::NewGroup { id: "g1", name: &group, description: "", at: NOW })?;
            w.add_member(&group, &u.id)?;
            w.insert_role(&role, "", NOW)?;
            w.assign_role(&role, &u.id)
        })
        .map_err(|e: StoreError| e)
        .unwrap();
    let back = store.reader().user_by_username("ALICE").unwrap().expect("found regardless of case");
    let mut expected = u.clone();
    expected.groups = vec![group];
    expected.roles = vec![role];
    assert_eq!(back, expected);
    assert_eq!(back.phone.unwrap().as_e164(), "+447400123456");
    assert_eq!(store.reader().username_with_email("alice@EXAMPLE.com").unwrap().as_deref(), Some("alice"));
}

#[test]
fn unique_username_and_email_ignore_case() {
    let (_d, mut store) = workspace();
    insert(&mut store, &[user(1, "alice", "", "")]);
    let mut same_name = user(2, "ALICE", "", "");
    same_name.email = roster_core::Email::parse("other@example.com").unwrap();
    let err = store.write(|w| w.insert_user(&same_name)).unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(UniqueField::Username)), "{err:?}");
    let mut same_mail = user(3, "bob", "", "");
    same_mail.email = roster_core::Email::parse("ALICE@example.COM").unwrap();
    let err = store.write(|w| w.insert_user(&same_mail)).unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(UniqueField::Email)), "{err:?}");
    assert_eq!(store.reader().user_count().unwrap(), 1, "failed writes left nothing behind");
}

#[test]
fn a_failed_write_rolls_back_everything() {
    let (_d, mut store) = workspace();
    let result: Result<(), StoreError> = store.write(|w| {
        w.insert_user(&user(1, "alice", "", ""))?;
        w.insert_user(&user(2, "alice", "", "")) // duplicate: the whole transaction goes
    });
    assert!(result.is_err());
    assert_eq!(store.reader().user_count().unwrap(), 0);
}

#[test]
fn update_checks_the_version() {
    let (_d, mut store) = workspace();
    let u = user(1, "alice", "Alice", "");
    insert(&mut store, std::slice::from_ref(&u));
    let mut next = u.clone();
    next.last_name = roster_core::PersonName::parse_optional("Smith", "lastName", "Last name").unwrap();
    next.version = 2;
    assert!(!store.write(|w| w.update_user(&next, 7)).map_err(|e: StoreError| e).unwrap(), "wrong version writes nothing");
    assert!(store.write(|w| w.update_user(&next, 1)).map_err(|e: StoreError| e).unwrap());
    let back = store.reader().user_by_username("alice").unwrap().unwrap();
    assert_eq!(back.version, 2);
    assert_eq!(back.last_name.unwrap().as_str(), "Smith");
    // The search index follows the update.
    let q = UserQuery { filter: UserFilter { search: Some("smi".into()), ..UserFilter::default() }, limit: 10, ..UserQuery::default() };
    assert_eq!(store.reader().list_users(&q).unwrap().users.len(), 1);
}

fn all_pages(store: &Store, mut q: UserQuery) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let page = store.reader().list_users(&q).unwrap();
        assert!(page.users.len() <= q.limit);
        seen.extend(page.users.iter().map(|u| u.username.to_string()));
        match page.next {
            Some(c) => {
                // Cursors go through their text form, as the CLI and the UI pass them.
                q.after = Some(Cursor::decode(&c.encode(), q.sort, q.direction).unwrap());
            }
            None => return seen,
        }
    }
}

#[test]
fn keyset_pages_cover_every_user_once_in_order() {
    let (_d, mut store) = workspace();
    let lasts = ["Smith", "jones", "Brown", "smith", "Ng", ""];
    let users: Vec<User> = (0..57).map(|i| user(i, &format!("user{i:02}"), &format!("F{}", i % 7), lasts[i as usize % lasts.len()])).collect();
    insert(&mut store, &users);
    for sort in [SortKey::Username, SortKey::Email, SortKey::FirstName, SortKey::LastName, SortKey::CreatedAt] {
        for direction in [Direction::Asc, Direction::Desc] {
            let q = UserQuery { sort, direction, limit: 10, ..UserQuery::default() };
            let got = all_pages(&store, q);
            let mut expected: Vec<&User> = users.iter().collect();
            let key = |u: &User| -> String {
                match sort {
                    SortKey::Username => u.username.as_str().to_lowercase(),
                    SortKey::Email => u.email.as_str().to_lowercase(),
                    SortKey::FirstName => u.first_name.as_ref().map(|n| n.as_str().to_lowercase()).unwrap_or_default(),
                    SortKey::LastName => u.last_name.as_ref().map(|n| n.as_str().to_lowercase()).unwrap_or_default(),
                    SortKey::CreatedAt => String::new(),
                }
            };
            // Ties break on creation order, in the same direction.
            expected.sort_by_key(|u| (key(u), users.iter().position(|x| x.id == u.id)));
            if direction == Direction::Desc {
                expected.reverse();
            }
            let expected: Vec<String> = expected.iter().map(|u| u.username.to_string()).collect();
            assert_eq!(got, expected, "{sort:?} {direction:?}");
        }
    }
}

#[test]
fn filters_and_search() {
    let (_d, mut store) = workspace();
    let mut users = vec![
        user(1, "alice.smith", "Alice", "Smith"),
        user(2, "bob.jones", "Bob", "Jones"),
        user(3, "carol", "Carol", "Smithers"),
        user(4, "dave", "Dave", "Brown"),
    ];
    users[1].status = UserStatus::Disabled;
    users[3].password = Some(roster_core::Password::parse("correct horse battery", Default::default(), &[]).unwrap().hash(Salt([1; 16])));
    insert(&mut store, &users);
    let names = |filter: UserFilter| -> Vec<String> {
        let q = UserQuery { filter, limit: 50, ..UserQuery::default() };
        store.reader().list_users(&q).unwrap().users.iter().map(|u| u.username.to_string()).collect()
    };
    let search = |s: &str| names(UserFilter { search: Some(s.into()), ..UserFilter::default() });
    assert_eq!(search("smi"), ["alice.smith", "carol"], "prefix of a last name, and a word of a username");
    assert_eq!(search("SMITH"), ["alice.smith", "carol"]);
    assert_eq!(search("smithers"), ["carol"]);
    assert_eq!(search("bob example"), ["bob.jones"], "every word must match");
    assert_eq!(search("4155"), ["bob.jones", "dave"], "phone digits");
    assert!(search("zzz").is_empty());
    assert_eq!(search(" \" * "), ["alice.smith", "bob.jones", "carol", "dave"], "no words: no filter, and no FTS syntax error");
    assert_eq!(names(UserFilter { status: Some(UserStatus::Disabled), ..UserFilter::default() }), ["bob.jones"]);
    assert_eq!(names(UserFilter { onboarded: Some(true), ..UserFilter::default() }), ["dave"]);
    assert_eq!(names(UserFilter { onboarded: Some(false), search: Some("smi".into()), ..UserFilter::default() }), ["alice.smith", "carol"]);
}

#[test]
fn deleting_a_user_takes_its_search_entry_and_memberships() {
    let (_d, mut store) = workspace();
    let u = user(1, "alice", "Alice", "Smith");
    let g = GroupName::parse("Sales").unwrap();
    store
        .write(|w| {
            w.insert_user(&u)?;
            w.insert_group(&roster_store::NewGroup { id: "g", name: &g, description: "", at: NOW })?;
            w.add_member(&g, &u.id)
        })
        .map_err(|e: StoreError| e)
        .unwrap();
    assert!(store.write(|w| w.delete_user(&u.id)).map_err(|e: StoreError| e).unwrap());
    let q = UserQuery { filter: UserFilter { search: Some("alice".into()), ..Default::default() }, limit: 5, ..Default::default() };
    assert!(store.reader().list_users(&q).unwrap().users.is_empty());
    assert!(!store.write(|w| w.delete_user(&u.id)).map_err(|e: StoreError| e).unwrap(), "second delete finds nothing");
}

#[test]
fn audit_entries_are_append_only() {
    let (dir, mut store) = workspace();
    store
        .write(|w| {
            w.append_audit(&AuditRecord {
                at: NOW,
                actor: "admin",
                entity: AuditEntity::User,
                entity_id: "u1",
                subject: "alice",
                action: AuditAction::Create.as_str(),
                summary: "Added alice",
                before: None,
                after: Some("{\"username\":\"alice\"}".into()),
            })
        })
        .map_err(|e: StoreError| e)
        .unwrap();
    let rows = store.reader().audit_entries(Some("u1"), 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].action, "create");
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("w.roster")).unwrap();
    let upd = conn.execute("UPDATE audit_log SET summary = 'x'", []).unwrap_err();
    assert!(upd.to_string().contains("never changed"), "{upd}");
    let del = conn.execute("DELETE FROM audit_log", []).unwrap_err();
    assert!(del.to_string().contains("never removed"), "{del}");
}

#[test]
fn settings_round_trip() {
    let (_d, mut store) = workspace();
    assert_eq!(store.reader().settings().unwrap(), Settings::default());
    let s = Settings { default_region: Region::parse("DE").unwrap(), auto_send_reset_mail: true, ..Settings::default() };
    store.write(|w| w.save_settings(&s)).map_err(|e: StoreError| e).unwrap();
    assert_eq!(store.reader().settings().unwrap(), s);
}

#[test]
fn opening_again_is_idempotent_and_sets_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/w.roster");
    let mut s = Store::open(&path).unwrap();
    insert(&mut s, &[user(1, "alice", "", "")]);
    drop(s);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.reader().user_count().unwrap(), 1);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let v: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(v, SCHEMA_VERSION);
}

#[test]
fn a_newer_workspace_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.roster");
    drop(Store::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert!(matches!(err, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 1), "{err:?}");
    assert!(err.to_string().contains("newer version of Roster"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file is left exactly as it was");
}

#[test]
fn other_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.execute("CREATE TABLE t (x)", []).unwrap();
    }
    assert!(matches!(Store::open(&other), Err(StoreError::NotAWorkspace { .. })));
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello, this is not sqlite at all, just some text that is long enough").unwrap();
    let err = Store::open(&text).err().expect("refused");
    assert!(matches!(err, StoreError::NotAWorkspace { .. }), "{err:?}");
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "hello, this is not sqlite at all, just some text that is long enough");
}

#[test]
fn ids_stay_unique() {
    let ids: HashSet<String> = (0..57).map(|i| user(i, "x", "", "").id.to_string()).collect();
    assert_eq!(ids.len(), 57, "test fixture ids must differ");
}

/// Searches page correctly in every sort and direction, through both search plans: a term
/// with many matches (walks the sort index) and one with few (sorts the matches).
#[test]
fn searched_pages_follow_the_sort_in_both_plans() {
    let (_d, mut store) = workspace();
    let firsts = ["Anna", "anton", "Bea", "Zed", "Ánnika"];
    // More than 2000 "common" matches, so that plan walks a cached sort order.
    let n = 2800u32;
    let users: Vec<User> = (0..n)
        .map(|i| {
            // "common" is in 3 of 4 last names: many matches. "rare" in 1 of 25: few.
            let last = if i % 25 == 0 { format!("Rare{}", i % 3) } else if i % 4 != 0 { format!("Common{}", i % 5) } else { "Other".into() };
            let mut u = user(i, &format!("u{:04}", (i * 37) % n), firsts[i as usize % firsts.len()], &last);
            u.id = UserId::from_random_bytes([(i % 256) as u8, (i / 256) as u8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
            if i % 7 == 0 {
                u.status = UserStatus::Disabled;
            }
            u
        })
        .collect();
    insert(&mut store, &users);
    for term in ["common", "rare"] {
        for status in [None, Some(UserStatus::Disabled)] {
            for sort in [SortKey::Username, SortKey::Email, SortKey::FirstName, SortKey::LastName, SortKey::CreatedAt] {
                for direction in [Direction::Asc, Direction::Desc] {
                    let q = UserQuery {
                        filter: UserFilter { search: Some(term.into()), status, ..UserFilter::default() },
                        sort,
                        direction,
                        limit: 97,
                        after: None,
                    };
                    let got = all_pages(&store, q);
                    let mut expected: Vec<(String, usize, String)> = users
                        .iter()
                        .enumerate()
                        .filter(|(_, u)| u.last_name.as_ref().is_some_and(|l| l.as_str().to_lowercase().starts_with(term)))
                        .filter(|(_, u)| status.is_none_or(|s| u.status == s))
                        .map(|(i, u)| {
                            let key = match sort {
                                SortKey::Username => u.username.as_str().to_owned(),
                                SortKey::Email => u.email.as_str().to_owned(),
                                SortKey::FirstName => u.first_name.as_ref().unwrap().as_str().to_owned(),
                                SortKey::LastName => u.last_name.as_ref().unwrap().as_str().to_owned(),
                                SortKey::CreatedAt => String::new(),
                            };
                            // NOCASE: ASCII folded, other bytes as they are.
                            (key.bytes().map(|b| b.to_ascii_lowercase() as char).collect::<String>(), i, u.username.to_string())
                        })
                        .collect();
                    expected.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.cmp(&b.1)));
                    if direction == Direction::Desc {
                        expected.reverse();
                    }
                    let expected: Vec<String> = expected.into_iter().map(|e| e.2).collect();
                    assert!(!expected.is_empty());
                    assert_eq!(got, expected, "search {term:?} {status:?} {sort:?} {direction:?}");
                }
            }
        }
    }
}

#[test]
fn a_linked_workspace_queues_every_change_once_per_resource_and_a_merge_queues_nothing() {
    let (_d, mut store) = workspace();
    let ok = |r: Result<(), StoreError>| r.unwrap();
    // Not linked: changes queue nothing.
    insert(&mut store, &[user(1, "ann", "Ann", "A")]);
    ok(store.write(|w| w.insert_remote("corp", "https://scim.example.com/v2", false, NOW)));
    assert_eq!(store.reader().sync_counts().unwrap(), (0, 0));
    assert!(store.reader().linked_remote().unwrap().is_none());

    ok(store.write(|w| w.link_remote("CORP").map(|linked| assert!(linked))));
    assert_eq!(store.reader().linked_remote().unwrap().unwrap().name, "corp");
    let bob = user(2, "bob", "Bob", "B");
    insert(&mut store, std::slice::from_ref(&bob));
    let mut edited = bob.clone();
    edited.first_name = roster_core::PersonName::parse_optional("Robert", "first name", "firstName").unwrap();
    edited.version += 1;
    ok(store.write(|w| w.update_user(&edited, bob.version).map(|done| assert!(done))));
    let pending = store.reader().pending_changes(0, 10).unwrap();
    assert_eq!(pending.len(), 1, "two changes to bob, one pending row");
    assert_eq!((pending[0].entity.as_str(), pending[0].local_id.as_str(), pending[0].op.as_str(), pending[0].rev), ("user", bob.id.to_string().as_str(), "upsert", 2));

    // A push that read revision 1 does not remove a row changed since; revision 2 does.
    ok(store.write(|w| w.pending_done(pending[0].seq, 1).map(|done| assert!(!done))));
    ok(store.write(|w| w.pending_done(pending[0].seq, 2).map(|done| assert!(done))));

    // Group membership queues the group; deleting a user queues a delete.
    let sales = GroupName::parse("Sales").unwrap();
    ok(store.write(|w| {
        w.insert_group(&roster_store::NewGroup { id: "g-1", name: &sales, description: "", at: NOW })?;
        w.add_member(&sales, &bob.id)
    }));
    ok(store.write(|w| w.delete_user(&bob.id).map(|_| ())));
    let ops: Vec<(String, String)> = store.reader().pending_changes(0, 10).unwrap().into_iter().map(|p| (p.entity, p.op)).collect();
    assert_eq!(ops, [("group".to_owned(), "upsert".to_owned()), ("user".to_owned(), "delete".to_owned())]);

    // What a pull merges is the remote's own state: nothing queues.
    let carl = user(3, "carl", "Carl", "C");
    ok(store.write(|w| w.merging(|w| w.insert_user(&carl))));
    assert_eq!(store.reader().sync_counts().unwrap(), (2, 0));
    insert(&mut store, &[user(4, "dee", "Dee", "D")]);
    assert_eq!(store.reader().sync_counts().unwrap(), (3, 0), "the merge switched the queue back on");

    // Removing the linked remote forgets its queue.
    ok(store.write(|w| w.delete_remote("corp").map(|gone| assert!(gone))));
    assert_eq!(store.reader().sync_counts().unwrap(), (0, 0));
}
