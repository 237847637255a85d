# bench/run memnode: one-sided reads of 64 B, 4 KiB and 1 MiB objects from a
# running remora-memnode (16 reads per batch) beside ucx_perftest gets of the
# same size and Redis GETs of the same objects (pipeline 16), all in one run.
# Ratios: Remora's reads/s over each peer's. Then reads through the spill:
# 256 MiB of objects of 64 B to 1 MiB on a node of 64 MiB, one at a time at
# random, beside RocksDB holding the same objects (remora-bench-spill); the
# node's unspills and waits for room during the reads, and the latency of a
# second client's lookups meanwhile (bystander). Last, filling a node: 2M
# objects of 64 B made through the public API with a 16 MiB local cache (so
# nearly all are written home, with their allocations),
# beside Redis SETs of as many 64 B values (pipeline 16); ratio: objects
# made per second over SETs per second. Then 1M objects again with UCX over
# tcp (Redis is over tcp in both), and 2M objects of 256 B over shared
# memory (allocated, then written one-sided) beside SETs of 256 B values.
# Beside each fill, what the objects cost in memory besides their own slots:
# the node's table (its entries and CLOCK lists, from remora-ctl stats) over
# the objects, and Redis's used_memory growth over its keys (values
# included).

bench_memnode() {
  need_command ucx_perftest ucx-utils
  need_command redis-server redis-server
  local memnode bench out size label remora perftest redis
  memnode=$(need_binary actors/remora-memnode)
  bench=$(need_binary bench/remora-bench-memnode)
  for size in 64 4096 1048576; do
    case $size in 64) label=64B ;; 4096) label=4KiB ;; *) label=1MiB ;; esac
    out=$(against_memnode "$memnode" --capacity=1GiB -- \
          "$bench" --size="$size" --depth=16 --seconds=2)
    remora=$(field ops_per_s "$out")
    perftest=$(perftest_get "" "$size" $((size >= 1048576 ? 20000 : 2000000)))
    perftest=${perftest#* }
    redis=$(redis_get_rate "$size")
    echo "memnode read-$label remora=$(calc "$remora / 1e6")Mops/s" \
         "perftest=$(calc "$perftest / 1e6")Mops/s redis=$(calc "$redis / 1e6")Mops/s" \
         "batch_p50=$(field batch_p50_us "$out")us batch_p99=$(field batch_p99_us "$out")us" \
         "ratio_perftest=$(calc "$remora / $perftest") ratio=$(calc "$remora / $redis")"
  done
  local spill dir peer
  spill=$(need_binary bench/remora-bench-spill)
  out=$(against_memnode "$memnode" --capacity=64MiB -- "$spill" --bytes=256MiB --seconds=3)
  dir=$(mktemp -d)
  peer=$("$spill" --rocksdb="$dir/db" --bytes=256MiB --seconds=3) || { rm -rf "$dir"; return 1; }
  rm -rf "$dir"
  remora=$(field ops_per_s "$out")
  echo "memnode read-spilled-mixed remora=$(calc "$remora / 1e3")Kops/s" \
       "p50=$(field read_p50_us "$out")us p99=$(field read_p99_us "$out")us" \
       "unspills=$(field unspills "$out") room_waits=$(field room_waits "$out")" \
       "spills=$(field spills "$out") clean_spills=$(field clean_spills "$out")" \
       "bystander_p50=$(field bystander_p50_us "$out")us bystander_p99=$(field bystander_p99_us "$out")us" \
       "rocksdb=$(calc "$(field ops_per_s "$peer") / 1e3")Kops/s" \
       "rocksdb_p50=$(field read_p50_us "$peer")us ratio=$(calc "$remora / $(field ops_per_s "$peer")")"
  local fill ctl tls size label count table
  fill=$(need_binary bench/remora-bench-fill)
  ctl=$(need_binary client/remora-ctl)
  # 64-byte objects go with their allocation; 256-byte ones (an embedding
  # row of 64 floats) are allocated, then written one-sided.
  for tls_size in ":64" "tcp:64" ":256"; do
    tls=${tls_size%%:*} size=${tls_size#*:}
    label=fill-${size}B${tls:+-$tls}
    count=$([ -z "$tls" ] && echo 2000000 || echo 1000000)
    out=$(UCX_TLS=${tls:-${UCX_TLS:-all}} against_memnode --ctl="$ctl" "$memnode" \
          --capacity=1GiB -- "$fill" --objects="$count" --size="$size")
    remora=$(field made_per_s "$out")
    # The node's table as the objects left it (it keeps its size).
    table=$(sed -n 's/^node_stats .*"table_bytes": \([0-9]*\).*/\1/p' <<<"$out")
    redis=$(redis_set_rate "$size" "$count")
    echo "memnode $label remora=$(calc "$remora / 1e6")Mobjects/s" \
         "writebacks=$(field writebacks "$out") redis_set=$(calc "${redis% *} / 1e6")Mops/s" \
         "table_per_object=$(calc "$table / $count")B redis_per_key=${redis#* }B" \
         "ratio=$(calc "$remora / ${redis% *}")"
  done
}
