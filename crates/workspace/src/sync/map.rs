//! Mapping between Roster's users and groups and SCIM's, through one canonical form: a JSON
//! object of the fields both sides share (field → value; absent = no value). It is what
//! `sync_resources.base` keeps, what a pull compares three ways (mine, theirs, base), and
//! what a push turns into a create or a PATCH of only the changed attributes.
//!
//! Pure functions: no store, no network, no clock.

use std::collections::BTreeSet;

use roster_core::{
    AttributeDefinition, AttributeValue, Attributes, Date, DeviceLimit, Email, GroupName, PersonName, Phone, Region, RoleName,
    SecondFactor, Timestamp, User, UserId, UserStatus, Username,
};
use roster_scim::{CustomAttribute, Resource, Group as ScimGroup, MultiValue, Name, Reference, RosterUser, User as ScimUser};
use serde_json::{Map, Value};

/// A resource's canonical form.
pub(crate) type Fields = Map<String, Value>;

/// The fields that travel in the Roster extension: local only when the server lacks it.
pub(crate) const EXTENSION_FIELDS: &[&str] = &["secondFactor", "mfaEnrolled", "deviceLimit", "passwordExpiresAt", "customAttributes"];

const DATE: &[time::format_description::FormatItem<'static>] = time::macros::format_description!("[year]-[month]-[day]");

fn put(f: &mut Fields, key: &str, value: Option<Value>) {
    if let Some(v) = value.filter(|v| !v.is_null()) {
        f.insert(key.to_owned(), v);
    }
}

/// A local user's canonical form. `extension`: whether the remote keeps Roster's own fields.
pub(crate) fn user_fields(u: &User, extension: bool) -> Fields {
    let mut f = Fields::new();
    put(&mut f, "userName", Some(u.username.as_str().into()));
    put(&mut f, "email", Some(u.email.as_str().into()));
    put(&mut f, "givenName", u.first_name.as_ref().map(|n| n.as_str().into()));
    put(&mut f, "familyName", u.last_name.as_ref().map(|n| n.as_str().into()));
    put(&mut f, "phone", u.phone.as_ref().map(|p| p.as_e164().into()));
    put(&mut f, "active", Some((u.status == UserStatus::Active).into()));
    put(&mut f, "roles", sorted(u.roles.iter().map(|r| r.as_str().to_owned())));
    if extension {
        put(&mut f, "secondFactor", Some(u.second_factor.as_str().into()));
        put(&mut f, "mfaEnrolled", Some(u.mfa_enrolled.into()));
        put(&mut f, "deviceLimit", u.device_limit.map(|d| d.get().into()));
        put(&mut f, "passwordExpiresAt", u.password_expires_at.map(|d| d.format(DATE).expect("a date formats").into()));
        let attrs: Map<String, Value> = u.attributes.iter().map(|(k, v)| (k.to_owned(), Value::String(v.to_string()))).collect();
        put(&mut f, "customAttributes", (!attrs.is_empty()).then_some(Value::Object(attrs)));
    }
    f
}

/// A remote user's canonical form.
pub(crate) fn remote_user_fields(u: &ScimUser, extension: bool) -> Fields {
    let mut f = Fields::new();
    let name = u.name.clone().unwrap_or_default();
    put(&mut f, "userName", Some(u.user_name.clone().into()));
    put(&mut f, "email", u.primary_email().map(Into::into));
    put(&mut f, "givenName", name.given_name.filter(|s| !s.trim().is_empty()).map(Into::into));
    put(&mut f, "familyName", name.family_name.filter(|s| !s.trim().is_empty()).map(Into::into));
    put(&mut f, "phone", u.primary_phone().map(Into::into));
    put(&mut f, "active", Some(u.active.unwrap_or(true).into()));
    put(&mut f, "roles", sorted(u.roles.iter().map(|r| r.value.clone())));
    if extension {
        let r = u.roster.clone().unwrap_or_default();
        put(&mut f, "secondFactor", Some(r.second_factor.unwrap_or_else(|| "none".into()).into()));
        put(&mut f, "mfaEnrolled", Some(r.mfa_enrolled.unwrap_or(false).into()));
        put(&mut f, "deviceLimit", r.device_limit.map(Into::into));
        put(&mut f, "passwordExpiresAt", r.password_expires_at.map(|d| d.get(..10).unwrap_or(&d).to_owned().into()));
        let attrs: Map<String, Value> = r.custom_attributes.into_iter().map(|a| (a.name, Value::String(a.value))).collect();
        put(&mut f, "customAttributes", (!attrs.is_empty()).then_some(Value::Object(attrs)));
    }
    f
}

fn sorted(values: impl Iterator<Item = String>) -> Option<Value> {
    let set: BTreeSet<String> = values.collect();
    (!set.is_empty()).then(|| Value::Array(set.into_iter().map(Value::String).collect()))
}

fn text<'a>(f: &'a Fields, key: &str) -> Option<&'a str> {
    f.get(key).and_then(Value::as_str)
}

fn strings(f: &Fields, key: &str) -> Vec<String> {
    f.get(key).and_then(Value::as_array).map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// The SCIM user for a canonical form: what a create sends, and (diffed against the base's)
/// what a PATCH sends. `externalId` is Roster's id.
pub(crate) fn scim_user(f: &Fields, external_id: &str, extension: bool) -> ScimUser {
    let mut u = ScimUser::new(text(f, "userName").unwrap_or_default());
    u.external_id = Some(external_id.to_owned());
    let (given, family) = (text(f, "givenName"), text(f, "familyName"));
    if given.is_some() || family.is_some() {
        u.name = Some(Name { given_name: given.map(Into::into), family_name: family.map(Into::into), ..Name::default() });
        u.display_name = Some([given, family].into_iter().flatten().collect::<Vec<_>>().join(" "));
    }
    u.emails = text(f, "email").map(|e| vec![MultiValue::primary_work(e)]).unwrap_or_default();
    u.phone_numbers = text(f, "phone").map(|p| vec![MultiValue::primary_work(p)]).unwrap_or_default();
    u.active = Some(f.get("active").and_then(Value::as_bool).unwrap_or(true));
    u.roles = strings(f, "roles").into_iter().map(MultiValue::new).collect();
    if extension {
        u.roster = Some(RosterUser {
            second_factor: text(f, "secondFactor").map(Into::into),
            mfa_enrolled: f.get("mfaEnrolled").and_then(Value::as_bool),
            device_limit: f.get("deviceLimit").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()),
            password_expires_at: text(f, "passwordExpiresAt").map(Into::into),
            sessions: Vec::new(),
            custom_attributes: f
                .get("customAttributes")
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| CustomAttribute { name: k.clone(), value: v.as_str().unwrap_or_default().to_owned() }).collect())
                .unwrap_or_default(),
        });
    }
    u.fill_schemas();
    u
}

/// A problem with one field of a remote resource that cannot be taken as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldIssue {
    pub field: String,
    pub message: String,
}

/// The local user `theirs` describes: `current` (or a new user with `id`) with every
/// shared field set from the canonical form. Fields the workspace would not accept (an
/// invalid email, a phone it cannot read) keep their current value and are reported.
pub(crate) fn apply_user_fields(
    current: Option<&User>,
    id: UserId,
    theirs: &Fields,
    extension: bool,
    region: Region,
    defs: &[AttributeDefinition],
    now: Timestamp,
) -> Result<(User, Vec<FieldIssue>), Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let mut issue = |field: &str, message: String| issues.push(FieldIssue { field: field.into(), message });
    let username = match Username::parse(text(theirs, "userName").unwrap_or_default()) {
        Ok(u) => Some(u),
        Err(e) => {
            issue("userName", e.message);
            None
        }
    };
    let email = match text(theirs, "email").map(Email::parse) {
        Some(Ok(e)) => Some(e),
        Some(Err(e)) => {
            issue("email", e.message);
            None
        }
        None => {
            issue("email", "the remote user has no email address".into());
            None
        }
    };
    let (username, email) = match (username.or_else(|| current.map(|c| c.username.clone())), email.or_else(|| current.map(|c| c.email.clone()))) {
        (Some(u), Some(e)) => (u, e),
        _ => return Err(issues),
    };
    let mut u = match current {
        Some(c) => c.clone(),
        None => User {
            id,
            username: username.clone(),
            email: email.clone(),
            first_name: None,
            last_name: None,
            phone: None,
            status: UserStatus::Active,
            password: None,
            password_expires_at: None,
            second_factor: SecondFactor::None,
            mfa_enrolled: false,
            device_limit: None,
            attributes: Attributes::new(),
            groups: Vec::new(),
            roles: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    };
    u.username = username;
    u.email = email;
    for (key, label, slot) in [("givenName", "first name", &mut u.first_name), ("familyName", "last name", &mut u.last_name)] {
        match PersonName::parse_optional(text(theirs, key).unwrap_or_default(), key, label) {
            Ok(n) => *slot = n,
            Err(e) => issue(key, e.message),
        }
    }
    match text(theirs, "phone") {
        None => u.phone = None,
        Some(p) => match Phone::from_e164(p).or_else(|_| Phone::parse(p, region)) {
            Ok(p) => u.phone = Some(p),
            Err(e) => issue("phone", e.message),
        },
    }
    u.status = if theirs.get("active").and_then(Value::as_bool).unwrap_or(true) { UserStatus::Active } else { UserStatus::Disabled };
    let mut roles = Vec::new();
    for r in strings(theirs, "roles") {
        match RoleName::parse(&r) {
            Ok(r) => roles.push(r),
            Err(e) => issue("roles", e.message),
        }
    }
    u.roles = roles;
    if extension {
        match text(theirs, "secondFactor").unwrap_or("none").parse::<SecondFactor>() {
            Ok(s) => u.second_factor = s,
            Err(e) => issue("secondFactor", e.message),
        }
        u.mfa_enrolled = theirs.get("mfaEnrolled").and_then(Value::as_bool).unwrap_or(false);
        match theirs.get("deviceLimit").and_then(Value::as_u64) {
            None => u.device_limit = None,
            Some(n) => match DeviceLimit::new(u32::try_from(n).unwrap_or(u32::MAX)) {
                Ok(d) => u.device_limit = Some(d),
                Err(e) => issue("deviceLimit", e.message),
            },
        }
        match text(theirs, "passwordExpiresAt") {
            None => u.password_expires_at = None,
            Some(d) => match Date::parse(d, DATE) {
                Ok(d) => u.password_expires_at = Some(d),
                Err(_) => issue("passwordExpiresAt", format!("\"{d}\" is not a date as YYYY-MM-DD")),
            },
        }
        let mut attributes = Attributes::new();
        if let Some(m) = theirs.get("customAttributes").and_then(Value::as_object) {
            for (name, value) in m {
                let Some(def) = defs.iter().find(|d| d.name.as_str().eq_ignore_ascii_case(name)) else {
                    issue("customAttributes", format!("{name} is not an attribute defined in this workspace"));
                    continue;
                };
                match AttributeValue::parse(def, value.as_str().unwrap_or_default()) {
                    Ok(v) => attributes.insert(&def.name, v),
                    Err(e) => issue("customAttributes", e.message),
                }
            }
        }
        u.attributes = attributes;
    }
    if let Some(c) = current {
        u = c.succeeded_by(u, now);
    }
    Ok((u, issues))
}

/// A local group's canonical form: its name and its members' Roster ids.
pub(crate) fn group_fields(name: &str, member_ids: &[String]) -> Fields {
    let mut f = Fields::new();
    put(&mut f, "displayName", Some(name.into()));
    put(&mut f, "members", sorted(member_ids.iter().cloned()));
    f
}

/// A remote group's canonical form; `local_id_of` maps a remote user id to a Roster id
/// (members Roster does not know are left out).
pub(crate) fn remote_group_fields(g: &ScimGroup, local_id_of: impl Fn(&str) -> Option<String>) -> Fields {
    let ids: Vec<String> = g.members.iter().filter_map(|m| local_id_of(&m.value)).collect();
    group_fields(&g.display_name, &ids)
}

/// The group name in a canonical form, checked.
pub(crate) fn group_name(f: &Fields) -> Result<GroupName, FieldIssue> {
    GroupName::parse(text(f, "displayName").unwrap_or_default()).map_err(|e| FieldIssue { field: "displayName".into(), message: e.message })
}

pub(crate) fn member_ids(f: &Fields) -> Vec<String> {
    strings(f, "members")
}

/// The SCIM group for a create: its members given as remote ids (or `bulkId:` references).
pub(crate) fn scim_group(f: &Fields, external_id: &str, member_refs: Vec<String>) -> ScimGroup {
    let mut g = ScimGroup::new(text(f, "displayName").unwrap_or_default());
    g.external_id = Some(external_id.to_owned());
    g.members = member_refs.into_iter().map(Reference::user).collect();
    g
}

/// One field where mine, theirs and base do not all agree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldDiff {
    pub field: String,
    pub mine: Option<Value>,
    pub theirs: Option<Value>,
    pub base: Option<Value>,
}

/// The fields where the three sides are not all the same, in field order.
pub(crate) fn three_way(mine: &Fields, theirs: &Fields, base: &Fields) -> Vec<FieldDiff> {
    let keys: BTreeSet<&String> = mine.keys().chain(theirs.keys()).chain(base.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (m, t, b) = (mine.get(k), theirs.get(k), base.get(k));
            (m != t || m != b).then(|| FieldDiff { field: k.clone(), mine: m.cloned(), theirs: t.cloned(), base: b.cloned() })
        })
        .collect()
}

/// The names of the fields that differ between two forms.
pub(crate) fn changed_fields(before: &Fields, after: &Fields) -> Vec<String> {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter().filter(|k| before.get(*k) != after.get(*k)).cloned().collect()
}

pub(crate) fn to_json(f: &Fields) -> String {
    Value::Object(f.clone()).to_string()
}

pub(crate) fn from_json(s: &str) -> Fields {
    match serde_json::from_str(s) {
        Ok(Value::Object(m)) => m,
        _ => Fields::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: Timestamp = time::macros::datetime!(2026-11-29 10:00 UTC);

    fn alice() -> User {
        let (u, issues) = apply_user_fields(
            None,
            UserId::from_random_bytes([1; 16]),
            &from_json(&json!({"userName": "alice", "email": "alice@example.com", "givenName": "Alice", "phone": "+447400123456", "active": false, "roles": ["Auditor"]}).to_string()),
            true,
            Region::default(),
            &[],
            NOW,
        )
        .unwrap();
        assert!(issues.is_empty(), "{issues:?}");
        u
    }

    #[test]
    fn a_user_goes_to_scim_and_back_unchanged() {
        let u = alice();
        for extension in [false, true] {
            let mine = user_fields(&u, extension);
            let scim = scim_user(&mine, &u.id.to_string(), extension);
            assert_eq!(scim.external_id.as_deref(), Some(u.id.to_string().as_str()));
            assert_eq!(scim.active, Some(false));
            assert_eq!(remote_user_fields(&scim, extension), mine, "the canonical form survives the wire (extension {extension})");
        }
        assert!(!user_fields(&u, false).contains_key("secondFactor"), "without the extension Roster's own fields stay local");
    }

    #[test]
    fn three_way_names_only_fields_that_differ() {
        let base = from_json(r#"{"userName":"a","active":true,"email":"a@x.org"}"#);
        let mine = from_json(r#"{"userName":"a","active":false,"email":"a@x.org"}"#);
        let theirs = from_json(r#"{"userName":"a","active":true,"email":"b@x.org"}"#);
        let d = three_way(&mine, &theirs, &base);
        assert_eq!(d.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["active", "email"]);
        assert_eq!(changed_fields(&base, &mine), ["active"]);
    }

    #[test]
    fn a_bad_remote_email_is_reported_and_the_user_is_not_made() {
        let f = from_json(r#"{"userName":"bob","email":"not an email"}"#);
        let issues = apply_user_fields(None, UserId::from_random_bytes([2; 16]), &f, false, Region::default(), &[], NOW).unwrap_err();
        assert_eq!(issues[0].field, "email");
    }
}
