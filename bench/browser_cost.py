"""What a page rendered in Chromium costs next to a plain page, and whether memory stays flat.

Run from the repository root: `python -m bench.browser_cost [--size 18000] [--plain-size 2000]`.

Three `scrapy crawl reports` subprocesses against the replica portal (loopback only):

- `browser`: `-a site=shili` on a replica of --size pages, whose county site (xian.shili.test,
  behind a JS check) then has ~500 report pages: every one of them, and its list pages, is
  rendered in Chromium. The crawler and all its children (Playwright's driver, Chromium's
  processes) are sampled every 0.5 s: total RSS over time, peak, and the peak of each quarter
  of the crawl (flat means the last quarter is no higher than the second).
- `plain`: the panzhihua crawl of a --plain-size replica with govcrawl's settings as shipped
  (scrapy-playwright's handler installed, no page needing it), and `plain, Scrapy handler`: the
  same with Scrapy's own HTTP handler, to show the handler costs nothing when no page needs the
  browser (and that no Chromium is started: children are counted).

Per page: median and p95 of `fetches.duration_ms` for browser pages and for plain pages, and
CPU seconds (crawler + children) per page fetched. Prints a markdown table and writes
bench/results/browser_cost.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from tests.replica.process import ROOT, Replica, crawl_command

RESULTS = ROOT / "bench" / "results" / "browser_cost.json"
SAMPLE_SECONDS = 0.5
SCRAPY_HANDLERS = json.dumps(
    {
        "http": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
        "https": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
    }
)


def tree_sample(process: psutil.Process) -> tuple[float, float, int, float]:
    """(RSS of the crawler, RSS of its children, number of children, CPU seconds of all), MB."""
    try:
        children = process.children(recursive=True)
        own = process.memory_info().rss
        cpu = sum(process.cpu_times()[:2])
    except psutil.Error:
        return 0.0, 0.0, 0, 0.0
    rss = 0
    for child in children:
        try:
            rss += child.memory_info().rss
            cpu += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return own / 2**20, rss / 2**20, len(children), cpu


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def crawl(name: str, proxy: str, args: list[str], settings: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        db = Path(tmp) / "govcrawl.db"
        command = crawl_command(db, proxy, *args, settings={"LOG_LEVEL": "INFO", **settings})
        started = time.monotonic()
        process = psutil.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        samples, cpu, most_children = [], 0.0, 0
        while process.poll() is None:
            own, children, count, tree_cpu = tree_sample(process)
            if own:
                samples.append((round(time.monotonic() - started, 1), round(own, 1), round(children, 1)))
                cpu, most_children = max(cpu, tree_cpu), max(most_children, count)
            time.sleep(SAMPLE_SECONDS)
        stderr = process.stderr.read()
        if process.returncode != 0:
            raise RuntimeError(f"{name} crawl failed:\n{stderr[-3000:]}")
        wall = time.monotonic() - started
        con = sqlite3.connect(db)
        durations = {
            via: [d for (d,) in con.execute(
                "SELECT duration_ms FROM fetches WHERE via = ? AND duration_ms IS NOT NULL"
                + (" AND browser_reason IN ('profile', 'js_list', 'js_challenge')" if via == "browser" else ""),
                [via],
            )]
            for via in ("http", "browser")
        }  # fmt: skip
        fetches = con.execute("SELECT count(*) FROM fetches").fetchone()[0]
        documents = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        stats = json.loads(con.execute("SELECT stats FROM crawl_runs").fetchone()[0])
        con.close()
    totals = [own + children for _, own, children in samples]
    quarters = [
        round(max((own + ch for t, own, ch in samples if q * wall / 4 <= t < (q + 1) * wall / 4), default=0), 1)
        for q in range(4)
    ]
    return {
        "crawl": name,
        "wall_s": round(wall, 1),
        "fetches": fetches,
        "browser_pages": len(durations["browser"]),
        "plain_pages": len(durations["http"]),
        "documents": documents,
        "pages_per_s": round(fetches / wall, 1),
        "cpu_s_per_fetch": round(cpu / max(fetches, 1), 4),
        "browser_ms_median": percentile(durations["browser"], 0.5),
        "browser_ms_p95": percentile(durations["browser"], 0.95),
        "plain_ms_median": percentile(durations["http"], 0.5),
        "plain_ms_p95": percentile(durations["http"], 0.95),
        "peak_rss_mb": round(max(totals, default=0), 1),
        "peak_rss_by_quarter_mb": quarters,
        "most_child_processes": most_children,
        "chromium_started": "playwright/browser_count" in stats,
        "rss_samples": samples,  # (seconds, crawler MB, children MB)
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=18000, help="replica size for the browser crawl")
    parser.add_argument("--plain-size", type=int, default=2000, help="replica size for the plain crawls")
    args = parser.parse_args(argv)
    results = []
    with Replica(size=args.size) as replica:
        results.append(crawl("browser (site=shili)", replica.proxy, ["site=shili"], {}))
    with Replica(size=args.plain_size) as replica:
        results.append(crawl("plain, as shipped", replica.proxy, [], {}))
    with Replica(size=args.plain_size) as replica:
        results.append(crawl("plain, Scrapy handler", replica.proxy, [], {"DOWNLOAD_HANDLERS": SCRAPY_HANDLERS}))

    print("| crawl | fetches | browser pages | wall s | pages/s | CPU s/fetch | browser ms p50/p95 "
          "| plain ms p50/p95 | peak RSS MB | peak RSS by quarter MB | children | Chromium |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['crawl']} | {r['fetches']} | {r['browser_pages']} | {r['wall_s']} | {r['pages_per_s']} "
            f"| {r['cpu_s_per_fetch']} | {r['browser_ms_median']}/{r['browser_ms_p95']} "
            f"| {r['plain_ms_median']}/{r['plain_ms_p95']} | {r['peak_rss_mb']} "
            f"| {' / '.join(str(q) for q in r['peak_rss_by_quarter_mb'])} | {r['most_child_processes']} "
            f"| {'started' if r['chromium_started'] else 'not started'} |"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"python": platform.python_version(), "cpus": psutil.cpu_count()},
                "size": args.size,
                "plain_size": args.plain_size,
                "results": results,
                "median_browser_over_plain": (
                    round(results[0]["browser_ms_median"] / results[1]["plain_ms_median"], 1)
                    if results[0]["browser_ms_median"] and results[1]["plain_ms_median"]
                    else None
                ),
            },
            indent=1,
        )
    )
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
