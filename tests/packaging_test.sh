#!/usr/bin/env bash
# packaging/: the systemd unit passes systemd-analyze verify (where systemd
# is installed; it skips visibly otherwise), and remora-memnode tells a
# notify socket READY=1 once it serves and STOPPING=1 when told to stop, as
# Type=notify expects.
# Usage: packaging_test.sh SOURCE_DIR REMORA_MEMNODE
set -u
src=$1 memnode=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"; [ -n "${node:-}" ] && kill -9 "$node" 2>/dev/null' EXIT
failed=0
if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/local/bin/remora-memnode|$memnode|" "$src/packaging/remora-memnode.service" \
    > "$dir/remora-memnode.service"
  out=$(timeout 60 systemd-analyze verify "$dir/remora-memnode.service" 2>&1)
  if [ $? -ne 0 ] || [ -n "$out" ]; then
    echo "FAIL: systemd-analyze verify: $out"
    failed=1
  else
    echo "systemd-analyze verify: clean"
  fi
else
  echo "SKIPPED: systemd-analyze is not installed; the unit is not verified"
fi
# A notify socket of our own, read by python3 while the node starts and stops.
python3 - "$dir/notify" > "$dir/messages" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
got = []
while not any("STOPPING=1" in m for m in got):
    got.append(s.recv(4096).decode())
    print(got[-1].replace("\n", " "), flush=True)
PY
reader=$!
for _ in $(seq 100); do [ -S "$dir/notify" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$dir/notify" UCX_NET_DEVICES=lo "$memnode" --port=0 --capacity=64MiB > "$dir/out" 2>&1 &
node=$!
for _ in $(seq 300); do grep -q READY=1 "$dir/messages" && break; sleep 0.1; done
grep -q "READY=1" "$dir/messages" || { echo "FAIL: no READY=1 from the node"; failed=1; }
grep -q "STATUS=serving on 127.0.0.1:" "$dir/messages" || { echo "FAIL: no STATUS"; failed=1; }
kill -TERM "$node"
timeout 30 tail --pid="$node" -f /dev/null
wait "$node"; rc=$?
node=
[ $rc -eq 0 ] || { echo "FAIL: the node exited $rc after SIGTERM"; failed=1; }
timeout 30 tail --pid="$reader" -f /dev/null
grep -q "STOPPING=1" "$dir/messages" || { echo "FAIL: no STOPPING=1 from the node"; failed=1; }
cat "$dir/messages"
[ $failed = 0 ] && echo "packaging: unit and notify as documented"
exit $failed
