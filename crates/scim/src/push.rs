//! Sending many operations: `/Bulk` requests in chunks when the server has it, otherwise
//! single requests several at once. Either way every operation gets its own result, a create
//! whose answer was lost is looked up before it is sent again, and `bulkId` references work.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use reqwest::Method;
use serde_json::Value;

use crate::bulk::{
    chunk_len, failed_references, fits_alone, id_from_location, order_by_references, BulkMethod,
    BulkOperation, BulkOperationResponse, BulkRequest, BulkResponse,
};
use crate::client::{parse, Answer, Client, PostOutcome, Replay};
use crate::discovery::BulkLimits;
use crate::error::{ScimError, ScimErrorCode};
use crate::model::ErrorResponse;

/// How [`Client::bulk`] sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BulkMode {
    /// `/Bulk` when the server advertises it, else single requests.
    #[default]
    Auto,
    /// `/Bulk`, whatever discovery said.
    Bulk,
    /// One request per operation, up to `concurrency` at once.
    Single,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BulkOptions {
    pub mode: BulkMode,
    /// At most this many operations per `/Bulk` request (the server's `maxOperations` when
    /// smaller; that alone when `None`).
    pub max_operations: Option<usize>,
    /// At most this many bytes per `/Bulk` request (likewise with `maxPayloadSize`).
    pub max_payload_size: Option<usize>,
    /// Single requests in flight at once (the client's `max_concurrency` when `None`).
    pub concurrency: Option<usize>,
    /// Look each new group that carries an `externalId` up by it before sending its create,
    /// and take the one found as done. Servers refuse a second user of the same `userName`
    /// (a 409, which is looked up the same way), but not a second group of the same name: a
    /// group an earlier run created without hearing back would otherwise be made twice.
    pub look_up_new_groups: bool,
}

/// Progress and cancellation of a [`Client::bulk`]. Called from worker threads too.
pub trait BulkProgress: Sync {
    /// `done` of `total` operations have their final result.
    fn advanced(&self, _done: usize, _total: usize) {}
    /// Asked before each request: `true` stops the run; what was not sent stays `NotSent`.
    fn cancelled(&self) -> bool {
        false
    }
}

impl BulkProgress for () {}

/// The result of every operation, in the order given.
#[derive(Debug, Clone)]
pub struct BulkReport {
    pub results: Vec<OperationResult>,
    /// Why the run stopped early (the server unreachable after every retry, a refused token,
    /// …): the operations left are `NotSent`.
    pub stopped: Option<ScimError>,
    pub cancelled: bool,
    /// Requests sent (`/Bulk` requests, or single ones), lookups included.
    pub requests: usize,
    /// Whether `/Bulk` was used.
    pub used_bulk: bool,
}

impl BulkReport {
    pub fn succeeded(&self) -> usize {
        self.results.iter().filter(|r| r.outcome.is_done()).count()
    }

    pub fn failures(&self) -> impl Iterator<Item = (&OperationResult, &ScimError)> {
        self.results.iter().filter_map(|r| match &r.outcome {
            Outcome::Failed(e) => Some((r, e)),
            _ => None,
        })
    }

    pub fn not_sent(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::NotSent))
            .count()
    }

    /// The server's id for the resource the operation with `bulk_id` created.
    pub fn id_of(&self, bulk_id: &str) -> Option<&str> {
        self.results
            .iter()
            .find(|r| r.bulk_id.as_deref() == Some(bulk_id))
            .and_then(|r| match &r.outcome {
                Outcome::Done(done) => done.id.as_deref(),
                _ => None,
            })
    }
}

/// One operation's result.
#[derive(Debug, Clone)]
pub struct OperationResult {
    /// Its position in the operations given.
    pub index: usize,
    pub method: BulkMethod,
    /// The path as given (`bulkId:` references unresolved).
    pub path: String,
    pub bulk_id: Option<String>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Done(Done),
    /// The server refused it, or it failed after every retry; the error has the server's
    /// status, `scimType` and `detail`.
    Failed(ScimError),
    /// Not sent: the run stopped or was cancelled first.
    NotSent,
}

impl Outcome {
    pub fn is_done(&self) -> bool {
        matches!(self, Outcome::Done(_))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub status: u16,
    /// The resource's id (creates; and others when the server says).
    pub id: Option<String>,
    pub location: Option<String>,
    pub version: Option<String>,
    /// The answer was lost and the result was established afterwards: a create found by its
    /// identity, a delete found already gone.
    pub recovered: bool,
    /// A create found on the server instead of made by this request (its answer lost, a 409
    /// for its `externalId`, or a group looked up first): the resource as found. An earlier
    /// run may have made it from other values than the ones sent now.
    pub found: Option<Value>,
}

/// The run's shared bookkeeping.
struct Run<'a> {
    operations: &'a [BulkOperation],
    outcomes: Vec<Outcome>,
    attempts: Vec<u32>,
    /// bulkId → the server's id, from successful creates.
    known: HashMap<String, String>,
    /// bulkIds whose create failed.
    failed: HashSet<String>,
    requests: usize,
}

impl<'a> Run<'a> {
    fn new(operations: &'a [BulkOperation]) -> Run<'a> {
        Run {
            operations,
            outcomes: vec![Outcome::NotSent; operations.len()],
            attempts: vec![0; operations.len()],
            known: HashMap::new(),
            failed: HashSet::new(),
            requests: 0,
        }
    }

    fn settle(&mut self, index: usize, outcome: Outcome) {
        let bulk_id = self.operations[index].bulk_id.clone();
        match (&outcome, bulk_id) {
            (Outcome::Done(done), Some(bulk_id)) => {
                if let Some(id) = &done.id {
                    self.known.insert(bulk_id, id.clone());
                }
            }
            (Outcome::Failed(_), Some(bulk_id)) => {
                self.failed.insert(bulk_id);
            }
            _ => {}
        }
        self.outcomes[index] = outcome;
    }

    fn done(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| !matches!(o, Outcome::NotSent))
            .count()
    }

    /// The operation ready to send, its references resolved; or its failure when a
    /// reference cannot be.
    fn prepare(&self, index: usize) -> Result<BulkOperation, ScimError> {
        let op = &self.operations[index];
        let references = op.references();
        let failed = failed_references(&references, &self.failed);
        if !failed.is_empty() {
            return Err(ScimError::new(
                ScimErrorCode::FailedDependency,
                format!(
                    "{} {}: not sent, because the operation{} it refers to ({}) failed",
                    op.method.as_str(),
                    op.path,
                    if failed.len() > 1 { "s" } else { "" },
                    failed
                        .iter()
                        .map(|f| format!("bulkId:{f}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let mut op = op.clone();
        op.resolve(&self.known);
        Ok(op)
    }

    fn report(self, stopped: Option<ScimError>, cancelled: bool, used_bulk: bool) -> BulkReport {
        let results = self
            .outcomes
            .into_iter()
            .enumerate()
            .map(|(index, outcome)| {
                let op = &self.operations[index];
                OperationResult {
                    index,
                    method: op.method,
                    path: op.path.clone(),
                    bulk_id: op.bulk_id.clone(),
                    outcome,
                }
            })
            .collect();
        BulkReport {
            results,
            stopped,
            cancelled,
            requests: self.requests,
            used_bulk,
        }
    }
}

impl Client {
    /// Sends `operations` and reports each one's result (see [`crate::bulk`] for how `bulkId`
    /// references are kept working).
    ///
    /// With `/Bulk`: chunks within the server's `maxOperations` and `maxPayloadSize` (and the
    /// options' own bounds), sent one after the other. A chunk the server refuses as too
    /// large (413) is halved. When a chunk's answer is lost (timeout, broken connection, 5xx
    /// other than 503), its creates are looked up by identity (`externalId`, else `userName`
    /// / `displayName`) and only those not found are sent again, with the chunk's other
    /// operations; operations the server answered 429 / 503 / 5xx are sent again likewise.
    /// A create refused with 409 whose resource carries an `externalId` is looked up by it:
    /// a resource found with that `externalId` is this create's, made by an earlier run that
    /// never heard back, and the create is done (`recovered`, with `found`); otherwise the
    /// 409 stands, with the server's words. Without `/Bulk`: single requests, up to `concurrency` at once, in waves so a create
    /// is done before the operations referring to it.
    ///
    /// `Err` only when nothing could be sent: discovery failed (mode `Auto` before any
    /// discovery) or the references form a circle. Everything else is in the report.
    pub fn bulk(
        &self,
        operations: &[BulkOperation],
        options: &BulkOptions,
        progress: &dyn BulkProgress,
    ) -> Result<BulkReport, ScimError> {
        let order = order_by_references(operations)?;
        let limits = match options.mode {
            BulkMode::Single => None,
            BulkMode::Bulk => Some(
                self.capabilities()
                    .and_then(|c| c.bulk)
                    .unwrap_or(BulkLimits::CAUTIOUS),
            ),
            BulkMode::Auto => match self.capabilities() {
                Some(capabilities) => capabilities.bulk,
                None => self.discover()?.bulk,
            },
        };
        Ok(match limits {
            Some(limits) => {
                let limits = BulkLimits {
                    max_operations: options
                        .max_operations
                        .map_or(limits.max_operations, |m| m.min(limits.max_operations))
                        .max(1),
                    max_payload_size: options
                        .max_payload_size
                        .map_or(limits.max_payload_size, |m| m.min(limits.max_payload_size)),
                };
                self.push_bulk(operations, order, limits, options.look_up_new_groups, progress)
            }
            None => {
                let concurrency = options.concurrency.unwrap_or(self.max_concurrency()).max(1);
                self.push_single(
                    operations,
                    order,
                    concurrency,
                    options.look_up_new_groups,
                    progress,
                )
            }
        })
    }

    fn push_bulk(
        &self,
        operations: &[BulkOperation],
        order: Vec<usize>,
        limits: BulkLimits,
        look_up_new_groups: bool,
        progress: &dyn BulkProgress,
    ) -> BulkReport {
        let policy = self.retry_policy();
        let total = operations.len();
        let mut run = Run::new(operations);
        let mut queue: VecDeque<usize> = order.iter().copied().collect();
        let position: HashMap<usize, usize> =
            order.iter().enumerate().map(|(p, &i)| (i, p)).collect();
        let mut max_operations = limits.max_operations;
        let mut troubled_rounds = 0;
        let mut looked_up: HashSet<usize> = HashSet::new();
        let url = self.url(&["Bulk"], &[]);
        while !queue.is_empty() {
            if progress.cancelled() {
                return run.report(None, true, true);
            }
            // The next chunk: in order, within both limits; operations that cannot go fail.
            let mut chunk: Vec<(usize, BulkOperation)> = Vec::new();
            let mut sizes: Vec<usize> = Vec::new();
            while let Some(&index) = queue.front() {
                if chunk.len() >= max_operations {
                    break;
                }
                let op = match run.prepare(index) {
                    Ok(op) => op,
                    Err(error) => {
                        queue.pop_front();
                        run.settle(index, Outcome::Failed(error));
                        continue;
                    }
                };
                if look_up_new_groups && is_new_group(&op) && looked_up.insert(index) {
                    match self.look_up(&mut run, &op) {
                        Ok(Some(done)) => {
                            queue.pop_front();
                            run.settle(index, Outcome::Done(done));
                            continue;
                        }
                        Ok(None) => {}
                        // Unreachable, refused: what is left stays unsent.
                        Err(stop) => return run.report(Some(stop), false, true),
                    }
                }
                let size = op.encoded_len();
                if !fits_alone(size, limits.max_payload_size) {
                    queue.pop_front();
                    let error = ScimError::new(
                        ScimErrorCode::PayloadTooLarge,
                        format!(
                            "{} {}: {size} bytes, more than the server takes in a bulk request ({})",
                            op.method.as_str(),
                            op.path,
                            limits.max_payload_size
                        ),
                    );
                    run.settle(index, Outcome::Failed(error));
                    continue;
                }
                sizes.push(size);
                if chunk_len(&sizes, max_operations, limits.max_payload_size) < sizes.len() {
                    sizes.pop();
                    break;
                }
                queue.pop_front();
                chunk.push((index, op));
            }
            if chunk.is_empty() {
                continue;
            }
            for (index, _) in &chunk {
                run.attempts[*index] += 1;
            }
            let body = serde_json::to_vec(&BulkRequest::new(
                chunk.iter().map(|(_, op)| op.clone()).collect(),
            ))
            .expect("a bulk request serialises");
            run.requests += 1;
            let mut again: Vec<usize> = Vec::new();
            let mut lookup: Vec<(usize, ScimError)> = Vec::new();
            let mut troubled = false;
            match self.execute(
                Method::POST,
                url.clone(),
                Some(&body),
                None,
                Replay::UnlessMaybeApplied,
            ) {
                Ok(answer) => {
                    match parse::<BulkResponse>(&answer, "Bulk") {
                        Ok(response) => {
                            let answers = match_answers(&chunk, response.operations);
                            for ((index, op), answer) in chunk.iter().zip(answers) {
                                let Some(answer) = answer else {
                                    // The server said nothing of it: as good as a lost answer.
                                    troubled = true;
                                    let error = ScimError::new(
                                    ScimErrorCode::Protocol,
                                    format!("{} {}: the bulk answer does not mention this operation", op.method.as_str(), op.path),
                                );
                                    lost(
                                        &mut run,
                                        *index,
                                        op,
                                        error,
                                        policy.max_attempts,
                                        &mut again,
                                        &mut lookup,
                                    );
                                    continue;
                                };
                                match judge(self, op, &answer, run.attempts[*index] > 1) {
                                    Ok(done) => run.settle(*index, Outcome::Done(done)),
                                    Err(error) => {
                                        let retry = error.code().is_transient()
                                            && run.attempts[*index] < policy.max_attempts;
                                        // A 409 after a lost answer, or for an externalId
                                        // the server may already hold: look it up.
                                        let conflict_after_loss = error.code()
                                            == ScimErrorCode::Conflict
                                            && op.method == BulkMethod::Post
                                            && (run.attempts[*index] > 1
                                                || has_external_id(op));
                                        if retry || conflict_after_loss {
                                            troubled |= retry;
                                            if error.maybe_applied() || conflict_after_loss {
                                                lost(
                                                    &mut run,
                                                    *index,
                                                    op,
                                                    error,
                                                    policy.max_attempts,
                                                    &mut again,
                                                    &mut lookup,
                                                );
                                            } else {
                                                again.push(*index);
                                            }
                                        } else {
                                            run.settle(*index, Outcome::Failed(error));
                                        }
                                    }
                                }
                            }
                        }
                        Err(error) => {
                            troubled = true;
                            let error = ScimError {
                                maybe_applied: true,
                                ..error
                            };
                            for (index, op) in &chunk {
                                lost(
                                    &mut run,
                                    *index,
                                    op,
                                    error.clone(),
                                    policy.max_attempts,
                                    &mut again,
                                    &mut lookup,
                                );
                            }
                        }
                    }
                }
                Err(error) if error.maybe_applied() => {
                    troubled = true;
                    for (index, op) in &chunk {
                        lost(
                            &mut run,
                            *index,
                            op,
                            error.clone(),
                            policy.max_attempts,
                            &mut again,
                            &mut lookup,
                        );
                    }
                }
                Err(error) if error.code() == ScimErrorCode::PayloadTooLarge && chunk.len() > 1 => {
                    max_operations = (chunk.len() / 2).max(1);
                    for (index, _) in &chunk {
                        run.attempts[*index] -= 1;
                        again.push(*index);
                    }
                }
                Err(error) => {
                    // Unreachable after every retry, a refused token, a refused request:
                    // the next chunks would meet it too.
                    for (index, _) in &chunk {
                        run.attempts[*index] -= 1;
                    }
                    return run.report(Some(error), false, true);
                }
            }
            // Creates whose answer was lost: there, or to be sent again? Looked up several at
            // once (each lookup may meet faults and wait its own retries).
            let to_find: Vec<&BulkOperation> = lookup
                .iter()
                .map(|(index, _)| {
                    &chunk
                        .iter()
                        .find(|(i, _)| i == index)
                        .expect("in the chunk")
                        .1
                })
                .collect();
            let found = self.look_up_many(&mut run, &to_find);
            let mut stopped: Option<ScimError> = None;
            for ((index, error), found) in lookup.into_iter().zip(found) {
                match found {
                    Ok(Some(done)) => run.settle(index, Outcome::Done(done)),
                    Ok(None)
                        if run.attempts[index] < policy.max_attempts
                            && error.code() != ScimErrorCode::Conflict =>
                    {
                        again.push(index)
                    }
                    Ok(None) => run.settle(
                        index,
                        Outcome::Failed(ScimError {
                            maybe_applied: false,
                            ..error
                        }),
                    ),
                    // Unknown whether it was applied: said so in its error (the next run's
                    // create of it meets a 409, or its group is looked up first).
                    Err(stop) => {
                        run.settle(index, Outcome::Failed(error));
                        stopped.get_or_insert(stop);
                    }
                }
            }
            if let Some(stop) = stopped {
                requeue(&mut queue, again, &position);
                return run.report(Some(stop), false, true);
            }
            requeue(&mut queue, again, &position);
            progress.advanced(run.done(), total);
            if troubled {
                troubled_rounds += 1;
                let wait = policy.backoff(troubled_rounds, self.clock().random_fraction());
                self.clock().sleep(wait);
            } else {
                troubled_rounds = 0;
            }
        }
        run.report(None, false, true)
    }

    /// Looks up the resource a create makes. `Ok(None)`: not there (or not findable).
    fn look_up(&self, run: &mut Run<'_>, op: &BulkOperation) -> Result<Option<Done>, ScimError> {
        let Some((endpoint, filter)) = op.identity_filter() else {
            return Ok(None);
        };
        run.requests += 1;
        Ok(self
            .find_value(endpoint, &filter)?
            .map(|found| done_from_value(&found, 201, true)))
    }

    /// [`Client::look_up`] for several creates, up to the client's `max_concurrency` at once;
    /// the results in the order given.
    fn look_up_many(
        &self,
        run: &mut Run<'_>,
        ops: &[&BulkOperation],
    ) -> Vec<LookUp> {
        let threads = self.max_concurrency().min(ops.len());
        if threads <= 1 {
            return ops.iter().map(|op| self.look_up(run, op)).collect();
        }
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<LookUp>>> = Mutex::new(vec![None; ops.len()]);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(op) = ops.get(n) else {
                        return;
                    };
                    let found = match op.identity_filter() {
                        Some((endpoint, filter)) => self
                            .find_value(endpoint, &filter)
                            .map(|found| found.map(|value| done_from_value(&value, 201, true))),
                        None => Ok(None),
                    };
                    lock(&results)[n] = Some(found);
                });
            }
        });
        run.requests += ops.iter().filter(|op| op.identity_filter().is_some()).count();
        results
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .map(|r| r.expect("every lookup ran"))
            .collect()
    }

    fn push_single(
        &self,
        operations: &[BulkOperation],
        order: Vec<usize>,
        concurrency: usize,
        look_up_new_groups: bool,
        progress: &dyn BulkProgress,
    ) -> BulkReport {
        let total = operations.len();
        let mut run = Run::new(operations);
        // Waves: an operation goes one wave after the latest create it refers to.
        let creators: HashMap<&str, usize> = operations
            .iter()
            .enumerate()
            .filter_map(|(i, op)| op.bulk_id.as_deref().map(|id| (id, i)))
            .collect();
        let mut wave_of = vec![0usize; total];
        for &index in &order {
            wave_of[index] = operations[index]
                .references()
                .iter()
                .filter_map(|r| creators.get(r.as_str()))
                .filter(|&&c| c != index)
                .map(|&c| wave_of[c] + 1)
                .max()
                .unwrap_or(0);
        }
        let waves = wave_of.iter().copied().max().map_or(0, |m| m + 1);
        let stop = AtomicBool::new(false);
        let stopped: Mutex<Option<ScimError>> = Mutex::new(None);
        let requests = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let mut cancelled = false;
        for wave in 0..waves {
            let mut ready: Vec<(usize, BulkOperation)> = Vec::new();
            for &index in order.iter().filter(|&&i| wave_of[i] == wave) {
                match run.prepare(index) {
                    Ok(op) => ready.push((index, op)),
                    Err(error) => {
                        run.settle(index, Outcome::Failed(error));
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            let next = AtomicUsize::new(0);
            let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
            std::thread::scope(|scope| {
                for _ in 0..concurrency.min(ready.len()) {
                    scope.spawn(|| loop {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        if progress.cancelled() {
                            stop.store(true, Ordering::Relaxed);
                            return;
                        }
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let Some((index, op)) = ready.get(n) else {
                            return;
                        };
                        let (outcome, sent) = self.send_single(op, look_up_new_groups);
                        requests.fetch_add(sent, Ordering::Relaxed);
                        if let Outcome::Failed(error) = &outcome {
                            if server_wide(error.code()) {
                                stop.store(true, Ordering::Relaxed);
                                lock(&stopped).get_or_insert_with(|| error.clone());
                                // Unsent, unless it may have been applied.
                                if !error.maybe_applied() {
                                    return;
                                }
                            }
                        }
                        lock(&results).push((*index, outcome));
                        progress.advanced(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                    });
                }
            });
            for (index, outcome) in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
                run.settle(index, outcome);
            }
            if stop.load(Ordering::Relaxed) {
                cancelled = stopped.lock().map_or(true, |s| s.is_none());
                break;
            }
        }
        run.requests = requests.into_inner();
        let stopped = stopped.into_inner().unwrap_or_else(|e| e.into_inner());
        run.report(stopped, cancelled, false)
    }

    /// One operation as a single request. Returns its outcome and the requests it took.
    fn send_single(&self, op: &BulkOperation, look_up_new_groups: bool) -> (Outcome, usize) {
        let url = self.url_of_path(&op.path);
        let body = op
            .data
            .as_ref()
            .map(|d| serde_json::to_vec(d).expect("JSON serialises"));
        let if_match = self.if_match(op.version.as_deref());
        let mut requests = 1;
        let result = match op.method {
            BulkMethod::Post => {
                let identity = op.identity_filter();
                let find = |client: &Client| match &identity {
                    Some((endpoint, filter)) => client.find_value(endpoint, filter),
                    None => Ok(None),
                };
                if look_up_new_groups && is_new_group(op) {
                    requests += 1;
                    match find(self) {
                        Ok(Some(value)) => {
                            return (Outcome::Done(done_from_value(&value, 201, true)), requests)
                        }
                        Ok(None) => {}
                        Err(error) => return (Outcome::Failed(error), requests),
                    }
                }
                let outcome =
                    self.post_once(&op.path, body.as_deref().unwrap_or(b"{}"), |client| {
                        requests += 1;
                        match &identity {
                            Some((endpoint, filter)) => client.find_value(endpoint, filter),
                            None => Ok(None),
                        }
                    });
                match outcome {
                    Ok(PostOutcome::Created(answer)) => Ok(done_from_answer(&answer, false)),
                    Ok(PostOutcome::Found(value)) => Ok(done_from_value(&value, 201, true)),
                    // Taken: by this resource itself, made by an earlier run?
                    Err(error)
                        if error.code() == ScimErrorCode::Conflict && has_external_id(op) =>
                    {
                        requests += 1;
                        match find(self) {
                            Ok(Some(value)) => Ok(done_from_value(&value, 201, true)),
                            Ok(None) => Err(error),
                            Err(lookup) => Err(lookup),
                        }
                    }
                    Err(error) => Err(error),
                }
            }
            method => {
                let method = match method {
                    BulkMethod::Put => Method::PUT,
                    BulkMethod::Patch => Method::PATCH,
                    _ => Method::DELETE,
                };
                let is_delete = method == Method::DELETE;
                match self.execute(method, url, body.as_deref(), if_match, Replay::Safe) {
                    Ok(answer) => Ok(done_from_answer(&answer, false)),
                    Err(e)
                        if is_delete
                            && e.code() == ScimErrorCode::NotFound
                            && e.maybe_applied() =>
                    {
                        Ok(Done {
                            status: 204,
                            id: None,
                            location: None,
                            version: None,
                            recovered: true,
                            found: None,
                        })
                    }
                    Err(e) => Err(e),
                }
            }
        };
        let outcome = match result {
            Ok(done) => Outcome::Done(done),
            Err(error) => Outcome::Failed(error),
        };
        (outcome, requests)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A create whose data carries an `externalId` (the client's own id of the resource).
fn has_external_id(op: &BulkOperation) -> bool {
    op.method == BulkMethod::Post
        && op
            .data
            .as_ref()
            .and_then(|d| d.get("externalId"))
            .and_then(Value::as_str)
            .is_some_and(|id| !id.is_empty())
}

/// A create of a group that carries an `externalId`.
fn is_new_group(op: &BulkOperation) -> bool {
    has_external_id(op) && op.path.trim_matches('/') == <crate::model::Group as crate::model::Resource>::ENDPOINT
}

/// Whether an error would meet every next request too, so the run stops.
fn server_wide(code: ScimErrorCode) -> bool {
    matches!(
        code,
        ScimErrorCode::Unreachable
            | ScimErrorCode::Timeout
            | ScimErrorCode::Tls
            | ScimErrorCode::Unauthorized
            | ScimErrorCode::Forbidden
            | ScimErrorCode::TooManyRequests
            | ScimErrorCode::Unavailable
    )
}

/// An operation whose answer was lost: a create is looked up; anything else goes again
/// (PUT, PATCH and DELETE are safe to repeat) unless its attempts are used up.
fn lost(
    run: &mut Run<'_>,
    index: usize,
    op: &BulkOperation,
    error: ScimError,
    max_attempts: u32,
    again: &mut Vec<usize>,
    lookup: &mut Vec<(usize, ScimError)>,
) {
    if op.method == BulkMethod::Post {
        lookup.push((index, error));
    } else if run.attempts[index] < max_attempts {
        again.push(index);
    } else {
        run.settle(index, Outcome::Failed(error));
    }
}

/// Puts operations to send again at the front of the queue, in the run's order (so creators
/// still come before their referrers).
fn requeue(queue: &mut VecDeque<usize>, mut again: Vec<usize>, position: &HashMap<usize, usize>) {
    again.sort_by_key(|i| position[i]);
    again.dedup();
    for index in again.into_iter().rev() {
        queue.push_front(index);
    }
}

/// Pairs each operation of a chunk with its answer: by position when the answer lists them
/// all in order (as servers do), else by `bulkId` (creates) and then by method in order.
fn match_answers(
    chunk: &[(usize, BulkOperation)],
    answers: Vec<BulkOperationResponse>,
) -> Vec<Option<BulkOperationResponse>> {
    let in_order = answers.len() == chunk.len()
        && chunk.iter().zip(&answers).all(|((_, op), a)| {
            a.method.eq_ignore_ascii_case(op.method.as_str())
                && (op.bulk_id.is_none() || a.bulk_id.is_none() || a.bulk_id == op.bulk_id)
        });
    if in_order {
        return answers.into_iter().map(Some).collect();
    }
    let mut answers: Vec<Option<BulkOperationResponse>> = answers.into_iter().map(Some).collect();
    chunk
        .iter()
        .map(|(_, op)| {
            let slot = answers.iter_mut().find(|a| {
                a.as_ref().is_some_and(|a| match &op.bulk_id {
                    Some(id) => a.bulk_id.as_deref() == Some(id.as_str()),
                    None => {
                        a.bulk_id.is_none() && a.method.eq_ignore_ascii_case(op.method.as_str())
                    }
                })
            })?;
            slot.take()
        })
        .collect()
}

/// One operation's answer inside a bulk answer, as a result or an error.
fn judge(
    client: &Client,
    op: &BulkOperation,
    answer: &BulkOperationResponse,
    repeated: bool,
) -> Result<Done, ScimError> {
    let status = answer.status_code().unwrap_or(0);
    if (200..300).contains(&status) {
        return Ok(Done {
            status,
            id: answer.resource_id(),
            location: answer.location.clone(),
            version: answer.version.clone(),
            recovered: false,
            found: None,
        });
    }
    if op.method == BulkMethod::Delete && status == 404 && repeated {
        return Ok(Done {
            status: 204,
            id: answer.location.as_deref().and_then(id_from_location),
            location: None,
            version: None,
            recovered: true,
            found: None,
        });
    }
    let body: Option<ErrorResponse> = answer
        .response
        .clone()
        .and_then(|r| serde_json::from_value(r).ok());
    let raw = answer
        .response
        .as_ref()
        .map(Value::to_string)
        .unwrap_or_default();
    let what = format!(
        "{} {}/{} (bulk{})",
        op.method.as_str(),
        client.server(),
        op.path.trim_start_matches('/'),
        op.bulk_id
            .as_deref()
            .map(|b| format!(" {b}"))
            .unwrap_or_default()
    );
    let mut error = ScimError::from_answer(&what, status, body, &raw);
    error.maybe_applied = status >= 500 && !matches!(status, 501 | 503);
    Err(error)
}

fn done_from_answer(answer: &Answer, recovered: bool) -> Done {
    let value: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    let mut done = done_from_value(&value, answer.status, recovered);
    if done.version.is_none() {
        done.version = answer.etag.clone();
    }
    if done.location.is_none() {
        done.location = answer.location.clone();
    }
    if done.id.is_none() {
        done.id = done.location.as_deref().and_then(id_from_location);
    }
    done
}

fn done_from_value(value: &Value, status: u16, recovered: bool) -> Done {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let meta = value.get("meta");
    Done {
        status,
        id: text(value.get("id")),
        location: text(meta.and_then(|m| m.get("location"))),
        version: text(meta.and_then(|m| m.get("version"))),
        recovered,
        found: recovered.then(|| value.clone()),
    }
}

/// What looking up one lost create found: the resource (done), nothing, or why it failed.
type LookUp = Result<Option<Done>, ScimError>;
