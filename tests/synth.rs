//! The synthetic workload generator (`examples/synth.rs`) writes valid, deterministic input.

use std::path::Path;

use assert_cmd::Command;
use tenet::load::{Sources, load_sources};
use tenet::pipeline::{compile, validate_sources};
use tenet::templates::TemplateSet;

#[path = "../examples/synth.rs"]
#[allow(dead_code)]
mod synth;

use synth::{SynthParams, generate, write_tree};

const SMALL: SynthParams = SynthParams {
    tenants: 8,
    users_per_tenant: 3,
    namespaces_per_tenant: 3,
    networks_per_tenant: 2,
    seed: 7,
};

fn in_memory(files: &std::collections::BTreeMap<String, String>) -> Sources {
    let pairs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    Sources::in_memory("tenants", &pairs)
}

#[test]
fn synthetic_input_is_valid_and_compiles() {
    let files = generate(&SMALL);
    let sources = in_memory(&files);
    let (model, warnings) = match validate_sources(&sources) {
        Ok(ok) => ok,
        Err(errors) => panic!("synthetic input rejected:\n{errors}"),
    };
    assert!(
        !warnings.has_errors() && warnings.iter().next().is_none(),
        "{warnings}"
    );
    assert_eq!(model.tenants.len(), 8);
    assert_eq!(model.users.len(), 24);
    assert_eq!(model.namespaces.len(), 24);
    assert_eq!(model.networks.len(), 16);
    let compiled = compile(&sources, &TemplateSet::embedded()).expect("compiles");
    assert!(compiled.plan.files.len() > 24 * 5);
}

#[test]
fn synthetic_input_uses_every_field() {
    let all: String = generate(&SMALL).into_values().collect();
    for field in [
        "kind: Settings",
        "appliers:",
        "allowedClusterRoles:",
        "kind: Tenant",
        "displayName:",
        "admins:",
        "bindDefaultServiceAccount: true",
        "maxNamespaces:",
        "requests.memory:",
        "kind: User",
        "username:",
        "groups:",
        "kind: Namespace",
        "labels:",
        "annotations:",
        "owners:",
        "network:",
        "members:",
        "- user:",
        "- group:",
        "- serviceAccount:",
        "role: admin",
        "role: edit",
        "role: view",
        "role: monitoring-viewer",
        "serviceAccounts:",
        "quota:",
        "limits:",
        "defaultRequest:",
        "max:",
        "min:",
        "kind: Network",
        "subnets:",
        "gateway:",
        "cidr: fd00:",
        "providerNetworkID:",
        "allowFrom:",
        "- namespace:",
        "matchLabels:",
        "matchExpressions:",
        "kind: Exception",
    ] {
        assert!(all.contains(field), "synthetic input lacks `{field}`");
    }
}

#[test]
fn synthetic_input_is_deterministic_for_a_seed() {
    assert_eq!(generate(&SMALL), generate(&SMALL));
    let other = SynthParams { seed: 8, ..SMALL };
    assert_ne!(generate(&SMALL), generate(&other));
}

#[test]
fn tenet_validate_accepts_a_written_synthetic_tree() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tenants");
    write_tree(&generate(&SMALL), &root).unwrap();
    let (sources, diagnostics) = load_sources(&root);
    assert!(!diagnostics.has_errors(), "{diagnostics}");
    assert_eq!(sources.files.len(), 8 * 3 + 1);
    let output = Command::cargo_bin("tenet")
        .unwrap()
        .args(["validate", "--tenants"])
        .arg(&root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(Path::new(&root).join("settings.yaml").exists());
}
