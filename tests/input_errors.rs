//! Every input error rule, with its exact message, file, line and column.

use tenet::load::Sources;
use tenet::pipeline::compile;
use tenet::templates::TemplateSet;

const TENANT: &str = "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: acme\n";

/// Compiles the files and returns every diagnostic in its plain form.
fn errors(files: &[(&str, &str)]) -> String {
    let sources = Sources::in_memory("tenants", files);
    match compile(&sources, &TemplateSet::embedded()) {
        Ok(_) => panic!("input was accepted, but errors were expected"),
        Err(diagnostics) => diagnostics.to_string(),
    }
}

fn with_tenant(doc: &str) -> String {
    format!("{TENANT}---\n{doc}")
}

#[test]
fn not_yaml() {
    insta::assert_snapshot!(errors(&[(
        "a.yaml",
        "apiVersion: tenet.dev/v1alpha1\nkind: [Tenant\n"
    )]));
}

#[test]
fn unknown_api_version() {
    insta::assert_snapshot!(errors(&[(
        "a.yaml",
        "apiVersion: tenet.dev/v1\nkind: Tenant\nmetadata: {name: acme}\n"
    )]));
}

#[test]
fn missing_api_version_and_kind() {
    insta::assert_snapshot!(errors(&[(
        "a.yaml",
        "kind: Tenant\nmetadata: {name: a}\n---\napiVersion: tenet.dev/v1alpha1\nmetadata: {name: b}\n"
    )]));
}

#[test]
fn unknown_kind() {
    insta::assert_snapshot!(errors(&[(
        "a.yaml",
        "apiVersion: tenet.dev/v1alpha1\nkind: tenant\nmetadata: {name: acme}\n---\napiVersion: tenet.dev/v1alpha1\nkind: Group\nmetadata: {name: ops}\n"
    )]));
}

#[test]
fn unknown_field() {
    let doc = with_tenant(
        "apiVersion: tenet.dev/v1alpha1\nkind: Namespace\nmetadata:\n  name: acme-prod\nspec:\n  tenant: acme\n  ownerz: [alice]\n",
    );
    insta::assert_snapshot!(errors(&[("a.yaml", &doc)]));
}

#[test]
fn missing_required_field() {
    let doc = with_tenant(
        "apiVersion: tenet.dev/v1alpha1\nkind: User\nmetadata:\n  name: alice\nspec:\n  username: alice@acme.example\n",
    );
    insta::assert_snapshot!(errors(&[("a.yaml", &doc)]));
}

#[test]
fn names_must_be_dns_labels() {
    let docs = "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: Acme_Corp\n---\napiVersion: tenet.dev/v1alpha1\nkind: Network\nmetadata:\n  name: net-\nspec:\n  tenant: acme\n  providerNetworkID: x\n";
    insta::assert_snapshot!(errors(&[("a.yaml", docs)]));
}

#[test]
fn duplicate_names_and_usernames() {
    let users = "apiVersion: tenet.dev/v1alpha1\nkind: User\nmetadata:\n  name: alice\nspec:\n  tenant: acme\n---\napiVersion: tenet.dev/v1alpha1\nkind: User\nmetadata:\n  name: al\nspec:\n  tenant: acme\n  username: alice\n";
    insta::assert_snapshot!(errors(&[
        ("a.yaml", TENANT),
        ("b.yaml", TENANT),
        ("users.yaml", users)
    ]));
}

#[test]
fn references_must_exist() {
    let docs = with_tenant(
        "apiVersion: tenet.dev/v1alpha1\nkind: User\nmetadata:\n  name: alice\nspec:\n  tenant: acmee\n---\napiVersion: tenet.dev/v1alpha1\nkind: Namespace\nmetadata:\n  name: acme-prod\nspec:\n  tenant: acme\n  owners: [bob]\n  network: acme-nett\n",
    );
    insta::assert_snapshot!(errors(&[("a.yaml", &docs)]));
}

#[test]
fn references_must_not_cross_tenants() {
    let globex = "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: globex\n---\napiVersion: tenet.dev/v1alpha1\nkind: User\nmetadata:\n  name: dave\nspec:\n  tenant: globex\n---\napiVersion: tenet.dev/v1alpha1\nkind: Network\nmetadata:\n  name: globex-net\nspec:\n  tenant: globex\n  providerNetworkID: abc\n";
    let acme = with_tenant(
        "apiVersion: tenet.dev/v1alpha1\nkind: Namespace\nmetadata:\n  name: acme-prod\nspec:\n  tenant: acme\n  owners: [dave]\n  network: globex-net\n",
    );
    insta::assert_snapshot!(errors(&[("acme.yaml", &acme), ("globex.yaml", globex)]));
}

#[test]
fn removed_user_still_named_as_owner() {
    let docs = with_tenant(
        "apiVersion: tenet.dev/v1alpha1\nkind: Namespace\nmetadata:\n  name: acme-prod\nspec:\n  tenant: acme\n  owners: [alice]\n",
    );
    insta::assert_snapshot!(errors(&[("a.yaml", &docs)]));
}

#[test]
fn reserved_namespaces() {
    let mut docs = TENANT.to_string();
    for name in [
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "kube-tenant",
    ] {
        docs.push_str(&format!("---\napiVersion: tenet.dev/v1alpha1\nkind: Namespace\nmetadata:\n  name: {name}\nspec:\n  tenant: acme\n"));
    }
    insta::assert_snapshot!(errors(&[("a.yaml", &docs)]));
}

#[test]
fn system_usernames_are_refused() {
    let docs = with_tenant(
        "apiVersion: tenet.dev/v1alpha1\nkind: User\nmetadata:\n  name: admin\nspec:\n  tenant: acme\n  username: \"system:admin\"\n",
    );
    insta::assert_snapshot!(errors(&[("a.yaml", &docs)]));
}

#[test]
fn malformed_cidrs_and_gateways() {
    let docs = with_tenant(
        "apiVersion: tenet.dev/v1alpha1\nkind: Network\nmetadata:\n  name: n1\nspec:\n  tenant: acme\n  subnets:\n    - cidr: 10.0.0.0\n    - cidr: 10.1.0.0/33\n    - cidr: 10.2.0.7/24\n    - {cidr: 10.3.0.0/24, gateway: 10.3.0.300}\n    - {cidr: 10.4.0.0/24, gateway: 10.5.0.1}\n    - {cidr: \"fd00::/64\", gateway: \"10.6.0.1\"}\n",
    );
    insta::assert_snapshot!(errors(&[("a.yaml", &docs)]));
}

#[test]
fn subnets_xor_provider_network_id() {
    let docs = with_tenant(
        "apiVersion: tenet.dev/v1alpha1\nkind: Network\nmetadata:\n  name: both\nspec:\n  tenant: acme\n  subnets: [{cidr: 10.0.0.0/24}]\n  providerNetworkID: abc\n---\napiVersion: tenet.dev/v1alpha1\nkind: Network\nmetadata:\n  name: neither\nspec:\n  tenant: acme\n",
    );
    insta::assert_snapshot!(errors(&[("a.yaml", &docs)]));
}

#[test]
fn overlapping_subnets() {
    let docs = with_tenant(
        "apiVersion: tenet.dev/v1alpha1\nkind: Network\nmetadata:\n  name: a\nspec:\n  tenant: acme\n  subnets: [{cidr: 10.0.0.0/16}, {cidr: 10.0.5.0/24}]\n---\napiVersion: tenet.dev/v1alpha1\nkind: Network\nmetadata:\n  name: b\nspec:\n  tenant: acme\n  subnets: [{cidr: 10.0.0.0/8}]\n",
    );
    insta::assert_snapshot!(errors(&[("a.yaml", &docs)]));
}

#[test]
fn labels_and_annotations() {
    let docs = with_tenant(
        "apiVersion: tenet.dev/v1alpha1\nkind: Namespace\nmetadata:\n  name: acme-prod\n  labels:\n    tenet.dev/tenant: other\n    \"bad key\": x\n    ok: \"not ok\"\n  annotations:\n    Example.com/x: y\nspec:\n  tenant: acme\n",
    );
    insta::assert_snapshot!(errors(&[("a.yaml", &docs)]));
}

#[test]
fn duplicate_mapping_keys() {
    insta::assert_snapshot!(errors(&[(
        "a.yaml",
        "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: a\n  name: b\n"
    )]));
}

#[test]
fn every_error_of_every_file_in_one_run() {
    let a = "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: A\n---\nnot: [valid\n---\napiVersion: tenet.dev/v1alpha1\nkind: User\nmetadata:\n  name: u\nspec:\n  tenant: nope\n";
    let b = "apiVersion: tenet.dev/v1alpha1\nkind: Namespace\nmetadata:\n  name: kube-x\nspec:\n  tenant: nope\n";
    let out = errors(&[("a.yaml", a), ("sub/b.yaml", b)]);
    assert_eq!(out.matches("error: ").count(), 4, "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn crlf_and_bom_report_the_right_positions() {
    let text =
        "\u{feff}apiVersion: tenet.dev/v1alpha1\r\nkind: Tenant\r\nmetadata:\r\n  name: Bad\r\n";
    insta::assert_snapshot!(errors(&[("a.yaml", text)]), @r"
    error: tenants/a.yaml:4:9: Tenant name `Bad` is not a valid DNS-1123 label
      help: use at most 63 characters: lowercase letters, digits and '-', starting and ending with a letter or digit, for example `bad`
    ");
}
