//! Stage 3, `validate`: check the raw documents and build the [`Model`]. Every problem is
//! collected, so one run reports all of them.

use std::collections::{BTreeMap, BTreeSet};

use crate::cidr::Cidr;
use crate::diagnostic::{Diagnostic, Diagnostics, Span};
use crate::document::{
    AllowFromSpec, DocumentOrigin, ExceptionDocument, LimitsSpec, NamespaceDocument, NamespaceSpec,
    NetworkDocument, RawDocument, RawObject, SelectorSpec, SettingsDocument, TenantDocument, Text,
    TextMap, UserDocument,
};
use crate::load::Sources;
use crate::model::{
    Exception, Limits, MemberBinding, Model, Namespace, Network, RoleReference, Settings,
    StringMap, Subject, Subnet, Tenant, User,
};
use crate::names::{
    dns1123_label_help, is_dns1123_label, is_dns1123_subdomain, is_label_value,
    qualified_name_problem,
};
use crate::quantity::Quantity;
use crate::selector::{LabelSelector, OPERATORS, SelectorExpression};

/// The label the API server puts on every namespace, holding its name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

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
/// diagnostics hold no error (warnings may remain).
pub fn validate(sources: &Sources, documents: &[RawDocument]) -> (Model, Diagnostics) {
    let mut checker = Checker {
        sources,
        diagnostics: Diagnostics::default(),
    };
    let mut tenant_docs: BTreeMap<String, Declared<TenantDocument>> = BTreeMap::new();
    let mut user_docs: BTreeMap<String, Declared<UserDocument>> = BTreeMap::new();
    let mut namespace_docs: BTreeMap<String, Declared<NamespaceDocument>> = BTreeMap::new();
    let mut network_docs: BTreeMap<String, Declared<NetworkDocument>> = BTreeMap::new();
    let mut settings_docs: BTreeMap<String, Declared<SettingsDocument>> = BTreeMap::new();
    let mut exception_docs: BTreeMap<String, Declared<ExceptionDocument>> = BTreeMap::new();

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
            RawObject::Exception(doc) => checker.declare(
                "Exception",
                &mut exception_docs,
                origin,
                &doc.metadata.name,
                doc,
            ),
            RawObject::Settings(doc) => {
                if let Some(first) = settings_docs.values().next() {
                    let first_at = checker.location(&first.origin, first.name_span);
                    checker.error(
                        &origin,
                        origin.span_of(&doc.metadata.name),
                        format!("a second Settings document; the first is at {first_at}"),
                        "keep all settings in one Settings document",
                    );
                } else {
                    checker.declare(
                        "Settings",
                        &mut settings_docs,
                        origin,
                        &doc.metadata.name,
                        doc,
                    );
                }
            }
        }
    }

    let mut model = Model::default();
    if let Some(settings) = settings_docs.values().next() {
        model.settings = check_settings(&mut checker, settings);
    }
    for (name, declared) in &tenant_docs {
        let spec = declared.document.spec.clone().unwrap_or_default();
        let origin = &declared.origin;
        let quota = check_quantities(&mut checker, origin, &spec.quota, "quota");
        model.tenants.insert(
            name.clone(),
            Tenant {
                name: name.clone(),
                display_name: spec.display_name.as_ref().map(|d| d.value.clone()),
                users: Vec::new(),
                namespaces: Vec::new(),
                networks: Vec::new(),
                admins: Vec::new(),
                admin_usernames: Vec::new(),
                bind_default_service_account: spec
                    .bind_default_service_account
                    .as_ref()
                    .is_some_and(|b| b.value),
                quota,
                max_namespaces: spec.max_namespaces.as_ref().map(|m| m.value),
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
        let groups = check_groups(&mut checker, origin, &doc.spec.groups);
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
                groups,
                source: checker.provenance(origin),
            },
        );
    }

    for (name, declared) in &tenant_docs {
        let Some(spec) = &declared.document.spec else {
            continue;
        };
        let mut admins = BTreeSet::new();
        for admin in &spec.admins {
            if let Some(user) = check_user_of_tenant(
                &mut checker,
                &declared.origin,
                admin,
                name,
                &model,
                &user_docs,
                "admin",
            ) && !admins.insert(user.name.clone())
            {
                checker.error(
                    &declared.origin,
                    declared.origin.span_of(admin),
                    format!("admin `{}` is listed twice", admin.value),
                    "remove the repeated entry",
                );
            }
        }
        let usernames: Vec<String> = admins
            .iter()
            .filter_map(|a| model.users.get(a))
            .map(|u| u.username.clone())
            .collect();
        if let Some(tenant) = model.tenants.get_mut(name) {
            tenant.admins = admins.into_iter().collect();
            tenant.admin_usernames = usernames;
        }
    }

    let mut all_subnets = SubnetIndex::default();
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
        if let Some(provider) = &spec.provider_network_id
            && provider.value.trim().is_empty()
        {
            checker.error(
                origin,
                origin.span_of(provider),
                "providerNetworkID is empty".into(),
                "give the provider's network ID, or use `subnets` instead",
            );
        }
        let allow_from = check_allow_from(&mut checker, origin, &spec.allow_from);
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
                    allow_from,
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
            if let Some(user) = check_user_of_tenant(
                &mut checker,
                origin,
                owner,
                tenant,
                &model,
                &user_docs,
                "owner",
            ) && !owners.insert(user.name.clone())
            {
                checker.error(
                    origin,
                    origin.span_of(owner),
                    format!("owner `{}` is listed twice", owner.value),
                    "remove the repeated entry",
                );
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
        let service_accounts = check_service_accounts(&mut checker, origin, &spec.service_accounts);
        let member_bindings = check_members(
            &mut checker,
            origin,
            spec,
            &model,
            &user_docs,
            &namespace_docs,
        );
        let quota = check_quantities(&mut checker, origin, &spec.quota, "quota");
        let limits = spec
            .limits
            .as_ref()
            .map(|l| check_limits(&mut checker, origin, l));
        if !tenant_ok {
            continue;
        }
        let owners: Vec<String> = owners.into_iter().collect();
        let owner_usernames = owners
            .iter()
            .filter_map(|o| model.users.get(o))
            .map(|u| u.username.clone())
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
                member_bindings: member_bindings.bindings,
                service_accounts,
                quota,
                limits,
                ingress_from: Vec::new(),
                source: checker.provenance(origin),
            },
        );
        model
            .custom_role_references
            .extend(member_bindings.custom_roles);
    }

    for declared in exception_docs.values() {
        if let Some(exception) = check_exception(&mut checker, declared) {
            model.exceptions.push(exception);
        }
    }
    derive_relations(&mut model);
    check_tenant_limits(&mut checker, &tenant_docs, &model);
    check_cross_tenant_peers(&mut checker, &network_docs, &model);
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
    all_subnets: &mut SubnetIndex,
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
        // The index answers "overlaps anything?" in logarithmic time; only then is the list
        // searched, in declaration order, for the first subnet to name in the message.
        let overlapping = if all_subnets.overlaps_any(&cidr) {
            all_subnets.in_order.as_slice()
        } else {
            &[]
        };
        for (other, other_network, other_origin, other_span) in overlapping {
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
        all_subnets.insert(cidr, network, *origin, cidr_span);
        subnets.push(Subnet {
            cidr: subnet.cidr.value.clone(),
            gateway: subnet.gateway.as_ref().map(|g| g.value.clone()),
        });
    }
    valid.then_some(subnets)
}

/// Every subnet declared so far: in declaration order, and indexed so that an overlap check
/// costs a few lookups instead of a pass over all of them.
#[derive(Default)]
struct SubnetIndex {
    in_order: Vec<(Cidr, String, DocumentOrigin, Span)>,
    /// Exact subnets, to find one that contains a new subnet (CIDRs nest or are disjoint).
    keys: std::collections::HashSet<(bool, u128, u8)>,
    /// Network addresses, to find one that lies inside a new subnet.
    starts: BTreeSet<(bool, u128)>,
}

impl SubnetIndex {
    fn overlaps_any(&self, cidr: &Cidr) -> bool {
        let (v6, first, last) = cidr.range();
        cidr.supernet_keys().any(|key| self.keys.contains(&key))
            || self.starts.range((v6, first)..=(v6, last)).next().is_some()
    }

    fn insert(&mut self, cidr: Cidr, network: &str, origin: DocumentOrigin, span: Span) {
        let (v6, first, _) = cidr.range();
        self.keys.insert(cidr.key());
        self.starts.insert((v6, first));
        self.in_order
            .push((cidr, network.to_string(), origin, span));
    }
}

fn check_labels(checker: &mut Checker<'_>, origin: &DocumentOrigin, labels: &TextMap) -> StringMap {
    let mut checked = Vec::new();
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
        checked.push((key.value.clone(), value.value.clone()));
    }
    // Keys are unique in the input, so the order is all that is left to make.
    checked.into_iter().collect()
}

fn check_annotations(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    annotations: &TextMap,
) -> StringMap {
    let mut checked = Vec::new();
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
        checked.push((key.value.clone(), value.value.clone()));
    }
    // Keys are unique in the input, so the order is all that is left to make.
    checked.into_iter().collect()
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
    // Who may send traffic into each namespace: its network's namespaces and the network's
    // allowFrom peers, or, without a network, its own tenant's namespaces.
    for namespace in model.namespaces.values_mut() {
        namespace.ingress_from = match namespace
            .network
            .as_ref()
            .and_then(|n| model.networks.get(n))
        {
            Some(network) => {
                let mut peers = vec![LabelSelector::with_label(
                    "tenet.dev/network",
                    &network.name,
                )];
                peers.extend(network.allow_from.iter().cloned());
                peers
            }
            None => vec![LabelSelector::with_label(
                "tenet.dev/tenant",
                &namespace.tenant,
            )],
        };
    }
}

/// The invariants an exception can name; see `audit::Invariant`.
pub const INVARIANT_NAMES: [&str; 5] = [
    "cross-tenant",
    "risky-permission",
    "missing-role",
    "namespace-ownership",
    "network-isolation",
];

fn check_exception(
    checker: &mut Checker<'_>,
    declared: &Declared<ExceptionDocument>,
) -> Option<Exception> {
    let origin = &declared.origin;
    let spec = &declared.document.spec;
    let subject = &spec.subject;
    let given: Vec<(&str, &Text)> = [
        ("user", &subject.user),
        ("group", &subject.group),
        ("serviceAccount", &subject.service_account),
        ("namespace", &subject.namespace),
    ]
    .into_iter()
    .filter_map(|(kind, t)| t.as_ref().map(|t| (kind, t)))
    .collect();
    let mut valid = true;
    let subject = match given.as_slice() {
        [("user", t)] => t.value.clone(),
        [("group", t)] => format!("group {}", t.value),
        [("serviceAccount", t)] => match split_service_account(&t.value) {
            Some((ns, name)) => format!("serviceaccount {ns}/{name}"),
            None => {
                checker.error(
                    origin,
                    origin.span_of(t),
                    format!("service account `{}` is not `NAMESPACE/NAME`", t.value),
                    "write e.g. `acme-prod/deployer`",
                );
                valid = false;
                String::new()
            }
        },
        [(_, t)] => format!("namespace {}", t.value),
        _ => {
            checker.error(origin, origin.span_of(&declared.document.metadata.name), "an exception's subject names exactly one of `user`, `group`, `serviceAccount` or `namespace`".into(), "copy the subject from the `tenet audit` finding");
            valid = false;
            String::new()
        }
    };
    if !INVARIANT_NAMES.contains(&spec.invariant.value.as_str()) {
        checker.error(
            origin,
            origin.span_of(&spec.invariant),
            format!("unknown invariant `{}`", spec.invariant.value),
            format!("use one of {}", INVARIANT_NAMES.join(", ")),
        );
        valid = false;
    }
    if spec.reason.value.trim().is_empty() {
        checker.error(
            origin,
            origin.span_of(&spec.reason),
            "an exception needs a reason".into(),
            "say why this access is acceptable, for the reviewers",
        );
        valid = false;
    }
    if !is_iso_date(&spec.expires.value) {
        checker.error(
            origin,
            origin.span_of(&spec.expires),
            format!("`{}` is not a date", spec.expires.value),
            "write the last day the exception applies as YYYY-MM-DD, e.g. `2027-03-31`",
        );
        valid = false;
    }
    valid.then(|| Exception {
        name: declared.document.metadata.name.value.clone(),
        subject,
        invariant: spec.invariant.value.clone(),
        permission: spec.permission.value.clone(),
        reason: spec.reason.value.clone(),
        expires: spec.expires.value.clone(),
        source: checker.provenance(origin),
    })
}

/// `YYYY-MM-DD` naming a real calendar day.
pub fn is_iso_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return false;
    };
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return false;
    }
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<u32>(),
        month.parse::<u32>(),
        day.parse::<u32>(),
    ) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// The roles every cluster has, which members may be given without further checks.
pub const BUILTIN_MEMBER_ROLES: [&str; 3] = ["admin", "edit", "view"];

/// Resolves a reference to a user who must belong to `tenant`.
fn check_user_of_tenant<'m>(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    reference: &Text,
    tenant: &str,
    model: &'m Model,
    user_docs: &BTreeMap<String, Declared<UserDocument>>,
    role: &str,
) -> Option<&'m User> {
    match user_docs.get(&reference.value) {
        None => {
            checker.unknown_reference(
                origin,
                reference,
                role,
                user_docs.keys(),
                &format!("declare a User with that name, or remove it from the {role}s (a user who is still named here cannot be removed)"),
            );
            None
        }
        Some(Declared { document: user, .. })
            if model.tenants.contains_key(tenant) && user.spec.tenant.value != tenant =>
        {
            checker.error(
                origin,
                origin.span_of(reference),
                format!(
                    "{role} `{}` belongs to tenant `{}`, not to tenant `{tenant}`",
                    reference.value, user.spec.tenant.value
                ),
                format!(
                    "{role}s must be users of the same tenant; remove this entry or move the user"
                ),
            );
            None
        }
        Some(_) => model.users.get(&reference.value),
    }
}

fn check_groups(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    groups: &[Text],
) -> Vec<String> {
    let mut checked = BTreeSet::new();
    for group in groups {
        if let Some(problem) = group_problem(&group.value) {
            checker.error(
                origin,
                origin.span_of(group),
                problem,
                "use the group name your identity provider sends",
            );
        } else if !checked.insert(group.value.clone()) {
            checker.error(
                origin,
                origin.span_of(group),
                format!("group `{}` is listed twice", group.value),
                "remove the repeated entry",
            );
        }
    }
    checked.into_iter().collect()
}

fn group_problem(group: &str) -> Option<String> {
    if group.trim().is_empty() {
        Some("group name is empty".into())
    } else if group.starts_with("system:") {
        Some(format!(
            "group `{group}` starts with `system:`, which Kubernetes reserves for its own groups"
        ))
    } else {
        None
    }
}

/// Parses `NAMESPACE/NAME` of a service account.
fn split_service_account(text: &str) -> Option<(&str, &str)> {
    let (namespace, name) = text.split_once('/')?;
    (is_dns1123_label(namespace) && is_dns1123_subdomain(name)).then_some((namespace, name))
}

fn check_settings(checker: &mut Checker<'_>, declared: &Declared<SettingsDocument>) -> Settings {
    let origin = &declared.origin;
    let spec = &declared.document.spec;
    let mut settings = Settings {
        source: Some(checker.provenance(origin)),
        ..Settings::default()
    };
    for applier in &spec.appliers {
        let given: Vec<&Text> = [&applier.user, &applier.group, &applier.service_account]
            .into_iter()
            .flatten()
            .collect();
        let [one] = given.as_slice() else {
            let span = given.first().map_or(origin.start(), |t| origin.span_of(t));
            checker.error(
                origin,
                span,
                "an applier names exactly one of `user`, `group` or `serviceAccount`".into(),
                "split it into one entry per identity",
            );
            continue;
        };
        if one.value.trim().is_empty() {
            checker.error(origin, origin.span_of(one), "applier name is empty".into(), "name the identity that applies out/, e.g. `serviceAccount: argocd/argocd-application-controller`");
            continue;
        }
        let subject = if let Some(user) = &applier.user {
            settings.applier_usernames.push(user.value.clone());
            Subject::user(&user.value)
        } else if let Some(group) = &applier.group {
            settings.applier_groups.push(group.value.clone());
            Subject::group(&group.value)
        } else {
            match split_service_account(&one.value) {
                Some((namespace, name)) => {
                    let subject = Subject::service_account(namespace, name);
                    settings.applier_usernames.extend(subject.username());
                    subject
                }
                None => {
                    checker.error(
                        origin,
                        origin.span_of(one),
                        format!("service account `{}` is not `NAMESPACE/NAME`", one.value),
                        "write e.g. `argocd/argocd-application-controller`",
                    );
                    continue;
                }
            }
        };
        settings.appliers.push(subject);
    }
    for role in &spec.allowed_cluster_roles {
        if role.value.trim().is_empty() || role.value.contains('/') {
            checker.error(
                origin,
                origin.span_of(role),
                format!("`{}` is not a ClusterRole name", role.value),
                "give the ClusterRole's metadata.name",
            );
        } else {
            settings.allowed_cluster_roles.push(role.value.clone());
        }
    }
    settings.appliers.sort();
    settings.appliers.dedup();
    settings.applier_usernames.sort();
    settings.applier_usernames.dedup();
    settings.applier_groups.sort();
    settings.applier_groups.dedup();
    settings.allowed_cluster_roles.sort();
    settings.allowed_cluster_roles.dedup();
    settings
}

/// Checks a map of resource names to quantities and returns it in canonical form.
fn check_quantities(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    map: &TextMap,
    what: &str,
) -> StringMap {
    let mut checked = Vec::new();
    for (resource, quantity) in &map.0 {
        if let Some(problem) = qualified_name_problem(&resource.value) {
            checker.error(origin, origin.span_of(resource), format!("`{}` is not a resource name: {problem}", resource.value), format!("use Kubernetes resource names in {what}, e.g. `requests.cpu`, `limits.memory`, `pods`, `count/deployments.apps`"));
            continue;
        }
        match Quantity::parse(&quantity.value) {
            Ok(q) => {
                checked.push((resource.value.clone(), q.canonical()));
            }
            Err(problem) => checker.error(
                origin,
                origin.span_of(quantity),
                problem,
                "write a quantity such as `500m`, `2`, `512Mi` or `10Gi`",
            ),
        }
    }
    // Keys are unique in the input, so the order is all that is left to make.
    checked.into_iter().collect()
}

fn check_limits(checker: &mut Checker<'_>, origin: &DocumentOrigin, limits: &LimitsSpec) -> Limits {
    let checked = Limits {
        default: check_quantities(checker, origin, &limits.default, "limits.default"),
        default_request: check_quantities(
            checker,
            origin,
            &limits.default_request,
            "limits.defaultRequest",
        ),
        max: check_quantities(checker, origin, &limits.max, "limits.max"),
        min: check_quantities(checker, origin, &limits.min, "limits.min"),
    };
    // Kubernetes refuses a LimitRange where min <= defaultRequest <= default <= max fails.
    let order = [
        ("min", &checked.min, &limits.min),
        (
            "defaultRequest",
            &checked.default_request,
            &limits.default_request,
        ),
        ("default", &checked.default, &limits.default),
        ("max", &checked.max, &limits.max),
    ];
    for (i, (low_name, low, _)) in order.iter().enumerate() {
        for (high_name, high, high_raw) in &order[i + 1..] {
            for (resource, low_value) in low.iter() {
                let (Some(high_value), Ok(a), Ok(b)) = (
                    high.get(resource),
                    Quantity::parse(low_value),
                    high.get(resource)
                        .map_or(Err(String::new()), |h| Quantity::parse(h)),
                ) else {
                    continue;
                };
                if a > b {
                    let span = high_raw
                        .0
                        .iter()
                        .find(|(k, _)| k.value == *resource)
                        .map_or(origin.start(), |(_, v)| origin.span_of(v));
                    checker.error(
                        origin,
                        span,
                        format!("limits: {high_name} {resource} `{high_value}` is below {low_name} `{low_value}`"),
                        "Kubernetes requires min <= defaultRequest <= default <= max for each resource",
                    );
                }
            }
        }
    }
    checked
}

fn check_service_accounts(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    names: &[Text],
) -> Vec<String> {
    let mut checked = BTreeSet::new();
    for name in names {
        if !is_dns1123_subdomain(&name.value) {
            checker.error(
                origin,
                origin.span_of(name),
                format!(
                    "service account name `{}` is not a valid DNS-1123 subdomain",
                    name.value
                ),
                "use lowercase letters, digits, '-' and '.'",
            );
        } else if name.value == "default" {
            checker.error(origin, origin.span_of(name), "the `default` service account is created by Kubernetes itself".into(), "remove it from serviceAccounts; use `bindDefaultServiceAccount` on the Tenant to give it access");
        } else if !checked.insert(name.value.clone()) {
            checker.error(
                origin,
                origin.span_of(name),
                format!("service account `{}` is listed twice", name.value),
                "remove the repeated entry",
            );
        }
    }
    checked.into_iter().collect()
}

struct CheckedMembers {
    bindings: Vec<MemberBinding>,
    custom_roles: Vec<RoleReference>,
}

fn check_members(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    spec: &NamespaceSpec,
    model: &Model,
    user_docs: &BTreeMap<String, Declared<UserDocument>>,
    namespace_docs: &BTreeMap<String, Declared<NamespaceDocument>>,
) -> CheckedMembers {
    let tenant = &spec.tenant.value;
    let mut by_role: BTreeMap<String, BTreeSet<Subject>> = BTreeMap::new();
    let mut custom_roles = Vec::new();
    for member in &spec.members {
        let role = &member.role;
        let given: Vec<&Text> = [&member.user, &member.group, &member.service_account]
            .into_iter()
            .flatten()
            .collect();
        let [one] = given.as_slice() else {
            checker.error(
                origin,
                origin.span_of(role),
                "a member names exactly one of `user`, `group` or `serviceAccount`".into(),
                "split it into one entry per identity",
            );
            continue;
        };
        let subject = if member.user.is_some() {
            match check_user_of_tenant(checker, origin, one, tenant, model, user_docs, "member") {
                Some(user) => Subject::user(&user.username),
                None => continue,
            }
        } else if member.group.is_some() {
            if let Some(problem) = group_problem(&one.value) {
                checker.error(origin, origin.span_of(one), problem, "name a group of your identity provider; system groups would reach far beyond this tenant");
                continue;
            }
            Subject::group(&one.value)
        } else {
            let Some((namespace, name)) = split_service_account(&one.value) else {
                checker.error(
                    origin,
                    origin.span_of(one),
                    format!("service account `{}` is not `NAMESPACE/NAME`", one.value),
                    "write e.g. `acme-prod/deployer`",
                );
                continue;
            };
            match namespace_docs.get(namespace) {
                Some(declared) if declared.document.spec.tenant.value == *tenant => {}
                Some(declared) => {
                    checker.error(
                        origin,
                        origin.span_of(one),
                        format!("service account `{}` lives in namespace `{namespace}` of tenant `{}`, not of tenant `{tenant}`", one.value, declared.document.spec.tenant.value),
                        "members may only be service accounts of the same tenant's namespaces",
                    );
                    continue;
                }
                None => {
                    checker.error(
                        origin,
                        origin.span_of(one),
                        format!("service account `{}` lives in namespace `{namespace}`, which is not a namespace of tenant `{tenant}`", one.value),
                        "members may only be service accounts of the same tenant's namespaces; declare the namespace or correct the name",
                    );
                    continue;
                }
            }
            Subject::service_account(namespace, name)
        };
        if role.value.trim().is_empty() || role.value.contains('/') {
            checker.error(
                origin,
                origin.span_of(role),
                format!("`{}` is not a role name", role.value),
                "use admin, edit, view or the name of a ClusterRole",
            );
            continue;
        }
        if !BUILTIN_MEMBER_ROLES.contains(&role.value.as_str())
            && !model.settings.allowed_cluster_roles.contains(&role.value)
        {
            custom_roles.push(RoleReference {
                role: role.value.clone(),
                file: checker.sources.files[origin.file].display_path.clone(),
                span: origin.span_of(role),
            });
        }
        if !by_role
            .entry(role.value.clone())
            .or_default()
            .insert(subject)
        {
            checker.error(
                origin,
                origin.span_of(one),
                format!(
                    "member `{}` is listed twice with role `{}`",
                    one.value, role.value
                ),
                "remove the repeated entry",
            );
        }
    }
    let bindings = by_role
        .into_iter()
        .map(|(role, subjects)| MemberBinding {
            name: format!("tenet-member-{role}"),
            role,
            subjects: subjects.into_iter().collect(),
        })
        .collect();
    CheckedMembers {
        bindings,
        custom_roles,
    }
}

fn check_allow_from(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    peers: &[AllowFromSpec],
) -> Vec<LabelSelector> {
    let mut checked = Vec::new();
    for peer in peers {
        match (&peer.namespace, &peer.namespace_selector) {
            (Some(namespace), None) => {
                if is_dns1123_label(&namespace.value) {
                    checked.push(LabelSelector::with_label(
                        NAMESPACE_NAME_LABEL,
                        &namespace.value,
                    ));
                } else {
                    checker.error(
                        origin,
                        origin.span_of(namespace),
                        format!("`{}` is not a namespace name", namespace.value),
                        dns1123_label_help(&namespace.value),
                    );
                }
            }
            (None, Some(selector)) => {
                if let Some(selector) =
                    check_selector(checker, origin, &selector.value, origin.span_of(selector))
                {
                    checked.push(selector);
                }
            }
            _ => {
                let span = peer
                    .namespace
                    .as_ref()
                    .map_or(origin.start(), |n| origin.span_of(n));
                checker.error(
                    origin,
                    span,
                    "an allowFrom entry names exactly one of `namespace` or `namespaceSelector`"
                        .into(),
                    "split it into two entries",
                );
            }
        }
    }
    checked.sort();
    checked.dedup();
    checked
}

fn check_selector(
    checker: &mut Checker<'_>,
    origin: &DocumentOrigin,
    selector: &SelectorSpec,
    span: Span,
) -> Option<LabelSelector> {
    let mut valid = true;
    let mut checked = LabelSelector::default();
    let mut match_labels = Vec::new();
    for (key, value) in &selector.match_labels.0 {
        if let Some(problem) = qualified_name_problem(&key.value) {
            checker.error(
                origin,
                origin.span_of(key),
                format!("label key `{}` is invalid: {problem}", key.value),
                "use a label key such as `team` or `example.com/team`",
            );
            valid = false;
        } else if !is_label_value(&value.value) {
            checker.error(
                origin,
                origin.span_of(value),
                format!("label value `{}` is invalid", value.value),
                "label values are at most 63 letters, digits, '-', '_' or '.'",
            );
            valid = false;
        } else {
            match_labels.push((key.value.clone(), value.value.clone()));
        }
    }
    checked.match_labels = match_labels.into_iter().collect();
    for expression in &selector.match_expressions {
        let operator = expression.operator.value.as_str();
        let needs_values = matches!(operator, "In" | "NotIn");
        if !OPERATORS.contains(&operator) {
            checker.error(
                origin,
                origin.span_of(&expression.operator),
                format!("unknown selector operator `{operator}`"),
                "use In, NotIn, Exists or DoesNotExist",
            );
            valid = false;
        } else if needs_values == expression.values.is_empty() {
            let problem = if needs_values {
                "needs at least one value"
            } else {
                "takes no values"
            };
            checker.error(
                origin,
                origin.span_of(&expression.operator),
                format!("operator `{operator}` {problem}"),
                "In and NotIn take values; Exists and DoesNotExist take none",
            );
            valid = false;
        } else if let Some(problem) = qualified_name_problem(&expression.key.value) {
            checker.error(
                origin,
                origin.span_of(&expression.key),
                format!("label key `{}` is invalid: {problem}", expression.key.value),
                "use a label key such as `team`",
            );
            valid = false;
        } else {
            checked.match_expressions.push(SelectorExpression {
                key: expression.key.value.clone(),
                operator: operator.to_string(),
                values: expression.values.iter().map(|v| v.value.clone()).collect(),
            });
        }
    }
    if valid && checked.is_empty() {
        checker.error(origin, span, "an empty namespaceSelector matches every namespace, including other tenants'".into(), "select the namespaces that need access, e.g. `matchLabels: {kubernetes.io/metadata.name: ingress-nginx}`");
        return None;
    }
    valid.then_some(checked)
}

/// The labels a namespace will carry, as NetworkPolicies see them.
pub fn namespace_labels(namespace: &Namespace) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = namespace
        .labels
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    labels.insert(NAMESPACE_NAME_LABEL.into(), namespace.name.clone());
    labels.insert("tenet.dev/tenant".into(), namespace.tenant.clone());
    labels.insert("app.kubernetes.io/managed-by".into(), "tenet".into());
    if let Some(network) = &namespace.network {
        labels.insert("tenet.dev/network".into(), network.clone());
    }
    labels
}

/// `allowFrom` may reach into another tenant's namespace only when that namespace's own
/// network admits this network back: both tenants must declare the path.
fn check_cross_tenant_peers(
    checker: &mut Checker<'_>,
    network_docs: &BTreeMap<String, Declared<NetworkDocument>>,
    model: &Model,
) {
    let index = NamespaceLabelIndex::new(model);
    for (name, network) in &model.networks {
        let Some(declared) = network_docs.get(name) else {
            continue;
        };
        for raw in &declared.document.spec.value.allow_from {
            // The namespaces of other tenants this entry lets in: a named namespace is looked
            // up directly; a selector only against the namespaces that carry its labels.
            let (matched, span): (Vec<&Namespace>, Span) =
                match (&raw.namespace, &raw.namespace_selector) {
                    (Some(namespace), None) => (
                        model.namespaces.get(&namespace.value).into_iter().collect(),
                        declared.origin.span_of(namespace),
                    ),
                    (None, Some(raw_selector)) => {
                        let Some(selector) = network
                            .allow_from
                            .iter()
                            .find(|s| selector_spec_equals(&raw_selector.value, s))
                        else {
                            continue;
                        };
                        let matched = index
                            .candidates(selector)
                            .filter(|ns| selector.matches(&namespace_labels(ns)))
                            .collect();
                        (matched, declared.origin.span_of(raw_selector))
                    }
                    _ => continue,
                };
            for other in matched.into_iter().filter(|ns| ns.tenant != network.tenant) {
                // Both sides must declare the path: the other namespace's network must let in
                // every namespace of this network, as the audit checks on the output.
                let theirs = other.network.as_ref().and_then(|n| model.networks.get(n));
                let refused: Vec<&str> = network
                    .namespaces
                    .iter()
                    .filter_map(|ns| model.namespaces.get(ns))
                    .filter(|ours| {
                        !theirs.is_some_and(|t| {
                            t.allow_from
                                .iter()
                                .any(|s| s.matches(&namespace_labels(ours)))
                        })
                    })
                    .map(|ours| ours.name.as_str())
                    .collect();
                if theirs.is_none() || !refused.is_empty() {
                    let missing = if theirs.is_none() {
                        format!(
                            "`{}` is on no network, so it cannot let anything in",
                            other.name
                        )
                    } else {
                        format!(
                            "its network does not let in {}",
                            refused
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    checker.error(
                        &declared.origin,
                        span,
                        format!(
                            "allowFrom lets namespace `{}` of tenant `{}` into network `{name}` of tenant `{}`, but that namespace does not allow it too: {missing}",
                            other.name, other.tenant, network.tenant
                        ),
                        format!(
                            "cross-tenant traffic needs both sides: the network of `{}` must list every namespace of `{name}` in its own allowFrom, or remove this entry",
                            other.name
                        ),
                    );
                }
            }
        }
    }
}

/// Namespaces by label, so that a selector is matched against the namespaces that carry one
/// of its required labels rather than against every namespace.
struct NamespaceLabelIndex<'m> {
    all: Vec<&'m Namespace>,
    by_label: std::collections::HashMap<(String, String), Vec<&'m Namespace>>,
}

impl<'m> NamespaceLabelIndex<'m> {
    fn new(model: &'m Model) -> Self {
        let mut by_label: std::collections::HashMap<(String, String), Vec<&Namespace>> =
            std::collections::HashMap::new();
        for namespace in model.namespaces.values() {
            for label in namespace_labels(namespace) {
                by_label.entry(label).or_default().push(namespace);
            }
        }
        NamespaceLabelIndex {
            all: model.namespaces.values().collect(),
            by_label,
        }
    }

    /// A superset of the namespaces `selector` matches, in name order: those with the rarest
    /// of its `matchLabels` pairs or `In` values, or all namespaces when it requires none.
    fn candidates(&self, selector: &LabelSelector) -> impl Iterator<Item = &'m Namespace> + '_ {
        let lookup = |key: &String, value: &String| -> &[&'m Namespace] {
            self.by_label
                .get(&(key.clone(), value.clone()))
                .map_or(&[], Vec::as_slice)
        };
        let mut best: Option<Vec<&'m Namespace>> = None;
        let mut consider = |found: Vec<&'m Namespace>| {
            if best.as_ref().is_none_or(|b| found.len() < b.len()) {
                best = Some(found);
            }
        };
        for (key, value) in &selector.match_labels {
            consider(lookup(key, value).to_vec());
        }
        for expression in &selector.match_expressions {
            if expression.operator == "In" {
                let mut found: Vec<&'m Namespace> = expression
                    .values
                    .iter()
                    .flat_map(|value| lookup(&expression.key, value).iter().copied())
                    .collect();
                found.sort_by(|a, b| a.name.cmp(&b.name));
                found.dedup_by(|a, b| a.name == b.name);
                consider(found);
            }
        }
        best.unwrap_or_else(|| self.all.clone()).into_iter()
    }
}

/// Whether a checked selector came from this input selector.
fn selector_spec_equals(spec: &SelectorSpec, selector: &LabelSelector) -> bool {
    let labels: StringMap = spec
        .match_labels
        .0
        .iter()
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect();
    labels == selector.match_labels
        && spec.match_expressions.len() == selector.match_expressions.len()
        && spec
            .match_expressions
            .iter()
            .zip(&selector.match_expressions)
            .all(|(a, b)| a.key.value == b.key && a.operator.value == b.operator)
}

/// Tenant-wide limits: the namespace count and the quota ceiling.
fn check_tenant_limits(
    checker: &mut Checker<'_>,
    tenant_docs: &BTreeMap<String, Declared<TenantDocument>>,
    model: &Model,
) {
    for (name, tenant) in &model.tenants {
        let Some(declared) = tenant_docs.get(name) else {
            continue;
        };
        let Some(spec) = &declared.document.spec else {
            continue;
        };
        let origin = &declared.origin;
        if let (Some(max), Some(raw)) = (tenant.max_namespaces, &spec.max_namespaces)
            && tenant.namespaces.len() > max as usize
        {
            checker.error(
                    origin,
                    origin.span_of(raw),
                    format!("tenant `{name}` declares {} namespaces, more than its maxNamespaces of {max}: {}", tenant.namespaces.len(), tenant.namespaces.join(", ")),
                    "remove namespaces or raise maxNamespaces",
                );
        }
        for (resource, raw_ceiling) in &spec.quota.0 {
            let Some(ceiling) = tenant
                .quota
                .get(&resource.value)
                .and_then(|q| Quantity::parse(q).ok())
            else {
                continue;
            };
            let key = quota_sum_key(&resource.value);
            let mut total = Quantity::zero(ceiling.format);
            let mut contributions = Vec::new();
            let mut unbounded = Vec::new();
            for namespace in tenant
                .namespaces
                .iter()
                .filter_map(|n| model.namespaces.get(n))
            {
                let value = namespace
                    .quota
                    .iter()
                    .find(|(r, _)| quota_sum_key(r) == key)
                    .and_then(|(_, q)| Quantity::parse(q).ok());
                match value {
                    Some(value) => {
                        total = total.checked_add(&value).unwrap_or(value);
                        contributions.push(format!("{} {}", namespace.name, value));
                    }
                    None => unbounded.push(namespace.name.clone()),
                }
            }
            if total > ceiling {
                checker.error(
                    origin,
                    origin.span_of(raw_ceiling),
                    format!("the namespaces of tenant `{name}` set {resource} quotas adding up to {total}, more than the tenant's {ceiling}: {}", contributions.join(" + "), resource = resource.value),
                    "lower the namespaces' quotas or raise the tenant's",
                );
            } else if !unbounded.is_empty() {
                let file = checker.sources.files[origin.file].display_path.clone();
                checker.diagnostics.push(
                    Diagnostic::warning(file, Some(origin.span_of(raw_ceiling)), format!("tenant `{name}` caps {} at {ceiling}, but these namespaces set no such quota and are not bounded by it: {}", resource.value, unbounded.join(", ")))
                        .with_help(format!("give each namespace a `{}` quota", resource.value)),
                );
            }
        }
    }
}

/// ResourceQuota counts `cpu` as `requests.cpu` (likewise memory and ephemeral storage).
fn quota_sum_key(resource: &str) -> &str {
    match resource {
        "cpu" => "requests.cpu",
        "memory" => "requests.memory",
        "ephemeral-storage" => "requests.ephemeral-storage",
        other => other,
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
