//! Stage 5, `canonicalize`: give every object one textual form, whatever the template's
//! whitespace, key order or list order, so that output is byte-identical across runs.

use std::cmp::Ordering;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// RBAC list fields that are sets: sorting them changes no meaning.
const RBAC_SET_FIELDS: [&str; 5] = [
    "apiGroups",
    "resources",
    "verbs",
    "resourceNames",
    "nonResourceURLs",
];

/// Sorts the set-like parts of an object in place: the string lists inside RBAC rules, the
/// rules themselves, and binding subjects. Duplicates in those sets are dropped.
pub fn canonicalize(value: &mut Value) {
    let is_rbac = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("rbac.authorization.k8s.io/"));
    if !is_rbac {
        return;
    }
    if let Some(Value::Array(rules)) = value.get_mut("rules") {
        for rule in rules.iter_mut() {
            for field in RBAC_SET_FIELDS {
                if let Some(Value::Array(items)) = rule.get_mut(field) {
                    sort_dedup(items);
                }
            }
        }
        sort_dedup(rules);
    }
    if let Some(Value::Array(subjects)) = value.get_mut("subjects") {
        sort_dedup_by_key(subjects, |s| {
            ["kind", "namespace", "name", "apiGroup"]
                .map(|k| s.get(k).and_then(Value::as_str).unwrap_or("").to_string())
        });
    }
}

fn sort_dedup(items: &mut Vec<Value>) {
    sort_dedup_by_key(items, |v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
}

fn sort_dedup_by_key<K: Ord>(items: &mut Vec<Value>, key: impl Fn(&Value) -> K) {
    items.sort_by_cached_key(|v| key(v));
    items.dedup();
}

/// Where a mapping sits, which decides its key order.
#[derive(Clone, Copy)]
enum Level {
    Top,
    Metadata,
    Other,
}

fn rank(level: Level, key: &str) -> u8 {
    match (level, key) {
        (Level::Top, "apiVersion") => 0,
        (Level::Top, "kind") => 1,
        (Level::Top, "metadata") => 2,
        (Level::Metadata, "name") => 0,
        (Level::Metadata, "namespace") => 1,
        _ => 3,
    }
}

/// Serializes a value with tenet's key order: `apiVersion`, `kind`, `metadata` first at the
/// top, `name` and `namespace` first in metadata, everything else sorted by key.
struct Ordered<'a> {
    value: &'a Value,
    level: Level,
}

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by(|a, b| match rank(self.level, a).cmp(&rank(self.level, b)) {
                    Ordering::Equal => a.cmp(b),
                    other => other,
                });
                let mut out = serializer.serialize_map(Some(keys.len()))?;
                for key in keys {
                    let level = match (self.level, key.as_str()) {
                        (Level::Top, "metadata") => Level::Metadata,
                        _ => Level::Other,
                    };
                    out.serialize_entry(
                        key,
                        &Ordered {
                            value: &map[key],
                            level,
                        },
                    )?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Ordered {
                        value: item,
                        level: Level::Other,
                    })?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// The canonical YAML text of one object. The serializer quotes every string that a YAML 1.1
/// reader could take for something else (`on`, `no`, `y`, `007`, `1e3`, `~`, dates, ...).
/// Block scalars are off: a long or multi-line string stays one quoted scalar, whose value no
/// reader can fold or re-indent differently.
pub fn to_canonical_yaml(value: &Value) -> Result<String, String> {
    let options = serde_saphyr::ser_options! {
        prefer_block_scalars: false,
    };
    let mut out = String::new();
    serde_saphyr::to_fmt_writer_with_options(
        &mut out,
        &Ordered {
            value,
            level: Level::Top,
        },
        options,
    )
    .map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn orders_keys_and_sorts_rbac_sets() {
        let mut role = json!({
            "rules": [
                {"verbs": ["get", "create", "get"], "resources": ["pods"], "apiGroups": [""]},
                {"verbs": ["list"], "resources": ["configmaps"], "apiGroups": [""]}
            ],
            "metadata": {"labels": {"z": "1", "name": "a"}, "namespace": "ns", "name": "r"},
            "kind": "Role",
            "apiVersion": "rbac.authorization.k8s.io/v1"
        });
        canonicalize(&mut role);
        let text = to_canonical_yaml(&role).unwrap();
        insta::assert_snapshot!(text, @r#"
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata:
          name: r
          namespace: ns
          labels:
            name: a
            z: "1"
        rules:
        - apiGroups:
          - ""
          resources:
          - configmaps
          verbs:
          - list
        - apiGroups:
          - ""
          resources:
          - pods
          verbs:
          - create
          - get
        "#);
    }

    #[test]
    fn quotes_strings_yaml_1_1_would_misread() {
        let value =
            json!({"a": ["on", "no", "y", "true", "007", "1e3", "~", "2024-01-01", "off", "Yes"]});
        let text = to_canonical_yaml(&value).unwrap();
        for word in [
            "on",
            "no",
            "y",
            "true",
            "007",
            "1e3",
            "~",
            "2024-01-01",
            "off",
            "Yes",
        ] {
            assert!(
                text.contains(&format!("- \"{word}\"")),
                "{word} not quoted in:\n{text}"
            );
        }
    }
}
