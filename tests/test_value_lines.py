"""A flattened table's value names the line of the stored clean text that shows its cell
(`report_values.line`: what the report page numbers and the archived page marks).

Expected from the stored text itself: the line named must print the value's cell. Pages:
the real pages of tests/data, and the real reports of tests/golden/reports printed as an HTML
page whose table was flattened into paragraphs (one cell per <p>, empty cells as a paragraph
of non-breaking spaces, a row broken by <br> or by a newline in the source)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from govcrawl.datasette_plugin.archive import archived_page
from pipelines.process import process_page
from tests.golden_render import cases, render

DATA = Path(__file__).parent / "data"


def flattened_values(page) -> list:
    return [v for v in page.parsed.values.values() if "table" not in v.where and v.source != "prose"]


def assert_lines_show_cells(page) -> int:
    lines = page.text.splitlines()
    values = flattened_values(page)
    for value in values:
        line = value.where.get("line")
        assert line is not None, (value.row_label, value.raw)
        assert "".join(value.raw.split()) in "".join(lines[line].split()), (value.raw, lines[line])
    return len(values)


def paragraphs(text: str, newline_inside: bool = False) -> str:
    """A plain-text report as a Word-to-HTML export prints it: one paragraph a line."""
    joiner = "\n  " if newline_inside else " "
    body = "".join(
        f"<p>{html.escape(line).replace(chr(0xA0), '&nbsp;').replace(' ', joiner)}</p>\n" for line in text.splitlines()
    )
    return f"<html><head><meta charset='utf-8'></head><body><div class='content'>{body}</div></body></html>"


def test_real_pages():
    placed = 0
    for path in sorted((DATA / "examples").glob("*.html")) + sorted((DATA / "seeds").glob("*.txt")):
        placed += assert_lines_show_cells(process_page(path.read_bytes()))
    assert placed >= 150


@pytest.mark.parametrize("newline_inside", [False, True])
@pytest.mark.parametrize("name", sorted(cases()))
def test_golden_reports_flattened_into_paragraphs(name, newline_inside):
    text, is_html = render(cases()[name], "cell_per_line")
    assert not is_html
    plain = process_page(text.encode("utf-8"), "text/plain; charset=utf-8")
    page = process_page(paragraphs(text, newline_inside).encode("utf-8"), "text/html; charset=utf-8")
    assert {k: v.value for k, v in page.parsed.values.items()} == {k: v.value for k, v in plain.parsed.values.items()}
    assert assert_lines_show_cells(page) > 50


def test_a_run_of_empty_cells_is_a_line_of_its_own():
    """A run of empty cells printed as one paragraph of non-breaking spaces is kept as a line,
    and the values read from it name that line."""
    name = next(n for n, case in sorted(cases().items()) if case["layout"].get("zeros_empty"))
    text, _ = render(cases()[name], "cell_per_line")
    page = process_page(paragraphs(text).encode("utf-8"), "text/html; charset=utf-8")
    lines = page.text.splitlines()
    empty = [v for v in flattened_values(page) if v.raw == ""]
    assert empty
    assert all(lines[v.where["line"]] == "\u00a0" for v in empty)


def test_archived_page_marks_the_element_of_the_line():
    text, _ = render(cases()[sorted(cases())[0]], "cell_per_line")
    source = paragraphs(text).encode("utf-8")
    page = process_page(source, "text/html; charset=utf-8")
    value = next(v for v in flattened_values(page) if v.raw.strip())
    shown, _ = archived_page(source, "text/html; charset=utf-8", None, None, None, value.where["line"])
    marked = shown.decode("utf-8").split('id="govcrawl-cell"', 1)[1].split("</p>", 1)[0]
    assert value.raw in marked
