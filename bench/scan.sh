# bench/run scan: sum over an Array<uint64_t> of 2 GiB with a 128 MiB local
# cache (embedded node, shared memory): an in-memory vector, Remora with
# prefetching off, with detection only, with a declared sequential order, and
# scan(). Ratios: each over the in-memory sum (vs_memory) and the declared
# order over prefetching off (vs_off).

bench_scan() {
  local bench out memory off
  bench=$(need_binary bench/remora-bench-scan)
  out=$(timeout 900 "$bench" --mib=2048 --cache-mib=128)
  memory=$(field gb_per_s "$(grep 'case=memory' <<<"$out")")
  off=$(field gb_per_s "$(grep 'case=off' <<<"$out")")
  echo "scan memory-2GiB memory=${memory}GB/s"
  local name line rate
  for name in off detected declared scan; do
    line=$(grep "case=$name " <<<"$out")
    rate=$(field gb_per_s "$line")
    echo "scan $name-2GiB remora=${rate}GB/s memory=${memory}GB/s" \
         "misses=$(field misses "$line") prefetch_hits=$(field prefetch_hits "$line")" \
         "vs_off=$(calc "$rate / $off") ratio=$(calc "$rate / $memory")"
  done
}
