//! Hostile and broken input gets a precise error, never a crash.

mod common;

use std::fs;
use std::path::Path;

use tenet::load::{Sources, load_sources};
use tenet::pipeline::compile;
use tenet::templates::TemplateSet;

fn compile_errors(files: &[(&str, &str)]) -> String {
    let sources = Sources::in_memory("tenants", files);
    match compile(&sources, &TemplateSet::embedded()) {
        Ok(_) => panic!("input was accepted"),
        Err(d) => d.to_string(),
    }
}

fn load_errors(dir: &Path) -> String {
    let (_, diagnostics) = load_sources(dir);
    diagnostics.to_string()
}

#[test]
fn alias_bomb() {
    let bomb = common::alias_bomb(
        "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: a\nspec:\n  displayName: x\n",
    );
    let errors = compile_errors(&[("bomb.yaml", &bomb)]);
    assert!(errors.starts_with("error: tenants/bomb.yaml:"), "{errors}");
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let depth = 10_000;
    let text = format!(
        "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let errors = compile_errors(&[("deep.yaml", &text)]);
    assert!(errors.contains("tenants/deep.yaml:3:"), "{errors}");
    let block: String = (0..depth)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    let errors = compile_errors(&[("deep2.yaml", &block)]);
    assert!(errors.contains("tenants/deep2.yaml:"), "{errors}");
}

#[test]
fn binary_and_non_utf8_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("binary.yaml"),
        b"apiVersion: x\n\x00\x01\x02",
    )
    .unwrap();
    fs::write(
        dir.path().join("latin1.yaml"),
        b"kind: Tenant\nname: caf\xe9\n",
    )
    .unwrap();
    let errors = load_errors(dir.path());
    assert!(
        errors.contains("binary.yaml:2:1: binary file: contains a NUL byte"),
        "{errors}"
    );
    assert!(
        errors.contains("latin1.yaml:2:10: file is not valid UTF-8 text"),
        "{errors}"
    );
}

#[test]
fn bom_and_crlf_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("t.yaml"),
        "\u{feff}apiVersion: tenet.dev/v1alpha1\r\nkind: Tenant\r\nmetadata:\r\n  name: acme\r\n",
    )
    .unwrap();
    let (sources, diagnostics) = load_sources(dir.path());
    assert!(!diagnostics.has_errors(), "{diagnostics}");
    compile(&sources, &TemplateSet::embedded()).expect("BOM and CRLF compile");
}

#[test]
fn huge_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let file = fs::File::create(dir.path().join("huge.yaml")).unwrap();
    file.set_len(100 * 1024 * 1024).unwrap(); // sparse: costs no disk
    let errors = load_errors(dir.path());
    assert!(errors.contains("huge.yaml: file is too large (104857600 bytes); tenet accepts input files of at most 64 MiB"), "{errors}");
}

#[cfg(unix)]
#[test]
fn symlinks_stay_inside_and_loops_are_detected() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("secret.yaml"),
        "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata: {name: evil}\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tenants");
    fs::create_dir_all(root.join("sub")).unwrap();
    fs::write(
        root.join("sub/t.yaml"),
        "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata: {name: acme}\n",
    )
    .unwrap();
    symlink(outside.path().join("secret.yaml"), root.join("escape.yaml")).unwrap();
    symlink(outside.path(), root.join("escape-dir")).unwrap();
    symlink(&root, root.join("sub/loop")).unwrap();
    symlink(root.join("sub/t.yaml"), root.join("inside.yml")).unwrap();
    let (sources, diagnostics) = load_sources(&root);
    let errors = diagnostics.to_string();
    assert!(
        errors.contains("escape.yaml: symlink points outside the tenants directory"),
        "{errors}"
    );
    assert!(
        errors.contains("escape-dir: symlink points outside the tenants directory"),
        "{errors}"
    );
    assert!(errors.contains("loop: symlink loop"), "{errors}");
    assert!(
        errors.contains("remove the link, or point it at a folder that does not contain it"),
        "{errors}"
    );
    // A link to a file inside is not read twice: the file is read at its real place.
    let read: Vec<&str> = sources.files.iter().map(|f| f.relative.as_str()).collect();
    assert_eq!(read, ["sub/t.yaml"]);
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("locked.yaml");
    fs::write(&file, "kind: Tenant\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&file).is_ok() {
        return; // running as root: permissions do not apply
    }
    assert!(load_errors(dir.path()).contains("locked.yaml: cannot read"));
}

#[cfg(unix)]
#[test]
fn non_utf8_file_names_are_reported() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = OsStr::from_bytes(b"caf\xe9.yaml");
    if fs::write(dir.path().join(name), "kind: Tenant\n").is_err() {
        return; // the filesystem refuses such names
    }
    assert!(load_errors(dir.path()).contains("file name is not valid UTF-8"));
}

#[test]
fn names_crafted_to_escape_out_are_refused_or_escaped() {
    // Input names must be DNS-1123 labels, so `..`, `/` and `%2e` never reach a path.
    let errors = compile_errors(&[(
        "a.yaml",
        "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata: {name: \"..\"}\n---\napiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata: {name: \"a/b\"}\n---\napiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata: {name: \"%2e\"}\n",
    )]);
    assert_eq!(
        errors.matches("is not a valid DNS-1123 label").count(),
        3,
        "{errors}"
    );
}
