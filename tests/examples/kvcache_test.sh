#!/usr/bin/env bash
# remora-kvcache's prefill and decode as two processes against one memory
# node: the decode side finds the prompts' blocks, checks every byte
# (wrong=0), and a second prefill computes nothing new.
#   kvcache_test.sh REMORA_MEMNODE REMORA_KVCACHE
set -euo pipefail
memnode=$1 kvcache=$2
log=$(mktemp)
trap 'kill "$node" 2>/dev/null || true; wait "$node" 2>/dev/null || true; rm -f "$log"' EXIT
"$memnode" --port=0 --capacity=256MiB > "$log" 2>&1 &
node=$!
for _ in $(seq 300); do grep -q "listening on" "$log" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$log" | head -n1)
[ -n "$port" ] || { echo "the memory node did not start"; cat "$log"; exit 1; }
small=(--memory-node=127.0.0.1:"$port" --prompts=4 --system-tokens=128 --user-tokens=64
       --layers=4 --heads=2 --head-dim=64 --token-us=20)
first=$(timeout 120 "$kvcache" --role=prefill "${small[@]}")
echo "$first"
# 8 shared blocks once, 4 blocks of each prompt's own.
grep -q "blocks_computed=24 blocks_reused=24" <<<"$first"
decode=$(timeout 120 "$kvcache" --role=decode "${small[@]}")
echo "$decode"
grep -q "cached_share=1.000" <<<"$decode"
grep -q "wrong=0" <<<"$decode"
again=$(timeout 120 "$kvcache" --role=prefill "${small[@]}")
echo "$again"
grep -q "blocks_computed=0 blocks_reused=48" <<<"$again"
echo "kvcache: ok"
