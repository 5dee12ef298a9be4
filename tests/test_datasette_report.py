"""A report's own page in Datasette, reached from its row: values laid out as the report's
tables, one click from the cell they came from on the archived page (rendered read-only,
scripts off, the cell marked), its checks and its provenance. Expected numbers are the
replica's manifest (what the portal printed), never the database."""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import quote

import pytest

from tests.browser import chromium, datasette_server, table_rows

KEY = "applications.new_received.natural_person"
ASCII_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@pytest.fixture(scope="module")
def site(crawled, tmp_path_factory):
    shots = tmp_path_factory.mktemp("datasette-report")
    with datasette_server(crawled.path, shots / "datasette.log") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield base, page, shots


def report_of_style(crawled, style: str) -> dict:
    return next(
        p for p in crawled.pages("annual_report")
        if p.get("table_style") == style and p.get("format") == "2021" and p.get("values", {}).get(KEY, 0) > 0
        and not p.get("twin_of") and not p.get("fault")
    )


def printed(text: str) -> str:
    return text.translate(ASCII_DIGITS)


@pytest.mark.parametrize("style", ["html", "pipes"])
def test_a_value_leads_to_its_cell_on_the_archived_page(site, crawled, style):
    base, page, shots = site
    report = report_of_style(crawled, style)
    expected = report["values"][KEY]
    page.goto(f"{base}/govcrawl/reports?url={quote(report['url'], safe='')}")
    (row,) = table_rows(page)
    assert row["title"] == report["title"]
    with page.expect_navigation():
        page.click("td.col-version_id a")  # the row's link to its report page
    assert re.search(r"/-/report/govcrawl/\d+$", page.url)
    assert page.inner_text("h1") == report["title"]
    cell = page.locator(f'td[data-key="{KEY}"]')
    assert cell.inner_text().strip() == str(expected)
    with page.expect_response(lambda r: "/-/archive/" in r.url) as archived:
        cell.locator("a").click()
    assert "sandbox" in archived.value.headers["content-security-policy"]
    frame = page.frame(name="archive")
    frame.wait_for_load_state()
    marked = printed(frame.inner_text("#govcrawl-cell"))
    if style == "html":
        assert marked.strip() == str(expected)
    else:  # a pipe row is one line of text: the marked line holds the row, the value among its fields
        assert str(expected) in [f.strip() for f in marked.split("|")]
    assert frame.evaluate("() => document.scripts.length") == 0
    page.evaluate("() => document.querySelector('iframe.gc-archive').scrollIntoView()")
    page.screenshot(path=shots / f"report-{style}.png")


def test_report_page_shows_checks_text_and_provenance(site, crawled):
    base, page, shots = site
    (planted,) = [p for p in crawled.pages() if p.get("planted_inconsistency") and not p.get("twin_of")]
    (version_id,) = crawled.rows("SELECT version_id FROM reports WHERE url = ?", [planted["url"]])[0]
    page.goto(f"{base}/-/report/govcrawl/{version_id}")
    page.screenshot(path=shots / "report-planted.png")
    body = page.inner_text("body")
    failing = page.eval_on_selector_all("td.gc-fail", "els => els.map(e => e.parentElement.cells[0].innerText)")
    assert sorted(failing) == ["app_balance", "app_row_total"]
    assert planted["agency"] in body and str(planted["year"]) in body
    lines = page.eval_on_selector_all("ol.gc-lines li", "els => els.map(e => e.innerText)")
    assert any(planted["title"] in line for line in lines)
    assert "→ HTTP 200" in body and "SHA-256" in body


def test_archived_page_is_not_a_download_and_calls_nothing(site, crawled):
    base, page, shots = site
    (version_id,) = crawled.rows("SELECT min(version_id) FROM reports")[0]
    with urllib.request.urlopen(f"{base}/-/archive/govcrawl/{version_id}", timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/html")
        policy = response.headers["Content-Security-Policy"]
        body = response.read().decode()
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "<script" not in body.lower()
