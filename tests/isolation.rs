//! Tenant isolation beyond RBAC: every new field's diagnostics, quota sums with mixed units,
//! and the reachability matrix against hand-computed expectations.

mod common;

use tenet::load::Sources;
use tenet::netpolicy::NetworkView;
use tenet::pipeline::{Compiled, compile};
use tenet::templates::TemplateSet;

const TENANTS: &str = "apiVersion: tenet.dev/v1alpha1
kind: Tenant
metadata: {name: acme}
---
apiVersion: tenet.dev/v1alpha1
kind: Tenant
metadata: {name: globex}
---
apiVersion: tenet.dev/v1alpha1
kind: User
metadata: {name: alice}
spec: {tenant: acme}
---
apiVersion: tenet.dev/v1alpha1
kind: User
metadata: {name: dave}
spec: {tenant: globex}
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: globex-web}
spec: {tenant: globex}
";

fn compile_with(extra: &str) -> Result<Compiled, String> {
    let sources = Sources::in_memory("tenants", &[("base.yaml", TENANTS), ("test.yaml", extra)]);
    compile(&sources, &TemplateSet::embedded()).map_err(|d| d.to_string())
}

fn errors(extra: &str) -> String {
    match compile_with(extra) {
        Ok(_) => panic!("input was accepted"),
        Err(errors) => errors,
    }
}

#[test]
fn groups_admins_and_members() {
    insta::assert_snapshot!(errors(
        "apiVersion: tenet.dev/v1alpha1
kind: User
metadata: {name: bob}
spec:
  tenant: acme
  groups: [\"system:masters\", ops, ops]
---
apiVersion: tenet.dev/v1alpha1
kind: Tenant
metadata: {name: initech}
spec:
  admins: [dave, nobody]
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: acme-prod}
spec:
  tenant: acme
  members:
    - {user: dave, role: edit}
    - {group: \"system:authenticated\", role: view}
    - {serviceAccount: globex-web/deployer, role: edit}
    - {serviceAccount: deployer, role: edit}
    - {user: alice, group: ops, role: view}
    - {group: ops, role: fancy-role}
    - {group: ops, role: view}
    - {group: ops, role: view}
"
    ));
}

#[test]
fn service_accounts_quotas_and_limits() {
    insta::assert_snapshot!(errors(
        "apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: acme-prod}
spec:
  tenant: acme
  serviceAccounts: [default, Deployer, ci, ci]
  quota:
    requests.cpu: 2 cores
    \"bad key!\": \"1\"
    limits.memory: -1Gi
    pods: 1e3
  limits:
    default: {cpu: 100m}
    defaultRequest: {cpu: 200m}
    max: {memory: 1Gi}
    min: {memory: 2Gi}
"
    ));
}

#[test]
fn tenant_quota_sums_mixed_units() {
    let namespaces = |cpu_b: &str, memory_b: &str| {
        format!(
            "apiVersion: tenet.dev/v1alpha1
kind: Tenant
metadata: {{name: initech}}
spec:
  maxNamespaces: 2
  quota: {{requests.cpu: \"2\", requests.memory: 1536Mi}}
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {{name: initech-a}}
spec:
  tenant: initech
  quota: {{requests.cpu: 500m, requests.memory: 512Mi}}
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {{name: initech-b}}
spec:
  tenant: initech
  quota: {{cpu: \"{cpu_b}\", requests.memory: {memory_b}}}
"
        )
    };
    // 500m + 1.5 = 2 CPUs and 512Mi + 1Gi = 1536Mi: exactly at the ceiling.
    let compiled =
        compile_with(&namespaces("1.5", "1Gi")).expect("quotas at the ceiling are accepted");
    assert!(compiled.warnings.0.is_empty(), "{}", compiled.warnings);
    let quota = &compiled.plan.files["namespaces/initech-b/resourcequota/tenet-quota.yaml"];
    assert!(quota.contains("cpu: 1500m"), "{quota}");
    assert!(quota.contains("requests.memory: 1Gi"), "{quota}");
    // One millicore and one mebibyte more is too much, and the error names every namespace.
    insta::assert_snapshot!(errors(&namespaces("1501m", "1025Mi")));
}

#[test]
fn max_namespaces() {
    let mut input = String::from(
        "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata: {name: small}\nspec: {maxNamespaces: 1}\n",
    );
    for name in ["small-a", "small-b"] {
        input.push_str(&format!("---\napiVersion: tenet.dev/v1alpha1\nkind: Namespace\nmetadata: {{name: {name}}}\nspec: {{tenant: small}}\n"));
    }
    insta::assert_snapshot!(errors(&input), @r"
    error: tenants/test.yaml:4:23: tenant `small` declares 2 namespaces, more than its maxNamespaces of 1: small-a, small-b
      help: remove namespaces or raise maxNamespaces
    ");
}

#[test]
fn allow_from_and_settings() {
    insta::assert_snapshot!(errors(
        "apiVersion: tenet.dev/v1alpha1
kind: Network
metadata: {name: acme-net}
spec:
  tenant: acme
  providerNetworkID: abc
  allowFrom:
    - namespace: globex-web
    - namespaceSelector: {}
    - namespaceSelector: {matchExpressions: [{key: team, operator: Near, values: [x]}]}
    - namespaceSelector: {matchExpressions: [{key: team, operator: Exists, values: [x]}]}
    - {namespace: ingress-nginx, namespaceSelector: {matchLabels: {a: b}}}
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: acme-prod}
spec: {tenant: acme, network: acme-net}
---
apiVersion: tenet.dev/v1alpha1
kind: Settings
metadata: {name: cluster}
spec:
  appliers: [{serviceAccount: argocd}, {user: a, group: b}]
---
apiVersion: tenet.dev/v1alpha1
kind: Settings
metadata: {name: again}
spec: {}
---
apiVersion: tenet.dev/v1alpha1
kind: Exception
metadata: {name: bad}
spec:
  subject: {user: alice}
  invariant: everything
  permission: x
  reason: \"\"
  expires: 2027-02-30
"
    ));
}

#[test]
fn allowed_cluster_roles_need_no_definition() {
    let input = "apiVersion: tenet.dev/v1alpha1
kind: Settings
metadata: {name: cluster}
spec: {allowedClusterRoles: [monitoring-viewer]}
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: acme-prod}
spec:
  tenant: acme
  members: [{group: sre, role: monitoring-viewer}]
";
    let compiled = compile_with(input).expect("an allowed ClusterRole may be bound");
    assert!(
        compiled
            .plan
            .files
            .contains_key("namespaces/acme-prod/rolebinding/tenet-member-monitoring-viewer.yaml")
    );
}

/// Three tenants; acme's network lets in `ingress-nginx` and, by mutual agreement, globex's
/// `globex-api`, whose network lets all of acme's network in.
const THREE_TENANTS: &str = "apiVersion: tenet.dev/v1alpha1
kind: Tenant
metadata: {name: acme}
---
apiVersion: tenet.dev/v1alpha1
kind: Tenant
metadata: {name: globex}
---
apiVersion: tenet.dev/v1alpha1
kind: Tenant
metadata: {name: initech}
---
apiVersion: tenet.dev/v1alpha1
kind: Network
metadata: {name: acme-net}
spec:
  tenant: acme
  subnets: [{cidr: 10.1.0.0/16}]
  allowFrom: [{namespace: ingress-nginx}, {namespace: globex-api}]
---
apiVersion: tenet.dev/v1alpha1
kind: Network
metadata: {name: globex-net}
spec:
  tenant: globex
  subnets: [{cidr: 10.2.0.0/16}]
  allowFrom: [{namespaceSelector: {matchLabels: {tenet.dev/network: acme-net}}}]
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: acme-web}
spec: {tenant: acme, network: acme-net}
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: acme-db}
spec: {tenant: acme, network: acme-net}
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: acme-tools}
spec: {tenant: acme}
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: globex-api}
spec: {tenant: globex, network: globex-net}
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: initech-app}
spec: {tenant: initech}
";

#[test]
fn net_matrix_matches_hand_computed_reachability() {
    let sources = Sources::in_memory("tenants", &[("all.yaml", THREE_TENANTS)]);
    let compiled = compile(&sources, &TemplateSet::embedded()).unwrap_or_else(|d| panic!("{d}"));
    let objects = common::plan_objects(&compiled.plan);
    let view = NetworkView::from_objects(objects.iter().map(|object| &object.value));
    let namespaces = [
        "acme-db",
        "acme-tools",
        "acme-web",
        "globex-api",
        "initech-app",
        "ingress-nginx",
    ];
    // (source, destination) pairs that may connect, worked out by hand from the rules:
    // a namespace on a network admits that network plus its allowFrom; one without a network
    // admits its own tenant's namespaces.
    let expected = [
        ("acme-db", "acme-db"),
        ("acme-db", "acme-web"),
        ("acme-web", "acme-db"),
        ("acme-web", "acme-web"),
        ("ingress-nginx", "acme-db"),
        ("ingress-nginx", "acme-web"),
        ("globex-api", "acme-db"),
        ("globex-api", "acme-web"),
        ("acme-web", "globex-api"),
        ("acme-db", "globex-api"),
        ("globex-api", "globex-api"),
        ("acme-db", "acme-tools"),
        ("acme-tools", "acme-tools"),
        ("acme-web", "acme-tools"),
        ("initech-app", "initech-app"),
    ];
    for source in namespaces {
        for destination in namespaces.iter().filter(|d| **d != "ingress-nginx") {
            let want = expected.contains(&(source, destination));
            assert_eq!(
                view.may_reach(source, destination),
                want,
                "{source} -> {destination}"
            );
        }
    }
    insta::assert_snapshot!(tenet::netpolicy::render_matrix(&view));
}

#[test]
fn one_sided_allow_from_is_refused() {
    let one_sided = THREE_TENANTS.replace(
        "  allowFrom: [{namespaceSelector: {matchLabels: {tenet.dev/network: acme-net}}}]\n",
        "  allowFrom: [{namespace: acme-web}]\n",
    );
    let sources = Sources::in_memory("tenants", &[("all.yaml", &one_sided)]);
    let errors = compile(&sources, &TemplateSet::embedded())
        .unwrap_err()
        .to_string();
    insta::assert_snapshot!(errors, @r"
    error: tenants/all.yaml:19:55: allowFrom lets namespace `globex-api` of tenant `globex` into network `acme-net` of tenant `acme`, but that namespace does not allow it too: its network does not let in `acme-db`
      help: cross-tenant traffic needs both sides: the network of `globex-api` must list every namespace of `acme-net` in its own allowFrom, or remove this entry
    ");
}

/// What validation accepts, the audit passes: a mutually declared cross-tenant path is not a
/// violation.
#[test]
fn a_mutual_cross_tenant_path_passes_the_audit() {
    let sources = Sources::in_memory("tenants", &[("all.yaml", THREE_TENANTS)]);
    let mut compiled =
        compile(&sources, &TemplateSet::embedded()).unwrap_or_else(|d| panic!("{d}"));
    let facts = tenet::audit::TenancyFacts::from_model(&compiled.model, "2026-12-04");
    let report = tenet::audit::audit_parts(compiled.take_audit_parts("out/"), &facts);
    assert!(report.passed(), "{}", tenet::audit::render_report(&report));
}
