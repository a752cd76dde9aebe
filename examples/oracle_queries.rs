//! Randomised agreement check between tenet's RBAC evaluator and `rbac-oracle` (the real
//! kube-apiserver 1.20.2 authorizer). Driven by `scripts/oracle-check.sh`.
//!
//!   oracle_queries generate DIR CASES QUERIES SEED [--bootstrap]
//!       writes DIR/NNNN/{rbac.yaml,queries.txt,groups} with random manifests and queries
//!   oracle_queries extras FILE
//!       writes what `rbac-oracle -bootstrap` lacks compared with a real 1.20.2 API server: the
//!       controller roles/bindings and the aggregated ClusterRoles with their rules filled in
//!   oracle_queries answer DIR [--builtin]
//!       writes DIR/NNNN/tenet.txt, one `yes|no<TAB>query` line per query, like the oracle
//!   oracle_queries bench QUERIES
//!       times QUERIES random queries against one evaluator of several hundred objects
//!   oracle_queries explain CASE_DIR QUERY_LINE [--builtin]
//!       prints which binding, role and rule grant the query, for investigating disagreements

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};
use tenet::rbac::{EvaluatorBuilder, ObjectOrigin, parse_batch, split_yaml_documents};

/// SplitMix64: tiny, deterministic, good enough for test data.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn some<'a>(&mut self, items: &[&'a str], max: usize) -> Vec<&'a str> {
        let count = 1 + self.below(max);
        (0..count).map(|_| self.pick(items)).collect()
    }
}

const NAMESPACES: &[&str] = &["ns-a", "ns-b", "kube-system", "kube-public"];
const USERS: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "system:serviceaccount:ns-a:sa1",
    "system:serviceaccount:ns-b:sa1",
    "system:serviceaccount:ns-a:default",
    "system:serviceaccount:kube-system:deployment-controller",
    "system:serviceaccount:kube-system:bootstrap-signer",
    "system:kube-scheduler",
    "system:kube-controller-manager",
    "system:kube-proxy",
    "system:node:n1",
    "system:anonymous",
];
const GROUPS: &[&str] = &[
    "dev",
    "ops",
    "system:serviceaccounts",
    "system:serviceaccounts:ns-a",
    "system:authenticated",
    "system:unauthenticated",
    "system:masters",
    "system:nodes",
    "system:bootstrappers",
];
const EXTRA_GROUPS: &[&str] = &[
    "",
    "",
    "dev",
    "ops,dev",
    "system:masters",
    "system:nodes",
    "system:bootstrappers",
];
const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "escalate",
    "bind",
    "impersonate",
    "use",
    "approve",
    "proxy",
];
const RULE_VERBS: &[&str] = &[
    "get", "list", "create", "update", "delete", "bind", "*", "watch", "patch",
];
const API_GROUPS: &[&str] = &[
    "",
    "",
    "apps",
    "batch",
    "rbac.authorization.k8s.io",
    "example.com",
    "policy",
];
const RULE_API_GROUPS: &[&str] = &[
    "",
    "",
    "apps",
    "batch",
    "rbac.authorization.k8s.io",
    "*",
    "example.com",
];
const RESOURCES: &[&str] = &[
    "pods",
    "pods/log",
    "pods/exec",
    "pods/status",
    "deployments",
    "deployments/scale",
    "secrets",
    "configmaps",
    "nodes",
    "nodes/proxy",
    "roles",
    "clusterroles",
    "widgets",
    "widgets/scale",
    "pods/*",
    "jobs",
    "namespaces",
    "serviceaccounts/token",
    "podsecuritypolicies",
    "events",
];
const RULE_RESOURCES: &[&str] = &[
    "pods",
    "pods/log",
    "pods/exec",
    "deployments",
    "deployments/scale",
    "*/scale",
    "*",
    "secrets",
    "configmaps",
    "nodes",
    "nodes/proxy",
    "roles",
    "clusterroles",
    "pods/*",
    "*/status",
    "widgets",
    "jobs",
    "*/*",
];
const NAMES: &[&str] = &["a", "b", "web", "db"];
const RULE_URLS: &[&str] = &[
    "/healthz",
    "/healthz/*",
    "/metrics",
    "/api*",
    "*",
    "/version/",
    "/logs*",
    "/apis/*",
];
const PATHS: &[&str] = &[
    "/healthz",
    "/healthz/ready",
    "/metrics",
    "/apis/apps",
    "/api",
    "/api/v1",
    "/version",
    "/version/",
    "/",
    "/logs/x",
    "/livez",
    "/apis",
];
const BUILTIN_CLUSTER_ROLES: &[&str] = &[
    "view",
    "edit",
    "admin",
    "cluster-admin",
    "system:basic-user",
    "system:node",
    "system:auth-delegator",
    "system:aggregate-to-edit",
];

fn rules(random: &mut Random) -> Vec<Value> {
    let count = random.below(4);
    (0..count)
        .map(|_| {
            let mut rule = serde_json::Map::new();
            rule.insert("verbs".into(), json!(random.some(RULE_VERBS, 3)));
            if random.chance(15) {
                rule.insert("nonResourceURLs".into(), json!(random.some(RULE_URLS, 2)));
            } else {
                rule.insert("apiGroups".into(), json!(random.some(RULE_API_GROUPS, 2)));
                rule.insert("resources".into(), json!(random.some(RULE_RESOURCES, 3)));
                if random.chance(25) {
                    let mut names = random.some(NAMES, 2);
                    if random.chance(10) {
                        names.push("");
                    }
                    rule.insert("resourceNames".into(), json!(names));
                }
                if random.chance(5) {
                    // Rules may carry both kinds of targets.
                    rule.insert("nonResourceURLs".into(), json!(random.some(RULE_URLS, 2)));
                }
            }
            Value::Object(rule)
        })
        .collect()
}

fn subjects(random: &mut Random) -> Vec<Value> {
    let count = 1 + random.below(3);
    (0..count)
        .map(|_| match random.below(10) {
            0..=3 => json!({"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": random.pick(USERS)}),
            4..=6 => json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": random.pick(GROUPS)}),
            7 | 8 => {
                let name = random.pick(&["sa1", "default", "deployment-controller"]);
                if random.chance(40) {
                    json!({"kind": "ServiceAccount", "name": name})
                } else {
                    json!({"kind": "ServiceAccount", "name": name, "namespace": random.pick(NAMESPACES)})
                }
            }
            _ => json!({"kind": "Robot", "name": random.pick(USERS)}),
        })
        .collect()
}

fn role_ref(
    random: &mut Random,
    bootstrap: bool,
    cluster_role_count: usize,
    role_names: &[String],
    prefix: &str,
) -> Value {
    let (kind, name) = if !role_names.is_empty() && random.chance(30) {
        ("Role", role_names[random.below(role_names.len())].clone())
    } else if bootstrap && random.chance(30) {
        ("ClusterRole", random.pick(BUILTIN_CLUSTER_ROLES).to_owned())
    } else if random.chance(8) {
        ("ClusterRole", "missing".to_owned())
    } else {
        (
            "ClusterRole",
            format!("{prefix}gen-c{}", random.below(cluster_role_count.max(1))),
        )
    };
    json!({"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name})
}

fn manifests(random: &mut Random, bootstrap: bool, prefix: &str) -> String {
    let mut documents = Vec::new();
    let cluster_role_count = 2 + random.below(5);
    for index in 0..cluster_role_count {
        documents.push(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": format!("{prefix}gen-c{index}")}, "rules": rules(random)}),
        );
    }
    let mut roles_per_namespace = Vec::new();
    for namespace in NAMESPACES {
        let names: Vec<String> = (0..random.below(3))
            .map(|index| format!("{prefix}gen-r{index}"))
            .collect();
        for name in &names {
            documents.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": name, "namespace": namespace}, "rules": rules(random)}),
            );
        }
        roles_per_namespace.push(names);
    }
    for index in 0..(1 + random.below(4)) {
        let mut reference = role_ref(random, bootstrap, cluster_role_count, &[], prefix);
        if random.chance(5) {
            // A ClusterRoleBinding cannot use a Role; it grants nothing.
            reference["kind"] = json!("Role");
        }
        documents.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("{prefix}gen-crb{index}")}, "roleRef": reference, "subjects": subjects(random)}));
    }
    for (namespace, role_names) in NAMESPACES.iter().zip(&roles_per_namespace) {
        for index in 0..random.below(4) {
            let mut reference = role_ref(random, bootstrap, cluster_role_count, role_names, prefix);
            if random.chance(5) {
                reference["kind"] = json!("Role");
                reference["name"] = json!("missing-role");
            }
            documents.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": format!("{prefix}gen-rb{index}"), "namespace": namespace},
                "roleRef": reference, "subjects": subjects(random)}),
            );
        }
    }
    let mut text = String::new();
    for document in documents {
        let _ = writeln!(text, "---\n{document}");
    }
    text
}

fn queries(random: &mut Random, count: usize) -> String {
    let mut text = String::new();
    for _ in 0..count {
        let user = random.pick(USERS);
        let verb = if random.chance(3) {
            "*"
        } else {
            random.pick(VERBS)
        };
        if random.chance(15) {
            let _ = writeln!(text, "{user} {verb} {}", random.pick(PATHS));
            continue;
        }
        let resource = random.pick(RESOURCES);
        let group = random.pick(API_GROUPS);
        let target = match (group, resource.split_once('/')) {
            ("", _) => resource.to_owned(),
            (group, Some((resource, sub))) => format!("{resource}.{group}/{sub}"),
            (group, None) => format!("{resource}.{group}"),
        };
        let namespace = if random.chance(25) {
            "-"
        } else {
            random.pick(NAMESPACES)
        };
        if random.chance(40) {
            let _ = writeln!(
                text,
                "{user} {verb} {target} {namespace} {}",
                random.pick(NAMES)
            );
        } else {
            let _ = writeln!(text, "{user} {verb} {target} {namespace}");
        }
    }
    text
}

fn generate(
    dir: &Path,
    cases: usize,
    query_count: usize,
    seed: u64,
    bootstrap: bool,
) -> Result<(), String> {
    let mut random = Random(seed);
    for case in 0..cases {
        let case_dir = dir.join(format!("{case:04}"));
        fs::create_dir_all(&case_dir).map_err(|e| e.to_string())?;
        fs::write(
            case_dir.join("rbac.yaml"),
            manifests(&mut random, bootstrap, ""),
        )
        .map_err(|e| e.to_string())?;
        fs::write(
            case_dir.join("queries.txt"),
            queries(&mut random, query_count),
        )
        .map_err(|e| e.to_string())?;
        fs::write(case_dir.join("groups"), random.pick(EXTRA_GROUPS)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn extras(file: &Path) -> Result<(), String> {
    let evaluator = EvaluatorBuilder::new().build();
    let mut text = String::new();
    for role in evaluator
        .roles()
        .iter()
        .filter(|role| role.aggregation_selectors.is_some())
    {
        let rules: Vec<Value> = role
            .rules
            .iter()
            .map(|rule| {
                json!({"verbs": rule.verbs, "apiGroups": rule.api_groups, "resources": rule.resources,
                    "resourceNames": rule.resource_names, "nonResourceURLs": rule.non_resource_urls})
            })
            .collect();
        let document = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": role.name}, "rules": rules});
        let _ = writeln!(text, "---\n{document}");
    }
    // A `---` after the JSON documents: the oracle decodes a document starting with `{` as
    // strict JSON, so the YAML files' leading comments must not share a document with one.
    text.push_str("---\n");
    text.push_str(include_str!("../src/rbac/builtin/controller-roles.yaml"));
    text.push_str(include_str!(
        "../src/rbac/builtin/controller-role-bindings.yaml"
    ));
    fs::write(file, text).map_err(|e| e.to_string())
}

fn answer(dir: &Path, include_builtin: bool) -> Result<(), String> {
    let mut case_dirs: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.join("queries.txt").exists())
        .collect();
    case_dirs.sort();
    let started = std::time::Instant::now();
    let mut total_queries = 0;
    for case_dir in case_dirs {
        let (evaluator, groups) = load_case(&case_dir, include_builtin)?;
        let query_text =
            fs::read_to_string(case_dir.join("queries.txt")).map_err(|e| e.to_string())?;
        let (queries, errors) = parse_batch(&query_text);
        if let Some(error) = errors.first() {
            return Err(format!("{}: {error}", case_dir.display()));
        }
        let lines: Vec<&str> = query_text.lines().collect();
        let mut output = String::new();
        for (line_number, query) in &queries {
            let answer = if evaluator
                .can_i(&query.user, &groups, &query.action)
                .allowed()
            {
                "yes"
            } else {
                "no"
            };
            let _ = writeln!(output, "{answer}\t{}", lines[line_number - 1]);
        }
        total_queries += queries.len();
        fs::write(case_dir.join("tenet.txt"), output).map_err(|e| e.to_string())?;
    }
    eprintln!(
        "tenet answered {total_queries} queries (incl. building evaluators) in {:?}",
        started.elapsed()
    );
    Ok(())
}

fn load_case(
    case_dir: &Path,
    include_builtin: bool,
) -> Result<(tenet::rbac::Evaluator, Vec<String>), String> {
    let read =
        |name: &str| fs::read_to_string(case_dir.join(name)).map_err(|e| format!("{name}: {e}"));
    let mut builder = EvaluatorBuilder::new().include_builtin(include_builtin);
    let origin = ObjectOrigin::file("rbac.yaml");
    for document in split_yaml_documents(&read("rbac.yaml")?).map_err(|e| e.to_string())? {
        builder
            .add_object(&document, &origin)
            .map_err(|e| e.to_string())?;
    }
    let groups = read("groups")?
        .split(',')
        .filter(|group| !group.is_empty())
        .map(str::to_owned)
        .collect();
    Ok((builder.build(), groups))
}

fn explain(case_dir: &Path, line: &str, include_builtin: bool) -> Result<(), String> {
    let (evaluator, groups) = load_case(case_dir, include_builtin)?;
    let query = tenet::rbac::parse_query(line).map_err(|e| e.to_string())?;
    match evaluator.can_i(&query.user, &groups, &query.action).grant {
        None => println!("no"),
        Some(grant) => println!(
            "yes: {} ({}) subject {} -> {} ({}) rule {:?}",
            grant.binding.reference(),
            grant.binding.origin,
            grant.subject,
            grant.role.reference(),
            grant.role.origin,
            grant.rule
        ),
    }
    Ok(())
}

/// Times a batch of QUERIES over one evaluator built from many random manifests (plus built-ins).
fn bench(query_count: usize) -> Result<(), String> {
    let mut random = Random(42);
    let mut text = String::new();
    for index in 0..40 {
        text.push_str(&manifests(&mut random, true, &format!("p{index}-")));
    }
    let started = std::time::Instant::now();
    let mut builder = EvaluatorBuilder::new();
    for document in split_yaml_documents(&text).map_err(|e| e.to_string())? {
        builder
            .add_object(&document, &ObjectOrigin::file("bench.yaml"))
            .map_err(|e| e.to_string())?;
    }
    let evaluator = builder.build();
    let loaded = started.elapsed();
    let (queries, errors) = parse_batch(&queries(&mut random, query_count));
    if !errors.is_empty() {
        return Err(format!("{errors:?}"));
    }
    let started = std::time::Instant::now();
    let allowed = queries
        .iter()
        .filter(|(_, query)| evaluator.can_i(&query.user, &[], &query.action).allowed())
        .count();
    let elapsed = started.elapsed();
    println!(
        "{} RBAC objects (incl. built-ins) parsed and indexed in {loaded:?}; {} queries ({allowed} allowed) answered in {elapsed:?}",
        evaluator.roles().len() + evaluator.bindings().len(),
        queries.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let argument = |index: usize| args.get(index).map(String::as_str).unwrap_or_default();
    let flag = |name: &str| args.iter().any(|arg| arg == name);
    let number = |index: usize| {
        argument(index)
            .parse::<u64>()
            .map_err(|e| format!("argument {index}: {e}"))
    };
    let result = match argument(0) {
        "generate" => (|| {
            generate(Path::new(argument(1)), number(2)? as usize, number(3)? as usize, number(4)?, flag("--bootstrap"))
        })(),
        "extras" => extras(Path::new(argument(1))),
        "answer" => answer(Path::new(argument(1)), flag("--builtin")),
        "bench" => number(1).and_then(|count| bench(count as usize)),
        "explain" => explain(Path::new(argument(1)), argument(2), flag("--builtin")),
        _ => Err("usage: oracle_queries generate DIR CASES QUERIES SEED [--bootstrap] | extras FILE | answer DIR [--builtin]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("oracle_queries: {error}");
            ExitCode::FAILURE
        }
    }
}
