//! Helpers shared by the integration tests (`mod common;` in each that uses them).
// Each test binary compiles this module and uses only some of it.
#![allow(dead_code)]

use std::fs;
use std::path::Path;

/// Copies the folder `from` to `to`, recursively, creating `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `head` followed by a YAML "billion laughs": 12 levels of anchors, each a list of nine
/// aliases to the level below (9^12 nodes once expanded).
pub fn alias_bomb(head: &str) -> String {
    let mut bomb = format!("{head}x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "x{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    bomb
}

/// The objects of a plan as `tenet` reads them back from `out/` (origins under `out/`).
pub fn plan_objects(plan: &tenet::plan::Plan) -> Vec<tenet::manifests::ManifestObject> {
    let files = plan
        .files
        .iter()
        .map(|(path, text)| (path.clone(), text.as_bytes().to_vec()))
        .collect();
    let (objects, problems) = tenet::manifests::parse_tree(&files, "out/");
    assert!(problems.is_empty(), "{problems:?}");
    objects
}
