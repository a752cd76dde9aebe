//! Fuzzing inside `cargo test`: random bytes and structure-aware mutations of valid input go
//! through the loader's decoding and the whole pipeline. tenet must answer with a Plan or
//! diagnostics, never a panic; each case is also bounded in time by the parser's budgets.
//! `TENET_FUZZ_CASES=5000 cargo test --release --test fuzz` runs a longer session.

use proptest::prelude::*;
use tenet::load::{Sources, decode_source_text};
use tenet::pipeline::compile;
use tenet::templates::TemplateSet;

#[path = "../examples/synth.rs"]
#[allow(dead_code)]
mod synth;

fn compile_text(text: &str) {
    let sources = Sources::in_memory("tenants", &[("fuzz.yaml", text)]);
    let _ = compile(&sources, &TemplateSet::embedded());
}

/// A small valid input: every kind and field, in one file.
fn seed_text() -> String {
    let params = synth::SynthParams {
        tenants: 2,
        users_per_tenant: 2,
        namespaces_per_tenant: 2,
        networks_per_tenant: 1,
        seed: 3,
    };
    let mut text = String::new();
    for file in synth::generate(&params).into_values() {
        if !text.is_empty() {
            text.push_str("---\n");
        }
        text.push_str(&file);
    }
    text
}

/// Fragments that YAML, serde or tenet's checks treat specially: the fuzz targets' list.
#[path = "../fuzz/src/tokens.rs"]
mod tokens;
use tokens::TOKENS;

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    ReplaceValue(usize, usize),
    Insert(usize, usize),
    Truncate(usize),
    Indent(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, t)| Mutation::ReplaceValue(a, t)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, t)| Mutation::Insert(a, t)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0..6usize).prop_map(|(a, n)| Mutation::Indent(a, n)),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for m in mutations {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match *m {
            Mutation::DeleteLine(i) => {
                lines.remove(i % n);
            }
            Mutation::DuplicateLine(i) => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            Mutation::SwapLines(a, b) => lines.swap(a % n, b % n),
            Mutation::ReplaceValue(i, t) => {
                let line = &mut lines[i % n];
                match line.find(": ") {
                    Some(colon) => line.replace_range(colon + 2.., TOKENS[t]),
                    None => line.push_str(TOKENS[t]),
                }
            }
            Mutation::Insert(i, t) => {
                let line = &mut lines[i % n];
                let at = line
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(i % (line.chars().count() + 1))
                    .unwrap_or(line.len());
                line.insert_str(at, TOKENS[t]);
            }
            Mutation::Truncate(i) => lines.truncate(i % n),
            Mutation::Indent(i, k) => lines[i % n].insert_str(0, &" ".repeat(k)),
        }
    }
    lines.join("\n")
}

fn fuzz_cases() -> u32 {
    std::env::var("TENET_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(text) = decode_source_text(bytes.clone(), "tenants/fuzz.yaml") {
            compile_text(&text);
        }
        compile_text(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_text_with_yaml_tokens_never_panics(parts in proptest::collection::vec(0..TOKENS.len(), 0..64)) {
        let text: String = parts.iter().map(|&t| TOKENS[t]).collect::<Vec<_>>().join(" ");
        compile_text(&text);
    }

    #[test]
    fn mutated_valid_input_never_panics(mutations in proptest::collection::vec(mutation(), 1..6)) {
        compile_text(&apply(&seed_text(), &mutations));
    }
}

#[test]
fn the_unmutated_seed_compiles() {
    let sources = Sources::in_memory("tenants", &[("fuzz.yaml", &seed_text())]);
    if let Err(errors) = compile(&sources, &TemplateSet::embedded()) {
        panic!("{errors}");
    }
}
