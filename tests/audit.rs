//! The audit: each invariant fires on an input or template that breaks it, exceptions accept
//! findings until they expire, and the example passes.

mod common;

use std::path::Path;

use tenet::audit::{
    AuditReport, Invariant, TenancyFacts, audit, audit_parts, render_json, render_report,
};
use tenet::load::{Sources, load_sources};
use tenet::manifests::borrowed;
use tenet::pipeline::compile;
use tenet::templates::{TemplateSet, TemplateSource};

const BASE: &str = "
apiVersion: tenet.dev/v1alpha1
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
spec: {tenant: acme, username: alice@acme.example}
---
apiVersion: tenet.dev/v1alpha1
kind: User
metadata: {name: dave}
spec: {tenant: globex, username: dave@globex.example}
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: acme-prod}
spec: {tenant: acme, owners: [alice]}
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: globex-web}
spec: {tenant: globex, owners: [dave]}
";

fn run(extra: &str, overrides: &[(&str, &str)], today: &str) -> AuditReport {
    let input = format!("{BASE}{extra}");
    let sources = Sources::in_memory("tenants", &[("all.yaml", &input)]);
    let mut templates = TemplateSet::embedded();
    for (name, addition) in overrides {
        let text = format!("{}{addition}", TemplateSet::embedded_text(name).unwrap());
        templates.set(
            *name,
            TemplateSource {
                display_path: format!("templates/{name}"),
                text,
            },
        );
    }
    let mut compiled = compile(&sources, &templates).unwrap_or_else(|d| panic!("{d}"));
    let facts = TenancyFacts::from_model(&compiled.model, today);
    let report = audit_parts(compiled.take_audit_parts("out/"), &facts);
    // The same audit over the files as written and read back (what `tenet audit --manifests`
    // does) must agree with the one over the parts taken out while compiling.
    let objects = common::plan_objects(&compiled.plan);
    assert_eq!(audit(&borrowed(&objects), &facts), report);
    report
}

fn invariants(report: &AuditReport) -> Vec<Invariant> {
    report.findings.iter().map(|f| f.invariant).collect()
}

#[test]
fn the_example_passes() {
    let (sources, _) = load_sources(Path::new("tenants"));
    let mut compiled = compile(&sources, &TemplateSet::embedded()).unwrap();
    let facts = TenancyFacts::from_model(&compiled.model, "2026-12-04");
    let report = audit_parts(compiled.take_audit_parts("out/"), &facts);
    assert!(report.passed(), "{}", render_report(&report));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn a_group_shared_by_two_tenants_is_cross_tenant() {
    let extra = "
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: acme-dev}
spec:
  tenant: acme
  members: [{group: contractors, role: edit}]
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata: {name: globex-dev}
spec:
  tenant: globex
  members: [{group: contractors, role: view}]
";
    let report = run(extra, &[], "2026-12-04");
    assert!(!report.passed());
    insta::assert_snapshot!(render_report(&report));
}

/// A user's own template that gives alice a RoleBinding in globex's namespace.
const FOREIGN_ROLEBINDING: &str = "
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ (user.name ~ \"-helps-globex\") | yaml_quote }}
  namespace: globex-web
  labels: {tenet.dev/tenant: {{ user.tenant | yaml_quote }}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: {{ user.username | yaml_quote }}}]
";

#[test]
fn a_binding_in_another_tenants_namespace_is_cross_tenant_and_risky() {
    let report = run("", &[("user.yaml.j2", FOREIGN_ROLEBINDING)], "2026-12-04");
    let found = invariants(&report);
    assert!(
        found.contains(&Invariant::CrossTenant),
        "{}",
        render_report(&report)
    );
    // edit grants pods/exec and serviceaccounts impersonation, outside the tenant.
    assert!(
        found.contains(&Invariant::RiskyPermission),
        "{}",
        render_report(&report)
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.subject == "alice@acme.example" && f.invariant == Invariant::CrossTenant)
        .unwrap();
    assert_eq!(
        finding.binding.as_deref(),
        Some("RoleBinding/globex-web/alice-helps-globex")
    );
    assert_eq!(finding.role.as_deref(), Some("ClusterRole/edit"));
    assert_eq!(
        finding.source.as_deref(),
        Some(
            "out/namespaces/globex-web/rolebinding/alice-helps-globex.yaml (from tenants/all.yaml)"
        )
    );
}

#[test]
fn cluster_wide_grants_on_namespaced_resources_are_cross_tenant() {
    let template = "
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ (user.name ~ \"-reads-everything\") | yaml_quote }}
  labels: {tenet.dev/tenant: {{ user.tenant | yaml_quote }}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: {{ user.username | yaml_quote }}}]
";
    let report = run("", &[("user.yaml.j2", template)], "2026-12-04");
    assert!(
        invariants(&report).contains(&Invariant::CrossTenant),
        "{}",
        render_report(&report)
    );
}

#[test]
fn risky_permissions_at_cluster_scope() {
    let template = "
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: {{ (user.name ~ \"-powers\") | yaml_quote }}}
rules:
  - {apiGroups: [\"\"], resources: [users], verbs: [impersonate]}
  - {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}
  - {apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions], verbs: [create]}
  - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ (user.name ~ \"-powers\") | yaml_quote }}
  labels: {tenet.dev/tenant: {{ user.tenant | yaml_quote }}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {{ (user.name ~ \"-powers\") | yaml_quote }}}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: {{ user.username | yaml_quote }}}]
";
    let report = run("", &[("user.yaml.j2", template)], "2026-12-04");
    let risky: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.invariant == Invariant::RiskyPermission && f.subject == "alice@acme.example")
        .map(|f| f.detail.as_str())
        .collect();
    for risk in [
        "escalate, bind or impersonate",
        "proxy to nodes",
        "write admission webhooks, CRDs",
        "approve CertificateSigningRequests",
    ] {
        assert!(
            risky.iter().any(|d| d.contains(risk)),
            "{risk} not found in {risky:?}"
        );
    }
}

#[test]
fn bindings_to_missing_roles() {
    let template = "
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ghost
  namespace: {{ namespace.name | yaml_quote }}
  labels: {tenet.dev/tenant: {{ namespace.tenant | yaml_quote }}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: does-not-exist}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: nobody}]
";
    let report = run("", &[("namespace.yaml.j2", template)], "2026-12-04");
    let missing: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.invariant == Invariant::MissingRole)
        .collect();
    assert_eq!(missing.len(), 2, "{}", render_report(&report));
    assert_eq!(
        missing[0].permission,
        "binding to missing ClusterRole/does-not-exist"
    );
}

#[test]
fn deleting_a_namespace_one_does_not_own() {
    let template = "
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: {{ (user.name ~ \"-janitor\") | yaml_quote }}}
rules: [{apiGroups: [\"\"], resources: [namespaces], verbs: [delete]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ (user.name ~ \"-janitor\") | yaml_quote }}
  labels: {tenet.dev/tenant: {{ user.tenant | yaml_quote }}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {{ (user.name ~ \"-janitor\") | yaml_quote }}}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: {{ user.username | yaml_quote }}}]
";
    let report = run("", &[("user.yaml.j2", template)], "2026-12-04");
    let ownership: Vec<String> = report
        .findings
        .iter()
        .filter(|f| {
            f.invariant == Invariant::NamespaceOwnership && f.subject == "alice@acme.example"
        })
        .map(|f| f.detail.clone())
        .collect();
    assert!(
        ownership.iter().any(|d| d.contains("`globex-web`")),
        "{ownership:?}"
    );
    assert!(
        ownership.iter().any(|d| d.contains("`kube-system`")),
        "{ownership:?}"
    );
    assert!(
        !ownership.iter().any(|d| d.contains("`acme-prod`")),
        "alice owns acme-prod: {ownership:?}"
    );
}

#[test]
fn a_namespace_without_isolation_is_open_to_every_tenant() {
    // Replace the namespace template by one that emits no NetworkPolicy.
    let sources = Sources::in_memory("tenants", &[("all.yaml", BASE)]);
    let mut templates = TemplateSet::embedded();
    let text = TemplateSet::embedded_text("namespace.yaml.j2").unwrap();
    let cut = text.find("---\n# Ingress only").unwrap();
    let end = text[cut..].find("{%- if namespace.quota %}").unwrap();
    let without = format!("{}{}", &text[..cut], &text[cut + end..]);
    templates.set(
        "namespace.yaml.j2",
        TemplateSource {
            display_path: "templates/namespace.yaml.j2".into(),
            text: without,
        },
    );
    let mut compiled = compile(&sources, &templates).unwrap();
    let facts = TenancyFacts::from_model(&compiled.model, "2026-12-04");
    let report = audit_parts(compiled.take_audit_parts("out/"), &facts);
    let open: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.invariant == Invariant::NetworkIsolation)
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(open, ["namespace acme-prod", "namespace globex-web"]);
}

#[test]
fn one_sided_network_paths_are_reported() {
    // globex-web's policy admits acme's namespaces, but acme does not admit globex back.
    let template = "
{%- if namespace.tenant == \"globex\" %}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: let-acme-in
  namespace: {{ namespace.name | yaml_quote }}
  labels: {tenet.dev/tenant: globex}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {tenet.dev/tenant: acme}}}]}]
{%- endif %}
";
    let report = run("", &[("namespace.yaml.j2", template)], "2026-12-04");
    let network: Vec<(&str, &str)> = report
        .findings
        .iter()
        .filter(|f| f.invariant == Invariant::NetworkIsolation)
        .map(|f| (f.subject.as_str(), f.permission.as_str()))
        .collect();
    assert_eq!(network, [("namespace acme-prod", "reach globex-web")]);
}

const EXCEPTION: &str = "
---
apiVersion: tenet.dev/v1alpha1
kind: Exception
metadata: {name: alice-helps-globex}
spec:
  subject: {user: alice@acme.example}
  invariant: cross-tenant
  permission: \"* on * (groups *) in globex-web\"
  reason: Migration help, approved in TICKET-42.
  expires: 2027-01-31
";

#[test]
fn exceptions_accept_findings_until_they_expire() {
    let template = "
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-full
  namespace: globex-web
  labels: {tenet.dev/tenant: acme}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: access-resources-within-namespace}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice@acme.example}]
";
    let overrides = [("cluster.yaml.j2", template)];
    let before = run(EXCEPTION, &overrides, "2027-01-31");
    let accepted: Vec<&str> = before
        .excepted
        .iter()
        .map(|f| f.permission.as_str())
        .collect();
    assert_eq!(accepted, ["* on * (groups *) in globex-web"]);
    let after = run(EXCEPTION, &overrides, "2027-02-01");
    assert!(
        after
            .findings
            .iter()
            .any(|f| f.permission == "* on * (groups *) in globex-web")
    );
    assert!(
        after
            .warnings
            .iter()
            .any(|w| w.contains("expired on 2027-01-31")),
        "{:?}",
        after.warnings
    );
    let unused = run(EXCEPTION, &[], "2027-01-01");
    assert!(
        unused
            .warnings
            .iter()
            .any(|w| w.contains("matches no finding")),
        "{:?}",
        unused.warnings
    );
    insta::assert_snapshot!(render_json(&before));
}
