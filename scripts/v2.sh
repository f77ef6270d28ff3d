#!/usr/bin/env bash
# Real cgroup v2 tests of arca: boots a throwaway cgroup-v2-only qemu guest
# (../shared/tools/v2vm.sh beside the checkout, or $V2VM) with a payload of the static arca, the static
# probe, a static busybox and tests/v2/run.sh, and exits with run.sh's status.
#   ARCA_BIN    arca binary (default: $ARCA_BUILD/arca, else ./build/arca)
#   ARCA_PROBE  probe binary (default: next to arca, arca-probe)
#   V2_TIMEOUT  overall guest timeout in seconds (default 300)
#   V2_VERBOSE=1  stream the guest console (default: quiet, log printed on failure)
#   V2VM_ACCEL  qemu accelerator (default here: tcg; on this host's nested KVM the guest
#               hangs after SeaBIOS, while TCG boots and runs the tests in about a minute)
# Always ends with one line "v2: N passed, M failed" (M >= 1 when the guest did not run).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# shared/ sits beside the checkout (CI's clone gets a copy there too).
v2vm=${V2VM:-$root/../shared/tools/v2vm.sh}
[ -x "$v2vm" ] || v2vm=/work/shared/tools/v2vm.sh
build=${ARCA_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
arca=${ARCA_BIN:-$build/arca}
probe=${ARCA_PROBE:-$(dirname "$arca")/arca-probe}
busybox=${V2_BUSYBOX:-/bin/busybox}
timeout=${V2_TIMEOUT:-300}
export V2VM_ACCEL=${V2VM_ACCEL:-tcg}

die() { # die REASON: the guest could not run the tests
  echo "v2.sh: $*" >&2
  echo "v2: 0 passed, 1 failed"
  exit 1
}

[ -x "$v2vm" ] || die "no v2vm.sh at $v2vm"
for f in "$arca" "$probe" "$busybox"; do
  [ -x "$f" ] || die "missing executable $f"
  if ! file -L "$f" 2>/dev/null | grep -q 'statically linked'; then
    command -v file >/dev/null || die "'file' is not installed"
    die "$f is not statically linked (the guest has no libraries for it)"
  fi
done

# Host packages v2vm.sh needs (qemu, cpio, ...): install once, keep quiet when present.
if ! command -v qemu-system-x86_64 >/dev/null || ! command -v cpio >/dev/null ||
   ! command -v xz >/dev/null || ! command -v zstd >/dev/null; then
  echo "v2.sh: installing v2vm.sh dependencies"
  "$v2vm" deps >/tmp/v2-deps.$$.log 2>&1 || { tail -20 /tmp/v2-deps.$$.log; die "v2vm.sh deps failed"; }
  rm -f /tmp/v2-deps.$$.log
fi

tmp=$(mktemp -d /tmp/arca-v2.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
payload=$tmp/payload
mkdir -p "$payload"
cp "$arca" "$payload/arca"
cp "$probe" "$payload/arca-probe"
cp "$busybox" "$payload/busybox"
cp tests/v2/run.sh "$payload/run.sh"
chmod +x "$payload"/*

log=$tmp/console.log
quiet=(-q)
[ "${V2_VERBOSE:-0}" = 1 ] && quiet=()
start=$(date +%s)
"$v2vm" -t "$timeout" "${quiet[@]}" -l "$log" "$payload"
rc=$?
echo "v2.sh: guest finished in $(( $(date +%s) - start ))s with exit status $rc"

# Per-test lines and run.sh's own summary, from the console log (CR-stripped).
: >"$tmp/results"
[ -f "$log" ] && tr -d '\r' <"$log" | grep -E '^(ok |FAIL |v2: )' >"$tmp/results" || true
if [ ${#quiet[@]} -gt 0 ]; then grep -E '^(ok |FAIL )' "$tmp/results"; fi
summary=$(grep -E '^v2: [0-9]+ passed, [0-9]+ failed$' "$tmp/results" | tail -n 1)
case $rc in
  124) die "the guest timed out after ${timeout}s" ;;
  125) [ -n "$summary" ] || die "the guest did not boot or v2vm.sh failed (exit 125; see above)" ;;
esac
[ -n "$summary" ] || die "run.sh printed no summary (guest exit $rc)"
echo "$summary"
if [ $rc -eq 0 ] && ! echo "$summary" | grep -q ', 0 failed$'; then rc=1; fi
exit $rc
