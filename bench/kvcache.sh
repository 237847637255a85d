# bench/run kvcache: blob store puts and gets of KV-cache-sized blocks
# (256 KiB, 1 MiB, 4 MiB; 256 MiB of distinct keys each, read back in a
# shuffled order, every block checked), one synchronous client, beside Redis
# SET/GET of the same blocks and the transport's ceiling (ucx_perftest gets
# of the same size) in the same run. ratio = Remora's get GB/s over Redis's;
# ceiling_share = Remora's get GB/s over ucx_perftest's.

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
}
