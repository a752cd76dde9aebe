//! Kubernetes label selectors (`matchLabels`, `matchExpressions`), as NetworkPolicies use them
//! to pick namespaces.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Serialized with snake_case names for templates; read with Kubernetes' camelCase names.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct LabelSelector {
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub match_expressions: Vec<SelectorExpression>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SelectorExpression {
    pub key: String,
    pub operator: String,
    #[serde(default)]
    pub values: Vec<String>,
}

pub const OPERATORS: [&str; 4] = ["In", "NotIn", "Exists", "DoesNotExist"];

impl LabelSelector {
    pub fn with_label(key: &str, value: &str) -> LabelSelector {
        LabelSelector {
            match_labels: BTreeMap::from([(key.to_string(), value.to_string())]),
            match_expressions: Vec::new(),
        }
    }

    /// Whether a set of labels matches, by Kubernetes' rules: every matchLabels pair and every
    /// expression must hold; an empty selector matches everything. An unknown operator matches
    /// nothing.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|e| {
                let value = labels.get(&e.key);
                match e.operator.as_str() {
                    "In" => value.is_some_and(|v| e.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !e.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn matching_follows_kubernetes() {
        let web = labels(&[("team", "web"), ("env", "prod")]);
        assert!(LabelSelector::default().matches(&web));
        assert!(LabelSelector::with_label("team", "web").matches(&web));
        assert!(!LabelSelector::with_label("team", "db").matches(&web));
        let expr = |op: &str, values: &[&str]| LabelSelector {
            match_labels: BTreeMap::new(),
            match_expressions: vec![SelectorExpression {
                key: "env".into(),
                operator: op.into(),
                values: values.iter().map(|s| s.to_string()).collect(),
            }],
        };
        assert!(expr("In", &["prod", "qa"]).matches(&web));
        assert!(!expr("NotIn", &["prod"]).matches(&web));
        assert!(expr("NotIn", &["prod"]).matches(&labels(&[])));
        assert!(expr("Exists", &[]).matches(&web));
        assert!(!expr("DoesNotExist", &[]).matches(&web));
    }
}
