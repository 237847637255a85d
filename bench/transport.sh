# bench/run transport: Remora's batched one-sided gets against ucx_perftest
# (ucp_get) for 1 MiB and 64 B, over shared memory and over TCP, all in one
# run. Each side is measured three times, alternating; the best of each is
# compared. Bulk cases compare bandwidth, small ones get rate.

perftest_get() {  # tls size iterations -> "bytes_per_s ops_per_s"
  local tls=$1 size=$2 iters=$3 port out
  port=$(free_port)
  env ${tls:+UCX_TLS=$tls} ucx_perftest -t ucp_get -p "$port" >/dev/null 2>&1 &
  local server=$!
  wait_listening "$port" || { kill "$server" 2>/dev/null; return 1; }
  out=$(env ${tls:+UCX_TLS=$tls} timeout 120 ucx_perftest 127.0.0.1 -p "$port" -t ucp_get \
          -s "$size" -n "$iters" -f -v 2>/dev/null | tail -n1)
  wait "$server" 2>/dev/null || true
  # CSV: iterations,p50_lat,avg_lat,overall_lat,avg_bw(MB/s),overall_bw,avg_mr,overall_mr
  awk -F, -v size="$size" '{ printf "%.0f %.0f\n", $8 * size, $8 }' <<<"$out"
}

remora_get() {  # tls size -> "bytes_per_s ops_per_s"
  local tls=$1 size=$2 demo out
  demo=$(need_binary transport/remora-transport-demo)
  out=$(env ${tls:+UCX_TLS=$tls} timeout 120 "$demo" --measure="$size" --seconds=1.5)
  echo "$(field bytes_per_s "$out") $(field ops_per_s "$out")"
}

bench_transport() {
  need_command ucx_perftest ucx-utils
  local tls label size iters best_r best_p r p
  for tls in "" tcp; do
    label=${tls:-shm}
    for size in 1048576 64; do
      if [ "$size" = 64 ]; then iters=$([ -z "$tls" ] && echo 20000000 || echo 50000)
      else iters=$([ -z "$tls" ] && echo 50000 || echo 1500); fi
      best_r="0 0"; best_p="0 0"
      for _ in 1 2 3; do
        r=$(remora_get "$tls" "$size"); p=$(perftest_get "$tls" "$size" "$iters")
        [ "$(max "${r% *}" "${best_r% *}")" = "${r% *}" ] && best_r=$r
        [ "$(max "${p% *}" "${best_p% *}")" = "${p% *}" ] && best_p=$p
      done
      if [ "$size" = 64 ]; then
        echo "transport $label-64B remora=$(calc "${best_r#* } / 1e6")Mops/s" \
             "perftest=$(calc "${best_p#* } / 1e6")Mops/s ratio=$(calc "${best_r#* } / ${best_p#* }")"
      else
        echo "transport $label-1MiB remora=$(calc "${best_r% *} / 1e9")GB/s" \
             "perftest=$(calc "${best_p% *} / 1e9")GB/s ratio=$(calc "${best_r% *} / ${best_p% *}")"
      fi
    done
  done
}
