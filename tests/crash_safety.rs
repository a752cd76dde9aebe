//! A write that fails at any step leaves `out/` exactly as before; concurrent runs are
//! serialised by the lock file.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;
use std::process::Command;

use tenet::load::Sources;
use tenet::pipeline::{compile, compile_validated, validate_sources};
use tenet::plan::{Digest, GENERATED_MARKER, Plan};
use tenet::record::RECORD_FILE;
use tenet::templates::TemplateSet;
use tenet::write::{
    LOCK_FILE, begin_fresh_output, lock_output, no_faults, write_plan, write_plan_with_faults,
};

#[path = "../examples/synth.rs"]
#[allow(dead_code)]
mod synth;

/// Every file below `dir` (hidden ones too, except the lock file and the record of the last
/// run, which `generate` saves after its write) and every directory.
fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut all = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1) {
        let entry = entry.unwrap();
        let relative = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if relative == LOCK_FILE || relative == RECORD_FILE {
            continue;
        }
        let bytes = entry
            .file_type()
            .is_file()
            .then(|| fs::read(entry.path()).unwrap());
        all.insert(relative, bytes);
    }
    all
}

/// A fault hook that fails the step numbered `failing` (from 0) and lets every other pass.
fn failing_at(failing: usize) -> impl FnMut(&str, &Path) -> io::Result<()> {
    let mut step = 0;
    move |_, _| {
        step += 1;
        if step - 1 == failing {
            Err(io::Error::other("injected failure"))
        } else {
            Ok(())
        }
    }
}

fn generated(text: &str) -> String {
    format!("{GENERATED_MARKER} for a test.\n{text}\n")
}

fn plan(files: &[(&str, &str)]) -> Plan {
    Plan {
        files: files
            .iter()
            .map(|(path, text)| (path.to_string(), generated(text)))
            .collect(),
    }
}

/// Before: some files to keep, update and remove, and a foreign file. After: creates files in
/// new and existing folders, updates, removes (emptying a folder) and keeps.
fn before_and_after() -> (Plan, Plan) {
    let before = plan(&[
        ("kustomization.yaml", "v1"),
        ("cluster/clusterrole/keep.yaml", "keep"),
        ("cluster/clusterrole/update.yaml", "old"),
        ("namespaces/gone/role/remove.yaml", "remove me"),
        ("namespaces/a/role/remove-too.yaml", "remove me too"),
    ]);
    let after = plan(&[
        ("kustomization.yaml", "v2"),
        ("cluster/clusterrole/keep.yaml", "keep"),
        ("cluster/clusterrole/update.yaml", "new"),
        ("cluster/clusterrole/created.yaml", "created"),
        ("namespaces/a/role/new.yaml", "new in an existing folder"),
        (
            "namespaces/fresh/rolebinding/new.yaml",
            "new in a new folder",
        ),
    ]);
    (before, after)
}

fn prepared_out(before: &Plan) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_plan(before, dir.path()).unwrap();
    fs::write(dir.path().join("README.md"), "not tenet's\n").unwrap();
    dir
}

#[test]
fn a_failure_at_any_write_step_leaves_out_as_before() {
    let (before, after) = before_and_after();
    let counting = prepared_out(&before);
    let mut steps = Vec::new();
    write_plan_with_faults(&after, counting.path(), &mut |step: &str, path: &Path| {
        steps.push(format!("{step} {}", path.display()));
        Ok(())
    })
    .unwrap();
    // 5 staged writes, 3 moves aside, 5 renames, and the new folders.
    assert!(steps.len() >= 13, "{steps:#?}");
    let expected_after = tree(counting.path());

    for (failing, described) in steps.iter().enumerate() {
        let out = prepared_out(&before);
        let original = tree(out.path());
        let result = write_plan_with_faults(&after, out.path(), &mut failing_at(failing));
        let err = result.expect_err("the injected failure is reported");
        assert!(err.to_string().contains("injected failure"), "{err}");
        assert_eq!(
            tree(out.path()),
            original,
            "out/ changed after a failure at step {failing}: {described}"
        );
        // The next run completes the change.
        write_plan(&after, out.path()).unwrap();
        assert_eq!(tree(out.path()), expected_after);
    }
}

/// `generate` compares out/ with a plan of digests, then passes the texts of only the files
/// it writes: the tree comes out as from the whole plan of texts. A missing text is an error
/// that leaves out/ as before.
#[test]
fn writing_only_the_texts_to_write_gives_the_same_tree() {
    let (before, after) = before_and_after();
    let whole = prepared_out(&before);
    write_plan(&after, whole.path()).unwrap();
    let out = prepared_out(&before);
    let digests = after.digests();
    let lock = lock_output(out.path()).unwrap();
    let original = tree(out.path());
    let comparison = lock.compare(&digests).unwrap();
    let err = lock
        .apply(Plan::default(), comparison, &mut no_faults)
        .expect_err("no texts to write");
    assert!(err.to_string().contains("no text for this file"), "{err}");
    assert_eq!(tree(out.path()), original);

    let comparison = lock.compare(&digests).unwrap();
    let texts = Plan {
        files: comparison
            .to_write()
            .map(|path| (path.to_string(), after.files[path].clone()))
            .collect(),
    };
    assert!(
        texts.files.len() < after.files.len(),
        "unchanged files are left out"
    );
    lock.apply(&texts, comparison, &mut no_faults).unwrap();
    assert_eq!(tree(out.path()), tree(whole.path()));
}

#[test]
fn a_failure_at_any_step_of_a_first_write_leaves_out_empty() {
    // A first run stages whole folders in a hidden staging folder and moves each in at once.
    let (_, after) = before_and_after();
    let counting = tempfile::tempdir().unwrap();
    let mut steps = Vec::new();
    write_plan_with_faults(&after, counting.path(), &mut |step: &str, path: &Path| {
        steps.push(format!("{step} {}", path.display()));
        Ok(())
    })
    .unwrap();
    let renames = steps.iter().filter(|s| s.starts_with("rename")).count();
    assert_eq!(
        renames, 3,
        "kustomization.yaml, then cluster/ and namespaces/ whole: {steps:#?}"
    );
    let expected_after = tree(counting.path());
    assert!(
        expected_after
            .keys()
            .all(|p| !p.starts_with(".tenet-staging")),
        "{expected_after:#?}"
    );
    for (failing, described) in steps.iter().enumerate() {
        let out = tempfile::tempdir().unwrap();
        let result = write_plan_with_faults(&after, out.path(), &mut failing_at(failing));
        result.expect_err("the injected failure is reported");
        assert_eq!(
            tree(out.path()),
            BTreeMap::new(),
            "out/ is not empty after a failure at step {failing}: {described}"
        );
        write_plan(&after, out.path()).unwrap();
        assert_eq!(tree(out.path()), expected_after);
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_in_out_fails_the_write_and_changes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let (before, after) = before_and_after();
    let out = prepared_out(&before);
    let locked = out.path().join("cluster/clusterrole");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    if fs::write(locked.join(".probe"), "x").is_ok() {
        let _ = fs::remove_file(locked.join(".probe"));
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        return; // running as root: permissions do not apply
    }
    let original = tree(out.path());
    let err = write_plan(&after, out.path()).expect_err("cannot write into a read-only folder");
    assert!(err.to_string().contains("clusterrole"), "{err}");
    assert_eq!(tree(out.path()), original);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    write_plan(&after, out.path()).unwrap();
}

#[cfg(unix)]
#[test]
fn a_read_only_file_in_out_is_replaced_or_left_as_before() {
    use std::os::unix::fs::PermissionsExt;
    let (before, after) = before_and_after();
    let out = prepared_out(&before);
    let file = out.path().join("cluster/clusterrole/update.yaml");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o444)).unwrap();
    // Renaming over a read-only file is allowed by POSIX (the folder is writable): the write
    // either completes or leaves everything as it was, never a mix.
    let original = tree(out.path());
    let result = write_plan(&after, out.path());
    let now = tree(out.path());
    match result {
        Ok(_) => assert_eq!(now, tree_of_plan(&after, &now)),
        Err(_) => assert_eq!(now, original),
    }
}

/// The tree that writing `plan` gives, keeping the foreign files of `now`.
fn tree_of_plan(
    plan: &Plan,
    now: &BTreeMap<String, Option<Vec<u8>>>,
) -> BTreeMap<String, Option<Vec<u8>>> {
    let dir = tempfile::tempdir().unwrap();
    write_plan(plan, dir.path()).unwrap();
    let mut expected = tree(dir.path());
    for (path, bytes) in now {
        if bytes
            .as_ref()
            .is_some_and(|b| !b.starts_with(GENERATED_MARKER.as_bytes()))
        {
            expected.insert(path.clone(), bytes.clone());
        }
    }
    expected
}

fn synthetic_tenants(dir: &Path, seed: u64) -> Plan {
    let params = synth::SynthParams {
        tenants: 25,
        users_per_tenant: 5,
        namespaces_per_tenant: 5,
        networks_per_tenant: 1,
        seed,
    };
    let files = synth::generate(&params);
    synth::write_tree(&files, dir).unwrap();
    let pairs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let name = dir.file_name().unwrap().to_str().unwrap();
    compile(&Sources::in_memory(name, &pairs), &TemplateSet::embedded())
        .expect("synthetic input compiles")
        .plan
}

#[test]
fn concurrent_generates_are_serialised_by_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    // Two inputs whose outputs differ in almost every file (different seeds), and whose
    // folders share a name, so provenance comments match the run that wrote them.
    let a = dir.path().join("a/tenants");
    let b = dir.path().join("b/tenants");
    let plan_a = synthetic_tenants(&a, 1);
    let plan_b = synthetic_tenants(&b, 2);
    assert_ne!(plan_a, plan_b);
    let out = dir.path().join("out");
    let as_tree = |plan: &Plan| -> BTreeMap<String, Option<Vec<u8>>> {
        let expected = tempfile::tempdir().unwrap();
        write_plan(plan, expected.path()).unwrap();
        tree(expected.path())
    };
    let (tree_a, tree_b) = (as_tree(&plan_a), as_tree(&plan_b));
    let run = |tenants: &Path| {
        Command::new(env!("CARGO_BIN_EXE_tenet"))
            .args(["generate", "-q", "--tenants"])
            .arg(tenants)
            .arg("--out")
            .arg(&out)
            .env("NO_COLOR", "1")
            .spawn()
            .unwrap()
    };
    for round in 0..2 {
        let (first, second) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let mut one = run(first);
        let mut two = run(second);
        assert!(one.wait().unwrap().success());
        assert!(two.wait().unwrap().success());
        let now = tree(&out);
        assert!(
            now == tree_a || now == tree_b,
            "round {round}: out/ is a mix of both runs"
        );
        assert!(
            now.keys()
                .all(|p| !p.ends_with(".tenet-new") && !p.ends_with(".tenet-old")),
            "round {round}: staged or backup files were left behind"
        );
    }
}

/// A first run into an output directory that holds nothing of tenet's stages each file as it
/// is compiled ([`tenet::write::FreshOutput`]) and moves them in once the plan is known.
fn fresh_write(
    sources: &Sources,
    out: &Path,
    fault: tenet::write::FaultHook<'_>,
) -> Result<(), tenet::write::WriteError> {
    let mut fresh = begin_fresh_output(out, fault)?.expect("out/ holds nothing of tenet's");
    let (model, warnings) = validate_sources(sources).expect("valid input");
    let stage = |path: &str, parts: &[&str]| fresh.stage(path, parts);
    let templates = TemplateSet::embedded();
    let compiled = compile_validated::<Digest>(model, warnings, sources, &templates, &stage)
        .expect("the input compiles");
    fresh.commit(&compiled.plan).map(drop)
}

#[test]
fn a_failure_at_any_step_of_a_fresh_write_leaves_out_as_before() {
    // The example input renders in one chunk, on one thread: the steps come in one order.
    let (sources, diagnostics) = tenet::load::load_sources(Path::new("tenants"));
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    let expected_after = tree_of_plan(
        &compile(&sources, &TemplateSet::embedded()).unwrap().plan,
        &BTreeMap::new(),
    );
    let counting = tempfile::tempdir().unwrap();
    let mut steps = Vec::new();
    fresh_write(
        &sources,
        &counting.path().join("out"),
        &mut |step: &str, path: &Path| {
            steps.push(format!("{step} {}", path.display()));
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(tree(&counting.path().join("out")), expected_after);
    let renames = steps.iter().filter(|s| s.starts_with("rename")).count();
    assert_eq!(
        renames, 3,
        "cluster/, kustomization.yaml, namespaces/: {steps:#?}"
    );
    assert!(steps.len() > 75, "every file is a step: {steps:#?}");

    for (failing, described) in steps.iter().enumerate() {
        // A missing output directory (and its missing parent) is not left behind.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("parent/out");
        let err = fresh_write(&sources, &out, &mut failing_at(failing))
            .expect_err("the injected failure is reported");
        assert!(err.to_string().contains("injected failure"), "{err}");
        assert_eq!(
            tree(dir.path()),
            BTreeMap::new(),
            "something was left after a failure at step {failing}: {described}"
        );
        // An output directory with hidden entries only keeps them, and nothing else.
        let out = dir.path().join("kept");
        fs::create_dir(&out).unwrap();
        fs::write(out.join(".gitkeep"), "").unwrap();
        let before = tree(&out);
        fresh_write(&sources, &out, &mut failing_at(failing)).expect_err("injected");
        assert_eq!(
            tree(&out),
            before,
            "out/ changed after a failure at step {failing}: {described}"
        );
        fresh_write(&sources, &out, &mut no_faults).unwrap();
        let mut expected = expected_after.clone();
        expected.insert(".gitkeep".to_string(), Some(Vec::new()));
        assert_eq!(tree(&out), expected);
    }
}

/// Staged on both cores: a failure partway (whichever file it hits) still leaves nothing.
#[test]
fn a_failure_partway_through_a_parallel_fresh_write_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants");
    let plan = synthetic_tenants(&tenants, 3);
    let (sources, _) = tenet::load::load_sources(&tenants);
    let out = dir.path().join("out");
    let err = fresh_write(&sources, &out, &mut failing_at(400)).expect_err("injected");
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert!(!out.exists());
    fresh_write(&sources, &out, &mut no_faults).unwrap();
    assert_eq!(tree(&out), tree_of_plan(&plan, &BTreeMap::new()));
}

/// A fresh write that fails removes the output directory it created, lock file and all; a run
/// that was waiting for that lock locks the directory again rather than a removed file.
#[test]
fn a_run_waiting_for_a_removed_output_directory_locks_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut faults = no_faults;
    let fresh = begin_fresh_output(&out, &mut faults).unwrap().unwrap();
    let waiter = std::thread::spawn({
        let out = out.clone();
        move || {
            let _lock = lock_output(&out).unwrap();
            let lock_file = fs::File::open(out.join(LOCK_FILE)).expect("the lock file is there");
            // The lock held is the one on the file at the path: locking it again fails.
            assert!(lock_file.try_lock().is_err());
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(fresh);
    waiter.join().unwrap();
}
