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

const WORKFLOW: &str = r#"# On every pull request that touches the tenants, the templates or out/:
#   1. posts `tenet diff` against the base branch as one comment, updated in place on every push
#      (found again through its hidden <!-- tenet-diff --> marker);
#   2. fails when the committed out/ is not exactly what `tenet generate` writes.
# Pull requests from forks get a read-only token: they skip the comment, not the check.
#
# Set the repository variable TENET_REPOSITORY to the git URL cargo installs tenet from
# (Settings > Secrets and variables > Actions > Variables), and TENET_REV to pin a tag or commit.
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
  TENET_REPOSITORY: ${{ vars.TENET_REPOSITORY }}
  TENET_REV: ${{ vars.TENET_REV }}

jobs:
  tenet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # `tenet diff --base origin/<branch>` reads out/ from the base branch

      - name: Install tenet
        run: |
          if [ -z "$TENET_REPOSITORY" ]; then
            echo "::error::set the repository variable TENET_REPOSITORY to the git URL of tenet"
            exit 2
          fi
          cargo install --locked --git "$TENET_REPOSITORY" ${TENET_REV:+--rev "$TENET_REV"} tenet

      - name: Diff against the base branch
        if: github.event_name == 'pull_request'
        env:
          BASE_REF: ${{ github.base_ref }}
        # --exit-zero: changes are what a pull request is for; invalid input still fails (2).
        run: tenet diff --base "origin/$BASE_REF" --format markdown --exit-zero > tenet-diff.md

      - name: Post or update the pull-request comment
        if: github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository
        uses: actions/github-script@v7
        with:
          script: |
            const body = require('fs').readFileSync('tenet-diff.md', 'utf8');
            const { owner, repo } = context.repo;
            const issue_number = context.issue.number;
            const comments = await github.paginate(github.rest.issues.listComments,
              { owner, repo, issue_number, per_page: 100 });
            const mine = comments.find((c) => c.body && c.body.includes('<!-- tenet-diff -->'));
            if (mine) {
              await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
            } else {
              await github.rest.issues.createComment({ owner, repo, issue_number, body });
            }

      - name: out/ is up to date
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

const GITIGNORE: &str = "# tenet's lock file, held while `tenet generate` writes out/, and its record of what it wrote.\nout/.tenet.lock\nout/.tenet-record\n";

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
        assert!(
            files[".gitignore"]
                .lines()
                .any(|l| l == "out/.tenet-record")
        );
    }
}
