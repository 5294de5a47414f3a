//! The three-way merge of a resource's canonical form ([`super::map`]): `mine` (the workspace
//! now), `theirs` (the remote now) and `base` (what both last agreed on). A field only one
//! side changed takes that side's value; a field both changed to the same value is agreed; a
//! field both changed to different values is a conflict. Multi-valued fields (roles, group
//! members: JSON arrays) merge as sets, element by element — an element one side added stays,
//! one side removed goes — so they never conflict; objects (custom attributes) merge key by
//! key, and conflict only where one key was changed differently on both sides.
//!
//! Pure functions: no store, no network, no clock.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::map::Fields;

/// What the merge of one resource came to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Merged {
    /// The merged form. A conflicting field holds mine's value (the caller decides).
    pub fields: Fields,
    /// The fields both sides changed to different values, in field order.
    pub conflicting: Vec<String>,
}

impl Merged {
    pub fn is_clean(&self) -> bool {
        self.conflicting.is_empty()
    }
}

/// Merges mine and theirs over base, field by field.
pub(crate) fn merge(mine: &Fields, theirs: &Fields, base: &Fields) -> Merged {
    let keys: BTreeSet<&String> = mine.keys().chain(theirs.keys()).chain(base.keys()).collect();
    let mut fields = Fields::new();
    let mut conflicting = Vec::new();
    for k in keys {
        let (m, t, b) = (mine.get(k), theirs.get(k), base.get(k));
        match merge_value(m, t, b) {
            Some(v) => {
                if let Some(v) = v {
                    fields.insert(k.clone(), v);
                }
            }
            None => {
                conflicting.push(k.clone());
                if let Some(v) = m {
                    fields.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Merged { fields, conflicting }
}

/// Whether both sides changed this field to different values (it needs the admin).
pub(crate) fn conflicts(mine: Option<&Value>, theirs: Option<&Value>, base: Option<&Value>) -> bool {
    merge_value(mine, theirs, base).is_none()
}

/// One field's merge: `Some(value)` (`Some(None)`: no value) or `None` for a conflict.
fn merge_value(m: Option<&Value>, t: Option<&Value>, b: Option<&Value>) -> Option<Option<Value>> {
    if m == t || t == b {
        return Some(m.cloned());
    }
    if m == b {
        return Some(t.cloned());
    }
    let is = |v: Option<&Value>, kind: fn(&Value) -> bool| v.is_none_or(kind);
    if is(m, Value::is_array) && is(t, Value::is_array) && is(b, Value::is_array) {
        return Some(merge_sets(m, t, b));
    }
    if is(m, Value::is_object) && is(t, Value::is_object) && is(b, Value::is_object) {
        return merge_objects(m, t, b);
    }
    None
}

fn set_of(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_array).map(|a| a.iter().map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned)).collect()).unwrap_or_default()
}

/// base, plus what either side added, less what either side removed; sorted; none when empty.
fn merge_sets(m: Option<&Value>, t: Option<&Value>, b: Option<&Value>) -> Option<Value> {
    let (m, t, b) = (set_of(m), set_of(t), set_of(b));
    let added: BTreeSet<&String> = m.difference(&b).chain(t.difference(&b)).collect();
    let removed: BTreeSet<&String> = b.difference(&m).chain(b.difference(&t)).collect();
    let out: BTreeSet<&String> = b.iter().chain(added).filter(|e| !removed.contains(e)).collect();
    (!out.is_empty()).then(|| Value::Array(out.into_iter().map(|s| Value::String(s.clone())).collect()))
}

fn merge_objects(m: Option<&Value>, t: Option<&Value>, b: Option<&Value>) -> Option<Option<Value>> {
    let empty = Map::new();
    let obj = |v: Option<&Value>| v.and_then(Value::as_object).cloned().unwrap_or_else(|| empty.clone());
    let (m, t, b) = (obj(m), obj(t), obj(b));
    let merged = merge(&m, &t, &b);
    if !merged.is_clean() {
        return None;
    }
    Some((!merged.fields.is_empty()).then_some(Value::Object(merged.fields)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(v: Value) -> Fields {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn different_fields_merge_and_the_same_field_changed_twice_conflicts() {
        let base = f(json!({"userName": "a", "givenName": "Alice", "familyName": "Liddell", "active": true}));
        let mine = f(json!({"userName": "a", "givenName": "Alicia", "familyName": "Liddell", "active": true}));
        let theirs = f(json!({"userName": "a", "givenName": "Alice", "familyName": "Smith", "active": false}));
        let m = merge(&mine, &theirs, &base);
        assert!(m.is_clean(), "different fields never conflict: {m:?}");
        assert_eq!(m.fields, f(json!({"userName": "a", "givenName": "Alicia", "familyName": "Smith", "active": false})));

        let theirs = f(json!({"userName": "a", "givenName": "Ally", "familyName": "Smith", "active": true}));
        let m = merge(&mine, &theirs, &base);
        assert_eq!(m.conflicting, ["givenName"], "only the field both changed differently");
        assert_eq!(m.fields["givenName"], "Alicia", "a conflicting field holds mine until decided");
        assert_eq!(m.fields["familyName"], "Smith");
    }

    #[test]
    fn the_same_change_on_both_sides_is_agreed_and_a_removed_value_stays_removed() {
        let base = f(json!({"givenName": "Alice", "phone": "+447400123456"}));
        let mine = f(json!({"givenName": "Ally"}));
        let theirs = f(json!({"givenName": "Ally", "phone": "+447400123456"}));
        let m = merge(&mine, &theirs, &base);
        assert!(m.is_clean());
        assert_eq!(m.fields, f(json!({"givenName": "Ally"})), "mine removed the phone, theirs kept it: removed");
        assert!(conflicts(Some(&json!("x")), None, Some(&json!("y"))), "changed here, removed there");
    }

    #[test]
    fn sets_merge_element_by_element() {
        let base = f(json!({"roles": ["Auditor", "Support"]}));
        let mine = f(json!({"roles": ["Admin", "Auditor", "Support"]}));
        let theirs = f(json!({"roles": ["Auditor", "Billing"]}));
        let m = merge(&mine, &theirs, &base);
        assert!(m.is_clean(), "sets never conflict: {m:?}");
        assert_eq!(m.fields["roles"], json!(["Admin", "Auditor", "Billing"]), "Admin added here, Billing added there, Support removed there");

        // Absent is the empty set; emptied on both sides is absent.
        let base = f(json!({"members": ["u1"]}));
        let mine = f(json!({"members": ["u1", "u2"]}));
        let theirs = f(json!({}));
        assert_eq!(merge(&mine, &theirs, &base).fields, f(json!({"members": ["u2"]})));
        let m = merge(&f(json!({})), &f(json!({"members": ["u3"]})), &f(json!({"members": ["u1"]})));
        assert_eq!(m.fields, f(json!({"members": ["u3"]})));
        let m = merge(&f(json!({"members": ["u2"]})), &f(json!({})), &f(json!({"members": ["u1", "u2"]})));
        assert_eq!(m.fields, f(json!({})), "theirs emptied the set: u2 goes too");
        let m = merge(&f(json!({"members": ["u2"]})), &f(json!({"members": ["u1", "u2", "u3"]})), &f(json!({"members": ["u1", "u2"]})));
        assert_eq!(m.fields, f(json!({"members": ["u2", "u3"]})), "u1 removed here, u3 added there");
        let m = merge(&f(json!({"members": ["u1"]})), &f(json!({"members": ["u2"]})), &f(json!({"members": ["u1", "u2"]})));
        assert!(m.fields.get("members").is_none(), "each side removed the other's: none left");
    }

    #[test]
    fn custom_attributes_merge_per_name() {
        let base = f(json!({"customAttributes": {"costCenter": "1", "site": "Leeds"}}));
        let mine = f(json!({"customAttributes": {"costCenter": "2", "site": "Leeds"}}));
        let theirs = f(json!({"customAttributes": {"costCenter": "1", "site": "York", "team": "Blue"}}));
        let m = merge(&mine, &theirs, &base);
        assert!(m.is_clean(), "{m:?}");
        assert_eq!(m.fields["customAttributes"], json!({"costCenter": "2", "site": "York", "team": "Blue"}));
        let theirs = f(json!({"customAttributes": {"costCenter": "3", "site": "Leeds"}}));
        assert_eq!(merge(&mine, &theirs, &base).conflicting, ["customAttributes"]);
    }
}
