#!/usr/bin/env bash
# `make demo`: runs the project's main job against the build in $1 with the venv python $2, then the
# gateway part (jitguard-gateway in front of a stand-in model server) when the gateway is built.
set -euo pipefail
build=${1:-build/release}
py=${2:-.venv/bin/python}
if [[ -x "$build/examples/demo/jitguard_demo" ]] || "$py" -c 'import jitguard.demo' 2>/dev/null; then
  "$py" -m jitguard.demo --build "$build"
  if [[ -x "$build/gateway/jitguard-gateway" ]]; then
    "$py" -m jitguard.demo_gateway --gateway "$build/gateway/jitguard-gateway"
  else
    echo "demo: $build/gateway/jitguard-gateway is not built (needs libboost-dev); gateway part not shown"
  fi
  exit 0
fi
exec "$build/examples/quickstart/quickstart"
