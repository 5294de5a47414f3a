//! The harness of the CLI tests: the real `roster` binary on a workspace file of its own.
#![allow(dead_code)] // each test file uses its own part of it

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub struct Ws {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Ws {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.roster");
        Self { _dir: dir, path }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = self.command(args).stdin(Stdio::piped()).spawn().unwrap();
        let mut pipe = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            pipe.write_all(s.as_bytes()).unwrap();
        }
        drop(pipe);
        child.wait_with_output().unwrap()
    }

    /// `roster --workspace PATH ARGS…`, stdout and stderr piped, not started yet.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_roster"));
        command
            .arg("--workspace")
            .arg(&self.path)
            .args(args)
            .env_remove("ROSTER_WORKSPACE")
            .env("USER", "tester")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.run(&with_json(args));
        assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: stdout is not one JSON document ({e})"))
    }

    /// Runs with --json, expects exit `code`, and returns the error's JSON from stderr.
    pub fn fails(&self, code_wanted: i32, args: &[&str]) -> Value {
        let out = self.run(&with_json(args));
        assert_eq!(code(&out), code_wanted, "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}: a failure prints nothing on stdout");
        serde_json::from_slice(&out.stderr).unwrap_or_else(|e| panic!("{args:?}: stderr is not one JSON error ({e})"))
    }

    pub fn add(&self, name: &str) {
        self.json(&["user", "add", "--username", name, "--email", &format!("{name}@example.com")]);
    }

    pub fn add_with_password(&self, name: &str) {
        let out = self.run_with_stdin(
            &["user", "add", "--username", name, "--email", &format!("{name}@example.com"), "--password-stdin"],
            Some("correct horse battery\n"),
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }

    pub fn user(&self, name: &str) -> Value {
        self.json(&["user", "show", name])
    }

    pub fn user_count(&self) -> usize {
        self.json(&["user", "list", "--limit", "1000"])["users"].as_array().unwrap().len()
    }
}

pub fn with_json<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    all
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

