# The Python module against real memory nodes: numpy round trips for every
# element type, gathers, views inside and outside a scope, publishing
# across processes, blob stores, stats, threads, link compression's modes,
# and the errors as remora.Error subclasses.
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import remora

TYPES = [np.float32, np.float64, np.int32, np.int64, np.uint32, np.uint64]


def runtime(node, **extra):
    return remora.Runtime(dram_cache="4MiB", memory_nodes=[node.address], timeout=5.0, **extra)


@pytest.mark.parametrize("dtype", TYPES)
def test_slices_round_trip_every_type(node, dtype):
    rt = runtime(node)
    n = 3 * 1024 * 1024 // np.dtype(dtype).itemsize  # 3 MiB
    a = rt.array(dtype, n)
    assert len(a) == n and a.dtype == np.dtype(dtype)
    values = (np.arange(n) % 1000).astype(dtype)
    a[0:n] = values
    assert np.array_equal(a[0:n], values)
    assert np.array_equal(a[n - 10:], values[n - 10:])
    assert np.array_equal(a[5:50000:7], values[5:50000:7])
    a[-1] = 42
    assert a[-1] == 42 and a[n - 1] == 42
    a[100:200] = 7
    assert np.all(a[100:200] == 7) and a[99] == values[99]
    with pytest.raises(IndexError):
        a[n]
    with pytest.raises(ValueError):
        a[0:10] = np.zeros(3, dtype=dtype)


def test_an_array_larger_than_the_cache_reads_back(node):
    rt = runtime(node)
    n = 8 * 1024 * 1024  # 32 MiB of float32 through a 4 MiB cache
    a = rt.array(np.float32, n)
    for start in range(0, n, 1 << 20):
        a[start:start + (1 << 20)] = np.arange(start, start + (1 << 20), dtype=np.float32)
    got = a[0:n]
    assert np.array_equal(got, np.arange(n, dtype=np.float32))
    stats = rt.stats()
    assert stats["evictions"] > 0 and stats["writebacks"] > 0 and stats["misses"] > 0


def test_gather_reads_elements_and_rows_in_one_batch(node):
    rt = runtime(node)
    rows, width = 100_000, 16
    table = rt.array(np.float32, rows * width)
    table[0:rows * width] = np.arange(rows * width, dtype=np.float32)
    ids = np.array([5, 99_999, 17, 5, 40_000])
    got = table.gather(ids, width=width)
    assert got.shape == (5, width)
    expected = ids[:, None] * width + np.arange(width)
    assert np.array_equal(got, expected.astype(np.float32))
    assert np.array_equal(table.gather(np.array([3, 1_599_999])), np.array([3, 1_599_999], np.float32))
    with pytest.raises(remora.InvalidObject):
        table.gather(np.array([rows]), width=width)
    with pytest.raises(remora.InvalidObject):
        table.gather(np.array([-1]))


def test_views_are_zero_copy_inside_a_scope_and_refused_outside(node):
    rt = runtime(node)
    a = rt.array(np.int64, 100_000)
    a[0:100_000] = np.arange(100_000)
    with rt.scope() as s:
        v = a.span(s, 4100)
        per_chunk = a.chunk_elements
        assert v.shape == (per_chunk - 4100 % per_chunk,)
        assert v[0] == 4100 and not v.flags.writeable
        with pytest.raises(ValueError):
            v[0] = 1
        w = a.span(s, 10, writable=True)
        w[0:3] = -1  # writes through to the array
    assert list(a[9:14]) == [9, -1, -1, -1, 13]
    with pytest.raises(remora.InvalidObject):
        a.span(s, 0)  # the scope is closed
    from_dlpack = np.from_dlpack(a[0:8])  # a copy hands on through DLPack
    assert list(from_dlpack) == [0, 1, 2, 3, 4, 5, 6, 7]


def test_publish_and_open_in_another_process(node):
    rt = runtime(node)
    a = rt.array(np.float64, 200_000)
    a[0:200_000] = np.arange(200_000, dtype=np.float64) * 0.5
    view = rt.publish("table", a)
    assert view.name == "table" and view[10] == 5.0
    with pytest.raises(remora.InvalidObject):
        a[0]  # published: the array itself is gone
    reader = textwrap.dedent("""
        import numpy as np, remora, sys
        rt = remora.Runtime(dram_cache="4MiB", memory_nodes=[sys.argv[1]])
        t = rt.open_array("table", np.float64)
        x = t[0:len(t)]
        print(len(t), float(x.sum()), t.gather(np.array([7, 199_999]))[1])
    """)
    out = subprocess.run([sys.executable, "-c", reader, node.address], capture_output=True,
                         text=True, timeout=60, env=os.environ)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["200000", str(0.5 * 199_999 * 200_000 / 2), "99999.5"]
    with pytest.raises(remora.InvalidObject):
        rt.open_array("table", np.float32)  # elements of 8 bytes, not 4
    with pytest.raises(TypeError):
        rt.open_array("table", np.complex64)
    rt.unpublish("table")
    with pytest.raises(remora.InvalidObject):
        rt.open_array("nothing", np.float64)


def test_threads_read_one_array_at_once(node):
    rt = runtime(node)
    n = 2 * 1024 * 1024
    a = rt.array(np.uint32, n)
    a[0:n] = np.arange(n, dtype=np.uint32)
    wrong = []

    def read(seed):
        rng = np.random.default_rng(seed)
        for _ in range(50):
            ids = rng.integers(0, n, 256)
            if not np.array_equal(a.gather(ids), ids.astype(np.uint32)):
                wrong.append(seed)

    threads = [threading.Thread(target=read, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert wrong == []


def test_blob_store_values_round_trip_and_land_in_callers_buffers(node):
    rt = runtime(node)
    kv = rt.blob_store("kv", capacity="64MiB")
    assert kv.name == "kv"
    blocks = {"block-%d" % i: np.full(65536, i, dtype=np.uint8) for i in range(8)}
    for key, block in blocks.items():
        kv.put(key, block, pin=1.0)
    kv.put("text", b"hello, far memory")
    kv.put("empty", b"")
    assert kv.get("text") == b"hello, far memory"
    assert kv.get("empty") == b""
    assert kv.get("nothing") is None
    assert "text" in kv and "nothing" not in kv
    # Into buffers the caller keeps, used again: numpy arrays and a bytearray.
    keys = ["block-3", "nothing", "block-7", "text"]
    buffers = [np.zeros(65536, dtype=np.uint8), np.full(16, 9, dtype=np.uint8),
               np.zeros(65536 + 10, dtype=np.uint8), bytearray(64)]
    for _ in range(3):
        assert kv.get_many_into(keys, buffers) == [65536, None, 65536, 17]
        assert np.array_equal(buffers[0], blocks["block-3"])
        assert np.all(buffers[1] == 9)  # nothing there: untouched
        assert np.array_equal(buffers[2][:65536], blocks["block-7"])
        assert np.all(buffers[2][65536:] == 0)  # past the value: untouched
        assert bytes(buffers[3][:17]) == b"hello, far memory"
    many = kv.get_many(["block-1", "nothing", "text"])
    assert many[0] == blocks["block-1"].tobytes() and many[1] is None
    assert many[2] == b"hello, far memory"
    into = np.zeros(65536, dtype=np.uint8)
    assert kv.get_into("block-5", into) == 65536 and np.array_equal(into, blocks["block-5"])
    with pytest.raises(remora.InvalidObject, match="holds 65536 bytes; the buffer has 100"):
        kv.get_into("block-5", np.zeros(100, dtype=np.uint8))
    with pytest.raises(remora.InvalidObject, match="read-only"):
        kv.get_into("block-5", b"x" * 65536)
    with pytest.raises(remora.InvalidObject):
        kv.get_many_into(keys, buffers[:3])
    assert kv.erase("text") and not kv.erase("text") and kv.get("text") is None
    stats = kv.stats()
    assert stats["keys"] == 9 and stats["puts"] == 10 and stats["hits"] > 0
    # Shared: another Runtime of the same node opens the same store.
    other = runtime(node).blob_store("kv")
    assert other.get("block-2") == blocks["block-2"].tobytes()
    with pytest.raises(remora.ConfigError):
        rt.blob_store("kv", capacity="lots")


def test_errors_are_remora_errors_of_the_same_names():
    for name in ["ConfigError", "NodeUnavailable", "OutOfMemory", "InvalidObject", "ObjectLost",
                 "ProtocolError", "AuthError"]:
        assert issubclass(getattr(remora, name), remora.Error)
    with pytest.raises(remora.ConfigError, match="unknown option 'dram_cahce'"):
        remora.Runtime(dram_cahce="1GiB")
    with pytest.raises(remora.ConfigError):
        remora.Runtime(dram_cache="lots")
    with pytest.raises(remora.NodeUnavailable):
        remora.Runtime(memory_nodes=["127.0.0.1:1"], timeout=2.0)


def test_stats_is_a_dict_of_the_stats_fields():
    rt = remora.Runtime(dram_cache="8MiB", embedded_capacity="64MiB")
    a = rt.array(np.float32, 10)
    a[3] = 1.5
    s = rt.stats()
    for key in ["hits", "misses", "evictions", "writebacks", "writeback_failures", "bytes_in",
                "bytes_out", "prefetch_issued", "dram_used", "dram_capacity", "hbm_used",
                "packed_reads", "packed_bytes_saved"]:
        assert isinstance(s[key], int)
    assert s["dram_capacity"] == 8 << 20


def test_compress_links_takes_a_mode_and_every_mode_reads_back(node):
    values = np.arange(1 << 21, dtype=np.uint32) // 3  # 8 MiB, twice the cache
    for mode in ["off", "slow", "always", True, False]:
        rt = runtime(node, compress_links=mode)
        a = rt.array(np.uint32, values.size)
        a[0:values.size] = values
        assert np.array_equal(a[0:values.size], values)
        assert rt.stats()["packed_reads"] == 0  # shared memory: nothing packed
    with pytest.raises(remora.ConfigError, match="not off, slow or always"):
        remora.Runtime(compress_links="fast")


def test_the_embedding_example_checks_every_float(node):
    example = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python",
                           "embedding_gather.py")
    out = subprocess.run([sys.executable, example, "--rows=50000", "--dim=16", "--warmup=0.2",
                          "--seconds=0.5", "--verify", "--memory-node=" + node.address],
                         capture_output=True, text=True, timeout=120, env=os.environ)
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("result mode=python") and "wrong=0" in line
    assert float(line.split("rows_per_s=")[1].split()[0]) > 0
