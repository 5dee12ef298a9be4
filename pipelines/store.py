"""SQLite storage of crawl runs, fetches, raw bodies and document versions.

Pure storage: no Scrapy here. Rows are buffered and written one transaction per batch
(`write_transaction`), so a crash loses at most the open batch and never leaves half
a batch behind. Bodies are content-addressed by SHA-256 and zlib-compressed; a document is
a URL, and a version is each distinct body it has had (a change adds a version, never
overwrites one).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from pipelines.views import create_views

SCHEMA_VERSION = 3
logger = logging.getLogger(__name__)
# Longest error message kept from an exception (its text can quote a whole page).
MAX_ERROR_DETAIL = 300


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def processing_failure(error: BaseException) -> str:
    """`processing failed: OverflowError: …`, one line, bounded: for the fetch row and problems."""
    detail = " ".join(str(error).split())
    if len(detail) > MAX_ERROR_DETAIL:
        detail = detail[:MAX_ERROR_DETAIL] + "…"
    return f"processing failed: {type(error).__name__}: {detail}" if detail else f"processing failed: {type(error).__name__}"


@dataclass
class FetchRecord:
    """One HTTP exchange (or a failed attempt at one)."""

    run_id: int
    url: str
    method: str = "GET"
    status: int | None = None
    headers: dict[str, list[str]] = field(default_factory=dict)
    request_headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes | None = None
    referer: str | None = None
    via: str = "http"
    fetched_at: str = field(default_factory=utc_now)
    duration_ms: float | None = None
    redirect_to: str | None = None
    error: str | None = None
    raw_body: bytes | None = None  # via=browser: the bytes the server sent (body is the rendered DOM)
    browser_reason: str | None = None  # via=browser: why (profile, js_list, js_challenge, ...)


@dataclass
class ProcessedRows:
    """What processing made of one version: its `document_texts` row (encoding evidence,
    transforms, clean text, kind and metadata), its `report_values` and its `validations`."""

    text: dict[str, Any]
    values: list[dict[str, Any]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None  # processing failed: the version is stored unparsed

    @classmethod
    def failed(cls, failure: str, processor_version: str) -> ProcessedRows:
        """An unparsed version's rows: only the error, in `document_texts.problems`."""
        return cls({"processor_version": processor_version, "problems": json.dumps([failure], ensure_ascii=False)},
                   failure=failure)  # fmt: skip


@dataclass
class PageRecord:
    """An article page handed down the item pipeline: one candidate document."""

    run_id: int
    fetch_id: int
    url: str
    final_url: str
    status: int
    body: bytes
    referer: str | None
    fetched_at: str
    processed: ProcessedRows | None = None


@dataclass
class PageMark:
    """A stored document's answer to a re-request that brought no new body: 304 (unchanged)
    or 404/410 (gone: taken down; its versions stay)."""

    run_id: int
    url: str
    status: int
    fetched_at: str


@dataclass
class Revalidation:
    """What a conditional re-request of a stored document sends (validators of its current
    version's response) and records (the list page that linked to it)."""

    url: str
    etag: str | None
    last_modified: str | None
    referer: str | None


class Store:
    """Batched writer (and small reader) for the govcrawl SQLite file."""

    def __init__(
        self,
        path: str | Path,
        batch_size: int = 200,
        flush_seconds: float = 2.0,
        on_write_error: Callable[[str], None] | None = None,
    ):
        """on_write_error: told when a batch could not be written (a crawl stops early)."""
        self.path = Path(path)
        self.on_write_error = on_write_error
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        ensure_schema(self.db)
        self._next_fetch_id = (self.db.execute("SELECT max(id) FROM fetches").fetchone()[0] or 0) + 1
        self._fetches: list[dict[str, Any]] = []
        self._fetch_errors: list[tuple[str, int]] = []
        self._bodies: dict[str, bytes] = {}
        self._pages: list[PageRecord] = []
        self._last_flush = time.monotonic()
        self._marks: list[tuple[str, PageMark]] = []
        self.write_error: str | None = None  # the last failed write, while it stays failed
        self.counts: Counter[str] = Counter()  # this writer's RUN_FIGURES
        self.run_id: int | None = None  # the crawl run whose figures each batch brings up to date
        self.by_host: dict[str, Counter[str]] = {}  # requests and errors per host, for progress lines

    # -- runs ---------------------------------------------------------------------------------
    def start_run(self, site: str, code_version: str, settings: dict[str, Any], kind: str = "crawl") -> int:
        """kind: crawl (a `scrapy crawl`) or reparse (stored bodies processed again)."""
        with write_transaction(self.db):
            self.run_id = self.db.conn.execute(
                "INSERT INTO crawl_runs (kind, site, started_at, code_version, settings, status)"
                " VALUES (?, ?, ?, ?, ?, 'running')",
                [
                    kind,
                    site,
                    utc_now(),
                    code_version,
                    json.dumps(settings, ensure_ascii=False, sort_keys=True),
                ],
            ).lastrowid
        return self.run_id

    def finish_run(
        self, run_id: int, finish_reason: str, stats: dict[str, Any], failure: str | None = None
    ) -> None:
        """Close a run's row with its figures and status: interrupted (a graceful shutdown),
        failed (`failure` says why) or finished."""
        self.flush()
        status = "interrupted" if finish_reason == "shutdown" else "failed" if failure else "finished"
        with write_transaction(self.db):
            self.db["crawl_runs"].update(
                run_id,
                {
                    "finished_at": utc_now(),
                    "status": status,
                    "finish_reason": finish_reason,
                    "failure": failure,
                    **{name: self.counts[name] for name in RUN_FIGURES},
                    "stats": json.dumps(stats, ensure_ascii=False, sort_keys=True, default=str),
                },
            )

    def abandon_unfinished_runs(self) -> int:
        """Crawl runs still marked running, when no crawl is: they were killed."""
        with write_transaction(self.db):
            return self.db.conn.execute(
                "UPDATE crawl_runs SET status = 'abandoned', finish_reason = 'killed'"
                " WHERE status = 'running' AND kind = 'crawl'"
            ).rowcount

    def link_resumed_run(self, run_id: int, resumed_from: int) -> None:
        with write_transaction(self.db):
            self.db["crawl_runs"].update(run_id, {"resumed_from": resumed_from})

    # -- writes -------------------------------------------------------------------------------
    def record_fetch(self, fetch: FetchRecord) -> int:
        """Queue one exchange; returns its id at once (ids are assigned here, not by SQLite)."""
        fetch_id = self._next_fetch_id
        self._next_fetch_id += 1
        sha = self._queue_body(fetch.body) if fetch.body else None
        self._fetches.append(
            {
                "id": fetch_id,
                "run_id": fetch.run_id,
                "url": fetch.url,
                "method": fetch.method,
                "status": fetch.status,
                "redirect_to": fetch.redirect_to,
                "headers": json.dumps(fetch.headers, ensure_ascii=False),
                "request_headers": json.dumps(fetch.request_headers, ensure_ascii=False),
                "referer": fetch.referer,
                "via": fetch.via,
                "fetched_at": fetch.fetched_at,
                "duration_ms": fetch.duration_ms,
                "body_sha256": sha,
                "body_length": len(fetch.body) if fetch.body is not None else None,
                "error": fetch.error,
                "raw_body_sha256": self._queue_body(fetch.raw_body) if fetch.raw_body is not None else None,
                "browser_reason": fetch.browser_reason,
            }
        )
        self.counts["requests"] += 1
        self.counts["errors"] += fetch.error is not None
        host = self.by_host.setdefault(urlsplit(fetch.url).hostname or "", Counter())
        host["requests"] += 1
        host["errors"] += fetch.error is not None
        self._maybe_flush()
        return fetch_id

    def mark_fetch_error(self, fetch_id: int, error: str, url: str | None = None) -> None:
        """Attach an error found after the exchange (e.g. a redirect chain that went nowhere);
        url: the fetch's, to count the error against its host."""
        self._fetch_errors.append((error, fetch_id))
        self.counts["errors"] += 1
        if url is not None:
            self.by_host.setdefault(urlsplit(url).hostname or "", Counter())["errors"] += 1
        self._maybe_flush()

    def mark_page(self, mark: PageMark) -> None:
        """Record a conditional re-request's answer: 304 unchanged, 404/410 gone."""
        self._marks.append(mark)
        self._maybe_flush()

    def store_page(self, page: PageRecord) -> None:
        self._queue_body(page.body)
        self._pages.append(page)
        self._maybe_flush()

    def _queue_body(self, body: bytes) -> str:
        sha = body_hash(body)
        self._bodies.setdefault(sha, body)
        return sha

    def flush_if_due(self) -> None:
        """For a timer: write what waits once it is flush_seconds old, even if no row follows."""
        if time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def _maybe_flush(self) -> None:
        pending = len(self._fetches) + len(self._pages) + len(self._marks)
        if pending >= self.batch_size or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write everything queued in one transaction. If the write fails (disk full, file
        read-only, locked past the busy timeout), nothing of the batch is written, the batch
        stays queued for the next attempt and `write_error` says why."""
        if not (self._fetches or self._pages or self._fetch_errors or self._bodies or self._marks):
            return
        changes: Counter[str] = Counter()
        try:
            with write_transaction(self.db):
                self._write_bodies()
                if self._fetches:
                    self.db["fetches"].insert_all(self._fetches)
                for error, fetch_id in self._fetch_errors:
                    self.db.execute(
                        "UPDATE fetches SET error = coalesce(error || '; ', '') || ? WHERE id = ?",
                        [error, fetch_id],
                    )
                for page in self._pages:
                    changes.update(self._write_page(page))
                for mark in self._marks:
                    changes[self._write_mark(mark)] += 1
                self._write_figures(changes)
        except sqlite3.Error as error:
            self.write_error = f"{type(error).__name__}: {error}"
            self._last_flush = time.monotonic()  # retried at the next interval, not on every row
            logger.error("could not write to %s: %s", self.path, self.write_error)
            if self.on_write_error:
                self.on_write_error(self.write_error)
            return
        changes.pop(None, None)
        self.counts.update(changes)
        self.write_error = None
        self._fetches, self._fetch_errors, self._pages, self._bodies, self._marks = [], [], [], {}, []
        self._last_flush = time.monotonic()

    def _write_figures(self, changes: Counter[str]) -> None:
        """The running run's figures as of this batch, so `govcrawl stats` shows live counts."""
        if self.run_id is None:
            return
        figures = self.counts + changes
        self.db.conn.execute(
            f"UPDATE crawl_runs SET {', '.join(f'{name} = ?' for name in RUN_FIGURES)} WHERE id = ?",
            [*(figures[name] for name in RUN_FIGURES), self.run_id],
        )

    def _write_bodies(self) -> None:
        if not self._bodies:
            return
        known = {
            row[0]
            for row in self.db.execute(
                f"SELECT sha256 FROM bodies WHERE sha256 IN ({','.join('?' * len(self._bodies))})",
                list(self._bodies),
            )
        }
        rows = [
            {"sha256": sha, "length": len(body), "compression": "zlib", "content": zlib.compress(body, 6)}
            for sha, body in self._bodies.items()
            if sha not in known
        ]
        if rows:
            self.db["bodies"].insert_all(rows)

    def _write_page(self, page: PageRecord) -> list[str]:
        """Store a fetched page; returns what changed (new_documents, new_versions, unchanged)."""
        sha = body_hash(page.body)
        db = self.db.conn
        row = db.execute(
            "SELECT id, current_version_id FROM documents WHERE url = ?", [page.final_url]
        ).fetchone()
        changes = []
        if row is None:
            document_id = db.execute(
                "INSERT INTO documents (url, first_seen_run, first_seen_at, last_seen_run, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [page.final_url, page.run_id, page.fetched_at, page.run_id, page.fetched_at],
            ).lastrowid
            current_sha = None
            changes.append("new_documents")
        else:
            document_id = row[0]
            current_sha = db.execute(
                "SELECT body_sha256 FROM document_versions WHERE id = ?", [row[1]]
            ).fetchone()[0]
            self._seen(document_id, page.run_id, page.fetched_at)
        if current_sha == sha:
            return ["unchanged"]
        version_id = db.execute(
            "INSERT INTO document_versions (document_id, body_sha256, fetch_id, run_id, requested_url,"
            " final_url, status, referer, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                document_id,
                sha,
                page.fetch_id,
                page.run_id,
                page.url,
                page.final_url,
                page.status,
                page.referer,
                page.fetched_at,
            ],
        ).lastrowid
        db.execute("UPDATE documents SET current_version_id = ? WHERE id = ?", [version_id, document_id])
        if page.processed is not None:
            failure = self._write_processed_or_failure(version_id, page.processed)
            if failure is not None:
                db.execute(
                    "UPDATE fetches SET error = coalesce(error || '; ', '') || ? WHERE id = ?", [failure, page.fetch_id]
                )
                changes.append("errors")
        return [*changes, "new_versions"]

    def _write_processed_or_failure(self, version_id: int, processed: ProcessedRows) -> str | None:
        """Write a version's processed rows; if they cannot be written (a value SQLite cannot
        hold, a bug), keep the version unparsed instead. Returns the failure, if any."""
        if processed.failure is None:
            self.db.conn.execute("SAVEPOINT processed")
            try:
                self._write_processed(version_id, processed)
            except (OverflowError, ValueError, TypeError, sqlite3.InterfaceError, sqlite3.DataError,
                    sqlite3.IntegrityError, sqlite3.ProgrammingError) as error:  # fmt: skip
                self.db.conn.execute("ROLLBACK TO processed")
                processed = ProcessedRows.failed(processing_failure(error), processed.text.get("processor_version"))
                logger.error("%s in version %d (stored unparsed)", processed.failure, version_id)
            self.db.conn.execute("RELEASE processed")
        if processed.failure is not None:
            self._write_processed(version_id, processed)
        return processed.failure

    def _seen(self, document_id: int, run_id: int, fetched_at: str) -> None:
        """The document answered: it is not (or no longer) gone."""
        self.db.conn.execute(
            "UPDATE documents SET last_seen_run = ?, last_seen_at = ?, gone_at = NULL, gone_run = NULL,"
            " gone_status = NULL WHERE id = ?",
            [run_id, fetched_at, document_id],
        )

    def _write_mark(self, mark: PageMark) -> str | None:
        row = self.db.conn.execute("SELECT id, gone_at FROM documents WHERE url = ?", [mark.url]).fetchone()
        if row is None:
            return None  # a dead link that never gave a document: its fetch row says so
        if mark.status == 304:
            self._seen(row[0], mark.run_id, mark.fetched_at)
            return "unchanged"
        if row[1] is not None:
            return None  # gone already
        self.db.conn.execute(
            "UPDATE documents SET gone_at = ?, gone_run = ?, gone_status = ? WHERE id = ?",
            [mark.fetched_at, mark.run_id, mark.status, row[0]],
        )
        return "gone"

    def error_summary(self, run_id: int, limit: int = 3) -> str:
        """A run's errors by class (the words before the first colon), most frequent first:
        '24 requests failed: 16 ConnectionRefusedError, 8 HTTP 404'."""
        classes: Counter[str] = Counter(
            error.split(":", 1)[0].strip()[:60]
            for (error,) in self.db.execute("SELECT error FROM fetches WHERE run_id = ? AND error IS NOT NULL", [run_id])
        )
        listed = ", ".join(f"{count} {name}" for name, count in classes.most_common(limit))
        more = ", …" if len(classes) > limit else ""
        return f"{sum(classes.values())} requests failed: {listed}{more}"

    # -- what earlier runs stored: incremental re-crawls --------------------------------------
    def known_links(self) -> set[str]:
        """Article URLs with a settled answer, not fetched again unless revalidating: every
        stored document, by the URL linked and by the URL its content came from, and dead
        links (their last answer was 404/410). Failures that may be transient are not here,
        so the next run tries them again."""
        return {
            url
            for (url,) in self.db.execute(
                "SELECT url FROM documents UNION SELECT requested_url FROM document_versions"
                f" UNION SELECT url FROM ({DEAD_LINKS})"
            )
        }

    def revalidation_targets(self) -> list[Revalidation]:
        """Every stored document (gone ones too: they may come back) with the validators its
        current version was served with, and every dead link."""
        targets = []
        for url, headers, referer in self.db.execute(
            "SELECT d.url, f.headers, v.referer FROM documents d"
            " JOIN document_versions v ON v.id = d.current_version_id LEFT JOIN fetches f ON f.id = v.fetch_id"
            f" UNION ALL SELECT url, NULL, referer FROM ({DEAD_LINKS})"
            " WHERE url NOT IN (SELECT url FROM documents) ORDER BY 1"
        ):
            served = {name.lower(): values[-1] for name, values in json.loads(headers or "{}").items() if values}
            targets.append(Revalidation(url, served.get("etag"), served.get("last-modified"), referer))
        return targets

    def _write_processed(self, version_id: int, processed: ProcessedRows) -> None:
        self.db["document_texts"].insert({"version_id": version_id, **processed.text})
        if processed.values:
            self.db["report_values"].insert_all(
                [{"version_id": version_id, **row} for row in processed.values]
            )
        if processed.validations:
            self.db["validations"].insert_all(
                [{"version_id": version_id, **row} for row in processed.validations]
            )

    def add_reprocessed_version(self, version_id: int, run_id: int, processed: ProcessedRows) -> int:
        """A new version of a document from the same stored bytes, processed again (reparse):
        the old version and its rows stay, the document points at the new one."""
        with write_transaction(self.db):
            db = self.db.conn
            new_id = db.execute(
                "INSERT INTO document_versions (document_id, body_sha256, fetch_id, run_id, requested_url,"
                " final_url, status, referer, fetched_at, reprocessed_from)"
                " SELECT document_id, body_sha256, fetch_id, ?, requested_url, final_url, status, referer,"
                " fetched_at, id FROM document_versions WHERE id = ?",
                [run_id, version_id],
            ).lastrowid
            db.execute(
                "UPDATE documents SET current_version_id = ? WHERE id ="
                " (SELECT document_id FROM document_versions WHERE id = ?)",
                [new_id, new_id],
            )
            self._write_processed(new_id, processed)
        return new_id

    def close(self) -> None:
        self.flush()
        self.db.close()


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """One write transaction that takes the write lock at its start (BEGIN IMMEDIATE), so it
    waits out another writer through the busy timeout. A deferred BEGIN that reads first fails
    at once with "database is locked" when another writer commits after the read, because
    its snapshot is stale (sqlite-utils' `atomic` begins deferred)."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def read_body(db: sqlite_utils.Database, sha256: str) -> bytes:
    """The exact bytes stored under a hash (reparse and provenance read from here)."""
    row = db.execute("SELECT compression, content FROM bodies WHERE sha256 = ?", [sha256]).fetchone()
    if row is None:
        raise KeyError(sha256)
    compression, content = row
    return zlib.decompress(content) if compression == "zlib" else content


# Links whose last answer was 404/410: settled (not fetched again) unless revalidating.
DEAD_LINKS = (
    "SELECT url, referer FROM fetches f WHERE status IN (404, 410)"
    " AND id = (SELECT max(id) FROM fetches g WHERE g.url = f.url)"
)

# A run's own figures, also columns of crawl_runs: what a scheduler or a researcher checks.
RUN_FIGURES = ("requests", "errors", "new_documents", "new_versions", "unchanged", "gone")

# Every table: columns, primary key, foreign keys. A file written by an older govcrawl gets
# the columns it lacks when it is opened.
TABLES: dict[str, tuple[dict[str, type], str, list[tuple[str, str, str]]]] = {
    "crawl_runs": (
        {"id": int, "kind": str, "site": str, "started_at": str, "finished_at": str, "status": str,
         "finish_reason": str, "failure": str, "resumed_from": int, **dict.fromkeys(RUN_FIGURES, int),
         "code_version": str, "settings": str, "stats": str},
        "id",
        [],
    ),
    "bodies": ({"sha256": str, "length": int, "compression": str, "content": bytes}, "sha256", []),
    "fetches": (
        {"id": int, "run_id": int, "url": str, "method": str, "status": int, "redirect_to": str, "headers": str,
         "request_headers": str, "referer": str, "via": str, "fetched_at": str, "duration_ms": float,
         "body_sha256": str, "body_length": int, "error": str, "raw_body_sha256": str, "browser_reason": str},
        "id",
        [("run_id", "crawl_runs", "id"), ("body_sha256", "bodies", "sha256"), ("raw_body_sha256", "bodies", "sha256")],
    ),
    "documents": (
        {"id": int, "url": str, "first_seen_run": int, "first_seen_at": str, "last_seen_run": int,
         "last_seen_at": str, "current_version_id": int, "gone_at": str, "gone_run": int, "gone_status": int},
        "id",
        [("first_seen_run", "crawl_runs", "id"), ("last_seen_run", "crawl_runs", "id")],
    ),
    "document_versions": (
        {"id": int, "document_id": int, "body_sha256": str, "fetch_id": int, "run_id": int, "requested_url": str,
         "final_url": str, "status": int, "referer": str, "fetched_at": str, "reprocessed_from": int},
        "id",
        [("document_id", "documents", "id"), ("body_sha256", "bodies", "sha256"), ("fetch_id", "fetches", "id"),
         ("run_id", "crawl_runs", "id")],
    ),
    "document_texts": (
        {"version_id": int, "processor_version": str, "encoding": str, "declared_header": str,
         "declared_meta": str, "detected": str, "confidence": float, "encoding_method": str, "undecodable": int,
         "transforms": str, "doc_kind": str, "title": str, "agency": str, "report_year": int,
         "published_date": str, "source": str, "format": str, "validation_status": str, "sections": str,
         "problems": str, "result_sha256": str, "text": str},
        "version_id",
        [("version_id", "document_versions", "id")],
    ),
    "report_values": (
        {"id": int, "version_id": int, "key": str, "value": float, "unit": str, "source": str,
         "table_index": int, "row_index": int, "col_index": int, "line": int, "text_offset": int,
         "row_label": str, "col_label": str, "raw": str},
        "id",
        [("version_id", "document_versions", "id")],
    ),
    "validations": (
        {"id": int, "version_id": int, "rule": str, "subject": str, "ok": int, "expected": float,
         "actual": float, "expression": str, "strict": int},
        "id",
        [("version_id", "document_versions", "id")],
    ),
}  # fmt: skip
INDEXES = [
    ("fetches", ["url"], False),
    ("fetches", ["body_sha256"], False),
    ("fetches", ["run_id"], False),
    ("documents", ["url"], True),
    ("document_versions", ["document_id"], False),
    ("document_versions", ["body_sha256"], False),
    ("report_values", ["version_id", "key"], False),
    ("report_values", ["key"], False),
    ("validations", ["version_id"], False),
]


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create what is missing: tables, columns, indexes, full-text search, views (idempotent)."""
    with write_transaction(db):
        create_schema(db)


def create_schema(db: sqlite_utils.Database) -> None:
    for name, (columns, pk, foreign_keys) in TABLES.items():
        table = db[name]
        if table.exists():
            for column, kind in columns.items():
                if column not in table.columns_dict:
                    table.add_column(column, kind)
        else:
            table.create(columns, pk=pk, foreign_keys=foreign_keys)
    for name, columns, unique in INDEXES:
        db[name].create_index(columns, unique=unique, if_not_exists=True)
    if not db["document_texts"].detect_fts():
        # trigram: Chinese has no spaces, so a word tokenizer would index whole sentences
        db["document_texts"].enable_fts(["title", "text"], create_triggers=True, tokenize="trigram")
    create_views(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
