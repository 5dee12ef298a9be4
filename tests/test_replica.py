"""The replica portal itself: deterministic, scalable, and as varied as the issue asks."""

from __future__ import annotations

from collections import Counter

from tests.replica import tables
from tests.replica.generator import build_portal


def test_same_seed_same_bytes():
    first, second = build_portal(200, seed=3), build_portal(200, seed=3)
    assert {u: p.body for u, p in first.pages.items()} == {u: p.body for u, p in second.pages.items()}
    assert first.manifest() == second.manifest()


def test_size_knob():
    small, large = build_portal(200), build_portal(2000)
    assert 150 <= len(small.pages) <= 260
    assert 1700 <= len(large.pages) <= 2400


def test_formats_encodings_and_kinds_are_all_there():
    portal = build_portal(200)
    reports = [p for p in portal.pages.values() if p.kind == "annual_report"]
    assert {p.format for p in reports} == {"2021", "2019", "legacy"}
    gbk = [p for p in reports if p.encoding == "gbk"]
    assert any(p.header_charset == "utf-8" for p in gbk)  # a lying header
    assert any(p.header_charset is None and p.meta_charset is None for p in gbk)
    assert any(p.encoding == "utf-8" and p.meta_charset is None for p in reports)
    for p in gbk:
        assert p.body.decode("gbk") and b"charset=utf-8" not in p.body
    kinds = Counter(p.kind for p in portal.pages.values())
    assert {"notice", "work_summary", "other", "list", "robots", "missing", "redirect"} <= set(kinds)
    assert {p.twin_of for p in reports if p.twin_of} <= {p.url for p in reports}
    hosts = {p.url.split("/")[2] for p in reports}
    assert {
        "www.panzhihua.gov.cn",
        "wap.panzhihua.gov.cn",
        "www.pzhsxq.gov.cn",
        "www.scdongqu.gov.cn",
    } <= hosts


def test_table_values_satisfy_the_identities_except_the_planted_one():
    portal = build_portal(200)
    columns = tables.application_columns()
    checked = 0
    for page in portal.pages.values():
        if page.kind != "annual_report" or not page.values:
            continue
        v = page.values
        balance_ok = all(
            v[f"applications.new_received.{c}"] + v[f"applications.carried_over.{c}"]
            == v[f"applications.total.{c}"] + v[f"applications.carried_forward.{c}"]
            for c in columns
        )
        assert balance_ok == (page.planted_inconsistency is None), page.url
        for group in ("reviews", "litigation_direct", "litigation_after_review"):
            parts = sum(v[f"{group}.{m}"] for m in ("maintained", "corrected", "other", "pending"))
            assert parts == v[f"{group}.total"]
        checked += 1
    assert checked > 50


def test_report_pages_print_their_table_labels():
    portal = build_portal(200)
    report = next(p for p in portal.pages.values() if p.format == "2021" and p.encoding == "utf-8")
    html = report.body.decode()
    for _, row in tables.application_rows("2021"):
        assert row["label"] in html
    assert "本年制发件数" in html and "本年新制作数量" not in html
    assert "发布时间:" in html and "来源:" in html
