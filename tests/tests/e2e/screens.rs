//! The admin screens: the Users area's On-Boarding Status tab, Groups (list and one group),
//! Roles, Custom attributes and the Audit log. Data is seeded and checked with the CLI.

use std::io::Write;
use std::process::Stdio;

use roster_tests::cli::Roster;
use roster_tests::desktop::Desktop;
use roster_tests::{test_name, TempWorkspace};
use serde_json::{json, Value};
use thirtyfour::Key;

/// `roster user add` with a password on standard input: the user is onboarded.
fn add_onboarded_user(cli: &Roster, username: &str) {
    let mut child = cli
        .command()
        .args(["user", "add", "--username", username, "--email", &format!("{username}@example.com"), "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run roster user add");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(b"correct-horse-battery-staple\n")
        .expect("write the password");
    let output = child.wait_with_output().expect("wait for roster user add");
    assert!(
        output.status.success(),
        "roster user add --password-stdin {username} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Goes to a route the way the nav links do (for routes without a link of their own).
fn go(app: &Desktop, hash: &str) {
    app.js("location.hash = arguments[0];", vec![json!(hash)]);
}

/// Picks an option of a <select> as the keyboard or mouse would: the page sees `change`.
fn choose(app: &Desktop, select: &str, value: &str) {
    app.wait_for(select);
    app.js(
        "const s = document.querySelector(arguments[0]);
         s.focus();
         s.value = arguments[1];
         s.dispatchEvent(new Event('input', { bubbles: true }));
         s.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![json!(select), json!(value)],
    );
}

/// The text of the first element matching `css`, trimmed (waits for it to be shown).
fn text_of(app: &Desktop, css: &str) -> String {
    app.text(css).trim().to_string()
}

/// Waits until no table on the page is loading.
fn wait_loaded(app: &Desktop, table: &str) {
    app.wait_for(table);
    app.wait_until(&format!("{table} to finish loading"), |d| {
        d.exists(&format!(r#"{table}[aria-busy="false"]"#))
    });
}

#[test]
fn onboarding_statistics_show_the_right_numbers() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    for name in ["olivia", "oscar", "otto"] {
        add_onboarded_user(&cli, name);
    }
    for name in ["nina", "noah", "nora", "ned"] {
        cli.add_user(name, &format!("{name}@example.com"));
    }
    cli.ok(["user", "disable", "ned"]);
    let stats = cli.json(["stats", "onboarding"]);
    assert_eq!(
        (&stats["total"], &stats["onboarded"], &stats["notOnboarded"], &stats["disabled"]),
        (&json!(7), &json!(3), &json!(4), &json!(1)),
        "the CLI counts 3 onboarded, 4 not, 1 disabled: {stats}"
    );

    let app = Desktop::launch(test_name!(), workspace.path());
    // The Users area has two tabs; the second one is the onboarding status.
    app.wait_for("#tab-users[aria-current=\"page\"]");
    app.click("#tab-onboarding");
    app.wait_for("#tab-onboarding[aria-current=\"page\"]");
    app.wait_for("#stat-total");
    assert_eq!(text_of(&app, "#stat-total"), "7", "total users");
    assert_eq!(text_of(&app, "#stat-onboarded"), "3", "users with a password");
    assert_eq!(text_of(&app, "#stat-not-onboarded"), "4", "users without a password");
    assert_eq!(text_of(&app, "#stat-disabled"), "1", "disabled users");
    let label = app.attr("#onboarding-stats svg[role=\"img\"]", "aria-label").unwrap_or_default();
    assert!(label.contains("3 of 7 users onboarded"), "the chart is described in words: {label:?}");

    // Everyone was created just now: all four wait "under 1 day", the other buckets are empty.
    for bucket in stats["waiting"].as_array().expect("waiting buckets") {
        let name = bucket["bucket"].as_str().expect("a bucket label");
        let shown = text_of(&app, &format!(r#"tr[data-bucket="{name}"] .count"#));
        assert_eq!(shown, bucket["count"].to_string(), "bucket {name:?} shows the CLI's count");
    }
    assert_eq!(text_of(&app, r#"tr[data-bucket="under 1 day"] .count"#), "4");

    // The not-onboarded users, longest waiting first (in the order they were created).
    wait_loaded(&app, "#onboarding-table");
    assert_eq!(
        app.attr_all("#onboarding-table tr[data-username]", "data-username"),
        ["nina", "noah", "nora", "ned"],
        "only the users without a password, oldest first"
    );
    assert_eq!(text_of(&app, r#"tr[data-username="nina"] .cell-waiting"#), "under 1 day");
    app.screenshot("stats");

    // Tick two and send the activation mail: mail is not set up yet, and the page says so.
    app.click(r#"tr[data-username="nina"] .row-select"#);
    app.click(r#"tr[data-username="nora"] .row-select"#);
    app.wait_for_text("#onboarding-selected", "2 users selected");
    assert_eq!(app.value("#onboarding-action"), "send_activation_mail");
    let chosen = app.js("return document.querySelector('#onboarding-action').selectedOptions[0].textContent;", vec![]);
    assert_eq!(chosen, "Send Activation Mail with Password Reset Link", "the action has the label admins know");
    app.click("#onboarding-apply");
    let message = app.wait_for_text("#onboarding-errors", "Mail is not set up");
    assert!(message.contains("Settings → Mail"), "the message says where to set it up: {message:?}");
    app.wait_until("the error summary to take focus", |d| d.focused_id().as_deref() == Some("onboarding-errors"));
    assert_eq!(app.attr("#onboarding-errors", "role").as_deref(), Some("alert"));
    assert_eq!(app.text("#onboarding-setup-mail"), "Set up mail", "and offers the way there");
    assert_eq!(cli.json(["stats", "onboarding"])["notOnboarded"], 4, "nothing changed");
}

#[test]
fn groups_create_add_member_rename_and_delete() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("alice", "alice@example.com", "Alice", "Smith");
    cli.add_user_named("bob", "bob@example.com", "Bob", "Jones");

    let app = Desktop::launch(test_name!(), workspace.path());
    app.click(r##"#nav a[data-section="groups"]"##);
    app.wait_for(r##"#nav a[data-section="groups"][aria-current="page"]"##);
    wait_loaded(&app, "#groups-table");

    // No name: the core's message, in the summary, linked to the field.
    app.click("#create-group");
    let link = r##"#groups-errors a[href="#new-group-name"]"##;
    let message = app.text(link);
    assert!(message.contains("Enter a group name"), "the core's message for a missing name: {message:?}");
    app.wait_until("the summary to take focus", |d| d.focused_id().as_deref() == Some("groups-errors"));
    app.click(link);
    app.wait_until("the link to move focus to the name field", |d| d.focused_id().as_deref() == Some("new-group-name"));

    app.fill("#new-group-name", "Sales");
    app.fill("#new-group-description", "Everyone who sells");
    app.click("#create-group");
    let row = r#"#groups-table tr[data-group="Sales"]"#;
    app.wait_for(row);
    assert_eq!(text_of(&app, &format!("{row} .cell-members")), "0", "a new group has no members");
    app.wait_for_gone("#groups-errors");

    // Add members by username on the group's page.
    app.click(&format!("{row} a.group-link"));
    wait_loaded(&app, "#members-table");
    assert_eq!(text_of(&app, "#group-member-count"), "0 members");
    app.fill("#add-members", "alice, bob");
    app.click("#add-members-submit");
    app.wait_for_text("#group-member-count", "2 members");
    app.wait_for_count("#members-table tr[data-username]", 2);
    app.wait_for_text("#notice", "Added 2 users to Sales");

    // An unknown username changes nothing and says which one.
    app.fill("#add-members", "carol");
    app.click("#add-members-submit");
    let message = app.text(r##"#group-errors a[href="#add-members"]"##);
    assert!(message.contains("carol"), "the core names the unknown user: {message:?}");

    // Remove the ticked member.
    app.click(r#"#members-table tr[data-username="bob"] .row-select"#);
    app.click("#remove-members");
    app.wait_for_text("#group-member-count", "1 member");
    app.wait_for_count("#members-table tr[data-username]", 1);
    assert_eq!(cli.show_user("bob")["groups"], json!([]), "bob left the group and stayed a user");
    app.screenshot("members");

    // Rename in a dialog: the page follows the new name.
    app.click("#rename-group-open");
    app.wait_for("#rename-group");
    app.fill("#rename-group-name", "Revenue");
    app.screenshot("rename");
    app.click("#rename-group-save");
    app.wait_for_text("h1", "Revenue");
    app.wait_for_gone("#rename-group");
    assert_eq!(text_of(&app, "#group-member-count"), "1 member");
    assert_eq!(cli.show_user("alice")["groups"], json!(["Revenue"]), "the membership follows the rename");

    // Back on the list the count is there; delete from the row, after a confirmation.
    app.click(r##".breadcrumbs a[href="#/groups"]"##);
    let row = r#"#groups-table tr[data-group="Revenue"]"#;
    app.wait_for(row);
    assert_eq!(text_of(&app, &format!("{row} .cell-members")), "1");
    // Escape says no, and focus goes back to the button that asked.
    app.click(&format!("{row} .group-delete"));
    app.wait_for("#confirm-dialog");
    app.press("#confirm-cancel", Key::Escape);
    app.wait_for_gone("#confirm-dialog");
    let back = app.js("return document.activeElement.classList.contains('group-delete');", vec![]);
    assert_eq!(back, json!(true), "focus returns to the Delete button after Escape");
    assert!(app.exists(row), "Escape deleted nothing");
    app.click(&format!("{row} .group-delete"));
    let question = app.wait_for_text("#confirm-dialog", "Delete group Revenue?");
    assert!(
        question.contains("removed from its 1 member") && question.contains("users themselves stay"),
        "the confirmation says memberships go and users stay: {question:?}"
    );
    app.screenshot("delete");
    app.click("#confirm-ok");
    app.wait_for_gone(row);
    app.wait_for_text("#notice", "Deleted group Revenue");
    assert_eq!(cli.json(["group", "list"]), json!([]), "the group is gone");
    assert_eq!(cli.show_user("alice")["groups"], json!([]), "alice stays, without the group");
}

#[test]
fn audit_log_lists_a_change_made_in_the_app_and_undo_works() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user("alice", "alice@example.com");
    cli.ok(["user", "disable", "alice"]);

    let app = Desktop::launch(test_name!(), workspace.path());
    app.click(r##"#nav a[data-section="roles"]"##);
    wait_loaded(&app, "#roles-table");
    app.fill("#new-role-name", "Auditor");
    app.fill("#new-role-description", "Reads the audit log");
    app.click("#create-role");
    app.wait_for(r#"#roles-table tr[data-role="Auditor"]"#);

    app.click(r##"#nav a[data-section="audit"]"##);
    wait_loaded(&app, "#audit-table");
    choose(&app, "#audit-action", "create");
    app.wait_until("only create entries to be listed", |d| {
        let actions = d.attr_all("#audit-table tr[data-seq]", "data-action");
        !actions.is_empty() && actions.iter().all(|a| a == "create")
    });
    let entry = r#"#audit-table tr[data-action="create"][data-subject="Auditor"]"#;
    app.wait_for(entry);
    let text = app.text(entry);
    assert!(text.contains("Created role Auditor"), "the entry says what happened: {text:?}");
    app.screenshot("filtered");

    // Undo the CLI's disable from the log.
    app.click("#audit-clear");
    let disable = r#"#audit-table tr[data-action="disable"][data-subject="alice"]"#;
    app.wait_for(disable);
    app.click(&format!("{disable} details summary"));
    let change = format!(r#"{disable} tr[data-field="status"]"#);
    let shown = app.text(&change);
    assert!(shown.contains("active") && shown.contains("disabled"), "the details show status before and after: {shown:?}");
    assert_eq!(
        app.count(&format!("{disable} tr[data-field]")),
        1,
        "only the fields that changed are listed (not version or updatedAt)"
    );
    app.screenshot("details");
    app.click(&format!("{disable} button.audit-undo"));
    app.wait_for_text("#notice", "Undone: Disabled alice@example.com");
    assert_eq!(cli.show_user("alice")["status"], "active", "undo enabled alice again");
    app.wait_until("the undo entry to be listed first", |d| {
        d.attr_all("#audit-table tr[data-seq]", "data-action").first().map(String::as_str) == Some("undo")
    });

    // The same entry again: alice changed since, so the core refuses and the page says why.
    app.click(&format!("{disable} button.audit-undo"));
    let message = app.wait_for_text("#audit-errors", "has changed since");
    assert!(message.contains("alice"), "the refusal names the user: {message:?}");
    app.wait_until("the error summary to take focus", |d| d.focused_id().as_deref() == Some("audit-errors"));
    assert_eq!(cli.show_user("alice")["status"], "active", "the refused undo changed nothing");
}

#[test]
fn attributes_define_with_errors_and_drop() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user("alice", "alice@example.com");

    let app = Desktop::launch(test_name!(), workspace.path());
    app.click(r##"#nav a[data-section="attributes"]"##);
    wait_loaded(&app, "#attributes-table");

    app.fill("#new-attribute-name", "badge number");
    app.click("#define-attribute");
    let message = app.text(r##"#attributes-errors a[href="#new-attribute-name"]"##);
    assert!(message.contains("must start with a letter"), "the core's message about the name: {message:?}");
    assert_eq!(app.attr("#new-attribute-name", "aria-invalid").as_deref(), Some("true"));

    // Required while users exist: the core explains why not.
    app.fill("#new-attribute-name", "badgeNumber");
    choose(&app, "#new-attribute-type", "number");
    app.click("#new-attribute-required");
    app.click("#define-attribute");
    app.wait_for_text("#attributes-errors", "cannot be required");
    app.screenshot("required");

    app.click("#new-attribute-required");
    app.click("#define-attribute");
    let row = r#"#attributes-table tr[data-attribute="badgeNumber"]"#;
    app.wait_for(row);
    assert!(app.text(row).contains("Number"), "the row shows the type");
    cli.ok(["user", "edit", "alice", "--attr", "badgeNumber=42"]);

    app.click(&format!("{row} .attribute-drop"));
    let question = app.wait_for_text("#confirm-dialog", "Drop attribute badgeNumber?");
    assert!(question.contains("Every user's value"), "the confirmation says values are removed: {question:?}");
    app.click("#confirm-ok");
    app.wait_for_gone(row);
    assert_eq!(cli.show_user("alice")["attributes"], json!({}), "alice's value went with the attribute");
}

/// Every admin screen with realistic data, compared with what the CLI reports; one screenshot
/// each, to look at.
#[test]
fn admin_screens_with_demo_data() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.ok(["demo", "--users", "300"]);
    let stats = cli.json(["stats", "onboarding"]);
    let groups: Vec<Value> = serde_json::from_value(cli.json(["group", "list"])).expect("a list of groups");

    let app = Desktop::launch(test_name!(), workspace.path());
    app.click("#tab-onboarding");
    app.wait_for("#stat-total");
    for (id, key) in [("total", "total"), ("onboarded", "onboarded"), ("not-onboarded", "notOnboarded"), ("disabled", "disabled")] {
        assert_eq!(
            app.attr(&format!("#stat-{id}"), "data-value").as_deref(),
            Some(stats[key].to_string().as_str()),
            "#stat-{id} shows the CLI's {key}"
        );
    }
    for bucket in stats["waiting"].as_array().expect("waiting buckets") {
        let name = bucket["bucket"].as_str().expect("a bucket label");
        assert_eq!(text_of(&app, &format!(r#"tr[data-bucket="{name}"] .count"#)), bucket["count"].to_string(), "bucket {name:?}");
    }
    wait_loaded(&app, "#onboarding-table");
    app.screenshot("onboarding");

    app.click(r##"#nav a[data-section="groups"]"##);
    wait_loaded(&app, "#groups-table");
    app.wait_for_count("#groups-table tr[data-group]", groups.len());
    app.screenshot("groups");
    let first = groups[0]["name"].as_str().expect("a group name");
    go(&app, &format!("#/groups/{}", first.replace(' ', "%20")));
    wait_loaded(&app, "#members-table");
    app.screenshot("group");

    app.click(r##"#nav a[data-section="roles"]"##);
    wait_loaded(&app, "#roles-table");
    app.screenshot("roles");

    app.click(r##"#nav a[data-section="attributes"]"##);
    wait_loaded(&app, "#attributes-table");
    app.screenshot("attributes");

    let someone = cli.json(["user", "list", "--limit", "1"])["users"][0]["username"].as_str().expect("a demo user").to_string();
    cli.ok(["user", "disable", &someone]);
    cli.ok(["user", "second-factor", &someone, "totp"]);
    app.click(r##"#nav a[data-section="audit"]"##);
    wait_loaded(&app, "#audit-table");
    app.click(r#"#audit-table tr[data-action="second_factor"] details summary"#);
    app.screenshot("audit");
}
