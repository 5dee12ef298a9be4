"""Copies linked to their originals, without a crawl: the fingerprint of a processed page
(pipelines.fingerprint), the matching of two fingerprints and the grouping of many into reports
(pipelines.copies), and the stored links as the views show them.

The truth is the replica generator's: each garbled copy names its original (copy_of), each
mobile twin its desktop page (twin_of); every other pair of reports is two reports."""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import combinations

import pytest
import sqlite_utils

from govcrawl.stage import StageSettings, run_stage
from pipelines.copies import Member, link_reports
from pipelines.fingerprint import Fingerprint, fingerprint, same_report, similarity, text_shingles
from pipelines.process import process_body
from pipelines.store import FetchRecord, PageRecord, Store
from tests.replica.generator import build_portal

REPORT_TEXT = (
    "攀枝花市示例局2022年政府信息公开工作年度报告。一、总体情况。2022年，本局认真贯彻落实《中华人民共和国政府信息公开条例》，"
    "围绕中心工作，主动公开政府信息，规范依申请公开办理，加强平台建设和监督保障。二、主动公开政府信息情况。全年主动公开信息"
    "三百余条。三、收到和处理政府信息公开申请情况。全年新收申请十二件，均在法定期限内答复。五、存在的主要问题及改进情况。"
    "一是公开内容的深度还需加强，二是政策解读形式较为单一，下一步将加强培训，提高公开质量。"
)
NUMBERS = {f"applications.k{i}": float(i) for i in range(20)}


def content_type(page) -> str:
    return page.content_type + (f"; charset={page.header_charset}" if page.header_charset else "")


@pytest.fixture(scope="module")
def replica_fingerprints():
    """Fingerprints of every report, twin and copy of a small replica, as processing makes them."""
    portal = build_portal(200, seed=3)
    found = {}
    for page in portal.pages.values():
        if page.kind in ("annual_report", "copy"):
            rows = process_body(page.body, content_type(page), page.url)
            assert len(rows.fingerprints) == 1, page.url  # every report and copy is fingerprinted
            found[page.url] = Fingerprint.from_row(rows.fingerprints[0])
    return portal, found


def report_of(portal, url: str) -> str:
    page = portal.pages[url]
    return page.copy_of or page.twin_of or url


def test_every_garbled_copy_and_twin_fingerprints_as_its_original(replica_fingerprints):
    portal, found = replica_fingerprints
    garblings = defaultdict(int)
    for url, page in portal.pages.items():
        original = page.copy_of or page.twin_of
        if original:
            garblings[page.garbling or "mobile twin"] += 1
            match = same_report(found[url], found[original])
            assert match.same, (url, match)
    # every kind of damage the replica serves was tried
    assert set(garblings) == {"traditional+squashed_date", "annotations:toned", "annotations:toneless",
                              "annotations:doubled", "utf8_read_as_gbk", "gbk_declared_utf8", "mobile twin"}  # fmt: skip


def test_no_two_different_reports_of_the_replica_match(replica_fingerprints):
    portal, found = replica_fingerprints
    pairs = 0
    for a, b in combinations(sorted(found), 2):
        if report_of(portal, a) != report_of(portal, b):
            pairs += 1
            assert not same_report(found[a], found[b]).same, (a, b)
    assert pairs > 5000


def test_linking_the_replica_groups_each_report_with_exactly_its_copies(replica_fingerprints):
    portal, found = replica_fingerprints
    members = [
        Member(i, url, "2026-01-01", found[url], official=url.split("/")[2].endswith(".gov.cn"))
        for i, url in enumerate(sorted(found))
    ]
    links = link_reports(members)
    by_report = defaultdict(set)
    for link in links:
        by_report[link.report_id].add(members[link.document_id].url)
    expected = defaultdict(set)
    for url in found:
        expected[report_of(portal, url)].add(url)
    assert sorted(map(sorted, by_report.values())) == sorted(map(sorted, expected.values()))
    # each report's original is the desktop page of the agency's own portal
    for link in links:
        if link.rank == 0:
            page = portal.pages[members[link.document_id].url]
            assert page.kind == "annual_report" and page.twin_of is None


def variant(text: str, **changes) -> Fingerprint:
    fields = {"agency": "攀枝花市示例局", "report_year": 2022, "numbers": NUMBERS, "tables_intact": True, **changes}
    return fingerprint(text, fields["agency"], fields["report_year"], fields["numbers"], fields["tables_intact"])


def test_a_traditional_or_annotated_text_is_compared_after_degarbling_not_before():
    # what the fingerprint compares: Han characters and digits, so punctuation, spacing and
    # Latin letters left in the text (a host name, pinyin) do not make two texts differ
    clean = text_shingles(REPORT_TEXT)
    assert text_shingles(REPORT_TEXT.replace("。", ". ").replace("，", " , ") + " www.example.test") == clean
    assert similarity(variant(REPORT_TEXT).sketch, variant(REPORT_TEXT + " gong kai").sketch) == 1.0


@pytest.mark.parametrize(
    ("name", "other", "same"),
    [
        ("the same report", variant(REPORT_TEXT), True),
        ("a copy that lost a table", variant(REPORT_TEXT, numbers=dict(list(NUMBERS.items())[:12])), True),
        ("a copy whose agency was not read", variant(REPORT_TEXT, agency=None), True),
        ("another agency, same text and numbers", variant(REPORT_TEXT, agency="攀枝花市另一局"), False),
        ("another year", variant(REPORT_TEXT, report_year=2021), False),
        ("one number differs (a corrected edition elsewhere)", variant(REPORT_TEXT, numbers={**NUMBERS, "applications.k7": 8.0}), False),
        ("same numbers, an unrelated text", variant("与此无关的另一篇文章，讲述城市绿化和道路建设的进展情况。" * 8), False),
    ],
)  # fmt: skip
def test_near_misses_do_not_match(name, other, same):
    assert same_report(variant(REPORT_TEXT), other).same is same, name


def test_a_damaged_reading_may_differ_in_a_cell_from_its_original_but_an_intact_one_may_not():
    # a mojibake copy whose repair misread one cell: its identities no longer hold (incomplete)
    misread = {**NUMBERS, "applications.k7": 70.0}
    original = variant(REPORT_TEXT)
    assert same_report(original, variant(REPORT_TEXT, numbers=misread, tables_intact=False)).same
    # the same difference between two intact readings is two reports (an edition corrected elsewhere)
    assert not same_report(original, variant(REPORT_TEXT, numbers=misread)).same
    # a damaged reading of another agency's report is still another report
    assert not same_report(original, variant(REPORT_TEXT, numbers=misread, tables_intact=False, agency=None)).same
    # and many differing cells are another report, damaged or not
    far = {key: value + 1 for key, value in NUMBERS.items()}
    assert not same_report(original, variant(REPORT_TEXT, numbers=far, tables_intact=False)).same


def test_few_numbers_need_the_same_agency_and_nearly_the_same_text():
    legacy = {"applications.new_received.total": 0.0, "reviews.total": 0.0}
    a = variant(REPORT_TEXT, numbers=legacy)
    assert same_report(a, variant(REPORT_TEXT + "（本报告由某网站转载）", numbers=legacy)).same
    # two agencies' legacy reports: the same zeros, the same template, but not one report
    assert not same_report(a, variant(REPORT_TEXT, numbers=legacy, agency=None)).same
    edited = REPORT_TEXT[: len(REPORT_TEXT) // 2] + "另一半内容完全不同，写的是本局的其他工作安排和下一年度的计划要点。" * 3
    assert not same_report(a, variant(edited, numbers=legacy)).same


def test_a_copy_that_matches_two_reports_joins_only_one():
    # two agencies' reports with disjoint tables, and a copy without an agency that agrees
    # with both: the copy may join one, but the two reports never become one
    first = variant(REPORT_TEXT, agency="甲局", numbers={f"k{i}": 1.0 for i in range(12)})
    second = variant(REPORT_TEXT, agency="乙局", numbers={f"k{i}": 1.0 for i in range(12, 24)})
    bridge = variant(REPORT_TEXT, agency=None, numbers={f"k{i}": 1.0 for i in range(24)})
    links = link_reports([Member(1, "http://a.gov.cn/1", "1", first, official=True),
                          Member(2, "http://b.gov.cn/2", "2", second, official=True),
                          Member(3, "http://farm.test/3", "3", bridge)])  # fmt: skip
    report = {link.document_id: link.report_id for link in links}
    assert report[1] != report[2]
    assert report[3] in (report[1], report[2])


def test_the_original_is_the_agencys_own_publication_holding_the_report():
    same = variant(REPORT_TEXT)
    page_only = variant(REPORT_TEXT[:60], numbers={})  # "详见附件": the title and a line
    members = [
        Member(1, "http://www.mirror.test/a/1.shtml", "2026-01-01", same),  # seen first, a mirror
        Member(2, "http://wap.city.gov.cn/a/1.shtml", "2026-01-02", same, official=True),
        Member(3, "http://www.city.gov.cn/a/1.shtml", "2026-01-03", same, official=True),
        Member(4, "http://www.city.gov.cn/a/P01.pdf", "2026-01-03", same, official=True, offered_by=frozenset({3})),
    ]
    links = {link.document_id: link for link in link_reports(members)}
    assert {link.report_id for link in links.values()} == {3}  # the desktop page
    # then the mobile twin (a page), the file, and last the mirror seen first of all
    assert [links[i].rank for i in (3, 2, 4, 1)] == [0, 1, 2, 3]
    # a page that only offers its file stands behind the file, which holds the numbers
    links = {link.document_id: link for link in link_reports([
        Member(5, "http://www.city.gov.cn/b/2.shtml", "2026-01-01", page_only, official=True),
        Member(6, "http://www.city.gov.cn/b/P02.pdf", "2026-01-01", same, official=True, offered_by=frozenset({5})),
    ])}  # fmt: skip
    assert links[5].report_id == links[6].report_id == 6 and links[5].reason == "attachment of its page"
    # the same short page, not offering the file, is not linked to it
    links = link_reports([Member(5, "http://www.city.gov.cn/b/2.shtml", "1", page_only, official=True),
                          Member(6, "http://www.city.gov.cn/b/P02.pdf", "1", same, official=True)])  # fmt: skip
    assert {link.report_id for link in links} == {5, 6}


# -- stored: the process stage links, the views count each report once -------------------------
def store_pages(path, pages) -> None:
    store = Store(path)
    run_id = store.start_run("test", "test", {})
    for n, page in enumerate(pages):
        fetched_at = f"2026-01-01T00:00:{n:02d}"
        fetch_id = store.record_fetch(FetchRecord(run_id, page.url, status=200, body=page.body, fetched_at=fetched_at,
                                                  headers={"Content-Type": [content_type(page)]}))  # fmt: skip
        store.store_page(PageRecord(run_id, fetch_id, page.url, page.url, 200, page.body, None, fetched_at))
    store.finish_run(run_id, "finished", {})
    store.close()


def test_the_stage_links_copies_and_reports_count_each_report_once(tmp_path):
    portal = build_portal(200, seed=3)
    copies = [p for p in portal.pages.values() if p.copy_of][:3]
    lone_copy = next(p for p in portal.pages.values() if p.garbling == "traditional+squashed_date" and p not in copies)
    originals = [portal.pages[p.copy_of] for p in copies]
    path = tmp_path / "govcrawl.db"
    # copies first: seen before their originals, they still are the copies
    store_pages(path, [*copies, lone_copy, *originals])
    summary = run_stage(path, settings=StageSettings(workers=1))
    assert (summary["reports"], summary["copies"]) == (4, 3)
    db = sqlite_utils.Database(path)
    reports = {row["url"]: row for row in db["reports"].rows}
    assert set(reports) == {p.url for p in originals} | {lone_copy.url}
    assert reports[lone_copy.url]["copy_only"] == 1 and all(reports[p.url]["copy_only"] == 0 for p in originals)
    listed = {row["url"]: row for row in db["copies"].rows}
    assert {url: row["original_url"] for url, row in listed.items()} == {p.url: p.copy_of for p in copies}
    for page in copies:
        row = listed[page.url]
        assert row["host"] == page.url.split("/")[2] and row["original_host"] == page.copy_of.split("/")[2]
        undone = {part.split()[0] for part in (row["damage_undone"] or "").split(", ") if part}
        kind = {"traditional+squashed_date": "traditional", "utf8_read_as_gbk": "mojibake"}.get(page.garbling)
        if page.garbling.startswith("annotations:"):
            kind = "annotations"
        if kind:
            assert kind in undone, (page.garbling, row["damage_undone"])
    status = {(row["agency"], row["year"]): row["status"] for row in db["coverage"].rows}
    assert status[(lone_copy.agency, lone_copy.year)] == "copy only"
    # the original taken down: its copy fills in, and coverage says so
    gone = originals[0]
    db.execute("UPDATE documents SET gone_at = '2026-02-01' WHERE url = ?", [gone.url])
    db.conn.commit()
    stand_in = next(p for p in copies if p.copy_of == gone.url)
    reports = {row["url"]: row for row in db["reports"].rows}
    assert gone.url not in reports and reports[stand_in.url]["copy_only"] == 1
    assert status[(gone.agency, gone.year)] == "present"
    status = {(row["agency"], row["year"]): row["status"] for row in db["coverage"].rows}
    assert status[(gone.agency, gone.year)] == "copy only"


def test_linking_is_rerunnable_and_fills_in_fingerprints_of_older_databases(tmp_path):
    portal = build_portal(200, seed=3)
    copy = next(p for p in portal.pages.values() if p.garbling == "annotations:doubled" and p.format != "legacy")
    path = tmp_path / "govcrawl.db"
    store_pages(path, [portal.pages[copy.copy_of], copy])
    run_stage(path, settings=StageSettings(workers=1))
    db = sqlite_utils.Database(path)
    links = db.execute("SELECT document_id, report_id, rank FROM copy_links ORDER BY 1").fetchall()
    # a database processed before fingerprints existed: none stored, none linked
    db.execute("DELETE FROM report_fingerprints")
    db.execute("DELETE FROM copy_links")
    db.conn.commit()
    summary = run_stage(path, settings=StageSettings(workers=1))
    assert summary["processed"] == 0 and summary["copies"] == 1
    assert db.execute("SELECT document_id, report_id, rank FROM copy_links ORDER BY 1").fetchall() == links
    assert db.execute("SELECT count(*) FROM report_fingerprints").fetchone()[0] == 2
    # the fingerprints' numbers are the tables the generator printed, on the copy as on the original
    printed = {key: float(value) for key, value in portal.pages[copy.copy_of].values.items()}
    for (numbers,) in db.execute("SELECT numbers FROM report_fingerprints"):
        assert json.loads(numbers) == printed


def test_a_bug_in_linking_leaves_the_processed_versions_processed(tmp_path, monkeypatch, caplog):
    portal = build_portal(200, seed=3)
    copy = next(p for p in portal.pages.values() if p.garbling == "annotations:toned")
    path = tmp_path / "govcrawl.db"
    store_pages(path, [portal.pages[copy.copy_of], copy])

    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr("govcrawl.stage.relink", broken)
    summary = run_stage(path, settings=StageSettings(workers=1))
    assert summary["processed"] == 2 and summary["failure"] is None and summary["pending"] == 0
    assert "linking copies to their originals failed" in caplog.text
    db = sqlite_utils.Database(path)
    assert db.execute("SELECT count(*) FROM report_fingerprints").fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM copy_links").fetchone()[0] == 0
    monkeypatch.undo()
    assert run_stage(path, settings=StageSettings(workers=1))["copies"] == 1  # the next run links them
