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
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]

# The replica is local and deterministic: lift the politeness delays meant for real portals.
REPLICA_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "DOWNLOAD_TIMEOUT": "20",
    "LOG_LEVEL": "WARNING",
    "GOVCRAWL_REPLICA": "True",  # its runs never share a database with real ones (govcrawl.run_origin)
}
# The crawl of the hostile replica (`Replica(hostile=True)`): errors are expected there, so the
# run must not be marked failed for them; a page gets 5 s (the slowest honest page answers in
# slow_seconds, about 1 s; the dripping one is tried 3 times, and those tries end the crawl), a
# host that does not answer too.
HOSTILE_SETTINGS = {"GOVCRAWL_MAX_ERROR_RATE": "1", "DOWNLOAD_TIMEOUT": "5", "GOVCRAWL_HOST_TIMEOUT": "5"}


class Replica:
    """The replica server as a context manager: `with Replica(size=200) as replica: ...`."""

    def __init__(
        self,
        size: int = 200,
        seed: int = 0,
        slow_seconds: float = 1.5,
        hostile: bool = False,
        attachments: bool = False,
        families: bool = False,
    ):
        self.args = ["--size", str(size), "--seed", str(seed), "--slow-seconds", str(slow_seconds)]
        self.args += ["--hostile"] if hostile else []
        self.args += ["--attachments"] if attachments else []
        self.args += ["--families"] if families else []
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


@dataclass
class MeasuredCrawl:
    returncode: int
    stderr: str
    seconds: float  # wall time, start to exit
    peak_rss: int  # bytes: the kernel's high-water mark of the crawl process itself (VmHWM)
    peak_tree_rss: int  # bytes: the largest sampled sum over the crawl and its children (Chromium)


def measured_crawl(
    db: Path | str, proxy: str, *args: str, settings: dict[str, str] | None = None, timeout: float = 600
) -> MeasuredCrawl:
    """`run_crawl`, also measuring wall time and peak memory (for the hostile test and bench)."""
    with tempfile.TemporaryFile(mode="w+") as stderr:
        started = time.monotonic()
        process = subprocess.Popen(
            crawl_command(db, proxy, *args, settings=settings),
            cwd=ROOT,
            env=CRAWL_ENV,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
        tree_peak, own_peak = [0], [0]
        done = threading.Event()
        sampler = threading.Thread(
            target=sample_tree_rss, args=(process.pid, done, tree_peak, own_peak), daemon=True
        )
        sampler.start()
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        # Not wait4's ru_maxrss: it keeps the high-water mark of the image the child was forked
        # from (this test process) across exec, so it says more about pytest than the crawl.
        _, status = os.waitpid(process.pid, 0)
        killer.cancel()
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        stderr.seek(0)
        return MeasuredCrawl(process.returncode, stderr.read(), seconds, own_peak[0], tree_peak[0])


def high_water_rss(pid: int) -> int:
    """VmHWM: the process's peak resident set in bytes since its exec, as the kernel keeps it
    (0 once it has exited). Unlike ru_maxrss, it does not carry the high-water mark of the
    image the process was forked from."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def sample_tree_rss(
    pid: int, done: threading.Event, peak: list[int], own_peak: list[int], every: float = 0.1
) -> None:
    try:
        root = psutil.Process(pid)
        while not done.is_set():
            own_peak[0] = max(own_peak[0], high_water_rss(pid))
            total = 0
            for process in [root, *root.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass  # ended between listing and sampling
            peak[0] = max(peak[0], total)
            done.wait(every)
    except (psutil.Error, OSError):
        pass  # the crawl ended (a zombie until it is reaped)


def free_port() -> int:
    """A loopback port nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
