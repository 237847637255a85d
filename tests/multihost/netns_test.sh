#!/usr/bin/env bash
# Two memory nodes and a client, each in its own network namespace, joined
# by veth pairs (client <-> node A on 10.77.1.0/24, client <-> node B on
# 10.77.2.0/24), with UCX on tcp: the data crosses real (virtual) network
# devices, not loopback. The client is remora-graph, checking PageRank and
# BFS against the same code in memory. Needs root (CI runs as root); skips
# (exit 77) without it.
#
#   netns_test.sh MEMNODE GRAPH
set -euo pipefail
memnode=$1 graph=$2
probe=remora-probe-$$
if [ "$(id -u)" != 0 ] || ! ip netns add "$probe" 2>/dev/null; then
  echo "skipped: needs root and ip netns"
  exit 77
fi
if ! ip -n "$probe" link add pa type veth peer name pb 2>/dev/null; then
  ip netns del "$probe"
  echo "skipped: this kernel or container cannot make veth pairs"
  exit 77
fi
ip netns del "$probe"

tag=$$
ns_a=remora-a-$tag ns_b=remora-b-$tag ns_c=remora-c-$tag
work=$(mktemp -d)
: > "$work/pids"
# The nodes' pids, in a file: start runs in a command substitution's
# subshell, whose variables the cleanup would never see.
cleanup() {
  while read -r p; do kill "$p" 2>/dev/null || true; done < "$work/pids"
  wait 2>/dev/null || true
  for ns in "$ns_a" "$ns_b" "$ns_c"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for ns in "$ns_a" "$ns_b" "$ns_c"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
# link NODE_NS NODE_IF CLIENT_IF SUBNET
link() {
  ip link add "$2" type veth peer name "$3"
  ip link set "$2" netns "$1"
  ip link set "$3" netns "$ns_c"
  ip -n "$1" addr add "$4.1/24" dev "$2"
  ip -n "$ns_c" addr add "$4.2/24" dev "$3"
  ip -n "$1" link set "$2" up
  ip -n "$ns_c" link set "$3" up
}
link "$ns_a" rma$tag rca$tag 10.77.1
link "$ns_b" rmb$tag rcb$tag 10.77.2

export UCX_TLS=tcp
unset UCX_NET_DEVICES
# start NS ADDRESS LOG: a memory node bound to ADDRESS; prints its port.
start() {
  ip netns exec "$1" "$memnode" --bind="$2" --insecure --port=0 --capacity=256MiB >"$3" 2>&1 &
  echo $! >> "$work/pids"
  for _ in $(seq 1 300); do
    if grep -q "listening on" "$3"; then
      sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$3" | head -n1
      return 0
    fi
    sleep 0.1
  done
  echo "memory node in $1 did not start:" >&2
  cat "$3" >&2
  return 1
}
port_a=$(start "$ns_a" 10.77.1.1 "$work/a.log")
port_b=$(start "$ns_b" 10.77.2.1 "$work/b.log")
cat "$work/a.log" "$work/b.log"
# Bound beyond loopback, each node serves data over its veth device.
grep -q "tcp/rma$tag" "$work/a.log" || { echo "node A offers no tcp on its veth"; exit 1; }
grep -q "tcp/rmb$tag" "$work/b.log" || { echo "node B offers no tcp on its veth"; exit 1; }

timeout 300 ip netns exec "$ns_c" "$graph" --scale=17 --edge-factor=8 --algorithm=both \
  --iterations=3 --dram-cache=4MiB --verify \
  --memory-node=10.77.1.1:"$port_a" --memory-node=10.77.2.1:"$port_b" | tee "$work/graph.log"
grep -q "verify: ok" "$work/graph.log"
# The edges really went over the network: the client fetched bytes.
grep -Eq "bytes_in=[1-9]" "$work/graph.log"
echo "multi-host: ok"
