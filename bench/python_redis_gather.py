#!/usr/bin/env python3
"""The Redis peer of bench/run python: the same table and the same Zipf
row ids as examples/python/embedding_gather.py, from a Python Redis client
(python3-redis): rows of --dim float32 stored as values keyed by row id,
each batch one MGET, decoded into one numpy array and summed as the Remora
side's consumer does. Prints one `result` line.

  python3 bench/python_redis_gather.py --redis-port=PORT [--rows=N] [--dim=D]
      [--batch=B] [--zipf=S] [--warmup=S] [--seconds=S]
"""
import argparse
import os
import sys
import time

import numpy as np
import redis

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples", "python"))
from embedding_gather import consumer, zipf_ids  # noqa: E402  (the same ids, the same consumer)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--redis-port", type=int, required=True)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--zipf", type=float, default=0.99)
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--seconds", type=float, default=5)
    a = p.parse_args()
    r = redis.Redis(host="127.0.0.1", port=a.redis_port, socket_timeout=30)
    cols = np.arange(a.dim, dtype=np.float64) / 1000
    step = 10_000
    for first in range(0, a.rows, step):
        last = min(a.rows, first + step)
        rows = (np.arange(first, last, dtype=np.float64)[:, None] + cols).astype(np.float32)
        r.mset({str(first + i): rows[i].tobytes() for i in range(last - first)})

    def gather(ids):
        values = r.mget([str(i) for i in ids.tolist()])
        if any(v is None for v in values):
            raise SystemExit("python_redis_gather.py: an MGET reply lacks rows")
        return np.frombuffer(bytearray().join(values), dtype=np.float32).reshape(len(ids), a.dim)

    rng = np.random.default_rng(7)
    warm_until = time.perf_counter() + a.warmup
    while time.perf_counter() < warm_until:
        consumer(gather(zipf_ids(a.rows, a.zipf, rng, a.batch)))
    served, wrong, latencies = 0, 0, []
    start = time.perf_counter()
    while time.perf_counter() - start < a.seconds:
        ids = zipf_ids(a.rows, a.zipf, rng, a.batch)
        t = time.perf_counter()
        first_col, _ = consumer(gather(ids))
        latencies.append(time.perf_counter() - t)
        served += a.batch
        wrong += int(np.count_nonzero(first_col != ids.astype(np.float32)))
    seconds = time.perf_counter() - start
    lat = np.array(latencies) * 1e6
    print("result mode=redis rows_per_s=%.0f batches_per_s=%.0f p50_us=%.1f p99_us=%.1f wrong=%d"
          % (served / seconds, len(latencies) / seconds, np.percentile(lat, 50),
             np.percentile(lat, 99), wrong))
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
