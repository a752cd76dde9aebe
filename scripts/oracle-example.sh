#!/usr/bin/env bash
# Asks the real kube-apiserver RBAC authorizer (rbac-oracle, see ../shared/tools/rbac-oracle)
# and tenet the same questions about the committed example output, and reports every answer on
# which they differ. usage: scripts/oracle-example.sh PATH/TO/rbac-oracle
# The oracle does not run the ClusterRole aggregation controller, so tenet's expanded admin,
# edit and view are handed to it (oracle_queries extras), as in scripts/oracle-check.sh.
set -euo pipefail
oracle=${1:?usage: scripts/oracle-example.sh PATH/TO/rbac-oracle}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo"
cargo build --quiet --release --example oracle_queries
cargo build --quiet --release
target/release/examples/oracle_queries extras "$work/extras.yaml"
python3 - "$work/queries.txt" <<'PY'
import sys
users = ["alice@acme.example", "bob@acme.example", "carol", "dave@globex.example", "erin@globex.example",
         "gina@initech.example", "hank@initech.example", "ivan@initech.example",
         "system:serviceaccount:acme-staging:deployer", "system:serviceaccount:initech-dev:default",
         "system:serviceaccount:globex-data:etl", "stranger"]
namespaces = ["acme-prod", "acme-staging", "globex-web", "globex-data", "initech-dev", "initech-ops", "kube-system", "-"]
verbs = ["get", "list", "create", "delete", "update", "patch", "watch", "impersonate", "escalate", "bind"]
resources = ["pods", "secrets", "namespaces", "deployments.apps", "roles.rbac.authorization.k8s.io",
             "networks.networking.tenet.dev", "pods/exec", "serviceaccounts",
             "networkpolicies.networking.k8s.io", "resourcequotas"]
lines = []
for user in users:
    lines += [f"{user} {v} {r} {ns}" for v in verbs for r in resources for ns in namespaces]
    for ns in ["acme-prod", "globex-web", "kube-system", "initech-ops"]:
        for v in ["delete", "update", "get"]:
            lines += [f"{user} {v} namespaces {ns} {ns}", f"{user} {v} namespaces - {ns}"]
    lines += [f"{user} get networks.networking.tenet.dev - {net}" for net in ["acme-net", "globex-net"]]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
files=$(find out -name '*.yaml' ! -name kustomization.yaml | sort | paste -sd, -)
"$oracle" -bootstrap -f "$files,$work/extras.yaml" < "$work/queries.txt" | cut -f1 > "$work/oracle.txt"
target/release/tenet can-i --tenants /nonexistent --batch "$work/queries.txt" > "$work/tenet.txt"
total=$(wc -l < "$work/queries.txt")
differing=$(paste "$work/oracle.txt" "$work/tenet.txt" "$work/queries.txt" | awk -F'\t' '$1 != $2' | tee "$work/diff.txt" | wc -l)
cat "$work/diff.txt"
echo "example output: $total queries, $differing disagreements"
[ "$differing" -eq 0 ]
