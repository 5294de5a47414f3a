//! IPC tests: the real command handlers, the real config and capabilities, a mock runtime
//! (no window, no WebKit), and a real workspace file.

use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use roster_desktop::{build, Desktop};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Builder, WebviewWindow};

struct App {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    _dir: tempfile::TempDir,
}

fn app() -> App {
    app_on(mock_builder())
}

fn app_on(builder: Builder<MockRuntime>) -> App {
    let dir = tempfile::tempdir().unwrap();
    let desktop = Desktop::open(dir.path().join("w.roster"));
    let app = build(builder, desktop).build(tauri::generate_context!("../tauri.conf.json")).unwrap();
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    App { _app: app, window, _dir: dir }
}

impl App {
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke_on(&self.window, cmd, args)
    }
}

/// One command, as the window sends it; any thread may call it.
fn invoke_on(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

#[test]
fn add_list_get_edit_delete_over_ipc() {
    let app = app();
    let added = app
        .invoke("add_user", json!({ "input": { "username": "alice", "email": "alice@example.com", "firstName": "Alice", "phone": "+44 7400 123456" } }))
        .unwrap();
    assert_eq!(added["phone"], "+447400123456");
    assert_eq!(added["onboarded"], false);

    let page = app.invoke("list_users", json!({ "query": { "search": "ali" } })).unwrap();
    assert_eq!(page["users"][0]["username"], "alice");
    assert_eq!(page["next"], Value::Null);

    let got = app.invoke("get_user", json!({ "username": "Alice" })).unwrap();
    assert_eq!(got, added);

    let edited = app
        .invoke("edit_user", json!({ "username": "alice", "input": { "expectedVersion": 1, "lastName": "Liddell" } }))
        .unwrap();
    assert_eq!(edited["lastName"], "Liddell");

    let stale = app
        .invoke("edit_user", json!({ "username": "alice", "input": { "expectedVersion": 1, "lastName": "X" } }))
        .unwrap_err();
    assert_eq!(stale["code"], "stale");

    assert_eq!(app.invoke("delete_user", json!({ "username": "alice" })).unwrap(), Value::Null);
    let info = app.invoke("workspace_info", json!({})).unwrap();
    assert_eq!(info["userCount"], 0);
    assert_eq!(info["settings"]["defaultRegion"], "US");
}

#[test]
fn errors_reach_the_window_as_code_message_and_fields() {
    let app = app();
    let err = app.invoke("add_user", json!({ "input": { "username": "bad name", "email": "nope" } })).unwrap_err();
    assert_eq!(err["code"], "validation");
    let fields: Vec<&str> = err["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["username", "email"]);
    assert!(err["fields"][1]["message"].as_str().unwrap().starts_with("Enter an email address in the correct format"));

    let missing = app.invoke("get_user", json!({ "username": "ghost" })).unwrap_err();
    assert_eq!(missing["code"], "not_found");
}

#[test]
fn passwords_in_the_input_are_hashed_and_attributes_accept_json_values() {
    let app = app();
    app.invoke("add_user", json!({ "input": { "username": "x", "email": "x@example.com", "password": "" } })).unwrap();
    let with_pw = app
        .invoke("add_user", json!({ "input": { "username": "y", "email": "y@example.com", "password": "correct horse battery" } }))
        .unwrap();
    assert_eq!(with_pw["onboarded"], true);
    assert!(!with_pw.to_string().contains("horse"));
    let attrs = app.invoke("list_attributes", json!({})).unwrap();
    assert_eq!(attrs, json!([]));
}

#[test]
fn a_workspace_that_cannot_open_is_reported_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-workspace.roster");
    std::fs::write(&path, "plain text, not SQLite, long enough to have a header of sorts......").unwrap();
    let app = build(mock_builder(), Desktop::open(path)).build(tauri::generate_context!("../tauri.conf.json")).unwrap();
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let app = App { _app: app, window, _dir: dir };
    let err = app.invoke("workspace_info", json!({})).unwrap_err();
    assert_eq!(err["code"], "workspace");
    assert!(err["message"].as_str().unwrap().contains("not a Roster workspace"), "{err}");
}

#[test]
fn manage_users_over_ipc() {
    let app = app();
    app.invoke("add_user", json!({ "input": { "username": "alice", "email": "alice@example.com" } })).unwrap();
    let done = app.invoke("user_action", json!({ "username": "alice", "action": "disable" })).unwrap();
    assert_eq!(done["message"], "Disabled alice@example.com");
    assert_eq!(done["user"]["status"], "disabled");
    let undone = app.invoke("undo", json!({ "seq": done["undo"] })).unwrap();
    assert_eq!(undone["user"]["status"], "active");

    let bad = app.invoke("user_action", json!({ "username": "alice", "action": "explode" })).unwrap_err();
    assert_eq!(bad["code"], "usage");
    let mail = app.invoke("user_action", json!({ "username": "alice", "action": "reset_password" })).unwrap_err();
    assert_eq!(mail["code"], "not_configured");

    app.invoke("add_group", json!({ "name": "Sales", "description": "" })).unwrap();
    let groups = app.invoke("user_groups", json!({ "username": "alice" })).unwrap();
    assert_eq!(groups["available"][0]["name"], "Sales");
    let assigned = app.invoke("assign_groups", json!({ "username": "alice", "groups": ["sales"] })).unwrap();
    assert_eq!(assigned["user"]["groups"], json!(["Sales"]));

    let limit = app.invoke("set_device_limit", json!({ "username": "alice", "limit": "4" })).unwrap();
    assert_eq!(limit["user"]["deviceLimit"], 4);
    let reset = app.invoke("set_device_limit", json!({ "username": "alice", "limit": null })).unwrap();
    assert_eq!(reset["user"]["deviceLimit"], Value::Null);

    let bulk = app
        .invoke("apply_to_users", json!({ "usernames": ["alice"], "action": { "kind": "assign_group" }, "confirm": null }))
        .unwrap_err();
    assert_eq!(bulk["code"], "usage", "a group action needs its group");

    let stats = app.invoke("onboarding_stats", json!({})).unwrap();
    assert_eq!(stats["notOnboarded"], 1);
    assert_eq!((&stats["invited"], &stats["remindAfterDays"], &stats["reminderDue"]), (&json!(0), &json!(7), &json!(0)), "{stats}");
    let stats = app.invoke("onboarding_stats", json!({ "remindAfterDays": 3 })).unwrap();
    assert_eq!(stats["remindAfterDays"], 3);
    let log = app.invoke("audit_log", json!({ "query": { "user": "alice", "limit": 3 } })).unwrap();
    assert_eq!(log["entries"].as_array().unwrap().len(), 3);
    assert!(log["next"].is_number());
}

// ---- Settings: mail ------------------------------------------------------------------------------

#[test]
fn mail_show_on_a_fresh_workspace_says_not_configured() {
    let app = app();
    let mail = app.invoke("mail_show", json!({})).unwrap();
    assert_eq!(mail["configured"], false);
    assert_eq!((mail["host"].as_str(), mail["port"].as_u64(), mail["passwordInKeyring"].as_bool()), (Some(""), Some(0), Some(false)));
    // "available", or why the keyring cannot be used on this machine: text either way.
    assert!(mail["keyring"].is_string(), "{mail}");
    let test = app.invoke("mail_test", json!({ "to": "admin@example.com" })).unwrap_err();
    assert_eq!(test["code"], "not_configured");
}

#[test]
fn mail_setup_names_every_field_in_error_and_saves_nothing() {
    let app = app();
    // No password: this needs no keyring.
    let err = app
        .invoke("mail_setup", json!({ "input": { "host": "", "port": 0, "security": "ssl", "user": "", "from": "nope", "password": null } }))
        .unwrap_err();
    assert_eq!(err["code"], "validation");
    let mut fields: Vec<&str> = err["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["from", "host", "port", "security"], "{err}");
    assert_eq!(app.invoke("mail_show", json!({})).unwrap()["configured"], false);

    let bad_to = app.invoke("mail_test", json!({ "to": "not an address" })).unwrap_err();
    assert_eq!((bad_to["code"].as_str(), bad_to["fields"][0]["field"].as_str()), (Some("validation"), Some("to")));
}

#[test]
fn mail_options_default_to_temporary_passwords_and_name_each_field_in_error() {
    let app = app();
    let options = app.invoke("mail_options", json!({})).unwrap();
    assert_eq!(
        options,
        json!({ "resetMethod": "temporary_password", "portalUrl": "", "organisation": "", "expiresDays": 7, "alertTo": "", "autoSendOnCreate": false })
    );

    let err = app
        .invoke("mail_options_set", json!({ "input": { "portalUrl": "not a url", "organisation": "Acme", "expiresDays": 0, "alertTo": "nope" } }))
        .unwrap_err();
    assert_eq!(err["code"], "validation");
    let mut fields: Vec<&str> = err["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["alertTo", "expiresDays", "portalUrl"], "{err}");
    assert_eq!(app.invoke("mail_options", json!({})).unwrap()["organisation"], "", "a refused change saves nothing");

    let saved = app
        .invoke(
            "mail_options_set",
            json!({ "input": { "portalUrl": "https://login.example.com/reset?user={username}", "organisation": "Acme", "expiresDays": 3, "alertTo": "it@example.com" } }),
        )
        .unwrap();
    assert_eq!(saved["resetMethod"], "portal_link");
    assert_eq!((&saved["organisation"], &saved["expiresDays"], &saved["alertTo"]), (&json!("Acme"), &json!(3), &json!("it@example.com")));
    // Null keeps an option; "" clears one (no portal: temporary passwords again).
    let cleared = app.invoke("mail_options_set", json!({ "input": { "portalUrl": "", "organisation": null } })).unwrap();
    assert_eq!((&cleared["resetMethod"], &cleared["organisation"]), (&json!("temporary_password"), &json!("Acme")));
    let auto = app.invoke("mail_options_set", json!({ "input": { "autoSendOnCreate": true } })).unwrap();
    assert_eq!(auto["autoSendOnCreate"], true);
    assert_eq!(app.invoke("workspace_info", json!({})).unwrap()["settings"]["autoSendResetMail"], true, "the same setting");
}

#[test]
fn mail_templates_save_preview_and_reset_over_ipc() {
    let app = app();
    let templates = app.invoke("mail_templates", json!({})).unwrap();
    let kinds: Vec<&str> = templates.as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["activation", "password_reset", "welcome", "bulk_result"]);
    assert_eq!(templates[0]["edited"], false);
    assert!(templates[0]["placeholders"].as_array().unwrap().contains(&json!("first_name")), "{templates}");

    let typo = json!({ "kind": "welcome", "subject": "Welcome, {frist_name}", "text": "Hello {first_name}", "html": "" });
    let err = app.invoke("mail_template_save", json!({ "input": typo })).unwrap_err();
    assert_eq!((err["code"].as_str(), err["fields"][0]["field"].as_str()), (Some("validation"), Some("subject")), "{err}");
    assert!(err["fields"][0]["message"].as_str().unwrap().contains("{frist_name}"), "{err}");
    let err = app.invoke("mail_preview", json!({ "input": typo, "username": null })).unwrap_err();
    assert_eq!(err["fields"][0]["field"], "subject", "the preview checks the template as saving does");

    let fixed = json!({ "kind": "welcome", "subject": "Welcome, {first_name}", "text": "Hello {first_name} at {organisation}", "html": "<p>Hi <b>{username}</b></p>" });
    let preview = app.invoke("mail_preview", json!({ "input": fixed, "username": null })).unwrap();
    assert_eq!((&preview["to"], &preview["subject"]), (&json!("ann@example.com"), &json!("Welcome, Ann")), "a sample user: {preview}");
    assert_eq!(preview["html"], "<p>Hi <b>ann.example</b></p>");
    app.invoke("add_user", json!({ "input": { "username": "bob", "email": "bob@example.com", "firstName": "Bob" } })).unwrap();
    let for_bob = app.invoke("mail_preview", json!({ "input": fixed, "username": "bob" })).unwrap();
    assert_eq!((&for_bob["to"], &for_bob["subject"]), (&json!("bob@example.com"), &json!("Welcome, Bob")));
    let ghost = app.invoke("mail_preview", json!({ "input": fixed, "username": "ghost" })).unwrap_err();
    assert_eq!(ghost["code"], "not_found");

    let saved = app.invoke("mail_template_save", json!({ "input": fixed })).unwrap();
    assert_eq!((&saved["subject"], &saved["edited"]), (&json!("Welcome, {first_name}"), &json!(true)));
    assert_eq!(app.invoke("mail_templates", json!({})).unwrap()[2]["edited"], true);
    let reset = app.invoke("mail_template_reset", json!({ "kind": "welcome" })).unwrap();
    assert_eq!((&reset["subject"], &reset["edited"]), (&json!("Welcome to {organisation}"), &json!(false)));
    let bad = app.invoke("mail_template_reset", json!({ "kind": "postcard" })).unwrap_err();
    assert_eq!((bad["code"].as_str(), bad["fields"][0]["field"].as_str()), (Some("validation"), Some("kind")));
}

#[test]
fn mail_sending_needs_mail_set_up_and_the_outbox_starts_empty() {
    let app = app();
    app.invoke("add_user", json!({ "input": { "username": "ann", "email": "ann@example.com" } })).unwrap();
    let outbox = app.invoke("mail_outbox", json!({ "query": {} })).unwrap();
    assert_eq!(outbox, json!({ "queued": 0, "sending": 0, "sent": 0, "failed": 0, "mails": [], "next": null }));
    let bad = app.invoke("mail_outbox", json!({ "query": { "state": "lost" } })).unwrap_err();
    assert_eq!((bad["code"].as_str(), bad["fields"][0]["field"].as_str()), (Some("validation"), Some("state")));

    let input = json!({ "kind": "activation", "usernames": ["ann"] });
    let err = app.invoke("mail_send_to", json!({ "input": input, "onProgress": channel(1) })).unwrap_err();
    assert_eq!(err["code"], "not_configured", "{err}");
    let err = app.invoke("mail_retry", json!({ "ids": null, "onProgress": channel(2) })).unwrap_err();
    assert_eq!(err["code"], "not_configured", "{err}");
    assert_eq!(app.invoke("mail_outbox", json!({ "query": {} })).unwrap()["queued"], 0, "nothing was queued");
    assert_eq!(app.invoke("mail_cancel", json!({})).unwrap(), Value::Null, "cancel with nothing running is harmless");
}

#[test]
fn mail_send_to_a_server_that_is_down_keeps_the_mails_queued_with_the_reason() {
    let (app, sent) = app_recording_progress();
    // A loopback port nobody listens on (bound, then freed).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    app.invoke("mail_setup", json!({ "input": { "host": "127.0.0.1", "port": port, "security": "none", "user": "", "from": "roster@example.com", "password": null } }))
        .unwrap();
    for name in ["ann", "ben"] {
        app.invoke("add_user", json!({ "input": { "username": name, "email": format!("{name}@example.com") } })).unwrap();
    }
    app.invoke("add_user", json!({ "input": { "username": "cat", "email": "cat@example.com", "password": "correct horse battery" } })).unwrap();

    let input = json!({ "kind": "activation", "usernames": ["ann", "ben", "cat"] });
    let done = app.invoke("mail_send_to", json!({ "input": input, "onProgress": channel(3) })).unwrap();
    assert_eq!(done["queued"]["queued"], 2, "{done}");
    assert_eq!(done["queued"]["skipped"], json!([{ "username": "cat", "code": "onboarded", "reason": "cat has already set a password" }]));
    assert_eq!((&done["sent"]["sent"], &done["sent"]["queued"], &done["sent"]["cancelled"]), (&json!(0), &json!(2), &json!(false)), "{done}");
    assert_eq!(done["sent"]["stoppedBy"]["code"], "unreachable", "{done}");
    assert_eq!(phases(&sent, 3), ["sending mails"], "the window is told what is under way");
    let last = sent.lock().unwrap().iter().rfind(|(c, _)| *c == 3).unwrap().1.clone();
    assert_eq!(last["total"], 2, "{last}");

    let outbox = app.invoke("mail_outbox", json!({ "query": { "state": "queued", "limit": 1 } })).unwrap();
    assert_eq!(outbox["queued"], 2);
    assert_eq!(outbox["mails"].as_array().unwrap().len(), 1, "a page of one");
    let mail = &outbox["mails"][0];
    assert_eq!((&mail["kind"], &mail["username"], &mail["to"], &mail["state"]), (&json!("activation"), &json!("ben"), &json!("ben@example.com"), &json!("queued")), "newest first");
    let next = app.invoke("mail_outbox", json!({ "query": { "state": "queued", "limit": 1, "before": outbox["next"] } })).unwrap();
    let first = &next["mails"][0];
    assert_eq!(first["username"], "ann");
    assert_eq!(first["errorCode"], "unreachable", "the mail tried first keeps the reason: {first}");
    assert_eq!(next["next"], Value::Null);

    let again = app.invoke("mail_retry", json!({ "ids": null, "onProgress": channel(4) })).unwrap();
    assert_eq!((&again["sent"], &again["queued"], &again["stoppedBy"]["code"]), (&json!(0), &json!(2), &json!("unreachable")), "{again}");
    let stats = app.invoke("onboarding_stats", json!({})).unwrap();
    assert_eq!(stats["invited"], 0, "a mail that did not go invites nobody");
}

// ---- Bulk CSV ----------------------------------------------------------------------------------

/// What the commands sent on progress channels, in order: `(channel id, message)`.
type Sent = Arc<Mutex<Vec<(u32, Value)>>>;

/// An app whose channel messages are recorded instead of going to a webview.
fn app_recording_progress() -> (App, Sent) {
    let sent: Sent = Arc::default();
    let record = sent.clone();
    let builder = mock_builder().channel_interceptor(move |_, channel: CallbackFn, _, body: &InvokeResponseBody| {
        if let InvokeResponseBody::Json(text) = body {
            record.lock().unwrap().push((channel.0, serde_json::from_str(text).unwrap()));
        }
        true
    });
    (app_on(builder), sent)
}

/// The argument a window passes for a channel it made (`new Channel()` in JavaScript).
/// An app whose first progress message of `phase` waits until the test sends on the returned
/// `release`; `reached` says the work got there.
fn app_held_at(phase: &'static str) -> (App, mpsc::Receiver<()>, mpsc::Sender<()>) {
    let (reached_tx, reached) = mpsc::channel::<()>();
    let (release, release_rx) = mpsc::channel::<()>();
    let gate = Mutex::new(Some((reached_tx, release_rx)));
    let builder = mock_builder().channel_interceptor(move |_, _, _, body: &InvokeResponseBody| {
        if let InvokeResponseBody::Json(text) = body {
            if serde_json::from_str::<Value>(text).unwrap()["phase"] == phase {
                if let Some((reached, release)) = gate.lock().unwrap().take() {
                    reached.send(()).unwrap();
                    let _ = release.recv();
                }
            }
        }
        true
    });
    (app_on(builder), reached, release)
}

fn channel(id: u32) -> String {
    format!("__CHANNEL__:{id}")
}

fn phases(sent: &Sent, id: u32) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, m) in sent.lock().unwrap().iter().filter(|(c, _)| *c == id) {
        let phase = m["phase"].as_str().unwrap().to_owned();
        if out.last() != Some(&phase) {
            out.push(phase);
        }
    }
    out
}

fn usernames(app: &App) -> Vec<String> {
    let page = app.invoke("list_users", json!({ "query": {} })).unwrap();
    page["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect()
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

const NEW_STARTERS: &str = "Action,Username,Email,First Name,Last Name
add,ann,ann@example.com,Ann,Archer
add,ben,ben@example.com,Ben,Baker
add,bad user,not-an-email,,
update,carol,,Caroline,
add,cid,cid@example.com,Cid,Cole
";

#[test]
fn bulk_open_page_filter_apply_save_history_and_undo_over_ipc() {
    let (app, sent) = app_recording_progress();
    app.invoke("add_user", json!({ "input": { "username": "carol", "email": "carol@example.com", "firstName": "Carol" } })).unwrap();
    let files = tempfile::tempdir().unwrap();
    let csv = write(files.path(), "new-starters.csv", NEW_STARTERS);

    let plan = app.invoke("bulk_open", json!({ "path": csv, "onProgress": channel(7) })).unwrap();
    assert_eq!(plan["fileName"], "new-starters.csv");
    assert_eq!(plan["rows"], 5);
    assert_eq!(plan["summary"], json!({ "create": 3, "update": 1, "delete": 0, "unchanged": 0, "error": 1 }));
    assert_eq!(plan["deletesNeedConfirmation"], false);
    assert_eq!(plan["userCount"], 1);
    assert_eq!(phases(&sent, 7), ["reading", "checking"], "the window is told each step");
    let checking: Vec<Value> = sent.lock().unwrap().iter().filter(|(c, m)| *c == 7 && m["phase"] == "checking").map(|(_, m)| m.clone()).collect();
    assert_eq!(checking[..2], [json!({ "phase": "checking", "done": 0, "total": 0 }), json!({ "phase": "checking", "done": 0, "total": 5 })], "a new step, then its total at once");
    let last = sent.lock().unwrap().last().unwrap().1.clone();
    assert_eq!(last, json!({ "phase": "checking", "done": 5, "total": 5 }), "the last count of a step always arrives");

    // Pages of rows, all or by outcome.
    let page = app.invoke("bulk_rows", json!({ "outcome": null, "offset": 0, "limit": 2 })).unwrap();
    assert_eq!(page["total"], 5);
    let rows: Vec<&Value> = page["rows"].as_array().unwrap().iter().map(|r| &r["row"]).collect();
    assert_eq!(rows, [&json!(2), &json!(3)], "spreadsheet rows: the header is row 1");
    let next = app.invoke("bulk_rows", json!({ "outcome": null, "offset": 4, "limit": 2 })).unwrap();
    assert_eq!(next["offset"], 4);
    assert_eq!(next["rows"][0]["username"], "cid");
    let errors = app.invoke("bulk_rows", json!({ "outcome": "error", "offset": 0, "limit": 50 })).unwrap();
    assert_eq!(errors["total"], 1);
    assert_eq!(errors["rows"][0]["row"], 4);
    let columns: Vec<&str> = errors["rows"][0]["problems"].as_array().unwrap().iter().map(|p| p["column"].as_str().unwrap()).collect();
    assert!(columns.contains(&"Username") && columns.contains(&"Email"), "each problem names its column: {errors}");
    let updates = app.invoke("bulk_rows", json!({ "outcome": "update", "offset": 0, "limit": 50 })).unwrap();
    let change = &updates["rows"][0]["changes"][0];
    assert_eq!((&change["old"], &change["new"]), (&json!("Carol"), &json!("Caroline")), "old → new: {updates}");
    let bad = app.invoke("bulk_rows", json!({ "outcome": "explode", "offset": 0, "limit": 50 })).unwrap_err();
    assert_eq!(bad["code"], "usage");

    // Next error: its place among all rows (paging the table) and among errors; it wraps.
    let first = app.invoke("bulk_next_error", json!({ "afterRow": 0 })).unwrap();
    assert_eq!(first, json!({ "row": 4, "index": 2, "errorIndex": 0 }));
    assert_eq!(app.invoke("bulk_next_error", json!({ "afterRow": 4 })).unwrap(), first, "after the last error, the first again");

    // Refused with errors, applied with skipInvalid.
    let refused = app.invoke("bulk_apply", json!({ "skipInvalid": false, "confirmedDeletes": null, "onProgress": channel(8) })).unwrap_err();
    assert_eq!(refused["code"], "validation");
    assert_eq!(usernames(&app), ["carol"], "a refused apply changes nothing");
    let result = app.invoke("bulk_apply", json!({ "skipInvalid": true, "confirmedDeletes": null, "onProgress": channel(9) })).unwrap();
    assert_eq!((&result["created"], &result["updated"], &result["deleted"], &result["failed"]), (&json!(3), &json!(1), &json!(0), &json!(1)));
    let batch = result["batchId"].as_str().expect("a batch id").to_owned();
    assert_eq!(result["alert"]["status"], "not_configured");
    assert!(phases(&sent, 9).contains(&"applying".to_owned()), "{:?}", phases(&sent, 9));
    assert_eq!(usernames(&app), ["ann", "ben", "carol", "cid"]);
    assert_eq!(app.invoke("get_user", json!({ "username": "carol" })).unwrap()["firstName"], "Caroline");

    // Results: every row with Result and Message; failed rows only in the file's own columns.
    let results = files.path().join("results.csv");
    let saved = app.invoke("bulk_save_results", json!({ "path": results, "failedOnly": false })).unwrap();
    assert_eq!(saved["rows"], 5);
    let text = std::fs::read_to_string(&results).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.ends_with(",Result,Message"), "{header}");
    assert!(text.lines().any(|l| l.starts_with("add,ann,") && l.contains(",created")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("add,bad user,") && l.contains(",failed,")), "{text}");
    let failed = files.path().join("failed.csv");
    let saved = app.invoke("bulk_save_results", json!({ "path": failed, "failedOnly": true })).unwrap();
    assert_eq!(saved["rows"], 1);
    let text = std::fs::read_to_string(&failed).unwrap();
    assert_eq!(text.lines().collect::<Vec<_>>(), ["Action,Username,Email,First Name,Last Name", "add,bad user,not-an-email,,"]);

    // History, then undo: the workspace is as it was before the batch.
    let history = app.invoke("bulk_history", json!({})).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["id"], batch.as_str());
    assert_eq!(history[0]["fileName"], "new-starters.csv");
    assert_eq!((&history[0]["created"], &history[0]["undoneAt"]), (&json!(3), &Value::Null));
    let undone = app.invoke("bulk_undo", json!({ "batchId": batch, "force": false })).unwrap();
    assert_eq!((&undone["removed"], &undone["reverted"], &undone["restored"]), (&json!(3), &json!(1), &json!(0)));
    assert_eq!(usernames(&app), ["carol"]);
    assert_eq!(app.invoke("get_user", json!({ "username": "carol" })).unwrap()["firstName"], "Carol");
    let history = app.invoke("bulk_history", json!({})).unwrap();
    assert!(history[0]["undoneAt"].is_string(), "{history}");
    let again = app.invoke("bulk_undo", json!({ "batchId": batch, "force": false })).unwrap_err();
    assert_eq!(again["code"], "conflict", "a batch is undone once");
}

#[test]
fn bulk_undo_lists_users_changed_since_and_force_overrides() {
    let (app, _sent) = app_recording_progress();
    let files = tempfile::tempdir().unwrap();
    let csv = write(files.path(), "two.csv", "Username,Email\nann,ann@example.com\nben,ben@example.com\n");
    let plan = app.invoke("bulk_open", json!({ "path": csv, "onProgress": channel(1) })).unwrap();
    assert_eq!(plan["summary"]["create"], 2, "a file without an Action column adds every row");
    let result = app.invoke("bulk_apply", json!({ "skipInvalid": false, "confirmedDeletes": null, "onProgress": channel(2) })).unwrap();
    let batch = result["batchId"].as_str().unwrap().to_owned();
    app.invoke("edit_user", json!({ "username": "ann", "input": { "expectedVersion": 1, "lastName": "Archer" } })).unwrap();

    let conflict = app.invoke("bulk_undo", json!({ "batchId": batch, "force": false })).unwrap_err();
    assert_eq!(conflict["code"], "conflict");
    let changed: Vec<&str> = conflict["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(changed, ["ann"], "field = the username of each user changed since: {conflict}");
    assert_eq!(usernames(&app), ["ann", "ben"], "a refused undo changes nothing");
    let undone = app.invoke("bulk_undo", json!({ "batchId": batch, "force": true })).unwrap();
    assert_eq!(undone["removed"], 2);
    assert_eq!(usernames(&app), Vec::<String>::new());
}

#[test]
fn bulk_commands_without_an_open_plan_say_not_found() {
    let app = app();
    for (cmd, args) in [
        ("bulk_rows", json!({ "outcome": null, "offset": 0, "limit": 50 })),
        ("bulk_next_error", json!({ "afterRow": 0 })),
        ("bulk_apply", json!({ "skipInvalid": false, "confirmedDeletes": null, "onProgress": channel(1) })),
        ("bulk_save_results", json!({ "path": "/tmp/never-written.csv", "failedOnly": false })),
    ] {
        let err = app.invoke(cmd, args).unwrap_err();
        assert_eq!(err["code"], "not_found", "{cmd}: {err}");
    }
    assert!(!std::path::Path::new("/tmp/never-written.csv").exists());
    assert_eq!(app.invoke("bulk_cancel", json!({})).unwrap(), Value::Null, "cancel with nothing running is harmless");
    assert_eq!(app.invoke("bulk_history", json!({})).unwrap(), json!([]));
    let missing = app.invoke("bulk_open", json!({ "path": "/nonexistent/people.csv", "onProgress": channel(2) })).unwrap_err();
    assert_eq!(missing["code"], "not_found");
    let err = app.invoke("bulk_rows", json!({ "outcome": null, "offset": 0, "limit": 50 })).unwrap_err();
    assert_eq!(err["code"], "not_found", "a file that could not be read does not become the open plan");
}

#[test]
fn bulk_template_is_saved_where_the_window_says() {
    let app = app();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("bulkUserCsvSample.csv");
    let saved = app.invoke("bulk_save_template", json!({ "path": path })).unwrap();
    assert_eq!(saved["path"], path.to_str().unwrap());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("Action,Username,Email,"), "{text}");
    assert_eq!(text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect::<Vec<_>>(), ["add", "update", "delete"]);
}

#[test]
fn bulk_cancel_stops_planning_and_keeps_the_open_plan() {
    let (app, sent) = app_recording_progress();
    let files = tempfile::tempdir().unwrap();
    let small = write(files.path(), "small.csv", NEW_STARTERS);
    app.invoke("bulk_open", json!({ "path": small, "onProgress": channel(1) })).unwrap();
    // Enough rows that checking takes many chunks: Cancel lands while it runs.
    let mut big = String::from("Action,Username,Email\n");
    for i in 0..200_000 {
        big.push_str(&format!("add,user{i},user{i}@example.com\n"));
    }
    let big = write(files.path(), "big.csv", &big);

    let outcome = std::thread::scope(|scope| {
        let window = &app.window;
        let opening = scope.spawn(move || invoke_on(window, "bulk_open", json!({ "path": big, "onProgress": channel(2) })));
        let deadline = Instant::now() + Duration::from_secs(60);
        while !phases(&sent, 2).contains(&"checking".to_owned()) {
            assert!(Instant::now() < deadline && !opening.is_finished(), "checking never started");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(app.invoke("bulk_cancel", json!({})).unwrap(), Value::Null);
        opening.join().unwrap()
    });
    let err = outcome.unwrap_err();
    assert_eq!(err["code"], "cancelled", "{err}");
    let page = app.invoke("bulk_rows", json!({ "outcome": null, "offset": 0, "limit": 1 })).unwrap();
    assert_eq!(page["total"], 5, "a cancelled plan does not replace the open one");
}

#[test]
fn the_workspace_serves_other_commands_while_an_apply_hashes_passwords() {
    // The apply is held at its "hashing passwords" message until the test lets it go: a command
    // that needed the workspace meanwhile would wait for the apply (and the test says so).
    let (app, reached, release) = app_held_at("hashing passwords");
    let files = tempfile::tempdir().unwrap();
    let mut csv = String::from("Action,Username,Email,Password\n");
    for i in 0..20 {
        csv.push_str(&format!("add,starter{i},starter{i}@example.com,Correct-Horse-{i:03}!\n"));
    }
    let path = write(files.path(), "with-passwords.csv", &csv);
    app.invoke("bulk_open", json!({ "path": path, "onProgress": channel(1) })).unwrap();

    let result = std::thread::scope(|scope| {
        let window = &app.window;
        let applying = scope.spawn(move || invoke_on(window, "bulk_apply", json!({ "skipInvalid": false, "confirmedDeletes": null, "onProgress": channel(2) })));
        reached.recv_timeout(Duration::from_secs(60)).expect("the apply reached its hashing");
        let (listed_tx, listed) = mpsc::channel();
        scope.spawn(move || listed_tx.send(invoke_on(window, "list_users", json!({ "query": {} }))).unwrap());
        let page = listed.recv_timeout(Duration::from_secs(20));
        release.send(()).unwrap();
        let page = page.expect("list_users answered while the apply hashed passwords, not after it").unwrap();
        assert_eq!(page["users"], json!([]), "nothing applied yet: {page}");
        applying.join().unwrap()
    });
    assert_eq!(result.unwrap()["created"], 20);
    let applied = app.invoke("get_user", json!({ "username": "starter19" })).unwrap();
    assert_eq!(applied["email"], "starter19@example.com", "{applied}");
}

#[test]
fn the_other_screens_answer_while_a_push_waits_on_the_remote() {
    // A real scim2-server (no token). The push is held at its "pushing" message until the test
    // lets it go: a command that needed the workspace meanwhile would wait for the push.
    let server = roster_testkit::scim2::start_with(None, None, |_| Vec::new());
    let (app, reached, release) = app_held_at("pushing");
    let url = format!("http://127.0.0.1:{}/v2", server.port());
    app.invoke("remote_add", json!({ "input": { "name": "idp", "url": url, "token": "" } })).unwrap();
    for name in ["ann", "ben"] {
        app.invoke("add_user", json!({ "input": { "username": name, "email": format!("{name}@example.com") } })).unwrap();
    }

    let pushed = std::thread::scope(|scope| {
        let window = &app.window;
        let pushing = scope.spawn(move || invoke_on(window, "sync_push", json!({ "onProgress": channel(3) })));
        reached.recv_timeout(Duration::from_secs(60)).expect("the push reached the remote");
        let (answered_tx, answered) = mpsc::channel();
        scope.spawn(move || {
            let listed = invoke_on(window, "list_users", json!({ "query": {} }));
            let added = invoke_on(window, "add_user", json!({ "input": { "username": "cid", "email": "cid@example.com" } }));
            let status = invoke_on(window, "sync_status", json!({}));
            answered_tx.send((listed, added, status)).unwrap();
        });
        let answered = answered.recv_timeout(Duration::from_secs(20));
        release.send(()).unwrap();
        let (listed, added, status) = answered.expect("the other commands answered while the push waited on the remote, not after it");
        assert_eq!(listed.unwrap()["users"].as_array().unwrap().len(), 2);
        assert_eq!(added.unwrap()["username"], "cid");
        assert_eq!(status.unwrap()["pending"], 3, "ann and ben in flight, cid queued meanwhile");
        pushing.join().unwrap()
    });
    let pushed = pushed.unwrap();
    assert_eq!((&pushed["done"], &pushed["failed"]), (&json!(2), &json!(0)), "{pushed}");
    assert_eq!(app.invoke("sync_status", json!({})).unwrap()["pending"], 1, "cid, added during the push, waits for the next");
    let again = app.invoke("sync_push", json!({ "onProgress": channel(4) })).unwrap();
    assert_eq!(again["done"], 1, "{again}");
}

#[test]
fn a_cancel_names_its_run_so_an_early_one_is_kept_and_a_late_one_stops_nothing_else() {
    let (app, _sent) = app_recording_progress();
    let files = tempfile::tempdir().unwrap();
    let small = write(files.path(), "small.csv", NEW_STARTERS);

    // The window pressed Cancel before the shell began the run on channel 7: it still stops.
    assert_eq!(app.invoke("bulk_cancel", json!({ "run": 7 })).unwrap(), Value::Null);
    let err = app.invoke("bulk_open", json!({ "path": small, "onProgress": channel(7) })).unwrap_err();
    assert_eq!(err["code"], "cancelled", "{err}");

    // That Cancel (and a late one for run 7) does not stop the next run, on channel 8.
    assert_eq!(app.invoke("bulk_cancel", json!({ "run": 7 })).unwrap(), Value::Null);
    let opened = app.invoke("bulk_open", json!({ "path": small, "onProgress": channel(8) })).unwrap();
    assert_eq!(opened["rows"], 5, "{opened}");
}

// ---- Remotes and sync ------------------------------------------------------------------------------

#[test]
fn a_remote_without_a_token_is_added_linked_listed_and_removed() {
    let app = app();
    let local = app.invoke("sync_status", json!({})).unwrap();
    assert_eq!(local, json!({ "remote": null, "pending": 0, "conflicts": 0, "localOnlyFields": [], "lastPull": null, "lastPush": null }), "local only");
    assert_eq!(app.invoke("remote_list", json!({})).unwrap(), json!([]));

    // No token: nothing goes to the keyring, so this runs without one.
    let added = app
        .invoke("remote_add", json!({ "input": { "name": "idp", "url": "http://127.0.0.1:9/scim/v2/", "token": "", "insecureSkipTlsVerify": false } }))
        .unwrap();
    assert_eq!((&added["name"], &added["url"], &added["linked"]), (&json!("idp"), &json!("http://127.0.0.1:9/scim/v2"), &json!(true)), "{added}");
    assert_eq!((&added["tokenInKeyring"], &added["capabilities"], &added["lastPush"]), (&json!(false), &Value::Null, &Value::Null), "{added}");
    let other = app.invoke("remote_add", json!({ "input": { "name": "spare", "url": "https://scim.example.com/v2", "insecureSkipTlsVerify": true } })).unwrap();
    assert_eq!((&other["linked"], &other["insecureSkipTlsVerify"]), (&json!(false), &json!(true)), "only the first remote is linked: {other}");
    let names: Vec<Value> = app.invoke("remote_list", json!({})).unwrap().as_array().unwrap().iter().map(|r| r["name"].clone()).collect();
    assert_eq!(names, [json!("idp"), json!("spare")]);
    assert_eq!(app.invoke("remote_show", json!({ "name": "spare" })).unwrap(), other);

    // Linked: a local change waits for the push.
    app.invoke("add_user", json!({ "input": { "username": "alice", "email": "alice@example.com" } })).unwrap();
    let status = app.invoke("sync_status", json!({})).unwrap();
    assert_eq!((&status["remote"], &status["pending"], &status["conflicts"]), (&json!("idp"), &json!(1), &json!(0)), "{status}");
    let plan = app.invoke("sync_plan", json!({})).unwrap();
    assert_eq!((&plan["pending"], &plan["creates"]), (&json!(1), &json!(1)), "{plan}");
    assert_eq!((&plan["operations"][0]["operation"], &plan["operations"][0]["name"]), (&json!("create"), &json!("alice")), "{plan}");
    assert_eq!(app.invoke("sync_conflicts", json!({})).unwrap(), json!([]));

    let linked = app.invoke("remote_link", json!({ "name": "spare" })).unwrap();
    assert_eq!(linked["linked"], true);
    assert_eq!(app.invoke("remote_show", json!({ "name": "idp" })).unwrap()["linked"], false);
    let removed = app.invoke("remote_remove", json!({ "name": "spare" })).unwrap();
    assert_eq!(removed["name"], "spare", "the remote as it was");
    assert_eq!(app.invoke("sync_status", json!({})).unwrap()["remote"], Value::Null, "removing the linked remote makes the workspace local only");
    app.invoke("remote_remove", json!({ "name": "idp" })).unwrap();
    assert_eq!(app.invoke("remote_list", json!({})).unwrap(), json!([]));
    let gone = app.invoke("remote_show", json!({ "name": "idp" })).unwrap_err();
    assert_eq!(gone["code"], "not_found", "{gone}");
}

#[test]
fn remote_add_names_every_field_in_error_and_a_taken_name() {
    let app = app();
    let err = app.invoke("remote_add", json!({ "input": { "name": "bad name", "url": "ftp://x" } })).unwrap_err();
    assert_eq!(err["code"], "validation", "{err}");
    let fields: Vec<&str> = err["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "url"], "{err}");
    assert_eq!(app.invoke("remote_list", json!({})).unwrap(), json!([]), "nothing is saved");

    app.invoke("remote_add", json!({ "input": { "name": "idp", "url": "https://scim.example.com/v2" } })).unwrap();
    let taken = app.invoke("remote_add", json!({ "input": { "name": "IDP", "url": "https://other.example.com/v2" } })).unwrap_err();
    assert_eq!((taken["code"].as_str(), taken["fields"][0]["field"].as_str(), taken["fields"][0]["code"].as_str()), (Some("conflict"), Some("name"), Some("taken")), "{taken}");
    for cmd in ["remote_link", "remote_remove", "remote_test"] {
        let err = app.invoke(cmd, json!({ "name": "ghost" })).unwrap_err();
        assert_eq!(err["code"], "not_found", "{cmd}: {err}");
    }
}

#[test]
fn sync_without_a_linked_remote_is_not_configured() {
    let (app, _sent) = app_recording_progress();
    for (cmd, args) in [
        ("sync_pull", json!({ "onProgress": channel(1) })),
        ("sync_push", json!({ "onProgress": channel(2) })),
        ("sync_plan", json!({})),
        ("sync_conflicts", json!({})),
        ("sync_resolve", json!({ "id": 1, "keep": "mine" })),
    ] {
        let err = app.invoke(cmd, args).unwrap_err();
        assert_eq!(err["code"], "not_configured", "{cmd}: {err}");
        assert!(err["message"].as_str().unwrap().contains("Settings → Remotes"), "{cmd} says where to link one: {err}");
    }
    assert_eq!(app.invoke("sync_cancel", json!({})).unwrap(), Value::Null, "cancel with nothing running is harmless");
}

#[test]
fn a_server_that_refuses_the_token_is_a_remote_error_naming_why() {
    let (app, sent) = app_recording_progress();
    // A loopback "server" that answers 401 to every request.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"bad token"}"#;
            let _ = write!(stream, "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    app.invoke("remote_add", json!({ "input": { "name": "idp", "url": format!("http://127.0.0.1:{port}/v2") } })).unwrap();
    let err = app.invoke("remote_test", json!({ "name": "idp" })).unwrap_err();
    assert_eq!((err["code"].as_str(), err["fields"][0]["field"].as_str(), err["fields"][0]["code"].as_str()), (Some("remote"), Some("remote"), Some("unauthorized")), "{err}");
    assert_eq!(app.invoke("remote_show", json!({ "name": "idp" })).unwrap()["capabilities"], Value::Null, "nothing discovered");
    let err = app.invoke("sync_pull", json!({ "onProgress": channel(7) })).unwrap_err();
    assert_eq!(err["fields"][0]["code"], "unauthorized", "{err}");
    assert!(phases(&sent, 7).is_empty(), "discovery fails before any phase: {:?}", phases(&sent, 7));
    let bad = app.invoke("sync_resolve", json!({ "id": 1, "keep": "both" })).unwrap_err();
    assert_eq!(bad["code"], "usage", "{bad}");
}
