#!/usr/bin/env bash
# Installs the Debian packages jitguard needs, only when something is missing (idempotent and
# non-interactive; apt-get runs only when a package is absent).
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --dev    also clang (fuzzing, sanitizers), clang-format, clang-tidy
set -euo pipefail

packages=(
  build-essential pkg-config
  libssl-dev libabsl-dev libre2-dev libsimdjson-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhiredis-dev libpq-dev libcpp-httplib-dev libicu-dev libboost-dev
  redis-server postgresql openssl
)
command -v cmake >/dev/null 2>&1 || packages+=(cmake)
command -v ninja >/dev/null 2>&1 || packages+=(ninja-build)
if [[ "${1:-}" == "--dev" ]]; then
  packages+=(clang clang-format clang-tidy libclang-rt-14-dev valgrind)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# python3 -m venv must work (Debian splits it out of the interpreter package).
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=("python3-venv")
fi

if ((${#missing[@]} == 0)); then
  echo "deps: all system packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Don't let package scripts start services: the tests start their own servers on loopback.
policy_rc=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy_rc ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy_rc >/dev/null
  $SUDO chmod +x $policy_rc
  created_policy=1
fi
trap '[[ $created_policy == 1 ]] && $SUDO rm -f $policy_rc' EXIT
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
