"""Replica pages that only a browser can read: a list built by script, a host behind a JS check.

They belong to a second, fictional city, 示例市 (www.shili.test) and its county 示例县
(xian.shili.test), crawled with the `shili` site profile, so the panzhihua crawl never meets
them:

- www.shili.test/xxgk/ndbg/ is a plain column; its sub-column bmbg/ (市级部门) is a shell page
  whose `<ul class="list">` is empty: a script fetches `list_<n>.json` and writes the links
  and the pager (`index.shtml?page=<n>`, the same shell) itself;
- every HTML page of xian.shili.test first answers with a JS check that computes a cookie,
  sets it and reloads; with the cookie the real page is served (robots.txt is never checked);
- www.shili.test/xxgk/ndbg/gsgg/ (公示公告) is a hostile shell: it looks script-built (so it
  goes to the browser by detection), its script fetches a secret from a service on loopback
  (the replica's own control endpoint `/__replica__/secret`, whose port the server writes
  into the page when serving it) and writes it into the page, and it frames a host that is
  not the portal's. A crawl must store the page without ever requesting either.

The generator calls `add_pages` before it writes list pages and `add_js_lists` after; the
server asks `js_check` before serving each request. Reports here are ordinary manifest pages
(kind annual_report, with their values); the shells carry fault `js_list`, the pages of the
checked host fault `js_check`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the generator imports this module
    from tests.replica.generator import PortalBuilder

CITY = "www.shili.test"
COUNTY = "xian.shili.test"
ROOT = "/xxgk/ndbg/"
JS_COLUMN = ROOT + "bmbg/"
JSON_PAGE_SIZE = 4
LOOPBACK_COLUMN = ROOT + "gsgg/"
LOOPBACK_PAGE = f"http://{CITY}{LOOPBACK_COLUMN}index.shtml"
OTHER_HOST = "tracker.elsewhere.test"  # framed by the hostile shell; no profile lists it
SECRET = "replica-local-secret-5d1c9e"  # what the loopback service answers
PORT_MARK = b"__REPLICA_PORT__"  # replaced by the server's port when the page is served
JS_AGENCIES = [("sczj", "示例市财政局"), ("sjyj", "示例市教育局"), ("smzj", "示例市民政局")]
COUNTY_DEPARTMENTS = ["示例县", "示例县财政局", "示例县教育局", "示例县民政局", "示例县卫生健康局"]

# The check's cookie is computed by the script, so a client that does not run it never has it.
CHECK_COOKIE = "gc_clearance"
CHECK_VALUE = str(7 * 191 + 3)
CHALLENGE_HTML = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>安全验证</title></head><body>"
    "<p>正在进行安全验证，请稍候……</p>"
    "<script>var a=7,b=191;document.cookie=\"" + CHECK_COOKIE + "=\"+(a*b+3)+\"; path=/\";"
    "location.reload();</script></body></html>"
).encode()

LIST_SCRIPT = """<script>
(function () {
  var n = parseInt(new URLSearchParams(location.search).get("page") || "1", 10);
  fetch("list_" + n + ".json").then(function (r) { return r.json(); }).then(function (d) {
    var ul = document.getElementById("list"), pager = document.getElementById("pager");
    ul.innerHTML = d.items.map(function (i) {
      return '<li><a href="' + i.url + '" title="' + i.title + '">' + i.title + '</a><span>' + i.date + '</span></li>';
    }).join("");
    var links = [];
    if (n > 1) links.push('<a href="index.shtml' + (n > 2 ? "?page=" + (n - 1) : "") + '">上一页</a>');
    if (n < d.pages) links.push('<a href="index.shtml?page=' + (n + 1) + '">下一页</a>');
    pager.innerHTML = links.join(" ") + " 共" + d.pages + "页";
  });
})();
</script>"""


LOOPBACK_SCRIPT = """<script>
fetch("http://127.0.0.1:__REPLICA_PORT__/__replica__/secret").then(function (r) { return r.text(); })
  .then(function (t) { document.getElementById("list").innerHTML = "<li>" + t + "</li>"; });
</script>"""


def county_agencies(size: int) -> int:
    """One county body per 250 pages of replica size (at least one): 7 reports each, so a
    20,000-page replica puts about 560 pages behind the check (the browser benchmark)."""
    return max(1, size // 250)


def add_pages(builder: PortalBuilder) -> None:
    """Columns and reports of 示例市 and 示例县 (before the generator writes list pages)."""
    from tests.replica.generator import Agency

    builder.column(CITY, ROOT, "年度报告")
    builder.column(CITY, JS_COLUMN, "市级部门年度报告", parent=ROOT)
    builder.column(CITY, LOOPBACK_COLUMN, "公示公告", parent=ROOT)
    builder.column(COUNTY, ROOT, "示例县政府信息公开工作年度报告")
    city = Agency("示例市", "示例市人民政府办公室", CITY, ROOT, range(2023, 2026))
    for year in city.years:
        builder.add_article(CITY, ROOT, builder.report(city, year))
    for code, name in JS_AGENCIES:  # listed by script only: not in the column's plain lists
        agency = Agency(name, name, CITY, f"{JS_COLUMN}{code}/", range(2023, 2026))
        for year in agency.years:
            page = builder.report(agency, year)
            builder.pages[page.url] = page
    for i in range(county_agencies(builder.size)):
        base = COUNTY_DEPARTMENTS[i % len(COUNTY_DEPARTMENTS)]
        name = base + (f"{i // len(COUNTY_DEPARTMENTS)}分局" if i >= len(COUNTY_DEPARTMENTS) else "")
        agency = Agency(name, name, COUNTY, ROOT, range(2019, 2026))
        for year in agency.years:
            page = builder.report(agency, year)
            page.fault = "js_check"
            builder.add_article(COUNTY, ROOT, page)


def add_js_lists(builder: PortalBuilder) -> None:
    """The script-built column: shell pages and the JSON they read (after list pages)."""
    from tests.replica.generator import Page, page_html

    reports = sorted(
        (p for p in builder.pages.values() if p.url.startswith(f"http://{CITY}{JS_COLUMN}") and p.year),
        key=lambda p: (p.published, p.url),
        reverse=True,
    )
    chunks = [reports[i : i + JSON_PAGE_SIZE] for i in range(0, len(reports), JSON_PAGE_SIZE)]
    shell = page_html(
        "市级部门年度报告",
        '<div class="crumb">首页 &gt; 年度报告 &gt; 市级部门年度报告</div>'
        f'<ul class="list" id="list"></ul><div class="page" id="pager"></div>{LIST_SCRIPT}',
    ).encode("utf-8")
    base = f"http://{CITY}{JS_COLUMN}"
    for n, chunk in enumerate(chunks, start=1):
        items = [
            {"url": p.url.removeprefix(base), "title": p.title, "date": p.published} for p in chunk
        ]
        data = {"page": n, "pages": len(chunks), "items": items}
        builder.pages[f"{base}list_{n}.json"] = Page(
            url=f"{base}list_{n}.json",
            kind="data",
            content_type="application/json",
            meta_charset=None,
            body=json.dumps(data, ensure_ascii=False).encode("utf-8"),
        )
        url = base + ("index.shtml" if n == 1 else f"index.shtml?page={n}")
        builder.pages[url] = Page(url=url, kind="list", title="市级部门年度报告", body=shell, fault="js_list")
    for page in builder.pages.values():
        if page.url.startswith(f"http://{COUNTY}/") and page.kind == "list":
            page.fault = "js_check"
    builder.pages[LOOPBACK_PAGE] = Page(
        url=LOOPBACK_PAGE, kind="list", title="公示公告", body=loopback_shell("公示公告"), fault="js_list"
    )


def loopback_shell(title: str) -> bytes:
    """A page that looks script-built, whose script reads a secret from a service on loopback
    and which frames a host no profile lists: the browser must reach neither."""
    from tests.replica.generator import page_html

    return page_html(
        title,
        f'<div class="crumb">首页 &gt; 年度报告 &gt; {title}</div><ul class="list" id="list"></ul>'
        f'<iframe src="http://{OTHER_HOST}/frame.html"></iframe>{LOOPBACK_SCRIPT}',
    ).encode("utf-8")


def with_port(body: bytes, port: int) -> bytes:
    """The page as served: the replica's port written where the hostile script needs it."""
    return body.replace(PORT_MARK, str(port).encode()) if PORT_MARK in body else body


def secret_answer() -> bytes:
    """What the 'local service' answers (readable by any page's script, as many are)."""
    return json.dumps({"secret": SECRET}).encode()


def js_check(url: str, cookie_header: str | None) -> bytes | None:
    """The challenge page to serve instead of `url`, or None to serve the page itself."""
    if not url.startswith(f"http://{COUNTY}/") or url.endswith("/robots.txt"):
        return None
    return None if f"{CHECK_COOKIE}={CHECK_VALUE}" in (cookie_header or "") else CHALLENGE_HTML
