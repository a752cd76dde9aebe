//! Kubernetes label selectors (`matchLabels`, `matchExpressions`), as NetworkPolicies use them
//! to pick namespaces.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::StringMap;

/// Serialized with snake_case names for templates; read with Kubernetes' camelCase names,
/// where an explicit `null` is an empty list or map.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct LabelSelector {
    #[serde(default, deserialize_with = "null_as_default")]
    pub match_labels: StringMap,
    #[serde(default, deserialize_with = "null_as_default")]
    pub match_expressions: Vec<SelectorExpression>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SelectorExpression {
    pub key: String,
    pub operator: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub values: Vec<String>,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

pub const OPERATORS: [&str; 4] = ["In", "NotIn", "Exists", "DoesNotExist"];

impl LabelSelector {
    pub fn with_label(key: &str, value: &str) -> LabelSelector {
        LabelSelector {
            match_labels: [(key.to_string(), value.to_string())].into_iter().collect(),
            match_expressions: Vec::new(),
        }
    }

    /// Whether a set of labels matches, by Kubernetes' rules: every matchLabels pair and every
    /// expression must hold; an empty selector matches everything. `None` when the selector is
    /// invalid (an unknown operator, `In`/`NotIn` without values, `Exists`/`DoesNotExist` with
    /// values), which Kubernetes refuses to evaluate.
    pub fn evaluate(&self, labels: &BTreeMap<String, String>) -> Option<bool> {
        let mut matches = self
            .match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v));
        for e in &self.match_expressions {
            let value = labels.get(&e.key);
            let values = &e.values;
            matches &= match e.operator.as_str() {
                "In" if !values.is_empty() => value.is_some_and(|v| values.contains(v)),
                "NotIn" if !values.is_empty() => value.is_none_or(|v| !values.contains(v)),
                "Exists" if values.is_empty() => value.is_some(),
                "DoesNotExist" if values.is_empty() => value.is_none(),
                _ => return None,
            };
        }
        Some(matches)
    }

    /// [`LabelSelector::evaluate`], with an invalid selector matching nothing.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.evaluate(labels).unwrap_or(false)
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
            match_labels: StringMap::default(),
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
