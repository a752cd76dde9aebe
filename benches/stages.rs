//! Benchmarks of each stage, and of the output record's shortcut, on synthetic input
//! (`examples/synth.rs`): 10 users, 10 namespaces and 1 network per tenant, at 100 and 1,000
//! tenants, and 10,000 tenants when `TENET_BENCH_LARGE=1` is set.
//!
//! ```sh
//! cargo bench --bench stages                         # 1,000 and 10,000 namespaces
//! TENET_BENCH_LARGE=1 cargo bench --bench stages     # also 100,000 namespaces
//! cargo bench --bench stages -- validate             # one stage
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use divan::{Bencher, black_box};
use tenet::audit::AuditPart;
use tenet::canonical::{canonicalize, to_canonical_yaml};
use tenet::kube::{check_schema, identity_of};
use tenet::load::{Sources, load_sources, read_output_tree};
use tenet::model::Model;
use tenet::pipeline::{compile, validate_sources};
use tenet::plan::Plan;
use tenet::render::{RenderedObject, render};
use tenet::templates::TemplateSet;
use tenet::write::write_plan;

#[path = "../examples/synth.rs"]
#[allow(dead_code)]
mod synth;

fn main() {
    divan::main();
}

/// Tenant counts to run: 100 and 1,000, plus 10,000 when asked for.
fn sizes() -> Vec<usize> {
    let mut sizes = vec![100, 1_000];
    if std::env::var_os("TENET_BENCH_LARGE").is_some() {
        sizes.push(10_000);
    }
    sizes
}

/// One size's input, written to disk, and the results of each stage, made once and shared by
/// the benchmarks of that size.
struct Fixture {
    _dir: tempfile::TempDir,
    tenants: PathBuf,
    /// An `out/` that holds exactly the plan, for no-op writes and comparisons.
    out: PathBuf,
    sources: Sources,
    model: Arc<Model>,
    templates: TemplateSet,
    plan: Plan,
    /// What the audit reads from each planned object.
    audit_parts: Vec<AuditPart>,
    existing: BTreeMap<String, Vec<u8>>,
}

fn fixture(tenants: usize) -> Arc<Fixture> {
    static CACHE: OnceLock<Mutex<HashMap<usize, Arc<Fixture>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(tenants)
        .or_insert_with(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let root = dir.path().join("tenants");
            synth::write_tree(
                &synth::generate(&synth::SynthParams::bench_size(tenants)),
                &root,
            )
            .expect("write synthetic input");
            let (sources, diagnostics) = load_sources(&root);
            assert!(!diagnostics.has_errors(), "{diagnostics}");
            let templates = TemplateSet::embedded();
            let model = Arc::new(validate_sources(&sources).expect("valid").0);
            let mut compiled = compile(&sources, &templates).expect("compiles");
            let audit_parts = compiled.take_audit_parts("out/").collect();
            let plan = compiled.plan;
            let out = dir.path().join("out");
            write_plan(&plan, &out).expect("write out/");
            let existing = read_output_tree(&out).expect("read out/");
            Arc::new(Fixture {
                _dir: dir,
                tenants: root,
                out,
                sources,
                model,
                templates,
                plan,
                audit_parts,
                existing,
            })
        })
        .clone()
}

/// Reading `tenants/` from disk.
#[divan::bench(args = sizes(), sample_count = 5, sample_size = 1)]
fn load(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    bencher.bench_local(|| load_sources(black_box(&f.tenants)));
}

/// Parsing every document and validating the model.
#[divan::bench(args = sizes(), sample_count = 5, sample_size = 1)]
fn validate(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    bencher
        .bench_local(|| validate_sources(black_box(&f.sources)).map(|(m, _)| m.namespaces.len()));
}

/// Running the templates and parsing their output (the sequential `render` API).
#[divan::bench(args = sizes(), sample_count = 5, sample_size = 1)]
fn render_templates(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    bencher.bench_local(|| render(black_box(&f.model), &f.templates).0.len());
}

/// Checking each rendered object against its Kubernetes schema and writing its canonical
/// YAML (one thread; `compile` spreads this over all cores).
#[divan::bench(args = sizes(), sample_count = 5, sample_size = 1)]
fn canonicalize_and_check(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    let (rendered, _) = render(&f.model, &f.templates);
    bencher
        .with_inputs(|| rendered.clone())
        .bench_local_values(|objects: Vec<RenderedObject>| {
            let mut bytes = 0;
            for mut object in objects {
                let identity = identity_of(&object.value).expect("identity");
                check_schema(&identity, &object.value).expect("schema");
                canonicalize(&mut object.value);
                bytes += to_canonical_yaml(&object.value).expect("yaml").len();
            }
            bytes
        });
}

/// The whole in-memory compiler: parse, validate, render, check, canonicalize, plan.
#[divan::bench(args = sizes(), sample_count = 5, sample_size = 1)]
fn compile_all(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    bencher
        .bench_local(|| compile(black_box(&f.sources), &f.templates).map(|c| c.plan.files.len()));
}

/// Writing the plan into an empty directory.
#[divan::bench(args = sizes(), sample_count = 3, sample_size = 1)]
fn write_cold(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    bencher
        .with_inputs(|| tempfile::tempdir().expect("temp dir"))
        .bench_local_values(|dir| {
            write_plan(&f.plan, &dir.path().join("out")).expect("write");
            dir
        });
}

/// Writing the plan over an `out/` that already holds it: read, compare, write nothing.
#[divan::bench(args = sizes(), sample_count = 5, sample_size = 1)]
fn write_noop(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    bencher.bench_local(|| {
        let report = write_plan(&f.plan, &f.out).expect("write");
        assert!(report.changes.is_empty());
    });
}

/// Reading `out/` back, as `check` and `diff` do.
#[divan::bench(args = sizes(), sample_count = 5, sample_size = 1)]
fn read_out(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    bencher.bench_local(|| read_output_tree(black_box(&f.out)).map(|t| t.len()));
}

/// Comparing a plan with the files of `out/` (`Plan::changes_against`).
#[divan::bench(args = sizes(), sample_count = 5, sample_size = 1)]
fn plan_diff(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    bencher.bench_local(|| f.plan.changes_against(black_box(&f.existing)).unchanged);
}

/// The no-op shortcut: reading `out/.tenet-record` and checking every stamp against `out/`.
#[divan::bench(args = sizes(), sample_count = 5, sample_size = 1)]
fn verify_record(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    let lock = tenet::write::lock_output(&f.out).expect("lock");
    let report = lock
        .write_plan(&f.plan, &mut tenet::write::no_faults)
        .expect("write");
    let header = tenet::record::OutputRecord::new("bench".to_string(), Vec::new(), Vec::new());
    lock.record_plan(&f.plan, report.stamps.expect("stamps"), &header)
        .expect("save the record");
    drop(lock);
    bencher.bench_local(|| {
        let (mut record, record_ns) =
            tenet::load::read_output_record(black_box(&f.out)).expect("a record");
        tenet::load::verify_output_record(&f.out, &mut record, record_ns).expect("still true");
    });
}

/// The audit: the RBAC evaluator over every planned object, and the five invariants.
#[divan::bench(args = sizes(), sample_count = 5, sample_size = 1)]
fn audit(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    let facts = tenet::audit::TenancyFacts::from_model(&f.model, "2026-12-04");
    bencher
        .with_inputs(|| f.audit_parts.clone())
        .bench_local_values(|parts| tenet::audit::audit_parts(parts, &facts).findings.len());
}

/// `tenet diff` against an up-to-date `out/`, once it is read and compared: the objects of the
/// files that differ (none) compared by identity, then the access changes from the RBAC
/// objects of both sides, as the command computes them.
#[divan::bench(args = sizes(), sample_count = 5, sample_size = 1)]
fn diff(bencher: Bencher, tenants: usize) {
    let f = fixture(tenants);
    let changes = f.plan.changes_against(&f.existing);
    assert!(changes.is_empty(), "out/ is up to date");
    let nothing_read = std::collections::BTreeMap::new();
    bencher.bench_local(|| {
        let owners = (f.audit_parts.iter())
            .filter_map(tenet::audit::AuditPart::namespace_tenant)
            .map(|(namespace, tenant)| (namespace.to_string(), tenant.to_string()))
            .collect();
        let unchanged = |path: &str| f.plan.files.contains_key(path);
        let mut report = tenet::diff::diff_changes(
            black_box(&changes),
            &nothing_read,
            &Plan::default(),
            owners,
            &unchanged,
        );
        let rbac = f
            .audit_parts
            .iter()
            .filter_map(tenet::audit::AuditPart::rbac);
        let before = tenet::manifests::tree_evaluator(&nothing_read, "out/", rbac);
        let after = tenet::audit::evaluator_over(&f.audit_parts);
        report.access_changes = Some(tenet::diff::access_change_lines(&before, &after));
        report.objects.len()
    });
}
