//! Bulk import: a CSV file planned, checked row by row, applied, seen in the Users list, undone
//! from History. The file is opened by typing its path (native GTK file dialogs cannot be driven
//! over WebDriver); the CLI seeds the workspace and checks what the window did.

use std::path::Path;

use roster_tests::desktop::Desktop;
use roster_tests::{test_name, TempWorkspace};
use serde_json::{json, Value};
use thirtyfour::Key;

use crate::{listed_usernames, wait_for_user_list};

// ---- helpers that know the Bulk import screen's markup --------------------------------------

/// Goes to a section through its link in the navigation.
fn nav(app: &Desktop, section: &str) {
    app.click(&format!(r#"#nav a[data-section="{section}"]"#));
}

/// Writes `text` to `name` beside the workspace and returns its path.
fn write_csv(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path.to_str().expect("a UTF-8 temporary path").to_owned()
}

/// Opens the Bulk import screen and plans the file at `path`, typed into the path field.
fn open_file(app: &Desktop, path: &str) {
    nav(app, "bulk");
    app.wait_for("#bulk-path");
    wait_loaded(app, "#bulk-history-table");
    app.fill("#bulk-path", path);
    app.click("#bulk-open");
    app.wait_until("the plan to be shown", |d| d.is_displayed("#bulk-plan") && d.exists("#bulk-summary-bar"));
    wait_loaded(app, "#bulk-rows-table");
}

/// Scrolls the element matching `css` to the top of the window, for a screenshot of what follows it.
fn scroll_to_top(app: &Desktop, css: &str) {
    app.wait_for(css);
    app.js("document.querySelector(arguments[0]).scrollIntoView({ block: 'start' });", vec![json!(css)]);
}

/// Waits until a table has finished loading.
fn wait_loaded(app: &Desktop, table: &str) {
    app.wait_for(table);
    app.wait_until(&format!("{table} to finish loading"), |d| d.exists(&format!(r#"{table}[aria-busy="false"]"#)));
}

/// The count the plan's legend shows for an outcome.
fn planned(app: &Desktop, outcome: &str) -> u64 {
    app.attr(&format!("#bulk-count-{outcome}"), "data-value")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no count for {outcome}"))
}

/// The count the results show (created, updated, deleted, unchanged, failed).
fn result_count(app: &Desktop, key: &str) -> u64 {
    app.attr(&format!("#bulk-result-{key}"), "data-value")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no result count for {key}"))
}

/// The spreadsheet rows the plan's table shows, in order.
fn shown_rows(app: &Desktop) -> Vec<u64> {
    app.attr_all("#bulk-rows-table tr[data-row]", "data-row").iter().map(|r| r.parse().unwrap()).collect()
}

/// The `data-row` of the focused element, when it is a row of the plan.
fn focused_row(app: &Desktop) -> Option<u64> {
    app.js("const e = document.activeElement; return e && e.dataset ? e.dataset.row ?? null : null;", vec![])
        .as_str()
        .and_then(|r| r.parse().ok())
}

/// Clicks the element matching `css` as a person does: press, hold a moment, release.
/// WebDriver's own click releases at once; a person holds the button some 100 ms, long enough
/// for the page to redraw under the pointer (progress comes up to 20 times a second), which is
/// what a button that stays clickable while work runs has to survive.
fn click_held(app: &Desktop, css: &str) {
    let element = app.wait_for(css);
    app.js("document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });", vec![json!(css)]);
    let pressed = app.block_on(app.driver().action_chain().move_to_element_center(&element).click_and_hold().perform());
    pressed.unwrap_or_else(|e| panic!("could not press `{css}`: {e}"));
    std::thread::sleep(std::time::Duration::from_millis(250));
    let released = app.block_on(app.driver().action_chain().release().perform());
    released.unwrap_or_else(|e| panic!("could not release `{css}`: {e}"));
}

/// Cancels the apply under way with its progress panel's Cancel, held like a person's click
/// (progress messages arrive while the button is down), and waits for the window to say that
/// nothing was changed and the panel to go.
fn cancel_apply(app: &mut Desktop) {
    click_held(app, "#bulk-progress-cancel");
    // The click is handled by the time the release is: Cancel keeps saying so once the panel goes.
    let said = app.js("return document.querySelector('#bulk-progress-cancel').textContent;", vec![]);
    assert_eq!(said, json!("Cancelling…"), "the click on Cancel was taken");
    // On a machine busy with other work the hashing threads may take a while to notice.
    app.set_wait(std::time::Duration::from_secs(60));
    app.wait_for_text("#notice", "Cancelled: nothing was changed");
    app.wait_until("the progress bar to go", |d| !d.is_displayed("#bulk-progress"));
}

fn is_disabled(app: &Desktop, css: &str) -> bool {
    app.js("return document.querySelector(arguments[0]).disabled;", vec![json!(css)]) == json!(true)
}

fn usernames(list: &Value) -> Vec<String> {
    list["users"].as_array().expect("users").iter().filter_map(|u| u["username"].as_str().map(str::to_owned)).collect()
}

// ---- tests --------------------------------------------------------------------------------------

#[test]
fn import_a_file_apply_it_see_the_users_then_undo_it() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user_named("carol", "carol@example.com", "Carol", "Smith");
    let csv = write_csv(
        workspace.dir(),
        "new-starters.csv",
        "Action,Username,Email,First Name,Last Name\n\
         add,ann,ann@example.com,Ann,Archer\n\
         add,ben,ben@example.com,Ben,Baker\n\
         add,bad user,not-an-email,,\n\
         update,carol,,Caroline,\n\
         add,cid,cid@example.com,Cid,Cole\n",
    );

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);
    open_file(&app, &csv);

    // The plan: counts in the legend and the bar's accessible name, every row in the table.
    assert_eq!(app.text("#bulk-plan-title"), "Plan of new-starters.csv");
    let counts: Vec<u64> = ["create", "update", "delete", "unchanged", "error"].iter().map(|o| planned(&app, o)).collect();
    assert_eq!(counts, [3, 1, 0, 0, 1], "create, update, delete, unchanged, error");
    let described = app.js(
        "const s = document.querySelector('#bulk-summary-bar');
         return s.getAttribute('aria-labelledby').split(' ').map(id => document.getElementById(id).textContent).join(' | ');",
        vec![],
    );
    assert_eq!(
        described,
        json!("Plan of new-starters.csv: 5 rows | 3 to create, 1 to update, 0 to delete, 0 unchanged, 1 with errors"),
        "the SVG bar is named by its title and described by the counts"
    );
    assert_eq!(shown_rows(&app), [2, 3, 4, 5, 6], "spreadsheet rows: the header is row 1");
    let update = app.text(r#"#bulk-rows-table tr[data-row="5"] .cell-changes"#);
    assert!(update.contains("Carol") && update.contains("Caroline"), "the update shows old → new: {update:?}");
    assert!(is_disabled(&app, "#bulk-apply"), "rows with errors: Apply waits");
    let reason = app.text("#bulk-apply-reason");
    assert!(reason.contains("1 row has errors"), "Apply says why it waits: {reason:?}");
    scroll_to_top(&app, "#bulk-plan");
    app.screenshot("plan");

    // Only the errors, with the core's messages naming their columns.
    app.click(r#".filter-button[data-outcome="error"]"#);
    app.wait_until("only the error row to be shown", |d| shown_rows(d) == [4]);
    assert_eq!(app.attr(r#".filter-button[data-outcome="error"]"#, "aria-pressed").as_deref(), Some("true"));
    let problems = app.text(r#"#bulk-rows-table tr[data-row="4"] .cell-problems"#);
    assert!(problems.contains("Email:") && problems.contains("Enter an email address"), "the core's message per column: {problems:?}");
    scroll_to_top(&app, "#bulk-plan");
    app.screenshot("errors");
    app.click(r#".filter-button[data-outcome="all"]"#);
    app.wait_until("every row to be shown again", |d| shown_rows(d).len() == 5);

    // Next error: focus lands on the error's row.
    app.click("#bulk-next-error");
    app.wait_until("the error row to take focus", |d| focused_row(d) == Some(4));
    app.wait_for_text("#notice", "Row 4: error 1 of 1");

    // Skip the error row and apply.
    app.click("#bulk-skip-invalid");
    app.wait_until("Apply to be enabled by “Skip rows with errors”", |d| !is_disabled(d, "#bulk-apply"));
    app.click("#bulk-apply");
    app.wait_until("the results to be shown", |d| d.is_displayed("#bulk-result"));
    let got: Vec<u64> = ["created", "updated", "deleted", "failed"].iter().map(|k| result_count(&app, k)).collect();
    assert_eq!(got, [3, 1, 0, 1], "created, updated, deleted, failed");
    let batch = app.text("#bulk-batch-id");
    assert!(!batch.trim().is_empty() && batch != "none", "a batch id: {batch:?}");
    app.wait_for_text("#notice", &format!("Applied batch {batch}"));
    wait_loaded(&app, "#bulk-history-table");
    app.wait_for_count("#bulk-history-table tr[data-batch]", 1);
    assert_eq!(app.attr("#bulk-history-table tr[data-batch]", "data-batch").as_deref(), Some(batch.as_str()));
    assert!(!app.is_displayed("#bulk-plan"), "an applied plan makes way for its results");
    scroll_to_top(&app, "#bulk-result");
    app.screenshot("applied");

    // The Users list shows them; the CLI agrees.
    nav(&app, "users");
    wait_for_user_list(&app);
    app.wait_until("the new users to be listed", |d| listed_usernames(d) == ["ann", "ben", "carol", "cid"]);
    assert_eq!(cli.show_user("carol")["firstName"], "Caroline");
    app.wait_for_text("#user-count", "4 users");
    app.screenshot("users");

    // Someone edits ann meanwhile: undo lists her and offers "Undo anyway".
    cli.ok(["user", "edit", "ann", "--last", "Archer-Jones"]);
    nav(&app, "bulk");
    app.wait_for(&format!(r#"#bulk-history-table tr[data-batch="{batch}"] .bulk-undo"#));
    assert_eq!(app.text("#bulk-batch-id"), batch, "the results are still shown after a visit to Users");
    app.click(&format!(r#"#bulk-history-table tr[data-batch="{batch}"] .bulk-undo"#));
    app.wait_for("#action-dialog");
    let question = app.text("#action-dialog");
    assert!(question.contains("removes the 3 users it created"), "the question says what undo does: {question:?}");
    app.click("#action-submit");
    app.wait_for("#bulk-undo-conflicts");
    assert_eq!(app.attr_all("#bulk-undo-conflicts li", "data-username"), ["ann"], "the user changed since is listed");
    assert_eq!(usernames(&cli.json(["user", "list"])), ["ann", "ben", "carol", "cid"], "a refused undo changes nothing");
    app.screenshot("conflict");
    app.click("#bulk-undo-force");
    app.wait_for_gone("#action-dialog");
    app.wait_for_text("#notice", "Undid the batch from new-starters.csv");
    app.wait_until("the batch to show as undone", |d| {
        d.attr(&format!(r#"#bulk-history-table tr[data-batch="{batch}"]"#), "data-undone").as_deref() == Some("true")
    });
    assert!(app.text(&format!(r#"#bulk-history-table tr[data-batch="{batch}"]"#)).contains("Undone"));
    assert!(app.text("#bulk-result-title").ends_with("applied, then undone"), "the results say the batch was undone");
    scroll_to_top(&app, "#bulk-result");
    app.screenshot("undone");

    nav(&app, "users");
    wait_for_user_list(&app);
    app.wait_until("only carol to be listed", |d| listed_usernames(d) == ["carol"]);
    assert_eq!(cli.show_user("carol")["firstName"], "Carol", "the update is reverted");
    app.wait_for_text("#user-count", "1 user");
}

#[test]
fn errors_wait_for_skip_next_error_pages_and_many_deletes_ask_for_their_number() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.ok(["demo", "--users", "30", "--seed", "5"]);
    let everyone = cli.json(["user", "list", "--limit", "100"]);
    let doomed: Vec<(String, String)> = everyone["users"].as_array().expect("users")[..12]
        .iter()
        .map(|u| (u["username"].as_str().unwrap().to_owned(), u["email"].as_str().unwrap().to_owned()))
        .collect();
    // 12 deletes, then 60 adds; row 70 (an add with a bad email) is the only error, on page 2.
    // A column Roster does not know is a warning, and ignored.
    let mut text = String::from("Action,Username,Email,Shoe Size\n");
    for (username, email) in &doomed {
        text.push_str(&format!("delete,{username},{email},\n"));
    }
    for i in 0..60 {
        let email = if i == 56 { "no-at-sign".to_owned() } else { format!("starter{i}@example.com") };
        text.push_str(&format!("add,starter{i},{email},42\n"));
    }
    let csv = write_csv(workspace.dir(), "leavers-and-starters.csv", &text);

    let app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);
    open_file(&app, &csv);
    assert_eq!((planned(&app, "delete"), planned(&app, "create"), planned(&app, "error")), (12, 59, 1));
    assert_eq!(app.attr_all("#bulk-warnings li", "data-column"), ["Shoe Size"], "the unknown column is a warning");
    assert!(app.text("#bulk-warnings").contains("Shoe Size"));
    assert_eq!(shown_rows(&app).len(), 50, "a page of 50 rows, never all");
    assert_eq!(app.text("#bulk-page-status"), "Showing 1–50 of 72");
    assert!(is_disabled(&app, "#bulk-apply"), "Apply waits while rows have errors");

    // N (outside a text field) goes to the page holding the next error and focuses its row.
    app.type_text("#bulk-plan-title", "n");
    app.wait_until("the error on page 2 to take focus", |d| focused_row(d) == Some(70));
    assert_eq!(app.text("#bulk-page-status"), "Showing 51–72 of 72");
    assert!(app.text(r#"#bulk-rows-table tr[data-row="70"]"#).contains("Email"), "the row shows its problem");
    app.screenshot("next-error");
    // N typed into a text field is text, not a jump.
    app.fill("#bulk-path", "n");
    assert_eq!(app.value("#bulk-path"), "n");

    // Skip the error; 12 deletes ask for their number typed.
    app.click("#bulk-skip-invalid");
    app.wait_until("Apply to be enabled", |d| !is_disabled(d, "#bulk-apply"));
    app.click("#bulk-apply");
    app.wait_for("#confirm-count");
    assert!(app.text("#action-dialog").contains("Type 12 to confirm"));
    assert!(is_disabled(&app, "#confirm-delete"), "Delete waits for the number");
    app.fill("#confirm-count", "11");
    assert!(is_disabled(&app, "#confirm-delete"), "a wrong number is refused");
    app.press("#confirm-count", Key::Enter);
    assert!(app.is_displayed("#action-dialog"), "Enter with a wrong number applies nothing");
    app.screenshot("confirm");
    app.fill("#confirm-count", "12");
    app.wait_until("Delete to be enabled by the right number", |d| !is_disabled(d, "#confirm-delete"));
    app.click("#confirm-delete");
    app.wait_for_gone("#action-dialog");
    app.wait_until("the results to be shown", |d| d.is_displayed("#bulk-result"));
    let got: Vec<u64> = ["created", "deleted", "failed"].iter().map(|k| result_count(&app, k)).collect();
    assert_eq!(got, [59, 12, 1]);
    let left = usernames(&cli.json(["user", "list", "--limit", "500"]));
    assert_eq!(left.len(), 30 - 12 + 59);
    assert!(doomed.iter().all(|(u, _)| !left.contains(u)), "the 12 are gone");
    assert!(!is_disabled(&app, "#bulk-save-failed"), "one row failed: it can be saved to fix");
    scroll_to_top(&app, "#bulk-result");
    app.screenshot("applied");
}

#[test]
fn an_unusable_file_says_why_cancelling_an_apply_changes_nothing_and_a_stale_plan_is_planned_again() {
    let workspace = TempWorkspace::new();
    let cli = workspace.cli();
    cli.add_user("carol", "carol@example.com");
    // Passwords are hashed (argon2id, some 10 ms each on a core) before anything is written: 3,000
    // of them take long enough to press Cancel, which stops the hashing at once.
    let mut text = String::from("Action,Username,Email,Password\n");
    for i in 0..3000 {
        text.push_str(&format!("add,hire{i},hire{i}@example.com,correct horse battery {i}\n"));
    }
    let csv = write_csv(workspace.dir(), "hires.csv", &text);

    let empty = write_csv(workspace.dir(), "empty.csv", "");

    let mut app = Desktop::launch(test_name!(), workspace.path());
    wait_for_user_list(&app);
    // A file that cannot be used says why, and offers no Apply.
    nav(&app, "bulk");
    app.fill("#bulk-path", &empty);
    app.click("#bulk-open");
    app.wait_for("#bulk-file-problems li");
    assert!(app.is_displayed("#bulk-file-problems"), "the file's problems are shown");
    assert!(!app.is_displayed("#bulk-apply-panel"), "nothing to apply");
    assert!(!app.is_displayed("#bulk-rows-table"), "no rows to show");
    app.wait_for_text("#notice", "empty.csv cannot be used");
    scroll_to_top(&app, "#bulk-plan");
    app.screenshot("empty-file");

    app.fill("#bulk-path", &csv);
    app.click("#bulk-open");
    app.wait_until("the new plan to be shown", |d| d.text("#bulk-plan-title") == "Plan of hires.csv");
    wait_loaded(&app, "#bulk-rows-table");
    assert!(!app.is_displayed("#bulk-file-problems"), "the new file has no problems");
    assert_eq!(planned(&app, "create"), 3000);
    app.click("#bulk-apply");
    app.wait_until("the passwords to be hashed, with progress", |d| {
        d.is_displayed("#bulk-progress") && d.text("#bulk-progress-label").starts_with("Hashing passwords")
    });
    assert_eq!(app.focused_id().as_deref(), Some("bulk-progress-cancel"), "Cancel takes focus while the work runs");
    app.screenshot("progress");
    cancel_apply(&mut app);
    assert!(!app.is_displayed("#bulk-result"), "no results: nothing was applied");
    assert_eq!(usernames(&cli.json(["user", "list"])), ["carol"], "the workspace is as it was");
    assert_eq!(app.count("#bulk-history-table tr[data-batch]"), 0, "no batch was recorded");
    assert!(!is_disabled(&app, "#bulk-apply"), "the plan can still be applied");

    // An apply goes on while another screen is shown: coming back shows its progress, counted
    // from where it is, and its Cancel stops it.
    app.click("#bulk-apply");
    app.wait_until("the passwords to be hashed again", |d| d.text("#bulk-progress-label").starts_with("Hashing passwords"));
    nav(&app, "users");
    // The Users screen works meanwhile: passwords are hashed without holding the workspace.
    wait_for_user_list(&app);
    assert!(!app.exists("#bulk-progress"), "the Bulk import screen is gone");
    nav(&app, "bulk");
    app.wait_until("the progress of the apply under way to be shown again", |d| {
        d.is_displayed("#bulk-progress")
            && d.text("#bulk-progress-label").starts_with("Hashing passwords")
            && d.js("return document.querySelector('#bulk-progress-bar').max;", vec![]) == json!(3000)
            && d.js("return document.querySelector('#bulk-progress-count').textContent.endsWith(` of ${(3000).toLocaleString()}`);", vec![]) == json!(true)
    });
    assert!(is_disabled(&app, "#bulk-apply"), "no second apply while one runs");
    scroll_to_top(&app, "#bulk-progress");
    app.screenshot("progress-after-coming-back");
    cancel_apply(&mut app);
    assert_eq!(usernames(&cli.json(["user", "list"])), ["carol"], "the workspace is still as it was");
    assert_eq!(app.count("#bulk-history-table tr[data-batch]"), 0, "still no batch");
    assert!(!is_disabled(&app, "#bulk-apply"), "the plan can still be applied");

    // The workspace changes behind the plan's back: applying it is refused until it is planned again.
    cli.add_user("hire0", "someone.else@example.com");
    app.click("#bulk-apply");
    app.wait_for_text("#bulk-errors", "plan the file again");
    app.wait_until("the error summary to take focus", |d| d.focused_id().as_deref() == Some("bulk-errors"));
    assert_eq!(usernames(&cli.json(["user", "list"])), ["carol", "hire0"], "a stale plan changes nothing");
    app.screenshot("stale");
    app.click("#bulk-replan");
    app.wait_until("the file to be planned again", |d| d.is_displayed("#bulk-plan") && planned(d, "error") == 1);
    assert_eq!(planned(&app, "create"), 2999, "hire0 is taken now");
}
