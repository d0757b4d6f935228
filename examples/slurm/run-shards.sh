#!/usr/bin/env bash
# One shard of a creditstress study, as one task of a Slurm job array.
#
#   sbatch --array=0-7 examples/slurm/run-shards.sh SCENARIO [OUT] [run options...]
#
# e.g. sbatch --array=0-7 examples/slurm/run-shards.sh scenarios/downturn.toml output/dt --paths 100000 --seed 7
#
# Every task runs the same command; creditstress takes its shard from
# SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT
# (--array=1-8 works too: shards are numbered from the array's first index)
# and writes OUT/shard-<task id>/ (OUT defaults to output/<scenario file name
# without .toml>). Give every task the same options (--paths, --seed,
# --engine): merge refuses shards of different studies.
#
# To rerun one failed shard, do not submit a one-task array (--array=5 would
# be shard 0 of 1: the count comes from the array); name the shard instead:
#   sbatch --wrap "creditstress run SCENARIO [options] --shard 5/8 --out OUT/shard-5"
#
# Then merge with examples/slurm/merge.sh (submit.sh does both). The binary is
# $CREDITSTRESS if set, else `creditstress` on PATH; sbatch passes the
# environment of the submitting shell to the job.
#
#SBATCH --job-name=creditstress-shard
#SBATCH --cpus-per-task=2
#SBATCH --time=01:00:00
#SBATCH --output=slurm-%x-%A_%a.out
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: sbatch --array=0-7 $0 SCENARIO [OUT] [run options...]" >&2
    exit 2
fi
scenario=$1
shift
out="output/$(basename "$scenario" .toml)"
if [[ $# -gt 0 && $1 != -* ]]; then
    out=$1
    shift
fi
: "${SLURM_ARRAY_TASK_ID:?run this script as a job array: sbatch --array=0-7 $0 ...}"

threads=()
if [[ -n ${SLURM_CPUS_PER_TASK:-} ]]; then
    threads=(--threads "$SLURM_CPUS_PER_TASK")
fi
exec "${CREDITSTRESS:-creditstress}" run "$scenario" "${threads[@]}" --out "$out/shard-$SLURM_ARRAY_TASK_ID" "$@"
