//! `tenet diff` and `tenet check`: every format on a fixture pair, the patch applied with
//! `git apply`, `--base` against a temporary repository, exit codes, markdown truncation, and
//! `check` on stale trees.
//!
//! The fixture pair `tests/fixtures/diff/pr/` is a pull request: `before/` and `after/` hold
//! a tenants directory each (and `after/templates/` overrides two templates). Between them,
//! objects are added, changed, removed and replaced, a document moves to another file, and
//! risky rules appear.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;

use tenet::audit::AuditPart;
use tenet::diff::{ChangeKind, DiffReport, diff_trees};
use tenet::diff_format::{
    FormatOptions, render_json, render_markdown, render_patch, render_summary, render_text,
};
use tenet::load::{load_sources, load_templates, read_output_tree};
use tenet::pipeline::compile;
use tenet::plan::Plan;
use tenet::write::write_plan;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diff")
        .join(path)
}

fn before_tenants() -> PathBuf {
    fixture("pr/before/tenants")
}

fn after_tenants() -> PathBuf {
    fixture("pr/after/tenants")
}

fn after_templates() -> PathBuf {
    fixture("pr/after/templates")
}

fn plan_of(tenants: &Path, templates: Option<&Path>) -> Plan {
    let (sources, diagnostics) = load_sources(tenants);
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let (templates, diagnostics) = match templates {
        Some(dir) => load_templates(dir, true),
        None => load_templates(Path::new("no-such-templates-dir"), false),
    };
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    compile(&sources, &templates)
        .expect("the fixture compiles")
        .plan
}

fn as_tree(plan: &Plan) -> BTreeMap<String, Vec<u8>> {
    plan.files
        .iter()
        .map(|(p, t)| (p.clone(), t.as_bytes().to_vec()))
        .collect()
}

fn pr_report() -> DiffReport {
    let before = plan_of(&before_tenants(), None);
    let after = plan_of(&after_tenants(), Some(&after_templates()));
    diff_trees(&as_tree(&before), &after)
}

fn options() -> FormatOptions {
    FormatOptions::new("out")
}

fn tenet() -> Command {
    let mut command = Command::cargo_bin("tenet").expect("the tenet binary is built");
    command.env_remove("NO_COLOR");
    command
}

fn git(dir: &Path, args: &[&str]) {
    let status = Process::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

fn generate(tenants: &Path, templates: Option<&Path>, out: &Path) {
    write_plan(&plan_of(tenants, templates), out).expect("generate writes");
}

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).expect("utf-8 output")
}

// ---- every format -------------------------------------------------------------------------

#[test]
fn the_fixture_pair_adds_changes_removes_and_replaces() {
    let counts = pr_report().counts();
    assert!(
        counts.add > 0
            && counts.change > 0
            && counts.remove > 0
            && counts.replace > 0
            && counts.provenance > 0,
        "{counts:?}"
    );
}

#[test]
fn text_format() {
    insta::assert_snapshot!(render_text(&pr_report(), &options()));
}

#[test]
fn text_format_in_colour_emphasises_changed_words() {
    let mut options = options();
    options.color = true;
    let text = render_text(&pr_report(), &options);
    // Only the changed word of `environment: production` -> `prod` is emphasised.
    assert!(text.contains("\x1b[1;4;31mproduction\x1b[0m"), "{text}");
    assert!(text.contains("\x1b[1;4;32mprod\x1b[0m"), "{text}");
    insta::assert_snapshot!(text.replace('\x1b', "␛"));
}

#[test]
fn patch_format() {
    insta::assert_snapshot!(render_patch(&pr_report(), &options()));
}

#[test]
fn markdown_format() {
    insta::assert_snapshot!(render_markdown(&pr_report(), &options()));
}

#[test]
fn json_format() {
    let text = render_json(&pr_report(), &options());
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(value["version"], 1);
    insta::assert_snapshot!(text);
}

#[test]
fn summary_format() {
    assert_eq!(
        render_summary(&pr_report()),
        "4 to add, 1 to change, 1 to remove, 1 to replace, 5 with a new provenance comment only\n"
    );
}

#[test]
fn no_changes_in_every_format() {
    let plan = plan_of(&before_tenants(), None);
    let report = diff_trees(&as_tree(&plan), &plan);
    assert!(!report.has_changes());
    insta::assert_snapshot!(render_text(&report, &options()), @r"
    tenet diff: the compiled tenants compared with out/ on disk
    No changes.
    ");
    assert_eq!(render_patch(&report, &options()), "");
    assert_eq!(
        render_summary(&report),
        "0 to add, 0 to change, 0 to remove, 0 to replace\n"
    );
    assert!(render_markdown(&report, &options()).starts_with("<!-- tenet-diff -->\n"));
    assert!(render_json(&report, &options()).contains("\"objects\": []"));
}

// ---- markdown size limit ------------------------------------------------------------------

/// The per-object blocks (provenance-only objects share one list block, always shown).
fn details_blocks(markdown: &str) -> usize {
    markdown.matches("<details><summary>").count()
        - markdown.matches("<details><summary># ").count()
}

#[test]
fn markdown_cuts_whole_objects_at_the_limit() {
    let report = pr_report();
    let total = report
        .objects
        .iter()
        .filter(|o| o.kind != ChangeKind::Provenance)
        .count();
    let mut options = options();
    options.max_bytes = usize::MAX;
    let full = render_markdown(&report, &options);
    assert_eq!(details_blocks(&full), total);
    assert!(!full.contains("left out"));

    // Exactly at the full length: nothing is cut.
    options.max_bytes = full.len();
    assert_eq!(render_markdown(&report, &options), full);

    // One byte less: whole objects are cut, the rest stays under the limit, and the comment
    // says how many are missing.
    options.max_bytes = full.len() - 1;
    let cut = render_markdown(&report, &options);
    assert!(
        cut.len() <= options.max_bytes,
        "{} > {}",
        cut.len(),
        options.max_bytes
    );
    let shown = details_blocks(&cut);
    assert!(shown < total);
    let missing = total - shown;
    let objects = if missing == 1 {
        "object was"
    } else {
        "objects were"
    };
    assert!(
        cut.contains(&format!(
            "**{missing} more {objects} left out to keep this comment under {} bytes.**",
            options.max_bytes
        )),
        "{cut}"
    );
    assert_eq!(
        cut.matches("<details>").count(),
        cut.matches("</details>").count()
    );

    // A small limit keeps the summary and the call-outs.
    options.max_bytes = 3_000;
    let small = render_markdown(&report, &options);
    assert!(small.len() <= 3_000, "{}", small.len());
    assert!(small.starts_with("<!-- tenet-diff -->"));
    assert!(small.contains("| ♻️ replace | 1 |"));
    assert!(small.contains("kustomize.toolkit.fluxcd.io/force: enabled"));
}

// ---- patch -----------------------------------------------------------------------------------

#[test]
fn git_apply_of_the_patch_reproduces_the_new_tree_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    generate(&before_tenants(), None, &root.join("deploy/out"));
    let assert = tenet()
        .current_dir(root)
        .args([
            "diff",
            "--format",
            "patch",
            "--out",
            "deploy/out",
            "--tenants",
        ])
        .arg(after_tenants())
        .arg("--templates")
        .arg(after_templates())
        .assert()
        .code(1);
    let patch = stdout_of(&assert);
    assert!(
        patch.contains(
            "diff --git a/deploy/out/kustomization.yaml b/deploy/out/kustomization.yaml\n"
        )
    );
    assert!(
        patch.contains("--- /dev/null\n+++ b/deploy/out/cluster/clusterrole/acme-auditor.yaml\n")
    );
    assert!(!patch.contains('\x1b'));
    assert!(
        patch.starts_with("Access changes:\n"),
        "the access section leads the patch"
    );
    std::fs::write(root.join("change.patch"), &patch).unwrap();
    git(root, &["apply", "--whitespace=nowarn", "change.patch"]);

    let expected = dir.path().join("expected");
    generate(&after_tenants(), Some(&after_templates()), &expected);
    let applied = read_output_tree(&root.join("deploy/out")).unwrap();
    let wanted = read_output_tree(&expected).unwrap();
    assert_eq!(
        applied.keys().collect::<Vec<_>>(),
        wanted.keys().collect::<Vec<_>>()
    );
    assert!(
        applied == wanted,
        "the patched tree differs from a fresh generate"
    );
}

// ---- --base ---------------------------------------------------------------------------------

/// A repository whose first commit has no out/, second commit has out/ from `before`, and
/// whose working tree holds out/ from `after` (generated, not committed).
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::write(root.join("README.md"), "tenants\n").unwrap();
    git(root, &["add", "README.md"]);
    git(root, &["commit", "-q", "-m", "start"]);
    git(root, &["tag", "start"]);
    generate(&before_tenants(), None, &root.join("out"));
    std::fs::write(root.join("out/NOTES.md"), "not tenet's\n").unwrap();
    git(root, &["add", "out"]);
    git(root, &["commit", "-q", "-m", "before"]);
    generate(
        &after_tenants(),
        Some(&after_templates()),
        &root.join("out"),
    );
    dir
}

fn diff_in(root: &Path) -> Command {
    let mut command = tenet();
    command
        .current_dir(root)
        .arg("diff")
        .arg("--tenants")
        .arg(after_tenants())
        .arg("--templates")
        .arg(after_templates());
    command
}

#[test]
fn base_reads_out_as_committed() {
    let repo = repository();
    let root = repo.path();
    // On disk, out/ is already up to date...
    diff_in(root).args(["--format", "summary"]).assert().code(0);
    // ...but against the commit it shows the pull request's changes.
    let assert = diff_in(root)
        .args(["--base", "HEAD", "--format", "summary"])
        .assert()
        .code(1);
    // The CLI adds the access-change count after the object counts.
    let summary = stdout_of(&assert);
    assert!(summary.ends_with(" risky)\n"), "{summary}");
    assert_eq!(
        summary.split(';').next().unwrap(),
        render_summary(&pr_report()).trim_end()
    );
    // The same from a subdirectory, with a relative --out.
    std::fs::create_dir(root.join("sub")).unwrap();
    diff_in(&root.join("sub"))
        .args(["--base", "HEAD", "--format", "summary", "--out", "../out"])
        .assert()
        .code(1);
    // The JSON names the base, and the foreign file committed in out/ is a note.
    let assert = diff_in(root)
        .args(["--base", "HEAD", "--format", "json"])
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(json["base"], "HEAD");
    assert_eq!(json["notes"][0]["path"], "NOTES.md");
}

#[test]
fn base_without_out_makes_everything_an_addition() {
    let repo = repository();
    let assert = diff_in(repo.path())
        .args(["--base", "start", "--format", "summary"])
        .assert()
        .code(1);
    let stdout = stdout_of(&assert);
    let objects = plan_of(&after_tenants(), Some(&after_templates()))
        .files
        .len()
        - 1; // not kustomization.yaml
    assert_eq!(
        stdout.split(';').next().unwrap(),
        format!("{objects} to add, 0 to change, 0 to remove, 0 to replace")
    );
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("out/ does not exist at start; every object is an addition"),
        "{stderr}"
    );
}

#[test]
fn base_errors_exit_2() {
    let repo = repository();
    let assert = diff_in(repo.path())
        .args(["--base", "no-such-branch"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("error: unknown git revision `no-such-branch`"),
        "{stderr}"
    );

    let plain = tempfile::tempdir().unwrap();
    let assert = diff_in(plain.path())
        .args(["--base", "HEAD", "--exit-zero"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("is not inside a git repository"),
        "{stderr}"
    );
}

// ---- exit codes and colour ------------------------------------------------------------------

#[test]
fn diff_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&before_tenants(), None, &out);
    let diff = |tenants: &Path| {
        let mut command = tenet();
        command
            .arg("diff")
            .arg("--tenants")
            .arg(tenants)
            .arg("--out")
            .arg(&out);
        command
    };
    assert!(stdout_of(&diff(&before_tenants()).assert().code(0)).contains("No changes."));
    diff(&after_tenants()).assert().code(1);
    diff(&after_tenants()).arg("--exit-zero").assert().code(0);
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(
        broken.join("t.yaml"),
        "apiVersion: tenet.dev/v1alpha1\nkind: Tenant\nmetadata: {}\n",
    )
    .unwrap();
    diff(&broken).arg("--exit-zero").assert().code(2);
    // Nothing was written.
    assert_eq!(
        read_output_tree(&out).unwrap(),
        as_tree(&plan_of(&before_tenants(), None))
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&before_tenants(), None, &out);
    let run = |color: &str, no_color: bool| {
        let mut command = tenet();
        command
            .arg("diff")
            .arg("--tenants")
            .arg(after_tenants())
            .arg("--out")
            .arg(&out)
            .args(["--color", color]);
        if no_color {
            command.env("NO_COLOR", "1");
        }
        stdout_of(&command.assert().code(1))
    };
    assert!(
        !run("auto", false).contains('\x1b'),
        "stdout is not a terminal here"
    );
    assert!(!run("never", false).contains('\x1b'));
    assert!(run("always", false).contains('\x1b'));
    assert!(
        run("always", true).contains('\x1b'),
        "--color always wins over NO_COLOR"
    );
    let mut patch = tenet();
    patch
        .arg("diff")
        .arg("--tenants")
        .arg(after_tenants())
        .arg("--out")
        .arg(&out)
        .args(["--color", "always", "--format", "patch"]);
    assert!(
        !stdout_of(&patch.assert().code(1)).contains('\x1b'),
        "patches are never coloured"
    );
}

// ---- check ----------------------------------------------------------------------------------

fn check(out: &Path) -> Command {
    let mut command = tenet();
    command
        .arg("check")
        .arg("--tenants")
        .arg(before_tenants())
        .arg("--out")
        .arg(out);
    command
}

#[test]
fn check_passes_on_a_fresh_tree_and_ignores_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&before_tenants(), None, &out);
    check(&out).assert().code(0);
    std::fs::write(out.join("README.md"), "hand-written\n").unwrap();
    let assert = check(&out).assert().code(0);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("README.md: not generated by tenet; ignored"),
        "{stderr}"
    );
}

#[test]
fn check_notices_missing_changed_and_leftover_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&before_tenants(), None, &out);
    let missing = "cluster/clusterrole/alice-tenant-access.yaml";
    std::fs::remove_file(out.join(missing)).unwrap();
    let edited = out.join("cluster/namespace/acme-prod.yaml");
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, text.replace("production", "prod")).unwrap();
    let leftover = out.join("cluster/clusterrole/old-role.yaml");
    std::fs::write(
        &leftover,
        std::fs::read(out.join("cluster/clusterrole/namespace-creater.yaml")).unwrap(),
    )
    .unwrap();

    let assert = check(&out).assert().code(1);
    let stdout = stdout_of(&assert);
    let shown = |p: &str| out.join(p).display().to_string();
    assert!(
        stdout.contains("1 to create, 1 to change, 1 to remove"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("  create {}\n", shown(missing))),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "  change {}\n",
            shown("cluster/namespace/acme-prod.yaml")
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "  remove {}\n",
            shown("cluster/clusterrole/old-role.yaml")
        )),
        "{stdout}"
    );

    // Invalid input is an error, not staleness.
    let mut invalid = tenet();
    invalid
        .arg("check")
        .arg("--tenants")
        .arg(dir.path().join("no-such-dir"))
        .arg("--out")
        .arg(&out);
    invalid.assert().code(2);
}

#[test]
fn check_notices_files_git_does_not_track() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    let out = root.join("out");
    generate(&before_tenants(), None, &out);
    git(root, &["add", "out"]);
    git(root, &["commit", "-q", "-m", "out"]);
    check(&out).assert().code(0);

    // A file generate wrote but nobody added: right on disk, missing from the commit.
    let untracked = "cluster/clusterrole/alice-tenant-access.yaml";
    git(root, &["rm", "-q", "--cached", &format!("out/{untracked}")]);
    git(root, &["commit", "-q", "-m", "forgot one"]);
    let reports_untracked = |stdout: &str| {
        assert!(stdout.contains("1 not tracked by git"), "{stdout}");
        assert!(
            stdout.contains(&format!(
                "  untracked {} (add it to git)",
                out.join(untracked).display()
            )),
            "{stdout}"
        );
    };
    let assert = check(&out).assert().code(1);
    reports_untracked(&stdout_of(&assert));

    // An untracked leftover is listed for removal like a tracked one.
    std::fs::write(
        out.join("cluster/clusterrole/old-role.yaml"),
        std::fs::read(out.join(untracked)).unwrap(),
    )
    .unwrap();
    let stdout = stdout_of(&check(&out).assert().code(1));
    assert!(
        stdout.contains(&format!(
            "  remove {}",
            out.join("cluster/clusterrole/old-role.yaml").display()
        )),
        "{stdout}"
    );
    // The new file makes check compare every file (the record no longer vouches for out/);
    // git is asked about the plan's files found on disk then.
    reports_untracked(&stdout);
}

#[test]
fn check_accepts_an_out_dir_that_git_ignores() {
    // Some repositories generate out/ in CI instead of committing it.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::write(root.join(".gitignore"), "out/\n").unwrap();
    let out = root.join("out");
    generate(&before_tenants(), None, &out);
    check(&out).assert().code(0);
    // An ignored file inside a tracked out/ is not missing from the commit either.
    std::fs::write(root.join(".gitignore"), "out/cluster/clusterrole/\n").unwrap();
    let stdout = stdout_of(&check(&out).assert().code(1));
    assert!(stdout.contains("not tracked by git"), "{stdout}");
    assert!(
        !stdout.contains("cluster/clusterrole/"),
        "ignored files are not listed: {stdout}"
    );
}

fn evaluator(objects: &[tenet::manifests::ManifestObject]) -> tenet::rbac::Evaluator {
    tenet::rbac::Evaluator::from_objects(tenet::manifests::borrowed(objects), true).0
}

/// The "Access changes" section: effective permissions before and after, per subject.
#[test]
fn access_changes_of_the_fixture_pair() {
    let before = plan_of(&before_tenants(), None);
    let after = plan_of(&after_tenants(), Some(&after_templates()));
    let (old, _) = tenet::manifests::parse_tree(&as_tree(&before), "out/");
    let (new, _) = tenet::manifests::parse_tree(&as_tree(&after), "out/");
    let lines = tenet::diff::access_change_lines(&evaluator(&old), &evaluator(&new));
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn a_yaml_change_that_changes_no_access_says_so() {
    let plan = plan_of(&before_tenants(), None);
    let (objects, _) = tenet::manifests::parse_tree(&as_tree(&plan), "out/");
    assert_eq!(
        tenet::diff::access_change_lines(&evaluator(&objects), &evaluator(&objects)),
        ["no one's access changes"]
    );
}

#[test]
fn the_cli_diff_includes_access_changes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&before_tenants(), None, &out);
    let assert = tenet()
        .args(["diff", "--format", "markdown", "--no-audit", "--tenants"])
        .arg(after_tenants())
        .arg("--templates")
        .arg(after_templates())
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    let markdown = stdout_of(&assert);
    assert!(markdown.contains("#### Access changes"), "{markdown}");
}

/// Roles and bindings of an evaluator without their origins, which differ by design between an
/// object decoded from a file and the same object taken from the compiled plan.
fn rbac_contents(evaluator: &tenet::rbac::Evaluator) -> (Vec<String>, Vec<String>) {
    let roles = evaluator
        .roles()
        .iter()
        .map(|r| {
            format!(
                "{} {:?} {:?} {:?}",
                r.reference(),
                r.labels,
                r.rules,
                r.aggregation_selectors
            )
        })
        .collect();
    let bindings = evaluator
        .bindings()
        .iter()
        .map(|b| format!("{} {:?} {:?}", b.reference(), b.role_ref, b.subjects))
        .collect();
    (roles, bindings)
}

/// `tenet diff` takes the old side's RBAC objects of files that equal the plan's from the
/// compiled plan instead of parsing them: the old side's evaluator, and so the access changes,
/// must be the same as from parsing every file.
#[test]
fn the_old_sides_evaluator_is_the_same_when_unchanged_files_are_not_parsed() {
    // The same tenants before and after (so most files are equal), the PR's templates after.
    let before = as_tree(&plan_of(&after_tenants(), None));
    let (sources, _) = load_sources(&after_tenants());
    let (templates, _) = load_templates(&after_templates(), true);
    let mut compiled = compile(&sources, &templates).expect("the fixture compiles");
    let parts: Vec<_> = compiled.take_audit_parts("out/").collect();
    let unchanged_rbac = before
        .iter()
        .filter(|(path, bytes)| {
            path.contains("role")
                && compiled.plan.files.get(*path).map(String::as_bytes) == Some(bytes.as_slice())
        })
        .count();
    assert!(unchanged_rbac > 0, "the fixture pair shares RBAC files");

    // As the command does: only the files that differ are read, the others' objects are taken.
    let unchanged = |path: &str| {
        let bytes = before.get(path).map(Vec::as_slice);
        bytes.is_some() && bytes == compiled.plan.files.get(path).map(String::as_bytes)
    };
    let differing: BTreeMap<String, Vec<u8>> = (before.iter())
        .filter(|(path, _)| !unchanged(path))
        .map(|(path, bytes)| (path.clone(), bytes.clone()))
        .collect();
    let known = parts
        .iter()
        .filter_map(AuditPart::rbac)
        .filter(|rbac| unchanged(rbac.origin().file.strip_prefix("out/").unwrap()));
    let parsed = tenet::manifests::tree_evaluator(&before, "out/", []);
    let reused = tenet::manifests::tree_evaluator(&differing, "out/", known);
    assert_eq!(rbac_contents(&reused), rbac_contents(&parsed));
    let after = tenet::audit::evaluator_over(&parts);
    let lines = tenet::diff::access_change_lines(&reused, &after);
    assert_eq!(lines, tenet::diff::access_change_lines(&parsed, &after));
    assert_ne!(lines, ["no one's access changes"]);
}
