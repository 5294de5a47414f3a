//! Conflicts between a local change and the remote's: listed with mine / theirs / base per
//! field (each marked whether both sides changed it), resolved per field.
//!
//! A resolution names a side (mine or theirs) per differing field, with an optional side for
//! the fields not named; without one, every field both sides changed (`conflicting`) must be
//! named, and a field only one side changed takes that side (as a pull's merge would). The
//! result is applied in one transaction: the fields kept theirs are written locally with the
//! change queue off, theirs becomes the new base (with its ETag), and a change is queued when
//! what is left locally differs from theirs, so the next push sends exactly the fields kept
//! mine. Keeping mine for every field is "keep mine whole"; theirs for every field, "keep
//! theirs whole".
//!
//! A conflict whose theirs is JSON `null` is a resource the remote no longer has (found at a
//! pull, or a PATCH answered 404 at a push): it is kept or dropped whole. Theirs deletes it
//! locally; mine forgets its remote id so the next push creates it again.

use std::collections::BTreeMap;

use roster_core::{AuditEntity, GroupName, UserId};
use roster_store::{AuditRecord, ConflictRow, StoreError, SyncedRow, Writer};
use serde::Deserialize;

use super::map::{self, Fields};
use super::merge;
use super::pull::{set_members, take_user_fields};
use super::{SyncConflictView, SyncFieldView};
use crate::views::rfc3339;
use crate::{Error, ErrorCode, FieldProblem, Workspace};

/// How to resolve a conflict, as the admin gives it: `keep` for every field not named in
/// `fields`, and `fields` (canonical field name → `mine` | `theirs`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncResolveInput {
    pub keep: Option<String>,
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Mine,
    Theirs,
}

impl Side {
    fn parse(s: &str) -> Option<Side> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mine" => Some(Side::Mine),
            "theirs" => Some(Side::Theirs),
            _ => None,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Side::Mine => "mine",
            Side::Theirs => "theirs",
        }
    }
}

/// Theirs of a conflict about a resource the remote no longer has.
pub(crate) const DELETED: &str = "null";

fn is_deleted(theirs: &str) -> bool {
    theirs.trim() == DELETED
}

fn view(c: ConflictRow) -> SyncConflictView {
    let (mine, theirs, base) = (map::from_json(&c.mine), map::from_json(&c.theirs), map::from_json(&c.base));
    let key = if c.entity == "user" { "userName" } else { "displayName" };
    let name = [&mine, &theirs, &base]
        .iter()
        .find_map(|f| f.get(key).and_then(|v| v.as_str()).map(str::to_owned))
        .unwrap_or_else(|| c.local_id.clone());
    SyncConflictView {
        id: c.seq,
        entity: c.entity,
        local_id: c.local_id,
        remote_id: c.remote_id,
        name,
        found_at: rfc3339(c.found_at),
        deleted_on_remote: is_deleted(&c.theirs),
        fields: map::three_way(&mine, &theirs, &base)
            .into_iter()
            .map(|d| SyncFieldView {
                conflicting: merge::conflicts(d.mine.as_ref(), d.theirs.as_ref(), d.base.as_ref()),
                field: d.field,
                mine: d.mine,
                theirs: d.theirs,
                base: d.base,
            })
            .collect(),
        resolution: c.resolution,
    }
}

fn validation(message: String, fields: Vec<FieldProblem>) -> Error {
    Error { code: ErrorCode::Validation, message, fields }
}

/// The side chosen for each field of the conflict (checked against its fields), or the
/// problems, each naming its field.
fn choose(c: &SyncConflictView, input: &SyncResolveInput) -> Result<BTreeMap<String, Side>, Error> {
    let keep = match input.keep.as_deref() {
        None => None,
        Some(k) => Some(Side::parse(k).ok_or_else(|| Error::new(ErrorCode::Usage, format!("\"{k}\" is not a side to keep: use mine or theirs")))?),
    };
    let known: Vec<&str> = c.fields.iter().map(|f| f.field.as_str()).collect();
    let mut problems = Vec::new();
    let mut named = BTreeMap::new();
    for (field, side) in &input.fields {
        if !known.contains(&field.as_str()) {
            problems.push(FieldProblem {
                field: field.clone(),
                code: "unknown_field".into(),
                message: format!("{field} is not a field of conflict {} (its fields: {})", c.id, known.join(", ")),
            });
            continue;
        }
        match Side::parse(side) {
            Some(s) => {
                named.insert(field.clone(), s);
            }
            None => problems.push(FieldProblem {
                field: field.clone(),
                code: "invalid".into(),
                message: format!("{field}: \"{side}\" is not a side to keep: use mine or theirs"),
            }),
        }
    }
    if !problems.is_empty() {
        let message = problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; ");
        return Err(validation(message, problems));
    }
    if c.deleted_on_remote {
        // Kept or dropped whole: one side for every field.
        let side = keep.or_else(|| named.values().next().copied());
        let Some(side) = side else {
            return Err(validation(
                format!("{} {} was deleted on the remote: keep mine (create it again) or theirs (delete it here)", c.entity, c.name),
                vec![FieldProblem { field: "keep".into(), code: "required".into(), message: "Choose mine or theirs".into() }],
            ));
        };
        if let Some((field, _)) = named.iter().find(|(_, s)| **s != side) {
            return Err(validation(
                format!("{} {} was deleted on the remote: it is kept or deleted whole, so {field} cannot keep another side", c.entity, c.name),
                vec![FieldProblem { field: field.clone(), code: "invalid".into(), message: format!("{field} must keep {} like the rest", side.as_str()) }],
            ));
        }
        return Ok(c.fields.iter().map(|f| (f.field.clone(), side)).collect());
    }
    let mut out = BTreeMap::new();
    for f in &c.fields {
        let side = named.get(&f.field).copied().or(keep).or_else(|| {
            // Only one side changed it: that side, as a merge would.
            (!f.conflicting).then_some(if f.mine == f.base { Side::Theirs } else { Side::Mine })
        });
        match side {
            Some(s) => {
                out.insert(f.field.clone(), s);
            }
            None => problems.push(FieldProblem {
                field: f.field.clone(),
                code: "required".into(),
                message: format!("{}: choose mine or theirs (both sides changed it)", f.field),
            }),
        }
    }
    if !problems.is_empty() {
        let message = format!(
            "Choose mine or theirs for {}, or give a side for the rest",
            problems.iter().map(|p| p.field.as_str()).collect::<Vec<_>>().join(", ")
        );
        return Err(validation(message, problems));
    }
    Ok(out)
}


/// Writes `next` over the local resource (the change queue off). Problems: values the
/// workspace cannot take.
fn write_local(w: &Writer<'_>, entity: &str, local_id: &str, next: &Fields, extension: map::Extensions, now: roster_core::Timestamp) -> Result<Vec<map::FieldIssue>, StoreError> {
    w.merging(|w| {
        let r = w.reader();
        if entity == "user" {
            let Some(local) = UserId::parse(local_id).ok().map(|id| r.user_by_id(&id)).transpose()?.flatten() else { return Ok(Vec::new()) };
            return Ok(match take_user_fields(w, &local, next, extension, now)? {
                Ok(issues) | Err(issues) => issues,
            });
        }
        let Some((name, _)) = r.group_by_id(local_id)? else { return Ok(Vec::new()) };
        let current = GroupName::parse(&name).map_err(|e| StoreError::Corrupt(e.message))?;
        let next_name = match map::group_name(next) {
            Ok(n) => n,
            Err(issue) => return Ok(vec![issue]),
        };
        if next_name.as_str() != current.as_str() {
            w.rename_group(&current, &next_name, None, now)?;
        }
        set_members(w, &next_name, &r.group_member_ids(local_id)?, &map::member_ids(next))?;
        Ok(Vec::new())
    })
}

/// Deletes the local resource (the change queue off): the remote deleted it and theirs won.
fn delete_local(w: &Writer<'_>, entity: &str, local_id: &str) -> Result<(), StoreError> {
    w.merging(|w| {
        if entity == "user" {
            if let Ok(id) = UserId::parse(local_id) {
                w.delete_user(&id)?;
            }
        } else if let Some((name, _)) = w.reader().group_by_id(local_id)? {
            if let Ok(name) = GroupName::parse(&name) {
                w.delete_group(&name)?;
            }
        }
        Ok(())
    })
}

impl Workspace {
    /// The open conflicts, oldest first.
    pub fn sync_conflicts(&self) -> Result<Vec<SyncConflictView>, Error> {
        self.linked_row()?;
        Ok(self.store.reader().open_conflicts()?.into_iter().map(view).collect())
    }

    /// Resolves conflict `id` by keeping `mine` or `theirs` for every field.
    pub fn sync_resolve(&mut self, id: i64, keep: &str) -> Result<SyncConflictView, Error> {
        self.sync_resolve_fields(id, &SyncResolveInput { keep: Some(keep.to_owned()), fields: BTreeMap::new() })
    }

    /// Resolves conflict `id` field by field (see the module's description).
    pub fn sync_resolve_fields(&mut self, id: i64, input: &SyncResolveInput) -> Result<SyncConflictView, Error> {
        let row = self.linked_row()?;
        // A side that is neither is a usage error whatever the id names (checked again by `choose`).
        if let Some(k) = input.keep.as_deref().filter(|k| Side::parse(k).is_none()) {
            return Err(Error::new(ErrorCode::Usage, format!("\"{k}\" is not a side to keep: use mine or theirs")));
        }
        let c = self.store.reader().conflict(id)?.ok_or_else(|| Error::new(ErrorCode::NotFound, format!("No conflict {id}")))?;
        if c.resolved_at.is_some() {
            return Err(Error::new(ErrorCode::Conflict, format!("Conflict {id} was already resolved ({})", c.resolution.unwrap_or_default())));
        }
        let shown = view(c.clone());
        let sides = choose(&shown, input)?;
        let all = |s: Side| sides.values().all(|v| *v == s);
        let resolution = if all(Side::Mine) { "mine" } else if all(Side::Theirs) { "theirs" } else { "fields" };
        let extension = Self::stored_extension(&row);
        let now = self.clock.now();
        let actor = self.actor.clone();
        let (entity, local_id) = (c.entity.as_str(), c.local_id.as_str());
        let theirs = map::from_json(&c.theirs);
        let kept_theirs: Vec<&String> = sides.iter().filter(|(_, s)| **s == Side::Theirs).map(|(f, _)| f).collect();
        self.store.write(|w| {
            if shown.deleted_on_remote {
                if resolution == "theirs" {
                    delete_local(w, entity, local_id)?;
                    w.pending_drop(entity, local_id)?;
                } else {
                    w.queue_change(entity, local_id, "upsert", now)?;
                }
                w.forget_synced(entity, local_id)?;
            } else {
                let remote_id = c.remote_id.clone().ok_or_else(|| Error::new(ErrorCode::Internal, format!("conflict {id} has no remote id")))?;
                let current = super::sessions::local_fields(&w.reader(), entity, local_id, extension)?;
                if let Some(current) = current {
                    let mut next = current.clone();
                    for field in &kept_theirs {
                        match theirs.get(*field) {
                            Some(v) => next.insert((*field).clone(), v.clone()),
                            None => next.remove(*field),
                        };
                    }
                    if next != current {
                        let issues = write_local(w, entity, local_id, &next, extension, now)?;
                        if let Some(p) = issues.iter().find(|i| kept_theirs.iter().any(|f| **f == i.field)).or(issues.first()) {
                            return Err(validation(
                                format!("The remote's {} cannot be taken: {}", p.field, p.message),
                                vec![FieldProblem { field: p.field.clone(), code: "invalid".into(), message: p.message.clone() }],
                            ));
                        }
                    }
                    let after = super::sessions::local_fields(&w.reader(), entity, local_id, extension)?.unwrap_or_default();
                    if after == theirs {
                        w.pending_drop(entity, local_id)?;
                    } else {
                        w.queue_change(entity, local_id, "upsert", now)?;
                    }
                }
                w.set_synced(entity, local_id, &SyncedRow { remote_id, etag: c.theirs_etag.clone(), base: c.theirs.clone(), synced_at: now })?;
            }
            w.resolve_conflict(c.seq, resolution, now)?;
            let detail = if resolution == "fields" {
                sides.iter().map(|(f, s)| format!("{f}: {}", s.as_str())).collect::<Vec<_>>().join(", ")
            } else {
                resolution.to_owned()
            };
            let summary = format!("Resolved the sync conflict of {entity} {} keeping {detail}", shown.name);
            w.append_audit(&AuditRecord {
                at: now,
                actor: &actor,
                entity: AuditEntity::Settings,
                entity_id: "remote",
                subject: &row.name,
                action: "sync_resolve",
                summary: &summary,
                before: None,
                after: None,
            })?;
            Ok::<_, Error>(())
        })?;
        Ok(view(self.store.reader().conflict(id)?.expect("the conflict is still there")))
    }
}
