//! Shared set-up of the use-case tests: a workspace file of its own, a fixed clock, a seeded rng.

use rand::SeedableRng;
use roster_core::{Secret, Timestamp};
use roster_workspace::{Clock, RemoteInput, Workspace};

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

/// A workspace (as `open`) linked to the SCIM server at `url` as `idp`, its bearer `token` in the
/// OS keyring.
#[allow(dead_code)] // only the sync tests link
pub fn open_linked(dir: &tempfile::TempDir, url: String, token: &str) -> Workspace {
    let mut ws = open(dir);
    ws.remote_add(RemoteInput { name: "idp".into(), url, token: Some(Secret::new(token.to_owned())), insecure_skip_tls_verify: false }).unwrap();
    ws
}
