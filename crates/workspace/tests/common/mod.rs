//! Shared set-up of the use-case tests: a workspace file of its own, a fixed clock, a seeded rng.

use rand::SeedableRng;
use roster_core::Timestamp;
use roster_workspace::{Clock, Workspace};

pub struct FixedClock(Timestamp);
impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

pub const NOW: Timestamp = time::macros::datetime!(2026-11-29 10:00 UTC);

pub fn open(dir: &tempfile::TempDir) -> Workspace {
    Workspace::open_with(
        &dir.path().join("w.roster"),
        Box::new(FixedClock(NOW)),
        Box::new(rand::rngs::StdRng::seed_from_u64(7)),
        "tester".into(),
    )
    .unwrap()
}
