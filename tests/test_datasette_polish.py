"""What a researcher meets first on a table page, in a real browser: the rows before the
column descriptions (folded), year facets in year order, integer counts, a search box that
finds two-character words, and CSV that Excel opens (a byte order mark on request)."""

from __future__ import annotations

import urllib.request

import pytest

from tests.browser import chromium, datasette_server, table_rows


@pytest.fixture(scope="module")
def site(crawled, tmp_path_factory):
    shots = tmp_path_factory.mktemp("datasette-polish")
    with datasette_server(crawled.path, shots / "datasette.log") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield base, page, shots


def test_rows_come_before_folded_column_descriptions(site):
    base, page, shots = site
    page.goto(base + "/govcrawl/applications")
    page.screenshot(path=shots / "applications.png")
    assert page.is_visible("summary:text-is('Column descriptions')")
    assert not page.is_visible("dl.column-descriptions")  # folded
    folded_top = page.locator("table.rows-and-columns").bounding_box()["y"]
    page.click("summary:text-is('Column descriptions')")
    assert page.is_visible("dl.column-descriptions")
    unfolded_top = page.locator("table.rows-and-columns").bounding_box()["y"]
    assert folded_top < 1100 and unfolded_top - folded_top > 500  # the descriptions' height, saved


def test_year_facet_in_year_order_and_integer_counts(site):
    base, page, shots = site
    page.goto(base + "/govcrawl/applications")  # report_year is a facet of the metadata
    items = page.eval_on_selector_all(
        '.facet-info[data-column="report_year"] li a', "els => els.map(e => e.innerText.trim())"
    )
    years = [int(text.split()[0]) for text in items if text.split()[0].isdigit()]
    assert len(years) > 5 and years == sorted(years)
    received = [r["received"] for r in table_rows(page) if r["received"]]
    assert received and all(value.isdigit() for value in received)  # 16, never 16.0


def test_two_character_search_from_the_box(site, crawled):
    base, page, shots = site
    word = "复议"
    expected = {
        (a, str(y), title) for a, y, title, text in crawled.rows(
            "SELECT r.agency, r.report_year, r.title, t.text FROM reports r JOIN document_texts t USING (version_id)")
        if word in title or word in text
    }
    assert expected
    page.goto(base + "/govcrawl/reports")
    page.fill('input[name="_search"]', word)
    with page.expect_navigation():
        page.press('input[name="_search"]', "Enter")
    page.screenshot(path=shots / "search-box-two-characters.png")
    assert "/govcrawl/search?q=" in page.url
    assert {(r["agency"], r["report_year"], r["title"]) for r in table_rows(page)} == expected


def test_csv_for_excel_starts_with_a_byte_order_mark(site):
    base, page, shots = site
    page.goto(base + "/govcrawl/codebook")
    href = page.get_attribute("a.csv-bom", "href")
    assert href and "_bom=1" in href
    with urllib.request.urlopen(href, timeout=30) as response:
        body = response.read()
    assert body.startswith("\ufeffkey,".encode())
    body.decode("utf-8")  # still UTF-8 throughout
    plain = page.get_attribute('a[href*=".csv"]:not(.csv-bom)', "href")
    with urllib.request.urlopen(base + plain if plain.startswith("/") else plain, timeout=30) as response:
        assert response.read().startswith(b"key,")  # no mark unless asked
