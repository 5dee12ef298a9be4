"""SIGTERM stops a crawl within 30 s even when every download hangs on a silent server, and
the run is stored as interrupted."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import threading
import time

import pytest

from tests.replica.process import CRAWL_ENV, ROOT, crawl_command

pytestmark = pytest.mark.e2e  # crawls or browses in real subprocesses


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(connection)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()
        for connection in self.accepted:
            connection.close()


def test_sigterm_stops_hanging_downloads_within_30_s(tmp_path):
    server = SilentServer()
    path = tmp_path / "govcrawl.db"
    # Every timeout well beyond 30 s: only the forced shutdown can end the downloads in time.
    settings = {"DOWNLOAD_TIMEOUT": "180", "GOVCRAWL_HOST_TIMEOUT": "180", "GOVCRAWL_SHUTDOWN_GRACE": "5"}
    crawl = subprocess.Popen(
        crawl_command(path, server.url, settings=settings),
        cwd=ROOT, env=CRAWL_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not server.accepted:  # the crawl is under way: its robots.txt requests hang
            assert crawl.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(1)
        crawl.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        _, stderr = crawl.communicate(timeout=60)
        took = time.monotonic() - stopped
    finally:
        if crawl.poll() is None:
            crawl.kill()
        server.close()
    assert took < 30, stderr[-3000:]
    assert crawl.returncode == 1  # interrupted: not a finished run
    db = sqlite3.connect(path)
    assert db.execute("SELECT status, finish_reason FROM crawl_runs").fetchone() == ("interrupted", "shutdown")
    errors = [e for (e,) in db.execute("SELECT error FROM fetches")]
    assert errors and all(e and e.startswith("cancelled: ") for e in errors), errors
