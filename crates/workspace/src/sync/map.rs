//! Mapping between Roster's users and groups and SCIM's, through one canonical form: a JSON
//! object of the fields both sides share (field → value; absent = no value). It is what
//! `sync_resources.base` keeps, what a pull compares three ways (mine, theirs, base), and
//! what a push turns into a create or a PATCH of only the changed attributes.
//!
//! What travels depends on the server's extensions ([`Extensions`], from discovery):
//!
//! - Core SCIM: `userName`, the primary work email, given / family name, the primary work
//!   phone (E.164), `active`, `roles`; `externalId` is Roster's id. Always.
//! - The Roster extension (`urn:…:roster:2.0:User`): second factor, MFA, device limit,
//!   password expiry, custom attributes, and the user's sessions. In the canonical form the
//!   sessions are their sorted ids (`sessions`): enough to see which were revoked on either
//!   side, and a set merges element by element. A push never adds a session (sign-ins do, on
//!   the directory): a session in the base but not in mine is revoked, by a PATCH `remove` of
//!   `sessions[id eq "…"]`, or of `sessions` when none is left ([`revoke_sessions`]). A pull
//!   writes the remote's sessions with their details over the local ones
//!   (`super::sessions`). Without the extension all of these stay local only.
//! - The enterprise extension (`urn:…:enterprise:2.0:User`, RFC 7643 §4.3): a custom
//!   attribute whose name is one of its attributes, regardless of case (`employeeNumber`,
//!   `costCenter`, `organization`, `division`, `department`, and `manager` for
//!   `manager.value`), travels there, both ways, when the server has the extension; in the
//!   canonical form it is keyed by the enterprise spelling. Otherwise (or when the server has
//!   only the Roster extension) it is an ordinary custom attribute: in the Roster extension,
//!   or local only when that is absent too.
//! - Custom attributes the remote has and this workspace does not define (Roster extension
//!   or enterprise ones, names compared regardless of case) are not part of a remote user's
//!   canonical form: never a change, never taken, and never removed by a push, which changes
//!   the Roster extension's list one name at a time (`PatchOp::diff`), never whole. A pull
//!   names them once per attribute ([`undefined_attributes`]).
//!
//! Pure functions: no store, no network, no clock.

use std::collections::BTreeSet;

use roster_core::{
    AttributeDefinition, AttributeValue, Attributes, Date, DeviceLimit, Email, GroupName, PersonName, Phone, Region, RoleName,
    SecondFactor, Session, Timestamp, User, UserId, UserStatus, Username,
};
use roster_scim::{
    Capabilities, CustomAttribute, EnterpriseUser, Group as ScimGroup, Manager, MultiValue, Name, PatchOp, Reference, Resource, RosterUser,
    Session as ScimSession, User as ScimUser,
};
use serde_json::{Map, Value};

/// Which extensions of User the remote takes: what of a user travels besides core SCIM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Extensions {
    /// Roster's own fields, custom attributes and sessions.
    pub roster: bool,
    /// The enterprise extension: custom attributes named like its attributes go there.
    pub enterprise: bool,
}

impl Extensions {
    pub(crate) fn of(capabilities: &Capabilities) -> Extensions {
        Extensions { roster: capabilities.roster_extension, enterprise: capabilities.enterprise_extension }
    }

    /// Whether the custom attribute `name` travels to this remote.
    fn carries(self, name: &str) -> bool {
        self.roster || (self.enterprise && enterprise_name(name).is_some())
    }
}

/// The enterprise extension's attributes a custom attribute maps to (`manager`: its
/// `manager.value`), spelled as the extension spells them.
pub(crate) const ENTERPRISE_ATTRIBUTES: &[&str] = &["employeeNumber", "costCenter", "organization", "division", "department", "manager"];

/// The enterprise attribute a custom attribute of this name maps to, if any.
fn enterprise_name(name: &str) -> Option<&'static str> {
    ENTERPRISE_ATTRIBUTES.iter().copied().find(|e| e.eq_ignore_ascii_case(name))
}

/// A resource's canonical form.
pub(crate) type Fields = Map<String, Value>;

/// The fields that travel in the Roster extension: local only when the server lacks it.
/// (Custom attributes named like an enterprise attribute still travel when the server has
/// the enterprise extension.)
pub(crate) const EXTENSION_FIELDS: &[&str] = &["secondFactor", "mfaEnrolled", "deviceLimit", "passwordExpiresAt", "customAttributes", "sessions"];

const DATE: &[time::format_description::FormatItem<'static>] = time::macros::format_description!("[year]-[month]-[day]");

fn put(f: &mut Fields, key: &str, value: Option<Value>) {
    if let Some(v) = value.filter(|v| !v.is_null()) {
        f.insert(key.to_owned(), v);
    }
}

/// A local user's canonical form; `sessions`: the user's sessions (used only with the Roster
/// extension).
pub(crate) fn user_fields(u: &User, sessions: &[Session], ext: Extensions) -> Fields {
    let mut f = Fields::new();
    put(&mut f, "userName", Some(u.username.as_str().into()));
    put(&mut f, "email", Some(u.email.as_str().into()));
    put(&mut f, "givenName", u.first_name.as_ref().map(|n| n.as_str().into()));
    put(&mut f, "familyName", u.last_name.as_ref().map(|n| n.as_str().into()));
    put(&mut f, "phone", u.phone.as_ref().map(|p| p.as_e164().into()));
    put(&mut f, "active", Some((u.status == UserStatus::Active).into()));
    put(&mut f, "roles", sorted(u.roles.iter().map(|r| r.as_str().to_owned())));
    if ext.roster {
        put(&mut f, "secondFactor", Some(u.second_factor.as_str().into()));
        put(&mut f, "mfaEnrolled", Some(u.mfa_enrolled.into()));
        put(&mut f, "deviceLimit", u.device_limit.map(|d| d.get().into()));
        put(&mut f, "passwordExpiresAt", u.password_expires_at.map(|d| d.format(DATE).expect("a date formats").into()));
        put(&mut f, "sessions", sorted(sessions.iter().map(|s| s.id.clone())));
    }
    let attrs: Map<String, Value> = u
        .attributes
        .iter()
        .filter(|(k, _)| ext.carries(k))
        .map(|(k, v)| (canonical_attribute(k, ext), Value::String(v.to_string())))
        .collect();
    put(&mut f, "customAttributes", (!attrs.is_empty()).then_some(Value::Object(attrs)));
    f
}

/// A custom attribute's key in the canonical form: the enterprise spelling when it travels
/// there, else its name.
fn canonical_attribute(name: &str, ext: Extensions) -> String {
    match enterprise_name(name).filter(|_| ext.enterprise) {
        Some(e) => e.to_owned(),
        None => name.to_owned(),
    }
}

/// A remote user's canonical form. Of its custom attributes only those defined in this
/// workspace (`defs`, names regardless of case) are part of it, keyed as [`user_fields`]
/// keys them: the others cannot be held here, so they are no difference to compare, take or
/// send — they stay on the remote as they are ([`undefined_attributes`] names them).
pub(crate) fn remote_user_fields(u: &ScimUser, ext: Extensions, defs: &[AttributeDefinition]) -> Fields {
    let mut f = Fields::new();
    let name = u.name.clone().unwrap_or_default();
    put(&mut f, "userName", Some(u.user_name.clone().into()));
    put(&mut f, "email", u.primary_email().map(Into::into));
    put(&mut f, "givenName", name.given_name.filter(|s| !s.trim().is_empty()).map(Into::into));
    put(&mut f, "familyName", name.family_name.filter(|s| !s.trim().is_empty()).map(Into::into));
    put(&mut f, "phone", u.primary_phone().map(Into::into));
    put(&mut f, "active", Some(u.active.unwrap_or(true).into()));
    put(&mut f, "roles", sorted(u.roles.iter().map(|r| r.value.clone())));
    if ext.roster {
        let r = u.roster.clone().unwrap_or_default();
        put(&mut f, "secondFactor", Some(r.second_factor.unwrap_or_else(|| "none".into()).into()));
        put(&mut f, "mfaEnrolled", Some(r.mfa_enrolled.unwrap_or(false).into()));
        put(&mut f, "deviceLimit", r.device_limit.map(Into::into));
        put(&mut f, "passwordExpiresAt", r.password_expires_at.map(|d| d.get(..10).unwrap_or(&d).to_owned().into()));
        put(&mut f, "sessions", sorted(r.sessions.into_iter().map(|s| s.id)));
    }
    let attrs: Map<String, Value> = remote_attributes(u, ext)
        .filter_map(|(name, value)| {
            let def = definition(defs, &name)?;
            Some((canonical_attribute(def.name.as_str(), ext), Value::String(value)))
        })
        .collect();
    put(&mut f, "customAttributes", (!attrs.is_empty()).then_some(Value::Object(attrs)));
    f
}

/// The custom attributes a remote user carries that travel to this remote, by the remote's
/// name (the enterprise spelling for the enterprise extension's): Roster extension ones (those
/// of an enterprise name left out when the enterprise extension is there: that one wins),
/// then the enterprise extension's.
fn remote_attributes(u: &ScimUser, ext: Extensions) -> impl Iterator<Item = (String, String)> {
    let roster = u.roster.as_ref().filter(|_| ext.roster).map(|r| r.custom_attributes.clone()).unwrap_or_default();
    let roster = roster.into_iter().filter(move |a| !(ext.enterprise && enterprise_name(&a.name).is_some())).map(|a| (a.name, a.value));
    let e = u.enterprise.clone().filter(|_| ext.enterprise).unwrap_or_default();
    let manager = e.manager.and_then(|m| m.value);
    let values = [e.employee_number, e.cost_center, e.organization, e.division, e.department, manager];
    let enterprise = ENTERPRISE_ATTRIBUTES
        .iter()
        .zip(values)
        .filter_map(|(name, value)| value.filter(|v| !v.trim().is_empty()).map(|v| ((*name).to_owned(), v)));
    roster.chain(enterprise)
}

/// The definition of the custom attribute `name` in this workspace (regardless of case).
fn definition<'a>(defs: &'a [AttributeDefinition], name: &str) -> Option<&'a AttributeDefinition> {
    defs.iter().find(|d| d.name.as_str().eq_ignore_ascii_case(name))
}

/// The custom attributes of a remote user that no definition in this workspace takes, by
/// the remote's name, each once (regardless of case).
pub(crate) fn undefined_attributes(u: &ScimUser, ext: Extensions, defs: &[AttributeDefinition]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    remote_attributes(u, ext).map(|(name, _)| name).filter(|name| definition(defs, name).is_none() && seen.insert(name.to_lowercase())).collect()
}

/// `f` without the custom attributes this workspace does not define: for a base kept before
/// they were left out of the canonical form (or of an attribute dropped since), so that no
/// push removes from the remote what the workspace cannot hold.
pub(crate) fn defined_only(mut f: Fields, defs: &[AttributeDefinition]) -> Fields {
    if let Some(Value::Object(attrs)) = f.get_mut("customAttributes") {
        attrs.retain(|name, _| definition(defs, name).is_some());
        if attrs.is_empty() {
            f.remove("customAttributes");
        }
    }
    f
}

/// The session ids in a canonical form (empty without the Roster extension).
pub(crate) fn session_ids(f: &Fields) -> Vec<String> {
    strings(f, "sessions")
}

/// A remote session as the workspace keeps it. A time the server leaves out or does not
/// write as RFC 3339 is `now` (the last use: the start).
pub(crate) fn local_session(s: &ScimSession, now: Timestamp) -> Session {
    let at = |t: &Option<String>| t.as_deref().and_then(|t| Timestamp::parse(t, &time::format_description::well_known::Rfc3339).ok());
    let started_at = at(&s.started_at).unwrap_or(now);
    Session {
        id: s.id.clone(),
        device: s.device.clone().unwrap_or_default(),
        ip: s.ip.clone().unwrap_or_default(),
        user_agent: s.user_agent.clone().unwrap_or_default(),
        started_at,
        last_seen_at: at(&s.last_seen_at).unwrap_or(started_at),
    }
}

/// Adds to a user's PATCH the revocation of the sessions in `base` that `mine` no longer
/// has: one `remove` each, or one `remove` of them all when `mine` has none left. Sessions
/// only in `mine` are never sent (a server makes them at sign-in).
pub(crate) fn revoke_sessions(mut patch: PatchOp, base: &Fields, mine: &Fields) -> PatchOp {
    let (before, after) = (session_ids(base), session_ids(mine));
    let gone: Vec<&String> = before.iter().filter(|id| !after.contains(id)).collect();
    if gone.is_empty() {
        return patch;
    }
    if after.is_empty() {
        return patch.revoke_all_sessions();
    }
    for id in gone {
        patch = patch.revoke_session(id);
    }
    patch
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
/// what a PATCH sends. `externalId` is Roster's id. Sessions are never part of it (see
/// [`revoke_sessions`]).
pub(crate) fn scim_user(f: &Fields, external_id: &str, ext: Extensions) -> ScimUser {
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
    let attrs: Vec<(&String, String)> = f
        .get("customAttributes")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default();
    let mut enterprise = EnterpriseUser::default();
    let mut custom = Vec::new();
    for (name, value) in attrs {
        match enterprise_name(name).filter(|_| ext.enterprise) {
            Some("employeeNumber") => enterprise.employee_number = Some(value),
            Some("costCenter") => enterprise.cost_center = Some(value),
            Some("organization") => enterprise.organization = Some(value),
            Some("division") => enterprise.division = Some(value),
            Some("department") => enterprise.department = Some(value),
            Some(_) => enterprise.manager = Some(Manager { value: Some(value), ..Manager::default() }),
            None => custom.push(CustomAttribute { name: name.clone(), value }),
        }
    }
    if enterprise != EnterpriseUser::default() {
        u.enterprise = Some(enterprise);
    }
    if ext.roster {
        u.roster = Some(RosterUser {
            second_factor: text(f, "secondFactor").map(Into::into),
            mfa_enrolled: f.get("mfaEnrolled").and_then(Value::as_bool),
            device_limit: f.get("deviceLimit").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()),
            password_expires_at: text(f, "passwordExpiresAt").map(Into::into),
            sessions: Vec::new(),
            custom_attributes: custom,
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
/// Custom attributes that do not travel to this remote keep their local values. Sessions
/// are not part of a `User`: `super::sessions` writes them.
pub(crate) fn apply_user_fields(
    current: Option<&User>,
    id: UserId,
    theirs: &Fields,
    ext: Extensions,
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
    if ext.roster {
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
    }
    if ext.roster || ext.enterprise {
        // Those that travel come from theirs; the others stay as they are here.
        let mut attributes = Attributes::new();
        for (name, value) in u.attributes.iter().filter(|(k, _)| !ext.carries(k)) {
            if let Some(def) = definition(defs, name) {
                attributes.insert(&def.name, value.clone());
            }
        }
        if let Some(m) = theirs.get("customAttributes").and_then(Value::as_object) {
            for (name, value) in m {
                let Some(def) = definition(defs, name) else {
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
            ROSTER,
            Region::default(),
            &[],
            NOW,
        )
        .unwrap();
        assert!(issues.is_empty(), "{issues:?}");
        u
    }

    const NONE: Extensions = Extensions { roster: false, enterprise: false };
    const ROSTER: Extensions = Extensions { roster: true, enterprise: false };
    const ENTERPRISE: Extensions = Extensions { roster: false, enterprise: true };
    const BOTH: Extensions = Extensions { roster: true, enterprise: true };

    fn def(name: &str) -> AttributeDefinition {
        AttributeDefinition { name: roster_core::AttributeName::parse(name).unwrap(), kind: roster_core::AttributeType::String, required: false }
    }

    fn session(id: &str) -> Session {
        Session {
            id: id.into(),
            device: "laptop".into(),
            ip: "192.0.2.1".into(),
            user_agent: "Firefox".into(),
            started_at: NOW,
            last_seen_at: NOW,
        }
    }

    /// Alice with a `Department` and a `shoeSize` attribute.
    fn alice_with_attributes(defs: &[AttributeDefinition]) -> User {
        let mut u = alice();
        u.attributes.insert(&defs[0].name, AttributeValue::parse(&defs[0], "Sales").unwrap());
        u.attributes.insert(&defs[1].name, AttributeValue::parse(&defs[1], "42").unwrap());
        u
    }

    #[test]
    fn a_user_goes_to_scim_and_back_unchanged() {
        let defs = [def("Department"), def("shoeSize")];
        let u = alice_with_attributes(&defs);
        for ext in [NONE, ROSTER, ENTERPRISE, BOTH] {
            let mine = user_fields(&u, &[], ext);
            let scim = scim_user(&mine, &u.id.to_string(), ext);
            assert_eq!(scim.external_id.as_deref(), Some(u.id.to_string().as_str()));
            assert_eq!(scim.active, Some(false));
            assert_eq!(remote_user_fields(&scim, ext, &defs), mine, "the canonical form survives the wire ({ext:?})");
            let (back, issues) = apply_user_fields(Some(&u), u.id, &mine, ext, Region::default(), &defs, NOW).unwrap();
            assert!(issues.is_empty(), "{issues:?}");
            assert_eq!(back.attributes, u.attributes, "every attribute kept, travelling or not ({ext:?})");
        }
        assert!(!user_fields(&u, &[], NONE).contains_key("secondFactor"), "without the extension Roster's own fields stay local");
        assert!(!user_fields(&u, &[], NONE).contains_key("customAttributes"));
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
        let issues = apply_user_fields(None, UserId::from_random_bytes([2; 16]), &f, NONE, Region::default(), &[], NOW).unwrap_err();
        assert_eq!(issues[0].field, "email");
    }

    #[test]
    fn an_enterprise_named_attribute_travels_in_the_enterprise_extension_when_the_server_has_it() {
        let defs = [def("Department"), def("shoeSize"), def("manager")];
        let mut u = alice_with_attributes(&defs);
        u.attributes.insert(&defs[2].name, AttributeValue::parse(&defs[2], "boss-1").unwrap());

        let mine = user_fields(&u, &[], BOTH);
        assert_eq!(mine["customAttributes"], json!({"department": "Sales", "manager": "boss-1", "shoeSize": "42"}), "keyed by the enterprise spelling");
        let scim = serde_json::to_value(scim_user(&mine, "id", BOTH)).unwrap();
        assert_eq!(scim[roster_scim::ENTERPRISE_USER_SCHEMA], json!({"department": "Sales", "manager": {"value": "boss-1"}}));
        assert_eq!(scim[roster_scim::ROSTER_USER_SCHEMA]["customAttributes"], json!([{"name": "shoeSize", "value": "42"}]));
        assert_eq!(scim["schemas"].as_array().unwrap().len(), 3);

        // Only the enterprise extension: the rest stays local.
        let mine = user_fields(&u, &[], ENTERPRISE);
        assert_eq!(mine["customAttributes"], json!({"department": "Sales", "manager": "boss-1"}));
        let scim = scim_user(&mine, "id", ENTERPRISE);
        assert!(scim.roster.is_none());

        // Only the Roster extension: an ordinary custom attribute, under its own name.
        let mine = user_fields(&u, &[], ROSTER);
        assert_eq!(mine["customAttributes"], json!({"Department": "Sales", "manager": "boss-1", "shoeSize": "42"}));
        let scim = scim_user(&mine, "id", ROSTER);
        assert!(scim.enterprise.is_none());
        assert_eq!(scim.roster.unwrap().custom_attributes.len(), 3);
    }

    #[test]
    fn an_enterprise_value_changed_on_the_server_comes_back_to_the_attribute() {
        let defs = [def("Department"), def("shoeSize")];
        let u = alice_with_attributes(&defs);
        let mut remote = scim_user(&user_fields(&u, &[], ENTERPRISE), "id", ENTERPRISE);
        remote.enterprise.as_mut().unwrap().department = Some("Research".into());
        remote.enterprise.as_mut().unwrap().cost_center = Some("4200".into());
        // A Roster custom attribute of an enterprise name is not read when the enterprise
        // extension is there: that one wins.
        remote.roster = Some(RosterUser {
            custom_attributes: vec![CustomAttribute { name: "department".into(), value: "Stale".into() }],
            ..RosterUser::default()
        });
        let theirs = remote_user_fields(&remote, BOTH, &defs);
        assert_eq!(theirs["customAttributes"], json!({"department": "Research"}), "costCenter is not defined here: left out");
        assert_eq!(undefined_attributes(&remote, BOTH, &defs), ["costCenter"]);
        let with_cost_center = [def("Department"), def("shoeSize"), def("COSTCENTER")];
        assert_eq!(remote_user_fields(&remote, BOTH, &with_cost_center)["customAttributes"], json!({"costCenter": "4200", "department": "Research"}));
        assert!(undefined_attributes(&remote, BOTH, &with_cost_center).is_empty());

        let theirs = remote_user_fields(&remote, ENTERPRISE, &defs);
        let (next, issues) = apply_user_fields(Some(&u), u.id, &theirs, ENTERPRISE, Region::default(), &defs, NOW).unwrap();
        assert_eq!(next.attributes.get("department").map(ToString::to_string).as_deref(), Some("Research"));
        assert_eq!(next.attributes.get("shoeSize").map(ToString::to_string).as_deref(), Some("42"), "a local-only attribute is kept");
        assert!(issues.is_empty(), "{issues:?}");
    }

    #[test]
    fn undefined_custom_attributes_are_no_part_of_the_remote_form() {
        let defs = [def("shoeSize")];
        let mut remote = scim_user(&user_fields(&alice(), &[], ROSTER), "id", ROSTER);
        remote.roster.as_mut().unwrap().custom_attributes = vec![
            CustomAttribute { name: "SHOESIZE".into(), value: "42".into() },
            CustomAttribute { name: "badge".into(), value: "green".into() },
            CustomAttribute { name: "Badge".into(), value: "red".into() },
        ];
        remote.enterprise = Some(EnterpriseUser { cost_center: Some("4200".into()), ..EnterpriseUser::default() });
        let theirs = remote_user_fields(&remote, BOTH, &defs);
        assert_eq!(theirs["customAttributes"], json!({"shoeSize": "42"}), "keyed by the local definition's spelling");
        assert_eq!(undefined_attributes(&remote, BOTH, &defs), ["badge", "costCenter"], "each name once");
        assert_eq!(undefined_attributes(&remote, ROSTER, &defs), ["badge"], "without the enterprise extension its attributes do not travel");
        assert!(!remote_user_fields(&remote, BOTH, &[]).contains_key("customAttributes"));

        let base = from_json(r#"{"userName":"alice","customAttributes":{"badge":"green","ShoeSize":"41"}}"#);
        assert_eq!(defined_only(base, &defs), from_json(r#"{"userName":"alice","customAttributes":{"ShoeSize":"41"}}"#));
        assert_eq!(defined_only(from_json(r#"{"customAttributes":{"badge":"green"}}"#), &defs), Fields::new());
    }

    #[test]
    fn sessions_are_their_ids_with_the_roster_extension_only() {
        let u = alice();
        let sessions = [session("s2"), session("s1")];
        assert_eq!(user_fields(&u, &sessions, ROSTER)["sessions"], json!(["s1", "s2"]));
        assert!(!user_fields(&u, &sessions, ENTERPRISE).contains_key("sessions"), "without the Roster extension sessions stay local");

        let mut remote = scim_user(&user_fields(&u, &sessions, ROSTER), "id", ROSTER);
        assert!(remote.roster.as_ref().unwrap().sessions.is_empty(), "a create or a PATCH never sends sessions");
        remote.roster.as_mut().unwrap().sessions = vec![
            ScimSession { id: "s9".into(), device: Some("phone".into()), started_at: Some("2026-11-01T08:00:00Z".into()), ..ScimSession::default() },
            ScimSession { id: "s1".into(), ..ScimSession::default() },
        ];
        assert_eq!(remote_user_fields(&remote, ROSTER, &[])["sessions"], json!(["s1", "s9"]));
        assert!(!remote_user_fields(&remote, NONE, &[]).contains_key("sessions"));

        let local = local_session(&remote.roster.as_ref().unwrap().sessions[0], NOW);
        assert_eq!((local.device.as_str(), local.ip.as_str()), ("phone", ""));
        assert_eq!(local.started_at, time::macros::datetime!(2026-11-01 08:00 UTC));
        assert_eq!(local.last_seen_at, local.started_at, "no last use given: the start");
        assert_eq!(local_session(&remote.roster.as_ref().unwrap().sessions[1], NOW).started_at, NOW);
    }

    #[test]
    fn a_push_revokes_the_sessions_gone_since_the_base_and_never_adds_one() {
        let base = from_json(r#"{"sessions":["s1","s2","s3"]}"#);
        let ops = |mine: &str| serde_json::to_value(revoke_sessions(PatchOp::new(Vec::new()), &base, &from_json(mine))).unwrap()["Operations"].clone();
        let urn = roster_scim::ROSTER_USER_SCHEMA;
        assert_eq!(
            ops(r#"{"sessions":["s2","s4"]}"#),
            json!([
                {"op": "remove", "path": format!("{urn}:sessions[id eq \"s1\"]")},
                {"op": "remove", "path": format!("{urn}:sessions[id eq \"s3\"]")}
            ]),
            "s4 (only mine) is not sent"
        );
        assert_eq!(ops("{}"), json!([{"op": "remove", "path": format!("{urn}:sessions")}]), "all gone: one remove");
        assert_eq!(ops(r#"{"sessions":["s1","s2","s3"]}"#), json!([]));
        assert!(revoke_sessions(PatchOp::new(Vec::new()), &Fields::new(), &Fields::new()).is_empty());
    }
}
