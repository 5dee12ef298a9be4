"""What a crawl of the replica leaves in SQLite for researchers: values, checks, views, search,
and `govcrawl reparse` / `govcrawl parse` over stored and saved bytes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
import sqlite_utils

from govcrawl.reparse import reparse


def current_values(crawled, url: str) -> dict[str, float]:
    rows = crawled.rows(
        "SELECT rv.key, rv.value FROM documents d JOIN report_values rv ON rv.version_id = d.current_version_id"
        " WHERE d.url = ?",
        [url],
    )
    return dict(rows)


def test_stored_values_equal_the_manifest(crawled):
    reports = [p for p in crawled.pages("annual_report") if p.get("fault") != "robots_disallowed"]
    assert reports
    for page in reports:
        expected = {**page.get("values", {}), **page.get("prose_values", {})}
        assert current_values(crawled, page["url"]) == pytest.approx(expected), page["url"]


def test_each_value_row_says_where_it_came_from(crawled):
    rows = crawled.rows(
        "SELECT source, table_index, row_index, col_index, line, text_offset, row_label, raw FROM report_values"
    )
    assert rows
    for source, table, row, col, line, offset, row_label, raw in rows:
        assert source in ("table", "text", "legacy_table", "prose")
        if source == "table":
            assert None not in (table, row, col) and row_label
        elif source == "text":
            assert line is not None and row_label is not None
        elif source == "prose":
            assert offset is not None and raw


def test_reports_view_has_one_row_per_report(crawled):
    expected = {
        (p["agency"], p["year"], p["title"])
        for p in crawled.pages()
        if p["kind"] in ("annual_report", "work_summary") and p.get("fault") != "robots_disallowed"
    }
    rows = crawled.rows("SELECT agency, report_year, title, doc_kind, copies, url FROM reports")
    assert {(a, y, t) for a, y, t, *_ in rows} == expected
    assert len(rows) == len(expected)  # the mobile twin of a report is the same report
    assert any(copies == 2 and "://www." in url for *_, copies, url in rows)


def test_planted_inconsistency_is_stored_as_printed_and_flagged(crawled):
    (planted,) = [p for p in crawled.pages("annual_report") if p.get("planted_inconsistency")]
    ((status, failed, received),) = crawled.rows(
        "SELECT r.validation_status, r.failed_checks, a.received FROM reports r JOIN applications a USING (version_id)"
        " WHERE r.title = ? AND r.report_year = ?",
        [planted["title"], planted["year"]],
    )
    assert (status, failed) == ("failed", 2)
    assert received == planted["values"]["applications.new_received.total"]  # not "corrected"
    checks = crawled.rows(
        "SELECT v.rule, v.subject, v.expected, v.actual FROM validations v JOIN documents d"
        " ON d.current_version_id = v.version_id WHERE d.url = ? AND NOT v.ok",
        [planted["url"]],
    )
    assert {(rule, subject) for rule, subject, *_ in checks} == {
        ("app_row_total", "new_received"),
        ("app_balance", "total"),
    }
    assert all(abs(expected - actual) == 1 for *_, expected, actual in checks)
    statuses = dict(crawled.rows("SELECT validation_status, count(*) FROM reports GROUP BY 1"))
    assert statuses["failed"] == 1 and statuses["ok"] > 10


def test_applications_and_reviews_views(crawled):
    page = next(
        p for p in crawled.pages("annual_report") if p.get("format") == "2021" and not p.get("twin_of")
    )
    values = page["values"]
    columns = [
        "received",
        "granted",
        "denied",
        "other",
        "total_handled",
        "carried_forward",
        "received_natural_person",
    ]
    row = crawled.rows(
        f"SELECT {', '.join(columns)} FROM applications WHERE agency = ? AND report_year = ?",
        [page["agency"], page["year"]],
    )[0]
    wanted = [
        values["applications.new_received.total"],
        values["applications.granted.total"],
        sum(v for k, v in values.items() if k.startswith("applications.denied.") and k.endswith(".total")),
        sum(v for k, v in values.items() if k.startswith("applications.other.") and k.endswith(".total")),
        values["applications.total.total"],
        values["applications.carried_forward.total"],
        values["applications.new_received.natural_person"],
    ]
    assert list(row) == pytest.approx(wanted)
    ((total,),) = crawled.rows(
        "SELECT litigation_after_review_total FROM reviews_litigation WHERE agency = ? AND report_year = ?",
        [page["agency"], page["year"]],
    )
    assert total == values["litigation_after_review.total"]


def test_full_text_search_finds_reports_by_words_in_them(crawled):
    hits = crawled.rows(
        "SELECT t.title FROM document_texts_fts f JOIN document_texts t ON t.rowid = f.rowid"
        " WHERE document_texts_fts MATCH ?",
        ['"信息处理费"'],
    )
    assert hits and all("报告" in title for (title,) in hits)
    assert crawled.db["document_texts"].search("结转下年度继续办理", limit=1)


def copy_database(crawled, tmp_path):
    path = tmp_path / "copy.db"
    with sqlite3.connect(path) as target:
        crawled.db.conn.backup(target)
    return path


def test_reparse_adds_versions_only_where_the_result_changes(crawled, tmp_path):
    path = copy_database(crawled, tmp_path)
    unchanged = reparse(path)
    assert unchanged["changed"] == 0 and unchanged["errors"] == 0
    assert unchanged["versions"] == crawled.rows("SELECT count(*) FROM documents")[0][0]

    db = sqlite_utils.Database(path)
    (document_id, version_id) = db.execute(
        "SELECT d.id, d.current_version_id FROM documents d JOIN document_texts t ON t.version_id = d.current_version_id"
        " WHERE t.doc_kind = 'annual_report' LIMIT 1"
    ).fetchone()
    count = "SELECT count(*) FROM report_values WHERE version_id = ?"
    values = db.execute(count, [version_id]).fetchone()[0]
    assert values > 0
    # as if an older parser had produced this version: its result differs from today's
    db.execute("DELETE FROM report_values WHERE version_id = ? AND key LIKE 'reviews.%'", [version_id])
    db.execute("UPDATE document_texts SET result_sha256 = 'older parser' WHERE version_id = ?", [version_id])
    db.conn.commit()
    changed = reparse(path)
    assert changed["changed"] == 1
    ((new_id, reprocessed_from, run_kind),) = db.execute(
        "SELECT v.id, v.reprocessed_from, r.kind FROM documents d JOIN document_versions v ON v.id = d.current_version_id"
        " JOIN crawl_runs r ON r.id = v.run_id WHERE d.id = ?",
        [document_id],
    ).fetchall()
    assert (reprocessed_from, run_kind) == (version_id, "reparse") and new_id != version_id
    assert db.execute(count, [new_id]).fetchone()[0] == values
    reviews = "SELECT count(*) FROM report_values WHERE version_id = ? AND key LIKE 'reviews.%'"
    assert db.execute(reviews, [version_id]).fetchone()[0] == 0  # the old version is kept as it was
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_parse_command_prints_the_full_json_for_a_gbk_page(crawled, tmp_path):
    page = next(
        p
        for p in crawled.pages("annual_report")
        if p["encoding"] == "gbk" and p.get("header_charset") == "utf-8"
    )
    ((sha,),) = crawled.rows(
        "SELECT v.body_sha256 FROM documents d JOIN document_versions v ON v.id = d.current_version_id WHERE d.url = ?",
        [page["url"]],
    )
    from pipelines.store import read_body

    saved = tmp_path / "page.html"
    saved.write_bytes(read_body(crawled.db, sha))
    out = subprocess.run(
        [sys.executable, "-m", "govcrawl.cli", "parse", str(saved), "--url", page["url"], "--json"],
        capture_output=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["url"] == page["url"]
    assert (result["doc_kind"], result["title"], result["agency"], result["report_year"]) == (
        "annual_report",
        page["title"],
        page["agency"],
        page["year"],
    )
    assert (result["published_date"], result["format"]) == (page["published"], "legacy")
    assert {"declared", "detected", "chosen", "confidence"} <= set(result["encoding"])
    assert result["encoding"]["chosen"] == "gb18030"
    assert [t["name"] for t in result["transforms"]][:2] == ["mojibake", "mojibake_unresolved"]
    assert result["values"] == pytest.approx(page["prose_values"])
    assert result["validation"] == [] and page["title"] in result["text"]


def test_parse_command_on_a_2021_report_lists_checks_with_both_sides(tmp_path):
    from pathlib import Path

    example = Path(__file__).parent / "data" / "examples" / "2025.html"
    out = subprocess.run(
        [sys.executable, "-m", "govcrawl.cli", "parse", str(example), "--json"],
        capture_output=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert len(result["values"]) == 200
    check = next(c for c in result["validation"] if c["rule"] == "app_balance" and c["subject"] == "total")
    assert check == {**check, "ok": True, "expected": 154.0, "actual": 154.0}  # 154 + 0 == 148 + 6
    assert {c["rule"] for c in result["validation"]} >= {
        "app_row_total",
        "app_results_sum_2021",
        "reviews_total",
    }
