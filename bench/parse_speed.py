"""Pages per second of govcrawl's processing step next to an lxml parse and trafilatura.

Run from the repository root: `python -m bench.parse_speed [--size 2000]`.

Over every article page the replica serves (reports in all formats and encodings, work
summaries, notices, 范文, near misses and the garbled copies), built in-process, it times
each of these per page, in one run over the same pages:

- `govcrawl full processing`: pipelines.process.process_page(body, content_type) -- encoding,
  de-garbling, plain text and parsing (metadata, kind, tables, values, identity checks), the
  crawl's whole processing step;
- `lxml parse only`: lxml.html.fromstring(body) on the bytes alone -- the floor of any HTML
  processing;
- `trafilatura extract`: trafilatura.extract(text) with its defaults, on the body decoded
  with the page's known encoding (so trafilatura's own charset guessing is not timed).

Pages per second is the page count over the summed per-page times; median and p95 are per
page, in milliseconds. So that the run shows the work done, it also counts the pages govcrawl
classified as annual reports, the values it read, the pages whose processing failed, and, for
trafilatura, the pages it gave no text for and what it logged at WARNING or above. Each
contender is warmed up first on one page of every kind and garbling (OpenCC dictionaries,
pypinyin, jieba and the spec load once, outside the timings). Prints a markdown table and
writes bench/results/parse_speed.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import lxml
import lxml.html
import trafilatura

from pipelines.process import process_page
from tests.replica.generator import Page, build_portal

RESULTS = Path(__file__).parent / "results" / "parse_speed.json"
ARTICLE_KINDS = {"annual_report", "work_summary", "notice", "other", "template_essay", "copy"}
GOVCRAWL = "govcrawl full processing"
LXML = "lxml parse only"
TRAFILATURA = "trafilatura extract"


class Tally(logging.Handler):
    """Counts what a library logs at WARNING or above, by message template."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages[f"{record.levelname}: {record.msg}"] += 1


def timed(function: Callable[..., object], *args: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return (time.perf_counter() - start) * 1000, result


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    total_s = sum(ordered) / 1000
    return {
        "pages_per_s": round(len(ordered) / total_s, 1),
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
        "total_s": round(total_s, 3),
    }


def inputs(page: Page) -> tuple[bytes, str, str]:
    """The page's body, its Content-Type header as served, and the body decoded as it was encoded."""
    content_type = page.content_type + (f"; charset={page.header_charset}" if page.header_charset else "")
    return page.body, content_type, page.body.decode(page.encoding)


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
        "trafilatura": trafilatura.__version__,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="replica size (pages)")
    args = parser.parse_args(argv)

    pages = [p for p in build_portal(size=args.size).pages.values() if p.kind in ARTICLE_KINDS]
    # each contender gets (body, content type, body decoded with the page's known encoding)
    contenders: dict[str, Callable[[bytes, str, str], object]] = {
        GOVCRAWL: lambda body, content_type, text: process_page(body, content_type),
        LXML: lambda body, content_type, text: lxml.html.fromstring(body),
        TRAFILATURA: lambda body, content_type, text: trafilatura.extract(text),
    }
    tally = Tally()
    logging.getLogger("trafilatura").addHandler(tally)

    # one-time start-up of every library, outside the timings: a page of each kind and garbling
    warm_up = {(p.kind, p.garbling, p.encoding): p for p in pages}.values()
    for page in warm_up:
        for contender in contenders.values():
            contender(*inputs(page))
    tally.messages.clear()

    times: dict[str, list[float]] = {name: [] for name in contenders}
    work = Counter()
    for page in pages:
        page_inputs = inputs(page)
        for name, contender in contenders.items():
            elapsed, result = timed(contender, *page_inputs)
            times[name].append(elapsed)
            if name == GOVCRAWL:
                parsed = result.parsed
                work["annual_reports"] += parsed.doc_kind == "annual_report"
                work["values"] += len(parsed.values)
                work["parse_failures"] += any(p.startswith("processing failed") for p in parsed.problems)
                work["govcrawl_text_chars"] += len(result.text)
            elif name == TRAFILATURA:
                work["trafilatura_no_text"] += not result
                work["trafilatura_text_chars"] += len(result or "")

    result = {
        "replica_size": args.size,
        "pages": len(pages),
        "pages_by_kind": dict(Counter(p.kind for p in pages).most_common()),
        "warm_up_pages": len(warm_up),
        "machine": machine(),
        "results": {name: summary(samples) for name, samples in times.items()},
        "work": {
            "govcrawl_annual_reports": work["annual_reports"],
            "govcrawl_values": work["values"],
            "govcrawl_parse_failures": work["parse_failures"],
            "govcrawl_text_chars": work["govcrawl_text_chars"],
            "trafilatura_pages_without_text": work["trafilatura_no_text"],
            "trafilatura_text_chars": work["trafilatura_text_chars"],
            "trafilatura_log": dict(tally.messages.most_common()),
        },
    }
    info, done = result["machine"], result["work"]
    print(
        f"{result['pages']} article pages of a {args.size}-page replica "
        f"({sum(p.kind == 'copy' for p in pages)} garbled copies); "
        f"{info['cpu_count']} CPUs, Python {info['python']}\n"
    )
    print("| contender | pages | pages/s | median ms | p95 ms | mean ms |\n|---|---|---|---|---|---|")
    for name, figures in result["results"].items():
        print(
            f"| {name} | {result['pages']} | {figures['pages_per_s']} | {figures['median_ms']} "
            f"| {figures['p95_ms']} | {figures['mean_ms']} |"
        )
    print(
        f"\ngovcrawl: {done['govcrawl_annual_reports']} pages classified annual_report, "
        f"{done['govcrawl_values']} values read, {done['govcrawl_parse_failures']} parse failures\n"
        f"trafilatura: no text for {done['trafilatura_pages_without_text']} pages, "
        f"{sum(done['trafilatura_log'].values())} log records at WARNING or above"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
