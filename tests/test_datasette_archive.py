"""The archived page of the report pages, without a server: the marked cell is the one at the
value's grid position (spans expanded as the cell reader expands them), scripts are gone,
and files that are not pages are shown as they are or as their text."""

from __future__ import annotations

import lxml.html

from govcrawl.datasette_plugin.archive import archived_page

PAGE = """<html><head><meta charset="gbk"><script>alert(1)</script></head><body>
<table><tr><td>x</td></tr></table>
<table>
  <tr><td rowspan="2">一、本年新收</td><td colspan="2">自然人</td><td>总计</td></tr>
  <tr><td>11</td><td>12</td><td>13</td></tr>
</table><p>第一行<br>| 行政强制 | 240 |</p></body></html>"""


def marked(page: bytes) -> lxml.html.HtmlElement:
    tree = lxml.html.fromstring(page.decode("utf-8"))
    (cell,) = tree.xpath('//*[@id="govcrawl-cell"]')
    return cell


def test_the_cell_at_a_grid_position_is_marked_and_scripts_are_gone():
    # row 1 of table 1: grid column 0 is taken by the rowspan above, so 11 sits in column 1
    page, content_type = archived_page(PAGE.encode("utf-8"), "text/html; charset=utf-8", 1, 1, 1, None)
    assert content_type.startswith("text/html") and marked(page).text_content() == "11"
    assert b"<script" not in page and b"gbk" not in page
    page, _ = archived_page(PAGE.encode("utf-8"), "text/html; charset=utf-8", 1, 1, 3, None)
    assert marked(page).text_content() == "13"
    page, _ = archived_page(PAGE.encode("utf-8"), "text/html; charset=utf-8", 1, 0, 2, None)
    assert marked(page).text_content() == "自然人"  # a colspan covers grid columns 1 and 2


def test_a_line_of_text_is_marked():
    page, _ = archived_page("第一行\n| 行政强制 | 240 |\n".encode(), "text/plain; charset=utf-8", None, None, None, 1)
    assert marked(page).text_content() == "| 行政强制 | 240 |"


def test_files_are_shown_as_bytes_or_as_their_text():
    pdf = b"%PDF-1.4 ..."
    assert archived_page(pdf, "application/pdf", None, None, None, None) == (pdf, "application/pdf")
    page, content_type = archived_page(b"PK\x03\x04", "application/msword", None, None, None, 0, "收到申请\n二")
    assert content_type.startswith("text/html") and marked(page).text_content() == "收到申请"
