//! The use cases of a Roster workspace.
//!
//! Both front ends, the `roster` CLI and the desktop shell, call these functions and only
//! these: a CLI subcommand or a Tauri command reads its input, calls one function here and
//! maps the result. Each function that changes something runs in one store transaction
//! and appends its audit entry in that same transaction.
//!
//! Here, and not in the core, live the clock, the random source and the actor's name; they
//! are passed in through [`Workspace::open_with`] so tests are deterministic.

mod actions;
mod attributes;
mod bulk;
mod audit;
mod demo;
mod error;
mod groups;
mod mail;
mod onboarding;
mod outbox;
mod progress;
mod remotes;
mod sync;
mod users;
mod views;

use std::path::{Path, PathBuf};

use rand::RngCore;
use roster_core::Timestamp;
use roster_store::Store;

pub use actions::{BulkAction, CONFIRM_DELETE_OVER};
pub use bulk::{
    csv_line, BulkAlertView, BulkApplyOptions, BulkBatchView, BulkHashes, BulkPasswords, BulkChangeView, BulkNoticeView, BulkPageView, BulkPlan, BulkPlanSummaryView,
    BulkPlanView, BulkPositionView, BulkProblemView, BulkResultView, BulkRowView, BulkSavedView, BulkSummaryView, BulkUndoView,
    CONFIRM_BULK_DELETES_OVER, CONFIRM_DELETE_PERCENT, TEMPLATE_FILE_NAME,
};
pub use demo::{DemoSummary, DEMO_PASSWORD};
pub use error::{Error, ErrorCode, FieldProblem};
pub use mail::{MailSentView, MailSetupInput, MailView};
pub use outbox::{
    MailOptionsInput, MailOptionsView, MailPreviewView, MailQueueInput, MailQueuedView, MailSendView, MailSentToView, MailSkipView, MailTemplateInput,
    MailTemplateView, OutboxMailView, OutboxQuery, OutboxView, DEFAULT_CONCURRENCY, INTERRUPTED,
};
pub use progress::{Cancelled, Progress, Silent};
pub use remotes::{RemoteInput, RemoteView, SyncStatusView};
pub use sync::{
    SyncConflictView, SyncCountsView, SyncFieldView, SyncOperationView, SyncPlanView, SyncProblemView, SyncPullView, SyncPushView,
    SyncResolveInput, SyncResultView,
};
pub use sync::results::{PushResultFilter, SyncPushResultsView, SyncPushSummaryView, SyncResultsSavedView, PUSH_RESULTS_CSV_HEADER, RESULTS_PAGE_MAX};
pub use onboarding::{REMIND_AFTER_DAYS, REMIND_AFTER_DAYS_MAX, WAITING_BUCKETS};
pub use views::{
    ActionView, AttributeInput, AttributeView, AuditListQuery, AuditPageView, AuditView, BulkActionInput, BulkActionView, GroupView,
    OnboardingView, RoleView, SessionView, SettingsView, UserEditInput, UserGroupsView, UserInput, UserListQuery,
    UserPageView, UserView, WaitingBucketView, WorkspaceInfo,
};

/// Where time comes from.
pub trait Clock: Send {
    fn now(&self) -> Timestamp;
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now_utc()
    }
}

/// An open workspace and the context its changes are made in.
pub struct Workspace {
    store: Store,
    clock: Box<dyn Clock>,
    rng: Box<dyn RngCore + Send>,
    actor: String,
}

impl Workspace {
    /// The workspace file used when none is named: `workspace.roster` in the platform's
    /// data folder (`~/.local/share/roster` on Linux, `~/Library/Application Support/org.roster.Roster`
    /// on macOS, `%APPDATA%\roster\Roster\data` on Windows).
    pub fn default_path() -> PathBuf {
        directories::ProjectDirs::from("org", "roster", "Roster")
            .map(|d| d.data_dir().join("workspace.roster"))
            .unwrap_or_else(|| PathBuf::from("workspace.roster"))
    }

    /// The path to use: the one given, else `ROSTER_WORKSPACE`, else [`Workspace::default_path`].
    pub fn resolve_path(given: Option<&Path>) -> PathBuf {
        given
            .map(Path::to_owned)
            .or_else(|| std::env::var_os("ROSTER_WORKSPACE").filter(|v| !v.is_empty()).map(PathBuf::from))
            .unwrap_or_else(Self::default_path)
    }

    /// Opens (creating if needed) the workspace at `path` with the real clock, the operating
    /// system's random source, and the signed-in OS user as the actor of audit entries.
    pub fn open(path: &Path) -> Result<Self, Error> {
        Self::open_with(path, Box::new(SystemClock), Box::new(rand::rngs::StdRng::from_entropy_os()), actor_from_env())
    }

    pub fn open_with(path: &Path, clock: Box<dyn Clock>, rng: Box<dyn RngCore + Send>, actor: String) -> Result<Self, Error> {
        let store = Store::open(path).map_err(Error::from)?;
        Ok(Self { store, clock, rng, actor })
    }

    pub fn path(&self) -> &Path {
        self.store.path()
    }

    pub fn info(&self) -> Result<WorkspaceInfo, Error> {
        let r = self.store.reader();
        Ok(WorkspaceInfo {
            path: self.store.path().display().to_string(),
            schema_version: roster_store::SCHEMA_VERSION,
            user_count: r.user_count()?,
            settings: SettingsView::from(&r.settings()?),
        })
    }

    /// The lock one run of some long work holds (`<workspace>.NAME-lock` beside the workspace
    /// file): `conflict`, saying `busy`, while another run holds it, in this process or another
    /// (a window and the CLI alike). The OS releases it when the holder ends, however it ends.
    pub(crate) fn run_lock(&self, name: &str, busy: &str) -> Result<std::fs::File, Error> {
        let mut path = self.store.path().as_os_str().to_owned();
        path.push(format!(".{name}-lock"));
        let path = PathBuf::from(path);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::new(ErrorCode::Internal, format!("Cannot open {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::new(ErrorCode::Conflict, busy)),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::new(ErrorCode::Internal, format!("Cannot lock {}: {e}", path.display()))),
        }
    }

    fn random_bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        self.rng.fill_bytes(&mut b);
        b
    }
}

/// The OS user running Roster, named in audit entries.
pub fn actor_from_env() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "admin".to_owned())
}

/// Seeding a StdRng from the OS: the one place randomness enters.
trait FromEntropyOs {
    fn from_entropy_os() -> Self;
}

impl FromEntropyOs for rand::rngs::StdRng {
    fn from_entropy_os() -> Self {
        <rand::rngs::StdRng as rand::SeedableRng>::from_entropy()
    }
}
