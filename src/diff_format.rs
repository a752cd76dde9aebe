//! Renderers for a [`DiffReport`]: `text`, `patch`, `markdown`, `json` and `summary`. Each is a
//! pure function returning a `String`; none depends on the terminal's width, and only `text`
//! is ever coloured (when the caller asks).

use serde::Serialize;
use similar::udiff::UnifiedHunkHeader;
use similar::{ChangeTag, InlineChangeMode, InlineChangeOptions, TextDiff};

use crate::diff::{ChangeKind, DiffReport, Note, ObjectChange, ObjectVersion};
use crate::plan::GENERATED_MARKER;

/// Lines of context around each change, as in `diff -u`.
pub const CONTEXT_LINES: usize = 3;

/// The default `--max-bytes` of the markdown format: under GitHub's 65,536-character limit
/// for a comment, with room to spare.
pub const DEFAULT_MARKDOWN_MAX_BYTES: usize = 60_000;

/// The hidden marker that lets a CI step find and update its own pull-request comment.
pub const MARKDOWN_MARKER: &str = "<!-- tenet-diff -->";

/// The version of the JSON document; bumped on any incompatible change.
pub const JSON_VERSION: u32 = 1;

/// Why a replacement needs care, and what the GitOps tools offer.
pub const REPLACE_EXPLANATION: &str = "Kubernetes forbids changing a binding's `roleRef` in place: the binding must be deleted and created again. \
In Argo CD, use the `Replace=true` sync option (with `Force=true`, per object through the annotation `argocd.argoproj.io/sync-options: Force=true,Replace=true`); \
in Flux, put the annotation `kustomize.toolkit.fluxcd.io/force: enabled` on the binding (or set `spec.force: true` on the Kustomization).";

/// What the renderers need besides the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatOptions {
    /// The output directory as the user gave it, `/`-separated (e.g. `out`); prefixes paths.
    pub out_dir: String,
    /// The git revision the old tree was read from, if any.
    pub base: Option<String>,
    /// ANSI colours and word-level emphasis (text format only).
    pub color: bool,
    /// The size limit of the markdown format.
    pub max_bytes: usize,
}

impl FormatOptions {
    pub fn new(out_dir: &str) -> FormatOptions {
        FormatOptions {
            out_dir: normalize_out_dir(out_dir),
            base: None,
            color: false,
            max_bytes: DEFAULT_MARKDOWN_MAX_BYTES,
        }
    }

    fn file(&self, path: &str) -> String {
        if self.out_dir.is_empty() {
            path.to_string()
        } else {
            format!("{}/{path}", self.out_dir)
        }
    }

    /// What the fresh output is compared with.
    fn old_side(&self) -> String {
        let dir = if self.out_dir.is_empty() {
            ".".to_string()
        } else {
            format!("{}/", self.out_dir)
        };
        match &self.base {
            Some(base) => format!("{dir} at {base}"),
            None => format!("{dir} on disk"),
        }
    }

    /// The same, for markdown.
    fn old_side_markdown(&self) -> String {
        let dir = if self.out_dir.is_empty() {
            ".".to_string()
        } else {
            format!("{}/", self.out_dir)
        };
        match &self.base {
            Some(base) => format!("{} at {}", inline_code(&dir), inline_code(base)),
            None => format!("the files in {}", inline_code(&dir)),
        }
    }
}

/// `./out/` → `out`, `out\x` → `out/x`, `.` → ``.
pub fn normalize_out_dir(out_dir: &str) -> String {
    let slashed = out_dir.replace('\\', "/");
    let parts: Vec<&str> = slashed
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    if slashed.starts_with('/') && !joined.is_empty() {
        format!("/{joined}")
    } else {
        joined
    }
}

fn symbol(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Add => "+",
        ChangeKind::Change => "~",
        ChangeKind::Replace => "-/+",
        ChangeKind::Remove => "-",
        ChangeKind::Provenance => "#",
    }
}

fn verb(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Add => "add",
        ChangeKind::Change => "change",
        ChangeKind::Replace => "replace",
        ChangeKind::Remove => "remove",
        ChangeKind::Provenance => "provenance only",
    }
}

/// `from tenants/acme.yaml (template user.yaml.j2)`: the first header line without its
/// marker, when it is tenet's.
fn provenance_line(version: &ObjectVersion) -> Option<String> {
    let first = version.provenance.lines().next()?;
    let rest = first
        .strip_prefix(GENERATED_MARKER)?
        .trim()
        .trim_end_matches('.');
    (!rest.is_empty()).then(|| rest.to_string())
}

/// The two texts an object's diff shows: the provenance header alone for provenance-only
/// changes; the whole file when both the object and its header change; otherwise the object.
fn diff_sides(change: &ObjectChange) -> (String, String) {
    let text = |v: Option<&ObjectVersion>| v.map(|v| v.text.clone()).unwrap_or_default();
    match (&change.old, &change.new) {
        (Some(old), Some(new)) if change.kind == ChangeKind::Provenance => {
            (old.provenance.clone(), new.provenance.clone())
        }
        (Some(old), Some(new)) if old.provenance != new.provenance => (
            format!("{}{}", old.provenance, old.text),
            format!("{}{}", new.provenance, new.text),
        ),
        _ => (text(change.old.as_ref()), text(change.new.as_ref())),
    }
}

/// A plain unified diff (hunks only) with [`CONTEXT_LINES`] of context.
pub fn unified_hunks(old: &str, new: &str) -> String {
    let diff = TextDiff::from_lines(old, new);
    diff.unified_diff()
        .context_radius(CONTEXT_LINES)
        .to_string()
}

mod ansi {
    pub const RESET: &str = "\x1b[0m";
    pub const BOLD: &str = "\x1b[1m";
    pub const RED: &str = "\x1b[31m";
    pub const GREEN: &str = "\x1b[32m";
    pub const YELLOW: &str = "\x1b[33m";
    pub const CYAN: &str = "\x1b[36m";
    pub const RED_EMPHASIS: &str = "\x1b[1;4;31m";
    pub const GREEN_EMPHASIS: &str = "\x1b[1;4;32m";
}

fn paint(out: &mut String, color: bool, style: &str, text: &str) {
    if color && !text.is_empty() {
        out.push_str(style);
        out.push_str(text);
        out.push_str(ansi::RESET);
    } else {
        out.push_str(text);
    }
}

/// Unified hunks; with `color`, removed and added lines are red and green and the words that
/// differ inside a changed line are bold and underlined. Without colour, identical to
/// [`unified_hunks`].
pub fn emphasized_hunks(old: &str, new: &str, color: bool) -> String {
    if !color {
        return unified_hunks(old, new);
    }
    let diff = TextDiff::from_lines(old, new);
    let options = *InlineChangeOptions::new()
        .mode(InlineChangeMode::Words)
        .semantic_cleanup(true);
    let mut out = String::new();
    for group in diff.grouped_ops(CONTEXT_LINES) {
        if group.is_empty() {
            continue;
        }
        paint(
            &mut out,
            true,
            ansi::CYAN,
            &UnifiedHunkHeader::new(&group).to_string(),
        );
        out.push('\n');
        for op in &group {
            // No deadline: the emphasis must not depend on the machine's speed.
            for change in diff.iter_inline_changes_with_options_deadline(op, options, None) {
                let (sign, plain, strong) = match change.tag() {
                    ChangeTag::Delete => ("-", ansi::RED, ansi::RED_EMPHASIS),
                    ChangeTag::Insert => ("+", ansi::GREEN, ansi::GREEN_EMPHASIS),
                    ChangeTag::Equal => (" ", "", ""),
                };
                let colored = change.tag() != ChangeTag::Equal;
                if colored {
                    paint(&mut out, true, plain, sign);
                } else {
                    out.push_str(sign);
                }
                for (emphasized, value) in change.iter_strings_lossy() {
                    let value = value.strip_suffix('\n').unwrap_or(&value);
                    match (colored, emphasized) {
                        (false, _) => out.push_str(value),
                        (true, true) => paint(&mut out, true, strong, value),
                        (true, false) => paint(&mut out, true, plain, value),
                    }
                }
                out.push('\n');
                if change.missing_newline() {
                    out.push_str("\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

/// The changes grouped for listing: (tenant, namespace group, changes).
fn groups(report: &DiffReport) -> Vec<(Option<&str>, Option<&str>, Vec<&ObjectChange>)> {
    let mut groups: Vec<(Option<&str>, Option<&str>, Vec<&ObjectChange>)> = Vec::new();
    for change in &report.objects {
        let key = (change.tenant.as_deref(), change.namespace_group());
        match groups.last_mut() {
            Some((tenant, ns, items)) if (*tenant, *ns) == key => items.push(change),
            _ => groups.push((key.0, key.1, vec![change])),
        }
    }
    groups
}

fn tenant_heading(tenant: Option<&str>) -> String {
    match tenant {
        Some(t) => format!("Tenant {t}"),
        None => "No tenant (shared)".to_string(),
    }
}

fn namespace_heading(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("namespace {ns}"),
        None => "cluster-scoped".to_string(),
    }
}

/// Files that change but are not one of the listed objects (e.g. `kustomization.yaml`).
fn other_files(report: &DiffReport) -> Vec<(&str, &'static str)> {
    report
        .files
        .iter()
        .filter(|f| {
            !report.objects.iter().any(|o| {
                o.old.as_ref().is_some_and(|v| v.path == f.path)
                    || o.new.as_ref().is_some_and(|v| v.path == f.path)
            })
        })
        .map(|f| {
            let what = match (&f.old, &f.new) {
                (None, _) => "create",
                (_, None) => "remove",
                _ => "update",
            };
            (f.path.as_str(), what)
        })
        .collect()
}

fn replacement_line(change: &ObjectChange) -> String {
    match change.role_refs() {
        Some((old, new)) => format!("{}: roleRef {old} -> {new}", change.identity),
        None => format!("{}: roleRef changes", change.identity),
    }
}

/// The default format, for people at a terminal or reading a CI log.
pub fn render_text(report: &DiffReport, options: &FormatOptions) -> String {
    let color = options.color;
    let mut out = String::new();
    let counts = report.counts();
    paint(
        &mut out,
        color,
        ansi::BOLD,
        &format!(
            "tenet diff: the compiled tenants compared with {}",
            options.old_side()
        ),
    );
    out.push('\n');
    if !report.has_changes() {
        out.push_str("No changes.\n");
    } else {
        out.push_str(&counts.line());
        out.push('\n');
    }

    let risks: Vec<_> = report.risks().collect();
    if !risks.is_empty() {
        out.push('\n');
        paint(&mut out, color, ansi::YELLOW, "Risks to review:");
        out.push('\n');
        for (change, risk) in risks {
            out.push_str(&format!("  ! {}: {}\n", change.identity, risk.message));
        }
    }
    let replacements: Vec<&ObjectChange> = report
        .objects
        .iter()
        .filter(|o| o.kind == ChangeKind::Replace)
        .collect();
    if !replacements.is_empty() {
        out.push('\n');
        paint(&mut out, color, ansi::YELLOW, "Replacements:");
        out.push('\n');
        for change in &replacements {
            out.push_str(&format!("  -/+ {}\n", replacement_line(change)));
        }
        out.push_str(&format!("  {REPLACE_EXPLANATION}\n"));
    }
    if let Some(access) = &report.access_changes {
        out.push_str("\nAccess changes:\n");
        for line in access {
            out.push_str(&format!("  {line}\n"));
        }
    }

    if !report.objects.is_empty() {
        out.push('\n');
        let mut last_tenant: Option<Option<&str>> = None;
        for (tenant, namespace, items) in groups(report) {
            if last_tenant != Some(tenant) {
                paint(&mut out, color, ansi::BOLD, &tenant_heading(tenant));
                out.push('\n');
                last_tenant = Some(tenant);
            }
            out.push_str(&format!("  {}\n", namespace_heading(namespace)));
            for change in items {
                out.push_str(&format!(
                    "    {} {} ({})\n",
                    symbol(change.kind),
                    change.identity,
                    verb(change.kind)
                ));
            }
        }
    }

    for change in &report.objects {
        out.push('\n');
        let style = match change.kind {
            ChangeKind::Add => ansi::GREEN,
            ChangeKind::Remove => ansi::RED,
            _ => ansi::YELLOW,
        };
        // Starts with the kind, never with a sign, so it cannot be mistaken for a diff line.
        paint(
            &mut out,
            color,
            style,
            &format!(
                "{} ({} {})",
                change.identity,
                symbol(change.kind),
                verb(change.kind)
            ),
        );
        out.push('\n');
        out.push_str(&format!("  file {}\n", options.file(change.path())));
        let version = change.new.as_ref().or(change.old.as_ref());
        if let Some(from) = version.and_then(provenance_line) {
            out.push_str(&format!("  {from}\n"));
        }
        if let (Some(old), Some(new)) = (&change.old, &change.new)
            && old.api_version != new.api_version
        {
            out.push_str(&format!(
                "  apiVersion {} -> {}\n",
                old.api_version, new.api_version
            ));
        }
        let (old, new) = diff_sides(change);
        out.push_str(&emphasized_hunks(&old, &new, color));
    }

    let others = other_files(report);
    if !others.is_empty() {
        out.push_str("\nOther files:\n");
        for (path, what) in others {
            out.push_str(&format!("  {what} {}\n", options.file(path)));
        }
    }
    if !report.notes.is_empty() {
        out.push_str("\nNotes:\n");
        for note in &report.notes {
            out.push_str(&format!(
                "  {} {}\n",
                options.file(&note.path),
                note.message
            ));
        }
    }
    out
}

/// A git-style patch of every file that changes, which `git apply` (run where the output
/// directory's path is valid, usually the repository root) turns the old tree into the new.
pub fn render_patch(report: &DiffReport, options: &FormatOptions) -> String {
    let mut out = String::new();
    // `git apply` skips everything before the first `diff --git` line, like a commit message.
    if let Some(access) = &report.access_changes {
        out.push_str("Access changes:\n");
        for line in access {
            out.push_str(&format!("  {line}\n"));
        }
        out.push('\n');
    }
    for file in &report.files {
        let path = options.file(&file.path);
        out.push_str(&format!("diff --git a/{path} b/{path}\n"));
        let (old_name, new_name) = match (&file.old, &file.new) {
            (None, _) => {
                out.push_str("new file mode 100644\n");
                ("/dev/null".to_string(), format!("b/{path}"))
            }
            (_, None) => {
                out.push_str("deleted file mode 100644\n");
                (format!("a/{path}"), "/dev/null".to_string())
            }
            _ => (format!("a/{path}"), format!("b/{path}")),
        };
        let old = file.old.as_deref().unwrap_or("");
        let new = file.new.as_deref().unwrap_or("");
        let hunks = unified_hunks(old, new);
        if hunks.is_empty() {
            continue;
        }
        out.push_str(&format!("--- {old_name}\n+++ {new_name}\n"));
        out.push_str(&hunks);
    }
    out
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

fn inline_code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'"))
}

/// For a pull-request comment: marker, summary table, call-outs, then one collapsible block
/// per object, cut (whole objects only) to stay within `max_bytes`.
pub fn render_markdown(report: &DiffReport, options: &FormatOptions) -> String {
    let mut head = String::new();
    head.push_str(MARKDOWN_MARKER);
    head.push_str("\n### tenet diff\n\n");
    head.push_str(&format!(
        "The compiled tenants compared with {}.\n\n",
        options.old_side_markdown()
    ));
    let counts = report.counts();
    if !report.has_changes() {
        head.push_str("**No changes.**\n");
        return head;
    }
    head.push_str(&format!("**{}**\n\n", counts.line()));
    head.push_str("| Change | Objects |\n| --- | ---: |\n");
    for (label, count) in [
        ("➕ add", counts.add),
        ("✏️ change", counts.change),
        ("➖ remove", counts.remove),
        ("♻️ replace", counts.replace),
    ] {
        head.push_str(&format!("| {label} | {count} |\n"));
    }
    if counts.provenance > 0 {
        head.push_str(&format!(
            "| # provenance comment only | {} |\n",
            counts.provenance
        ));
    }

    let risks: Vec<_> = report.risks().collect();
    if !risks.is_empty() {
        head.push_str("\n#### ⚠️ Risks to review\n\n");
        for (change, risk) in risks {
            head.push_str(&format!(
                "- {}: {}\n",
                inline_code(&change.identity.to_string()),
                risk.message
            ));
        }
    }
    let replacements: Vec<&ObjectChange> = report
        .objects
        .iter()
        .filter(|o| o.kind == ChangeKind::Replace)
        .collect();
    if !replacements.is_empty() {
        head.push_str("\n#### ♻️ Replacements\n\n");
        for change in &replacements {
            head.push_str(&format!("- {}\n", inline_code(&replacement_line(change))));
        }
        head.push_str(&format!("\n{REPLACE_EXPLANATION}\n"));
    }
    if let Some(access) = &report.access_changes {
        head.push_str("\n#### Access changes\n\n");
        for line in access {
            head.push_str(&format!("- {line}\n"));
        }
    }

    let mut tail = String::new();
    let others = other_files(report);
    if !others.is_empty() {
        tail.push_str("\nOther files: ");
        let listed: Vec<String> = others
            .iter()
            .map(|(p, what)| format!("{} ({what})", inline_code(&options.file(p))))
            .collect();
        tail.push_str(&listed.join(", "));
        tail.push('\n');
    }
    if !report.notes.is_empty() {
        tail.push_str("\nNotes:\n");
        for note in &report.notes {
            tail.push_str(&format!(
                "- {} {}\n",
                inline_code(&options.file(&note.path)),
                escape_html(&note.message)
            ));
        }
    }

    // Provenance-only changes need no diff each: one collapsed list says where they come from.
    let provenance: Vec<&ObjectChange> = report
        .objects
        .iter()
        .filter(|o| o.kind == ChangeKind::Provenance)
        .collect();
    if !provenance.is_empty() {
        let mut block = format!(
            "\n<details><summary># {} with a new provenance comment only</summary>\n\nThe objects are unchanged; their input documents moved to other files.\n\n",
            if provenance.len() == 1 {
                "1 object".to_string()
            } else {
                format!("{} objects", provenance.len())
            }
        );
        for change in &provenance {
            let from = change
                .new
                .as_ref()
                .and_then(provenance_line)
                .unwrap_or_default();
            block.push_str(&format!(
                "- {}: {}\n",
                inline_code(&change.identity.to_string()),
                escape_html(&from)
            ));
        }
        block.push_str("\n</details>\n");
        tail.insert_str(0, &block);
    }

    // Objects, grouped, each a <details> block; stop at the first that would not fit.
    let total = report.objects.len() - provenance.len();
    let mut body = String::new();
    let mut shown = 0;
    'groups: for (tenant, namespace, items) in groups(report) {
        let heading = format!(
            "\n#### {} · {}\n\n",
            tenant_heading(tenant),
            namespace_heading(namespace)
        );
        let mut heading_written = false;
        for change in items
            .into_iter()
            .filter(|o| o.kind != ChangeKind::Provenance)
        {
            let block = markdown_object(change, options);
            let extra = if heading_written { 0 } else { heading.len() };
            let left_out_after = total - shown - 1;
            let reserve = if left_out_after > 0 {
                left_out_note(left_out_after, options.max_bytes).len()
            } else {
                0
            };
            if head.len() + body.len() + extra + block.len() + tail.len() + reserve
                > options.max_bytes
            {
                break 'groups;
            }
            if !heading_written {
                body.push_str(&heading);
                heading_written = true;
            }
            body.push_str(&block);
            shown += 1;
        }
    }
    let mut out = head;
    out.push_str(&body);
    if shown < total {
        out.push_str(&left_out_note(total - shown, options.max_bytes));
    }
    out.push_str(&tail);
    out
}

fn left_out_note(count: usize, max_bytes: usize) -> String {
    let objects = if count == 1 {
        "object was"
    } else {
        "objects were"
    };
    format!(
        "\n**{count} more {objects} left out to keep this comment under {max_bytes} bytes.** Run `tenet diff` locally to see every change.\n"
    )
}

fn markdown_object(change: &ObjectChange, options: &FormatOptions) -> String {
    let mut block = String::new();
    let risk = if change.risks.is_empty() {
        ""
    } else {
        " ⚠️"
    };
    block.push_str(&format!(
        "<details><summary>{} {} <code>{}</code>{risk}</summary>\n\n",
        symbol(change.kind),
        verb(change.kind),
        escape_html(&change.identity.to_string())
    ));
    let mut about = vec![format!(
        "File {}",
        inline_code(&options.file(change.path()))
    )];
    if let Some(from) = change
        .new
        .as_ref()
        .or(change.old.as_ref())
        .and_then(provenance_line)
    {
        about.push(escape_html(&from));
    }
    block.push_str(&about.join(", "));
    block.push_str(".\n\n");
    for risk in &change.risks {
        block.push_str(&format!("- ⚠️ {}\n", risk.message));
    }
    if !change.risks.is_empty() {
        block.push('\n');
    }
    let (old, new) = diff_sides(change);
    let hunks = unified_hunks(&old, &new);
    let fence = fence_for(&hunks);
    block.push_str(&format!("{fence}diff\n{hunks}{fence}\n\n</details>\n"));
    block
}

#[derive(Serialize)]
struct JsonDocument<'a> {
    version: u32,
    out_dir: &'a str,
    base: Option<&'a str>,
    summary: JsonSummary,
    objects: Vec<JsonObject<'a>>,
    files: Vec<JsonFile<'a>>,
    notes: &'a [Note],
    access_changes: Option<&'a [String]>,
}

#[derive(Serialize)]
struct JsonSummary {
    add: usize,
    change: usize,
    remove: usize,
    replace: usize,
    provenance: usize,
}

#[derive(Serialize)]
struct JsonIdentity<'a> {
    group: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
struct JsonVersion<'a> {
    path: &'a str,
    api_version: &'a str,
    provenance: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct JsonRisk<'a> {
    kind: &'static str,
    rule: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonObject<'a> {
    change: &'static str,
    identity: JsonIdentity<'a>,
    tenant: Option<&'a str>,
    old: Option<JsonVersion<'a>>,
    new: Option<JsonVersion<'a>>,
    diff: String,
    risks: Vec<JsonRisk<'a>>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    change: &'static str,
}

/// One versioned JSON document (see `docs/diff.md` for the schema).
pub fn render_json(report: &DiffReport, options: &FormatOptions) -> String {
    let counts = report.counts();
    let objects = report
        .objects
        .iter()
        .map(|o| JsonObject {
            change: o.kind.as_str(),
            identity: JsonIdentity {
                group: &o.identity.group,
                kind: &o.identity.kind,
                namespace: o.identity.namespace.as_deref(),
                name: &o.identity.name,
            },
            tenant: o.tenant.as_deref(),
            old: o.old.as_ref().map(json_version),
            new: o.new.as_ref().map(json_version),
            diff: {
                let (old, new) = diff_sides(o);
                unified_hunks(&old, &new)
            },
            risks: o
                .risks
                .iter()
                .map(|r| JsonRisk {
                    kind: r.kind.as_str(),
                    rule: r.rule,
                    message: &r.message,
                })
                .collect(),
        })
        .collect();
    let files = report
        .files
        .iter()
        .map(|f| JsonFile {
            path: &f.path,
            change: match (&f.old, &f.new) {
                (None, _) => "create",
                (_, None) => "remove",
                _ => "update",
            },
        })
        .collect();
    let document = JsonDocument {
        version: JSON_VERSION,
        out_dir: &options.out_dir,
        base: options.base.as_deref(),
        summary: JsonSummary {
            add: counts.add,
            change: counts.change,
            remove: counts.remove,
            replace: counts.replace,
            provenance: counts.provenance,
        },
        objects,
        files,
        notes: &report.notes,
        access_changes: report.access_changes.as_deref(),
    };
    let mut text = serde_json::to_string_pretty(&document)
        .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    text.push('\n');
    text
}

fn json_version(v: &ObjectVersion) -> JsonVersion<'_> {
    JsonVersion {
        path: &v.path,
        api_version: &v.api_version,
        provenance: &v.provenance,
        text: &v.text,
    }
}

/// The one-line count.
pub fn render_summary(report: &DiffReport) -> String {
    let access = match &report.access_changes {
        Some(lines) if !lines.is_empty() && lines[0] != "no one's access changes" => {
            let risky = lines.iter().filter(|l| l.contains("[RISKY")).count();
            format!(
                "; {} access change{} ({risky} risky)",
                lines.len(),
                if lines.len() == 1 { "" } else { "s" }
            )
        }
        _ => String::new(),
    };
    format!("{}{access}\n", report.counts().line())
}
