"""What writing one processed version costs the process stage's parent, part by part.

Run from the repository root: `python -m bench.write_cost [--size 4000] [--rounds 3]`.

The replica's article pages (those bench.parse_speed times) are processed in-process once,
and their rows prepared as a worker sends them (pipelines.process.process_body, then
pipelines.store.prepare). Then, `--rounds` times, into a fresh SQLite file each time:

- `write_processed`: the rows written as the stage writes them, BATCH_VERSIONS versions to a
  transaction (Store.write_processed), its parts timed inside it: the four tables' inserts
  (`insert_processed`), the wide views' figures (`write_figures`), the commit, and the
  full-text index (what is left);
- each table's rows on their own: the same batches, that table's `executemany` only.

Times are this process's CPU (time.process_time), per version and, for a table, per row; each
part's figure is its best round. What it answers: how much of a version's processing the one
writing process pays however fast the workers get. Prints a markdown table and writes
bench/results/write_cost.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pipelines.store
from bench.parse_speed import ARTICLE_KINDS, inputs
from govcrawl.stage import BATCH_VERSIONS
from pipelines.process import process_body
from pipelines.store import PROCESSED_TABLES, ProcessedResult, Store, insert_sql, prepare
from tests.replica.generator import build_portal

RESULTS = Path(__file__).parent / "results" / "write_cost.json"


class Clock:
    """CPU seconds spent in the functions it wraps, by name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, name: str, function):
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.process_time() - started

        return timed

    def transaction(self, original):
        """write_transaction, its COMMIT (what leaves the block) timed."""

        @contextmanager
        def timed(db) -> Iterator[None]:
            with original(db):
                yield
                started = time.process_time()
            self.seconds["commit"] += time.process_time() - started

        return timed


def prepared_versions(size: int) -> list:
    pages = [page for page in build_portal(size=size).pages.values() if page.kind in ARTICLE_KINDS]
    return [prepare(process_body(*inputs(page)[:2], page.url)) for page in pages]


def write_processed_round(prepared: list, workdir: Path) -> dict[str, float]:
    """Every version through Store.write_processed, its parts timed."""
    clock = Clock()
    originals = {name: getattr(pipelines.store, name) for name in ("insert_processed", "write_figures", "write_transaction")}
    pipelines.store.insert_processed = clock.wrap("inserts", originals["insert_processed"])
    pipelines.store.write_figures = clock.wrap("figures", originals["write_figures"])
    pipelines.store.write_transaction = clock.transaction(originals["write_transaction"])
    store = Store(workdir / "write_processed.db")
    try:
        started = time.process_time()
        for start in range(0, len(prepared), BATCH_VERSIONS):
            batch = prepared[start : start + BATCH_VERSIONS]
            store.write_processed([ProcessedResult(start + n + 1, rows) for n, rows in enumerate(batch)])
        total = time.process_time() - started
    finally:
        for name, original in originals.items():
            setattr(pipelines.store, name, original)
        store.close()
    parts = dict(clock.seconds)
    parts["full-text index"] = total - sum(parts.values())
    return {"write_processed": total, **parts}


def table_round(prepared: list, workdir: Path) -> dict[str, float]:
    """Each table's rows alone, the same batches, one transaction each."""
    store = Store(workdir / "tables.db")
    conn = store.db.conn
    seconds = {}
    try:
        for table in PROCESSED_TABLES:
            started = time.process_time()
            for start in range(0, len(prepared), BATCH_VERSIONS):
                rows = [(start + n + 1, *row) for n, version in enumerate(prepared[start : start + BATCH_VERSIONS])
                        for row in version.tables[table]]  # fmt: skip
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(insert_sql(table), rows)
                conn.execute("COMMIT")
            seconds[table] = time.process_time() - started
    finally:
        store.close()
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4000, help="approximate pages in the replica")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    prepared = prepared_versions(args.size)
    rows = {table: sum(len(version.tables[table]) for version in prepared) for table in PROCESSED_TABLES}
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-write-") as tmp:
            for part, seconds in {**write_processed_round(prepared, Path(tmp)), **table_round(prepared, Path(tmp))}.items():
                best[part] = min(best.get(part, seconds), seconds)

    versions = len(prepared)
    lines = ["| part | CPU ms per version | rows per version | CPU µs per row |", "|---|---|---|---|"]
    for part, seconds in best.items():
        per_row = f"{1e6 * seconds / rows[part]:.2f}" if rows.get(part) else "-"
        per_version = f"{rows[part] / versions:.1f}" if part in rows else "-"
        lines.append(f"| {part} | {1000 * seconds / versions:.3f} | {per_version} | {per_row} |")
    results = {
        "benchmark": "write_cost",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": args.size,
        "versions": versions,
        "batch_versions": BATCH_VERSIONS,
        "rows": rows,
        "best_cpu_seconds": {part: round(seconds, 4) for part, seconds in best.items()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{versions} versions (replica size {args.size}), {BATCH_VERSIONS} to a transaction, best of {args.rounds}\n")
    print("\n".join(lines))
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
