//! Stage 1, `load`: read the `tenants/` tree into memory. One of the two modules that touch the
//! filesystem (the other is `write`).
//!
//! Problems with individual files (unreadable, binary, too large, escaping symlinks) become
//! diagnostics, so one run reports all of them.

use std::fs;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diagnostic::{Diagnostic, Diagnostics, Span};

/// Input files larger than this are refused: real tenant files are far smaller, and reading a
/// runaway file would only waste memory.
pub const MAX_INPUT_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// One input file, decoded as UTF-8 (without a byte-order mark).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path shown in diagnostics: the `--tenants` directory as given, joined with `relative`.
    pub display_path: String,
    /// The path inside the tenants directory, `/`-separated, e.g. `acme/users.yaml`.
    pub relative: String,
    pub text: String,
}

/// All input files, sorted by relative path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// The tenants directory's own name (e.g. `tenants`), used in provenance comments so that
    /// output never contains an absolute path.
    pub root_name: String,
    pub files: Vec<SourceFile>,
}

impl Sources {
    /// The machine-independent name of an input file, as written in provenance comments.
    pub fn provenance_name(&self, relative: &str) -> String {
        format!("{}/{}", self.root_name, relative)
    }

    /// Sources held in memory, as if read from a directory named `root_name`; for tests and
    /// for callers that have the files already.
    pub fn in_memory(root_name: &str, files: &[(&str, &str)]) -> Sources {
        let mut files: Vec<SourceFile> = files
            .iter()
            .map(|(relative, text)| SourceFile {
                display_path: format!("{root_name}/{relative}"),
                relative: relative.to_string(),
                text: text.strip_prefix('\u{feff}').unwrap_or(text).to_string(),
            })
            .collect();
        files.sort_by(|a, b| a.relative.cmp(&b.relative));
        Sources {
            root_name: root_name.to_string(),
            files,
        }
    }

    pub fn file(&self, display_path: &str) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.display_path == display_path)
    }
}

fn is_yaml(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Reads every `*.yaml`/`*.yml` file below `root`, recursively and in sorted order, skipping
/// hidden files and folders. Symlinks are followed only while they stay inside `root`.
pub fn load_sources(root: &Path) -> (Sources, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let shown_root = root.display().to_string();
    let root_name = fs::canonicalize(root)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "tenants".to_string());
    let mut sources = Sources {
        root_name,
        files: Vec::new(),
    };

    let canonical_root = match fs::metadata(root) {
        Ok(meta) if meta.is_dir() => match fs::canonicalize(root) {
            Ok(path) => path,
            Err(err) => {
                diagnostics.push(Diagnostic::error(
                    &shown_root,
                    None,
                    format!("cannot open the tenants directory: {err}"),
                ));
                return (sources, diagnostics);
            }
        },
        Ok(_) => {
            diagnostics.push(
                Diagnostic::error(&shown_root, None, "the tenants path is not a directory")
                    .with_help("pass the directory that holds your Tenant, User, Namespace and Network files with --tenants DIR"),
            );
            return (sources, diagnostics);
        }
        Err(err) => {
            diagnostics.push(
                Diagnostic::error(&shown_root, None, format!("cannot read the tenants directory: {err}"))
                    .with_help("create it, or pass another directory with --tenants DIR (`tenet init` scaffolds one)"),
            );
            return (sources, diagnostics);
        }
    };

    let mut escaped: Vec<Diagnostic> = Vec::new();
    let walker = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() > 0 && is_hidden(entry.file_name()) {
                return false;
            }
            if entry.path_is_symlink() {
                let inside = fs::canonicalize(entry.path())
                    .map(|target| target.starts_with(&canonical_root))
                    .unwrap_or(true); // a dangling link is reported when it is read
                if !inside {
                    escaped.push(
                        Diagnostic::error(entry.path().display().to_string(), None, "symlink points outside the tenants directory; tenet does not follow it")
                            .with_help("copy the file into the tenants directory, or remove the link"),
                    );
                    return false;
                }
            }
            true
        });

    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| shown_root.clone());
                let message = if err.loop_ancestor().is_some() {
                    "symlink loop: this link points back to one of its own parent directories"
                        .to_string()
                } else {
                    match err.io_error() {
                        Some(io) => format!("cannot read: {io}"),
                        None => format!("cannot read: {err}"),
                    }
                };
                diagnostics.push(
                    Diagnostic::error(path, None, message)
                        .with_help("fix the permissions or remove the entry"),
                );
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(name) = entry.file_name().to_str() else {
            if is_yaml(&entry.file_name().to_string_lossy()) {
                diagnostics.push(
                    Diagnostic::error(
                        entry.path().to_string_lossy(),
                        None,
                        "file name is not valid UTF-8",
                    )
                    .with_help("rename the file using UTF-8 characters only"),
                );
            }
            continue;
        };
        if !is_yaml(name) {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else {
            continue;
        };
        let Some(relative) = relative
            .to_str()
            .map(|r| r.replace(std::path::MAIN_SEPARATOR, "/"))
        else {
            diagnostics.push(
                Diagnostic::error(
                    entry.path().to_string_lossy(),
                    None,
                    "path is not valid UTF-8",
                )
                .with_help("rename the folders on this path using UTF-8 characters only"),
            );
            continue;
        };
        let display_path = entry.path().display().to_string();
        match read_source_text(entry.path(), &display_path) {
            Ok(text) => sources.files.push(SourceFile {
                display_path,
                relative,
                text,
            }),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    diagnostics.0.extend(escaped);
    sources.files.sort_by(|a, b| a.relative.cmp(&b.relative));
    (sources, diagnostics)
}

/// Reads one file and checks that it is text tenet can parse.
fn read_source_text(path: &Path, display_path: &str) -> Result<String, Diagnostic> {
    let meta = fs::metadata(path)
        .map_err(|err| Diagnostic::error(display_path, None, format!("cannot read: {err}")))?;
    if meta.len() > MAX_INPUT_FILE_BYTES {
        return Err(Diagnostic::error(
            display_path,
            None,
            format!(
                "file is too large ({} bytes); tenet accepts input files of at most {} MiB",
                meta.len(),
                MAX_INPUT_FILE_BYTES / (1024 * 1024)
            ),
        )
        .with_help("split the documents across several smaller files"));
    }
    let bytes = fs::read(path).map_err(|err| {
        Diagnostic::error(display_path, None, format!("cannot read: {err}"))
            .with_help("check the file's permissions")
    })?;
    decode_source_text(bytes, display_path)
}

/// Decodes file bytes as UTF-8 text, dropping a leading byte-order mark. Binary files (with NUL
/// bytes) and invalid UTF-8 are refused with the position of the first bad byte.
pub fn decode_source_text(mut bytes: Vec<u8>, display_path: &str) -> Result<String, Diagnostic> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return Err(Diagnostic::error(display_path, Some(span_at(&bytes, pos)), "binary file: contains a NUL byte")
            .with_help("tenant files must be YAML text; remove this file or move it out of the tenants directory"));
    }
    String::from_utf8(bytes).map_err(|err| {
        let pos = err.utf8_error().valid_up_to();
        let span = span_at(err.as_bytes(), pos);
        Diagnostic::error(display_path, Some(span), "file is not valid UTF-8 text")
            .with_help("save the file as UTF-8")
    })
}

fn span_at(bytes: &[u8], pos: usize) -> Span {
    let before = &bytes[..pos];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u64
        + 1;
    Span {
        line,
        column,
        offset: pos,
        len: 1,
    }
}

/// The files tenet finds under an output directory, for comparing with a fresh plan.
/// Returns paths relative to `out`, `/`-separated, and their bytes; hidden files are skipped.
pub fn load_output_tree(out: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    if !out.exists() {
        return Ok(files);
    }
    for entry in WalkDir::new(out)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()))
    {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative: PathBuf = entry
            .path()
            .strip_prefix(out)
            .map_err(std::io::Error::other)?
            .to_path_buf();
        let Some(relative) = relative.to_str() else {
            continue;
        };
        files.push((
            relative.replace(std::path::MAIN_SEPARATOR, "/"),
            fs::read(entry.path())?,
        ));
    }
    Ok(files)
}

/// Reads template overrides from `dir`: every `*.j2` file there replaces the embedded
/// template of the same name (or adds a helper template for `include`/`import`). A missing
/// directory is an error only when `required` (the user named it explicitly).
pub fn load_templates(dir: &Path, required: bool) -> (crate::templates::TemplateSet, Diagnostics) {
    use crate::templates::{TemplateSet, TemplateSource};
    let mut set = TemplateSet::embedded();
    let mut diagnostics = Diagnostics::default();
    let shown = dir.display().to_string();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => {
            return (set, diagnostics);
        }
        Err(err) => {
            diagnostics.push(
                Diagnostic::error(shown, None, format!("cannot read the templates directory: {err}"))
                    .with_help("pass an existing directory with --templates DIR, or leave the flag out to use the built-in templates"),
            );
            return (set, diagnostics);
        }
    };
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if name.ends_with(".j2") && !name.starts_with('.') && path.is_file() {
            names.push((name, path));
        }
    }
    names.sort();
    for (name, path) in names {
        let display_path = path.display().to_string();
        let text = fs::metadata(&path)
            .map_err(|err| Diagnostic::error(&display_path, None, format!("cannot read: {err}")))
            .and_then(|meta| {
                if meta.len() > MAX_INPUT_FILE_BYTES {
                    Err(
                        Diagnostic::error(&display_path, None, "template file is too large")
                            .with_help("templates are small text files"),
                    )
                } else {
                    fs::read(&path).map_err(|err| {
                        Diagnostic::error(&display_path, None, format!("cannot read: {err}"))
                    })
                }
            })
            .and_then(|bytes| decode_source_text(bytes, &display_path));
        match text {
            Ok(text) => set.set(name, TemplateSource { display_path, text }),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    (set, diagnostics)
}
