# bench/run security: what TLS costs the control plane. The same requests
# (stats round trips one at a time, and alloc + free of one object) against
# a plain memory node and a TLS one (mutual, a certificate made here), in
# one run. Ratios: TLS over plain (1 is free). Object data does not go
# through TLS (it moves over UCX), so the data path is unchanged.

bench_security() {
  need_command openssl openssl
  local memnode bench dir port node plain secure
  memnode=$(need_binary actors/remora-memnode)
  bench=$(need_binary bench/remora-bench-control)
  dir=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
  local tls=(--tls-certificate="$dir/cert.pem" --tls-key="$dir/key.pem"
             --tls-ca-file="$dir/cert.pem")
  port=$(free_port)
  "$memnode" --port="$port" --capacity=256MiB >/dev/null &
  node=$!
  wait_listening "$port" || { kill "$node"; return 1; }
  plain=$(timeout 120 "$bench" --node=127.0.0.1:"$port" --seconds=2)
  kill "$node"; wait "$node" 2>/dev/null || true
  port=$(free_port)
  "$memnode" --port="$port" --capacity=256MiB "${tls[@]}" >/dev/null &
  node=$!
  wait_listening "$port" || { kill "$node"; return 1; }
  secure=$(timeout 120 "$bench" --node=127.0.0.1:"$port" --seconds=2 "${tls[@]}")
  kill "$node"; wait "$node" 2>/dev/null || true
  rm -rf "$dir"
  echo "security control-rtt plain=$(field rtt_per_s "$plain")/s tls=$(field rtt_per_s "$secure")/s" \
       "p50_plain=$(field p50_us "$plain")us p50_tls=$(field p50_us "$secure")us" \
       "p99_plain=$(field p99_us "$plain")us p99_tls=$(field p99_us "$secure")us" \
       "ratio=$(calc "$(field rtt_per_s "$secure") / $(field rtt_per_s "$plain")")"
  echo "security alloc-free plain=$(field alloc_free_per_s "$plain")/s" \
       "tls=$(field alloc_free_per_s "$secure")/s" \
       "ratio=$(calc "$(field alloc_free_per_s "$secure") / $(field alloc_free_per_s "$plain")")"
}
