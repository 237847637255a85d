# bench/run tiers: random 64-byte derefs over 2M objects (a working set about
# twice a 64 MiB DRAM tier) and a declared-order scan of a 512 MiB Array,
# with DRAM only, DRAM + CXL (64 MiB more on NUMA node 0) and all tiers
# (+ 64 MiB of HBM on GPU 0), each in its own process, in the same run.
# ratio = over DRAM only.

bench_tiers() {
  local bench out config base_random base_scan rate
  bench=$(need_binary bench/remora-bench-tiers)
  for config in dram dram+cxl all; do
    out=$(timeout 600 "$bench" --tiers="$config")
    if grep -q skipped <<<"$out"; then
      echo "tiers $config skipped: $(sed -n 's/.*reason="\(.*\)"/\1/p' <<<"$out" | tr ' ' '_')"
      continue
    fi
    rate=$(field ops_per_s "$(grep case=random <<<"$out")")
    base_random=${base_random:-$rate}
    echo "tiers random-64B-$config remora=$(calc "$rate / 1e6")Mops/s" \
         "hit_rate=$(field hit_rate "$(grep case=random <<<"$out")")" \
         "promotions=$(field promotions "$(grep case=random <<<"$out")")" \
         "demotions=$(field demotions "$(grep case=random <<<"$out")")" \
         "ratio=$(calc "$rate / $base_random")"
    rate=$(field gb_per_s "$(grep case=scan <<<"$out")")
    base_scan=${base_scan:-$rate}
    echo "tiers scan-512MiB-$config remora=${rate}GB/s ratio=$(calc "$rate / $base_scan")"
  done
}
