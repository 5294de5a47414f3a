//! The history of pushes and their results per operation: two real pushes to scim2-server (one
//! with an operation the server refuses) listed newest first, filtered by result and exported
//! as CSV; a push that never finished (as a crash leaves it, written straight into the file)
//! shown as interrupted, its 2,500 results read a page at a time, and the CSV's quoting and
//! formula guard checked byte for byte.
//!
//! The bearer token goes to the OS keyring (run through scripts/test, which provides one).

mod common;
#[path = "../../scim/tests/common/mod.rs"]
mod scim_server;

use roster_core::Secret;
use roster_scim::USER_SCHEMA;
use roster_workspace::{ErrorCode, PushResultFilter, RemoteInput, Silent, UserEditInput, UserInput, Workspace, PUSH_RESULTS_CSV_HEADER};
use scim_server::{ScimServer, ServerOptions, TOKEN};
use serde_json::json;

fn add(ws: &mut Workspace, username: &str) {
    ws.add_user(UserInput {
        username: username.into(),
        email: format!("{username}@example.com"),
        first_name: username.to_uppercase(),
        last_name: "Local".into(),
        ..UserInput::default()
    })
    .unwrap();
}

/// Cells of RFC 4180 CSV text (quoted cells may hold commas, doubled quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted, mut chars) = (Vec::new(), String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => assert_eq!(chars.next(), Some('\n'), "a record ends with CRLF"),
            (false, '\n') => panic!("a bare LF outside quotes"),
            (false, c) => cell.push(c),
        }
        if !quoted && c == '\r' {
            row.push(std::mem::take(&mut cell));
            rows.push(std::mem::take(&mut row));
        }
    }
    assert!(cell.is_empty() && row.is_empty(), "the text ends with a whole record");
    rows
}

#[test]
fn every_push_is_kept_listed_newest_first_filtered_and_exported() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let (status, body) = server.raw(
        "POST",
        "/Users",
        Some(&json!({"schemas": [USER_SCHEMA], "userName": "dup", "emails": [{"value": "dup@example.org", "primary": true}]})),
    );
    assert_eq!(status, 201, "{body}");

    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::open(&dir);
    assert_eq!(ws.sync_push_results(None, None, 0, 10).unwrap_err().code, ErrorCode::NotFound, "no push yet");
    assert!(ws.sync_pushes(10, None).unwrap().is_empty());
    ws.remote_add(RemoteInput { name: "idp".into(), url: server.base_url(), token: Some(Secret::new(TOKEN.to_owned())), ..RemoteInput::default() })
        .unwrap();

    add(&mut ws, "ada");
    add(&mut ws, "bob");
    let first = ws.sync_push(&Silent).unwrap();
    assert_eq!((first.done, first.failed), (2, 0), "{first:?}");

    add(&mut ws, "dup");
    ws.edit_user("ada", UserEditInput { first_name: Some("Adeline".into()), ..UserEditInput::default() }).unwrap();
    let second = ws.sync_push(&Silent).unwrap();
    assert_eq!((second.done, second.failed), (1, 1), "the server already has a dup: {second:?}");

    let pushes = ws.sync_pushes(10, None).unwrap();
    assert_eq!(pushes.iter().map(|p| p.id).collect::<Vec<_>>(), [second.push, first.push], "newest first");
    let p = &pushes[0];
    assert_eq!((p.remote.as_str(), p.done, p.failed, p.conflicts, p.not_sent, p.operations), ("idp", 1, 1, 0, 0, 2));
    assert!(!p.interrupted && p.finished_at.is_some(), "{p:?}");
    assert_eq!(ws.sync_pushes(10, Some(second.push)).unwrap().iter().map(|p| p.id).collect::<Vec<_>>(), [first.push], "older than the second");
    assert_eq!(ws.sync_pushes(1, None).unwrap().len(), 1);

    let last = ws.sync_push_results(None, None, 0, 100).unwrap();
    assert_eq!((last.push.id, last.total, last.results.len(), last.only.as_deref()), (second.push, 2, 2, None), "the last push by default");
    let failed = ws.sync_push_results(None, Some(PushResultFilter::Failed), 0, 100).unwrap();
    assert_eq!(failed.total, 1);
    let f = &failed.results[0];
    assert_eq!((f.name.as_str(), f.method.as_str(), f.result.as_str(), failed.only.as_deref()), ("dup", "POST", "failed", Some("failed")));
    assert!(f.status.is_some_and(|s| s >= 400) && !f.message.is_empty(), "the server's refusal is kept: {f:?}");
    let done_first = ws.sync_push_results(Some(first.push), Some(PushResultFilter::Done), 0, 100).unwrap();
    assert_eq!(done_first.results.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["ada", "bob"]);
    let missing = ws.sync_push_results(Some(second.push + 100), None, 0, 10).unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);

    let path = dir.path().join("push.csv");
    let saved = ws.sync_push_results_save(Some(second.push), None, &path).unwrap();
    assert_eq!((saved.push, saved.rows), (second.push, 2));
    let rows = parse_csv(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(rows[0], PUSH_RESULTS_CSV_HEADER);
    assert_eq!(rows.len(), 3, "a header and one row per operation: {rows:?}");
    for (row, r) in rows[1..].iter().zip(&last.results) {
        let status = r.status.map(|s| s.to_string()).unwrap_or_default();
        assert_eq!(
            row,
            &[r.n.to_string(), r.entity.clone(), r.name.clone(), r.local_id.clone(), r.method.clone(), status, r.result.clone(), r.message.clone()]
        );
    }
    let only_failed = ws.sync_push_results_save(None, Some(PushResultFilter::Failed), &path).unwrap();
    assert_eq!(only_failed.rows, 1);
    assert_eq!(parse_csv(&std::fs::read_to_string(&path).unwrap()).len(), 2, "the file is replaced, not appended to");
    let unwritable = ws.sync_push_results_save(None, None, &dir.path().join("no/such/folder/x.csv")).unwrap_err();
    assert_eq!(unwritable.code, ErrorCode::Validation);
}

#[test]
fn a_push_that_never_finished_is_interrupted_and_its_results_come_a_page_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    drop(common::open(&dir));
    {
        // What a push killed mid-way leaves: its row without finished_at, and the results of
        // the chunks it recorded.
        let mut db = rusqlite::Connection::open(dir.path().join("w.roster")).unwrap();
        let tx = db.transaction().unwrap();
        tx.execute("INSERT INTO sync_pushes (remote, started_at) VALUES ('idp', '2026-11-29T09:00:00Z')", []).unwrap();
        let push = tx.last_insert_rowid();
        let mut insert = tx
            .prepare("INSERT INTO sync_push_results (push_seq, n, entity, local_id, name, method, status, result, message) VALUES (?1, ?2, 'user', ?3, ?4, 'POST', ?5, ?6, ?7)")
            .unwrap();
        for n in 1..=2500i64 {
            let (status, result, message) = match n {
                1..=2000 => (Some(201), "done", String::new()),
                2500 => (Some(400), "failed", "=HYPERLINK(\"x\"), said the server;\nthen it stopped".to_owned()),
                _ => (None, "not_sent", String::new()),
            };
            insert.execute(rusqlite::params![push, n, format!("id-{n}"), format!("user-{n}"), status, result, message]).unwrap();
        }
        drop(insert);
        tx.commit().unwrap();
    }
    let ws = common::open(&dir);

    let pushes = ws.sync_pushes(20, None).unwrap();
    assert_eq!(pushes.len(), 1);
    let p = &pushes[0];
    assert!(p.interrupted && p.finished_at.is_none(), "never finished: {p:?}");
    assert_eq!((p.done, p.failed, p.conflicts, p.not_sent, p.operations), (2000, 1, 0, 499, 2500), "counted from the recorded results");

    let page = ws.sync_push_results(Some(p.id), None, 0, 5000).unwrap();
    assert_eq!((page.total, page.results.len(), page.results[0].n), (2500, 1000, 1), "at most 1,000 a page");
    let tail = ws.sync_push_results(Some(p.id), None, 2000, 1000).unwrap();
    assert_eq!((tail.offset, tail.results.len(), tail.results.last().unwrap().n), (2000, 500, 2500));
    let not_sent = ws.sync_push_results(Some(p.id), Some(PushResultFilter::NotSent), 100, 50).unwrap();
    assert_eq!((not_sent.total, not_sent.results.len(), not_sent.results[0].n), (499, 50, 2101));
    assert!(not_sent.results.iter().all(|r| r.result == "not_sent" && r.status.is_none()));

    let mut out = Vec::new();
    assert_eq!(ws.sync_push_results_csv(None, Some(PushResultFilter::Failed), &mut out).unwrap(), 1);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "N,Entity,Name,Local id,Method,Status,Result,Message\r\n\
         2500,user,user-2500,id-2500,POST,400,failed,\"'=HYPERLINK(\"\"x\"\"), said the server;\nthen it stopped\"\r\n",
        "RFC 4180 quoting, the formula neutralised"
    );
    let mut all = Vec::new();
    assert_eq!(ws.sync_push_results_csv(Some(p.id), None, &mut all).unwrap(), 2500);
    let rows = parse_csv(&String::from_utf8(all).unwrap());
    assert_eq!(rows.len(), 2501);
    assert_eq!(rows[2001], ["2001", "user", "user-2001", "id-2001", "POST", "", "not_sent", ""]);
}

#[test]
fn result_filters_parse_from_their_names() {
    assert_eq!(PushResultFilter::parse("not-sent").unwrap(), PushResultFilter::NotSent);
    assert_eq!(PushResultFilter::parse(" Conflict ").unwrap(), PushResultFilter::Conflict);
    assert_eq!(PushResultFilter::parse("FAILED").unwrap().as_str(), "failed");
    assert_eq!(PushResultFilter::parse("sent").unwrap_err().code, ErrorCode::Usage);
}
