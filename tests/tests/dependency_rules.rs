//! Architecture invariants about what each crate may depend on, checked on `cargo tree`.
//!
//! The layers: roster-core (the domain) knows no IO at all; roster-store knows SQLite but not the
//! desktop shell or the network; roster-workspace (the use cases shared by the CLI and the
//! desktop) knows nothing of Tauri; roster-secrets knows the OS keyring and nothing else, and is
//! the only crate that depends on it directly; likewise roster-mail for lettre and roster-scim
//! for reqwest. Each rule covers the whole normal dependency tree,
//! on every target platform, so a crate cannot slip in through another.

use std::path::Path;
use std::process::Command;

struct Rule {
    package: &'static str,
    forbidden: &'static [&'static str],
    why: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        package: "roster-core",
        forbidden: &[
            "rusqlite",
            "libsqlite3-sys",
            "reqwest",
            "hyper",
            "tauri",
            "wry",
            "keyring",
            "lettre",
            "tokio",
        ],
        why: "roster-core is the domain and knows no IO (no database, network, mail, keyring, \
              async runtime or UI): it cannot fail on IO, and its tests need no files or servers. \
              IO belongs in roster-store, roster-workspace or the shells",
    },
    Rule {
        package: "roster-store",
        forbidden: &["tauri", "wry", "reqwest"],
        why: "roster-store is the SQLite workspace file only: the desktop shell and network \
              clients belong to other layers, so the CLI and tests can use the store without them",
    },
    Rule {
        package: "roster-workspace",
        forbidden: &["tauri", "wry"],
        why: "roster-workspace holds the use cases the CLI and the desktop share: only \
              roster-desktop (src-tauri) knows Tauri, so the CLI never links WebKit",
    },
    Rule {
        package: "roster-secrets",
        forbidden: &[
            "roster-store",
            "roster-workspace",
            "rusqlite",
            "libsqlite3-sys",
            "tauri",
            "wry",
            "reqwest",
            "hyper",
            "lettre",
            "linux-keyutils",
        ],
        why: "roster-secrets owns the OS keyring and nothing else (no workspace file, UI, network \
              or mail), and on Linux it is the Secret Service, never the kernel's keyutils store, \
              which forgets every secret at logout",
    },
];

/// The keyring crates only roster-secrets may name as dependencies: every other crate asks it.
const KEYRING_CRATES: &[&str] = &["keyring", "dbus-secret-service", "secret-service"];
/// The SMTP crates only roster-mail may name as dependencies.
const MAIL_CRATES: &[&str] = &["lettre"];
/// The HTTP client only roster-scim may name as a dependency.
const HTTP_CLIENT_CRATES: &[&str] = &["reqwest"];

fn cargo() -> Command {
    // Use the cargo that runs these tests (and its toolchain), not whichever is first on PATH.
    let cargo = std::env::var_os("CARGO")
        .or_else(|| option_env!("CARGO").map(Into::into))
        .unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    command
}

/// `cargo tree` with `args`; panics with cargo's own error if it fails.
fn cargo_tree(args: &[&str]) -> String {
    let output = cargo()
        .arg("tree")
        .args(args)
        .output()
        .expect("run `cargo tree` (is cargo installed?)");
    assert!(
        output.status.success(),
        "`cargo tree {}` failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("cargo tree prints UTF-8")
}

/// The names of every crate in `package`'s normal dependency tree, on any target.
fn dependency_names(package: &str) -> Vec<String> {
    let tree = cargo_tree(&["-p", package, "-e", "normal", "--target", "all", "--prefix", "none"]);
    // Lines look like "argon2 v0.5.3" or "roster-core v0.1.0 (/path) (*)": the name comes first.
    let mut names: Vec<String> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn check(rule: &Rule) {
    let names = dependency_names(rule.package);
    assert!(
        names.iter().any(|n| n == rule.package),
        "`cargo tree -p {}` did not list the package itself; its output format changed?\n{names:?}",
        rule.package
    );
    let found: Vec<&str> = rule
        .forbidden
        .iter()
        .copied()
        .filter(|f| names.iter().any(|n| n == f))
        .collect();
    if found.is_empty() {
        return;
    }
    // Say how each forbidden crate comes in, from the inverted tree.
    let paths: Vec<String> = found
        .iter()
        .map(|f| {
            cargo_tree(&["-p", rule.package, "-e", "normal", "--target", "all", "-i", f])
        })
        .collect();
    panic!(
        "{} depends on {}, which it must not: {}.\nHow they come in:\n{}",
        rule.package,
        found.join(", "),
        rule.why,
        paths.join("\n")
    );
}

#[test]
fn the_domain_core_does_no_io() {
    check(&RULES[0]);
}

#[test]
fn the_store_knows_neither_the_desktop_shell_nor_the_network() {
    check(&RULES[1]);
}

#[test]
fn the_use_cases_do_not_know_tauri() {
    check(&RULES[2]);
}

#[test]
fn the_keyring_owner_knows_nothing_else() {
    check(&RULES[3]);
}

#[test]
fn only_roster_secrets_knows_the_keyring() {
    only_owner_depends_on(
        "roster-secrets",
        KEYRING_CRATES,
        "the others ask it, so that one small module decides where secrets go (the OS keyring, never a file)",
    );
}

#[test]
fn only_roster_mail_knows_smtp() {
    only_owner_depends_on("roster-mail", MAIL_CRATES, "the others hand it finished mails, so one crate owns SMTP, TLS and logins");
}

#[test]
fn only_roster_scim_knows_reqwest() {
    only_owner_depends_on(
        "roster-scim",
        HTTP_CLIENT_CRATES,
        "the others call its SCIM client, so one crate owns HTTP, TLS, retries and the bearer token",
    );
}

/// No workspace member but `owner` names any of `crates` as a direct dependency.
fn only_owner_depends_on(owner: &str, crates: &[&str], why: &str) {
    let metadata = workspace_metadata();
    let mut offenders = Vec::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("a package name");
        if name == owner {
            continue;
        }
        for dependency in package["dependencies"].as_array().expect("dependencies") {
            let dependency = dependency["name"].as_str().expect("a dependency name");
            if crates.contains(&dependency) {
                offenders.push(format!("{name} -> {dependency}"));
            }
        }
    }
    assert!(offenders.is_empty(), "only {owner} may depend on {crates:?}; {why}: {offenders:?}");
}

/// `cargo metadata` of the workspace members (no dependencies resolved).
fn workspace_metadata() -> serde_json::Value {
    let metadata = cargo()
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .expect("run `cargo metadata`");
    assert!(metadata.status.success(), "cargo metadata failed");
    serde_json::from_slice(&metadata.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn every_rule_names_a_workspace_member() {
    let metadata = workspace_metadata();
    let members: Vec<&str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for rule in RULES {
        assert!(
            members.contains(&rule.package),
            "the rule for {} names no workspace member (renamed?): the rule would check nothing. \
             Members: {members:?}",
            rule.package
        );
    }
}
