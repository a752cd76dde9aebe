//! Stage 6, `audit`: prove tenet's tenancy invariants on the output itself, with the RBAC
//! evaluator, so what is checked is what Argo CD or Flux will apply (including the output of a
//! user's own templates).
//!
//! 1. `cross-tenant`: no subject bound by a tenant's objects can act in a namespace of another
//!    tenant, or in one that belongs to no tenant (a cluster-wide grant on namespaced
//!    resources acts in all of them).
//! 2. `risky-permission`: no tenant subject holds anything on the risky list (see
//!    [`RISKS`]) at cluster scope or outside its tenant's namespaces. Inside its own
//!    namespaces a tenant may hold anything: that is what the owners' Role is for.
//! 3. `missing-role`: no binding references a role that exists neither in the output nor among
//!    Kubernetes' built-ins (nor in the Settings' allowed list).
//! 4. `namespace-ownership`: no user can delete, update or patch a namespace they do not own.
//! 5. `network-isolation`: no traffic from one tenant's namespace to another's unless both
//!    sides declare it, and no tenant namespace left open.
//!
//! A finding can be accepted by an `Exception` document until its expiry date.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::model::Exception;
use crate::netpolicy::{Admission, NetworkObject, NetworkView};
use crate::rbac::{
    Action, Binding, Evaluator, EvaluatorBuilder, ObjectOrigin, PolicyRule, RbacObject,
    ResourceAction, Role, Subject, decode_rbac_object, rule_allows,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invariant {
    CrossTenant,
    RiskyPermission,
    MissingRole,
    NamespaceOwnership,
    NetworkIsolation,
}

impl Invariant {
    pub fn name(self) -> &'static str {
        match self {
            Invariant::CrossTenant => "cross-tenant",
            Invariant::RiskyPermission => "risky-permission",
            Invariant::MissingRole => "missing-role",
            Invariant::NamespaceOwnership => "namespace-ownership",
            Invariant::NetworkIsolation => "network-isolation",
        }
    }
}

/// One violation: who, what, through which binding and role, and which input caused it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub invariant: Invariant,
    /// `alice@acme.example`, `group ops`, `serviceaccount ns/name` or `namespace ns`.
    pub subject: String,
    /// What the subject can do, e.g. `create on pods/exec in globex-web`. Exceptions quote it.
    pub permission: String,
    pub detail: String,
    pub binding: Option<String>,
    pub role: Option<String>,
    /// The output file and, when known, the input file behind the binding (or policy).
    pub source: Option<String>,
    /// The exception that accepts this finding, if any.
    pub excepted_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Violations no exception accepts: any makes `generate` fail.
    pub findings: Vec<Finding>,
    /// Violations accepted by an unexpired exception.
    pub excepted: Vec<Finding>,
    /// Notes that do not fail the run (expired or unused exceptions, unprotected objects).
    pub warnings: Vec<String>,
}

impl AuditReport {
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }
}

/// What the audit knows besides the manifests: facts from the validated input.
#[derive(Debug, Clone, Default)]
pub struct TenancyFacts {
    /// Username → groups the identity provider gives that user.
    pub user_groups: BTreeMap<String, Vec<String>>,
    /// Namespace → usernames of its owners. Empty when unknown (then invariant 4 is checked
    /// against no ownership at all, so every namespace write by a user is reported).
    pub namespace_owners: BTreeMap<String, BTreeSet<String>>,
    pub allowed_cluster_roles: BTreeSet<String>,
    pub exceptions: Vec<Exception>,
    /// Today's date, `YYYY-MM-DD`, for exception expiry.
    pub today: String,
}

impl TenancyFacts {
    pub fn from_model(model: &crate::model::Model, today: &str) -> TenancyFacts {
        TenancyFacts {
            user_groups: model
                .users
                .values()
                .map(|u| (u.username.clone(), u.groups.clone()))
                .collect(),
            namespace_owners: model
                .namespaces
                .values()
                .map(|n| (n.name.clone(), n.owner_usernames.iter().cloned().collect()))
                .collect(),
            allowed_cluster_roles: model
                .settings
                .allowed_cluster_roles
                .iter()
                .cloned()
                .collect(),
            exceptions: model.exceptions.clone(),
            today: today.to_string(),
        }
    }
}

/// Resources that exist only at cluster scope. A cluster-wide grant on any other resource
/// (or on `*`) reaches into every namespace.
pub const CLUSTER_SCOPED_RESOURCES: [&str; 30] = [
    "namespaces",
    "nodes",
    "persistentvolumes",
    "componentstatuses",
    "clusterroles",
    "clusterrolebindings",
    "customresourcedefinitions",
    "apiservices",
    "certificatesigningrequests",
    "signers",
    "storageclasses",
    "csidrivers",
    "csinodes",
    "volumeattachments",
    "priorityclasses",
    "runtimeclasses",
    "ingressclasses",
    "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "flowschemas",
    "prioritylevelconfigurations",
    "tokenreviews",
    "subjectaccessreviews",
    "selfsubjectaccessreviews",
    "selfsubjectrulesreviews",
    "selfsubjectreviews",
    "podsecuritypolicies",
    "networks",
];

/// One entry of the risky list: a name, requests that show it, and where it is risky.
pub struct Risk {
    pub name: &'static str,
    probes: &'static [(&'static str, &'static str, &'static str, &'static str)],
    /// Risky wherever it is granted outside the tenant's own namespaces (else only at cluster
    /// scope).
    outside_own_namespaces: bool,
}

/// The risky list: (verb, API group, resource, subresource) probes per entry.
pub const RISKS: [Risk; 8] = [
    Risk {
        name: "escalate, bind or impersonate",
        probes: &[
            ("escalate", "rbac.authorization.k8s.io", "clusterroles", ""),
            ("escalate", "rbac.authorization.k8s.io", "roles", ""),
            ("bind", "rbac.authorization.k8s.io", "clusterroles", ""),
            ("bind", "rbac.authorization.k8s.io", "roles", ""),
            ("impersonate", "", "users", ""),
            ("impersonate", "", "groups", ""),
            ("impersonate", "", "serviceaccounts", ""),
            ("impersonate", "authentication.k8s.io", "userextras", ""),
            ("impersonate", "authentication.k8s.io", "uids", ""),
        ],
        outside_own_namespaces: true,
    },
    Risk {
        name: "read secrets",
        probes: &[
            ("get", "", "secrets", ""),
            ("list", "", "secrets", ""),
            ("watch", "", "secrets", ""),
        ],
        outside_own_namespaces: false,
    },
    Risk {
        name: "proxy to nodes (nodes/proxy)",
        probes: &[
            ("get", "", "nodes", "proxy"),
            ("create", "", "nodes", "proxy"),
        ],
        outside_own_namespaces: false,
    },
    Risk {
        name: "exec into, attach to or add ephemeral containers to pods",
        probes: &[
            ("create", "", "pods", "exec"),
            ("get", "", "pods", "exec"),
            ("create", "", "pods", "attach"),
            ("get", "", "pods", "attach"),
            ("patch", "", "pods", "ephemeralcontainers"),
            ("update", "", "pods", "ephemeralcontainers"),
        ],
        outside_own_namespaces: true,
    },
    Risk {
        name: "request service account tokens",
        probes: &[("create", "", "serviceaccounts", "token")],
        outside_own_namespaces: true,
    },
    Risk {
        name: "approve CertificateSigningRequests",
        probes: &[
            (
                "update",
                "certificates.k8s.io",
                "certificatesigningrequests",
                "approval",
            ),
            (
                "patch",
                "certificates.k8s.io",
                "certificatesigningrequests",
                "approval",
            ),
            ("approve", "certificates.k8s.io", "signers", ""),
        ],
        outside_own_namespaces: false,
    },
    Risk {
        name: "write admission webhooks, CRDs, ClusterRoles or ClusterRoleBindings",
        probes: &[
            (
                "create",
                "admissionregistration.k8s.io",
                "validatingwebhookconfigurations",
                "",
            ),
            (
                "update",
                "admissionregistration.k8s.io",
                "validatingwebhookconfigurations",
                "",
            ),
            (
                "patch",
                "admissionregistration.k8s.io",
                "validatingwebhookconfigurations",
                "",
            ),
            (
                "delete",
                "admissionregistration.k8s.io",
                "validatingwebhookconfigurations",
                "",
            ),
            (
                "create",
                "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations",
                "",
            ),
            (
                "update",
                "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations",
                "",
            ),
            (
                "patch",
                "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations",
                "",
            ),
            (
                "delete",
                "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations",
                "",
            ),
            (
                "create",
                "apiextensions.k8s.io",
                "customresourcedefinitions",
                "",
            ),
            (
                "update",
                "apiextensions.k8s.io",
                "customresourcedefinitions",
                "",
            ),
            (
                "patch",
                "apiextensions.k8s.io",
                "customresourcedefinitions",
                "",
            ),
            (
                "delete",
                "apiextensions.k8s.io",
                "customresourcedefinitions",
                "",
            ),
            ("create", "rbac.authorization.k8s.io", "clusterroles", ""),
            ("update", "rbac.authorization.k8s.io", "clusterroles", ""),
            ("patch", "rbac.authorization.k8s.io", "clusterroles", ""),
            ("delete", "rbac.authorization.k8s.io", "clusterroles", ""),
            (
                "create",
                "rbac.authorization.k8s.io",
                "clusterrolebindings",
                "",
            ),
            (
                "update",
                "rbac.authorization.k8s.io",
                "clusterrolebindings",
                "",
            ),
            (
                "patch",
                "rbac.authorization.k8s.io",
                "clusterrolebindings",
                "",
            ),
            (
                "delete",
                "rbac.authorization.k8s.io",
                "clusterrolebindings",
                "",
            ),
        ],
        outside_own_namespaces: false,
    },
    Risk {
        name: "use `*` verbs or resources",
        probes: &[],
        outside_own_namespaces: false,
    },
];

fn probe(
    rule: &PolicyRule,
    (verb, group, resource, subresource): (&str, &str, &str, &str),
) -> bool {
    rule_allows(
        rule,
        &Action::Resource(ResourceAction {
            verb: verb.into(),
            api_group: group.into(),
            resource: resource.into(),
            subresource: subresource.into(),
            namespace: None,
            name: None,
        }),
    )
}

/// Which risks a rule carries. `outside_own` says whether the grant applies outside the
/// tenant's namespaces; `cluster` whether it comes from a ClusterRoleBinding.
fn risks_of(rule: &PolicyRule, cluster: bool, outside_own: bool) -> Vec<&'static str> {
    let mut found = Vec::new();
    for risk in &RISKS {
        let applies = cluster || (risk.outside_own_namespaces && outside_own);
        if !applies {
            continue;
        }
        let hit = if risk.probes.is_empty() {
            cluster
                && (rule.verbs.iter().any(|v| v == "*") || rule.resources.iter().any(|r| r == "*"))
        } else {
            risk.probes.iter().any(|p| probe(rule, *p))
        };
        if hit {
            found.push(risk.name);
        }
    }
    found
}

fn covers_namespaced_resource(rule: &PolicyRule) -> bool {
    rule.resources.iter().any(|resource| {
        let base = resource.split('/').next().unwrap_or(resource);
        base == "*" || !CLUSTER_SCOPED_RESOURCES.contains(&base)
    })
}

/// `verbs on resources [(groups)] [named ...] scope`, the stable text of a permission.
pub fn describe_rule(rule: &PolicyRule, scope: Option<&str>) -> String {
    let mut text = format!("{} on {}", rule.verbs.join(", "), rule.resources.join(", "));
    if rule.api_groups.iter().any(|g| !g.is_empty()) {
        let groups: Vec<&str> = rule
            .api_groups
            .iter()
            .map(|g| if g.is_empty() { "core" } else { g.as_str() })
            .collect();
        text.push_str(&format!(" (groups {})", groups.join(", ")));
    }
    if !rule.resource_names.is_empty() {
        text.push_str(&format!(" named {}", rule.resource_names.join(", ")));
    }
    match scope {
        Some(namespace) => text.push_str(&format!(" in {namespace}")),
        None => text.push_str(" cluster-wide"),
    }
    text
}

fn origin_text(origin: &ObjectOrigin) -> String {
    origin.to_string()
}

const TENANT_LABEL: &str = "tenet.dev/tenant";

/// The kinds whose objects the admission policy `tenet-protect-managed-objects` guards.
const GUARDED_KINDS: [&str; 3] = ["NetworkPolicy", "ResourceQuota", "LimitRange"];

/// What the audit reads from one object, taken out of it right after rendering so that the
/// object itself need not be kept: its RBAC content, its Namespace labels or NetworkPolicy
/// rules, its tenant label, and whether the admission policy concerns it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPart {
    /// The object's `tenet.dev/tenant` label.
    tenant: Option<String>,
    /// The object's name when it is a Namespace (of any API version).
    namespace_name: Option<String>,
    /// The Role, ClusterRole or binding, as the evaluator decodes it. Objects the evaluator
    /// refuses (e.g. v1beta1 RBAC) grant nothing on a real cluster either, so they count as
    /// none; the schema check reports them for tenet's own output. Boxed, like `network`:
    /// a large run holds a part for most objects, and most parts hold neither.
    rbac: Option<Box<RbacObject>>,
    network: Option<Box<NetworkObject>>,
    /// The namespace of a NetworkPolicy, ResourceQuota or LimitRange.
    guarded_namespace: Option<String>,
    /// Whether the object binds the admission policy that guards those.
    protection: bool,
}

impl AuditPart {
    /// The audit's part of `object`; `None` when the audit does not read the object at all.
    pub fn of(object: &Value, origin: &ObjectOrigin) -> Option<AuditPart> {
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let namespace = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str);
        let part = AuditPart {
            tenant: object
                .pointer("/metadata/labels")
                .and_then(|labels| labels.get(TENANT_LABEL))
                .and_then(Value::as_str)
                .map(str::to_string),
            namespace_name: (kind == "Namespace")
                .then(|| object.pointer("/metadata/name").and_then(Value::as_str))
                .flatten()
                .map(str::to_string),
            rbac: decode_rbac_object(object, origin)
                .ok()
                .flatten()
                .map(Box::new),
            network: NetworkObject::of(object).map(Box::new),
            guarded_namespace: namespace
                .filter(|_| GUARDED_KINDS.contains(&kind))
                .map(str::to_string),
            protection: kind == "ValidatingAdmissionPolicyBinding"
                && object.pointer("/spec/policyName").and_then(Value::as_str)
                    == Some("tenet-protect-managed-objects"),
        };
        let read = part.namespace_name.is_some()
            || part.rbac.is_some()
            || part.network.is_some()
            || part.guarded_namespace.is_some()
            || part.protection;
        read.then_some(part)
    }

    /// The name of the Namespace this part is of, and its tenant, when it is a Namespace with a
    /// `tenet.dev/tenant` label.
    pub fn namespace_tenant(&self) -> Option<(&str, &str)> {
        Some((self.namespace_name.as_deref()?, self.tenant.as_deref()?))
    }

    /// The Role, ClusterRole or binding in this part, if any.
    pub fn rbac(&self) -> Option<&RbacObject> {
        self.rbac.as_deref()
    }

    /// Puts `prefix` (e.g. `out/`) before the file its RBAC object came from, for objects
    /// taken out of a plan whose paths are relative.
    pub fn prefix_origin(&mut self, prefix: &str) {
        if let Some(rbac) = &mut self.rbac {
            rbac.origin_mut().file.insert_str(0, prefix);
        }
    }
}

/// An evaluator, with Kubernetes' built-in roles and bindings, over the RBAC objects of these
/// parts (for the access changes of `tenet diff`).
pub fn evaluator_over<'p>(parts: impl IntoIterator<Item = &'p AuditPart>) -> Evaluator {
    Evaluator::from_decoded(parts.into_iter().filter_map(AuditPart::rbac).cloned())
}

/// Runs every invariant over a manifest set.
pub fn audit(objects: &[(&Value, ObjectOrigin)], facts: &TenancyFacts) -> AuditReport {
    let parts: Vec<AuditPart> = objects
        .iter()
        .filter_map(|(object, origin)| AuditPart::of(object, origin))
        .collect();
    audit_parts(parts, facts)
}

/// Runs every invariant over the audit's parts of a manifest set (see [`AuditPart`]).
pub fn audit_parts(
    parts: impl IntoIterator<Item = AuditPart>,
    facts: &TenancyFacts,
) -> AuditReport {
    audit_parts_then(parts, facts, drop).0
}

/// [`audit_parts`], handing the evaluator of the parts' RBAC objects (with Kubernetes'
/// built-ins, as [`evaluator_over`] makes it) to `then` once the RBAC invariants are checked,
/// before the network ones: `tenet diff` compares access with it instead of building the same
/// evaluator again.
pub fn audit_parts_then<T>(
    parts: impl IntoIterator<Item = AuditPart>,
    facts: &TenancyFacts,
    then: impl FnOnce(Evaluator) -> T,
) -> (AuditReport, T) {
    // Facts read from the objects: which tenant each namespace and each binding belongs to,
    // and what the admission policy guards.
    let mut namespace_tenant: BTreeMap<String, String> = BTreeMap::new();
    // The tenant label of each binding the evaluator took, by its index in
    // `Evaluator::bindings` (the order they were added in).
    let mut binding_tenants: Vec<Option<String>> = Vec::new();
    let mut guarded_namespaces: BTreeSet<String> = BTreeSet::new();
    let mut protected = false;
    let mut network_objects = Vec::new();
    let mut builder = EvaluatorBuilder::new();
    for part in parts {
        protected |= part.protection;
        guarded_namespaces.extend(part.guarded_namespace);
        network_objects.extend(part.network.map(|network| *network));
        if let (Some(tenant), Some(name)) = (&part.tenant, part.namespace_name) {
            namespace_tenant.insert(name, tenant.clone());
        }
        if let Some(rbac) = part.rbac.map(|rbac| *rbac) {
            let is_binding = matches!(rbac, RbacObject::Binding(_));
            if builder.add_decoded(rbac).is_ok() && is_binding {
                binding_tenants.push(part.tenant);
            }
        }
    }
    let mut findings: BTreeSet<Finding> = BTreeSet::new();
    // The RBAC invariants first, so that the evaluator is gone (`then` takes it; `audit_parts`
    // drops it) before the network view is built.
    let evaluator = builder.build();
    rbac_findings(
        &evaluator,
        &binding_tenants,
        &namespace_tenant,
        facts,
        &mut findings,
    );
    drop(binding_tenants);
    let kept = then(evaluator);
    network_findings(&network_objects, &namespace_tenant, &mut findings);
    drop(network_objects);

    let mut report = AuditReport::default();
    apply_exceptions(findings, facts, &mut report);
    // Without the admission policy, RBAC alone cannot stop a namespace's owners from deleting
    // its isolation or raising its quota: say so.
    let guarded = guarded_namespaces
        .iter()
        .any(|namespace| namespace_tenant.contains_key(namespace));
    if guarded && !protected {
        report.warnings.push("no admission policy protects what tenet manages: a namespace's owners can delete its tenet-isolation NetworkPolicy or raise its quota until the GitOps controller reverts it; name the appliers of out/ in a Settings document".to_string());
    }
    (report, kept)
}

/// The RBAC invariants (cross-tenant, risky-permission, missing-role, namespace-ownership)
/// over the evaluator of a manifest set, given the tenant label of each of its bindings (by
/// index; the built-ins come after them) and each namespace's tenant.
fn rbac_findings(
    evaluator: &Evaluator,
    binding_tenants: &[Option<String>],
    namespace_tenant: &BTreeMap<String, String>,
    facts: &TenancyFacts,
    findings: &mut BTreeSet<Finding>,
) {
    // With the index of each in `Evaluator::bindings`.
    let bindings: Vec<(usize, &Binding, Option<&Role>)> = evaluator
        .bindings_with_roles()
        .enumerate()
        .filter(|(_, (b, _))| !b.origin.file.starts_with("builtin:"))
        .map(|(id, (binding, role))| (id, binding, role))
        .collect();

    // Invariant 3: bindings to roles that do not exist.
    for (_, binding, role) in &bindings {
        if role.is_some()
            || (binding.role_ref.kind == "ClusterRole"
                && facts.allowed_cluster_roles.contains(&binding.role_ref.name))
        {
            continue;
        }
        let subjects: Vec<String> = binding.subjects.iter().map(ToString::to_string).collect();
        findings.insert(Finding {
            invariant: Invariant::MissingRole,
            subject: subjects.join(", "),
            permission: format!("binding to missing {}/{}", binding.role_ref.kind, binding.role_ref.name),
            detail: format!(
                "{} refers to {} `{}`, which is neither in the output nor built into Kubernetes: it grants nothing today, and whatever someone later creates under that name",
                binding.reference(),
                binding.role_ref.kind,
                binding.role_ref.name
            ),
            binding: Some(binding.reference()),
            role: Some(format!("{}/{}", binding.role_ref.kind, binding.role_ref.name)),
            source: Some(origin_text(&binding.origin)),
            excepted_by: None,
        });
    }

    // Tenant subjects: everyone a tenant-labelled binding names.
    let mut subject_tenants: BTreeMap<Subject, BTreeSet<String>> = BTreeMap::new();
    for (id, binding, _) in &bindings {
        if let Some(Some(tenant)) = binding_tenants.get(*id) {
            for subject in &binding.subjects {
                subject_tenants
                    .entry(subject.clone())
                    .or_default()
                    .insert(tenant.clone());
            }
        }
    }
    // Bindings by subject, for the grants each tenant subject holds.
    let mut by_subject: BTreeMap<&Subject, Vec<usize>> = BTreeMap::new();
    for (index, (_, binding, _)) in bindings.iter().enumerate() {
        for subject in &binding.subjects {
            by_subject.entry(subject).or_default().push(index);
        }
    }

    for (subject, tenants) in &subject_tenants {
        let subject_text = subject.to_string();
        if tenants.len() > 1 {
            let names: Vec<&str> = tenants.iter().map(String::as_str).collect();
            findings.insert(Finding {
                invariant: Invariant::CrossTenant,
                subject: subject_text.clone(),
                permission: format!("bound by tenants {}", names.join(" and ")),
                detail: format!("{subject_text} is bound by the objects of several tenants ({}), so it acts in each of them", names.join(", ")),
                binding: None,
                role: None,
                source: None,
                excepted_by: None,
            });
        }
        let own = |namespace: &str| {
            namespace_tenant
                .get(namespace)
                .is_some_and(|t| tenants.contains(t))
        };
        // The subject's own bindings, plus those of groups it is in that are not tenant
        // subjects themselves (those are audited in their own right).
        let mut groups: Vec<String> = match subject {
            Subject::User(name) => facts.user_groups.get(name).cloned().unwrap_or_default(),
            Subject::ServiceAccount { namespace, .. } => vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
            ],
            Subject::Group(_) => Vec::new(),
        };
        if !matches!(subject, Subject::Group(_)) {
            groups.push("system:authenticated".into());
        }
        let mut indexes: BTreeSet<usize> = by_subject
            .get(subject)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        for group in groups {
            let group = Subject::Group(group);
            if !subject_tenants.contains_key(&group) {
                indexes.extend(by_subject.get(&group).into_iter().flatten().copied());
            }
        }
        for index in indexes {
            let (_, binding, Some(role)) = bindings[index] else {
                continue;
            };
            let scope = binding.namespace.as_deref();
            let cluster = scope.is_none();
            let outside_own = scope.is_none_or(|ns| !own(ns));
            for rule in &role.rules {
                if rule.resources.is_empty() {
                    continue; // non-resource URLs are not tenancy
                }
                // Written out only for a finding: most rules have none.
                let finding = |invariant: Invariant, detail: String| Finding {
                    invariant,
                    subject: subject_text.clone(),
                    permission: describe_rule(rule, scope),
                    detail,
                    binding: Some(binding.reference()),
                    role: Some(role.reference()),
                    source: Some(origin_text(&binding.origin)),
                    excepted_by: None,
                };
                match scope {
                    Some(namespace) if !own(namespace) => {
                        let whose = namespace_tenant
                            .get(namespace)
                            .map_or_else(|| "no tenant".to_string(), |t| format!("tenant `{t}`"));
                        findings.insert(finding(Invariant::CrossTenant, format!("{subject_text} can act in namespace `{namespace}`, which belongs to {whose}")));
                    }
                    None if covers_namespaced_resource(rule) => {
                        findings.insert(finding(Invariant::CrossTenant, format!("{subject_text} holds a cluster-wide grant on namespaced resources, which reaches every namespace")));
                    }
                    _ => {}
                }
                for risk in risks_of(rule, cluster, outside_own) {
                    let place = if cluster {
                        "cluster-wide".to_string()
                    } else {
                        format!("in `{}`, outside its tenant", scope.unwrap_or_default())
                    };
                    findings.insert(finding(
                        Invariant::RiskyPermission,
                        format!("{subject_text} can {risk} {place}"),
                    ));
                }
                if let Subject::User(username) = subject {
                    for namespace in namespace_writes(rule, scope, namespace_tenant) {
                        let owns = facts
                            .namespace_owners
                            .get(&namespace)
                            .is_some_and(|o| o.contains(username));
                        if !owns {
                            findings.insert(finding(Invariant::NamespaceOwnership, format!("{subject_text} can delete or update namespace `{namespace}`, which they do not own")));
                        }
                    }
                }
            }
        }
    }
}

/// The network-isolation invariant over the NetworkPolicies of a manifest set, given each
/// namespace's tenant.
fn network_findings(
    network_objects: &[NetworkObject],
    namespace_tenant: &BTreeMap<String, String>,
    findings: &mut BTreeSet<Finding>,
) {
    let network = NetworkView::from_parts(network_objects);
    let explicit = network.explicit_sources_of_all();
    for (destination, tenant) in namespace_tenant {
        match network.admission.get(destination) {
            Some(Admission::Open) | None => {
                findings.insert(Finding {
                    invariant: Invariant::NetworkIsolation,
                    subject: format!("namespace {destination}"),
                    permission: "accepts traffic from every namespace".into(),
                    detail: format!("no NetworkPolicy isolates the pods of `{destination}` (tenant `{tenant}`), so every other tenant can reach them"),
                    binding: None,
                    role: None,
                    source: None,
                    excepted_by: None,
                });
            }
            Some(Admission::Isolated(_)) => {
                for source in explicit.get(destination.as_str()).into_iter().flatten() {
                    let Some(source_tenant) = namespace_tenant.get(*source) else {
                        continue;
                    };
                    if source_tenant == tenant {
                        continue;
                    }
                    let mutual = explicit
                        .get(source)
                        .is_some_and(|s| s.contains(destination.as_str()));
                    if !mutual {
                        findings.insert(Finding {
                            invariant: Invariant::NetworkIsolation,
                            subject: format!("namespace {source}"),
                            permission: format!("reach {destination}"),
                            detail: format!("`{source}` (tenant `{source_tenant}`) can reach `{destination}` (tenant `{tenant}`), but `{source}` does not admit `{destination}` back: only one side declared the path"),
                            binding: None,
                            role: None,
                            source: None,
                            excepted_by: None,
                        });
                    }
                }
            }
        }
    }
}

/// The namespaces whose object a rule lets someone delete, update or patch.
fn namespace_writes(
    rule: &PolicyRule,
    scope: Option<&str>,
    namespace_tenant: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let writes = |namespace: &str| {
        ["delete", "update", "patch"].iter().any(|verb| {
            rule_allows(
                rule,
                &Action::Resource(ResourceAction::on_namespace(verb, namespace)),
            )
        })
    };
    match scope {
        // A request on a namespace object carries that namespace (`on_namespace`), so a
        // RoleBinding in `ns` applies to the namespace `ns` itself.
        Some(namespace) => [namespace.to_string()]
            .into_iter()
            .filter(|ns| writes(ns))
            .collect(),
        // Without resourceNames the rule reaches every namespace or none: ask once.
        None if rule.resource_names.is_empty() => {
            if !writes("default") {
                return BTreeSet::new();
            }
            namespace_tenant
                .keys()
                .cloned()
                .chain(["kube-system".to_string(), "default".to_string()])
                .collect()
        }
        None => rule
            .resource_names
            .iter()
            .filter(|ns| writes(ns))
            .cloned()
            .collect(),
    }
}

fn apply_exceptions(findings: BTreeSet<Finding>, facts: &TenancyFacts, report: &mut AuditReport) {
    let mut used = BTreeSet::new();
    for mut finding in findings {
        let exception = facts.exceptions.iter().find(|e| {
            e.invariant == finding.invariant.name()
                && e.subject == finding.subject
                && e.permission == finding.permission
        });
        match exception {
            Some(e) if facts.today.as_str() <= e.expires.as_str() => {
                used.insert(e.name.clone());
                finding.excepted_by = Some(e.name.clone());
                report.excepted.push(finding);
            }
            Some(e) => {
                used.insert(e.name.clone());
                report.warnings.push(format!(
                    "exception `{}` ({}) expired on {}; it no longer applies",
                    e.name, e.source, e.expires
                ));
                report.findings.push(finding);
            }
            None => report.findings.push(finding),
        }
    }
    for exception in &facts.exceptions {
        if !used.contains(&exception.name) {
            report.warnings.push(format!(
                "exception `{}` ({}) matches no finding; remove it",
                exception.name, exception.source
            ));
        }
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`, from the system clock.
pub fn today_utc() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((seconds / 86_400) as i64)
}

/// Days since 1970-01-01 to a calendar date (Howard Hinnant's algorithm).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The report as text, findings first.
pub fn render_report(report: &AuditReport) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        out.push_str(&format!(
            "violation [{}] {}: {}\n",
            finding.invariant.name(),
            finding.subject,
            finding.permission
        ));
        out.push_str(&format!("  {}\n", finding.detail));
        if let (Some(binding), Some(role)) = (&finding.binding, &finding.role) {
            out.push_str(&format!("  granted by {binding} -> {role}\n"));
        }
        if let Some(source) = &finding.source {
            out.push_str(&format!("  in {source}\n"));
        }
    }
    for finding in &report.excepted {
        out.push_str(&format!(
            "accepted [{}] {}: {} (exception `{}`)\n",
            finding.invariant.name(),
            finding.subject,
            finding.permission,
            finding.excepted_by.as_deref().unwrap_or_default()
        ));
    }
    for warning in &report.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    out.push_str(&format!(
        "audit: {} violation{}, {} accepted by exceptions, {} warning{}\n",
        report.findings.len(),
        if report.findings.len() == 1 { "" } else { "s" },
        report.excepted.len(),
        report.warnings.len(),
        if report.warnings.len() == 1 { "" } else { "s" }
    ));
    out
}

/// `tenet audit --format json`: one versioned document.
pub fn render_json(report: &AuditReport) -> String {
    let document = serde_json::json!({
        "version": 1,
        "passed": report.passed(),
        "findings": report.findings,
        "excepted": report.excepted,
        "warnings": report.warnings,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_791), "2026-12-04");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }

    /// Large runs hold a part for most output objects until the audit: the RBAC and network
    /// content stay boxed (see docs/performance.md).
    #[test]
    fn audit_parts_stay_small() {
        assert!(std::mem::size_of::<AuditPart>() <= 96);
    }
}
