//! The desktop app, started and driven over WebDriver for end-to-end tests.
//!
//! [`Desktop::launch`] starts `tauri-driver` (the WebDriver bridge Tauri provides) on free loopback
//! ports with WebKitGTK's `WebKitWebDriver` behind it, opens a session whose capabilities name
//! `target/<profile>/roster-desktop --workspace <file>`, and waits until the UI says it is ready
//! (`body[data-ready="true"]`). Dropping the [`Desktop`] saves a last screenshot
//! (`target/screenshots/<test>.png`), ends the session (which closes the app) and stops
//! tauri-driver with SIGTERM.
//!
//! The API is synchronous (each call blocks on a private tokio runtime) so tests are plain
//! `#[test]` functions and clean-up can run in `Drop`, even when a test panics. Every wait has a
//! timeout and its panic message says what was awaited and what the page showed.
//!
//! What the app, tauri-driver and WebKitWebDriver print goes to `target/e2e-logs/<test>.log`; its
//! end is printed when a test fails.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use thirtyfour::prelude::*;
use thirtyfour::Capabilities;

use crate::paths;

/// How long a `wait_*` call waits by default before failing the test.
pub const WAIT: Duration = Duration::from_secs(15);
/// How long starting the app may take, from spawning tauri-driver to `data-ready`. Generous: a
/// first WebKit start on a loaded two-core CI machine takes several seconds.
const LAUNCH: Duration = Duration::from_secs(90);
/// How often waits poll the page.
const POLL: Duration = Duration::from_millis(100);

/// A running Roster desktop app under WebDriver control. See the module docs.
pub struct Desktop {
    name: String,
    runtime: tokio::runtime::Runtime,
    driver: Option<WebDriver>,
    tauri_driver: Option<Child>,
    log: PathBuf,
    wait: Duration,
    // Per-test XDG data/config/cache folders, so WebKit's storage and the app's own files never
    // touch the user's (or another test's). Removed on drop.
    _xdg: tempfile::TempDir,
    // Released last, once the app is gone.
    _slot: Slot,
}

impl Desktop {
    /// Starts the app on `workspace` (`--workspace <file>`) and waits until its first page is
    /// ready. `name` names the screenshot and log files: use the test function's name.
    pub fn launch(name: &str, workspace: &Path) -> Desktop {
        Self::launch_with_args(name, &["--workspace".into(), path_arg(workspace)])
    }

    /// Starts the app with exactly these command-line arguments (no `--workspace` added) and waits
    /// until its first page is ready.
    pub fn launch_with_args(name: &str, args: &[String]) -> Desktop {
        let mut desktop = Self::start(name, args);
        desktop.wait = LAUNCH;
        desktop.wait_for(r#"body[data-ready="true"]"#);
        desktop.wait = WAIT;
        desktop
    }

    /// Starts the app with these arguments and returns as soon as the WebDriver session is open,
    /// without waiting for the page: for tests of what the app shows before it is ready.
    pub fn start(name: &str, args: &[String]) -> Desktop {
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c)),
            "Desktop name {name:?} is used in file names: letters, digits, _ and - only"
        );
        let application = paths::built_binary("roster-desktop", "roster-desktop", "ROSTER_DESKTOP_BIN");
        let tools = Tools::find();
        check_display();

        let slot = Slot::acquire();
        let xdg = tempfile::Builder::new()
            .prefix("roster-e2e-xdg-")
            .tempdir()
            .expect("a temporary folder for the app's XDG directories");
        let log = paths::log_dir().join(format!("{name}.log"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime for the WebDriver client");

        let (child, port) = start_tauri_driver(&tools, &log, xdg.path());
        // From here on, Drop cleans up whatever happens.
        let mut desktop = Desktop {
            name: name.to_string(),
            runtime,
            driver: None,
            tauri_driver: Some(child),
            log,
            wait: WAIT,
            _xdg: xdg,
            _slot: slot,
        };

        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("wry"));
        capabilities.insert(
            "tauri:options".into(),
            json!({ "application": application, "args": args }),
        );
        let url = format!("http://127.0.0.1:{port}");
        // See tests/Cargo.toml: with reqwest's features unified across the workspace, building
        // the WebDriver client needs a process-wide rustls provider (already set: fine).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let session = desktop.runtime.block_on(async {
            tokio::time::timeout(LAUNCH, WebDriver::new(url, Capabilities::from(capabilities))).await
        });
        match session {
            Ok(Ok(driver)) => desktop.driver = Some(driver),
            Ok(Err(e)) => panic!(
                "tauri-driver could not start {} ({e}); see {}",
                application.display(),
                desktop.log.display()
            ),
            Err(_) => panic!(
                "tauri-driver did not start {} within {LAUNCH:?}; see {}",
                application.display(),
                desktop.log.display()
            ),
        }
        desktop
    }

    /// The WebDriver session, for anything the helpers don't cover (run its futures with
    /// [`Desktop::block_on`]).
    pub fn driver(&self) -> &WebDriver {
        self.driver.as_ref().expect("the WebDriver session is open")
    }

    /// Runs a future (e.g. a `WebElement` call) on this app's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Changes how long the `wait_*` calls (and the ones built on them) wait from now on.
    pub fn set_wait(&mut self, wait: Duration) {
        self.wait = wait;
    }

    // ---- queries: they never wait and never panic on a missing element -----------------------

    /// Runs JavaScript in the page (`arguments[i]` are `args`) and returns what it returns.
    pub fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.try_js(script, args)
            .unwrap_or_else(|e| panic!("script failed ({e}):\n{script}"))
    }

    fn try_js(&self, script: &str, args: Vec<Value>) -> WebDriverResult<Value> {
        let ret = self.block_on(self.driver().execute(script, args))?;
        Ok(ret.json().clone())
    }

    /// How many elements match `css`.
    pub fn count(&self, css: &str) -> usize {
        self.try_js("return document.querySelectorAll(arguments[0]).length;", vec![json!(css)])
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as usize
    }

    /// Whether an element matches `css` (shown or not).
    pub fn exists(&self, css: &str) -> bool {
        self.count(css) > 0
    }

    /// Whether the first element matching `css` exists and is shown (has a box and is not
    /// `visibility: hidden`).
    pub fn is_displayed(&self, css: &str) -> bool {
        self.try_js(
            "const e = document.querySelector(arguments[0]);
             if (!e) return false;
             const box = e.getClientRects().length > 0;
             return box && getComputedStyle(e).visibility !== 'hidden';",
            vec![json!(css)],
        )
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
    }

    /// The rendered text (`innerText`) of every element matching `css`, in document order.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.try_js(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText);",
            vec![json!(css)],
        )
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
    }

    /// The value of `attribute` on every element matching `css` that has it, in document order.
    pub fn attr_all(&self, css: &str, attribute: &str) -> Vec<String> {
        self.try_js(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.getAttribute(arguments[1]))
                 .filter(v => v !== null);",
            vec![json!(css), json!(attribute)],
        )
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
    }

    /// The `id` of the focused element (`document.activeElement`), if it has one.
    pub fn focused_id(&self) -> Option<String> {
        self.js(
            "const e = document.activeElement; return e && e.id ? e.id : null;",
            vec![],
        )
        .as_str()
        .map(str::to_string)
    }

    /// The start of the page's text, for failure messages.
    pub fn page_summary(&self) -> String {
        let text = self
            .try_js("return document.body ? document.body.innerText : '';", vec![])
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "<the page could not be read>".into());
        let mut text: String = text.chars().take(800).collect();
        if text.len() == 800 {
            text.push('…');
        }
        text
    }

    // ---- waits: they fail the test after the wait timeout, saying what was awaited -----------

    /// Waits until `what` holds, polling `holds`. Panics after the wait timeout with `what` and
    /// the page's text.
    pub fn wait_until(&self, what: &str, holds: impl FnMut(&Desktop) -> bool) {
        if !self.poll(holds) {
            self.timed_out(what, "");
        }
    }

    /// Polls `holds` until it returns true (then true) or the wait timeout passes (then false).
    fn poll(&self, mut holds: impl FnMut(&Desktop) -> bool) -> bool {
        let start = Instant::now();
        loop {
            if holds(self) {
                return true;
            }
            if start.elapsed() > self.wait {
                return false;
            }
            std::thread::sleep(POLL);
        }
    }

    fn timed_out(&self, what: &str, detail: &str) -> ! {
        panic!(
            "timed out after {:?} waiting for {what}{detail}\n--- the page showed:\n{}\n---",
            self.wait,
            self.page_summary()
        );
    }

    /// Waits until an element matching `css` is shown, and returns it.
    pub fn wait_for(&self, css: &str) -> WebElement {
        self.wait_until(&format!("`{css}` to be shown"), |d| d.is_displayed(css));
        self.element(css)
    }

    /// Waits until no element matching `css` is shown (absent or hidden).
    pub fn wait_for_gone(&self, css: &str) {
        self.wait_until(&format!("`{css}` to be gone"), |d| !d.is_displayed(css));
    }

    /// Waits until exactly `n` elements match `css`.
    pub fn wait_for_count(&self, css: &str, n: usize) {
        self.wait_until(&format!("{n} elements matching `{css}`"), |d| d.count(css) == n);
    }

    /// Waits until the first element matching `css` is shown and its text contains `needle`.
    pub fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let mut last = String::new();
        self.wait_until(&format!("`{css}` to show {needle:?}"), |d| {
            last = d.texts(css).into_iter().next().unwrap_or_default();
            d.is_displayed(css) && last.contains(needle)
        });
        last
    }

    // ---- elements and actions -----------------------------------------------------------------

    /// The first element matching `css`, now (panics if there is none; use `wait_for` to wait).
    pub fn element(&self, css: &str) -> WebElement {
        self.block_on(self.driver().find(By::Css(css)))
            .unwrap_or_else(|e| panic!("no element matches `{css}`: {e}"))
    }

    /// The first shown element's text (waits for it).
    pub fn text(&self, css: &str) -> String {
        let element = self.wait_for(css);
        self.block_on(element.text())
            .unwrap_or_else(|e| panic!("could not read the text of `{css}`: {e}"))
    }

    /// An attribute of the first element matching `css` (waits for the element to exist, shown or
    /// not); `None` when the attribute is absent.
    pub fn attr(&self, css: &str, attribute: &str) -> Option<String> {
        self.wait_until(&format!("`{css}` to exist"), |d| d.exists(css));
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
            vec![json!(css), json!(attribute)],
        )
        .as_str()
        .map(str::to_string)
    }

    /// The current value of the form field matching `css`.
    pub fn value(&self, css: &str) -> String {
        self.wait_until(&format!("`{css}` to exist"), |d| d.exists(css));
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.value : null;",
            vec![json!(css)],
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Clicks the element matching `css` as a user would, waiting until it is shown and
    /// clickable (retrying while, say, an overlay still covers it).
    pub fn click(&self, css: &str) {
        let mut last_error = String::new();
        let clicked = self.poll(|d| {
            if !d.is_displayed(css) {
                last_error = "it is not shown".into();
                return false;
            }
            let clicked = d.block_on(async {
                let element = d.driver().find(By::Css(css)).await?;
                element.click().await
            });
            match clicked {
                Ok(()) => true,
                Err(e) => {
                    last_error = e.to_string();
                    false
                }
            }
        });
        if !clicked {
            self.timed_out(&format!("`{css}` to be clickable"), &format!(" (last: {last_error})"));
        }
    }

    /// Replaces the content of the field matching `css` with `text`, typing as a user would
    /// (select all, delete, type), so the page sees the same input events.
    pub fn fill(&self, css: &str, text: &str) {
        self.clear(css);
        self.type_text(css, text);
    }

    /// Empties the field matching `css` by selecting its content and pressing Backspace.
    pub fn clear(&self, css: &str) {
        let element = self.wait_for(css);
        let had_text = self.js(
            "const e = document.querySelector(arguments[0]);
             e.focus();
             if (typeof e.select === 'function') e.select();
             return e.value !== '';",
            vec![json!(css)],
        );
        if had_text.as_bool() == Some(true) {
            self.block_on(element.send_keys(Key::Backspace))
                .unwrap_or_else(|e| panic!("could not clear `{css}`: {e}"));
        }
        let left = self.value(css);
        assert!(left.is_empty(), "`{css}` still holds {left:?} after select-all and Backspace");
    }

    /// Types `text` into the element matching `css` (after what it holds).
    pub fn type_text(&self, css: &str, text: &str) {
        let element = self.wait_for(css);
        self.block_on(element.send_keys(text))
            .unwrap_or_else(|e| panic!("could not type into `{css}`: {e}"));
    }

    /// Presses a key in the element matching `css` (e.g. `Key::Enter`).
    pub fn press(&self, css: &str, key: Key) {
        let element = self.wait_for(css);
        self.block_on(element.send_keys(key))
            .unwrap_or_else(|e| panic!("could not press a key in `{css}`: {e}"));
    }

    /// Saves a screenshot to `target/screenshots/<test>-<label>.png` and returns its path. (The
    /// last screenshot, `<test>.png`, is taken on drop.)
    pub fn screenshot(&self, label: &str) -> PathBuf {
        let path = paths::screenshot_dir().join(format!("{}-{label}.png", self.name));
        self.block_on(async {
            settle_paint(self.driver()).await;
            self.driver().screenshot(&path).await
        })
        .unwrap_or_else(|e| panic!("could not save {}: {e}", path.display()));
        path
    }

    /// The file that collects what tauri-driver, WebKitWebDriver and the app print.
    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let failing = std::thread::panicking();
        // Noted before teardown: if ending the session fails to close the app, these are what
        // would outlive tauri-driver.
        let descendants = self
            .tauri_driver
            .as_ref()
            .map(|child| processes::descendants(child.id()))
            .unwrap_or_default();
        if let Some(driver) = self.driver.take() {
            let shot = paths::screenshot_dir().join(format!("{}.png", self.name));
            let teardown = self.runtime.block_on(async {
                let shot = tokio::time::timeout(Duration::from_secs(20), async {
                    settle_paint(&driver).await;
                    driver.screenshot(&shot).await
                })
                .await;
                // Ending the session makes WebKitWebDriver close the app.
                let quit = tokio::time::timeout(Duration::from_secs(20), driver.quit()).await;
                (shot, quit)
            });
            match teardown.0 {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("[{}] last screenshot failed: {e}", self.name),
                Err(_) => eprintln!("[{}] last screenshot timed out", self.name),
            }
            match teardown.1 {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("[{}] ending the WebDriver session failed: {e}", self.name),
                Err(_) => eprintln!("[{}] ending the WebDriver session timed out", self.name),
            }
        }
        if let Some(child) = self.tauri_driver.take() {
            stop(child, &self.name);
        }
        let left = processes::terminate_survivors(&descendants);
        if left > 0 {
            eprintln!("[{}] {left} process(es) of the app outlived tauri-driver: sent SIGTERM", self.name);
        }
        if failing {
            eprintln!(
                "--- end of {} (tauri-driver, WebKitWebDriver and app output):\n{}\n---",
                self.log.display(),
                tail(&self.log, 60)
            );
        }
    }
}

/// Waits (at most 5 s) until the page has painted its current DOM. WebKit's screenshot returns the
/// last frame it presented, which can lag well behind the DOM the test just checked: two animation
/// frames after now, the current state has been painted.
async fn settle_paint(driver: &WebDriver) {
    let frames = driver.execute_async(
        "const done = arguments[arguments.length - 1];
         requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        Vec::new(),
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), frames).await;
}

/// The programs the E2E tests need besides Roster's own.
struct Tools {
    tauri_driver: PathBuf,
    native_driver: PathBuf,
}

impl Tools {
    fn find() -> Tools {
        let cargo_bin = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .map(|home| home.join("bin").join("tauri-driver"));
        let tauri_driver = paths::find_program("tauri-driver", &cargo_bin.into_iter().collect::<Vec<_>>())
            .unwrap_or_else(|| {
                panic!(
                    "tauri-driver is not installed: the E2E tests drive the app through it. Run scripts/setup \
                     (or: cargo install tauri-driver --locked)"
                )
            });
        let native_driver = paths::find_program(
            "WebKitWebDriver",
            &[
                PathBuf::from("/usr/bin/WebKitWebDriver"),
                PathBuf::from("/usr/libexec/webkit2gtk-4.1/WebKitWebDriver"),
            ],
        )
        .unwrap_or_else(|| {
            panic!(
                "WebKitWebDriver is not installed: tauri-driver needs it on Linux. Run scripts/setup \
                 (or: apt-get install webkit2gtk-driver)"
            )
        });
        Tools {
            tauri_driver,
            native_driver,
        }
    }
}

fn check_display() {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        panic!(
            "no display (neither DISPLAY nor WAYLAND_DISPLAY is set): run the E2E tests under a virtual \
             X server, e.g. scripts/test, or: xvfb-run -a cargo test -p roster-tests"
        );
    }
}

/// Starting tauri-driver picks two free ports and waits until both servers listen on them. One
/// start at a time in this process, so two tests never pick the same ports.
static STARTING: Mutex<()> = Mutex::new(());

fn start_tauri_driver(tools: &Tools, log: &Path, xdg: &Path) -> (Child, u16) {
    let _one_at_a_time = STARTING.lock().unwrap_or_else(|e| e.into_inner());
    let (port, native_port) = two_free_ports();
    let out = File::create(log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
    let err = out.try_clone().expect("clone the log file handle");
    for sub in ["data", "config", "cache"] {
        std::fs::create_dir_all(xdg.join(sub)).expect("create the XDG folders");
    }
    let mut child = Command::new(&tools.tauri_driver)
        .arg("--port")
        .arg(port.to_string())
        .arg("--native-port")
        .arg(native_port.to_string())
        .arg("--native-driver")
        .arg(&tools.native_driver)
        // Inherited by WebKitWebDriver and the app it starts.
        .env("XDG_DATA_HOME", xdg.join("data"))
        .env("XDG_CONFIG_HOME", xdg.join("config"))
        .env("XDG_CACHE_HOME", xdg.join("cache"))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", tools.tauri_driver.display()));

    let deadline = Instant::now() + Duration::from_secs(30);
    for p in [port, native_port] {
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "tauri-driver exited ({status}) before listening on port {p}:\n{}",
                    tail(log, 30)
                );
            }
            let address = SocketAddr::from(([127, 0, 0, 1], p));
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                stop(child, "start");
                panic!("tauri-driver did not listen on port {p} within 30 s:\n{}", tail(log, 30));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    (child, port)
}

fn two_free_ports() -> (u16, u16) {
    // Both listeners are held at once so the two ports differ.
    let a = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    let b = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    (
        a.local_addr().expect("port").port(),
        b.local_addr().expect("port").port(),
    )
}

/// Stops tauri-driver with SIGTERM (it then stops WebKitWebDriver) and waits for it. Only if it
/// ignores SIGTERM for 10 s is it killed, so a stuck driver cannot hang the suite.
fn stop(mut child: Child, name: &str) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    #[cfg(unix)]
    {
        let pid = child.id() as libc::pid_t;
        // SAFETY: kill(2) with a pid we spawned and have not yet reaped: it cannot name another
        // process.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("[{name}] tauri-driver ignored SIGTERM for 10 s; killing it");
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The last `lines` lines of a file (or a note saying it could not be read).
fn tail(path: &Path, lines: usize) -> String {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return format!("<{} could not be read: {e}>", path.display()),
    };
    // The end is enough: logs can be long.
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn path_arg(path: &Path) -> String {
    path.to_str()
        .unwrap_or_else(|| panic!("workspace path {} is not UTF-8", path.display()))
        .to_string()
}

/// At most `ROSTER_E2E_JOBS` apps (default 2) run at once in one test binary: each is a WebKit
/// process tree, and more than that on a two-core machine only makes every test slower.
struct Slot;

static RUNNING: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

impl Slot {
    fn acquire() -> Slot {
        let max = std::env::var("ROSTER_E2E_JOBS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(2);
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= max {
            running = FREED.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        *running -= 1;
        FREED.notify_one();
    }
}

/// The app's process tree, so that an app left behind by a failed teardown is still stopped.
/// Processes are named by pid *and* start time, so a reused pid is never signalled.
mod processes {
    /// A process as /proc shows it: its pid and its start time (clock ticks since boot).
    pub type Process = (u32, u64);

    /// Every live descendant of `root` (children, their children, ...).
    #[cfg(target_os = "linux")]
    pub fn descendants(root: u32) -> Vec<Process> {
        let all: Vec<(u32, u32, u64)> = std::fs::read_dir("/proc")
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                    .filter_map(|pid| stat(pid).map(|(ppid, start)| (pid, ppid, start)))
                    .collect()
            })
            .unwrap_or_default();
        let mut found: Vec<Process> = Vec::new();
        let mut parents = vec![root];
        while let Some(parent) = parents.pop() {
            for &(pid, ppid, start) in &all {
                if ppid == parent && !found.iter().any(|&(p, _)| p == pid) {
                    found.push((pid, start));
                    parents.push(pid);
                }
            }
        }
        found
    }

    /// Sends SIGTERM to each of `processes` that still runs (same pid, same start time); returns
    /// how many did.
    #[cfg(target_os = "linux")]
    pub fn terminate_survivors(processes: &[Process]) -> usize {
        let mut signalled = 0;
        for &(pid, start) in processes {
            if stat(pid).is_some_and(|(_, now)| now == start) {
                // SAFETY: kill(2) on a pid just checked to be the very process noted before.
                unsafe {
                    libc::kill(pid as libc::pid_t, libc::SIGTERM);
                }
                signalled += 1;
            }
        }
        signalled
    }

    /// (parent pid, start time) of a live, non-zombie process.
    #[cfg(target_os = "linux")]
    fn stat(pid: u32) -> Option<(u32, u64)> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the
        // last ')'. Fields from there: state(3) ppid(4) ... starttime(22).
        let rest = &text[text.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.first() == Some(&"Z") {
            return None;
        }
        let ppid = fields.get(1)?.parse().ok()?;
        let start = fields.get(19)?.parse().ok()?;
        Some((ppid, start))
    }

    #[cfg(not(target_os = "linux"))]
    pub fn descendants(_root: u32) -> Vec<Process> {
        Vec::new()
    }

    #[cfg(not(target_os = "linux"))]
    pub fn terminate_survivors(_processes: &[Process]) -> usize {
        0
    }
}
