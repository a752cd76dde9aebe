//! The evaluator: RBAC objects indexed by subject and namespace, answering authorization
//! questions the way kube-apiserver's RBAC authorizer does.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

use serde_json::Value;

use super::aggregation::expand_aggregated_cluster_roles;
use super::builtin::builtin_objects;
use super::matching::{Action, UserInfo, rule_allows};
use super::model::{
    Binding, BindingKind, ObjectError, ObjectOrigin, PolicyRule, RbacObject, Role, RoleKind,
    SERVICE_ACCOUNT_USER_PREFIX, Subject, decode_rbac_object,
};

/// Collects RBAC objects, then builds an [`Evaluator`].
#[derive(Debug)]
pub struct EvaluatorBuilder {
    include_builtin: bool,
    roles: Vec<Role>,
    bindings: Vec<Binding>,
    /// Every object added so far, as its kind and its index in `roles` or `bindings` (which of
    /// the two the kind says), found by kind, namespace and name. Large outputs add tens of
    /// thousands of objects, so this holds no copy of their names.
    defined: HashTable<(DefinedKind, u32)>,
    hasher: RandomState,
}

/// The kind of an added object, as far as "defined twice" goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum DefinedKind {
    Role(RoleKind),
    Binding(BindingKind),
}

impl std::fmt::Display for DefinedKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DefinedKind::Role(kind) => kind.fmt(f),
            DefinedKind::Binding(kind) => kind.fmt(f),
        }
    }
}

/// The kind, namespace and name of an object in [`EvaluatorBuilder::defined`].
fn defined_key<'a>(
    roles: &'a [Role],
    bindings: &'a [Binding],
    &(kind, index): &(DefinedKind, u32),
) -> (DefinedKind, Option<&'a str>, &'a str) {
    let (namespace, name) = match kind {
        DefinedKind::Role(_) => {
            let role = &roles[index as usize];
            (&role.namespace, &role.name)
        }
        DefinedKind::Binding(_) => {
            let binding = &bindings[index as usize];
            (&binding.namespace, &binding.name)
        }
    };
    (kind, namespace.as_deref(), name.as_str())
}

impl Default for EvaluatorBuilder {
    fn default() -> Self {
        EvaluatorBuilder {
            include_builtin: true,
            roles: Vec::new(),
            bindings: Vec::new(),
            defined: HashTable::new(),
            hasher: RandomState::new(),
        }
    }
}

impl EvaluatorBuilder {
    /// A builder that includes Kubernetes' default roles and bindings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to add Kubernetes' default roles and bindings (`--no-builtin` turns this off).
    /// Objects added by the caller replace built-ins of the same kind and name.
    pub fn include_builtin(mut self, include: bool) -> Self {
        self.include_builtin = include;
        self
    }

    /// Adds one object. Non-RBAC kinds are ignored; an unusable RBAC object (wrong shape,
    /// missing name/namespace, defined twice) is refused with the reason and left out.
    pub fn add_object(&mut self, object: &Value, origin: &ObjectOrigin) -> Result<(), ObjectError> {
        match decode_rbac_object(object, origin)? {
            None => Ok(()),
            Some(decoded) => self.add_decoded(decoded),
        }
    }

    /// Adds one object already decoded by [`decode_rbac_object`]; refused when an object of the
    /// same kind and name was added before.
    pub fn add_decoded(&mut self, decoded: RbacObject) -> Result<(), ObjectError> {
        let (kind, namespace, name) = match &decoded {
            RbacObject::Role(role) => (DefinedKind::Role(role.kind), &role.namespace, &role.name),
            RbacObject::Binding(binding) => (
                DefinedKind::Binding(binding.kind),
                &binding.namespace,
                &binding.name,
            ),
        };
        let Self {
            roles,
            bindings,
            defined,
            hasher,
            ..
        } = self;
        let key = (kind, namespace.as_deref(), name.as_str());
        let hash = hasher.hash_one(key);
        if let Some(first) = defined.find(hash, |added| defined_key(roles, bindings, added) == key)
        {
            let first = match *first {
                (DefinedKind::Role(_), index) => &roles[index as usize].origin,
                (DefinedKind::Binding(_), index) => &bindings[index as usize].origin,
            };
            return Err(ObjectError {
                origin: decoded.origin().clone(),
                kind: kind.to_string(),
                name: name.clone(),
                problem: format!("defined twice; the definition in {first} is used"),
            });
        }
        let next = match kind {
            DefinedKind::Role(_) => roles.len(),
            DefinedKind::Binding(_) => bindings.len(),
        };
        let Ok(index) = u32::try_from(next) else {
            // Unreachable in practice: four billion objects would not fit in memory.
            return Err(ObjectError {
                origin: decoded.origin().clone(),
                kind: kind.to_string(),
                name: name.clone(),
                problem: "more RBAC objects of this kind than the evaluator can hold".to_owned(),
            });
        };
        match decoded {
            RbacObject::Role(role) => roles.push(role),
            RbacObject::Binding(binding) => bindings.push(binding),
        }
        defined.insert_unique(hash, (kind, index), |added| {
            hasher.hash_one(defined_key(roles, bindings, added))
        });
        Ok(())
    }

    pub fn build(mut self) -> Evaluator {
        if self.include_builtin {
            for builtin in builtin_objects() {
                // A caller's object of the same kind and name wins, as `kubectl apply` would make it.
                let _ = self.add_decoded(builtin.clone());
            }
        }
        let EvaluatorBuilder {
            mut roles,
            bindings,
            defined,
            ..
        } = self;
        // Not needed once every object is in.
        drop(defined);
        expand_aggregated_cluster_roles(&mut roles);
        Evaluator::index(roles, bindings)
    }
}

type BindingId = u32;

/// Which bindings name which users and groups, in each scope (cluster-wide, or the
/// RoleBindings of one namespace). Large outputs hold tens of thousands of bindings, so the
/// index copies no name: it is one sorted list of (key, binding) pairs, the key a hash of the
/// scope and of the user or group a subject names. A key only selects candidates:
/// [`SubjectIndex::bindings_for`] keeps a binding only when it is in the scope and one of its
/// subjects names the user or a group, so a hash collision can never add a binding. The hash
/// is keyed at random (like a `HashMap`'s), so input cannot be crafted to make many names
/// collide and every lookup slow.
#[derive(Debug, Default)]
struct SubjectIndex {
    entries: Vec<(u64, BindingId)>,
    hasher: RandomState,
}

/// What a subject is matched by: the user name of a request (users and service accounts) or
/// one of its groups.
#[derive(Clone, Copy, Hash)]
enum NameKind {
    User,
    Group,
}

impl SubjectIndex {
    fn new(bindings: &[Binding]) -> SubjectIndex {
        let mut index = SubjectIndex::default();
        for (id, binding) in bindings.iter().enumerate() {
            let id = BindingId::try_from(id).unwrap_or(BindingId::MAX);
            let scope = binding.namespace.as_deref();
            for subject in &binding.subjects {
                let key = match subject {
                    Subject::Group(group) => index.key(scope, NameKind::Group, group),
                    Subject::User(name) => index.key(scope, NameKind::User, name),
                    // Service accounts are matched by their user name, like the authorizer does.
                    Subject::ServiceAccount { .. } => {
                        let user_name = subject.user_name().unwrap_or_default();
                        index.key(scope, NameKind::User, &user_name)
                    }
                };
                index.entries.push((key, id));
            }
        }
        index.entries.sort_unstable();
        index.entries.dedup();
        index.entries.shrink_to_fit();
        index
    }

    /// The key of `name` of this kind in this scope (`None`: cluster-wide).
    fn key(&self, scope: Option<&str>, kind: NameKind, name: &str) -> u64 {
        self.hasher.hash_one((scope, kind, name))
    }

    /// The bindings of a scope that name the user or one of the groups, in load order.
    fn bindings_for(
        &self,
        bindings: &[Binding],
        scope: Option<&str>,
        user: Option<&str>,
        groups: &[String],
        into: &mut Vec<BindingId>,
    ) {
        let start = into.len();
        let keys = user
            .map(|user| self.key(scope, NameKind::User, user))
            .into_iter()
            .chain(
                groups
                    .iter()
                    .map(|group| self.key(scope, NameKind::Group, group)),
            );
        for key in keys {
            let first = self.entries.partition_point(|&(entry, _)| entry < key);
            into.extend(
                self.entries[first..]
                    .iter()
                    .take_while(|&&(entry, _)| entry == key)
                    .map(|&(_, id)| id),
            );
        }
        let mut found = into.split_off(start);
        found.sort_unstable();
        found.dedup();
        found.retain(|&id| {
            bindings.get(id as usize).is_some_and(|binding| {
                binding.namespace.as_deref() == scope
                    && binding
                        .subjects
                        .iter()
                        .any(|subject| subject_names(subject, user, groups))
            })
        });
        into.extend(found);
    }
}

/// Indexed RBAC objects. Immutable once built; cheap to query.
#[derive(Debug)]
pub struct Evaluator {
    roles: Vec<Role>,
    bindings: Vec<Binding>,
    /// Index into `roles` of the role each binding refers to, if it exists.
    binding_roles: Vec<Option<usize>>,
    subjects: SubjectIndex,
    /// One RoleBinding of each namespace that has any, sorted by namespace.
    namespace_bindings: Vec<BindingId>,
}

/// Why a request is allowed: the first binding and rule that grant it, in the order the
/// authorizer visits them (ClusterRoleBindings first, then RoleBindings of the namespace).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant<'a> {
    pub binding: &'a Binding,
    /// The binding's subject that matched the user.
    pub subject: &'a Subject,
    pub role: &'a Role,
    pub rule: &'a PolicyRule,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision<'a> {
    pub grant: Option<Grant<'a>>,
}

impl Decision<'_> {
    pub fn allowed(&self) -> bool {
        self.grant.is_some()
    }
}

/// One subject that may perform an action, and through which binding and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhoCanEntry<'a> {
    pub subject: Subject,
    pub binding: &'a Binding,
    pub role: &'a Role,
}

impl Evaluator {
    /// An evaluator over the given objects, with Kubernetes' built-ins or without; returns
    /// the objects it refused beside it. Handy for tests.
    pub fn from_objects<'v>(
        objects: impl IntoIterator<Item = (&'v Value, ObjectOrigin)>,
        include_builtin: bool,
    ) -> (Evaluator, Vec<ObjectError>) {
        let mut builder = EvaluatorBuilder::new().include_builtin(include_builtin);
        let mut errors = Vec::new();
        for (object, origin) in objects {
            if let Err(error) = builder.add_object(object, &origin) {
                errors.push(error);
            }
        }
        (builder.build(), errors)
    }

    /// An evaluator, with Kubernetes' built-in roles and bindings, over objects already
    /// decoded. Of an object defined twice the first counts, as in the audit; the others are
    /// left out without a word.
    pub fn from_decoded(objects: impl IntoIterator<Item = RbacObject>) -> Evaluator {
        let mut builder = EvaluatorBuilder::new();
        for object in objects {
            let _ = builder.add_decoded(object);
        }
        builder.build()
    }

    fn index(mut roles: Vec<Role>, mut bindings: Vec<Binding>) -> Evaluator {
        // Grown by doubling while objects were added: up to twice the room they need, kept for
        // the evaluator's whole life.
        roles.shrink_to_fit();
        bindings.shrink_to_fit();
        let mut cluster_roles = HashMap::new();
        let mut namespaced_roles = HashMap::new();
        for (index, role) in roles.iter().enumerate() {
            match &role.namespace {
                None => cluster_roles.entry(role.name.as_str()).or_insert(index),
                Some(namespace) => namespaced_roles
                    .entry((namespace.as_str(), role.name.as_str()))
                    .or_insert(index),
            };
        }
        let mut binding_roles = Vec::with_capacity(bindings.len());
        for binding in &bindings {
            // The authorizer ignores roleRef.apiGroup; it looks roles up by kind and name only.
            let role = match (
                binding.kind,
                binding.role_ref.kind.as_str(),
                &binding.namespace,
            ) {
                (_, "ClusterRole", _) => cluster_roles.get(binding.role_ref.name.as_str()).copied(),
                (BindingKind::RoleBinding, "Role", Some(namespace)) => namespaced_roles
                    .get(&(namespace.as_str(), binding.role_ref.name.as_str()))
                    .copied(),
                _ => None,
            };
            binding_roles.push(role);
        }
        let mut namespace_bindings: Vec<BindingId> = (0..bindings.len())
            .filter(|&id| bindings[id].namespace.is_some())
            .filter_map(|id| BindingId::try_from(id).ok())
            .collect();
        let namespace_of = |id: &BindingId| bindings[*id as usize].namespace.as_deref();
        namespace_bindings.sort_by(|a, b| namespace_of(a).cmp(&namespace_of(b)));
        namespace_bindings.dedup_by(|a, b| namespace_of(a) == namespace_of(b));
        namespace_bindings.shrink_to_fit();
        Evaluator {
            subjects: SubjectIndex::new(&bindings),
            roles,
            bindings,
            binding_roles,
            namespace_bindings,
        }
    }

    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The bindings in the order they were added (refused ones left out), then the built-ins.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// Every binding with the role it refers to (`None` when that role does not exist), in
    /// the order of [`Evaluator::bindings`].
    pub fn bindings_with_roles(&self) -> impl Iterator<Item = (&Binding, Option<&Role>)> {
        self.bindings
            .iter()
            .zip(&self.binding_roles)
            .map(|(binding, role)| (binding, role.map(|index| &self.roles[index])))
    }

    /// Looks up a ClusterRole (namespace `None`) or Role.
    pub fn role(&self, namespace: Option<&str>, name: &str) -> Option<&Role> {
        self.roles
            .iter()
            .find(|role| role.namespace.as_deref() == namespace && role.name == name)
    }

    /// Namespaces that have at least one RoleBinding, sorted.
    pub fn binding_namespaces(&self) -> Vec<&str> {
        self.namespace_bindings
            .iter()
            .filter_map(|&id| self.bindings[id as usize].namespace.as_deref())
            .collect()
    }

    /// Authorizes a request of an already-complete identity (see [`UserInfo::authenticated`]).
    pub fn authorize(&self, user: &UserInfo, action: &Action) -> Decision<'_> {
        let mut candidates = Vec::new();
        self.bindings_for(None, Some(&user.name), &user.groups, &mut candidates);
        if let Some(grant) = self.first_grant(&candidates, user, action) {
            return Decision { grant: Some(grant) };
        }
        if let Some(namespace) = action.namespace() {
            candidates.clear();
            self.bindings_for(
                Some(namespace),
                Some(&user.name),
                &user.groups,
                &mut candidates,
            );
            return Decision {
                grant: self.first_grant(&candidates, user, action),
            };
        }
        Decision { grant: None }
    }

    /// `kubectl auth can-i` for a user name plus extra groups; the implicit groups
    /// (`system:authenticated`, service-account groups) are added.
    pub fn can_i(&self, user_name: &str, extra_groups: &[String], action: &Action) -> Decision<'_> {
        self.authorize(&UserInfo::authenticated(user_name, extra_groups), action)
    }

    /// The bindings of a scope (`None`: the ClusterRoleBindings, else the RoleBindings of that
    /// namespace) that name the user or one of the groups, in load order.
    fn bindings_for(
        &self,
        scope: Option<&str>,
        user: Option<&str>,
        groups: &[String],
        into: &mut Vec<BindingId>,
    ) {
        self.subjects
            .bindings_for(&self.bindings, scope, user, groups, into);
    }

    fn first_grant(
        &self,
        candidates: &[BindingId],
        user: &UserInfo,
        action: &Action,
    ) -> Option<Grant<'_>> {
        candidates.iter().find_map(|&id| {
            let binding = self.bindings.get(id as usize)?;
            let role = &self.roles[(*self.binding_roles.get(id as usize)?)?];
            let rule = role.rules.iter().find(|rule| rule_allows(rule, action))?;
            let subject = binding
                .subjects
                .iter()
                .find(|subject| subject_names(subject, Some(&user.name), &user.groups))?;
            Some(Grant {
                binding,
                subject,
                role,
                rule,
            })
        })
    }

    /// Every subject that may perform the action, with the binding and role granting it,
    /// sorted by subject and then binding. Subjects are as written in bindings (groups are not
    /// expanded to their members).
    pub fn who_can(&self, action: &Action) -> Vec<WhoCanEntry<'_>> {
        let namespace = action.namespace();
        let mut entries = Vec::new();
        for (binding, role) in self.bindings_with_roles() {
            let in_scope = match &binding.namespace {
                None => true,
                Some(binding_namespace) => Some(binding_namespace.as_str()) == namespace,
            };
            let Some(role) = role
                .filter(|role| in_scope && role.rules.iter().any(|rule| rule_allows(rule, action)))
            else {
                continue;
            };
            let mut seen = BTreeSet::new();
            for subject in &binding.subjects {
                if seen.insert(subject) {
                    entries.push(WhoCanEntry {
                        subject: subject.clone(),
                        binding,
                        role,
                    });
                }
            }
        }
        entries.sort_by(|a, b| {
            (
                &a.subject,
                a.binding.kind,
                &a.binding.namespace,
                &a.binding.name,
            )
                .cmp(&(
                    &b.subject,
                    b.binding.kind,
                    &b.binding.namespace,
                    &b.binding.name,
                ))
        });
        entries
    }

    /// Bindings (with their roles) that apply to an identity: cluster-wide ones, and per
    /// namespace the RoleBindings there. Used by access reports.
    pub(crate) fn applicable_bindings(
        &self,
        user: Option<&str>,
        groups: &[String],
    ) -> (Vec<usize>, Vec<(String, Vec<usize>)>) {
        let mut cluster = Vec::new();
        self.bindings_for(None, user, groups, &mut cluster);
        let mut namespaced = Vec::new();
        for namespace in self.binding_namespaces() {
            let mut ids = Vec::new();
            self.bindings_for(Some(namespace), user, groups, &mut ids);
            if !ids.is_empty() {
                namespaced.push((
                    namespace.to_owned(),
                    ids.into_iter().map(|id| id as usize).collect(),
                ));
            }
        }
        (
            cluster.into_iter().map(|id| id as usize).collect(),
            namespaced,
        )
    }

    pub(crate) fn binding_with_role(&self, index: usize) -> Option<(&Binding, Option<&Role>)> {
        let binding = self.bindings.get(index)?;
        let role = self
            .binding_roles
            .get(index)
            .copied()
            .flatten()
            .map(|role| &self.roles[role]);
        Some((binding, role))
    }
}

/// Whether a binding's subject names the user or one of the groups (the authorizer's
/// `appliesToUser`). A service account is named by its user name,
/// `system:serviceaccount:NAMESPACE:NAME`, compared piece by piece as the authorizer does.
fn subject_names(subject: &Subject, user: Option<&str>, groups: &[String]) -> bool {
    match subject {
        Subject::User(name) => user == Some(name.as_str()),
        Subject::Group(group) => groups.contains(group),
        Subject::ServiceAccount { namespace, name } => {
            user.and_then(|user| user.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX))
                .and_then(|rest| rest.strip_prefix(namespace.as_str()))
                .and_then(|rest| rest.strip_prefix(':'))
                == Some(name.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::model::split_yaml_documents;
    use crate::rbac::query::parse_query;

    const FIXTURE: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: scaler}
rules:
- {apiGroups: ["*"], resources: ["*/scale"], verbs: [update]}
- {apiGroups: [""], resources: ["pods/*"], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: wildcard-apps}
rules:
- {apiGroups: [apps], resources: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: named-secret}
rules:
- {apiGroups: [""], resources: [secrets], resourceNames: [db-password], verbs: [get, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: health}
rules:
- {nonResourceURLs: [/healthz, "/metrics*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-editor, namespace: team-a}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [create, delete]}
- {nonResourceURLs: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads-pods, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-edits-cms, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-editor}
subjects: [{kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: scaler}
subjects: [{kind: Group, name: ops}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops-apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: wildcard-apps}
subjects: [{kind: Group, name: ops}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer-secret, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: named-secret}
subjects: [{kind: ServiceAccount, name: deployer}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dangling, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: does-not-exist}
subjects: [{kind: User, name: carol}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: health}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: health}
subjects:
- {kind: Group, name: system:serviceaccounts:team-a}
- {kind: ServiceAccount, name: no-namespace-never-matches}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all-sas-read-pods}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects: [{kind: Group, name: system:serviceaccounts}]
"#;

    fn fixture_evaluator() -> Evaluator {
        let documents = split_yaml_documents(FIXTURE).expect("fixture parses");
        let (evaluator, errors) = Evaluator::from_objects(
            documents
                .iter()
                .map(|document| (document, ObjectOrigin::file("fixture.yaml"))),
            false,
        );
        assert_eq!(errors, []);
        evaluator
    }

    #[test]
    fn authorizer_cases() {
        let evaluator = fixture_evaluator();
        let sa = "system:serviceaccount:team-a:deployer";
        // (query line, extra groups, expected)
        let cases: &[(&str, &[&str], bool)] = &[
            // RoleBinding -> ClusterRole grants only in the binding's namespace.
            ("alice get pods team-a", &[], true),
            ("alice list pods team-a x", &[], true),
            ("alice get pods team-b", &[], false),
            ("alice get pods -", &[], false),
            ("alice delete pods team-a", &[], false),
            // Subresources are matched as resource/subresource.
            ("alice get pods/log team-a p", &[], true),
            ("alice get pods/exec team-a p", &[], false),
            ("alice get pods.apps team-a", &[], false),
            // RoleBinding -> Role.
            ("alice create configmaps team-a", &[], true),
            // Non-resource rules of a Role never apply (non-resource requests have no namespace).
            ("alice get /healthz", &[], false),
            // */scale in every group, cluster-wide and in every namespace.
            (
                "bob update deployments.apps/scale team-z web",
                &["ops"],
                true,
            ),
            ("bob update replicasets.apps/scale -", &["ops"], true),
            ("bob update deployments.apps team-z", &["ops"], true),
            ("bob update statefulsets.apps/scale team-z", &[], false),
            (
                "bob update widgets.example.com/scale team-z",
                &["ops"],
                true,
            ),
            (
                "bob update widgets.example.com/status team-z",
                &["ops"],
                false,
            ),
            // `pods/*` is not a wildcard in Kubernetes; `*` in resources covers subresources.
            ("bob create pods/exec team-z", &["ops"], false),
            ("bob create pods/* team-z", &["ops"], true),
            ("bob delete deployments.apps/status team-z", &["ops"], true),
            ("bob delete deployments.extensions team-z", &["ops"], false),
            // resourceNames: a request without a name does not match.
            (
                &"SA get secrets team-a db-password".replace("SA", sa),
                &[],
                true,
            ),
            (&"SA get secrets team-a".replace("SA", sa), &[], false),
            (&"SA get secrets team-a other".replace("SA", sa), &[], false),
            (&"SA list secrets team-a".replace("SA", sa), &[], false),
            (
                "system:serviceaccount:team-b:deployer get secrets team-a db-password",
                &[],
                false,
            ),
            // Service accounts are in system:serviceaccounts and system:serviceaccounts:NS.
            (&"SA get /healthz".replace("SA", sa), &[], true),
            (&"SA get /metrics/cadvisor".replace("SA", sa), &[], true),
            (&"SA get /metricsz".replace("SA", sa), &[], true),
            (&"SA get /metric".replace("SA", sa), &[], false),
            (&"SA get /healthz/ready".replace("SA", sa), &[], false),
            (&"SA post /healthz".replace("SA", sa), &[], false),
            (&"SA list pods kube-system".replace("SA", sa), &[], true),
            ("system:serviceaccount:team-b:x get /healthz", &[], false),
            ("system:serviceaccount:team-b:x list pods -", &[], true),
            // Not a valid service-account user name, so no service-account groups.
            ("system:serviceaccount:Team:x list pods -", &[], false),
            (
                "mallory get /healthz",
                &["system:serviceaccounts:team-a"],
                true,
            ),
            // A binding to a missing role grants nothing.
            ("carol get pods team-a", &[], false),
        ];
        for (line, groups, expected) in cases {
            let query = parse_query(line).expect("valid query");
            let groups: Vec<String> = groups.iter().map(|group| group.to_string()).collect();
            let decision = evaluator.can_i(&query.user, &groups, &query.action);
            assert_eq!(decision.allowed(), *expected, "{line} (groups {groups:?})");
        }
    }

    /// An object of the same kind, namespace and name as an earlier one is refused, naming
    /// the earlier one, which keeps granting; one of another kind or namespace is not a twin;
    /// and an object named like a built-in role replaces the built-in.
    #[test]
    fn an_index_key_only_selects_candidates() {
        let mut evaluator = fixture_evaluator();
        let names: Vec<String> = evaluator
            .bindings()
            .iter()
            .map(|b| b.name.clone())
            .collect();
        let id_of = |name: &str| {
            let index = names.iter().position(|n| n == name);
            BindingId::try_from(index.expect("binding exists")).expect("few bindings")
        };
        let (alice_edits, ops) = (id_of("alice-edits-cms"), id_of("ops"));
        // Keys that point at other subjects' bindings, as a hash collision would.
        for scope in [None, Some("team-a")] {
            let mallory = evaluator.subjects.key(scope, NameKind::User, "mallory");
            let staff = evaluator.subjects.key(scope, NameKind::Group, "staff");
            evaluator.subjects.entries.extend([
                (mallory, alice_edits),
                (mallory, ops),
                (staff, ops),
            ]);
        }
        evaluator.subjects.entries.sort_unstable();
        let mut found = Vec::new();
        for scope in [None, Some("team-a")] {
            evaluator.bindings_for(scope, Some("mallory"), &["staff".to_owned()], &mut found);
        }
        assert!(
            found.is_empty(),
            "a key is no proof that a binding names the subject: {found:?}"
        );
        let mallory = UserInfo::authenticated("mallory", &["staff".to_owned()]);
        for line in [
            "mallory create configmaps team-a",
            "mallory update deployments.apps/scale -",
        ] {
            let query = parse_query(line).expect("valid query");
            assert!(
                !evaluator.authorize(&mallory, &query.action).allowed(),
                "{line}"
            );
        }
        // The bindings that do name a subject are still found, in load order.
        evaluator.bindings_for(Some("team-a"), Some("alice"), &[], &mut found);
        assert_eq!(found, [id_of("alice-reads-pods"), alice_edits]);
    }

    #[test]
    fn a_service_account_is_indexed_under_its_user_name() {
        let user_name = "system:serviceaccount:team-a:deployer";
        let evaluator = fixture_evaluator();
        let deployer_secret = evaluator
            .bindings()
            .iter()
            .position(|b| b.name == "deployer-secret")
            .and_then(|index| BindingId::try_from(index).ok())
            .expect("the fixture binds the deployer");
        let key = evaluator
            .subjects
            .key(Some("team-a"), NameKind::User, user_name);
        let indexed: Vec<BindingId> = evaluator
            .subjects
            .entries
            .iter()
            .filter(|&&(entry, _)| entry == key)
            .map(|&(_, id)| id)
            .collect();
        assert_eq!(indexed, [deployer_secret]);
        let query = parse_query(&format!("{user_name} get secrets team-a db-password"))
            .expect("valid query");
        let decision = evaluator.can_i(user_name, &[], &query.action);
        assert_eq!(
            decision.grant.map(|grant| grant.binding.name.as_str()),
            Some("deployer-secret")
        );
    }

    #[test]
    fn the_first_of_two_definitions_counts() {
        let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: team-a}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: carol-views}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}]
"#;
        let documents = split_yaml_documents(text).expect("parses");
        let (evaluator, errors) = Evaluator::from_objects(
            documents
                .iter()
                .enumerate()
                .map(|(index, document)| (document, ObjectOrigin::file(format!("doc-{index}")))),
            true,
        );
        let refused: Vec<String> = errors
            .iter()
            .map(|e| format!("{} {} {}: {}", e.origin.file, e.kind, e.name, e.problem))
            .collect();
        assert_eq!(
            refused,
            [
                "doc-1 ClusterRole reader: defined twice; the definition in doc-0 is used",
                "doc-4 ClusterRoleBinding reader: defined twice; the definition in doc-3 is used",
            ]
        );
        let allowed = |line: &str| {
            let query = parse_query(line).expect("valid query");
            evaluator.can_i(&query.user, &[], &query.action).allowed()
        };
        assert!(allowed("alice get pods -"));
        assert!(!allowed("alice get secrets -"));
        assert!(!allowed("bob get pods -"));
        // The built-in `view` would let carol list pods; the output's empty `view` replaced it.
        assert!(!allowed("carol list pods team-a"));
    }

    #[test]
    fn decisions_name_the_granting_binding_role_and_subject() {
        let evaluator = fixture_evaluator();
        let query = parse_query("alice get pods/log team-a").expect("valid query");
        let grant = evaluator
            .can_i(&query.user, &[], &query.action)
            .grant
            .expect("allowed");
        assert_eq!(
            grant.binding.reference(),
            "RoleBinding/team-a/alice-reads-pods"
        );
        assert_eq!(grant.role.reference(), "ClusterRole/pod-reader");
        assert_eq!(grant.subject, &Subject::User("alice".into()));
        assert_eq!(grant.role.origin.file, "fixture.yaml");
        assert_eq!(grant.rule.resources, ["pods", "pods/log"]);
    }

    #[test]
    fn who_can_lists_subjects_with_their_bindings() {
        let evaluator = fixture_evaluator();
        let query = parse_query("x list pods team-a").expect("valid query");
        let entries: Vec<String> = evaluator
            .who_can(&query.action)
            .iter()
            .map(|entry| format!("{} via {}", entry.subject, entry.binding.reference()))
            .collect();
        assert_eq!(
            entries,
            [
                "alice via RoleBinding/team-a/alice-reads-pods",
                "group system:serviceaccounts via ClusterRoleBinding/all-sas-read-pods",
            ]
        );
    }

    #[test]
    fn duplicate_objects_are_refused_and_caller_objects_replace_builtins() {
        let documents = split_yaml_documents(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: view}\nrules: []\n",
        )
        .expect("parses");
        let twice = [&documents[0], &documents[0]];
        let (evaluator, errors) = Evaluator::from_objects(
            twice
                .iter()
                .map(|document| (*document, ObjectOrigin::file("a.yaml"))),
            true,
        );
        assert_eq!(errors.len(), 1);
        let view = evaluator.role(None, "view").expect("view exists");
        assert_eq!(view.origin.file, "a.yaml");
        assert!(
            view.rules.is_empty(),
            "a replaced built-in is not aggregated"
        );
    }

    #[test]
    fn builtin_policy_behaves_like_a_fresh_cluster() {
        let evaluator = EvaluatorBuilder::new().build();
        let cases: &[(&str, &[&str], bool)] = &[
            (
                "anyone create selfsubjectaccessreviews.authorization.k8s.io -",
                &[],
                true,
            ),
            ("anyone get /version", &[], true),
            ("system:anonymous get /version", &[], true),
            ("system:anonymous get /api", &[], false),
            ("anyone get /api/v1", &[], true),
            ("root delete nodes - n1", &["system:masters"], true),
            ("system:kube-scheduler create bindings team-a", &[], true),
            (
                "system:serviceaccount:kube-system:deployment-controller create replicasets.apps team-a",
                &[],
                true,
            ),
            ("anyone get pods team-a", &[], false),
        ];
        for (line, groups, expected) in cases {
            let query = parse_query(line).expect("valid query");
            let groups: Vec<String> = groups.iter().map(|group| group.to_string()).collect();
            assert_eq!(
                evaluator
                    .can_i(&query.user, &groups, &query.action)
                    .allowed(),
                *expected,
                "{line}"
            );
        }
        // Aggregation filled the user-facing roles.
        let allows = |role: &str, line: &str| {
            let query = parse_query(line).expect("valid query");
            let rules = &evaluator.role(None, role).expect("role exists").rules;
            rules.iter().any(|rule| rule_allows(rule, &query.action))
        };
        assert!(allows("view", "x get pods ns"));
        assert!(!allows("view", "x get secrets ns"));
        assert!(allows("edit", "x create deployments.apps ns"));
        assert!(allows("edit", "x get secrets ns"));
        assert!(!allows(
            "edit",
            "x create rolebindings.rbac.authorization.k8s.io ns"
        ));
        assert!(allows(
            "admin",
            "x create rolebindings.rbac.authorization.k8s.io ns"
        ));
        assert!(allows("admin", "x get pods/log ns"));
    }
}
