#!/usr/bin/env bash
# scripts/fuzz.sh — Remora's libFuzzer targets (fuzz/), built with clang,
# ASan and UBSan.
#
#   scripts/fuzz.sh BINARY CORPUS SECONDS   runs one target for SECONDS from a
#                                           copy of CORPUS (the test suite's
#                                           short run; fails on any report)
#   scripts/fuzz.sh long [RUNS]             builds the fuzz build (build-fuzz/)
#                                           and runs every target for RUNS
#                                           inputs (default 1000000), saying
#                                           how many ran
#   scripts/fuzz.sh seeds                   rewrites fuzz/corpus/ from real
#                                           messages, slots and option values
set -euo pipefail
cd "$(dirname "$0")/.."

build_fuzz() {
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DREMORA_FUZZ=ON -DREMORA_BUILD_TESTS=OFF -DREMORA_BUILD_BENCH=OFF -DREMORA_WITH_CUDA=OFF \
    >/dev/null
  cmake --build build-fuzz -j"$(nproc)" --target fuzzers
}

# One target on a scratch copy of its corpus; prints libFuzzer's own count.
run_target() {  # BINARY CORPUS LIMIT...
  local binary=$1 corpus=$2 scratch status
  shift 2
  scratch=$(mktemp -d)
  set +e
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$binary" "$scratch" "$corpus" -print_final_stats=1 "$@" 2>"$scratch.log"
  status=$?
  set -e
  grep -E "stat::number_of_executed_units|ERROR|runtime error|SUMMARY" "$scratch.log" || true
  [ $status -eq 0 ] || tail -40 "$scratch.log" >&2
  rm -rf "$scratch" "$scratch.log"
  return $status
}

case "${1:-}" in
  long)
    build_fuzz
    failed=0
    for t in slot text wire; do
      echo "fuzz: $t"
      run_target "build-fuzz/fuzz/remora-fuzz-$t" "fuzz/corpus/$t" -runs="${2:-1000000}" ||
        { echo "fuzz: $t stopped at a finding"; failed=1; }
    done
    exit $failed
    ;;
  seeds)
    build_fuzz
    build-fuzz/fuzz/remora-fuzz-seeds fuzz/corpus
    ;;
  "" | -h | --help)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    [ $# -eq 3 ] || { echo "usage: scripts/fuzz.sh BINARY CORPUS SECONDS" >&2; exit 2; }
    run_target "$1" "$2" -max_total_time="$3"
    ;;
esac
