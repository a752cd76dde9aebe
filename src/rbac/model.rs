//! The RBAC objects the evaluator understands, decoded from `serde_json::Value`s.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::Value;

/// The only RBAC API version a current API server serves.
pub const RBAC_API_VERSION: &str = "rbac.authorization.k8s.io/v1";
const RBAC_API_GROUP_PREFIX: &str = "rbac.authorization.k8s.io/";

/// Where an object came from, so decisions can point at files a person can open.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectOrigin {
    /// The manifest file, e.g. `out/cluster/clusterrole/x.yaml`, or `builtin:...` for defaults.
    pub file: String,
    /// The tenants file that produced the manifest, when known.
    pub input: Option<String>,
}

impl ObjectOrigin {
    pub fn file(file: impl Into<String>) -> Self {
        ObjectOrigin {
            file: file.into(),
            input: None,
        }
    }
}

impl fmt::Display for ObjectOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.input {
            Some(input) => write!(f, "{} (from {})", self.file, input),
            None => f.write_str(&self.file),
        }
    }
}

/// One rule of a Role or ClusterRole, as written.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub verbs: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub api_groups: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub resources: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub resource_names: Vec<String>,
    #[serde(
        default,
        rename = "nonResourceURLs",
        deserialize_with = "null_as_empty"
    )]
    pub non_resource_urls: Vec<String>,
}

/// Kubernetes serializes absent lists as `null` (e.g. `rules: null` on aggregated roles).
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleKind {
    ClusterRole,
    Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BindingKind {
    ClusterRoleBinding,
    RoleBinding,
}

impl fmt::Display for RoleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RoleKind::ClusterRole => "ClusterRole",
            RoleKind::Role => "Role",
        })
    }
}

impl fmt::Display for BindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
            BindingKind::RoleBinding => "RoleBinding",
        })
    }
}

/// Label selectors, as used by `aggregationRule.clusterRoleSelectors`.
pub use crate::selector::{LabelSelector, SelectorExpression as LabelSelectorRequirement};

/// A Role or ClusterRole. `rules` are the effective rules: for a ClusterRole with an
/// `aggregationRule` they are what the aggregation controller would have written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub kind: RoleKind,
    /// Set for `Role`, `None` for `ClusterRole`.
    pub namespace: Option<String>,
    pub name: String,
    /// A ClusterRole's labels, which aggregation selects on; always empty for a Role (only
    /// ClusterRoles are aggregated), which keeps large audits smaller.
    pub labels: BTreeMap<String, String>,
    pub rules: Vec<PolicyRule>,
    /// `None` unless the object has an `aggregationRule`.
    pub aggregation_selectors: Option<Vec<LabelSelector>>,
    pub origin: ObjectOrigin,
}

impl Role {
    /// `ClusterRole/name` or `Role/namespace/name`.
    pub fn reference(&self) -> String {
        object_reference(
            &self.kind.to_string(),
            self.namespace.as_deref(),
            &self.name,
        )
    }
}

/// A subject as written in a binding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct WrittenSubject {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
}

/// The identity a binding grants to, after Kubernetes' defaulting rules.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    User(String),
    Group(String),
    ServiceAccount { namespace: String, name: String },
}

/// Prefix of service-account user names: `system:serviceaccount:NS:NAME`.
pub const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";

impl Subject {
    /// The user name (for users and service accounts) that requests carry.
    pub fn user_name(&self) -> Option<String> {
        match self {
            Subject::User(name) => Some(name.clone()),
            Subject::Group(_) => None,
            Subject::ServiceAccount { namespace, name } => {
                Some(format!("{SERVICE_ACCOUNT_USER_PREFIX}{namespace}:{name}"))
            }
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User(name) => f.write_str(name),
            Subject::Group(name) => write!(f, "group {name}"),
            Subject::ServiceAccount { namespace, name } => {
                write!(f, "serviceaccount {namespace}/{name}")
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    #[serde(default)]
    pub api_group: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub kind: BindingKind,
    /// Set for `RoleBinding`, `None` for `ClusterRoleBinding`.
    pub namespace: Option<String>,
    pub name: String,
    pub role_ref: RoleRef,
    /// Subjects that can ever match a request, in written order. Subjects Kubernetes can never
    /// match (unknown kinds, a ServiceAccount without namespace in a ClusterRoleBinding) are left out.
    pub subjects: Vec<Subject>,
    pub origin: ObjectOrigin,
}

impl Binding {
    pub fn reference(&self) -> String {
        object_reference(
            &self.kind.to_string(),
            self.namespace.as_deref(),
            &self.name,
        )
    }
}

fn object_reference(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(namespace) => format!("{kind}/{namespace}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// Applies the authorizer's subject rules: a ServiceAccount subject without namespace means the
/// binding's own namespace (so only inside RoleBindings); only User, Group and ServiceAccount
/// kinds ever match.
pub(crate) fn effective_subject(
    written: &WrittenSubject,
    binding_namespace: Option<&str>,
) -> Option<Subject> {
    match written.kind.as_str() {
        "User" => Some(Subject::User(written.name.clone())),
        "Group" => Some(Subject::Group(written.name.clone())),
        "ServiceAccount" => {
            let namespace = match written.namespace.as_deref() {
                Some(namespace) if !namespace.is_empty() => namespace,
                _ => binding_namespace.filter(|namespace| !namespace.is_empty())?,
            };
            Some(Subject::ServiceAccount {
                namespace: namespace.to_owned(),
                name: written.name.clone(),
            })
        }
        _ => None,
    }
}

/// An RBAC object decoded from a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RbacObject {
    Role(Role),
    Binding(Binding),
}

impl RbacObject {
    /// Where the object came from.
    pub fn origin(&self) -> &ObjectOrigin {
        match self {
            RbacObject::Role(role) => &role.origin,
            RbacObject::Binding(binding) => &binding.origin,
        }
    }

    pub fn origin_mut(&mut self) -> &mut ObjectOrigin {
        match self {
            RbacObject::Role(role) => &mut role.origin,
            RbacObject::Binding(binding) => &mut binding.origin,
        }
    }
}

/// Why an object that looks like RBAC could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {kind} {name:?}: {problem}")]
pub struct ObjectError {
    pub origin: ObjectOrigin,
    pub kind: String,
    pub name: String,
    pub problem: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetadata {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRole {
    metadata: RawMetadata,
    #[serde(default, deserialize_with = "null_as_empty")]
    rules: Vec<PolicyRule>,
    #[serde(default)]
    aggregation_rule: Option<RawAggregationRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAggregationRule {
    #[serde(default, deserialize_with = "null_as_empty")]
    cluster_role_selectors: Vec<LabelSelector>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBinding {
    metadata: RawMetadata,
    role_ref: RoleRef,
    #[serde(default, deserialize_with = "null_as_empty")]
    subjects: Vec<WrittenSubject>,
}

/// Decodes one object. `Ok(None)` for kinds the evaluator does not care about.
pub fn decode_rbac_object(
    object: &Value,
    origin: &ObjectOrigin,
) -> Result<Option<RbacObject>, ObjectError> {
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let error = |problem: String| ObjectError {
        origin: origin.clone(),
        kind: kind.to_owned(),
        name: name.to_owned(),
        problem,
    };
    let is_rbac_kind = matches!(
        kind,
        "ClusterRole" | "Role" | "ClusterRoleBinding" | "RoleBinding"
    );
    if !is_rbac_kind || !api_version.starts_with(RBAC_API_GROUP_PREFIX) {
        return Ok(None);
    }
    if api_version != RBAC_API_VERSION {
        return Err(error(format!(
            "apiVersion {api_version} is not served; use {RBAC_API_VERSION}"
        )));
    }
    if name.is_empty() {
        return Err(error("metadata.name is missing".to_owned()));
    }
    let namespaced = matches!(kind, "Role" | "RoleBinding");
    let namespace_of = |metadata: &RawMetadata| -> Result<Option<String>, ObjectError> {
        let namespace = metadata
            .namespace
            .clone()
            .filter(|namespace| !namespace.is_empty());
        if namespaced && namespace.is_none() {
            // Without a namespace the object would land wherever kubectl points; refuse to guess.
            return Err(error("metadata.namespace is missing".to_owned()));
        }
        Ok(if namespaced { namespace } else { None })
    };
    let decoded = match kind {
        "ClusterRole" | "Role" => {
            let raw: RawRole = serde_json::from_value(object.clone())
                .map_err(|decode_error| error(decode_error.to_string()))?;
            RbacObject::Role(Role {
                kind: if namespaced {
                    RoleKind::Role
                } else {
                    RoleKind::ClusterRole
                },
                namespace: namespace_of(&raw.metadata)?,
                name: raw.metadata.name,
                labels: if namespaced {
                    BTreeMap::new()
                } else {
                    raw.metadata.labels.unwrap_or_default()
                },
                rules: raw.rules,
                // Only ClusterRoles aggregate; the field does not exist on Role.
                aggregation_selectors: if namespaced {
                    None
                } else {
                    raw.aggregation_rule.map(|rule| rule.cluster_role_selectors)
                },
                origin: origin.clone(),
            })
        }
        _ => {
            let raw: RawBinding = serde_json::from_value(object.clone())
                .map_err(|decode_error| error(decode_error.to_string()))?;
            let namespace = namespace_of(&raw.metadata)?;
            let mut subjects: Vec<Subject> = raw
                .subjects
                .iter()
                .filter_map(|subject| effective_subject(subject, namespace.as_deref()))
                .collect();
            // Collected without knowing how many, so room for four: large audits hold tens of
            // thousands of bindings, most with one subject.
            subjects.shrink_to_fit();
            RbacObject::Binding(Binding {
                kind: if namespaced {
                    BindingKind::RoleBinding
                } else {
                    BindingKind::ClusterRoleBinding
                },
                namespace,
                name: raw.metadata.name,
                role_ref: raw.role_ref,
                subjects,
                origin: origin.clone(),
            })
        }
    };
    Ok(Some(decoded))
}

/// Splits multi-document YAML text into JSON values; empty documents are skipped.
pub fn split_yaml_documents(text: &str) -> Result<Vec<Value>, serde_saphyr::Error> {
    let documents: Vec<Value> = serde_saphyr::from_multiple(text)?;
    Ok(documents
        .into_iter()
        .filter(|document| !document.is_null())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn origin() -> ObjectOrigin {
        ObjectOrigin::file("out/x.yaml")
    }

    #[test]
    fn splits_multi_document_yaml_and_skips_empty_documents() {
        let text = "---\nkind: A\n---\n---\n# only a comment\n---\nkind: B\n";
        let documents = split_yaml_documents(text).expect("valid YAML");
        assert_eq!(documents, vec![json!({"kind": "A"}), json!({"kind": "B"})]);
    }

    #[test]
    fn ignores_other_kinds_and_rejects_unserved_rbac_versions() {
        let config_map =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
        assert_eq!(decode_rbac_object(&config_map, &origin()), Ok(None));
        let beta = json!({"apiVersion": "rbac.authorization.k8s.io/v1beta1", "kind": "Role",
            "metadata": {"name": "x", "namespace": "a"}});
        let error = decode_rbac_object(&beta, &origin()).expect_err("v1beta1 is not served");
        assert!(error.problem.contains("not served"), "{error}");
    }

    #[test]
    fn decodes_null_rules_and_defaults_service_account_namespace_to_the_binding() {
        let role = json!({"apiVersion": RBAC_API_VERSION, "kind": "ClusterRole",
            "metadata": {"name": "admin"}, "rules": null,
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}});
        let Ok(Some(RbacObject::Role(role))) = decode_rbac_object(&role, &origin()) else {
            panic!("expected a role");
        };
        assert!(role.rules.is_empty());
        assert_eq!(
            role.aggregation_selectors.map(|selectors| selectors.len()),
            Some(1)
        );

        let binding = json!({"apiVersion": RBAC_API_VERSION, "kind": "RoleBinding",
            "metadata": {"name": "b", "namespace": "team"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "deployer"},
                         {"kind": "Robot", "name": "r2d2"}]});
        let Ok(Some(RbacObject::Binding(binding))) = decode_rbac_object(&binding, &origin()) else {
            panic!("expected a binding");
        };
        assert_eq!(
            binding.subjects,
            vec![Subject::ServiceAccount {
                namespace: "team".into(),
                name: "deployer".into()
            }]
        );
    }

    #[test]
    fn service_account_without_namespace_never_matches_in_cluster_role_binding() {
        let written = WrittenSubject {
            kind: "ServiceAccount".into(),
            name: "x".into(),
            namespace: None,
        };
        assert_eq!(effective_subject(&written, None), None);
    }

    #[test]
    fn namespaced_objects_need_a_namespace() {
        let role =
            json!({"apiVersion": RBAC_API_VERSION, "kind": "Role", "metadata": {"name": "r"}});
        let error = decode_rbac_object(&role, &origin()).expect_err("namespace required");
        assert_eq!(error.problem, "metadata.namespace is missing");
    }
}
