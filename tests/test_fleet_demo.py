"""`make demo WORKERS=3` against `make demo`, tried as a new user would: every replica city
crawled by a fleet of three workers on a private redis-server, merged and processed, holds
what the one-process demo holds. Its own file (no fixture shared with test_distributed), so
pytest-xdist can run it beside the other fleet tests.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import holdings

pytestmark = [pytest.mark.timeout(900), pytest.mark.e2e]


def copies_by_url(db: Path) -> set[tuple[str, str, int]]:
    conn = sqlite3.connect(db)
    try:
        return set(
            conn.execute(
                "SELECT c.url, r.url, l.rank FROM copy_links l JOIN documents c ON c.id = l.document_id"
                " JOIN documents r ON r.id = l.report_id"
            )
        )
    finally:
        conn.close()


def test_make_demo_with_three_workers_holds_what_the_one_process_demo_holds(tmp_path):
    """`make demo WORKERS=3` against `make demo`: every replica city (the browser's 示例市,
    gkmlpt's categories as fragments of one list page, the copy hosts), merged and processed."""
    from tests.replica.demo import main as demo

    assert demo(["--db", str(tmp_path / "one.db"), "--size", "60"]) == 0
    assert demo(["--db", str(tmp_path / "fleet.db"), "--size", "60", "--workers", "3"]) == 0
    one, fleet = holdings(tmp_path / "one.db"), holdings(tmp_path / "fleet.db")
    assert len(one["documents"]) > 250
    assert fleet == one
    assert copies_by_url(tmp_path / "fleet.db") == copies_by_url(tmp_path / "one.db") != set()
