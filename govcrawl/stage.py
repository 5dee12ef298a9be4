"""`govcrawl process`: the process stage, every stored version's rows made in a process pool.

The crawl stores versions pending (no `document_texts` row). This stage takes every version
with no result of the current PROCESSOR_VERSION (a result: the version's `document_texts`
row, whose `processor_version` says which processor made it), runs
`pipelines.process.process_body` over its stored bytes in worker processes, one per core by
default, and writes the rows in batches, each batch one transaction (Store.write_processed).
With `all_versions` (`--all`, and the old `reparse`), every current version is processed
again; where the result changed, a new version with `reprocessed_from` is added and the old
one kept.

Every page runs under a time limit (the task is cancelled and its worker replaced; a task
of several pages that fails has each of its pages processed again alone, see TASK_PAGES) and a
memory limit (RLIMIT_AS in the worker, so a runaway page meets MemoryError instead of the OOM
killer). A page over a limit, or whose worker died, is stored unparsed with the reason
(`limit: …`, `processing failed: …`) and the stage goes on. The pool is pebble's ProcessPool,
which gives per-task timeouts and replaces dead or timed-out workers; the standard library's
pool has neither (one dead worker breaks it).

With `follow`, the stage keeps taking versions as they land while a crawl holds the
database's crawl lock, then takes what the crawl left, drains and exits. One stage at a time
per database: a second waits for the first (its lock is `<db>.process.lock`). A stage killed
at any point leaves the versions it had not written pending; the next run does them.
"""

from __future__ import annotations

import fcntl
import json
import logging
import multiprocessing
import os
import queue
import resource
import sqlite3
import time
from collections import Counter, deque
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path

from pebble import ProcessExpired, ProcessPool

import pipelines.process
from govcrawl import code_version
from govcrawl.profiles import available_profiles, load_profile
from pipelines.collector import collect_less
from pipelines.copies import is_official_host, relink
from pipelines.encoding import content_type_of
from pipelines.process import PROCESSOR_VERSION, process_body
from pipelines.store import (
    PreparedRows,
    ProcessedResult,
    ProcessedRows,
    Store,
    prepare,
    processing_failure,
    read_body,
    write_transaction,
)

logger = logging.getLogger(__name__)

# Beside a crawl the stage (its workers inherit it) yields the CPU to the crawl, which fetches
# on a schedule and must not slow down; processing takes what the crawl leaves and catches up
# once it ends.
BESIDE_A_CRAWL_NICENESS = 10
DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY_MB = 1024
BATCH_VERSIONS = 100  # versions per write transaction
BATCH_SECONDS = 1.0  # or fewer, once the oldest waits this long
POLL_SECONDS = 0.5  # with follow: how often to look for versions the crawl added
TASKS_PER_WORKER = 32  # pages queued ahead, so the workers stay busy while a batch is written
# Pages (HTML or text) go to a worker this many to a task: a task costs the stage's parent
# about 0.3 ms to send, receive and track, as much as writing a page's rows, and a page takes
# a worker 5 ms. A task holding several pages has one page's time limit; when it fails (over
# the limit, its worker dead), each of its pages is processed again alone, so a limit is only
# ever recorded against the page that hit it. Files (PDF, Office, images) go one to a task:
# reading one can take seconds.
TASK_PAGES = 8


@dataclass
class Work:
    """A version to process: where its bytes are, and its stored result when it has one."""

    version_id: int
    body_sha256: str
    content_type: str | None
    reprocessed: bool = False
    old_result_sha256: str | None = None
    url: str | None = None  # the document's URL: evidence for its metadata
    alone: bool = False  # in a task of its own: its task with other pages failed

    def shares_a_task(self) -> bool:
        """A page (served as text or HTML) may be processed in one task with others."""
        return not self.alone and (self.content_type or "").startswith("text/")


PENDING = """
SELECT v.id, v.body_sha256, f.headers, d.url FROM document_versions v
JOIN documents d ON d.id = v.document_id
LEFT JOIN document_texts t ON t.version_id = v.id LEFT JOIN fetches f ON f.id = v.fetch_id
WHERE t.version_id IS NULL AND v.id > ? ORDER BY v.id
"""
# Current versions processed by another processor (or, for --all, every current version).
PROCESSED_AGAIN = """
SELECT v.id, v.body_sha256, f.headers, t.result_sha256, d.url FROM documents d
JOIN document_versions v ON v.id = d.current_version_id JOIN document_texts t ON t.version_id = v.id
LEFT JOIN fetches f ON f.id = v.fetch_id
WHERE ? OR t.processor_version IS NOT ? ORDER BY v.id
"""
COUNT_PENDING = """
SELECT (SELECT count(*) FROM document_versions v LEFT JOIN document_texts t ON t.version_id = v.id
        WHERE t.version_id IS NULL),
       (SELECT count(*) FROM documents d JOIN document_texts t ON t.version_id = d.current_version_id
        WHERE t.processor_version IS NOT ?)
"""


def pending_counts(db) -> tuple[int, int]:
    """(versions never processed, current versions processed by an older processor)."""
    return tuple(db.execute(COUNT_PENDING, [PROCESSOR_VERSION]).fetchone())


def content_type(headers: str | None) -> str | None:
    return content_type_of(json.loads(headers or "{}"))


def pending(db, after: int) -> list[Work]:
    return [Work(v, sha, content_type(headers), url=url) for v, sha, headers, url in db.execute(PENDING, [after])]


def processed_again(db, all_versions: bool) -> list[Work]:
    return [
        Work(v, sha, content_type(headers), True, old, url)
        for v, sha, headers, old, url in db.execute(PROCESSED_AGAIN, [all_versions, PROCESSOR_VERSION])
    ]


# -- the worker side -------------------------------------------------------------------------
_connections: dict[str, sqlite3.Connection] = {}
_limit: dict[str, int] = {}  # this worker's address-space limit, once set


def peak_address_space() -> int:
    """The worker's largest address space so far (VmPeak), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    return 0


def near_the_limit(peak_before: int) -> bool:
    """Did this page take the address space to the last quarter of its allowance? A page that
    runs out fails in whatever allocated last: MemoryError in Python, but an XMLSyntaxError in
    libxml2 or an ImportError in a lazy import, so the exception alone does not tell."""
    limit = _limit.get("bytes")
    if not limit:
        return False
    peak = peak_address_space()
    return peak > peak_before and limit - peak < (limit - peak_before) / 4


# A page that makes processing load what it loads lazily (OpenCC's dictionaries for the
# Traditional characters, the mojibake tables for the garbled run), so that no page meets the
# memory limit while importing a library: that fails as an ImportError, not as the page's
# MemoryError. All but jieba's word frequencies (about 70 MB of address space), which only a
# page whose garbled text lost bytes needs (pipelines.mojibake): loading them in every worker
# (or in the parent before forking) costs each stage run a second of CPU, and most runs meet no
# such page. So the first such page of a worker is charged with them: under a
# GOVCRAWL_PROCESS_MEMORY_MB below about 100, it is stored over the limit.
WARM_UP_PAGE = "<html><body><p>政府資訊公開工作年度報告 鏀垮簻淇℃伅鍏紑</p></body></html>".encode()


def limit_memory(memory_mb: int) -> None:
    """Pool initializer: this worker's address space may grow by memory_mb over its start
    (measured once the processing libraries are loaded)."""
    pipelines.process.process_body(WARM_UP_PAGE, "text/html; charset=utf-8")
    pipelines.process.settle_worker()
    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + memory_mb * 2**20
    _limit["bytes"] = limit
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def process_stored(
    path: str,
    sha: str,
    content_type: str | None,
    memory_mb: int,
    old_result_sha256: str | None = None,
    url: str | None = None,
) -> PreparedRows:
    """In a worker: one version's rows from its stored bytes (read here, not sent over a pipe),
    as the tuples the inserts take; only the digest when it equals the stored result's."""
    rows = processed_rows(path, sha, content_type, memory_mb, url)
    digest = rows.text.get("result_sha256")
    if old_result_sha256 is not None and digest == old_result_sha256:  # unchanged: nothing to send
        return PreparedRows({"result_sha256": digest, "processor_version": rows.text.get("processor_version")}, {})
    try:
        return prepare(rows)
    except (ValueError, MemoryError) as error:  # a key no column takes: stored unparsed with why
        return prepare(ProcessedRows.failed(processing_failure(error), PROCESSOR_VERSION))


def process_stored_pages(path: str, pages: list[tuple], memory_mb: int) -> list[PreparedRows]:
    """In a worker: `process_stored` of several versions, (sha, content type, old result
    digest, url) each, in one task."""
    return [process_stored(path, sha, content_type, memory_mb, old, url) for sha, content_type, old, url in pages]


def processed_rows(
    path: str, sha: str, content_type: str | None, memory_mb: int, url: str | None = None
) -> ProcessedRows:
    if path not in _connections:
        _connections[path] = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    peak_before = peak_address_space()
    try:
        rows = process_body(read_body(_connections[path], sha), content_type, url)
    except MemoryError:
        rows = ProcessedRows.failed("processing failed: MemoryError", PROCESSOR_VERSION)
    if ran_out_of_memory((rows.failure or "") + rows.text.get("problems", ""), peak_before):
        return ProcessedRows.failed(memory_limit(memory_mb), PROCESSOR_VERSION)
    return rows


def ran_out_of_memory(problems: str, peak_before: int) -> bool:
    """Whether a page's processing failed for want of memory: a MemoryError, or a failure of
    whatever allocated last while the address space neared its limit (near_the_limit)."""
    return "processing failed: " in problems and (
        "processing failed: MemoryError" in problems or near_the_limit(peak_before)
    )


def memory_limit(memory_mb: int) -> str:
    return f"limit: processing needed more than GOVCRAWL_PROCESS_MEMORY_MB ({memory_mb} MB) of memory"


# -- the stage -------------------------------------------------------------------------------
class PagePool:
    """Pages processed in worker processes, each under the time and memory limits."""

    def __init__(self, path: Path, workers: int, timeout: float, memory_mb: int):
        self.path, self.timeout, self.memory_mb = str(path), timeout, memory_mb
        self.workers = workers
        self.pool = ProcessPool(
            max_workers=workers,
            initializer=limit_memory,
            initargs=(memory_mb,),
            context=multiprocessing.get_context("fork"),  # workers share the parent's loaded modules
        )

    def submit(self, works: list[Work]) -> Future:
        """One task: a version, or several pages (TASK_PAGES)."""
        pages = [(work.body_sha256, work.content_type, work.old_result_sha256, work.url) for work in works]
        return self.pool.schedule(process_stored_pages, (self.path, pages, self.memory_mb), timeout=self.timeout)

    def rows(self, future: Future, works: list[Work]) -> list[PreparedRows | ProcessedRows] | None:
        """Each version's rows, or why it has none: a limit hit, its worker gone, an error.
        None when a task of several pages failed: each is to be processed again alone."""
        try:
            return future.result()
        except TimeoutError:
            failure = f"limit: processing took more than GOVCRAWL_PROCESS_TIMEOUT ({self.timeout:g} s)"
        except ProcessExpired as error:
            failure = f"processing failed: its worker died (exit code {error.exitcode})"
        except MemoryError:
            failure = memory_limit(self.memory_mb)
        except Exception as error:  # e.g. a result that could not be sent back
            failure = processing_failure(error)
        if len(works) > 1:
            logger.warning("%s in a task of %d pages: each is processed again alone", failure, len(works))
            return None
        logger.error("%s: version %d stored unparsed", failure, works[0].version_id)
        return [ProcessedRows.failed(failure, PROCESSOR_VERSION)]

    def close(self) -> None:
        self.pool.stop()
        self.pool.join(timeout=30)


def portal_hosts() -> set[str]:
    """Hosts of the portal profiles: where agencies publish. A profile marked `copies: true`
    crawls hosts that republish other portals' reports, so its hosts are not among them."""
    profiles = [load_profile(name) for name in available_profiles()]
    return {host for profile in profiles if not profile.copies for host in profile.allowed_hosts}


def official_host(host: str) -> bool:
    """Whether a report on this host is its agency's own publication (pipelines.copies)."""
    if "hosts" not in _portal_hosts:
        _portal_hosts["hosts"] = portal_hosts()
    return is_official_host(host, _portal_hosts["hosts"])


_portal_hosts: dict[str, set[str]] = {}


def link_copies(store: Store) -> dict[str, int]:
    """Copies linked to their originals over every stored report (pipelines.copies): one
    transaction, re-runnable and order-free. A bug in linking is logged and leaves the links
    as they were; the versions processed stay processed."""
    try:
        with write_transaction(store.db):
            return relink(store.db.conn, official_host)
    except sqlite3.Error:
        raise
    except Exception:
        logger.exception("linking copies to their originals failed; the links are those of the last run")
        return {}


def lock_stage(path: Path):
    """One stage per database: wait for one already running (the OS drops the lock with it)."""
    handle = open(f"{path}.process.lock", "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        logger.warning("another process stage is working on %s; waiting for it", path)
        fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def crawl_running(path: Path) -> bool:
    """Whether a crawl holds the database's crawl lock (govcrawl.recorder.lock_database); a
    shared probe, dropped at once."""
    try:
        handle = open(f"{path}.lock")
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


@dataclass
class StageSettings:
    workers: int = 0  # 0: one per core
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    batch_versions: int = BATCH_VERSIONS
    poll_seconds: float = POLL_SECONDS


def run_stage(
    path: str | Path, *, all_versions: bool = False, follow: bool = False, settings: StageSettings | None = None
) -> dict:
    """Process what is pending (or, all_versions, every current version); see the module doc."""
    path, settings = Path(path), settings or StageSettings()
    workers = settings.workers or os.cpu_count() or 1
    if follow:
        os.nice(BESIDE_A_CRAWL_NICENESS)
    lock = lock_stage(path)
    store = Store(path)
    collect_less()  # its batches of rows are containers by the hundred thousand (pipelines.collector)
    kind = "reparse" if all_versions else "process"
    store.abandon_unfinished_runs(kind)  # we hold the stage lock: none is running
    recorded = {"processor_version": PROCESSOR_VERSION, "workers": workers, "timeout": settings.timeout,
                "memory_mb": settings.memory_mb, "all": all_versions, "follow": follow}  # fmt: skip
    run_id = store.start_run(kind, code_version(), recorded, kind=kind)
    counts: Counter[str] = Counter()
    failure, reason = None, "finished"
    pool = PagePool(path, workers, settings.timeout, settings.memory_mb)
    try:
        drain(store, pool, run_id, counts, all_versions, follow, settings)
        counts.update(link_copies(store))
    except sqlite3.Error as error:
        failure, reason = f"the database could not be written: {type(error).__name__}: {error}", "database_unwritable"
        logger.error("process run #%d failed: %s", run_id, failure)
    except KeyboardInterrupt:
        failure, reason = "interrupted before the end; run `govcrawl process` again", "shutdown"
    finally:
        pool.close()
    store.counts.update(
        {"new_versions": counts["changed"], "unchanged": counts["unchanged"], "errors": counts["unparsed"]}
    )
    summary = {"run_id": run_id, "versions": sum(counts[k] for k in ("processed", "changed", "unchanged")),
               **{k: counts[k] for k in ("processed", "changed", "unchanged", "unparsed", "reports", "copies")},
               "failure": failure}  # fmt: skip
    store.finish_run(run_id, reason, summary, failure)
    summary["pending"] = sum(pending_counts(store.db))
    store.close()
    lock.close()
    return summary


def next_task(todo: deque[Work]) -> list[Work]:
    """The versions of the next task, taken from the front of `todo`: the first alone, or
    with the pages after it (TASK_PAGES)."""
    works = [todo.popleft()]
    while works[0].shares_a_task() and todo and len(works) < TASK_PAGES and todo[0].shares_a_task():
        works.append(todo.popleft())
    return works


def finished_futures(finished: queue.SimpleQueue, timeout: float) -> list[Future]:
    """The futures finished so far, waiting up to `timeout` for the first."""
    try:
        done = [finished.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            done.append(finished.get_nowait())
        except queue.Empty:
            return done


def drain(
    store: Store, pool: PagePool, run_id: int, counts: Counter, all_versions: bool, follow: bool,
    settings: StageSettings,
) -> None:  # fmt: skip
    """Feed the pool and write its results in batches until nothing is left (and, following,
    no crawl runs any more)."""
    todo: deque[Work] = deque(processed_again(store.db, all_versions))
    high_water = 0
    in_flight: dict[Future, list[Work]] = {}
    pages_in_flight = 0
    # Finished futures arrive here (a done-callback each), so taking one costs the same however
    # many are in flight; concurrent.futures.wait() sets up and tears down a waiter on each.
    finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
    results: list[ProcessedResult] = []
    oldest = time.monotonic()
    last_look = 0.0
    crawl_over = False

    def look() -> None:
        nonlocal high_water, last_look, crawl_over
        crawl_over = not follow or not crawl_running(store.path)  # before the look: nothing slips by
        fresh = pending(store.db, high_water)
        if fresh:
            high_water = fresh[-1].version_id
            todo.extend(fresh)
        last_look = time.monotonic()

    def write() -> None:
        nonlocal oldest
        if results:
            counts.update(store.write_processed(results, run_id))
            results.clear()
        oldest = time.monotonic()

    look()
    while True:
        if follow and not crawl_over and len(todo) < pool.workers * TASKS_PER_WORKER and time.monotonic() - last_look >= settings.poll_seconds:
            look()
        while todo and pages_in_flight < pool.workers * TASKS_PER_WORKER:
            works = next_task(todo)
            future = pool.submit(works)
            in_flight[future] = works
            pages_in_flight += len(works)
            future.add_done_callback(finished.put)
        if not in_flight and not todo:
            write()
            if crawl_over:
                return
            time.sleep(max(0.0, settings.poll_seconds - (time.monotonic() - last_look)))
            look()
            continue
        for future in finished_futures(finished, settings.poll_seconds):
            works = in_flight.pop(future)
            pages_in_flight -= len(works)
            rows = pool.rows(future, works)
            if rows is None:  # first in line again, each in a task of its own
                todo.extendleft(replace(work, alone=True) for work in reversed(works))
                continue
            if not results:
                oldest = time.monotonic()
            results += [ProcessedResult(w.version_id, r, w.reprocessed, w.old_result_sha256) for w, r in zip(works, rows, strict=True)]
        if len(results) >= settings.batch_versions or time.monotonic() - oldest >= BATCH_SECONDS:
            write()
