"""Expected network failures in the log: one line each, never a traceback.

A dead or slow portal is ordinary for this crawler; Scrapy logs its failures (a download
error without an errback, the robots.txt of a host that does not answer) at ERROR with a
full Twisted traceback. `OneLineLogFormatter` (LOG_FORMATTER) words download errors as one
warning with a class-prefixed reason (govcrawl.failures), and `NetworkFailureFilter`,
installed on the log handlers when the formatter is built, drops the traceback of any log
record whose exception is such a failure. Anything else keeps its traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.logformatter import LogFormatter
from twisted.python.failure import Failure

from govcrawl.failures import NETWORK_CLASSES, classify, describe


class NetworkFailureFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and classify(error) in NETWORK_CLASSES:
            record.msg = f"{record.getMessage()} [{describe(error)}]"
            record.args = None
            record.exc_info = None
            record.exc_text = None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def install_filter() -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, NetworkFailureFilter) for f in handler.filters):
            handler.addFilter(NetworkFailureFilter())


class OneLineLogFormatter(LogFormatter):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OneLineLogFormatter:
        # Scrapy replaces its root log handler after building the formatter: install on the
        # handlers in place once the engine runs.
        crawler.signals.connect(install_filter, signal=signals.engine_started, weak=False)
        return cls()

    def download_error(
        self, failure: Failure, request: Request, spider: Spider, errmsg: str | None = None
    ) -> dict[str, Any]:
        if classify(failure.value) not in NETWORK_CLASSES:
            return super().download_error(failure, request, spider, errmsg)
        return {
            "level": logging.WARNING,
            "msg": "download failed %(request)s: %(reason)s",
            "args": {"request": request, "reason": describe(failure.value, request.url)},
        }
