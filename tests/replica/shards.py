"""One stored crawl split into shards by host, as workers that each own some hosts write them.

Each shard is a copy of the crawl's file (`VACUUM INTO`) keeping the rows of its hosts only:
fetches and documents by their URL's host, versions and their processing rows with their
document, bodies that a kept row refers to. Every shard keeps every run row (the same run,
the same `run_uuid`), so merging the shards must give back the crawl itself. An attachment
link whose offering page is on another shard's host loses that page's id, as a worker that
never stored the page records it. Used by tests/test_merge.py and bench/merge_shards.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.store import PROCESSED_TABLES


def host(url: str | None) -> str:
    return urlsplit(url or "").hostname or ""


def crawled_hosts(path: Path | str) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return sorted({host(url) for (url,) in conn.execute("SELECT DISTINCT url FROM fetches")})
    finally:
        conn.close()


def split_by_host(path: Path | str, shards: list[Path]) -> list[list[str]]:
    """Write len(shards) shards of the crawl at `path`, hosts dealt round-robin; their hosts."""
    hosts = crawled_hosts(path)
    groups = [hosts[i :: len(shards)] for i in range(len(shards))]
    source = sqlite3.connect(path)
    try:
        for shard, group in zip(shards, groups, strict=True):
            shard.unlink(missing_ok=True)
            source.execute("VACUUM INTO ?", [str(shard)])
            keep_hosts(shard, set(group))
    finally:
        source.close()
    return groups


def keep_hosts(path: Path, hosts: set[str]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("on_shard", 1, lambda url: host(url) in hosts, deterministic=True)
    statements = [
        "DELETE FROM fetches WHERE NOT on_shard(url)",
        "DELETE FROM documents WHERE NOT on_shard(url)",
        "DELETE FROM document_versions WHERE document_id NOT IN (SELECT id FROM documents)",
        *(f"DELETE FROM {table} WHERE version_id NOT IN (SELECT id FROM document_versions)"
          for table in (*PROCESSED_TABLES, "report_figures")),
        # links between copies are the whole database's: a worker's shard has none of its own
        "DELETE FROM copy_links",
        "DELETE FROM document_links WHERE document_id NOT IN (SELECT id FROM documents)",
        "UPDATE document_links SET offered_by_document_id = NULL"
        " WHERE offered_by_document_id NOT IN (SELECT id FROM documents)",
        "DELETE FROM bodies WHERE sha256 NOT IN (SELECT body_sha256 FROM fetches WHERE body_sha256 IS NOT NULL"
        " UNION SELECT raw_body_sha256 FROM fetches WHERE raw_body_sha256 IS NOT NULL"
        " UNION SELECT body_sha256 FROM document_versions)",
        "INSERT INTO document_texts_fts (document_texts_fts) VALUES ('rebuild')",
    ]  # fmt: skip
    try:
        conn.execute("BEGIN")
        for statement in statements:
            conn.execute(statement)
        conn.execute("COMMIT")
        conn.execute("VACUUM")
    finally:
        conn.close()
