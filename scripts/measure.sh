#!/usr/bin/env bash
# Whole-process measurements for docs/performance.md.
# usage: scripts/measure.sh TENANTS [WORKDIR]
#   TENANTS: synthetic tenants (each with 10 users, 10 namespaces, 1 network), e.g. 100 or 1000.
#   WORKDIR: where the trees go (default: a new temporary directory; it needs room for two
#            copies of out/).
# Builds the release binary and the synth example, then prints one line per step:
# wall seconds and peak resident memory, measured with /usr/bin/time.
set -euo pipefail
n=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${2:-$(mktemp -d)}
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin tenet --example synth
T=$repo/target/release/tenet
S=$repo/target/release/examples/synth
cd "$work"
rm -rf "tenants$n" "out$n" "cp$n"
"$S" --tenants "$n" --users-per-tenant 10 --namespaces-per-tenant 10 --networks-per-tenant 1 \
    --seed 1 --out "tenants$n" >/dev/null
m() {
    local label=$1
    shift
    /usr/bin/time -f "$label wall=%e s rss=%M KB" "$@" >/dev/null 2>"$work/err" || true
    grep -E "wall=" "$work/err"
}
m "n=$n validate" "$T" validate --tenants "tenants$n"
m "n=$n cold-generate" "$T" generate -q --tenants "tenants$n" --out "out$n"
echo "n=$n files=$(find "out$n" -type f -not -name '.*' | wc -l)"
m "n=$n noop-generate-right-after" "$T" generate -q --tenants "tenants$n" --out "out$n"
m "n=$n noop-generate" "$T" generate -q --tenants "tenants$n" --out "out$n"
m "n=$n check" "$T" check -q --tenants "tenants$n" --out "out$n"
m "n=$n diff-unchanged" "$T" diff -q --format summary --tenants "tenants$n" --out "out$n"
rm "out$n/.tenet-record"
m "n=$n check-without-record" "$T" check -q --tenants "tenants$n" --out "out$n"
rm "out$n/.tenet-record"
m "n=$n noop-generate-without-record" "$T" generate -q --tenants "tenants$n" --out "out$n"
users=("tenants$n"/*/users.yaml)
sed -i '0,/username: "\(.*\)@/s//username: "\1-renamed@/' "${users[0]}"
m "n=$n one-user-changed-diff" "$T" diff -q --format summary --tenants "tenants$n" --out "out$n"
m "n=$n one-user-changed-generate" "$T" generate -q --tenants "tenants$n" --out "out$n"
m "n=$n noop-right-after-change" "$T" generate -q --tenants "tenants$n" --out "out$n"
m "n=$n cp-r" cp -r "out$n" "cp$n"
rm -rf "cp$n"
m "n=$n rm-r" rm -rf "out$n"
