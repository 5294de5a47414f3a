//! `sync_pull`: read every user and group of the linked remote, then merge them in one
//! transaction with the change queue off (what a pull writes is the remote's state, not a
//! local change). A resource with a local change waiting is never overwritten: when the
//! remote changed it too since the base, the two are merged three ways ([`merge`]) — the
//! fields only the remote changed are taken, theirs becomes the base and the local change
//! stays queued, so the next push sends exactly the fields changed here — and only fields
//! both sides changed to different values make a conflict. A resource gone from the remote
//! while a local change waits is a conflict too (theirs = JSON null), never dropped or
//! created again silently.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;

use roster_core::{AuditEntity, GroupName, RoleName, Timestamp, User, UserId};
use roster_scim::{Group as ScimGroup, ListQuery, ListResponse, User as ScimUser};
use roster_store::{AuditRecord, NewGroup, StoreError, SyncedRow, Writer};

use super::conflicts::DELETED;
use super::map::{self, Fields};
use super::sessions;
use super::merge;
use super::{scim_error, SyncCountsView, SyncProblemView, SyncPullView};
use crate::views::rfc3339;
use crate::{Error, Progress, Workspace};

/// Fixed inputs of one merge.
struct Merge<'a> {
    now: Timestamp,
    extension: map::Extensions,
    region: roster_core::Region,
    defs: &'a [roster_core::AttributeDefinition],
    problems: Vec<SyncProblemView>,
    /// Custom attributes remote users carry that the workspace does not define: by name in
    /// lower case, one spelling of it (see `merge_user`) and how many users carry it.
    undefined: BTreeMap<String, (String, u64)>,
    /// Ids drawn before the transaction for users and groups new to the workspace.
    fresh: std::vec::IntoIter<UserId>,
    roles: HashSet<String>,
}

impl Workspace {
    /// Pulls the linked remote's users and groups into the workspace.
    pub fn sync_pull(&mut self, progress: &dyn Progress) -> Result<SyncPullView, Error> {
        let _one_run = self.sync_lock()?;
        let linked = self.linked()?;
        let extension = map::Extensions::of(&linked.capabilities);
        let client = &linked.client;

        progress.phase("reading users");
        let users: Vec<ScimUser> = read_all(client, progress)?;
        progress.phase("reading groups");
        let groups: Vec<ScimGroup> = read_all(client, progress)?;
        if progress.is_cancelled() {
            return Err(Error::cancelled());
        }

        progress.phase("merging");
        let now = self.clock.now();
        let fresh: Vec<UserId> = (0..users.len() + groups.len())
            .map(|i| UserId::sequential(now, i as u32, self.random_bytes::<6>()))
            .collect();
        let r = self.store.reader();
        let defs = r.attribute_definitions()?;
        let region = r.settings()?.default_region;
        let roles: HashSet<String> = r.roles()?.into_iter().map(|r| r.name.as_str().to_ascii_lowercase()).collect();
        let mut m = Merge { now, extension, region, defs: &defs, problems: Vec::new(), undefined: BTreeMap::new(), fresh: fresh.into_iter(), roles };
        let actor = self.actor.clone();
        let remote = linked.row.name.clone();
        let (user_counts, group_counts) = self.store.write(|w| {
            let counts = w.merging(|w| {
                let mut user_counts = SyncCountsView::default();
                let mut seen = HashSet::new();
                for (i, u) in users.iter().enumerate() {
                    merge_user(w, &mut m, u, &mut user_counts, &mut seen)?;
                    progress.update(i as u64 + 1, (users.len() + groups.len()) as u64);
                }
                let mut group_counts = SyncCountsView::default();
                let mut seen_groups = HashSet::new();
                for (i, g) in groups.iter().enumerate() {
                    merge_group(w, &mut m, g, &mut group_counts, &mut seen_groups)?;
                    progress.update((users.len() + i) as u64 + 1, (users.len() + groups.len()) as u64);
                }
                remove_gone(w, &m, "group", &seen_groups, &mut group_counts)?;
                remove_gone(w, &m, "user", &seen, &mut user_counts)?;
                Ok((user_counts, group_counts))
            })?;
            if progress.is_cancelled() {
                return Err(Error::cancelled());
            }
            w.set_last_pull(&remote, now)?;
            let (u, g) = &counts;
            let summary = format!(
                "Pulled from {remote}: users {} new, {} updated, {} removed, {} conflicts; groups {} new, {} updated, {} removed, {} conflicts",
                u.created, u.updated, u.deleted, u.conflicts, g.created, g.updated, g.deleted, g.conflicts
            );
            w.append_audit(&AuditRecord {
                at: now,
                actor: &actor,
                entity: AuditEntity::Settings,
                entity_id: "remote",
                subject: &remote,
                action: "sync_pull",
                summary: &summary,
                before: None,
                after: None,
            })?;
            Ok::<_, Error>(counts)
        })?;
        let mut problems = undefined_problems(&m.undefined, &linked.row.name);
        problems.extend(m.problems);
        Ok(SyncPullView {
            remote: linked.row.name,
            users: user_counts,
            groups: group_counts,
            problems,
            local_only_fields: local_only(extension),
            pulled_at: rfc3339(now),
        })
    }
}

/// One problem per custom attribute the remote's users carry and this workspace does not
/// define (entity `attribute`, named by the attribute): left alone on the remote.
fn undefined_problems(undefined: &BTreeMap<String, (String, u64)>, remote: &str) -> Vec<SyncProblemView> {
    undefined
        .values()
        .map(|(name, users)| SyncProblemView {
            entity: "attribute".into(),
            name: name.clone(),
            field: "customAttributes".into(),
            message: format!(
                "not defined in this workspace: kept on {remote}, not here ({users} {}) — define it under Attributes to take it",
                if *users == 1 { "user" } else { "users" }
            ),
        })
        .collect()
}

pub(crate) fn local_only(extension: map::Extensions) -> Vec<String> {
    if extension.roster {
        Vec::new()
    } else {
        map::EXTENSION_FIELDS.iter().map(|s| (*s).to_owned()).collect()
    }
}

fn read_all<T: roster_scim::Resource>(client: &roster_scim::Client, progress: &dyn Progress) -> Result<Vec<T>, Error> {
    let mut all = Vec::new();
    let mut cancelled = false;
    client
        .for_each_page(&ListQuery { page_size: 1000, ..ListQuery::default() }, |page: ListResponse<T>| {
            let total = page.total_results;
            all.extend(page.resources);
            progress.update(all.len() as u64, total);
            if progress.is_cancelled() {
                cancelled = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })
        .map_err(scim_error)?;
    if cancelled {
        return Err(Error::cancelled());
    }
    Ok(all)
}

fn synced_row(remote_id: &str, etag: Option<&str>, base: &Fields, at: Timestamp) -> SyncedRow {
    SyncedRow { remote_id: remote_id.to_owned(), etag: etag.map(str::to_owned), base: map::to_json(base), synced_at: at }
}

fn problem(m: &mut Merge<'_>, entity: &str, name: &str, issues: Vec<map::FieldIssue>) {
    m.problems.extend(issues.into_iter().map(|i| SyncProblemView { entity: entity.into(), name: name.into(), field: i.field, message: i.message }));
}

/// Sets the user's roles to `roles`, creating roles the workspace does not have yet.
fn set_roles(w: &Writer<'_>, m: &mut Merge<'_>, id: &UserId, before: &[RoleName], after: &[RoleName]) -> Result<(), StoreError> {
    for r in before.iter().filter(|r| !after.contains(r)) {
        w.unassign_role(r, id)?;
    }
    for r in after.iter().filter(|r| !before.contains(r)) {
        if m.roles.insert(r.as_str().to_ascii_lowercase()) {
            w.insert_role(r, "", m.now)?;
        }
        w.assign_role(r, id)?;
    }
    Ok(())
}

fn merge_user(w: &Writer<'_>, m: &mut Merge<'_>, u: &ScimUser, counts: &mut SyncCountsView, seen: &mut HashSet<String>) -> Result<(), StoreError> {
    let Some(remote_id) = u.id.as_deref() else { return Ok(()) };
    let r = w.reader();
    let theirs = map::remote_user_fields(u, m.extension, m.defs);
    for name in map::undefined_attributes(u, m.extension, m.defs) {
        let seen = m.undefined.entry(name.to_lowercase()).or_insert_with(|| (name.clone(), 0));
        // The spelling reported does not depend on the order the remote lists its users in:
        // the last in byte order (camelCase over SHOUTING), whoever came first.
        if name > seen.0 {
            seen.0 = name;
        }
        seen.1 += 1;
    }
    let etag = u.meta.as_ref().and_then(|m| m.version.as_deref());
    let by_external = u.external_id.as_deref().and_then(|e| UserId::parse(e).ok());
    let local_id = match r.synced_local_id("user", remote_id)? {
        Some(id) => Some(id),
        None => match by_external.as_ref().map(|id| r.user_by_id(id)).transpose()?.flatten() {
            Some(found) => Some(found.id.to_string()),
            None => r.user_by_username(&u.user_name)?.map(|found| found.id.to_string()),
        },
    };
    let Some(local_id) = local_id else {
        // New to the workspace: Roster's own id when the remote has it and it is free.
        let id = match by_external {
            Some(id) if r.user_by_id(&id)?.is_none() => id,
            _ => m.fresh.next().expect("an id was drawn for every remote resource"),
        };
        match map::apply_user_fields(None, id, &theirs, m.extension, m.region, m.defs, m.now) {
            Ok((user, issues)) => {
                problem(m, "user", &u.user_name, issues);
                if r.username_exists(user.username.as_str())? || r.username_with_email(user.email.as_str())?.is_some() {
                    m.problems.push(SyncProblemView {
                        entity: "user".into(),
                        name: u.user_name.clone(),
                        field: "email".into(),
                        message: format!("not taken: its email {} belongs to another user in this workspace", user.email.as_str()),
                    });
                    return Ok(());
                }
                w.insert_user(&user)?;
                set_roles(w, m, &user.id, &[], &user.roles)?;
                sessions::take(w, &user.id, &theirs, Some(u), m.extension, m.now)?;
                w.set_synced("user", &user.id.to_string(), &synced_row(remote_id, etag, &theirs, m.now))?;
                seen.insert(user.id.to_string());
                counts.created += 1;
            }
            Err(issues) => problem(m, "user", &u.user_name, issues),
        }
        return Ok(());
    };
    seen.insert(local_id.clone());
    let id = UserId::parse(&local_id).map_err(|e| StoreError::Corrupt(e.message))?;
    let pending = r.pending_for("user", &local_id)?;
    let synced = r.synced("user", &local_id)?;
    let Some(local) = r.user_by_id(&id)? else {
        // Deleted here, the delete waiting for a push: keep the remote id so it can be sent.
        if synced.is_none() {
            w.set_synced("user", &local_id, &synced_row(remote_id, etag, &theirs, m.now))?;
        }
        counts.unchanged += 1;
        return Ok(());
    };
    let mine = sessions::user_fields(&r, &local, m.extension)?;
    let base = synced.as_ref().map(|s| map::defined_only(map::from_json(&s.base), m.defs));
    if pending.is_none() || mine == theirs {
        if mine != theirs {
            if !take_user(w, m, &local, &theirs, &u.user_name)? {
                return Ok(());
            }
            counts.updated += 1;
        } else {
            counts.unchanged += 1;
        }
        if mine == theirs && pending.is_some() {
            // Both sides made the same change.
            w.pending_drop("user", &local_id)?;
            w.close_open_conflict("user", &local_id, "merged", m.now)?;
        }
        sessions::take(w, &local.id, &theirs, Some(u), m.extension, m.now)?;
        w.set_synced("user", &local_id, &synced_row(remote_id, etag, &theirs, m.now))?;
        return Ok(());
    }
    if base.as_ref() == Some(&theirs) {
        // Only the local side changed: the push sends it.
        counts.unchanged += 1;
        return Ok(());
    }
    let base = base.unwrap_or_default();
    let merged = merge::merge(&mine, &theirs, &base);
    if synced.is_some() && merged.is_clean() && (merged.fields == mine || take_user(w, m, &local, &merged.fields, &u.user_name)?) {
        // Different fields changed on each side: theirs taken here, mine still queued.
        sessions::take(w, &local.id, &merged.fields, Some(u), m.extension, m.now)?;
        settle_merged(w, "user", &local_id, &merged.fields, &theirs, &synced_row(remote_id, etag, &theirs, m.now), m.now)?;
        counts.updated += 1;
        return Ok(());
    }
    w.record_conflict("user", &local_id, Some(remote_id), &map::to_json(&mine), &map::to_json(&theirs), &map::to_json(&base), etag, m.now)?;
    counts.conflicts += 1;
    Ok(())
}

/// Writes the remote's version of a user over the local one. False when the workspace
/// could not take it (reported).
pub(crate) fn take_user_fields(
    w: &Writer<'_>,
    local: &User,
    theirs: &Fields,
    extension: map::Extensions,
    now: Timestamp,
) -> Result<Result<Vec<map::FieldIssue>, Vec<map::FieldIssue>>, StoreError> {
    let r = w.reader();
    let defs = r.attribute_definitions()?;
    let region = r.settings()?.default_region;
    let roles: HashSet<String> = r.roles()?.into_iter().map(|r| r.name.as_str().to_ascii_lowercase()).collect();
    let mut m = Merge { now, extension, region, defs: &defs, problems: Vec::new(), undefined: BTreeMap::new(), fresh: Vec::new().into_iter(), roles };
    let ok = take_user(w, &mut m, local, theirs, local.username.as_str())?;
    if ok {
        sessions::take(w, &local.id, theirs, None, extension, now)?;
    }
    let issues = m.problems.into_iter().map(|p| map::FieldIssue { field: p.field, message: p.message }).collect();
    Ok(if ok { Ok(issues) } else { Err(issues) })
}

fn take_user(w: &Writer<'_>, m: &mut Merge<'_>, local: &User, theirs: &Fields, name: &str) -> Result<bool, StoreError> {
    match map::apply_user_fields(Some(local), local.id, theirs, m.extension, m.region, m.defs, m.now) {
        Ok((next, issues)) => {
            problem(m, "user", name, issues);
            match w.update_user(&next, local.version) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(StoreError::Duplicate(field)) => {
                    m.problems.push(SyncProblemView {
                        entity: "user".into(),
                        name: name.into(),
                        field: format!("{field:?}").to_ascii_lowercase(),
                        message: "not taken: the value belongs to another user in this workspace".into(),
                    });
                    return Ok(false);
                }
                Err(e) => return Err(e),
            }
            set_roles(w, m, &local.id, &local.roles, &next.roles)?;
            Ok(true)
        }
        Err(issues) => {
            problem(m, "user", name, issues);
            Ok(false)
        }
    }
}

fn merge_group(w: &Writer<'_>, m: &mut Merge<'_>, g: &ScimGroup, counts: &mut SyncCountsView, seen: &mut HashSet<String>) -> Result<(), StoreError> {
    let Some(remote_id) = g.id.as_deref() else { return Ok(()) };
    let r = w.reader();
    let mut local_of: HashMap<String, Option<String>> = HashMap::new();
    for member in &g.members {
        local_of.insert(member.value.clone(), r.synced_local_id("user", &member.value)?);
    }
    let theirs = map::remote_group_fields(g, |rid| local_of.get(rid).cloned().flatten());
    let etag = g.meta.as_ref().and_then(|m| m.version.as_deref());
    let local_id = match r.synced_local_id("group", remote_id)? {
        Some(id) => Some(id),
        None => match g.external_id.as_deref().map(|e| r.group_by_id(e)).transpose()?.flatten() {
            Some(_) => g.external_id.clone(),
            None => r.group(&g.display_name)?.map(|found| found.id),
        },
    };
    let Some(local_id) = local_id else {
        let name = match map::group_name(&theirs) {
            Ok(n) => n,
            Err(issue) => {
                problem(m, "group", &g.display_name, vec![issue]);
                return Ok(());
            }
        };
        let id = match g.external_id.as_deref() {
            Some(e) if !e.trim().is_empty() && e.len() <= 64 && r.group_by_id(e)?.is_none() => e.to_owned(),
            _ => m.fresh.next().expect("an id was drawn for every remote resource").to_string(),
        };
        w.insert_group(&NewGroup { id: &id, name: &name, description: "", at: m.now })?;
        set_members(w, &name, &[], &map::member_ids(&theirs))?;
        w.set_synced("group", &id, &synced_row(remote_id, etag, &theirs, m.now))?;
        seen.insert(id);
        counts.created += 1;
        return Ok(());
    };
    seen.insert(local_id.clone());
    let pending = r.pending_for("group", &local_id)?;
    let synced = r.synced("group", &local_id)?;
    let Some((name, _)) = r.group_by_id(&local_id)? else {
        if synced.is_none() {
            w.set_synced("group", &local_id, &synced_row(remote_id, etag, &theirs, m.now))?;
        }
        counts.unchanged += 1;
        return Ok(());
    };
    let mine = map::group_fields(&name, &r.group_member_ids(&local_id)?);
    let base = synced.as_ref().map(|s| map::from_json(&s.base));
    if pending.is_none() || mine == theirs {
        if mine != theirs {
            let current = GroupName::parse(&name).map_err(|e| StoreError::Corrupt(e.message))?;
            let next = match map::group_name(&theirs) {
                Ok(n) => n,
                Err(issue) => {
                    problem(m, "group", &g.display_name, vec![issue]);
                    return Ok(());
                }
            };
            if next.as_str() != current.as_str() {
                w.rename_group(&current, &next, None, m.now)?;
            }
            set_members(w, &next, &map::member_ids(&mine), &map::member_ids(&theirs))?;
            counts.updated += 1;
        } else {
            counts.unchanged += 1;
            if pending.is_some() {
                w.pending_drop("group", &local_id)?;
                w.close_open_conflict("group", &local_id, "merged", m.now)?;
            }
        }
        w.set_synced("group", &local_id, &synced_row(remote_id, etag, &theirs, m.now))?;
        return Ok(());
    }
    if base.as_ref() == Some(&theirs) {
        counts.unchanged += 1;
        return Ok(());
    }
    let base = base.unwrap_or_default();
    let merged = merge::merge(&mine, &theirs, &base);
    if synced.is_some() && merged.is_clean() {
        if merged.fields != mine {
            let current = GroupName::parse(&name).map_err(|e| StoreError::Corrupt(e.message))?;
            match map::group_name(&merged.fields) {
                Ok(next) => {
                    if next.as_str() != current.as_str() {
                        w.rename_group(&current, &next, None, m.now)?;
                    }
                    set_members(w, &next, &map::member_ids(&mine), &map::member_ids(&merged.fields))?;
                }
                Err(issue) => {
                    problem(m, "group", &g.display_name, vec![issue]);
                    return Ok(());
                }
            }
        }
        settle_merged(w, "group", &local_id, &merged.fields, &theirs, &synced_row(remote_id, etag, &theirs, m.now), m.now)?;
        counts.updated += 1;
        return Ok(());
    }
    w.record_conflict("group", &local_id, Some(remote_id), &map::to_json(&mine), &map::to_json(&theirs), &map::to_json(&base), etag, m.now)?;
    counts.conflicts += 1;
    Ok(())
}

/// After a clean merge: theirs is the new base; the local change stays queued unless the
/// merge came to theirs exactly (then nothing is left to push), and a conflict still open for
/// the resource is settled.
fn settle_merged(w: &Writer<'_>, entity: &str, local_id: &str, merged: &Fields, theirs: &Fields, synced: &SyncedRow, at: Timestamp) -> Result<(), StoreError> {
    w.set_synced(entity, local_id, synced)?;
    if merged == theirs {
        w.pending_drop(entity, local_id)?;
    }
    w.close_open_conflict(entity, local_id, "merged", at)?;
    Ok(())
}

pub(crate) fn set_members(w: &Writer<'_>, group: &GroupName, before: &[String], after: &[String]) -> Result<(), StoreError> {
    for id in before.iter().filter(|id| !after.contains(id)) {
        if let Ok(id) = UserId::parse(id) {
            w.remove_member(group, &id)?;
        }
    }
    for id in after.iter().filter(|id| !before.contains(id)) {
        if let Ok(id) = UserId::parse(id) {
            w.add_member(group, &id)?;
        }
    }
    Ok(())
}

/// Resources the remote no longer has: removed locally and forgotten as synced when nothing
/// local waits for them (or the local change is a delete too). When a local change to one
/// waits, a conflict with theirs = JSON null is recorded and its remote id kept, so a push
/// cannot create it again silently: resolving says whether it is deleted here or created again.
fn remove_gone(w: &Writer<'_>, m: &Merge<'_>, entity: &str, seen: &HashSet<String>, counts: &mut SyncCountsView) -> Result<(), StoreError> {
    let r = w.reader();
    for (local_id, remote_id) in r.synced_ids(entity)? {
        if seen.contains(&local_id) {
            continue;
        }
        let mine = sessions::local_fields(&r, entity, &local_id, m.extension)?;
        match (r.pending_for(entity, &local_id)?, mine) {
            (None, _) => {
                let removed = match entity {
                    "user" => UserId::parse(&local_id).ok().map(|id| w.delete_user(&id)).transpose()?.unwrap_or(false),
                    _ => match r.group_by_id(&local_id)? {
                        Some((name, _)) => GroupName::parse(&name).ok().map(|n| w.delete_group(&n)).transpose()?.unwrap_or(false),
                        None => false,
                    },
                };
                if removed {
                    counts.deleted += 1;
                }
            }
            (Some(_), Some(mine)) => {
                let base = r.synced(entity, &local_id)?.map(|s| s.base).unwrap_or_else(|| "{}".into());
                w.record_conflict(entity, &local_id, Some(&remote_id), &map::to_json(&mine), DELETED, &base, None, m.now)?;
                counts.conflicts += 1;
                continue;
            }
            (Some(_), None) => {
                // Deleted on both sides.
                w.pending_drop(entity, &local_id)?;
                w.close_open_conflict(entity, &local_id, "merged", m.now)?;
            }
        }
        w.forget_synced(entity, &local_id)?;
    }
    Ok(())
}
