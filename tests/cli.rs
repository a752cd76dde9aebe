//! End-to-end tests of the `tenet` binary: exit codes, what is written, what is left alone.

mod common;
use common::copy_dir;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use assert_cmd::Command;

fn tenet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("tenet").expect("binary builds");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

/// A scratch repository holding a copy of the example `tenants/`.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(Path::new("tenants"), &dir.path().join("tenants"));
    dir
}

/// Every file under `dir` with its bytes and modification time.
fn snapshot_tree(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let meta = entry.metadata().unwrap();
            files.insert(
                entry.path().to_path_buf(),
                (fs::read(entry.path()).unwrap(), meta.modified().unwrap()),
            );
        }
    }
    files
}

#[test]
fn generate_writes_out_and_reports_counts() {
    let repo = scratch();
    let output = tenet(repo.path()).arg("generate").output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "tenet: 75 created, 0 updated, 0 removed, 0 unchanged in out\n"
    );
    assert!(repo.path().join("out/kustomization.yaml").is_file());
    let again = tenet(repo.path()).arg("generate").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        "tenet: 0 created, 0 updated, 0 removed, 75 unchanged in out\n"
    );
}

#[test]
fn unchanged_files_keep_their_modification_time() {
    let repo = scratch();
    tenet(repo.path()).arg("generate").assert().success();
    let out = repo.path().join("out");
    // The record of the run is tenet's own bookkeeping, saved again when that saves work.
    let output_files = || {
        let mut files = snapshot_tree(&out);
        files.remove(&out.join(".tenet-record"));
        files
    };
    let before = output_files();
    std::thread::sleep(std::time::Duration::from_millis(20));
    // With the record (the shortcut), and without it (compile and compare every file).
    tenet(repo.path()).arg("generate").assert().success();
    assert_eq!(before, output_files());
    fs::remove_file(out.join(".tenet-record")).unwrap();
    tenet(repo.path()).arg("generate").assert().success();
    assert_eq!(before, output_files());
}

#[test]
fn invalid_input_exits_2_and_leaves_out_untouched() {
    let repo = scratch();
    tenet(repo.path()).arg("generate").assert().success();
    fs::write(repo.path().join("out/notes.txt"), "mine").unwrap();
    let before = snapshot_tree(&repo.path().join("out"));
    fs::write(repo.path().join("tenants/broken.yaml"), "apiVersion: tenet.dev/v1alpha1\nkind: User\nmetadata: {name: zed}\nspec: {tenant: nobody}\n").unwrap();
    let output = tenet(repo.path()).arg("generate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: tenants/broken.yaml:4:16: tenant `nobody` does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("1 error; nothing was written"), "{stderr}");
    assert_eq!(before, snapshot_tree(&repo.path().join("out")));
}

/// After an input change `generate` renders again only the files it writes (its plan holds
/// digests): the files it leaves and the ones it writes make exactly the tree a first
/// `generate` of the changed input writes.
#[test]
fn a_changed_input_gives_the_tree_of_a_first_generate() {
    let repo = scratch();
    tenet(repo.path()).arg("generate").assert().success();
    let users = repo.path().join("tenants/acme/users.yaml");
    let text = fs::read_to_string(&users).unwrap();
    fs::write(
        &users,
        text.replace("alice@acme.example", "alice@example.org"),
    )
    .unwrap();
    let output = tenet(repo.path()).arg("generate").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("tenet: 0 created, "), "{stdout}");
    assert!(!stdout.contains(" 0 updated"), "{stdout}");
    tenet(repo.path())
        .args(["generate", "--out", "first"])
        .assert()
        .success();
    let files = |dir: &str| -> BTreeMap<PathBuf, Vec<u8>> {
        let root = repo.path().join(dir);
        snapshot_tree(&root)
            .into_iter()
            .filter(|(path, _)| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
            .map(|(path, (bytes, _))| (path.strip_prefix(&root).unwrap().to_path_buf(), bytes))
            .collect()
    };
    let (written, first) = (files("out"), files("first"));
    assert!(first.len() > 10);
    assert_eq!(written, first);
}

#[test]
fn removed_objects_disappear_and_foreign_files_stay() {
    let repo = scratch();
    tenet(repo.path()).arg("generate").assert().success();
    fs::write(
        repo.path().join("out/cluster/my-own.yaml"),
        "kind: ConfigMap\n",
    )
    .unwrap();
    // Remove user ivan, who owns nothing.
    let users = repo.path().join("tenants/initech/users.yaml");
    let text = fs::read_to_string(&users).unwrap();
    let cut = text.find("---\n# A user who owns no namespace").unwrap();
    fs::write(&users, &text[..cut]).unwrap();
    let output = tenet(repo.path()).arg("generate").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "tenet: 0 created, 1 updated, 3 removed, 71 unchanged in out\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("out/cluster/my-own.yaml: not generated by tenet; left alone"),
        "{stderr}"
    );
    assert!(
        !repo
            .path()
            .join("out/cluster/clusterrole/ivan-tenant-access.yaml")
            .exists()
    );
    assert!(
        !repo
            .path()
            .join("out/cluster/clusterrolebinding/ivan-namespace-creater.yaml")
            .exists()
    );
    assert!(repo.path().join("out/cluster/my-own.yaml").exists());
    let kustomization = fs::read_to_string(repo.path().join("out/kustomization.yaml")).unwrap();
    assert!(!kustomization.contains("ivan"));
}

#[test]
fn a_foreign_file_where_tenet_must_write_is_an_error() {
    let repo = scratch();
    fs::create_dir_all(repo.path().join("out/cluster/namespace")).unwrap();
    fs::write(
        repo.path().join("out/cluster/namespace/acme-prod.yaml"),
        "hand-written\n",
    )
    .unwrap();
    let output = tenet(repo.path()).arg("generate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("were not generated by tenet"));
    assert_eq!(
        fs::read_to_string(repo.path().join("out/cluster/namespace/acme-prod.yaml")).unwrap(),
        "hand-written\n"
    );
    assert!(!repo.path().join("out/kustomization.yaml").exists());
}

/// A symlink in `out/` where tenet must write (here a folder pointing outside `out/`) is a
/// conflict: nothing is written through it, and `check` reports it.
#[cfg(unix)]
#[test]
fn a_symlink_in_out_is_never_written_through() {
    let repo = scratch();
    tenet(repo.path())
        .args(["generate", "-q"])
        .assert()
        .success();
    let outside = repo.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::remove_dir_all(repo.path().join("out/cluster/namespace")).unwrap();
    std::os::unix::fs::symlink(&outside, repo.path().join("out/cluster/namespace")).unwrap();
    let before = snapshot_tree(&repo.path().join("out"));
    let output = tenet(repo.path()).arg("generate").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not generated by tenet"), "{stderr}");
    assert!(
        stderr.contains("out/cluster/namespace/acme-prod.yaml"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_dir(&outside).unwrap().count(),
        0,
        "written through the symlink"
    );
    assert_eq!(snapshot_tree(&repo.path().join("out")), before);
    let output = tenet(repo.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("change out/cluster/namespace/acme-prod.yaml (not generated by tenet"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn validate_exit_codes() {
    let repo = scratch();
    let output = tenet(repo.path()).arg("validate").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "tenet: input is valid: 3 tenants, 9 users, 6 namespaces, 3 networks\n"
    );
    assert!(!repo.path().join("out").exists(), "validate writes nothing");
    fs::write(repo.path().join("tenants/bad.yaml"), "kind: Nope\n").unwrap();
    tenet(repo.path()).arg("validate").assert().code(2);
    tenet(repo.path())
        .args(["validate", "--tenants", "missing"])
        .assert()
        .code(2);
}

#[test]
fn quiet_prints_nothing_on_success() {
    let repo = scratch();
    tenet(repo.path())
        .args(["generate", "-q"])
        .assert()
        .success()
        .stdout("");
}

#[test]
fn usage_errors_exit_2() {
    let repo = scratch();
    tenet(repo.path()).arg("frobnicate").assert().code(2);
    tenet(repo.path()).arg("--version").assert().success();
    tenet(repo.path()).arg("--help").assert().success();
}

#[test]
fn template_errors_name_the_template_and_line() {
    let repo = scratch();
    fs::create_dir_all(repo.path().join("mytemplates")).unwrap();
    let user = tenet::templates::TemplateSet::embedded_text("user.yaml.j2").unwrap();
    // A misspelled field in a user's own template.
    let broken = user.replacen("roleRef:", "roleRefs:", 1);
    fs::write(repo.path().join("mytemplates/user.yaml.j2"), &broken).unwrap();
    let line = broken
        .lines()
        .position(|l| l.starts_with("roleRefs:"))
        .unwrap()
        + 1;
    let output = tenet(repo.path())
        .args(["generate", "--templates", "mytemplates"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "error: mytemplates/user.yaml.j2:{line}:1: unknown field `roleRefs`"
        )),
        "{stderr}"
    );
    assert!(!repo.path().join("out").exists());

    // An undefined variable.
    fs::write(
        repo.path().join("mytemplates/user.yaml.j2"),
        "kind: {{ user.nmae }}\n",
    )
    .unwrap();
    let output = tenet(repo.path())
        .args(["generate", "--templates", "mytemplates"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: mytemplates/user.yaml.j2:1:"),
        "{stderr}"
    );
    assert!(stderr.contains("undefined"), "{stderr}");
}

/// A template that grants a tenant's user `edit` in every namespace: `generate` refuses to
/// write it and `check` fails, both with the violation; `--no-audit` lets both through.
#[test]
fn an_audit_violation_fails_generate_and_check() {
    let repo = scratch();
    fs::create_dir_all(repo.path().join("mytemplates")).unwrap();
    let user = tenet::templates::TemplateSet::embedded_text("user.yaml.j2").unwrap();
    let everywhere = format!(
        "{user}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: \"{{{{ user.name }}}}-everywhere\"\n  labels: {{app.kubernetes.io/managed-by: tenet, tenet.dev/tenant: \"{{{{ user.tenant }}}}\"}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}\nsubjects:\n- {{apiGroup: rbac.authorization.k8s.io, kind: User, name: \"{{{{ user.username }}}}\"}}\n"
    );
    fs::write(repo.path().join("mytemplates/user.yaml.j2"), everywhere).unwrap();
    let run = |args: &[&str]| {
        tenet(repo.path())
            .args(args)
            .args(["--templates", "mytemplates"])
            .output()
            .unwrap()
    };
    let generated = run(&["generate"]);
    let stderr = String::from_utf8_lossy(&generated.stderr);
    assert_eq!(generated.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("violation [cross-tenant]"), "{stderr}");
    assert!(
        stderr.contains("-everywhere -> ClusterRole/edit"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!repo.path().join("out").exists());

    assert_eq!(
        run(&["generate", "--no-audit", "-q"]).status.code(),
        Some(0)
    );
    let checked = run(&["check"]);
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert_eq!(checked.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("violation [cross-tenant]"), "{stderr}");
    assert!(stderr.contains("tenet: the audit failed"), "{stderr}");
    assert_eq!(run(&["check", "--no-audit", "-q"]).status.code(), Some(0));
}
