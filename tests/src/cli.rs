//! The `roster` command-line tool, run against a test's workspace file: to seed data before the
//! app starts and to check what the app wrote.
//!
//! Contract: `roster [--workspace PATH] [--json] <command> ...`, exit status 0 on success.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::paths;

/// `roster --workspace <file>`.
#[derive(Debug, Clone)]
pub struct Roster {
    binary: PathBuf,
    workspace: PathBuf,
}

impl Roster {
    pub fn new(workspace: &Path) -> Roster {
        Roster {
            binary: paths::built_binary("roster", "roster-cli", "ROSTER_CLI_BIN"),
            workspace: workspace.to_path_buf(),
        }
    }

    /// The command with `--workspace` set, for anything the helpers below don't cover.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command.arg("--workspace").arg(&self.workspace);
        command
    }

    /// Runs `roster --workspace F <args>` and returns its output whatever the exit status.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        self.command()
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", self.binary.display()))
    }

    /// Runs the command, expecting success; returns its standard output.
    pub fn ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let output = self.run(&args);
        assert!(
            output.status.success(),
            "`roster --workspace {} {}` failed ({}):\n{}{}",
            self.workspace.display(),
            args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        String::from_utf8(output.stdout).expect("roster prints UTF-8")
    }

    /// Runs `roster --workspace F --json <args>`, expecting success, and parses what it prints.
    pub fn json<I, S>(&self, args: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut all = vec![OsStr::new("--json").to_owned()];
        all.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        let stdout = self.ok(&all);
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("`roster --json` printed something that is not JSON ({e}):\n{stdout}"))
    }

    /// `roster user add --username U --email E`.
    pub fn add_user(&self, username: &str, email: &str) {
        self.ok(["user", "add", "--username", username, "--email", email]);
    }

    /// `roster user add` with the optional names too.
    pub fn add_user_named(&self, username: &str, email: &str, first: &str, last: &str) {
        self.ok([
            "user", "add", "--username", username, "--email", email, "--first", first, "--last", last,
        ]);
    }

    /// `roster --json user show U`.
    pub fn show_user(&self, username: &str) -> Value {
        self.json(["user", "show", username])
    }
}
