//! Property: the indexed evaluator answers exactly like a brute-force reading of the RBAC
//! rules, written here independently from the library (straight from the Kubernetes source's
//! description of the authorizer), on random manifests and queries.

use proptest::prelude::*;
use serde_json::{Value, json};
use tenet::rbac::{Evaluator, ObjectOrigin, parse_query};

const USERS: &[&str] = &[
    "alice",
    "bob",
    "system:serviceaccount:ns-a:sa",
    "system:serviceaccount:ns-b:sa",
    "system:anonymous",
];
const GROUPS: &[&str] = &[
    "dev",
    "system:authenticated",
    "system:serviceaccounts",
    "system:serviceaccounts:ns-a",
    "system:unauthenticated",
];
const NAMESPACES: &[&str] = &["ns-a", "ns-b"];
const VERBS: &[&str] = &["get", "list", "delete", "*"];
const API_GROUPS: &[&str] = &["", "apps", "*"];
const RESOURCES: &[&str] = &[
    "pods",
    "pods/log",
    "*/scale",
    "*",
    "deployments",
    "deployments/scale",
    "pods/*",
];
const NAMES: &[&str] = &["a", "b"];
const URLS: &[&str] = &["/healthz", "/api*", "*", "/api/v1"];
const ROLE_NAMES: &[&str] = &["r0", "r1", "r2", "missing"];

fn pick(items: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    proptest::sample::select(items)
}

fn rule() -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec(pick(VERBS), 1..3),
        proptest::collection::vec(pick(API_GROUPS), 0..3),
        proptest::collection::vec(pick(RESOURCES), 0..3),
        proptest::collection::vec(pick(NAMES), 0..2),
        proptest::collection::vec(pick(URLS), 0..2),
    )
        .prop_map(|(verbs, groups, resources, names, urls)| {
            json!({"verbs": verbs, "apiGroups": groups, "resources": resources, "resourceNames": names, "nonResourceURLs": urls})
        })
}

fn subject() -> impl Strategy<Value = Value> {
    prop_oneof![
        pick(USERS).prop_map(|name| json!({"kind": "User", "name": name})),
        pick(GROUPS).prop_map(|name| json!({"kind": "Group", "name": name})),
        (proptest::option::of(pick(NAMESPACES))).prop_map(|namespace| match namespace {
            Some(namespace) =>
                json!({"kind": "ServiceAccount", "name": "sa", "namespace": namespace}),
            None => json!({"kind": "ServiceAccount", "name": "sa"}),
        }),
    ]
}

/// (is cluster binding, namespace, roleRef kind is ClusterRole, role name, subjects)
type BindingSpec = (bool, &'static str, bool, &'static str, Vec<Value>);

fn manifests() -> impl Strategy<Value = Vec<Value>> {
    let cluster_roles = proptest::collection::vec(proptest::collection::vec(rule(), 0..3), 3);
    let roles = proptest::collection::vec(
        (pick(NAMESPACES), proptest::collection::vec(rule(), 0..3)),
        0..3,
    );
    let bindings = proptest::collection::vec(
        (
            any::<bool>(),
            pick(NAMESPACES),
            any::<bool>(),
            pick(ROLE_NAMES),
            proptest::collection::vec(subject(), 1..3),
        ),
        0..6,
    );
    (cluster_roles, roles, bindings).prop_map(|(cluster_roles, roles, bindings): (_, Vec<(&str, Vec<Value>)>, Vec<BindingSpec>)| {
        let mut objects = Vec::new();
        for (index, rules) in cluster_roles.into_iter().enumerate() {
            objects.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": format!("r{index}")}, "rules": rules}));
        }
        let mut seen_roles = std::collections::BTreeSet::new();
        for (index, (namespace, rules)) in roles.into_iter().enumerate() {
            let name = format!("r{index}");
            if seen_roles.insert((namespace, name.clone())) {
                objects.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": {"name": name, "namespace": namespace}, "rules": rules}));
            }
        }
        for (index, (cluster, namespace, to_cluster_role, role, subjects)) in bindings.into_iter().enumerate() {
            let kind = if to_cluster_role { "ClusterRole" } else { "Role" };
            let role_ref = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role});
            objects.push(if cluster {
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                    "metadata": {"name": format!("b{index}")}, "roleRef": role_ref, "subjects": subjects})
            } else {
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": format!("b{index}"), "namespace": namespace}, "roleRef": role_ref, "subjects": subjects})
            });
        }
        objects
    })
}

fn query_line() -> impl Strategy<Value = String> {
    let resource_query = (
        pick(USERS),
        pick(&["get", "list", "delete", "patch", "*"]),
        pick(&[
            "pods",
            "pods/log",
            "pods/exec",
            "deployments.apps",
            "deployments.apps/scale",
            "pods/*",
            "widgets.x.io/scale",
        ]),
        pick(&["ns-a", "ns-b", "ns-c", "-"]),
        proptest::option::of(pick(&["a", "b", "c"])),
    )
        .prop_map(|(user, verb, resource, namespace, name)| match name {
            Some(name) => format!("{user} {verb} {resource} {namespace} {name}"),
            None => format!("{user} {verb} {resource} {namespace}"),
        });
    let url_query = (
        pick(USERS),
        pick(&["get", "post"]),
        pick(&["/healthz", "/api", "/apis", "/api/v1", "/x"]),
    )
        .prop_map(|(user, verb, path)| format!("{user} {verb} {path}"));
    prop_oneof![4 => resource_query, 1 => url_query]
}

// ---- the brute-force authorizer, reading the JSON objects directly ----

fn strings(value: &Value, key: &str) -> Vec<String> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

struct Request {
    user: String,
    groups: Vec<String>,
    verb: String,
    resource: Option<(String, String, String, String, String)>,
    path: String,
}

fn rule_allows(rule: &Value, request: &Request) -> bool {
    let verbs = strings(rule, "verbs");
    if !verbs
        .iter()
        .any(|verb| verb == "*" || *verb == request.verb)
    {
        return false;
    }
    match &request.resource {
        Some((group, resource, subresource, _namespace, name)) => {
            let combined = if subresource.is_empty() {
                resource.clone()
            } else {
                format!("{resource}/{subresource}")
            };
            strings(rule, "apiGroups")
                .iter()
                .any(|g| g == "*" || g == group)
                && strings(rule, "resources").iter().any(|r| {
                    r == "*"
                        || *r == combined
                        || (!subresource.is_empty() && *r == format!("*/{subresource}"))
                })
                && {
                    let names = strings(rule, "resourceNames");
                    names.is_empty() || names.contains(name)
                }
        }
        None => strings(rule, "nonResourceURLs").iter().any(|url| {
            url == "*"
                || *url == request.path
                || (url.ends_with('*') && request.path.starts_with(url.trim_end_matches('*')))
        }),
    }
}

fn subject_applies(subject: &Value, request: &Request, binding_namespace: &str) -> bool {
    let name = text(subject, "/name");
    match text(subject, "/kind") {
        "User" => name == request.user,
        "Group" => request.groups.iter().any(|group| group == name),
        "ServiceAccount" => {
            let namespace = match text(subject, "/namespace") {
                "" => binding_namespace,
                namespace => namespace,
            };
            !namespace.is_empty()
                && request.user == format!("system:serviceaccount:{namespace}:{name}")
        }
        _ => false,
    }
}

fn brute_force_allows(objects: &[Value], request: &Request) -> bool {
    let namespace = request
        .resource
        .as_ref()
        .map(|resource| resource.3.clone())
        .unwrap_or_default();
    objects.iter().any(|binding| {
        let kind = text(binding, "/kind");
        let binding_namespace = text(binding, "/metadata/namespace");
        let applies_here = match kind {
            "ClusterRoleBinding" => true,
            "RoleBinding" => !namespace.is_empty() && binding_namespace == namespace,
            _ => false,
        };
        if !applies_here {
            return false;
        }
        let subjects = binding
            .get("subjects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !subjects
            .iter()
            .any(|subject| subject_applies(subject, request, binding_namespace))
        {
            return false;
        }
        let (role_kind, role_name) = (
            text(binding, "/roleRef/kind"),
            text(binding, "/roleRef/name"),
        );
        let role = objects.iter().find(|role| match (kind, role_kind) {
            (_, "ClusterRole") => {
                text(role, "/kind") == "ClusterRole" && text(role, "/metadata/name") == role_name
            }
            ("RoleBinding", "Role") => {
                text(role, "/kind") == "Role"
                    && text(role, "/metadata/name") == role_name
                    && text(role, "/metadata/namespace") == binding_namespace
            }
            _ => false,
        });
        role.and_then(|role| role.get("rules"))
            .and_then(Value::as_array)
            .is_some_and(|rules| rules.iter().any(|rule| rule_allows(rule, request)))
    })
}

fn brute_force_request(line: &str, extra_groups: &[String]) -> Request {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let user = fields[0].to_owned();
    let mut groups = extra_groups.to_vec();
    if let Some(namespace) = user
        .strip_prefix("system:serviceaccount:")
        .and_then(|rest| rest.split(':').next())
    {
        groups.push("system:serviceaccounts".into());
        groups.push(format!("system:serviceaccounts:{namespace}"));
    }
    groups.push(if user == "system:anonymous" {
        "system:unauthenticated".into()
    } else {
        "system:authenticated".into()
    });
    let verb = fields[1].to_owned();
    if fields[2].starts_with('/') {
        return Request {
            user,
            groups,
            verb,
            resource: None,
            path: fields[2].to_owned(),
        };
    }
    let (resource_group, subresource) = fields[2].split_once('/').unwrap_or((fields[2], ""));
    let (resource, group) = resource_group
        .split_once('.')
        .unwrap_or((resource_group, ""));
    let namespace = if fields[3] == "-" { "" } else { fields[3] };
    let name = fields.get(4).copied().unwrap_or("");
    Request {
        user,
        groups,
        verb,
        resource: Some((
            group.into(),
            resource.into(),
            subresource.into(),
            namespace.into(),
            name.into(),
        )),
        path: String::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn indexed_evaluator_agrees_with_brute_force(
        objects in manifests(),
        queries in proptest::collection::vec(query_line(), 1..40),
        extra_group in proptest::option::of(pick(GROUPS)),
    ) {
        let (evaluator, errors) = Evaluator::from_objects(objects.iter().map(|object| (object, ObjectOrigin::file("p.yaml"))), false);
        prop_assert!(errors.is_empty(), "{errors:?}");
        let extra_groups: Vec<String> = extra_group.into_iter().map(str::to_owned).collect();
        for line in &queries {
            let query = parse_query(line).expect("generated queries are valid");
            let indexed = evaluator.can_i(&query.user, &extra_groups, &query.action).allowed();
            let brute = brute_force_allows(&objects, &brute_force_request(line, &extra_groups));
            prop_assert_eq!(indexed, brute, "{} with groups {:?}", line, extra_groups);
        }
    }
}
