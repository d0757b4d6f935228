#!/usr/bin/env bash
# VaR 99.9% of the downturn book to +-1% (95% interval, relative half-width),
# with and without importance sampling: the run adds blocks of 1,000 paths
# until the target is met (--target), so the figure is the wall time to a
# stated precision. Paired, interleaved runs with farm-bench when it is
# installed (the ratio is the figure to quote on a noisy machine), else one
# timed run of each. Usage: benches/tail_precision.sh [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
cargo build --release --quiet
bin="$PWD/target/release/creditstress"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
common=(run scenarios/downturn.toml --seed 7 --threads "$threads" --target var:0.999:0.01 --max-paths 600000 --quiet)
is_cmd="$bin ${common[*]} --sampling importance --out $out/is"
plain_cmd="$bin ${common[*]} --out $out/plain"
if command -v farm-bench >/dev/null; then
    farm-bench -n 2 --timeout 600 --vs "$plain_cmd" -- $is_cmd
else
    /usr/bin/time -f "importance: %e s" $is_cmd
    /usr/bin/time -f "plain: %e s" $plain_cmd
fi
for kind in is plain; do
    python3 - "$out/$kind/summary.json" "$kind" <<'PY' || grep -o '"paths": [0-9]*' "$out/$kind/summary.json" | head -1
import json, sys
s = json.load(open(sys.argv[1]))
p = s["precision"]
print(f"{sys.argv[2]}: {p['paths']} paths, VaR 99.9% {s['loss']['var']['0.999']:.0f} to +-{100 * p['reached']:.2f}%, {p['stopped']}")
PY
done
