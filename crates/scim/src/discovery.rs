//! What a server says it can do (RFC 7644 §4, RFC 7643 §5–7), and the summary Roster acts on.

use serde::{Deserialize, Serialize};

use crate::model::{Meta, User, ENTERPRISE_USER_SCHEMA, ROSTER_USER_SCHEMA};
use crate::Resource;

/// `/ServiceProviderConfig` (RFC 7643 §5). Lenient: a feature a server does not mention is
/// read as unsupported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceProviderConfig {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_uri: Option<String>,
    #[serde(default)]
    pub patch: Supported,
    #[serde(default)]
    pub bulk: BulkConfig,
    #[serde(default)]
    pub filter: FilterConfig,
    #[serde(default)]
    pub change_password: Supported,
    #[serde(default)]
    pub sort: Supported,
    #[serde(default)]
    pub etag: Supported,
    #[serde(default)]
    pub authentication_schemes: Vec<AuthenticationScheme>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supported {
    #[serde(default)]
    pub supported: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkConfig {
    #[serde(default)]
    pub supported: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_operations: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_payload_size: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterConfig {
    #[serde(default)]
    pub supported: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationScheme {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

/// A schema (RFC 7643 §7), as `/Schemas` serves it and as the Roster extension is shipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    #[serde(default)]
    pub schemas: Vec<String>,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub attributes: Vec<SchemaAttribute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// One attribute of a schema (RFC 7643 §7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaAttribute {
    pub name: String,
    /// `string`, `boolean`, `decimal`, `integer`, `dateTime`, `reference`, `binary`, `complex`.
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub multi_valued: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_exact: Option<bool>,
    /// `readOnly`, `readWrite`, `immutable`, `writeOnly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutability: Option<String>,
    /// `always`, `never`, `default`, `request`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned: Option<String>,
    /// `none`, `server`, `global`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uniqueness: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<SchemaAttribute>,
}

/// A resource type (RFC 7643 §6): an endpoint, its schema and the extensions it takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceType {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub schema: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema_extensions: Vec<SchemaExtension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaExtension {
    pub schema: String,
    #[serde(default)]
    pub required: bool,
}

/// What Roster may use on a server, read from `/ServiceProviderConfig`, `/Schemas` and
/// `/ResourceTypes` ([`crate::Client::discover`]). A boundary type: the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub patch: bool,
    /// `None`: no `/Bulk`; pushes go as single requests.
    pub bulk: Option<BulkLimits>,
    pub filter: bool,
    /// The most resources the server returns in one page, when it says.
    pub max_results: Option<u64>,
    /// Whether resources carry versions for `If-Match`.
    pub etag: bool,
    pub change_password: bool,
    pub sort: bool,
    /// The ids of every schema `/Schemas` lists (empty when the server does not serve it).
    pub schemas: Vec<String>,
    /// The extensions the User resource type takes (`schemaExtensions`).
    pub user_extensions: Vec<String>,
    pub enterprise_extension: bool,
    /// Whether the server stores Roster's attributes (second factor, MFA, device limit,
    /// password expiry, sessions, custom attributes). When not, they stay local.
    pub roster_extension: bool,
    /// The `type` of each authentication scheme (`oauthbearertoken`, `httpbasic`, …).
    pub authentication_schemes: Vec<String>,
}

/// How large a `/Bulk` request may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkLimits {
    pub max_operations: usize,
    /// Bytes of the request body.
    pub max_payload_size: usize,
}

impl BulkLimits {
    /// Taken when a server supports bulk but names no limit: small enough for any server.
    pub const CAUTIOUS: BulkLimits = BulkLimits {
        max_operations: 100,
        max_payload_size: 1_048_576,
    };
}

impl Capabilities {
    /// The summary of what discovery read. `schemas` and `resource_types` are `None` when the
    /// server does not serve those endpoints: an extension then counts as present when the
    /// other one names it.
    pub fn from_discovery(
        config: &ServiceProviderConfig,
        schemas: Option<&[Schema]>,
        resource_types: Option<&[ResourceType]>,
    ) -> Capabilities {
        let schema_ids: Vec<String> = schemas
            .unwrap_or_default()
            .iter()
            .map(|s| s.id.clone())
            .collect();
        let user_extensions: Vec<String> = resource_types
            .unwrap_or_default()
            .iter()
            .filter(|t| t.schema == User::SCHEMA || t.endpoint.trim_matches('/') == User::ENDPOINT)
            .flat_map(|t| t.schema_extensions.iter().map(|e| e.schema.clone()))
            .collect();
        let has = |urn: &str| match (schemas.is_some(), resource_types.is_some()) {
            // The resource type decides: a schema the server knows but does not attach to
            // User would be refused in a user.
            (_, true) => user_extensions.iter().any(|e| e == urn),
            (true, false) => schema_ids.iter().any(|s| s == urn),
            (false, false) => false,
        };
        let bulk = config.bulk.supported.then(|| BulkLimits {
            max_operations: config
                .bulk
                .max_operations
                .map_or(BulkLimits::CAUTIOUS.max_operations, clamp_usize)
                .max(1),
            max_payload_size: config
                .bulk
                .max_payload_size
                .map_or(BulkLimits::CAUTIOUS.max_payload_size, clamp_usize),
        });
        Capabilities {
            patch: config.patch.supported,
            bulk,
            filter: config.filter.supported,
            max_results: config.filter.max_results.filter(|&n| n > 0),
            etag: config.etag.supported,
            change_password: config.change_password.supported,
            sort: config.sort.supported,
            enterprise_extension: has(ENTERPRISE_USER_SCHEMA),
            roster_extension: has(ROSTER_USER_SCHEMA),
            schemas: schema_ids,
            user_extensions,
            authentication_schemes: config
                .authentication_schemes
                .iter()
                .map(|s| s.kind.clone())
                .collect(),
        }
    }

    /// Makes `user` fit this server: drops the extensions it does not take (a server refuses
    /// attributes it does not know), then names the rest in `schemas`.
    pub fn fit_user(&self, user: &mut User) {
        if !self.roster_extension {
            user.roster = None;
        }
        if !self.enterprise_extension {
            user.enterprise = None;
        }
        user.fill_schemas();
    }
}

fn clamp_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EnterpriseUser, RosterUser};
    use serde_json::json;

    fn config() -> ServiceProviderConfig {
        serde_json::from_value(json!({
            "patch": {"supported": true},
            "bulk": {"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576},
            "filter": {"supported": true, "maxResults": 200},
            "etag": {"supported": true},
            "authenticationSchemes": [{"type": "oauthbearertoken", "name": "Bearer"}]
        }))
        .unwrap()
    }

    fn user_type(extensions: &[&str]) -> ResourceType {
        ResourceType {
            name: "User".into(),
            endpoint: "/Users".into(),
            schema: User::SCHEMA.into(),
            schema_extensions: extensions
                .iter()
                .map(|e| SchemaExtension {
                    schema: (*e).into(),
                    required: false,
                })
                .collect(),
            ..ResourceType::default()
        }
    }

    #[test]
    fn reads_the_service_provider_config() {
        let caps = Capabilities::from_discovery(&config(), None, None);
        assert!(caps.patch && caps.etag && caps.filter);
        assert!(
            !caps.change_password && !caps.sort,
            "unmentioned features are unsupported"
        );
        assert_eq!(
            caps.bulk,
            Some(BulkLimits {
                max_operations: 1000,
                max_payload_size: 1_048_576
            })
        );
        assert_eq!(caps.max_results, Some(200));
        assert_eq!(caps.authentication_schemes, ["oauthbearertoken"]);
        assert!(!caps.roster_extension);
    }

    #[test]
    fn bulk_without_limits_is_used_cautiously() {
        let mut config = config();
        config.bulk = BulkConfig {
            supported: true,
            max_operations: None,
            max_payload_size: None,
        };
        let caps = Capabilities::from_discovery(&config, None, None);
        assert_eq!(caps.bulk, Some(BulkLimits::CAUTIOUS));
        config.bulk.supported = false;
        assert_eq!(Capabilities::from_discovery(&config, None, None).bulk, None);
    }

    #[test]
    fn an_extension_counts_when_the_user_resource_type_takes_it() {
        let schemas = [
            Schema {
                id: User::SCHEMA.into(),
                ..Schema::default()
            },
            Schema {
                id: ROSTER_USER_SCHEMA.into(),
                ..Schema::default()
            },
        ];
        let types = [user_type(&[ENTERPRISE_USER_SCHEMA])];
        let caps = Capabilities::from_discovery(&config(), Some(&schemas), Some(&types));
        assert!(caps.enterprise_extension);
        assert!(
            !caps.roster_extension,
            "known as a schema but not attached to User: a user carrying it would be refused"
        );

        let types = [user_type(&[ROSTER_USER_SCHEMA])];
        let caps = Capabilities::from_discovery(&config(), Some(&schemas), Some(&types));
        assert!(caps.roster_extension);

        // Without /ResourceTypes, /Schemas decides.
        let caps = Capabilities::from_discovery(&config(), Some(&schemas), None);
        assert!(caps.roster_extension);
        assert_eq!(caps.schemas, [User::SCHEMA, ROSTER_USER_SCHEMA]);
    }

    #[test]
    fn fit_user_drops_what_the_server_does_not_take() {
        let caps = Capabilities::from_discovery(&config(), None, Some(&[user_type(&[])]));
        let mut user = User::new("a");
        user.roster = Some(RosterUser::default());
        user.enterprise = Some(EnterpriseUser::default());
        caps.fit_user(&mut user);
        assert_eq!(user.roster, None);
        assert_eq!(user.enterprise, None);
        assert_eq!(user.schemas, [User::SCHEMA]);
    }
}
