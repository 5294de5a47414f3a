//! The SCIM resources on the wire (RFC 7643): users with the enterprise and Roster extensions,
//! groups, list answers and error bodies. Boundary types: they derive `Serialize` /
//! `Deserialize`, spell attributes as SCIM does, and keep attributes they do not know
//! (`other`), so a resource read and written back (PUT) loses nothing.

use std::collections::BTreeMap;
use std::fmt;

use roster_core::Secret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::filter::Filter;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Roster's extension of User: what SCIM does not define (second factor, MFA, device limit,
/// password expiry, sessions, custom attributes). Its definition is
/// [`ROSTER_USER_EXTENSION_JSON`].
pub const ROSTER_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const BULK_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The Roster extension's definition in SCIM schema format (RFC 7643 §7), as shipped in
/// `crates/scim/schemas/roster-user-extension.json`: what a server loads to store Roster's
/// attributes (scim2-server takes it in the list of its `--schema FILE`, and the User resource
/// type lists it in `schemaExtensions` of `--resource-type FILE`).
pub const ROSTER_USER_EXTENSION_JSON: &str = include_str!("../schemas/roster-user-extension.json");

/// A kind of resource the client reads and writes: where it lives and what identifies it.
pub trait Resource: Serialize + DeserializeOwned + Clone + Send + Sync + fmt::Debug {
    /// The endpoint below the base URL, without slashes: `Users`, `Groups`.
    const ENDPOINT: &'static str;
    /// The core schema URN.
    const SCHEMA: &'static str;

    fn id(&self) -> Option<&str>;
    fn external_id(&self) -> Option<&str>;
    fn meta(&self) -> Option<&Meta>;
    fn meta_mut(&mut self) -> &mut Option<Meta>;
    /// The URNs of the extensions this value carries data for.
    fn extension_schemas(&self) -> Vec<&'static str>;
    fn schemas_mut(&mut self) -> &mut Vec<String>;

    /// The filter that finds this resource on the server without its id, to tell whether a
    /// create whose answer was lost happened: `externalId` when it has one, else the value
    /// the server keeps unique (`userName`, `displayName`).
    fn identity_filter(&self) -> Filter;

    /// The version (ETag) the server gave this resource, for `If-Match`.
    fn version(&self) -> Option<&str> {
        self.meta().and_then(|m| m.version.as_deref())
    }

    /// Sets `schemas` to the core schema and the extensions present, as RFC 7643 §3 wants.
    fn fill_schemas(&mut self) {
        let mut schemas = vec![Self::SCHEMA.to_owned()];
        schemas.extend(self.extension_schemas().into_iter().map(str::to_owned));
        *self.schemas_mut() = schemas;
    }
}

/// A user (RFC 7643 §4.1) with the enterprise (§4.3) and Roster extensions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Roster's own id of the user, so a create whose answer was lost can be found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default)]
    pub user_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<MultiValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<MultiValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Write only: sent when set, never read back (servers do not return it).
    #[serde(
        default,
        deserialize_with = "drop_secret",
        skip_serializing_if = "Option::is_none",
        serialize_with = "expose_secret"
    )]
    pub password: Option<Secret<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<MultiValue>,
    /// Read only: the groups the server says the user is in. Never sent.
    #[serde(default, skip_serializing)]
    pub groups: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(
        default,
        rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        skip_serializing_if = "Option::is_none"
    )]
    pub enterprise: Option<EnterpriseUser>,
    #[serde(
        default,
        rename = "urn:ietf:params:scim:schemas:extension:roster:2.0:User",
        skip_serializing_if = "Option::is_none"
    )]
    pub roster: Option<RosterUser>,
    /// Attributes this type does not name (other extensions, `nickName`, `x509Certificates`,
    /// …), kept so that a replace (PUT) of a user read from the server loses none.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl User {
    /// A user with only a `userName`, and the core schema.
    pub fn new(user_name: impl Into<String>) -> User {
        User {
            schemas: vec![USER_SCHEMA.to_owned()],
            user_name: user_name.into(),
            ..User::default()
        }
    }

    /// The primary email, else the first.
    pub fn primary_email(&self) -> Option<&str> {
        primary(&self.emails)
    }

    /// The primary phone number, else the first.
    pub fn primary_phone(&self) -> Option<&str> {
        primary(&self.phone_numbers)
    }
}

fn primary(values: &[MultiValue]) -> Option<&str> {
    values
        .iter()
        .find(|v| v.primary == Some(true))
        .or_else(|| values.first())
        .map(|v| v.value.as_str())
}

impl Resource for User {
    const ENDPOINT: &'static str = "Users";
    const SCHEMA: &'static str = USER_SCHEMA;

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
    fn meta(&self) -> Option<&Meta> {
        self.meta.as_ref()
    }
    fn meta_mut(&mut self) -> &mut Option<Meta> {
        &mut self.meta
    }
    fn extension_schemas(&self) -> Vec<&'static str> {
        let mut schemas = Vec::new();
        if self.enterprise.is_some() {
            schemas.push(ENTERPRISE_USER_SCHEMA);
        }
        if self.roster.is_some() {
            schemas.push(ROSTER_USER_SCHEMA);
        }
        schemas
    }
    fn schemas_mut(&mut self) -> &mut Vec<String> {
        &mut self.schemas
    }
    fn identity_filter(&self) -> Filter {
        match &self.external_id {
            Some(external_id) => Filter::eq("externalId", external_id),
            None => Filter::eq("userName", &self.user_name),
        }
    }
}

fn expose_secret<S: Serializer>(value: &Option<Secret<String>>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(secret) => s.serialize_str(secret.expose()),
        None => s.serialize_none(),
    }
}

/// A password a server sent back anyway is dropped, never kept (nor shown by `Debug`).
fn drop_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret<String>>, D::Error> {
    serde::de::IgnoredAny::deserialize(d)?;
    Ok(None)
}

/// A user's name (RFC 7643 §4.1.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_suffix: Option<String>,
}

/// One value of a multi-valued attribute: an email, a phone number, a role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiValue {
    pub value: String,
    /// `work`, `home`, `mobile`, `other`, …
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl MultiValue {
    pub fn new(value: impl Into<String>) -> MultiValue {
        MultiValue {
            value: value.into(),
            ..MultiValue::default()
        }
    }

    /// A `work` value, marked primary.
    pub fn primary_work(value: impl Into<String>) -> MultiValue {
        MultiValue {
            value: value.into(),
            kind: Some("work".into()),
            primary: Some(true),
            display: None,
        }
    }
}

/// A reference to another resource: a group's member, a user's group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// The referenced resource's `id` (or `bulkId:…` inside a bulk request).
    pub value: String,
    #[serde(rename = "$ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// `User` or `Group` (members); `direct` or `indirect` (a user's groups).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl Reference {
    /// A member that is a user, by id (or `bulkId:…`).
    pub fn user(id: impl Into<String>) -> Reference {
        Reference {
            value: id.into(),
            kind: Some("User".into()),
            ..Reference::default()
        }
    }
}

/// What the server says about a resource (RFC 7643 §3.1). Read only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The ETag (`W/"3"`), for `If-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The enterprise extension of User (RFC 7643 §4.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Manager>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manager {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(rename = "$ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// Roster's extension of User ([`ROSTER_USER_SCHEMA`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterUser {
    /// `none`, `totp`, `email_otp`, `sms_otp`, `push`, `hardware_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_factor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_enrolled: Option<bool>,
    /// Absent: the directory's default applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_limit: Option<u32>,
    /// RFC 3339 (`2027-03-31T00:00:00Z`). Absent: the password does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_expires_at: Option<String>,
    /// The directory's: sign-ins add them. Sent back as read (so a replace keeps them);
    /// Roster changes them only by revoking ([`crate::PatchOp::revoke_session`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<Session>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_attributes: Vec<CustomAttribute>,
}

/// One sign-in session of a user (Roster extension; immutable sub-attributes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<String>,
}

/// The value of one custom attribute an admin defined in Roster, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomAttribute {
    pub name: String,
    pub value: String,
}

/// A group (RFC 7643 §4.2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl Group {
    pub fn new(display_name: impl Into<String>) -> Group {
        Group {
            schemas: vec![GROUP_SCHEMA.to_owned()],
            display_name: display_name.into(),
            ..Group::default()
        }
    }
}

impl Resource for Group {
    const ENDPOINT: &'static str = "Groups";
    const SCHEMA: &'static str = GROUP_SCHEMA;

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
    fn meta(&self) -> Option<&Meta> {
        self.meta.as_ref()
    }
    fn meta_mut(&mut self) -> &mut Option<Meta> {
        &mut self.meta
    }
    fn extension_schemas(&self) -> Vec<&'static str> {
        Vec::new()
    }
    fn schemas_mut(&mut self) -> &mut Vec<String> {
        &mut self.schemas
    }
    fn identity_filter(&self) -> Filter {
        match &self.external_id {
            Some(external_id) => Filter::eq("externalId", external_id),
            None => Filter::eq("displayName", &self.display_name),
        }
    }
}

/// One page of a query (RFC 7644 §3.4.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(default)]
    pub total_results: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_index: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_per_page: Option<u64>,
    #[serde(rename = "Resources", alias = "resources", default = "Vec::new")]
    pub resources: Vec<T>,
}

/// An error answer (RFC 7644 §3.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse {
    #[serde(default)]
    pub schemas: Vec<String>,
    /// The HTTP status, as a string (RFC 7644) or a number (some servers).
    #[serde(default, deserialize_with = "string_or_number")]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Reads `"201"` or `201` as `"201"`.
pub(crate) fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Ok(String::new()),
        other => Err(serde::de::Error::custom(format!("a status, not {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_user_reads_and_writes_scim_json() {
        let wire = json!({
            "schemas": [USER_SCHEMA, ROSTER_USER_SCHEMA, "urn:example:other"],
            "id": "2819c223",
            "externalId": "0190-abc",
            "userName": "alice",
            "name": {"givenName": "Alice", "familyName": "Liddell"},
            "emails": [{"value": "alice@example.com", "type": "work", "primary": true}],
            "phoneNumbers": [{"value": "+447400123456", "type": "work"}],
            "active": true,
            "roles": [{"value": "Auditor"}],
            "groups": [{"value": "g1", "$ref": "https://h/Groups/g1", "display": "Sales"}],
            "meta": {"resourceType": "User", "version": "W/\"3\"", "location": "https://h/Users/2819c223"},
            ROSTER_USER_SCHEMA: {
                "secondFactor": "totp", "mfaEnrolled": true, "deviceLimit": 3,
                "passwordExpiresAt": "2027-03-31T00:00:00Z",
                "sessions": [{"id": "s1", "device": "laptop"}],
                "customAttributes": [{"name": "costCenter", "value": "4200"}]
            },
            "urn:example:other": {"shoeSize": 42},
            "nickName": "Al"
        });
        let user: User = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(user.user_name, "alice");
        assert_eq!(user.primary_email(), Some("alice@example.com"));
        assert_eq!(user.groups[0].display.as_deref(), Some("Sales"));
        assert_eq!(user.version(), Some("W/\"3\""));
        let roster = user.roster.as_ref().unwrap();
        assert_eq!(roster.device_limit, Some(3));
        assert_eq!(roster.sessions[0].id, "s1");
        assert_eq!(user.other["nickName"], json!("Al"));

        // Written back: the same, less the read-only groups.
        let mut expected = wire;
        expected.as_object_mut().unwrap().remove("groups");
        assert_eq!(serde_json::to_value(&user).unwrap(), expected);
    }

    #[test]
    fn a_password_is_sent_but_never_shown_or_read() {
        let mut user = User::new("bob");
        user.password = Some(Secret::new("correct horse battery".into()));
        let json = serde_json::to_value(&user).unwrap();
        assert_eq!(json["password"], "correct horse battery");
        assert!(!format!("{user:?}").contains("correct horse"), "{user:?}");
        let read: User = serde_json::from_value(json).unwrap();
        assert!(
            read.password.is_none(),
            "a password read from the wire is dropped"
        );
    }

    #[test]
    fn fill_schemas_names_the_extensions_present() {
        let mut user = User::new("carol");
        user.roster = Some(RosterUser::default());
        user.fill_schemas();
        assert_eq!(user.schemas, [USER_SCHEMA, ROSTER_USER_SCHEMA]);
    }

    #[test]
    fn identity_filter_prefers_the_external_id() {
        let mut user = User::new("dan\"o");
        assert_eq!(
            user.identity_filter().to_string(),
            r#"userName eq "dan\"o""#
        );
        user.external_id = Some("x-1".into());
        assert_eq!(user.identity_filter().to_string(), r#"externalId eq "x-1""#);
        assert_eq!(
            Group::new("Sales").identity_filter().to_string(),
            r#"displayName eq "Sales""#
        );
    }

    #[test]
    fn an_error_status_may_be_a_number() {
        let error: ErrorResponse =
            serde_json::from_value(json!({"status": 409, "detail": "taken"})).unwrap();
        assert_eq!(error.status, "409");
    }

    #[test]
    fn the_shipped_extension_schema_describes_the_roster_attributes() {
        let schema: crate::Schema = serde_json::from_str(ROSTER_USER_EXTENSION_JSON).unwrap();
        assert_eq!(schema.id, ROSTER_USER_SCHEMA);
        let names: Vec<&str> = schema.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "secondFactor",
                "mfaEnrolled",
                "deviceLimit",
                "passwordExpiresAt",
                "sessions",
                "customAttributes"
            ]
        );
        // Every attribute of RosterUser is in the schema and the other way round.
        let full = RosterUser {
            second_factor: Some("totp".into()),
            mfa_enrolled: Some(true),
            device_limit: Some(1),
            password_expires_at: Some("2027-01-01T00:00:00Z".into()),
            sessions: vec![Session {
                id: "s".into(),
                device: Some("d".into()),
                ip: Some("i".into()),
                user_agent: Some("u".into()),
                started_at: Some("t".into()),
                last_seen_at: Some("t".into()),
            }],
            custom_attributes: vec![CustomAttribute {
                name: "n".into(),
                value: "v".into(),
            }],
        };
        let json = serde_json::to_value(&full).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), names.len());
        for attribute in &schema.attributes {
            assert!(
                json.get(&attribute.name).is_some(),
                "{} not in RosterUser",
                attribute.name
            );
            if let Some(Value::Array(values)) = json.get(&attribute.name) {
                let sub: Vec<&str> = attribute
                    .sub_attributes
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect();
                let object = values[0].as_object().unwrap();
                assert_eq!(object.len(), sub.len(), "{}", attribute.name);
                for name in sub {
                    assert!(object.contains_key(name), "{}.{name}", attribute.name);
                }
            }
        }
    }
}
