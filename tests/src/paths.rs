//! Where the built binaries and the test outputs (screenshots, logs) live.

use std::path::{Path, PathBuf};

/// The folder cargo put the running binary's profile in (`target/debug` for `cargo test`,
/// `target/release` for `cargo test --release` or a release benchmark, under `$CARGO_TARGET_DIR`
/// when that is set): the sibling binaries of the same build live there.
///
/// Found from the running executable (`<profile>/deps/<test>-<hash>` for tests,
/// `<profile>/examples/<name>`, `<profile>/<bin>`), which follows whatever target folder cargo
/// used; falls back to `$CARGO_TARGET_DIR/debug` or `<workspace>/target/debug`.
pub fn profile_dir() -> PathBuf {
    if let Some(dir) = std::env::current_exe().ok().as_deref().and_then(Path::parent) {
        let nested = dir.file_name().is_some_and(|n| n == "deps" || n == "examples");
        if nested {
            if let Some(profile) = dir.parent() {
                return profile.to_path_buf();
            }
        }
        // A binary run from its profile folder (cargo keeps its fingerprints there).
        if dir.join(".fingerprint").is_dir() {
            return dir.to_path_buf();
        }
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    };
    target.join("debug")
}

/// The repository root (the folder above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
        .to_path_buf()
}

/// The folder holding `debug/`, `release/`: screenshots and logs go under it.
pub fn target_dir() -> PathBuf {
    let profile = profile_dir();
    profile.parent().map(Path::to_path_buf).unwrap_or(profile)
}

/// A binary of the workspace, built beforehand. `env_override` names a variable that may point
/// at another build (e.g. `ROSTER_DESKTOP_BIN`). Panics, saying how to build it, when missing.
pub fn built_binary(name: &str, package: &str, env_override: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env_override) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{env_override}={} does not name a file",
            path.display()
        );
        return path;
    }
    let profile = profile_dir();
    let path = profile.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.is_file() {
        let release = if profile.file_name().is_some_and(|n| n == "release") {
            " --release"
        } else {
            ""
        };
        panic!(
            "{} is missing: these tests drive the built binary. Build it first with\n    \
             cargo build{release} -p {package}\n(scripts/test builds everything, then runs the tests)",
            path.display()
        );
    }
    path
}

/// `target/screenshots/`, created on first use.
pub fn screenshot_dir() -> PathBuf {
    let dir = target_dir().join("screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

/// `target/e2e-logs/`, created on first use: what tauri-driver, WebKitWebDriver and the app print.
pub fn log_dir() -> PathBuf {
    let dir = target_dir().join("e2e-logs");
    std::fs::create_dir_all(&dir).expect("create target/e2e-logs");
    dir
}

/// The first executable called `name` on PATH, then in each of `fallbacks`.
pub fn find_program(name: &str, fallbacks: &[PathBuf]) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join(name)).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(fallbacks.iter().cloned())
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}
