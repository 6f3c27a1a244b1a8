#!/usr/bin/env bash
# `make fuzz-smoke`: runs each libFuzzer target of the build in $1 for $2 seconds, starting from its
# seed corpus in tests/fuzz/corpus/<name>/ when there is one. Fails if any target finds a crash.
set -euo pipefail
build=${1:-build/fuzz}
seconds=${2:-20}
shopt -s nullglob
targets=("$build"/tests/fuzz/jitguard_*_fuzz)
if ((${#targets[@]} == 0)); then
  echo "fuzz-smoke: no fuzz targets were built in $build" >&2
  exit 1
fi
for exe in "${targets[@]}"; do
  name=$(basename "$exe" _fuzz)
  name=${name#jitguard_}
  seeds=tests/fuzz/corpus/$name
  work=$(mktemp -d)
  [[ -d $seeds ]] && cp -r "$seeds"/. "$work"/
  echo "== $name (${seconds}s)"
  "$exe" -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 "$work" 2>&1 | tail -4
  rm -rf "$work"
done
echo "fuzz-smoke: ${#targets[@]} targets ran without a crash"
