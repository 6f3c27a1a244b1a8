#!/usr/bin/env bash
# The wheel on a machine that has nothing but Python: scripts/check-wheel.sh run inside a private
# mount namespace where the build side of this machine cannot be seen:
#   - every header (/usr/include, /usr/local/include, the interpreter's Python.h), every .pc file and
#     CMake package dir, and /usr/lib/gcc (so g++/cc1plus cannot compile anything);
#   - every file of the -dev packages (the .so links, the .a archives) and of the runtime packages of
#     the libraries the wheel bundles that nothing else here uses (Abseil, RE2, simdjson, fmt,
#     hiredis): /dev/null is mounted over each, so a load of the system copy would fail.
# libssl3 and libpq5 stay: the interpreter's own ssl module and the PostgreSQL server the tests start
# link them (a Python-only machine has libssl too). check-wheel.sh proves with ldd and
# /proc/self/maps that the extension maps its own copies from jitguard.libs/.
# The test dependencies are installed into the venv first (from the index, before the namespace);
# inside, the wheel is installed with --no-index. Needs root (unshare -m).
#   scripts/check-wheel-isolated.sh [WHEEL]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then echo "check-wheel-isolated: needs root (unshare -m)" >&2; exit 1; fi
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
L=/usr/lib/$multiarch
tmp=$(mktemp -d /tmp/jitguard-wheel-isolated.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
venv=$tmp/venv
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q $(python3 scripts/pyproject_extra.py test) 2> >(grep -v "is ignored: it is neither" >&2)
pyinc=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')

# The files to cover with /dev/null: real files (not links, not dirs) of these packages under /usr/lib.
pkgs=(libabsl-dev libabsl20220623 libre2-dev libre2-9 libsimdjson-dev libsimdjson14 libfmt-dev libfmt9
      libhiredis-dev libhiredis0.14 libssl-dev libpq-dev)
: >"$tmp/files"
for p in "${pkgs[@]}"; do
  dpkg-query -W "$p" >/dev/null 2>&1 || continue
  dpkg -L "$p" | while read -r f; do
    [[ $f == /usr/lib/* || $f == /lib/* ]] || continue
    if [[ -f $f && ! -L $f ]]; then readlink -f "$f"; fi
  done >>"$tmp/files"
done
sort -u -o "$tmp/files" "$tmp/files"
echo "check-wheel-isolated: hiding $(wc -l <"$tmp/files") library files of ${#pkgs[@]} packages, all headers, .pc files, CMake packages and the compiler"

cat >"$tmp/inner.sh" <<INNER
set -euo pipefail
while read -r f; do mount --bind /dev/null "\$f"; done <"$tmp/files"
for d in /usr/include /usr/local/include "$pyinc" $L/pkgconfig /usr/share/pkgconfig $L/cmake /usr/lib/gcc; do
  if [[ -d \$d ]]; then mount -t tmpfs -o ro none "\$d"; fi
done
# What a machine without the build side looks like, checked before the wheel is used:
if echo 'int main() { return 0; }' | g++ -x c++ - -o "$tmp/a.out" 2>/dev/null; then echo "g++ still works" >&2; exit 1; fi
if pkg-config --exists re2 libpq hiredis 2>/dev/null; then echo "pkg-config still finds the libraries" >&2; exit 1; fi
if [[ -e /usr/include/absl || -e /usr/include/openssl/ssl.h || -e "$pyinc/Python.h" ]]; then echo "headers visible" >&2; exit 1; fi
python3 - <<'PY'
import ctypes
for name in ("libabsl_strings.so.20220623", "libre2.so.9", "libsimdjson.so.14", "libfmt.so.9", "libhiredis.so.0.14"):
    try:
        ctypes.CDLL(name)
    except OSError:
        continue
    raise SystemExit(f"the system {name} still loads")
print("check-wheel-isolated: no compiler, no headers, no .pc files; the system Abseil/RE2/simdjson/fmt/hiredis do not load")
PY
exec scripts/check-wheel.sh --venv "$venv" --no-test-deps ${1:-}
INNER
unshare -m --propagation private bash "$tmp/inner.sh"
