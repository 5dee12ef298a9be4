"""Datasette serving a file while a real replica crawl (and its process stage) writes it:
no 5xx, counts that move, and the metadata's queries under the file's own name. Also the
server's bounds: raw bodies read as NULL, a cell over the size limit is refused."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.error
import urllib.request

import pytest

from tests.browser import chromium, datasette_server
from tests.replica.process import Replica, start_crawl

pytestmark = pytest.mark.e2e


def get(url: str) -> tuple[int, dict | str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read().decode()
            return response.status, json.loads(body) if ".json" in url else body
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def count(db, table: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A crawl of the replica into live.db, served from its first commit until it ends."""
    tmp = tmp_path_factory.mktemp("datasette-live")
    db = tmp / "live.db"
    with Replica(size=600, slow_seconds=1.0) as replica:
        crawl = start_crawl(db, replica.proxy)
        deadline = time.monotonic() + 60
        while True:
            try:
                if count(db, "fetches"):
                    break
            except sqlite3.Error:
                pass
            assert crawl.poll() is None and time.monotonic() < deadline, "the crawl wrote nothing"
            time.sleep(0.2)
        with datasette_server(db, tmp / "datasette.log") as base:
            yield db, base, crawl, tmp
        crawl.wait(timeout=60)


def test_serving_during_a_crawl_never_fails_and_counts_move(live):
    db, base, crawl, shots = live
    paths = ["/live/fetches.json?_size=5", "/live/reports.json?_size=5", "/live/document_texts.json?_size=3",
             "/live.json", "/live/requests_received.json", "/live/applications.json?_size=5"]
    seen, statuses, pages = [], [], 0
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        while crawl.poll() is None:
            for path in paths:
                status, body = get(base + path)
                statuses.append((path, status, body if status >= 400 else ""))
            # rows the crawl (fetches) and the process stage (document_texts) add
            seen.append(tuple(get(f"{base}/live/{t}.json?_size=0")[1]["filtered_table_rows_count"]
                              for t in ("fetches", "document_texts")))
            response = page.goto(base + "/live")  # the database page as a researcher reloads it
            statuses.append(("/live (browser)", response.status, ""))
            pages += 1
            if pages == 2:
                page.screenshot(path=shots / "database-during-crawl.png")
        assert crawl.returncode == 0, crawl.stderr.read()[-3000:]
    assert [s for s in statuses if s[1] >= 400] == []
    assert pages >= 3, "the crawl ended before the server was asked anything"
    # fresh, not the counts of the server's start: they grow while the crawl writes ...
    assert seen == sorted(seen) and sum(seen[-1]) > sum(seen[0])
    # ... and once it has ended, the server says what the file says
    status, body = get(base + "/live/fetches.json?_size=0")
    assert body["filtered_table_rows_count"] == count(db, "fetches")
    status, body = get(base + "/live/reports.json?_size=0")
    assert body["filtered_table_rows_count"] == count(db, "reports") > 0


def test_metadata_and_canned_queries_follow_the_file_name(live):
    db, base, crawl, _ = live
    status, front = get(base + "/")
    assert status == 200 and 'href="/live/reports"' in front and "/govcrawl/" not in front
    status, body = get(base + "/live/requests_received.json?_shape=objects")
    assert status == 200 and body["rows"] and {"agency", "report_year", "received"} <= set(body["rows"][0])
    status, body = get(base + "/live/reports.json?_extra=facets_timed_out")
    status, html = get(base + "/live/reports")
    assert "copies says how many" in html  # the view's description from data/metadata.yml


def test_raw_bodies_are_not_served_and_cells_are_bounded(live):
    db, base, crawl, _ = live
    status, body = get(base + "/live.json?sql=select+sha256,+content,+length(content)+as+n+from+bodies+limit+3&_shape=objects")
    assert status == 200 and len(body["rows"]) == 3, body
    assert all(r["content"] is None and r["n"] is None for r in body["rows"])
    status, body = get(base + "/live.json?sql=select+zeroblob(20000000)+as+big")
    assert status == 400 and "too big" in body
    status, _ = get(base + "/live.db")
    assert status in (403, 404)
