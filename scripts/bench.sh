#!/usr/bin/env bash
# `make bench`: runs every Google Benchmark program of the build in $1; JSON results go to
# $1/bench-results/. Extra arguments are passed to each program (e.g. --benchmark_filter=Mask).
set -euo pipefail
build=${1:-build/release}
shift || true
out="$build/bench-results"
mkdir -p "$out"
shopt -s nullglob
for exe in "$build"/bench/jitguard_*_bench; do
  name=$(basename "$exe")
  echo "== $name"
  "$exe" --benchmark_out="$out/$name.json" --benchmark_out_format=json "$@"
done
