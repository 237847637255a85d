#!/usr/bin/env bash
# remora-kvcache's prefill and decode as two processes against one memory
# node: the decode side finds the prompts' blocks, checks every byte
# (wrong=0), again with --hbm (in GPU memory where there is a GPU), and a
# second prefill computes nothing new. Run through
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
# --hbm: with a GPU every block lands in its memory and reads back whole;
# without one the program says so and decodes on the host.
hbm=$(timeout 120 "$kvcache" --role=decode --hbm "${small[@]}")
echo "$hbm"
grep -q "cached_share=1.000" <<<"$hbm"
grep -q "wrong=0" <<<"$hbm"
if grep -q "landed=hbm" <<<"$hbm"; then
  grep -q "hbm_bytes=[1-9]" <<<"$hbm"
else
  grep -q "kvcache: --hbm: no GPU memory here (.*); the blocks stay on the host" <<<"$hbm"
  grep -q "landed=host hbm_bytes=0" <<<"$hbm"
  echo "kvcache --hbm: SKIPPED on the GPU: no GPU memory here, decoded on the host"
fi
again=$(timeout 120 "$kvcache" --role=prefill "${small[@]}")
echo "$again"
grep -q "blocks_computed=0 blocks_reused=48" <<<"$again"
echo "kvcache: ok"
