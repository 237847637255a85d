# bench/run security: what TLS costs the control plane. The same requests
# (stats round trips one at a time, and alloc + free of one object) against
# a plain memory node and a TLS one (mutual, a certificate made here), in
# one run. Ratios: TLS over plain (1 is free). Object data does not go
# through TLS (it moves over UCX), so the data path is unchanged. Beside
# them, Redis through the same loops (GET of 64 bytes one at a time; SET +
# DEL): vs_redis is the plain node's rate over Redis's.
# Then the data path with tenants: one-sided reads (64 B and 4 KiB, 16 a
# batch) by a tenant of a node with two tenants, each its own region and
# remote key, against the same reads from a node without tenants.

bench_security() {
  need_command openssl openssl
  need_command redis-server redis-server
  local memnode bench dir plain secure redis port server
  memnode=$(need_binary actors/remora-memnode)
  bench=$(need_binary bench/remora-bench-control)
  dir=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
  local tls=(--tls-certificate="$dir/cert.pem" --tls-key="$dir/key.pem"
             --tls-ca-file="$dir/cert.pem")
  plain=$(against_memnode "$memnode" --capacity=256MiB -- "$bench" --seconds=2)
  secure=$(against_memnode "$memnode" --capacity=256MiB "${tls[@]}" -- \
           "$bench" --seconds=2 "${tls[@]}")
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --protected-mode no >/dev/null 2>&1 &
  server=$!
  wait_listening "$port" || { kill "$server"; return 1; }
  redis=$(timeout 120 "$bench" --redis-port="$port" --seconds=2)
  kill "$server"; wait "$server" 2>/dev/null || true
  local bench_data size label alone tenant
  bench_data=$(need_binary bench/remora-bench-memnode)
  printf 'a token-a 512MiB\nb token-b 512MiB\n' > "$dir/tenants"
  for size in 64 4096; do
    case $size in 64) label=64B ;; *) label=4KiB ;; esac
    alone=$(against_memnode "$memnode" --capacity=1GiB -- \
            "$bench_data" --size="$size" --seconds=2)
    tenant=$(against_memnode "$memnode" --capacity=1GiB --tenants="$dir/tenants" -- \
             "$bench_data" --size="$size" --seconds=2 --auth-token=token-a)
    echo "security tenants-read-$label plain=$(calc "$(field ops_per_s "$alone") / 1e6")Mops/s" \
         "tenant=$(calc "$(field ops_per_s "$tenant") / 1e6")Mops/s" \
         "ratio=$(calc "$(field ops_per_s "$tenant") / $(field ops_per_s "$alone")")"
  done
  rm -rf "$dir"
  echo "security control-rtt plain=$(field rtt_per_s "$plain")/s tls=$(field rtt_per_s "$secure")/s" \
       "p50_plain=$(field p50_us "$plain")us p50_tls=$(field p50_us "$secure")us" \
       "p99_plain=$(field p99_us "$plain")us p99_tls=$(field p99_us "$secure")us" \
       "redis=$(field rtt_per_s "$redis")/s p50_redis=$(field p50_us "$redis")us" \
       "vs_redis=$(calc "$(field rtt_per_s "$plain") / $(field rtt_per_s "$redis")")" \
       "ratio=$(calc "$(field rtt_per_s "$secure") / $(field rtt_per_s "$plain")")"
  echo "security alloc-free plain=$(field alloc_free_per_s "$plain")/s" \
       "tls=$(field alloc_free_per_s "$secure")/s" \
       "redis_set_del=$(field alloc_free_per_s "$redis")/s" \
       "vs_redis=$(calc "$(field alloc_free_per_s "$plain") / $(field alloc_free_per_s "$redis")")" \
       "ratio=$(calc "$(field alloc_free_per_s "$secure") / $(field alloc_free_per_s "$plain")")"
}
