"""How often Python's cycle collector runs in govcrawl's long-lived processes: the crawl, the
process stage and its workers.

All allocate a great many short-lived containers (a crawl: requests, responses, headers,
deferreds; a worker: cells, values, rows), and at Python's default gen-0 threshold (700) the
collector ran thousands of times, each gen-2 run walking everything the process had loaded:
a tenth of a worker's CPU, and in a 20,000-page replica crawl some 5 s of its 30 to 40 (measured
with gc.callbacks; bench/crawl_throughput). Cycles are still collected, only in larger steps.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 50, 50)


def collect_less() -> None:
    """Once a process has loaded its libraries: what it loaded is taken out of the collector's
    walks (gc.freeze), and collections come rarer."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
