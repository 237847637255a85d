# What the Python tests share: the module built in the build tree (ctest
# puts it on PYTHONPATH) and memory nodes started as processes of their own
# (remora-memnode --port=0, its path in REMORA_MEMNODE).
import os
import subprocess
import tempfile

import pytest


class MemoryNode:
    def __init__(self, *extra):
        self.proc = subprocess.Popen(
            [os.environ["REMORA_MEMNODE"], "--port=0", "--capacity=128MiB", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in self.proc.stdout:  # bounded: the node exits or says it listens
            if "listening on" in line:  # "... listening on HOST:PORT (capacity ...)"
                port = line.split("listening on ", 1)[1].split()[0].rsplit(":", 1)[1]
                self.address = "127.0.0.1:" + port
                return
        raise RuntimeError("remora-memnode exited before it listened: rc %s" % self.proc.wait(10))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def node():
    n = MemoryNode()
    yield n
    n.stop()
