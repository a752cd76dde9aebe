//! Stage 3, `validate`: check the raw documents and build the [`Model`]. Every problem is
//! collected, so one run reports all of them.

use std::collections::{BTreeMap, BTreeSet};

use crate::cidr::Cidr;
use crate::diagnostic::{Diagnostic, Diagnostics, Span};
use crate::document::{
    DocumentOrigin, NamespaceDocument, NetworkDocument, RawDocument, RawObject, TenantDocument,
    Text, TextMap, UserDocument,
};
use crate::load::Sources;
use crate::model::{Model, Namespace, Network, Subnet, Tenant, User};
use crate::names::{dns1123_label_help, is_dns1123_label, is_label_value, qualified_name_problem};

/// Namespaces that belong to the cluster itself and can never be given to a tenant.
pub const RESERVED_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

/// Label keys that tenet sets itself; the input may not override them.
pub const RESERVED_LABEL_KEYS: [&str; 2] = [
    "app.kubernetes.io/managed-by",
    "kubernetes.io/metadata.name",
];
pub const TENET_LABEL_PREFIX: &str = "tenet.dev/";

/// The annotation size limit that the API server enforces on every object.
const MAX_ANNOTATION_BYTES: usize = 256 * 1024;

/// A document accepted under its name, with where that name was written.
struct Declared<'d, T> {
    origin: DocumentOrigin,
    name_span: Span,
    document: &'d T,
}

struct Checker<'a> {
    sources: &'a Sources,
    diagnostics: Diagnostics,
}

impl Checker<'_> {
    fn error(
        &mut self,
        origin: &DocumentOrigin,
        span: Span,
        message: String,
        help: impl Into<String>,
    ) {
        let file = &self.sources.files[origin.file].display_path;
        self.diagnostics
            .push(Diagnostic::error(file, Some(span), message).with_help(help));
    }

    fn location(&self, origin: &DocumentOrigin, span: Span) -> String {
        format!(
            "{}:{}:{}",
            self.sources.files[origin.file].display_path, span.line, span.column
        )
    }

    fn provenance(&self, origin: &DocumentOrigin) -> String {
        self.sources
            .provenance_name(&self.sources.files[origin.file].relative)
    }

    /// Checks `metadata.name` and records the object, refusing a second object of the same
    /// kind and name.
    fn declare<'d, T>(
        &mut self,
        kind: &str,
        declared: &mut BTreeMap<String, Declared<'d, T>>,
        origin: DocumentOrigin,
        name: &Text,
        document: &'d T,
    ) {
        let span = origin.span_of(name);
        if !is_dns1123_label(&name.value) {
            self.error(
                &origin,
                span,
                format!("{kind} name `{}` is not a valid DNS-1123 label", name.value),
                dns1123_label_help(&name.value),
            );
            return;
        }
        if let Some(first) = declared.get(&name.value) {
            let first_at = self.location(&first.origin, first.name_span);
            self.error(
                &origin,
                span,
                format!(
                    "duplicate {kind} `{}`: it is already declared at {first_at}",
                    name.value
                ),
                format!("each {kind} name must be unique; rename or remove one of them"),
            );
            return;
        }
        declared.insert(
            name.value.clone(),
            Declared {
                origin,
                name_span: span,
                document,
            },
        );
    }

    /// Reports a reference to a name that does not exist, suggesting the closest known one.
    fn unknown_reference<'n>(
        &mut self,
        origin: &DocumentOrigin,
        reference: &Text,
        what: &str,
        known: impl Iterator<Item = &'n String>,
        fix: &str,
    ) {
        let known: Vec<&String> = known.collect();
        let mut help = match closest(&reference.value, &known) {
            Some(best) => format!("did you mean `{best}`? "),
            None => String::new(),
        };
        help.push_str(fix);
        self.error(
            origin,
            origin.span_of(reference),
            format!("{what} `{}` does not exist", reference.value),
            help,
        );
    }
}

/// The known name nearest to `wanted`, if it is close enough to be a likely typo.
fn closest<'n>(wanted: &str, known: &[&'n String]) -> Option<&'n String> {
    known
        .iter()
        .map(|k| (edit_distance(wanted, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

/// Validates the documents and builds the model. The model is complete only when the returned
/// diagnostics hold no error.
pub fn validate(sources: &Sources, documents: &[RawDocument]) -> (Model, Diagnostics) {
    let mut checker = Checker {
        sources,
        diagnostics: Diagnostics::default(),
    };
    let mut tenant_docs: BTreeMap<String, Declared<TenantDocument>> = BTreeMap::new();
    let mut user_docs: BTreeMap<String, Declared<UserDocument>> = BTreeMap::new();
    let mut namespace_docs: BTreeMap<String, Declared<NamespaceDocument>> = BTreeMap::new();
    let mut network_docs: BTreeMap<String, Declared<NetworkDocument>> = BTreeMap::new();

    for document in documents {
        let origin = document.origin;
        match &document.object {
            RawObject::Tenant(doc) => {
                checker.declare("Tenant", &mut tenant_docs, origin, &doc.metadata.name, doc)
            }
            RawObject::User(doc) => {
                checker.declare("User", &mut user_docs, origin, &doc.metadata.name, doc)
            }
            RawObject::Namespace(doc) => {
                let name = &doc.metadata.name;
                if is_reserved_namespace(&name.value) {
                    checker.error(
                        &origin,
                        origin.span_of(name),
                        format!("namespace `{}` is reserved for the cluster itself", name.value),
                        "tenants cannot own `default`, `kube-system`, `kube-public`, `kube-node-lease` or any `kube-*` namespace; choose another name",
                    );
                } else {
                    checker.declare("Namespace", &mut namespace_docs, origin, name, doc);
                }
            }
            RawObject::Network(doc) => checker.declare(
                "Network",
                &mut network_docs,
                origin,
                &doc.metadata.name,
                doc,
            ),
        }
    }

    let mut model = Model::default();
    for (
        name,
        Declared {
            origin,
            document: doc,
            ..
        },
    ) in &tenant_docs
    {
        model.tenants.insert(
            name.clone(),
            Tenant {
                name: name.clone(),
                display_name: doc
                    .spec
                    .as_ref()
                    .and_then(|s| s.display_name.as_ref())
                    .map(|d| d.value.clone()),
                users: Vec::new(),
                namespaces: Vec::new(),
                networks: Vec::new(),
                source: checker.provenance(origin),
            },
        );
    }

    let mut usernames: BTreeMap<String, (DocumentOrigin, Span)> = BTreeMap::new();
    for (
        name,
        Declared {
            origin,
            document: doc,
            ..
        },
    ) in &user_docs
    {
        let tenant_ok = check_tenant(&mut checker, origin, &doc.spec.tenant, &model, "User");
        let (username, username_span) = match &doc.spec.username {
            Some(u) => (u.value.clone(), origin.span_of(u)),
            None => (name.clone(), origin.span_of(&doc.metadata.name)),
        };
        if username.trim().is_empty() {
            checker.error(origin, username_span, "username is empty".into(), "give the name the API server authenticates, or leave `username` out to use metadata.name");
            continue;
        }
        if username.starts_with("system:") {
            checker.error(
                origin,
                username_span,
                format!("username `{username}` starts with `system:`, which Kubernetes reserves for its own components"),
                "use the name your identity provider gives this person, e.g. `alice@acme.example`",
            );
            continue;
        }
        if let Some((first, first_span)) = usernames.get(&username) {
            let first_at = checker.location(first, *first_span);
            checker.error(
                origin,
                username_span,
                format!("username `{username}` is already used by another User at {first_at}"),
                "two users cannot authenticate as the same name; give each a distinct `spec.username`",
            );
            continue;
        }
        usernames.insert(username.clone(), (*origin, username_span));
        if !tenant_ok {
            continue;
        }
        model.users.insert(
            name.clone(),
            User {
                name: name.clone(),
                tenant: doc.spec.tenant.value.clone(),
                username,
                display_name: doc.spec.display_name.as_ref().map(|d| d.value.clone()),
                owned_namespaces: Vec::new(),
                networks: Vec::new(),
                source: checker.provenance(origin),
            },
        );
    }

    let mut all_subnets: Vec<(Cidr, String, DocumentOrigin, Span)> = Vec::new();
    for (
        name,
        Declared {
            origin,
            document: doc,
            ..
        },
    ) in &network_docs
    {
        let spec = &doc.spec.value;
        let tenant_ok = check_tenant(&mut checker, origin, &spec.tenant, &model, "Network");
        let subnets = check_network_addressing(&mut checker, origin, doc, &mut all_subnets, name);
        if let Some(provider) = &spec.provider_network_id {
            if provider.value.trim().is_empty() {
                checker.error(
                    origin,
                    origin.span_of(provider),
                    "providerNetworkID is empty".into(),
                    "give the provider's network ID, or use `subnets` instead",
                );
            }
        }
        if !tenant_ok {
            continue;
        }
        if let Some(subnets) = subnets {
            model.networks.insert(
                name.clone(),
                Network {
                    name: name.clone(),
                    tenant: spec.tenant.value.clone(),
                    subnets,
                    provider_network_id: spec.provider_network_id.as_ref().map(|p| p.value.clone()),
                    namespaces: Vec::new(),
                    source: checker.provenance(origin),
                },
            );
        }
    }

    for (
        name,
        Declared {
            origin,
            document: doc,
            ..
        },
    ) in &namespace_docs
    {
        let spec = &doc.spec;
        let tenant_ok = check_tenant(&mut checker, origin, &spec.tenant, &model, "Namespace");
        let tenant = &spec.tenant.value;
        let mut owners = BTreeSet::new();
        for owner in &spec.owners {
            match user_docs.get(&owner.value) {
                None => checker.unknown_reference(
                    origin,
                    owner,
                    "owner",
                    user_docs.keys(),
                    "declare a User with that name, or remove it from `owners` (a user who still owns a namespace cannot be removed)",
                ),
                Some(Declared { document: user, .. }) if tenant_ok && user.spec.tenant.value != *tenant => checker.error(
                    origin,
                    origin.span_of(owner),
                    format!(
                        "owner `{}` belongs to tenant `{}`, not to this namespace's tenant `{tenant}`",
                        owner.value, user.spec.tenant.value
                    ),
                    "owners must be users of the same tenant; remove the owner or move the namespace",
                ),
                Some(_) => {
                    if !owners.insert(owner.value.clone()) {
                        checker.error(origin, origin.span_of(owner), format!("owner `{}` is listed twice", owner.value), "remove the repeated entry");
                    }
                }
            }
        }
        if let Some(network) = &spec.network {
            match network_docs.get(&network.value) {
                None => checker.unknown_reference(origin, network, "network", network_docs.keys(), "declare that Network, or correct the name"),
                Some(Declared { document: net, .. }) if tenant_ok && net.spec.value.tenant.value != *tenant => checker.error(
                    origin,
                    origin.span_of(network),
                    format!(
                        "network `{}` belongs to tenant `{}`, not to this namespace's tenant `{tenant}`",
                        network.value, net.spec.value.tenant.value
                    ),
                    "a namespace can only join a network of its own tenant",
                ),
                Some(_) => {}
            }
        }
        let labels = check_labels(&mut checker, origin, &doc.metadata.labels);
        let annotations = check_annotations(&mut checker, origin, &doc.metadata.annotations);
        if !tenant_ok {
            continue;
        }
        let owners: Vec<String> = owners.into_iter().collect();
        let owner_usernames = owners
            .iter()
            .map(|o| {
                model
                    .users
                    .get(o)
                    .map_or_else(|| o.clone(), |u| u.username.clone())
            })
            .collect();
        model.namespaces.insert(
            name.clone(),
            Namespace {
                name: name.clone(),
                tenant: tenant.clone(),
                owners,
                owner_usernames,
                network: spec.network.as_ref().map(|n| n.value.clone()),
                labels,
                annotations,
                source: checker.provenance(origin),
            },
        );
    }

    derive_relations(&mut model);
    (model, checker.diagnostics)
}

pub fn is_reserved_namespace(name: &str) -> bool {
    RESERVED_NAMESPACES.contains(&name) || name.starts_with("kube-")
}

fn check_tenant(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    tenant: &Text,
    model: &Model,
    kind: &str,
) -> bool {
    if model.tenants.contains_key(&tenant.value) {
        return true;
    }
    checker.unknown_reference(
        origin,
        tenant,
        "tenant",
        model.tenants.keys(),
        &format!("declare a Tenant with that name, or point this {kind} at an existing tenant"),
    );
    false
}

/// Checks subnets against each other and against earlier networks; returns the subnets when
/// the network's addressing is valid.
fn check_network_addressing(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    doc: &NetworkDocument,
    all_subnets: &mut Vec<(Cidr, String, DocumentOrigin, Span)>,
    network: &str,
) -> Option<Vec<Subnet>> {
    let spec = &doc.spec.value;
    let spec_span = origin.span_of(&doc.spec);
    let has_subnets = spec.subnets.as_ref().is_some_and(|s| !s.value.is_empty());
    match (has_subnets, &spec.provider_network_id) {
        (true, Some(provider)) => {
            checker.error(
                origin,
                origin.span_of(provider),
                "a network has either `subnets` or `providerNetworkID`, not both".into(),
                "keep `subnets` for a network tenet describes, or `providerNetworkID` for one that already exists in the provider",
            );
            return None;
        }
        (false, None) => {
            let span = spec
                .subnets
                .as_ref()
                .map_or(spec_span, |s| origin.span_of(s));
            checker.error(
                origin,
                span,
                "a network needs `subnets` (at least one) or `providerNetworkID`".into(),
                "add `subnets: [{cidr: 10.0.0.0/24, gateway: 10.0.0.1}]` or `providerNetworkID: \"<id>\"`",
            );
            return None;
        }
        _ => {}
    }
    let mut valid = true;
    let mut subnets = Vec::new();
    for subnet in spec.subnets.iter().flat_map(|s| s.value.iter()) {
        let cidr_span = origin.span_of(&subnet.cidr);
        let cidr = match Cidr::parse(&subnet.cidr.value) {
            Ok(cidr) => cidr,
            Err(problem) => {
                checker.error(
                    origin,
                    cidr_span,
                    format!("malformed CIDR: {problem}"),
                    "write the subnet as ADDRESS/PREFIX, e.g. `10.10.0.0/24` or `fd00:10::/64`",
                );
                valid = false;
                continue;
            }
        };
        if let Some(gateway) = &subnet.gateway {
            match gateway.value.parse::<std::net::IpAddr>() {
                Err(_) => {
                    checker.error(
                        origin,
                        origin.span_of(gateway),
                        format!(
                            "malformed gateway: `{}` is not an IP address",
                            gateway.value
                        ),
                        "write the gateway as an address inside the subnet, e.g. `10.10.0.1`",
                    );
                    valid = false;
                }
                Ok(address) if !cidr.contains(address) => {
                    checker.error(
                        origin,
                        origin.span_of(gateway),
                        format!(
                            "gateway `{}` lies outside its subnet `{}`",
                            gateway.value, subnet.cidr.value
                        ),
                        "choose a gateway address inside the subnet, or correct the CIDR",
                    );
                    valid = false;
                }
                Ok(_) => {}
            }
        }
        for (other, other_network, other_origin, other_span) in all_subnets.iter() {
            if cidr.overlaps(other) {
                let other_at = checker.location(other_origin, *other_span);
                let whose = if other_network == network {
                    "another subnet of this network".to_string()
                } else {
                    format!("network `{other_network}`")
                };
                checker.error(
                    origin,
                    cidr_span,
                    format!("subnet `{}` overlaps {whose} at {other_at}", subnet.cidr.value),
                    "networks are isolated per tenant, so their address ranges must not overlap; choose a disjoint CIDR",
                );
                valid = false;
                break;
            }
        }
        all_subnets.push((cidr, network.to_string(), *origin, cidr_span));
        subnets.push(Subnet {
            cidr: subnet.cidr.value.clone(),
            gateway: subnet.gateway.as_ref().map(|g| g.value.clone()),
        });
    }
    valid.then_some(subnets)
}

fn check_labels(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    labels: &TextMap,
) -> BTreeMap<String, String> {
    let mut checked = BTreeMap::new();
    for (key, value) in &labels.0 {
        if let Some(problem) = qualified_name_problem(&key.value) {
            checker.error(
                origin,
                origin.span_of(key),
                format!("label key `{}` is invalid: {problem}", key.value),
                "rename the label, e.g. `team` or `example.com/team`",
            );
            continue;
        }
        if key.value.starts_with(TENET_LABEL_PREFIX)
            || RESERVED_LABEL_KEYS.contains(&key.value.as_str())
        {
            checker.error(
                origin,
                origin.span_of(key),
                format!("label `{}` is set by tenet (or Kubernetes) and cannot be given in the input", key.value),
                "remove the label; tenet sets `tenet.dev/tenant`, `tenet.dev/network` and `app.kubernetes.io/managed-by` itself",
            );
            continue;
        }
        if !is_label_value(&value.value) {
            checker.error(
                origin,
                origin.span_of(value),
                format!("label value `{}` is invalid", value.value),
                "label values are empty or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; use an annotation for free text",
            );
            continue;
        }
        checked.insert(key.value.clone(), value.value.clone());
    }
    checked
}

fn check_annotations(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    annotations: &TextMap,
) -> BTreeMap<String, String> {
    let mut checked = BTreeMap::new();
    let mut total = 0;
    for (key, value) in &annotations.0 {
        if let Some(problem) = qualified_name_problem(&key.value) {
            checker.error(
                origin,
                origin.span_of(key),
                format!("annotation key `{}` is invalid: {problem}", key.value),
                "rename the annotation, e.g. `example.com/owner`",
            );
            continue;
        }
        total += key.value.len() + value.value.len();
        if total > MAX_ANNOTATION_BYTES {
            checker.error(
                origin,
                origin.span_of(key),
                "annotations exceed the 256 KiB that Kubernetes allows per object".into(),
                "move large data into a ConfigMap",
            );
            break;
        }
        checked.insert(key.value.clone(), value.value.clone());
    }
    checked
}

/// Fills in the relations templates use: a tenant's users, namespaces and networks, a user's
/// owned namespaces and networks, a network's namespaces.
fn derive_relations(model: &mut Model) {
    for user in model.users.values() {
        if let Some(tenant) = model.tenants.get_mut(&user.tenant) {
            tenant.users.push(user.name.clone());
        }
    }
    for network in model.networks.values() {
        if let Some(tenant) = model.tenants.get_mut(&network.tenant) {
            tenant.networks.push(network.name.clone());
        }
    }
    for namespace in model.namespaces.values() {
        if let Some(tenant) = model.tenants.get_mut(&namespace.tenant) {
            tenant.namespaces.push(namespace.name.clone());
        }
        for owner in &namespace.owners {
            if let Some(user) = model.users.get_mut(owner) {
                user.owned_namespaces.push(namespace.name.clone());
            }
        }
        if let Some(network) = namespace
            .network
            .as_ref()
            .and_then(|n| model.networks.get_mut(n))
        {
            network.namespaces.push(namespace.name.clone());
        }
    }
    for user in model.users.values_mut() {
        if let Some(tenant) = model.tenants.get(&user.tenant) {
            user.networks = tenant.networks.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_finds_typos() {
        assert_eq!(edit_distance("acme", "acme"), 0);
        assert_eq!(edit_distance("acmee", "acme"), 1);
        let known = ["acme".to_string(), "globex".to_string()];
        let refs: Vec<&String> = known.iter().collect();
        assert_eq!(closest("acmee", &refs), Some(&known[0]));
        assert_eq!(closest("zzzzzz", &refs), None);
    }
}
