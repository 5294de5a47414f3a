//! The retry policy against a real scim2-server behind a fault-injecting proxy
//! (tests/common/proxy.rs): 500, 429 and 503 answers (with Retry-After), dropped connections,
//! answers held past the timeout, and answers lost after the server committed. Requests
//! converge, and a create whose answer was lost is looked up, never made twice.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::proxy::{Fault, FaultProxy, Plan};
use common::{client_for, test_user, ScimServer, ServerOptions, TOKEN};
use roster_scim::{
    BulkOperation, BulkOptions, Group, ListQuery, Outcome, PatchOp, Reference, RetryPolicy,
    ScimErrorCode, User,
};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_millis(800);
const PAST_TIMEOUT: Duration = Duration::from_millis(1100);

fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        ..RetryPolicy::default()
    }
}

#[test]
fn transient_faults_are_retried_until_the_request_goes_through() {
    let server = ScimServer::start(ServerOptions::without_extension());
    server.raw("POST", "/Users", Some(&json!({"userName": "one"})));
    let proxy = FaultProxy::start(
        server.port,
        Plan::script(&[
            Fault::Unavailable(Some(1)),
            Fault::TooManyRequests(2),
            Fault::ServerError,
            Fault::Drop,
            Fault::Delay(PAST_TIMEOUT),
            Fault::Unavailable(None),
        ]),
    );
    let (client, clock) = client_for(&proxy.base_url(), |c| {
        c.request_timeout = TIMEOUT;
        c.retry = policy(7);
    });
    let users: Vec<User> = client.list(&ListQuery::default()).unwrap();
    assert_eq!(users.len(), 1);
    let tally = proxy.tally();
    assert_eq!(tally.requests, 7, "six faults, then through: {tally:?}");
    let waits = clock.waits();
    assert_eq!(waits.len(), 6);
    assert_eq!(waits[0], Duration::from_secs(1), "503 Retry-After: 1");
    assert_eq!(waits[1], Duration::from_secs(2), "429 Retry-After: 2");
    // The others back off with full jitter under a doubling ceiling (200 ms × 2^(n−1)).
    for (n, wait) in waits.iter().enumerate().skip(2) {
        let ceiling = Duration::from_millis(200) * (1 << n);
        assert!(*wait < ceiling, "wait {n}: {wait:?} ≥ {ceiling:?}");
    }
}

#[test]
fn retries_stop_at_the_policys_attempts_with_the_last_error() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let proxy = FaultProxy::start(server.port, Plan::script(&[Fault::ServerError; 10]));
    let (client, clock) = client_for(&proxy.base_url(), |c| c.retry = policy(3));
    let error = client.get::<User>("anything").unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::ServerError);
    assert_eq!(error.attempts(), 3);
    assert_eq!(error.detail(), Some("injected failure"));
    assert_eq!(clock.waits().len(), 2);

    // A Retry-After beyond the policy's bound is not waited for: the caller gets it.
    let proxy = FaultProxy::start(server.port, Plan::script(&[Fault::TooManyRequests(3600)]));
    let (client, clock) = client_for(&proxy.base_url(), |c| c.retry = policy(3));
    let error = client.get::<User>("anything").unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::TooManyRequests);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert!(clock.waits().is_empty());
}

#[test]
fn a_create_whose_answer_was_lost_is_found_not_made_twice() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let proxy = FaultProxy::start(
        server.port,
        Plan::script_for("POST", "/v2/Users", &[Fault::LoseAnswer, Fault::LoseAnswer]),
    );
    let (client, _) = client_for(&proxy.base_url(), |_| {});

    // A plain create is not sent again after a failure that may have been applied.
    let error = client.create(&test_user("lost", 1)).unwrap_err();
    assert!(error.maybe_applied(), "{error}");
    assert_eq!(error.code(), ScimErrorCode::Unreachable);
    assert_eq!(error.attempts(), 1);
    assert_eq!(
        server.all("Users").len(),
        1,
        "the server made it; the client did not repeat it"
    );

    // create_once looks it up and returns the one the server made.
    let created = client.create_once(&test_user("lost", 2)).unwrap();
    assert!(created.recovered);
    let users = server.all("Users");
    assert_eq!(users.len(), 2);
    let stored = users
        .iter()
        .find(|u| u["externalId"] == "ext-lost2")
        .unwrap();
    assert_eq!(created.resource.id.as_deref(), stored["id"].as_str());
    assert_eq!(
        proxy.tally().forwarded,
        3,
        "two POSTs and one lookup reached the server"
    );
}

#[test]
fn a_create_dropped_before_the_server_saw_it_is_sent_again_after_a_check() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let proxy = FaultProxy::start(
        server.port,
        Plan::script_for("POST", "/v2/Groups", &[Fault::Drop]),
    );
    let (client, _) = client_for(&proxy.base_url(), |_| {});
    // Groups: the server would happily hold two with the same name; only the check stops it.
    let mut group = Group::new("Support");
    group.external_id = Some("grp-support".into());
    let created = client.create_once(&group).unwrap();
    assert!(
        !created.recovered,
        "not found, so sent again and made by the second POST"
    );
    let groups = server.all("Groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["externalId"], "grp-support");
    let tally = proxy.tally();
    assert_eq!(
        (tally.requests, tally.forwarded),
        (3, 2),
        "POST (dropped), lookup, POST: {tally:?}"
    );
}

#[test]
fn an_answer_held_past_the_timeout_counts_as_lost() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let proxy = FaultProxy::start(
        server.port,
        Plan::script_for("POST", "/v2/Groups", &[Fault::Delay(PAST_TIMEOUT)]),
    );
    let (client, _) = client_for(&proxy.base_url(), |c| c.request_timeout = TIMEOUT);
    let mut group = Group::new("Slow");
    group.external_id = Some("grp-slow".into());
    let error = client.create(&group).unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::Timeout, "{error}");
    assert!(error.maybe_applied());

    let proxy = FaultProxy::start(
        server.port,
        Plan::script_for("POST", "/v2/Groups", &[Fault::Delay(PAST_TIMEOUT)]),
    );
    let (client, _) = client_for(&proxy.base_url(), |c| c.request_timeout = TIMEOUT);
    let mut group = Group::new("Slower");
    group.external_id = Some("grp-slower".into());
    let created = client.create_once(&group).unwrap();
    assert!(created.recovered);
    let names: HashSet<String> = server
        .all("Groups")
        .iter()
        .map(|g| g["displayName"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        HashSet::from(["Slow".to_owned(), "Slower".to_owned()])
    );
}

#[test]
fn the_token_never_appears_even_when_a_server_echoes_it() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let proxy = FaultProxy::start(server.port, Plan::script(&[Fault::EchoAuthorization]));
    let (client, _) = client_for(&proxy.base_url(), |c| c.retry = RetryPolicy::never());
    let error = client.get::<User>("x").unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::ServerError);
    for text in [
        error.to_string(),
        format!("{error:?}"),
        error.detail().unwrap().to_owned(),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
    }
    // Unreachable: the message names the server, not the token.
    drop(proxy);
    let (client, _) = client_for(
        &format!("http://127.0.0.1:{}/v2", common::free_port()),
        |c| c.retry = policy(2),
    );
    let error = client.discover().unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::Unreachable, "{error}");
    assert!(
        !error.maybe_applied(),
        "refused connections were never sent"
    );
    assert!(error.message().contains("127.0.0.1"), "{error}");
    assert!(!format!("{error:?}").contains(TOKEN));
}

/// All the faults, evenly.
const ALL_FAULTS: &[Fault] = &[
    Fault::ServerError,
    Fault::TooManyRequests(1),
    Fault::Unavailable(Some(0)),
    Fault::Unavailable(None),
    Fault::Drop,
    Fault::LoseAnswer,
    Fault::LoseAnswer,
    Fault::Delay(PAST_TIMEOUT),
];

/// Users and groups whose members are users named by bulkId (spread so references cross
/// chunks); the groups can be told apart by externalId only, so a group made twice shows.
fn users_and_groups(users: usize, groups: usize) -> Vec<BulkOperation> {
    let mut ops = Vec::new();
    for i in 0..users {
        ops.push(BulkOperation::create(format!("u{i}"), &test_user("f", i)));
        if i % (users / groups) == users / groups - 1 {
            let g = i / (users / groups);
            let mut group = Group::new(format!("Team {}", g % 7)); // names repeat on purpose
            group.external_id = Some(format!("grp-{g}"));
            group.members = vec![
                Reference::user(format!("bulkId:u{}", (g * 37) % i)),
                Reference::user(format!("bulkId:u{i}")),
            ];
            ops.push(BulkOperation::create(format!("g{g}"), &group));
        }
    }
    ops
}

/// Every operation done; every user and group on the server exactly once; every group with
/// the members its bulkIds named.
fn assert_converged(
    server: &ScimServer,
    ops: &[BulkOperation],
    report: &roster_scim::BulkReport,
    users: usize,
    groups: usize,
) {
    let failed: Vec<String> = report
        .results
        .iter()
        .filter(|r| !r.outcome.is_done())
        .map(|r| format!("{} {:?}: {:?}", r.path, r.bulk_id, r.outcome))
        .collect();
    assert!(failed.is_empty(), "{} not done: {failed:#?}", failed.len());
    assert!(report.stopped.is_none());
    let on_server = server.all("Users");
    let external: HashSet<&str> = on_server
        .iter()
        .map(|u| u["externalId"].as_str().unwrap())
        .collect();
    assert_eq!(
        (on_server.len(), external.len()),
        (users, users),
        "each user once"
    );
    let on_server = server.all("Groups");
    let by_external: HashMap<&str, &Value> = on_server
        .iter()
        .map(|g| (g["externalId"].as_str().unwrap(), g))
        .collect();
    assert_eq!(
        (on_server.len(), by_external.len()),
        (groups, groups),
        "each group once"
    );
    for op in ops.iter().filter(|op| op.path == "/Groups") {
        let data = op.data.as_ref().unwrap();
        let group = by_external[data["externalId"].as_str().unwrap()];
        let mut expected: Vec<&str> = data["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                report
                    .id_of(
                        m["value"]
                            .as_str()
                            .unwrap()
                            .strip_prefix("bulkId:")
                            .unwrap(),
                    )
                    .unwrap()
            })
            .collect();
        let mut members: Vec<&str> = group["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap())
            .collect();
        expected.sort();
        expected.dedup();
        members.sort();
        assert_eq!(members, expected, "{}", data["externalId"]);
    }
}

#[test]
fn a_bulk_push_converges_under_20_percent_faults() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let proxy = FaultProxy::start(server.port, Plan::random(20261129, 0.2, ALL_FAULTS));
    let (client, clock) = client_for(&proxy.base_url(), |c| {
        c.request_timeout = TIMEOUT;
        c.retry = policy(12);
    });
    client.discover().unwrap();
    let ops = users_and_groups(1000, 100);
    let options = BulkOptions {
        max_operations: Some(40),
        ..BulkOptions::default()
    };
    let report = client.bulk(&ops, &options, &()).unwrap();
    assert!(report.used_bulk);
    assert_converged(&server, &ops, &report, 1000, 100);
    let tally = proxy.tally();
    assert!(!tally.faults.is_empty(), "{tally:?}");
    assert!(!clock.waits().is_empty(), "faults were waited out");
    let recovered = report
        .results
        .iter()
        .filter(|r| matches!(&r.outcome, Outcome::Done(d) if d.recovered))
        .count();
    eprintln!(
        "bulk under faults: {} requests through the proxy, faults {:?}, {recovered} creates recovered by lookup",
        tally.requests, tally.faults
    );
}

#[test]
fn a_bulk_chunk_whose_answer_was_lost_is_looked_up_and_the_rest_sent_again() {
    let server = ScimServer::start(ServerOptions::with_extension());
    // The first chunk is applied and its answer lost; the second is dropped before the
    // server sees it; the third gets a 500 from the proxy (not applied either).
    let proxy = FaultProxy::start(
        server.port,
        Plan::script_for(
            "POST",
            "/v2/Bulk",
            &[Fault::LoseAnswer, Fault::Drop, Fault::ServerError],
        ),
    );
    let (client, clock) = client_for(&proxy.base_url(), |_| {});
    client.discover().unwrap();
    let ops = users_and_groups(30, 3);
    let options = BulkOptions {
        max_operations: Some(11),
        ..BulkOptions::default()
    };
    let report = client.bulk(&ops, &options, &()).unwrap();
    assert_converged(&server, &ops, &report, 30, 3);
    let recovered: Vec<&str> = report
        .results
        .iter()
        .filter(|r| matches!(&r.outcome, Outcome::Done(d) if d.recovered))
        .filter_map(|r| r.bulk_id.as_deref())
        .collect();
    assert_eq!(
        recovered.len(),
        11,
        "the whole first chunk, found by lookups: {recovered:?}"
    );
    assert!(
        recovered.contains(&"g0"),
        "the group too, by its externalId"
    );
    // Discovery (4 requests); /Bulk 5 times: lost, dropped, 500, then the second chunk's
    // operations once more and the last chunk; one lookup per operation of a faulty chunk.
    let tally = proxy.tally();
    assert_eq!(tally.requests, 4 + 5 + 3 * 11, "{tally:?}");
    assert_eq!(clock.waits().len(), 3, "a backoff after each faulty chunk");
}

#[test]
fn single_requests_converge_under_20_percent_faults() {
    let server = ScimServer::start(ServerOptions::without_extension().config(
        json!({"supported": false}),
        json!({"supported": true, "maxResults": 1000}),
    ));
    // Users already there: half to patch, half to delete.
    let existing: Vec<String> = (0..40)
        .map(|i| {
            let (status, body) = server.raw(
                "POST",
                "/Users",
                Some(&json!({"userName": format!("old{i}")})),
            );
            assert_eq!(status, 201);
            body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let proxy = FaultProxy::start(server.port, Plan::random(7, 0.2, ALL_FAULTS));
    let (client, _) = client_for(&proxy.base_url(), |c| {
        c.request_timeout = TIMEOUT;
        c.retry = policy(12);
        c.max_concurrency = 4;
    });
    assert_eq!(client.discover().unwrap().bulk, None);
    let mut ops = users_and_groups(200, 40);
    for id in &existing[..20] {
        ops.push(BulkOperation::patch::<User>(
            id,
            &PatchOp::new(vec![]).replace("active", false),
            None,
        ));
    }
    for id in &existing[20..] {
        ops.push(BulkOperation::delete::<User>(id, None));
    }
    let report = client.bulk(&ops, &BulkOptions::default(), &()).unwrap();
    assert!(!report.used_bulk);
    // 200 new users and 20 patched ones remain.
    let new_ops: Vec<BulkOperation> = ops
        .iter()
        .filter(|o| o.path == "/Users" || o.path == "/Groups")
        .cloned()
        .collect();
    let all = server.all("Users");
    assert_eq!(all.len(), 220);
    for id in &existing[..20] {
        assert_eq!(server.get(&format!("/Users/{id}"))["active"], false);
    }
    for id in &existing[20..] {
        assert_eq!(server.raw("GET", &format!("/Users/{id}"), None).0, 404);
    }
    // Only the new ones, for the user and group counts.
    for id in &existing[..20] {
        server.raw("DELETE", &format!("/Users/{id}"), None);
    }
    assert_converged(&server, &new_ops, &report, 200, 40);
    eprintln!("single requests under faults: {:?}", proxy.tally());
}
