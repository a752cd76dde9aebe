//! Writes a synthetic, valid `tenants/` tree of any size, for benchmarks and load tests.
//!
//! ```sh
//! cargo run --release --example synth -- --tenants 1000 --users-per-tenant 10 \
//!     --namespaces-per-tenant 10 --networks-per-tenant 1 --seed 1 --out /tmp/tenants
//! ```
//!
//! The tree uses every input field (see `schema/tenet.schema.json`) and is a pure function of
//! the arguments: the same seed gives the same bytes. Tests and benches include this file as a
//! module and call [`generate`] directly.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The size and seed of a synthetic tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthParams {
    pub tenants: usize,
    pub users_per_tenant: usize,
    pub namespaces_per_tenant: usize,
    pub networks_per_tenant: usize,
    pub seed: u64,
}

impl SynthParams {
    /// `tenants` tenants with 10 users, 10 namespaces and 1 network each: the shape of the
    /// benchmark sizes (100/1,000/1,000 up to 10,000/100,000/100,000).
    #[allow(dead_code)]
    pub fn bench_size(tenants: usize) -> SynthParams {
        SynthParams {
            tenants,
            users_per_tenant: 10,
            namespaces_per_tenant: 10,
            networks_per_tenant: 1,
            seed: 1,
        }
    }
}

/// SplitMix64: tiny, fast and good enough to vary a workload; no external crate needed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `1/n`.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: [&str; 12] = [
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
    "soylent",
    "wonka",
    "vandelay",
];
const FIRST: [&str; 10] = [
    "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
];
const LAST: [&str; 8] = [
    "Chen", "Okafor", "Novak", "Silva", "Kowalski", "Haddad", "Tanaka", "Müller",
];
const TEAMS: [&str; 5] = ["web", "api", "data", "ml", "batch"];
const ENVIRONMENTS: [&str; 3] = ["production", "staging", "development"];
/// Values a YAML 1.1 reader would misread, to keep the quoting path busy.
const TRICKY: [&str; 6] = ["no", "on", "007", "1e3", "~", "yes"];

/// The whole tree as relative path → file text, sorted.
pub fn generate(params: &SynthParams) -> BTreeMap<String, String> {
    let mut rng = SplitMix(params.seed);
    let mut files = BTreeMap::new();
    files.insert("settings.yaml".to_string(), settings());
    // Each network gets a distinct /26 of 10.0.0.0/8 (262,144 of them) and, for every third
    // network, a distinct /64 of fd00::/8: never overlapping.
    let mut next_subnet: u64 = 0;
    for t in 0..params.tenants {
        let tenant = format!("{}-{t}", WORDS[t % WORDS.len()]);
        let users: Vec<String> = (0..params.users_per_tenant)
            .map(|u| format!("{tenant}-u{u}"))
            .collect();
        let namespaces: Vec<String> = (0..params.namespaces_per_tenant)
            .map(|n| format!("{tenant}-ns{n}"))
            .collect();
        let networks: Vec<String> = (0..params.networks_per_tenant)
            .map(|w| format!("{tenant}-net{w}"))
            .collect();

        let mut text = String::new();
        write_tenant(&mut text, &mut rng, params, t, &tenant, &users);
        for network in &networks {
            write_network(&mut text, &mut rng, &tenant, network, next_subnet);
            next_subnet += 1;
        }
        if t % 100 == 1 {
            write_exception(&mut text, &tenant, namespaces.first());
        }
        files.insert(format!("{tenant}/tenant.yaml"), text);

        let mut text = String::new();
        for (u, user) in users.iter().enumerate() {
            write_user(&mut text, &mut rng, &tenant, user, u);
        }
        files.insert(format!("{tenant}/users.yaml"), text);

        let mut text = String::new();
        for (n, namespace) in namespaces.iter().enumerate() {
            write_namespace(
                &mut text,
                &mut rng,
                &tenant,
                namespace,
                n,
                &users,
                &namespaces,
                &networks,
            );
        }
        files.insert(format!("{tenant}/namespaces.yaml"), text);
    }
    files
}

fn header(text: &mut String, kind: &str, name: &str) {
    if !text.is_empty() {
        text.push_str("---\n");
    }
    let _ = write!(
        text,
        "apiVersion: tenet.dev/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}\n"
    );
}

fn settings() -> String {
    let mut text = String::from("# Cluster-wide settings of a synthetic tree.\n");
    header(&mut text, "Settings", "cluster");
    text.push_str(
        "spec:\n  appliers:\n    - serviceAccount: argocd/argocd-application-controller\n    - group: platform-admins\n    - user: flux@platform.example\n  allowedClusterRoles:\n    - monitoring-viewer\n",
    );
    text
}

/// Per-namespace quota; the tenant's ceiling is this times the namespace count.
const NS_CPU_MILLIS: usize = 2000;
const NS_MEMORY_GI: usize = 4;
const NS_PODS: usize = 50;

fn write_tenant(
    text: &mut String,
    rng: &mut SplitMix,
    params: &SynthParams,
    index: usize,
    tenant: &str,
    users: &[String],
) {
    header(text, "Tenant", tenant);
    let k = params.namespaces_per_tenant;
    let _ = writeln!(
        text,
        "spec:\n  displayName: \"{} Corp #{}\"",
        capitalize(tenant),
        rng.below(1000)
    );
    if !users.is_empty() {
        let _ = writeln!(text, "  admins: [{}]", users[0]);
    }
    if index % 5 == 1 {
        text.push_str("  bindDefaultServiceAccount: true\n");
    }
    let _ = writeln!(text, "  maxNamespaces: {}", k + rng.below(5));
    let _ = writeln!(
        text,
        "  quota:\n    requests.cpu: \"{}\"\n    requests.memory: {}Gi\n    pods: \"{}\"",
        k * NS_CPU_MILLIS / 1000 + 1,
        k * NS_MEMORY_GI + 1,
        k * NS_PODS + 1
    );
}

fn write_network(text: &mut String, rng: &mut SplitMix, tenant: &str, network: &str, index: u64) {
    header(text, "Network", network);
    let _ = writeln!(text, "spec:\n  tenant: {tenant}");
    if index % 7 == 6 {
        let _ = writeln!(text, "  providerNetworkID: \"neutron-{:016x}\"", rng.next());
    } else {
        let base = (10u32 << 24) | ((index as u32) << 6);
        let [a, b, c, d] = base.to_be_bytes();
        let _ = writeln!(
            text,
            "  subnets:\n    - cidr: {a}.{b}.{c}.{d}/26\n      gateway: {a}.{b}.{c}.{}",
            d + 1
        );
        if index.is_multiple_of(3) {
            let _ = writeln!(
                text,
                "    - cidr: fd00:{:x}:{:x}::/64\n      gateway: fd00:{:x}:{:x}::1",
                index >> 16,
                index & 0xffff,
                index >> 16,
                index & 0xffff
            );
        }
    }
    text.push_str("  allowFrom:\n    - namespace: ingress-nginx\n");
    if index.is_multiple_of(2) {
        text.push_str(
            "    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: monitoring\n",
        );
    }
    if index % 4 == 1 {
        text.push_str("    - namespaceSelector:\n        matchExpressions:\n          - key: example.com/role\n            operator: In\n            values: [ingress, gateway]\n");
    }
}

fn write_exception(text: &mut String, tenant: &str, namespace: Option<&String>) {
    let Some(namespace) = namespace else {
        return;
    };
    header(text, "Exception", &format!("{tenant}-ci-exec"));
    let _ = writeln!(
        text,
        "spec:\n  subject:\n    serviceAccount: {namespace}/deployer\n  invariant: risky-permission\n  permission: create on pods/exec in {namespace}\n  reason: \"CI runs smoke tests inside the pods it deploys\"\n  expires: \"2099-12-31\""
    );
}

fn write_user(text: &mut String, rng: &mut SplitMix, tenant: &str, user: &str, index: usize) {
    header(text, "User", user);
    let _ = writeln!(text, "spec:\n  tenant: {tenant}");
    if index % 4 != 3 {
        let _ = writeln!(text, "  username: \"{user}@{tenant}.example\"");
    }
    let _ = writeln!(
        text,
        "  displayName: \"{} {}\"",
        rng.pick(&FIRST),
        rng.pick(&LAST)
    );
    let mut groups = vec![format!("{tenant}-ops")];
    if rng.one_in(2) {
        groups.push(format!("{tenant}-{}", rng.pick(&TEAMS)));
    }
    groups.dedup();
    let _ = writeln!(text, "  groups: [{}]", groups.join(", "));
}

#[allow(clippy::too_many_arguments)]
fn write_namespace(
    text: &mut String,
    rng: &mut SplitMix,
    tenant: &str,
    namespace: &str,
    index: usize,
    users: &[String],
    namespaces: &[String],
    networks: &[String],
) {
    header(text, "Namespace", namespace);
    let _ = writeln!(
        text,
        "  labels:\n    team: {}\n    environment: {}\n    pod-security.kubernetes.io/enforce: restricted",
        rng.pick(&TEAMS),
        rng.pick(&ENVIRONMENTS)
    );
    let _ = writeln!(
        text,
        "  annotations:\n    example.com/cost-center: \"{}\"\n    example.com/on-call: \"{}\"",
        1000 + rng.below(9000),
        rng.pick(&TRICKY)
    );
    let _ = writeln!(text, "spec:\n  tenant: {tenant}");
    if !users.is_empty() {
        let first = rng.below(users.len());
        let second = rng.below(users.len());
        if first == second {
            let _ = writeln!(text, "  owners: [{}]", users[first]);
        } else {
            let _ = writeln!(text, "  owners: [{}, {}]", users[first], users[second]);
        }
    }
    if !networks.is_empty() && !rng.one_in(5) {
        let _ = writeln!(text, "  network: {}", networks[rng.below(networks.len())]);
    }
    text.push_str("  serviceAccounts: [deployer, ci]\n  members:\n");
    let _ = writeln!(text, "    - group: {tenant}-ops\n      role: view");
    if !users.is_empty() {
        let member = &users[rng.below(users.len())];
        let _ = writeln!(text, "    - user: {member}\n      role: edit");
    }
    // A deployer of the tenant's first namespace may deploy everywhere in the tenant.
    let _ = writeln!(
        text,
        "    - serviceAccount: {}/deployer\n      role: edit",
        namespaces[0]
    );
    if index != 0 {
        let _ = writeln!(
            text,
            "    - serviceAccount: {namespace}/ci\n      role: admin"
        );
    }
    if rng.one_in(3) {
        let _ = writeln!(
            text,
            "    - group: {tenant}-sre\n      role: monitoring-viewer"
        );
    }
    let cpu = if rng.one_in(2) { "\"2\"" } else { "1500m" };
    let _ = writeln!(
        text,
        "  quota:\n    requests.cpu: {cpu}\n    limits.cpu: \"4\"\n    requests.memory: {}Mi\n    limits.memory: 8Gi\n    pods: \"{}\"\n    count/deployments.apps: \"10\"",
        NS_MEMORY_GI * 1024,
        NS_PODS
    );
    text.push_str("  limits:\n    default: {cpu: 500m, memory: 512Mi}\n    defaultRequest: {cpu: 100m, memory: 128Mi}\n    max: {cpu: \"2\", memory: 4Gi}\n    min: {cpu: 10m, memory: 16Mi}\n");
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Writes the tree below `out`, which must be missing or empty.
pub fn write_tree(files: &BTreeMap<String, String>, out: &std::path::Path) -> std::io::Result<()> {
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        return Err(std::io::Error::other(format!(
            "{} is not empty; synth writes only into a new or empty directory",
            out.display()
        )));
    }
    for (relative, text) in files {
        let path = out.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

const USAGE: &str = "usage: synth --tenants N --users-per-tenant U --namespaces-per-tenant K --networks-per-tenant W [--seed S] --out DIR";

fn parse_args(args: impl Iterator<Item = String>) -> Result<(SynthParams, PathBuf), String> {
    let mut params = SynthParams {
        tenants: 3,
        users_per_tenant: 3,
        namespaces_per_tenant: 3,
        networks_per_tenant: 1,
        seed: 1,
    };
    let mut out = None;
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag}: `{value}` is not a number"))
        };
        match flag.as_str() {
            "--tenants" => params.tenants = number()?,
            "--users-per-tenant" => params.users_per_tenant = number()?,
            "--namespaces-per-tenant" => params.namespaces_per_tenant = number()?,
            "--networks-per-tenant" => params.networks_per_tenant = number()?,
            "--seed" => params.seed = number()? as u64,
            "--out" => out = Some(PathBuf::from(&value)),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    if params.tenants * params.networks_per_tenant > 1 << 18 {
        return Err("at most 262,144 networks: each needs its own /26 of 10.0.0.0/8".into());
    }
    let out = out.ok_or_else(|| format!("--out is required\n{USAGE}"))?;
    Ok((params, out))
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    let (params, out) = match parse_args(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("synth: {message}");
            return std::process::ExitCode::from(2);
        }
    };
    let files = generate(&params);
    if let Err(err) = write_tree(&files, &out) {
        eprintln!("synth: {err}");
        return std::process::ExitCode::from(2);
    }
    let bytes: usize = files.values().map(String::len).sum();
    println!(
        "synth: wrote {} files ({bytes} bytes) to {}",
        files.len(),
        out.display()
    );
    std::process::ExitCode::SUCCESS
}
