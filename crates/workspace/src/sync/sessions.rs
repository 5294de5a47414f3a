//! A user's sign-in sessions in sync (Roster extension only; without it they stay local).
//! The canonical form holds their ids ([`super::map`]); here the store side: the local
//! user's form with its sessions, and a pull writing the remote's sessions, with their
//! details, over the local ones.

use roster_core::{Session, Timestamp, User, UserId};
use roster_scim::User as ScimUser;
use roster_store::{Reader, StoreError, Writer};

use super::map::{self, Extensions, Fields};

/// The canonical form of a local user, its sessions included when they travel.
pub(crate) fn user_fields(r: &Reader<'_>, u: &User, ext: Extensions) -> Result<Fields, StoreError> {
    let sessions = if ext.roster { r.sessions_of(&u.id)? } else { Vec::new() };
    Ok(map::user_fields(u, &sessions, ext))
}

/// The canonical form of the local `entity` (`user` or `group`) `local_id` now; None when it
/// is gone.
pub(crate) fn local_fields(r: &Reader<'_>, entity: &str, local_id: &str, ext: Extensions) -> Result<Option<Fields>, StoreError> {
    if entity == "user" {
        let user = UserId::parse(local_id).ok().map(|id| r.user_by_id(&id)).transpose()?.flatten();
        return user.map(|u| user_fields(r, &u, ext)).transpose();
    }
    match r.group_by_id(local_id)? {
        Some((name, _)) => Ok(Some(map::group_fields(&name, &r.group_member_ids(local_id)?))),
        None => Ok(None),
    }
}

/// After a user was taken from the remote (`taken`: the form written): its local sessions
/// become those `taken` lists, with the details `remote` gives (the server's user, when at
/// hand), else the local ones, else none (`now` as both times). Run it in merging mode, so
/// that no change is queued. Writes nothing when the sessions are already those.
pub(crate) fn take(w: &Writer<'_>, user: &UserId, taken: &Fields, remote: Option<&ScimUser>, ext: Extensions, now: Timestamp) -> Result<(), StoreError> {
    if !ext.roster {
        return Ok(());
    }
    let mut current = w.reader().sessions_of(user)?;
    let theirs = remote.and_then(|u| u.roster.as_ref()).map(|r| r.sessions.as_slice()).unwrap_or_default();
    let mut next: Vec<Session> = map::session_ids(taken)
        .into_iter()
        .map(|id| match theirs.iter().find(|s| s.id == id) {
            Some(s) => map::local_session(s, now),
            None => current.iter().find(|s| s.id == id).cloned().unwrap_or(Session {
                id,
                device: String::new(),
                ip: String::new(),
                user_agent: String::new(),
                started_at: now,
                last_seen_at: now,
            }),
        })
        .collect();
    current.sort_by(|a, b| a.id.cmp(&b.id));
    next.sort_by(|a, b| a.id.cmp(&b.id));
    if next == current {
        return Ok(());
    }
    w.delete_sessions(user, None)?;
    for s in &next {
        w.insert_session(user, s)?;
    }
    Ok(())
}
