#!/usr/bin/env bash
# A missing dependency stops the build with ONE line naming the Debian package to install, never a
# CMake find_package trace. For each dependency, hides it in a private mount namespace (tmpfs over
# its CMake package dir or headers, /dev/null over its .pc file), configures the project there and
# checks the output. Needs root (unshare -m); CI runs as root. Nothing outside the namespace changes.
#   scripts/check-missing-deps.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then echo "check-missing-deps: needs root (unshare -m)" >&2; exit 1; fi
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
L=/usr/lib/$multiarch
tmp=$(mktemp -d /tmp/jitguard-missing-deps.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pyinc=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
# package | what to hide | extra cmake arguments
cases=(
  "libabsl-dev|$L/cmake/absl|"
  "libsimdjson-dev|$L/cmake/simdjson|"
  "libfmt-dev|$L/cmake/fmt|"
  "libssl-dev|/usr/include/openssl|"
  "libre2-dev|$L/pkgconfig/re2.pc|"
  "libhiredis-dev|$L/pkgconfig/hiredis.pc|-DJITGUARD_WITH_REDIS=ON"
  "libpq-dev|$L/pkgconfig/libpq.pc|-DJITGUARD_WITH_POSTGRES=ON"
  "python3-dev|$pyinc|-DJITGUARD_BUILD_PYTHON=ON -DPython_EXECUTABLE=$(command -v python3)"
  "libgtest-dev|$L/cmake/GTest|-DJITGUARD_BUILD_TESTS=ON"
)
common=(-G Ninja -DJITGUARD_BUILD_TESTS=OFF -DBUILD_TESTING=OFF -DJITGUARD_BUILD_BENCH=OFF
        -DJITGUARD_BUILD_EXAMPLES=OFF)

# Control: with nothing hidden the same configuration succeeds.
cmake -S . -B "$tmp/control" "${common[@]}" -DJITGUARD_WITH_REDIS=ON -DJITGUARD_WITH_POSTGRES=ON >/dev/null

fail=0 n=0
for c in "${cases[@]}"; do
  IFS='|' read -r pkg hide extra <<<"$c"
  [[ -e $hide ]] || { echo "check-missing-deps: $hide does not exist here" >&2; fail=1; continue; }
  if [[ -d $hide ]]; then how="mount -t tmpfs none '$hide'"; else how="mount --bind /dev/null '$hide'"; fi
  out=$tmp/$pkg.out
  # shellcheck disable=SC2086
  if unshare -m --propagation private bash -c "$how && exec cmake -S . -B '$tmp/b-$pkg' ${common[*]} $extra" \
      >"$out" 2>&1; then
    echo "check-missing-deps: $pkg hidden, but cmake configured" >&2; fail=1; continue
  fi
  lines=$(grep -c "apt-get install $pkg" "$out" || true)
  if [[ $lines != 1 ]] || grep -qE "Call Stack|Could not find a package|Could NOT find|find_package" "$out"; then
    echo "check-missing-deps: $pkg hidden: expected one line naming it, got:" >&2; cat "$out" >&2; fail=1; continue
  fi
  n=$((n + 1))
  echo "  $(grep "apt-get install $pkg" "$out" | sed 's/^ *//')"
done
((fail == 0)) || exit 1
echo "check-missing-deps: $n of ${#cases[@]} hidden dependencies each stopped the build with one line"
