"""pipelines.suspect on realistic answers: soft 404 templates, glitches, and real reports."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from pipelines.suspect import suspect_reason

EXAMPLES = Path(__file__).parent / "data" / "examples"

# The error template of a Chinese municipal CMS: navigation, a heading, a link home.
SOFT_404 = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>页面不存在 - 攀枝花市人民政府</title>
<style>.box{margin:0 auto;width:600px}</style><script>var t=5;setInterval(function(){t--},1000)</script>
</head><body><div class="top"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>
<div class="box"><h2>对不起，您访问的页面不存在或已被删除！</h2>
<p>5秒后自动返回<a href="/">首页</a></p></div>
<div class="foot">主办：攀枝花市人民政府办公室 版权所有 蜀ICP备05000000号</div></body></html>"""

NGINX_404_AS_200 = b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

SHORT_NOTICE = """<html><head><meta charset="gbk"><title>关于2023年政府信息公开工作年度报告的说明</title></head>
<body><h1>关于2023年政府信息公开工作年度报告的说明</h1><p>本机关2023年度报告已于3月31日发布，见附件。</p></body></html>"""


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"", "empty body"),
        (b"  \r\n\t \n", "empty body"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary body (PNG)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary body (PDF)"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(50), "binary body (ZIP)"),
        (gzip.compress("<html>年度报告</html>".encode(), mtime=0), "binary body (GZIP)"),  # mtime: one test id for every worker
        (bytes(range(256)) * 20, "binary body (binary)"),
        (SOFT_404.encode("utf-8"), "error page (页面不存在)"),
        (NGINX_404_AS_200, "error page (404)"),
        ("<html><head><title>出错了</title></head><body>系统繁忙</body></html>".encode("gbk"), "error page (出错了)"),
    ],
)
def test_suspect_answers_are_named(body, reason):
    assert suspect_reason(body, "text/html") == reason


def test_real_reports_are_not_suspect():
    pages = sorted(EXAMPLES.glob("*.html"))
    assert len(pages) >= 10
    for path in pages:
        assert suspect_reason(path.read_bytes(), None) is None, path.name


def test_a_short_page_without_an_error_heading_is_not_suspect():
    assert suspect_reason(SHORT_NOTICE.encode("gbk"), "text/html; charset=gbk") is None
    # a UTF-16 page with its BOM is text, NUL bytes and all
    assert suspect_reason("\ufeff<html><title>年度报告</title></html>".encode("utf-16-le"), None) is None


def test_a_long_page_mentioning_errors_in_its_title_is_not_suspect():
    body = "<html><head><title>关于页面不存在问题的整改报告</title></head><body>" + "<p>整改情况说明。</p>" * 500
    assert suspect_reason(body.encode(), "text/html") is None


def test_the_decision_is_quick_on_an_adversarial_body():
    import time

    body = ("<title" + " a=" * 30000 + "<h1>" * 20000).encode()
    started = time.monotonic()
    suspect_reason(body, "text/html")
    assert time.monotonic() - started < 1
