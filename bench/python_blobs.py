#!/usr/bin/python3
"""KV-cache blocks from Python: puts --blocks values of --size bytes, then
reads them back --batch keys at a time in a shuffled order, each batch into
buffers kept across batches (as a decode step lands a layer's blocks), and
checks every block. Against a memory node (--node, remora.BlobStore,
get_many_into) or a Redis server (--redis-port, python3-redis: MGET, each
value copied into its buffer). Prints one line:
  result side=remora|redis size=S blocks=N batch=B put_gbps=P get_gbps=G get_p50_us=A get_p99_us=C wrong=W
"""
import argparse
import random
import sys
import time

import numpy as np


def block(i, size):
    return np.full(size, i % 251, dtype=np.uint8)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--node", help="a memory node, HOST:PORT")
    where.add_argument("--redis-port", type=int, help="a redis-server on 127.0.0.1")
    ap.add_argument("--size", type=int, default=65536, help="bytes a block (65536)")
    ap.add_argument("--blocks", type=int, default=2048, help="blocks put and read (2048)")
    ap.add_argument("--batch", type=int, default=32, help="keys a batch (32)")
    args = ap.parse_args()
    if args.size < 1 or args.blocks < args.batch or args.batch < 1:
        ap.error("--size and --batch must be positive, --blocks at least --batch")

    keys = ["block-%d" % i for i in range(args.blocks)]
    if args.node:
        import remora
        side = "remora"
        rt = remora.Runtime(memory_nodes=[args.node], dram_cache="64MiB")
        kv = rt.blob_store("bench")
        put = lambda key, value: kv.put(key, value)
        get_batch = lambda batch, buffers: kv.get_many_into(batch, buffers)
    else:
        import redis
        side = "redis"
        r = redis.Redis(port=args.redis_port)
        put = lambda key, value: r.set(key, value.tobytes())

        def get_batch(batch, buffers):
            sizes = []
            for value, buffer in zip(r.mget(batch), buffers):
                if value is None:
                    sizes.append(None)
                    continue
                buffer[:len(value)] = np.frombuffer(value, dtype=np.uint8)
                sizes.append(len(value))
            return sizes

    start = time.perf_counter()
    for i, key in enumerate(keys):
        put(key, block(i, args.size))
    put_s = time.perf_counter() - start

    order = list(range(args.blocks))
    random.Random(42).shuffle(order)
    buffers = [np.zeros(args.size, dtype=np.uint8) for _ in range(args.batch)]
    latencies, wrong = [], 0
    start = time.perf_counter()
    for first in range(0, args.blocks - args.batch + 1, args.batch):
        ids = order[first:first + args.batch]
        t = time.perf_counter()
        sizes = get_batch([keys[i] for i in ids], buffers)
        latencies.append((time.perf_counter() - t) * 1e6)
        for i, n, buffer in zip(ids, sizes, buffers):
            wrong += n != args.size or buffer[0] != i % 251 or buffer[-1] != i % 251
    get_s = time.perf_counter() - start
    read = len(latencies) * args.batch * args.size
    latencies.sort()
    print("result side=%s size=%d blocks=%d batch=%d put_gbps=%.3f get_gbps=%.3f "
          "get_p50_us=%.1f get_p99_us=%.1f wrong=%d"
          % (side, args.size, args.blocks, args.batch, args.blocks * args.size / put_s / 1e9,
             read / get_s / 1e9, latencies[len(latencies) // 2],
             latencies[len(latencies) * 99 // 100], wrong))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
