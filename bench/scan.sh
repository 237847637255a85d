# bench/run scan: (1) sum over an Array<uint64_t> of 2 GiB with a 128 MiB local
# cache (embedded node, shared memory): an in-memory vector, Remora with
# prefetching off, with detection only, with a declared sequential order
# (summing a chunk's span at a time), the declared order through at() per
# element, and scan(). ratio = over the in-memory sum; vs_off = over
# prefetching off; vs_copy = over one thread merely copying the array into a
# cache-sized ring, the ceiling for any cache that copies on this machine.
# readers-2: two threads reading halves of the one Array at once, each with
# its own declared order; ratio = over one thread reading it all. Prefetching
# runs where Options puts it by default: on the reading threads when the
# process may use fewer than 3 cores, on prefetcher threads otherwise. Its
# peer, in the same run: one then two threads doing only what readers of a
# cache that copies must (copy each chunk of their share into a cache-sized
# ring, sum it there); copy_ratio = two over one, what this machine's cores
# and memory leave for a second reader at that moment.
# (2) HashMap get_many against Redis MGET (bench_hashmap below).

bench_scan() {
  local bench out memory off copy
  bench=$(need_binary bench/remora-bench-scan)
  out=$(timeout 900 "$bench" --array=2GiB --dram-cache=128MiB)
  memory=$(field gb_per_s "$(grep 'case=memory' <<<"$out")")
  off=$(field gb_per_s "$(grep 'case=off' <<<"$out")")
  copy=$(field gb_per_s "$(grep 'case=copy' <<<"$out")")
  echo "scan memory-2GiB memory=${memory}GB/s copy=${copy}GB/s"
  local name line rate
  for name in off detected declared declared-at scan; do
    line=$(grep "case=$name " <<<"$out")
    rate=$(field gb_per_s "$line")
    echo "scan $name-2GiB remora=${rate}GB/s memory=${memory}GB/s" \
         "misses=$(field misses "$line") prefetch_hits=$(field prefetch_hits "$line")" \
         "vs_off=$(calc "$rate / $off") vs_copy=$(calc "$rate / $copy")" \
         "ratio=$(calc "$rate / $memory")"
  done
  local one two peer copy_one copy_two
  one=$(field gb_per_s "$(grep 'case=readers-1 ' <<<"$out")")
  two=$(field gb_per_s "$(grep 'case=readers-2 ' <<<"$out")")
  peer=$(grep 'case=copy-readers ' <<<"$out")
  copy_one=$(field one_gb_per_s "$peer")
  copy_two=$(field two_gb_per_s "$peer")
  echo "scan readers-2-2GiB remora=${two}GB/s one_reader=${one}GB/s" \
       "copy_one=${copy_one}GB/s copy_two=${copy_two}GB/s" \
       "copy_ratio=$(calc "$copy_two / $copy_one") ratio=$(calc "$two / $one")"
  bench_hashmap
}

# HashMap get_many of Zipf(0.99) keys (batches of 64) against Redis MGET of
# the same keys and values; ratio = Remora keys/s over Redis keys/s.
bench_hashmap() {
  need_command redis-server redis-server
  local bench port server out remora redis
  bench=$(need_binary bench/remora-bench-hashmap)
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --protected-mode no >/dev/null 2>&1 &
  server=$!
  wait_listening "$port" || { kill "$server"; return 1; }
  out=$(timeout 600 "$bench" --redis-port="$port" --keys=1000000 --batch=64 --dram-cache=16MiB)
  kill "$server"; wait "$server" 2>/dev/null || true
  remora=$(field keys_per_s "$(grep side=remora <<<"$out")")
  redis=$(field keys_per_s "$(grep side=redis <<<"$out")")
  echo "scan hashmap-get_many-zipf0.99 remora=$(calc "$remora / 1e6")Mkeys/s" \
       "redis_mget=$(calc "$redis / 1e6")Mkeys/s ratio=$(calc "$remora / $redis")"
}
