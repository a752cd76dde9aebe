//! The documentation cannot rot: every command in a ```sh block of README.md and docs/*.md is
//! run here, and the input reference is checked against the JSON Schema.
//!
//! How a document is run: it gets its own scratch copy of the repository (tenants/,
//! templates/, out/, schema/, Makefile) and its blocks run in order, so later blocks see what
//! earlier ones did.
//! - ```sh blocks run line by line. `tenet ARGS` and `cargo run [FLAGS] -- ARGS` run the tenet
//!   binary under test; `make TARGET` runs make with `TENET` set to it; `cd`, `git`, `cat`,
//!   `ls` and `mkdir` run as written. `A && B` runs A, then B. A trailing `> FILE` captures
//!   standard output. A line's exit status must be 0, or N when its comment says `exits N`.
//! - Commands that build or test tenet itself (`cargo test`, `cargo install`, `cargo build`,
//!   `bash .ci/run`) are not run: the test suite is that run.
//! - ```sh skip blocks are not run: they need a cluster or the network. The text beside each
//!   says so.
//! - ```yaml file=PATH blocks are written to PATH, as the reader is told to do. Every ```yaml
//!   block must parse.

mod common;
use common::copy_dir;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Commands that build or test tenet itself, which this test suite already does.
const NOT_RUN_PREFIXES: [&str; 4] = ["cargo test", "cargo install", "cargo build", "bash .ci/run"];

fn tenet_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tenet"))
}

fn documents() -> Vec<PathBuf> {
    let mut docs = vec![PathBuf::from("README.md")];
    let mut in_docs: Vec<PathBuf> = fs::read_dir("docs")
        .expect("docs/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    in_docs.sort();
    docs.extend(in_docs);
    docs
}

#[derive(Debug)]
struct Block {
    info: String,
    text: String,
    /// 1-based line of the opening fence.
    line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some(Block {
                        info: info.trim().to_string(),
                        text: String::new(),
                        line: index + 1,
                    });
                }
            }
            Some(block) => {
                if line.trim_end() == "```" {
                    blocks.extend(open.take());
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "an unclosed code block");
    blocks
}

/// Splits a command line into words, honouring single and double quotes.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quotes in `{line}`");
    if in_word {
        words.push(word);
    }
    words
}

/// The exit status a line's comment announces (`# exits 1: ...`), else 0.
fn expected_status(comment: &str) -> i32 {
    let words: Vec<&str> = comment.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| w[0] == "exits" || w[0] == "exit")
        .and_then(|w| w[1].trim_end_matches([':', ',', ';', '.']).parse().ok())
        .unwrap_or(0)
}

fn scratch_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["tenants", "templates", "out", "schema"] {
        copy_dir(Path::new(folder), &dir.path().join(folder));
    }
    for file in ["Makefile", ".gitignore"] {
        fs::copy(file, dir.path().join(file)).unwrap();
    }
    dir
}

struct Runner {
    root: tempfile::TempDir,
    cwd: PathBuf,
    ran: usize,
}

impl Runner {
    fn new() -> Runner {
        let root = scratch_repository();
        let cwd = root.path().to_path_buf();
        Runner { root, cwd, ran: 0 }
    }

    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(&self.cwd)
            .env("NO_COLOR", "1")
            .env("TENET", tenet_binary())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Doc Test")
            .env("GIT_AUTHOR_EMAIL", "doc@test.invalid")
            .env("GIT_COMMITTER_NAME", "Doc Test")
            .env("GIT_COMMITTER_EMAIL", "doc@test.invalid");
        command
    }

    /// Runs one line of a ```sh block; `place` names it in failure messages.
    fn run_line(&mut self, line: &str, place: &str) {
        let (command, comment) = match line.split_once(" # ") {
            Some((command, comment)) => (command.trim(), comment),
            None if line.trim_start().starts_with('#') => return,
            None => (line.trim(), ""),
        };
        if command.is_empty() {
            return;
        }
        if NOT_RUN_PREFIXES.iter().any(|p| command.starts_with(p)) {
            return;
        }
        let parts: Vec<&str> = command.split(" && ").collect();
        let last = parts.len() - 1;
        for (index, part) in parts.into_iter().enumerate() {
            // Only the last command of a chain may be expected to fail.
            let status = if index == last {
                expected_status(comment)
            } else {
                0
            };
            self.run_command(part.trim(), status, place);
        }
    }

    fn run_command(&mut self, command: &str, expected: i32, place: &str) {
        let mut words = words(command);
        let mut stdout_file = None;
        if let Some(position) = words.iter().position(|w| w == ">") {
            assert_eq!(
                position + 2,
                words.len(),
                "{place}: `> FILE` must end `{command}`"
            );
            stdout_file = Some(self.cwd.join(&words[position + 1]));
            words.truncate(position);
        }
        let (program, args): (PathBuf, Vec<String>) = match words[0].as_str() {
            "tenet" => (tenet_binary(), words[1..].to_vec()),
            "cargo" if words.get(1).map(String::as_str) == Some("run") => {
                let dashes = words
                    .iter()
                    .position(|w| w == "--")
                    .unwrap_or_else(|| panic!("{place}: `cargo run` without `--`"));
                (tenet_binary(), words[dashes + 1..].to_vec())
            }
            "make" => (PathBuf::from("make"), words[1..].to_vec()),
            "git" | "cat" | "ls" | "mkdir" => (PathBuf::from(&words[0]), words[1..].to_vec()),
            "cd" => {
                assert_eq!(words.len(), 2, "{place}: `{command}`");
                self.cwd = self.cwd.join(&words[1]);
                assert!(self.cwd.is_dir(), "{place}: no directory {}", words[1]);
                return;
            }
            other => panic!(
                "{place}: `{other}` is not a command the doc tests can run; \
                 mark the block ```sh skip and say why in the text"
            ),
        };
        let output = self
            .command(&program)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{place}: cannot run `{command}`: {e}"));
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{place}: `{command}` exited {:?}, the docs say {expected}\nstdout:\n{}\nstderr:\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if let Some(file) = stdout_file {
            fs::write(file, &output.stdout).unwrap();
        }
        self.ran += 1;
    }

    fn write_file(&mut self, relative: &str, text: &str) {
        let path = self.cwd.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

#[test]
fn every_command_in_the_docs_runs() {
    for doc in documents() {
        let markdown = fs::read_to_string(&doc).unwrap();
        let mut runner = Runner::new();
        let mut sh_blocks = 0;
        for block in blocks(&markdown) {
            let mut info = block.info.split_whitespace();
            let language = info.next().unwrap_or_default();
            let attributes: Vec<&str> = info.collect();
            let place = format!("{}:{}", doc.display(), block.line);
            match language {
                "sh" if attributes.contains(&"skip") => {}
                "sh" => {
                    sh_blocks += 1;
                    for (offset, line) in block.text.lines().enumerate() {
                        let place = format!("{}:{}", doc.display(), block.line + 1 + offset);
                        runner.run_line(line, &place);
                    }
                }
                "yaml" => {
                    for document in block.text.split("\n---\n") {
                        let parsed: Result<Value, _> = serde_saphyr::from_str(document);
                        assert!(parsed.is_ok(), "{place}: not YAML: {parsed:?}");
                    }
                    if let Some(path) = attributes.iter().find_map(|a| a.strip_prefix("file=")) {
                        runner.write_file(path, &block.text);
                    }
                }
                "bash" | "shell" | "console" => {
                    panic!("{place}: write ```sh (run by the doc tests) or ```sh skip")
                }
                _ => {}
            }
        }
        assert!(
            sh_blocks == 0 || runner.ran > 0,
            "{}: no command ran",
            doc.display()
        );
        drop(runner.root);
    }
}

#[test]
fn the_runner_reads_exit_statuses_and_words() {
    assert_eq!(expected_status("exits 1: out/ is stale"), 1);
    assert_eq!(expected_status("compile tenants/"), 0);
    assert_eq!(
        words(r#"git commit -m "first commit" 'a b'"#),
        ["git", "commit", "-m", "first commit", "a b"]
    );
}

// ---- The input reference against the schema ----

/// Every field path of one document kind (`spec.subnets[].cidr`) with whether it is required
/// within its parent.
fn schema_fields(schema: &Value, definition: &str) -> BTreeMap<String, bool> {
    fn resolve<'s>(schema: &'s Value, node: &'s Value) -> Option<&'s Value> {
        if let Some(reference) = node["$ref"].as_str() {
            let name = reference.rsplit('/').next()?;
            return resolve(schema, &schema["definitions"][name]);
        }
        for combinator in ["allOf", "anyOf"] {
            if let Some(options) = node[combinator].as_array() {
                return options
                    .iter()
                    .find_map(|o| resolve(schema, o).filter(|r| r.get("properties").is_some()));
            }
        }
        if node["items"].is_object() {
            return resolve(schema, &node["items"]);
        }
        node.get("properties").map(|_| node)
    }
    fn walk(schema: &Value, node: &Value, prefix: &str, fields: &mut BTreeMap<String, bool>) {
        let required: Vec<&str> = node["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, property) in node["properties"].as_object().unwrap() {
            let path = format!("{prefix}{name}");
            fields.insert(path.clone(), required.contains(&name.as_str()));
            let is_list = property["items"].is_object()
                || property["anyOf"]
                    .as_array()
                    .is_some_and(|o| o.iter().any(|o| o["items"].is_object()));
            if let Some(child) = resolve(schema, property) {
                let separator = if is_list { "[]." } else { "." };
                walk(schema, child, &format!("{path}{separator}"), fields);
            }
        }
    }
    let mut fields = BTreeMap::new();
    walk(schema, &schema["definitions"][definition], "", &mut fields);
    fields
}

/// The rows of the field table under `## KIND`: path → the Required cell says "yes".
fn documented_fields(markdown: &str, kind: &str) -> BTreeMap<String, bool> {
    let section = markdown
        .split(&format!("\n## {kind}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("docs/input-reference.md has no `## {kind}` section"));
    let section = section.split("\n## ").next().unwrap();
    let mut fields = BTreeMap::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let path = cells[1].trim_matches('`').to_string();
        let required = match cells[3] {
            "yes" => true,
            "no" => false,
            other => panic!("{kind} `{path}`: Required is `{other}`, not yes or no"),
        };
        assert!(
            fields.insert(path.clone(), required).is_none(),
            "{kind} `{path}` twice"
        );
    }
    fields
}

#[test]
fn the_input_reference_documents_exactly_the_schema() {
    let schema: Value =
        serde_json::from_str(&fs::read_to_string("schema/tenet.schema.json").unwrap()).unwrap();
    let markdown = fs::read_to_string("docs/input-reference.md").unwrap();
    for kind in tenet::document::KINDS {
        let in_schema = schema_fields(&schema, &format!("{kind}Document"));
        assert!(in_schema.contains_key("metadata.name"), "{in_schema:?}");
        let in_doc = documented_fields(&markdown, kind);
        assert_eq!(
            in_doc, in_schema,
            "the `## {kind}` table of docs/input-reference.md (left) differs from the schema (right)"
        );
    }
}

#[test]
fn the_output_reference_names_every_folder_of_the_example() {
    let markdown = fs::read_to_string("docs/output-reference.md").unwrap();
    for entry in walkdir::WalkDir::new("out").min_depth(1) {
        let entry = entry.unwrap();
        let depth = entry.depth();
        let parent = entry.path().parent().unwrap();
        // out/cluster/<kind> and out/namespaces/<ns>/<kind>
        let is_kind_folder = entry.file_type().is_dir()
            && ((depth == 2 && parent.ends_with("cluster")) || depth == 3);
        if is_kind_folder {
            let kind = entry.file_name().to_string_lossy().into_owned();
            assert!(
                markdown.contains(&format!("`{kind}`")),
                "docs/output-reference.md does not mention the folder `{kind}`"
            );
        }
    }
}
