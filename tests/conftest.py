from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils

from govcrawl.profiles import available_profiles, load_profile
from tests.replica.process import Replica, run_crawl


def other_sites_hosts(site: str) -> set[str]:
    """Hosts the replica serves for other site profiles (e.g. 示例市 for `shili`)."""
    return {h for name in available_profiles() if name != site for h in load_profile(name).allowed_hosts}


@dataclass
class CrawlResult:
    db: sqlite_utils.Database
    path: Path
    manifest: dict
    server_log: list[dict]
    stderr: str
    site: str = "panzhihua"

    def pages(self, kind: str | None = None) -> list[dict]:
        """The manifest's pages of kind `kind`, leaving out those of other site profiles."""
        others = other_sites_hosts(self.site)
        return [
            p
            for p in self.manifest["pages"]
            if (kind is None or p["kind"] == kind) and p["url"].split("/")[2] not in others
        ]

    def rows(self, sql: str, params=()) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()


def crawl_replica(tmp_path: Path, *args: str, size: int = 200) -> CrawlResult:
    """A fresh replica and one real `scrapy crawl reports` of it into a new SQLite file."""
    path = tmp_path / "govcrawl.db"
    with Replica(size=size, slow_seconds=1.0) as replica:
        result = run_crawl(path, replica.proxy, *args)
        assert result.returncode == 0, result.stderr[-3000:]
        site = next((a.split("=", 1)[1] for a in args if a.startswith("site=")), "panzhihua")
        return CrawlResult(
            sqlite_utils.Database(path), path, replica.manifest(), replica.request_log(), result.stderr, site
        )


# Tests that crawl or browse in real subprocesses are marked `e2e` in their modules
# (`pytest -m "not e2e"` leaves them out); so is every test that uses the shared replica crawl.
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "crawled" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def crawled(tmp_path_factory) -> CrawlResult:
    return crawl_replica(tmp_path_factory.mktemp("crawl"))
