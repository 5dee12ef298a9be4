from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils

from tests.replica.process import Replica, run_crawl


@dataclass
class CrawlResult:
    db: sqlite_utils.Database
    path: Path
    manifest: dict
    server_log: list[dict]
    stderr: str

    def pages(self, kind: str | None = None) -> list[dict]:
        return [p for p in self.manifest["pages"] if kind is None or p["kind"] == kind]

    def rows(self, sql: str, params=()) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()


def crawl_replica(tmp_path: Path, *args: str, size: int = 200) -> CrawlResult:
    """A fresh replica and one real `scrapy crawl reports` of it into a new SQLite file."""
    path = tmp_path / "govcrawl.db"
    with Replica(size=size, slow_seconds=1.0) as replica:
        result = run_crawl(path, replica.proxy, *args)
        assert result.returncode == 0, result.stderr[-3000:]
        return CrawlResult(
            sqlite_utils.Database(path), path, replica.manifest(), replica.request_log(), result.stderr
        )


@pytest.fixture(scope="session")
def crawled(tmp_path_factory) -> CrawlResult:
    return crawl_replica(tmp_path_factory.mktemp("crawl"))
