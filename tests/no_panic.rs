//! A panic anywhere is a bug: the binary, run on every fixture and on hostile input, ends with
//! exit code 0, 1 or 2 and never with Rust's panic status 101.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Directories named `tenants` below `tests/fixtures/`, with a sibling `templates/` if any.
fn fixture_inputs() -> Vec<(PathBuf, Option<PathBuf>)> {
    let mut inputs = Vec::new();
    for entry in walkdir::WalkDir::new("tests/fixtures").sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_dir() && entry.file_name() == "tenants" {
            let templates = entry.path().with_file_name("templates");
            inputs.push((
                entry.path().to_path_buf(),
                templates.is_dir().then_some(templates),
            ));
        }
    }
    inputs
}

fn assert_no_panic(args: &[&std::ffi::OsStr], what: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_tenet"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0..=2)),
        "{what}: exit status {:?}\n{stderr}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

fn run_every_command(tenants: &Path, templates: Option<&Path>, what: &str) {
    let out = tempfile::tempdir().unwrap();
    let mut common: Vec<&std::ffi::OsStr> = vec!["--tenants".as_ref(), tenants.as_os_str()];
    if let Some(templates) = templates {
        common.extend(["--templates".as_ref(), templates.as_os_str()]);
    }
    let with_out = |command: &'static str| {
        let mut args: Vec<&std::ffi::OsStr> = vec![command.as_ref()];
        args.extend(common.iter().copied());
        args.extend(["--out".as_ref(), out.path().as_os_str()]);
        args
    };
    assert_no_panic(
        &[
            "validate".as_ref(),
            "--tenants".as_ref(),
            tenants.as_os_str(),
        ],
        what,
    );
    assert_no_panic(&with_out("check"), what);
    assert_no_panic(&with_out("generate"), what);
    assert_no_panic(&with_out("generate"), what);
    assert_no_panic(&with_out("check"), what);
}

#[test]
fn no_fixture_makes_tenet_panic() {
    let inputs = fixture_inputs();
    assert!(inputs.len() >= 5, "{inputs:?}");
    for (tenants, templates) in &inputs {
        run_every_command(
            tenants,
            templates.as_deref(),
            &tenants.display().to_string(),
        );
    }
    run_every_command(
        Path::new("tenants"),
        Some(Path::new("templates")),
        "the example",
    );
}

#[test]
fn no_hostile_input_makes_tenet_panic() {
    let dir = tempfile::tempdir().unwrap();
    let case = |name: &str, files: &[(&str, &[u8])]| {
        let root = dir.path().join(name).join("tenants");
        fs::create_dir_all(&root).unwrap();
        for (file, bytes) in files {
            fs::write(root.join(file), bytes).unwrap();
        }
        root
    };
    let bomb =
        common::alias_bomb("apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata: {name: a}\n");
    let deep = format!(
        "kind: Tenant\nmetadata: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let deep_block: String = (0..10_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    let mut cases = vec![
        case("alias-bomb", &[("bomb.yaml", bomb.as_bytes())]),
        case("deep-flow", &[("deep.yaml", deep.as_bytes())]),
        case("deep-block", &[("deep.yaml", deep_block.as_bytes())]),
        case("binary", &[("bin.yaml", b"\x00\x01\x02\xff")]),
        case("latin1", &[("l.yaml", b"kind: Tenant\nname: caf\xe9\n")]),
        case("bom-crlf", &[("t.yaml", "\u{feff}apiVersion: tenet.dev/v1alpha1\r\nkind: Tenant\r\nmetadata:\r\n  name: acme\r\n".as_bytes())]),
        case("empty", &[("e.yaml", b"")]),
        case("only-markers", &[("m.yaml", b"---\n---\n...\n")]),
        case("scalar-document", &[("s.yaml", b"42\n")]),
        case("escaping-names", &[("n.yaml", b"apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata: {name: \"..\"}\n---\napiVersion: tenet.dev/v1alpha1\nkind: Namespace\nmetadata: {name: \"%2e\"}\nspec: {tenant: \"a/b\"}\n")]),
    ];
    let huge = case("huge", &[]);
    fs::File::create(huge.join("huge.yaml"))
        .unwrap()
        .set_len(100 * 1024 * 1024)
        .unwrap();
    cases.push(huge);
    #[cfg(unix)]
    {
        let looped = case("symlink-loop", &[]);
        std::os::unix::fs::symlink(&looped, looped.join("loop")).unwrap();
        cases.push(looped);
    }
    cases.push(dir.path().join("missing"));
    // Crash regressions found by fuzzing, kept as fixtures, are covered by the fixture walk.
    for tenants in &cases {
        run_every_command(tenants, None, &tenants.display().to_string());
    }
}
