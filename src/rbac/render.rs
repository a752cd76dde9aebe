//! Plain-text renderings for people. Pure: they return `String`s; the CLI prints them.

use std::collections::BTreeSet;

use super::access::{ResourcePermission, SubjectAccess};
use super::evaluator::WhoCanEntry;
use super::matching::Action;

/// The verbs that get their own column in access tables, in the usual kubectl order.
const TABLE_VERBS: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// Left-aligned columns separated by two spaces, without trailing blanks.
fn format_table(rows: &[Vec<String>], indent: &str) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in rows {
        let mut line = String::from(indent);
        for (column, cell) in row.iter().enumerate() {
            if column > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            let padding = widths[column].saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', padding));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// Describes an action in words: `get pods in team-a`, `get /healthz`.
pub fn describe_action(action: &Action) -> String {
    match action {
        Action::Resource(request) => {
            let mut text = format!("{} {}", request.verb, request.resource_spelling());
            if let Some(name) = &request.name {
                text.push_str(&format!(" named {name}"));
            }
            match &request.namespace {
                Some(namespace) => text.push_str(&format!(" in {namespace}")),
                None => text.push_str(" cluster-wide"),
            }
            text
        }
        Action::NonResource { verb, path } => format!("{verb} {path}"),
    }
}

/// `who-can` output: one row per subject and granting binding.
pub fn render_who_can(action: &Action, entries: &[WhoCanEntry<'_>]) -> String {
    let mut text = format!("who can {}:\n", describe_action(action));
    if entries.is_empty() {
        text.push_str("  nobody\n");
        return text;
    }
    let mut rows = vec![vec![
        "SUBJECT".to_owned(),
        "BINDING".to_owned(),
        "ROLE".to_owned(),
        "SOURCE".to_owned(),
    ]];
    for entry in entries {
        rows.push(vec![
            entry.subject.to_string(),
            entry.binding.reference(),
            entry.role.reference(),
            entry.binding.origin.to_string(),
        ]);
    }
    text.push_str(&format_table(&rows, "  "));
    text
}

fn resource_label(permission: &ResourcePermission) -> String {
    let mut label = permission.resource.clone();
    if !permission.api_group.is_empty() {
        label = match label.split_once('/') {
            Some((resource, subresource)) => {
                format!("{resource}.{}/{subresource}", permission.api_group)
            }
            None => format!("{label}.{}", permission.api_group),
        };
    }
    if !permission.resource_names.is_empty() {
        label.push_str(&format!(" [{}]", permission.resource_names.join(",")));
    }
    label
}

fn verb_cells(verbs: &BTreeSet<String>) -> (Vec<String>, String) {
    let all = verbs.contains("*");
    let cells = TABLE_VERBS
        .iter()
        .map(|verb| {
            if all {
                "*"
            } else if verbs.contains(*verb) {
                "x"
            } else {
                "."
            }
        })
        .map(str::to_owned)
        .collect();
    let others: Vec<&str> = verbs
        .iter()
        .map(String::as_str)
        .filter(|verb| !TABLE_VERBS.contains(verb))
        .collect();
    (cells, others.join(","))
}

fn render_permission_table(permissions: &[ResourcePermission]) -> String {
    let mut header = vec!["RESOURCE".to_owned()];
    header.extend(TABLE_VERBS.iter().map(|verb| verb.to_string()));
    header.extend(["OTHER".to_owned(), "VIA".to_owned()]);
    let mut rows = vec![header];
    for permission in permissions {
        let (cells, others) = verb_cells(&permission.verbs);
        let mut row = vec![resource_label(permission)];
        row.extend(cells);
        row.push(if others.is_empty() {
            "-".to_owned()
        } else {
            others
        });
        row.push(
            permission
                .via
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        );
        rows.push(row);
    }
    format_table(&rows, "    ")
}

/// `access` output: a verb-by-resource table per scope, then the non-resource URLs.
/// `x` = granted, `.` = not granted, `*` = every verb.
pub fn render_access(access: &SubjectAccess) -> String {
    let mut text = format!("access of {}", access.subject);
    if !access.implicit_groups.is_empty() {
        text.push_str(&format!(
            " (with groups {})",
            access.implicit_groups.join(", ")
        ));
    }
    text.push('\n');
    if access.cluster_wide.is_empty()
        && access.namespaces.is_empty()
        && access.non_resource_urls.is_empty()
    {
        text.push_str("  nothing\n");
        return text;
    }
    if !access.cluster_wide.is_empty() {
        text.push_str("  cluster-wide (also in every namespace):\n");
        text.push_str(&render_permission_table(&access.cluster_wide));
    }
    for (namespace, permissions) in &access.namespaces {
        text.push_str(&format!("  in namespace {namespace}:\n"));
        text.push_str(&render_permission_table(permissions));
    }
    if !access.non_resource_urls.is_empty() {
        text.push_str("  non-resource URLs:\n");
        let mut rows = vec![vec!["URL".to_owned(), "VERBS".to_owned(), "VIA".to_owned()]];
        for permission in &access.non_resource_urls {
            rows.push(vec![
                permission.url.clone(),
                permission
                    .verbs
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(","),
                permission
                    .via
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            ]);
        }
        text.push_str(&format_table(&rows, "    "));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::evaluator::Evaluator;
    use crate::rbac::model::{ObjectOrigin, Subject, split_yaml_documents};
    use crate::rbac::query::parse_query;

    const POLICY: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: app-developer}
rules:
- {apiGroups: ["", apps], resources: [pods, deployments, deployments/scale], verbs: [get, list, watch, create, update, patch, delete]}
- {apiGroups: [""], resources: [pods/log], verbs: [get]}
- {apiGroups: [""], resources: [secrets], resourceNames: [app-config], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: platform-viewer}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch]}
- {nonResourceURLs: [/metrics, "/debug/*"], verbs: [get]}
- {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: developers, namespace: acme-prod}
roleRef: {kind: ClusterRole, name: app-developer}
subjects:
- {kind: User, name: alice@acme.example}
- {kind: Group, name: acme-devs}
- {kind: ServiceAccount, name: deployer}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: platform}
roleRef: {kind: ClusterRole, name: platform-viewer}
subjects: [{kind: Group, name: acme-ops}, {kind: User, name: alice@acme.example}]
"#;

    fn evaluator() -> Evaluator {
        let documents = split_yaml_documents(POLICY).expect("parses");
        let origin = ObjectOrigin {
            file: "out/rbac.yaml".into(),
            input: Some("tenants/acme.yaml".into()),
        };
        let (evaluator, errors) = Evaluator::from_objects(
            documents.iter().map(|document| (document, origin.clone())),
            false,
        );
        assert_eq!(errors, []);
        evaluator
    }

    #[test]
    fn who_can_rendering() {
        let evaluator = evaluator();
        let mut text = String::new();
        for line in [
            "x get pods acme-prod",
            "x update deployments.apps/scale acme-prod web",
            "x get /debug/pprof",
            "x delete nodes -",
        ] {
            let query = parse_query(line).expect("valid query");
            text.push_str(&render_who_can(
                &query.action,
                &evaluator.who_can(&query.action),
            ));
        }
        insta::assert_snapshot!(text);
    }

    #[test]
    fn access_rendering() {
        let evaluator = evaluator();
        let mut text = String::new();
        for subject in [
            Subject::User("alice@acme.example".into()),
            Subject::ServiceAccount {
                namespace: "acme-prod".into(),
                name: "deployer".into(),
            },
            Subject::Group("acme-ops".into()),
            Subject::Group("nobody".into()),
        ] {
            text.push_str(&render_access(&evaluator.access(&subject)));
        }
        insta::assert_snapshot!(text);
    }
}
