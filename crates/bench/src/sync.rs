//! The sync section (issue 6): `Workspace::sync_push` of 10,000 new users to a real SCIM
//! server (PyPI scim2-server, from the venv scripts/setup makes), beside what that server
//! takes at most and beside a naive client, each on a fresh, empty server of its own:
//!
//! 1. Roster: a fresh workspace linked to the server (`remote_add`), the users added from a
//!    generated CSV (`bulk_plan_bytes` + `bulk_apply`, not timed, so they queue), then
//!    `sync_push` timed — discovery, planning, `/Bulk` requests, recording the results.
//! 2. Ceiling: the same users as the same `/Bulk` POST operations, 1,000 a request, the bodies
//!    built before the clock starts, sent one request after the other by a plain client
//!    (hand-written HTTP/1.0 over a std `TcpStream`, read to EOF: the server closes each
//!    connection).
//! 3. Naive: one `POST /Users` at a time, same client, same users.
//!
//! Each variant checks the server holds exactly the users sent (`GET /Users?count=1`).
//! The server loads the Roster extension schema, as a server Roster syncs with fully would.
//! The token goes to the OS keyring: without one (no Secret Service on the session bus), every
//! server runs without `--bearer-token` and every client sends none, and the output says so.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use roster_core::Secret;
use roster_scim::{BulkOperation, BulkRequest, MultiValue, Name, Resource, RosterUser, User as ScimUser};
use roster_store::{Store, UserQuery};
use roster_testkit::{package_version, scim2, LoopbackServer};
use roster_tests::csvgen::{write_csv, CsvKind, CsvSpec};
use roster_workspace::{BulkApplyOptions, ErrorCode, Progress, RemoteInput, Silent, Workspace};
use serde_json::{json, Value};

use crate::mail::{process_cpu, require_python};
use crate::verdict;

pub const DEFAULT_USERS: u64 = 10_000;
/// Roster's push over the ceiling, in users per second.
const TARGET_RATIO: f64 = 0.8;
/// Operations per `/Bulk` request of the ceiling (the server's default `maxOperations`).
const CEILING_CHUNK: usize = 1_000;
const SEED: u64 = 6;
const TOKEN: &str = "bench-token-0c4e7a19";
const REMOTE: &str = "bench";

pub fn run(users: u64, naive_users: u64) {
    require_python("sync", "scim2_server", "the SCIM server is missing: no python with PyPI scim2-server");
    let dir = roster_tests::paths::target_dir().join("bench").join("sync");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create target/bench/sync");
    let version = package_version("scim2-server").unwrap_or_else(|| "?".to_owned());
    let mut csv = Vec::new();
    write_csv(&mut csv, &CsvSpec { rows: users, kind: CsvKind::Add, seed: SEED, passwords: false, start: 0 }).expect("write the users CSV");

    // 1. Roster. The token to the keyring if there is one; else no token anywhere.
    let mut server = Server::start(Some(TOKEN));
    let path = dir.join("workspace.roster");
    let mut ws = Workspace::open(&path).unwrap_or_else(|e| panic!("open {}: {e:?}", path.display()));
    let remote = |url: String, token: Option<&str>| RemoteInput {
        name: REMOTE.into(),
        url,
        token: token.map(|t| Secret::new(t.to_owned())),
        insecure_skip_tls_verify: false,
    };
    let token: Option<&str> = match ws.remote_add(remote(server.base_url(), Some(TOKEN))) {
        Ok(_) => Some(TOKEN),
        Err(e) if e.code == ErrorCode::NotConfigured && e.fields.iter().any(|f| f.code == "keyring_unavailable") => {
            drop(server);
            server = Server::start(None);
            ws.remote_add(remote(server.base_url(), None)).expect("add the remote without a token");
            None
        }
        Err(e) => panic!("remote_add: {e:?}"),
    };
    let plan = ws.bulk_plan_bytes(csv.clone(), "users.csv", &Silent).expect("plan the users");
    assert!(!plan.has_errors(), "the generated users plan without errors: {:?}", plan.summary());
    let applied = ws.bulk_apply(&plan, &BulkApplyOptions { skip_invalid: false, confirmed_deletes: Some(plan.deletes()) }, &Silent).expect("add the users");
    assert_eq!(applied.created, users, "every generated user was created");
    assert_eq!(ws.sync_status().expect("sync status").pending, users, "every new user is queued for the push");

    // For the breakdown (not part of the timed push): planning alone, contacting nobody.
    let t = Instant::now();
    let planned = ws.sync_plan().expect("sync plan");
    let plan_time = t.elapsed();
    assert_eq!(planned.creates, users, "the plan creates every user");

    let progress = Timeline::default();
    let (server_before, own_before) = (server.cpu(), process_cpu(std::process::id()));
    let began = Instant::now();
    let pushed = ws.sync_push(&progress).expect("sync push");
    let ended = Instant::now();
    let roster = ended - began;
    let (server_cpu, own_cpu) = (server.cpu().saturating_sub(server_before), process_cpu(std::process::id()).saturating_sub(own_before));
    assert_eq!(
        (pushed.done, pushed.failed, pushed.conflicts, pushed.not_sent),
        (users, 0, 0, 0),
        "Roster pushed every user: stopped {:?}, first result not done: {:?}",
        pushed.stopped,
        pushed.results.iter().find(|r| r.result != "done").map(|r| (&r.name, r.status, &r.message))
    );
    assert_eq!(server.total_users(token), users, "the server holds every user Roster pushed");
    assert_eq!(ws.sync_status().expect("sync status").pending, 0, "nothing left queued");
    let timeline = progress.summary(began, ended);
    // Discovery alone (as every push starts with), after the push.
    let t = Instant::now();
    ws.remote_test(REMOTE).expect("discovery");
    let discovery = t.elapsed();

    // The same users as Roster sends them, read back from the workspace (not timed).
    let scim_users = workspace_users(&path);
    assert_eq!(scim_users.len() as u64, users);
    let _ = ws.remote_remove(REMOTE); // its token out of the keyring
    drop(ws);
    drop(server);

    // 2. The ceiling: prebuilt /Bulk bodies, 1,000 POSTs each, one request after another.
    let bodies: Vec<Vec<u8>> = scim_users
        .chunks(CEILING_CHUNK)
        .map(|chunk| {
            let ops = chunk.iter().map(|u| BulkOperation::create(format!("u-{}", u.external_id.as_deref().unwrap_or_default()), u)).collect();
            serde_json::to_vec(&BulkRequest::new(ops)).expect("a bulk request serialises")
        })
        .collect();
    let bulk_bytes: usize = bodies.iter().map(Vec::len).sum();
    let server = Server::start(token);
    let (server_before, t) = (server.cpu(), Instant::now());
    let answers: Vec<(u16, Vec<u8>)> = bodies.iter().map(|b| http(server.port, "POST", "/v2/Bulk", token, b)).collect();
    let ceiling = t.elapsed();
    let ceiling_server_cpu = server.cpu().saturating_sub(server_before);
    let created: usize = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 200, "POST /Bulk: {}", String::from_utf8_lossy(body));
            let v: Value = serde_json::from_slice(body).expect("a bulk answer is JSON");
            v["Operations"].as_array().map_or(0, |ops| ops.iter().filter(|o| o["status"].as_str() == Some("201") || o["status"] == json!(201)).count())
        })
        .sum();
    assert_eq!(created as u64, users, "every operation of the ceiling's /Bulk requests was a 201");
    assert_eq!(server.total_users(token), users, "the server holds every user of the ceiling");
    drop(server);

    // 3. Naive: one POST /Users after another.
    let naive_users = naive_users.clamp(1, users) as usize;
    let singles: Vec<Vec<u8>> = scim_users[..naive_users].iter().map(|u| serde_json::to_vec(u).expect("a user serialises")).collect();
    let server = Server::start(token);
    let t = Instant::now();
    for body in &singles {
        let (status, answer) = http(server.port, "POST", "/v2/Users", token, body);
        assert_eq!(status, 201, "POST /Users: {}", String::from_utf8_lossy(&answer));
    }
    let naive = t.elapsed();
    assert_eq!(server.total_users(token), naive_users as u64, "the server holds every user the naive client posted");
    drop(server);

    let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64();
    let (roster_rate, ceiling_rate, naive_rate) = (rate(users, roster), rate(users, ceiling), rate(naive_users as u64, naive));
    let naive_scaled = naive.as_secs_f64() * users as f64 / naive_users as f64;
    let ratio = roster_rate / ceiling_rate;
    println!(
        "sync: scim2-server {} (Python, single-threaded, HTTP/1.0, a connection per request) on 127.0.0.1 with the Roster extension schema, a fresh empty server per measurement; {}",
        version,
        match token {
            Some(_) => "bearer token (Roster's from the OS keyring)".to_owned(),
            None => "NO bearer token: no OS keyring here (Secret Service) to keep Roster's, so every server ran without --bearer-token and no client sent one".to_owned(),
        }
    );
    println!(
        "sync push {users} new users: Roster {:.1} s = {:.0} users/s; /Bulk ceiling (plain client, {CEILING_CHUNK} per request) {:.1} s = {:.0} users/s; sequential POSTs {}{:.1} s = {:.0} users/s; ratio to ceiling {ratio:.2}; target >= {TARGET_RATIO}: {}",
        roster.as_secs_f64(),
        roster_rate,
        ceiling.as_secs_f64(),
        ceiling_rate,
        if naive_users as u64 == users { String::new() } else { format!("({naive_users} measured in {:.1} s, scaled to {users}) ", naive.as_secs_f64()) },
        naive_scaled,
        naive_rate,
        verdict(ratio >= TARGET_RATIO)
    );
    println!(
        "      Roster: {} requests (bulk: {}); {timeline}; CPU: server {:.1} s ({:.0}% of the push), the bench process {:.1} s",
        pushed.requests,
        pushed.used_bulk,
        server_cpu.as_secs_f64(),
        100.0 * server_cpu.as_secs_f64() / roster.as_secs_f64(),
        own_cpu.as_secs_f64(),
    );
    println!(
        "      measured apart: discovery (ServiceProviderConfig, Schemas, ResourceTypes, a one-user query) {:.0} ms; sync_plan of the {users} pending users {:.0} ms",
        discovery.as_secs_f64() * 1000.0,
        plan_time.as_secs_f64() * 1000.0,
    );
    println!(
        "      ceiling: {} requests, {:.1} MB of JSON in all; server CPU {:.1} s ({:.0}% of the time){}",
        bodies.len(),
        bulk_bytes as f64 / 1e6,
        ceiling_server_cpu.as_secs_f64(),
        100.0 * ceiling_server_cpu.as_secs_f64() / ceiling.as_secs_f64(),
        if ceiling_server_cpu.as_secs_f64() >= 0.8 * ceiling.as_secs_f64() { ": the server's one thread is the limit" } else { "" },
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// scim2-server on a free 127.0.0.1 port (roster-testkit's), empty, with the Roster extension
/// schema attached to the User resource type (as the SCIM tests start it); killed on drop.
struct Server {
    server: LoopbackServer,
    port: u16,
}

impl Server {
    fn start(token: Option<&str>) -> Server {
        let server = scim2::start_with(token, Some(roster_scim::ROSTER_USER_EXTENSION_JSON), |_| Vec::new());
        Server { port: server.port(), server }
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v2", self.port)
    }

    fn cpu(&self) -> Duration {
        process_cpu(self.server.pid())
    }

    /// `totalResults` of `GET /Users?count=1`.
    fn total_users(&self, token: Option<&str>) -> u64 {
        let (status, body) = http(self.port, "GET", "/v2/Users?count=1", token, b"");
        assert_eq!(status, 200, "GET /Users: {}", String::from_utf8_lossy(&body));
        let v: Value = serde_json::from_slice(&body).expect("a list answer is JSON");
        v["totalResults"].as_u64().expect("totalResults")
    }
}

/// One plain HTTP/1.0 request on a new connection, read to EOF: the status and the body.
fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to scim2-server");
    stream.set_read_timeout(Some(Duration::from_secs(120))).expect("a read timeout");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n{auth}Accept: application/scim+json\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut request = Vec::with_capacity(head.len() + body.len());
    request.extend_from_slice(head.as_bytes());
    request.extend_from_slice(body);
    stream.write_all(&request).expect("send the request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer has a head");
    let status = String::from_utf8_lossy(&answer[..split]).split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status");
    (status, answer[split + 4..].to_vec())
}

/// Every user of the workspace as Roster sends it in a create (the Roster extension on):
/// the same fields as the push's own mapping, `externalId` Roster's id.
fn workspace_users(path: &Path) -> Vec<ScimUser> {
    let store = Store::open(path).expect("open the bench workspace");
    let reader = store.reader();
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = reader.list_users(&UserQuery { limit: 1000, after, ..UserQuery::default() }).expect("list users");
        for u in page.users {
            let mut s = ScimUser::new(u.username.as_str());
            s.external_id = Some(u.id.to_string());
            let (given, family) = (u.first_name.as_ref().map(|n| n.as_str()), u.last_name.as_ref().map(|n| n.as_str()));
            if given.is_some() || family.is_some() {
                s.name = Some(Name { given_name: given.map(Into::into), family_name: family.map(Into::into), ..Name::default() });
                s.display_name = Some([given, family].into_iter().flatten().collect::<Vec<_>>().join(" "));
            }
            s.emails = vec![MultiValue::primary_work(u.email.as_str())];
            s.phone_numbers = u.phone.as_ref().map(|p| vec![MultiValue::primary_work(p.as_e164())]).unwrap_or_default();
            s.active = Some(u.status == roster_core::UserStatus::Active);
            let mut roles: Vec<String> = u.roles.iter().map(|r| r.as_str().to_owned()).collect();
            roles.sort();
            s.roles = roles.into_iter().map(MultiValue::new).collect();
            s.roster = Some(RosterUser {
                second_factor: Some(u.second_factor.as_str().into()),
                mfa_enrolled: Some(u.mfa_enrolled),
                device_limit: u.device_limit.map(|d| d.get()),
                password_expires_at: u.password_expires_at.map(|d| d.to_string()),
                ..RosterUser::default()
            });
            s.fill_schemas();
            out.push(s);
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

/// When the push reached each step: its phases and its progress counts.
#[derive(Default)]
struct Timeline {
    events: Mutex<Vec<(Instant, String, u64, u64)>>,
}

impl Timeline {
    fn mark(&self, what: String, done: u64, total: u64) {
        self.events.lock().unwrap().push((Instant::now(), what, done, total));
    }

    /// Where the push's time went, from `began` to `ended`: before the first request
    /// (discovery, planning, building the operations), sending (until every operation had its
    /// result), and recording the results after the last answer.
    fn summary(&self, began: Instant, ended: Instant) -> String {
        let events = self.events.lock().unwrap();
        let Some(pushing) = events.iter().find(|e| e.1 == "pushing").map(|e| e.0) else {
            return "no \"pushing\" phase reported".to_owned();
        };
        let updates: Vec<&(Instant, String, u64, u64)> = events.iter().filter(|e| e.1 == "update").collect();
        let last = updates.iter().rev().find(|e| e.2 == e.3).map_or(pushing, |e| e.0);
        let mut steps = Vec::new();
        let mut previous = pushing;
        for e in updates.iter().filter(|e| e.2 > 0) {
            steps.push(format!("{:.2}", (e.0 - previous).as_secs_f64()));
            previous = e.0;
        }
        format!(
            "before the first request (discovery, plan, operations) {:.2} s, requests until the last result {:.2} s (between progress updates: {} s), recording the results {:.2} s",
            (pushing - began).as_secs_f64(),
            (last - pushing).as_secs_f64(),
            steps.join(" "),
            (ended - last).as_secs_f64(),
        )
    }
}

impl Progress for Timeline {
    fn phase(&self, name: &str) {
        self.mark(name.to_owned(), 0, 0);
    }
    fn update(&self, done: u64, total: u64) {
        self.mark("update".to_owned(), done, total);
    }
}
