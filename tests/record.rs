//! The output record (`out/.tenet-record`): a run with the same input takes the shortcut only
//! while out/ is exactly as the last run left it, says exactly what the full run said, and
//! notices every change to out/.

mod common;
use common::copy_dir;

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use assert_cmd::Command;

const SHORTCUT: &str = "nothing to compile";

fn tenet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("tenet").expect("binary builds");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

/// The example tenants, plus a tenant quota that no namespace sets (a compile warning) and an
/// exception that matches nothing (an audit warning).
fn scratch_with_warnings() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("tenants"), &dir.path().join("tenants"));
    let globex = dir.path().join("tenants/globex/globex.yaml");
    let text = fs::read_to_string(&globex).unwrap().replace(
        "  displayName: \"Globex Corporation\"\n",
        "  displayName: \"Globex Corporation\"\n  quota:\n    pods: \"10\"\n",
    );
    fs::write(
        &globex,
        format!(
            "{text}---\napiVersion: tenet.dev/v1alpha1\nkind: Exception\nmetadata: {{name: unused}}\nspec:\n  subject: {{user: dave@globex.example}}\n  invariant: cross-tenant\n  permission: \"* on * (groups *) in acme-prod\"\n  reason: Kept for this test.\n  expires: 2999-01-31\n"
        ),
    )
    .unwrap();
    dir
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let output = tenet(dir).args(args).output().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `args` with `--verbose` and tells whether the shortcut was taken.
fn took_shortcut(dir: &Path, args: &[&str]) -> bool {
    let mut verbose = vec!["--verbose"];
    verbose.extend_from_slice(args);
    let run = run(dir, &verbose);
    assert_ne!(run.code, Some(2), "{}", run.stderr);
    run.stderr.contains(SHORTCUT)
}

/// Moves the record's modification time an hour ahead, so that no file counts as recently
/// written and only stamps decide (no hashes).
fn age_out_recent_files(out: &Path) {
    let record = fs::File::options()
        .write(true)
        .open(out.join(".tenet-record"))
        .unwrap();
    record
        .set_modified(SystemTime::now() + Duration::from_secs(3600))
        .unwrap();
}

#[test]
fn a_second_run_says_what_the_first_said_without_compiling() {
    let repo = scratch_with_warnings();
    let dir = repo.path();
    assert_eq!(run(dir, &["generate"]).code, Some(0));
    // The same run without a record compiles and compares every file.
    fs::remove_file(dir.join("out/.tenet-record")).unwrap();
    let first = run(dir, &["generate"]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert!(
        first.stderr.contains("caps pods at 10") && first.stderr.contains("matches no finding"),
        "the fixture warns twice: {}",
        first.stderr
    );
    fs::remove_file(dir.join("out/.tenet-record")).unwrap();
    let first_check = run(dir, &["check"]);
    assert!(
        dir.join("out/.tenet-record").is_file(),
        "check saves a record"
    );

    assert!(took_shortcut(dir, &["generate"]));
    assert!(took_shortcut(dir, &["check"]));
    let second = run(dir, &["generate"]);
    assert_eq!(
        (second.code, &second.stdout, &second.stderr),
        (first.code, &first.stdout, &first.stderr)
    );
    let second_check = run(dir, &["check"]);
    assert_eq!(
        (
            second_check.code,
            &second_check.stdout,
            &second_check.stderr
        ),
        (first_check.code, &first_check.stdout, &first_check.stderr)
    );
}

#[test]
fn other_input_or_options_take_the_full_path() {
    let repo = scratch_with_warnings();
    let dir = repo.path();
    assert!(!took_shortcut(dir, &["generate"]));
    assert!(took_shortcut(dir, &["generate"]));
    assert!(!took_shortcut(dir, &["check", "--no-audit"]));
    // A comment changes no output, but it is another input.
    let users = dir.join("tenants/acme/users.yaml");
    let text = fs::read_to_string(&users).unwrap();
    fs::write(&users, format!("{text}# a comment\n")).unwrap();
    assert!(!took_shortcut(dir, &["generate"]));
    assert!(took_shortcut(dir, &["generate"]));
    // A template override is input too.
    fs::create_dir(dir.join("templates")).unwrap();
    let namespace = tenet::templates::TemplateSet::embedded()
        .get("namespace.yaml.j2")
        .expect("an embedded namespace template")
        .text
        .clone();
    fs::write(dir.join("templates/namespace.yaml.j2"), namespace).unwrap();
    assert!(!took_shortcut(dir, &["generate"]));
}

#[test]
fn a_damaged_or_missing_record_only_costs_time() {
    let repo = scratch_with_warnings();
    let dir = repo.path();
    assert_eq!(run(dir, &["generate"]).code, Some(0));
    let record = dir.join("out/.tenet-record");
    let text = fs::read_to_string(&record).unwrap();
    for damaged in [
        String::new(),
        "garbage".to_string(),
        text.replace("tenet-record 1", "tenet-record 9"),
        text.replace("\ng ", "\nq "),
        text[..text.len() / 2].to_string(),
    ] {
        fs::write(&record, damaged).unwrap();
        assert!(!took_shortcut(dir, &["check"]));
        assert!(
            took_shortcut(dir, &["generate"]),
            "the full run saves a record again"
        );
    }
    fs::remove_file(&record).unwrap();
    assert!(!took_shortcut(dir, &["generate"]));
    assert!(took_shortcut(dir, &["generate"]));
}

/// One way of changing out/ behind tenet's back, and what `check` must then say.
struct Tampering {
    name: &'static str,
    apply: fn(&Path),
    /// `check`'s exit code afterwards: 1 stale, 0 still up to date (foreign files).
    check_code: i32,
    /// The path (in out/) of what `generate` refuses to replace, if anything: it must be
    /// moved away first.
    conflict: Option<&'static str>,
}

const TAMPERINGS: &[Tampering] = &[
    Tampering {
        name: "same-size edit with the modification time put back",
        apply: |out| {
            let path = out.join("namespaces/acme-prod/role/access-resources-within-namespace.yaml");
            let before = fs::metadata(&path).unwrap().modified().unwrap();
            let text = fs::read_to_string(&path).unwrap();
            fs::write(&path, text.replacen("verbs", "VERBS", 1)).unwrap();
            fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(before)
                .unwrap();
        },
        check_code: 1,
        conflict: None,
    },
    Tampering {
        name: "a generated file removed",
        apply: |out| fs::remove_file(out.join("kustomization.yaml")).unwrap(),
        check_code: 1,
        conflict: None,
    },
    Tampering {
        name: "an old generated file put back in a folder",
        apply: |out| {
            fs::write(
                out.join("namespaces/acme-prod/role/leftover.yaml"),
                "# Generated by tenet from tenants/x.yaml by template role.yaml.j2.\nkind: Role\n",
            )
            .unwrap()
        },
        check_code: 1,
        conflict: None,
    },
    Tampering {
        name: "a folder of generated files removed",
        apply: |out| fs::remove_dir_all(out.join("namespaces/acme-prod/role")).unwrap(),
        check_code: 1,
        conflict: None,
    },
    Tampering {
        name: "a generated file replaced by a symlink to the same text",
        apply: |out| {
            let path = out.join("kustomization.yaml");
            let copy = out.join("namespaces/kustomization-copy.txt");
            fs::rename(&path, &copy).unwrap();
            #[cfg(unix)]
            std::os::unix::fs::symlink(&copy, &path).unwrap();
        },
        check_code: 1,
        // tenet never writes over or through a symlink.
        conflict: if cfg!(unix) {
            Some("kustomization.yaml")
        } else {
            None
        },
    },
    Tampering {
        name: "a file of someone else's added",
        apply: |out| fs::write(out.join("namespaces/acme-prod/NOTES.md"), "notes\n").unwrap(),
        check_code: 0,
        conflict: None,
    },
];

fn every_tampering_is_noticed(age_record: bool) {
    for tampering in TAMPERINGS {
        let repo = scratch_with_warnings();
        let dir = repo.path();
        assert_eq!(run(dir, &["generate"]).code, Some(0));
        assert!(took_shortcut(dir, &["generate"]));
        if age_record {
            age_out_recent_files(&dir.join("out"));
            assert!(took_shortcut(dir, &["check"]), "{}", tampering.name);
        }
        (tampering.apply)(&dir.join("out"));
        let check = run(dir, &["--verbose", "check"]);
        assert!(!check.stderr.contains(SHORTCUT), "{}", tampering.name);
        assert_eq!(
            check.code,
            Some(tampering.check_code),
            "{}: {}{}",
            tampering.name,
            check.stdout,
            check.stderr
        );
        if tampering.check_code == 0 {
            assert!(check.stderr.contains("NOTES.md"), "{}", check.stderr);
        } else {
            // A stale out/ gets no record that would vouch for it next time.
            assert!(!took_shortcut(dir, &["check"]), "{}", tampering.name);
        }
        if let Some(path) = tampering.conflict {
            let generate = run(dir, &["generate"]);
            assert_eq!(generate.code, Some(2), "{}", generate.stderr);
            assert!(
                generate.stderr.contains("not generated by tenet")
                    && generate.stderr.contains(&format!("out/{path}")),
                "{}",
                generate.stderr
            );
            fs::remove_file(dir.join("out").join(path)).unwrap();
        }
        let generate = run(dir, &["generate"]);
        assert_eq!(generate.code, Some(0), "{}", generate.stderr);
        let check = run(dir, &["check"]);
        assert_eq!(check.code, Some(0), "{}: {}", tampering.name, check.stdout);
        assert!(took_shortcut(dir, &["check"]), "{}", tampering.name);
    }
}

#[test]
fn every_change_to_out_is_noticed_by_stamp() {
    every_tampering_is_noticed(true);
}

#[test]
fn every_change_to_out_is_noticed_by_hash_right_after_a_run() {
    every_tampering_is_noticed(false);
}

#[test]
fn invalid_input_leaves_out_and_its_record_untouched() {
    let repo = scratch_with_warnings();
    let dir = repo.path();
    assert_eq!(run(dir, &["generate"]).code, Some(0));
    let record = fs::read(dir.join("out/.tenet-record")).unwrap();
    fs::write(dir.join("tenants/broken.yaml"), "kind: [").unwrap();
    assert_eq!(run(dir, &["generate"]).code, Some(2));
    assert_eq!(fs::read(dir.join("out/.tenet-record")).unwrap(), record);
    fs::remove_file(dir.join("tenants/broken.yaml")).unwrap();
    assert!(took_shortcut(dir, &["generate"]));
}

/// A record lists each path on a line of its own: with a foreign file whose name holds a line
/// break in out/, no record is saved (and an earlier one goes), so every run takes the full
/// path and still succeeds.
#[cfg(unix)]
#[test]
fn a_path_the_record_cannot_carry_means_no_record() {
    let repo = scratch_with_warnings();
    let dir = repo.path();
    assert_eq!(run(dir, &["generate"]).code, Some(0));
    assert!(dir.join("out/.tenet-record").is_file());
    fs::write(dir.join("out/notes\nby hand.txt"), "kept\n").unwrap();
    for command in ["generate", "check"] {
        let run = run(dir, &[command]);
        assert_eq!(run.code, Some(0), "{command}: {}", run.stderr);
        assert!(
            !dir.join("out/.tenet-record").exists(),
            "{command} saved a record it cannot read back"
        );
        assert!(!took_shortcut(dir, &[command]), "{command}");
    }
    assert_eq!(
        fs::read_to_string(dir.join("out/notes\nby hand.txt")).unwrap(),
        "kept\n"
    );
    let staged: Vec<_> = fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .filter(|name| name.to_string_lossy().contains(".tenet-new"))
        .collect();
    assert!(staged.is_empty(), "left behind: {staged:?}");
}

/// Stamps hold nanoseconds in 64 bits (the years 1678 to 2262): a file dated outside that
/// turns the shortcut off rather than being stamped wrong.
#[test]
fn a_file_dated_beyond_2262_only_costs_the_shortcut() {
    let repo = scratch_with_warnings();
    let dir = repo.path();
    assert_eq!(run(dir, &["generate"]).code, Some(0));
    let kustomization = fs::File::options()
        .write(true)
        .open(dir.join("out/kustomization.yaml"))
        .unwrap();
    // 300 years from now.
    kustomization
        .set_modified(SystemTime::now() + Duration::from_secs(300 * 365 * 24 * 3600))
        .unwrap();
    for command in ["generate", "check", "generate"] {
        assert!(!took_shortcut(dir, &[command]), "{command}");
    }
    let check = run(dir, &["check"]);
    assert_eq!(check.code, Some(0), "{}", check.stderr);
}
