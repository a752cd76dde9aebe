//! The output record: what tenet last wrote into an output directory, so that a run with the
//! same inputs can show that the directory still holds exactly that, without reading it.
//!
//! `generate`, and a `check` that finds `out/` up to date, save the record as
//! `out/.tenet-record` once the directory is exactly the plan. It holds:
//! - a **key**: SHA-256 over everything the output and the run's messages depend on (tenet's
//!   own executable, the date, the options, and every input file and template, by path and
//!   content);
//! - the **warnings** that run printed, so that a shortcut run prints them again;
//! - a **stamp** of every folder and file under `out/` (device, inode, size, modification and
//!   change time), and the SHA-256 of the files whose stamps are too recent to trust.
//!
//! A later run whose key is the same trusts the record only while every stamp still matches.
//! Writing a file, renaming it or changing its mode sets its change time (ctime), which no
//! program can set back, and adding or removing a folder entry changes the folder's stamps.
//! Timestamps are coarse, so a file changed within [`RACY_WINDOW_NS`] of the record's own
//! write may keep its stamp: such files are read and compared by hash instead (git's "racily
//! clean" rule). Folders whose stamp changed are listed and compared name by name. Anything
//! else that differs means the record is not trusted and the run takes the full path.
//!
//! This module is pure: `load` reads and checks records, `write` saves them.

use sha2::{Digest, Sha256};

use crate::diagnostic::Diagnostic;
use crate::load::Sources;
use crate::plan::{FileContent, Plan};
use crate::templates::TemplateSet;

/// The record's file name in the output directory. Hidden, so it is never taken for output.
pub const RECORD_FILE: &str = ".tenet-record";

/// The first line of a record; a record in any other format is ignored.
const FORMAT_LINE: &str = "tenet-record 1";

/// Files and folders whose latest timestamp is less than this before the record's own
/// modification time are not trusted on their stamp alone.
pub const RACY_WINDOW_NS: i64 = 2_000_000_000;

/// When saving, hashes are stored for files this recent: more than [`RACY_WINDOW_NS`], so
/// that the kernel's coarse clock cannot leave a file that needs a hash without one.
const HASH_WINDOW_NS: i64 = 3_000_000_000;

/// What identifies one version of a file or folder on disk. Times are nanoseconds since the
/// epoch in an `i64` (the years 1678 to 2262): large outputs hold one stamp per file and
/// folder, and an `i128` would make each half as large again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub device: u64,
    pub inode: u64,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub modified_ns: i64,
    /// Status change time (ctime), nanoseconds since the epoch.
    pub changed_ns: i64,
}

impl Stamp {
    /// The stamp of `metadata` (from `symlink_metadata`); `None` where the platform does not
    /// give inode and change time, or a time is outside the years 1678 to 2262, which turns the
    /// shortcut off.
    #[cfg(unix)]
    pub fn of(metadata: &std::fs::Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let ns = |seconds: i64, nanos: i64| seconds.checked_mul(1_000_000_000)?.checked_add(nanos);
        Some(Stamp {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.size(),
            modified_ns: ns(metadata.mtime(), metadata.mtime_nsec())?,
            changed_ns: ns(metadata.ctime(), metadata.ctime_nsec())?,
        })
    }

    #[cfg(not(unix))]
    pub fn of(_metadata: &std::fs::Metadata) -> Option<Stamp> {
        None
    }

    fn latest_ns(&self) -> i64 {
        self.modified_ns.max(self.changed_ns)
    }

    /// Whether this stamp is too close to the record's time (`record_ns`) to prove anything.
    pub fn is_racy(&self, record_ns: i64) -> bool {
        self.latest_ns() > record_ns.saturating_sub(RACY_WINDOW_NS)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Folder,
    /// A file tenet generated: part of the plan.
    Generated,
    /// A file tenet did not generate; it is left alone, and reported.
    Foreign,
}

/// A folder or file under `out/`, by `/`-separated path relative to `out/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub kind: EntryKind,
    pub stamp: Stamp,
    /// The content's SHA-256, for files whose stamp was recent when the record was saved.
    pub sha256: Option<[u8; 32]>,
}

/// A folder or file found under `out/` with its stamp, before it is classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampedPath {
    pub path: String,
    pub is_folder: bool,
    pub stamp: Stamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRecord {
    pub key: String,
    /// The compilation's warnings, printed again when the record is trusted.
    pub warnings: Vec<Diagnostic>,
    /// The audit's warnings, likewise.
    pub audit_warnings: Vec<String>,
    /// Every folder and file under `out/` except hidden ones and `out/` itself, sorted by path.
    pub entries: Vec<Entry>,
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The SHA-256 of `parts` one after the other, without joining them first.
pub fn sha256_of_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The key of a run: SHA-256 over `context` (name and value pairs such as the executable's
/// identity, the date and the options) and every input file and template, by path and content.
/// Each part is length-prefixed, so no two different inputs hash the same bytes.
pub fn input_key(sources: &Sources, templates: &TemplateSet, context: &[(&str, &str)]) -> String {
    let mut hasher = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(FORMAT_LINE.as_bytes());
    for (name, value) in context {
        part(name.as_bytes());
        part(value.as_bytes());
    }
    part(sources.root_name.as_bytes());
    for file in &sources.files {
        part(b"source");
        part(file.display_path.as_bytes());
        part(file.text.as_bytes());
    }
    for (name, template) in &templates.templates {
        part(b"template");
        part(name.as_bytes());
        part(template.display_path.as_bytes());
        part(template.text.as_bytes());
    }
    hex(&hasher.finalize())
}

/// Classifies the stamped contents of an output directory that holds exactly `plan` (and
/// perhaps foreign files) into record entries, one at a time and in path order (the stamps are
/// sorted in place first), so that saving a record never holds every entry as well as every
/// stamp. Files stamped within the hash window of `now_ns` get their hash: from the plan, or
/// for foreign files from `read`. An entry is `None` when a recent foreign file cannot be
/// read; then no record is saved.
pub fn entries_for<'a, C: FileContent>(
    plan: &'a Plan<C>,
    mut stamped: Vec<StampedPath>,
    now_ns: i64,
    read: impl Fn(&str) -> Option<Vec<u8>> + 'a,
) -> impl Iterator<Item = Option<Entry>> + 'a {
    // Paths are unique: an unstable sort gives the same order without a buffer (and, on
    // stamps taken in path order, without moving anything).
    stamped.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    stamped.into_iter().map(
        move |StampedPath {
                  path,
                  is_folder,
                  stamp,
              }| {
            let recent = stamp.latest_ns() > now_ns.saturating_sub(HASH_WINDOW_NS);
            let (kind, sha256) = if is_folder {
                (EntryKind::Folder, None)
            } else if let Some(content) = plan.files.get(&path) {
                (EntryKind::Generated, recent.then(|| content.sha256()))
            } else if recent {
                (EntryKind::Foreign, Some(sha256(&read(&path)?)))
            } else {
                (EntryKind::Foreign, None)
            };
            Some(Entry {
                path,
                kind,
                stamp,
                sha256,
            })
        },
    )
}

impl Entry {
    /// Whether the line format can carry the entry: not when its path holds a line break.
    fn is_writable(&self) -> bool {
        !self.path.contains(['\n', '\r'])
    }

    /// Writes the entry's line of the record (see [`OutputRecord::write_with_entries`]).
    fn write_line(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let kind = match self.kind {
            EntryKind::Folder => 'd',
            EntryKind::Generated => 'g',
            EntryKind::Foreign => 'x',
        };
        let Stamp {
            device,
            inode,
            size,
            modified_ns,
            changed_ns,
        } = self.stamp;
        let hash = self.sha256.map_or_else(|| "-".to_string(), |h| hex(&h));
        writeln!(
            out,
            "{kind} {device} {inode} {size} {modified_ns} {changed_ns} {hash} {}",
            self.path
        )
    }
}

impl OutputRecord {
    /// The files of one kind, by path.
    pub fn files(&self, kind: EntryKind) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(move |e| e.kind == kind)
            .map(|e| e.path.as_str())
    }

    /// A record with this key and these warnings and no entries yet (see
    /// [`OutputRecord::write_with_entries`]).
    pub fn new(key: String, warnings: Vec<Diagnostic>, audit_warnings: Vec<String>) -> Self {
        OutputRecord {
            key,
            warnings,
            audit_warnings,
            entries: Vec::new(),
        }
    }

    /// Writes the record as text (see [`OutputRecord::write_with_entries`]).
    pub fn write_text(&self, out: &mut impl std::io::Write) -> std::io::Result<bool> {
        self.write_with_entries(self.entries.iter().map(Some), out)
    }

    /// Writes a record with this one's key and warnings and the given entries (not its own),
    /// as it goes, without holding the whole text (about 250 MB at 100,000 namespaces): a
    /// format line, the key, the warnings as JSON, then one line per entry (kind, stamp, hash
    /// or `-`, path last). Returns `false` as soon as an entry is missing (`None`) or has a
    /// path with a line break, which the line format cannot carry: then what was written must
    /// not be saved.
    pub fn write_with_entries<E: std::borrow::Borrow<Entry>>(
        &self,
        entries: impl IntoIterator<Item = Option<E>>,
        out: &mut impl std::io::Write,
    ) -> std::io::Result<bool> {
        writeln!(out, "{FORMAT_LINE}")?;
        writeln!(out, "key {}", self.key)?;
        for warning in &self.warnings {
            writeln!(out, "warning {}", serde_json::to_string(warning)?)?;
        }
        for warning in &self.audit_warnings {
            writeln!(out, "audit-warning {}", serde_json::to_string(warning)?)?;
        }
        for entry in entries {
            match entry {
                Some(entry) if entry.borrow().is_writable() => entry.borrow().write_line(out)?,
                _ => return Ok(false),
            }
        }
        Ok(true)
    }

    /// Reads a record written by [`OutputRecord::write_text`]; `None` for anything else, which
    /// callers treat as no record at all.
    pub fn parse(text: &str) -> Option<OutputRecord> {
        OutputRecord::read_from(text.as_bytes())
    }

    /// [`OutputRecord::parse`] from a reader, line by line: the record of a large output is
    /// tens of megabytes, and its text is never held whole.
    pub fn read_from(mut reader: impl std::io::BufRead) -> Option<OutputRecord> {
        // The next line, into `buffer`, without its line break: `Some(None)` at the end, `None`
        // on a read error (then there is no record at all, not part of one).
        fn next_line<'b>(
            reader: &mut impl std::io::BufRead,
            buffer: &'b mut String,
        ) -> Option<Option<&'b str>> {
            buffer.clear();
            match reader.read_line(buffer) {
                Err(_) => None,
                Ok(0) => Some(None),
                Ok(_) => Some(Some(buffer.strip_suffix('\n').unwrap_or(buffer))),
            }
        }
        let mut buffer = String::new();
        if next_line(&mut reader, &mut buffer)?? != FORMAT_LINE {
            return None;
        }
        let key = next_line(&mut reader, &mut buffer)??
            .strip_prefix("key ")?
            .to_string();
        let mut record = OutputRecord::new(key, Vec::new(), Vec::new());
        while let Some(line) = next_line(&mut reader, &mut buffer)? {
            if let Some(json) = line.strip_prefix("warning ") {
                record.warnings.push(serde_json::from_str(json).ok()?);
                continue;
            }
            if let Some(json) = line.strip_prefix("audit-warning ") {
                record.audit_warnings.push(serde_json::from_str(json).ok()?);
                continue;
            }
            let mut fields = line.splitn(8, ' ');
            let kind = match fields.next()? {
                "d" => EntryKind::Folder,
                "g" => EntryKind::Generated,
                "x" => EntryKind::Foreign,
                _ => return None,
            };
            let mut unsigned = || fields.next()?.parse::<u64>().ok();
            let (device, inode, size) = (unsigned()?, unsigned()?, unsigned()?);
            let mut signed = || fields.next()?.parse::<i64>().ok();
            let (modified_ns, changed_ns) = (signed()?, signed()?);
            let stamp = Stamp {
                device,
                inode,
                size,
                modified_ns,
                changed_ns,
            };
            let sha256 = match fields.next()? {
                "-" => None,
                hash => Some(unhex(hash)?),
            };
            let path = fields.next()?.to_string();
            if path.is_empty() {
                return None;
            }
            record.entries.push(Entry {
                path,
                kind,
                stamp,
                sha256,
            });
        }
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Span;

    fn text_of(record: &OutputRecord) -> Option<String> {
        let mut bytes = Vec::new();
        let complete = record.write_text(&mut bytes).unwrap();
        complete.then(|| String::from_utf8(bytes).unwrap())
    }

    fn stamp(n: i64) -> Stamp {
        Stamp {
            device: 1,
            inode: n as u64,
            size: 10,
            modified_ns: n,
            changed_ns: n + 1,
        }
    }

    #[test]
    fn text_round_trips() {
        let record = OutputRecord {
            key: "k".repeat(64),
            warnings: vec![
                Diagnostic::warning("tenants/a.yaml", Some(Span::default()), "odd\nmessage")
                    .with_help("fix it"),
            ],
            audit_warnings: vec!["exception `x` matches no finding".to_string()],
            entries: vec![
                Entry {
                    path: "cluster".into(),
                    kind: EntryKind::Folder,
                    stamp: stamp(5),
                    sha256: None,
                },
                Entry {
                    path: "cluster/a b.yaml".into(),
                    kind: EntryKind::Generated,
                    stamp: stamp(-7),
                    sha256: Some(sha256(b"x")),
                },
                Entry {
                    path: "notes.txt".into(),
                    kind: EntryKind::Foreign,
                    stamp: stamp(9),
                    sha256: None,
                },
            ],
        };
        let text = text_of(&record).unwrap();
        assert_eq!(OutputRecord::parse(&text), Some(record));

        // A read that fails part way gives no record, not the entries read so far.
        struct FailsAfter<'a>(&'a [u8]);
        impl std::io::Read for FailsAfter<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() {
                    return Err(std::io::Error::other("disk gone"));
                }
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let cut = text.rfind("notes.txt").unwrap();
        let reader = std::io::BufReader::new(FailsAfter(&text.as_bytes()[..cut]));
        assert_eq!(OutputRecord::read_from(reader), None);
    }

    #[test]
    fn anything_else_is_no_record() {
        assert_eq!(OutputRecord::parse(""), None);
        assert_eq!(OutputRecord::parse("tenet-record 0\nkey k\n"), None);
        assert_eq!(
            OutputRecord::parse("tenet-record 1\nkey k\ng 1 2 3 4 5 - \n"),
            None
        );
        assert_eq!(
            OutputRecord::parse("tenet-record 1\nkey k\ng 1 2 3 4 5 zz a\n"),
            None
        );
        assert_eq!(
            OutputRecord::parse("tenet-record 1\nkey k\nq 1 2 3 4 5 - a\n"),
            None
        );
    }

    #[test]
    fn a_path_with_a_line_break_is_not_recorded() {
        let record = OutputRecord {
            key: String::new(),
            warnings: Vec::new(),
            audit_warnings: Vec::new(),
            entries: vec![Entry {
                path: "a\nb".into(),
                kind: EntryKind::Foreign,
                stamp: stamp(1),
                sha256: None,
            }],
        };
        assert_eq!(text_of(&record), None);
    }

    #[test]
    fn the_key_changes_with_every_part() {
        let templates = TemplateSet::embedded();
        let sources = Sources::in_memory("tenants", &[("a.yaml", "x: 1\n")]);
        let key = input_key(&sources, &templates, &[("date", "2026-12-04")]);
        assert_eq!(
            key,
            input_key(&sources, &templates, &[("date", "2026-12-04")])
        );
        assert_ne!(
            key,
            input_key(&sources, &templates, &[("date", "2026-12-05")])
        );
        let edited = Sources::in_memory("tenants", &[("a.yaml", "x: 2\n")]);
        assert_ne!(
            key,
            input_key(&edited, &templates, &[("date", "2026-12-04")])
        );
        let moved = Sources::in_memory("tenants", &[("b.yaml", "x: 1\n")]);
        assert_ne!(
            key,
            input_key(&moved, &templates, &[("date", "2026-12-04")])
        );
        // Length prefixes: moving bytes from one part to the next changes the key.
        assert_ne!(
            input_key(&sources, &templates, &[("ab", "c")]),
            input_key(&sources, &templates, &[("a", "bc")])
        );
    }

    #[test]
    fn recent_files_get_hashes_and_racy_stamps_are_told_apart() {
        let mut plan: Plan = Plan::default();
        plan.files.insert("g.yaml".into(), "text".into());
        let now = 100 * 1_000_000_000;
        let stamped = vec![
            StampedPath {
                path: "g.yaml".into(),
                is_folder: false,
                stamp: stamp(now - 1),
            },
            StampedPath {
                path: "old.txt".into(),
                is_folder: false,
                stamp: stamp(now - 10_000_000_000),
            },
            StampedPath {
                path: "new.txt".into(),
                is_folder: false,
                stamp: stamp(now),
            },
        ];
        let entries: Vec<Entry> =
            entries_for(&plan, stamped.clone(), now, |p| Some(p.as_bytes().to_vec()))
                .collect::<Option<_>>()
                .unwrap();
        let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["g.yaml", "new.txt", "old.txt"], "in path order");
        let by_path = |p: &str| entries.iter().find(|e| e.path == p).unwrap();
        assert_eq!(by_path("g.yaml").kind, EntryKind::Generated);
        assert_eq!(by_path("g.yaml").sha256, Some(sha256(b"text")));
        assert_eq!(by_path("old.txt").kind, EntryKind::Foreign);
        assert_eq!(by_path("old.txt").sha256, None);
        assert_eq!(by_path("new.txt").sha256, Some(sha256(b"new.txt")));
        // A recent foreign file that cannot be read: no record.
        assert!(entries_for(&plan, stamped, now, |_| None).any(|e| e.is_none()));

        assert!(stamp(now - 1).is_racy(now));
        assert!(!stamp(now - RACY_WINDOW_NS - 2).is_racy(now));
    }
}
