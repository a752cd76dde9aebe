//! Static reachability between namespaces, from the NetworkPolicies and Namespaces of a
//! manifest set, as Kubernetes enforces ingress policies.
//!
//! The unit is the namespace: a namespace "may reach" another when at least one of its pods may
//! open a connection to at least one pod of the other on some port. Pod selectors inside peers
//! and ports narrow that down but never to nothing, so they are not needed to answer the
//! question; an `ipBlock` peer is treated as admitting no namespace (tenet never emits one).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use crate::selector::LabelSelector;
use crate::validate::NAMESPACE_NAME_LABEL;

/// The parts of a NetworkPolicy's spec that decide which namespaces it admits.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySpec {
    #[serde(default)]
    pod_selector: Option<LabelSelector>,
    #[serde(default)]
    policy_types: Option<Vec<String>>,
    #[serde(default)]
    ingress: Option<Vec<IngressRule>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
struct IngressRule {
    #[serde(default)]
    from: Option<Vec<Peer>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Peer {
    namespace_selector: Option<LabelSelector>,
    pod_selector: Option<LabelSelector>,
    ip_block: Option<Value>,
}

/// Who may send traffic into one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// No policy isolates all of its pods: every namespace may reach some of them.
    Open,
    /// All pods are isolated; these selectors (over source namespace labels) admit traffic.
    /// `None` in the list means "the namespace itself" (a peer with only a podSelector).
    Isolated(Vec<Option<LabelSelector>>),
}

/// The namespaces of a manifest set and their ingress admission.
#[derive(Debug, Clone, Default)]
pub struct NetworkView {
    /// Namespace name → its labels (with `kubernetes.io/metadata.name`).
    pub labels: BTreeMap<String, BTreeMap<String, String>>,
    pub admission: BTreeMap<String, Admission>,
    /// Namespaces named by selectors but not declared (e.g. `ingress-nginx`).
    pub external: BTreeSet<String>,
    /// (label key, value) → namespaces carrying it, so selectors find their namespaces without
    /// a scan of all of them.
    label_index: BTreeMap<(String, String), Vec<String>>,
}

fn string_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

/// What the network view reads from one object: a Namespace's labels or a NetworkPolicy's
/// rules, taken out so the object itself need not be kept.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkObject {
    /// A Namespace and its labels, with `kubernetes.io/metadata.name` added as the API server
    /// does.
    Namespace {
        name: String,
        labels: BTreeMap<String, String>,
    },
    Policy {
        namespace: String,
        spec: PolicySpec,
    },
}

impl NetworkObject {
    /// The Namespace or NetworkPolicy in `object`; `None` for any other object.
    pub fn of(object: &Value) -> Option<NetworkObject> {
        let kind = string_at(object, &["kind"]).unwrap_or_default();
        let api_version = string_at(object, &["apiVersion"]).unwrap_or_default();
        match (api_version, kind) {
            ("v1", "Namespace") => {
                let name = string_at(object, &["metadata", "name"])?;
                let mut labels: BTreeMap<String, String> = object
                    .pointer("/metadata/labels")
                    .and_then(|l| BTreeMap::<String, String>::deserialize(l).ok())
                    .unwrap_or_default();
                labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.to_string());
                Some(NetworkObject::Namespace {
                    name: name.to_string(),
                    labels,
                })
            }
            ("networking.k8s.io/v1", "NetworkPolicy") => {
                let namespace = string_at(object, &["metadata", "namespace"])?;
                let spec = object
                    .get("spec")
                    .and_then(|s| PolicySpec::deserialize(s).ok())
                    .unwrap_or_default();
                Some(NetworkObject::Policy {
                    namespace: namespace.to_string(),
                    spec,
                })
            }
            _ => None,
        }
    }
}

impl NetworkView {
    /// Reads Namespaces and NetworkPolicies from a manifest set.
    pub fn from_objects<'v>(objects: impl IntoIterator<Item = &'v Value>) -> NetworkView {
        let parts: Vec<NetworkObject> = objects.into_iter().filter_map(NetworkObject::of).collect();
        NetworkView::from_parts(&parts)
    }

    /// Builds the view from the Namespaces and NetworkPolicies of a manifest set, already
    /// taken out of their objects. A Namespace given twice counts with its last labels.
    pub fn from_parts<'p>(parts: impl IntoIterator<Item = &'p NetworkObject>) -> NetworkView {
        let mut view = NetworkView::default();
        let mut policies: BTreeMap<&str, Vec<&PolicySpec>> = BTreeMap::new();
        for part in parts {
            match part {
                NetworkObject::Namespace { name, labels } => {
                    view.labels.insert(name.clone(), labels.clone());
                }
                NetworkObject::Policy { namespace, spec } => {
                    policies.entry(namespace).or_default().push(spec);
                }
            }
        }
        for (name, labels) in &view.labels {
            for (key, value) in labels {
                view.label_index
                    .entry((key.clone(), value.clone()))
                    .or_default()
                    .push(name.clone());
            }
        }
        let namespaces: Vec<String> = view.labels.keys().cloned().collect();
        for namespace in namespaces {
            let admission = admission_of(
                policies
                    .get(namespace.as_str())
                    .map_or(&[][..], |p| p.as_slice()),
            );
            if let Admission::Isolated(selectors) = &admission {
                for selector in selectors.iter().flatten() {
                    if let Some(name) = selector.match_labels.get(NAMESPACE_NAME_LABEL)
                        && !view.labels.contains_key(name)
                    {
                        view.external.insert(name.clone());
                    }
                }
            }
            view.admission.insert(namespace, admission);
        }
        view
    }

    fn labels_of(&self, namespace: &str) -> BTreeMap<String, String> {
        self.labels.get(namespace).cloned().unwrap_or_else(|| {
            BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), namespace.to_string())])
        })
    }

    /// Whether `destination` admits traffic from `source`, and whether it does so explicitly
    /// (through an isolating policy) rather than by being open.
    pub fn admits(&self, source: &str, destination: &str) -> Option<bool> {
        match self.admission.get(destination)? {
            Admission::Open => Some(false),
            Admission::Isolated(selectors) => {
                let labels = self.labels_of(source);
                let explicit = selectors.iter().any(|selector| match selector {
                    None => source == destination,
                    Some(selector) => selector.matches(&labels),
                });
                explicit.then_some(true)
            }
        }
    }

    /// Whether some pod of `source` may reach some pod of `destination`.
    pub fn may_reach(&self, source: &str, destination: &str) -> bool {
        self.admits(source, destination).is_some()
    }

    /// Every declared namespace with the namespaces it admits explicitly (through an isolating
    /// policy, not by being open), found through the selectors rather than by trying every
    /// namespace. Selectors repeat across namespaces (every namespace of a network shares its
    /// `allowFrom`), so each distinct selector is matched once.
    pub fn explicit_sources_of_all(&self) -> BTreeMap<&str, BTreeSet<&str>> {
        let mut cache = BTreeMap::new();
        self.labels
            .keys()
            .map(|namespace| {
                (
                    namespace.as_str(),
                    self.explicit_sources_cached(namespace, &mut cache),
                )
            })
            .collect()
    }

    fn explicit_sources_cached<'s>(
        &'s self,
        destination: &str,
        cache: &mut BTreeMap<&'s LabelSelector, Vec<&'s str>>,
    ) -> BTreeSet<&'s str> {
        let mut sources = BTreeSet::new();
        let Some(Admission::Isolated(selectors)) = self.admission.get(destination) else {
            return sources;
        };
        for selector in selectors {
            match selector {
                None => {
                    if let Some((name, _)) = self.labels.get_key_value(destination) {
                        sources.insert(name.as_str());
                    }
                }
                Some(selector) => {
                    let matched = cache
                        .entry(selector)
                        .or_insert_with(|| self.matching(selector));
                    sources.extend(matched.iter().copied());
                }
            }
        }
        sources
    }

    /// Every namespace, declared or external, whose labels the selector matches.
    fn matching(&self, selector: &LabelSelector) -> Vec<&str> {
        // Candidates: the namespaces with the rarest required label, or all.
        let candidates: Box<dyn Iterator<Item = &String>> = match selector
            .match_labels
            .iter()
            .map(|(k, v)| {
                self.label_index
                    .get(&(k.clone(), v.clone()))
                    .map_or(&[][..], |n| n.as_slice())
            })
            .min_by_key(|names| names.len())
        {
            Some(names) => Box::new(names.iter()),
            None => Box::new(self.labels.keys()),
        };
        let mut matched: Vec<&str> = candidates
            .filter(|name| {
                self.labels
                    .get(*name)
                    .is_some_and(|labels| selector.matches(labels))
            })
            .map(String::as_str)
            .collect();
        matched.extend(
            self.external
                .iter()
                .filter(|name| selector.matches(&self.labels_of(name)))
                .map(String::as_str),
        );
        matched
    }
}

fn admission_of(policies: &[&PolicySpec]) -> Admission {
    let applies_to_ingress = |p: &&PolicySpec| {
        p.policy_types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == "Ingress"))
    };
    let isolates_all = policies.iter().any(|p| {
        applies_to_ingress(p) && p.pod_selector.as_ref().is_none_or(LabelSelector::is_empty)
    });
    if !isolates_all {
        return Admission::Open;
    }
    let mut selectors = Vec::new();
    for policy in policies.iter().filter(|p| applies_to_ingress(p)) {
        for rule in policy.ingress.iter().flatten() {
            match &rule.from {
                None => selectors.push(Some(LabelSelector::default())),
                Some(peers) if peers.is_empty() => selectors.push(Some(LabelSelector::default())),
                Some(peers) => {
                    for peer in peers {
                        match (&peer.namespace_selector, &peer.pod_selector, &peer.ip_block) {
                            (Some(selector), _, _) => selectors.push(Some(selector.clone())),
                            (None, Some(_), _) => selectors.push(None),
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    Admission::Isolated(selectors)
}

/// The reachability matrix as text: one row per source, one column per destination.
pub fn render_matrix(view: &NetworkView) -> String {
    let mut sources: Vec<&str> = view.labels.keys().map(String::as_str).collect();
    sources.extend(view.external.iter().map(String::as_str));
    sources.push("(any other)");
    let destinations: Vec<&str> = view.labels.keys().map(String::as_str).collect();
    let width = sources
        .iter()
        .map(|s| s.len())
        .max()
        .unwrap_or(0)
        .max("from \\ to".len());
    let mut out = String::new();
    out.push_str("Namespace reachability (ingress NetworkPolicies). Columns:\n");
    for (index, destination) in destinations.iter().enumerate() {
        out.push_str(&format!("  [{}] {destination}\n", index + 1));
    }
    out.push_str(&format!("{:width$}", "from \\ to"));
    for index in 0..destinations.len() {
        out.push_str(&format!(" {:>4}", format!("[{}]", index + 1)));
    }
    out.push('\n');
    for source in &sources {
        out.push_str(&format!("{source:width$}"));
        for destination in &destinations {
            let cell = match (*source == "(any other)", view.admission.get(*destination)) {
                (_, Some(Admission::Open)) => "open",
                (true, _) => {
                    let unknown =
                        BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), String::new())]);
                    match view.admission.get(*destination) {
                        Some(Admission::Isolated(selectors))
                            if selectors.iter().flatten().any(|s| s.matches(&unknown)) =>
                        {
                            "yes"
                        }
                        _ => "-",
                    }
                }
                _ if view.may_reach(source, destination) => "yes",
                _ => "-",
            };
            out.push_str(&format!(" {cell:>4}"));
        }
        out.push('\n');
    }
    out.push_str("yes: may connect; -: denied; open: no policy isolates the destination, so anything may connect.\n");
    out
}
