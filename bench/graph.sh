# bench/run graph: PageRank (10 iterations) on an R-MAT graph, scale 20 and
# edge factor 16 unless REMORA_GRAPH_SCALE names another scale, three ways in
# one run: plain vectors in memory, Remora with a local cache of 25% of the
# graph (embedded node), and the same with prefetching off. ratio = the
# in-memory time over Remora's (higher is better). A fourth pair, all-far:
# PageRank pulling over in-edges with every array in Remora (offsets,
# sources, out-degrees, ranks, contributions; 25% of them cached), at() per
# element and a scope per vertex, against the same loop over vectors.

bench_graph() {
  local bin scale common memory remora off
  bin=$(need_binary examples/remora-graph)
  scale=${REMORA_GRAPH_SCALE:-20}
  echo "# graph: R-MAT scale $scale, edge factor 16 (REMORA_GRAPH_SCALE sets the scale)"
  common=(--scale="$scale" --edge-factor=16 --algorithm=pagerank --iterations=10)
  memory=$(timeout 600 "$bin" "${common[@]}" --in-memory | grep '^result ')
  remora=$(timeout 600 "$bin" "${common[@]}" --local-cache=25% | grep '^result ')
  off=$(timeout 600 "$bin" "${common[@]}" --local-cache=25% --no-prefetch | grep '^result ')
  echo "graph pagerank-s$scale-25% remora=$(field seconds "$remora")s" \
       "memory=$(field seconds "$memory")s no_prefetch=$(field seconds "$off")s" \
       "hit_rate=$(field hit_rate "$remora") prefetch_hits=$(field prefetch_hits "$remora")" \
       "ratio=$(calc "$(field seconds "$memory") / $(field seconds "$remora")")"
  memory=$(timeout 600 "$bin" "${common[@]}" --vertex-state=far --in-memory | grep '^result ')
  remora=$(timeout 600 "$bin" "${common[@]}" --vertex-state=far --local-cache=25% | grep '^result ')
  echo "graph pagerank-all-far-s$scale-25% remora=$(field seconds "$remora")s" \
       "memory=$(field seconds "$memory")s hit_rate=$(field hit_rate "$remora")" \
       "ratio=$(calc "$(field seconds "$memory") / $(field seconds "$remora")")"
}
