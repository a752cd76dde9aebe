//! The command line: parses arguments, runs the library, prints, and maps outcomes to exit
//! codes (0 success, 1 changes or findings, 2 errors).

mod rbac;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

use tenet::audit::{
    AuditPart, AuditReport, TenancyFacts, audit_parts, audit_parts_then, evaluator_over,
    render_report, today_utc,
};
use tenet::diagnostic::Diagnostics;
use tenet::diff::{access_change_lines, diff_changes};
use tenet::diff_format::{
    FormatOptions, render_json, render_markdown, render_patch, render_summary, render_text,
};
use tenet::load::{
    GitError, Sources, compare_output_tree, executable_identity, load_output_tree_at_revision,
    load_sources, load_templates, load_untracked_files, output_is_empty, read_output_changes,
    read_output_record, verify_output_record,
};
use tenet::manifests::tree_evaluator;
use tenet::pipeline::{
    Compiled, RenderedBy, compile_as, compile_validated, render_texts, render_texts_from,
    validate_sources,
};
use tenet::plan::{Digest, FileContent, Plan, TreeChanges};
use tenet::rbac::Evaluator;
use tenet::record::{EntryKind, OutputRecord, RECORD_FILE, input_key};
use tenet::templates::TemplateSet;
use tenet::write::{
    OutputLock, WriteError, WriteReport, begin_fresh_output, create_files, lock_output, no_faults,
    try_lock_output,
};

use report::{Style, render_diagnostic};

const EXIT_OK: u8 = 0;
const EXIT_CHANGES: u8 = 1;
const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "tenet",
    version,
    about = "Compile a GitOps tenants/ directory into deterministic Kubernetes multi-tenancy manifests",
    after_help = "Examples:\n  tenet init my-cluster          start a new repository in my-cluster/\n  tenet generate                 compile tenants/ into out/\n  tenet validate --tenants dir   check input only\n\nExit codes: 0 success; 1 changes, stale out/, audit violations or a `no` (can-i); 2 invalid input, usage error or I/O error."
)]
struct Cli {
    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print every file written
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile tenants/ into out/ (only changed files are written)
    #[command(
        after_help = "Example:\n  tenet generate --tenants tenants --out out\n\nExit codes: 0 written; 1 audit violations (nothing is written); 2 invalid input (out/ is left\nuntouched) or I/O error."
    )]
    Generate(GenerateArgs),
    /// Check the input alone, without rendering or writing anything
    #[command(
        after_help = "Example:\n  tenet validate --tenants tenants\n\nExit codes: 0 valid; 2 invalid."
    )]
    Validate(TenantsArg),
    /// Print the JSON Schema of the input documents
    #[command(
        after_help = "Example:\n  tenet schema > schema/tenet.schema.json\n\nEditors that use yaml-language-server pick it up from a first line such as\n  # yaml-language-server: $schema=../schema/tenet.schema.json\n\nExit codes: 0 always."
    )]
    Schema,
    /// Show how the output would change, object by object, without writing anything
    #[command(
        after_help = "Examples:\n  tenet diff                                    compare with the files in out/\n  tenet diff --base origin/main --format markdown   compare with out/ as committed on main\n\nExit codes: 0 no changes; 1 changes (0 with --exit-zero); 2 invalid input or error."
    )]
    Diff(DiffArgs),
    /// Fail when out/ is not exactly what `generate` would write
    #[command(
        after_help = "Example:\n  tenet check --tenants tenants --out out\n\nExit codes: 0 up to date; 1 stale (the files to create, change or remove are listed) or audit\nviolations; 2 invalid input or error."
    )]
    Check(GenerateArgs),
    /// Answer whether a user may do something, from the manifests, like `kubectl auth can-i`
    #[command(
        name = "can-i",
        after_help = "Examples:\n  tenet can-i delete pods --as alice@acme.example -n acme-prod\n  tenet can-i get /healthz --as alice@acme.example\n  tenet can-i --batch queries.txt\n\nUsers declared in tenants/ get their groups added. Reads out/ unless --manifests DIR.\nExit codes: 0 yes (or a batch answered); 1 no; 2 error."
    )]
    CanI(rbac::CanIArgs),
    /// List the subjects that may do something, with the binding and role that allow it
    #[command(
        name = "who-can",
        after_help = "Example:\n  tenet who-can delete namespaces acme-prod\n  tenet who-can get secrets -n acme-prod\n\nExit codes: 0 answered; 2 error."
    )]
    WhoCan(rbac::WhoCanArgs),
    /// Show everything a user, group or service account may do, per namespace
    #[command(
        after_help = "Examples:\n  tenet access alice@acme.example\n  tenet access group:acme-ops\n  tenet access serviceaccount:acme-staging:deployer\n\nExit codes: 0 answered; 2 error."
    )]
    Access(rbac::AccessArgs),
    /// Prove the tenancy invariants on the output (also run by generate, check and diff)
    #[command(
        after_help = "Examples:\n  tenet audit\n  tenet audit --format json\n  tenet audit --manifests some/dir\n\nExit codes: 0 no violation; 1 violations; 2 invalid input or error."
    )]
    Audit(rbac::AuditArgs),
    /// Print which namespaces may reach which, from the NetworkPolicies in the manifests
    #[command(
        name = "net-matrix",
        after_help = "Example:\n  tenet net-matrix\n\nReads out/ unless --manifests DIR. Exit codes: 0 printed; 2 error."
    )]
    NetMatrix(rbac::NetMatrixArgs),
    /// Start a new GitOps repository with example tenants/, templates/, Makefile and CI
    #[command(
        after_help = "Example:\n  tenet init my-cluster && cd my-cluster && tenet generate\n\nExit codes: 0 created; 2 some files exist already (nothing is written; --force overwrites them) or I/O error."
    )]
    Init(InitArgs),
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  tenet completions bash > ~/.local/share/bash-completion/completions/tenet\n  tenet completions zsh > \"${fpath[1]}/_tenet\"\n  tenet completions fish > ~/.config/fish/completions/tenet.fish\n\nExit codes: 0 always; 2 unknown shell."
    )]
    Completions(CompletionsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DiffFormat {
    /// For people: summary, call-outs, grouped list, then a unified diff per object
    Text,
    /// A git-style patch of out/ that `git apply` accepts
    Patch,
    /// A pull-request comment, with a hidden marker for updating it in place
    Markdown,
    /// One versioned JSON document
    Json,
    /// The one-line count
    Summary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args, Clone)]
struct GenerateArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    audit: AuditSwitch,
}

#[derive(Debug, Args, Clone)]
struct AuditSwitch {
    /// Skip the tenancy audit that otherwise runs at the end (not recommended)
    #[arg(long)]
    no_audit: bool,
}

#[derive(Debug, Args, Clone)]
struct DiffArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    audit: AuditSwitch,
    /// Compare with the output directory as committed at this git revision, not the files on disk
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Colour the text format
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// Exit 0 when there are changes (errors still exit 2)
    #[arg(long)]
    exit_zero: bool,
    /// Size limit of the markdown format; whole objects past it are left out
    #[arg(long, value_name = "N", default_value_t = tenet::diff_format::DEFAULT_MARKDOWN_MAX_BYTES)]
    max_bytes: usize,
}

#[derive(Debug, Args, Clone)]
struct InitArgs {
    /// Directory to create the repository in (created when missing)
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Overwrite files that exist already
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args, Clone)]
struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, Args, Clone)]
struct TenantsArg {
    /// Directory of Tenant, User, Namespace and Network documents
    #[arg(long, value_name = "DIR", default_value = "tenants")]
    tenants: PathBuf,
}

#[derive(Debug, Args, Clone)]
struct InputArgs {
    #[command(flatten)]
    tenants: TenantsArg,
    /// Template overrides; files missing here fall back to the built-in set
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Output directory
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
}

/// Everything loaded from disk for one run, kept so diagnostics can show snippets.
struct Inputs {
    sources: Sources,
    templates: TemplateSet,
    load_diagnostics: Diagnostics,
}

impl Inputs {
    fn load(tenants: &Path, templates: Option<&Path>) -> Inputs {
        let (sources, mut load_diagnostics) = load_sources(tenants);
        let (templates, template_diagnostics) = match templates {
            Some(dir) => load_templates(dir, true),
            None => load_templates(Path::new("templates"), false),
        };
        load_diagnostics.extend(template_diagnostics);
        Inputs {
            sources,
            templates,
            load_diagnostics,
        }
    }

    fn text_of(&self, file: &str) -> Option<&str> {
        if let Some(source) = self.sources.file(file) {
            return Some(&source.text);
        }
        self.templates
            .templates
            .values()
            .find(|t| t.display_path == file)
            .map(|t| t.text.as_str())
    }

    /// Compiles the inputs, keeping of each output file what `C` keeps (see
    /// [`compile_as`]).
    fn compile<C: FileContent>(&self) -> Result<Compiled<C>, Diagnostics> {
        let result = compile_as(&self.sources, &self.templates);
        merge_load_errors(&self.load_diagnostics, result)
    }
}

/// Load errors (unreadable files) fail the run even when what was read compiles, and are
/// reported together with any compile errors.
fn merge_load_errors<T>(
    load: &Diagnostics,
    result: Result<T, Diagnostics>,
) -> Result<T, Diagnostics> {
    match result {
        Ok(value) if !load.has_errors() => Ok(value),
        Ok(_) => Err(load.clone().sorted()),
        Err(errors) => {
            let mut all = load.clone();
            all.extend(errors);
            Err(all.sorted())
        }
    }
}

struct Printer {
    quiet: bool,
    verbose: bool,
    style: Style,
}

impl Printer {
    fn diagnostics(&self, diagnostics: &Diagnostics, inputs: &Inputs) {
        for diagnostic in diagnostics.iter() {
            if self.quiet && !diagnostic.is_error() {
                continue;
            }
            eprint!(
                "{}",
                render_diagnostic(diagnostic, self.style, &|f| inputs.text_of(f))
            );
        }
        let errors = diagnostics.error_count();
        if errors > 0 {
            let plural = if errors == 1 { "" } else { "s" };
            eprintln!("tenet: {errors} error{plural}; nothing was written");
        }
    }

    fn audit_warnings(&self, warnings: &[String]) {
        if !self.quiet {
            for warning in warnings {
                eprintln!("warning: {warning}");
            }
        }
    }

    /// With `--verbose`, says that the output record made compiling unnecessary.
    fn took_shortcut(&self, out: &Path) {
        if self.verbose {
            eprintln!(
                "tenet: {} is unchanged since the last run with the same input ({}); nothing to compile",
                out.display(),
                out.join(RECORD_FILE).display()
            );
        }
    }

    fn status(&self, line: &str) {
        if !self.quiet {
            println!("{line}");
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let printer = Printer {
        quiet: cli.quiet,
        verbose: cli.verbose,
        style: Style::for_stderr(),
    };
    let code = match &cli.command {
        Command::Generate(args) => generate(&args.input, &args.audit, &printer),
        Command::Validate(args) => validate(args, &printer),
        Command::Schema => {
            print!("{}", tenet::schema::input_schema_text());
            EXIT_OK
        }
        Command::Diff(args) => diff(args, &printer),
        Command::Check(args) => check(&args.input, &args.audit, &printer),
        Command::CanI(args) => rbac::can_i(args),
        Command::WhoCan(args) => rbac::who_can(args),
        Command::Access(args) => rbac::access(args),
        Command::Audit(args) => rbac::audit_command(args, &printer),
        Command::NetMatrix(args) => rbac::net_matrix(args),
        Command::Init(args) => init(args, &printer),
        Command::Completions(args) => {
            clap_complete::generate(
                args.shell,
                &mut Cli::command(),
                "tenet",
                &mut std::io::stdout(),
            );
            EXIT_OK
        }
    };
    ExitCode::from(code)
}

fn init(args: &InitArgs, printer: &Printer) -> u8 {
    match create_files(&args.dir, &tenet::scaffold::files(), args.force) {
        Ok(report) => {
            if printer.verbose {
                for path in &report.created {
                    eprintln!("created {}", args.dir.join(path).display());
                }
                for path in &report.overwritten {
                    eprintln!("overwrote {}", args.dir.join(path).display());
                }
            }
            printer.status(&format!(
                "tenet: {} files created, {} overwritten in {}",
                report.created.len(),
                report.overwritten.len(),
                args.dir.display()
            ));
            let cd = if args.dir == Path::new(".") {
                String::new()
            } else {
                format!("cd {} && ", args.dir.display())
            };
            printer.status(&format!(
                "next: {cd}tenet generate, then commit tenants/ and out/ and point Argo CD or Flux at out/"
            ));
            EXIT_OK
        }
        Err(err) => {
            eprintln!("error: {err}");
            if let WriteError::Exists { .. } = err {
                eprintln!(
                    "  help: nothing was written; pass --force to overwrite them, or choose an empty directory"
                );
            }
            EXIT_ERROR
        }
    }
}

fn validate(args: &TenantsArg, printer: &Printer) -> u8 {
    let inputs = Inputs::load(&args.tenants, None);
    match merge_load_errors(&inputs.load_diagnostics, validate_sources(&inputs.sources)) {
        Ok((model, warnings)) => {
            printer.diagnostics(&warnings, &inputs);
            printer.status(&format!(
                "tenet: input is valid: {} tenants, {} users, {} namespaces, {} networks",
                model.tenants.len(),
                model.users.len(),
                model.namespaces.len(),
                model.networks.len()
            ));
            EXIT_OK
        }
        Err(diagnostics) => {
            printer.diagnostics(&diagnostics, &inputs);
            EXIT_ERROR
        }
    }
}

/// `out/`, as the audit's findings show output files.
fn out_prefix(out: &Path) -> String {
    format!("{}/", out.display())
}

/// Takes what the audit needs from a compilation's model, as of today (`None` when the audit
/// is switched off), and drops the model: it is not held while the audit runs and `out/` is
/// read.
fn take_audit_facts<C: FileContent>(
    compiled: &mut Compiled<C>,
    switch: &AuditSwitch,
) -> Option<TenancyFacts> {
    let model = std::mem::take(&mut compiled.model);
    (!switch.no_audit).then(|| TenancyFacts::from_model(&model, &today_utc()))
}

/// What [`audit_alongside`] gives back: the compilation without its model and objects, the
/// audit's report (`None` when it is switched off) and what `read` returned.
struct Audited<C, T> {
    plan: Plan<C>,
    rendered_by: RenderedBy,
    warnings: Diagnostics,
    report: Option<AuditReport>,
    read: T,
}

/// Audits a compilation on a thread of its own while `read` (reading out/, which needs
/// nothing from the audit) runs on this one, on all cores. The objects and the model are
/// dropped first (the audit needs only the facts it takes from the model), so that neither is
/// held while both run.
fn audit_alongside<C: FileContent, T>(
    mut compiled: Compiled<C>,
    out: &Path,
    switch: &AuditSwitch,
    read: impl FnOnce(&Plan<C>) -> T,
) -> Audited<C, T> {
    let parts = compiled.take_audit_parts(&out_prefix(out));
    let facts = take_audit_facts(&mut compiled, switch);
    let Compiled {
        plan,
        rendered_by,
        warnings,
        ..
    } = compiled;
    let (report, read) = std::thread::scope(|scope| {
        let audit = scope.spawn(|| facts.map(|facts| audit_parts(parts, &facts)));
        let read = read(&plan);
        let report = audit
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (report, read)
    });
    Audited {
        plan,
        rendered_by,
        warnings,
        report,
        read,
    }
}

/// Prints an audit's warnings, or its violations when it failed. Returns the warnings when it
/// passed (none when it was skipped), `None` when it failed.
fn print_audit(report: Option<AuditReport>, printer: &Printer) -> Option<Vec<String>> {
    let Some(report) = report else {
        return Some(Vec::new());
    };
    if !report.passed() {
        eprint!("{}", render_report(&report));
        eprintln!(
            "  help: fix the input or templates, or accept a finding with an Exception document (see README)"
        );
        return None;
    }
    printer.audit_warnings(&report.warnings);
    Some(report.warnings)
}

/// The key of this run's output record: everything the output and the messages depend on.
/// `None` (no shortcut) when loading reported anything, or the executable is unknown.
fn record_key(inputs: &Inputs, args: &InputArgs, switch: &AuditSwitch) -> Option<String> {
    if !inputs.load_diagnostics.0.is_empty() {
        return None;
    }
    let executable = executable_identity()?;
    let templates = args
        .templates
        .as_ref()
        .map_or_else(String::new, |dir| dir.display().to_string());
    Some(input_key(
        &inputs.sources,
        &inputs.templates,
        &[
            ("executable", &executable),
            ("date", &today_utc()),
            ("audit", if switch.no_audit { "off" } else { "on" }),
            ("tenants", &args.tenants.tenants.display().to_string()),
            ("templates", &templates),
            ("out", &args.out.display().to_string()),
        ],
    ))
}

/// When `out` holds a record with this key and every file and folder still matches it, the
/// record (with current stamps, for saving again when `worth_saving`); else `None`.
fn trusted_record(out: &Path, key: &str) -> Option<(OutputRecord, bool)> {
    let (mut record, record_ns) = read_output_record(out)?;
    if record.key != key {
        return None;
    }
    let verified = verify_output_record(out, &mut record, record_ns)?;
    Some((record, verified.worth_saving))
}

/// What a trusted record says about out/: every generated file unchanged, foreign ones kept.
fn unchanged_by_record(record: &OutputRecord) -> TreeChanges {
    TreeChanges {
        unchanged: record.files(EntryKind::Generated).count(),
        foreign: record
            .files(EntryKind::Foreign)
            .map(str::to_string)
            .collect(),
        ..TreeChanges::default()
    }
}

fn generate(args: &InputArgs, switch: &AuditSwitch, printer: &Printer) -> u8 {
    let inputs = Inputs::load(&args.tenants.tenants, args.templates.as_deref());
    let key = record_key(&inputs, args, switch);
    // The shortcut: the same inputs, and out/ exactly as the last run left it. The lock is
    // taken only where a record exists, so invalid input never creates out/.
    let mut held = None;
    if let Some(key) = key.as_deref()
        && args.out.join(RECORD_FILE).is_file()
    {
        let lock = match lock_output(&args.out) {
            Ok(lock) => lock,
            Err(err) => return write_failed(&err),
        };
        if let Some((record, worth_saving)) = trusted_record(&args.out, key) {
            printer.took_shortcut(&args.out);
            printer.diagnostics(&Diagnostics(record.warnings.clone()), &inputs);
            printer.audit_warnings(&record.audit_warnings);
            if worth_saving {
                // Only saves work next time; a failure changes nothing.
                let _ = lock.save_record(&record);
            }
            print_written(args, &unchanged_by_record(&record), printer);
            return EXIT_OK;
        }
        held = Some(lock);
    }
    // A first run needs no comparison: see `generate_fresh`.
    if held.is_none()
        && !inputs.load_diagnostics.has_errors()
        && may_be_fresh(&args.out)
        && let Some(code) = generate_fresh(args, switch, printer, &inputs, key.as_deref())
    {
        return code;
    }
    // The plan keeps digests: reading out/ and the audit never hold the whole output. The
    // texts of the files to write are rendered again once those are known.
    let compiled = match inputs.compile::<Digest>() {
        Ok(compiled) => {
            printer.diagnostics(&compiled.warnings, &inputs);
            compiled
        }
        Err(diagnostics) => {
            printer.diagnostics(&diagnostics, &inputs);
            return EXIT_ERROR;
        }
    };
    // A missing out/ is only created once the audit has passed: then there is nothing to
    // read meanwhile.
    let lock = match held {
        Some(lock) => Some(lock),
        None if args.out.is_dir() => match lock_output(&args.out) {
            Ok(lock) => Some(lock),
            Err(err) => return write_failed(&err),
        },
        None => None,
    };
    let audited = audit_alongside(compiled, &args.out, switch, |plan| {
        lock.as_ref().map(|lock| lock.compare(plan))
    });
    let Some(audit_warnings) = print_audit(audited.report, printer) else {
        eprintln!("tenet: the audit failed; nothing was written");
        return EXIT_CHANGES;
    };
    let lock = match lock.map_or_else(|| lock_output(&args.out), Ok) {
        Ok(lock) => lock,
        Err(err) => return write_failed(&err),
    };
    let plan = audited.plan;
    let comparison = match audited.read.unwrap_or_else(|| lock.compare(&plan)) {
        Ok(comparison) => comparison,
        Err(err) => return write_failed(&err),
    };
    let (sources, templates) = (&inputs.sources, &inputs.templates);
    let to_write = comparison.to_write();
    let texts = match render_texts(sources, templates, &plan, &audited.rendered_by, to_write) {
        Ok(texts) => texts,
        Err(diagnostics) => {
            printer.diagnostics(&diagnostics, &inputs);
            return EXIT_ERROR;
        }
    };
    match lock.apply(texts, comparison, &mut no_faults) {
        Ok(report) => {
            let header = key.map(|key| OutputRecord::new(key, audited.warnings.0, audit_warnings));
            written(args, printer, &lock, &plan, report, header)
        }
        Err(err) => write_failed(&err),
    }
}

/// Whether `out` is missing or holds hidden entries only, as far as can be told without the
/// lock ([`begin_fresh_output`] looks again under it).
fn may_be_fresh(out: &Path) -> bool {
    match out.symlink_metadata() {
        Err(err) => err.kind() == std::io::ErrorKind::NotFound,
        Ok(_) => output_is_empty(out).unwrap_or(false),
    }
}

/// `generate` into an output directory that holds nothing of tenet's yet (a first run): each
/// file is staged as soon as it is compiled, so that writing overlaps rendering and nothing is
/// rendered twice, and all move into place once the audit has passed
/// ([`FreshOutput`](tenet::write::FreshOutput)).
/// Invalid input never creates `out/`: it is validated first, and an output directory created
/// for the run is removed again when rendering or the audit fails. `None` when the directory
/// turns out to hold files (then the plan must be compared with them), or cannot be made.
fn generate_fresh(
    args: &InputArgs,
    switch: &AuditSwitch,
    printer: &Printer,
    inputs: &Inputs,
    key: Option<&str>,
) -> Option<u8> {
    let validated = validate_sources(&inputs.sources);
    let (model, warnings) = match merge_load_errors(&inputs.load_diagnostics, validated) {
        Ok(validated) => validated,
        Err(diagnostics) => {
            printer.diagnostics(&diagnostics, inputs);
            return Some(EXIT_ERROR);
        }
    };
    let mut faults = no_faults;
    // When the output directory cannot be made or locked, the usual path reports any
    // problem of the input first, then that.
    let Ok(Some(mut fresh)) = begin_fresh_output(&args.out, &mut faults) else {
        return None;
    };
    let (sources, templates) = (&inputs.sources, &inputs.templates);
    let stage = |path: &str, parts: &[&str]| fresh.stage(path, parts);
    let compiled = match compile_validated::<Digest>(model, warnings, sources, templates, &stage) {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            drop(fresh);
            printer.diagnostics(&diagnostics, inputs);
            return Some(EXIT_ERROR);
        }
    };
    printer.diagnostics(&compiled.warnings, inputs);
    let audited = audit_alongside(compiled, &args.out, switch, |_| ());
    let Some(audit_warnings) = print_audit(audited.report, printer) else {
        drop(fresh);
        eprintln!("tenet: the audit failed; nothing was written");
        return Some(EXIT_CHANGES);
    };
    Some(match fresh.commit(&audited.plan) {
        Ok(report) => {
            let header = key
                .map(|key| OutputRecord::new(key.to_string(), audited.warnings.0, audit_warnings));
            written(args, printer, fresh.lock(), &audited.plan, report, header)
        }
        Err(err) => {
            drop(fresh);
            write_failed(&err)
        }
    })
}

/// After a successful write: prints what changed and saves the record (`header` gives its key
/// and warnings; none is saved without it, or without stamps).
fn written(
    args: &InputArgs,
    printer: &Printer,
    lock: &OutputLock<'_>,
    plan: &Plan<Digest>,
    report: WriteReport,
    header: Option<OutputRecord>,
) -> u8 {
    print_written(args, &report.changes, printer);
    if let (Some(header), Some(stamps)) = (header, report.stamps)
        && let Err(err) = lock.record_plan(plan, stamps, &header)
    {
        eprintln!("warning: {err}; out/ is complete, but the next run will compare every file");
    }
    EXIT_OK
}

fn write_failed(err: &WriteError) -> u8 {
    eprintln!("error: {err}");
    if let WriteError::Conflict { .. } = err {
        eprintln!(
            "  help: move those files out of the output directory, or delete them, then run again"
        );
    } else {
        eprintln!("  help: the output directory was left as it was; fix the problem and run again");
    }
    EXIT_ERROR
}

/// Prints what `generate` did: warnings about foreign files, each file with `--verbose`, then
/// the counts.
fn print_written(args: &InputArgs, changes: &TreeChanges, printer: &Printer) {
    for foreign in &changes.foreign {
        if !printer.quiet {
            eprintln!(
                "warning: {}: not generated by tenet; left alone",
                args.out.join(foreign).display()
            );
        }
    }
    if printer.verbose {
        for (verb, paths) in [
            ("created", &changes.create),
            ("updated", &changes.update),
            ("removed", &changes.remove),
        ] {
            for path in paths {
                eprintln!("{verb} {}", args.out.join(path).display());
            }
        }
    }
    printer.status(&format!(
        "tenet: {} created, {} updated, {} removed, {} unchanged in {}",
        changes.create.len(),
        changes.update.len(),
        changes.remove.len(),
        changes.unchanged,
        args.out.display()
    ));
}

fn diff(args: &DiffArgs, printer: &Printer) -> u8 {
    let input = &args.input;
    let inputs = Inputs::load(&input.tenants.tenants, input.templates.as_deref());
    // As `generate` does: the plan keeps digests while the old tree is compared with it, and
    // only the changed files' texts are rendered again; of the old tree, only the files that
    // differ from the plan are kept.
    let mut compiled = match inputs.compile::<Digest>() {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            printer.diagnostics(&diagnostics, &inputs);
            return EXIT_ERROR;
        }
    };
    // The model is kept (about 50 MB at 10,000 namespaces, while `out/` is read) until the
    // changed files are rendered again: validating the input again would take longer and hold
    // the parsed input beside a new model.
    let model = std::mem::take(&mut compiled.model);
    let prefix = out_prefix(&input.out);
    let parts: Vec<AuditPart> = compiled.take_audit_parts(&prefix).collect();
    let plan = &compiled.plan;
    let mut absent_note = None;
    let (changes, old) = match &args.base {
        Some(revision) => match load_output_tree_at_revision(&input.out, revision) {
            Ok(tree) => {
                if !tree.exists {
                    absent_note = Some(format!(
                        "note: {} does not exist at {revision}; every object is an addition",
                        if tree.repo_path.is_empty() {
                            ".".to_string()
                        } else {
                            format!("{}/", tree.repo_path)
                        }
                    ));
                }
                plan.changes_keeping_differing(tree.files)
            }
            Err(err) => {
                eprintln!("error: {err}");
                let help = match err {
                    GitError::Spawn(_) => {
                        "install git, or leave out --base to compare with the files on disk"
                    }
                    GitError::NotARepository { .. } => {
                        "run tenet inside the repository, or leave out --base"
                    }
                    GitError::UnknownRevision { .. } => {
                        "name a branch, tag or commit that exists (in CI, fetch it first, e.g. `git fetch origin main`)"
                    }
                    GitError::Failed { .. } => "check that the repository is readable",
                };
                eprintln!("  help: {help}");
                return EXIT_ERROR;
            }
        },
        None => match read_output_changes(&input.out, plan) {
            Ok(read) => read,
            Err(err) => {
                eprintln!("error: cannot read {}: {err}", input.out.display());
                return EXIT_ERROR;
            }
        },
    };
    // The plan's files that do not change.
    let unchanged = |path: &str| plan.is_unchanged(&changes, path);
    let to_render = (changes
        .create
        .iter()
        .chain(&changes.update)
        .chain(&changes.conflicts))
    .map(String::as_str);
    // Taken once `out/` has been read, so that they are not held meanwhile.
    let facts = (!args.audit.no_audit).then(|| TenancyFacts::from_model(&model, &today_utc()));
    let (sources, templates) = (&inputs.sources, &inputs.templates);
    let rendered_by = &compiled.rendered_by;
    let model = || Ok(model);
    let texts = match render_texts_from(model, sources, templates, plan, rendered_by, to_render) {
        Ok(texts) => texts,
        Err(diagnostics) => {
            printer.diagnostics(&diagnostics, &inputs);
            return EXIT_ERROR;
        }
    };
    let new_owners = parts
        .iter()
        .filter_map(AuditPart::namespace_tenant)
        .map(|(namespace, tenant)| (namespace.to_string(), tenant.to_string()))
        .collect();
    let mut report = diff_changes(&changes, &old, &texts, new_owners, &unchanged);
    drop(texts);
    // The old side's RBAC objects: those of the files that do not change, as compiled, and
    // those read from the files that differ.
    let unchanged_rbac = parts.iter().filter_map(AuditPart::rbac).filter(|rbac| {
        let file = &rbac.origin().file;
        unchanged(file.strip_prefix(prefix.as_str()).unwrap_or(file))
    });
    let before = tree_evaluator(&old, &prefix, unchanged_rbac);
    drop((old, compiled));
    // The new side's evaluator is the audit's, when it runs.
    let access_changes = |after: Evaluator| access_change_lines(&before, &after);
    let (audit, access_changes) = match facts {
        Some(facts) => {
            let (audit, access_changes) = audit_parts_then(parts, &facts, access_changes);
            (Some(audit), access_changes)
        }
        None => {
            let after = evaluator_over(&parts);
            drop(parts);
            (None, access_changes(after))
        }
    };
    drop(before);
    report.access_changes = Some(access_changes);
    let audit_passed = print_audit(audit, printer).is_some();
    let mut options = FormatOptions::new(&input.out.to_string_lossy());
    options.base = args.base.clone();
    options.max_bytes = args.max_bytes;
    options.color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => Style::stdout_color(),
    } && args.format == DiffFormat::Text;
    let rendered = match args.format {
        DiffFormat::Text => render_text(&report, &options),
        DiffFormat::Patch => render_patch(&report, &options),
        DiffFormat::Markdown => render_markdown(&report, &options),
        DiffFormat::Json => render_json(&report, &options),
        DiffFormat::Summary => render_summary(&report),
    };
    if let Some(note) = absent_note.filter(|_| !printer.quiet) {
        eprintln!("{note}");
    }
    print!("{rendered}");
    if !audit_passed {
        return EXIT_CHANGES;
    }
    if report.has_changes() && !args.exit_zero {
        EXIT_CHANGES
    } else {
        EXIT_OK
    }
}

fn check(args: &InputArgs, switch: &AuditSwitch, printer: &Printer) -> u8 {
    let inputs = Inputs::load(&args.tenants.tenants, args.templates.as_deref());
    let key = record_key(&inputs, args, switch);
    // Files that are right on disk but that git does not know yet would be missing from the
    // commit: they make out/ stale as committed. Asked of git for tenet's files on disk.
    let untracked_of =
        |on_disk: Vec<&str>| load_untracked_files(&args.out, &on_disk).unwrap_or_default();
    let (changes, untracked) = match key
        .as_deref()
        .and_then(|key| trusted_record(&args.out, key))
    {
        Some((record, worth_saving)) => {
            printer.took_shortcut(&args.out);
            printer.audit_warnings(&record.audit_warnings);
            if worth_saving && let Some(lock) = try_lock_output(&args.out) {
                let _ = lock.save_record(&record);
            }
            let untracked = untracked_of(record.files(EntryKind::Generated).collect());
            (unchanged_by_record(&record), untracked)
        }
        None => match compare_with_out(args, switch, key, &inputs, printer) {
            Ok((plan, changes)) => {
                let untracked = untracked_of(plan.files_found(&changes).collect());
                (changes, untracked)
            }
            Err(code) => return code,
        },
    };
    let shown = |path: &str| args.out.join(path).display().to_string();
    if !printer.quiet {
        for path in &changes.foreign {
            eprintln!("note: {}: not generated by tenet; ignored", shown(path));
        }
    }
    let stale = !changes.is_empty() || !changes.conflicts.is_empty() || !untracked.is_empty();
    if !stale {
        printer.status(&format!(
            "tenet: {} is up to date ({} files)",
            args.out.display(),
            changes.unchanged
        ));
        return EXIT_OK;
    }
    println!(
        "tenet: {} is stale: {} to create, {} to change, {} to remove, {} not tracked by git",
        args.out.display(),
        changes.create.len(),
        changes.update.len() + changes.conflicts.len(),
        changes.remove.len(),
        untracked.len()
    );
    for (what, paths) in [
        ("create", &changes.create),
        ("change", &changes.update),
        ("remove", &changes.remove),
    ] {
        for path in paths {
            let note = if untracked.contains(path) {
                " (not tracked by git)"
            } else {
                ""
            };
            println!("  {what} {}{note}", shown(path));
        }
    }
    for path in &changes.conflicts {
        println!(
            "  change {} (not generated by tenet: move it away first)",
            shown(path)
        );
    }
    for path in untracked.iter().filter(|p| !changes.update.contains(p)) {
        println!("  untracked {} (add it to git)", shown(path));
    }
    let mut help = Vec::new();
    if !changes.is_empty() || !changes.conflicts.is_empty() {
        help.push("run `tenet generate`");
    }
    if !untracked.is_empty() || !changes.create.is_empty() {
        help.push(if help.is_empty() {
            "commit the files with `git add`"
        } else {
            "commit the result"
        });
    }
    println!("  help: {}", help.join(", then "));
    EXIT_CHANGES
}

/// The full path of `check`: compiles, audits and compares with every file in out/. Saves a
/// record when out/ is exactly the plan, so that the next run can take the shortcut. Returns
/// the plan (of digests) and how out/ differs from it; `Err` holds the exit code when
/// compiling, the audit or reading failed.
fn compare_with_out(
    args: &InputArgs,
    switch: &AuditSwitch,
    key: Option<String>,
    inputs: &Inputs,
    printer: &Printer,
) -> Result<(Plan<Digest>, TreeChanges), u8> {
    let compiled = match inputs.compile::<Digest>() {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            printer.diagnostics(&diagnostics, inputs);
            return Err(EXIT_ERROR);
        }
    };
    let Audited {
        plan,
        warnings,
        report,
        read: compared,
        ..
    } = audit_alongside(compiled, &args.out, switch, |plan| {
        compare_output_tree(&args.out, plan)
    });
    let Some(audit_warnings) = print_audit(report, printer) else {
        eprintln!("tenet: the audit failed");
        return Err(EXIT_CHANGES);
    };
    let (changes, stamps) = match compared {
        Ok(compared) => compared,
        Err(err) => {
            eprintln!("error: cannot read {}: {err}", args.out.display());
            return Err(EXIT_ERROR);
        }
    };
    // Stamps come only when out/ is exactly the plan: then the next run can take the shortcut.
    if let (Some(key), Some(stamps)) = (key, stamps)
        && let Some(lock) = try_lock_output(&args.out)
    {
        let header = OutputRecord::new(key, warnings.0, audit_warnings);
        // Only saves work next time; a failure changes nothing.
        let _ = lock.record_plan(&plan, stamps, &header);
    }
    Ok((plan, changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
