# bench/run transport: Remora's batched one-sided gets against ucx_perftest
# (ucp_get) for 1 MiB and 64 B, over shared memory and over TCP, all in one
# run. Each side is measured three times, alternating; the best of each is
# compared. Bulk cases compare bandwidth, small ones get rate.

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
