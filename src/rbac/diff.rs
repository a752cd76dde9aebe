//! Effective-permission diff between two evaluators (before/after a change).
//!
//! Rules are expanded symbolically into atoms (verb, group, resource, name) per subject and
//! scope, as written, wildcards kept. An atom is gained when no atom of the "before" side covers
//! it (`*` covers everything, `*/sub` covers `x/sub`, a trailing-`*` URL covers its prefix, no
//! resourceNames covers any name), and lost the other way round. Because every field is either a
//! literal or a full wildcard, one covering atom is needed exactly when the union covers it, so
//! the comparison is exact for the rules as written.
//!
//! Subjects are the ones written in bindings: a change to `system:authenticated` is reported once
//! for that group, not for every user.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::evaluator::Evaluator;
use super::matching::rule_resource_matches;
use super::model::{BindingKind, PolicyRule, Subject};

/// Where a permission holds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Through a ClusterRoleBinding: cluster-scoped resources and every namespace.
    Cluster,
    Namespace(String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Cluster => f.write_str("cluster-wide"),
            Scope::Namespace(namespace) => write!(f, "in {namespace}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Atom {
    Resource {
        verb: String,
        api_group: String,
        resource: String,
        name: Option<String>,
    },
    Url {
        verb: String,
        url: String,
    },
}

fn field_covers(general: &str, specific: &str) -> bool {
    general == "*" || general == specific
}

fn resource_covers(general: &str, specific: &str) -> bool {
    // A literal `x/sub` is a request for resource x, subresource sub; a specific `*/sub` or `*`
    // stands for many requests and is only covered by an equal or wider pattern.
    match specific.split_once('/') {
        _ if general == specific || general == "*" => true,
        Some((resource, subresource)) if resource != "*" => {
            rule_resource_matches(general, resource, subresource)
        }
        Some(("*", subresource)) => general == format!("*/{subresource}"),
        _ => false,
    }
}

fn url_covers(general: &str, specific: &str) -> bool {
    general == "*"
        || general == specific
        || (general.ends_with('*') && {
            let specific_prefix = if specific.ends_with('*') {
                specific.trim_end_matches('*')
            } else {
                specific
            };
            specific_prefix.starts_with(general.trim_end_matches('*'))
        })
}

fn atom_covers(general: &Atom, specific: &Atom) -> bool {
    match (general, specific) {
        (
            Atom::Resource {
                verb: gv,
                api_group: gg,
                resource: gr,
                name: gn,
            },
            Atom::Resource {
                verb: sv,
                api_group: sg,
                resource: sr,
                name: sn,
            },
        ) => {
            field_covers(gv, sv)
                && field_covers(gg, sg)
                && resource_covers(gr, sr)
                && (gn.is_none() || gn == sn)
        }
        (Atom::Url { verb: gv, url: gu }, Atom::Url { verb: sv, url: su }) => {
            field_covers(gv, sv) && url_covers(gu, su)
        }
        _ => false,
    }
}

fn covered_by(atom: &Atom, sets: &[&BTreeSet<Atom>]) -> bool {
    // Every atom covers itself: look it up in every set before scanning for a wider one. Most
    // atoms of a changed subject are found this way.
    sets.iter().any(|set| set.contains(atom))
        || sets
            .iter()
            .any(|set| set.iter().any(|general| atom_covers(general, atom)))
}

/// What a subject is granted, before expansion: the rules of each role bound to it, by scope.
/// Two subjects with equal grants have equal atoms.
type SubjectGrants<'e> = BTreeMap<Scope, BTreeSet<&'e [PolicyRule]>>;

type SubjectAtoms = BTreeMap<Scope, BTreeSet<Atom>>;

fn grants_by_subject(evaluator: &Evaluator) -> BTreeMap<&Subject, SubjectGrants<'_>> {
    let mut grants: BTreeMap<&Subject, SubjectGrants> = BTreeMap::new();
    for (binding, role) in evaluator.bindings_with_roles() {
        let Some(role) = role else { continue };
        let scope = match (&binding.kind, &binding.namespace) {
            (BindingKind::RoleBinding, Some(namespace)) => Scope::Namespace(namespace.clone()),
            _ => Scope::Cluster,
        };
        for subject in &binding.subjects {
            grants
                .entry(subject)
                .or_default()
                .entry(scope.clone())
                .or_default()
                .insert(&role.rules);
        }
    }
    grants
}

/// Expands a subject's grants into atoms, wildcards kept.
fn atoms_of(grants: &SubjectGrants) -> SubjectAtoms {
    let mut atoms = SubjectAtoms::new();
    for (scope, rule_lists) in grants {
        let scope_atoms: &mut BTreeSet<Atom> = atoms.entry(scope.clone()).or_default();
        for rule in rule_lists.iter().copied().flatten() {
            let names: Vec<Option<String>> = if rule.resource_names.is_empty() {
                vec![None]
            } else {
                rule.resource_names.iter().cloned().map(Some).collect()
            };
            for verb in &rule.verbs {
                for api_group in &rule.api_groups {
                    for resource in &rule.resources {
                        for name in &names {
                            scope_atoms.insert(Atom::Resource {
                                verb: verb.clone(),
                                api_group: api_group.clone(),
                                resource: resource.clone(),
                                name: name.clone(),
                            });
                        }
                    }
                }
                // Non-resource URLs only take effect through ClusterRoleBindings.
                if *scope == Scope::Cluster {
                    for url in &rule.non_resource_urls {
                        scope_atoms.insert(Atom::Url {
                            verb: verb.clone(),
                            url: url.clone(),
                        });
                    }
                }
            }
        }
    }
    atoms
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    Gain,
    Loss,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeTarget {
    Resources {
        /// `""` core, `*` every group.
        api_group: String,
        resources: Vec<String>,
        /// Empty means every name.
        resource_names: Vec<String>,
    },
    NonResourceUrls(Vec<String>),
}

/// One readable line of change: verbs gained or lost on some targets in one scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionChange {
    pub kind: ChangeKind,
    pub scope: Scope,
    pub verbs: Vec<String>,
    pub target: ChangeTarget,
    /// Why a gain is risky; empty for harmless gains and for losses.
    pub risks: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectChanges {
    pub subject: Subject,
    pub changes: Vec<PermissionChange>,
}

impl SubjectChanges {
    pub fn has_risky_gain(&self) -> bool {
        self.changes.iter().any(|change| !change.risks.is_empty())
    }
}

/// Per-subject access changes from `before` to `after`, sorted by subject.
pub fn diff_effective_permissions(before: &Evaluator, after: &Evaluator) -> Vec<SubjectChanges> {
    let before_grants = grants_by_subject(before);
    let after_grants = grants_by_subject(after);
    let empty = SubjectGrants::new();
    let subjects: BTreeSet<&Subject> = before_grants
        .keys()
        .chain(after_grants.keys())
        .copied()
        .collect();
    let mut result = Vec::new();
    for subject in subjects {
        let old_grants = before_grants.get(subject).unwrap_or(&empty);
        let new_grants = after_grants.get(subject).unwrap_or(&empty);
        if old_grants == new_grants {
            continue; // the same rules in the same scopes: the same atoms, nothing changes
        }
        let (old, new) = (atoms_of(old_grants), atoms_of(new_grants));
        let mut changes = Vec::new();
        let scopes: BTreeSet<&Scope> = old.keys().chain(new.keys()).collect();
        for scope in scopes {
            changes.extend(scope_changes(ChangeKind::Gain, scope, &old, &new));
            changes.extend(scope_changes(ChangeKind::Loss, scope, &new, &old));
        }
        if !changes.is_empty() {
            result.push(SubjectChanges {
                subject: subject.clone(),
                changes,
            });
        }
    }
    result
}

/// Atoms of `to` in `scope` not covered by `from`: gains when `from` is before, losses otherwise.
/// A namespace atom already covered by the same side's cluster-wide grants is left to the
/// cluster-wide line.
fn scope_changes(
    kind: ChangeKind,
    scope: &Scope,
    from: &SubjectAtoms,
    to: &SubjectAtoms,
) -> Vec<PermissionChange> {
    let empty = BTreeSet::new();
    let to_atoms = to.get(scope).unwrap_or(&empty);
    let from_cluster = from.get(&Scope::Cluster).unwrap_or(&empty);
    let to_cluster = to.get(&Scope::Cluster).unwrap_or(&empty);
    let from_scope = from.get(scope).unwrap_or(&empty);
    let changed: Vec<&Atom> = to_atoms
        .iter()
        .filter(|atom| match scope {
            Scope::Cluster => !covered_by(atom, &[from_cluster]),
            Scope::Namespace(_) => {
                !covered_by(atom, &[from_cluster, from_scope]) && !covered_by(atom, &[to_cluster])
            }
        })
        .collect();
    // Keep the widest atoms: `*` makes `get` on the same target redundant.
    let minimal: Vec<&Atom> = changed
        .iter()
        .filter(|atom| {
            !changed
                .iter()
                .any(|other| other != *atom && atom_covers(other, atom))
        })
        .copied()
        .collect();
    merge_into_changes(kind, scope, &minimal)
}

fn merge_into_changes(kind: ChangeKind, scope: &Scope, atoms: &[&Atom]) -> Vec<PermissionChange> {
    // (group, resource, name) -> verbs, then (group, name, verbs) -> resources,
    // then (group, verbs, resources) -> names.
    let mut verbs_by_target: BTreeMap<(String, String, Option<String>), BTreeSet<String>> =
        BTreeMap::new();
    let mut verbs_by_url: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for atom in atoms {
        match atom {
            Atom::Resource {
                verb,
                api_group,
                resource,
                name,
            } => {
                verbs_by_target
                    .entry((api_group.clone(), resource.clone(), name.clone()))
                    .or_default()
                    .insert(verb.clone());
            }
            Atom::Url { verb, url } => {
                verbs_by_url
                    .entry(url.clone())
                    .or_default()
                    .insert(verb.clone());
            }
        }
    }
    let mut resources_by_verbs: BTreeMap<(String, Option<String>, BTreeSet<String>), Vec<String>> =
        BTreeMap::new();
    for ((api_group, resource, name), verbs) in verbs_by_target {
        resources_by_verbs
            .entry((api_group, name, verbs))
            .or_default()
            .push(resource);
    }
    // (API group, verbs, resources, whether named) to the resource names.
    type ByResources = BTreeMap<(String, BTreeSet<String>, Vec<String>, bool), Vec<String>>;
    let mut names_by_resources = ByResources::new();
    for ((api_group, name, verbs), resources) in resources_by_verbs {
        let entry = names_by_resources
            .entry((api_group, verbs, resources, name.is_some()))
            .or_default();
        entry.extend(name);
    }
    let mut changes = Vec::new();
    for ((api_group, verbs, resources, _), resource_names) in names_by_resources {
        let mut risks = BTreeSet::new();
        if kind == ChangeKind::Gain {
            for verb in &verbs {
                for resource in &resources {
                    let atom = Atom::Resource {
                        verb: verb.clone(),
                        api_group: api_group.clone(),
                        resource: resource.clone(),
                        name: resource_names.first().cloned(),
                    };
                    risks.extend(risks_of(&atom, scope));
                }
            }
        }
        changes.push(PermissionChange {
            kind,
            scope: scope.clone(),
            verbs: verbs.into_iter().collect(),
            target: ChangeTarget::Resources {
                api_group,
                resources,
                resource_names,
            },
            risks: risks.into_iter().map(str::to_owned).collect(),
        });
    }
    let mut urls_by_verbs: BTreeMap<BTreeSet<String>, Vec<String>> = BTreeMap::new();
    for (url, verbs) in verbs_by_url {
        urls_by_verbs.entry(verbs).or_default().push(url);
    }
    for (verbs, urls) in urls_by_verbs {
        let mut risks = BTreeSet::new();
        if kind == ChangeKind::Gain {
            for verb in &verbs {
                for url in &urls {
                    risks.extend(risks_of(
                        &Atom::Url {
                            verb: verb.clone(),
                            url: url.clone(),
                        },
                        scope,
                    ));
                }
            }
        }
        changes.push(PermissionChange {
            kind,
            scope: scope.clone(),
            verbs: verbs.into_iter().collect(),
            target: ChangeTarget::NonResourceUrls(urls),
            risks: risks.into_iter().map(str::to_owned).collect(),
        });
    }
    changes
}

/// Requests that hand out control of the cluster: (verbs, API group, resource, subresource, reason).
const RISKY_REQUESTS: &[(&[&str], &str, &str, &str, &str)] = &[
    (
        &["escalate", "bind"],
        "rbac.authorization.k8s.io",
        "roles",
        "",
        "can escalate or bind RBAC roles",
    ),
    (
        &["escalate", "bind"],
        "rbac.authorization.k8s.io",
        "clusterroles",
        "",
        "can escalate or bind RBAC roles",
    ),
    (&["impersonate"], "", "users", "", "can impersonate"),
    (&["impersonate"], "", "groups", "", "can impersonate"),
    (
        &["impersonate"],
        "",
        "serviceaccounts",
        "",
        "can impersonate",
    ),
    (
        &["impersonate"],
        "authentication.k8s.io",
        "userextras",
        "scopes",
        "can impersonate",
    ),
    (
        &["impersonate"],
        "authentication.k8s.io",
        "uids",
        "",
        "can impersonate",
    ),
    (
        &["get", "create"],
        "",
        "nodes",
        "proxy",
        "reaches the kubelet API (nodes/proxy)",
    ),
    (&["create", "get"], "", "pods", "exec", "can exec into pods"),
    (
        &["create", "get"],
        "",
        "pods",
        "attach",
        "can attach to pods",
    ),
    (
        &["update", "patch"],
        "",
        "pods",
        "ephemeralcontainers",
        "can add ephemeral containers to pods",
    ),
    (
        &["create"],
        "",
        "serviceaccounts",
        "token",
        "can mint service-account tokens",
    ),
    (
        &["update", "patch"],
        "certificates.k8s.io",
        "certificatesigningrequests",
        "approval",
        "can approve certificate signing requests",
    ),
    (
        &["approve"],
        "certificates.k8s.io",
        "signers",
        "",
        "can approve certificate signing requests",
    ),
    (
        WRITE_VERBS,
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        "",
        "writes admission webhooks",
    ),
    (
        WRITE_VERBS,
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        "",
        "writes admission webhooks",
    ),
    (
        WRITE_VERBS,
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "",
        "writes CustomResourceDefinitions",
    ),
    (
        WRITE_VERBS,
        "rbac.authorization.k8s.io",
        "clusterroles",
        "",
        "writes ClusterRoles",
    ),
    (
        WRITE_VERBS,
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        "",
        "writes ClusterRoleBindings",
    ),
];

const WRITE_VERBS: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
const SECRET_READ_VERBS: &[&str] = &["get", "list", "watch"];

fn risks_of(atom: &Atom, scope: &Scope) -> Vec<&'static str> {
    let mut risks = Vec::new();
    match atom {
        Atom::Resource {
            verb,
            api_group,
            resource,
            name,
        } => {
            if *scope == Scope::Cluster && (verb == "*" || resource == "*") {
                risks.push("wildcard at cluster scope");
            }
            for (verbs, risky_group, risky_resource, risky_subresource, reason) in RISKY_REQUESTS {
                if (verb == "*" || verbs.contains(&verb.as_str()))
                    && field_covers(api_group, risky_group)
                    && rule_resource_matches(resource, risky_resource, risky_subresource)
                {
                    risks.push(reason);
                }
            }
            if *scope == Scope::Cluster
                && name.is_none()
                && (verb == "*" || SECRET_READ_VERBS.contains(&verb.as_str()))
                && field_covers(api_group, "")
                && rule_resource_matches(resource, "secrets", "")
            {
                risks.push("reads secrets cluster-wide");
            }
        }
        Atom::Url { verb, url } => {
            if verb == "*" && url == "*" {
                risks.push("wildcard at cluster scope");
            }
        }
    }
    risks
}

fn resource_spelling(api_group: &str, resource: &str) -> String {
    if api_group.is_empty() {
        return resource.to_owned();
    }
    match resource.split_once('/') {
        Some((resource, subresource)) => format!("{resource}.{api_group}/{subresource}"),
        None => format!("{resource}.{api_group}"),
    }
}

impl fmt::Display for PermissionChange {
    /// `gains delete, patch on pods in acme-prod`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let direction = match self.kind {
            ChangeKind::Gain => "gains",
            ChangeKind::Loss => "loses",
        };
        let target = match &self.target {
            ChangeTarget::Resources {
                api_group,
                resources,
                resource_names,
            } => {
                let spelled: Vec<String> = resources
                    .iter()
                    .map(|resource| resource_spelling(api_group, resource))
                    .collect();
                let mut target = spelled.join(", ");
                if !resource_names.is_empty() {
                    target.push_str(&format!(" named {}", resource_names.join(", ")));
                }
                target
            }
            ChangeTarget::NonResourceUrls(urls) => format!("URLs {}", urls.join(", ")),
        };
        write!(
            f,
            "{direction} {} on {target} {}",
            self.verbs.join(", "),
            self.scope
        )?;
        if !self.risks.is_empty() {
            write!(f, "  [RISKY: {}]", self.risks.join("; "))?;
        }
        Ok(())
    }
}

/// The diff as text: one sentence per change, grouped by subject.
pub fn render_permission_diff(changes: &[SubjectChanges]) -> String {
    if changes.is_empty() {
        return "no effective permission changes\n".to_owned();
    }
    let mut text = String::new();
    for subject_changes in changes {
        for change in &subject_changes.changes {
            text.push_str(&format!("{} {change}\n", subject_changes.subject));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::model::{ObjectOrigin, split_yaml_documents};

    fn evaluator(text: &str) -> Evaluator {
        let documents = split_yaml_documents(text).expect("parses");
        let (evaluator, errors) = Evaluator::from_objects(
            documents
                .iter()
                .map(|document| (document, ObjectOrigin::file("t.yaml"))),
            false,
        );
        assert_eq!(errors, []);
        evaluator
    }

    fn resource_atom(verb: &str, group: &str, resource: &str, name: Option<&str>) -> Atom {
        Atom::Resource {
            verb: verb.into(),
            api_group: group.into(),
            resource: resource.into(),
            name: name.map(Into::into),
        }
    }

    #[test]
    fn coverage_follows_matching_semantics() {
        let covers = |general: Atom, specific: Atom| atom_covers(&general, &specific);
        assert!(covers(
            resource_atom("*", "", "pods", None),
            resource_atom("get", "", "pods", Some("a"))
        ));
        assert!(!covers(
            resource_atom("get", "", "pods", Some("a")),
            resource_atom("get", "", "pods", None)
        ));
        assert!(covers(
            resource_atom("get", "*", "*/scale", None),
            resource_atom("get", "apps", "deployments/scale", None)
        ));
        assert!(!covers(
            resource_atom("get", "", "deployments/scale", None),
            resource_atom("get", "", "*/scale", None)
        ));
        assert!(!covers(
            resource_atom("get", "", "pods/*", None),
            resource_atom("get", "", "pods/log", None)
        ));
        assert!(covers(
            resource_atom("get", "", "*", None),
            resource_atom("get", "", "*/scale", None)
        ));
        let url = |verb: &str, url: &str| Atom::Url {
            verb: verb.into(),
            url: url.into(),
        };
        assert!(covers(url("get", "/api*"), url("get", "/apis/x*")));
        assert!(!covers(url("get", "/apis/*"), url("get", "/api*")));
    }

    const BEFORE: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: app}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice, namespace: acme-prod}
roleRef: {kind: ClusterRole, name: app}
subjects: [{kind: User, name: alice@acme.example}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ops}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
- {nonResourceURLs: [/metrics], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {kind: ClusterRole, name: ops}
subjects: [{kind: Group, name: acme-ops}]
"#;

    const AFTER: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: app}
rules:
- {apiGroups: [""], resources: [pods, services], verbs: [get, list, delete, patch]}
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice, namespace: acme-prod}
roleRef: {kind: ClusterRole, name: app}
subjects: [{kind: User, name: alice@acme.example}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ops}
rules:
- {nonResourceURLs: ["/metrics*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {kind: ClusterRole, name: ops}
subjects: [{kind: Group, name: acme-ops}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bot}
roleRef: {kind: ClusterRole, name: app}
subjects: [{kind: ServiceAccount, name: bot, namespace: ci}]
"#;

    #[test]
    fn reports_gains_and_losses_per_subject_in_readable_ranges() {
        let changes = diff_effective_permissions(&evaluator(BEFORE), &evaluator(AFTER));
        insta::assert_snapshot!(render_permission_diff(&changes), @r"
        alice@acme.example gains create on pods/exec in acme-prod  [RISKY: can exec into pods]
        alice@acme.example gains delete, get, list, patch on services in acme-prod
        alice@acme.example gains delete, patch on pods in acme-prod
        group acme-ops gains get on URLs /metrics* cluster-wide
        group acme-ops loses get on secrets cluster-wide
        serviceaccount ci/bot gains create on pods/exec cluster-wide  [RISKY: can exec into pods]
        serviceaccount ci/bot gains delete, get, list, patch on pods, services cluster-wide
        ");
        assert!(changes.iter().all(|subject| {
            subject
                .changes
                .iter()
                .all(|change| change.kind == ChangeKind::Gain || change.risks.is_empty())
        }));
    }

    #[test]
    fn identical_policies_have_no_changes_and_wider_grants_hide_narrower_ones() {
        assert_eq!(
            diff_effective_permissions(&evaluator(BEFORE), &evaluator(BEFORE)),
            []
        );
        let wider = BEFORE.replace("verbs: [get, list]}", "verbs: [\"*\"]}");
        let changes = diff_effective_permissions(&evaluator(BEFORE), &evaluator(&wider));
        assert_eq!(
            render_permission_diff(&changes),
            "alice@acme.example gains * on pods in acme-prod\n"
        );
        let cluster_secrets = BEFORE.replace(
            "resources: [secrets], verbs: [get]",
            "resources: [secrets], verbs: [get, list]",
        );
        let changes = diff_effective_permissions(&evaluator(BEFORE), &evaluator(&cluster_secrets));
        assert_eq!(
            render_permission_diff(&changes),
            "group acme-ops gains list on secrets cluster-wide  [RISKY: reads secrets cluster-wide]\n"
        );
    }
}
