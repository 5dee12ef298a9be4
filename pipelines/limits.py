"""Limits on the work one page may cost in processing, and the record of each one hit.

Processing is pure and runs inline in the crawl, so a hostile page (a span bomb, a
100,000-row table, mojibake full of holes, a 5,000-digit figure) must cost bounded time and
memory. Each limit is a constant here; when a page hits one, processing goes on with what was
safely read and the page's `problems` get a line starting `limit: ` that names the constant.

The modules deep inside processing (cells, mojibake) have no problems list of their own, so
they `note()` into the collector that `collecting()` opens around one page's processing.
"""

from __future__ import annotations

import ctypes
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

# Characters of decoded text handed to de-garbling and parsing; the rest of the page is cut.
MAX_TEXT_CHARS = 2_000_000
# rowspan / colspan beyond this are read as this (HTML itself caps colspan at 1000).
MAX_SPAN = 100
# Grid slots of one table after span expansion, and cells of one page; cells beyond are not read.
MAX_TABLE_CELLS = 20_000
MAX_PAGE_CELLS = 50_000
# Mojibake repair: candidate characters tried for one lost byte (two lost continuation bytes
# give 64 x 64 = 4096; three give 262,144), and for all lost bytes of a page together.
MAX_HOLE_CANDIDATES = 4096
MAX_PAGE_CANDIDATES = 500_000
# Elements nested deeper than libxml2 builds with its huge_tree option (it stops at 2048).
MAX_NESTING = 2000
# Numbers: a count of more than a billion, or any figure of more than 12 integer digits, is no
# count or amount a disclosure report prints; it is left out, never stored or summed.
MAX_COUNT = Decimal(10) ** 9
MAX_AMOUNT = Decimal(10) ** 12
# Rows with their cells run together tried for a split on one page: a report's tables have
# some 40 rows in all; a page with more such rows is no report table (and each try costs).
MAX_RUN_TOGETHER_ROWS = 200
# Files (PDF, Office, images; pipelines.file_dispatch): pages of a PDF read (a report has ~10-30;
# the rest of a 500-page file is not read), pages given to OCR (seconds each), bytes a DOCX or
# XLSX may inflate to (a zip bomb is refused before it is opened), and seconds for one external
# program (pdftotext, tesseract on a page, LibreOffice converting a DOC).
MAX_FILE_PAGES = 100
MAX_OCR_PAGES = 12
# Seconds of OCR for one file: pages are started only within it (a page takes 5-15 s on one
# core), so a scanned report ends with what was read before the stage's per-page time limit
# (GOVCRAWL_PROCESS_TIMEOUT, 60 s by default) would store it unparsed.
MAX_OCR_SECONDS = 40
MAX_UNZIPPED_BYTES = 200 * 2**20
SUBPROCESS_TIMEOUT = 60
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def dies_with_its_parent() -> None:
    """`preexec_fn` of every external program processing starts (tesseract, pdftotext,
    LibreOffice): the kernel kills the program when the worker that started it dies. A worker
    over its time limit is killed by the pool, and subprocess's own timeout dies with it, so
    without this a hostile file's OCR or conversion would run on unbounded after the page was
    stored unparsed. The standard library has no prctl; ctypes calls libc's."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# Problem lines noted for one page.
MAX_PROBLEMS = 100

_PROBLEMS: ContextVar[list[str] | None] = ContextVar("_PROBLEMS", default=None)


@contextmanager
def collecting() -> Iterator[list[str]]:
    """The problems noted while the block runs (one page's processing)."""
    problems: list[str] = []
    token = _PROBLEMS.set(problems)
    try:
        yield problems
    finally:
        _PROBLEMS.reset(token)


def note(problem: str) -> None:
    """Record a problem of the page being processed: once per distinct line, and at most
    MAX_PROBLEMS lines (a hostile page could otherwise make one per cell)."""
    problems = _PROBLEMS.get()
    if problems is None or problem in problems[-MAX_PROBLEMS:]:
        return
    if len(problems) < MAX_PROBLEMS:
        problems.append(problem)
    elif len(problems) == MAX_PROBLEMS:
        problems.append(f"limit: more than MAX_PROBLEMS ({MAX_PROBLEMS}) problems; the rest not listed")


def implausible(value: Decimal, unit: str) -> bool:
    """More than any count (件) or amount a report prints."""
    return abs(value) > (MAX_COUNT if unit == "件" else MAX_AMOUNT)


def shown(raw: str, limit: int = 40) -> str:
    """A printed value for a problem line, shortened: a 5,000-digit figure is not repeated."""
    return raw if len(raw) <= limit else f"{raw[:limit]}… ({len(raw)} characters)"
