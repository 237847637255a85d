# bench/run embedding: the embedding lookup of remora-embedding (Zipf(0.99)
# batches of 256 row ids over a table of N rows x 64 floats, one load
# thread), three ways in one run: from a plain vector (--in-memory), Remora
# in process with a local cache of 10% of the table, and Redis MGETs of the
# same rows as 256-byte values. ratio = Remora rows/s over Redis rows/s;
# p99_vs_memory = Remora's p99 batch latency over the vector's.
# REMORA_EMBEDDING_ROWS shrinks N (default 4000000: a 1 GiB table).

bench_embedding() {
  need_command redis-server redis-server
  local example driver rows seconds memory remora port server redis
  example=$(need_binary examples/remora-embedding)
  driver=$(need_binary bench/remora-bench-embedding-redis)
  rows=${REMORA_EMBEDDING_ROWS:-4000000}
  seconds=5
  memory=$(timeout 300 "$example" --rows="$rows" --in-memory --seconds="$seconds" | grep '^result ')
  remora=$(timeout 300 "$example" --rows="$rows" --local-cache=10% --seconds="$seconds" | grep '^result ')
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --protected-mode no >/dev/null 2>&1 &
  server=$!
  wait_listening "$port" || { kill "$server"; return 1; }
  redis=$(timeout 600 "$driver" --redis-port="$port" --rows="$rows" --seconds="$seconds" | grep '^side=redis')
  kill "$server"; wait "$server" 2>/dev/null || true
  local r m x
  r=$(field rows_per_s "$remora"); m=$(field rows_per_s "$memory"); x=$(field rows_per_s "$redis")
  echo "embedding zipf0.99-b256-10% rows=$rows remora=$(calc "$r / 1e6")Mrows/s" \
       "p50=$(field p50_us "$remora")us p99=$(field p99_us "$remora")us" \
       "hit_rate=$(field hit_rate "$remora") memory=$(calc "$m / 1e6")Mrows/s" \
       "memory_p99=$(field p99_us "$memory")us redis=$(calc "$x / 1e6")Mrows/s" \
       "redis_p99=$(field p99_us "$redis")us ratio=$(calc "$r / $x")" \
       "p99_vs_memory=$(calc "$(field p99_us "$remora") / $(field p99_us "$memory")")"
}
