# bench/run link: PageRank through a memory node behind a tcp link of a
# given speed. The node runs in one network namespace and remora-graph in
# another, joined by a veth pair whose two ends are shaped (tc tbf) to
# 1 Gbit/s and to 10 Gbit/s, the links of deployments without RDMA; UCX
# runs over tcp on the veth. For each link, one line:
#   pagerank-tcp    PageRank (push, 5 iterations, 25% local cache) on an
#                   R-MAT graph (scale 20, edge factor 16, unless
#                   REMORA_GRAPH_SCALE names another) loaded into that node:
#                   the bytes it moved a second; ratio = over the bulk
#                   figure (tcp_bulk: remora-transport-demo's 1 MiB gets
#                   across the same link, best of 3, as bench/run transport
#                   measures loopback; issue 15's target: >= 0.7);
#                   memory_pace = the same bytes over the in-memory run's
#                   time, the most a run that hid the link entirely could
#                   show
#   pagerank-tcp-packed-MODE  the same run with --compress-links=MODE:
#                   always (chunks packed with zstd on their way home, read
#                   back packed) and slow (packed where the link's measured
#                   pace is under 0.3 GB/s); moved counts the chunks' bytes,
#                   wire what crossed the link; vs_plain = the plain run's
#                   seconds over this one's
# Loopback (bench/run graph, pagerank-tcp) is faster than PageRank computes;
# these links are slower, so they show whether Remora keeps one full.
# REMORA_LINK_RATES names other links (tc's units; default "1gbit 10gbit").
# Needs root and ip netns (skips with a message otherwise).

# link_namespaces NODE_NS CLIENT_NS RATE: a veth pair between two new
# namespaces, 10.78.0.1 on the node's side and 10.78.0.2 on the client's,
# both ends shaped to RATE (tc's units: 1gbit).
link_namespaces() {
  local node_ns=$1 client_ns=$2 rate=$3 bits burst dev ns
  bits=$(numfmt --from=si "$(tr 'gmk' 'GMK' <<<"${rate%bit}")")
  # A token bucket of 10 ms at the rate (at least 64 KiB): deep enough for
  # the kernel's timer to keep the link busy.
  burst=$(awk -v b="$bits" 'BEGIN { x = int(b / 8 / 100); print (x > 65536 ? x : 65536) }')
  ip netns add "$node_ns"
  ip netns add "$client_ns"
  ip -n "$node_ns" link set lo up
  ip -n "$client_ns" link set lo up
  ip link add rln$$ type veth peer name rlc$$
  ip link set rln$$ netns "$node_ns"
  ip link set rlc$$ netns "$client_ns"
  ip -n "$node_ns" addr add 10.78.0.1/24 dev rln$$
  ip -n "$client_ns" addr add 10.78.0.2/24 dev rlc$$
  for dev in "$node_ns rln$$" "$client_ns rlc$$"; do
    read -r ns dev <<<"$dev"
    ip -n "$ns" link set "$dev" up
    tc -n "$ns" qdisc add dev "$dev" root tbf rate "$rate" burst "$burst" latency 50ms
  done
}

bench_link() {
  local probe=remora-link-probe-$$
  if [ "$(id -u)" != 0 ] || ! ip netns add "$probe" 2>/dev/null; then
    echo "# link: skipped (needs root and ip netns)"
    return 0
  fi
  ip netns del "$probe"
  need_command tc iproute2
  local graph memnode demo scale base in_memory_run memory_seconds
  graph=$(need_binary examples/remora-graph)
  memnode=$(need_binary actors/remora-memnode)
  demo=$(need_binary transport/remora-transport-demo)
  scale=${REMORA_GRAPH_SCALE:-20}
  echo "# link: R-MAT scale $scale, edge factor 16, through a memory node behind a shaped veth"
  base=(--scale="$scale" --edge-factor=16 --algorithm=pagerank --pagerank=push --iterations=5)
  in_memory_run=$(timeout 600 "$graph" "${base[@]}" --in-memory | grep '^result ')
  memory_seconds=$(field seconds "$in_memory_run")
  local rate node_ns client_ns server node bulk r out remora moved always_out slow_out packed_out packed mode
  for rate in ${REMORA_LINK_RATES:-1gbit 10gbit}; do
    node_ns=remora-ln-$$ client_ns=remora-lc-$$
    # Stopped half-way, the run leaves no namespace behind.
    trap "ip netns del $node_ns 2>/dev/null; ip netns del $client_ns 2>/dev/null" EXIT
    link_namespaces "$node_ns" "$client_ns" "$rate"
    # UCX over tcp on the veth (the demo would take lo unless told).
    ip netns exec "$node_ns" env UCX_NET_DEVICES=rln$$ UCX_TLS=tcp \
      "$demo" --serve --bind=10.78.0.1 --port=7100 --size=64MiB >/dev/null 2>&1 &
    server=$!
    bulk=0
    if wait_listening 7100 "$node_ns"; then
      for _ in 1 2 3; do
        r=$(ip netns exec "$client_ns" env UCX_NET_DEVICES=rlc$$ UCX_TLS=tcp timeout 120 \
              "$demo" --connect=10.78.0.1:7100 --measure=1MiB --seconds=1.5 || true)
        bulk=$(max "$(field bytes_per_s "$r")" "$bulk")
      done
    fi
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    ip netns exec "$node_ns" env -u UCX_NET_DEVICES UCX_TLS=tcp \
      "$memnode" --bind=10.78.0.1 --insecure --port=7101 --capacity=4GiB >/dev/null 2>&1 &
    node=$!
    out="" always_out="" slow_out=""
    if wait_listening 7101 "$node_ns"; then
      out=$(ip netns exec "$client_ns" env -u UCX_NET_DEVICES UCX_TLS=tcp timeout 900 \
              "$graph" "${base[@]}" --dram-cache=25% --memory-node=10.78.0.1:7101 || true)
      always_out=$(ip netns exec "$client_ns" env -u UCX_NET_DEVICES UCX_TLS=tcp timeout 900 \
              "$graph" "${base[@]}" --dram-cache=25% --memory-node=10.78.0.1:7101 \
              --compress-links=always || true)
      slow_out=$(ip netns exec "$client_ns" env -u UCX_NET_DEVICES UCX_TLS=tcp timeout 900 \
              "$graph" "${base[@]}" --dram-cache=25% --memory-node=10.78.0.1:7101 \
              --compress-links=slow || true)
    fi
    kill "$node" 2>/dev/null || true
    wait "$node" 2>/dev/null || true
    ip netns del "$node_ns"
    ip netns del "$client_ns"
    trap - EXIT
    remora=$(grep '^result ' <<<"$out" || true)
    if [ -z "$remora" ] || [ "$bulk" = 0 ]; then
      echo "link pagerank-s$scale-25%-tcp-$rate failed: bulk=$bulk, remora-graph printed:"
      echo "$out" | tail -n 5
      continue
    fi
    moved=$(calc "$(field bytes_in "$remora") / $(field seconds "$remora")")
    echo "link pagerank-s$scale-25%-tcp-$rate seconds=$(field seconds "$remora")s" \
         "memory=${memory_seconds}s moved=$(calc "$moved / 1e9")GB/s" \
         "memory_pace=$(calc "$(field bytes_in "$remora") / $memory_seconds / 1e9")GB/s" \
         "tcp_bulk=$(calc "$bulk / 1e9")GB/s hit_rate=$(field hit_rate "$remora")" \
         "ratio=$(calc "$moved / $bulk")"
    for mode in always slow; do
      packed_out=${mode}_out
      packed=$(grep '^result ' <<<"${!packed_out}" || true)
      if [ -z "$packed" ]; then
        echo "link pagerank-s$scale-25%-tcp-$rate-packed-$mode failed: remora-graph printed:"
        echo "${!packed_out}" | tail -n 5
        continue
      fi
      echo "link pagerank-s$scale-25%-tcp-$rate-packed-$mode seconds=$(field seconds "$packed")s" \
           "moved=$(calc "$(field bytes_in "$packed") / $(field seconds "$packed") / 1e9")GB/s" \
           "wire=$(calc "($(field bytes_in "$packed") - $(field packed_saved "$packed")) / $(field seconds "$packed") / 1e9")GB/s" \
           "tcp_bulk=$(calc "$bulk / 1e9")GB/s hit_rate=$(field hit_rate "$packed")" \
           "vs_plain=$(calc "$(field seconds "$remora") / $(field seconds "$packed")")" \
           "ratio=$(calc "$(field bytes_in "$packed") / $(field seconds "$packed") / $bulk")"
    done
  done
}
