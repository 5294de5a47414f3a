//! Test harness for Roster's cross-crate and end-to-end tests.
//!
//! The tests drive the built binaries from the outside, as a user or a script would:
//! - [`cli::Roster`] runs `target/<profile>/roster` against a workspace file;
//! - [`desktop::Desktop`] starts `target/<profile>/roster-desktop` through `tauri-driver` and
//!   drives its window over WebDriver;
//! - [`TempWorkspace`] gives each test its own workspace file in a temporary folder;
//! - [`scim::ScimServer`] runs a real SCIM 2.0 server (scim2-server) for the sync tests.
//!
//! The binaries are built beforehand (`scripts/test` does it):
//! `cargo build -p roster-desktop -p roster-cli`.

/// The name of the function this is used in: `Desktop::launch(test_name!(), ...)` names the
/// screenshot and log files after the test without repeating its name.
#[macro_export]
macro_rules! test_name {
    () => {{
        fn here() {}
        fn name_of<T>(_: T) -> &'static str {
            ::std::any::type_name::<T>()
        }
        let path = name_of(here);
        let path = path.strip_suffix("::here").unwrap_or(path);
        // A test's closures add `{{closure}}` segments: skip them.
        path.rsplit("::")
            .find(|segment| !segment.starts_with('{'))
            .unwrap_or(path)
    }};
}

pub mod cli;
pub mod csvgen;
pub mod desktop;
pub mod paths;
pub mod scim;

use std::path::{Path, PathBuf};

/// A workspace file of its own for one test, in a temporary folder removed when this is dropped.
/// The file itself does not exist until the CLI or the app creates it.
pub struct TempWorkspace {
    // Kept for its Drop, which removes the folder.
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TempWorkspace {
    pub fn new() -> TempWorkspace {
        let dir = tempfile::Builder::new()
            .prefix("roster-test-")
            .tempdir()
            .expect("a temporary folder for the test's workspace");
        let path = dir.path().join("workspace.roster");
        TempWorkspace { _dir: dir, path }
    }

    /// The workspace file (`--workspace PATH`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder holding the workspace file, for anything else the test needs to keep apart.
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// The `roster` CLI pointed at this workspace.
    pub fn cli(&self) -> cli::Roster {
        cli::Roster::new(&self.path)
    }
}

impl Default for TempWorkspace {
    fn default() -> Self {
        Self::new()
    }
}
