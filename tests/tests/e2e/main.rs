//! End-to-end tests: the real desktop app (target/<profile>/roster-desktop) driven over WebDriver
//! through tauri-driver, each test on a workspace file of its own.
//!
//! Run them with scripts/test (builds the binaries, starts a virtual display and a private D-Bus
//! session), or by hand:
//!
//! ```text
//! cargo build -p roster-desktop -p roster-cli
//! xvfb-run -a cargo test -p roster-tests --test e2e
//! ```
//!
//! Screenshots land in target/screenshots/<test>.png (the state at the end of each test), what
//! the app printed in target/e2e-logs/<test>.log. The element ids and data attributes used here
//! are the UI's test contract; the UI does no validation of its own, so messages asserted here are
//! the core's.
//!
//! One module per screen or feature; helpers that know the UI's structure live here, so a change
//! of markup is fixed in one place.

mod actions;
mod bulk;
mod mail;
mod users;
mod screens;
mod sync;
mod sync_history;

use roster_tests::desktop::Desktop;

/// A row of the Users list, by username.
pub fn user_row(username: &str) -> String {
    format!(r#"tr[data-username="{username}"]"#)
}

/// The usernames of the rows the Users list shows, in order.
pub fn listed_usernames(app: &Desktop) -> Vec<String> {
    app.attr_all("tr[data-username]", "data-username")
}

/// Waits until the Users list is shown and has finished loading (no request in flight).
pub fn wait_for_user_list(app: &Desktop) {
    app.wait_for("#add-user");
    app.wait_until("the Users list to finish loading", |d| {
        d.exists(r#"#users-table[aria-busy="false"]"#)
    });
}
