//! Structure-aware: the fuzzer's bytes choose a valid seed tree from the repository and a
//! sequence of mutations (lines deleted, duplicated, moved; values replaced by YAML's special
//! tokens, huge numbers, deep nesting, anchors and aliases), then the whole pipeline runs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenet_fuzz::{Mutated, exercise};

fuzz_target!(|input: Mutated| {
    exercise(&input.sources());
});
