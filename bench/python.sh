# bench/run python: what the Python binding costs. The embedding load of
# remora-embedding (Zipf(0.99) row ids over N rows x 64 floats, batches of
# 256, a local cache of 10% of the table, one row a remote object, 2 s
# warm-up then 5 s timed) run from Python (examples/python/embedding_gather.py:
# Array.gather into numpy, handed on through DLPack) and from C++ (the
# GatherServer path of remora-embedding), one after the other in one run.
# ratio = Python rows/s over C++ rows/s. REMORA_EMBEDDING_ROWS sets N
# (default 1000000).

bench_python() {
  local module example rows py cpp p c
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
}
