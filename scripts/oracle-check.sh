#!/usr/bin/env bash
# Compares tenet's RBAC evaluator with rbac-oracle (kube-apiserver 1.20.2's RBAC authorizer) on
# randomised manifests and queries, and reports every disagreement.
#
# usage: scripts/oracle-check.sh ORACLE_BINARY [CASES] [QUERIES_PER_CASE] [SEED]
#   Build the oracle with /work/shared/tools/rbac-oracle/build.sh (needs root and apt).
# Runs two modes:
#   plain:     random manifests only; tenet with built-ins off, the oracle without -bootstrap.
#   bootstrap: random manifests that also bind built-in roles; tenet with its embedded built-ins,
#              the oracle with -bootstrap plus a file holding what a real API server adds beyond
#              bootstrappolicy.ClusterRoles() (controller roles, and the aggregated rules of
#              admin/edit/view, which the oracle does not compute; see src/rbac/ORACLE.md).
# Exit status 1 if any answer differs.
set -euo pipefail
oracle=${1:?usage: oracle-check.sh ORACLE_BINARY [CASES] [QUERIES_PER_CASE] [SEED]}
oracle=$(cd "$(dirname "$oracle")" && pwd)/$(basename "$oracle")
cases=${2:-100}
queries=${3:-200}
seed=${4:-1}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo"
cargo build --release --quiet --example oracle_queries
gen=$repo/target/release/examples/oracle_queries
"$gen" extras "$work/extras.yaml"
status=0
for mode in plain bootstrap; do
  dir=$work/$mode
  if [ "$mode" = plain ]; then
    "$gen" generate "$dir" "$cases" "$queries" "$seed"
    "$gen" answer "$dir"
  else
    "$gen" generate "$dir" "$cases" "$queries" "$((seed + 1000003))" --bootstrap
    "$gen" answer "$dir" --builtin
  fi
  total=0 differing=0
  for case_dir in "$dir"/*/; do
    files=$case_dir/rbac.yaml
    flags=()
    if [ "$mode" = bootstrap ]; then files=$files,$work/extras.yaml; flags+=(-bootstrap); fi
    groups=$(cat "$case_dir/groups")
    [ -n "$groups" ] && flags+=(-groups "$groups")
    "$oracle" "${flags[@]}" -f "$files" < "$case_dir/queries.txt" | cut -f1,2 > "$case_dir/oracle.txt"
    n=$(wc -l < "$case_dir/queries.txt")
    total=$((total + n))
    if ! cmp -s "$case_dir/oracle.txt" "$case_dir/tenet.txt"; then
      d=$(diff "$case_dir/oracle.txt" "$case_dir/tenet.txt" | grep -c '^<' || true)
      differing=$((differing + d))
      echo "== $mode case $(basename "$case_dir") (groups: ${groups:-none}): $d disagreement(s); oracle < > tenet"
      diff "$case_dir/oracle.txt" "$case_dir/tenet.txt" | head -20 || true
      mkdir -p "$repo/target/oracle-disagreements/$mode"
      cp -r "$case_dir" "$repo/target/oracle-disagreements/$mode/"
      status=1
    fi
  done
  echo "$mode: $cases manifests, $total queries, $differing disagreement(s)"
done
exit $status
