#!/usr/bin/env bash
# `make e2e BUILD PY`: jitguard-gateway in front of llama-cpp-python's server (see scripts/e2e_llama.py).
# llama-cpp-python compiles llama.cpp from source on install (tens of minutes on 2 cores); it lives in
# its own virtual environment, .venv-e2e, built once.
set -euo pipefail
build="${1:-build/release}"
py="${2:-.venv/bin/python}"
venv="${E2E_VENV:-.venv-e2e}"
if ! "$venv/bin/python" -c 'import llama_cpp.server, gguf' >/dev/null 2>&1; then
  echo "e2e: installing llama-cpp-python[server] and gguf into $venv (compiles llama.cpp; slow)"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$venv/bin/python" -m pip install -q 'llama-cpp-python[server]' gguf numpy
fi
exec "$py" scripts/e2e_llama.py --gateway "$build/gateway/jitguard-gateway" --llama-python "$venv/bin/python"
