"""Parsing on the replica (against its manifest) and on the real pages (values read by hand)."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from pipelines.process import process_page
from tests.replica.generator import Page, build_portal

DATA = Path(__file__).parent / "data"
DOCUMENT_KINDS = {"annual_report", "work_summary", "notice", "other", "template_essay", "copy"}


@cache
def replica_results() -> list[tuple[Page, object]]:
    """Every article page of the default replica, processed in-process from its bytes."""
    portal = build_portal(size=200)
    out = []
    for page in portal.pages.values():
        if page.kind in DOCUMENT_KINDS and page.fault != "robots_disallowed":  # never fetched
            content_type = page.content_type + (
                f"; charset={page.header_charset}" if page.header_charset else ""
            )
            out.append((page, process_page(page.body, content_type).parsed))
    return out


def expected_kind(page: Page) -> str:
    return "annual_report" if page.kind == "copy" else page.kind  # a garbled copy is still a report


def test_replica_kinds_precision_and_recall():
    results = replica_results()
    kinds = Counter(expected_kind(page) for page, _ in results)
    assert {"annual_report", "work_summary", "notice", "other", "template_essay"} <= set(kinds)
    wrong = [
        (page.url, page.kind, parsed.doc_kind)
        for page, parsed in results
        if parsed.doc_kind != expected_kind(page)
    ]
    assert wrong == []


def test_replica_report_values_equal_the_manifest():
    reports = [(page, parsed) for page, parsed in replica_results() if page.kind == "annual_report"]
    styles = Counter(page.table_style for page, _ in reports)
    assert set(styles) == {None, "html", "word", "lines", "pipes"}  # None: legacy, prose only
    checked = 0
    for page, parsed in reports:
        expected = {**page.values, **page.prose_values}
        got = {key: float(value.value) for key, value in parsed.values.items()}
        assert got == pytest.approx(expected), page.url
        assert parsed.format == page.format, page.url
        checked += len(expected)
    assert checked > 10000


def test_replica_report_metadata():
    for page, parsed in replica_results():
        if page.kind != "annual_report":
            continue
        meta = parsed.metadata
        assert (meta.title, meta.agency, meta.report_year, meta.published_date) == (
            page.title,
            page.agency,
            page.year,
            page.published,
        ), page.url
        assert [s["n"] for s in parsed.sections] == list(range(1, len(parsed.sections) + 1))
        assert len(parsed.sections) >= 5, page.url


def test_identities_hold_except_where_the_replica_plants_a_failure():
    planted = []
    for page, parsed in replica_results():
        if page.kind != "annual_report" or page.format == "legacy":
            continue
        failed = {(check.rule, check.subject) for check in parsed.validation if check.strict and not check.ok}
        if page.planted_inconsistency:
            planted.append(page.url)
            assert parsed.validation_status == "failed"
            # new_received.total is one too high: its row sum and its column's balance both break
            assert failed == {("app_row_total", "new_received"), ("app_balance", "total")}
            balance = next(c for c in parsed.validation if c.rule == "app_balance" and c.subject == "total")
            assert balance.expected == balance.actual + 1  # both sides kept, nothing corrected
            assert (
                parsed.values["applications.new_received.total"].value
                == page.values["applications.new_received.total"]
            )
        else:
            assert failed == set(), page.url
            assert parsed.validation_status == "ok"
    assert planted


def test_garbled_copies_give_their_original_values_or_none_never_wrong_ones():
    portal_pages = {page.url: page for page, _ in replica_results()}
    exact, produced, right = 0, 0, 0
    copies = [(page, parsed) for page, parsed in replica_results() if page.kind == "copy"]
    for page, parsed in copies:
        original = portal_pages[page.copy_of]
        expected = {**original.values, **original.prose_values}
        got = {key: float(value.value) for key, value in parsed.values.items()}
        produced += len(got)
        right += sum(1 for key, value in got.items() if expected.get(key) == pytest.approx(value))
        if page.garbling != "utf8_read_as_gbk":  # every other garbling is fully undone
            assert got == pytest.approx(expected), page.url
            exact += 1
    assert exact >= 20
    assert right == produced  # mojibake loses some cells: those rows are missing, not wrong


# -- real pages --------------------------------------------------------------------------------
def parse_file(relative: str):
    return process_page(
        (DATA / relative).read_bytes(), "text/html" if relative.endswith(".html") else None
    ).parsed


def values_of(parsed) -> dict[str, float]:
    return {key: float(value.value) for key, value in parsed.values.items()}


# Read off the pages by hand (tables of the 2021-format Pingtan reports, seed 001's flattened
# tables), a sample of cells from every table, including merged, empty and decimal ones.
HAND_READ = {
    "examples/2025.html": {
        "applications.new_received.natural_person": 151, "applications.new_received.commercial": 3,
        "applications.new_received.total": 154, "applications.granted.total": 33,
        "applications.partially_granted.total": 38, "applications.denied.internal_affairs.total": 3,
        "applications.unable.not_held.natural_person": 49, "applications.unable.not_held.commercial": 1,
        "applications.not_processed.petition_complaint.total": 2, "applications.other.no_correction.total": 8,
        "applications.other.unpaid_fee.total": 2, "applications.other.other.total": 1,
        "applications.total.total": 148, "applications.carried_forward.natural_person": 4,
        "applications.carried_forward.commercial": 2, "applications.carried_forward.total": 6,
        "reviews.maintained": 25, "reviews.corrected": 3, "reviews.other": 8, "reviews.pending": 0, "reviews.total": 36,
        "litigation_direct.maintained": 3, "litigation_direct.corrected": 3, "litigation_direct.total": 6,
        "litigation_after_review.maintained": 3, "litigation_after_review.total": 3,
        "active.regulations.in_force": 0, "active.normative_documents.issued": 58,
        "active.normative_documents.repealed": 45, "active.normative_documents.in_force": 546,
        "active.licensing.decisions": 2418, "active.penalty.decisions": 644, "active.coercion.decisions": 64,
        "active.fees.fee_amount_10k_yuan": 4166.24161,
    },
    "examples/2022.html": {
        "applications.new_received.natural_person": 71, "applications.new_received.commercial": 3,
        "applications.new_received.total": 74, "applications.carried_over.total": 1,
        "applications.granted.total": 21, "applications.partially_granted.commercial": 1,
        "applications.unable.not_held.total": 37, "applications.other.no_correction.total": 2,
        "applications.other.other.commercial": 2, "applications.total.total": 75,
        "reviews.corrected": 1, "reviews.other": 1, "reviews.total": 2, "litigation_direct.maintained": 1,
        "active.normative_documents.issued": 88, "active.normative_documents.repealed": 55,
        "active.normative_documents.in_force": 698, "active.licensing.decisions": 10690,
        "active.coercion.decisions": 0, "active.fees.fee_amount_10k_yuan": 9116.36,
    },
    "examples/2021.html": {
        "applications.new_received.natural_person": 64, "applications.new_received.commercial": 0,
        "applications.new_received.social_welfare": 2, "applications.new_received.other_org": 4,
        "applications.new_received.total": 70, "applications.granted.total": 30,
        "applications.denied.law_enforcement_files.total": 6, "applications.unable.not_held.total": 25,
        "applications.total.total": 69, "applications.carried_forward.total": 1,
        "reviews.maintained": 1, "reviews.other": 2, "reviews.total": 3,
        "litigation_direct.maintained": 12, "litigation_direct.total": 12,
        "active.normative_documents.issued": 69, "active.normative_documents.in_force": 665,
        "active.licensing.decisions": 2293, "active.penalty.decisions": 1282,
    },
    "seeds/001_2e247731aada4717.txt": {
        "active.regulations.new_made": 0, "active.normative_documents.new_made": 7,
        "active.normative_documents.new_published": 7, "active.normative_documents.total_published": 45,
        "active.licensing.items_last_year": 201, "active.licensing.change": 0, "active.licensing.decisions": 31981,
        "active.other_management_services.change": -43, "active.other_management_services.decisions": 335840,
        "active.penalty.items_last_year": 3181, "active.fees.items_last_year": 40, "active.fees.change": 0,
        "active.centralized_procurement.project_count": 23,
        "active.centralized_procurement.total_amount": 13168400,  # printed 1316.84万元, stored in yuan
        "applications.new_received.natural_person": 3, "applications.new_received.commercial": 1,
        "applications.new_received.research": 0, "applications.new_received.total": 4,
        "applications.carried_over.total": 0, "applications.granted.total": 0,
        "applications.partially_granted.natural_person": 2, "applications.partially_granted.total": 3,
        "applications.unable.not_held.natural_person": 1, "applications.unable.not_held.total": 1,
        "applications.other.total.total": 0, "applications.total.total": 4, "applications.carried_forward.total": 0,
        "reviews.maintained": 1, "reviews.other": 2, "reviews.pending": 1, "reviews.total": 4,
        "litigation_direct.maintained": 1, "litigation_direct.corrected": 1, "litigation_direct.other": 3,
        "litigation_direct.total": 5, "litigation_after_review.total": 0,
    },
    # legacy: the 政府信息公开情况统计表 under the spec's loose map, or prose where there is no table
    "examples/2012-pingtanxian.html": {
        "applications.new_received.total": 21, "applications.granted.total": 17,
        "applications.partially_granted.total": 2, "reviews.total": 0,
    },
    "examples/2018.html": {
        "applications.new_received.total": 0, "applications.granted.total": 0,
        "applications.partially_granted.total": 0, "reviews.total": 0,
    },
    "examples/2013-dishui.html": {"applications.new_received.total": 0, "reviews.total": 0},
    "seeds/000_7f92e3a88d6a6801.txt": {"applications.new_received.total": 0, "reviews.total": 0},
    "seeds/003_2b1681b562146677.txt": {"applications.new_received.total": 0, "reviews.total": 2},
}  # fmt: skip


@pytest.mark.parametrize("relative", sorted(HAND_READ))
def test_real_page_values(relative):
    got = values_of(parse_file(relative))
    for key, value in HAND_READ[relative].items():
        assert got.get(key) == pytest.approx(value), key


@pytest.mark.parametrize(
    ("relative", "count", "status"),
    [("examples/2025.html", 200, "ok"), ("examples/2023.html", 200, "ok"), ("examples/2022.html", 200, "ok"),
     ("examples/2021.html", 200, "ok"), ("seeds/001_2e247731aada4717.txt", 198, "ok")],
)  # fmt: skip
def test_standard_reports_are_read_whole_and_add_up(relative, count, status):
    # 2021 format: 22 (二) ... (200 = 10 active + 25 rows x 7 + 15); 2019: 22 + 23 x 7 + 15 = 198
    parsed = parse_file(relative)
    assert len(parsed.values) == count
    assert parsed.validation_status == status
    assert parsed.problems == []


def test_legacy_values_say_where_they_came_from():
    table = parse_file("examples/2012-pingtanxian.html").values["applications.new_received.total"]
    assert (table.source, table.row_label, table.raw) == ("legacy_table", "受理依申请公开信息总数", "21")
    prose = parse_file("examples/2013-dishui.html").values["reviews.total"]
    assert prose.source == "prose"
    assert "行政复议0件" in prose.raw


def test_value_provenance_points_at_the_cell():
    parsed = parse_file("examples/2025.html")
    value = parsed.values["applications.unable.not_held.natural_person"]
    assert (value.source, value.row_label, value.col_label, value.raw) == (
        "table",
        "1.本机关不掌握相关政府信息",
        "自然人",
        "49",
    )
    assert value.where == {"table": 1, "row": 15, "col": 3}  # 0-based: the 16th <tr> of the 2nd <table>
    seed = parse_file("seeds/001_2e247731aada4717.txt").values["active.centralized_procurement.total_amount"]
    assert (seed.source, seed.raw, seed.unit) == ("text", "1316.84万元", "元")
    assert seed.where["line"] > 0


@pytest.mark.parametrize(
    ("relative", "kind", "title", "agency", "year", "published", "source", "fmt"),
    [
        ("examples/2025.html", "annual_report", "平潭综合实验区2025年度政府信息公开工作年度报告", "平潭综合实验区", 2025,
         "2026-03-10", "平潭综合实验区管委会办公室", "2021"),
        ("examples/2022.html", "annual_report", "平潭综合实验区2022年度政府信息公开工作年度报告", "平潭综合实验区", 2022,
         "2023-02-20", "平潭县人民政府", "2021"),
        ("examples/2018.html", "annual_report", "平潭综合实验区2018年度政府信息公开工作年度报告", "平潭综合实验区", 2018,
         "2019-01-10", "平潭县人民政府", "legacy"),
        ("examples/2013-dishui.html", "annual_report", "平潭综合实验区地方税务局2013年信息公开年度报告",
         "平潭综合实验区地方税务局", 2013, "2014-02-25", "平潭县人民政府", "legacy"),
        ("examples/2012-pingtanxian.html", "annual_report", "平潭县人民政府2012年政府信息公开工作年度报告", "平潭县人民政府",
         2012, "2013-01-17", "平潭县人民政府", "legacy"),
        ("examples/2011.html", "annual_report", "平潭综合实验区2011年政府信息公开工作年度报告", "平潭综合实验区", 2011,
         "2012-04-11", "平潭综合实验区管委会办公室", "legacy"),
        ("examples/notice-2014.html", "notice", "关于2014年政府信息公开工作要点落实情况的函", None, 2014, "2014-12-10",
         "平潭县人民政府", None),
        ("examples/list-index.html", "other", "政府信息公开年报", None, None, None, None, None),
        ("seeds/000_7f92e3a88d6a6801.txt", "work_summary", "攀枝花钒钛高新区管委会关于2018年度政务公开工作总结",
         "攀枝花钒钛高新区管委会", 2018, "2019-01-28", "钒钛高新区党政办", "legacy"),
        ("seeds/001_2e247731aada4717.txt", "annual_report", "攀枝花市东区2019年政府信息公开工作年度报告", "攀枝花市东区", 2019,
         "2020-01-19", "攀枝花市东区人民政府办公室", "2019"),
        ("seeds/002_51c7c4d5e8807803.txt", "annual_report", "临海市投资促进中心2019年度政府信息公开工作报告",
         "临海市投资促进中心", 2019, None, None, "2019"),
        ("seeds/003_2b1681b562146677.txt", "annual_report", "攀枝花市水利局2018年政府信息公开工作年度报告", "攀枝花市水利局",
         2018, "2019-03-15", "攀枝花市水利局", "legacy"),
        ("seeds/004_bf204d996bc629bc.txt", "template_essay", "政务公开工作要点范文", None, None, "2023-04-09", None, None),
    ],
)  # fmt: skip
def test_real_page_kind_and_metadata(relative, kind, title, agency, year, published, source, fmt):
    parsed = parse_file(relative)
    meta = parsed.metadata
    assert parsed.doc_kind == kind
    assert (meta.title, meta.published_date, parsed.format) == (title, published, fmt)
    if kind in ("annual_report", "work_summary"):
        assert (meta.agency, meta.report_year, meta.source) == (agency, year, source)


def test_sections_of_a_2021_report():
    sections = parse_file("examples/2025.html").sections
    assert [s["heading"] for s in sections] == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    assert "信息处理费" in sections[5]["text"]

