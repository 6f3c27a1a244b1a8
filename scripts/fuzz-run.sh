#!/usr/bin/env bash
# `make fuzz-ci` / `make fuzz-long`: runs the named libFuzzer targets of the fuzz build (ASan + UBSan,
# CMakePresets.json "fuzz") for SECONDS each, from their seed corpus (tests/fuzz/corpus/<name>/) in a
# scratch directory, and fails on the first finding (a crash, a sanitizer report or a planted value
# reaching the output). The final stats (executions, coverage) are printed.
#   scripts/fuzz-run.sh BUILD SECONDS NAME...      e.g. scripts/fuzz-run.sh build/fuzz 60 response mask
set -euo pipefail
build=$1
seconds=$2
shift 2
for name in "$@"; do
  exe=$build/tests/fuzz/jitguard_${name}_fuzz
  [[ -x $exe ]] || { echo "fuzz-run: $exe was not built" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # The corpus in its own folder: libFuzzer takes every file there as an input (the log too, once).
  mkdir "$work/corpus"
  [[ -d tests/fuzz/corpus/$name ]] && cp -r "tests/fuzz/corpus/$name"/. "$work/corpus"/
  echo "== $name (${seconds}s, ASan + UBSan)"
  log=$work/log
  # FUZZ_RUNS bounds the run by executions instead of time: with the fixed seed, the same binary and
  # corpus run the same inputs on any machine (CI's smoke), however fast it is.
  limit=(-max_total_time="$seconds")
  [[ -n ${FUZZ_RUNS:-} ]] && limit=(-runs="$FUZZ_RUNS")
  if ! "$exe" -seed="${FUZZ_SEED:-1}" "${limit[@]}" -max_len=65536 -print_final_stats=1 -rss_limit_mb=2048 \
      -artifact_prefix="$work/" "$work/corpus" >"$log" 2>&1; then
    tail -60 "$log" >&2
    echo "fuzz-run: $name found a problem (artifacts in $work)" >&2
    trap - EXIT
    exit 1
  fi
  grep -E '^#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|cov:' "$log" | tail -3
  rm -rf "$work"
  trap - EXIT
done
