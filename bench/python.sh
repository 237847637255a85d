# bench/run python: what the Python binding costs. The embedding load of
# remora-embedding (Zipf(0.99) row ids over N rows x 64 floats, batches of
# 256, a local cache of 10% of the table, one row a remote object, 2 s
# warm-up then 5 s timed) run from Python (examples/python/embedding_gather.py:
# Array.gather into numpy, handed on through DLPack) and from C++ (the
# GatherServer path of remora-embedding), one after the other in one run.
# ratio = Python rows/s over C++ rows/s. Then the same rows and ids from a
# Python Redis client (python3-redis: one MGET a batch into numpy, against a
# redis-server started for it): vs_redis = Python-Remora rows/s over
# Python-Redis rows/s. REMORA_EMBEDDING_ROWS sets N (default 1000000).
# Then KV-cache blocks from Python (bench/python_blobs.py: 2048 blocks of
# 64 KiB put, then read back 32 a batch into buffers kept across batches,
# every block checked): remora.BlobStore.get_many_into against a memory
# node, and MGET from python3-redis; ratio = Remora's get GB/s over Redis's.

# python_redis ROWS: bench/python_redis_gather.py's `result` line against a
# Redis server started for it and stopped after.
python_redis() {
  need_command redis-server redis-server
  local port server line
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --protected-mode no >/dev/null 2>&1 &
  server=$!
  wait_listening "$port" || { kill "$server"; return 1; }
  line=$(timeout 600 /usr/bin/python3 "$here/python_redis_gather.py" --redis-port="$port" \
           --rows="$1" --seconds=5 | grep '^result ')
  kill "$server"; wait "$server" 2>/dev/null || true
  echo "$line"
}

# python_blobs MODULE: the KV-block line, Remora and Redis from Python.
python_blobs() {
  local memnode remora redis port server
  memnode=$(need_binary actors/remora-memnode)
  remora=$(PYTHONPATH="$1" against_memnode "$memnode" --capacity=1GiB -- \
             /usr/bin/python3 "$here/python_blobs.py" | grep '^result ')
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --protected-mode no >/dev/null 2>&1 &
  server=$!
  wait_listening "$port" || { kill "$server"; return 1; }
  redis=$(timeout 600 /usr/bin/python3 "$here/python_blobs.py" --redis-port="$port" | grep '^result ')
  kill "$server"; wait "$server" 2>/dev/null || true
  echo "python kv-64KiB-b32 remora_put=$(field put_gbps "$remora")GB/s" \
       "remora_get=$(field get_gbps "$remora")GB/s get_p50=$(field get_p50_us "$remora")us" \
       "get_p99=$(field get_p99_us "$remora")us redis_set=$(field put_gbps "$redis")GB/s" \
       "redis_get=$(field get_gbps "$redis")GB/s redis_p50=$(field get_p50_us "$redis")us" \
       "redis_p99=$(field get_p99_us "$redis")us" \
       "wrong=$(( $(field wrong "$remora") + $(field wrong "$redis") ))" \
       "ratio=$(calc "$(field get_gbps "$remora") / $(field get_gbps "$redis")")"
}

bench_python() {
  local module example rows py cpp p c redis r
  module=$(need_binary python)
  example=$(need_binary examples/remora-embedding)
  [ -n "$(ls "$module"/remora*.so 2>/dev/null)" ] || {
    echo "bench/run: the Python module is not built (Debian: pybind11-dev python3-dev)" >&2
    exit 1
  }
  rows=${REMORA_EMBEDDING_ROWS:-1000000}
  py=$(PYTHONPATH="$module" timeout 600 /usr/bin/python3 "$root/examples/python/embedding_gather.py" \
         --rows="$rows" --seconds=5 | grep '^result ')
  cpp=$(timeout 600 "$example" --rows="$rows" --seconds=5 | grep '^result ')
  p=$(field rows_per_s "$py"); c=$(field rows_per_s "$cpp")
  echo "python gather-zipf0.99-b256-10% rows=$rows python=$(calc "$p / 1e6")Mrows/s" \
       "python_p50=$(field p50_us "$py")us python_p99=$(field p99_us "$py")us" \
       "cpp=$(calc "$c / 1e6")Mrows/s cpp_p50=$(field p50_us "$cpp")us" \
       "cpp_p99=$(field p99_us "$cpp")us ratio=$(calc "$p / $c")"
  if ! /usr/bin/python3 -c 'import redis' 2>/dev/null; then
    echo "# python: no Redis client for Python (Debian: python3-redis); its comparison skipped"
    return
  fi
  redis=$(PYTHONPATH="$module" python_redis "$rows")
  r=$(field rows_per_s "$redis")
  echo "python mget-zipf0.99-b256 rows=$rows python=$(calc "$p / 1e6")Mrows/s" \
       "python_p99=$(field p99_us "$py")us redis=$(calc "$r / 1e6")Mrows/s" \
       "redis_p50=$(field p50_us "$redis")us redis_p99=$(field p99_us "$redis")us" \
       "redis_wrong=$(field wrong "$redis") vs_redis=$(calc "$p / $r") ratio=$(calc "$p / $r")"
  python_blobs "$module"
}
