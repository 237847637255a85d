# bench/run durable: what replicas cost and buy, against three memory nodes
# started here. With replicas(1) and replicas(2): write-back throughput of
# 4 KiB objects through an 8 MiB cache, and random reads (most missing);
# with replicas(2), reads again after one node is SIGKILLed (degraded:
# every read checked), and how fast repair restores two copies. Ratios:
# replicas(2) over replicas(1). Memory overhead is r: each object's payload is
# kept r times. Erasure coding is not built yet.

bench_durable() {
  local memnode bench r out nodes pids port pid write1 read1 write2 read2 degraded repair
  memnode=$(need_binary actors/remora-memnode)
  bench=$(need_binary bench/remora-bench-durable)
  for r in 1 2; do
    nodes=() pids=()
    for _ in 1 2 3; do
      port=$(free_port)
      "$memnode" --port="$port" --capacity=1GiB >/dev/null &
      pids+=($!)
      wait_listening "$port" || { kill "${pids[@]}"; return 1; }
      nodes+=(--memory-node=127.0.0.1:"$port")
    done
    if [ "$r" = 2 ]; then
      out=$(timeout 600 "$bench" "${nodes[@]}" --replicas=2 --kill-pid="${pids[0]}")
    else
      out=$(timeout 600 "$bench" "${nodes[@]}" --replicas=1)
    fi
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
    if [ "$r" = 1 ]; then
      write1=$(grep '^case=write ' <<<"$out") read1=$(grep '^case=read ' <<<"$out")
    else
      write2=$(grep '^case=write ' <<<"$out") read2=$(grep '^case=read ' <<<"$out")
      degraded=$(grep '^case=degraded ' <<<"$out")
      repair=$(grep '^case=repair ' <<<"$out")
    fi
  done
  echo "durable write-4KiB r1=$(field mb_per_s "$write1")MB/s r2=$(field mb_per_s "$write2")MB/s" \
       "memory_overhead=2.0 ratio=$(calc "$(field mb_per_s "$write2") / $(field mb_per_s "$write1")")"
  echo "durable read-4KiB r1=$(field reads_per_s "$read1")/s r2=$(field reads_per_s "$read2")/s" \
       "p99_r1=$(field p99_ns "$read1")ns p99_r2=$(field p99_ns "$read2")ns" \
       "ratio=$(calc "$(field reads_per_s "$read2") / $(field reads_per_s "$read1")")"
  echo "durable degraded-read-4KiB r2=$(field reads_per_s "$degraded")/s" \
       "p99=$(field p99_ns "$degraded")ns wrong=$(field wrong "$degraded")" \
       "failovers=$(field failovers "$degraded")" \
       "ratio=$(calc "$(field reads_per_s "$degraded") / $(field reads_per_s "$read2")")"
  echo "durable repair-4KiB copies=$(field copies "$repair") mb=$(field mb "$repair")" \
       "seconds=$(field seconds "$repair") mb_per_s=$(field mb_per_s "$repair")" \
       "gib_seconds=$(calc "1073.741824 / $(field mb_per_s "$repair")")"
}

