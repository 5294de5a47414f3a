//! The Users screen: the list, search, and the Add / Edit user form.

use roster_tests::desktop::Desktop;
use roster_tests::{test_name, TempWorkspace};

use crate::{listed_usernames, user_row, wait_for_user_list};

#[test]
fn add_user_through_the_form_and_find_it_in_the_list() {
    let workspace = TempWorkspace::new();
    let app = Desktop::launch(test_name!(), workspace.path());

    app.click("#add-user");
    app.fill("#field-username", "jane.doe");
    app.fill("#field-email", "jane.doe@example.com");
    app.fill("#field-firstName", "Jane");
    app.fill("#field-lastName", "Doe");
    app.fill("#field-phone", "+44 7400 123456");
    app.click("#user-form-submit");

    let row = user_row("jane.doe");
    app.wait_for(&row);
    wait_for_user_list(&app);
    let text = app.text(&row);
    assert!(text.contains("jane.doe@example.com"), "the new row shows the email; it shows {text:?}");
    assert!(
        text.contains("+447400123456"),
        "the row shows the phone in E.164 form as the core stores it; it shows {text:?}"
    );
    assert_eq!(
        app.attr(&format!("{row} .onboard-icon"), "data-onboarded").as_deref(),
        Some("false"),
        "no password was given, so the user is not onboarded until they set one from a reset mail"
    );

    let stored = workspace.cli().show_user("jane.doe");
    assert_eq!(stored["email"], "jane.doe@example.com", "the CLI sees what the form saved: {stored}");
    assert_eq!(stored["onboarded"], false, "stored as not onboarded: {stored}");
}

#[test]
fn bad_email_shows_the_error_summary() {
    let workspace = TempWorkspace::new();
    let app = Desktop::launch(test_name!(), workspace.path());

    app.click("#add-user");
    app.fill("#field-username", "jane.doe");
    app.fill("#field-email", "not-an-email");
    app.click("#user-form-submit");

    app.wait_for("#error-summary");
    app.wait_until("the error summary to take focus", |d| {
        d.focused_id().as_deref() == Some("error-summary")
    });
    let link = r##"#error-summary a[href="#field-email"]"##;
    let message = app.text(link);
    assert!(
        message.contains("Enter an email address in the correct format"),
        "the summary links to the email field with the core's message; it says {message:?}"
    );
    app.screenshot("summary");

    app.click(link);
    app.wait_until("the summary link to move focus to the email field", |d| {
        d.focused_id().as_deref() == Some("field-email")
    });
    assert_eq!(
        app.attr("#field-email", "aria-invalid").as_deref(),
        Some("true"),
        "the email field is marked invalid for assistive technology"
    );

    // Nothing was saved: back on the list there are no users.
    app.click("#user-form-cancel");
    wait_for_user_list(&app);
    assert_eq!(listed_usernames(&app), Vec::<String>::new(), "a rejected form adds nobody");
}

#[test]
fn search_narrows_the_list() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("alice.smith", "alice@example.com", "Alice", "Smith");
    cli.add_user_named("bob.jones", "bob@example.com", "Bob", "Jones");
    cli.add_user_named("carol.smith", "carol@example.com", "Carol", "Smith");
    let everyone = ["alice.smith", "bob.jones", "carol.smith"];

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);
    assert_eq!(listed_usernames(&app), everyone, "the list starts with every user, by username");

    app.fill("#user-search", "smi");
    app.wait_until("only the Smiths to be listed", |d| {
        listed_usernames(d) == ["alice.smith", "carol.smith"]
    });
    app.screenshot("smi");

    app.clear("#user-search");
    app.wait_until("every user to be listed again after clearing the search", |d| {
        listed_usernames(d) == everyone
    });
}

#[test]
fn edit_user_changes_the_name() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("alice.smith", "alice@example.com", "Alice", "Smith");

    let app = Desktop::launch(test_name!(), workspace.path());
    let row = user_row("alice.smith");
    app.click(&format!("{row} .user-link"));
    app.wait_until("the form to show the stored last name", |d| {
        d.exists("#field-lastName") && d.value("#field-lastName") == "Smith"
    });
    app.fill("#field-lastName", "Jones");
    app.click("#user-form-submit");

    app.wait_for_text(&row, "Jones");
    wait_for_user_list(&app);
    let stored = cli.show_user("alice.smith");
    assert_eq!(stored["lastName"], "Jones", "the edit was saved to the workspace: {stored}");
    assert_eq!(stored["firstName"], "Alice", "fields left alone stay as they were: {stored}");
}
