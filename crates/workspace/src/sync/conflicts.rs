//! Conflicts between a local change and the remote's: listed with mine / theirs / base per
//! field, resolved by keeping one side whole. Keeping theirs writes the remote's version
//! locally (as a pull would) and drops the local change; keeping mine takes theirs as the
//! new base (and its ETag), so the next push sends exactly the fields that make it mine.

use roster_core::{AuditEntity, GroupName, UserId};
use roster_store::{AuditRecord, ConflictRow, StoreError, SyncedRow};

use super::map;
use super::pull::{set_members, take_user_fields};
use super::{SyncConflictView, SyncFieldView};
use crate::views::rfc3339;
use crate::{Error, ErrorCode, Workspace};

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
        fields: map::three_way(&mine, &theirs, &base)
            .into_iter()
            .map(|d| SyncFieldView { field: d.field, mine: d.mine, theirs: d.theirs, base: d.base })
            .collect(),
        resolution: c.resolution,
    }
}

impl Workspace {
    /// The open conflicts, oldest first.
    pub fn sync_conflicts(&self) -> Result<Vec<SyncConflictView>, Error> {
        self.linked_row()?;
        Ok(self.store.reader().open_conflicts()?.into_iter().map(view).collect())
    }

    /// Resolves conflict `id` by keeping `mine` or `theirs`.
    pub fn sync_resolve(&mut self, id: i64, keep: &str) -> Result<SyncConflictView, Error> {
        let row = self.linked_row()?;
        let keep_mine = match keep.trim().to_ascii_lowercase().as_str() {
            "mine" => true,
            "theirs" => false,
            other => return Err(Error::new(ErrorCode::Usage, format!("\"{other}\" is not a side to keep: use mine or theirs"))),
        };
        let c = self.store.reader().conflict(id)?.ok_or_else(|| Error::new(ErrorCode::NotFound, format!("No conflict {id}")))?;
        if c.resolved_at.is_some() {
            return Err(Error::new(ErrorCode::Conflict, format!("Conflict {id} was already resolved ({})", c.resolution.unwrap_or_default())));
        }
        let remote_id = c.remote_id.clone().ok_or_else(|| Error::new(ErrorCode::Internal, format!("conflict {id} has no remote id")))?;
        let extension = Self::stored_extension(&row);
        let now = self.clock.now();
        let actor = self.actor.clone();
        let theirs = map::from_json(&c.theirs);
        let synced = SyncedRow { remote_id, etag: c.theirs_etag.clone(), base: c.theirs.clone(), synced_at: now };
        self.store.write(|w| {
            if keep_mine {
                w.set_synced(&c.entity, &c.local_id, &synced)?;
                w.queue_change(&c.entity, &c.local_id, "upsert", now)?;
            } else {
                let problems = w.merging(|w| -> Result<Vec<map::FieldIssue>, StoreError> {
                    let r = w.reader();
                    if c.entity == "user" {
                        let Some(local) = UserId::parse(&c.local_id).ok().map(|id| r.user_by_id(&id)).transpose()?.flatten() else {
                            return Ok(Vec::new());
                        };
                        Ok(match take_user_fields(w, &local, &theirs, extension, now)? {
                            Ok(_) => Vec::new(),
                            Err(issues) => issues,
                        })
                    } else {
                        let Some((name, _)) = r.group_by_id(&c.local_id)? else { return Ok(Vec::new()) };
                        let current = GroupName::parse(&name).map_err(|e| StoreError::Corrupt(e.message))?;
                        let next = match map::group_name(&theirs) {
                            Ok(n) => n,
                            Err(issue) => return Ok(vec![issue]),
                        };
                        if next.as_str() != current.as_str() {
                            w.rename_group(&current, &next, None, now)?;
                        }
                        set_members(w, &next, &r.group_member_ids(&c.local_id)?, &map::member_ids(&theirs))?;
                        Ok(Vec::new())
                    }
                })?;
                if let Some(p) = problems.first() {
                    return Err(Error::new(ErrorCode::Validation, format!("The remote's version cannot be taken: {}: {}", p.field, p.message)));
                }
                w.set_synced(&c.entity, &c.local_id, &synced)?;
                w.pending_drop(&c.entity, &c.local_id)?;
            }
            let side = if keep_mine { "mine" } else { "theirs" };
            w.resolve_conflict(c.seq, side, now)?;
            let summary = format!("Resolved the sync conflict of {} {} keeping {side}", c.entity, c.local_id);
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
