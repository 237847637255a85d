#!/usr/bin/env bash
# with_memnode.sh REMORA_MEMNODE COMMAND ARGS...: runs COMMAND against a
# memory node started for it on a free port (each argument's "@NODE@"
# becomes 127.0.0.1:PORT), and stops the node after. COMMAND's exit status.
set -euo pipefail
memnode=$1
shift
log=$(mktemp)
"$memnode" --port=0 --capacity=512MiB > "$log" 2>&1 &
node=$!
trap 'kill "$node" 2>/dev/null || true; wait "$node" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 300); do grep -q "listening on" "$log" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$log" | head -n1)
[ -n "$port" ] || { echo "the memory node did not start"; cat "$log"; exit 1; }
args=()
for a in "$@"; do args+=("${a//@NODE@/127.0.0.1:$port}"); done
timeout 240 "${args[@]}"
