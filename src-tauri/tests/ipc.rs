//! IPC tests: the real command handlers, the real config and capabilities, a mock runtime
//! (no window, no WebKit), and a real workspace file.

use roster_desktop::{build, Desktop};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

struct App {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    _dir: tempfile::TempDir,
}

fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let desktop = Desktop::open(dir.path().join("w.roster"));
    let app = build(mock_builder(), desktop).build(tauri::generate_context!("../tauri.conf.json")).unwrap();
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    App { _app: app, window, _dir: dir }
}

impl App {
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
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
    let log = app.invoke("audit_log", json!({ "query": { "user": "alice", "limit": 3 } })).unwrap();
    assert_eq!(log["entries"].as_array().unwrap().len(), 3);
    assert!(log["next"].is_number());
}
