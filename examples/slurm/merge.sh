#!/usr/bin/env bash
# Merges the shards of a study once the whole array has succeeded:
#
#   sbatch --dependency=afterok:<array job id> examples/slurm/merge.sh OUT
#
# Reads OUT/shard-*/ and writes the files of a single run into OUT
# (summary.json, paths.csv, timeseries.csv, manifest.json, plots, report.html).
# merge checks first that every shard is there exactly once and that all
# belong to the same study, and writes nothing otherwise (exit code 2).
#
#SBATCH --job-name=creditstress-merge
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: sbatch --dependency=afterok:<array job id> $0 OUT" >&2
    exit 2
fi
out=$1
shopt -s nullglob
shards=("$out"/shard-*)
if [[ ${#shards[@]} -eq 0 ]]; then
    echo "merge.sh: no shard folders in $out" >&2
    exit 2
fi
exec "${CREDITSTRESS:-creditstress}" merge "${shards[@]}" --out "$out"
