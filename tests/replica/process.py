"""Start the replica portal in its own process, and run crawls against it.

Shared by the tests, `make demo` and the benchmarks. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The replica is local and deterministic: lift the politeness delays meant for real portals.
REPLICA_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "DOWNLOAD_TIMEOUT": "20",
    "LOG_LEVEL": "WARNING",
}


class Replica:
    """The replica server as a context manager: `with Replica(size=200) as replica: ...`."""

    def __init__(self, size: int = 200, seed: int = 0, slow_seconds: float = 1.5):
        self.args = ["--size", str(size), "--seed", str(seed), "--slow-seconds", str(slow_seconds)]
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    def __enter__(self) -> Replica:
        self._tmp = tempfile.TemporaryDirectory(prefix="replica-")
        port_file = Path(self._tmp.name) / "port"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.replica.server", "--port-file", str(port_file), *self.args],
            cwd=ROOT,
        )
        deadline = time.monotonic() + 300
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the replica server did not start")
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._tmp.cleanup()

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def control(self, name: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.proxy}/__replica__/{name}", method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def travel(self, change: str) -> list[str]:
        """Time travel: `publish` a new year, `edit` a report or `delete` one; the URLs changed."""
        return self.control(change, method="POST")["urls"]

    def manifest(self) -> dict:
        return self.control("manifest")

    def request_log(self) -> list[dict]:
        return self.control("log")


def crawl_command(
    db: Path | str, proxy: str, *args: str, settings: dict[str, str] | None = None
) -> list[str]:
    merged = {**REPLICA_SETTINGS, "GOVCRAWL_DB": str(db), "GOVCRAWL_PROXY": proxy, **(settings or {})}
    command = [sys.executable, "-m", "scrapy", "crawl", "reports"]
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    for arg in args:
        command += ["-a", arg]
    return command


def run_crawl(
    db: Path | str, proxy: str, *args: str, settings: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """`scrapy crawl reports` against the replica, in a subprocess (as an operator runs it)."""
    return subprocess.run(
        crawl_command(db, proxy, *args, settings=settings),
        cwd=ROOT,
        env=CRAWL_ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_crawl(
    db: Path | str, proxy: str, *args: str, settings: dict[str, str] | None = None
) -> subprocess.Popen:
    """The same crawl, started in the background (to be interrupted or killed)."""
    return subprocess.Popen(
        crawl_command(db, proxy, *args, settings=settings),
        cwd=ROOT,
        env=CRAWL_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


CRAWL_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def free_port() -> int:
    """A loopback port nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
