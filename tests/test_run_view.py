"""An operator's view of a running crawl (a real crawl of the replica: the crawl is the
subject): `govcrawl stats` shows the running run's live figures, written by the timer even
with no full batch; every run logs to a file of its own, with a progress line per host."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from tests.replica.process import CRAWL_ENV, ROOT, Replica, start_crawl

pytestmark = pytest.mark.e2e  # crawls or browses in real subprocesses


def stats(db) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "govcrawl.cli", "stats", "--db", str(db), "--json"],
        cwd=ROOT, env=CRAWL_ENV, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_live_figures_a_log_file_and_progress_lines(tmp_path):
    db = tmp_path / "data" / "govcrawl.db"
    settings = {
        "GOVCRAWL_BATCH_SIZE": "100000",  # no batch ever fills: only the timer writes
        "GOVCRAWL_FLUSH_SECONDS": "0.5",
        "LOGSTATS_INTERVAL": "1",
        "LOG_LEVEL": "WARNING",  # the console stays quiet; the run's log file still has INFO
    }
    with Replica(size=200, slow_seconds=4.0) as replica:
        crawl = start_crawl(db, replica.proxy, settings=settings)
        live = None
        deadline = time.monotonic() + 120
        while crawl.poll() is None and time.monotonic() < deadline:
            if db.exists():
                last = stats(db).get("last_run")
                if last and last["status"] == "running" and last["requests"]:
                    live = last
                    break
            time.sleep(0.3)
        _, stderr = crawl.communicate(timeout=300)
    assert crawl.returncode == 0, stderr[-3000:]
    assert live is not None, "the running run never showed its figures"
    assert live["finished_at"] is None and live["requests"] > 0 and live["errors"] is not None
    final = stats(db)["last_run"]
    assert final["status"] == "finished" and final["requests"] >= live["requests"]

    log = (tmp_path / "data" / "logs" / f"run-{final['id']}.log").read_text(encoding="utf-8")
    progress = re.findall(r"progress (\S+): (\d+) requests, (\d+) reports, (\d+) errors, (\d+) queued", log)
    assert progress, log[-2000:]
    hosts = {host for host, *_ in progress}
    assert "www.panzhihua.gov.cn" in hosts
    assert "progress " not in stderr  # INFO lines go to the file, not to a WARNING console
    assert f"crawl run #{final['id']} logs to" in log
