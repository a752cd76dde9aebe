//! The validated model: every name checked, every reference resolved, every derived relation
//! computed. Templates receive it as their context.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Model {
    pub tenants: BTreeMap<String, Tenant>,
    pub users: BTreeMap<String, User>,
    pub namespaces: BTreeMap<String, Namespace>,
    pub networks: BTreeMap<String, Network>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tenant {
    pub name: String,
    pub display_name: Option<String>,
    /// Names of the tenant's users, namespaces and networks, sorted.
    pub users: Vec<String>,
    pub namespaces: Vec<String>,
    pub networks: Vec<String>,
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
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub source: String,
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
    pub source: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Subnet {
    pub cidr: String,
    pub gateway: Option<String>,
}

impl Model {
    /// Users that get a `<user>-tenant-access` ClusterRole: those owning a namespace or whose
    /// tenant has a network.
    pub fn needs_tenant_access(user: &User) -> bool {
        !user.owned_namespaces.is_empty() || !user.networks.is_empty()
    }
}
