# bench/run compress: what compressing chunks (LZ4, zstd level 1; 16 KiB at
# a time) would buy on a link slower than memory, for the graph's CSR and
# for float embeddings. The link is UCX tcp here, measured in the same run
# with 16 KiB gets (an Array's chunk; best of 3). ratio: the raw bytes
# a second a reader would see with compressed chunks decompressed on its
# own core, over the link's (above 1: compression pays).

bench_compress() {
  source "$here/transport.sh"
  local link=0 r out
  for _ in 1 2 3; do
    r=$(remora_get tcp 16384)
    link=$(max "${r% *}" "$link")
  done
  out=$(timeout 300 "$(need_binary bench/remora-bench-compress)" \
          --link-gbps="$(calc "$link / 1e9")")
  echo "$out"
}
