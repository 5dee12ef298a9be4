"""Pages per second of govcrawl's processing step next to an lxml parse and trafilatura.

Run from the repository root: `python -m bench.parse_speed [--size 2000] [--before CHECKOUT]`.

Over every article page the replica serves (reports in all formats and encodings, work
summaries, notices, 范文, near misses and the garbled copies), built in-process, it times
each of these per page, in one run over the same pages:

- `govcrawl full processing`: pipelines.process.process_body(body, content_type) -- encoding,
  de-garbling, plain text, parsing (metadata, kind, tables, values, identity checks) and the
  rows to store, the process stage's whole work per page;
- `lxml parse only`: lxml.html.fromstring(body) on the bytes alone -- the floor of any HTML
  processing;
- `trafilatura extract`: trafilatura.extract(text) with its defaults, on the body decoded
  with the page's known encoding (so trafilatura's own charset guessing is not timed).

Pages per second is the page count over the summed per-page times; median and p95 are per
page, in milliseconds. So that the run shows the work done, it also counts the pages govcrawl
classified as annual reports, the values it read, the pages whose processing failed, and, for
trafilatura, the pages it gave no text for and what it logged at WARNING or above. Each
contender is warmed up first on one page of every kind and garbling (OpenCC dictionaries,
pypinyin, jieba and the spec load once, outside the timings).

Then, as a process-stage worker sees them, in a fresh process per checkout fed one page at
a time through a pipe (so its memory holds no replica): the replica's article pages, cycled
to `--worker-pages` (2,000), and the real pages of tests/data (examples and seeds), each
timed with process_body; the worker reports per-page cost and its peak RSS (VmHWM). With
`--before CHECKOUT` (e.g. a `git worktree` of an older commit), the same worker runs that
checkout's code too, alternating with this one for `--rounds` rounds, so that both are
measured in one run under the same load. Prints markdown tables and writes
bench/results/parse_speed.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import platform
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import lxml
import lxml.html
import trafilatura

from bench.process_worker import summary, timed
from pipelines.process import process_body
from tests.replica.generator import Page, build_portal

RESULTS = Path(__file__).parent / "results" / "parse_speed.json"
ROOT = Path(__file__).resolve().parent.parent
REAL_PAGES = ROOT / "tests" / "data"
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


# -- a process-stage worker: fed one page at a time, measured alone ------------------------
def real_pages() -> list[tuple[bytes, str]]:
    """The real pages under tests/data: report examples (HTML) and seeds (text as saved)."""
    pages = [(path.read_bytes(), "text/html") for path in sorted((REAL_PAGES / "examples").glob("*.html"))]
    return pages + [(path.read_bytes(), "text/plain") for path in sorted((REAL_PAGES / "seeds").glob("*.txt"))]


def run_worker(checkout: Path, feed: list[tuple[str, bytes, str]]) -> dict:
    """One fresh worker process on `checkout`'s code, fed every page of `feed` in order."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(checkout), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve().parent / "process_worker.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=checkout, env=env,
    )  # fmt: skip
    for item in feed:
        pickle.dump(item, child.stdin)
    child.stdin.close()
    output = child.stdout.read()
    if child.wait() != 0:
        raise RuntimeError(f"worker on {checkout} failed")
    return json.loads(output)


def worker_feed(pages: list[Page], count: int) -> list[tuple[str, bytes, str]]:
    warm_up = {(p.kind, p.garbling, p.encoding): p for p in pages}.values()
    feed = [("warm-up", *inputs(page)[:2]) for page in warm_up]
    feed += [("replica", *inputs(pages[i % len(pages)])[:2]) for i in range(count)]
    return feed + [("real pages", body, content_type) for body, content_type in real_pages()]


def compare_workers(pages: list[Page], count: int, before: Path | None, rounds: int) -> dict:
    """Per-page cost and peak RSS of a worker on this checkout (and on `before`), in rounds."""
    feed = worker_feed(pages, count)
    checkouts = {"this checkout": ROOT, **({f"before ({before})": before} if before else {})}
    runs: dict[str, list[dict]] = {name: [] for name in checkouts}
    for _ in range(rounds):
        for name, checkout in reversed(checkouts.items()):
            runs[name].append(run_worker(checkout, feed))
    out = {}
    for name, results in runs.items():
        best = min(results, key=lambda r: r["results"]["replica"]["mean_ms"])  # least disturbed round
        out[name] = {**best, "replica_mean_ms_by_round": [r["results"]["replica"]["mean_ms"] for r in results]}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="replica size (pages)")
    parser.add_argument("--worker-pages", type=int, default=2000, help="replica pages fed to each worker")
    parser.add_argument("--before", type=Path, help="another checkout whose processing to measure too")
    parser.add_argument("--rounds", type=int, default=2, help="worker runs per checkout (the best is kept)")
    args = parser.parse_args(argv)

    pages = [p for p in build_portal(size=args.size).pages.values() if p.kind in ARTICLE_KINDS]
    # each contender gets (body, content type, body decoded with the page's known encoding)
    contenders: dict[str, Callable[[bytes, str, str], object]] = {
        GOVCRAWL: lambda body, content_type, text: process_body(body, content_type),
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
                work["annual_reports"] += result.text.get("doc_kind") == "annual_report"
                work["values"] += len(result.values)
                work["parse_failures"] += "processing failed" in result.text["problems"]
                work["govcrawl_text_chars"] += len(result.text.get("text") or "")
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
    workers = compare_workers(pages, args.worker_pages, args.before, args.rounds)
    result["workers"] = workers
    print(
        f"\nOne worker process per checkout, fed {args.worker_pages} replica pages then "
        f"{len(real_pages())} real pages (tests/data), best of {args.rounds} rounds\n"
    )
    print("| code | pages | mean ms | median ms | p95 ms | pages/s (1 core) | peak RSS MB |\n|---|---|---|---|---|---|---|")
    for name, run in workers.items():
        for group, figures in run["results"].items():
            print(
                f"| {name} (processor {run['processor_version']}) | {group} | {figures['mean_ms']} "
                f"| {figures['median_ms']} | {figures['p95_ms']} | {figures['pages_per_s']} | {run['peak_rss_mb']} |"
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
