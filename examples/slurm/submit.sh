#!/usr/bin/env bash
# Submits a whole sharded study to Slurm: a job array of SHARDS shards, then a
# merge job that starts only if every shard succeeded.
#
#   examples/slurm/submit.sh SCENARIO [run options...]
#   SHARDS=16 OUT=output/dt examples/slurm/submit.sh scenarios/downturn.toml --paths 1000000 --seed 7
#
# Settings (environment): SHARDS (default 8), OUT (default output/<scenario
# file name without .toml>), CREDITSTRESS (the binary, default `creditstress`
# on PATH), SBATCH_ARGS (extra sbatch options for both jobs, e.g.
# "--partition=long --account=risk"). Logs go to OUT/logs/. Prints the two
# job ids; the last line is `merge job <id>`.
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: [SHARDS=8] [OUT=output/NAME] $0 SCENARIO [run options...]" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scenario=$1
shift
shards=${SHARDS:-8}
out=${OUT:-output/$(basename "$scenario" .toml)}
read -r -a extra <<< "${SBATCH_ARGS:-}"

# Fail here, not in 8 queued jobs, when the scenario is bad.
"${CREDITSTRESS:-creditstress}" validate "$scenario" > /dev/null

mkdir -p "$out/logs"
if compgen -G "$out/shard-*" > /dev/null; then
    echo "note: $out already holds shard folders; shards of another study there make the merge refuse" >&2
fi
array_id=$(sbatch --parsable "${extra[@]}" --array="0-$((shards - 1))" \
    --output="$out/logs/shard-%a.out" "$here/run-shards.sh" "$scenario" "$out" "$@")
array_id=${array_id%%;*}
echo "array job $array_id ($shards shards of $scenario into $out/shard-*)"
merge_id=$(sbatch --parsable "${extra[@]}" --dependency="afterok:$array_id" \
    --output="$out/logs/merge.out" "$here/merge.sh" "$out")
merge_id=${merge_id%%;*}
echo "merge job $merge_id"
