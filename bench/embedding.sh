# bench/run embedding: the embedding lookup of remora-embedding (Zipf(0.99)
# row ids scattered over a table of N rows x 64 floats, batches of 256, one
# load thread, 2 s warm-up then 5 s timed), three ways in one run: from a
# plain vector (--in-memory), Remora in process with a local cache of 10% of
# the table, and Redis MGETs of the same rows (256-byte values) in the same
# order. ratio = Remora rows/s over Redis rows/s; p99_vs_memory = Remora's
# p99 batch latency over the vector's.
# Then two server processes over one memory node: one table published and
# shared by both, against a table each (--private); rows/s and the pool's
# bytes in use at their most (remora-ctl stats, polled during the run), and
# how long filling (on a fresh node) and publishing the shared table took.
# REMORA_EMBEDDING_ROWS shrinks N (default 4000000: a 1 GiB table).

embedding_rows() { echo "${REMORA_EMBEDDING_ROWS:-4000000}"; }

# embedding_side FLAGS...: remora-embedding's `result` line for those flags.
embedding_side() {
  local example
  example=$(need_binary examples/remora-embedding)
  timeout 600 "$example" --rows="$(embedding_rows)" --seconds=5 "$@" | grep '^result '
}

# embedding_redis: the Redis side's `side=redis` line, against a Redis server
# started for it and stopped after.
embedding_redis() {
  need_command redis-server redis-server
  local driver port server line
  driver=$(need_binary bench/remora-bench-embedding-redis)
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --protected-mode no >/dev/null 2>&1 &
  server=$!
  wait_listening "$port" || { kill "$server"; return 1; }
  line=$(timeout 600 "$driver" --redis-port="$port" --rows="$(embedding_rows)" --seconds=5 |
         grep '^side=redis')
  kill "$server"; wait "$server" 2>/dev/null || true
  echo "$line"
}

bench_embedding() {
  local memory remora redis r m x
  memory=$(embedding_side --in-memory)
  remora=$(embedding_side --dram-cache=10%)
  redis=$(embedding_redis)
  r=$(field rows_per_s "$remora"); m=$(field rows_per_s "$memory"); x=$(field rows_per_s "$redis")
  echo "embedding zipf0.99-b256-10% rows=$(embedding_rows) remora=$(calc "$r / 1e6")Mrows/s" \
       "p50=$(field p50_us "$remora")us p99=$(field p99_us "$remora")us" \
       "hit_rate=$(field hit_rate "$remora") memory=$(calc "$m / 1e6")Mrows/s" \
       "memory_p99=$(field p99_us "$memory")us redis=$(calc "$x / 1e6")Mrows/s" \
       "redis_p99=$(field p99_us "$redis")us ratio=$(calc "$r / $x")" \
       "p99_vs_memory=$(calc "$(field p99_us "$remora") / $(field p99_us "$memory")")"
  bench_embedding_servers
}

# embedding_servers FLAGS...: the `result` line of remora-embedding
# --servers=2 over a memory node of its own, and the node's most bytes in use.
embedding_servers() {
  local memnode ctl example port node run most=0 used out published filled
  memnode=$(need_binary actors/remora-memnode)
  ctl=$(need_binary client/remora-ctl)
  example=$(need_binary examples/remora-embedding)
  port=$(free_port)
  "$memnode" --port="$port" --capacity=6GiB >/dev/null &
  node=$!
  wait_listening "$port" || { kill "$node"; return 1; }
  out=$(mktemp)
  timeout 900 "$example" --servers=2 --memory-node=127.0.0.1:"$port" --rows="$(embedding_rows)" \
    --threads=2 --seconds=5 "$@" > "$out" &
  run=$!
  while kill -0 "$run" 2>/dev/null; do
    used=$("$ctl" stats 127.0.0.1:"$port" --json 2>/dev/null | sed -n 's/.*"used": \([0-9]*\).*/\1/p')
    [ -n "$used" ] && most=$(max "$most" "$used")
    # Every 2 s: a remora-ctl connection every 0.5 s made the servers'
    # gathers time out on a slow machine (the table stays loaded for the
    # whole run, so its peak is seen either way).
    sleep 2
  done
  wait "$run" || true
  kill "$node"; wait "$node" 2>/dev/null || true
  # The shared table's publishing: "published as 'NAME' in 1.02 s: ...",
  # and its fill: "table: ... filled in 9.87 s".
  published=$(sed -n "s/^published as '[^']*' in \([0-9.]*\) s.*/\1/p" "$out")
  filled=$(sed -n 's/^table: .*filled in \([0-9.]*\) s.*/\1/p' "$out" | head -n1)
  echo "$(grep '^result ' "$out") pool_used=$most publish_s=${published:-na} fill_s=${filled:-na}"
  rm -f "$out"
}

bench_embedding_servers() {
  local shared private
  shared=$(embedding_servers)
  private=$(embedding_servers --private)
  echo "embedding servers-2 rows=$(embedding_rows)" \
       "shared=$(calc "$(field rows_per_s "$shared") / 1e6")Mrows/s" \
       "private=$(calc "$(field rows_per_s "$private") / 1e6")Mrows/s" \
       "shared_pool=$(calc "$(field pool_used "$shared") / 1048576")MiB" \
       "private_pool=$(calc "$(field pool_used "$private") / 1048576")MiB" \
       "memory_ratio=$(calc "$(field pool_used "$shared") / $(field pool_used "$private")")" \
       "ratio=$(calc "$(field rows_per_s "$shared") / $(field rows_per_s "$private")")" \
       "publish=$(field publish_s "$shared")s fill=$(field fill_s "$shared")s"
}
