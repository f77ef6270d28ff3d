#!/usr/bin/env bash
# Installs the Debian packages arca builds and tests with (idempotent), then builds.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config nlohmann-json3-dev
  libseccomp-dev libgtest-dev busybox-static python3-pytest runc crun iproute2 procps
  clang libclang-rt-14-dev libarchive-dev libzstd-dev liblzma-dev zlib1g-dev nettle-dev
  dbus python3-dbus python3-gi)
# The container engines tests/engines drives arca with: Podman 4.3 (+ conmon) and
# containerd 1.6, installed without recommends (no buildah, netavark, slirp4netns...).
engine_packages=(podman conmon containerd)

not_installed() {
  for p; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

missing=($(not_installed "${packages[@]}"))
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The engines' postinsts start containerd (only when systemd runs) and enable their units.
# Nothing may run or be enabled system-wide: a temporary policy-rc.d denies every start,
# and the units this install enabled are disabled again (systemctl works offline). The tests start daemons of their
# own with private sockets and dirs (tests/engines/conftest.py).
missing=($(not_installed "${engine_packages[@]}"))
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (no service started or enabled)"
  policy=/usr/sbin/policy-rc.d own_policy=
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy && own_policy=1
    trap 'rm -f $policy' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  if [ -n "$own_policy" ]; then rm -f $policy; trap - EXIT; fi
  # Without systemctl there is no systemd to read the links either.
  units=$(dpkg -L "${missing[@]}" | grep -E '^/lib/systemd/system/[^/@]+\.(service|socket|timer)$' |
    sed 's|.*/||' || true)
  if [ -n "$units" ] && command -v systemctl >/dev/null; then
    systemctl disable --quiet $units 2>/dev/null || true
  fi
fi

build=${ARCA_BUILD:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build"
