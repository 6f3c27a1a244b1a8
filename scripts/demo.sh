#!/usr/bin/env bash
# `make demo`: runs the project's main job against the build in $1 with the venv python $2.
set -euo pipefail
build=${1:-build/release}
py=${2:-.venv/bin/python}
if [[ -x "$build/examples/demo/jitguard_demo" ]] || "$py" -c 'import jitguard.demo' 2>/dev/null; then
  exec "$py" -m jitguard.demo --build "$build"
fi
exec "$build/examples/quickstart/quickstart"
