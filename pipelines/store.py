"""SQLite storage of crawl runs, fetches, raw bodies, document versions and their processing.

Pure storage: no Scrapy here. Rows are buffered and written one transaction per batch
(`write_transaction`), so a crash loses at most the open batch and never leaves half
a batch behind. The crawl stores versions pending; the process stage (govcrawl/stage.py)
adds each version's rows, all of one version in one transaction. Bodies are content-addressed by SHA-256 and zlib-compressed; a document is
a URL, and a version is each distinct body it has had (a change adds a version, never
overwrites one). An attachment (a report published as a file) is a document like any other,
linked to the page that offered it in `document_links`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import sqlite3
import threading
import time
import uuid
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

from pipelines.figures import write_figures
from pipelines.views import create_views

# 4: the full-text index is written per batch of processed versions, no triggers
# 5: `document_links`: an attachment (a file a page offers) is linked to the page that offered it
# 6: `report_fingerprints` (one per processed report version) and `copy_links` (copies linked
#    to their originals, pipelines/copies.py)
SCHEMA_VERSION = 6
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
    transforms, clean text, kind and metadata), its `report_values`, its `validations` and,
    for a report, its `report_fingerprints` row (pipelines.fingerprint)."""

    text: dict[str, Any]
    values: list[dict[str, Any]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None  # processing failed: the version is stored unparsed
    fingerprints: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def failed(cls, failure: str, processor_version: str) -> ProcessedRows:
        """An unparsed version's rows: only the error, in `document_texts.problems`."""
        return cls({"processor_version": processor_version, "problems": json.dumps([failure], ensure_ascii=False)},
                   failure=failure)  # fmt: skip


@dataclass
class PageRecord:
    """An article page handed down the item pipeline: one candidate document, stored as a
    version pending processing."""

    run_id: int
    fetch_id: int
    url: str
    final_url: str
    status: int
    body: bytes
    referer: str | None
    fetched_at: str
    offered_as: str | None = None  # an attachment: "document" or "image"; referer offered it
    link_text: str | None = None  # the text of the link to the attachment


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
    offered_as: str | None = None  # an attachment: how it was offered ("document" or "image")


class Store:
    """Batched writer (and small reader) for the govcrawl SQLite file.

    The crawl's rows (fetches, bodies, pages, marks) are queued by the caller and written by a
    writer thread with its own connection, one transaction per batch, with prepared
    `executemany` statements; hashing and compressing bodies happen there too (both release
    the GIL), so the crawl's reactor thread only queues. `flush()` waits until everything queued
    is written; `flush_if_due()` and full batches hand over without waiting."""

    def __init__(
        self,
        path: str | Path,
        batch_size: int = 200,
        flush_seconds: float = 2.0,
        on_write_error: Callable[[str], None] | None = None,
    ):
        """on_write_error: told (from the writer thread) when a batch could not be written."""
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
        self._batch = Batch()
        self._last_flush = time.monotonic()
        self._writer: BatchWriter | None = None
        self.write_error: str | None = None  # the last failed write, while it stays failed
        self.counts: Counter[str] = Counter(dict.fromkeys(RUN_FIGURES, 0))  # this writer's RUN_FIGURES
        self.run_id: int | None = None  # the crawl run whose figures each batch brings up to date
        self.by_host: dict[str, Counter[str]] = {}  # requests and errors per host, for progress lines

    # -- runs ---------------------------------------------------------------------------------
    def start_run(self, site: str, code_version: str, settings: dict[str, Any], kind: str = "crawl") -> int:
        """kind: crawl (a `scrapy crawl`), process or reparse (stored bodies processed)."""
        with write_transaction(self.db):
            self.run_id = self.db.conn.execute(
                "INSERT INTO crawl_runs (run_uuid, kind, site, started_at, code_version, settings, status)"
                " VALUES (?, ?, ?, ?, ?, ?, 'running')",
                [
                    str(uuid.uuid4()),  # the run's identity across files (`govcrawl merge`)
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

    def abandon_unfinished_runs(self, kind: str = "crawl") -> int:
        """Runs of a kind still marked running, when none is: they were killed."""
        with write_transaction(self.db):
            return self.db.conn.execute(
                "UPDATE crawl_runs SET status = 'abandoned', finish_reason = 'killed'"
                " WHERE status = 'running' AND kind = ?",
                [kind],
            ).rowcount

    def link_resumed_run(self, run_id: int, resumed_from: int) -> None:
        with write_transaction(self.db):
            self.db["crawl_runs"].update(run_id, {"resumed_from": resumed_from})

    # -- the crawl's writes: queued here, written by the writer thread ------------------------
    def record_fetch(self, fetch: FetchRecord) -> int:
        """Queue one exchange; returns its id at once (ids are assigned here, not by SQLite)."""
        fetch_id = self._next_fetch_id
        self._next_fetch_id += 1
        self._batch.fetches.append((fetch_id, fetch))
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
        self._batch.fetch_errors.append((error, fetch_id))
        self.counts["errors"] += 1
        if url is not None:
            self.by_host.setdefault(urlsplit(url).hostname or "", Counter())["errors"] += 1
        self._maybe_flush()

    def mark_page(self, mark: PageMark) -> None:
        """Record a conditional re-request's answer: 304 unchanged, 404/410 gone."""
        self._batch.marks.append(mark)
        self._maybe_flush()

    def store_page(self, page: PageRecord) -> None:
        """Queue a page as its document's version, pending: `govcrawl process` makes its rows."""
        self._batch.pages.append(page)
        self._maybe_flush()

    def flush_if_due(self) -> None:
        """For a timer: write what waits once it is flush_seconds old, even if no row follows."""
        if time.monotonic() - self._last_flush >= self.flush_seconds:
            self._hand_over()

    def _maybe_flush(self) -> None:
        if len(self._batch) >= self.batch_size or time.monotonic() - self._last_flush >= self.flush_seconds:
            self._hand_over()

    def _hand_over(self) -> None:
        self._last_flush = time.monotonic()
        if not self._batch:
            return
        if self._writer is None:
            self._writer = BatchWriter(self)
        self._writer.submit(self._batch)
        self._batch = Batch()

    def flush(self) -> None:
        """Write everything queued and wait for it. If a write fails (disk full, file read-only,
        locked past the busy timeout), nothing of its batch is written, the batch stays with the
        writer and is tried again with the next one, and `write_error` says why."""
        if self._batch:
            self._hand_over()
        elif self._writer is not None and self._writer.unwritten:
            self._writer.submit(Batch())  # nothing new: try again what failed
        if self._writer is not None:
            self._writer.wait()

    def write_batches(self, conn: sqlite3.Connection, batches: list[Batch], hashed: HashedBodies) -> Counter[str]:
        """Write queued batches in the open transaction of `conn` (the writer thread's), their
        bodies hashed and compressed before it (`hashed_bodies`)."""
        changes: Counter[str] = Counter()
        fetches, hashes, pages = hashed.fetches, hashed.hashes, hashed.pages
        write_bodies(conn, hashed.compressed)
        conn.executemany(INSERT_FETCH, [fetch_row(fetch_id, fetch, hashes) for fetch_id, fetch in fetches])
        conn.executemany(APPEND_FETCH_ERROR, [e for batch in batches for e in batch.fetch_errors])
        for page, sha in pages:
            changes.update(write_page(conn, page, sha))
        for mark in (mark for batch in batches for mark in batch.marks):
            changes[write_mark(conn, mark)] += 1
        changes.pop(None, None)
        if self.run_id is not None:  # the running run's figures as of this batch (`govcrawl stats`)
            figures = self.counts + changes
            conn.execute(
                f"UPDATE crawl_runs SET {', '.join(f'{name} = ?' for name in RUN_FIGURES)} WHERE id = ?",
                [*(figures[name] for name in RUN_FIGURES), self.run_id],
            )
        return changes

    def write_failed(self, error: BaseException | None) -> None:
        """Told by the writer thread after each attempt: None when it succeeded."""
        if error is None:
            self.write_error = None
            return
        self.write_error = f"{type(error).__name__}: {error}"
        logger.error("could not write to %s: %s", self.path, self.write_error)
        if self.on_write_error:
            self.on_write_error(self.write_error)

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

    def unsettled_links(self) -> list[tuple[str, str | None]]:
        """(url, referer) of URLs asked for but never stored nor found dead: their last answer
        failed (a timeout, a 500, too large, a suspect 200) or they were not requested (a limit).
        The spider asks again for those that are attachments, whose offering page is not
        fetched again once stored."""
        return self.db.execute(
            # failed exchanges first (few), then whether each is its URL's last
            "SELECT url, referer FROM fetches f WHERE error IS NOT NULL AND (status IS NULL OR status NOT IN (404, 410))"
            " AND id = (SELECT max(id) FROM fetches g WHERE g.url = f.url) AND url NOT IN (SELECT url FROM documents)"
            " AND url NOT IN (SELECT requested_url FROM document_versions) ORDER BY id"
        ).fetchall()

    def revalidation_targets(self) -> list[Revalidation]:
        """Every stored document (gone ones too: they may come back) with the validators its
        current version was served with, and every dead link."""
        targets = []
        for url, headers, referer, offered_as in self.db.execute(
            "SELECT d.url, f.headers, v.referer,"
            " (SELECT min(offered_as) FROM document_links l WHERE l.document_id = d.id) FROM documents d"
            " JOIN document_versions v ON v.id = d.current_version_id LEFT JOIN fetches f ON f.id = v.fetch_id"
            f" UNION ALL SELECT url, NULL, referer, NULL FROM ({DEAD_LINKS})"
            " WHERE url NOT IN (SELECT url FROM documents) ORDER BY 1"
        ):
            served = {name.lower(): values[-1] for name, values in json.loads(headers or "{}").items() if values}
            targets.append(Revalidation(url, served.get("etag"), served.get("last-modified"), referer, offered_as))
        return targets

    # -- the process stage's writes: one transaction per batch of versions -------------------
    def write_processed(self, results: list[ProcessedResult], run_id: int | None = None) -> Counter[str]:
        """Store processing results in one transaction: each version's `document_texts`,
        `report_values` and `validations` land together (readers never see half a version),
        and the full-text index is brought up to date for the batch. A result that changes a
        processed version's rows adds a new version (`reprocessed_from`), the old one kept; an
        equal result of an older processor is relabelled. A result SQLite cannot hold (a value
        beyond 64 bits, a bug) leaves its version unparsed with the reason. A failure is also
        appended to the version's fetch row. Returns what happened, counted."""
        outcome: Counter[str] = Counter()
        with write_transaction(self.db):
            conn = self.db.conn
            written: list[tuple[int, ProcessedRows | PreparedRows]] = []
            relabelled: list[tuple[str, int]] = []
            for result in results:
                if not result.reprocessed:
                    written.append((result.version_id, result.rows))
                    outcome["processed"] += 1
                elif result.rows.text.get("result_sha256") == result.old_result_sha256:
                    relabelled.append((result.rows.text.get("processor_version"), result.version_id))
                    outcome["unchanged"] += 1
                else:
                    written.append((add_reprocessed_version(conn, result.version_id, run_id), result.rows))
                    outcome["changed"] += 1
            conn.executemany("UPDATE document_texts SET processor_version = ? WHERE version_id = ?", relabelled)
            failures = insert_processed(conn, written)
            for version_id, failure in failures:
                conn.execute(APPEND_FETCH_ERROR_OF_VERSION, [failure, version_id])
            outcome["unparsed"] = len(failures)
            write_figures(conn, [version_id for version_id, _ in written])  # the wide views' rows
            if written:
                ids = [version_id for version_id, _ in written]
                conn.execute(
                    "INSERT INTO document_texts_fts (rowid, title, text) SELECT version_id, title, text"
                    f" FROM document_texts WHERE version_id IN ({','.join('?' * len(ids))})",
                    ids,
                )
        return outcome

    def close(self) -> None:
        self.flush()
        if self._writer is not None:
            self._writer.stop()
        self.db.close()


@dataclass
class ProcessedResult:
    """A version processed by the stage: its new rows, and the digest of its stored result
    when it already had one (processed again: `--all` or an older processor)."""

    version_id: int
    rows: ProcessedRows | PreparedRows
    reprocessed: bool = False  # it had rows already
    old_result_sha256: str | None = None


@dataclass
class Batch:
    """Rows queued by the crawl between two writes."""

    fetches: list[tuple[int, FetchRecord]] = field(default_factory=list)
    fetch_errors: list[tuple[str, int]] = field(default_factory=list)
    pages: list[PageRecord] = field(default_factory=list)
    marks: list[PageMark] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.fetches) + len(self.pages) + len(self.marks) + len(self.fetch_errors)


MAX_QUEUED_BATCHES = 4


class BatchWriter:
    """The writer thread: batches in order, each write one transaction on its own connection.
    A failed write keeps its batches; they go again, first, with the next batch or flush."""

    def __init__(self, store: Store):
        self.store = store
        # Bounded: when the disk is slower than the crawl, handing over a batch waits for the
        # writer (back-pressure on the crawl) instead of piling raw bodies up in memory.
        self.queue: queue.Queue[Batch | None] = queue.Queue(maxsize=MAX_QUEUED_BATCHES)
        self.unwritten: list[Batch] = []
        self.thread = threading.Thread(target=self.run, name="govcrawl-store-writer", daemon=True)
        self.thread.start()

    def submit(self, batch: Batch) -> None:
        self.queue.put(batch)

    def wait(self) -> None:
        """Until every batch handed over has been tried."""
        self.queue.join()

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join()

    def run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while (batch := self.queue.get()) is not None:
                try:
                    self.unwritten.append(batch)
                    if not any(self.unwritten):
                        self.unwritten.clear()
                        continue
                    if conn is None:
                        conn = self.connect()
                    if conn is not None:
                        self.write(conn)
                finally:
                    self.queue.task_done()
            self.queue.task_done()  # the None that ended the loop
        finally:
            if conn is not None:
                conn.close()

    def connect(self) -> sqlite3.Connection | None:
        try:
            conn = sqlite3.connect(self.store.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as error:  # told like a failed write; tried again with the next batch
            self.store.write_failed(error)
            return None
        return conn

    def write(self, conn: sqlite3.Connection) -> None:
        try:
            hashed = hashed_bodies(conn, self.unwritten)  # before the lock: the stage writes too
            conn.execute("BEGIN IMMEDIATE")
            try:
                changes = self.store.write_batches(conn, self.unwritten, hashed)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            self.store.write_failed(error)
            return
        except Exception as error:  # a bug must not kill the thread: the batch is kept, the crawl told
            logger.exception("writing a batch failed")
            self.store.write_failed(error)
            return
        self.store.counts.update(changes)
        self.unwritten.clear()
        self.store.write_failed(None)


FETCH_COLUMNS = [name for name in ("id", "run_id", "url", "method", "status", "redirect_to", "headers",
                 "request_headers", "referer", "via", "fetched_at", "duration_ms", "body_sha256", "body_length",
                 "error", "raw_body_sha256", "browser_reason")]  # fmt: skip
INSERT_FETCH = f"INSERT INTO fetches ({', '.join(FETCH_COLUMNS)}) VALUES ({', '.join('?' * len(FETCH_COLUMNS))})"
APPEND_FETCH_ERROR = "UPDATE fetches SET error = coalesce(error || '; ', '') || ? WHERE id = ?"
APPEND_FETCH_ERROR_OF_VERSION = (
    "UPDATE fetches SET error = coalesce(error || '; ', '') || ?"
    " WHERE id = (SELECT fetch_id FROM document_versions WHERE id = ?)"
)


def fetch_row(fetch_id: int, fetch: FetchRecord, hashes: dict[int, str]) -> tuple:
    return (
        fetch_id, fetch.run_id, fetch.url, fetch.method, fetch.status, fetch.redirect_to,
        json.dumps(fetch.headers, ensure_ascii=False), json.dumps(fetch.request_headers, ensure_ascii=False),
        fetch.referer, fetch.via, fetch.fetched_at, fetch.duration_ms, hashes.get(fetch_id),
        len(fetch.body) if fetch.body is not None else None, fetch.error, hashes.get(-fetch_id),
        fetch.browser_reason,
    )  # fmt: skip


@dataclass
class HashedBodies:
    """A write's fetches and pages with their bodies' digests, and the bodies not yet stored,
    compressed: made before the write lock is taken, which is then held for the inserts only
    (the process stage writes beside the crawl and waits while the lock is held)."""

    fetches: list[tuple[int, FetchRecord]]
    hashes: dict[int, str]  # fetch id -> its body's digest (minus the id: its raw body's)
    pages: list[tuple[PageRecord, str]]
    compressed: list[tuple[str, int, bytes]]  # (sha256, length, zlib content) of new bodies


def hashed_bodies(conn: sqlite3.Connection, batches: list[Batch]) -> HashedBodies:
    """Hash every body of the batches once, and compress those `bodies` does not hold yet."""
    fetches = [(fetch_id, fetch) for batch in batches for fetch_id, fetch in batch.fetches]
    hashes = {fetch_id: body_hash(fetch.body) for fetch_id, fetch in fetches if fetch.body}
    bodies: dict[str, bytes] = {}
    for fetch_id, fetch in fetches:
        if fetch.body:
            bodies.setdefault(hashes[fetch_id], fetch.body)
        if fetch.raw_body is not None:
            hashes[-fetch_id] = body_hash(fetch.raw_body)
            bodies.setdefault(hashes[-fetch_id], fetch.raw_body)
    bodies_of_fetches = {fetch_id: fetch.body for fetch_id, fetch in fetches}
    pages = []
    for page in (page for batch in batches for page in batch.pages):
        # the body was hashed with its fetch when it is the same bytes (it nearly always is)
        same = bodies_of_fetches.get(page.fetch_id) is page.body
        sha = hashes[page.fetch_id] if same and page.fetch_id in hashes else body_hash(page.body)
        bodies.setdefault(sha, page.body)
        pages.append((page, sha))
    known: set[str] = set()
    shas = list(bodies)
    for start in range(0, len(shas), 500):
        chunk = shas[start : start + 500]
        known.update(
            sha for (sha,) in conn.execute(f"SELECT sha256 FROM bodies WHERE sha256 IN ({','.join('?' * len(chunk))})", chunk)
        )
    compressed = [(sha, len(body), zlib.compress(body, 6)) for sha, body in bodies.items() if sha not in known]
    return HashedBodies(fetches, hashes, pages, compressed)


def write_bodies(conn: sqlite3.Connection, compressed: list[tuple[str, int, bytes]]) -> None:
    """New bodies, compressed once each; one stored since they were looked up is left as it is."""
    conn.executemany(
        "INSERT OR IGNORE INTO bodies (sha256, length, compression, content) VALUES (?, ?, 'zlib', ?)", compressed
    )


def write_page(conn: sqlite3.Connection, page: PageRecord, sha: str) -> list[str]:
    """Store a fetched page as its document's (pending) version; returns what changed
    (new_documents, new_versions, unchanged)."""
    row = conn.execute("SELECT id, current_version_id FROM documents WHERE url = ?", [page.final_url]).fetchone()
    changes = []
    if row is None:
        document_id = conn.execute(
            "INSERT INTO documents (url, first_seen_run, first_seen_at, last_seen_run, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [page.final_url, page.run_id, page.fetched_at, page.run_id, page.fetched_at],
        ).lastrowid
        current_sha = None
        changes.append("new_documents")
    else:
        document_id = row[0]
        current_sha = conn.execute("SELECT body_sha256 FROM document_versions WHERE id = ?", [row[1]]).fetchone()[0]
        seen(conn, document_id, page.run_id, page.fetched_at)
    if page.offered_as is not None and page.referer:
        link_attachment(conn, document_id, page)
    if current_sha == sha:
        return ["unchanged"]
    version_id = conn.execute(
        "INSERT INTO document_versions (document_id, body_sha256, fetch_id, run_id, requested_url,"
        " final_url, status, referer, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [document_id, sha, page.fetch_id, page.run_id, page.url, page.final_url, page.status, page.referer,
         page.fetched_at],
    ).lastrowid  # fmt: skip
    conn.execute("UPDATE documents SET current_version_id = ? WHERE id = ?", [version_id, document_id])
    return [*changes, "new_versions"]


def link_attachment(conn: sqlite3.Connection, document_id: int, page: PageRecord) -> None:
    """Link an attachment's document to the page that offered it (once per page; the page's
    document too when it is one: an article; a list page is none)."""
    conn.execute(
        "INSERT OR IGNORE INTO document_links (document_id, offered_by, offered_by_document_id, offered_as,"
        " link_text, run_id, found_at) VALUES (?, ?, (SELECT id FROM documents WHERE url = ?), ?, ?, ?, ?)",
        [document_id, page.referer, page.referer, page.offered_as, page.link_text, page.run_id, page.fetched_at],
    )


def seen(conn: sqlite3.Connection, document_id: int, run_id: int, fetched_at: str) -> None:
    """The document answered: it is not (or no longer) gone."""
    conn.execute(
        "UPDATE documents SET last_seen_run = ?, last_seen_at = ?, gone_at = NULL, gone_run = NULL,"
        " gone_status = NULL WHERE id = ?",
        [run_id, fetched_at, document_id],
    )


def write_mark(conn: sqlite3.Connection, mark: PageMark) -> str | None:
    row = conn.execute("SELECT id, gone_at FROM documents WHERE url = ?", [mark.url]).fetchone()
    if row is None:
        return None  # a dead link that never gave a document: its fetch row says so
    if mark.status == 304:
        seen(conn, row[0], mark.run_id, mark.fetched_at)
        return "unchanged"
    if row[1] is not None:
        return None  # gone already
    conn.execute(
        "UPDATE documents SET gone_at = ?, gone_run = ?, gone_status = ? WHERE id = ?",
        [mark.fetched_at, mark.run_id, mark.status, row[0]],
    )
    return "gone"


def add_reprocessed_version(conn: sqlite3.Connection, version_id: int, run_id: int | None) -> int:
    """A new version of a document from the same stored bytes, processed again: the old
    version and its rows stay, the document points at the new one."""
    new_id = conn.execute(
        "INSERT INTO document_versions (document_id, body_sha256, fetch_id, run_id, requested_url,"
        " final_url, status, referer, fetched_at, reprocessed_from)"
        " SELECT document_id, body_sha256, fetch_id, ?, requested_url, final_url, status, referer,"
        " fetched_at, id FROM document_versions WHERE id = ?",
        [run_id, version_id],
    ).lastrowid
    conn.execute(
        "UPDATE documents SET current_version_id = ? WHERE id = (SELECT document_id FROM document_versions WHERE id = ?)",
        [new_id, new_id],
    )
    return new_id


# Errors of a result SQLite cannot hold: that version is stored unparsed, the batch goes on.
UNWRITABLE = (OverflowError, ValueError, TypeError, sqlite3.InterfaceError, sqlite3.DataError,
              sqlite3.IntegrityError, sqlite3.ProgrammingError)  # fmt: skip


def insert_processed(
    conn: sqlite3.Connection, written: list[tuple[int, ProcessedRows | PreparedRows]]
) -> list[tuple[int, str]]:
    """Insert versions' rows with one `executemany` per table; when the batch cannot be
    written, each version on its own, the unwritable ones unparsed. Returns (version, failure)
    of every version stored unparsed."""
    conn.execute("SAVEPOINT processed_batch")
    try:
        insert_rows(conn, written)
        conn.execute("RELEASE processed_batch")
        return [(version_id, rows.failure) for version_id, rows in written if rows.failure]
    except UNWRITABLE:
        conn.execute("ROLLBACK TO processed_batch")
        conn.execute("RELEASE processed_batch")
    failures = []
    for version_id, rows in written:
        conn.execute("SAVEPOINT processed_version")
        try:
            insert_rows(conn, [(version_id, rows)])
        except UNWRITABLE as error:
            conn.execute("ROLLBACK TO processed_version")
            rows = ProcessedRows.failed(processing_failure(error), rows.text.get("processor_version"))
            logger.error("%s in version %d (stored unparsed)", rows.failure, version_id)
            insert_rows(conn, [(version_id, rows)])
        conn.execute("RELEASE processed_version")
        if rows.failure:
            failures.append((version_id, rows.failure))
    return failures


def columns_of(table: str) -> list[str]:
    return [name for name in TABLES[table][0] if name not in ("id", "version_id")]


@dataclass
class PreparedRows:
    """ProcessedRows as the tuples the inserts take, column by column: made where the rows are
    made (a process stage worker), so the one writing process only writes."""

    text: dict[str, Any]  # the document_texts row, as a dict still (its digest and processor)
    tables: dict[str, list[tuple]]
    failure: str | None = None


PROCESSED_TABLES = ("document_texts", "report_values", "validations", "report_fingerprints")


def prepare(rows: ProcessedRows) -> PreparedRows:
    """Tuples in TABLES' column order; a key no column takes is an error (ValueError), not a
    silent loss."""
    tables = {}
    every = ([rows.text], rows.values, rows.validations, rows.fingerprints)
    for table, dicts in zip(PROCESSED_TABLES, every, strict=True):
        columns = columns_of(table)
        unknown = set().union(*dicts) - set(columns)
        if unknown:
            raise ValueError(f"{table} has no column {', '.join(sorted(unknown))}")
        tables[table] = [tuple(map(row.get, columns)) for row in dicts]
    return PreparedRows(rows.text, tables, rows.failure)


def insert_sql(table: str) -> str:
    columns = columns_of(table)
    return f"INSERT INTO {table} (version_id, {', '.join(columns)}) VALUES (?{', ?' * len(columns)})"


def insert_rows(conn: sqlite3.Connection, written: list[tuple[int, ProcessedRows | PreparedRows]]) -> None:
    prepared = [(version_id, rows if isinstance(rows, PreparedRows) else prepare(rows)) for version_id, rows in written]
    for table in PROCESSED_TABLES:
        conn.executemany(
            insert_sql(table), [(version_id, *row) for version_id, rows in prepared for row in rows.tables[table]]
        )


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
         "code_version": str, "settings": str, "stats": str, "run_uuid": str},
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
    "document_links": (
        {"id": int, "document_id": int, "offered_by": str, "offered_by_document_id": int, "offered_as": str,
         "link_text": str, "run_id": int, "found_at": str},
        "id",
        [("document_id", "documents", "id"), ("offered_by_document_id", "documents", "id"),
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
         "row_label": str, "col_label": str, "raw": str, "page": int, "bbox": str, "sheet": str},
        "id",
        [("version_id", "document_versions", "id")],
    ),
    "validations": (
        {"id": int, "version_id": int, "rule": str, "subject": str, "ok": int, "expected": float,
         "actual": float, "expression": str, "strict": int},
        "id",
        [("version_id", "document_versions", "id")],
    ),
    # pipelines.fingerprint: what a report version is, de-garbled (numbers: JSON key -> value;
    # sketch: JSON list of the text's bottom-k shingle hashes)
    "report_fingerprints": (
        {"version_id": int, "agency_key": str, "report_year": int, "numbers": str, "numbers_digest": str,
         "sketch": str, "shingles": int, "tables_intact": int},
        "version_id",
        [("version_id", "document_versions", "id")],
    ),
    # pipelines.copies: every current report document and the report it is (report_id: the
    # document standing as the original; rank 0 is the original itself), rebuilt by each stage run
    "copy_links": (
        {"document_id": int, "report_id": int, "rank": int, "official": int, "reason": str,
         "shared_numbers": int, "text_similarity": float, "linked_at": str},
        "document_id",
        [("document_id", "documents", "id"), ("report_id", "documents", "id")],
    ),
}  # fmt: skip
INDEXES = [
    ("crawl_runs", ["run_uuid"], True),
    ("fetches", ["url"], False),
    ("fetches", ["body_sha256"], False),
    ("fetches", ["run_id"], False),
    ("documents", ["url"], True),
    ("document_versions", ["document_id"], False),
    ("document_versions", ["body_sha256"], False),
    ("document_links", ["document_id", "offered_by"], True),
    ("document_links", ["offered_by_document_id"], False),
    ("report_values", ["version_id", "key"], False),
    ("validations", ["version_id"], False),
    ("report_fingerprints", ["report_year", "agency_key"], False),
    ("copy_links", ["report_id"], False),
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
        # trigram: Chinese has no spaces, so a word tokenizer would index whole sentences.
        # No triggers: Store.write_processed adds each batch's rows to the index at once.
        db["document_texts"].enable_fts(["title", "text"], create_triggers=False, tokenize="trigram")
    for trigger in ("document_texts_ai", "document_texts_ad", "document_texts_au"):  # schema 3 had them
        db.execute(f"DROP TRIGGER IF EXISTS [{trigger}]")
    # Schema 4 also indexed values by key alone: a third of the process stage's write cost (each
    # report's ~150 keys land all over that index), for no view or canned query (they go by
    # version, then key).
    db.execute("DROP INDEX IF EXISTS [idx_report_values_key]")
    create_views(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
