//! Everything one subject may do, as rows of a verb-by-resource table.

use std::collections::{BTreeMap, BTreeSet};

use super::evaluator::Evaluator;
use super::matching::UserInfo;
use super::model::{Binding, PolicyRule, Role, Subject};

/// Verbs granted on one resource (or subresource, or `*`) of one API group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourcePermission {
    /// `""` is the core group; `*` means every group.
    pub api_group: String,
    /// As written in the rule: `pods`, `pods/log`, `*/scale` or `*`.
    pub resource: String,
    /// Empty means every name.
    pub resource_names: Vec<String>,
    pub verbs: BTreeSet<String>,
    /// Granting bindings, as `RoleBinding/ns/name (ClusterRole/role)`.
    pub via: BTreeSet<String>,
}

/// Verbs granted on one non-resource URL pattern (cluster-wide only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlPermission {
    pub url: String,
    pub verbs: BTreeSet<String>,
    pub via: BTreeSet<String>,
}

/// What a subject may do. Cluster-wide grants also hold in every namespace; the per-namespace
/// tables list only what RoleBindings add there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectAccess {
    pub subject: Subject,
    /// Groups the subject is implicitly in and whose grants are included.
    pub implicit_groups: Vec<String>,
    pub cluster_wide: Vec<ResourcePermission>,
    pub namespaces: BTreeMap<String, Vec<ResourcePermission>>,
    pub non_resource_urls: Vec<UrlPermission>,
}

type ResourceKey = (String, String, Vec<String>);

#[derive(Default)]
struct PermissionAccumulator {
    resources: BTreeMap<ResourceKey, (BTreeSet<String>, BTreeSet<String>)>,
    urls: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
}

impl PermissionAccumulator {
    fn add_rule(&mut self, rule: &PolicyRule, via: &str, include_urls: bool) {
        let mut names = rule.resource_names.clone();
        names.sort();
        names.dedup();
        for api_group in &rule.api_groups {
            for resource in &rule.resources {
                let entry = self
                    .resources
                    .entry((api_group.clone(), resource.clone(), names.clone()))
                    .or_default();
                entry.0.extend(rule.verbs.iter().cloned());
                entry.1.insert(via.to_owned());
            }
        }
        if include_urls {
            for url in &rule.non_resource_urls {
                let entry = self.urls.entry(url.clone()).or_default();
                entry.0.extend(rule.verbs.iter().cloned());
                entry.1.insert(via.to_owned());
            }
        }
    }

    fn resource_rows(self) -> (Vec<ResourcePermission>, Vec<UrlPermission>) {
        let resources = self
            .resources
            .into_iter()
            .filter(|(_, (verbs, _))| !verbs.is_empty())
            .map(
                |((api_group, resource, resource_names), (verbs, via))| ResourcePermission {
                    api_group,
                    resource,
                    resource_names,
                    verbs,
                    via,
                },
            )
            .collect();
        let urls = self
            .urls
            .into_iter()
            .filter(|(_, (verbs, _))| !verbs.is_empty())
            .map(|(url, (verbs, via))| UrlPermission { url, verbs, via })
            .collect();
        (resources, urls)
    }
}

fn via(binding: &Binding, role: &Role) -> String {
    format!("{} ({})", binding.reference(), role.reference())
}

impl Evaluator {
    /// Everything the subject may do. Users and service accounts include the grants of their
    /// implicit groups (`system:authenticated`, `system:serviceaccounts[:NS]`); a group is taken
    /// alone.
    pub fn access(&self, subject: &Subject) -> SubjectAccess {
        self.access_with_groups(subject, &[])
    }

    /// [`Evaluator::access`] for a user or service account that is also in `extra_groups`
    /// (e.g. the groups a tenant's User declares).
    pub fn access_with_groups(&self, subject: &Subject, extra_groups: &[String]) -> SubjectAccess {
        let user_name = subject.user_name();
        let groups = match (subject, &user_name) {
            (Subject::Group(group), _) => vec![group.clone()],
            (_, Some(name)) => UserInfo::authenticated(name, extra_groups).groups,
            (_, None) => Vec::new(),
        };
        let implicit_groups = match subject {
            Subject::Group(_) => Vec::new(),
            _ => groups.clone(),
        };
        let (cluster_ids, namespaced_ids) = self.applicable_bindings(user_name.as_deref(), &groups);
        let mut cluster = PermissionAccumulator::default();
        for id in cluster_ids {
            if let Some((binding, Some(role))) = self.binding_with_role(id) {
                let via = via(binding, role);
                for rule in &role.rules {
                    cluster.add_rule(rule, &via, true);
                }
            }
        }
        let mut namespaces = BTreeMap::new();
        for (namespace, ids) in namespaced_ids {
            let mut accumulator = PermissionAccumulator::default();
            for id in ids {
                if let Some((binding, Some(role))) = self.binding_with_role(id) {
                    let via = via(binding, role);
                    for rule in &role.rules {
                        // Non-resource requests never consult RoleBindings.
                        accumulator.add_rule(rule, &via, false);
                    }
                }
            }
            let (rows, _) = accumulator.resource_rows();
            if !rows.is_empty() {
                namespaces.insert(namespace, rows);
            }
        }
        let (cluster_wide, non_resource_urls) = cluster.resource_rows();
        SubjectAccess {
            subject: subject.clone(),
            implicit_groups,
            cluster_wide,
            namespaces,
            non_resource_urls,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::model::{ObjectOrigin, split_yaml_documents};

    #[test]
    fn service_account_access_includes_implicit_groups_and_namespaced_grants() {
        let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
- {apiGroups: ["", apps], resources: [pods, deployments], verbs: [get, list]}
- {nonResourceURLs: [/healthz], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: sa-reads, namespace: team}
roleRef: {kind: ClusterRole, name: reader}
subjects: [{kind: ServiceAccount, name: bot}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all-sas}
roleRef: {kind: ClusterRole, name: reader}
subjects: [{kind: Group, name: system:serviceaccounts}]
"#;
        let documents = split_yaml_documents(text).expect("parses");
        let (evaluator, errors) = Evaluator::from_objects(
            documents
                .iter()
                .map(|document| (document, ObjectOrigin::file("t.yaml"))),
            false,
        );
        assert_eq!(errors, []);
        let access = evaluator.access(&Subject::ServiceAccount {
            namespace: "team".into(),
            name: "bot".into(),
        });
        assert_eq!(access.cluster_wide.len(), 4);
        assert_eq!(access.namespaces["team"].len(), 4);
        assert_eq!(access.non_resource_urls.len(), 1);
        assert_eq!(
            access.namespaces["team"][0].via,
            BTreeSet::from(["RoleBinding/team/sa-reads (ClusterRole/reader)".to_owned()])
        );
        let group_access = evaluator.access(&Subject::Group("dev".into()));
        assert!(group_access.cluster_wide.is_empty() && group_access.namespaces.is_empty());
    }
}
