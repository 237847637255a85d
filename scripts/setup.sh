#!/usr/bin/env bash
# scripts/setup.sh main|test — the two set-up commands of the README.
#
#   main  installs what is missing, builds, and runs Remora's main job:
#         PageRank and BFS on an R-MAT graph (scale 20) held in far memory,
#         embedded memory node, local cache 25 % of the graph, checked
#         against the same run in memory
#   test  installs what is missing, builds, and runs the whole test suite;
#         then all of it again under ASan + UBSan, the concurrency tests
#         under TSan, and a short libFuzzer run of each decoder
#   deps  only installs what is missing (packaging/Containerfile uses it)
#
# Run as root on Debian (bookworm). The build folder is build/ unless
# REMORA_BUILD_DIR names another.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${REMORA_BUILD_DIR:-build}

packages=(cmake make g++ pkg-config git iproute2 openssl libssl-dev libcaf-dev libucx-dev ucx-utils librocksdb-dev
          catch2 libnuma-dev libisal-dev libbenchmark-dev redis-server libhiredis-dev gnuplot-nox
          etcd-server clang-14 libclang-rt-14-dev zlib1g-dev libgraphblas-dev liblz4-dev libzstd-dev
          pybind11-dev python3-dev python3-numpy python3-pytest python3-redis libcli11-dev
          prometheus-cpp-dev libsystemd-dev)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: installing packages needs root (run as root, or: sudo $0 ${1:-})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Each target's sources compile eight to a unit (CMake's unity build): the
# headers (CAF, Catch2, CLI11, Remora's own) are read and their templates
# instantiated once per unit instead of once per file. A clean build of
# everything took 5.3 minutes here, against 9.2 file by file. The code
# builds either way; for work on a few files, configure without it.
unity=-DCMAKE_UNITY_BUILD=ON

# Tests run two per core (at most 8 at a time): they spend about 40 % of
# their time waiting (for processes to start, heartbeats, leases), not
# computing. Here (2 cores) the suite took 76-86 s four at a time against
# 117-120 two at a time, the ASan suite 99-101 s against 143; each passes
# at either (ctest -j2 is what the suite promises).
test_jobs=$(( $(nproc) >= 4 ? 8 : $(nproc) * 2 ))

configure_and_build() {
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$unity"
  cmake --build "$build" -j"$(nproc)"
}

case "${1:-}" in
  main)
    install_missing main
    configure_and_build
    export UCX_NET_DEVICES=${UCX_NET_DEVICES:-lo}
    "$build/examples/remora-graph" --scale=20 --edge-factor=16 --algorithm=both \
      --dram-cache=25% --verify
    ;;
  test)
    install_missing test
    configure_and_build
    export UCX_NET_DEVICES=${UCX_NET_DEVICES:-lo}
    ctest --test-dir "$build" --output-on-failure --timeout 900 -j"$test_jobs"
    # The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer
    # (memory nodes and every other process the tests start included): any
    # report ends its process and fails the test, leaks at exit too. The
    # suppressions are for code that is not Remora's, each with its reason.
    # (Not clang: its code calls into Debian's GCC-built CAF wrongly, e.g.
    # config_option::check jumps to a null function pointer.)
    cmake -S . -B "$build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREMORA_ASAN=ON \
          -DREMORA_BUILD_BENCH=OFF "$unity"
    cmake --build "$build-asan" -j"$(nproc)"
    # Allocation stacks are unwound by frame pointers (ASan's default): the
    # one leak of UCX's that the run meets is overlooked where it is made
    # (transport/worker.cpp), so it need not be matched by a stack unwound
    # from the tables, which made the multi-process tests 2-3 times as slow
    # (the five slowest 80 s against 45; tests/lsan.supp says why).
    ASAN_OPTIONS="halt_on_error=1:detect_leaks=1" \
      LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" \
      UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/ubsan.supp" \
      ctest --test-dir "$build-asan" --output-on-failure --timeout 900 -j"$test_jobs"
    # The concurrency tests again under ThreadSanitizer. UCX's memory hooks
    # (UCX_MEM_EVENTS) clash with TSan's thread teardown, so they are off.
    # The two programs run side by side (2.1 minutes here, against 2.5 one
    # after the other), each one's output shown whole when it ends.
    cmake -S . -B "$build-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREMORA_TSAN=ON \
          -DREMORA_BUILD_BENCH=OFF "$unity"
    cmake --build "$build-tsan" -j"$(nproc)" --target client_threads_test graph_algorithms_test
    tsan_tests=(tests/client/client_threads_test tests/examples/graph_algorithms_test)
    pids=()
    for t in "${tsan_tests[@]}"; do
      TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=1" UCX_MEM_EVENTS=no \
        "$build-tsan/$t" "[threads]" > "$build-tsan/$(basename "$t").log" 2>&1 &
      pids+=($!)
    done
    tsan_failed=0
    for i in "${!tsan_tests[@]}"; do
      wait "${pids[$i]}" || tsan_failed=1
      echo "== ${tsan_tests[$i]} [threads] under TSan:"
      cat "$build-tsan/$(basename "${tsan_tests[$i]}").log"
    done
    [ "$tsan_failed" -eq 0 ] || { echo "setup: a TSan test failed (above)" >&2; exit 1; }
    # libFuzzer on Remora's own decoders (slot checks, addresses, sizes,
    # URLs), built with clang, ASan and UBSan: a short run of each, side by
    # side. (scripts/fuzz.sh builds and runs every target, long.)
    CC=clang-14 CXX=clang++-14 cmake -S . -B "$build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DREMORA_FUZZ=ON -DREMORA_BUILD_TESTS=OFF -DREMORA_BUILD_BENCH=OFF -DREMORA_WITH_CUDA=OFF \
          "$unity"
    cmake --build "$build-fuzz" -j"$(nproc)" --target remora-fuzz-slot remora-fuzz-text
    ctest --test-dir "$build-fuzz" --output-on-failure -j2
    ;;
  deps)
    install_missing deps
    ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
