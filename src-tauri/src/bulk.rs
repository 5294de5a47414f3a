//! What the Bulk import screen keeps between commands: the open plan (one at a time), what
//! applying it did, and which run Cancel stopped. Progress goes to the window through a
//! channel, a few messages a second at most.
//!
//! A run is named by its progress channel's id, which the window picks before the command
//! starts: a Cancel that reaches the shell before the command's body has begun still stops
//! that run, and a late Cancel of a run that has ended cannot stop the next one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use roster_workspace::{BulkPlan, BulkPlanSummaryView, BulkResultView, Error, ErrorCode, Progress};
use serde::Serialize;
use tauri::ipc::Channel;

/// The least time between two progress messages of one phase (at most 20 a second).
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// One progress message: the step under way (`reading`, `checking`, `hashing passwords`,
/// `applying`, `undoing`) and how far it has got (`total` 0: not known yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgressMessage {
    pub phase: String,
    pub done: u64,
    pub total: u64,
}

/// The open plan, its result, and the cancelled run. Managed state beside [`crate::Desktop`].
#[derive(Default)]
pub struct BulkSession {
    open: Mutex<Open>,
    /// The channel id + 1 of the run Cancel stopped (0: none).
    cancelled: AtomicU64,
    /// The channel id + 1 of the run started last (0: none), for a Cancel that names no run.
    latest: AtomicU64,
}

#[derive(Default)]
struct Open {
    plan: Option<Arc<BulkPlan>>,
    result: Option<BulkResultView>,
}

impl BulkSession {
    fn open(&self) -> Result<MutexGuard<'_, Open>, Error> {
        self.open.lock().map_err(|_| Error::new(ErrorCode::Internal, "An earlier command failed badly; restart Roster"))
    }

    /// The open plan; `not_found` when no file has been opened.
    pub(crate) fn plan(&self) -> Result<Arc<BulkPlan>, Error> {
        self.open()?.plan.clone().ok_or_else(no_plan)
    }

    /// The open plan and what applying it did, if it was applied.
    pub(crate) fn plan_and_result(&self) -> Result<(Arc<BulkPlan>, Option<BulkResultView>), Error> {
        let open = self.open()?;
        Ok((open.plan.clone().ok_or_else(no_plan)?, open.result.clone()))
    }

    /// Makes `plan` the open plan (forgetting the previous one and its result); returns its summary.
    pub(crate) fn replace(&self, plan: BulkPlan) -> Result<BulkPlanSummaryView, Error> {
        let summary = plan.summary();
        *self.open()? = Open { plan: Some(Arc::new(plan)), result: None };
        Ok(summary)
    }

    /// Keeps `result` as what applying `plan` did, if `plan` is still the open one.
    pub(crate) fn applied(&self, plan: &Arc<BulkPlan>, result: &BulkResultView) -> Result<(), Error> {
        let mut open = self.open()?;
        if open.plan.as_ref().is_some_and(|p| Arc::ptr_eq(p, plan)) {
            open.result = Some(result.clone());
        }
        Ok(())
    }

    /// Progress for new work, reported on `channel`; the run is the channel's.
    pub(crate) fn progress(&self, channel: Channel<ProgressMessage>) -> ChannelProgress<'_> {
        let run = u64::from(channel.id()) + 1;
        self.latest.store(run, Ordering::SeqCst);
        let last = Last { phase: String::new(), done: 0, counted: false, sent: None };
        ChannelProgress { channel, run, cancelled: &self.cancelled, last: Mutex::new(last) }
    }

    /// Asks run `run` (its progress channel's id) to stop, or without one the run started last;
    /// the work stops before it commits.
    pub(crate) fn cancel(&self, run: Option<u32>) {
        let run = run.map_or_else(|| self.latest.load(Ordering::SeqCst), |id| u64::from(id) + 1);
        self.cancelled.store(run, Ordering::SeqCst);
    }
}

fn no_plan() -> Error {
    Error::new(ErrorCode::NotFound, "No file is open: choose a CSV file first")
}

/// Sends progress to the window: every new phase at once, then its first count (the total, so
/// the bar has a scale), counts at most every 50 ms, and the last one of a phase always.
/// Cancelled when [`BulkSession::cancel`] named its run.
pub(crate) struct ChannelProgress<'a> {
    channel: Channel<ProgressMessage>,
    run: u64,
    cancelled: &'a AtomicU64,
    last: Mutex<Last>,
}

struct Last {
    phase: String,
    done: u64,
    /// A count of this phase was sent.
    counted: bool,
    sent: Option<Instant>,
}

impl ChannelProgress<'_> {
    fn send(&self, last: &mut Last, done: u64, total: u64) {
        last.sent = Some(Instant::now());
        last.done = done;
        // A window that went away cannot be told; the work goes on regardless.
        let _ = self.channel.send(ProgressMessage { phase: last.phase.clone(), done, total });
    }
}

impl Progress for ChannelProgress<'_> {
    fn phase(&self, name: &str) {
        let Ok(mut last) = self.last.lock() else { return };
        if last.phase != name {
            last.phase = name.to_owned();
            self.send(&mut last, 0, 0);
            last.counted = false;
        }
    }

    fn update(&self, done: u64, total: u64) {
        let Ok(mut last) = self.last.lock() else { return };
        // Counts from several threads can arrive out of order: never send one that goes back.
        if done < last.done {
            return;
        }
        if !last.counted || done >= total || last.sent.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY) {
            self.send(&mut last, done, total);
            last.counted = true;
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst) == self.run
    }
}
