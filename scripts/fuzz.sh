#!/usr/bin/env bash
# Builds a fuzzer (libFuzzer + ASan + UBSan) and runs it.
#   [FUZZ_TARGET=config|archive|dbus] scripts/fuzz.sh [SECONDS] [extra libFuzzer args...]
# FUZZ_TARGET: config (default: config.json through the pure layers), archive (tar
# archives through libarchive and the safe extractor) or dbus (D-Bus messages through
# src/dbus/wire.cc). SECONDS defaults to 60. The build
# goes to $FUZZ_BUILD (default build-fuzz/); the run uses a copy of
# tests/fuzz/corpus/$FUZZ_TARGET in $FUZZ_BUILD/corpus-$FUZZ_TARGET (new inputs stay
# there), crashes land in $FUZZ_BUILD/artifacts/. Exits non-zero when the fuzzer finds a
# crash.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-60}
[ $# -gt 0 ] && shift
build=${FUZZ_BUILD:-build-fuzz}
case $build in /*) ;; *) build=$root/$build ;; esac
cxx=${CXX_FUZZ:-clang++}
mkdir -p "$build/obj" "$build/artifacts"

flags=(-std=c++20 -g -O1 -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=undefined -fno-omit-frame-pointer
       -DARCA_VERSION='"fuzz"' -I"$root/src")
target=${FUZZ_TARGET:-config}
lib=/usr/lib/x86_64-linux-gnu
case $target in
  config)
    sources=("$root"/src/base/*.cc "$root"/src/spec/*.cc "$root"/src/validate/*.cc
             "$root"/src/plan/*.cc "$root"/src/security/seccomp*.cc)
    libs=("$lib/libseccomp.a")
    run_args=(-dict="$root/tests/fuzz/config.dict" -max_len=65536) ;;
  archive)
    # libarchive itself is not instrumented (Debian's build): coverage guides through
    # the extractor, and ASan still checks every buffer the extractor hands it.
    sources=("$root"/src/base/*.cc "$root"/src/image/{archive_reader,extract,entry_path,files}.cc
             "$root"/src/rootfs/resolve.cc)
    libs=("$lib/libarchive.a" "$lib/libzstd.a" "$lib/liblzma.a" "$lib/libz.a")
    run_args=(-max_len=262144) ;;
  dbus)
    sources=("$root"/src/base/error.cc "$root"/src/dbus/wire.cc)
    libs=()
    run_args=(-max_len=4096) ;;
  *) echo "fuzz.sh: unknown FUZZ_TARGET $target (config, archive or dbus)" >&2; exit 2 ;;
esac
sources+=("$root/tests/fuzz/${target}_fuzzer.cc")

# Incremental: recompile a source only when it (or any header under src/) is newer.
newest_header=$(find "$root/src" -name '*.h' -printf '%T@\n' | sort -n | tail -1)
objs=()
pids=()
for src in "${sources[@]}"; do
  rel=${src#"$root"/}
  obj=$build/obj/${rel//\//_}.o
  objs+=("$obj")
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
     awk -v h="$newest_header" -v o="$(stat -c %Y "$obj")" 'BEGIN{exit !(h > o)}'; then
    "$cxx" "${flags[@]}" -c "$src" -o "$obj" &
    pids+=($!)
    if [ ${#pids[@]} -ge "${FUZZ_JOBS:-2}" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  fi
done
for p in "${pids[@]}"; do wait "$p"; done
"$cxx" -fsanitize=fuzzer,address,undefined -g "${objs[@]}" "${libs[@]}" \
  -o "$build/${target}_fuzzer"
echo "==> built $build/${target}_fuzzer"

corpus=$build/corpus-$target
[ "$target" = config ] && corpus=$build/corpus  # where earlier runs left theirs
mkdir -p "$corpus"
cp -n "$root"/tests/fuzz/corpus/"$target"/* "$corpus/" 2>/dev/null || true
echo "==> fuzzing for ${seconds}s"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Extra args go to libFuzzer; for long runs that must not stop at the first finding:
#   scripts/fuzz.sh 1800 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1
stamp=$build/artifacts/.run-start
touch "$stamp"
rc=0
"$build/${target}_fuzzer" "$corpus" "${run_args[@]}" -timeout=10 -rss_limit_mb=2048 \
  -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$build/artifacts/" "$@" || rc=$?
found=$(find "$build/artifacts" -type f -newer "$stamp" ! -name '.*' | sort)
if [ $rc -ne 0 ] || [ -n "$found" ]; then
  echo "==> FUZZER FOUND A PROBLEM (exit $rc); reproduce with: $build/${target}_fuzzer FILE"
  [ -n "$found" ] && echo "$found"
  exit 1
fi
echo "==> no findings in ${seconds}s"
