# bench/run durable: what replicas and erasure coding cost and buy, against
# memory nodes started here: three for replicas(1) and replicas(2), seven
# for erasure(4, 2) (six pieces and a spare for repair). Each run writes
# 4 KiB objects through an 8 MiB cache and reads them at random (most
# missing); with replicas(2) and erasure(4, 2), one node is SIGKILLed
# halfway through a read phase (p99 and the slowest read while it dies),
# reads go on after (degraded: every read checked), and repair is timed. Ratios
# against replicas(1). Memory overhead from the slot layout: every copy or
# column is a slot of its payload plus 40 bytes (header and trailer);
# measured as the nodes' arena bytes in use (remora-ctl stats) over the
# payload written home.

durable_run() {  # NODES ARGS...: runs the bench against NODES fresh memnodes
  local count=$1 memnode bench nodes=() pids=() port
  shift
  memnode=$(need_binary actors/remora-memnode)
  bench=$(need_binary bench/remora-bench-durable)
  for ((i = 0; i < count; i++)); do
    port=$(free_port)
    "$memnode" --port="$port" --capacity=1GiB >/dev/null &
    pids+=($!)
    wait_listening "$port" || { kill "${pids[@]}"; return 1; }
    nodes+=(--memory-node=127.0.0.1:"$port")
  done
  local args=("$@")
  args=("${args[@]/KILL/${pids[0]}}")
  timeout 600 "$bench" "${nodes[@]}" "${args[@]}"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}

durable_memory() {  # NODES ARGS...: arena bytes in use over payload written home
  local count=$1 memnode bench ctl ports=() pids=() port out used=0 n
  shift
  memnode=$(need_binary actors/remora-memnode)
  bench=$(need_binary bench/remora-bench-durable)
  ctl=$(need_binary client/remora-ctl)
  for ((i = 0; i < count; i++)); do
    port=$(free_port)
    "$memnode" --port="$port" --capacity=1GiB >/dev/null &
    pids+=($!)
    wait_listening "$port" || { kill "${pids[@]}"; return 1; }
    ports+=("$port")
  done
  out=$(mktemp)
  timeout 600 "$bench" "${ports[@]/#/--memory-node=127.0.0.1:}" --hold-s=30 "$@" >"$out" &
  local bench_pid=$!
  for ((i = 0; i < 600; i++)); do
    grep -q '^case=written' "$out" && break
    sleep 0.5
  done
  for port in "${ports[@]}"; do
    n=$("$ctl" stats 127.0.0.1:"$port" --json | tr ',' '\n' | sed -n 's/.*"used": *//p')
    used=$((used + n))
  done
  calc "$used / $(field payload_bytes "$(grep '^case=written' "$out")")"
  kill "$bench_pid" "${pids[@]}" 2>/dev/null || true
  wait "$bench_pid" "${pids[@]}" 2>/dev/null || true
  rm -f "$out"
}

bench_durable() {
  local r1 r2 ec w1 w2 we rd1 rd2 rde
  r1=$(durable_run 3 --replicas=1)
  r2=$(durable_run 3 --replicas=2 --kill-pid=KILL)
  ec=$(durable_run 7 --erasure=4,2 --kill-pid=KILL)
  w1=$(grep '^case=write ' <<<"$r1") w2=$(grep '^case=write ' <<<"$r2")
  we=$(grep '^case=write ' <<<"$ec")
  rd1=$(grep '^case=read ' <<<"$r1") rd2=$(grep '^case=read ' <<<"$r2")
  rde=$(grep '^case=read ' <<<"$ec")
  echo "durable write-4KiB r1=$(field mb_per_s "$w1")MB/s r2=$(field mb_per_s "$w2")MB/s" \
       "ec4+2=$(field mb_per_s "$we")MB/s" \
       "ratio_r2=$(calc "$(field mb_per_s "$w2") / $(field mb_per_s "$w1")")" \
       "ratio_ec=$(calc "$(field mb_per_s "$we") / $(field mb_per_s "$w1")")"
  local m1 m2 me
  m1=$(durable_memory 3 --replicas=1 --objects=20000)
  m2=$(durable_memory 3 --replicas=2 --objects=20000)
  me=$(durable_memory 7 --erasure=4,2 --objects=20000)
  echo "durable memory-overhead-4KiB r1=$m1 r2=$m2 ec4+2=$me" \
       "r2_vs_r1=$(calc "$m2 / $m1") ec_vs_r1=$(calc "$me / $m1")"
  echo "durable read-4KiB r1=$(field reads_per_s "$rd1")/s r2=$(field reads_per_s "$rd2")/s" \
       "ec4+2=$(field reads_per_s "$rde")/s p99_r1=$(field p99_ns "$rd1")ns" \
       "p99_r2=$(field p99_ns "$rd2")ns p99_ec=$(field p99_ns "$rde")ns" \
       "ratio_r2=$(calc "$(field reads_per_s "$rd2") / $(field reads_per_s "$rd1")")" \
       "ratio_ec=$(calc "$(field reads_per_s "$rde") / $(field reads_per_s "$rd1")")"
  local mode out degraded repair read dying
  for mode in r2 ec4+2; do
    [ "$mode" = r2 ] && out=$r2 || out=$ec
    read=$(grep '^case=read ' <<<"$out")
    dying=$(grep '^case=dying ' <<<"$out")
    echo "durable read-while-a-node-dies-4KiB $mode p99=$(field p99_ns "$dying")ns" \
         "max=$(field max_ns "$dying")ns wrong=$(field wrong "$dying")" \
         "p99_ratio=$(calc "$(field p99_ns "$dying") / $(field p99_ns "$read")")"
    degraded=$(grep '^case=degraded ' <<<"$out")
    repair=$(grep '^case=repair ' <<<"$out")
    echo "durable degraded-read-4KiB $mode=$(field reads_per_s "$degraded")/s" \
         "p99=$(field p99_ns "$degraded")ns wrong=$(field wrong "$degraded")" \
         "failovers=$(field failovers "$degraded")" \
         "ratio=$(calc "$(field reads_per_s "$degraded") / $(field reads_per_s "$read")")"
    echo "durable repair-4KiB $mode pieces=$(field pieces "$repair") mb=$(field mb "$repair")" \
         "seconds=$(field seconds "$repair") mb_per_s=$(field mb_per_s "$repair")" \
         "gib_seconds=$(calc "1073.741824 / $(field mb_per_s "$repair")")"
  done
}
