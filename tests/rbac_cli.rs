//! `can-i`, `who-can`, `access`, `audit` and `net-matrix` on the committed example output.

mod common;

use assert_cmd::Command;

fn tenet() -> Command {
    let mut cmd = Command::cargo_bin("tenet").expect("binary builds");
    cmd.env("NO_COLOR", "1");
    cmd
}

fn stdout(cmd: &mut Command) -> (Option<i32>, String) {
    let output = cmd.output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn can_i_answers_yes_and_no_with_kubectl_exit_codes() {
    let (code, out) = stdout(tenet().args([
        "can-i",
        "delete",
        "pods",
        "--as",
        "alice@acme.example",
        "-n",
        "acme-prod",
    ]));
    assert_eq!((code, out.as_str()), (Some(0), "yes\n"));
    let (code, out) = stdout(tenet().args([
        "can-i",
        "delete",
        "pods",
        "--as",
        "alice@acme.example",
        "-n",
        "globex-web",
    ]));
    assert_eq!((code, out.as_str()), (Some(1), "no\n"));
    let (code, out) =
        stdout(tenet().args(["can-i", "get", "/healthz", "--as", "alice@acme.example"]));
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "yes\n"),
        "system:public-info-viewer allows /healthz"
    );
    let (code, _) = stdout(tenet().args([
        "can-i",
        "get",
        "/healthz",
        "--as",
        "alice@acme.example",
        "--no-builtin",
    ]));
    assert_eq!(code, Some(1));
}

#[test]
fn can_i_adds_the_groups_of_known_users_and_as_group() {
    // bob is in group acme-ops, which has view in acme-prod; an unknown user is not.
    let (code, _) = stdout(tenet().args([
        "can-i",
        "list",
        "pods",
        "--as",
        "stranger",
        "-n",
        "acme-prod",
    ]));
    assert_eq!(code, Some(1));
    let (code, _) = stdout(tenet().args([
        "can-i",
        "list",
        "pods",
        "--as",
        "stranger",
        "--as-group",
        "acme-ops",
        "-n",
        "acme-prod",
    ]));
    assert_eq!(code, Some(0));
    let (code, out) = stdout(tenet().args([
        "can-i",
        "list",
        "pods",
        "--as",
        "erin@globex.example",
        "-n",
        "acme-prod",
        "--explain",
    ]));
    assert_eq!(code, Some(1), "{out}");
}

#[test]
fn explain_names_binding_role_and_files() {
    let (code, out) = stdout(tenet().args([
        "can-i",
        "get",
        "configmaps",
        "--as",
        "bob@acme.example",
        "-n",
        "acme-staging",
        "--explain",
    ]));
    assert_eq!(code, Some(1), "bob has no access to acme-staging: {out}");
    let (code, out) = stdout(tenet().args([
        "can-i",
        "get",
        "networks.networking.tenet.dev",
        "acme-net",
        "--as",
        "bob@acme.example",
        "--explain",
    ]));
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(out, @r"
    yes
      allowed by ClusterRoleBinding/bob-tenant-access -> ClusterRole/bob-tenant-access
      binding: out/cluster/clusterrolebinding/bob-tenant-access.yaml (from tenants/acme/users.yaml)
      role:    out/cluster/clusterrole/bob-tenant-access.yaml (from tenants/acme/users.yaml)
      subject: bob@acme.example
    ");
}

#[test]
fn batch_answers_in_order_like_single_queries() {
    let users = [
        "alice@acme.example",
        "bob@acme.example",
        "carol",
        "dave@globex.example",
        "system:serviceaccount:acme-staging:deployer",
        "nobody",
    ];
    let requests = [
        "get pods acme-prod",
        "delete pods globex-web",
        "create deployments.apps acme-prod",
        "get secrets -",
        "delete namespaces acme-prod acme-prod",
        "get networks.networking.tenet.dev - acme-net",
        "create pods/exec acme-staging",
    ];
    let mut lines = Vec::new();
    for _ in 0..200 {
        for user in users {
            for request in requests {
                lines.push(format!("{user} {request}"));
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("queries.txt");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let (code, out) = stdout(tenet().args(["can-i", "--batch"]).arg(&file));
    assert_eq!(code, Some(0));
    let answers: Vec<&str> = out.lines().collect();
    assert_eq!(answers.len(), lines.len());
    // The first round, asked one by one, gives the same answers.
    for (index, line) in lines.iter().take(users.len() * requests.len()).enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let mut cmd = tenet();
        cmd.args(["can-i", fields[1], fields[2], "--as", fields[0]]);
        if fields[3] != "-" {
            cmd.args(["-n", fields[3]]);
        }
        if let Some(name) = fields.get(4) {
            cmd.arg(name);
        }
        let (_, single) = stdout(&mut cmd);
        assert_eq!(single.trim(), answers[index], "{line}");
    }
}

#[test]
fn batch_errors_name_line_and_column() {
    let output = tenet()
        .args(["can-i", "--batch", "-"])
        .write_stdin("alice get pods acme-prod\nbob get\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("error: -:2:"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn who_can_lists_subjects_with_bindings() {
    let (code, out) = stdout(tenet().args([
        "who-can",
        "delete",
        "namespaces",
        "acme-prod",
        "--no-builtin",
    ]));
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(out);
}

#[test]
fn access_is_a_table_per_namespace() {
    let (code, out) = stdout(tenet().args(["access", "serviceaccount:acme-staging:deployer"]));
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(out);
}

#[test]
fn audit_passes_on_the_example_and_prints_json() {
    let (code, out) = stdout(tenet().args(["audit", "--format", "json"]));
    assert_eq!(code, Some(0), "{out}");
    let document: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(document["version"], 1);
    assert_eq!(document["passed"], true);
}

#[test]
fn net_matrix_of_the_example() {
    let (code, out) = stdout(tenet().args(["net-matrix"]));
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(out);
}

/// `audit --manifests` audits files as written, hand-written ones too: a hand-written
/// ClusterRoleBinding that gives a tenant's user `edit` everywhere adds that finding. (Without
/// the input's ownership and settings, the example itself has findings there already.)
#[test]
fn audit_of_a_manifest_directory_counts_hand_written_files() {
    let (_, before) = stdout(tenet().args(["audit", "--manifests", "out"]));
    assert!(!before.contains("alice-everywhere"), "{before}");

    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("out");
    common::copy_dir(std::path::Path::new("out"), &copy);
    std::fs::write(
        copy.join("extra.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: alice-everywhere\n  labels: {tenet.dev/tenant: acme}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\nsubjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice@acme.example}\n",
    )
    .unwrap();
    let (code, out) = stdout(tenet().args(["audit", "--manifests"]).arg(&copy));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("violation [cross-tenant] alice@acme.example"),
        "{out}"
    );
    assert!(out.contains("extra.yaml"), "{out}");
}
