"""Datasette over a crawl of the replica, as a researcher uses it: a real `govcrawl serve`
process on 127.0.0.1 driven by headless Chromium. Expected rows are computed from the
replica's manifest (what was served) or, where the manifest cannot say, from the tables.
Screenshots are saved under the session's tmp dir (datasette-ui*/)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page

from pipelines.store import read_body
from tests.browser import chromium, datasette_server, table_rows

OUTCOME_KEY = re.compile(r"applications\.(.+)\.total$")
NOT_OUTCOMES = {"new_received", "carried_over", "total", "carried_forward"}


@dataclass
class UI:
    base: str
    page: Page
    shots: Path

    def open(self, path: str) -> Page:
        self.page.goto(self.base + path)  # Datasette renders on the server: "load" is enough
        return self.page

    def shot(self, name: str) -> None:
        self.page.screenshot(path=self.shots / f"{name}.png")  # the viewport: full pages cost seconds


@pytest.fixture(scope="module")
def ui(crawled, tmp_path_factory) -> UI:
    shots = tmp_path_factory.mktemp("datasette-ui")
    with datasette_server(crawled.path, shots / "datasette.log") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield UI(base, page, shots)


def manifest_reports(crawled, kinds=("annual_report", "work_summary")) -> list[dict]:
    """One manifest page per report: no mobile twins, nothing robots.txt forbids."""
    return [
        p
        for p in crawled.pages()
        if p["kind"] in kinds and p.get("fault") != "robots_disallowed" and not p.get("twin_of")
    ]


def number(cell: str) -> float | None:
    return float(cell) if cell else None


def facet_counts(page: Page, column: str) -> dict[str, int]:
    items = page.eval_on_selector_all(f'.facet-info[data-column="{column}"] li', "els => els.map(e => e.innerText)")
    return {label.strip(): int(count) for label, count in (item.strip().rsplit(None, 1) for item in items)}


def test_index_page_introduces_the_data(ui):
    page = ui.open("/")
    ui.shot("index")
    assert "政府信息公开工作年度报告" in page.title()
    body = page.inner_text("body")
    assert "Start with the reports view" in body and "two-character word such as 复议" in body
    links = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    assert {"/govcrawl/reports", "/govcrawl/search", "/govcrawl/coverage", "/govcrawl/provenance"} <= set(links)


def test_reports_table_with_its_facets(ui, crawled):
    reports = manifest_reports(crawled)
    page = ui.open("/govcrawl/reports")
    ui.shot("reports")
    assert f"{len(reports)} rows" in page.inner_text("body")
    assert "copies says how many" in page.inner_text("body")  # the view's description
    facets = page.eval_on_selector_all(".facet-info", "els => els.map(e => e.dataset.column)")
    assert sorted(facets) == sorted(["agency", "report_year", "doc_kind", "format", "validation_status"])
    assert facet_counts(page, "agency") == Counter(p["agency"] for p in reports)
    assert facet_counts(page, "report_year") == {str(y): n for y, n in Counter(p["year"] for p in reports).items()}
    assert facet_counts(page, "doc_kind") == Counter(p["kind"] for p in reports)

    with page.expect_navigation():
        page.click('.facet-info[data-column="validation_status"] a:text-is("failed")')
    ui.shot("reports-failed")
    (planted,) = [p for p in reports if p.get("planted_inconsistency")]
    rows = table_rows(page)
    assert [(r["agency"], r["report_year"], r["title"]) for r in rows] == [
        (planted["agency"], str(planted["year"]), planted["title"])
    ]


def report_texts(crawled) -> list[tuple[str, int, str, str]]:
    return crawled.rows(
        "SELECT r.agency, r.report_year, r.title, t.text FROM reports r JOIN document_texts t USING (version_id)"
    )


def containing(crawled, word: str) -> set[tuple[str, str, str]]:
    """Reports whose title or text contain `word`, found by Python, not by SQLite."""
    return {(a, str(y), title) for a, y, title, text in report_texts(crawled) if word in title or word in text}


def test_search_box_of_reports_finds_a_known_report(ui, crawled):
    (planted,) = [p for p in manifest_reports(crawled) if p.get("planted_inconsistency")]
    page = ui.open("/govcrawl/reports")
    page.fill('input[name="_search"]', planted["title"])
    with page.expect_navigation():
        page.press('input[name="_search"]', "Enter")
    ui.shot("reports-search")
    found = {(r["agency"], r["report_year"], r["title"]) for r in table_rows(page)}
    assert (planted["agency"], str(planted["year"]), planted["title"]) in found
    assert found == containing(crawled, planted["title"])


@pytest.mark.parametrize("word", ["政府信息公开", "攀枝花", "复议", "信息处理费", "概述"])
def test_search_query_finds_chinese_words_of_any_length(ui, crawled, word):
    expected = containing(crawled, word)
    assert expected, word
    page = ui.open("/govcrawl/search")
    page.fill('input[name="q"]', word)
    with page.expect_navigation():
        page.click('input[type="submit"]')
    rows = table_rows(page)
    assert {(r["agency"], r["report_year"], r["title"]) for r in rows} == expected
    assert all(word in r["context"] or word in r["title"] for r in rows)
    assert all(int(r["occurrences"]) >= 1 for r in rows)
    if len(word) == 2:
        ui.shot(f"search-{word}")


def test_searched_words_pick_some_reports_not_all(crawled):
    """The search test above would pass trivially if a word were in every report or none:
    概述 heads legacy reports only, 信息处理费 is in some 2021 reports."""
    everything = containing(crawled, "")
    for word in ("概述", "信息处理费"):
        assert 0 < len(containing(crawled, word)) < len(everything), word


def test_requests_received_per_agency_per_year(ui, crawled):
    expected = {}
    for p in manifest_reports(crawled):
        figures = {**p.get("values", {}), **p.get("prose_values", {})}
        if "applications.new_received.total" in figures:
            expected[(p["agency"], str(p["year"]))] = figures["applications.new_received.total"]
    page = ui.open("/govcrawl/requests_received")
    ui.shot("requests_received")
    rows = table_rows(page)
    assert {(r["agency"], r["report_year"]): number(r["received"]) for r in rows} == expected
    assert len(rows) == len(expected)


def test_outcome_shares_of_answered_requests(ui, crawled):
    requests: dict[tuple[str, str], float] = defaultdict(float)
    answered: dict[str, float] = defaultdict(float)
    for p in manifest_reports(crawled):
        if p.get("format") not in ("2019", "2021"):
            continue
        for key, value in p.get("values", {}).items():
            match = OUTCOME_KEY.match(key)
            if not match:
                continue
            outcome = match.group(1)
            if outcome == "total":
                answered[str(p["year"])] += value
            elif outcome not in NOT_OUTCOMES:
                outcome = "other" if outcome.startswith("other.") else outcome
                requests[(str(p["year"]), outcome)] += value
    page = ui.open("/govcrawl/outcome_shares")
    ui.shot("outcome_shares")
    rows = table_rows(page)
    assert {(r["report_year"], r["outcome"]): number(r["requests"]) for r in rows} == pytest.approx(requests)
    for r in rows:
        share = 100 * requests[(r["report_year"], r["outcome"])] / answered[r["report_year"]]
        assert number(r["percent_of_answered"]) == pytest.approx(round(share, 1), abs=0.051)
    denial_reasons = {r["outcome"] for r in rows if r["outcome"].startswith("denied.")}
    assert len(denial_reasons) == 8


def test_reviews_and_lawsuits_and_how_often_the_agency_lost(ui, crawled):
    expected = {}
    for p in manifest_reports(crawled):
        v = p.get("values", {})
        if p.get("format") not in ("2019", "2021") or "reviews.total" not in v:
            continue
        lawsuits = v["litigation_direct.total"] + v["litigation_after_review.total"]
        lost = v["litigation_direct.corrected"] + v["litigation_after_review.corrected"]
        decided = lawsuits - v["litigation_direct.pending"] - v["litigation_after_review.pending"]
        expected[(p["agency"], str(p["year"]))] = (
            v["reviews.total"],
            v["reviews.corrected"],
            lawsuits,
            lost,
            round(100 * lost / decided, 1) if decided else None,
        )
    page = ui.open("/govcrawl/reviews_and_lawsuits")
    ui.shot("reviews_and_lawsuits")
    got = {
        (r["agency"], r["report_year"]): tuple(
            number(r[c]) for c in ("reviews", "reviews_corrected", "lawsuits", "lawsuits_corrected", "lawsuits_lost_percent")
        )
        for r in table_rows(page)
    }
    assert got == expected
    assert any(row[2] for row in expected.values())  # some lawsuits, so the shares were exercised


def test_failed_identities(ui, crawled):
    (planted,) = [p for p in manifest_reports(crawled) if p.get("planted_inconsistency")]
    page = ui.open("/govcrawl/failed_identities")
    ui.shot("failed_identities")
    rows = table_rows(page)
    assert {(r["agency"], r["report_year"], r["rule"], r["subject"]) for r in rows} == {
        (planted["agency"], str(planted["year"]), "app_row_total", "new_received"),
        (planted["agency"], str(planted["year"]), "app_balance", "total"),
    }
    assert all(abs(number(r["difference"])) == 1 for r in rows)  # one too high, as printed


def test_last_crawl_added_everything_of_the_first_crawl(ui, crawled):
    documents = {url for (url,) in crawled.rows("SELECT url FROM documents")}
    page = ui.open("/govcrawl/last_crawl_added")
    ui.shot("last_crawl_added")
    rows = table_rows(page)
    assert {r["url"] for r in rows} == documents and len(rows) == len(documents)
    assert {(r["run_id"], r["change"]) for r in rows} == {("1", "new document")}
    reports = {p["url"] for p in manifest_reports(crawled)}
    assert reports <= {r["url"] for r in rows}


def test_provenance_follows_the_redirect_chain_to_the_bytes(ui, crawled):
    pages = {p["url"]: p for p in crawled.pages()}
    (final,) = [p for p in pages.values() if p.get("fault") == "redirect_target"]
    page = ui.open(f"/govcrawl/provenance?url={quote(final['url'], safe='')}")
    ui.shot("provenance")
    rows = table_rows(page)
    hops = [p for p in pages.values() if p["kind"] == "redirect" and p.get("fault") == "redirect_chain"]
    assert [(r["url"], r["status"], r["redirect_to"]) for r in rows] == [
        *sorted(((h["url"], str(h["status"]), h["location"]) for h in hops), key=lambda h: h[1]),
        (final["url"], "200", ""),
    ]
    served = Counter(entry["url"] for entry in crawled.server_log)
    assert all(served[r["url"]] == 1 for r in rows)  # one row per request the portal saw
    last = rows[-1]
    assert hashlib.sha256(read_body(crawled.db, last["body_sha256"])).hexdigest() == last["body_sha256"]
    assert int(last["body_length"]) == final["length"] and last["version_id"]
    assert "Content-Type" in last["headers"] and "User-Agent" in last["request_headers"]


def test_coverage_shows_reports_and_failures_by_agency_and_year(ui, crawled):
    reports = manifest_reports(crawled, kinds=("annual_report",))
    page = ui.open("/govcrawl/coverage?_size=max")
    ui.shot("coverage")
    rows = table_rows(page)
    present = {(r["agency"], r["year"]) for r in rows if r["status"] in ("present", "failed")}
    assert present == {(p["agency"], str(p["year"])) for p in reports}
    (planted,) = [p for p in reports if p.get("planted_inconsistency")]
    assert {(r["agency"], r["year"]) for r in rows if r["status"] == "failed"} == {
        (planted["agency"], str(planted["year"]))
    }
    assert facet_counts(page, "status")["failed"] == 1


def test_chart_renders_requests_per_year(ui):
    chart = "#g.mark=bar&g.x_column=report_year&g.x_type=ordinal&g.y_column=received&g.y_type=quantitative"
    page = ui.open("/govcrawl/requests_received" + chart + "&g.color_column=agency")
    canvas = page.wait_for_selector(".datasette-vega canvas, #vis-tool canvas, canvas", timeout=20000)
    page.wait_for_timeout(500)  # Vega draws after the data arrives
    ui.shot("chart")
    painted = page.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
                  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] + d[i + 1] + d[i + 2] < 600) n++;
                  return n; }""",
        canvas,
    )
    assert canvas.bounding_box()["width"] > 200 and painted > 2000
    assert page.is_checked('form.datasette-vega input[value="bar"]')
    selected = page.eval_on_selector_all("form.datasette-vega select", "els => els.map(e => e.value)")
    assert {"report_year", "received", "agency"} <= set(selected)
