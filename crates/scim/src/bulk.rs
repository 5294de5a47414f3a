//! Bulk requests (RFC 7644 §3.7): the wire types, and the pure planning that the push in
//! [`crate::Client::bulk`] runs on: ordering by `bulkId` references, filling in ids learned
//! from earlier chunks, and cutting chunks within the server's limits.
//!
//! References: an operation's `data` (a member `value`) or `path` (`/Groups/bulkId:g1`) may
//! name another operation's `bulkId` as `bulkId:ID`. Operations are ordered so that every
//! creator comes before the operations referring to it, and chunks are cut in that order, so
//! a referenced create is in the same chunk as its referrer (the server resolves it) or in an
//! earlier one. Across chunks the server cannot resolve it: before a chunk is sent, every
//! `bulkId:ID` whose creator succeeded in an earlier chunk is replaced by the id the server
//! gave it (the last segment of the answer's `location`). An operation referring to a create
//! that failed is not sent and fails with `failed_dependency`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ScimError, ScimErrorCode};
use crate::filter::Filter;
use crate::model::{
    string_or_number, Group, Resource, User, BULK_REQUEST_SCHEMA, BULK_RESPONSE_SCHEMA,
};
use crate::patch::{redacted, PatchOp};

/// A bulk request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRequest {
    pub schemas: Vec<String>,
    /// Stop after this many errors; absent: process every operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on_errors: Option<u32>,
    #[serde(rename = "Operations")]
    pub operations: Vec<BulkOperation>,
}

impl BulkRequest {
    pub fn new(operations: Vec<BulkOperation>) -> BulkRequest {
        BulkRequest {
            schemas: vec![BULK_REQUEST_SCHEMA.to_owned()],
            fail_on_errors: None,
            operations,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BulkMethod {
    Post,
    Put,
    Patch,
    Delete,
}

impl BulkMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            BulkMethod::Post => "POST",
            BulkMethod::Put => "PUT",
            BulkMethod::Patch => "PATCH",
            BulkMethod::Delete => "DELETE",
        }
    }
}

/// One operation of a bulk request. Also what [`crate::Client::bulk`] sends one by one when
/// the server has no `/Bulk`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperation {
    pub method: BulkMethod,
    /// Required for POST: how other operations refer to the resource it creates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    /// `If-Match` for this operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `/Users`, `/Users/ID`, `/Groups/bulkId:g1`.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl BulkOperation {
    /// POST a new resource (its `schemas` filled in), known to the other operations as
    /// `bulkId:{bulk_id}`.
    pub fn create<T: Resource>(bulk_id: impl Into<String>, resource: &T) -> BulkOperation {
        let mut resource = resource.clone();
        resource.fill_schemas();
        BulkOperation {
            method: BulkMethod::Post,
            bulk_id: Some(bulk_id.into()),
            version: None,
            path: format!("/{}", T::ENDPOINT),
            data: Some(serde_json::to_value(&resource).expect("a resource serialises")),
        }
    }

    /// PUT the resource whole, at its id, with `If-Match` its version when it has one.
    pub fn replace<T: Resource>(resource: &T) -> BulkOperation {
        let mut resource = resource.clone();
        resource.fill_schemas();
        BulkOperation {
            method: BulkMethod::Put,
            bulk_id: None,
            version: resource.version().map(str::to_owned),
            path: format!("/{}/{}", T::ENDPOINT, resource.id().unwrap_or_default()),
            data: Some(serde_json::to_value(&resource).expect("a resource serialises")),
        }
    }

    /// PATCH the resource `id` (or `bulkId:…`).
    pub fn patch<T: Resource>(id: &str, patch: &PatchOp, version: Option<&str>) -> BulkOperation {
        BulkOperation {
            method: BulkMethod::Patch,
            bulk_id: None,
            version: version.map(str::to_owned),
            path: format!("/{}/{id}", T::ENDPOINT),
            data: Some(serde_json::to_value(patch).expect("a patch serialises")),
        }
    }

    /// DELETE the resource `id`.
    pub fn delete<T: Resource>(id: &str, version: Option<&str>) -> BulkOperation {
        BulkOperation {
            method: BulkMethod::Delete,
            bulk_id: None,
            version: version.map(str::to_owned),
            path: format!("/{}/{id}", T::ENDPOINT),
            data: None,
        }
    }

    /// The `bulkId`s this operation refers to, in its path or its data.
    pub fn references(&self) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for segment in self.path.split('/') {
            if let Some(id) = segment.strip_prefix("bulkId:") {
                found.insert(id.to_owned());
            }
        }
        if let Some(data) = &self.data {
            collect_references(data, &mut found);
        }
        found
    }

    /// Replaces each `bulkId:ID` whose id is in `known` (bulkId → server id).
    pub fn resolve(&mut self, known: &HashMap<String, String>) {
        if known.is_empty() {
            return;
        }
        let path: Vec<String> = self
            .path
            .split('/')
            .map(|segment| match segment.strip_prefix("bulkId:") {
                Some(id) => known.get(id).cloned().unwrap_or_else(|| segment.to_owned()),
                None => segment.to_owned(),
            })
            .collect();
        self.path = path.join("/");
        if let Some(data) = &mut self.data {
            resolve_references(data, known);
        }
    }

    /// For a create: the filter that finds the resource it makes (`externalId`, else
    /// `userName` / `displayName`), to tell whether it happened when its answer was lost.
    pub fn identity_filter(&self) -> Option<(&'static str, Filter)> {
        if self.method != BulkMethod::Post {
            return None;
        }
        let data = self.data.as_ref()?;
        let text = |key: &str| data.get(key).and_then(Value::as_str);
        let endpoint = self.path.trim_matches('/');
        if let Some(external_id) = text("externalId") {
            let endpoint = if endpoint == Group::ENDPOINT {
                Group::ENDPOINT
            } else {
                User::ENDPOINT
            };
            return Some((endpoint, Filter::eq("externalId", external_id)));
        }
        match endpoint {
            "Users" => Some((User::ENDPOINT, Filter::eq("userName", text("userName")?))),
            "Groups" => Some((
                Group::ENDPOINT,
                Filter::eq("displayName", text("displayName")?),
            )),
            _ => None,
        }
    }

    /// Bytes this operation adds to a request body.
    pub(crate) fn encoded_len(&self) -> usize {
        serde_json::to_vec(self).map_or(0, |v| v.len())
    }
}

impl fmt::Debug for BulkOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkOperation")
            .field("method", &self.method)
            .field("bulk_id", &self.bulk_id)
            .field("version", &self.version)
            .field("path", &self.path)
            .field("data", &self.data.as_ref().map(redacted))
            .finish()
    }
}

fn collect_references(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("bulkId:") {
                found.insert(id.to_owned());
            }
        }
        Value::Array(values) => values.iter().for_each(|v| collect_references(v, found)),
        Value::Object(map) => map.values().for_each(|v| collect_references(v, found)),
        _ => {}
    }
}

fn resolve_references(value: &mut Value, known: &HashMap<String, String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("bulkId:").and_then(|id| known.get(id)) {
                *s = id.clone();
            }
        }
        Value::Array(values) => values.iter_mut().for_each(|v| resolve_references(v, known)),
        Value::Object(map) => map.values_mut().for_each(|v| resolve_references(v, known)),
        _ => {}
    }
}

/// A bulk answer body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkResponse {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(rename = "Operations", default)]
    pub operations: Vec<BulkOperationResponse>,
}

impl BulkResponse {
    pub fn new(operations: Vec<BulkOperationResponse>) -> BulkResponse {
        BulkResponse {
            schemas: vec![BULK_RESPONSE_SCHEMA.to_owned()],
            operations,
        }
    }
}

/// The answer to one operation of a bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperationResponse {
    #[serde(default)]
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The HTTP status (`"201"`; some servers send a number).
    #[serde(deserialize_with = "string_or_number")]
    pub status: String,
    /// The error body of a failed operation (or, on some servers, the resource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
}

impl BulkOperationResponse {
    pub fn status_code(&self) -> Option<u16> {
        self.status.trim().parse().ok()
    }

    /// The id of the resource: the answer's `id`, else the last segment of `location`.
    pub fn resource_id(&self) -> Option<String> {
        if let Some(id) = self
            .response
            .as_ref()
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
        {
            return Some(id.to_owned());
        }
        id_from_location(self.location.as_deref()?)
    }
}

/// The last path segment of a resource's location URL.
pub(crate) fn id_from_location(location: &str) -> Option<String> {
    let path = location.split(['?', '#']).next()?;
    let id = path.trim_end_matches('/').rsplit('/').next()?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// The operations' indexes ordered so every creator comes before the operations referring to
/// its `bulkId` (otherwise in the given order). References to a `bulkId` no operation creates
/// are left for the server to judge. A cycle of references is refused.
pub fn order_by_references(operations: &[BulkOperation]) -> Result<Vec<usize>, ScimError> {
    let creators: HashMap<&str, usize> = operations
        .iter()
        .enumerate()
        .filter_map(|(i, op)| op.bulk_id.as_deref().map(|id| (id, i)))
        .collect();
    let depends_on: Vec<Vec<usize>> = operations
        .iter()
        .enumerate()
        .map(|(i, op)| {
            op.references()
                .iter()
                .filter_map(|id| creators.get(id.as_str()).copied())
                .filter(|&c| c != i)
                .collect()
        })
        .collect();
    // Depth-first, in the given order: each operation after what it depends on.
    let mut order = Vec::with_capacity(operations.len());
    let mut state = vec![0u8; operations.len()]; // 0 new, 1 on the path, 2 placed
    for start in 0..operations.len() {
        if state[start] == 2 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        state[start] = 1;
        while let Some((node, next)) = stack.pop() {
            if let Some(&dep) = depends_on[node].get(next) {
                stack.push((node, next + 1));
                match state[dep] {
                    0 => {
                        state[dep] = 1;
                        stack.push((dep, 0));
                    }
                    1 => {
                        return Err(ScimError::new(
                            ScimErrorCode::Invalid,
                            format!(
                                "bulk operations refer to each other in a circle (through \
                                 bulkId {:?}); break the circle with a later PATCH",
                                operations[dep].bulk_id.as_deref().unwrap_or_default()
                            ),
                        ));
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                order.push(node);
            }
        }
    }
    Ok(order)
}

/// Bytes of a bulk request body around its operations, and between two of them.
fn envelope_len() -> usize {
    serde_json::to_vec(&BulkRequest::new(Vec::new())).map_or(0, |v| v.len())
}

/// How many of `sizes` (encoded operation lengths, in order) go in the next chunk: as many
/// as fit within `max_operations` and `max_payload_size` bytes of request body, and at least
/// one (an operation too large alone is the caller's to refuse, see [`fits_alone`]).
pub fn chunk_len(sizes: &[usize], max_operations: usize, max_payload_size: usize) -> usize {
    let mut total = envelope_len();
    let mut count = 0;
    for &size in sizes.iter().take(max_operations.max(1)) {
        let added = size + usize::from(count > 0); // the comma
        if count > 0 && total + added > max_payload_size {
            break;
        }
        total += added;
        count += 1;
    }
    count
}

/// Whether one operation of `size` bytes fits in a request of at most `max_payload_size`.
pub fn fits_alone(size: usize, max_payload_size: usize) -> bool {
    envelope_len() + size <= max_payload_size
}

/// The `bulkId`s, among `references`, that cannot be resolved: their creator failed.
pub(crate) fn failed_references<'a>(
    references: &'a BTreeSet<String>,
    failed: &HashSet<String>,
) -> Vec<&'a str> {
    references
        .iter()
        .filter(|r| failed.contains(r.as_str()))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Group, Reference, User};
    use serde_json::json;

    fn new_user(n: usize) -> BulkOperation {
        let mut user = User::new(format!("user{n}"));
        user.external_id = Some(format!("ext-{n}"));
        BulkOperation::create(format!("u{n}"), &user)
    }

    fn group_of(bulk_id: &str, members: &[&str]) -> BulkOperation {
        let mut group = Group::new(format!("group {bulk_id}"));
        group.members = members.iter().map(|m| Reference::user(*m)).collect();
        BulkOperation::create(bulk_id, &group)
    }

    #[test]
    fn references_are_found_in_data_and_path() {
        let group = group_of("g1", &["bulkId:u1", "plain-id", "bulkId:u2"]);
        assert_eq!(
            group.references(),
            BTreeSet::from(["u1".into(), "u2".into()])
        );
        let patch = BulkOperation::patch::<Group>(
            "bulkId:g1",
            &PatchOp::new(vec![]).add_members(["bulkId:u3"]),
            None,
        );
        assert_eq!(patch.path, "/Groups/bulkId:g1");
        assert_eq!(
            patch.references(),
            BTreeSet::from(["g1".into(), "u3".into()])
        );
    }

    #[test]
    fn resolve_fills_in_known_ids_only() {
        let mut patch = BulkOperation::patch::<Group>(
            "bulkId:g1",
            &PatchOp::new(vec![]).add_members(["bulkId:u1", "bulkId:u2"]),
            None,
        );
        let known = HashMap::from([
            ("g1".to_owned(), "G-1".to_owned()),
            ("u1".into(), "U-1".into()),
        ]);
        patch.resolve(&known);
        assert_eq!(patch.path, "/Groups/G-1");
        assert_eq!(
            patch.data.unwrap()["Operations"][0]["value"],
            json!([{"value": "U-1"}, {"value": "bulkId:u2"}])
        );
    }

    #[test]
    fn creators_come_before_their_referrers() {
        // The group (0) names users created later (1, 3); the patch (2) names the group.
        let ops = vec![
            group_of("g1", &["bulkId:u1", "bulkId:u3"]),
            new_user(1),
            BulkOperation::patch::<Group>(
                "bulkId:g1",
                &PatchOp::new(vec![]).add_members(["x"]),
                None,
            ),
            new_user(3),
            new_user(4),
        ];
        assert_eq!(order_by_references(&ops).unwrap(), [1, 3, 0, 2, 4]);
        // No references: the given order.
        let plain: Vec<_> = (0..5).map(new_user).collect();
        assert_eq!(order_by_references(&plain).unwrap(), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_circle_of_references_is_refused() {
        let ops = vec![group_of("a", &["bulkId:b"]), group_of("b", &["bulkId:a"])];
        let error = order_by_references(&ops).unwrap_err();
        assert_eq!(error.code(), ScimErrorCode::Invalid);
        // Referring to oneself is not a circle the order cares about.
        assert!(order_by_references(&[group_of("a", &["bulkId:a"])]).is_ok());
    }

    #[test]
    fn chunks_respect_both_limits() {
        let sizes = vec![100; 10];
        assert_eq!(chunk_len(&sizes, 4, 1_000_000), 4);
        let envelope = envelope_len();
        // Room for exactly three operations and their two commas.
        assert_eq!(chunk_len(&sizes, 10, envelope + 302), 3);
        assert_eq!(chunk_len(&sizes, 10, envelope + 301), 2);
        // One operation always goes, even alone over the limit (the caller refuses it).
        assert_eq!(chunk_len(&[5000], 10, 100), 1);
        assert!(!fits_alone(5000, 100));
        assert!(fits_alone(100, envelope + 100));
    }

    #[test]
    fn chunk_len_agrees_with_the_real_request_size() {
        let ops: Vec<BulkOperation> = (0..50).map(new_user).collect();
        let sizes: Vec<usize> = ops.iter().map(BulkOperation::encoded_len).collect();
        for limit in [500, 1000, 2500, 4000] {
            let n = chunk_len(&sizes, 1000, limit);
            let body = serde_json::to_vec(&BulkRequest::new(ops[..n].to_vec())).unwrap();
            assert!(
                body.len() <= limit,
                "{n} operations: {} > {limit}",
                body.len()
            );
            let one_more = serde_json::to_vec(&BulkRequest::new(ops[..n + 1].to_vec())).unwrap();
            assert!(
                one_more.len() > limit,
                "{n} + 1 operations would fit in {limit}"
            );
        }
    }

    #[test]
    fn identity_of_a_create() {
        let (endpoint, filter) = new_user(7).identity_filter().unwrap();
        assert_eq!(
            (endpoint, filter.as_str()),
            ("Users", r#"externalId eq "ext-7""#)
        );
        let (endpoint, filter) = group_of("g", &[]).identity_filter().unwrap();
        assert_eq!(
            (endpoint, filter.as_str()),
            ("Groups", r#"displayName eq "group g""#)
        );
        assert!(BulkOperation::delete::<User>("1", None)
            .identity_filter()
            .is_none());
    }

    #[test]
    fn answers_give_the_new_id() {
        let answer: BulkOperationResponse = serde_json::from_value(json!({
            "method": "POST", "bulkId": "u1", "status": 201,
            "location": "https://h/v2/Users/92b725cd"
        }))
        .unwrap();
        assert_eq!(answer.status_code(), Some(201));
        assert_eq!(answer.resource_id().as_deref(), Some("92b725cd"));
    }

    #[test]
    fn debug_hides_passwords_in_data() {
        let mut user = User::new("p");
        user.password = Some(roster_core::Secret::new("hunter2hunter2".into()));
        let op = BulkOperation::create("p", &user);
        assert!(!format!("{op:?}").contains("hunter2"), "{op:?}");
    }
}
