//! ClusterRole aggregation as the `clusterrole-aggregation` controller computes it
//! (`pkg/controller/clusterroleaggregation`): an aggregated role's rules are replaced by the
//! de-duplicated rules of every other ClusterRole its selectors match, visited per selector in
//! name order. Aggregated roles may feed each other (admin includes edit), so we sync until
//! nothing changes, the state the controller converges to.

use std::collections::BTreeMap;

use super::model::{LabelSelector, PolicyRule, Role, RoleKind};

/// How often all aggregated roles are re-synced at most; real chains are two or three deep, and
/// cyclic selections could otherwise flip forever.
const MAX_SYNC_ROUNDS: usize = 64;

/// Whether the selector matches the labels, or `None` if the selector is invalid (the controller
/// then fails to sync and the role keeps the rules stored on it).
pub fn label_selector_matches(
    selector: &LabelSelector,
    labels: &BTreeMap<String, String>,
) -> Option<bool> {
    selector.evaluate(labels)
}

/// Replaces the rules of every ClusterRole that has an aggregationRule. `roles` holds one
/// ClusterRole per name (Roles in the slice are ignored).
pub fn expand_aggregated_cluster_roles(roles: &mut [Role]) {
    let mut aggregated: Vec<usize> = (0..roles.len())
        .filter(|&index| {
            roles[index].kind == RoleKind::ClusterRole
                && roles[index].aggregation_selectors.is_some()
        })
        .collect();
    aggregated.sort_by(|&a, &b| roles[a].name.cmp(&roles[b].name));
    let mut cluster_roles_by_name: Vec<usize> = (0..roles.len())
        .filter(|&index| roles[index].kind == RoleKind::ClusterRole)
        .collect();
    cluster_roles_by_name.sort_by(|&a, &b| roles[a].name.cmp(&roles[b].name));

    for _ in 0..MAX_SYNC_ROUNDS {
        let mut changed = false;
        for &target in &aggregated {
            if let Some(rules) = aggregate_rules(roles, target, &cluster_roles_by_name)
                && rules != roles[target].rules
            {
                roles[target].rules = rules;
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

fn aggregate_rules(
    roles: &[Role],
    target: usize,
    cluster_roles_by_name: &[usize],
) -> Option<Vec<PolicyRule>> {
    let selectors = roles[target].aggregation_selectors.as_ref()?;
    let mut rules: Vec<PolicyRule> = Vec::new();
    for selector in selectors {
        for &candidate in cluster_roles_by_name {
            if roles[candidate].name == roles[target].name {
                continue;
            }
            if !label_selector_matches(selector, &roles[candidate].labels)? {
                continue;
            }
            for rule in &roles[candidate].rules {
                if !rules.contains(rule) {
                    rules.push(rule.clone());
                }
            }
        }
    }
    Some(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::model::{LabelSelectorRequirement, ObjectOrigin};

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn requirement(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: operator.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn selectors_follow_label_selector_semantics() {
        let team_a = labels(&[("team", "a"), ("tier", "web")]);
        let by_expressions = |requirements: Vec<LabelSelectorRequirement>| LabelSelector {
            match_labels: Default::default(),
            match_expressions: requirements,
        };
        assert_eq!(
            label_selector_matches(&LabelSelector::default(), &team_a),
            Some(true)
        );
        let match_labels = LabelSelector {
            match_labels: labels(&[("team", "a")]).into_iter().collect(),
            ..Default::default()
        };
        assert_eq!(label_selector_matches(&match_labels, &team_a), Some(true));
        assert_eq!(
            label_selector_matches(&match_labels, &labels(&[])),
            Some(false)
        );
        let cases = [
            (requirement("team", "In", &["a", "b"]), Some(true)),
            (requirement("team", "NotIn", &["a"]), Some(false)),
            (requirement("owner", "NotIn", &["a"]), Some(true)),
            (requirement("tier", "Exists", &[]), Some(true)),
            (requirement("owner", "DoesNotExist", &[]), Some(true)),
            (requirement("team", "In", &[]), None),
            (requirement("team", "Exists", &["a"]), None),
            (requirement("team", "Gt", &["1"]), None),
        ];
        for (requirement, expected) in cases {
            let description = format!("{requirement:?}");
            assert_eq!(
                label_selector_matches(&by_expressions(vec![requirement]), &team_a),
                expected,
                "{description}"
            );
        }
    }

    fn cluster_role(
        name: &str,
        role_labels: &[(&str, &str)],
        verbs: &[&str],
        selectors: Option<Vec<LabelSelector>>,
    ) -> Role {
        Role {
            kind: RoleKind::ClusterRole,
            namespace: None,
            name: name.into(),
            labels: labels(role_labels),
            rules: verbs
                .iter()
                .map(|verb| PolicyRule {
                    verbs: vec![verb.to_string()],
                    ..Default::default()
                })
                .collect(),
            aggregation_selectors: selectors,
            origin: ObjectOrigin::file("test"),
        }
    }

    fn select(key: &str) -> Vec<LabelSelector> {
        vec![LabelSelector {
            match_labels: labels(&[(key, "true")]).into_iter().collect(),
            ..Default::default()
        }]
    }

    #[test]
    fn chains_of_aggregated_roles_converge_and_own_rules_are_replaced() {
        let mut roles = vec![
            // "admin" sorts before "edit", so one pass is not enough.
            cluster_role("admin", &[], &["own-admin"], Some(select("to-admin"))),
            cluster_role(
                "edit",
                &[("to-admin", "true")],
                &[],
                Some(select("to-edit")),
            ),
            cluster_role(
                "extra-edit",
                &[("to-edit", "true")],
                &["patch", "get"],
                None,
            ),
            cluster_role(
                "extra-admin",
                &[("to-admin", "true")],
                &["get", "bind"],
                None,
            ),
        ];
        expand_aggregated_cluster_roles(&mut roles);
        let verbs = |role: &Role| {
            role.rules
                .iter()
                .map(|rule| rule.verbs[0].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(verbs(&roles[1]), ["patch", "get"]);
        // Selector matches in name order (edit, extra-admin), duplicates dropped.
        assert_eq!(verbs(&roles[0]), ["patch", "get", "bind"]);
    }
}
