#!/usr/bin/env bash
# Run one benchmark at a baseline commit and at the working tree, alternately, in one run.
#
#   benchmarks/compare.sh BASE_REF ROUNDS MODULE [ARGS...]
#
# e.g. benchmarks/compare.sh 195d19b 3 bench_start --sqlite --runs 60
# The baseline runs from a temporary git worktree (its own code and its own benchmark
# script, with this checkout's virtualenv); rounds alternate baseline and current so both
# see the same machine. Each run's table is printed under a heading naming its side and round.
# BASE_SETUP, when set, is a shell command run in the baseline worktree first (to apply a fix
# the baseline's own benchmark script lacks); it is echoed with the results.
set -euo pipefail
base_ref=$1 rounds=$2 module=$3
shift 3
here=$(git rev-parse --show-toplevel)
python="$here/.venv/bin/python"
base=$(mktemp -d /tmp/bench-base.XXXXXX)
trap 'git -C "$here" worktree remove --force "$base" >/dev/null 2>&1 || rm -rf "$base"' EXIT
git -C "$here" worktree add --detach --force "$base" "$base_ref" >/dev/null 2>&1
# The benchmarks call .venv/bin/flask of their own checkout; PYTHONPATH makes every process
# import that checkout's code rather than the editable install's.
ln -s "$here/.venv" "$base/.venv"
if [ -n "${BASE_SETUP:-}" ]; then
  echo "baseline setup: $BASE_SETUP"
  (cd "$base" && bash -c "$BASE_SETUP")
fi
echo "baseline $(git -C "$base" log -1 --format='%h %s' | cut -c1-72)"
echo "current  $(git -C "$here" log -1 --format='%h %s' | cut -c1-72)"
for round in $(seq 1 "$rounds"); do
  for side in baseline current; do
    dir=$here
    [ "$side" = baseline ] && dir=$base
    echo
    echo "### $module: $side, round $round"
    (cd "$dir" && PYTHONPATH="$dir" "$python" -m "benchmarks.$module" "$@")
  done
done
