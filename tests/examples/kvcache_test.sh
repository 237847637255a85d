#!/usr/bin/env bash
# remora-kvcache's prefill and decode as two processes against one memory
# node: the decode side finds the prompts' blocks, checks every byte
# (wrong=0), and a second prefill computes nothing new. Run through
# with_memnode.sh:
#   with_memnode.sh REMORA_MEMNODE kvcache_test.sh REMORA_KVCACHE @NODE@
set -euo pipefail
kvcache=$1 node=$2
small=(--memory-node="$node" --prompts=4 --system-tokens=128 --user-tokens=64
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
