//! Managing users from the Users list: the row's "Select" menu and its dialogs (groups, second
//! factor, device limit, sessions), Undo in the notice, and multi-select with the bulk bar.

use roster_tests::desktop::Desktop;
use roster_tests::{test_name, TempWorkspace};
use serde_json::{json, Value};
use thirtyfour::Key;

use crate::{listed_usernames, user_row, wait_for_user_list};

// ---- helpers that know the markup of the menu, the dialog and the bulk bar ------------------

/// The Select button of a user's row.
fn select_button(username: &str) -> String {
    format!("{} button.row-select", user_row(username))
}

/// A menu entry of the open Select menu.
fn menu_item(action: &str) -> String {
    format!(r#"#row-menu [role="menuitem"][data-action="{action}"]"#)
}

/// Scrolls the element matching `css` to the middle of its scrolling box, as an admin scrolls the
/// table to a row. (WebDriver's own scrolling leaves a row half hidden at the table's bottom edge,
/// where its checkbox cannot be clicked.)
fn scroll_to(app: &Desktop, css: &str) {
    app.wait_until(&format!("`{css}` to exist"), |d| d.exists(css));
    app.js(
        "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });",
        vec![json!(css)],
    );
}

/// Ticks (or unticks) a user's row checkbox.
fn tick(app: &Desktop, username: &str) {
    let css = format!(r#"input.row-check[value="{username}"]"#);
    scroll_to(app, &css);
    app.click(&css);
}

/// Opens the row's Select menu and chooses `action` (a `data-action`).
fn choose(app: &Desktop, username: &str, action: &str) {
    // A list still loading re-renders its rows and closes any open menu: act on the settled list.
    wait_for_user_list(app);
    scroll_to(app, &select_button(username));
    app.click(&select_button(username));
    app.wait_for("#row-menu");
    app.click(&menu_item(action));
}

/// Picks an option of a `<select>` by value and fires `change`, as choosing it with the mouse does.
/// (WebDriver cannot click the options of a closed WebKitGTK select: they have no box.)
fn pick(app: &Desktop, select: &str, value: &str) {
    app.wait_for(select);
    let picked = app.js(
        "const s = document.querySelector(arguments[0]);
         if (![...s.options].some(o => o.value === arguments[1])) return false;
         s.focus();
         s.value = arguments[1];
         s.dispatchEvent(new Event('input', { bubbles: true }));
         s.dispatchEvent(new Event('change', { bubbles: true }));
         return true;",
        vec![json!(select), json!(value)],
    );
    assert_eq!(picked, json!(true), "`{select}` has no option {value:?}");
}

/// Waits until the notice says `needle`, and returns what it says.
fn wait_for_notice(app: &Desktop, needle: &str) -> String {
    app.wait_for_text("#notice", needle)
}

/// The status badge of a user's row ("Active" or "Disabled").
fn badge(app: &Desktop, username: &str) -> String {
    app.texts(&format!("{} .badge", user_row(username))).into_iter().next().unwrap_or_default()
}

/// Whether the element matching `css` is disabled.
fn is_disabled(app: &Desktop, css: &str) -> bool {
    app.js("return document.querySelector(arguments[0]).disabled;", vec![json!(css)]) == json!(true)
}

/// `data-*` / attribute of the focused element.
fn focused_attr(app: &Desktop, attribute: &str) -> Option<String> {
    app.js(
        "const e = document.activeElement; return e ? e.getAttribute(arguments[0]) : null;",
        vec![json!(attribute)],
    )
    .as_str()
    .map(str::to_string)
}

/// `roster user add` with a password (read from standard input): an onboarded user.
fn add_onboarded_user(cli: &roster_tests::cli::Roster, username: &str, email: &str) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cli
        .command()
        .args(["user", "add", "--username", username, "--email", email, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run roster user add");
    child.stdin.take().expect("stdin").write_all(b"correct horse battery staple\n").expect("write the password");
    assert!(child.wait().expect("roster user add finishes").success(), "roster user add --password-stdin failed");
}

fn names(list: &Value) -> Vec<String> {
    list.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

// ---- tests --------------------------------------------------------------------------------------

#[test]
fn disable_then_enable_from_the_select_menu_and_undo() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("alice.smith", "alice@example.com", "Alice", "Smith");
    cli.add_user_named("bob.jones", "bob@example.com", "Bob", "Jones");

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);
    assert_eq!(badge(&app, "alice.smith"), "Active");

    // The menu works from the keyboard: it opens on its first item, arrows move, Escape closes
    // and gives focus back to the button.
    app.click(&select_button("alice.smith"));
    app.wait_for("#row-menu");
    assert_eq!(app.attr(&select_button("alice.smith"), "aria-expanded").as_deref(), Some("true"));
    assert_eq!(focused_attr(&app, "data-action").as_deref(), Some("edit"), "the menu opens on its first item");
    let entries = app.attr_all("#row-menu [role=menuitem]", "data-action");
    assert!(
        entries.contains(&"disable".to_string()) && !entries.contains(&"enable".to_string()),
        "an active user's menu offers Disable, not Enable: {entries:?}"
    );
    for action in [
        "edit", "view-groups", "second-factor", "remove-identity", "reset-password", "expire-password",
        "reset-mfa", "device-limit", "sessions", "roles", "delete",
    ] {
        assert!(entries.contains(&action.to_string()), "the menu has {action}: {entries:?}");
    }
    app.screenshot("menu");
    app.press(&menu_item("edit"), Key::Down);
    assert_eq!(focused_attr(&app, "data-action").as_deref(), Some("view-groups"), "↓ moves to the next item");
    app.press(&menu_item("view-groups"), Key::Escape);
    app.wait_for_gone("#row-menu");
    assert!(
        app.js("return document.activeElement.classList.contains('row-select') && document.activeElement.dataset.username;", vec![])
            == json!("alice.smith"),
        "Escape gives focus back to the row's Select button"
    );
    assert_eq!(app.attr(&select_button("alice.smith"), "aria-expanded").as_deref(), Some("false"));

    // Scroll events come a frame late: one that arrives after the menu opened, from a scroll that
    // moved nothing, leaves it open; once the button has moved, the menu closes.
    app.click(&select_button("alice.smith"));
    app.wait_for("#row-menu");
    app.js("document.dispatchEvent(new Event('scroll'));", vec![]);
    assert!(app.is_displayed("#row-menu"), "a late scroll event that moved nothing keeps the menu open");
    app.js("document.body.style.paddingTop = '40px'; document.dispatchEvent(new Event('scroll'));", vec![]);
    app.wait_for_gone("#row-menu");
    app.js("document.body.style.paddingTop = '';", vec![]);

    // Disable.
    choose(&app, "alice.smith", "disable");
    wait_for_notice(&app, "Disabled alice@example.com");
    app.wait_until("alice's badge to say Disabled", |d| badge(d, "alice.smith") == "Disabled");
    assert_eq!(cli.show_user("alice.smith")["status"], "disabled", "the CLI sees the user disabled");
    assert_eq!(badge(&app, "bob.jones"), "Active", "only alice changed");
    app.wait_for("#undo-last");
    app.screenshot("disabled");

    // Undo the disable from the notice.
    app.click("#undo-last");
    wait_for_notice(&app, "Undone: Disabled alice@example.com");
    app.wait_until("alice's badge to say Active again", |d| badge(d, "alice.smith") == "Active");
    assert_eq!(cli.show_user("alice.smith")["status"], "active", "undo restored the status: the CLI agrees");
    assert!(!app.exists("#undo-last"), "an undo is not offered again for the undo itself");

    // Disable, then Enable from the menu, which now offers Enable instead of Disable.
    choose(&app, "alice.smith", "disable");
    app.wait_until("alice's badge to say Disabled", |d| badge(d, "alice.smith") == "Disabled");
    // The action is finished when the list has reloaded and focus is back on the row's button.
    wait_for_user_list(&app);
    app.wait_until("focus to be back on alice's Select button", |d| {
        focused_attr(d, "data-username").as_deref() == Some("alice.smith")
    });
    app.click(&select_button("alice.smith"));
    app.wait_for("#row-menu");
    assert!(!app.exists(&menu_item("disable")), "a disabled user's menu offers Enable, not Disable");
    app.click(&menu_item("enable"));
    wait_for_notice(&app, "Enabled alice@example.com");
    app.wait_until("alice's badge to say Active", |d| badge(d, "alice.smith") == "Active");
    assert_eq!(cli.show_user("alice.smith")["status"], "active", "the CLI sees the user enabled");
    app.wait_until("focus to be back on alice's Select button", |d| {
        focused_attr(d, "data-username").as_deref() == Some("alice.smith")
    });
}

#[test]
fn assign_a_group_from_view_groups_and_remove_it_again() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("alice.smith", "alice@example.com", "Alice", "Smith");
    cli.ok(["group", "add", "Engineering", "--description", "Builds the product"]);
    cli.ok(["group", "add", "Sales", "--description", "Sells the product"]);
    cli.ok(["group", "add", "Contractors", "--description", "External staff"]);

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);

    choose(&app, "alice.smith", "view-groups");
    app.wait_for("#action-dialog");
    app.wait_for_text("#user-groups-empty", "alice.smith is in no groups yet");
    app.click("#assign-groups");
    app.wait_for_count("#user-groups-table input.group-check", 3);
    app.click(r#"#user-groups-table input.group-check[value="Sales"]"#);
    assert_eq!(app.value("#groups-action"), "assign");
    app.screenshot("assign");
    app.click("#groups-apply");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "Added alice@example.com to Sales");
    assert_eq!(names(&cli.show_user("alice.smith")["groups"]), ["Sales"], "the CLI sees the new membership");

    // View Groups again: Sales is listed; remove alice from it.
    choose(&app, "alice.smith", "view-groups");
    app.wait_for(r#"#user-groups-table tr[data-group="Sales"]"#);
    assert_eq!(app.attr_all("#user-groups-table tr[data-group]", "data-group"), ["Sales"]);
    app.click(r#"#user-groups-table input.group-check[value="Sales"]"#);
    assert_eq!(app.value("#groups-action"), "remove");
    app.screenshot("remove");
    app.click("#groups-apply");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "Removed alice@example.com from Sales");
    assert!(names(&cli.show_user("alice.smith")["groups"]).is_empty(), "the membership is gone");
    app.wait_for("#undo-last");
}

#[test]
fn change_second_factor_to_hardware_key() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("alice.smith", "alice@example.com", "Alice", "Smith");

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);

    choose(&app, "alice.smith", "second-factor");
    app.wait_for("#second-factor-hardware_key");
    assert_eq!(
        app.js("return document.querySelector('#second-factor-none').checked;", vec![]),
        json!(true),
        "the current method (none) is chosen when the dialog opens"
    );
    assert_eq!(
        app.texts("#action-dialog .choice__label"),
        [
            "None (current)", "Authenticator app (TOTP)", "Email one-time code", "SMS one-time code",
            "Push notification", "Hardware security key",
        ]
    );
    app.click(r#"label[for="second-factor-hardware_key"]"#);
    app.screenshot("chosen");
    app.click("#action-submit");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "Set the second factor of alice@example.com to Hardware security key");
    assert_eq!(cli.show_user("alice.smith")["secondFactor"], "hardware_key", "the CLI agrees");
    app.wait_for("#undo-last");
}

#[test]
fn set_a_device_limit_then_reset_it_to_the_default() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("alice.smith", "alice@example.com", "Alice", "Smith");

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);

    choose(&app, "alice.smith", "device-limit");
    app.wait_for("#device-limit-value");
    assert_eq!(app.text("#device-limit-workspace-default"), "5", "the dialog shows the workspace default");
    assert!(is_disabled(&app, "#device-limit-default"), "nothing to reset: alice has the default already");

    // A limit the core refuses: its message in the error summary, which takes focus.
    app.fill("#device-limit-value", "0");
    app.click("#action-submit");
    app.wait_for_text("#action-error", "Device limit must be a whole number from 1 to 100");
    app.wait_until("the error summary to take focus", |d| d.focused_id().as_deref() == Some("action-error"));
    assert_eq!(app.attr("#device-limit-value", "aria-invalid").as_deref(), Some("true"));
    app.screenshot("error");

    app.fill("#device-limit-value", "3");
    app.click("#action-submit");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "Set the device limit of alice@example.com to 3");
    assert_eq!(cli.show_user("alice.smith")["deviceLimit"], 3);

    choose(&app, "alice.smith", "device-limit");
    app.wait_for_text("#device-limit-current", "3");
    app.screenshot("limit-3");
    app.click("#device-limit-default");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "Reset the device limit of alice@example.com to the workspace default");
    assert_eq!(cli.show_user("alice.smith")["deviceLimit"], Value::Null, "back on the workspace default");
}

#[test]
fn revoke_all_sessions_of_a_demo_user() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.ok(["demo", "--users", "30", "--seed", "7"]);
    // A user with at least two sessions, so both Revoke and "Revoke all" are exercised.
    let users = cli.json(["user", "list", "--limit", "100"]);
    let (username, count) = users["users"]
        .as_array()
        .expect("a page of users")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .map(|u| (u.to_string(), cli.json(["user", "sessions", u]).as_array().map_or(0, Vec::len)))
        .find(|(_, n)| *n >= 2)
        .expect("the demo data has a user with two or more sessions");

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);

    choose(&app, &username, "sessions");
    app.wait_for_count("#sessions-table button.revoke-session", count);
    let headers = app.texts("#sessions-table thead th");
    assert_eq!(&headers[..5], ["Device", "IP address", "User agent", "Started", "Last seen"]);
    app.screenshot("sessions");

    // Revoke one: the dialog stays open and lists one fewer.
    app.click("#sessions-table button.revoke-session");
    app.wait_for_count("#sessions-table button.revoke-session", count - 1);
    app.wait_for_text("#action-status", "Revoked a session of");
    assert_eq!(cli.json(["user", "sessions", &username]).as_array().map(Vec::len), Some(count - 1));

    app.click("#revoke-all-sessions");
    app.wait_for_text("#sessions-empty", "No active sessions");
    let revoked_all = if count - 1 == 1 { "Revoked the only session of".to_owned() } else { format!("Revoked all {} sessions of", count - 1) };
    app.wait_for_text("#action-status", &revoked_all);
    assert_eq!(cli.json(["user", "sessions", &username]), json!([]), "the CLI lists no sessions");
    assert!(is_disabled(&app, "#revoke-all-sessions"), "nothing left to revoke");
    app.screenshot("revoked");
    app.click("#action-cancel");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, &revoked_all);
}

#[test]
fn multi_select_delete_of_twelve_users_asks_for_the_typed_number() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.ok(["demo", "--users", "30", "--seed", "3"]);

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);
    let everyone = listed_usernames(&app);
    assert_eq!(everyone.len(), 30);
    assert!(is_disabled(&app, "#bulk-apply"), "nothing to apply before any user is ticked");
    let doomed: Vec<String> = everyone[..12].to_vec();
    for username in &doomed {
        tick(&app, username);
    }
    app.wait_for_text("#bulk-count", "12 selected");
    assert_eq!(
        app.js("return document.querySelector('#select-all-rows').indeterminate;", vec![]),
        json!(true),
        "the page checkbox shows a partial selection"
    );
    pick(&app, "#bulk-action", "delete");
    app.screenshot("selected");
    app.click("#bulk-apply");

    app.wait_for("#confirm-count");
    assert!(app.text("#action-dialog").contains("Type 12 to confirm"));
    assert!(is_disabled(&app, "#confirm-delete"), "Delete waits for the number");
    app.fill("#confirm-count", "11");
    assert!(is_disabled(&app, "#confirm-delete"), "a wrong number is refused");
    app.press("#confirm-count", Key::Enter);
    assert!(app.is_displayed("#action-dialog"), "Enter with a wrong number deletes nothing");
    assert_eq!(cli.json(["user", "list", "--limit", "100"])["users"].as_array().map(Vec::len), Some(30));
    app.screenshot("wrong-number");

    app.fill("#confirm-count", "12");
    app.wait_until("Delete to be enabled by the right number", |d| !is_disabled(d, "#confirm-delete"));
    app.click("#confirm-delete");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "Deleted 12 users");
    app.wait_until("the list to show the 18 users left", |d| listed_usernames(d).len() == 18);
    app.wait_for_text("#bulk-count", "No users selected");

    let left: Vec<String> = cli.json(["user", "list", "--limit", "100"])["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["username"].as_str().map(str::to_string))
        .collect();
    assert_eq!(left, everyone[12..], "exactly the ticked users are gone");
}

#[test]
fn mail_actions_say_mail_is_not_configured() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("alice.smith", "alice@example.com", "Alice", "Smith");
    cli.add_user_named("bob.jones", "bob@example.com", "Bob", "Jones");

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);

    choose(&app, "alice.smith", "reset-password");
    app.click("#action-submit");
    let message = app.wait_for_text("#action-error", "Mail is not configured");
    assert!(message.contains("alice@example.com"), "the error names the user: {message:?}");
    app.wait_until("the error summary to take focus", |d| d.focused_id().as_deref() == Some("action-error"));
    app.screenshot("reset-password");
    app.press("#action-error", Key::Escape);
    app.wait_for_gone("#action-dialog");
    app.wait_until("focus to return to alice's Select button", |d| {
        focused_attr(d, "data-username").as_deref() == Some("alice.smith")
    });

    app.click("#select-all-rows");
    app.wait_for_text("#bulk-count", "2 selected");
    pick(&app, "#bulk-action", "send_activation_mail");
    app.click("#bulk-apply");
    // Through the outbox, like the On-Boarding tab: its message, and the way to Settings → Mail.
    app.wait_for_text("#bulk-error", "Mail is not set up");
    assert!(app.exists(r##"#bulk-error a[href="#/settings/mail"]"##), "the error leads to Settings → Mail");
    assert_eq!(app.text("#bulk-count"), "2 selected", "a failed action keeps the selection");
}

#[test]
fn roles_expiry_resets_and_delete_from_the_select_menu() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    add_onboarded_user(&cli, "alice.smith", "alice@example.com");
    cli.ok(["user", "second-factor", "alice.smith", "totp"]);
    cli.add_user_named("bob.jones", "bob@example.com", "Bob", "Jones");
    cli.ok(["role", "add", "Admin", "--description", "Manages the directory"]);
    cli.ok(["role", "add", "Auditor", "--description", "Reads the audit log"]);

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);

    // Roles: a checkbox per role, ticked for the roles the user has.
    choose(&app, "alice.smith", "roles");
    app.wait_for_count("#action-dialog input.role-check", 2);
    app.click(r#"#action-dialog input.role-check[value="Auditor"]"#);
    app.screenshot("roles");
    app.click("#action-submit");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "Roles of alice@example.com: Auditor");
    assert_eq!(names(&cli.show_user("alice.smith")["roles"]), ["Auditor"]);
    choose(&app, "alice.smith", "roles");
    app.wait_for_count("#action-dialog input.role-check:checked", 1);
    app.press("#action-dialog input.role-check", Key::Escape);
    app.wait_for_gone("#action-dialog");

    // Password expiry: set a date, then clear it.
    choose(&app, "alice.smith", "expire-password");
    app.wait_for("#expiry-date");
    assert!(is_disabled(&app, "#expiry-clear"), "no expiry to clear yet");
    app.js(
        "const d = document.querySelector('#expiry-date'); d.value = '2030-01-31';
         d.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![],
    );
    app.click("#action-submit");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "The password of alice@example.com expires after");
    assert_eq!(cli.show_user("alice.smith")["passwordExpiresAt"], "2030-01-31");
    choose(&app, "alice.smith", "expire-password");
    app.wait_until("the dialog to show the stored date", |d| d.value("#expiry-date") == "2030-01-31");
    app.click("#expiry-clear");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "Cleared the password expiry of alice@example.com");
    assert_eq!(cli.show_user("alice.smith")["passwordExpiresAt"], Value::Null);

    // Reset MFA and Remove User Identity ask first, and cannot be undone.
    choose(&app, "alice.smith", "reset-mfa");
    app.wait_for_text("#action-dialog", "This cannot be undone");
    app.click("#action-submit");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "alice@example.com");
    assert!(!app.exists("#undo-last"), "resetting MFA offers no undo");
    choose(&app, "alice.smith", "remove-identity");
    app.wait_for_text("#action-dialog", "not onboarded");
    app.click("#action-submit");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "Removed the password and second factor of alice@example.com");
    let stored = cli.show_user("alice.smith");
    assert_eq!(stored["onboarded"], false, "without a password alice is not onboarded: {stored}");
    assert_eq!(stored["secondFactor"], "none", "the second factor is cleared: {stored}");

    // Delete says what goes, and that it is in the audit log.
    choose(&app, "alice.smith", "delete");
    let question = app.wait_for_text("#action-dialog", "group memberships, roles and sessions");
    assert!(question.contains("audit log"), "the question says the deletion is recorded: {question:?}");
    assert_eq!(app.focused_id().as_deref(), Some("action-cancel"), "Cancel has focus first in a destructive question");
    app.screenshot("delete");
    app.click("#action-submit");
    app.wait_for_gone("#action-dialog");
    wait_for_notice(&app, "Deleted alice@example.com");
    app.wait_until("alice's row to be gone", |d| listed_usernames(d) == ["bob.jones"]);
    assert!(!cli.run(["user", "show", "alice.smith"]).status.success(), "the CLI no longer finds alice");
    app.wait_for_text("#user-count", "1 user");
}
