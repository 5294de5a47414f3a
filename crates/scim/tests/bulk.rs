//! Many operations against a real scim2-server: /Bulk in chunks within its limits, bulkId
//! references within and across chunks, per-operation results, and concurrent single
//! requests when the server has no /Bulk. The server's state is checked afterwards.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{test_user, ScimServer, ServerOptions};
use roster_scim::{
    BulkMode, BulkOperation, BulkOptions, BulkProgress, Group, Outcome, PatchOp, Reference,
    RosterUser, ScimErrorCode, User, ROSTER_USER_SCHEMA,
};
use serde_json::{json, Value};

/// `n` new users (bulkId `u{i}`), then a group of three of them named by bulkId: the first,
/// the middle and the last, so with chunks of 1000 its references reach back two chunks.
fn users_and_a_group(n: usize, extension: bool) -> Vec<BulkOperation> {
    let mut ops: Vec<BulkOperation> = (0..n)
        .map(|i| {
            let mut user = test_user("bulk", i);
            if extension {
                user.roster = Some(RosterUser {
                    device_limit: Some((i % 5) as u32),
                    ..RosterUser::default()
                });
            }
            BulkOperation::create(format!("u{i}"), &user)
        })
        .collect();
    let mut group = Group::new("Everyone important");
    group.external_id = Some("grp-important".into());
    group.members = [0, n / 2, n - 1]
        .iter()
        .map(|i| Reference::user(format!("bulkId:u{i}")))
        .collect();
    // First in the list: the ordering puts it after the users it names.
    ops.insert(0, BulkOperation::create("g1", &group));
    ops
}

struct Counting(AtomicUsize);

impl BulkProgress for Counting {
    fn advanced(&self, done: usize, total: usize) {
        assert!(done <= total);
        self.0.fetch_max(done, Ordering::Relaxed);
    }
}

fn bulk_of_2500(options: ServerOptions) {
    let extension = options.roster_extension;
    let server = ScimServer::start(options);
    let client = server.client();
    let caps = client.discover().unwrap();
    let limits = caps.bulk.expect("scim2-server advertises bulk");
    assert_eq!(
        (limits.max_operations, limits.max_payload_size),
        (1000, 1_048_576)
    );

    let ops = users_and_a_group(2500, extension && caps.roster_extension);
    let progress = Counting(AtomicUsize::new(0));
    let report = client
        .bulk(&ops, &BulkOptions::default(), &progress)
        .unwrap();
    assert!(report.used_bulk);
    assert!(report.stopped.is_none());
    assert_eq!(report.succeeded(), 2501, "{:?}", report.failures().next());
    assert_eq!(
        report.requests, 3,
        "2501 operations in chunks of at most 1000"
    );
    assert_eq!(progress.0.load(Ordering::Relaxed), 2501);
    for result in &report.results {
        let Outcome::Done(done) = &result.outcome else {
            unreachable!()
        };
        assert_eq!(done.status, 201);
        assert!(done.id.is_some() && done.version.is_some() && !done.recovered);
    }

    // The server holds every user once, and the group with the right three members.
    let users = server.all("Users");
    assert_eq!(users.len(), 2500);
    let by_external: HashMap<&str, &Value> = users
        .iter()
        .map(|u| (u["externalId"].as_str().unwrap(), u))
        .collect();
    assert_eq!(by_external.len(), 2500, "no externalId twice");
    for i in [0, 1, 1249, 1250, 2499] {
        let user = by_external[format!("ext-bulk{i}").as_str()];
        assert_eq!(user["id"].as_str(), report.id_of(&format!("u{i}")));
        assert_eq!(user["userName"], format!("bulk{i}"));
        if extension {
            assert_eq!(user[ROSTER_USER_SCHEMA]["deviceLimit"], (i % 5) as u64);
        } else {
            assert!(user.get(ROSTER_USER_SCHEMA).is_none());
        }
    }
    let groups = server.all("Groups");
    assert_eq!(groups.len(), 1);
    let mut members: Vec<&str> = groups[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    members.sort();
    let mut expected: Vec<&str> = ["u0", "u1250", "u2499"]
        .iter()
        .map(|b| report.id_of(b).unwrap())
        .collect();
    expected.sort();
    assert_eq!(
        members, expected,
        "bulkId references resolved across chunks"
    );
}

#[test]
fn a_bulk_of_2500_users_goes_in_chunks_with_the_extension() {
    bulk_of_2500(ServerOptions::with_extension());
}

#[test]
fn a_bulk_of_2500_users_goes_in_chunks_without_the_extension() {
    bulk_of_2500(ServerOptions::without_extension());
}

#[test]
fn chunks_stay_within_a_smaller_payload_and_operation_bound() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let client = server.client();
    client.discover().unwrap();
    let ops = users_and_a_group(300, false);
    let options = BulkOptions {
        max_operations: Some(200),
        max_payload_size: Some(20_000),
        ..BulkOptions::default()
    };
    let report = client.bulk(&ops, &options, &()).unwrap();
    assert_eq!(report.succeeded(), 301);
    let one = ops[1].data.as_ref().map(|d| d.to_string().len()).unwrap();
    assert!(
        report.requests >= 301 * one / 20_000,
        "{} requests for about {} bytes",
        report.requests,
        301 * one
    );
    assert_eq!(server.all("Users").len(), 300);
    assert_eq!(
        server.all("Groups")[0]["members"].as_array().unwrap().len(),
        3
    );
}

#[test]
fn each_operation_has_its_own_result() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let client = server.client();
    client.discover().unwrap();
    let existing = client.create(&test_user("old", 0)).unwrap();
    let existing_id = existing.id.clone().unwrap();
    let mut taken = test_user("old", 0); // its userName is taken
    taken.external_id = Some("ext-other".into());
    let mut ops = vec![
        BulkOperation::create("ok1", &test_user("new", 1)),
        BulkOperation::create("taken", &taken),
        BulkOperation::patch::<User>(
            "no-such-id",
            &PatchOp::new(vec![]).replace("active", false),
            None,
        ),
        BulkOperation::patch::<User>(
            &existing_id,
            &PatchOp::new(vec![]).replace("active", false),
            existing.meta.as_ref().and_then(|m| m.version.as_deref()),
        ),
    ];
    // Chunks of 2: the group naming the failed create is in a later chunk than it, so it is
    // not sent; the one naming ok1 gets ok1's id filled in.
    let mut with_failed = Group::new("Needs taken");
    with_failed.members = vec![
        Reference::user("bulkId:taken"),
        Reference::user("bulkId:ok1"),
    ];
    ops.push(BulkOperation::create("g-bad", &with_failed));
    let mut with_ok = Group::new("Needs ok1");
    with_ok.members = vec![Reference::user("bulkId:ok1")];
    ops.push(BulkOperation::create("g-ok", &with_ok));
    ops.push(BulkOperation::delete::<User>(&existing_id, None));

    let options = BulkOptions {
        max_operations: Some(2),
        mode: BulkMode::Bulk,
        ..BulkOptions::default()
    };
    let report = client.bulk(&ops, &options, &()).unwrap();
    let codes: Vec<String> = report
        .results
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Done(d) => d.status.to_string(),
            Outcome::Failed(e) => e.code().to_string(),
            Outcome::NotSent => "not sent".into(),
        })
        .collect();
    assert_eq!(
        codes,
        [
            "201",
            "conflict",
            "not_found",
            "200",
            "failed_dependency",
            "201",
            "204"
        ],
        "{report:#?}"
    );
    let (_, conflict) = report.failures().next().unwrap();
    assert_eq!(conflict.scim_type(), Some("uniqueness"));
    assert!(conflict.detail().is_some(), "the server's words are kept");
    assert!(
        conflict.message().contains("bulk taken"),
        "{}",
        conflict.message()
    );

    let groups = server.all("Groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["displayName"], "Needs ok1");
    assert_eq!(
        groups[0]["members"],
        json!([{"value": report.id_of("ok1").unwrap(), "type": "User"}])
    );
    let users = server.all("Users");
    let names: HashSet<&str> = users
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        HashSet::from(["new1"]),
        "old0 deleted, its duplicate never made"
    );
}

#[test]
fn without_bulk_single_requests_go_several_at_once() {
    let server = ScimServer::start(ServerOptions::with_extension().config(
        json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0}),
        json!({"supported": true, "maxResults": 1000}),
    ));
    let client = server.client_with(|c| c.max_concurrency = 6);
    let caps = client.discover().unwrap();
    assert_eq!(caps.bulk, None, "scim2-server told to say it has no /Bulk");
    let mut ops = users_and_a_group(400, true);
    // And a patch of the new group by bulkId, a second wave after it.
    ops.push(BulkOperation::patch::<Group>(
        "bulkId:g1",
        &PatchOp::new(vec![]).add_members(["bulkId:u1"]),
        None,
    ));
    let progress = Counting(AtomicUsize::new(0));
    let report = client
        .bulk(&ops, &BulkOptions::default(), &progress)
        .unwrap();
    assert!(!report.used_bulk);
    assert_eq!(report.succeeded(), 402, "{:?}", report.failures().next());
    assert_eq!(
        report.requests, 402,
        "one request each, nothing lost, nothing repeated"
    );
    assert_eq!(progress.0.load(Ordering::Relaxed), 402);

    let users = server.all("Users");
    assert_eq!(users.len(), 400);
    let groups = server.all("Groups");
    assert_eq!(groups.len(), 1);
    let members: HashSet<&str> = groups[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    let expected: HashSet<&str> = ["u0", "u1", "u200", "u399"]
        .iter()
        .map(|b| report.id_of(b).unwrap())
        .collect();
    assert_eq!(members, expected);

    // /Bulk asked for anyway is refused by the server; nothing is done.
    let error_report = client
        .bulk(
            &ops[..3],
            &BulkOptions {
                mode: BulkMode::Bulk,
                ..BulkOptions::default()
            },
            &(),
        )
        .unwrap();
    let stopped = error_report
        .stopped
        .clone()
        .expect("the server refuses /Bulk");
    assert_eq!(error_report.not_sent(), 3);
    assert!(!stopped.code().is_transient(), "{stopped}");
}

#[test]
fn cancelling_stops_before_the_next_request() {
    struct CancelAfter(AtomicUsize);
    impl BulkProgress for CancelAfter {
        fn cancelled(&self) -> bool {
            self.0.fetch_add(1, Ordering::Relaxed) >= 2
        }
    }
    let server = ScimServer::start(ServerOptions::without_extension());
    let client = server.client();
    client.discover().unwrap();
    let ops: Vec<BulkOperation> = (0..50)
        .map(|i| BulkOperation::create(format!("u{i}"), &test_user("c", i)))
        .collect();
    let options = BulkOptions {
        max_operations: Some(10),
        ..BulkOptions::default()
    };
    let report = client
        .bulk(&ops, &options, &CancelAfter(AtomicUsize::new(0)))
        .unwrap();
    assert!(report.cancelled);
    assert_eq!(report.succeeded(), 20);
    assert_eq!(report.not_sent(), 30);
    assert_eq!(server.all("Users").len(), 20);
}

#[test]
fn a_circle_of_references_is_refused_before_anything_is_sent() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let client = server.client();
    let mut a = Group::new("a");
    a.members = vec![Reference::user("bulkId:b")];
    let mut b = Group::new("b");
    b.members = vec![Reference::user("bulkId:a")];
    let error = client
        .bulk(
            &[
                BulkOperation::create("a", &a),
                BulkOperation::create("b", &b),
            ],
            &BulkOptions::default(),
            &(),
        )
        .unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::Invalid);
    assert!(server.all("Groups").is_empty());
}
