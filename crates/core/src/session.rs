//! Sign-in sessions, as the directory reports them.

use crate::Timestamp;

/// One active session of one user on one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub device: String,
    pub ip: String,
    pub user_agent: String,
    pub started_at: Timestamp,
    pub last_seen_at: Timestamp,
}
