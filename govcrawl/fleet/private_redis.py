"""A private redis-server on loopback for the tests, the demo and the benchmark.

Debian's redis-server (`make redis` installs it) on a free 127.0.0.1 port, in a temporary
directory, with no persistence (no RDB snapshots, no AOF): nothing outlives it. It is
stopped (and killed if it does not stop) when the context ends, and killed with this process
if it dies first (PR_SET_PDEATHSIG), so no server is left behind. A real deployment runs its
own Redis and gives workers its REDIS_URL.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def die_with_parent() -> None:
    """In the child before exec: SIGKILL when the process that started it ends."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class PrivateRedis:
    """`with PrivateRedis() as redis_url: ...` -- a fresh, empty Redis for the block."""

    def __init__(self, binary: str = "redis-server", start_timeout: float = 20):
        self.binary = binary
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> str:
        binary = shutil.which(self.binary)
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server; `make redis`)")
        self._tmp = tempfile.TemporaryDirectory(prefix="govcrawl-redis-")
        port = free_port()
        # fmt: off
        command = [
            binary, "--port", str(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
            "--dir", self._tmp.name, "--save", "", "--appendonly", "no", "--loglevel", "warning",
            "--logfile", str(Path(self._tmp.name) / "redis.log"),
        ]
        # fmt: on
        self.process = subprocess.Popen(command, preexec_fn=die_with_parent, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + self.start_timeout
        while not answers_ping(port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"redis-server did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
        self.url = f"redis://127.0.0.1:{port}/0"
        return self.url

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._tmp.cleanup()


def answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
