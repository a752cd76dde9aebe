//! `tenet init`, shell completions, the help texts and the pre-commit hooks.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn tenet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("tenet").expect("binary builds");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let output = cmd.output().expect("tenet runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Every file below `dir`, relative and `/`-separated, with its text.
fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(dir).unwrap();
            let relative = relative.to_string_lossy().replace('\\', "/");
            files.push((relative, fs::read_to_string(entry.path()).unwrap()));
        }
    }
    files
}

#[test]
fn init_writes_a_repository_that_generates_at_once() {
    let scratch = tempfile::tempdir().unwrap();
    let out = stdout_of(tenet(scratch.path()).args(["init", "repo"]));
    assert!(
        out.starts_with("tenet: 11 files created, 0 overwritten in repo\n"),
        "{out}"
    );
    let repo = scratch.path().join("repo");
    let written: Vec<String> = tree(&repo).into_iter().map(|(path, _)| path).collect();
    assert_eq!(
        written,
        [
            ".github/workflows/tenet.yaml",
            ".gitignore",
            "Makefile",
            "README.md",
            "schema/tenet.schema.json",
            "templates/cluster.yaml.j2",
            "templates/namespace.yaml.j2",
            "templates/network.yaml.j2",
            "templates/tenant.yaml.j2",
            "templates/user.yaml.j2",
            "tenants/example.yaml",
        ]
    );
    // The written schema and templates are the ones this binary uses.
    assert_eq!(
        fs::read_to_string(repo.join("schema/tenet.schema.json")).unwrap(),
        stdout_of(tenet(&repo).arg("schema"))
    );
    for (name, text) in tree(Path::new("templates")) {
        assert_eq!(
            fs::read_to_string(repo.join("templates").join(&name)).unwrap(),
            text
        );
    }

    let first = stdout_of(tenet(&repo).arg("generate"));
    let created: usize = first
        .strip_prefix("tenet: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected: {first}"));
    assert!(created > 5, "{first}");
    assert_eq!(
        first,
        format!("tenet: {created} created, 0 updated, 0 removed, 0 unchanged in out\n")
    );
    let check = stdout_of(tenet(&repo).arg("check"));
    assert!(!check.is_empty(), "tenet check says nothing");
    let second = stdout_of(tenet(&repo).arg("generate"));
    assert_eq!(
        second,
        format!("tenet: 0 created, 0 updated, 0 removed, {created} unchanged in out\n")
    );
    stdout_of(tenet(&repo).arg("validate"));
}

#[test]
fn init_refuses_to_overwrite_and_names_every_existing_file() {
    let repo = tempfile::tempdir().unwrap();
    fs::write(repo.path().join("README.md"), "mine\n").unwrap();
    fs::create_dir_all(repo.path().join("tenants")).unwrap();
    fs::write(repo.path().join("tenants/example.yaml"), "mine too\n").unwrap();

    let output = tenet(repo.path()).arg("init").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr,
        format!(
            "error: 2 of the files to create already exist: {}, {}\n  help: nothing was written; pass --force to overwrite them, or choose an empty directory\n",
            Path::new(".").join("README.md").display(),
            Path::new(".").join("tenants/example.yaml").display(),
        )
    );
    // Nothing was written: only the two files of the user are there, unchanged.
    assert_eq!(
        tree(repo.path()),
        [
            ("README.md".to_string(), "mine\n".to_string()),
            ("tenants/example.yaml".to_string(), "mine too\n".to_string()),
        ]
    );

    let out = stdout_of(tenet(repo.path()).args(["init", "--force"]));
    assert!(
        out.starts_with("tenet: 9 files created, 2 overwritten in .\n"),
        "{out}"
    );
    assert_ne!(
        fs::read_to_string(repo.path().join("README.md")).unwrap(),
        "mine\n"
    );
    stdout_of(tenet(repo.path()).arg("generate"));
}

#[test]
fn completions_cover_every_subcommand() {
    let here = Path::new(".");
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout_of(tenet(here).args(["completions", shell]));
        assert!(script.len() > 500, "{shell}: {script}");
        for subcommand in [
            "generate",
            "validate",
            "check",
            "diff",
            "schema",
            "init",
            "completions",
        ] {
            assert!(script.contains(subcommand), "{shell} lacks {subcommand}");
        }
    }
    let output = tenet(here).args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// The subcommands `tenet --help` lists.
fn subcommands() -> Vec<String> {
    let help = stdout_of(tenet(Path::new(".")).arg("--help"));
    help.split("Commands:\n")
        .nth(1)
        .expect("a Commands section")
        .lines()
        .take_while(|line| line.starts_with("  "))
        // Wrapped descriptions continue on lines indented further.
        .filter(|line| !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_help_shows_an_example_and_the_exit_codes() {
    let here = Path::new(".");
    let top = stdout_of(tenet(here).arg("--help"));
    assert!(top.contains("Examples:\n  tenet "), "{top}");
    assert!(top.contains("Exit codes: 0"), "{top}");
    let subcommands = subcommands();
    assert!(subcommands.len() >= 5, "{subcommands:?}");
    for subcommand in subcommands {
        let help = stdout_of(tenet(here).args([&subcommand, "--help"]));
        assert!(
            help.contains(&format!("Example:\n  tenet {subcommand}"))
                || help.contains(&format!("Examples:\n  tenet {subcommand}")),
            "`tenet {subcommand} --help` shows no example:\n{help}"
        );
        assert!(
            help.contains("Exit codes: 0"),
            "`tenet {subcommand} --help` does not document its exit codes:\n{help}"
        );
    }
}

fn parse_yaml(path: &str, text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).unwrap_or_else(|err| panic!("{path} is not YAML: {err}"))
}

#[test]
fn the_scaffolded_workflow_and_makefile_call_tenet_as_documented() {
    let files = tenet::scaffold::files();
    let workflow = parse_yaml(
        tenet::scaffold::WORKFLOW_PATH,
        &files[tenet::scaffold::WORKFLOW_PATH],
    );
    let steps = workflow["jobs"]["tenet"]["steps"]
        .as_array()
        .expect("steps");
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(runs.iter().any(|r| r.trim() == "tenet check"), "{runs:?}");
    assert!(
        runs.iter()
            .any(|r| r.contains("tenet diff --base \"origin/$BASE_REF\" --format markdown")),
        "{runs:?}"
    );
    let makefile = &files["Makefile"];
    for target in ["generate:", "check:", "diff:"] {
        assert!(makefile.lines().any(|l| l.starts_with(target)), "{target}");
    }
    assert!(makefile.contains("TENET ?= tenet\n"));
}

#[test]
fn pre_commit_hooks_are_well_formed() {
    let text = fs::read_to_string(".pre-commit-hooks.yaml").expect(".pre-commit-hooks.yaml");
    let hooks = parse_yaml(".pre-commit-hooks.yaml", &text);
    let hooks = hooks.as_array().expect("a list of hooks");
    let known = subcommands();
    let mut ids = Vec::new();
    for hook in hooks {
        let id = hook["id"].as_str().expect("id");
        ids.push(id.to_string());
        for key in ["name", "entry", "language", "files"] {
            assert!(hook[key].is_string(), "{id}: {key}");
        }
        assert!(
            ["system", "rust"].contains(&hook["language"].as_str().unwrap()),
            "{id}"
        );
        // tenet reads whole directories; a list of file names would be taken as arguments.
        assert_eq!(
            hook["pass_filenames"],
            serde_json::Value::Bool(false),
            "{id}"
        );
        let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
        assert_eq!(entry[0], "tenet", "{id}");
        assert!(
            known.contains(&entry[1].to_string()),
            "{id}: unknown subcommand {}",
            entry[1]
        );
    }
    assert!(ids.contains(&"tenet-check".to_string()), "{ids:?}");
}
