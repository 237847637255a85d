# Shared helpers for bench/run: free ports, peer processes, arithmetic.

need_binary() {
  local path="$REMORA_BUILD_DIR/$1"
  if [ ! -x "$path" ]; then
    echo "bench/run: $path is missing; build first (cmake -B build && cmake --build build)" >&2
    exit 1
  fi
  echo "$path"
}

need_command() {
  command -v "$1" >/dev/null || {
    echo "bench/run: '$1' is not installed (Debian package: $2)" >&2
    exit 1
  }
}

# A TCP port on 127.0.0.1 that nobody listens on, below the kernel's
# ephemeral range (where it starts above 11024): a port in that range can be
# taken, between this check and the peer's bind, as the local end of an
# outgoing connection (a node once failed to listen so in bench/run graph).
free_port() {
  local port low span
  read -r low _ < /proc/sys/net/ipv4/ip_local_port_range
  span=$((low > 11024 ? low - 10000 : 30000))
  for _ in $(seq 100); do
    port=$((10000 + RANDOM % span))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "bench/run: no free port found" >&2
  exit 1
}

# Waits (up to 10 s) until something listens on port $1 (in network
# namespace $2 when given), without connecting (a peer such as ucx_perftest
# takes its first connection as its client).
wait_listening() {
  local in=()
  [ -n "${2:-}" ] && in=(ip netns exec "$2")
  for _ in $(seq 100); do
    "${in[@]}" ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  echo "bench/run: nothing listens on port $1${2:+ in $2} after 10 s" >&2
  return 1
}

# against_memnode [--ctl=REMORA_CTL] MEMNODE [NODE_ARGS...] -- COMMAND
# [ARGS...]: starts the memory node MEMNODE on a free port with NODE_ARGS,
# runs COMMAND ARGS... --node=127.0.0.1:PORT (up to 300 s), prints what it
# printed, and stops the node. With --ctl, the node's own figures once
# COMMAND is done follow, as the line "node_stats JSON" (remora-ctl --json
# stats).
against_memnode() {
  local ctl="" memnode args=() port node out status=0
  case $1 in --ctl=*) ctl=${1#--ctl=}; shift ;; esac
  memnode=$1
  shift
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  shift
  port=$(free_port)
  "$memnode" --port="$port" "${args[@]}" >/dev/null &
  node=$!
  wait_listening "$port" || { kill "$node"; return 1; }
  out=$(timeout 300 "$@" --node=127.0.0.1:"$port") || status=$?
  if [ -n "$ctl" ]; then
    out+=$'\n'"node_stats $("$ctl" --json stats 127.0.0.1:"$port")" || status=$?
  fi
  kill "$node"; wait "$node" 2>/dev/null || true
  echo "$out"
  return $status
}

# ucx_perftest ucp_get of one size, server and client on loopback.
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

# Redis GETs per second of `size`-byte values, pipeline 16, one client.
redis_get_rate() {  # size -> GETs per second
  local size=$1 port server rate keys
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --protected-mode no >/dev/null 2>&1 &
  server=$!
  wait_listening "$port" || { kill "$server"; return 1; }
  keys=$((size >= 1048576 ? 256 : 100000))
  # Fill the keyspace first, then GET random keys with a pipeline of 16.
  redis-benchmark -p "$port" -t set -d "$size" -n "$keys" -r "$keys" -P 16 -q >/dev/null 2>&1
  rate=$(redis-benchmark -p "$port" -t get -d "$size" -n $((size >= 1048576 ? 5000 : 400000)) \
           -r "$keys" -P 16 -c 1 --csv 2>/dev/null | awk -F, '/GET/ { gsub(/"/, "", $2); print $2 }')
  kill "$server"; wait "$server" 2>/dev/null || true
  echo "$rate"
}

# Redis SETs per second of `size`-byte values (pipeline 16, one client, keys
# drawn at random from `keys`), and the memory Redis took for them: its
# used_memory's growth over the keys it then holds (values included).
redis_set_rate() {  # size keys -> "SETs_per_second bytes_per_key"
  local size=$1 keys=$2 port server rate before after held
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --protected-mode no >/dev/null 2>&1 &
  server=$!
  wait_listening "$port" || { kill "$server"; return 1; }
  before=$(redis_used_memory "$port")
  rate=$(redis-benchmark -p "$port" -t set -d "$size" -n "$keys" -r "$keys" -P 16 -c 1 --csv \
           2>/dev/null | awk -F, '/SET/ { gsub(/"/, "", $2); print $2 }')
  after=$(redis_used_memory "$port")
  held=$(redis-cli -p "$port" dbsize)
  kill "$server"; wait "$server" 2>/dev/null || true
  echo "$rate $(calc "($after - $before) / $held")"
}

redis_used_memory() {  # port -> bytes
  redis-cli -p "$1" info memory | tr -d '\r' | sed -n 's/^used_memory://p'
}

# key=value lookup in a line of key=value pairs.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n1; }

# Floating-point arithmetic without bc: calc '<awk expression>'.
calc() { awk "BEGIN { printf \"%.4g\", $1 }"; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b) ? a : b }'; }

# Turns "NAME CASE k=v ..." lines into a JSON array of objects.
lines_to_json() {
  awk 'BEGIN { print "[" ; first = 1 }
       NF >= 2 && $0 !~ /^#/ {
         printf "%s  {\"benchmark\": \"%s\", \"case\": \"%s\"", (first ? "" : ",\n"), $1, $2
         first = 0
         for (i = 3; i <= NF; i++) {
           split($i, kv, "=")
           v = kv[2]
           num = v; sub(/[A-Za-z\/%]+$/, "", num)
           if (num ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/ && num != v) {
             printf ", \"%s\": %s, \"%s_unit\": \"%s\"", kv[1], num, kv[1], substr(v, length(num) + 1)
           } else if (v ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/) {
             printf ", \"%s\": %s", kv[1], v
           } else {
             printf ", \"%s\": \"%s\"", kv[1], v
           }
         }
         printf "}"
       }
       END { print "\n]" }'
}

# The commit measured: its short hash, "+changes" when the tree differs.
commit_description() {
  local c
  c=$(git -C "$root" rev-parse --short HEAD 2>/dev/null) || { echo "no commit"; return; }
  git -C "$root" diff --quiet HEAD -- . ':!bench/summary' 2>/dev/null || c="$c+changes"
  echo "commit $c"
}

# The machine: CPU model, cores, memory.
machine_description() {
  local cpu mem
  cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n1)
  mem=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
  echo "${cpu:-unknown CPU}, $(nproc) cores, $mem GiB"
}

# summary_json LINES_FILE: what bench/run all measured, with the commit, the
# date and the machine, as one JSON object (bench/summary/summary.json).
summary_json() {
  printf '{\n"commit": "%s",\n"date": "%s",\n"machine": "%s",\n' \
    "$(commit_description | sed 's/^commit //')" "$(date -u +%FT%TZ)" "$(machine_description)"
  printf '"runs_per_plot_point": %s,\n"plots": [%s],\n"cases": ' "${REMORA_PLOT_RUNS:-3}" \
    "$(cd "$root/bench/summary" && ls ./*.png 2>/dev/null | sed 's|^\./||; s/.*/"&"/' | paste -sd,)"
  lines_to_json < "$1"
  printf '}\n'
}
