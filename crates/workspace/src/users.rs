//! Use cases on users: add, edit, delete, show, list.

use roster_core::{
    AuditAction, AuditEntity, Email, FieldCode, FieldError, FieldErrors, Salt, User, UserDraft, UserEdit, UserId,
    UserStatus, Username,
};
use roster_store::{AuditRecord, Cursor, Direction, SortKey, UserFilter, UserQuery, Writer};

use crate::views::{UserEditInput, UserInput, UserListQuery, UserPageView, UserView};
use crate::{Error, ErrorCode, Workspace};

impl Workspace {
    /// Creates a user. Every problem is reported at once: field rules from the core, then
    /// a username or email that is taken (any case).
    pub fn add_user(&mut self, input: UserInput) -> Result<UserView, Error> {
        let draft = UserDraft {
            username: input.username,
            email: input.email,
            first_name: input.first_name,
            last_name: input.last_name,
            phone: input.phone,
            password: input.password,
            attributes: input.attributes.0,
        };
        let (settings, defs) = self.rules()?;
        let parsed = draft.parse(&settings, &defs);
        // Taken values are reported with the field errors, so one round trip shows everything.
        let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
        let username = Username::parse(&draft.username).ok();
        let email = Email::parse(&draft.email).ok();
        self.check_taken(username.as_ref(), email.as_ref(), None, &mut errors)?;
        if !errors.is_empty() {
            return Err(Error::from_fields(errors));
        }
        let new_user = parsed.expect("no errors means the draft parsed");
        // A linked workspace keeps the password, sealed, for the next push.
        let plain = new_user.password.as_ref().map(|p| p.secret().clone());
        let mut sealer = if plain.is_some() { self.password_sealer()? } else { None };
        let id = UserId::from_random_bytes(self.random_bytes());
        let salt = Salt(self.random_bytes());
        let now = self.clock.now();
        // Hashing (tens of milliseconds) happens before the transaction opens.
        let user = new_user.into_user(id, now, salt);
        let view = UserView::from(&user);
        let actor = self.actor.clone();
        let activation = self.store.write(|w| {
            w.insert_user(&user)?;
            if let (Some(sealer), Some(p)) = (sealer.as_mut(), &plain) {
                sealer.keep(w, &user.id, p)?;
            }
            audit_user(w, &actor, now, AuditAction::Create.as_str(), &user, None, Some(&view), &format!("Added {}", user.email))?;
            let queue = settings.auto_send_reset_mail && user.password.is_none();
            queue.then(|| Self::queue_activation(w, &user, now)).transpose()
        })?;
        if let Some(seq) = activation {
            self.send_activation_now(seq);
        }
        Ok(view)
    }

    /// The workspace's settings and attribute definitions: what input is checked against.
    fn rules(&self) -> Result<(roster_core::Settings, Vec<roster_core::AttributeDefinition>), Error> {
        let r = self.store.reader();
        Ok((r.settings()?, r.attribute_definitions()?))
    }

    /// Records `Taken` field errors for a username or email held by someone other than `except`.
    pub(crate) fn check_taken(
        &self,
        username: Option<&Username>,
        email: Option<&Email>,
        except: Option<&Username>,
        errors: &mut FieldErrors,
    ) -> Result<(), Error> {
        let r = self.store.reader();
        if let Some(u) = username {
            if except != Some(u) && r.username_exists(u.as_str())? {
                errors.push(FieldError::new("username", FieldCode::Taken, format!("Username {u} is taken")));
            }
        }
        if let Some(e) = email {
            if let Some(holder) = r.username_with_email(e.as_str())? {
                let holder_is_self = except.is_some_and(|x| x.as_str().eq_ignore_ascii_case(&holder));
                if !holder_is_self {
                    errors.push(FieldError::new(
                        "email",
                        FieldCode::Taken,
                        format!("Email address {e} is used by {holder}"),
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn get_user(&self, username: &str) -> Result<UserView, Error> {
        let user = self.find_user(username)?;
        let invitation = self.store.reader().invitation(&user.id)?;
        Ok(UserView::from(&user).with_invitation(invitation.as_ref()))
    }

    pub(crate) fn find_user(&self, username: &str) -> Result<User, Error> {
        self.store.reader().user_by_username(username.trim())?.ok_or_else(|| Error::not_found_user(username))
    }

    /// Changes profile fields and custom attributes. With `expected_version`, refuses
    /// (`stale`) when the user changed since that version was read.
    pub fn edit_user(&mut self, username: &str, input: UserEditInput) -> Result<UserView, Error> {
        let current = self.find_user(username)?;
        if let Some(v) = input.expected_version.filter(|v| *v != current.version) {
            return Err(stale(&current, v));
        }
        let edit = UserEdit {
            email: input.email,
            first_name: input.first_name,
            last_name: input.last_name,
            phone: input.phone,
            attributes: input.attributes.0,
        };
        let (settings, defs) = self.rules()?;
        let parsed = edit.parse(&current, &settings, &defs);
        let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
        let new_email = edit.email.as_deref().and_then(|e| Email::parse(e).ok());
        self.check_taken(None, new_email.as_ref(), Some(&current.username), &mut errors)?;
        if !errors.is_empty() {
            return Err(Error::from_fields(errors));
        }
        let now = self.clock.now();
        let Some(next) = parsed.expect("no errors means the edit parsed").apply(&current, now) else {
            return Ok(UserView::from(&current));
        };
        let (before, after) = (UserView::from(&current), UserView::from(&next));
        let actor = self.actor.clone();
        self.store.write(|w| {
            if !w.update_user(&next, current.version)? {
                return Err(stale(&current, current.version));
            }
            audit_user(w, &actor, now, AuditAction::Update.as_str(), &next, Some(&before), Some(&after), &format!("Edited {}", next.email))?;
            Ok(())
        })?;
        Ok(after)
    }

    /// Deletes a user with their memberships, roles and sessions. The audit entry keeps
    /// the user as they were.
    pub fn delete_user(&mut self, username: &str) -> Result<UserView, Error> {
        let user = self.find_user(username)?;
        let before = UserView::from(&user);
        let now = self.clock.now();
        let actor = self.actor.clone();
        self.store.write(|w| {
            if !w.delete_user(&user.id)? {
                return Err(Error::not_found_user(username));
            }
            audit_user(w, &actor, now, AuditAction::Delete.as_str(), &user, Some(&before), None, &format!("Deleted {}", user.email))?;
            Ok(())
        })?;
        Ok(before)
    }

    pub fn list_users(&self, q: &UserListQuery) -> Result<UserPageView, Error> {
        let query = parse_query(q)?;
        let r = self.store.reader();
        let page = r.list_users(&query)?;
        let invitations = r.invitations_of(&page.users.iter().map(|u| u.id).collect::<Vec<_>>())?;
        Ok(UserPageView {
            users: page.users.iter().map(|u| UserView::from(u).with_invitation(invitations.get(&u.id))).collect(),
            next: page.next.map(|c| c.encode()),
        })
    }
}

pub(crate) fn stale(current: &User, seen: u64) -> Error {
    Error::new(
        ErrorCode::Stale,
        format!(
            "{} was changed by someone else since you opened it (version {seen}, now {}). Reload to see the changes.",
            current.username, current.version
        ),
    )
}

/// Appends the audit entry of a change to `user`; returns its seq.
#[allow(clippy::too_many_arguments)]
pub(crate) fn audit_user(
    w: &Writer<'_>,
    actor: &str,
    at: roster_core::Timestamp,
    action: &str,
    user: &User,
    before: Option<&UserView>,
    after: Option<&UserView>,
    summary: &str,
) -> Result<i64, Error> {
    let json = |v: Option<&UserView>| v.map(|v| serde_json::to_string(v).expect("views always serialise"));
    Ok(w.append_audit(&AuditRecord {
        at,
        actor,
        entity: AuditEntity::User,
        entity_id: &user.id.to_string(),
        subject: user.username.as_str(),
        action,
        summary,
        before: json(before),
        after: json(after),
    })?)
}

pub(crate) const MAX_PAGE: usize = 1000;

pub(crate) fn parse_query(q: &UserListQuery) -> Result<UserQuery, Error> {
    let usage = |m: String| Error::new(ErrorCode::Usage, m);
    let sort = match q.sort.as_deref().map(str::trim).unwrap_or("username") {
        "username" | "" => SortKey::Username,
        "email" => SortKey::Email,
        "firstName" | "first" => SortKey::FirstName,
        "lastName" | "last" => SortKey::LastName,
        "createdAt" | "created" => SortKey::CreatedAt,
        other => return Err(usage(format!("Cannot sort by \"{other}\": use username, email, firstName, lastName or createdAt"))),
    };
    let direction = match q.direction.as_deref().map(str::trim).unwrap_or("asc") {
        "asc" | "" => Direction::Asc,
        "desc" => Direction::Desc,
        other => return Err(usage(format!("Direction \"{other}\" is not asc or desc"))),
    };
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.parse::<UserStatus>().map_err(|e| usage(e.message)))
        .transpose()?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(usage(format!("Limit must be from 1 to {MAX_PAGE}")));
    }
    let after = match q.after.as_deref().filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(text) => Some(Cursor::decode(text, sort, direction).ok_or_else(|| {
            usage("That cursor does not belong to this list (its sort differs, or it was mistyped); start again without it".into())
        })?),
    };
    Ok(UserQuery {
        filter: UserFilter {
            search: q.search.clone().filter(|s| !s.trim().is_empty()),
            status,
            onboarded: q.onboarded,
            group: q.group.clone().filter(|g| !g.trim().is_empty()),
        },
        sort,
        direction,
        limit,
        after,
    })
}
