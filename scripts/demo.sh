#!/usr/bin/env bash
# The main job: install what is missing, build, and run `arca shell` on the built-in
# busybox root: `ps` shows the shell as PID 1 and nothing of the host, and the hostname
# is the container's own.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build=${ARCA_BUILD:-build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
arca=$build/arca

# A private state root and cache, removed afterwards (the shell removes its own
# container, overlay and cgroups when it exits).
work=$(mktemp -d /tmp/arca-demo.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
export ARCA_CACHE_DIR=$work/cache

"$arca" --root "$work/state" shell --hostname arca-demo -- \
  sh -c 'echo "hostname: $(hostname)"; ps; true'
