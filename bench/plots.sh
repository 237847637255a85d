# bench/run plots: throughput against the local-cache fraction (10 % … 100 %
# of the working set), each point measured three times (REMORA_PLOT_RUNS),
# drawn with gnuplot into bench/summary/*.png (committed, shown by the
# README) as the median with the min-max range as error bars, with the
# commit and the machine under the title:
#   pagerank.png   PageRank (R-MAT scale 20, 10 iterations): Remora, Remora
#                  without prefetch, all in memory, SuiteSparse:GraphBLAS
#                  (edges/s)
#   pagerank-threads.png  the same on 1 to N threads (N = the machine's
#                  cores): Remora at 25 %, all in memory, GraphBLAS
#   embedding.png  embedding lookups (bench/run embedding's workload): Remora,
#                  Remora without the batched fetch, all in memory, Redis
#                  holding the same table (MGET) (rows/s)
# The numbers behind each plot are kept beside it (.dat: for each line its
# median, min and max); each point also prints a line (NAME=median with
# NAME_min and NAME_max).

fractions=(10 25 50 75 100)
plot_runs() { echo "${REMORA_PLOT_RUNS:-3}"; }

# spread COMMAND...: runs COMMAND (which prints one number) plot_runs times;
# prints "median min max".
spread() {
  local values=() i
  for ((i = 0; i < $(plot_runs); i++)); do values+=("$("$@")"); done
  printf '%s\n' "${values[@]}" | sort -g |
    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                              printf "%.6g %.6g %.6g\n", m, v[1], v[NR] }'
}

# figures NAME "median min max" SCALE UNIT: NAME=median/SCALE UNIT, its min and max.
figures() {
  local name=$1 unit=$4 m lo hi
  read -r m lo hi <<<"$2"
  echo "$name=$(calc "$m / $3")$unit ${name}_min=$(calc "$lo / $3")$unit" \
       "${name}_max=$(calc "$hi / $3")$unit"
}

graph_edges_per_s() {
  local bin
  bin=$(need_binary examples/remora-graph)
  field edges_per_s "$(timeout 600 "$bin" --scale=20 --edge-factor=16 --algorithm=pagerank \
                       --iterations=10 "$@" | grep '^result ')"
}

# PageRank's edges a second in SuiteSparse:GraphBLAS on $1 threads, counted
# as remora-graph counts them (the generated edges, 10 iterations).
graphblas_edges_per_s() {
  local out
  out=$(timeout 600 "$(need_binary bench/remora-bench-graphblas)" --scale=20 --edge-factor=16 \
          --iterations=10 --threads="$1" | grep '^result ')
  calc "16 * 1048576 * 10 / $(field seconds "$out")"
}

sweep_pagerank() {
  local dat=$1 memory peer f remora off
  memory=$(spread graph_edges_per_s --in-memory)
  peer=$(spread graphblas_edges_per_s 1)
  echo "# fraction_percent then median min max of: remora no_prefetch memory graphblas" \
       "(edges/s)" > "$dat"
  for f in "${fractions[@]}"; do
    remora=$(spread graph_edges_per_s --dram-cache="$f%")
    off=$(spread graph_edges_per_s --dram-cache="$f%" --no-prefetch)
    echo "$f $remora $off $memory $peer" >> "$dat"
    echo "plots pagerank-$f% $(figures remora "$remora" 1e6 Medges/s)" \
         "$(figures no_prefetch "$off" 1e6 Medges/s) $(figures memory "$memory" 1e6 Medges/s)" \
         "$(figures graphblas "$peer" 1e6 Medges/s)" \
         "ratio=$(calc "${remora%% *} / ${peer%% *}")"
  done
}

sweep_threads() {
  local dat=$1 t remora memory peer
  echo "# threads then median min max of: remora memory graphblas (edges/s)" > "$dat"
  for ((t = 1; t <= $(nproc); t++)); do
    remora=$(spread graph_edges_per_s --threads="$t" --dram-cache=25%)
    memory=$(spread graph_edges_per_s --threads="$t" --in-memory)
    peer=$(spread graphblas_edges_per_s "$t")
    echo "$t $remora $memory $peer" >> "$dat"
    echo "plots pagerank-threads-$t $(figures remora "$remora" 1e6 Medges/s)" \
         "$(figures memory "$memory" 1e6 Medges/s) $(figures graphblas "$peer" 1e6 Medges/s)" \
         "ratio=$(calc "${remora%% *} / ${peer%% *}")"
  done
}

embedding_rows_per_s() { field rows_per_s "$(embedding_side "$@")"; }
redis_rows_per_s() { field rows_per_s "$(embedding_redis)"; }

sweep_embedding() {
  local dat=$1 memory redis f remora off
  source "$here/embedding.sh"
  memory=$(spread embedding_rows_per_s --in-memory)
  redis=$(spread redis_rows_per_s)
  echo "# fraction_percent then median min max of: remora no_prefetch memory redis (rows/s)" \
       > "$dat"
  for f in "${fractions[@]}"; do
    remora=$(spread embedding_rows_per_s --dram-cache="$f%")
    off=$(spread embedding_rows_per_s --dram-cache="$f%" --no-prefetch)
    echo "$f $remora $off $memory $redis" >> "$dat"
    echo "plots embedding-$f% $(figures remora "$remora" 1e6 Mrows/s)" \
         "$(figures no_prefetch "$off" 1e6 Mrows/s) $(figures memory "$memory" 1e6 Mrows/s)" \
         "$(figures redis "$redis" 1e6 Mrows/s) ratio=$(calc "${remora%% *} / ${redis%% *}")"
  done
}

# draw DAT PNG TITLE YLABEL linear|log "COLUMN:TITLE" ...: COLUMN is a
# line's median; its min and max follow it.
draw() {
  local dat=$1 png=$2 title=$3 ylabel=$4 scale=$5
  shift 5
  local lines=() spec c
  for spec in "$@"; do
    c=${spec%%:*}
    lines+=("'$dat' using 1:$c:$((c + 1)):$((c + 2)) with yerrorlines lw 2 title '${spec#*:}'")
  done
  local joined
  joined=$(IFS=,; echo "${lines[*]}")
  gnuplot <<GNUPLOT
set terminal pngcairo size 800,520 font ',10'
set output '$png'
set title "$title\n{/*0.8 $(commit_description), $(date -u +%F), $(machine_description)}" enhanced
set xlabel '${XLABEL:-local cache, % of the working set}'
set ylabel '$ylabel (median, min-max of $(plot_runs) runs)'
set key bottom right
set grid
set xrange [${XRANGE:-0:105}]
$([ "$scale" = log ] && echo "set logscale y" || echo "set yrange [0:*]")
plot $joined
GNUPLOT
}

bench_plots() {
  need_command gnuplot gnuplot-nox
  local out="$root/bench/summary"
  mkdir -p "$out"
  sweep_pagerank "$out/pagerank.dat"
  draw "$out/pagerank.dat" "$out/pagerank.png" \
       "PageRank, R-MAT scale 20 (10 iterations)" "edges/s" linear \
       "2:Remora" "5:Remora, prefetch off" "8:all in memory" "11:GraphBLAS, in memory"
  sweep_threads "$out/pagerank-threads.dat"
  XLABEL=threads XRANGE="0.5:$(nproc).5" draw "$out/pagerank-threads.dat" \
       "$out/pagerank-threads.png" "PageRank, R-MAT scale 20, 25 % cache, against threads" \
       "edges/s" linear "2:Remora" "5:all in memory" "8:GraphBLAS, in memory"
  sweep_embedding "$out/embedding.dat"
  draw "$out/embedding.dat" "$out/embedding.png" \
       "Embedding lookups, 4M rows x 64 floats, Zipf 0.99, batches of 256" "rows/s" log \
       "2:Remora" "5:Remora, batched fetch off" "8:all in memory" "11:Redis MGET"
  echo "# plots: $(cd "$out" && ls ./*.png | tr '\n' ' ')in bench/summary/"
}
