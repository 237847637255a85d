# bench/run deref: the deref paths.
#   hot:  sum over 10M resident objects through deref vs raw pointers
#         (ratio = raw time / Remora time)
#   miss: random 64-byte reads over a working set 10x a 16 MiB local cache
#         (embedded node, shared memory) vs ucx_perftest 64 B gets and Redis
#         GET pipeline 16 (ratio = Remora reads/s over Redis GETs/s); the
#         memory's floor beside it: p50 of two and of three dependent random
#         reads over the same footprints (handle, slot; handle, word, slot);
#         stalled: the share of the timed reads' time in reads of over 10 us
#   miss-batch16: the same reads sixteen at a time, as Redis's pipeline
#         sends its GETs: each batch's objects brought in by one
#         Runtime::fetch, then read (ratio = reads/s over Redis GETs/s)
#   array-random, array-seq: Array::at() with every chunk resident vs
#         std::vector indexing (ratio = vector time / Remora time);
#         array-seq-double: the sequential walk summing doubles; beside
#         the random case its floor: the least a scope per element, the
#         chunk's word and a pin cost as a plain loop over the vector
#         (floor_ratio = vector time / floor time: the most of the
#         vector's speed that contract leaves on this machine)
#   array-miss: random 8-byte reads of an Array 4x a 16 MiB cache; the peer
#         is ucx_perftest's 64 B get (ratio = perftest time / Remora time)

bench_deref() {
  need_command ucx_perftest ucx-utils
  need_command redis-server redis-server
  local bench out remora perftest redis
  bench=$(need_binary bench/remora-bench-deref)
  out=$(timeout 600 "$bench" --only=hot --hot-objects=10000000)
  echo "deref hot-10M remora=$(field remora_ns "$out")ns/op raw=$(field raw_ns "$out")ns/op" \
       "ratio=$(field ratio "$out")"
  out=$(timeout 600 "$bench" --only=miss --dram-cache=16MiB --seconds=3)
  remora=$(field ops_per_s "$out")
  perftest=$(perftest_get "" 64 2000000)
  perftest=${perftest#* }
  redis=$(redis_get_rate 64)
  echo "deref miss-64B remora=$(calc "$remora / 1e6")Mops/s p50=$(field p50_ns "$out")ns" \
       "p99=$(field p99_ns "$out")ns p9999=$(field p9999_ns "$out")ns" \
       "stalled=$(field stalled "$out") miss_rate=$(field miss_rate "$out")" \
       "perftest=$(calc "$perftest / 1e6")Mops/s redis=$(calc "$redis / 1e6")Mops/s" \
       "ratio_perftest=$(calc "$remora / $perftest") ratio=$(calc "$remora / $redis")" \
       "floor2_p50=$(field floor2_p50_ns "$out")ns floor3_p50=$(field floor3_p50_ns "$out")ns" \
       "floor3_stalled=$(field floor3_stalled "$out")"
  local line
  line=$(grep "case=miss-batch16 " <<<"$out")
  echo "deref miss-64B-batch16 remora=$(calc "$(field ops_per_s "$line") / 1e6")Mops/s" \
       "batch_p50=$(field batch_p50_ns "$line")ns batch_p99=$(field batch_p99_ns "$line")ns" \
       "miss_rate=$(field miss_rate "$line") redis=$(calc "$redis / 1e6")Mops/s" \
       "ratio=$(calc "$(field ops_per_s "$line") / $redis")"
  out=$(timeout 600 "$bench" --only=array)
  line=$(grep "case=array-random " <<<"$out")
  echo "deref array-random remora=$(field remora_ns "$line")ns vector=$(field vector_ns "$line")ns" \
       "floor=$(field floor_ns "$line")ns ratio=$(field ratio "$line")" \
       "floor_ratio=$(calc "$(field vector_ns "$line") / $(field floor_ns "$line")")"
  line=$(grep "case=array-seq " <<<"$out")
  echo "deref array-seq remora=$(field remora_ns "$line")ns vector=$(field vector_ns "$line")ns" \
       "ratio=$(field ratio "$line")"
  line=$(grep "case=array-seq-double " <<<"$out")
  echo "deref array-seq-double remora=$(field remora_ns "$line")ns" \
       "vector=$(field vector_ns "$line")ns ratio=$(field ratio "$line")"
  out=$(timeout 600 "$bench" --only=array-miss --dram-cache=16MiB --seconds=3)
  echo "deref array-miss-8B mean=$(field mean_ns "$out")ns p50=$(field p50_ns "$out")ns" \
       "p99=$(field p99_ns "$out")ns miss_rate=$(field miss_rate "$out")" \
       "bytes_in_per_read=$(field bytes_in_per_read "$out")" \
       "perftest=$(calc "1e9 / $perftest")ns ratio=$(calc "1e9 / $perftest / $(field mean_ns "$out")")"
}
