//! What the fuzz targets share: running the whole pipeline on in-memory sources, the valid seed
//! inputs, and the structure-aware mutations of `compile_structured`.
//!
//! tenet must answer every input with a Plan or diagnostics. A panic, a timeout or running out
//! of memory is a finding; so is a panic while drawing a diagnostic the way the CLI does.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use arbitrary::Arbitrary;
use tenet::audit::{TenancyFacts, audit_parts, render_report};
use tenet::diagnostic::Diagnostics;
use tenet::load::Sources;
use tenet::pipeline::compile;
use tenet::templates::TemplateSet;

/// The CLI's own diagnostic renderer, compiled in here so that a span it cannot draw is found.
#[allow(dead_code)]
#[path = "../../src/cli/report.rs"]
mod report;

static TEMPLATES: LazyLock<TemplateSet> = LazyLock::new(TemplateSet::embedded);

/// A fixed date, so that a run is a pure function of its input.
const TODAY: &str = "2025-06-01";

/// compile, then what `generate` and `check` do with the result: the audit and its report on
/// success, the graphical diagnostics on failure.
pub fn exercise(sources: &Sources) {
    match compile(sources, &TEMPLATES) {
        Ok(mut compiled) => {
            draw(sources, &compiled.warnings);
            let facts = TenancyFacts::from_model(&compiled.model, TODAY);
            let report = audit_parts(compiled.take_audit_parts("out/"), &facts);
            let _ = render_report(&report);
        }
        Err(diagnostics) => draw(sources, &diagnostics),
    }
}

/// One in-memory file named `fuzz.yaml`, through [`exercise`].
pub fn exercise_text(text: &str) {
    exercise(&Sources::in_memory("tenants", &[("fuzz.yaml", text)]));
}

fn draw(sources: &Sources, diagnostics: &Diagnostics) {
    let style = report::Style {
        graphical: true,
        color: true,
    };
    // Drawing is slow next to compiling; the first few diagnostics cover every kind of span.
    for diagnostic in diagnostics.iter().take(8) {
        let _ = diagnostic.to_string();
        let _ = report::render_diagnostic(diagnostic, style, &|file| {
            sources.file(file).map(|f| f.text.as_str())
        });
    }
}

// ---- Seeds: valid inputs from the repository ----

/// A valid `tenants/` tree: relative path and text of each file.
pub type Seed = &'static [(&'static str, &'static str)];

pub const SEEDS: &[Seed] = &[
    &[
        ("settings.yaml", include_str!("../../tenants/settings.yaml")),
        (
            "acme/tenant.yaml",
            include_str!("../../tenants/acme/tenant.yaml"),
        ),
        (
            "acme/users.yaml",
            include_str!("../../tenants/acme/users.yaml"),
        ),
        (
            "acme/namespaces.yaml",
            include_str!("../../tenants/acme/namespaces.yaml"),
        ),
        (
            "globex/globex.yaml",
            include_str!("../../tenants/globex/globex.yaml"),
        ),
        (
            "initech/tenant.yaml",
            include_str!("../../tenants/initech/tenant.yaml"),
        ),
        (
            "initech/users.yaml",
            include_str!("../../tenants/initech/users.yaml"),
        ),
        (
            "initech/namespaces.yaml",
            include_str!("../../tenants/initech/namespaces.yaml"),
        ),
    ],
    &[(
        "all.yaml",
        include_str!("../../tests/fixtures/generate/minimal/tenants/all.yaml"),
    )],
    &[(
        "a.yaml",
        include_str!("../../tests/fixtures/generate/no-networks/tenants/a.yaml"),
    )],
    &[(
        "tricky.yaml",
        include_str!("../../tests/fixtures/generate/tricky-strings/tenants/tricky.yaml"),
    )],
    &[
        (
            "acme/tenant.yaml",
            include_str!("../../tests/fixtures/diff/pr/after/tenants/acme/tenant.yaml"),
        ),
        (
            "acme/namespaces.yaml",
            include_str!("../../tests/fixtures/diff/pr/after/tenants/acme/namespaces.yaml"),
        ),
    ],
    &[(
        "acme.yaml",
        include_str!("../../tests/fixtures/diff/pr/before/tenants/acme.yaml"),
    )],
];

// ---- Structure-aware mutations ----

pub use tokens::TOKENS;

/// Shared with the proptest suite (`tests/fuzz.rs`), which includes it by path.
mod tokens;

/// A line of one file of the tree; both indices wrap around.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct At {
    file: u8,
    line: u16,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Nesting {
    FlowSequence,
    FlowMapping,
    BlockMapping,
    BlockSequence,
    Anchors,
}

#[derive(Debug, Clone, Arbitrary)]
pub enum Mutation {
    DeleteLine(At),
    DuplicateLine(At),
    /// Repeats a line many times: long lists, duplicate keys, big documents.
    RepeatLine(At, u8),
    SwapLines(At, At),
    /// Moves a line to another place, possibly in another file.
    MoveLine(At, At),
    /// Replaces what follows `: ` (or the whole line) with a token.
    ReplaceValue(At, u8),
    /// Inserts a token at a character position.
    InsertToken(At, u16, u8),
    /// Inserts arbitrary text at a character position.
    InsertText(At, u16, String),
    ReplaceLine(At, String),
    Indent(At, u8),
    Dedent(At),
    Truncate(At),
    /// Replaces a value with a number of any size.
    Number(At, i128),
    Float(At, f64),
    /// Replaces a value with a nesting `depth` levels deep.
    Nest(At, Nesting, u16),
    /// Appends a copy of a whole file to another: every object declared twice.
    DuplicateFile(u8, u8),
    /// Adds a file with arbitrary text.
    NewFile(String),
}

/// A seed and the mutations to apply to it.
#[derive(Debug, Clone, Arbitrary)]
pub struct Mutated {
    pub seed: u8,
    pub mutations: Vec<Mutation>,
}

/// Mutated trees stay below this size: the parser's budgets, not the fuzzer's patience, are
/// what bounds bigger input.
const MAX_BYTES: usize = 256 * 1024;
const MAX_MUTATIONS: usize = 32;

struct Tree {
    files: Vec<(String, Vec<String>)>,
}

impl Tree {
    fn bytes(&self) -> usize {
        self.files
            .iter()
            .map(|(_, lines)| lines.iter().map(|l| l.len() + 1).sum::<usize>())
            .sum()
    }

    /// (file index, line index) of `at`, or None when that file has no lines.
    fn locate(&self, at: At) -> (usize, Option<usize>) {
        let f = at.file as usize % self.files.len();
        let n = self.files[f].1.len();
        (f, (n > 0).then(|| at.line as usize % n))
    }

    fn line(&mut self, at: At) -> Option<&mut String> {
        let (f, l) = self.locate(at);
        l.map(move |l| &mut self.files[f].1[l])
    }
}

fn token(t: u8) -> &'static str {
    TOKENS[t as usize % TOKENS.len()]
}

/// Replaces what follows the first `: ` of a line, or appends when there is none.
fn replace_value(line: &mut String, value: &str) {
    match line.find(": ") {
        Some(colon) => line.replace_range(colon + 2.., value),
        None => match line.find("- ") {
            Some(dash) => line.replace_range(dash + 2.., value),
            None => line.push_str(value),
        },
    }
}

fn char_index(line: &str, position: u16) -> usize {
    let chars = line.chars().count() + 1;
    line.char_indices()
        .map(|(i, _)| i)
        .nth(position as usize % chars)
        .unwrap_or(line.len())
}

fn nesting(kind: Nesting, depth: u16) -> String {
    let depth = depth as usize % 2048;
    match kind {
        Nesting::FlowSequence => format!("{}x{}", "[".repeat(depth), "]".repeat(depth)),
        Nesting::FlowMapping => format!("{}x{}", "{a: ".repeat(depth), "}".repeat(depth)),
        Nesting::BlockMapping => (0..depth)
            .map(|i| format!("\n{}k{i}:", "  ".repeat(i + 1)))
            .collect(),
        Nesting::BlockSequence => format!("\n{}x", "- ".repeat(depth)),
        Nesting::Anchors => {
            let mut text = String::from("&n0 [x, x]");
            for i in 1..depth.min(64) {
                text = format!("&n{i} [{text}, *n{}, *n{}]", i - 1, i - 1);
            }
            text
        }
    }
}

impl Mutation {
    fn apply(&self, tree: &mut Tree) {
        match self {
            Mutation::DeleteLine(at) => {
                if let (f, Some(l)) = tree.locate(*at) {
                    tree.files[f].1.remove(l);
                }
            }
            Mutation::DuplicateLine(at) => Mutation::RepeatLine(*at, 1).apply(tree),
            Mutation::RepeatLine(at, times) => {
                if let (f, Some(l)) = tree.locate(*at) {
                    let line = tree.files[f].1[l].clone();
                    for _ in 0..*times {
                        tree.files[f].1.insert(l, line.clone());
                    }
                }
            }
            Mutation::SwapLines(a, b) => {
                if let ((fa, Some(la)), (fb, Some(lb))) = (tree.locate(*a), tree.locate(*b)) {
                    let line = std::mem::take(&mut tree.files[fa].1[la]);
                    let other = std::mem::replace(&mut tree.files[fb].1[lb], line);
                    tree.files[fa].1[la] = other;
                }
            }
            Mutation::MoveLine(from, to) => {
                if let (f, Some(l)) = tree.locate(*from) {
                    let line = tree.files[f].1.remove(l);
                    let (t, _) = tree.locate(*to);
                    let n = tree.files[t].1.len();
                    tree.files[t].1.insert(to.line as usize % (n + 1), line);
                }
            }
            Mutation::ReplaceValue(at, t) => {
                if let Some(line) = tree.line(*at) {
                    replace_value(line, token(*t));
                }
            }
            Mutation::InsertToken(at, position, t) => {
                if let Some(line) = tree.line(*at) {
                    let i = char_index(line, *position);
                    line.insert_str(i, token(*t));
                }
            }
            Mutation::InsertText(at, position, text) => {
                if let Some(line) = tree.line(*at) {
                    let i = char_index(line, *position);
                    line.insert_str(i, text);
                }
            }
            Mutation::ReplaceLine(at, text) => {
                if let Some(line) = tree.line(*at) {
                    *line = text.clone();
                }
            }
            Mutation::Indent(at, n) => {
                if let Some(line) = tree.line(*at) {
                    line.insert_str(0, &" ".repeat(*n as usize % 9));
                }
            }
            Mutation::Dedent(at) => {
                if let Some(line) = tree.line(*at) {
                    *line = line.trim_start().to_string();
                }
            }
            Mutation::Truncate(at) => {
                if let (f, Some(l)) = tree.locate(*at) {
                    tree.files[f].1.truncate(l);
                }
            }
            Mutation::Number(at, n) => {
                if let Some(line) = tree.line(*at) {
                    replace_value(line, &n.to_string());
                }
            }
            Mutation::Float(at, x) => {
                if let Some(line) = tree.line(*at) {
                    replace_value(line, &format!("{x:?}"));
                }
            }
            Mutation::Nest(at, kind, depth) => {
                if let Some(line) = tree.line(*at) {
                    replace_value(line, &nesting(*kind, *depth));
                }
            }
            Mutation::DuplicateFile(from, to) => {
                let n = tree.files.len();
                let mut lines = tree.files[*from as usize % n].1.clone();
                let target = &mut tree.files[*to as usize % n].1;
                target.push("---".to_string());
                target.append(&mut lines);
            }
            Mutation::NewFile(text) => {
                let name = format!("new-{}.yaml", tree.files.len());
                tree.files
                    .push((name, text.lines().map(str::to_string).collect()));
            }
        }
    }
}

impl Mutated {
    /// The mutated tree: relative path and text of each file.
    pub fn files(&self) -> Vec<(String, String)> {
        let seed = SEEDS[self.seed as usize % SEEDS.len()];
        let mut tree = Tree {
            files: seed
                .iter()
                .map(|(name, text)| (name.to_string(), text.lines().map(str::to_string).collect()))
                .collect(),
        };
        for mutation in self.mutations.iter().take(MAX_MUTATIONS) {
            if tree.bytes() > MAX_BYTES {
                break;
            }
            mutation.apply(&mut tree);
        }
        tree.files
            .into_iter()
            .map(|(name, lines)| (name, lines.join("\n")))
            .collect()
    }

    /// The mutated tree as [`Sources`]. With `TENET_FUZZ_WRITE=DIR` in the environment, also
    /// writes it to `DIR/tenants/`: how a crash becomes a regression fixture.
    pub fn sources(&self) -> Sources {
        let files = self.files();
        if let Some(dir) = WRITE_TO.as_ref() {
            write_tree(&dir.join("tenants"), &files);
        }
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str()))
            .collect();
        Sources::in_memory("tenants", &borrowed)
    }
}

static WRITE_TO: LazyLock<Option<PathBuf>> =
    LazyLock::new(|| std::env::var_os("TENET_FUZZ_WRITE").map(PathBuf::from));

fn write_tree(root: &Path, files: &[(String, String)]) {
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}
