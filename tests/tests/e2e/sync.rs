//! Sync in the window, against a real SCIM 2.0 server (scim2-server from scripts/setup, with the
//! Roster extension loaded): Settings → Remotes (the add form and its error summary, the TLS
//! warning, Test connection and the capabilities), the header's indicator, the Sync screen's Plan,
//! Push with its results, Pull bringing in a conflicting change made on the server, and the
//! conflict resolved per field in the window (a radio per field, the error summary when a field
//! is left unchosen). The server's state is checked with plain GETs.

use roster_tests::desktop::Desktop;
use roster_tests::scim::{ScimServer, TOKEN};
use roster_tests::{test_name, TempWorkspace};
use serde_json::{json, Value};
use thirtyfour::Key;

use crate::wait_for_user_list;

const INDICATOR: &str = "#sync-indicator-label";

/// Waits until the header's sync indicator says `label` ("Local only", "Pending 1", "Synced", …).
fn wait_for_indicator(app: &Desktop, label: &str) {
    app.wait_until(&format!("the header's sync indicator to say {label:?}"), |d| {
        d.texts(INDICATOR).first().map(String::as_str) == Some(label)
    });
}

/// The one user the server has with this userName.
fn server_user(server: &ScimServer, user_name: &str) -> Value {
    let users = server.users_named(user_name);
    assert_eq!(users.len(), 1, "the server holds exactly one {user_name}: {users:?}\n{}", server.log());
    users[0].clone()
}

fn open_sync(app: &Desktop) {
    app.click(r#"#nav a[data-section="sync"]"#);
    app.wait_for("#sync-push");
}

#[test]
fn link_a_remote_push_a_user_then_resolve_a_conflict_from_the_server() {
    let server = ScimServer::start(true);
    let workspace = TempWorkspace::new();
    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_indicator(&app, "Local only");

    // Local only: the Sync screen says where to link a remote, and its buttons do nothing.
    open_sync(&app);
    app.wait_for_text("#sync-not-linked", "This workspace is local only");
    assert_eq!(app.attr("#sync-push", "aria-disabled").as_deref(), Some("true"));
    app.screenshot("local-only");

    // Settings → Remotes: a bad URL is named in the error summary, linked to its field.
    app.click(r#"#nav a[data-section="settings"]"#);
    app.click("#tab-remotes");
    app.wait_for("#remote-add-form");
    assert!(app.text("#remotes-table").contains("No remote yet"), "{}", app.text("#remotes-table"));
    app.fill("#remote-name", "idp");
    app.fill("#remote-url", "scim.example.com");
    app.click("#remote-add");
    app.wait_until("the error summary to take focus", |d| d.focused_id().as_deref() == Some("remote-add-errors"));
    let link = r##"#remote-add-errors a[href="#remote-url"]"##;
    assert!(app.text(link).contains("must start with https://"), "the core's message: {}", app.text(link));
    app.click(link);
    app.wait_until("the summary link to focus the URL field", |d| d.focused_id().as_deref() == Some("remote-url"));
    assert_eq!(app.attr("#remote-url", "aria-invalid").as_deref(), Some("true"));

    // Opting out of TLS verification shows its warning; opting back in hides it.
    assert!(!app.is_displayed("#remote-insecure-warning"));
    app.click("#remote-insecure");
    app.wait_for_text("#remote-insecure-warning", "TLS will not be verified");
    app.fill("#remote-url", &server.base_url());
    app.fill("#remote-token", TOKEN);
    app.screenshot("add-remote");
    app.click("#remote-insecure");
    app.wait_for_gone("#remote-insecure-warning");
    app.click("#remote-add");
    app.wait_for_text("#notice", "Added the remote idp, linked");
    let row = r#"#remotes-table tr[data-remote="idp"][data-linked="true"]"#;
    app.wait_for(row);
    assert!(app.text(row).contains("In the OS keyring"), "the token went to the keyring: {}", app.text(row));
    assert_eq!(app.value("#remote-token"), "", "the form forgets the token");
    wait_for_indicator(&app, "Not synced yet");

    // Test connection: the server's capabilities, in a definition list.
    app.click(r#"#remotes-table button[data-action="test"][data-remote="idp"]"#);
    app.wait_for("#remote-capabilities-list");
    app.wait_until("the capabilities' heading to take focus", |d| d.focused_id().as_deref() == Some("remote-capabilities-title"));
    let capabilities = app.text("#remote-capabilities-list");
    for expected in ["Bulk requests", "operations and 1 MiB per request", "Versions (ETags)", "Roster extension", "Yes: Roster's own fields travel too"] {
        assert!(capabilities.contains(expected), "capabilities show {expected:?}: {capabilities}");
    }
    app.screenshot("remotes");

    // A user made in the window waits for the push.
    app.click(r#"#nav a[data-section="users"]"#);
    app.click("#add-user");
    app.fill("#field-username", "carol");
    app.fill("#field-email", "carol@example.com");
    app.fill("#field-firstName", "Carol");
    app.fill("#field-lastName", "Danvers");
    app.click("#user-form-submit");
    wait_for_user_list(&app);
    wait_for_indicator(&app, "Pending 1");

    // Sync: Plan shows the create; Push sends it.
    open_sync(&app);
    app.wait_for_text("#sync-count-pending", "1");
    app.click("#sync-plan");
    let planned = r#"#sync-plan-table tr[data-name="carol"][data-operation="create"]"#;
    app.wait_for(planned);
    assert!(app.text(planned).contains("First name"), "the fields a create sets: {}", app.text(planned));
    app.screenshot("plan");
    app.click("#sync-push");
    app.wait_for("#sync-push-result");
    assert_eq!(app.attr("#sync-push-done", "data-value").as_deref(), Some("1"), "{}", app.text("#sync-push-result"));
    let result = r#"#sync-results-table tr[data-name="carol"][data-result="done"]"#;
    assert!(app.text(result).contains("POST"), "{}", app.text(result));
    assert!(!app.exists("#sync-plan-table"), "a plan made before the push is gone");
    wait_for_indicator(&app, "Synced");
    app.screenshot("pushed");
    let remote = server_user(&server, "carol");
    assert_eq!((remote["name"]["givenName"].as_str(), remote["name"]["familyName"].as_str()), (Some("Carol"), Some("Danvers")), "{remote}");
    assert_eq!(remote["emails"][0]["value"], "carol@example.com", "{remote}");

    // Local changes wait while someone changes the same fields on the server.
    app.click(r#"#nav a[data-section="users"]"#);
    wait_for_user_list(&app);
    app.js("location.hash = '#/users/carol/edit';", vec![]);
    app.fill("#field-firstName", "Caroline");
    app.fill("#field-lastName", "Local");
    app.click("#user-form-submit");
    wait_for_user_list(&app);
    wait_for_indicator(&app, "Pending 1");
    let id = remote["id"].as_str().unwrap();
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            { "op": "replace", "path": "name.givenName", "value": "Caz" },
            { "op": "replace", "path": "name.familyName", "value": "Remote" },
        ]
    });
    let (status, patched) = server.raw("PATCH", &format!("/Users/{id}"), Some(&patch));
    assert!(status == 200 || status == 204, "PATCH on the server: {status} {patched}");

    // Pull: the conflict, base / mine / theirs per field, a radio per side.
    open_sync(&app);
    app.click("#sync-pull");
    app.wait_for("#sync-pull-result");
    assert!(app.text("#sync-pull-result-title").contains("1 conflict to resolve"), "{}", app.text("#sync-pull-result"));
    let conflict = r#"#sync-conflicts article[data-name="carol"]"#;
    app.wait_for(conflict);
    wait_for_indicator(&app, "Conflicts 1");
    let n = app.attr(conflict, "data-conflict-id").expect("the conflict's id");
    let field = format!(r#"{conflict} tr[data-field="givenName"]"#);
    let cells = app.texts(&format!("{field} > *"));
    assert_eq!(cells.len(), 4, "field, base, mine, theirs: {cells:?}");
    assert!(cells[0].starts_with("First name") && cells[0].contains("Both changed"), "{cells:?}");
    assert_eq!(cells[1], "Carol", "base: {cells:?}");
    assert!(cells[2].ends_with("Caroline") && cells[3].ends_with("Caz"), "mine, theirs: {cells:?}");
    assert_eq!(app.attr_all(&format!("{conflict} input[type=radio]:checked"), "id"), Vec::<String>::new(), "both fields changed on both sides: nothing chosen yet");

    // Resolve with nothing chosen: the error summary names each field, linked to its radio.
    app.click(&format!("#conflict-{n}-resolve"));
    app.wait_for(&format!(r##"#sync-errors a[data-target="conflict-{n}-givenName-mine"]"##));
    assert!(app.exists(&format!(r##"#sync-errors a[data-target="conflict-{n}-familyName-mine"]"##)), "{}", app.text("#sync-errors"));
    assert!(app.text("#sync-errors").contains("choose mine or theirs"), "{}", app.text("#sync-errors"));

    // Mine for the first name (by keyboard), theirs for the last name; the screenshot shows the choices.
    app.press(&format!("#conflict-{n}-givenName-mine"), Key::Space);
    app.click(&format!("#conflict-{n}-familyName-theirs"));
    assert_eq!(
        app.attr_all(&format!("{conflict} input[type=radio]:checked"), "id"),
        [format!("conflict-{n}-familyName-theirs"), format!("conflict-{n}-givenName-mine")],
        "the rows in field order: familyName, givenName"
    );
    // Into view inside <main> (the part of the window that scrolls), for the screenshot.
    app.js(
        "const m = document.getElementById('main'); const e = document.querySelector(arguments[0]);
         m.scrollTop += e.getBoundingClientRect().bottom - m.getBoundingClientRect().bottom + 16;",
        vec![json!(conflict)],
    );
    app.screenshot("conflict");
    app.click(&format!("#conflict-{n}-resolve"));
    app.wait_for_text("#notice", "Resolved carol field by field");
    app.wait_for_gone("#sync-conflicts");
    wait_for_indicator(&app, "Pending 1");
    app.wait_until("focus to move to Push", |d| d.focused_id().as_deref() == Some("sync-push"));
    app.click("#sync-push");
    app.wait_for("#sync-push-result");
    let result = r#"#sync-results-table tr[data-name="carol"][data-result="done"]"#;
    assert!(app.text(result).contains("PATCH"), "an update sends only what changed: {}", app.text(result));
    wait_for_indicator(&app, "Synced");
    app.screenshot("resolved");
    let remote = server_user(&server, "carol");
    assert_eq!(remote["name"]["givenName"], "Caroline", "mine was kept for the first name and pushed: {remote}");
    assert_eq!(remote["name"]["familyName"], "Remote", "theirs was kept for the last name: {remote}");

    // Removing the remote asks first, then the workspace is local only again.
    app.click(r#"#nav a[data-section="settings"]"#);
    // <main> keeps the Sync screen's scroll (scrolled for the conflict's screenshot): back to the top,
    // where the tabs are, or the sticky notice covers them.
    app.js("document.getElementById('main').scrollTop = 0;", vec![]);
    app.click("#tab-remotes");
    app.click(r#"#remotes-table button[data-action="remove"][data-remote="idp"]"#);
    app.wait_for_text("#confirm-dialog", "It is linked: the workspace becomes local only");
    app.wait_until("Cancel to have focus first", |d| d.focused_id().as_deref() == Some("confirm-cancel"));
    app.screenshot("remove");
    app.click("#confirm-ok");
    app.wait_for_text("#notice", "Removed the remote idp: the workspace is local only");
    app.wait_for_text("#remotes-table", "No remote yet");
    wait_for_indicator(&app, "Local only");
    assert_eq!(server_user(&server, "carol")["name"]["givenName"], "Caroline", "nothing on the server changes");
}

/// Users deleted on the server while changes to them waited here: the Sync screen says so, and
/// offers Re-create (pushed again) or Delete here; checked on the server after the push.
#[test]
fn users_deleted_on_the_server_are_created_again_or_deleted_here() {
    let server = ScimServer::start(true);
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user("dora", "dora@example.com");
    cli.add_user("ed", "ed@example.com");
    let mut add = cli
        .command()
        .args(["remote", "add", "idp", "--url", &server.base_url(), "--token-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut add.stdin.take().unwrap(), format!("{TOKEN}\n").as_bytes()).unwrap();
    let added = add.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    cli.ok(["sync", "push"]);
    for name in ["dora", "ed"] {
        let id = server_user(&server, name)["id"].as_str().unwrap().to_owned();
        let (status, answer) = server.raw("DELETE", &format!("/Users/{id}"), None);
        assert_eq!(status, 204, "DELETE on the server: {answer}");
        cli.ok(["user", "edit", name, "--first", "Changed"]);
    }
    let pulled = cli.command().args(["sync", "pull"]).output().unwrap();
    assert_eq!(pulled.status.code(), Some(5), "the pull leaves 2 conflicts: {}", String::from_utf8_lossy(&pulled.stderr));

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_indicator(&app, "Conflicts 2");
    open_sync(&app);
    let dora = r#"#sync-conflicts article[data-name="dora"]"#;
    app.wait_for_text(dora, "Deleted on idp while a change to it waited here.");
    assert!(app.texts(&format!("{dora} tbody td:last-child")).iter().all(|t| t == "(deleted)"), "theirs is absent for every field");
    assert!(!app.exists(&format!("{dora} input[type=radio]")), "kept or deleted whole: no per-field choice");
    app.screenshot("deleted-on-remote");
    app.click(&format!("{dora} button[data-keep=\"mine\"]"));
    app.wait_for_text("#notice", "dora will be created again on idp with the next push");
    let ed = r#"#sync-conflicts article[data-name="ed"]"#;
    app.click(&format!("{ed} button[data-keep=\"theirs\"]"));
    app.wait_for_text("#notice", "Deleted ed here, as on idp");
    app.wait_for_gone("#sync-conflicts");
    wait_for_indicator(&app, "Pending 1");
    app.click("#sync-push");
    app.wait_for("#sync-push-result");
    let result = r#"#sync-results-table tr[data-name="dora"][data-result="done"]"#;
    assert!(app.text(result).contains("POST"), "dora is created again: {}", app.text(result));
    wait_for_indicator(&app, "Synced");
    assert_eq!(server_user(&server, "dora")["name"]["givenName"], "Changed");
    assert!(server.users_named("ed").is_empty(), "ed stays deleted");
    let ed_here = cli.command().args(["user", "show", "ed"]).output().unwrap();
    assert_eq!(ed_here.status.code(), Some(4), "ed is gone here too");
}
