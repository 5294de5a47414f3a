//! PATCH requests (RFC 7644 §3.5.2): built by hand, or as the difference between two versions
//! of a resource so that only changed attributes travel.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use roster_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::filter::Filter;
use crate::model::{Resource, PATCH_OP_SCHEMA, ROSTER_USER_SCHEMA};

/// A PATCH request body: operations applied in order, all or nothing.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOp {
    pub schemas: Vec<String>,
    #[serde(rename = "Operations")]
    pub operations: Vec<PatchOperation>,
}

/// One operation of a PATCH.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    pub op: PatchKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchKind {
    #[serde(alias = "Add")]
    Add,
    #[serde(alias = "Remove")]
    Remove,
    #[serde(alias = "Replace")]
    Replace,
}

/// Attributes a diff never touches: set by the server (`id`, `meta`, `schemas`), read only
/// (`groups`), or changed only by explicit operations (sessions: revoke; custom attributes:
/// one operation per name, see [`diff_custom_attributes`]).
const NOT_DIFFED: &[&str] = &["schemas", "id", "meta", "groups"];
const ROSTER_NOT_DIFFED: &[&str] = &["sessions", "customAttributes"];

impl PatchOp {
    pub fn new(operations: Vec<PatchOperation>) -> PatchOp {
        PatchOp {
            schemas: vec![PATCH_OP_SCHEMA.to_owned()],
            operations,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    fn push(&mut self, op: PatchKind, path: String, value: Option<Value>) {
        self.operations.push(PatchOperation {
            op,
            path: Some(path),
            value,
        });
    }

    /// Adds a `replace` of `path` with `value`.
    pub fn replace(mut self, path: impl Into<String>, value: impl Into<Value>) -> PatchOp {
        self.push(PatchKind::Replace, path.into(), Some(value.into()));
        self
    }

    /// Adds an `add` of `value` at `path` (multi-valued: appended).
    pub fn add(mut self, path: impl Into<String>, value: impl Into<Value>) -> PatchOp {
        self.push(PatchKind::Add, path.into(), Some(value.into()));
        self
    }

    /// Adds a `remove` of `path` (which may select values: `members[value eq "id"]`).
    pub fn remove(mut self, path: impl Into<String>) -> PatchOp {
        self.push(PatchKind::Remove, path.into(), None);
        self
    }

    /// Sets a user's password (write only; `Debug` of the operation hides it).
    pub fn set_password(self, password: &Secret<String>) -> PatchOp {
        self.replace("password", password.expose().as_str())
    }

    /// Adds the users (or groups) with these ids to a group's members.
    pub fn add_members<'a>(self, ids: impl IntoIterator<Item = &'a str>) -> PatchOp {
        let members: Vec<Value> = ids
            .into_iter()
            .map(|id| serde_json::json!({ "value": id }))
            .collect();
        if members.is_empty() {
            return self;
        }
        self.add("members", members)
    }

    /// Removes these ids from a group's members, one operation each.
    pub fn remove_members<'a>(mut self, ids: impl IntoIterator<Item = &'a str>) -> PatchOp {
        for id in ids {
            self = self.remove(format!("members[{}]", Filter::eq("value", id)));
        }
        self
    }

    /// Revokes one session of a user (Roster extension).
    pub fn revoke_session(self, session_id: &str) -> PatchOp {
        self.remove(format!(
            "{ROSTER_USER_SCHEMA}:sessions[{}]",
            Filter::eq("id", session_id)
        ))
    }

    /// Adds one custom attribute to a user (Roster extension): appended to
    /// `customAttributes`, the other values left as they are.
    pub fn add_custom_attribute(self, name: &str, value: &str) -> PatchOp {
        self.add(
            format!("{ROSTER_USER_SCHEMA}:customAttributes"),
            serde_json::json!([{ "name": name, "value": value }]),
        )
    }

    /// Changes the value of one custom attribute of a user (Roster extension; the server
    /// matches `name` regardless of case).
    pub fn replace_custom_attribute(self, name: &str, value: &str) -> PatchOp {
        self.replace(
            format!(
                "{ROSTER_USER_SCHEMA}:customAttributes[{}].value",
                Filter::eq("name", name)
            ),
            value,
        )
    }

    /// Removes one custom attribute of a user (Roster extension), the others left alone.
    pub fn remove_custom_attribute(self, name: &str) -> PatchOp {
        self.remove(format!(
            "{ROSTER_USER_SCHEMA}:customAttributes[{}]",
            Filter::eq("name", name)
        ))
    }

    /// Revokes every session of a user (Roster extension).
    pub fn revoke_all_sessions(self) -> PatchOp {
        self.remove(format!("{ROSTER_USER_SCHEMA}:sessions"))
    }

    /// The operations that turn `before` into `after`, attribute by attribute: a `replace` for
    /// each changed or new attribute, a `remove` for each one `after` lacks. Complex
    /// single-valued attributes (`name`) and extensions are compared one sub-attribute deep
    /// (`name.givenName`, `urn:…:User:deviceLimit`); multi-valued ones are replaced whole,
    /// except the Roster custom attributes, changed one name at a time (names compare
    /// regardless of case) so that values the sender does not know stay on the server.
    /// `id`, `meta`, `schemas`, `groups` and the Roster sessions are never part of a diff. A
    /// password set in `after` is always sent (it is never read back to compare).
    pub fn diff<T: Resource>(before: &T, after: &T) -> PatchOp {
        let before = as_object(before);
        let after = as_object(after);
        let mut ops = PatchOp::new(Vec::new());
        diff_objects(&before, &after, "", NOT_DIFFED, &mut ops, true);
        ops
    }
}

fn as_object<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn diff_objects(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    prefix: &str,
    skip: &[&str],
    ops: &mut PatchOp,
    top: bool,
) {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let empty = Map::new();
    for key in keys {
        if skip.contains(&key.as_str()) {
            continue;
        }
        let path = format!("{prefix}{key}");
        let (b, a) = (
            before.get(key).filter(|v| !v.is_null()),
            after.get(key).filter(|v| !v.is_null()),
        );
        if top && key.starts_with("urn:") {
            // An extension: attribute by attribute (so skipped ones, the sessions, are never
            // removed with it), whether it is new, changed or gone.
            let (b, a) = (b.and_then(Value::as_object), a.and_then(Value::as_object));
            if b.is_some() || a.is_some() {
                let skip = if key == ROSTER_USER_SCHEMA {
                    ROSTER_NOT_DIFFED
                } else {
                    &[]
                };
                let (b, a) = (b.unwrap_or(&empty), a.unwrap_or(&empty));
                diff_objects(b, a, &format!("{key}:"), skip, ops, false);
                if key == ROSTER_USER_SCHEMA {
                    diff_custom_attributes(b.get("customAttributes"), a.get("customAttributes"), ops);
                }
                continue;
            }
        }
        match (b, a) {
            (None, None) => {}
            (Some(_), None) => ops.push(PatchKind::Remove, path, None),
            (Some(Value::Object(b)), Some(Value::Object(a))) if top => {
                diff_objects(b, a, &format!("{key}."), &[], ops, false);
            }
            (b, Some(a)) => {
                if b != Some(a) || key == "password" {
                    ops.push(PatchKind::Replace, path, Some(a.clone()));
                }
            }
        }
    }
}

/// The custom attributes of a list (`[{name, value}]`) by name regardless of case: the name
/// as written and the value.
fn custom_attributes(list: Option<&Value>) -> BTreeMap<String, (&str, &str)> {
    list.and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|a| {
                    let name = a.get("name")?.as_str()?;
                    let value = a.get("value").and_then(Value::as_str).unwrap_or_default();
                    Some((name.to_lowercase(), (name, value)))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One operation per custom attribute that differs: `add` of a new name, `replace` of a
/// changed value, `remove` of a name `after` lacks. Never the whole list: the server may keep
/// attributes the sender does not know, and they must survive.
fn diff_custom_attributes(before: Option<&Value>, after: Option<&Value>, ops: &mut PatchOp) {
    let (before, after) = (custom_attributes(before), custom_attributes(after));
    let mut next = PatchOp::new(Vec::new());
    for (key, (name, _)) in &before {
        if !after.contains_key(key) {
            next = next.remove_custom_attribute(name);
        }
    }
    for (key, (name, value)) in &after {
        next = match before.get(key) {
            None => next.add_custom_attribute(name, value),
            Some((_, was)) if was != value => next.replace_custom_attribute(name, value),
            Some(_) => next,
        };
    }
    ops.operations.extend(next.operations);
}

impl fmt::Debug for PatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatchOp")
            .field("operations", &self.operations)
            .finish()
    }
}

impl fmt::Debug for PatchOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("PatchOperation");
        s.field("op", &self.op).field("path", &self.path);
        let is_password = self
            .path
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("password"));
        match &self.value {
            Some(_) if is_password => s.field("value", &"<redacted>"),
            Some(value) => s.field("value", &redacted(value)),
            None => s.field("value", &None::<()>),
        };
        s.finish()
    }
}

/// `value` with every `password` member's value replaced by `<redacted>`, for `Debug`.
pub(crate) fn redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if k.eq_ignore_ascii_case("password") {
                        Value::from("<redacted>")
                    } else {
                        redacted(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(values) => Value::Array(values.iter().map(redacted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MultiValue, Name, RosterUser, Session, User};
    use serde_json::json;

    fn alice() -> User {
        let mut user = User::new("alice");
        user.id = Some("1".into());
        user.name = Some(Name {
            given_name: Some("Alice".into()),
            family_name: Some("Liddell".into()),
            ..Name::default()
        });
        user.emails = vec![MultiValue::primary_work("alice@example.com")];
        user.active = Some(true);
        user
    }

    fn ops(patch: &PatchOp) -> Value {
        serde_json::to_value(patch).unwrap()["Operations"].clone()
    }

    #[test]
    fn the_same_user_needs_no_patch() {
        assert!(PatchOp::diff(&alice(), &alice()).is_empty());
    }

    #[test]
    fn only_changed_attributes_travel() {
        let before = alice();
        let mut after = alice();
        after.name.as_mut().unwrap().given_name = Some("Alicia".into());
        after.name.as_mut().unwrap().family_name = None;
        after.active = Some(false);
        after.emails.push(MultiValue::new("a@home.example"));
        after.meta = Some(Default::default()); // never diffed
        assert_eq!(
            ops(&PatchOp::diff(&before, &after)),
            json!([
                {"op": "replace", "path": "active", "value": false},
                {"op": "replace", "path": "emails", "value": [
                    {"value": "alice@example.com", "type": "work", "primary": true},
                    {"value": "a@home.example"}
                ]},
                {"op": "remove", "path": "name.familyName"},
                {"op": "replace", "path": "name.givenName", "value": "Alicia"}
            ])
        );
    }

    #[test]
    fn extension_attributes_are_addressed_by_urn_and_sessions_are_left_alone() {
        let mut before = alice();
        before.roster = Some(RosterUser {
            device_limit: Some(3),
            sessions: vec![Session {
                id: "s1".into(),
                ..Session::default()
            }],
            ..RosterUser::default()
        });
        let mut after = before.clone();
        let roster = after.roster.as_mut().unwrap();
        roster.device_limit = None;
        roster.second_factor = Some("totp".into());
        roster.sessions.clear();
        assert_eq!(
            ops(&PatchOp::diff(&before, &after)),
            json!([
                {"op": "remove", "path": format!("{ROSTER_USER_SCHEMA}:deviceLimit")},
                {"op": "replace", "path": format!("{ROSTER_USER_SCHEMA}:secondFactor"), "value": "totp"}
            ])
        );

        let mut fresh = alice();
        fresh.roster = Some(RosterUser {
            mfa_enrolled: Some(true),
            ..RosterUser::default()
        });
        assert_eq!(
            ops(&PatchOp::diff(&alice(), &fresh)),
            json!([{"op": "replace", "path": format!("{ROSTER_USER_SCHEMA}:mfaEnrolled"), "value": true}])
        );
    }

    #[test]
    fn a_password_is_sent_and_never_shown() {
        let mut after = alice();
        after.password = Some(Secret::new("a new long password".into()));
        let patch = PatchOp::diff(&alice(), &after);
        assert_eq!(
            ops(&patch),
            json!([{"op": "replace", "path": "password", "value": "a new long password"}])
        );
        assert!(!format!("{patch:?}").contains("long password"), "{patch:?}");
        let by_hand = PatchOp::new(vec![]).add("", json!({"password": "hunter2hunter2"}));
        assert!(!format!("{by_hand:?}").contains("hunter2"), "{by_hand:?}");
    }

    #[test]
    fn members_and_sessions_have_their_own_operations() {
        let patch = PatchOp::new(vec![])
            .add_members(["u1", "u2"])
            .remove_members(["u3"])
            .revoke_session("s\"1");
        assert_eq!(
            ops(&patch),
            json!([
                {"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]},
                {"op": "remove", "path": "members[value eq \"u3\"]"},
                {"op": "remove", "path": format!("{ROSTER_USER_SCHEMA}:sessions[id eq \"s\\\"1\"]")}
            ])
        );
        assert!(PatchOp::new(vec![]).add_members([]).is_empty());
        assert_eq!(
            ops(&PatchOp::new(vec![]).revoke_all_sessions()),
            json!([{"op": "remove", "path": format!("{ROSTER_USER_SCHEMA}:sessions")}])
        );
    }

    #[test]
    fn enterprise_attributes_are_addressed_by_urn_and_a_manager_is_replaced_whole() {
        use crate::model::{EnterpriseUser, Manager, ENTERPRISE_USER_SCHEMA};
        let mut before = alice();
        before.enterprise = Some(EnterpriseUser {
            department: Some("Sales".into()),
            cost_center: Some("4200".into()),
            ..EnterpriseUser::default()
        });
        let mut after = before.clone();
        let enterprise = after.enterprise.as_mut().unwrap();
        enterprise.department = Some("Research".into());
        enterprise.cost_center = None;
        enterprise.manager = Some(Manager {
            value: Some("boss-1".into()),
            ..Manager::default()
        });
        assert_eq!(
            ops(&PatchOp::diff(&before, &after)),
            json!([
                {"op": "remove", "path": format!("{ENTERPRISE_USER_SCHEMA}:costCenter")},
                {"op": "replace", "path": format!("{ENTERPRISE_USER_SCHEMA}:department"), "value": "Research"},
                {"op": "replace", "path": format!("{ENTERPRISE_USER_SCHEMA}:manager"), "value": {"value": "boss-1"}}
            ])
        );
        // The extension gone altogether: each attribute removed.
        assert_eq!(
            ops(&PatchOp::diff(&before, &alice())),
            json!([
                {"op": "remove", "path": format!("{ENTERPRISE_USER_SCHEMA}:costCenter")},
                {"op": "remove", "path": format!("{ENTERPRISE_USER_SCHEMA}:department")}
            ])
        );
    }

    #[test]
    fn custom_attributes_change_one_name_at_a_time() {
        use crate::model::CustomAttribute;
        let with = |attrs: &[(&str, &str)]| {
            let mut user = alice();
            user.roster = Some(RosterUser {
                custom_attributes: attrs
                    .iter()
                    .map(|(name, value)| CustomAttribute {
                        name: (*name).into(),
                        value: (*value).into(),
                    })
                    .collect(),
                ..RosterUser::default()
            });
            user
        };
        let before = with(&[("costCenter", "4200"), ("shoeSize", "42"), ("badge", "green")]);
        let after = with(&[("CostCenter", "4200"), ("shoeSize", "43"), ("startDate", "2026-12-01")]);
        let urn = ROSTER_USER_SCHEMA;
        assert_eq!(
            ops(&PatchOp::diff(&before, &after)),
            json!([
                {"op": "remove", "path": format!("{urn}:customAttributes[name eq \"badge\"]")},
                {"op": "replace", "path": format!("{urn}:customAttributes[name eq \"shoeSize\"].value"), "value": "43"},
                {"op": "add", "path": format!("{urn}:customAttributes"), "value": [{"name": "startDate", "value": "2026-12-01"}]}
            ]),
            "costCenter differs only in case: untouched; never a replace of the whole list"
        );
        assert!(PatchOp::diff(&before, &before).is_empty());

        // The extension new, or gone: each attribute on its own.
        assert_eq!(
            ops(&PatchOp::diff(&alice(), &with(&[("badge", "red")]))),
            json!([{"op": "add", "path": format!("{urn}:customAttributes"), "value": [{"name": "badge", "value": "red"}]}])
        );
        assert_eq!(
            ops(&PatchOp::diff(&with(&[("badge", "red")]), &alice())),
            json!([{"op": "remove", "path": format!("{urn}:customAttributes[name eq \"badge\"]")}])
        );
    }
}
