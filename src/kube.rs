//! Kubernetes object facts: identity, scope, and strict schema checks of the kinds tenet knows,
//! using the typed structs of k8s-openapi.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What makes an object unique in a cluster. The apiVersion's version is not part of it, so a
/// version bump is a change to the same object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectIdentity {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ObjectIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Cluster,
    Namespaced,
}

/// The kinds tenet emits or expects in templates: (group, kind, served version, scope).
pub const KNOWN_KINDS: [(&str, &str, &str, Scope); 15] = [
    ("", "Namespace", "v1", Scope::Cluster),
    ("", "ServiceAccount", "v1", Scope::Namespaced),
    ("", "ResourceQuota", "v1", Scope::Namespaced),
    ("", "LimitRange", "v1", Scope::Namespaced),
    (
        "rbac.authorization.k8s.io",
        "ClusterRole",
        "v1",
        Scope::Cluster,
    ),
    (
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        "v1",
        Scope::Cluster,
    ),
    ("rbac.authorization.k8s.io", "Role", "v1", Scope::Namespaced),
    (
        "rbac.authorization.k8s.io",
        "RoleBinding",
        "v1",
        Scope::Namespaced,
    ),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "v1",
        Scope::Cluster,
    ),
    (
        "networking.k8s.io",
        "NetworkPolicy",
        "v1",
        Scope::Namespaced,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicy",
        "v1",
        Scope::Cluster,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
        "v1",
        Scope::Cluster,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        "v1",
        Scope::Cluster,
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        "v1",
        Scope::Cluster,
    ),
    (
        "networking.tenet.dev",
        "Network",
        "v1alpha1",
        Scope::Cluster,
    ),
];

/// Splits `group/version` (or a bare core `version`) into its parts.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// A problem with a rendered object, with the path of the offending field when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectProblem {
    pub path: Vec<String>,
    pub message: String,
}

impl ObjectProblem {
    fn at(path: &[&str], message: impl Into<String>) -> Self {
        ObjectProblem {
            path: path.iter().map(|s| s.to_string()).collect(),
            message: message.into(),
        }
    }
}

fn string_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

/// Reads the identity of a rendered object and checks the fields every object needs.
pub fn identity_of(value: &Value) -> Result<ObjectIdentity, ObjectProblem> {
    if !value.is_object() {
        return Err(ObjectProblem::at(
            &[],
            "a Kubernetes object must be a mapping",
        ));
    }
    let api_version = string_at(value, &["apiVersion"]).ok_or_else(|| {
        ObjectProblem::at(&["apiVersion"], "the object has no `apiVersion` string")
    })?;
    let kind = string_at(value, &["kind"])
        .ok_or_else(|| ObjectProblem::at(&["kind"], "the object has no `kind` string"))?;
    let name = string_at(value, &["metadata", "name"])
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ObjectProblem::at(&["metadata"], "the object has no `metadata.name`"))?;
    let namespace = string_at(value, &["metadata", "namespace"]).map(str::to_string);
    let (group, version) = split_api_version(api_version);
    if let Some((_, _, served, scope)) = KNOWN_KINDS
        .iter()
        .find(|(g, k, _, _)| *g == group && *k == kind)
    {
        if version != *served {
            let want = if group.is_empty() {
                served.to_string()
            } else {
                format!("{group}/{served}")
            };
            return Err(ObjectProblem::at(
                &["apiVersion"],
                format!("{kind} is served as `{want}`, not `{api_version}`"),
            ));
        }
        match (scope, &namespace) {
            (Scope::Namespaced, None) => {
                return Err(ObjectProblem::at(
                    &["metadata"],
                    format!("{kind} is namespaced, but the object has no `metadata.namespace`"),
                ));
            }
            (Scope::Cluster, Some(_)) => {
                return Err(ObjectProblem::at(
                    &["metadata", "namespace"],
                    format!("{kind} is cluster-scoped and cannot have `metadata.namespace`"),
                ));
            }
            _ => {}
        }
    }
    Ok(ObjectIdentity {
        group: group.to_string(),
        kind: kind.to_string(),
        namespace,
        name: name.to_string(),
    })
}

/// The custom resource tenet defines for networks (see `templates/cluster.yaml.j2`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NetworkObject {
    api_version: String,
    kind: String,
    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    spec: NetworkObjectSpec,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NetworkObjectSpec {
    tenant: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    subnets: Option<Vec<NetworkObjectSubnet>>,
    #[serde(rename = "providerNetworkID", skip_serializing_if = "Option::is_none")]
    provider_network_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkObjectSubnet {
    cidr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway: Option<String>,
}

/// Checks a known kind against its Kubernetes schema: wrong types and unknown (e.g.
/// misspelled) fields are problems. Unknown kinds pass unchecked.
pub fn check_schema(identity: &ObjectIdentity, value: &Value) -> Result<(), ObjectProblem> {
    use k8s_openapi::api::{
        admissionregistration::v1 as admission, core::v1 as core, networking::v1 as networking,
        rbac::v1 as rbac,
    };
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
    match (identity.group.as_str(), identity.kind.as_str()) {
        ("", "Namespace") => check_typed::<core::Namespace>(value),
        ("", "ServiceAccount") => check_typed::<core::ServiceAccount>(value),
        ("", "ResourceQuota") => check_typed::<core::ResourceQuota>(value),
        ("", "LimitRange") => check_typed::<core::LimitRange>(value),
        ("rbac.authorization.k8s.io", "ClusterRole") => check_typed::<rbac::ClusterRole>(value),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => {
            check_typed::<rbac::ClusterRoleBinding>(value)
        }
        ("rbac.authorization.k8s.io", "Role") => check_typed::<rbac::Role>(value),
        ("rbac.authorization.k8s.io", "RoleBinding") => check_typed::<rbac::RoleBinding>(value),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            check_typed::<apiextensions::CustomResourceDefinition>(value)
        }
        ("networking.k8s.io", "NetworkPolicy") => check_typed::<networking::NetworkPolicy>(value),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => {
            check_typed::<admission::ValidatingAdmissionPolicy>(value)
        }
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => {
            check_typed::<admission::ValidatingAdmissionPolicyBinding>(value)
        }
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => {
            check_typed::<admission::ValidatingWebhookConfiguration>(value)
        }
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => {
            check_typed::<admission::MutatingWebhookConfiguration>(value)
        }
        ("networking.tenet.dev", "Network") => check_typed::<NetworkObject>(value),
        _ => Ok(()),
    }
}

/// Deserializes into the typed struct (catching wrong types, with the field path), then
/// serializes back: any field of the input missing from the round trip is one the type does
/// not know.
fn check_typed<T: DeserializeOwned + Serialize>(value: &Value) -> Result<(), ObjectProblem> {
    let typed: T = serde_path_to_error::deserialize(value.clone()).map_err(|err| {
        let path: Vec<String> = err
            .path()
            .iter()
            .map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => index.to_string(),
                other => other.to_string(),
            })
            .filter(|s| s != "?")
            .collect();
        ObjectProblem {
            path,
            message: err.inner().to_string(),
        }
    })?;
    let round_trip =
        serde_json::to_value(&typed).map_err(|err| ObjectProblem::at(&[], err.to_string()))?;
    let mut path = Vec::new();
    match first_unknown_field(value, &round_trip, &mut path) {
        Some(field) => Err(ObjectProblem {
            message: format!("unknown field `{}`", field.join(".")),
            path: field,
        }),
        None => Ok(()),
    }
}

fn first_unknown_field(
    original: &Value,
    known: &Value,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    match (original, known) {
        (Value::Object(original), Value::Object(known)) => {
            for (key, value) in original {
                if value.is_null() {
                    continue;
                }
                path.push(key.clone());
                let found = match known.get(key) {
                    None => Some(path.clone()),
                    Some(known_value) => first_unknown_field(value, known_value, path),
                };
                path.pop();
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        (Value::Array(original), Value::Array(known)) => {
            for (index, (value, known_value)) in original.iter().zip(known).enumerate() {
                path.push(index.to_string());
                let found = first_unknown_field(value, known_value, path);
                path.pop();
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn catches_misspelled_fields_and_wrong_types() {
        let good = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r", "namespace": "n"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]});
        let id = identity_of(&good).unwrap();
        assert_eq!(check_schema(&id, &good), Ok(()));

        let misspelled = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r", "namespace": "n"},
            "rules": [{"apiGroups": [""], "resource": ["pods"], "verbs": ["get"]}]});
        let problem = check_schema(&id, &misspelled).unwrap_err();
        assert_eq!(problem.path, vec!["rules", "0", "resource"]);

        let wrong_type = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r", "namespace": "n"},
            "rules": [{"apiGroups": [""], "resources": "pods", "verbs": ["get"]}]});
        let problem = check_schema(&id, &wrong_type).unwrap_err();
        assert_eq!(problem.path, vec!["rules", "0", "resources"]);
    }

    #[test]
    fn checks_scope_and_version() {
        let no_ns = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"}});
        assert!(
            identity_of(&no_ns)
                .unwrap_err()
                .message
                .contains("namespaced")
        );
        let old = json!({"apiVersion": "rbac.authorization.k8s.io/v1beta1", "kind": "ClusterRole", "metadata": {"name": "r"}});
        assert!(
            identity_of(&old)
                .unwrap_err()
                .message
                .contains("rbac.authorization.k8s.io/v1")
        );
        let ns_on_cluster = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "namespace": "b"}});
        assert!(identity_of(&ns_on_cluster).is_err());
    }
}
