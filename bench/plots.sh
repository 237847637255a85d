# bench/run plots: throughput against the local-cache fraction (10 % … 100 %
# of the working set), drawn with gnuplot into bench/results/*.png:
#   pagerank.png   PageRank (R-MAT scale 20, 10 iterations): Remora, Remora
#                  without prefetch, all in memory, SuiteSparse:GraphBLAS
#                  (edges/s)
#   pagerank-threads.png  the same on 1 to N threads (N = the machine's
#                  cores): Remora at 25 %, all in memory, GraphBLAS
#   embedding.png  embedding lookups (bench/run embedding's workload): Remora,
#                  Remora without the batched fetch, all in memory, Redis
#                  holding the same table (MGET) (rows/s)
# The numbers behind each plot are kept beside it (.dat).

fractions=(10 25 50 75 100)

sweep_pagerank() {
  local bin dat common memory f remora off peer
  bin=$(need_binary examples/remora-graph)
  dat=$1
  common=(--scale=20 --edge-factor=16 --algorithm=pagerank --iterations=10)
  memory=$(field edges_per_s "$(timeout 600 "$bin" "${common[@]}" --in-memory | grep '^result ')")
  peer=$(graphblas_edges_per_s 1)
  echo "# fraction_percent remora no_prefetch memory graphblas (edges/s)" > "$dat"
  for f in "${fractions[@]}"; do
    remora=$(field edges_per_s "$(timeout 600 "$bin" "${common[@]}" --dram-cache="$f%" | grep '^result ')")
    off=$(field edges_per_s "$(timeout 600 "$bin" "${common[@]}" --dram-cache="$f%" --no-prefetch |
          grep '^result ')")
    echo "$f $remora $off $memory $peer" >> "$dat"
    echo "plots pagerank-$f% remora=$(calc "$remora / 1e6")Medges/s" \
         "no_prefetch=$(calc "$off / 1e6")Medges/s memory=$(calc "$memory / 1e6")Medges/s" \
         "graphblas=$(calc "$peer / 1e6")Medges/s ratio=$(calc "$remora / $peer")"
  done
}

# PageRank's edges a second in SuiteSparse:GraphBLAS on $1 threads, counted
# as remora-graph counts them (the generated edges, 10 iterations).
graphblas_edges_per_s() {
  local out
  out=$(timeout 600 "$(need_binary bench/remora-bench-graphblas)" --scale=20 --edge-factor=16 \
          --iterations=10 --threads="$1" | grep '^result ')
  calc "16 * 1048576 * 10 / $(field seconds "$out")"
}

sweep_threads() {
  local bin dat common t remora memory peer
  bin=$(need_binary examples/remora-graph)
  dat=$1
  common=(--scale=20 --edge-factor=16 --algorithm=pagerank --iterations=10)
  echo "# threads remora memory graphblas (edges/s)" > "$dat"
  for ((t = 1; t <= $(nproc); t++)); do
    remora=$(field edges_per_s "$(timeout 600 "$bin" "${common[@]}" --threads="$t" \
             --dram-cache=25% | grep '^result ')")
    memory=$(field edges_per_s "$(timeout 600 "$bin" "${common[@]}" --threads="$t" --in-memory |
             grep '^result ')")
    peer=$(graphblas_edges_per_s "$t")
    echo "$t $remora $memory $peer" >> "$dat"
    echo "plots pagerank-threads-$t remora=$(calc "$remora / 1e6")Medges/s" \
         "memory=$(calc "$memory / 1e6")Medges/s graphblas=$(calc "$peer / 1e6")Medges/s" \
         "ratio=$(calc "$remora / $peer")"
  done
}

sweep_embedding() {
  local dat=$1 memory redis f remora off
  source "$here/embedding.sh"
  memory=$(field rows_per_s "$(embedding_side --in-memory)")
  redis=$(field rows_per_s "$(embedding_redis)")
  echo "# fraction_percent remora no_prefetch memory redis (rows/s)" > "$dat"
  for f in "${fractions[@]}"; do
    remora=$(field rows_per_s "$(embedding_side --dram-cache="$f%")")
    off=$(field rows_per_s "$(embedding_side --dram-cache="$f%" --no-prefetch)")
    echo "$f $remora $off $memory $redis" >> "$dat"
    echo "plots embedding-$f% remora=$(calc "$remora / 1e6")Mrows/s" \
         "no_prefetch=$(calc "$off / 1e6")Mrows/s memory=$(calc "$memory / 1e6")Mrows/s" \
         "redis=$(calc "$redis / 1e6")Mrows/s ratio=$(calc "$remora / $redis")"
  done
}

# draw DAT PNG TITLE YLABEL linear|log "COLUMN:TITLE" ...
draw() {
  local dat=$1 png=$2 title=$3 ylabel=$4 scale=$5
  shift 5
  local lines=() spec
  for spec in "$@"; do
    lines+=("'$dat' using 1:${spec%%:*} with linespoints lw 2 title '${spec#*:}'")
  done
  local joined
  joined=$(IFS=,; echo "${lines[*]}")
  gnuplot <<GNUPLOT
set terminal pngcairo size 800,500
set output '$png'
set title '$title'
set xlabel '${XLABEL:-local cache, % of the working set}'
set ylabel '$ylabel'
set key bottom right
set grid
set xrange [${XRANGE:-0:105}]
$([ "$scale" = log ] && echo "set logscale y" || echo "set yrange [0:*]")
plot $joined
GNUPLOT
}

bench_plots() {
  need_command gnuplot gnuplot-nox
  local results="$root/bench/results"
  mkdir -p "$results"
  sweep_pagerank "$results/pagerank.dat"
  draw "$results/pagerank.dat" "$results/pagerank.png" \
       "PageRank, R-MAT scale 20 (10 iterations)" "edges/s" linear \
       "2:Remora" "3:Remora, prefetch off" "4:all in memory" "5:GraphBLAS, in memory"
  sweep_threads "$results/pagerank-threads.dat"
  XLABEL=threads XRANGE="0.5:$(nproc).5" draw "$results/pagerank-threads.dat" \
       "$results/pagerank-threads.png" "PageRank, R-MAT scale 20, 25 % cache, against threads" \
       "edges/s" linear "2:Remora" "3:all in memory" "4:GraphBLAS, in memory"
  sweep_embedding "$results/embedding.dat"
  draw "$results/embedding.dat" "$results/embedding.png" \
       "Embedding lookups, 4M rows x 64 floats, Zipf 0.99, batches of 256" "rows/s" log \
       "2:Remora" "3:Remora, batched fetch off" "4:all in memory" "5:Redis MGET"
  echo "# plots: $(cd "$results" && ls ./*.png | tr '\n' ' ')in bench/results/"
}
