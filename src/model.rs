//! The validated model: every name checked, every reference resolved, every derived relation
//! computed. Templates receive it as their context.

use std::collections::BTreeMap;

use litemap::LiteMap;

use serde::Serialize;

use crate::diagnostic::Span;
use crate::selector::LabelSelector;

/// A small map of text to text (labels, annotations, quantities), kept sorted by key in one
/// vector: models of tens of thousands of namespaces hold several per namespace, and a
/// `BTreeMap` allocates a node of about half a kilobyte for the first entry. Templates see a
/// mapping, as they would of a `BTreeMap` (an empty `LiteMap` would serialize as a list).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct StringMap(LiteMap<String, String>);

impl std::ops::Deref for StringMap {
    type Target = LiteMap<String, String>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FromIterator<(String, String)> for StringMap {
    /// Sorted by key; of two equal keys the last one counts, as in a `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (String, String)>>(entries: I) -> Self {
        StringMap(entries.into_iter().collect())
    }
}

impl Serialize for StringMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter())
    }
}

impl<'de> serde::Deserialize<'de> for StringMap {
    /// A mapping, as a `BTreeMap` reads it.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map: BTreeMap<String, String> = serde::Deserialize::deserialize(deserializer)?;
        Ok(map.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a StringMap {
    type Item = (&'a String, &'a String);
    type IntoIter =
        <Vec<(String, String)> as litemap::store::StoreIterable<'a, String, String>>::KeyValueIter;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Model {
    pub tenants: BTreeMap<String, Tenant>,
    pub users: BTreeMap<String, User>,
    pub namespaces: BTreeMap<String, Namespace>,
    pub networks: BTreeMap<String, Network>,
    pub settings: Settings,
    pub exceptions: Vec<Exception>,
    /// Member roles naming custom ClusterRoles: they must exist in the rendered output or be
    /// allowed by the settings, which only the pipeline can tell after rendering.
    #[serde(skip)]
    pub custom_role_references: Vec<RoleReference>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleReference {
    pub role: String,
    pub file: String,
    pub span: Span,
}

/// An accepted audit finding (see `audit`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Exception {
    pub name: String,
    /// As `tenet audit` names subjects: `alice@acme.example`, `group ops`,
    /// `serviceaccount ns/name` or `namespace ns`.
    pub subject: String,
    pub invariant: String,
    pub permission: String,
    pub reason: String,
    /// YYYY-MM-DD, the last day it applies.
    pub expires: String,
    pub source: String,
}

/// The cluster-wide settings document (all defaults when there is none).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Settings {
    /// The identities that apply `out/`, as RBAC subjects.
    pub appliers: Vec<Subject>,
    /// The usernames and groups of those identities, for the admission policy's CEL.
    pub applier_usernames: Vec<String>,
    pub applier_groups: Vec<String>,
    pub allowed_cluster_roles: Vec<String>,
    pub source: Option<String>,
}

/// An RBAC subject, ready for a binding's `subjects` list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    pub name: String,
    /// Only for service accounts.
    pub namespace: Option<String>,
    /// `rbac.authorization.k8s.io` for users and groups, empty for service accounts.
    pub api_group: String,
}

impl Subject {
    pub fn user(name: &str) -> Subject {
        Subject {
            kind: "User".into(),
            name: name.into(),
            namespace: None,
            api_group: "rbac.authorization.k8s.io".into(),
        }
    }

    pub fn group(name: &str) -> Subject {
        Subject {
            kind: "Group".into(),
            ..Subject::user(name)
        }
    }

    pub fn service_account(namespace: &str, name: &str) -> Subject {
        Subject {
            kind: "ServiceAccount".into(),
            name: name.into(),
            namespace: Some(namespace.into()),
            api_group: String::new(),
        }
    }

    /// The username the API server gives a service account.
    pub fn username(&self) -> Option<String> {
        match (self.kind.as_str(), &self.namespace) {
            ("User", _) => Some(self.name.clone()),
            ("ServiceAccount", Some(ns)) => {
                Some(format!("system:serviceaccount:{ns}:{}", self.name))
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tenant {
    pub name: String,
    pub display_name: Option<String>,
    /// Names of the tenant's users, namespaces and networks, sorted.
    pub users: Vec<String>,
    pub namespaces: Vec<String>,
    pub networks: Vec<String>,
    /// Users who are admin in every namespace of the tenant, and their usernames.
    pub admins: Vec<String>,
    pub admin_usernames: Vec<String>,
    pub bind_default_service_account: bool,
    /// Tenant-wide quota ceiling, quantities in canonical form.
    pub quota: StringMap,
    pub max_namespaces: Option<u32>,
    /// The input file that declared it, as `tenants/<path>`.
    pub source: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub tenant: String,
    /// The name the API server authenticates; `metadata.name` unless given.
    pub username: String,
    pub display_name: Option<String>,
    /// Namespaces that list this user as an owner, sorted.
    pub owned_namespaces: Vec<String>,
    /// The networks of the user's tenant, sorted.
    pub networks: Vec<String>,
    /// Groups the identity provider puts the user in, sorted.
    pub groups: Vec<String>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub tenant: String,
    /// Owners as user names, sorted, and the usernames they authenticate as, in the same order.
    pub owners: Vec<String>,
    pub owner_usernames: Vec<String>,
    pub network: Option<String>,
    pub labels: StringMap,
    pub annotations: StringMap,
    /// One RoleBinding per member role, subjects sorted.
    pub member_bindings: Vec<MemberBinding>,
    pub service_accounts: Vec<String>,
    /// ResourceQuota `tenet-quota`, quantities in canonical form; empty for none.
    pub quota: StringMap,
    /// LimitRange `tenet-limits`, if any.
    pub limits: Option<Limits>,
    /// Namespaces allowed to send traffic in, as namespace selectors for the NetworkPolicy.
    pub ingress_from: Vec<LabelSelector>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MemberBinding {
    /// The RoleBinding's name, `tenet-member-<role>`.
    pub name: String,
    /// The ClusterRole it binds.
    pub role: String,
    pub subjects: Vec<Subject>,
}

/// Container defaults and bounds for a LimitRange, quantities in canonical form.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Limits {
    pub default: StringMap,
    pub default_request: StringMap,
    pub max: StringMap,
    pub min: StringMap,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Network {
    pub name: String,
    pub tenant: String,
    pub subnets: Vec<Subnet>,
    #[serde(rename = "provider_network_id")]
    pub provider_network_id: Option<String>,
    /// Namespaces attached to this network, sorted.
    pub namespaces: Vec<String>,
    /// Namespaces outside the network that may reach it, as namespace selectors.
    pub allow_from: Vec<LabelSelector>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Subnet {
    pub cidr: String,
    pub gateway: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Templates read these maps as mappings, empty or not, in key order; a later duplicate
    /// key replaces an earlier one, as it would in a `BTreeMap`.
    #[test]
    fn string_maps_serialize_like_btree_maps() {
        let pairs = [("b", "2"), ("a", "1"), ("b", "3")]
            .map(|(key, value)| (key.to_string(), value.to_string()));
        let map: StringMap = pairs.iter().cloned().collect();
        let btree: BTreeMap<String, String> = pairs.iter().cloned().collect();
        assert_eq!(
            serde_json::to_string(&map).unwrap(),
            serde_json::to_string(&btree).unwrap()
        );
        assert_eq!(serde_json::to_string(&map).unwrap(), r#"{"a":"1","b":"3"}"#);
        assert_eq!(serde_json::to_string(&StringMap::default()).unwrap(), "{}");
        let value = minijinja::Value::from(minijinja::value::Serde(StringMap::default()));
        assert_eq!(value.kind(), minijinja::value::ValueKind::Map);
        // Read back from a mapping, in key order.
        let read: StringMap = serde_json::from_str(r#"{"b":"3","a":"1"}"#).unwrap();
        assert_eq!(read, map);
        assert!(serde_json::from_str::<StringMap>(r#"["a"]"#).is_err());
        // Ordered as B-trees are (selectors are sorted by them).
        let (smaller, larger) = (
            [("a", "1"), ("c", "0")].map(|(key, value)| (key.to_string(), value.to_string())),
            [("a", "2")].map(|(key, value)| (key.to_string(), value.to_string())),
        );
        let as_map = |pairs: &[(String, String)]| pairs.iter().cloned().collect::<StringMap>();
        let as_btree =
            |pairs: &[(String, String)]| pairs.iter().cloned().collect::<BTreeMap<_, _>>();
        assert_eq!(
            as_map(&smaller).cmp(&as_map(&larger)),
            as_btree(&smaller).cmp(&as_btree(&larger))
        );
    }
}
