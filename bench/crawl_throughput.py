"""Crawl throughput against the replica portal: govcrawl's crawl and process stages vs. a bare
Scrapy crawl.

Run from the repository root: `python -m bench.crawl_throughput [--size 20000] [--rounds 2]
[--crawl-only] [--before CHECKOUT]`.

One replica server (tests/replica/server.py, loopback only) is started for the whole run; its
start-up time is mostly building the portal. Then, one after the other, each into a fresh
SQLite file (or a copy of one):

- `bare`: the same spider with govcrawl's components off (only ProxyMiddleware kept, since
  it routes requests to the replica, and the recorder extension, which only opens the run's
  row and tells the spider that nothing is stored yet) -- what Scrapy alone costs;
- `crawl stage`: every project middleware and extension, pages stored as pending versions,
  no processing (GOVCRAWL_PROCESS_BESIDE=0);
- `crawl + process`: the default, the process stage beside the crawl; the wall time runs
  until the crawl command exits, i.e. until the database is fully processed;
- `process, N workers`: `govcrawl process --workers N` over a copy of the crawl stage's
  database, with 1 and 2 workers: every version pending, so every row is written, as after a
  crawl run with GOVCRAWL_PROCESS_BESIDE=0;
- `process --all, N workers`: `govcrawl process --all --workers N` over a copy of the
  `crawl + process` database (every current version processed again from its stored bytes;
  the results are unchanged, so their rows are relabelled, not written again), with 1 and 2
  workers. Pages/s of these rows is versions processed per second.

The whole list runs `--rounds` times, in turn, so that a machine whose speed moves (a shared
one) slows every contender alike; each contender's row is its fastest run, and the wall time
of each of its runs is shown beside it.

Peak RSS is each process's own VmHWM (sampled from /proc every 0.1 s): the crawler, the
stage's parent and its busiest worker.

For each crawl it reports: pages served (HTTP exchanges in the server's request log during
the crawl), report pages (items scraped, i.e. pages handed to the pipelines), the process's
wall time and pages/s over it (and over the serving span, i.e. without Scrapy's start-up),
the crawler's peak RSS (kernel figure from wait4, with a psutil sample of process + children
every 0.1 s as a cross-check) and CPU use, and the replica server's CPU use over the span
between its first and last request (mean and busiest second), to show whether the server
rather than the crawler is the bottleneck. Where versions were processed, it reports what one
cost: the CPU seconds of the stage's workers and of its parent (each process sampled every
0.1 s), over the versions. The server's log is cumulative and its faults are
stateful, so the second crawl does not get the flaky page's one-time 500. Prints a markdown
table and writes bench/results/crawl_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import psutil
import scrapy
import twisted

from tests.replica.process import CRAWL_ENV, ROOT, Replica, crawl_command, high_water_rss

RESULTS = ROOT / "bench" / "results" / "crawl_throughput.json"
CRAWL_STAGE_SETTINGS = {"GOVCRAWL_PROCESS_BESIDE": "0"}
BARE_SETTINGS = {
    **CRAWL_STAGE_SETTINGS,
    "ITEM_PIPELINES": "{}",
    "DOWNLOADER_MIDDLEWARES": json.dumps({"govcrawl.middlewares.ProxyMiddleware": 100}),
    # the recorder stays: the spider asks it what earlier runs stored (nothing, in a fresh file);
    # govcrawl's FewerCollections goes, so bare runs Python's default cycle collector
    "EXTENSIONS": json.dumps({"govcrawl.recorder.CrawlRecorder": 0}),
}
# INFO so Scrapy dumps its stats at the end (a handful of lines per crawl, no per-page logging).
COMMON_SETTINGS = {"LOG_LEVEL": "INFO"}
SAMPLE_SECONDS = 0.1
BEFORE = " (before)"  # the label suffix of the --before checkout's crawls


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def busiest_second(samples: list[tuple[float, float]]) -> float:
    """Highest CPU utilisation over any window of >= 1 s between (time, cpu seconds) samples."""
    best, start = 0.0, 0
    for end, (now, cpu) in enumerate(samples):
        while start + 1 < end and now - samples[start + 1][0] >= 1.0:
            start += 1
        elapsed = now - samples[start][0]
        if elapsed >= 1.0:
            best = max(best, (cpu - samples[start][1]) / elapsed)
    return best


def scrapy_stat(log: str, name: str) -> float | None:
    match = re.search(rf"'{re.escape(name)}': ([0-9.]+)", log)
    return float(match.group(1)) if match else None


def db_counts(db: Path) -> dict[str, int] | None:
    if not db.exists():
        return None
    with sqlite3.connect(db) as conn:
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("fetches", "documents", "document_versions", "document_texts")
        }
        counts["pending"] = conn.execute(
            "SELECT count(*) FROM document_versions v LEFT JOIN document_texts t ON t.version_id = v.id"
            " WHERE t.version_id IS NULL"
        ).fetchone()[0]
        return counts


def vm_hwm_mib(pid: int) -> float | None:
    """A process's own peak RSS so far, or None once it has exited."""
    return high_water_rss(pid) / 2**20 or None


def roles(root: psutil.Process, known: dict[int, str]) -> None:
    """Adds to known (which starts with the root's role): the crawl's child is the stage, a
    stage's children are its workers."""
    try:
        for process in root.children(recursive=True):
            parent = known.get(process.ppid())
            if process.pid in known or parent is None:
                continue
            if parent == "stage":
                known[process.pid] = "worker"
            elif parent == "crawler" and "govcrawl.cli" in process.cmdline():  # not yet: looked at again
                known[process.pid] = "stage"
    except psutil.Error:  # exited between the calls
        pass


def run_crawl(
    replica: Replica, label: str, settings: dict[str, str], workdir: Path, *spider_args: str, db: Path | None = None,
    command: list[str] | None = None, root: Path = ROOT,
) -> dict:  # fmt: skip
    """One `scrapy crawl reports` subprocess (or `command` over `db`), watched until it exits
    (into `db`, by default a fresh file named after the label), run from the checkout `root`."""
    db, log_path = db or workdir / f"{label}.db", workdir / f"{label}.log"
    server = psutil.Process(replica.process.pid)
    log_before = len(replica.request_log())
    command = command or crawl_command(db, replica.proxy, *spider_args, settings={**COMMON_SETTINGS, **settings})
    env = CRAWL_ENV if root == ROOT else {**os.environ, "PYTHONPATH": str(root)}
    server_samples: list[tuple[float, float]] = []
    sampled_rss = 0
    peaks: dict[str, float] = {}
    known: dict[int, str] = {}  # pid: crawler, stage or worker
    cpu_by_pid: dict[int, float] = {}  # each process's CPU seconds when last seen
    with log_path.open("wb") as log_file:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        watched = psutil.Process(process.pid)
        known[process.pid] = "crawler" if "scrapy" in command else "stage"
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            server_samples.append((time.perf_counter(), cpu_seconds(server)))
            try:
                tree = [watched, *watched.children(recursive=True)]
                sampled_rss = max(sampled_rss, sum(p.memory_info().rss for p in tree))
            except psutil.Error:  # it (or a child) exited between the calls
                pass
            roles(watched, known)
            for member, role in known.items():
                peak = vm_hwm_mib(member)
                if peak is not None:
                    peaks[role] = max(peaks.get(role, 0.0), peak)
                try:
                    cpu_by_pid[member] = cpu_seconds(psutil.Process(member))
                except psutil.Error:  # exited: its last sample stands
                    pass
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - started
    server_samples.append((time.perf_counter(), cpu_seconds(server)))
    process.returncode = os.waitstatus_to_exitcode(status)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{label} exited with {process.returncode}:\n{log[-3000:]}")
    processed = re.search(r"(\d+) versions processed", log)

    served = replica.request_log()[log_before:]
    times = [entry["time"] for entry in served]
    span = max(times) - min(times) if times else 0.0
    server_cpu = server_samples[-1][1] - server_samples[0][1]
    items = int(scrapy_stat(log, "item_scraped_count") or 0) or (int(processed.group(1)) if processed else 0)
    crawler_cpu = usage.ru_utime + usage.ru_stime
    cpu_by_role = Counter()
    for member, seconds in cpu_by_pid.items():
        cpu_by_role[known[member]] += seconds
    versions = int(processed.group(1)) if processed else 0
    return {
        "crawl": label,
        "pages_served": len(served),
        "statuses": dict(sorted(Counter(entry["status"] for entry in served).items())),
        "report_pages": items,
        "wall_seconds": round(wall, 2),
        "scrapy_elapsed_seconds": scrapy_stat(log, "elapsed_time_seconds"),
        "serving_span_seconds": round(span, 2),
        "pages_per_second": round(len(served) / wall, 1),
        "report_pages_per_second": round(items / wall, 1),
        "pages_per_second_while_serving": round(len(served) / span, 1) if span else None,
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB; the largest of the tree
        "crawler_peak_rss_mib": round(peaks["crawler"], 1) if "crawler" in peaks else None,
        "stage_peak_rss_mib": round(peaks["stage"], 1) if "stage" in peaks else None,
        "worker_peak_rss_mib": round(peaks["worker"], 1) if "worker" in peaks else None,
        "sampled_peak_rss_mib": round(sampled_rss / 2**20, 1),
        "crawler_cpu_seconds": round(crawler_cpu, 2),
        "crawler_cpu_utilisation": round(crawler_cpu / wall, 3),
        # sampled every SAMPLE_SECONDS, so each process's last tenth of a second is missed
        "cpu_seconds_by_role": {role: round(seconds, 2) for role, seconds in sorted(cpu_by_role.items())},
        "versions_processed": versions,
        # what processing one version costs: the workers' and the stage parent's CPU over them
        "process_cpu_ms_per_version": (
            round(1000 * (cpu_by_role["worker"] + cpu_by_role["stage"]) / versions, 2) if versions else None
        ),
        "server_cpu_seconds": round(server_cpu, 2),
        "server_cpu_utilisation": round(server_cpu / span, 3) if span else None,
        "server_busiest_second_utilisation": round(busiest_second(server_samples), 3),
        "scrapy_response_count": scrapy_stat(log, "downloader/response_count"),
        "scrapy_errors_logged": int(scrapy_stat(log, "log_count/ERROR") or 0),
        "db": db_counts(db),
        "command": command,
    }


def machine() -> dict:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)),
        "cpu_model": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        ),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "twisted": twisted.__version__,
    }


def table(crawls: list[dict]) -> str:
    columns = [
        ("crawl", "crawl"),
        ("pages served", "pages_served"),
        ("report pages", "report_pages"),
        ("wall s", "wall_seconds"),
        ("wall s of each round", "wall_seconds_of_each_round"),
        ("pages/s", "pages_per_second"),
        ("report pages/s", "report_pages_per_second"),
        ("x bare", "x_bare"),
        ("crawler RSS MiB", "crawler_peak_rss_mib"),
        ("stage RSS MiB", "stage_peak_rss_mib"),
        ("worker RSS MiB", "worker_peak_rss_mib"),
        ("crawler CPU s", "crawler_cpu_seconds"),
        ("CPU x bare", "cpu_x_bare"),
        ("process CPU ms/version (workers + stage)", "process_cpu_ms_per_version"),
        ("crawler CPU", "crawler_cpu_utilisation"),
        ("server CPU (mean / busiest 1 s)", "server_cpu_utilisation"),
    ]
    lines = ["| " + " | ".join(name for name, _ in columns) + " |", "|" + "---|" * len(columns)]
    for crawl in crawls:
        # against the bare crawl of the same checkout ("bare (before)" for the --before rows)
        suffix = BEFORE if crawl["crawl"].endswith(BEFORE) else ""
        bare = next((c for c in crawls if c["crawl"] == "bare" + suffix), None)
        # CPU seconds too: on a shared machine the wall time says more about the neighbours
        crawl["x_bare"] = round(crawl["wall_seconds"] / bare["wall_seconds"], 2) if bare and crawl["pages_served"] else "-"
        crawl["cpu_x_bare"] = (
            round(crawl["crawler_cpu_seconds"] / bare["crawler_cpu_seconds"], 2) if bare and crawl["pages_served"] else "-"
        )
        cells = [cell_text(crawl[key]) for _, key in columns[:-3]]
        by_role = crawl["cpu_seconds_by_role"]
        cells.append(
            f"{crawl['process_cpu_ms_per_version']} ({by_role.get('worker', 0)} + {by_role.get('stage', 0)} s)"
            if crawl["process_cpu_ms_per_version"] else "-"
        )
        cells.append(f"{crawl['crawler_cpu_utilisation']:.0%}")
        cells.append(
            f"{crawl['server_cpu_utilisation'] or 0:.0%} / {crawl['server_busiest_second_utilisation']:.0%}"
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cell_text(value) -> str:
    """A table cell: a list (each round's figure) comma-separated, a missing figure "-"."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "-" if value is None else str(value)


def one_round(replica: Replica, workdir: Path, args: argparse.Namespace) -> list[dict]:
    """Every contender once, each crawl into a fresh file of `workdir`."""
    workdir.mkdir()
    crawls = []
    if args.before:
        before = args.before.resolve()
        crawls += [
            run_crawl(replica, "bare" + BEFORE, BARE_SETTINGS, workdir, root=before),
            run_crawl(replica, "crawl stage" + BEFORE, CRAWL_STAGE_SETTINGS, workdir, root=before),
        ]
    crawls += [
        run_crawl(replica, "bare", BARE_SETTINGS, workdir),
        run_crawl(replica, "crawl stage", CRAWL_STAGE_SETTINGS, workdir),
    ]
    if args.crawl_only:
        return crawls
    crawls.append(run_crawl(replica, "crawl + process", {}, workdir))
    # the pending versions of the crawl stage's file (every row written), then every current
    # version of the processed file again (most results unchanged: relabelled, not rewritten)
    for label, source, every in (("process", "crawl stage", ()), ("process --all", "crawl + process", ("--all",))):
        for workers in (1, 2):
            db = workdir / f"{label}-{workers}.db"
            shutil.copy(workdir / f"{source}.db", db)
            command = [sys.executable, "-m", "govcrawl.cli", "process", *every, "--workers", str(workers), "--db", str(db)]
            crawls.append(run_crawl(replica, f"{label}, {workers} worker{'s' * (workers > 1)}", {}, workdir, db=db,
                                    command=command))  # fmt: skip
    return crawls


def best_of(runs: list[dict]) -> dict:
    """A contender's row: its fastest run (the one its neighbours on the machine slowed
    least), with every run's wall time."""
    best = min(runs, key=lambda run: run["wall_seconds"])
    return {**best, "wall_seconds_of_each_round": [run["wall_seconds"] for run in runs]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="approximate pages in the replica")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slow-seconds", type=float, default=0.2, help="delay of the replica's slow page")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--crawl-only", action="store_true", help="only the bare crawl and the crawl stage")
    parser.add_argument("--rounds", type=int, default=2, help="every contender this many times, in turn")
    parser.add_argument(
        "--before", type=Path, help="another checkout (e.g. `git worktree add ../before <commit>`): its bare crawl"
        " and crawl stage too, in the same run, over the same replica",
    )
    args = parser.parse_args(argv)

    load_at_start = [round(load, 2) for load in os.getloadavg()]  # others' work on the machine
    replica = Replica(size=args.size, seed=args.seed, slow_seconds=args.slow_seconds)
    started = time.perf_counter()
    with replica, tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        # Replica.__enter__ returns once the server listens, i.e. after the portal is built.
        startup = time.perf_counter() - started
        tmp = Path(tmp)
        runs: dict[str, list[dict]] = defaultdict(list)  # each contender's runs, a round at a time
        for round_number in range(1, args.rounds + 1):
            for run in one_round(replica, tmp / f"round-{round_number}", args):
                runs[run["crawl"]].append(run)
        crawls = [best_of(label_runs) for label_runs in runs.values()]
        portal_pages = len(replica.manifest()["pages"])
        total_served = len(replica.request_log())

    results = {
        "benchmark": "crawl_throughput",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "load_average_at_start": load_at_start},
        "replica": {
            "size": args.size,
            "seed": args.seed,
            "slow_seconds": args.slow_seconds,
            "portal_pages": portal_pages,
            "startup_seconds": round(startup, 2),
            "pages_served_total": total_served,
        },
        "crawls": crawls,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    info = results["machine"]
    print(
        f"replica: size {args.size}, {portal_pages} pages, start-up (portal build) {startup:.1f} s; "
        f"{total_served} pages served in all\n"
        f"machine: {info['cpu_count']} CPUs ({info['cpu_model']}), Python {info['python']}, "
        f"Scrapy {info['scrapy']}, Twisted {info['twisted']}\n"
    )
    print(table(crawls))
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
