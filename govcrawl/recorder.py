"""The crawl's link to the store: one Store and one `crawl_runs` row per crawl.

A Scrapy extension, so the fetch-recording middleware and the item pipeline share the same
Store; it opens the run when the spider opens and closes it with the crawl's figures and,
when the run failed, why (the `crawl` command turns that into the exit status). One crawl
at a time writes a database: a second one is refused while the first holds the lock.

While the run lasts, a timer writes the Store's batch every GOVCRAWL_FLUSH_SECONDS even when
no further row arrives (a crash loses at most those seconds; `govcrawl stats` sees the run's
figures as they are written), and the run's log goes to a file of its own,
<GOVCRAWL_LOG_DIR or the database's directory/logs>/run-<id>.log.

With GOVCRAWL_PROCESS_BESIDE (the default), the run also starts the process stage,
`govcrawl process --follow`, as a child once it holds the crawl lock: the stage processes the
versions as they land and, when the crawl has released the lock at its close, what is left.
The `crawl` command waits for it, so a run (by `make crawl`, or `scrapy crawl` from cron)
ends with a fully processed database. A graceful shutdown stops the stage too (SIGTERM: it
writes what it has and exits; the rest stays pending for the next run).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import IO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro

from govcrawl import code_version
from govcrawl.run_origin import mixed_origin
from pipelines.store import Store

logger = logging.getLogger(__name__)

# Settings copied into crawl_runs.settings: what shapes a crawl's result and politeness.
RECORDED_SETTINGS = (
    "GOVCRAWL_DB",
    "GOVCRAWL_PROXY",
    "GOVCRAWL_REPLICA",
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "AUTOTHROTTLE_ENABLED",
    "DOWNLOAD_DELAY",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "RETRY_TIMES",
    "DOWNLOAD_TIMEOUT",
    "GOVCRAWL_MAX_ERROR_RATE",
    "GOVCRAWL_MAX_LIST_PAGES",
    "GOVCRAWL_MAX_ATTACHMENT_BYTES",
    "GOVCRAWL_MAX_ATTACHMENTS_PER_PAGE",
    "JOBDIR",
)
DEFAULT_FLUSH_SECONDS = 2.0


class CrawlRefused(RuntimeError):
    """The crawl cannot start: its database is locked by another crawl or cannot be written."""


def lock_database(path: str | Path) -> IO:
    """Hold an exclusive lock beside the database for the life of the process (the OS drops
    it when the process dies, even by SIGKILL), so that overlapping scheduled runs cannot
    interleave their writes."""
    handle = open(f"{path}.lock", "a")  # kept open: the lock lives as long as the handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise CrawlRefused(f"another crawl is writing {path}; not starting a second one") from None
    return handle


def run_failure(
    finish_reason: str, list_pages: int, requests: int, errors: int, write_error: str | None, max_error_rate: float
) -> str | None:
    """Why a finished crawl counts as failed, for a scheduler: Scrapy itself exits 0 even then."""
    if write_error:
        return f"the database could not be written: {write_error}"
    if finish_reason == "shutdown":
        return "interrupted before the end; run again (with the same JOBDIR to resume)"
    if finish_reason != "finished":
        return f"the crawl ended early: {finish_reason}"
    if not list_pages:
        return "no list page was reachable"
    if requests and errors / requests > max_error_rate:
        return f"{errors} of {requests} requests failed, more than {max_error_rate:.1%}"
    return None


class CrawlRecorder:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        path = crawler.settings.get("GOVCRAWL_DB")
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.lock = lock_database(path)
            self.store = Store(
                path,
                batch_size=crawler.settings.getint("GOVCRAWL_BATCH_SIZE", 200),
                flush_seconds=crawler.settings.getfloat("GOVCRAWL_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS),
                on_write_error=self.write_failed,
            )
            if why := mixed_origin(self.store.db.conn, crawler.settings.getbool("GOVCRAWL_REPLICA")):
                raise CrawlRefused(f"not crawling into {path}: {why}")
        except (OSError, sqlite3.Error) as error:
            raise CrawlRefused(f"cannot write the database {path}: {error}") from error
        self.run_id: int | None = None
        self.failure: str | None = None
        self.flush_timer = None
        self.log_handler: logging.Handler | None = None
        self.stage: subprocess.Popen | None = None  # the process stage beside the crawl
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRecorder:
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlRecorder:
        for extension in crawler.extensions.middlewares:
            if isinstance(extension, cls):
                return extension
        raise RuntimeError("govcrawl.recorder.CrawlRecorder is not enabled in EXTENSIONS")

    def spider_opened(self, spider) -> None:
        abandoned = self.store.abandon_unfinished_runs()  # we hold the lock: no crawl is running
        if abandoned:
            logger.warning("%d earlier crawl run(s) had been killed; their committed batches are kept", abandoned)
        settings = {name: self.crawler.settings.get(name) for name in RECORDED_SETTINGS}
        settings["spider_arguments"] = getattr(spider, "arguments", {})
        self.run_id = self.store.start_run(getattr(spider, "site", spider.name), code_version(), settings)
        spider.run_id = self.run_id
        self.log_handler = self.open_run_log()
        self.flush_timer = create_looping_call(self.store.flush_if_due)
        self.flush_timer.start(self.store.flush_seconds, now=False)
        if self.crawler.settings.getbool("GOVCRAWL_PROCESS_BESIDE"):
            self.stage = self.start_stage()

    def start_stage(self) -> subprocess.Popen:
        """`govcrawl process --follow` on this database, with this crawl's stage settings."""
        settings = self.crawler.settings
        env = {**os.environ}
        for name in ("GOVCRAWL_PROCESS_WORKERS", "GOVCRAWL_PROCESS_TIMEOUT", "GOVCRAWL_PROCESS_MEMORY_MB"):
            if settings.get(name) is not None:
                env[name] = str(settings.get(name))
        command = [sys.executable, "-m", "govcrawl.cli", "process", "--follow", "--db", str(self.store.path)]
        logger.info("process stage beside the crawl: %s", " ".join(command[1:]))
        return subprocess.Popen(command, env=env)  # close_fds: the crawl lock stays ours alone

    def wait_for_stage(self) -> int:
        """After the crawl: the stage's exit status once it has processed what the crawl left."""
        if self.stage is None:
            return 0
        return self.stage.wait()

    def run_log_path(self) -> Path:
        directory = self.crawler.settings.get("GOVCRAWL_LOG_DIR") or Path(self.store.path).parent / "logs"
        return Path(directory) / f"run-{self.run_id}.log"

    def open_run_log(self) -> logging.Handler | None:
        """The run's log in a file of its own, in Scrapy's format, from here to the close."""
        settings = self.crawler.settings
        path = self.run_log_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(path, encoding="utf-8")
        except OSError as error:  # the crawl can go on without it
            logger.warning("no log file for run #%s: %s", self.run_id, error)
            return None
        handler.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")))
        # at least INFO (the progress lines), even when the console is kept quieter
        level = settings.get("LOG_LEVEL") or logging.DEBUG
        level = logging.getLevelName(level.upper()) if isinstance(level, str) else level
        handler.setLevel(min(level, logging.INFO) if isinstance(level, int) else logging.INFO)
        logging.getLogger().addHandler(handler)
        logger.info("crawl run #%s logs to %s", self.run_id, path)
        return handler

    def write_failed(self, error: str) -> None:
        """From the store's writer thread: stop fetching what could not be stored (on the
        reactor thread); the batch stays queued and is tried once more at the close. The
        next run fetches whatever was not stored."""
        from twisted.internet import reactor

        reactor.callFromThread(self.stop_for_write_error)

    def stop_for_write_error(self) -> None:
        if self.crawler.engine and self.crawler.engine.spider is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="database_unwritable"))

    def resume(self, state: dict) -> None:
        """With JOBDIR, Scrapy keeps `spider.state` across a pause: link this run to the one
        it continues."""
        if "run_id" in state:
            self.store.link_resumed_run(self.run_id, state["run_id"])
        state["run_id"] = self.run_id

    def spider_closed(self, spider, reason: str) -> None:
        if self.flush_timer is not None and self.flush_timer.running:
            self.flush_timer.stop()
        self.store.flush()  # so the figures below include the last batch
        stats = self.crawler.stats
        self.failure = run_failure(
            reason,
            # a fleet worker may fetch no list page while the fleet does (govcrawl.fleet.worker)
            list_pages=stats.get_value("govcrawl/list_pages", 0) or stats.get_value("govcrawl/fleet/list_pages", 0),
            requests=self.store.counts["requests"],
            errors=self.store.counts["errors"],
            write_error=self.store.write_error,
            max_error_rate=self.crawler.settings.getfloat("GOVCRAWL_MAX_ERROR_RATE"),
        )
        if self.failure:
            # what went wrong at a glance (offline? a dead proxy?), the details being in `fetches`
            errors = f" ({self.store.error_summary(self.run_id)})" if self.store.counts["errors"] else ""
            logger.error("crawl run #%s failed: %s%s", self.run_id, self.failure, errors)
        try:
            self.store.finish_run(self.run_id, reason, dict(stats.get_stats()), self.failure)
            self.store.close()
        except sqlite3.Error as error:  # the failure above already says so; the exit status too
            logger.error("could not close run #%s in the database: %s", self.run_id, error)
        self.lock.close()  # the crawl is over: the stage beside it takes what is left and exits
        if self.stage is not None and reason == "shutdown":
            self.stage.terminate()  # it writes what it has; the rest stays pending
        if self.log_handler is not None:
            logging.getLogger().removeHandler(self.log_handler)
            self.log_handler.close()
