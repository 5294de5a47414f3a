//! Remote profiles and the change queue of a linked workspace (no server needed here: the
//! SCIM traffic is tested in crates/scim and the sync tests).

mod common;

use roster_workspace::{ErrorCode, RemoteInput, UserInput};

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
    assert_eq!(corp.url, "https://idp.example.com/scim/v2");
    assert_eq!(ws.remote_add(remote("CORP", "https://other.example.com")).unwrap_err().code, ErrorCode::Conflict);

    ws.add_user(UserInput { username: "ann".into(), email: "ann@example.com".into(), ..UserInput::default() }).unwrap();
    ws.disable_user("ann").unwrap();
    ws.add_group("Sales", "").unwrap();
    ws.change_group_members("Sales", &["ann".to_owned()], &[]).unwrap();
    let status = ws.sync_status().unwrap();
    assert_eq!((status.remote.as_deref(), status.pending, status.conflicts), (Some("corp"), 2, 0), "ann and Sales, whatever the number of changes");

    let lab = ws.remote_add(remote("lab", "http://127.0.0.1:8000")).unwrap();
    assert!(!lab.linked, "the first remote stays linked");
    assert_eq!(ws.remote_list().unwrap().iter().map(|r| (r.name.as_str(), r.linked)).collect::<Vec<_>>(), [("corp", true), ("lab", false)]);
    ws.remote_link("lab").unwrap();
    assert_eq!(ws.sync_status().unwrap().pending, 0, "a new link starts from a pull, not from the old remote's queue");
    ws.remote_remove("lab").unwrap();
    assert_eq!(ws.sync_status().unwrap().remote, None);
    assert_eq!(ws.remote_show("lab").unwrap_err().code, ErrorCode::NotFound);
}
