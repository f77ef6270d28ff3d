#!/usr/bin/env bash
# Full test run from the repo root (works from a clean clone, as root):
#   1. scripts/setup.sh   (packages + build into ./build, or $ARCA_BUILD)
#   2. unit tests         (ctest, or build/arca-unit if there is no CTest file)
#   3. integration tests  (/usr/bin/python3 -m pytest -q tests/integration)
#                         against ARCA_BIN=build/arca; extra args go to pytest.
#   4. engine tests       (/usr/bin/python3 -m pytest -q tests/engines: Podman and
#                         containerd driving ARCA_BIN; see docs/engines.md)
#   5. cgroup v2 tests    (scripts/v2.sh: tests/v2/run.sh in a qemu guest)
# Prints one SUMMARY line; exits non-zero if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${ARCA_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
export ARCA_BUILD=$build

results=()
failed=0
step() { # step NAME CMD...
  local name=$1; shift
  echo "==> $name: $*"
  if "$@"; then results+=("$name=ok"); else results+=("$name=FAILED($?)"); failed=1; fi
}

step setup scripts/setup.sh
if [ $failed -ne 0 ]; then
  echo "SUMMARY: ${results[*]} (build failed, tests not run)"
  exit 1
fi

if [ -f "$build/CTestTestfile.cmake" ]; then
  step unit ctest --test-dir "$build" --output-on-failure
elif [ -x "$build/arca-unit" ]; then
  step unit "$build/arca-unit"
else
  echo "==> unit: no unit tests found in $build"
  results+=("unit=none")
fi

export ARCA_BIN=${ARCA_BIN:-$build/arca}
if [ -z "${ARCA_PROBE:-}" ] && [ -x "$build/arca-probe" ]; then
  export ARCA_PROBE=$build/arca-probe
fi
# Smoke runs of the config, archive and dbus fuzzers (the long runs: tests/fuzz/README.md).
step fuzz scripts/fuzz.sh 60
step fuzz-archive env FUZZ_TARGET=archive scripts/fuzz.sh 30
step fuzz-dbus env FUZZ_TARGET=dbus scripts/fuzz.sh 20
step integration /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration "$@"
# Real Podman and containerd driving arca, each with private sockets and dirs (a minute).
step engines /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/engines
# cgroup v2 for real, in a throwaway qemu guest (about a minute; see scripts/v2.sh).
step v2 scripts/v2.sh

echo "SUMMARY: ${results[*]} => $([ $failed -eq 0 ] && echo PASS || echo FAIL)"
exit $failed
