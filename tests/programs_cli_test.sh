#!/usr/bin/env bash
# Every program reads its command line the same way: --help prints its
# options (exit 0), --version prints "NAME VERSION" (exit 0), an unknown
# option or a bad value is a usage error naming it (exit 2, nothing started),
# and a number of the wrong sign is said to be one.
# Usage: programs_cli_test.sh VERSION PROGRAM... [-- DRIVER...]
# (benchmark drivers: the same, less the bad value, which differs by driver)
set -u
version=$1
shift
programs=() drivers=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do programs+=("$1"); shift; done
[ $# -gt 0 ] && shift
drivers=("$@")
failed=0
check() {  # check WHAT EXPECTED GOT
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1: expected $2, got $3"
    failed=1
  fi
}
for program in "${programs[@]}" "${drivers[@]}"; do
  name=$(basename "$program")
  out=$(timeout 20 "$program" --help 2>&1); rc=$?
  check "$name --help exit code" 0 $rc
  case "$out" in *--*) ;; *) echo "FAIL: $name --help lists no options"; failed=1 ;; esac
  out=$(timeout 20 "$program" --version 2>&1); rc=$?
  check "$name --version exit code" 0 $rc
  check "$name --version output" "$name $version" "$out"
  out=$(timeout 20 "$program" --no-such-option=1 2>&1 >/dev/null); rc=$?
  check "$name unknown option exit code" 2 $rc
  case "$out" in *no-such-option*) ;; *) echo "FAIL: $name does not name the unknown option: $out"; failed=1 ;; esac
done
# A bad value: a usage error.
for program in "${programs[@]}"; do
  name=$(basename "$program")
  case "$name" in
    remora-memnode) args=(--capacity=lots) ;;
    remora-ctl) args=(stats 127.0.0.1:1 --timeout-ms=abc) ;;
    remora-transport-demo) args=(--size=lots) ;;
    *) args=(--dram-cache=lots) ;;
  esac
  out=$(timeout 20 "$program" "${args[@]}" 2>&1 >/dev/null); rc=$?
  check "$name ${args[*]} exit code" 2 $rc
done
# Numbers that must be above 0, or 0 and above, say so (cli::option).
for program in "${programs[@]}"; do
  name=$(basename "$program")
  case "$name" in
    remora-graph) args=(--iterations=-1) expected="'-1' is not 0 or above" ;;
    remora-kvcache) args=(--prompts=0) expected="'0' is not above 0" ;;
    remora-embedding) args=(--dim=x) expected="'x' is not a number" ;;
    *) continue ;;
  esac
  out=$(timeout 20 "$program" "${args[@]}" 2>&1 >/dev/null); rc=$?
  check "$name ${args[*]} exit code" 2 $rc
  check "$name ${args[*]} message" "$name: ${args[0]%%=*}: $expected (see --help)" "$out"
done
# CAF's parser errors, said plainly (the memory node reads its flags with CAF).
for program in "${programs[@]}"; do
  [ "$(basename "$program")" = remora-memnode ] || continue
  out=$(timeout 20 "$program" --port=99999 2>&1 >/dev/null); rc=$?
  check "remora-memnode --port=99999 exit code" 2 $rc
  check "remora-memnode --port=99999 message" \
    "remora-memnode: --port=99999: the number is out of range (see --help)" "$out"
done
[ $failed = 0 ] && echo "all programs: --help, --version and bad options as documented"
exit $failed
