//! The row's "Select" menu: per-user actions, groups and roles of a user, sessions, and the
//! same actions on many selected users at once.

use roster_core::{
    AttributeValue, DeviceLimit, FieldCode, FieldError, GroupName, RoleName, SecondFactor, User, UserAction,
};
use roster_store::Writer;

use crate::users::{audit_user, stale};
use crate::views::{ActionView, BulkActionView, GroupView, SessionView, UserGroupsView, UserView};
use crate::{Error, ErrorCode, Workspace};

/// Deleting more users than this at once needs the admin to confirm the exact count.
pub const CONFIRM_DELETE_OVER: usize = 10;

/// An action on many selected users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    Disable,
    Enable,
    Delete,
    AssignGroup(String),
    RemoveFromGroup(String),
    SendActivationMail,
}

impl Workspace {
    /// Runs one per-user action. A no-op (disabling a disabled user) writes nothing.
    pub fn act(&mut self, username: &str, action: UserAction) -> Result<ActionView, Error> {
        let current = self.find_user(username)?;
        let now = self.clock.now();
        let Some(next) = action.apply(&current, now) else {
            return Ok(ActionView {
                message: format!("Nothing to change for {}", current.email),
                user: UserView::from(&current),
                undo: None,
            });
        };
        let message = action.done_message(&current);
        let seq = self.commit_user(&current, &next, action.name(), &message, |_| Ok(()))?;
        Ok(ActionView { message, user: UserView::from(&next), undo: action.undoable().then_some(seq) })
    }

    pub fn disable_user(&mut self, username: &str) -> Result<ActionView, Error> {
        self.act(username, UserAction::Disable)
    }

    pub fn enable_user(&mut self, username: &str) -> Result<ActionView, Error> {
        self.act(username, UserAction::Enable)
    }

    pub fn set_second_factor(&mut self, username: &str, method: &str) -> Result<ActionView, Error> {
        let f = method.parse::<SecondFactor>().map_err(field_error)?;
        self.act(username, UserAction::SetSecondFactor(f))
    }

    pub fn remove_identity(&mut self, username: &str) -> Result<ActionView, Error> {
        self.act(username, UserAction::RemoveIdentity)
    }

    /// `at` is `YYYY-MM-DD`; `None` clears the expiry.
    pub fn expire_password(&mut self, username: &str, at: Option<&str>) -> Result<ActionView, Error> {
        let date = at
            .map(|s| match AttributeValue::parse(&expiry_definition(), s) {
                Ok(AttributeValue::Date(d)) => Ok(d),
                _ => Err(field_error(FieldError::new(
                    "passwordExpiresAt",
                    FieldCode::InvalidDate,
                    format!("Password expiry must be a date as YYYY-MM-DD (got \"{}\")", s.trim()),
                ))),
            })
            .transpose()?;
        self.act(username, UserAction::ExpirePassword(date))
    }

    pub fn reset_mfa(&mut self, username: &str) -> Result<ActionView, Error> {
        self.act(username, UserAction::ResetMfa)
    }

    /// `limit` of `None` resets to the workspace default.
    pub fn set_device_limit(&mut self, username: &str, limit: Option<&str>) -> Result<ActionView, Error> {
        let limit = limit.map(DeviceLimit::parse).transpose().map_err(field_error)?;
        self.act(username, UserAction::SetDeviceLimit(limit))
    }

    /// Sends a password reset mail now (a link to the directory's reset page, or a
    /// temporary password, as the workspace's mail options say).
    pub fn send_password_reset(&mut self, username: &str) -> Result<ActionView, Error> {
        let user = self.find_user(username)?;
        if !self.mail_configured()? {
            return Err(mail_not_configured(&format!("send a password reset mail to {}", user.email)));
        }
        let message = self.send_one(roster_core::mail::MailKind::PasswordReset, username)?;
        Ok(ActionView { message, user: self.get_user(username)?, undo: None })
    }

    /// Writes `next` over `current` (checking its version), runs `extra` in the same
    /// transaction, and appends the audit entry. Returns the entry's seq.
    pub(crate) fn commit_user(
        &mut self,
        current: &User,
        next: &User,
        action: &str,
        summary: &str,
        extra: impl FnOnce(&Writer<'_>) -> Result<(), Error>,
    ) -> Result<i64, Error> {
        let (before, after) = (UserView::from(current), UserView::from(next));
        let actor = self.actor.clone();
        let now = next.updated_at;
        self.store.write(|w| {
            if !w.update_user(next, current.version)? {
                return Err(stale(current, current.version));
            }
            extra(w)?;
            audit_user(w, &actor, now, action, next, Some(&before), Some(&after), summary)
        })
    }

    /// The user's groups and, for "Assign Groups", the groups they are not in.
    pub fn user_groups(&self, username: &str) -> Result<UserGroupsView, Error> {
        let user = self.find_user(username)?;
        let (member_of, available): (Vec<_>, Vec<_>) =
            self.store.reader().groups()?.into_iter().partition(|g| user.groups.contains(&g.name));
        Ok(UserGroupsView {
            username: user.username.to_string(),
            member_of: member_of.iter().map(GroupView::from).collect(),
            available: available.iter().map(GroupView::from).collect(),
        })
    }

    /// Adds the user to each group; groups they are in already are left as they are.
    pub fn assign_groups(&mut self, username: &str, groups: &[String]) -> Result<ActionView, Error> {
        self.change_groups(username, groups, true)
    }

    pub fn unassign_groups(&mut self, username: &str, groups: &[String]) -> Result<ActionView, Error> {
        self.change_groups(username, groups, false)
    }

    fn change_groups(&mut self, username: &str, groups: &[String], add: bool) -> Result<ActionView, Error> {
        let current = self.find_user(username)?;
        let names = self.existing_groups(groups)?;
        let now = self.clock.now();
        let mut next = current.clone();
        for g in &names {
            let has = next.groups.contains(g);
            if add && !has {
                next.groups.push(g.clone());
            } else if !add && has {
                next.groups.retain(|x| x != g);
            }
        }
        next.groups.sort_by_key(|g| g.as_str().to_lowercase());
        if next.groups == current.groups {
            return Ok(ActionView { message: "Nothing to change".into(), user: UserView::from(&current), undo: None });
        }
        let next = current.succeeded_by(next, now);
        let list = names.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        let message = if add {
            format!("Added {} to {list}", current.email)
        } else {
            format!("Removed {} from {list}", current.email)
        };
        let id = current.id;
        let seq = self.commit_user(&current, &next, if add { "assign_groups" } else { "unassign_groups" }, &message, |w| {
            for g in &names {
                if add {
                    w.add_member(g, &id)?;
                } else {
                    w.remove_member(g, &id)?;
                }
            }
            Ok(())
        })?;
        Ok(ActionView { message, user: UserView::from(&next), undo: Some(seq) })
    }

    /// The named groups, or a not-found error naming every missing one.
    fn existing_groups(&self, names: &[String]) -> Result<Vec<GroupName>, Error> {
        let all = self.store.reader().groups()?;
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for n in names {
            match all.iter().find(|g| g.name.as_str().eq_ignore_ascii_case(n.trim())) {
                Some(g) => found.push(g.name.clone()),
                None => missing.push(n.trim().to_owned()),
            }
        }
        if !missing.is_empty() {
            return Err(Error::new(ErrorCode::NotFound, format!("No group named {}", quote_list(&missing))));
        }
        if found.is_empty() {
            return Err(Error::new(ErrorCode::Usage, "Name at least one group"));
        }
        Ok(found)
    }

    /// Adds and removes roles of a user in one change.
    pub fn change_roles(&mut self, username: &str, add: &[String], remove: &[String]) -> Result<ActionView, Error> {
        let current = self.find_user(username)?;
        let all = self.store.reader().roles()?;
        let find = |n: &String| all.iter().find(|r| r.name.as_str().eq_ignore_ascii_case(n.trim())).map(|r| r.name.clone());
        let missing: Vec<String> = add.iter().chain(remove).filter(|n| find(n).is_none()).map(|n| n.trim().to_owned()).collect();
        if !missing.is_empty() {
            return Err(Error::new(ErrorCode::NotFound, format!("No role named {}", quote_list(&missing))));
        }
        let (add, remove): (Vec<RoleName>, Vec<RoleName>) = (add.iter().filter_map(find).collect(), remove.iter().filter_map(find).collect());
        let mut next = current.clone();
        next.roles.retain(|r| !remove.contains(r));
        for r in &add {
            if !next.roles.contains(r) {
                next.roles.push(r.clone());
            }
        }
        next.roles.sort_by_key(|r| r.as_str().to_lowercase());
        if next.roles == current.roles {
            return Ok(ActionView { message: "Nothing to change".into(), user: UserView::from(&current), undo: None });
        }
        let now = self.clock.now();
        let next = current.succeeded_by(next, now);
        let message = format!(
            "Roles of {}: {}",
            current.email,
            if next.roles.is_empty() { "none".to_owned() } else { next.roles.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ") }
        );
        let id = current.id;
        let seq = self.commit_user(&current, &next, "roles", &message, |w| {
            for r in &remove {
                w.unassign_role(r, &id)?;
            }
            for r in &add {
                w.assign_role(r, &id)?;
            }
            Ok(())
        })?;
        Ok(ActionView { message, user: UserView::from(&next), undo: Some(seq) })
    }

    pub fn sessions(&self, username: &str) -> Result<Vec<SessionView>, Error> {
        let user = self.find_user(username)?;
        Ok(self.store.reader().sessions_of(&user.id)?.iter().map(SessionView::from).collect())
    }

    /// Revokes one session (`Some(id)`) or all of them; the user must sign in again there.
    pub fn revoke_sessions(&mut self, username: &str, id: Option<&str>) -> Result<ActionView, Error> {
        let user = self.find_user(username)?;
        let sessions = self.store.reader().sessions_of(&user.id)?;
        if let Some(id) = id {
            if !sessions.iter().any(|s| s.id == id) {
                return Err(Error::new(ErrorCode::NotFound, format!("{} has no session {id}", user.username)));
            }
        }
        let now = self.clock.now();
        let actor = self.actor.clone();
        let before: Vec<SessionView> = sessions.iter().filter(|s| id.is_none_or(|i| s.id == i)).map(SessionView::from).collect();
        let message = match (id, before.len()) {
            (Some(_), _) => format!("Revoked a session of {}", user.email),
            (None, 0) => format!("{} had no active sessions", user.email),
            (None, 1) => format!("Revoked the only session of {}", user.email),
            (None, n) => format!("Revoked all {n} sessions of {}", user.email),
        };
        self.store.write(|w| {
            w.delete_sessions(&user.id, id)?;
            w.append_audit(&roster_store::AuditRecord {
                at: now,
                actor: &actor,
                entity: roster_core::AuditEntity::User,
                entity_id: &user.id.to_string(),
                subject: user.username.as_str(),
                action: "revoke_sessions",
                summary: &message,
                before: Some(serde_json::to_string(&before).expect("views serialise")),
                after: None,
            })?;
            Ok::<_, Error>(())
        })?;
        Ok(ActionView { message, user: UserView::from(&user), undo: None })
    }

    /// Applies one action to every selected user, all in one transaction: if any user is
    /// missing, nothing changes. Deleting more than [`CONFIRM_DELETE_OVER`] users needs
    /// `confirm` to be the number of users.
    pub fn apply_to_users(&mut self, usernames: &[String], action: BulkAction, confirm: Option<usize>) -> Result<BulkActionView, Error> {
        if usernames.is_empty() {
            return Err(Error::new(ErrorCode::Usage, "Select at least one user"));
        }
        let mut users = Vec::with_capacity(usernames.len());
        let mut missing = Vec::new();
        for name in usernames {
            match self.store.reader().user_by_username(name.trim())? {
                Some(u) if !users.iter().any(|x: &User| x.id == u.id) => users.push(u),
                Some(_) => {}
                None => missing.push(name.trim().to_owned()),
            }
        }
        if !missing.is_empty() {
            return Err(Error::new(ErrorCode::NotFound, format!("No user with username {}; nothing was changed", quote_list(&missing))));
        }
        if action == BulkAction::SendActivationMail {
            if !self.mail_configured()? {
                return Err(mail_not_configured(&format!("send activation mails to {} users", users.len())));
            }
            return self.send_activations(&users);
        }
        if action == BulkAction::Delete && users.len() > CONFIRM_DELETE_OVER && confirm != Some(users.len()) {
            return Err(Error::new(
                ErrorCode::Usage,
                format!("Deleting {} users needs confirmation: confirm with the number {}", users.len(), users.len()),
            ));
        }
        let group = match &action {
            BulkAction::AssignGroup(g) | BulkAction::RemoveFromGroup(g) => Some(self.existing_groups(std::slice::from_ref(g))?.remove(0)),
            _ => None,
        };
        let now = self.clock.now();
        let actor = self.actor.clone();
        let mut changed = Vec::new();
        let mut unchanged = Vec::new();
        self.store.write(|w| {
            for u in &users {
                let before = UserView::from(u);
                let (name, next, summary) = match &action {
                    BulkAction::Disable | BulkAction::Enable => {
                        let a = if action == BulkAction::Disable { UserAction::Disable } else { UserAction::Enable };
                        let msg = a.done_message(u);
                        (a.name(), a.apply(u, now), msg)
                    }
                    BulkAction::AssignGroup(_) | BulkAction::RemoveFromGroup(_) => {
                        let g = group.as_ref().expect("resolved above");
                        let add = matches!(action, BulkAction::AssignGroup(_));
                        let mut next = u.clone();
                        if add && !next.groups.contains(g) {
                            next.groups.push(g.clone());
                        } else if !add {
                            next.groups.retain(|x| x != g);
                        }
                        let changed = next.groups != u.groups;
                        let summary = if add { format!("Added {} to {g}", u.email) } else { format!("Removed {} from {g}", u.email) };
                        (if add { "assign_groups" } else { "unassign_groups" }, changed.then(|| u.succeeded_by(next, now)), summary)
                    }
                    BulkAction::Delete => {
                        if !w.delete_user(&u.id)? {
                            return Err(Error::not_found_user(u.username.as_str()));
                        }
                        audit_user(w, &actor, now, "delete", u, Some(&before), None, &format!("Deleted {}", u.email))?;
                        changed.push(u.username.to_string());
                        continue;
                    }
                    BulkAction::SendActivationMail => unreachable!("refused above"),
                };
                let Some(next) = next else {
                    unchanged.push(u.username.to_string());
                    continue;
                };
                if !w.update_user(&next, u.version)? {
                    return Err(stale(u, u.version));
                }
                if let Some(g) = &group {
                    if matches!(action, BulkAction::AssignGroup(_)) {
                        w.add_member(g, &u.id)?;
                    } else {
                        w.remove_member(g, &u.id)?;
                    }
                }
                audit_user(w, &actor, now, name, &next, Some(&before), Some(&UserView::from(&next)), &summary)?;
                changed.push(u.username.to_string());
            }
            Ok::<_, Error>(())
        })?;
        let verb = match &action {
            BulkAction::Disable => "Disabled".to_owned(),
            BulkAction::Enable => "Enabled".to_owned(),
            BulkAction::Delete => "Deleted".to_owned(),
            // The group's stored name, not the spelling the admin typed.
            BulkAction::AssignGroup(_) => format!("Added to {}:", group.as_ref().expect("resolved above")),
            BulkAction::RemoveFromGroup(_) => format!("Removed from {}:", group.as_ref().expect("resolved above")),
            BulkAction::SendActivationMail => unreachable!("refused above"),
        };
        let mut message = format!("{verb} {} {}", changed.len(), if changed.len() == 1 { "user" } else { "users" });
        if !unchanged.is_empty() {
            message.push_str(&format!(" ({} already so)", unchanged.len()));
        }
        Ok(BulkActionView { message, changed, unchanged })
    }
}

fn field_error(e: FieldError) -> Error {
    Error::from_fields(e.into())
}

fn expiry_definition() -> roster_core::AttributeDefinition {
    roster_core::AttributeDefinition {
        name: roster_core::AttributeName::parse("passwordExpiresAt").expect("a valid name"),
        kind: roster_core::AttributeType::Date,
        required: false,
    }
}

impl Workspace {
    /// The multi-select "Send activation mail": queues one for each selected user it fits and
    /// sends the outbox.
    fn send_activations(&mut self, users: &[User]) -> Result<BulkActionView, Error> {
        let input = crate::MailQueueInput {
            kind: "activation".into(),
            usernames: users.iter().map(|u| u.username.to_string()).collect(),
            ..crate::MailQueueInput::default()
        };
        let done = self.mail_send_to(input, crate::DEFAULT_CONCURRENCY, &crate::Silent)?;
        let skipped: Vec<String> = done.queued.skipped.iter().map(|s| s.username.clone()).collect();
        let changed: Vec<String> = users.iter().map(|u| u.username.to_string()).filter(|u| !skipped.contains(u)).collect();
        let s = &done.sent;
        let mut message = format!("Queued {} for {}; sent {}", crate::views::count(done.queued.queued, "activation mail", "activation mails"), crate::views::count(changed.len() as u64, "user", "users"), s.sent);
        if s.failed > 0 {
            message.push_str(&format!(", {} failed", s.failed));
        }
        if s.queued > 0 {
            message.push_str(&format!(", {} still queued", s.queued));
        }
        if let Some(p) = &s.stopped_by {
            message.push_str(&format!(" ({})", p.message));
        }
        for skip in &done.queued.skipped {
            message.push_str(&format!(". {}", skip.reason));
        }
        Ok(BulkActionView { message, changed, unchanged: skipped })
    }
}

pub(crate) fn mail_not_configured(what: &str) -> Error {
    Error::new(
        ErrorCode::NotConfigured,
        format!("Mail is not configured yet, so Roster cannot {what}."),
    )
}

fn quote_list(names: &[String]) -> String {
    names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}
