//! Groups and roles: create, list, rename, delete, members.

use roster_core::{AuditEntity, FieldErrors, GroupName, RoleName};
use roster_store::{AuditRecord, NewGroup, Writer};

use crate::views::{GroupView, RoleView, UserListQuery, UserPageView};
use crate::{Error, ErrorCode, Workspace};

impl Workspace {
    pub fn add_group(&mut self, name: &str, description: &str) -> Result<GroupView, Error> {
        let name = GroupName::parse(name).map_err(|e| Error::from_fields(FieldErrors::from(e)))?;
        if self.store.reader().group(name.as_str())?.is_some() {
            return Err(Error::new(ErrorCode::Conflict, format!("A group named {name} exists already")));
        }
        let id = roster_core::UserId::from_random_bytes(self.random_bytes()).to_string();
        let now = self.clock.now();
        let summary = format!("Created group {name}");
        self.write_audited(AuditEntity::Group, &id, name.as_str(), "create", &summary, |w| {
            w.insert_group(&NewGroup { id: &id, name: &name, description: description.trim(), at: now })?;
            Ok(())
        })?;
        self.group_view(name.as_str())
    }

    pub fn list_groups(&self) -> Result<Vec<GroupView>, Error> {
        Ok(self.store.reader().groups()?.iter().map(GroupView::from).collect())
    }

    pub fn group_view(&self, name: &str) -> Result<GroupView, Error> {
        self.store.reader().group(name)?.as_ref().map(GroupView::from).ok_or_else(|| no_group(name))
    }

    /// A page of a group's members (the same paging, sorting and search as the user list).
    pub fn group_members(&self, name: &str, query: &UserListQuery) -> Result<UserPageView, Error> {
        let group = self.group_view(name)?;
        self.list_users(&UserListQuery { group: Some(group.name), ..query.clone() })
    }

    pub fn rename_group(&mut self, old: &str, new: &str) -> Result<GroupView, Error> {
        let current = self.group_view(old)?;
        let new = GroupName::parse(new).map_err(|e| Error::from_fields(FieldErrors::from(e)))?;
        let taken = self.store.reader().group(new.as_str())?.is_some_and(|g| g.id != current.id);
        if taken {
            return Err(Error::new(ErrorCode::Conflict, format!("A group named {new} exists already")));
        }
        let old_name = GroupName::parse(&current.name).map_err(|e| Error::new(ErrorCode::Internal, e.message))?;
        let now = self.clock.now();
        let summary = format!("Renamed group {} to {new}", current.name);
        self.write_audited(AuditEntity::Group, &current.id, new.as_str(), "rename", &summary, |w| {
            w.rename_group(&old_name, &new, None, now)?;
            Ok(())
        })?;
        self.group_view(new.as_str())
    }

    /// Deletes a group: its memberships go, its users stay.
    pub fn delete_group(&mut self, name: &str) -> Result<GroupView, Error> {
        let group = self.group_view(name)?;
        let gname = GroupName::parse(&group.name).map_err(|e| Error::new(ErrorCode::Internal, e.message))?;
        let summary = format!("Deleted group {} ({} removed from it)", group.name, crate::views::count(group.members, "member", "members"));
        self.write_audited(AuditEntity::Group, &group.id.clone(), &group.name.clone(), "delete", &summary, |w| {
            w.delete_group(&gname)?;
            Ok(())
        })?;
        Ok(group)
    }

    /// Adds and removes members; each user's change is its own audit entry, all in one go.
    pub fn change_group_members(&mut self, name: &str, add: &[String], remove: &[String]) -> Result<GroupView, Error> {
        let group = self.group_view(name)?;
        if !add.is_empty() {
            self.apply_to_users(add, crate::BulkAction::AssignGroup(group.name.clone()), None)?;
        }
        if !remove.is_empty() {
            self.apply_to_users(remove, crate::BulkAction::RemoveFromGroup(group.name.clone()), None)?;
        }
        self.group_view(&group.name)
    }

    pub fn add_role(&mut self, name: &str, description: &str) -> Result<RoleView, Error> {
        let name = RoleName::parse(name).map_err(|e| Error::from_fields(FieldErrors::from(e)))?;
        if self.find_role(name.as_str())?.is_some() {
            return Err(Error::new(ErrorCode::Conflict, format!("A role named {name} exists already")));
        }
        let now = self.clock.now();
        let summary = format!("Created role {name}");
        self.write_audited(AuditEntity::Role, name.as_str(), name.as_str(), "create", &summary, |w| {
            w.insert_role(&name, description.trim(), now)?;
            Ok(())
        })?;
        self.find_role(name.as_str())?.ok_or_else(|| no_role(name.as_str()))
    }

    pub fn list_roles(&self) -> Result<Vec<RoleView>, Error> {
        Ok(self.store.reader().roles()?.iter().map(RoleView::from).collect())
    }

    fn find_role(&self, name: &str) -> Result<Option<RoleView>, Error> {
        Ok(self.store.reader().roles()?.iter().find(|r| r.name.as_str().eq_ignore_ascii_case(name.trim())).map(RoleView::from))
    }

    /// Deletes a role; users who had it lose it.
    pub fn delete_role(&mut self, name: &str) -> Result<RoleView, Error> {
        let role = self.find_role(name)?.ok_or_else(|| no_role(name))?;
        let rname = RoleName::parse(&role.name).map_err(|e| Error::new(ErrorCode::Internal, e.message))?;
        let summary = format!("Deleted role {} (held by {})", role.name, crate::views::count(role.users, "user", "users"));
        self.write_audited(AuditEntity::Role, &role.name.clone(), &role.name.clone(), "delete", &summary, |w| {
            w.delete_role(&rname)?;
            Ok(())
        })?;
        Ok(role)
    }

    /// Runs `f` and appends one audit entry about a non-user entity, in one transaction.
    pub(crate) fn write_audited(
        &mut self,
        entity: AuditEntity,
        entity_id: &str,
        subject: &str,
        action: &str,
        summary: &str,
        f: impl FnOnce(&Writer<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let actor = self.actor.clone();
        self.store.write(|w| {
            f(w)?;
            w.append_audit(&AuditRecord { at: now, actor: &actor, entity, entity_id, subject, action, summary, before: None, after: None })?;
            Ok(())
        })
    }
}

fn no_group(name: &str) -> Error {
    Error::new(ErrorCode::NotFound, format!("No group named \"{}\"", name.trim()))
}

fn no_role(name: &str) -> Error {
    Error::new(ErrorCode::NotFound, format!("No role named \"{}\"", name.trim()))
}
