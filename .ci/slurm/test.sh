#!/usr/bin/env bash
# A real Slurm on this machine runs a sharded study through the example
# scripts, and its merge must equal a single run byte for byte apart from the
# documented timing fields (see docs/cluster.md).
#
# Installs slurm-wlm and munge from Debian when missing (CI machines start
# bare and run as root), starts munged, slurmctld and slurmd for localhost
# with .ci/slurm/slurm.conf in a private temporary folder, submits
# examples/slurm/submit.sh (a 4-task array of baseline shards, 2,000 paths,
# and a merge job depending on it), waits, compares, and stops the daemons by
# their pid files whatever happens. Run from anywhere: .ci/slurm/test.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$PWD
bin=$repo/target/release/creditstress
scenario=scenarios/baseline.toml
paths=2000
seed=7
shards=4
timeout_s=${SLURM_TEST_TIMEOUT:-300}

say() { echo "[slurm] $*"; }
die() {
    echo "[slurm] FAILED: $*" >&2
    exit 1
}

# --- Slurm and munge from Debian ---------------------------------------------
if ! command -v slurmctld > /dev/null || ! command -v slurmd > /dev/null || ! command -v sbatch > /dev/null ||
    ! command -v munged > /dev/null; then
    say "installing slurm-wlm and munge (apt-get)"
    [[ $(id -u) -eq 0 ]] || die "slurm-wlm and munge are missing and installing them needs root"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends slurm-wlm munge > /dev/null ||
        die "cannot install slurm-wlm and munge from Debian"
fi
for tool in slurmctld slurmd sbatch squeue scontrol sinfo munged; do
    command -v "$tool" > /dev/null || die "$tool is still missing after installing slurm-wlm and munge"
done

if [[ ! -x $bin ]]; then
    say "building the release binary"
    cargo build --release
fi
export CREDITSTRESS=$bin

# --- daemons -----------------------------------------------------------------
work=$(mktemp -d /tmp/creditstress-slurm.XXXXXX)
chmod 700 "$work"
stop_daemons() {
    local rc=$? name pid
    for name in slurmd slurmctld munged; do
        if [[ -s $work/$name.pid ]]; then
            pid=$(< "$work/$name.pid")
            kill "$pid" 2> /dev/null || true
            for _ in $(seq 50); do
                kill -0 "$pid" 2> /dev/null || break
                sleep 0.1
            done
            kill -9 "$pid" 2> /dev/null || true
        fi
    done
    if [[ $rc -ne 0 ]]; then
        for log in "$work"/*.log "$work"/study/logs/*.out; do
            [[ -f $log ]] && { echo "----- $log (last 30 lines)"; tail -n 30 "$log"; }
        done
        echo "[slurm] logs kept in $work" >&2
    else
        rm -rf "$work"
    fi
}
trap stop_daemons EXIT

host=$(hostname -s)
memory_mb=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
mkdir -p "$work/ctld" "$work/slurmd"
sed -e "s|@HOST@|$host|g" -e "s|@CPUS@|$(nproc)|g" -e "s|@MEMORY_MB@|$memory_mb|g" -e "s|@STATE@|$work|g" \
    -e "s|@CTLD_PORT@|${SLURM_TEST_CTLD_PORT:-6817}|g" -e "s|@SLURMD_PORT@|${SLURM_TEST_SLURMD_PORT:-6818}|g" \
    .ci/slurm/slurm.conf > "$work/slurm.conf"
export SLURM_CONF=$work/slurm.conf

say "starting munged, slurmctld, slurmd ($(nproc) CPUs on $host)"
dd if=/dev/urandom of="$work/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge.key"
munged --force --key-file="$work/munge.key" --socket="$work/munge.socket" --pid-file="$work/munged.pid" \
    --log-file="$work/munged.log" --seed-file="$work/munged.seed" || die "munged did not start"
slurmctld -f "$SLURM_CONF" || die "slurmctld did not start"
slurmd -f "$SLURM_CONF" -N localhost || die "slurmd did not start"

started=$SECONDS
until [[ $(sinfo -h -n localhost -o %T 2> /dev/null) == idle ]]; do
    ((SECONDS - started < 30)) || die "the node did not become idle within 30 s: $(sinfo -h -N -o '%N %T %E' 2>&1)"
    sleep 0.5
done
say "cluster up in $((SECONDS - started)) s"

# --- the study ---------------------------------------------------------------
study=$work/study
submit_start=$SECONDS
submitted=$(SHARDS=$shards OUT=$study SBATCH_ARGS=--cpus-per-task=1 examples/slurm/submit.sh "$scenario" --paths "$paths" --seed "$seed")
echo "$submitted"
array_id=$(awk '/^array job/ { print $3 }' <<< "$submitted")
merge_id=$(awk '/^merge job/ { print $3 }' <<< "$submitted")
[[ -n $array_id && -n $merge_id ]] || die "cannot read the job ids from submit.sh"

# States of a job's tasks, one per line (an array job lists every task).
job_states() { scontrol show job "$1" 2> /dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
while :; do
    array_states=$(job_states "$array_id")
    if grep -qvE '^(PENDING|CONFIGURING|RUNNING|COMPLETING|COMPLETED)$' <<< "$array_states"; then
        die "a shard of array job $array_id failed: $(sort <<< "$array_states" | uniq -c | tr '\n' ' ')"
    fi
    state=$(job_states "$merge_id" | head -n 1)
    case $state in
        COMPLETED) break ;;
        PENDING | CONFIGURING | RUNNING | COMPLETING | "") ;;
        *) die "merge job $merge_id ended $state" ;;
    esac
    ((SECONDS - submit_start < timeout_s)) || die "the study did not finish within $timeout_s s"
    sleep 0.5
done
say "array and merge done in $((SECONDS - submit_start)) s"

for k in $(seq 0 $((shards - 1))); do
    [[ -f $study/shard-$k/shard.json ]] || die "shard $k wrote no shard.json"
    grep -q "shard $k/$shards (from Slurm job array" "$study/logs/shard-$k.out" ||
        die "shard $k did not take its shard from Slurm: $(cat "$study/logs/shard-$k.out")"
done

# --- compare with one run ----------------------------------------------------
single=$work/single
"$bin" run "$scenario" --paths "$paths" --seed "$seed" --out "$single" -q

# JSON is pretty-printed one field per line: drop the documented fields, compare the rest.
strip() { sed -E "/^  \"($2)\": /d" "$1"; }
summary_fields='elapsed_seconds|loan_months_per_second|threads|peak_rss_bytes'
manifest_fields='wall_seconds|threads|command'
cmp <(strip "$single/summary.json" "$summary_fields") <(strip "$study/summary.json" "$summary_fields") ||
    die "summary.json differs beyond the timing fields"
cmp <(strip "$single/manifest.json" "$manifest_fields") <(strip "$study/manifest.json" "$manifest_fields") ||
    die "manifest.json differs beyond the timing fields"
compared=2
while IFS= read -r file; do
    case $file in
        summary.json | manifest.json) continue ;;
        report.html)
            # Its only run-dependent parts come from the documented fields: redraw the
            # single run's report with the merge's JSON files, then it must be identical.
            mkdir -p "$work/redrawn"
            cp "$single/paths.csv" "$single/timeseries.csv" "$study/summary.json" "$study/manifest.json" "$work/redrawn/"
            "$bin" report "$work/redrawn" -q
            cmp "$work/redrawn/report.html" "$study/report.html" || die "report.html differs beyond the timing fields"
            ;;
        *) cmp "$single/$file" "$study/$file" || die "$file differs" ;;
    esac
    compared=$((compared + 1))
done < <(cd "$single" && find . -type f | sed 's|^\./||' | sort)
[[ $compared -ge 4 ]] || die "too few files compared"
extra=$(comm -13 <(cd "$single" && find . -type f | sort) <(cd "$study" && find . -type f ! -path './shard-*' ! -path './logs/*' | sort))
[[ -z $extra ]] || die "the merge wrote files a run does not: $extra"
say "merged Slurm study = single run ($compared files compared)"
