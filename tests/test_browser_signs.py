"""Which plain pages need a browser (pipelines.browser_signs), and which the profile marks."""

from __future__ import annotations

import pytest

from govcrawl.profiles import load_profile, path_entry
from pipelines.browser_signs import JS_CHALLENGE, JS_LIST, browser_reason
from tests.replica.browser_pages import CHALLENGE_HTML
from tests.replica.generator import build_portal

FETCH_SCRIPT = (
    "<script>fetch('list_1.json').then(r => r.json()).then(d => "
    "{document.getElementById('list').innerHTML = d.items.join('');});</script>"
)


def page(body: str) -> bytes:
    return f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>".encode()


def test_js_challenge():
    assert browser_reason(CHALLENGE_HTML) == JS_CHALLENGE
    redirecting = page('<p>请稍候</p><script>document.cookie="k=1";location.href="/x";</script>')
    assert browser_reason(redirecting) == JS_CHALLENGE


def test_the_script_hint_is_found_however_the_script_tag_is_written():
    """The hint is looked for in the scripts only: upper-case tags, an attribute holding `>`
    and a script left open to the end of the page are still scripts."""
    script = FETCH_SCRIPT.removeprefix("<script>").removesuffix("</script>")
    for tag, end in (("<SCRIPT>", "</SCRIPT>"), ("<script type='a>b'>", "</script>"), ("<Script>", "")):
        assert browser_reason(page(f'<ul class="list" id="list"></ul>{tag}{script}{end}')) == JS_LIST, tag
    # hint words in the page's text, not in a script: no reason
    assert browser_reason(page('<ul class="list"></ul><p>fetch( innerHTML</p><script>var a = 1;</script>')) is None


def test_a_long_page_that_sets_a_cookie_is_not_a_challenge():
    text = "<p>" + "政府信息公开工作年度报告正文。" * 40 + "</p>"
    body = page(text + '<script>document.cookie="font=16";location.reload();</script>')
    assert browser_reason(body) is None


def test_js_list():
    assert browser_reason(page(f'<ul class="list" id="list"></ul>{FETCH_SCRIPT}')) == JS_LIST
    table = page(f"<table><tbody></tbody></table>{FETCH_SCRIPT}")
    assert browser_reason(table) == JS_LIST
    jquery = page('<div id="newsList"> </div><script>$.getJSON("a.json", function(d){$("#newsList").html(d)});</script>')
    assert browser_reason(jquery) == JS_LIST


def test_lists_that_are_already_there_or_need_no_script():
    filled = page(f'<ul class="list"><li><a href="1.shtml">2024年报告</a></li></ul>{FETCH_SCRIPT}')
    assert browser_reason(filled) is None
    empty_without_script = page('<ul class="list"></ul><script>var _hmt = [];</script>')
    assert browser_reason(empty_without_script) is None
    fetch_without_writing = page("<ul class='list'></ul><script>fetch('/stat?p=1');</script>")
    assert browser_reason(fetch_without_writing) is None


@pytest.mark.parametrize("body", [b"", b"not html at all \xff\xfe", b"<script>fetch(", b"\x00" * 100])
def test_odd_bytes_give_no_reason(body):
    assert browser_reason(body) is None


def test_replica_pages_need_the_browser_exactly_where_planted():
    portal = build_portal(200)
    flagged = {url for url, p in portal.pages.items() if browser_reason(p.body)}
    assert flagged == {url for url, p in portal.pages.items() if p.fault == "js_list"}
    assert len(flagged) == 4  # the shell, its two script-paginated pages, the hostile shell (公示公告)


def test_profile_marks_pages_for_the_browser():
    shili, panzhihua = load_profile("shili"), load_profile("panzhihua")
    assert shili.needs_browser("http://xian.shili.test/xxgk/ndbg/10050447.shtml")
    assert not shili.needs_browser("http://www.shili.test/xxgk/ndbg/10050359.shtml")  # other host
    assert not shili.needs_browser("http://xian.shili.test/xxgk/ndbg/index.shtml")  # found by its signs
    assert shili.is_article_page("http://xian.shili.test/xxgk/ndbg/10050447.shtml")
    assert not panzhihua.browser_paths
    with pytest.raises(ValueError, match="render"):
        path_entry({"pattern": "^/x$", "render": "firefox"})
