//! Boundary types: what the CLI prints as JSON and what the window receives over IPC, and
//! the inputs they send. These, and only these, derive Serialize / Deserialize.

use std::collections::BTreeMap;
use std::fmt;

use roster_core::{AttributeDefinition, AttributeValue, Secret, Settings, User};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceInfo {
    pub path: String,
    pub schema_version: u32,
    pub user_count: u64,
    pub settings: SettingsView,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub default_region: String,
    pub default_device_limit: u32,
    pub auto_send_reset_mail: bool,
    pub password_min_length: usize,
}

impl From<&Settings> for SettingsView {
    fn from(s: &Settings) -> Self {
        Self {
            default_region: s.default_region.code().to_owned(),
            default_device_limit: s.default_device_limit.get(),
            auto_send_reset_mail: s.auto_send_reset_mail,
            password_min_length: s.password_policy.min_length,
        }
    }
}

/// A user as the CLI's `--json` and the window show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub status: &'static str,
    pub onboarded: bool,
    pub password_expires_at: Option<String>,
    pub second_factor: &'static str,
    pub mfa_enrolled: bool,
    pub device_limit: Option<u32>,
    pub attributes: BTreeMap<String, Value>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
    /// When the first activation mail went to this user (who has not set a password since).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invited_at: Option<String>,
    /// When the last one (first or reminder) went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_invited_at: Option<String>,
}

/// "1 user", "3 users".
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) fn rfc3339(t: roster_core::Timestamp) -> String {
    t.format(&Rfc3339).expect("UTC timestamps format as RFC 3339")
}

pub(crate) fn attribute_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::String(s) => Value::String(s.clone()),
        AttributeValue::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        AttributeValue::Boolean(b) => Value::Bool(*b),
        AttributeValue::Date(_) => Value::String(v.to_string()),
    }
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            username: u.username.to_string(),
            email: u.email.to_string(),
            first_name: u.first_name.as_ref().map(ToString::to_string).unwrap_or_default(),
            last_name: u.last_name.as_ref().map(ToString::to_string).unwrap_or_default(),
            phone: u.phone.as_ref().map(|p| p.as_e164().to_owned()),
            status: u.status.as_str(),
            onboarded: u.onboarded(),
            password_expires_at: u.password_expires_at.map(|d| AttributeValue::Date(d).to_string()),
            second_factor: u.second_factor.as_str(),
            mfa_enrolled: u.mfa_enrolled,
            device_limit: u.device_limit.map(|d| d.get()),
            attributes: u.attributes.iter().map(|(k, v)| (k.to_owned(), attribute_json(v))).collect(),
            groups: u.groups.iter().map(ToString::to_string).collect(),
            roles: u.roles.iter().map(ToString::to_string).collect(),
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
            version: u.version,
            invited_at: None,
            last_invited_at: None,
        }
    }
}

impl UserView {
    /// The view with the user's invitation, if any.
    pub(crate) fn with_invitation(mut self, i: Option<&roster_store::Invitation>) -> Self {
        self.invited_at = i.map(|i| rfc3339(i.invited_at));
        self.last_invited_at = i.map(|i| rfc3339(i.last_sent_at));
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UserPageView {
    pub users: Vec<UserView>,
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeView {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub required: bool,
}

impl From<&AttributeDefinition> for AttributeView {
    fn from(d: &AttributeDefinition) -> Self {
        Self { name: d.name.to_string(), kind: d.kind.as_str(), required: d.required }
    }
}

/// A new user as a form or the CLI sends it: raw text, checked by the core.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserInput {
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    #[serde(deserialize_with = "deserialize_secret")]
    pub password: Option<Secret<String>>,
    pub attributes: AttributeInput,
}

/// Changes to a user: an absent key leaves a field alone, `""` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserEditInput {
    /// The version the edit was based on; `None` (CLI) edits whatever is current.
    pub expected_version: Option<u64>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub attributes: AttributeInput,
}

/// Custom attribute values by name, in the order given. The window sends an object of
/// strings (or numbers and booleans, taken as their text); the CLI sends `NAME=VALUE` pairs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AttributeInput(pub Vec<(String, String)>);

impl fmt::Debug for AttributeInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl<'de> Deserialize<'de> for AttributeInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, Value>::deserialize(d)?;
        Ok(Self(
            map.into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k, text)
                })
                .collect(),
        ))
    }
}

/// A password arrives as text and goes straight into a [`Secret`]: it never sits in a
/// type that could be printed or serialised.
pub(crate) fn deserialize_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret<String>>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()).map(Secret::new))
}

/// A request for one page of users.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserListQuery {
    pub search: Option<String>,
    /// `active` or `disabled`.
    pub status: Option<String>,
    pub onboarded: Option<bool>,
    /// Only members of this group.
    pub group: Option<String>,
    /// `username` (default), `email`, `firstName`, `lastName` or `createdAt`.
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    pub direction: Option<String>,
    /// 1 to 1000; 50 when absent.
    pub limit: Option<usize>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// What a per-user action did: the message to show, the user after it, and the audit entry
/// to pass to `undo` when the action can be undone.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionView {
    pub message: String,
    pub user: UserView,
    pub undo: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub members: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&roster_store::GroupRow> for GroupView {
    fn from(g: &roster_store::GroupRow) -> Self {
        Self {
            id: g.id.clone(),
            name: g.name.to_string(),
            description: g.description.clone(),
            members: g.members,
            created_at: rfc3339(g.created_at),
            updated_at: rfc3339(g.updated_at),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleView {
    pub name: String,
    pub description: String,
    pub users: u64,
}

impl From<&roster_store::RoleRow> for RoleView {
    fn from(r: &roster_store::RoleRow) -> Self {
        Self { name: r.name.to_string(), description: r.description.clone(), users: r.users }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    pub device: String,
    pub ip: String,
    pub user_agent: String,
    pub started_at: String,
    pub last_seen_at: String,
}

impl From<&roster_core::Session> for SessionView {
    fn from(s: &roster_core::Session) -> Self {
        Self {
            id: s.id.clone(),
            device: s.device.clone(),
            ip: s.ip.clone(),
            user_agent: s.user_agent.clone(),
            started_at: rfc3339(s.started_at),
            last_seen_at: rfc3339(s.last_seen_at),
        }
    }
}

/// The user's groups, and the groups they could be assigned to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserGroupsView {
    pub username: String,
    pub member_of: Vec<GroupView>,
    pub available: Vec<GroupView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitingBucketView {
    pub bucket: &'static str,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingView {
    pub total: u64,
    pub onboarded: u64,
    /// Users without a password, invited ones included.
    pub not_onboarded: u64,
    /// Of those, the ones sent an activation mail.
    pub invited: u64,
    pub disabled: u64,
    pub waiting: Vec<WaitingBucketView>,
    /// Invited users last mailed at least `remind_after_days` ago: due a reminder.
    pub remind_after_days: u32,
    pub reminder_due: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub entity: String,
    pub subject: String,
    pub action: String,
    pub summary: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// Whether `undo` can revert this entry.
    pub undoable: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditPageView {
    pub entries: Vec<AuditView>,
    pub next: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuditListQuery {
    /// A username or group name.
    pub user: Option<String>,
    pub action: Option<String>,
    pub limit: Option<usize>,
    /// The `next` of the previous page.
    pub before: Option<i64>,
}

/// What a multi-select action did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkActionView {
    pub message: String,
    pub changed: Vec<String>,
    pub unchanged: Vec<String>,
}

/// A multi-select action as the window sends it: `{ "kind": "assign_group", "group": "Sales" }`.
#[derive(Debug, Clone, Deserialize)]
pub struct BulkActionInput {
    /// `disable`, `enable`, `delete`, `assign_group`, `remove_from_group` or `send_activation_mail`.
    pub kind: String,
    #[serde(default)]
    pub group: Option<String>,
}

impl BulkActionInput {
    pub fn parse(&self) -> Result<crate::BulkAction, crate::Error> {
        use crate::BulkAction as A;
        let group = || {
            self.group.clone().filter(|g| !g.trim().is_empty()).ok_or_else(|| {
                crate::Error::new(crate::ErrorCode::Usage, format!("\"{}\" needs a group", self.kind))
            })
        };
        Ok(match self.kind.as_str() {
            "disable" => A::Disable,
            "enable" => A::Enable,
            "delete" => A::Delete,
            "assign_group" => A::AssignGroup(group()?),
            "remove_from_group" => A::RemoveFromGroup(group()?),
            "send_activation_mail" => A::SendActivationMail,
            other => return Err(crate::Error::new(crate::ErrorCode::Usage, format!("\"{other}\" is not a multi-select action"))),
        })
    }
}
