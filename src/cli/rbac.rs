//! `can-i`, `who-can`, `access`, `audit` and `net-matrix`: questions answered offline from
//! manifests (the output directory by default).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use tenet::audit::{AuditPart, TenancyFacts, audit_parts, render_json, render_report, today_utc};
use tenet::load::read_output_tree;
use tenet::load::{load_sources, read_text_argument};
use tenet::manifests::{ManifestObject, parse_tree_keeping};
use tenet::netpolicy::{NetworkView, render_matrix};
use tenet::pipeline::validate_sources;
use tenet::plan::Digest;
use tenet::rbac::{
    Action, Evaluator, EvaluatorBuilder, ResourceAction, Subject, parse_batch, parse_query,
    render_access, render_who_can,
};

use super::{EXIT_CHANGES, EXIT_ERROR, EXIT_OK, InputArgs, Inputs, Printer};

/// Where the manifests come from.
#[derive(Debug, Args, Clone)]
pub struct ManifestArgs {
    /// Evaluate the manifests in this directory instead of the output directory
    #[arg(long, value_name = "DIR")]
    manifests: Option<PathBuf>,
    /// The output directory, read when --manifests is not given
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    /// The tenants directory, for the groups of the users it declares
    #[arg(long, value_name = "DIR", default_value = "tenants")]
    tenants: PathBuf,
    /// Leave out Kubernetes' built-in roles and bindings (Kubernetes 1.20.2 defaults)
    #[arg(long)]
    no_builtin: bool,
}

impl ManifestArgs {
    fn directory(&self) -> &Path {
        self.manifests.as_deref().unwrap_or(&self.out)
    }

    /// Reads and parses the manifests; problems go to stderr.
    fn objects(&self) -> Result<Vec<ManifestObject>, u8> {
        self.objects_keeping(Some)
    }

    /// [`Self::objects`], keeping of each object only what `keep` takes out of it as its file
    /// is parsed.
    fn objects_keeping<T: Send>(
        &self,
        keep: impl Fn(ManifestObject) -> Option<T> + Sync,
    ) -> Result<Vec<T>, u8> {
        let dir = self.directory();
        if !dir.is_dir() {
            eprintln!("error: {}: no such directory", dir.display());
            eprintln!("  help: run `tenet generate` first, or pass --manifests DIR");
            return Err(EXIT_ERROR);
        }
        let files = read_output_tree(dir).map_err(|err| {
            eprintln!("error: cannot read {}: {err}", dir.display());
            EXIT_ERROR
        })?;
        let prefix = format!("{}/", dir.display());
        let (objects, problems) = parse_tree_keeping(&files, &prefix, keep);
        for problem in &problems {
            eprintln!("warning: {problem}; skipped");
        }
        Ok(objects)
    }

    fn evaluator(&self, objects: &[ManifestObject]) -> Evaluator {
        let mut builder = EvaluatorBuilder::new().include_builtin(!self.no_builtin);
        for object in objects {
            if let Err(error) = builder.add_object(&object.value, &object.origin) {
                eprintln!("warning: {error}");
            }
        }
        builder.build()
    }

    /// Username → groups, from the tenants directory when it is there and valid.
    fn user_groups(&self) -> BTreeMap<String, Vec<String>> {
        if !self.tenants.is_dir() {
            return BTreeMap::new();
        }
        let (sources, load) = load_sources(&self.tenants);
        match validate_sources(&sources) {
            Ok((model, _)) if !load.has_errors() => model
                .users
                .values()
                .map(|u| (u.username.clone(), u.groups.clone()))
                .collect(),
            _ => {
                eprintln!(
                    "warning: {} is not valid input, so users' groups from it are not added (run `tenet validate`)",
                    self.tenants.display()
                );
                BTreeMap::new()
            }
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct CanIArgs {
    /// The verb, e.g. get, list, create, delete, impersonate
    #[arg(required_unless_present = "batch")]
    verb: Option<String>,
    /// RESOURCE[.GROUP][/SUBRESOURCE], e.g. pods, deployments.apps, pods/exec; or a /path
    #[arg(required_unless_present = "batch")]
    resource: Option<String>,
    /// The object's name
    name: Option<String>,
    /// The user to ask for
    #[arg(long = "as", value_name = "USER", required_unless_present = "batch")]
    user: Option<String>,
    /// Extra groups of the user (repeatable)
    #[arg(long = "as-group", value_name = "GROUP")]
    groups: Vec<String>,
    /// The namespace (cluster scope when left out)
    #[arg(short, long, value_name = "NAMESPACE")]
    namespace: Option<String>,
    /// Name the binding and role that allow the request, and their files
    #[arg(long)]
    explain: bool,
    /// Answer one query per line of FILE (`-` for standard input):
    /// `USER VERB RESOURCE[.GROUP][/SUBRESOURCE] NAMESPACE|- [NAME]` or `USER VERB /path`
    #[arg(long, value_name = "FILE", conflicts_with_all = ["verb", "user", "explain"])]
    batch: Option<PathBuf>,
    #[command(flatten)]
    manifests: ManifestArgs,
}

/// The namespace field of a query line: the namespace the request carries, `-` for none.
fn request_namespace<'a>(
    resource: &str,
    name: Option<&'a str>,
    namespace: Option<&'a str>,
) -> &'a str {
    ResourceAction::namespace_carried(resource, name, namespace).unwrap_or("-")
}

fn groups_for(user: &str, known: &BTreeMap<String, Vec<String>>, extra: &[String]) -> Vec<String> {
    let mut groups: Vec<String> = known.get(user).cloned().unwrap_or_default();
    groups.extend(extra.iter().cloned());
    groups
}

pub fn can_i(args: &CanIArgs) -> u8 {
    let Ok(objects) = args.manifests.objects() else {
        return EXIT_ERROR;
    };
    let evaluator = args.manifests.evaluator(&objects);
    let known = args.manifests.user_groups();
    if let Some(batch) = &args.batch {
        return can_i_batch(&evaluator, batch, &known, &args.groups);
    }
    let (Some(verb), Some(resource), Some(user)) = (&args.verb, &args.resource, &args.user) else {
        return EXIT_ERROR;
    };
    let line = if resource.starts_with('/') {
        format!("{user} {verb} {resource}")
    } else {
        let namespace =
            request_namespace(resource, args.name.as_deref(), args.namespace.as_deref());
        format!(
            "{user} {verb} {resource} {namespace} {}",
            args.name.as_deref().unwrap_or("")
        )
    };
    let query = match parse_query(line.trim_end()) {
        Ok(query) => query,
        Err(err) => {
            eprintln!("error: cannot read the request: {}", err.problem);
            eprintln!(
                "  help: tenet can-i VERB RESOURCE[.GROUP][/SUBRESOURCE] [NAME] --as USER [-n NAMESPACE], or VERB /path"
            );
            return EXIT_ERROR;
        }
    };
    let groups = groups_for(user, &known, &args.groups);
    let decision = evaluator.can_i(user, &groups, &query.action);
    match decision.grant {
        Some(grant) => {
            println!("yes");
            if args.explain {
                println!(
                    "  allowed by {} -> {}",
                    grant.binding.reference(),
                    grant.role.reference()
                );
                println!("  binding: {}", grant.binding.origin);
                println!("  role:    {}", grant.role.origin);
                println!("  subject: {}", grant.subject);
            }
            EXIT_OK
        }
        None => {
            println!("no");
            if args.explain {
                println!(
                    "  no binding for {user} (groups: {}) grants it",
                    groups.join(", ")
                );
            }
            EXIT_CHANGES
        }
    }
}

fn can_i_batch(
    evaluator: &Evaluator,
    batch: &Path,
    known: &BTreeMap<String, Vec<String>>,
    extra: &[String],
) -> u8 {
    let text = match read_text_argument(batch) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("error: cannot read {}: {err}", batch.display());
            return EXIT_ERROR;
        }
    };
    let (queries, errors) = parse_batch(&text);
    if !errors.is_empty() {
        for error in &errors {
            eprintln!(
                "error: {}:{}:{}: {}",
                batch.display(),
                error.line,
                error.error.column,
                error.error.problem
            );
        }
        eprintln!(
            "  help: each line is `USER VERB RESOURCE[.GROUP][/SUBRESOURCE] NAMESPACE|- [NAME]` or `USER VERB /path`"
        );
        return EXIT_ERROR;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut groups_cache: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (_, query) in &queries {
        let groups = groups_cache
            .entry(query.user.as_str())
            .or_insert_with(|| groups_for(&query.user, known, extra));
        let answer = if evaluator
            .can_i(&query.user, groups, &query.action)
            .allowed()
        {
            "yes\n"
        } else {
            "no\n"
        };
        if out.write_all(answer.as_bytes()).is_err() {
            return EXIT_ERROR;
        }
    }
    if out.flush().is_err() {
        return EXIT_ERROR;
    }
    EXIT_OK
}

#[derive(Debug, Args, Clone)]
pub struct WhoCanArgs {
    verb: String,
    /// RESOURCE[.GROUP][/SUBRESOURCE], or a /path
    resource: String,
    name: Option<String>,
    #[arg(short, long, value_name = "NAMESPACE")]
    namespace: Option<String>,
    #[command(flatten)]
    manifests: ManifestArgs,
}

pub fn who_can(args: &WhoCanArgs) -> u8 {
    let Ok(objects) = args.manifests.objects() else {
        return EXIT_ERROR;
    };
    let evaluator = args.manifests.evaluator(&objects);
    let line = if args.resource.starts_with('/') {
        format!("anyone {} {}", args.verb, args.resource)
    } else {
        format!(
            "anyone {} {} {} {}",
            args.verb,
            args.resource,
            request_namespace(
                &args.resource,
                args.name.as_deref(),
                args.namespace.as_deref()
            ),
            args.name.as_deref().unwrap_or("")
        )
    };
    let action: Action = match parse_query(line.trim_end()) {
        Ok(query) => query.action,
        Err(err) => {
            eprintln!("error: cannot read the request: {}", err.problem);
            return EXIT_ERROR;
        }
    };
    print!("{}", render_who_can(&action, &evaluator.who_can(&action)));
    EXIT_OK
}

#[derive(Debug, Args, Clone)]
pub struct AccessArgs {
    /// A username, `group:NAME`, `serviceaccount:NAMESPACE:NAME` or `system:serviceaccount:NAMESPACE:NAME`
    subject: String,
    #[command(flatten)]
    manifests: ManifestArgs,
}

fn parse_subject(text: &str) -> Result<Subject, String> {
    if let Some(group) = text.strip_prefix("group:") {
        return Ok(Subject::Group(group.to_string()));
    }
    let account = text
        .strip_prefix("system:serviceaccount:")
        .or_else(|| text.strip_prefix("serviceaccount:"));
    if let Some(account) = account {
        return match account.split_once(':') {
            Some((namespace, name)) if !namespace.is_empty() && !name.is_empty() => {
                Ok(Subject::ServiceAccount {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                })
            }
            _ => Err(format!("`{text}` is not `serviceaccount:NAMESPACE:NAME`")),
        };
    }
    let user = text.strip_prefix("user:").unwrap_or(text);
    if user.is_empty() {
        return Err("the subject is empty".to_string());
    }
    Ok(Subject::User(user.to_string()))
}

pub fn access(args: &AccessArgs) -> u8 {
    let subject = match parse_subject(&args.subject) {
        Ok(subject) => subject,
        Err(problem) => {
            eprintln!("error: {problem}");
            eprintln!("  help: name a user, `group:NAME` or `serviceaccount:NAMESPACE:NAME`");
            return EXIT_ERROR;
        }
    };
    let Ok(objects) = args.manifests.objects() else {
        return EXIT_ERROR;
    };
    let evaluator = args.manifests.evaluator(&objects);
    let groups = match &subject {
        Subject::User(name) => args
            .manifests
            .user_groups()
            .remove(name)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    print!(
        "{}",
        render_access(&evaluator.access_with_groups(&subject, &groups))
    );
    EXIT_OK
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Text,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct AuditArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Audit the manifests in this directory instead of what tenants/ compiles to
    #[arg(long, value_name = "DIR")]
    manifests: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    format: AuditFormat,
}

pub fn audit_command(args: &AuditArgs, printer: &Printer) -> u8 {
    let today = today_utc();
    let (parts, facts) = match &args.manifests {
        Some(dir) => {
            let manifests = ManifestArgs {
                manifests: Some(dir.clone()),
                out: dir.clone(),
                tenants: args.input.tenants.tenants.clone(),
                no_builtin: false,
            };
            let Ok(parts) =
                manifests.objects_keeping(|object| AuditPart::of(&object.value, &object.origin))
            else {
                return EXIT_ERROR;
            };
            let facts = TenancyFacts {
                user_groups: manifests.user_groups(),
                today,
                ..TenancyFacts::default()
            };
            (parts, facts)
        }
        None => {
            let inputs = Inputs::load(&args.input.tenants.tenants, args.input.templates.as_deref());
            let mut compiled = match inputs.compile::<Digest>() {
                Ok(compiled) => compiled,
                Err(diagnostics) => {
                    printer.diagnostics(&diagnostics, &inputs);
                    return EXIT_ERROR;
                }
            };
            let parts = compiled
                .take_audit_parts(&super::out_prefix(&args.input.out))
                .collect();
            (parts, TenancyFacts::from_model(&compiled.model, &today))
        }
    };
    let report = audit_parts(parts, &facts);
    match args.format {
        AuditFormat::Text => print!("{}", render_report(&report)),
        AuditFormat::Json => print!("{}", render_json(&report)),
    }
    if report.passed() {
        EXIT_OK
    } else {
        EXIT_CHANGES
    }
}

#[derive(Debug, Args, Clone)]
pub struct NetMatrixArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
}

pub fn net_matrix(args: &NetMatrixArgs) -> u8 {
    let Ok(objects) = args.manifests.objects() else {
        return EXIT_ERROR;
    };
    let view = NetworkView::from_objects(objects.iter().map(|o| &o.value));
    print!("{}", render_matrix(&view));
    EXIT_OK
}
