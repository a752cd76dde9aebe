//! The compiler's output: snapshots, the committed example, determinism and quoting.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use tenet::load::{Sources, load_sources, load_templates};
use tenet::pipeline::{compile, compile_as, render_texts};
use tenet::plan::{Digest, FileContent, Plan};
use tenet::templates::TemplateSet;

fn plan_of(sources: &Sources) -> Plan {
    match compile(sources, &TemplateSet::embedded()) {
        Ok(compiled) => compiled.plan,
        Err(diagnostics) => panic!("input rejected:\n{diagnostics}"),
    }
}

fn plan_for_dir(dir: &Path) -> Plan {
    let (sources, diagnostics) = load_sources(dir);
    assert!(!diagnostics.has_errors(), "{diagnostics}");
    plan_of(&sources)
}

/// The whole plan as one text, file by file, for a snapshot a person can read.
fn render_plan(plan: &Plan) -> String {
    plan.files
        .iter()
        .map(|(path, text)| format!("=== {path}\n{text}"))
        .collect()
}

/// Drops the provenance comments, which are the only lines allowed to change when documents
/// move between files.
fn without_provenance(plan: &Plan) -> BTreeMap<String, String> {
    plan.files
        .iter()
        .map(|(path, text)| {
            (
                path.clone(),
                text.lines()
                    .filter(|l| !l.starts_with('#'))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })
        .collect()
}

#[test]
fn fixture_outputs() {
    insta::glob!("fixtures/generate/*/tenants", |dir| {
        insta::assert_snapshot!(render_plan(&plan_for_dir(dir)));
    });
}

#[test]
fn example_output() {
    insta::assert_snapshot!(render_plan(&plan_for_dir(Path::new("tenants"))));
}

/// The committed `out/` is exactly what `tenet generate` writes for the committed input.
#[test]
fn committed_out_is_up_to_date() {
    let (sources, diagnostics) = load_sources(Path::new("tenants"));
    assert!(!diagnostics.has_errors(), "{diagnostics}");
    let (templates, diagnostics) = load_templates(Path::new("templates"), true);
    assert!(!diagnostics.has_errors(), "{diagnostics}");
    let plan = compile(&sources, &templates)
        .expect("example compiles")
        .plan;
    let on_disk = tenet::load::read_output_tree(Path::new("out")).expect("out/ is readable");
    let changes = plan.changes_against(&on_disk);
    assert!(
        changes.is_empty() && changes.conflicts.is_empty(),
        "out/ is stale; run `make generate` and commit: {changes:?}"
    );
}

/// The templates in `templates/` are the ones embedded in the binary.
#[test]
fn embedded_templates_match_the_repository() {
    let (from_disk, diagnostics) = load_templates(Path::new("templates"), true);
    assert!(!diagnostics.has_errors());
    for (name, source) in &from_disk.templates {
        assert_eq!(
            Some(source.text.as_str()),
            TemplateSet::embedded_text(name),
            "{name} differs from the embedded copy"
        );
    }
}

/// `check` compiles to digests: the same files, each with the digest of the text that
/// `generate` writes.
#[test]
fn a_plan_of_digests_has_the_digests_of_the_texts() {
    let (sources, diagnostics) = load_sources(Path::new("tenants"));
    assert!(!diagnostics.has_errors(), "{diagnostics}");
    let texts = plan_of(&sources);
    let digests = compile_as::<Digest>(&sources, &TemplateSet::embedded())
        .expect("the example compiles")
        .plan;
    assert!(texts.files.len() > 10);
    assert_eq!(digests, texts.digests());
}

/// `generate` compares and audits a plan of digests, then renders again only the files it
/// writes: each comes out exactly as a plan of texts has it, whichever context made it.
#[test]
fn files_rendered_again_are_the_planned_texts() {
    let (sources, diagnostics) = load_sources(Path::new("tenants"));
    assert!(!diagnostics.has_errors(), "{diagnostics}");
    let templates = TemplateSet::embedded();
    let texts = plan_of(&sources);
    let compiled = compile_as::<Digest>(&sources, &templates).expect("the example compiles");
    let render = |paths: &[&str]| {
        render_texts(
            &sources,
            &templates,
            &compiled.plan,
            &compiled.rendered_by,
            paths.iter().copied(),
        )
    };
    // Every file, then a few (one from each kind of context, and kustomization.yaml), then none.
    let all: Vec<&str> = texts.files.keys().map(String::as_str).collect();
    assert_eq!(render(&all).expect("rendered again"), texts);
    let some = [
        "cluster/clusterrole/namespace-creater.yaml",
        "cluster/clusterrolebinding/alice-namespace-creater.yaml",
        "cluster/namespace/acme-prod.yaml",
        "cluster/network/acme-net.yaml",
        "kustomization.yaml",
        "namespaces/acme-prod/networkpolicy/tenet-isolation.yaml",
    ];
    let again = render(&some).expect("rendered again");
    assert_eq!(
        again.files.keys().map(String::as_str).collect::<Vec<_>>(),
        some
    );
    for (path, text) in &again.files {
        assert_eq!(text, &texts.files[path], "{path}");
    }
    assert!(render(&[]).expect("nothing to render").files.is_empty());
}

/// A text that does not match the plan it is rendered for (the compilation would not be
/// deterministic), or a path the plan does not have, is an error, not a silent write.
#[test]
fn files_rendered_again_must_match_the_plan() {
    let (sources, diagnostics) = load_sources(Path::new("tenants"));
    assert!(!diagnostics.has_errors(), "{diagnostics}");
    let templates = TemplateSet::embedded();
    let mut compiled = compile_as::<Digest>(&sources, &templates).expect("the example compiles");
    let path = "cluster/clusterrole/namespace-creater.yaml";
    compiled
        .plan
        .files
        .insert(path.to_string(), Digest::of_parts(&["other text"]));
    for wanted in [path, "cluster/clusterrole/not-in-the-plan.yaml"] {
        let err = render_texts(
            &sources,
            &templates,
            &compiled.plan,
            &compiled.rendered_by,
            [wanted],
        )
        .expect_err("a text that differs from the plan");
        let err = err.to_string();
        assert!(
            err.contains(wanted) && err.contains("rendered a second time"),
            "{err}"
        );
    }
}

#[test]
fn generating_twice_is_byte_identical() {
    let first = plan_for_dir(Path::new("tenants"));
    let second = plan_for_dir(Path::new("tenants"));
    assert_eq!(first, second);
}

#[test]
fn tricky_strings_stay_strings() {
    let plan = plan_for_dir(Path::new("tests/fixtures/generate/tricky-strings/tenants"));
    let namespace = &plan.files["cluster/namespace/off.yaml"];
    for expected in [
        "name: \"off\"",
        "flag: \"true\"",
        "version: \"1e3\"",
        "zero: \"007\"",
        "tenet.dev/tenant: \"yes\"",
        "example.com/null: \"~\"",
        "example.com/date: \"2001-12-14\"",
    ] {
        assert!(
            namespace.contains(expected),
            "missing {expected} in\n{namespace}"
        );
    }
    let binding = &plan.files["namespaces/off/rolebinding/namespace-binding.yaml"];
    assert!(binding.contains("name: \"no\""), "{binding}");
    assert!(binding.contains("name: \"007\""), "{binding}");
    // Read back, every scalar is still a string.
    for text in plan.files.values() {
        let value: serde_json::Value = serde_saphyr::from_str(text).expect("output parses");
        assert_no_non_strings(&value, text);
    }
}

fn assert_no_non_strings(value: &serde_json::Value, text: &str) {
    match value {
        serde_json::Value::Object(map) => map.values().for_each(|v| assert_no_non_strings(v, text)),
        serde_json::Value::Array(items) => {
            items.iter().for_each(|v| assert_no_non_strings(v, text))
        }
        serde_json::Value::String(_) => {}
        // The CRD schema legitimately holds booleans and numbers; tenant data never does.
        serde_json::Value::Bool(_) | serde_json::Value::Number(_)
            if text.contains("CustomResourceDefinition") => {}
        other => panic!("non-string scalar {other} in\n{text}"),
    }
}

/// Splits the example into its documents, to be redistributed.
fn example_documents() -> Vec<String> {
    let (sources, _) = load_sources(Path::new("tenants"));
    sources
        .files
        .iter()
        .flat_map(|f| {
            tenet::document::split_documents(&f.text)
                .into_iter()
                .map(|s| s.text.trim_start_matches("---").to_string())
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Moving documents between files and reordering them changes nothing but provenance.
    #[test]
    fn shuffling_documents_changes_only_provenance(seed in any::<u64>(), file_count in 1usize..6) {
        let documents = example_documents();
        let reference = without_provenance(&plan_of(&Sources::in_memory("tenants", &[("all.yaml", &documents.join("\n---\n"))])));
        let mut order: Vec<usize> = (0..documents.len()).collect();
        let mut state = seed;
        for i in (1..order.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (state >> 33) as usize % (i + 1));
        }
        let mut files: Vec<String> = vec![String::new(); file_count];
        for (position, index) in order.iter().enumerate() {
            let file = &mut files[position % file_count];
            file.push_str("---\n");
            file.push_str(&documents[*index]);
            file.push('\n');
        }
        let names: Vec<String> = (0..file_count).map(|i| format!("dir{}/f{}.yaml", i % 2, (seed as usize + i) % 97)).collect();
        let inputs: Vec<(&str, &str)> = names.iter().map(String::as_str).zip(files.iter().map(String::as_str)).collect();
        let shuffled = without_provenance(&plan_of(&Sources::in_memory("tenants", &inputs)));
        prop_assert_eq!(reference, shuffled);
    }
}

/// The committed JSON Schema is the one the loader's types produce.
#[test]
fn committed_schema_is_up_to_date() {
    let committed = std::fs::read_to_string(tenet::schema::SCHEMA_PATH)
        .expect("schema/tenet.schema.json exists");
    assert!(
        committed == tenet::schema::input_schema_text(),
        "schema/tenet.schema.json is stale; run `cargo run -- schema > schema/tenet.schema.json`"
    );
}

/// Reading an output file back and writing it again gives the same text: what tenet writes is
/// exactly what a YAML reader gets.
#[test]
fn output_round_trips_through_a_yaml_reader() {
    let plan = plan_for_dir(Path::new("tenants"));
    for (path, text) in &plan.files {
        let value: serde_json::Value = serde_saphyr::from_str(text).expect("output parses");
        let again = tenet::canonical::to_canonical_yaml(&value).unwrap();
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(body, again, "{path} does not round-trip");
    }
}

/// Every emitted object carries `app.kubernetes.io/managed-by: tenet`, and every object that
/// belongs to a tenant carries `tenet.dev/tenant`.
#[test]
fn every_object_carries_tenets_labels() {
    let (sources, _) = load_sources(Path::new("tenants"));
    let compiled = compile(&sources, &TemplateSet::embedded()).unwrap();
    let shared = [
        "namespace-creater",
        "networks.networking.tenet.dev",
        "tenet-protect-managed-objects",
        "tenet-protect-tenant-namespaces",
    ];
    for (path, text) in &compiled.plan.files {
        if path == "kustomization.yaml" {
            continue;
        }
        let value: serde_json::Value = serde_saphyr::from_str(text).unwrap();
        let labels = value
            .pointer("/metadata/labels")
            .cloned()
            .unwrap_or_default();
        assert_eq!(labels["app.kubernetes.io/managed-by"], "tenet", "{path}");
        let name = value.pointer("/metadata/name").and_then(|n| n.as_str());
        if !shared.contains(&name.unwrap()) {
            assert!(
                labels["tenet.dev/tenant"].is_string(),
                "{path} has no tenant label"
            );
        }
    }
}

/// The one error of compiling two tenants with `addition` at the end of the tenant template,
/// as text.
fn the_error_with_tenant_template_addition(addition: &str) -> String {
    let input = "
apiVersion: tenet.dev/v1alpha1
kind: Tenant
metadata: {name: acme}
---
apiVersion: tenet.dev/v1alpha1
kind: Tenant
metadata: {name: globex}
";
    let sources = Sources::in_memory("tenants", &[("all.yaml", input)]);
    let mut templates = TemplateSet::embedded();
    let text = format!(
        "{}{addition}",
        TemplateSet::embedded_text("tenant.yaml.j2").unwrap()
    );
    templates.set(
        "tenant.yaml.j2",
        tenet::templates::TemplateSource {
            display_path: "templates/tenant.yaml.j2".into(),
            text,
        },
    );
    let (Err(diagnostics), Err(from_digests)) = (
        compile(&sources, &templates),
        compile_as::<Digest>(&sources, &templates),
    ) else {
        panic!("a duplicate object was accepted");
    };
    // A plan of digests keeps no text to read identities from, and words it the same.
    let text = diagnostics.to_string();
    assert_eq!(text, from_digests.to_string());
    assert_eq!(diagnostics.0.len(), 1, "{text}");
    text
}

/// Every tenant renders the same cluster-scoped object: the second one is an error that names
/// the object and the tenant it was rendered for, and nothing is planned.
#[test]
fn an_object_rendered_twice_is_an_error() {
    let text = the_error_with_tenant_template_addition(
        "\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: shared\n  labels: {app.kubernetes.io/managed-by: tenet, tenet.dev/tenant: \"{{ tenant.name }}\"}\nrules: []\n",
    );
    assert!(text.contains("is produced twice"), "{text}");
    assert!(text.contains("ClusterRole"), "{text}");
    // Tenants render in name order: globex's copy is the duplicate.
    assert!(text.contains("globex"), "{text}");
    assert!(text.contains("tenant.yaml.j2"), "{text}");
}

/// The same, both from one context: each object is named by its own group.
#[test]
fn two_objects_of_one_context_for_one_file_are_an_error() {
    let text = the_error_with_tenant_template_addition(
        "{% if tenant.name == \"acme\" %}\n---\napiVersion: example.com/v1\nkind: ClusterRole\nmetadata:\n  name: twin\n  labels: {app.kubernetes.io/managed-by: tenet}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: twin\n  labels: {app.kubernetes.io/managed-by: tenet}\nrules: []\n{% endif %}",
    );
    assert!(
        text.contains("ClusterRole twin (API group rbac.authorization.k8s.io, by tenant.yaml.j2, rendered for tenant `acme`) would be written to `cluster/clusterrole/twin.yaml`, where ClusterRole twin (API group example.com, by tenant.yaml.j2) already goes"),
        "{text}"
    );
}

/// Two objects that differ only in API group would be written to the same file: also refused.
#[test]
fn two_objects_for_one_file_are_an_error() {
    let text = the_error_with_tenant_template_addition(
        "{% if tenant.name == \"acme\" %}\n---\napiVersion: example.com/v1\nkind: ClusterRole\nmetadata:\n  name: namespace-creater\n  labels: {app.kubernetes.io/managed-by: tenet}\n{% endif %}",
    );
    assert!(
        text.contains("ClusterRole namespace-creater (API group example.com, by tenant.yaml.j2, rendered for tenant `acme`) would be written to `cluster/clusterrole/namespace-creater.yaml`, where ClusterRole namespace-creater (API group rbac.authorization.k8s.io, by cluster.yaml.j2) already goes"),
        "{text}"
    );
}
