// Stats: what a Runtime has done, summed over its threads when read. Hits and
// misses are kept per thread (no shared counter on the deref fast path), so
// they count the process's derefs since the Runtime was made: where two
// Runtimes are used at once, each one's hits and misses include the other's.
#pragma once

#include <cstdint>

namespace remora {

struct Stats {
  std::uint64_t hits = 0;    // derefs that found the object local (counted as their scope closes)
  std::uint64_t misses = 0;  // reads from far memory: derefs that fetched, single-element reads
  std::uint64_t prefetch_issued = 0;
  std::uint64_t prefetch_hits = 0;
  std::uint64_t prefetch_wasted = 0;
  std::uint64_t evictions = 0;   // objects dropped from the local cache
  std::uint64_t taken_back = 0;  // objects an eviction had claimed that a deref took back: kept
  std::uint64_t writebacks = 0;  // of which were dirty and written home
  std::uint64_t writeback_failures = 0;  // dirty objects an eviction could not write home (their
                                         // node full or unreachable): kept, and tried again later
  std::uint64_t bytes_in = 0;            // payload fetched from memory nodes
  std::uint64_t bytes_out = 0;           // payload written back to them
  std::uint64_t demotions = 0;           // objects moved one local tier down (HBM → CXL → DRAM)
  std::uint64_t promotions = 0;          // objects moved one local tier up
  std::uint64_t failovers = 0;           // reads served by another replica than the first
  std::uint64_t repairs = 0;       // copies made to restore replicas(r) (or erasure columns, or
                                   // the copies of arrays this runtime published) after a loss
  std::uint64_t objects_lost = 0;  // objects with no readable copy left (replicas)
  std::uint64_t rebalanced = 0;    // objects moved to another node: one joined, or is drained
  std::uint64_t packed_reads = 0;  // objects read packed (Options::compress_links)
  std::uint64_t packed_bytes_saved = 0;  // payload bytes those reads did not move
  std::uint64_t dram_used = 0, dram_capacity = 0;
  std::uint64_t cxl_used = 0, cxl_capacity = 0;
  std::uint64_t hbm_used = 0, hbm_capacity = 0;
};

}  // namespace remora
