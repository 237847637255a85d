# bench/run kvcache: blob store puts and gets of KV-cache-sized blocks
# (256 KiB, 1 MiB, 4 MiB; 256 MiB of distinct keys each, read back in a
# shuffled order, every block checked), one synchronous client, beside Redis
# SET/GET of the same blocks and the transport's ceiling (ucx_perftest gets
# of the same size) in the same run. ratio = Remora's get GB/s over Redis's;
# ceiling_share = Remora's get GB/s over ucx_perftest's.
# Then remora-kvcache as two processes against one memory node: a prefill
# process puts the KV blocks of 16 prompts (512 shared tokens, 256 of their
# own, 32 layers, 64 KiB a block and layer), a decode process finds each
# prompt's cached prefix and fetches it layer by layer: time to first token
# with the cache against recomputing every token (100 us a token).

bench_kvcache() {
  need_command ucx_perftest ucx-utils
  need_command redis-server redis-server
  local memnode bench size label remora redis port server ceiling
  memnode=$(need_binary actors/remora-memnode)
  bench=$(need_binary bench/remora-bench-blobs)
  for size in 262144 1048576 4194304; do
    case $size in 262144) label=256KiB ;; 1048576) label=1MiB ;; *) label=4MiB ;; esac
    remora=$(against_memnode "$memnode" --capacity=1GiB -- "$bench" --size="$size")
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize no --protected-mode no >/dev/null 2>&1 &
    server=$!
    wait_listening "$port" || { kill "$server"; return 1; }
    redis=$(timeout 300 "$bench" --redis-port="$port" --size="$size")
    kill "$server"; wait "$server" 2>/dev/null || true
    ceiling=$(perftest_get "" "$size" 20000)
    ceiling=${ceiling% *}
    echo "kvcache blob-$label remora_put=$(field put_gbps "$remora")GB/s" \
         "remora_get=$(field get_gbps "$remora")GB/s get_p50=$(field get_p50_us "$remora")us" \
         "get_p99=$(field get_p99_us "$remora")us redis_set=$(field put_gbps "$redis")GB/s" \
         "redis_get=$(field get_gbps "$redis")GB/s redis_p99=$(field get_p99_us "$redis")us" \
         "ceiling=$(calc "$ceiling / 1e9")GB/s" \
         "ratio_put=$(calc "$(field put_gbps "$remora") / $(field put_gbps "$redis")")" \
         "ceiling_share=$(calc "$(field get_gbps "$remora") * 1e9 / $ceiling")" \
         "ratio=$(calc "$(field get_gbps "$remora") / $(field get_gbps "$redis")")"
  done
  local kvcache node decode
  kvcache=$(need_binary examples/remora-kvcache)
  port=$(free_port)
  "$memnode" --port="$port" --capacity=2GiB >/dev/null &
  node=$!
  wait_listening "$port" || { kill "$node"; return 1; }
  timeout 600 "$kvcache" --role=prefill --memory-node=127.0.0.1:"$port" >/dev/null
  decode=$(timeout 600 "$kvcache" --role=decode --memory-node=127.0.0.1:"$port" | grep '^decode ')
  kill "$node"; wait "$node" 2>/dev/null || true
  echo "kvcache ttft-16-prompts cache=$(field ttft_cache_p50_ms "$decode")ms" \
       "recompute=$(field ttft_recompute_p50_ms "$decode")ms fetch=$(field fetch_gbps "$decode")GB/s" \
       "layer_fetch_p99=$(field layer_fetch_p99_us "$decode")us wrong=$(field wrong "$decode")" \
       "ratio=$(field speedup "$decode")"
}
