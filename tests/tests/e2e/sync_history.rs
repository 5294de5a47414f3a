//! The Sync screen's Push history against a real SCIM server (scim2-server, no Roster
//! extension): a workspace filled and pushed from the command line before the window opens
//! (150 users made before the link, adopted by it), then in the window the pushes listed newest
//! first, the older one's results chosen with the keyboard, shown 100 at a time with Next,
//! filtered by result, and exported as CSV by the shell (the file written in Rust); the user
//! menu marks the actions whose fields this remote does not keep "local only for idp".

use std::io::Write;
use std::process::Stdio;

use roster_tests::desktop::Desktop;
use roster_tests::scim::{ScimServer, TOKEN};
use roster_tests::{test_name, TempWorkspace};
use serde_json::json;
use thirtyfour::Key;

use crate::{user_row, wait_for_user_list};

const USERS: usize = 150;

#[test]
fn push_history_pages_filters_and_exports_a_pushes_results() {
    let server = ScimServer::start(false);
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    for i in 0..USERS {
        cli.add_user(&format!("u{i:03}"), &format!("u{i:03}@example.com"));
    }
    let mut add = cli
        .command()
        .args(["remote", "add", "idp", "--url", &server.base_url(), "--token-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(format!("{TOKEN}\n").as_bytes()).unwrap();
    let added = add.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    assert!(String::from_utf8_lossy(&added.stdout).contains(&format!("Queued {USERS} users and groups that existed before the link")));
    cli.ok(["sync", "push"]);
    cli.ok(["sync", "push"]); // nothing left: a push of no operations, kept all the same
    let pushes = cli.json(["sync", "pushes"]);
    let (newest, older) = (pushes[0]["id"].as_i64().unwrap(), pushes[1]["id"].as_i64().unwrap());
    assert_eq!(pushes[1]["done"], USERS, "{pushes}");

    let app = Desktop::launch(test_name!(), workspace.path());
    app.click(r#"#nav a[data-section="sync"]"#);
    app.wait_for("#sync-pushes-table");
    app.wait_for_count("#sync-pushes-table tr[data-push]", 2);
    assert_eq!(app.attr_all("#sync-pushes-table tr[data-push]", "data-push"), [newest.to_string(), older.to_string()], "newest first");
    app.wait_for_text("#sync-push-results-table", "This push had nothing to send");

    // Keyboard: the older push's Results button, then Enter.
    let show_older = format!(r#"#sync-pushes-table tr[data-push="{older}"] .sync-push-show"#);
    app.press(&show_older, Key::Enter);
    app.wait_until("focus to move to the push's results", |d| d.focused_id().as_deref() == Some("sync-push-results-title"));
    assert_eq!(app.attr(&show_older, "aria-pressed").as_deref(), Some("true"));
    app.wait_for_count("#sync-push-results-table tr[data-result]", 100);
    app.wait_for_text("#sync-push-results-page-status", &format!("Showing 1–100 of {USERS}"));
    app.screenshot("first-page");
    app.press("#sync-push-results-page-next", Key::Enter);
    app.wait_for_count("#sync-push-results-table tr[data-result]", USERS - 100);
    app.wait_for_text("#sync-push-results-page-status", &format!("Showing 101–{USERS} of {USERS}"));

    // Filter: nothing failed.
    app.js(
        "const s = document.getElementById('sync-push-results-filter'); s.value = 'failed'; s.dispatchEvent(new Event('change'));",
        vec![],
    );
    app.wait_for_text("#sync-push-results-table", "No operation of this push has that result");
    assert_eq!(app.attr("#sync-push-results-export", "disabled").as_deref(), Some(""), "nothing to export");

    // Export: the window asks for a file with the save dialog (not drivable here), then the shell
    // writes it; the same command the button calls.
    let file = workspace.dir().join("push.csv");
    app.js(
        "const [push, path] = arguments; window.__savedPush = null; \
         window.__TAURI__.core.invoke('sync_push_results_save', { push, only: 'done', path }).then((v) => { window.__savedPush = v; }, (e) => { window.__savedPush = e; });",
        vec![json!(older), json!(file.to_str().unwrap())],
    );
    app.wait_until("the shell to write the file", |d| !d.js("return window.__savedPush;", vec![]).is_null());
    let saved = app.js("return window.__savedPush;", vec![]);
    assert_eq!(saved["rows"], USERS, "{saved}");
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), USERS + 1);
    assert_eq!(lines[0], "N,Entity,Name,Local id,Method,Status,Result,Message");
    assert!(lines[1].starts_with("1,user,u000,") && lines[1].contains(",POST,201,done,"), "{}", lines[1]);

    // This remote has no Roster extension: the user menu marks the actions that stay local.
    app.click(r#"#nav a[data-section="users"]"#);
    wait_for_user_list(&app);
    let select = format!("{} button.row-select", user_row("u000"));
    app.click(&select);
    app.wait_for("#row-menu");
    let item = |action: &str| app.text(&format!(r#"#row-menu [role="menuitem"][data-action="{action}"]"#));
    for action in ["second-factor", "expire-password", "device-limit", "sessions", "reset-mfa"] {
        assert_eq!(item(action).matches("(local only for idp)").count(), 1, "{action}: {}", item(action));
    }
    for action in ["edit", "roles", "disable"] {
        assert!(!item(action).contains("local only"), "{action}: {}", item(action));
    }
    app.screenshot("local-only-menu");
}
