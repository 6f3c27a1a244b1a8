#!/usr/bin/env bash
# cibuildwheel's before-all inside the manylinux_2_34 image (AlmaLinux 9): the -devel packages that
# scripts/install-deps.sh installs on Debian, from AlmaLinux's CRB and EPEL repositories.
set -euo pipefail
dnf install -y -q epel-release dnf-plugins-core
dnf config-manager --set-enabled crb
dnf install -y -q pkgconf-pkg-config openssl-devel abseil-cpp-devel re2-devel simdjson-devel \
  fmt-devel hiredis-devel libpq-devel boost-devel  # boost-devel: Beast/Asio headers for jitguard-gateway
