#!/usr/bin/env bash
# Installs the built wheel into a fresh virtual environment outside the source tree and checks it the
# way a user would see it: `pip install --no-index`, `import jitguard` (from the venv, not the tree),
# the `jitguard` CLI, the extension's shared libraries (everything but the manylinux base libraries
# must come from the wheel's jitguard.libs/), then the Python test suite against the installed wheel.
#   scripts/check-wheel.sh [--venv DIR] [--no-test-deps] [--quick] [WHEEL]
#     --venv DIR       use (and keep) DIR instead of a fresh temporary venv; it may already hold the
#                      test dependencies (scripts/check-wheel-isolated.sh prepares one that way)
#     --no-test-deps   do not pip install the test dependencies (no index is reached)
#     --quick          a smaller part of the suite (CI): every module but the slow corpus/accuracy ones
#     --smoke          only the modules that need no extra test dependencies beyond pytest (the same
#                      list as cibuildwheel's test-command in pyproject.toml)
#     --python PY      the interpreter for the fresh venv (default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
venv="" test_deps=1 quick=0 smoke=0 python=python3
while (($#)); do
  case "$1" in
    --venv) venv=$2; shift 2 ;;
    --no-test-deps) test_deps=0; shift ;;
    --quick) quick=1; shift ;;
    --smoke) smoke=1; shift ;;
    --python) python=$2; shift 2 ;;
    *) break ;;
  esac
done
shopt -s nullglob
if (($#)); then wheel=$(readlink -f "$1"); else
  # The wheel for this interpreter (make wheels leaves one per CPython in dist/).
  tag=$("$python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
  wheels=(dist/jitguard-*-"$tag"-"$tag"-manylinux*.whl)
  ((${#wheels[@]} == 1)) || { echo "check-wheel: expected one dist/jitguard-*-$tag-$tag-manylinux*.whl (make wheel)" >&2; exit 1; }
  wheel=$(readlink -f "${wheels[0]}")
fi

tmp=$(mktemp -d /tmp/jitguard-wheel-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [[ -z $venv ]]; then venv=$tmp/venv; fi
[[ -x $venv/bin/python ]] || "$python" -m venv "$venv"
case "$(readlink -f "$venv")" in "$SRC"/*) echo "check-wheel: the venv must be outside the source tree" >&2; exit 1 ;; esac
PY=$venv/bin/python

# 1. Install with no index: the wheel has no runtime dependencies and needs no compiler.
"$PY" -m pip install -q --no-index --force-reinstall --no-deps "$wheel"
echo "check-wheel: installed $(basename "$wheel") into $venv (no index)"

# 2. import jitguard from the venv, the CLI, and one version everywhere.
cd "$tmp"
"$PY" - "$venv" <<'PY'
import os, sys, time
t0 = time.perf_counter()
import jitguard
dt = time.perf_counter() - t0
venv = os.path.realpath(sys.argv[1])
where = os.path.realpath(jitguard.__file__)
assert where.startswith(venv + os.sep), f"jitguard imported from {where}, not from the venv"
from jitguard import _core
assert _core.version() == jitguard.__version__, (_core.version(), jitguard.__version__)
print(f"check-wheel: import jitguard {jitguard.__version__} from {os.path.dirname(where)} in {dt*1000:.0f} ms")
PY
cli_version=$("$venv/bin/jitguard" --version)
want=$("$PY" -c 'import jitguard; print(jitguard.__version__)')
[[ $cli_version == "jitguard $want" ]] || { echo "check-wheel: jitguard --version said '$cli_version'" >&2; exit 1; }
echo "check-wheel: CLI: $cli_version"
echo "jane.doe@example.com" | "$venv/bin/jitguard" mask | grep -q '\[EMAIL\]' || {
  echo "check-wheel: jitguard mask did not mask" >&2; exit 1; }

# 3. The extension's libraries, and those of any program shipped in jitguard/bin/
# (jitguard_install_program): the wheel's own, or manylinux base libraries, nothing else.
core=$("$PY" -c 'import jitguard._core as c; print(c.__file__)')
pkg_dir=$(dirname "$core")
libs_dir=$(readlink -f "$pkg_dir/../jitguard.libs")
base='^(linux-vdso\.so|ld-linux-x86-64\.so|ld-linux-aarch64\.so|libc\.so|libm\.so|libstdc\+\+\.so|libgcc_s\.so|libpthread\.so|libdl\.so|librt\.so|libresolv\.so)'
bad=0 count=0 programs=0
for elf in "$core" "$pkg_dir"/bin/*; do
  [[ -f $elf ]] || continue
  if [[ $elf != "$core" ]]; then programs=$((programs + 1)); fi
  while read -r name _ path _; do
    [[ -z $name ]] && continue
    if [[ ${name##*/} =~ $base ]]; then continue; fi
    if [[ $path == "not" ]]; then echo "check-wheel: $(basename "$elf"): $name not found" >&2; bad=1; continue; fi
    case "$(readlink -f "$path")" in
      "$libs_dir"/*) if [[ $elf == "$core" ]]; then count=$((count + 1)); fi ;;
      *) echo "check-wheel: $(basename "$elf"): $name resolves outside the wheel: $path" >&2; bad=1 ;;
    esac
  done < <(ldd "$elf" | sed 's/^[[:space:]]*//')
done
((bad == 0)) || exit 1
echo "check-wheel: ldd: $count libraries from jitguard.libs/, the rest manylinux base libraries ($programs programs in jitguard/bin checked too)"
# The loaded process agrees with ldd: libpq, OpenSSL and hiredis mapped from the wheel.
"$PY" - "$libs_dir" <<'PY'
import sys
import jitguard._core  # noqa: F401
libs = sys.argv[1]
maps = {l.split()[-1] for l in open("/proc/self/maps") if "/" in l}
for name in ("libpq", "libhiredis", "libre2", "libsimdjson", "libfmt", "libabsl_status"):
    hits = [m for m in maps if m.rsplit("/", 1)[-1].startswith(name + "-") or m.rsplit("/", 1)[-1].startswith(name + ".")]
    assert hits and all(h.startswith(libs + "/") for h in hits), (name, hits)
print("check-wheel: /proc/self/maps: libpq, hiredis, RE2, simdjson, fmt, Abseil mapped from jitguard.libs/")
PY

# 4. The Python test suite against the installed wheel (tests and examples read from the tree; the
# package itself only from the venv: the tree has no importable jitguard/ at its root).
if ((smoke)); then
  deps=("pytest>=7" "pytest-asyncio>=0.23" "cryptography>=41")
  args=(tests/python/test_version.py tests/python/test_errors.py tests/python/test_mask.py
        tests/python/test_mask_stream.py tests/python/test_policy.py tests/python/test_token.py
        tests/python/test_cli.py tests/python/test_audit.py)
else
  read -r -a deps <<<"$(python3 "$SRC/scripts/pyproject_extra.py" test | tr '\n' ' ')"
  args=(tests/python)
fi
if ((test_deps)); then
  "$PY" -m pip install -q "${deps[@]}" 2> >(grep -v "is ignored: it is neither" >&2)
fi
cd "$SRC"
args+=(-q -p no:cacheprovider)
if ((quick)); then
  args+=(--deselect tests/python/test_mask_corpus.py --deselect tests/python/test_mask_accuracy.py)
fi
# pytest.main in-process, then the imported jitguard is checked to be the venv's.
"$PY" - "$venv" "${args[@]}" <<'PY'
import os, sys
import pytest
venv = os.path.realpath(sys.argv[1])
rc = pytest.main(sys.argv[2:] + ["-o", "addopts=-ra"])
import jitguard
where = os.path.realpath(jitguard.__file__)
if not where.startswith(venv + os.sep):
    print(f"check-wheel: the tests imported jitguard from {where}, not from the venv", file=sys.stderr)
    sys.exit(1)
sys.exit(int(rc))
PY
