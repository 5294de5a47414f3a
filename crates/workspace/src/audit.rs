//! The audit log: listing it, and undoing an entry where the entry alone is enough.

use roster_core::{DeviceLimit, GroupName, RoleName, SecondFactor, UserStatus};
use roster_store::AuditQuery;
use serde_json::Value;

use crate::views::{ActionView, AuditListQuery, AuditPageView, AuditView, UserView};
use crate::{Error, ErrorCode, Workspace};

/// Actions whose entry's before image restores the user. Removing an identity and resetting
/// MFA cannot be undone: what they cleared is not kept anywhere.
const UNDOABLE: &[&str] = &["disable", "enable", "second_factor", "expire_password", "device_limit", "assign_groups", "unassign_groups", "roles", "undo"];

impl Workspace {
    pub fn audit(&self, q: &AuditListQuery) -> Result<AuditPageView, Error> {
        let limit = q.limit.unwrap_or(50);
        if !(1..=1000).contains(&limit) {
            return Err(Error::new(ErrorCode::Usage, "Limit must be from 1 to 1000"));
        }
        let rows = self.store.reader().audit_page(&AuditQuery {
            subject: q.user.clone().filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_owned()),
            action: q.action.clone().filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_owned()),
            limit: limit + 1,
            before_seq: q.before,
        })?;
        let next = (rows.len() > limit).then(|| rows[limit - 1].seq);
        let entries = rows
            .into_iter()
            .take(limit)
            .map(|r| AuditView {
                undoable: r.entity == "user" && UNDOABLE.contains(&r.action.as_str()) && r.before.is_some() && r.after.is_some(),
                seq: r.seq,
                at: crate::views::rfc3339(r.at),
                actor: r.actor,
                entity: r.entity,
                subject: r.subject,
                action: r.action,
                summary: r.summary,
                before: r.before.and_then(|s| serde_json::from_str(&s).ok()),
                after: r.after.and_then(|s| serde_json::from_str(&s).ok()),
            })
            .collect();
        Ok(AuditPageView { entries, next })
    }

    /// Reverts the change recorded in audit entry `seq`: the user's status, second factor,
    /// password expiry, device limit, groups and roles go back to the entry's before image.
    /// Refused (`stale`) when the user changed since, so no later change is overwritten.
    pub fn undo(&mut self, seq: i64) -> Result<ActionView, Error> {
        let entry = self
            .store
            .reader()
            .audit_entry(seq)?
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("No audit entry {seq}")))?;
        let (Some(before), Some(after)) = (entry.before.as_deref(), entry.after.as_deref()) else {
            return Err(not_undoable(&entry.summary));
        };
        if entry.entity != "user" || !UNDOABLE.contains(&entry.action.as_str()) {
            return Err(not_undoable(&entry.summary));
        }
        let before: Value = serde_json::from_str(before).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        let after: Value = serde_json::from_str(after).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        let username = before["username"].as_str().unwrap_or_default().to_owned();
        let current = self.find_user(after["username"].as_str().unwrap_or(&username))?;
        if Some(current.version) != after["version"].as_u64() {
            return Err(Error::new(
                ErrorCode::Stale,
                format!("{} has changed since \"{}\"; undo would overwrite that, so nothing was changed", current.username, entry.summary),
            ));
        }
        let bad = |what: &str| Error::new(ErrorCode::Internal, format!("audit entry {seq} has an unreadable {what}"));
        let mut next = current.clone();
        next.status = before["status"].as_str().unwrap_or("active").parse::<UserStatus>().map_err(|_| bad("status"))?;
        next.second_factor = before["secondFactor"].as_str().unwrap_or("none").parse::<SecondFactor>().map_err(|_| bad("second factor"))?;
        next.password_expires_at = match before["passwordExpiresAt"].as_str() {
            None => None,
            Some(d) => Some(time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| bad("expiry"))?),
        };
        next.device_limit = before["deviceLimit"].as_u64().map(|n| DeviceLimit::new(n as u32)).transpose().map_err(|_| bad("device limit"))?;
        let names = |v: &Value| -> Vec<String> { v.as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_owned)).collect() };
        let (groups_before, roles_before) = (names(&before["groups"]), names(&before["roles"]));
        let existing_groups = self.store.reader().groups()?;
        next.groups = groups_before
            .iter()
            .filter_map(|g| existing_groups.iter().find(|x| x.name.as_str().eq_ignore_ascii_case(g)).map(|x| x.name.clone()))
            .collect();
        let existing_roles = self.store.reader().roles()?;
        next.roles = roles_before
            .iter()
            .filter_map(|r| existing_roles.iter().find(|x| x.name.as_str().eq_ignore_ascii_case(r)).map(|x| x.name.clone()))
            .collect();
        let next = current.succeeded_by(next, self.clock.now());
        let message = format!("Undone: {}", entry.summary);
        let (add_g, remove_g): (Vec<GroupName>, Vec<GroupName>) = (
            next.groups.iter().filter(|g| !current.groups.contains(g)).cloned().collect(),
            current.groups.iter().filter(|g| !next.groups.contains(g)).cloned().collect(),
        );
        let (add_r, remove_r): (Vec<RoleName>, Vec<RoleName>) = (
            next.roles.iter().filter(|r| !current.roles.contains(r)).cloned().collect(),
            current.roles.iter().filter(|r| !next.roles.contains(r)).cloned().collect(),
        );
        let id = current.id;
        let undo_seq = self.commit_user(&current, &next, "undo", &message, |w| {
            for g in &add_g {
                w.add_member(g, &id)?;
            }
            for g in &remove_g {
                w.remove_member(g, &id)?;
            }
            for r in &add_r {
                w.assign_role(r, &id)?;
            }
            for r in &remove_r {
                w.unassign_role(r, &id)?;
            }
            Ok(())
        })?;
        Ok(ActionView { message, user: UserView::from(&next), undo: Some(undo_seq) })
    }
}

fn not_undoable(summary: &str) -> Error {
    Error::new(ErrorCode::Usage, format!("\"{summary}\" cannot be undone from the audit log"))
}
