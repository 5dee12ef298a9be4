"""One-line, class-prefixed messages for failed downloads (`fetches.error`, the log).

Scrapy's download exceptions often carry an empty or multi-line message (a cancelled body
has none; a failed response is a list of Twisted failures), so each is named here by its
class: `timeout: …`, `connection refused: …`, `dns: …`, `truncated: …`, `too large: …`,
`cancelled: …`, `connection lost: …`. Hand-written because neither Scrapy nor Twisted offers
a readable one-line name for its failures.
"""

from __future__ import annotations

import re

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)

# Failures of the network itself: expected on real portals, logged as one line, no traceback.
NETWORK_CLASSES = ("timeout", "connection refused", "dns", "truncated", "connection lost", "cancelled", "too large")
# A host that fails its robots.txt preflight with one of these is not answering at all.
HOST_DOWN_CLASSES = ("timeout", "connection refused", "dns")

PREFIX = re.compile(r"^[a-z][a-z0-9 -]*: ")
# Exceptions whose message is already a class-prefixed sentence (ours, govcrawl.browser's).
SELF_DESCRIBING = ("IgnoreRequest", "BrowserUnavailable")
# Names of Twisted / Playwright exceptions seen through Scrapy, by their class name.
CLASS_NAMES = {
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "UserTimeoutError": "timeout",
    "ConnectionRefusedError": "connection refused",
    "DNSLookupError": "dns",
    "ConnectionLost": "connection lost",
    "ConnectionDone": "connection lost",
    "ConnectionAborted": "connection lost",
    "ResponseNeverReceived": "connection lost",
    "TunnelError": "proxy",
    "CancelledError": "cancelled",
}


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def self_describing(exception: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exception).__mro__}
    return bool(names.intersection(SELF_DESCRIBING)) and bool(PREFIX.match(str(exception)))


def classify(exception: BaseException) -> str:
    """The short lower-case class of a download failure (`timeout`, `dns`, …)."""
    if self_describing(exception):
        return str(exception).split(":", 1)[0]
    if isinstance(exception, DownloadTimeoutError):
        return "timeout"
    if isinstance(exception, DownloadConnectionRefusedError):
        return "connection refused"
    if isinstance(exception, CannotResolveHostError):
        return "dns"
    if isinstance(exception, ResponseDataLossError):
        return "truncated"
    if isinstance(exception, DownloadCancelledError):
        return "too large" if "max size" in str(exception) else "cancelled"
    if isinstance(exception, DownloadFailedError):
        cause = repr(exception.__cause__ or exception)
        if "_DataLoss" in cause or "PotentialDataLoss" in cause:
            return "truncated"
        return "connection lost"
    if isinstance(exception, IgnoreRequest):
        return "ignored"
    for cls in type(exception).__mro__:
        if cls.__name__ in CLASS_NAMES:
            return CLASS_NAMES[cls.__name__]
    return "download failed"


DETAILS = {
    "timeout": "no complete answer in time",
    "connection refused": "the server refused the connection",
    "dns": "the host name could not be resolved",
    "truncated": "the connection closed before the whole body arrived",
    "connection lost": "the connection was lost before the answer was complete",
    "cancelled": "the download was cancelled",
    "too large": "the body is larger than DOWNLOAD_MAXSIZE",
}


def describe(exception: BaseException, url: str | None = None) -> str:
    """`class: details` in one line, never empty: the class word, then Scrapy's own message
    when it has one (without its repeated request repr), else a plain sentence."""
    message = str(exception)
    if self_describing(exception):
        return one_line(message)  # our own drop reasons already have their class
    kind = classify(exception)
    if url:
        message = message.replace(f" in request <GET {url}>", "").replace(f"<GET {url}>", url)
    if isinstance(exception, DownloadFailedError) and exception.__cause__ is not None:
        reasons = getattr(exception.__cause__, "reasons", None) or []
        message = "; ".join(f"{type(r.value).__name__}: {r.getErrorMessage()}" for r in reasons) or message
    message = one_line(message)
    if kind == "download failed":
        return f"download failed: {type(exception).__name__}" + (f": {message}" if message else "")
    details = DETAILS.get(kind, type(exception).__name__)
    return f"{kind}: {message}" if message else f"{kind}: {details}"
