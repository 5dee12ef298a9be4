"""The one composition of processing: a page parsed once, its text (not its tags) de-garbled,
and a result digest that moves when, and only when, the stored rows move."""

from __future__ import annotations

from pathlib import Path

import lxml.html

from pipelines.cells import html_cells
from pipelines.degarble import Degarbled
from pipelines.process import PROCESSOR_VERSION, clean_document, process_body, process_page
from tests.limit_pages import page

EXAMPLES = Path(__file__).parent / "data" / "examples"
REPORT = (EXAMPLES / "2021.html").read_bytes()


def test_a_page_is_parsed_by_libxml2_once(monkeypatch):
    calls = []
    real = lxml.html.fromstring

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(lxml.html, "fromstring", counted)
    rows = process_body(REPORT, "text/html")
    assert len(calls) == 1
    assert rows.failure is None and len(rows.values) > 100  # text, cells and metadata all read


def test_text_is_degarbled_and_tags_are_left_as_written():
    # pinyin readings after characters (a content farm's), in the text and in an attribute
    body = page('<p><a href="/x/t20190312_1.htm" title="區(qū)政(zheng)府">區(qū)政(zheng)府</a>'
                "信息公开年度报告</p>")  # fmt: skip
    result = process_page(body, "text/html")
    assert result.text == "区政府信息公开年度报告"
    assert dict((t["name"], t["count"]) for t in result.clean.degarbled.transforms)["annotations"] == 2
    html = result.clean.degarbled.text
    assert 'title="區(qū)政(zheng)府"' in html and 'href="/x/t20190312_1.htm"' in html


def test_metadata_in_meta_tags_is_degarbled_with_the_text():
    head = '<meta name="ArticleTitle" content="某區(qū)2021年政府信息公开工作年度报告">'
    result = process_page(page("<p>正文</p>", head), "text/html")
    assert result.parsed.metadata.title == "某区2021年政府信息公开工作年度报告"


def test_non_breaking_space_entities_still_count_as_empty_cells():
    # a flattened table: a line of N &nbsp; stands for N empty cells (seed 001's form, in HTML)
    rows = "".join(f"<p>{label}</p><p>&nbsp;&nbsp;&nbsp;</p><p>4</p>" for label in ("甲", "乙"))
    clean = clean_document(page(rows).decode())  # de-garbled (noise: odd spaces), then parsed
    cells = html_cells(clean.tree)
    assert [(c.kind, c.width) for c in cells][:3] == [("label", 1), ("blank", 3), ("number", 1)]


def test_result_digest_follows_the_stored_rows():
    first, again = process_body(REPORT, "text/html"), process_body(REPORT, "text/html")
    assert first.text["result_sha256"] == again.text["result_sha256"]
    assert first.text["processor_version"] == PROCESSOR_VERSION
    # a comment and a script change the bytes, not a stored row: the same digest
    quiet = REPORT.replace(b"</body>", b"<!-- x --><script>var a = 1;</script></body>", 1)
    assert quiet != REPORT
    same = process_body(quiet, "text/html")
    assert same.text["text"] == first.text["text"] and same.values == first.values
    assert same.text["result_sha256"] == first.text["result_sha256"]
    # one figure of a table printed differently: one stored value moves, and the digest with it
    printed = next(f">{v['raw']}<".encode() for v in first.values if REPORT.count(f">{v['raw']}<".encode()) == 1)
    moved = process_body(REPORT.replace(printed, printed[:-1] + b"1<"), "text/html")
    assert moved.values != first.values
    assert moved.text["result_sha256"] != first.text["result_sha256"]


def test_a_transform_that_moved_text_across_tags_has_the_whole_page_degarbled(monkeypatch):
    from pipelines import process

    seen = []

    def merging(text):  # a transform that drops the marks where tags stood
        seen.append(text)
        return Degarbled(text.replace("<>", ""), [{"name": "noise", "count": len(seen)}])

    monkeypatch.setattr(process, "degarble", merging)
    monkeypatch.setattr(process, "untouched", lambda html: None)  # the clean-page gate lets it on
    body = "<html><body><p>甲</p><p>乙</p></body></html>"
    degarbled = process.degarble_html(body)
    assert seen == ["<><><>甲<><>乙<><><>", body]  # the text (8 tags, 8 marks), then the whole page
    assert degarbled.text == body and degarbled.transforms == [{"name": "noise", "count": 2}]
