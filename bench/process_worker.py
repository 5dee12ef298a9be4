"""A process-stage worker as bench/parse_speed.py measures it: fed one page at a time.

Run by bench/parse_speed.py with the checkout to measure first on PYTHONPATH: it reads
(group, body, content type) pickles from stdin until EOF, processes each with
pipelines.process.process_body (once warmed up, settled as the process stage's workers
are: pipelines.process.settle_worker), and prints per-group timings and its peak RSS (VmHWM) as
JSON. It imports nothing but the processing, so its memory is a worker's.
"""

from __future__ import annotations

import json
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path


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


def main() -> None:
    """Read (name, body, content type) pickles from stdin, process each with process_body;
    print per-name timings and this process's peak RSS as JSON."""
    from pipelines import process

    times: dict[str, list[float]] = {}
    failures = 0
    settled = False
    while True:
        try:
            name, body, content_type = pickle.load(sys.stdin.buffer)
        except EOFError:
            break
        if name != "warm-up" and not settled:  # warmed up: as the stage's worker does (if this code has it)
            getattr(process, "settle_worker", lambda: None)()
            settled = True
        elapsed, rows = timed(process.process_body, body, content_type)
        if name != "warm-up":
            times.setdefault(name, []).append(elapsed)
            failures += "processing failed" in (rows.text.get("problems") or "")
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    out = {name: summary(samples) for name, samples in times.items()}
    print(json.dumps({"results": out, "peak_rss_mb": round(peak_kb / 1024, 1), "failures": failures,
                      "processor_version": process.PROCESSOR_VERSION}))  # fmt: skip


if __name__ == "__main__":
    main()
