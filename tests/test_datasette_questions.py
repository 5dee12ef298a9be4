"""The questions a researcher asks first, one click from the front page, each checked
against the replica's manifest (what the portal printed) in a real browser: denial rates,
requests/reviews/lawsuits with the correction rate, coverage as a grid, the carry chain, and
a prebuilt chart."""

from __future__ import annotations

import re
import urllib.request
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.browser import chromium, datasette_server, table_rows

DENIED = re.compile(r"applications\.denied\.[a-z_]+\.total$")


@pytest.fixture(scope="module")
def site(crawled, tmp_path_factory):
    shots = tmp_path_factory.mktemp("datasette-questions")
    with datasette_server(crawled.path, shots / "datasette.log") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield base, page, shots


def reports(crawled, formats=("2019", "2021")) -> list[dict]:
    return [
        p for p in crawled.pages("annual_report")
        if p.get("format") in formats and p.get("fault") != "robots_disallowed" and not p.get("twin_of")
    ]


def percent(part: float, whole: float) -> float | None:
    """A share in percent to one decimal, halves rounded up as a reader rounds (6.25 -> 6.3)."""
    if not whole:
        return None
    return float((Decimal(100) * Decimal(str(part)) / Decimal(str(whole))).quantize(Decimal("0.1"), ROUND_HALF_UP))


def cell(text: str) -> float | None:
    return float(text) if text else None


def open_from_front_page(base, page, link_text: str) -> None:
    page.goto(base + "/")
    with page.expect_navigation():
        page.click(f'a:text-is("{link_text}")')


def test_denial_rate_per_agency_per_year(site, crawled):
    base, page, shots = site
    expected = {}
    for p in reports(crawled):
        v = p["values"]
        answered = v["applications.total.total"]
        denied = sum(value for key, value in v.items() if DENIED.match(key))
        expected[(p["agency"], str(p["year"]))] = (
            v["applications.new_received.total"], answered, percent(denied, answered),
            percent(v["applications.granted.total"], answered),
        )
    open_from_front_page(base, page, "denial rate per agency per year")
    page.goto(page.url + "?_size=max")
    page.screenshot(path=shots / "denial_rates.png")
    assert "Denial rate per agency per year" in page.inner_text("h1")
    assert page.locator("textarea#sql-editor").count() == 0  # the SQL is hidden
    got = {
        (r["agency"], r["report_year"]): (cell(r["received"]), cell(r["answered"]), cell(r["denied_percent"]),
                                          cell(r["granted_percent"]))
        for r in table_rows(page)
    }
    assert {k: got[k] for k in expected} == expected
    assert any(row[2] for row in expected.values())  # some denials, so the rate was exercised
    assert all("." not in r["received"] for r in table_rows(page))  # counts print as integers


def test_requests_reviews_lawsuits_and_correction_rate(site, crawled):
    base, page, shots = site
    expected = {}
    for p in reports(crawled):
        v = p["values"]
        lawsuits = v["litigation_direct.total"] + v["litigation_after_review.total"]
        corrected = v["reviews.corrected"] + v["litigation_direct.corrected"] + v["litigation_after_review.corrected"]
        decided = (v["reviews.total"] - v["reviews.pending"] + lawsuits
                   - v["litigation_direct.pending"] - v["litigation_after_review.pending"])
        expected[(p["agency"], str(p["year"]))] = (
            v["applications.new_received.total"], v["reviews.total"], lawsuits, percent(corrected, decided)
        )
    page.goto(base + "/govcrawl/agency_year_grid?_size=max")
    page.screenshot(path=shots / "agency_year_grid.png")
    got = {
        (r["agency"], r["report_year"]): tuple(cell(r[c]) for c in ("requests", "reviews", "lawsuits", "correction_percent"))
        for r in table_rows(page)
    }
    assert {k: got[k] for k in expected} == expected
    assert any(row[3] for row in expected.values())


def test_coverage_grid(site, crawled):
    base, page, shots = site
    present = defaultdict(set)
    for p in reports(crawled, formats=("2019", "2021", "legacy")):
        present[p["agency"]].add(str(p["year"]))
    open_from_front_page(base, page, "coverage as an agency × year grid")
    page.screenshot(path=shots / "coverage_grid.png")
    rows = {r["agency"]: r for r in table_rows(page)}
    assert set(rows) == set(present)
    for agency, years in present.items():
        shown = {y for y, status in rows[agency].items() if status in ("present", "failed")}
        assert shown == years, agency


def test_carry_chain_both_sides(site, crawled):
    base, page, shots = site
    by_year = {(p["agency"], p["year"]): p["values"] for p in reports(crawled)}
    expected = {}
    for (agency, year), v in by_year.items():
        following = by_year.get((agency, year + 1))
        if following is not None:
            forward, over = v["applications.carried_forward.total"], following["applications.carried_over.total"]
            expected[(agency, str(year))] = (forward, over, "matches" if forward == over else "differs")
    open_from_front_page(base, page, "the carry chain: each year's 结转下年度 against the next year's 上年结转")
    page.goto(page.url + "?_size=max")
    page.screenshot(path=shots / "carry_chain.png")
    got = {(r["agency"], r["year"]): (cell(r["carried_forward"]), cell(r["next_carried_over"]), r["chain"])
           for r in table_rows(page)}
    assert {k: got[k] for k in expected} == expected
    assert len(expected) > 5


def test_prebuilt_chart_from_the_front_page(site):
    base, page, shots = site
    page.goto(base + "/")
    with page.expect_navigation():
        page.click('a[href*="denial_rates#g.mark=line"]')
    canvas = page.wait_for_selector(".datasette-vega canvas, canvas", timeout=20000)
    page.wait_for_timeout(500)  # Vega draws after the data arrives
    page.screenshot(path=shots / "chart-denial-rates.png")
    painted = page.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
                  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] + d[i + 1] + d[i + 2] < 600) n++;
                  return n; }""",
        canvas,
    )
    assert canvas.bounding_box()["width"] > 200 and painted > 1000
    assert page.is_checked('form.datasette-vega input[value="line"]')


def test_codebook_from_the_front_page_and_as_csv(site):
    base, page, shots = site
    open_from_front_page(base, page, "codebook")
    page.screenshot(path=shots / "codebook.png")
    assert "2019 and the 2021 formats print it" in page.inner_text("body")
    page.goto(base + "/govcrawl/codebook?_size=max")
    rows = {r["key"]: r for r in table_rows(page)}
    # facts of the two formats as printed (国办公开办函〔2019〕60号 and 〔2021〕30号)
    fee = rows["active.fees.fee_amount_10k_yuan"]
    assert "本年收费金额（单位：万元）" in fee["label_2021"] and fee["label_2019"] == "" and fee["unit"] == "万元"
    secret = rows["applications.denied.state_secret.natural_person"]
    assert "（三）不予公开" in secret["label_2019"] and "1.属于国家秘密" in secret["label_2019"] and "自然人" in secret["label_2019"]
    assert secret["label_2021"] == secret["label_2019"] and secret["unit"] == "件"
    assert rows["applications.other.no_correction.total"]["label_2019"] == ""
    assert "结果纠正" in rows["reviews.corrected"]["label_2021"] and "行政复议" in rows["reviews.corrected"]["label_2021"]
    # table 三: 26 kinds of row (the 2019 and 2021 ones together) × 7 applicant columns; table 四: 15 numbers
    assert sum(k.startswith("applications.") for k in rows) == 26 * 7
    assert sum(k.split(".")[0] in ("reviews", "litigation_direct", "litigation_after_review") for k in rows) == 15
    with urllib.request.urlopen(base + "/govcrawl/codebook.csv?_dl=1&_size=max", timeout=30) as response:
        assert "attachment" in response.headers["Content-Disposition"]
        csv_text = response.read().decode("utf-8")
    assert csv_text.startswith("key,table_name,label_2019,label_2021,english,unit")
    assert "active.fees.fee_amount_10k_yuan" in csv_text
