//! Stage 1, `load`: read the `tenants/` tree into memory. One of the two modules that touch the
//! filesystem (the other is `write`).
//!
//! Problems with individual files (unreadable, binary, too large, escaping symlinks) become
//! diagnostics, so one run reports all of them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diagnostic::{Diagnostic, Diagnostics, Span};
use crate::plan::{ExistingFile, FileContent, Plan, TreeChanges};
use crate::record::{self, EntryKind, OutputRecord, RECORD_FILE, Stamp, StampedPath};

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
                let (message, help) = if err.loop_ancestor().is_some() {
                    (
                        "symlink loop: this link points back to one of its own parent directories"
                            .to_string(),
                        "remove the link, or point it at a folder that does not contain it",
                    )
                } else {
                    let message = match err.io_error() {
                        Some(io) => format!("cannot read: {io}"),
                        None => format!("cannot read: {err}"),
                    };
                    (message, "fix the permissions or remove the entry")
                };
                diagnostics.push(Diagnostic::error(path, None, message).with_help(help));
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
        if reached_through_link_to_visible_file(entry.path(), &canonical_root, &relative) {
            continue; // the file is read at its real place; reading it twice would duplicate it
        }
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

/// Whether `path` (at `relative` below the root) is a symlink, or lies below one, to a file
/// that the walk also visits at its real, visible place inside the root.
fn reached_through_link_to_visible_file(
    path: &Path,
    canonical_root: &Path,
    relative: &str,
) -> bool {
    let Ok(real) = fs::canonicalize(path) else {
        return false;
    };
    let Ok(real_relative) = real.strip_prefix(canonical_root) else {
        return false;
    };
    let real_relative = real_relative
        .to_string_lossy()
        .replace(std::path::MAIN_SEPARATOR, "/");
    real_relative != relative && !real_relative.split('/').any(|part| part.starts_with('.'))
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

/// The stamp of a [`Walk`]'s entry not stamped (yet): a file until whoever reads it stamps it,
/// or a folder the platform gave no stamp for (then the walk is not `stamped`).
const NOT_STAMPED: Stamp = Stamp {
    device: 0,
    inode: 0,
    size: 0,
    modified_ns: 0,
    changed_ns: 0,
};

/// The folders and regular files found under an output directory, sorted by path, in the
/// form the output record keeps them. Each folder is stamped as it is listed, before its
/// entries (so that an entry added later changes the stamp); each file holds
/// [`NOT_STAMPED`] until whoever reads it stamps it. `stamped` is false once anything could
/// not be stamped (then no record can be saved).
struct Walk {
    entries: Vec<StampedPath>,
    stamped: bool,
    /// Entries that are neither folders nor regular files (symlinks above all), in path order:
    /// tenet never writes over or through them.
    blocked: Vec<String>,
}

impl Walk {
    /// The indexes of the files among the entries.
    fn files(&self) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|&index| !self.entries[index].is_folder)
            .collect()
    }

    /// Fills in the stamps of `files` (indexes into the entries), in order.
    fn stamp_files(&mut self, files: &[usize], stamps: impl IntoIterator<Item = Option<Stamp>>) {
        for (&index, stamp) in files.iter().zip(stamps) {
            match stamp {
                Some(stamp) => self.entries[index].stamp = stamp,
                None => self.stamped = false,
            }
        }
    }

    /// The stamped entries, when everything could be stamped.
    fn into_stamps(self) -> Option<Vec<StampedPath>> {
        self.stamped.then_some(self.entries)
    }
}

/// What a walk of `out/` lists besides its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// Every folder too, with its stamp: for the output record.
    FoldersAndFiles,
    /// Only the files (and the entries that block writing): for reading them.
    FilesOnly,
}

/// Every folder (unless `listing` says files only) and regular file below `out` (see
/// [`Walk`]), and every other entry apart;
/// hidden entries (the lock, the record, staged files) and names that are not UTF-8 are
/// skipped, symlinks are not followed.
fn walk_output(out: &Path, listing: Listing) -> std::io::Result<Walk> {
    let mut entries = Vec::new();
    let mut blocked = Vec::new();
    let mut stamped = true;
    let mut pending = vec![String::new()];
    while let Some(prefix) = pending.pop() {
        for entry in fs::read_dir(out.join(&prefix))? {
            let entry = entry?;
            let name = entry.file_name();
            if is_hidden(&name) {
                continue;
            }
            let Some(name) = name.to_str() else {
                continue;
            };
            let relative = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            let file_type = entry.file_type()?;
            if file_type.is_dir() && listing == Listing::FilesOnly {
                pending.push(relative);
            } else if file_type.is_dir() {
                let stamp = fs::symlink_metadata(entry.path())
                    .ok()
                    .and_then(|m| Stamp::of(&m));
                stamped &= stamp.is_some();
                pending.push(relative.clone());
                entries.push(StampedPath {
                    path: relative,
                    is_folder: true,
                    stamp: stamp.unwrap_or(NOT_STAMPED),
                });
            } else if file_type.is_file() {
                entries.push(StampedPath {
                    path: relative,
                    is_folder: false,
                    stamp: NOT_STAMPED,
                });
            } else {
                blocked.push(relative);
            }
        }
    }
    blocked.sort_unstable();
    entries.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    // Grown by doubling; a large tree keeps it while its files are compared.
    entries.shrink_to_fit();
    Ok(Walk {
        entries,
        stamped,
        blocked,
    })
}

/// Whether the output directory `out` (which exists) holds nothing but hidden entries, which
/// tenet never reads or writes: then a first run can write everything without comparing.
pub fn output_is_empty(out: &Path) -> std::io::Result<bool> {
    for entry in fs::read_dir(out)? {
        if !is_hidden(&entry?.file_name()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The files tenet finds under an output directory (relative, `/`-separated path to bytes),
/// for comparing with a fresh plan; hidden files are skipped, and a missing directory has none.
pub fn read_output_tree(out: &Path) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    if !out.exists() {
        return Ok(BTreeMap::new());
    }
    let walk = walk_output(out, Listing::FilesOnly)?;
    // The walk is cheap; reading tens of thousands of small files is not: read on all cores.
    crate::parallel::map_ordered(&walk.files(), 256, |&index| {
        let path = &walk.entries[index].path;
        fs::read(out.join(path)).map(|bytes| (path.clone(), bytes))
    })
    .into_iter()
    .collect()
}

/// Compares the files under `out` with `plan` one by one, without holding their contents.
/// When the directory is exactly the plan (no changes, no conflicts), also gives the stamps of
/// every folder and file as they were before their contents were read (`None` where the
/// platform gives no stamps), so that the run can save an [`OutputRecord`]; otherwise `None`:
/// a run that writes stamps the tree again afterwards, and a large tree's stamps are not held
/// meanwhile.
pub fn compare_output_tree<C: FileContent>(
    out: &Path,
    plan: &Plan<C>,
) -> std::io::Result<(TreeChanges, Option<Vec<StampedPath>>)> {
    if !out.exists() {
        // Every planned file is to create.
        return Ok((plan.changes_from(&BTreeMap::new(), &[]), None));
    }
    let mut walk = walk_output(out, Listing::FoldersAndFiles)?;
    let files = walk.files();
    let (classified, changes) = classify_output_files(out, &walk, &files, plan, |_| false)?;
    if !changes.is_empty() || !changes.conflicts.is_empty() {
        return Ok((changes, None));
    }
    walk.stamp_files(&files, classified.into_iter().map(|(stamp, _)| stamp));
    Ok((changes, walk.into_stamps()))
}

/// Like [`compare_output_tree`], for `tenet diff`: the changes, and the bytes of every file
/// found that is not the same as the plan's (those to update or remove, and other files).
pub fn read_output_changes<C: FileContent>(
    out: &Path,
    plan: &Plan<C>,
) -> std::io::Result<(TreeChanges, BTreeMap<String, Vec<u8>>)> {
    if !out.exists() {
        return Ok((plan.changes_from(&BTreeMap::new(), &[]), BTreeMap::new()));
    }
    let walk = walk_output(out, Listing::FilesOnly)?;
    let files = walk.files();
    let keep = |class| class != ExistingFile::Unchanged;
    let (classified, changes) = classify_output_files(out, &walk, &files, plan, keep)?;
    let differing = files
        .iter()
        .zip(classified)
        .filter_map(|(&index, (_, bytes))| Some((walk.entries[index].path.clone(), bytes?)))
        .collect();
    Ok((changes, differing))
}

/// A file of `out/` as read: its stamp, and its bytes when they were kept.
type ReadFile = (Option<Stamp>, Option<Vec<u8>>);

/// Reads the `files` (indexes into the walk's entries) of `out` and classifies each against
/// `plan`: its stamp as read, and its bytes where `keep` wants them for its class; and the
/// changes they make. Reading tens of thousands of small files is the slow part: on all cores.
fn classify_output_files<C: FileContent>(
    out: &Path,
    walk: &Walk,
    files: &[usize],
    plan: &Plan<C>,
    keep: impl Fn(ExistingFile) -> bool + Sync,
) -> std::io::Result<(Vec<ReadFile>, TreeChanges)> {
    let classified = crate::parallel::map_ordered(files, 256, |&index| {
        use std::io::Read;
        let path = &walk.entries[index].path;
        let mut file = fs::File::open(out.join(path))?;
        let stamp = file.metadata().ok().and_then(|m| Stamp::of(&m));
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let class = plan.classify_existing(path, &bytes);
        Ok((stamp, class, keep(class).then_some(bytes)))
    })
    .into_iter()
    .collect::<std::io::Result<Vec<_>>>()?;
    let existing: BTreeMap<&str, ExistingFile> = files
        .iter()
        .zip(&classified)
        .map(|(&index, (_, class, _))| (walk.entries[index].path.as_str(), *class))
        .collect();
    let changes = plan.changes_from(&existing, &walk.blocked);
    let classified = classified
        .into_iter()
        .map(|(stamp, _, bytes)| (stamp, bytes))
        .collect();
    Ok((classified, changes))
}

/// The stamps of every folder and file under `out`, without reading any file; `None` where the
/// platform gives no stamps.
pub fn stamp_output_tree(out: &Path) -> std::io::Result<Option<Vec<StampedPath>>> {
    let mut walk = walk_output(out, Listing::FoldersAndFiles)?;
    let files = walk.files();
    let stamps = crate::parallel::map_ordered(&files, 512, |&index| {
        fs::symlink_metadata(out.join(&walk.entries[index].path)).map(|m| Stamp::of(&m))
    })
    .into_iter()
    .collect::<std::io::Result<Vec<_>>>()?;
    walk.stamp_files(&files, stamps);
    Ok(walk.into_stamps())
}

/// Records larger than this are ignored (a record lists each output file on one short line).
const MAX_RECORD_BYTES: u64 = 1 << 30;

/// The output directory's record and its modification time in nanoseconds, if there is a
/// readable record in the current format.
pub fn read_output_record(out: &Path) -> Option<(OutputRecord, i64)> {
    use std::io::Read;
    let file = fs::File::open(out.join(RECORD_FILE)).ok()?;
    let stamp = Stamp::of(&file.metadata().ok()?)?;
    let reader = std::io::BufReader::new(file.take(MAX_RECORD_BYTES));
    Some((OutputRecord::read_from(reader)?, stamp.modified_ns))
}

/// How a record that still describes its output directory was shown to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Whether some entry needed more than its stamp (a recent file, a folder whose stamp
    /// changed): saving the record again makes the next run cheaper.
    pub worth_saving: bool,
}

/// Checks that `out` still holds exactly what `record` (saved at `record_ns`) lists: every
/// entry's stamp matches, recent files match their hash, and folders whose stamp changed (and
/// `out` itself) hold the listed names and no others. Sets each entry's stamp to the current
/// one. `None` when anything differs; the record is then of no use.
pub fn verify_output_record(
    out: &Path,
    record: &mut OutputRecord,
    record_ns: i64,
) -> Option<Verified> {
    let entries = &record.entries;
    // The names directly inside folder `relative` ("" for `out` itself). Entries are sorted by
    // path, so a folder's descendants are one contiguous run.
    let children = |relative: &str| -> Vec<&str> {
        let prefix = if relative.is_empty() {
            String::new()
        } else {
            format!("{relative}/")
        };
        let start = entries.partition_point(|e| e.path.as_str() < prefix.as_str());
        entries[start..]
            .iter()
            .take_while(|e| e.path.starts_with(&prefix))
            .map(|e| &e.path[prefix.len()..])
            .filter(|name| !name.contains('/'))
            .collect()
    };
    let lists = |dir: &Path, relative: &str| -> bool {
        let mut expected = children(relative);
        expected.sort_unstable();
        let Ok(listing) = fs::read_dir(dir) else {
            return false;
        };
        let mut names = Vec::with_capacity(expected.len());
        for entry in listing {
            let Ok(entry) = entry else {
                return false;
            };
            let name = entry.file_name();
            if is_hidden(&name) {
                continue;
            }
            match name.into_string() {
                Ok(name) => names.push(name),
                Err(_) => return false,
            }
        }
        names.sort_unstable();
        names
            .iter()
            .map(String::as_str)
            .eq(expected.iter().copied())
    };
    if !entries.is_sorted_by(|a, b| a.path < b.path) || !lists(out, "") {
        return None;
    }
    let checked = crate::parallel::map_ordered(entries, 512, |entry| {
        let path = out.join(&entry.path);
        let metadata = fs::symlink_metadata(&path).ok()?;
        let stamp = Stamp::of(&metadata)?;
        let racy = stamp.is_racy(record_ns);
        match entry.kind {
            EntryKind::Folder => {
                if !metadata.is_dir() {
                    return None;
                }
                let changed = stamp != entry.stamp || racy;
                (!changed || lists(&path, &entry.path)).then_some((stamp, changed))
            }
            EntryKind::Generated | EntryKind::Foreign => {
                if !metadata.is_file() || stamp != entry.stamp {
                    return None;
                }
                if racy {
                    let expected = entry.sha256?;
                    (record::sha256(&fs::read(&path).ok()?) == expected).then_some((stamp, true))
                } else {
                    Some((stamp, false))
                }
            }
        }
    });
    let mut worth_saving = false;
    for (entry, checked) in record.entries.iter_mut().zip(checked) {
        let (stamp, needed_more) = checked?;
        worth_saving |= needed_more;
        entry.stamp = stamp;
    }
    Some(Verified { worth_saving })
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

/// Why `out/` could not be read from git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("{dir} is not inside a git repository, so --base cannot read an earlier revision")]
    NotARepository { dir: String },
    #[error("unknown git revision `{revision}`")]
    UnknownRevision { revision: String },
    #[error("`git {command}` failed: {detail}")]
    Failed { command: String, detail: String },
}

/// The output directory as committed at a revision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionTree {
    /// Relative path (inside the output directory, `/`-separated) to bytes; hidden files and
    /// symlinks are skipped, as [`read_output_tree`] does.
    pub files: std::collections::BTreeMap<String, Vec<u8>>,
    /// The output directory's path inside the repository, e.g. `deploy/out`.
    pub repo_path: String,
    /// False when the revision has no such directory (everything is an addition).
    pub exists: bool,
    /// The full commit id the revision names.
    pub commit: String,
}

fn git(
    dir: &Path,
    args: &[&str],
    stdin: Option<Vec<u8>>,
) -> Result<std::process::Output, GitError> {
    git_command(dir, args, stdin, true)
}

/// Runs git in `dir`; with `literal_pathspecs`, paths given are never read as patterns.
fn git_command(
    dir: &Path,
    args: &[&str],
    stdin: Option<Vec<u8>>,
    literal_pathspecs: bool,
) -> Result<std::process::Output, GitError> {
    use std::process::{Command, Stdio};
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(literal_pathspecs.then_some("--literal-pathspecs"))
        .args(args)
        .env("LC_ALL", "C")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(GitError::Spawn)?;
    // Feed stdin from another thread so that a large answer cannot block on a full pipe.
    let writer = match (stdin, child.stdin.take()) {
        (Some(bytes), Some(mut pipe)) => Some(std::thread::spawn(move || {
            use std::io::Write;
            let _ = pipe.write_all(&bytes);
        })),
        _ => None,
    };
    let output = child.wait_with_output().map_err(GitError::Spawn)?;
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    Ok(output)
}

fn git_ok(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Result<Vec<u8>, GitError> {
    let output = git(dir, args, stdin)?;
    if !output.status.success() {
        return Err(GitError::Failed {
            command: args.join(" "),
            detail: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(output.stdout)
}

/// The nearest existing directory at or above `out`, and the path from it down to `out`.
fn existing_ancestor(out: &Path) -> (PathBuf, Vec<String>) {
    let mut missing = Vec::new();
    let mut dir = out.to_path_buf();
    loop {
        if dir.as_os_str().is_empty() {
            return (PathBuf::from("."), missing);
        }
        if dir.is_dir() {
            return (dir, missing);
        }
        match (dir.file_name(), dir.parent()) {
            (Some(name), Some(parent)) => {
                missing.insert(0, name.to_string_lossy().into_owned());
                dir = parent.to_path_buf();
            }
            _ => return (PathBuf::from("."), missing),
        }
    }
}

/// Finds the repository around `out`: its top directory and `out`'s path inside it.
fn locate_in_repository(out: &Path) -> Result<(PathBuf, String), GitError> {
    let (dir, missing) = existing_ancestor(out);
    let output = git(
        &dir,
        &["rev-parse", "--show-toplevel", "--show-prefix"],
        None,
    )?;
    if !output.status.success() {
        return Err(GitError::NotARepository {
            dir: dir.display().to_string(),
        });
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    let top = PathBuf::from(lines.next().unwrap_or("."));
    let prefix = lines.next().unwrap_or("").trim_end_matches('/').to_string();
    let mut parts: Vec<String> = prefix
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    parts.extend(missing);
    Ok((top, parts.join("/")))
}

/// Reads the output directory `out` as committed at `revision`, by asking the `git` binary
/// (`git ls-tree` for the listing, one `git cat-file --batch` for the contents).
pub fn load_output_tree_at_revision(out: &Path, revision: &str) -> Result<RevisionTree, GitError> {
    let (top, repo_path) = locate_in_repository(out)?;
    if revision.is_empty() || revision.starts_with('-') {
        return Err(GitError::UnknownRevision {
            revision: revision.to_string(),
        });
    }
    let verify = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{revision}^{{commit}}"),
        ],
        None,
    )?;
    if !verify.status.success() {
        return Err(GitError::UnknownRevision {
            revision: revision.to_string(),
        });
    }
    let commit = String::from_utf8_lossy(&verify.stdout).trim().to_string();

    let mut args = vec!["ls-tree", "-r", "-z", commit.as_str()];
    if !repo_path.is_empty() {
        args.push("--");
        args.push(repo_path.as_str());
    }
    let listing = git_ok(&top, &args, None)?;
    let prefix = if repo_path.is_empty() {
        String::new()
    } else {
        format!("{repo_path}/")
    };
    // Each entry: "<mode> <type> <object>\t<path>\0".
    let mut wanted: Vec<(String, String)> = Vec::new();
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let fields: Vec<&str> = meta.split(' ').collect();
        let [mode, kind, object] = fields[..] else {
            continue;
        };
        if kind != "blob" || !(mode == "100644" || mode == "100755") {
            continue;
        }
        let Some(relative) = path.strip_prefix(&prefix) else {
            continue;
        };
        if relative.split('/').any(|part| part.starts_with('.')) {
            continue;
        }
        wanted.push((relative.to_string(), object.to_string()));
    }
    let exists = !listing.is_empty();
    let mut files = std::collections::BTreeMap::new();
    if !wanted.is_empty() {
        let request: String = wanted
            .iter()
            .map(|(_, object)| format!("{object}\n"))
            .collect();
        let answer = git_ok(&top, &["cat-file", "--batch"], Some(request.into_bytes()))?;
        let mut rest = answer.as_slice();
        for (relative, object) in wanted {
            let malformed = || GitError::Failed {
                command: "cat-file --batch".to_string(),
                detail: format!("unexpected answer for {object}"),
            };
            let newline = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or_else(malformed)?;
            let header = String::from_utf8_lossy(&rest[..newline]).into_owned();
            let size: usize = header
                .rsplit(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(malformed)?;
            if !header.starts_with(&object) || rest.len() < newline + 1 + size {
                return Err(malformed());
            }
            let content = rest[newline + 1..newline + 1 + size].to_vec();
            rest = rest.get(newline + 2 + size..).unwrap_or(&[]);
            files.insert(relative, content);
        }
    }
    Ok(RevisionTree {
        files,
        repo_path,
        exists,
        commit,
    })
}

/// Those of `files` (paths relative to `out`) that git neither tracks nor ignores. `None`
/// when `out` is not in a git repository or git cannot be run: then there is nothing to say.
/// Reads git's index rather than walking `out`, so it costs little however large `out` is.
pub fn load_untracked_files(out: &Path, files: &[&str]) -> Option<Vec<String>> {
    if !out.is_dir() {
        return Some(Vec::new());
    }
    let (top, repo_path) = locate_in_repository(out).ok()?;
    let mut args = vec!["ls-files", "-z"];
    if !repo_path.is_empty() {
        args.push("--");
        args.push(repo_path.as_str());
    }
    let listing = git_ok(&top, &args, None).ok()?;
    let prefix = if repo_path.is_empty() {
        String::new()
    } else {
        format!("{repo_path}/")
    };
    let tracked: std::collections::HashSet<&[u8]> = listing
        .split(|&b| b == 0)
        .filter_map(|e| e.strip_prefix(prefix.as_bytes()))
        .collect();
    let untracked: Vec<&str> = files
        .iter()
        .copied()
        .filter(|file| !tracked.contains(file.as_bytes()))
        .collect();
    if untracked.is_empty() {
        return Some(Vec::new());
    }
    // Ignored files are meant to stay out of git: they are not missing from it.
    let mut query = Vec::new();
    for file in &untracked {
        query.extend_from_slice(prefix.as_bytes());
        query.extend_from_slice(file.as_bytes());
        query.push(0);
    }
    // check-ignore takes paths, not pathspecs, and refuses `--literal-pathspecs`.
    let output = git_command(&top, &["check-ignore", "-z", "--stdin"], Some(query), false).ok()?;
    // check-ignore exits 1 when no path is ignored.
    if !matches!(output.status.code(), Some(0 | 1)) {
        return None;
    }
    let ignored: std::collections::HashSet<&[u8]> = output
        .stdout
        .split(|&b| b == 0)
        .filter_map(|e| e.strip_prefix(prefix.as_bytes()))
        .collect();
    let mut files: Vec<String> = untracked
        .into_iter()
        .filter(|file| !ignored.contains(file.as_bytes()))
        .map(str::to_string)
        .collect();
    files.sort();
    Some(files)
}

/// Reads a text file given on the command line (`-` for standard input).
pub fn read_text_argument(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        return Ok(text);
    }
    fs::read_to_string(path)
}

/// What identifies the running tenet executable: its path, size and modification time. Part
/// of an [`OutputRecord`]'s key, so that a rebuilt or upgraded tenet never trusts a record
/// that an older one saved. `None` when the executable cannot be found.
pub fn executable_identity() -> Option<String> {
    let path = std::env::current_exe().ok()?;
    let stamp = Stamp::of(&fs::metadata(&path).ok()?)?;
    Some(format!(
        "{} {} {} {}",
        path.display(),
        stamp.size,
        stamp.modified_ns,
        stamp.inode
    ))
}
