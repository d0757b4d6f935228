#!/usr/bin/env bash
# Times creditstress against its NumPy peers on the same work, one core each
# (issue 18; the results are in benches/README.md). Not run by `cargo test`
# or CI: it needs NumPy (`pip install numpy`) and minutes of quiet machine.
#
#   benches/peers/run.sh monthly [LOANS] [PATHS] [RUNS]    # default 10000 10000 3
#   benches/peers/run.sh one_period [PATHS] [RUNS]         # default 100000 3
#
# monthly: the 4-band, 12-month installment book of monthly_peer.py (its
#   docstring gives the model); the peer writes the book, creditstress reads
#   it from book.csv beside a copy of monthly_peer.toml, so both simulate the
#   same loans.
# one_period: scenarios/validation/vasicek.toml cut to 1,000 loans (PD 2%,
#   rho 0.15, LGD 45%, one month) against one_period_peer.py.
#
# Each pair is timed whole (start-up, input, output included) with
# `farm-bench --vs` when it is installed, else with bash's `time`; both
# engines also print their result so that the two can be compared
# (the mean loss agrees within its standard errors).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work="$root/target/peers"
mkdir -p "$work"
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/creditstress"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

pair() { # NAME RUNS TIMEOUT CS_CMD... -- PEER_CMD
    local name=$1 runs=$2 timeout=$3
    shift 3
    local cs=() peer=()
    while [[ $1 != -- ]]; do cs+=("$1"); shift; done
    shift
    peer=("$@")
    echo "== $name: creditstress"
    "${cs[@]}" --json | python3 -c 'import json,sys; s=json.load(sys.stdin); l=s["loss"]; print({"el": l["mean"], "el_std_error": l["stderr"], "loan_months": s["loan_months"], "engine_seconds": s["elapsed_seconds"]})'
    echo "== $name: NumPy peer"
    "${peer[@]}"
    if command -v farm-bench >/dev/null; then
        farm-bench -n "$runs" --timeout "$timeout" --vs "${peer[*]}" -- "${cs[@]}" --quiet
    else
        time "${cs[@]}" --quiet
        time "${peer[@]}" >/dev/null
    fi
}

case "${1:-monthly}" in
monthly)
    loans=${2:-10000} paths=${3:-10000} runs=${4:-3}
    python3 "$root/benches/peers/monthly_peer.py" book --loans "$loans" --out "$work/book.csv"
    cp "$root/benches/peers/monthly_peer.toml" "$work/monthly_peer.toml"
    pair "monthly, $loans loans x 12 months x $paths paths" "$runs" 3600 \
        "$bin" run "$work/monthly_peer.toml" --paths "$paths" --threads 1 --out "$work/monthly" --force \
        -- python3 "$root/benches/peers/monthly_peer.py" run --loans "$loans" --paths "$paths"
    ;;
one_period)
    paths=${2:-100000} runs=${3:-3}
    pair "one period, 1,000 loans x $paths paths" "$runs" 3600 \
        "$bin" run "$root/scenarios/validation/vasicek.toml" --set segments[0].loans=1000 --paths "$paths" \
        --threads 1 --out "$work/one_period" --force \
        -- python3 "$root/benches/peers/one_period_peer.py" --loans 1000 --paths "$paths"
    ;;
*)
    echo "usage: $0 monthly [LOANS] [PATHS] [RUNS] | one_period [PATHS] [RUNS]" >&2
    exit 2
    ;;
esac
