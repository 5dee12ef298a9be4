"""A database holds crawls of real portals or of the offline replica, never both."""

from __future__ import annotations

import subprocess

import pytest

from pipelines.store import Store
from tests.replica.process import CRAWL_ENV, ROOT, crawl_command, free_port

pytestmark = pytest.mark.e2e  # each test starts `scrapy crawl` in a subprocess


def database_with_run(path, settings: dict) -> None:
    store = Store(path)
    store.start_run("panzhihua", "test", settings)
    store.close()


def crawl(path, replica: bool) -> subprocess.CompletedProcess:
    dead_proxy = f"http://127.0.0.1:{free_port()}"  # nothing answers: a refused crawl asks nothing
    command = crawl_command(path, dead_proxy, settings={"GOVCRAWL_REPLICA": str(replica), "GOVCRAWL_PROCESS_BESIDE": "0"})
    return subprocess.run(command, cwd=ROOT, env=CRAWL_ENV, capture_output=True, text=True, timeout=120)


def crawl_runs(path) -> int:
    store = Store(path)
    try:
        return store.db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]
    finally:
        store.close()


@pytest.mark.parametrize(
    "held, replica, says",
    [
        ({"GOVCRAWL_REPLICA": "True", "GOVCRAWL_PROXY": "http://127.0.0.1:9"}, False, "crawl(s) of the offline replica"),
        ({"GOVCRAWL_REPLICA": None, "GOVCRAWL_PROXY": ""}, True, "crawl(s) of real portals"),
        # a run recorded before GOVCRAWL_REPLICA existed: the replica's loopback proxy tells
        ({"GOVCRAWL_PROXY": "http://127.0.0.1:41234"}, False, "crawl(s) of the offline replica"),
    ],
)
def test_a_crawl_refuses_a_database_of_the_other_kind(tmp_path, held, replica, says):
    path = tmp_path / "mixed.db"
    database_with_run(path, held)
    result = crawl(path, replica)
    assert result.returncode != 0
    assert "not crawling into" in result.stderr and says in result.stderr
    assert crawl_runs(path) == 1  # no run of the other kind was started


def test_a_crawl_of_the_same_kind_goes_on(tmp_path):
    path = tmp_path / "same.db"
    database_with_run(path, {"GOVCRAWL_REPLICA": "True"})
    result = crawl(path, replica=True)
    assert "not crawling into" not in result.stderr
    assert crawl_runs(path) == 2
