//! `sync_plan` (what a push would send, contacting nobody) and `sync_push`: each pending
//! change becomes one SCIM operation — a create (with a `bulkId`, so a new user can join a
//! new group in the same request), a PATCH of only the attributes that differ from the base
//! (with `If-Match` when the server has ETags), or a delete — sent with `Client::bulk`; the
//! results are recorded a chunk at a time, each chunk in one transaction.
//!
//! A push may be cut short anywhere (the server stops answering, an answer is lost, the
//! process is killed before or while it records), so every operation is safe to meet again
//! already applied: a create the server already holds under the local id (`externalId`) —
//! answered 409, or a group looked up before it is created — is taken as done, its remote
//! fields the new base, and stays queued when they differ from the local ones; a PATCH
//! refused 412 whose remote version already equals the local one was this push's own (an
//! earlier attempt's answer lost); a DELETE answered 404 is done. A PATCH answered 404 (the
//! resource deleted on the server meanwhile) becomes a conflict whose `theirs` is `null`.
//!
//! The resources of the PATCHes refused 412 are read back (GET) after the operations were
//! sent, several at once ([`FETCH_CONCURRENCY`]) and with no transaction open: a push resumed
//! after a kill may meet thousands. A user's custom attributes the workspace does not define
//! are no part of its base or of the remote's form ([`map::remote_user_fields`]), and a PATCH
//! changes the others one name at a time, so a push never removes them from the remote.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use roster_core::{AttributeDefinition, AuditEntity, Secret, Timestamp};
use roster_scim::{BulkOperation, BulkOptions, BulkProgress, Group as ScimGroup, Outcome, PatchOp, ScimError, ScimErrorCode, User as ScimUser};
use roster_store::{AuditRecord, PendingRow, PushResultRow, Reader, SyncedRow};

use super::map::{self, Fields};
use super::sessions;
use super::pull::local_only;
use super::{scim_error, SyncOperationView, SyncPlanView, SyncPushView};
use crate::views::rfc3339;
use crate::{Error, ErrorCode, Progress, Workspace};

/// Results written per transaction.
const RESULT_CHUNK: usize = 500;

/// Resources read back at once after 412s (at most; the client's own bound may be lower).
const FETCH_CONCURRENCY: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    Patch,
    Delete,
    /// Queued, but nothing to send (created and deleted offline; changed and changed back).
    Nothing,
    /// Waits for the admin: the resource has an open conflict (or is a group whose new member
    /// does), so sending now would overwrite the remote's side unseen or create it twice.
    Held,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Patch => "patch",
            Kind::Delete => "delete",
            Kind::Nothing => "nothing",
            Kind::Held => "held",
        }
    }
    fn method(self) -> &'static str {
        match self {
            Kind::Create => "POST",
            Kind::Patch => "PATCH",
            Kind::Delete => "DELETE",
            Kind::Nothing | Kind::Held => "",
        }
    }
}

/// One pending change and what to send for it.
#[derive(Debug, Clone)]
struct Planned {
    pending: PendingRow,
    name: String,
    kind: Kind,
    fields: Vec<String>,
    /// The local resource now: the new base once the remote has it.
    mine: Fields,
    base: Fields,
    remote_id: Option<String>,
    etag: Option<String>,
    /// When the kept password was set (it goes with the operation).
    password: Option<Timestamp>,
}

fn all_pending(r: &Reader<'_>) -> Result<Vec<PendingRow>, Error> {
    let mut all = Vec::new();
    loop {
        let page = r.pending_changes(all.last().map_or(0, |p: &PendingRow| p.seq), 5000)?;
        if page.is_empty() {
            return Ok(all);
        }
        all.extend(page);
    }
}

fn plan(r: &Reader<'_>, extension: map::Extensions) -> Result<Vec<Planned>, Error> {
    let open: HashSet<(String, String)> = r.open_conflicts()?.into_iter().map(|c| (c.entity, c.local_id)).collect();
    let defs = r.attribute_definitions()?;
    let mut out = Vec::new();
    for p in all_pending(r)? {
        let synced = r.synced(&p.entity, &p.local_id)?;
        // Custom attributes not defined here are the remote's alone (a base kept before may name them).
        let base = synced.as_ref().map(|s| map::defined_only(map::from_json(&s.base), &defs)).unwrap_or_default();
        let (remote_id, etag) = synced.map(|s| (Some(s.remote_id), s.etag)).unwrap_or_default();
        let current = sessions::local_fields(r, &p.entity, &p.local_id, extension)?;
        let password = if p.entity == "user" { r.kept_password(&p.local_id)?.map(|k| k.set_at) } else { None };
        let name_of = |f: &Fields| f.get(if p.entity == "user" { "userName" } else { "displayName" }).and_then(|v| v.as_str()).map(str::to_owned);
        let (kind, mine, fields) = match (p.op.as_str(), current, &remote_id) {
            ("delete", _, Some(_)) | (_, None, Some(_)) => (Kind::Delete, Fields::new(), Vec::new()),
            ("delete", _, None) | (_, None, None) => (Kind::Nothing, Fields::new(), Vec::new()),
            (_, Some(mine), None) => {
                let fields = mine.keys().cloned().collect();
                (Kind::Create, mine, fields)
            }
            (_, Some(mine), Some(_)) => {
                let mut fields = map::changed_fields(&base, &mine);
                if password.is_some() {
                    fields.push("password".into());
                }
                let kind = if fields.is_empty() { Kind::Nothing } else { Kind::Patch };
                (kind, mine, fields)
            }
        };
        let name = name_of(&mine).or_else(|| name_of(&base)).unwrap_or_else(|| p.local_id.clone());
        let kind = if open.contains(&(p.entity.clone(), p.local_id.clone())) { Kind::Held } else { kind };
        out.push(Planned { pending: p, name, kind, fields, mine, base, remote_id, etag, password });
    }
    // A group that adds a held user the remote does not know yet waits with it: the member
    // could not be named, and the group's new base would claim it.
    let held_new: HashSet<String> =
        out.iter().filter(|p| p.kind == Kind::Held && p.pending.entity == "user" && p.remote_id.is_none()).map(|p| p.pending.local_id.clone()).collect();
    if !held_new.is_empty() {
        for p in out.iter_mut().filter(|p| p.pending.entity == "group" && matches!(p.kind, Kind::Create | Kind::Patch)) {
            let before: HashSet<String> = map::member_ids(&p.base).into_iter().collect();
            if map::member_ids(&p.mine).iter().any(|m| held_new.contains(m) && !before.contains(m)) {
                p.kind = Kind::Held;
            }
        }
    }
    Ok(out)
}

fn bulk_id(local_id: &str) -> String {
    format!("u-{local_id}")
}

/// The SCIM operations for the plan (`None` for those with nothing to send).
fn operations(
    r: &Reader<'_>,
    planned: &[Planned],
    extension: map::Extensions,
    etags: bool,
    passwords: &HashMap<String, Secret<String>>,
) -> Result<Vec<Option<BulkOperation>>, Error> {
    let created: HashSet<&str> = planned.iter().filter(|p| p.kind == Kind::Create && p.pending.entity == "user").map(|p| p.pending.local_id.as_str()).collect();
    let member_ref = |id: &str| -> Result<Option<String>, Error> {
        if created.contains(id) {
            return Ok(Some(format!("bulkId:{}", bulk_id(id))));
        }
        Ok(r.synced("user", id)?.map(|s| s.remote_id))
    };
    let mut out = Vec::with_capacity(planned.len());
    for p in planned {
        let id = p.pending.local_id.as_str();
        let version = if etags { p.etag.as_deref() } else { None };
        let op = match (p.kind, p.pending.entity.as_str()) {
            (Kind::Nothing | Kind::Held, _) => None,
            (Kind::Delete, "user") => Some(BulkOperation::delete::<ScimUser>(p.remote_id.as_deref().unwrap_or_default(), version)),
            (Kind::Delete, _) => Some(BulkOperation::delete::<ScimGroup>(p.remote_id.as_deref().unwrap_or_default(), version)),
            (Kind::Create, "user") => {
                let mut user = map::scim_user(&p.mine, id, extension);
                user.password = passwords.get(id).cloned();
                Some(BulkOperation::create(bulk_id(id), &user))
            }
            (Kind::Patch, "user") => {
                let diff = PatchOp::diff(&map::scim_user(&p.base, id, extension), &map::scim_user(&p.mine, id, extension));
                let mut patch = map::revoke_sessions(diff, &p.base, &p.mine);
                if let Some(password) = passwords.get(id) {
                    patch = patch.set_password(password);
                }
                (!patch.is_empty()).then(|| BulkOperation::patch::<ScimUser>(p.remote_id.as_deref().unwrap_or_default(), &patch, version))
            }
            (Kind::Create, _) => {
                let mut refs = Vec::new();
                for m in map::member_ids(&p.mine) {
                    refs.extend(member_ref(&m)?);
                }
                Some(BulkOperation::create(format!("g-{id}"), &map::scim_group(&p.mine, id, refs)))
            }
            (Kind::Patch, _) => {
                let mut patch = PatchOp::new(Vec::new());
                if p.base.get("displayName") != p.mine.get("displayName") {
                    patch = patch.replace("displayName", p.mine.get("displayName").cloned().unwrap_or_default());
                }
                let (before, after): (BTreeSet<String>, BTreeSet<String>) =
                    (map::member_ids(&p.base).into_iter().collect(), map::member_ids(&p.mine).into_iter().collect());
                let mut added = Vec::new();
                for m in after.difference(&before) {
                    added.extend(member_ref(m)?);
                }
                let mut removed = Vec::new();
                for m in before.difference(&after) {
                    removed.extend(r.synced("user", m)?.map(|s| s.remote_id));
                }
                if !added.is_empty() {
                    patch = patch.add_members(added.iter().map(String::as_str));
                }
                if !removed.is_empty() {
                    patch = patch.remove_members(removed.iter().map(String::as_str));
                }
                (!patch.is_empty()).then(|| BulkOperation::patch::<ScimGroup>(p.remote_id.as_deref().unwrap_or_default(), &patch, version))
            }
        };
        out.push(op);
    }
    Ok(out)
}

struct BulkProgressOf<'a>(&'a dyn Progress);

impl BulkProgress for BulkProgressOf<'_> {
    fn advanced(&self, done: usize, total: usize) {
        self.0.update(done as u64, total as u64);
    }
    fn cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// What one operation came to, ready to record.
struct Settled {
    planned: usize,
    method: &'static str,
    status: Option<u16>,
    result: &'static str,
    message: String,
    /// Done: the remote id and version now.
    remote: Option<(Option<String>, Option<String>)>,
    /// A 412: the remote's version and its ETag.
    theirs: Option<(Fields, Option<String>)>,
    /// A PATCH answered 404: the resource is gone from the remote.
    gone: bool,
    /// A create found on the server, made by an earlier push from other values: its fields
    /// (the new base). The change stays queued so the next push sends the difference.
    found_other: Option<Fields>,
}

impl Settled {
    fn new(planned: usize, method: &'static str, status: Option<u16>, result: &'static str, message: String) -> Settled {
        Settled { planned, method, status, result, message, remote: None, theirs: None, gone: false, found_other: None }
    }
}

impl Workspace {
    /// What a push would send now, per pending change. Contacts nobody.
    pub fn sync_plan(&self) -> Result<SyncPlanView, Error> {
        let row = self.linked_row()?;
        let extension = Self::stored_extension(&row);
        let planned = plan(&self.store.reader(), extension)?;
        let count = |k: Kind| planned.iter().filter(|p| p.kind == k).count() as u64;
        Ok(SyncPlanView {
            remote: row.name,
            pending: planned.len() as u64,
            creates: count(Kind::Create),
            patches: count(Kind::Patch),
            deletes: count(Kind::Delete),
            nothing_to_send: count(Kind::Nothing),
            held: count(Kind::Held),
            operations: planned
                .iter()
                .filter(|p| p.kind != Kind::Nothing)
                .map(|p| SyncOperationView {
                    entity: p.pending.entity.clone(),
                    local_id: p.pending.local_id.clone(),
                    name: p.name.clone(),
                    operation: p.kind.as_str().into(),
                    fields: p.fields.clone(),
                    password: p.password.is_some(),
                })
                .collect(),
            local_only_fields: local_only(extension),
        })
    }

    /// Sends the pending changes to the linked remote. Cancelling (through `progress`) stops
    /// before the next request; what was not sent stays queued, what was is recorded.
    pub fn sync_push(&mut self, progress: &dyn Progress) -> Result<SyncPushView, Error> {
        // One pull or push at a time: two pushes would both create what neither found.
        let _one_run = self.sync_lock()?;
        let linked = self.linked()?;
        let extension = map::Extensions::of(&linked.capabilities);
        let started = self.clock.now();
        let planned = plan(&self.store.reader(), extension)?;
        let kept: Vec<_> = {
            let r = self.store.reader();
            let mut kept = Vec::new();
            for p in planned.iter().filter(|p| p.password.is_some()) {
                kept.extend(r.kept_password(&p.pending.local_id)?);
            }
            kept
        };
        let passwords: HashMap<String, Secret<String>> = self.open_passwords(&kept)?.into_iter().collect();
        let ops = operations(&self.store.reader(), &planned, extension, linked.capabilities.etag, &passwords)?;
        let (sent, index_of): (Vec<BulkOperation>, Vec<usize>) = ops.iter().enumerate().filter_map(|(i, o)| o.clone().map(|o| (o, i))).unzip();

        let remote = linked.row.name.clone();
        let push_seq = self.store.write(|w| w.insert_push(&remote, started))?;
        progress.phase("pushing");
        let options = BulkOptions { look_up_new_groups: true, ..BulkOptions::default() };
        let report = linked.client.bulk(&sent, &options, &BulkProgressOf(progress)).map_err(scim_error)?;

        // The remote ids this push gave new users, for the members of groups read back below.
        let mut fresh: HashMap<String, String> = HashMap::new();
        for result in &report.results {
            let p = &planned[index_of[result.index]];
            if let (Outcome::Done(done), Kind::Create, "user") = (&result.outcome, p.kind, p.pending.entity.as_str()) {
                if let Some(id) = &done.id {
                    fresh.insert(id.clone(), p.pending.local_id.clone());
                }
            }
        }

        // Settle every operation; a 412 fetches the remote's version first, all of them at once
        // (bounded), with no transaction open.
        let defs = self.store.reader().attribute_definitions()?;
        let refused: Vec<&Planned> = report
            .results
            .iter()
            .filter(|r| matches!(&r.outcome, Outcome::Failed(e) if e.code() == ScimErrorCode::PreconditionFailed))
            .map(|r| &planned[index_of[r.index]])
            .collect();
        // The read-backs are requests of this push too.
        let requests = report.requests + refused.len();
        let mut fetched = fetch_remote(&linked.client, &refused).into_iter();
        let mut settled: Vec<Settled> = Vec::with_capacity(report.results.len());
        for result in &report.results {
            let i = index_of[result.index];
            let p = &planned[i];
            let method = p.kind.method();
            let s = match &result.outcome {
                Outcome::Done(done) => {
                    let mut s = Settled::new(i, method, Some(done.status), "done", String::new());
                    s.remote = Some((done.id.clone(), done.version.clone()));
                    if let Some(found) = done.found.as_ref().filter(|_| p.kind == Kind::Create) {
                        let theirs = self.found_fields(found, p, extension, &defs, &fresh)?;
                        // A password sent with a create that was already there may not be set.
                        if theirs != p.mine || p.password.is_some() {
                            s.message = "already on the server (made by an earlier push that never heard back); the differences go in the next push".into();
                            s.found_other = Some(theirs);
                        } else {
                            s.message = "already on the server (made by an earlier push that never heard back)".into();
                        }
                    }
                    s
                }
                Outcome::Failed(e) if e.code() == ScimErrorCode::NotFound && p.kind == Kind::Delete => {
                    let mut s = Settled::new(i, method, e.status(), "done", "already gone".into());
                    s.remote = Some((None, None));
                    s
                }
                Outcome::Failed(e) if e.code() == ScimErrorCode::NotFound && p.kind == Kind::Patch => {
                    let mut s = Settled::new(i, method, e.status(), "conflict", format!("deleted on the server: {}", e.message()));
                    s.gone = true;
                    s
                }
                Outcome::Failed(e) if e.code() == ScimErrorCode::PreconditionFailed => {
                    let remote = fetched.next().expect("a fetch for every 412");
                    match self.theirs_of(remote, extension, &defs, &fresh) {
                    // The remote already has what this PATCH sends: an earlier attempt of it
                    // was applied and its answer lost.
                    Ok((theirs, etag)) if theirs == p.mine && p.password.is_none() => {
                        let mut s = Settled::new(i, method, Some(200), "done", "already applied (an earlier attempt's answer was lost)".into());
                        s.remote = Some((None, etag));
                        s
                    }
                    theirs => {
                        let mut s = Settled::new(i, method, e.status(), "conflict", e.message().to_owned());
                        s.theirs = theirs.ok();
                        s
                    }
                    }
                }
                Outcome::Failed(e) => Settled::new(i, method, e.status(), "failed", e.message().to_owned()),
                Outcome::NotSent => Settled::new(i, method, None, "not_sent", String::new()),
            };
            settled.push(s);
        }

        let now = self.clock.now();
        let count = |r: &str| settled.iter().filter(|s| s.result == r).count() as u64;
        let (done, failed, conflicts, not_sent) = (count("done"), count("failed"), count("conflict"), count("not_sent"));
        let actor = self.actor.clone();
        let nothing: Vec<&Planned> = planned.iter().filter(|p| p.kind == Kind::Nothing).collect();
        let chunks: Vec<&[Settled]> = if settled.is_empty() { vec![&[][..]] } else { settled.chunks(RESULT_CHUNK).collect() };
        let last = chunks.len() - 1;
        let mut n = 0i64;
        for (c, chunk) in chunks.into_iter().enumerate() {
            self.store.write(|w| {
                for s in chunk {
                    n += 1;
                    let p = &planned[s.planned];
                    let (entity, id) = (p.pending.entity.as_str(), p.pending.local_id.as_str());
                    match (s.result, &s.remote, &s.theirs) {
                        ("done", Some((remote_id, version)), _) if s.found_other.is_some() => {
                            // Known to the remote now; what differs stays queued (password too).
                            let base = s.found_other.as_ref().map(map::to_json).unwrap_or_default();
                            let remote_id = remote_id.clone().unwrap_or_default();
                            w.set_synced(entity, id, &SyncedRow { remote_id, etag: version.clone(), base, synced_at: now })?;
                        }
                        ("conflict", _, _) if s.gone => {
                            w.record_conflict(entity, id, p.remote_id.as_deref(), &map::to_json(&p.mine), "null", &map::to_json(&p.base), None, now)?;
                            w.pending_failed(p.pending.seq, &s.message)?;
                        }
                        ("done", Some((remote_id, version)), _) => {
                            if p.kind == Kind::Delete {
                                w.forget_synced(entity, id)?;
                            } else {
                                let remote_id = remote_id.clone().or_else(|| p.remote_id.clone()).unwrap_or_default();
                                // A create sends no sessions (the directory's own): the base is what was sent.
                                let mut base = p.mine.clone();
                                if p.kind == Kind::Create {
                                    base.remove("sessions");
                                }
                                w.set_synced(entity, id, &SyncedRow { remote_id, etag: version.clone(), base: map::to_json(&base), synced_at: now })?;
                            }
                            // A kept password that could not be opened (its key lost) was not
                            // sent: it stays, and the admin sees it in the next plan.
                            if let Some(set_at) = p.password.filter(|_| passwords.contains_key(id)) {
                                w.drop_password(id, set_at)?;
                            }
                            w.pending_done(p.pending.seq, p.pending.rev)?;
                        }
                        ("conflict", _, Some((theirs, etag))) => {
                            w.record_conflict(entity, id, p.remote_id.as_deref(), &map::to_json(&p.mine), &map::to_json(theirs), &map::to_json(&p.base), etag.as_deref(), now)?;
                            w.pending_failed(p.pending.seq, &s.message)?;
                        }
                        ("conflict" | "failed", _, _) => w.pending_failed(p.pending.seq, &s.message)?,
                        _ => {}
                    }
                    w.insert_push_result(
                        push_seq,
                        &PushResultRow {
                            n,
                            entity: entity.into(),
                            local_id: id.into(),
                            name: p.name.clone(),
                            method: s.method.into(),
                            status: s.status,
                            result: s.result.into(),
                            message: s.message.clone(),
                        },
                    )?;
                }
                if c == last {
                    for p in &nothing {
                        if p.pending.op == "delete" {
                            w.forget_synced(&p.pending.entity, &p.pending.local_id)?;
                        }
                        if let Some(set_at) = p.password {
                            w.drop_password(&p.pending.local_id, set_at)?;
                        }
                        w.pending_done(p.pending.seq, p.pending.rev)?;
                    }
                    w.finish_push(push_seq, now, done, failed, conflicts)?;
                    w.set_last_push(&remote, now)?;
                    let summary = format!("Pushed to {remote}: {done} done, {failed} failed, {conflicts} conflicts, {not_sent} not sent");
                    w.append_audit(&AuditRecord {
                        at: now,
                        actor: &actor,
                        entity: AuditEntity::Settings,
                        entity_id: "remote",
                        subject: &remote,
                        action: "sync_push",
                        summary: &summary,
                        before: None,
                        after: None,
                    })?;
                }
                Ok::<_, Error>(())
            })?;
        }
        let results = self
            .store
            .reader()
            .push_results(push_seq)?
            .into_iter()
            .map(super::results::result_view)
            .collect();
        Ok(SyncPushView {
            remote,
            push: push_seq,
            done,
            failed,
            conflicts,
            not_sent,
            held: planned.iter().filter(|p| p.kind == Kind::Held).count() as u64,
            cancelled: report.cancelled,
            stopped: report.stopped.as_ref().map(|e| e.message().to_owned()),
            used_bulk: report.used_bulk,
            requests: requests as u64,
            results,
            pushed_at: rfc3339(now),
        })
    }

    /// The canonical form and ETag of a resource read back after a 412. `fresh`: remote ids of
    /// the users this push created → their local ids.
    fn theirs_of(
        &self,
        remote: Result<Fetched, ScimError>,
        extension: map::Extensions,
        defs: &[AttributeDefinition],
        fresh: &HashMap<String, String>,
    ) -> Result<(Fields, Option<String>), Error> {
        match remote.map_err(scim_error)? {
            Fetched::User(u) => {
                let etag = u.meta.as_ref().and_then(|m| m.version.clone());
                Ok((map::remote_user_fields(&u, extension, defs), etag))
            }
            Fetched::Group(g) => {
                let etag = g.meta.as_ref().and_then(|m| m.version.clone());
                Ok((self.remote_group_fields(&g, fresh)?, etag))
            }
        }
    }

    /// The canonical fields of a resource a create found already on the server.
    fn found_fields(
        &self,
        found: &serde_json::Value,
        p: &Planned,
        extension: map::Extensions,
        defs: &[AttributeDefinition],
        fresh: &HashMap<String, String>,
    ) -> Result<Fields, Error> {
        let unreadable = |e: serde_json::Error| Error::new(ErrorCode::Internal, format!("{} found on the server is not a SCIM resource: {e}", p.name));
        if p.pending.entity == "user" {
            let u: ScimUser = serde_json::from_value(found.clone()).map_err(unreadable)?;
            Ok(map::remote_user_fields(&u, extension, defs))
        } else {
            let g: ScimGroup = serde_json::from_value(found.clone()).map_err(unreadable)?;
            self.remote_group_fields(&g, fresh)
        }
    }

    fn remote_group_fields(&self, g: &ScimGroup, fresh: &HashMap<String, String>) -> Result<Fields, Error> {
        let r = self.store.reader();
        let mut local_of = HashMap::new();
        for m in &g.members {
            let local = match fresh.get(&m.value) {
                Some(local) => Some(local.clone()),
                None => r.synced_local_id("user", &m.value)?,
            };
            local_of.insert(m.value.clone(), local);
        }
        Ok(map::remote_group_fields(g, |rid| local_of.get(rid).cloned().flatten()))
    }
}

/// A resource read back from the remote.
enum Fetched {
    User(Box<ScimUser>),
    Group(Box<ScimGroup>),
}

/// Reads back the remote's version of each resource (in the order given), up to
/// [`FETCH_CONCURRENCY`] requests at once. Network only: no store, no transaction.
fn fetch_remote(client: &roster_scim::Client, planned: &[&Planned]) -> Vec<Result<Fetched, ScimError>> {
    let fetch = |p: &Planned| {
        let remote_id = p.remote_id.as_deref().unwrap_or_default();
        if p.pending.entity == "user" {
            client.get::<ScimUser>(remote_id).map(|u| Fetched::User(Box::new(u)))
        } else {
            client.get::<ScimGroup>(remote_id).map(|g| Fetched::Group(Box::new(g)))
        }
    };
    let threads = FETCH_CONCURRENCY.min(client.max_concurrency()).min(planned.len());
    if threads <= 1 {
        return planned.iter().map(|p| fetch(p)).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Fetched, ScimError>>>> = Mutex::new((0..planned.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = planned.get(n) else { return };
                let got = fetch(p);
                results.lock().unwrap_or_else(|e| e.into_inner())[n] = Some(got);
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().map(|r| r.expect("every fetch ran")).collect()
}
