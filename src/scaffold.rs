//! What `tenet init` writes: a new GitOps repository that works at once. Pure: this module
//! only builds the file contents; [`crate::write::create_files`] puts them on disk.

use std::collections::BTreeMap;

use crate::schema::{SCHEMA_PATH, input_schema_text};
use crate::templates::{TEMPLATE_NAMES, TemplateSet};

/// The example input, one file with every kind, so `tenet generate` has something to compile.
pub const EXAMPLE_TENANTS_PATH: &str = "tenants/example.yaml";

/// The CI workflow `tenet init` writes.
pub const WORKFLOW_PATH: &str = ".github/workflows/tenet.yaml";

const EXAMPLE_TENANTS: &str = r#"# yaml-language-server: $schema=../schema/tenet.schema.json
# One tenant with two users, a namespace and a network. Edit or replace it, then run
# `tenet generate`. The input reference lists every field.
apiVersion: tenet.dev/v1alpha1
kind: Tenant
metadata:
  name: example
spec:
  displayName: "Example Team"
---
apiVersion: tenet.dev/v1alpha1
kind: User
metadata:
  name: alice
spec:
  tenant: example
  username: "alice@example.com"
  displayName: "Alice"
---
apiVersion: tenet.dev/v1alpha1
kind: User
metadata:
  name: bob
spec:
  tenant: example
---
apiVersion: tenet.dev/v1alpha1
kind: Network
metadata:
  name: example-net
spec:
  tenant: example
  subnets:
    - cidr: 10.20.0.0/24
      gateway: 10.20.0.1
---
apiVersion: tenet.dev/v1alpha1
kind: Namespace
metadata:
  name: example-dev
  labels:
    team: example
spec:
  tenant: example
  owners: [alice, bob]
  network: example-net
"#;

const MAKEFILE: &str = r#"# tenet's tasks. They call the `tenet` on PATH; override with `make TENET=/path/to/tenet`.
TENET ?= tenet
# The branch pull requests are compared against.
BASE ?= main

.PHONY: generate validate check diff

# Compile tenants/ into out/; commit both.
generate:
	$(TENET) generate

# Check tenants/ alone.
validate:
	$(TENET) validate

# Exit 1 when out/ is not exactly what `generate` would write.
check:
	$(TENET) check

# What this branch changes in out/, against origin/$(BASE).
diff:
	$(TENET) diff --base origin/$(BASE)
"#;

const WORKFLOW: &str = r#"# Runs on every pull request that touches the tenants: posts what changes in the cluster's RBAC
# as one sticky comment, then fails when the committed out/ is stale.
name: tenet

on:
  pull_request:
    paths: ["tenants/**", "templates/**", "out/**", ".github/workflows/tenet.yaml"]
  push:
    branches: [main]

permissions:
  contents: read
  pull-requests: write

env:
  # Where cargo installs tenet from: set the repository variable TENET_GIT to tenet's git URL
  # (and TENET_REV to a tag or commit to pin it).
  TENET_GIT: ${{ vars.TENET_GIT }}
  TENET_REV: ${{ vars.TENET_REV }}

jobs:
  tenet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # `tenet diff --base` reads out/ as committed on the base branch

      - name: Install tenet
        run: |
          if [ -z "$TENET_GIT" ]; then
            echo "::error::set the repository variable TENET_GIT to the git URL of tenet"
            exit 2
          fi
          cargo install --locked --git "$TENET_GIT" ${TENET_REV:+--rev "$TENET_REV"} tenet

      - name: Comment the diff on the pull request
        if: github.event_name == 'pull_request'
        env:
          GH_TOKEN: ${{ github.token }}
          PR: ${{ github.event.pull_request.number }}
          BASE: ${{ github.base_ref }}
        run: |
          tenet diff --base "origin/$BASE" --format markdown --exit-zero > tenet-diff.md
          # Update the comment tenet posted before (it carries a hidden marker), or post one.
          id=$(gh api "repos/$GITHUB_REPOSITORY/issues/$PR/comments" --paginate \
            --jq '.[] | select(.body | contains("<!-- tenet-diff -->")) | .id' | head -n 1)
          if [ -n "$id" ]; then
            gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F body=@tenet-diff.md
          else
            gh api "repos/$GITHUB_REPOSITORY/issues/$PR/comments" -F body=@tenet-diff.md
          fi

      - name: out/ is what tenet generates
        run: tenet check
"#;

const README: &str = r#"# Cluster tenants

This repository holds who may do what in the cluster. The input is `tenants/`; `out/` is the
Kubernetes RBAC that [tenet](https://tenet.dev) compiles from it, which Argo CD or Flux applies.
Never edit `out/` by hand.

To change access:

1. edit the YAML files in `tenants/` (your editor completes and checks fields through the
   schema in `schema/tenet.schema.json`);
2. run `make generate` (or `tenet generate`);
3. commit `tenants/` and `out/` together and open a pull request.

CI runs `tenet check`, which fails when `out/` does not match `tenants/`, and comments on the
pull request with `tenet diff`: the Kubernetes objects the change adds, changes and removes.

| Command | What it does |
| --- | --- |
| `make generate` | compile `tenants/` into `out/` |
| `make validate` | check `tenants/` alone |
| `make check` | exit 1 when `out/` is stale |
| `make diff` | what this branch changes, against `origin/main` |

`templates/` holds tenet's default templates; edit them to change what is generated.
"#;

const GITIGNORE: &str =
    "# tenet's lock file, held while `tenet generate` writes out/.\nout/.tenet.lock\n";

/// Every file of a new repository by its path relative to the repository root, with `/` as
/// separator.
pub fn files() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    files.insert(
        EXAMPLE_TENANTS_PATH.to_string(),
        EXAMPLE_TENANTS.to_string(),
    );
    for name in TEMPLATE_NAMES {
        if let Some(text) = TemplateSet::embedded_text(name) {
            files.insert(format!("templates/{name}"), text.to_string());
        }
    }
    files.insert(SCHEMA_PATH.to_string(), input_schema_text());
    files.insert("Makefile".to_string(), MAKEFILE.to_string());
    files.insert(WORKFLOW_PATH.to_string(), WORKFLOW.to_string());
    files.insert("README.md".to_string(), README.to_string());
    files.insert(".gitignore".to_string(), GITIGNORE.to_string());
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Sources;
    use crate::pipeline::compile;

    #[test]
    fn the_example_compiles_with_the_embedded_templates() {
        let files = files();
        let relative = EXAMPLE_TENANTS_PATH.trim_start_matches("tenants/");
        let sources = Sources::in_memory("tenants", &[(relative, &files[EXAMPLE_TENANTS_PATH])]);
        let compiled = compile(&sources, &TemplateSet::embedded());
        assert!(compiled.is_ok(), "{:?}", compiled.err());
    }

    #[test]
    fn the_schema_line_points_at_the_written_schema() {
        let files = files();
        let first_line = files[EXAMPLE_TENANTS_PATH]
            .lines()
            .next()
            .unwrap_or_default();
        let relative = first_line
            .strip_prefix("# yaml-language-server: $schema=../")
            .expect("schema line");
        assert_eq!(relative, SCHEMA_PATH);
        assert!(files.contains_key(SCHEMA_PATH));
    }

    #[test]
    fn every_template_is_included() {
        let files = files();
        for name in TEMPLATE_NAMES {
            assert!(files.contains_key(&format!("templates/{name}")), "{name}");
        }
        assert!(files[".gitignore"].lines().any(|l| l == "out/.tenet.lock"));
    }
}
