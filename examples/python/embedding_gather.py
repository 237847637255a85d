#!/usr/bin/env python3
"""Embedding lookups from Python: a table of rows in Remora, batches of
Zipf-distributed row ids gathered into numpy (one batched fetch a batch),
each batch handed to a consumer through DLPack (numpy here; torch.from_dlpack
takes the same object). The load is remora-embedding's, so that the two can
be compared (bench/run python): rows of --dim floats, row r holding
r + k/1000 at column k, ids drawn Zipf(--zipf) and scattered, a local cache
of a share of the table, a warm-up and then a timed run.

  python3 examples/python/embedding_gather.py [--rows=N] [--dim=D] [--batch=B]
      [--zipf=S] [--dram-cache=10%|BYTES] [--warmup=S] [--seconds=S] [--verify]
      [--memory-node=HOST:PORT ...]

Without --memory-node the table lives in an embedded memory node.
"""
import argparse
import sys
import time

import numpy as np

import remora

SPREAD = 2654435761  # the C++ example's scatter: rank * SPREAD mod rows


def consumer(batch):
    """Anything that speaks DLPack; here numpy itself, without a copy."""
    rows = np.from_dlpack(batch)
    return rows[:, 0], rows.sum(axis=1, dtype=np.float64)


def zipf_ids(rows, s, rng, count):
    """count row ids, ranks drawn Zipf(s) over rows (exactly, by the CDF)
    and scattered as remora-embedding scatters them."""
    if not hasattr(zipf_ids, "cdf") or len(zipf_ids.cdf) != rows:
        weights = np.arange(1, rows + 1, dtype=np.float64) ** -s
        zipf_ids.cdf = np.cumsum(weights) / weights.sum()
    ranks = np.searchsorted(zipf_ids.cdf, rng.random(count)).astype(np.uint64)
    ranks = np.minimum(ranks, rows - 1)
    if rows % SPREAD == 0:
        return ranks.astype(np.int64)
    return (ranks * np.uint64(SPREAD) % np.uint64(rows)).astype(np.int64)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--zipf", type=float, default=0.99)
    p.add_argument("--dram-cache", default="10%",
                   help="bytes (64MiB) or a share of the table (10%%); at least 4MiB")
    p.add_argument("--chunk", type=int, default=0,
                   help="bytes of table a remote object holds (default: one row)")
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--verify", action="store_true", help="check every float of every batch")
    p.add_argument("--memory-node", action="append", default=[])
    a = p.parse_args()
    if min(a.rows, a.dim, a.batch) < 1 or a.seconds <= 0 or a.warmup < 0 or a.zipf <= 0:
        p.error("--rows, --dim and --batch must be at least 1, --seconds and --zipf positive")
    table_bytes = a.rows * a.dim * 4
    cache = a.dram_cache
    if cache.endswith("%"):
        cache = max(4 << 20, int(table_bytes * float(cache[:-1]) / 100))
    try:
        options = {"dram_cache": cache}
        if a.memory_node:
            options["memory_nodes"] = a.memory_node
        rt = remora.Runtime(**options)
        table = rt.array(np.float32, a.rows * a.dim, chunk_bytes=a.chunk or a.dim * 4)
        step = max(1, (1 << 20) // a.dim)
        cols = np.arange(a.dim, dtype=np.float64) / 1000
        for first in range(0, a.rows, step):
            last = min(a.rows, first + step)
            rows = np.arange(first, last, dtype=np.float64)[:, None] + cols
            table[first * a.dim:last * a.dim] = rows.astype(np.float32).ravel()
        rng = np.random.default_rng(7)
        wrong, served, latencies = 0, 0, []
        warm_until = time.perf_counter() + a.warmup
        while time.perf_counter() < warm_until:
            consumer(table.gather(zipf_ids(a.rows, a.zipf, rng, a.batch), width=a.dim))
        start = time.perf_counter()
        while time.perf_counter() - start < a.seconds:
            ids = zipf_ids(a.rows, a.zipf, rng, a.batch)
            t = time.perf_counter()
            first_col, sums = consumer(table.gather(ids, width=a.dim))
            latencies.append(time.perf_counter() - t)
            served += a.batch
            if a.verify:
                expected = (ids.astype(np.float64)[:, None] + cols).astype(np.float32)
                wrong += int(np.count_nonzero(first_col != ids.astype(np.float32)))
                wrong += int(np.count_nonzero(~np.isclose(sums, expected.sum(axis=1, dtype=np.float64),
                                                          rtol=1e-6)))
        seconds = time.perf_counter() - start
        lat = np.array(latencies) * 1e6
        print("result mode=python rows_per_s=%.0f batches_per_s=%.0f p50_us=%.1f p99_us=%.1f "
              "misses=%d wrong=%d" % (served / seconds, len(latencies) / seconds,
                                      np.percentile(lat, 50), np.percentile(lat, 99),
                                      rt.stats()["misses"], wrong))
        return 0 if wrong == 0 else 1
    except remora.Error as e:
        print("embedding_gather.py: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
