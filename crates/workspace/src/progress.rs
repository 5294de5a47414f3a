//! Progress and cancellation of long work (demo data now; bulk apply and mail later).

/// Told how far long work has got; asked whether to stop. Work that is cancelled stops
/// before it commits, so nothing is left half done.
pub trait Progress: Sync {
    /// A new step of the work begins (`reading`, `checking`, `hashing passwords`, `applying`,
    /// `undoing`); `update` counts within it.
    fn phase(&self, _name: &str) {}
    fn update(&self, done: u64, total: u64);
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// Reports nowhere, never cancels.
pub struct Silent;

impl Progress for Silent {
    fn update(&self, _done: u64, _total: u64) {}
}

/// Returned when work was cancelled before it committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;
