"""Four fictional cities, each run by another CMS family, each crawled with its own site profile.

`Replica(families=True)` (server `--families`) adds them; every page a crawl must find carries
the profile name in the manifest (`profile`), so a test checks recall per city and that no
city's report is stored under another's profile. Reports are the generator's own (the same
formats and tables as panzhihua's); only addresses, list pages and article chrome differ.
The markup is ours, written from the structure of real portals of each family (what is
requested, with which parameters, and where the records and counts sit):

- 青禾市 `qinghe`, www.qinghe.test, TRS WCM: static lists `index.html`, `index_1.html`, ...
  whose pager is written by script, `createPageHTML(pages, current, "index", "html")` with a
  0-based current page (page 2 is `index_1`), and a department column in the 6-argument form
  `createPageHTML('page_div', pages, current, 'list', 'shtml', records)` with a 1-based
  current page (page 2 is `list_2`); articles at `<column>/YYYYMM/tYYYYMMDD_<id>.html`.
  (TRS list templates as seen on many city portals' column pages.)
- 云川市 `yunchuan`, www.yunchuan.test, Hanweb (大汉 jpage): `col/col<N>/index.html` holds its
  first records inside `<script type="text/xml"><datastore>`, with `<totalrecord>` and a
  `<nextgroup>` link carrying the column's parameters; the rest come from a POST to
  `/module/web/jpage/dataproxy.jsp?startrecord=&endrecord=&perpage=` with the form fields
  col, appid, webid, path, columnid, sourceContentType, unitid, webname, permissiontype,
  answered with XML `<datastore><totalrecord>…<recordset><record><![CDATA[<li>…]]>`; three
  pages of records at a time. Articles at `/art/YYYY/M/D/art_<column>_<id>.html`. (Public
  crawlers of jiangsu.gov.cn and other Hanweb sites post exactly these fields.)
- 南岭市 `nanling`, www.nanling.test, gkmlpt (广东 政府信息公开目录): `/gkmlpt/index#<category>`
  is an empty shell whose script carries `SID: '<sid>'`; its lists are the JSON API
  `/gkmlpt/api/all/<category>?page=N&sid=<sid>` (pages from 1) answering
  `{"total": T, "articles": [{"id", "title", "url", "publisher", "identifier",
  "document_number", "display_publish_time" (a Unix time), ...}]}`; articles at
  `/gkmlpt/content/<a>/<b>/post_<id>.html`, with the 索引号/发布机构/成文日期/文号 table.
  (Field and parameter names as public crawlers of gd.gov.cn and sz.gov.cn read them.)
- 东湖市 `donghu`, xxgk.donghu.test, a 政府信息公开平台: lists `list.html`, `list_2.html`, ...
  whose page links a script writes from the count the markup states (共N页; page 2 is
  `list_2`, the profile's `pager: {second_page: 2}`); article pages lead with the
  索引号 / 发布机构 / 成文日期 / 文号 table (the manifest's `metadata`, as printed).

Each city also has a home page (`http://<host>/`) whose 政府信息公开 link leads to a page of
columns (`ENTRY`): the report columns (`column_links`) among others that are not reports
(政策文件, 人事信息, 财政资金, 政府信息公开指南; empty lists), every page with a linked
breadcrumb (首页 > 政府信息公开 > column): what a profile draft starts from.

`add_pages` runs before the generator writes its own list pages, `add_lists` after; the
server asks `answer` for the dynamic endpoints (dataproxy.jsp, the gkmlpt API).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

if TYPE_CHECKING:  # the generator imports this module
    from tests.replica.generator import Agency, Page, PortalBuilder

YEARS = range(2020, 2026)
UTF8_META = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'

QINGHE, YUNCHUAN, NANLING, DONGHU = "www.qinghe.test", "www.yunchuan.test", "www.nanling.test", "xxgk.donghu.test"
PROFILE_OF_HOST = {QINGHE: "qinghe", YUNCHUAN: "yunchuan", NANLING: "nanling", DONGHU: "donghu"}
PROFILES = tuple(PROFILE_OF_HOST.values())
# Every site profile the replica serves a city for, with families mode on (the demo crawls each).
REPLICA_PROFILES = ("panzhihua", "shili", *PROFILES)

TRS_PAGE_SIZE = 10
TRS_DEPARTMENT_PAGE_SIZE = 8
HANWEB_PER_PAGE = 5
HANWEB_GROUP_PAGES = 3  # pages of records the page and each dataproxy answer hand out
HANWEB_WEBID, HANWEB_UNITID, HANWEB_WEBNAME = "61", "9001", "云川市人民政府"
GKMLPT_SID = "763001"
GKMLPT_PAGE_SIZE = 10
XXGK_PAGE_SIZE = 8
DATAPROXY = "/module/web/jpage/dataproxy.jsp"


@dataclass
class FamilyColumn:
    """One report column of a family city: its reports, newest first once listed."""

    host: str
    key: str  # the column's path (TRS, 信息公开平台), column id (Hanweb) or category (gkmlpt)
    name: str
    agencies: list[str]  # agency names as printed
    reports: list[Page] = field(default_factory=list)

    def listed(self) -> list[Page]:
        return sorted(self.reports, key=lambda p: (p.published or "", p.url), reverse=True)


# -- article styles: how each family addresses and prints an article ------------------------------
def chrome(title: str, site: str, content: str) -> str:
    entry = ENTRY[SITE_HOST[site]]
    return (
        f"<!DOCTYPE html><html><head>{UTF8_META}<title>{title}_{site}</title></head><body>"
        f'<div class="top"><a href="/">首页</a> <a href="{entry}">政府信息公开</a> <a href="/xwzx/index.html">新闻中心</a></div>\n'
        f'{content}\n<div class="foot">主办：{site}办公室（虚构城市，仅供测试）</div></body></html>'
    )


def crumb(site: str, name: str) -> str:
    entry = ENTRY[SITE_HOST[site]]
    return f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="{entry}">政府信息公开</a> &gt; {name}</div>'


def body_block(page: Page, info: str, body_html: str, table: str = "") -> str:
    return (
        f'{table}<div class="article"><h1>{page.title}</h1>\n<div class="info">{info}</div>\n'
        f'<div class="content" id="zoom">\n{body_html}\n</div></div>'
    )


def metadata_of(page: Page, agency: Agency, serial: int) -> dict[str, str]:
    """The 索引号/发布机构/成文日期/文号 table's values, as printed (成文 a few days before 发布)."""
    published = date.fromisoformat(page.published)
    written = published - timedelta(days=serial % 5 + 1)
    return {
        "索引号": f"11{serial % 90 + 10:02d}0000MB{serial % 1000:04d}X/{published.year}-{serial % 100000:05d}",
        "发布机构": agency.name,
        "成文日期": f"{written.year}-{written.month:02d}-{written.day:02d}",
        "文号": "",
    }


def metadata_table(metadata: dict[str, str], published: str) -> str:
    cells = [("索引号", metadata["索引号"]), ("分类", "政府信息公开年报"), ("发布机构", metadata["发布机构"]),
             ("成文日期", metadata["成文日期"]), ("文号", metadata["文号"]), ("发布日期", published)]  # fmt: skip
    rows = "".join(
        f"<tr><th>{a}</th><td>{va}</td><th>{b}</th><td>{vb}</td></tr>"
        for (a, va), (b, vb) in zip(cells[::2], cells[1::2], strict=True)
    )
    return f'<table class="xxgk-meta">{rows}</table>\n'


class TrsStyle:
    def url(self, agency: Agency, article_id: int, published: date) -> str:
        return f"http://{agency.host}{agency.column}{published:%Y%m}/t{published:%Y%m%d}_{article_id}.html"

    def html(self, page: Page, agency: Agency, body_html: str) -> str:
        info = f"发布日期：{page.published} 来源：{agency.source} 【字体：大 中 小】"
        return chrome(page.title, "青禾市人民政府", body_block(page, info, body_html.replace(
            '<p style="text-indent:2em">', '<p class="TRS_Editor">', 1)))  # fmt: skip


class HanwebStyle:
    def url(self, agency: Agency, article_id: int, published: date) -> str:
        column = agency.column.strip("/").removeprefix("col/col")
        return f"http://{agency.host}/art/{published.year}/{published.month}/{published.day}/art_{column}_{article_id}.html"

    def html(self, page: Page, agency: Agency, body_html: str) -> str:
        info = f"信息来源：{agency.source} 发布日期：{page.published} 浏览次数："
        return chrome(page.title, "云川市人民政府", body_block(page, info, body_html))


class TableStyle:
    """Article pages that lead with the 索引号 table (gkmlpt and the 信息公开平台)."""

    def __init__(self, site: str, url_of):
        self.site, self.url_of, self.serial = site, url_of, 0

    def url(self, agency: Agency, article_id: int, published: date) -> str:
        return self.url_of(agency, article_id, published)

    def html(self, page: Page, agency: Agency, body_html: str) -> str:
        self.serial += 37
        page.metadata = metadata_of(page, agency, self.serial)
        table = metadata_table(page.metadata, page.published)
        return chrome(page.title, self.site, body_block(page, f"来源：{agency.source}", body_html, table))


def gkmlpt_url(agency: Agency, article_id: int, published: date) -> str:
    return f"http://{agency.host}/gkmlpt/content/{article_id // 1_000_000}/{article_id // 1000}/post_{article_id}.html"


def xxgk_url(agency: Agency, article_id: int, published: date) -> str:
    return f"http://{agency.host}{agency.column}{published:%Y%m}/c{article_id}.html"


# -- the cities -----------------------------------------------------------------------------------
CITY_COLUMNS: dict[str, list[tuple[str, str, str, list[str]]]] = {
    # host -> (column key, column name, family style key, agencies)
    QINGHE: [
        ("/zwgk/zfxxgkndbg/", "政府信息公开年度报告", "trs",
         ["青禾市", "青禾市发展和改革委员会", "青禾市教育局", "青禾市民政局"]),
        ("/zwgk/bmndbg/", "部门政府信息公开年度报告", "trs",
         ["青禾市财政局", "青禾市卫生健康委员会", "青禾市交通运输局"]),
    ],
    YUNCHUAN: [
        ("4101", "政府信息公开年报", "hanweb", ["云川市", "云川市司法局", "云川市商务局"]),
        ("4102", "部门信息公开年报", "hanweb",
         ["云川市水利局", "云川市统计局", "云川市应急管理局", "云川市医疗保障局"]),
    ],
    NANLING: [
        ("2031", "政府信息公开年报", "gkmlpt", ["南岭市", "南岭市科学技术局", "南岭市林业局"]),
        ("2032", "部门政府信息公开年报", "gkmlpt",
         ["南岭市住房和城乡建设局", "南岭市农业农村局", "南岭市文化广电旅游体育局",
          "南岭市市场监督管理局"]),
    ],
    DONGHU: [
        ("/xxgk/ndbg/", "政府信息公开工作年度报告", "xxgk",
         ["东湖市", "东湖市人力资源和社会保障局", "东湖市生态环境局",
          "东湖市自然资源局", "东湖市审计局"]),
    ],
}  # fmt: skip
CITY_NAMES = {QINGHE: "青禾市", YUNCHUAN: "云川市", NANLING: "南岭市", DONGHU: "东湖市"}
SITE_HOST = {f"{name}人民政府": host for host, name in CITY_NAMES.items()}
# Each city's 政府信息公开 page (its home page's link of that name), listing the report columns
# among others; gkmlpt's catalogue shell is reached from an ordinary page of links.
ENTRY = {QINGHE: "/zwgk/index.html", YUNCHUAN: "/col/col4100/index.html", NANLING: "/zwgk/index.html",
         DONGHU: "/xxgk/index.html"}  # fmt: skip
# Columns of the 政府信息公开 page that are not reports (each an empty list page): what a
# profile draft must tell from the report columns.
OTHER_COLUMNS = [("zcwj", "政策文件"), ("rsxx", "人事信息"), ("czzj", "财政资金"), ("xxgkzn", "政府信息公开指南")]


def add_pages(builder: PortalBuilder) -> None:
    """Every family city's reports (before the generator writes its own list pages)."""
    from tests.replica.generator import Agency

    styles = {
        "trs": TrsStyle(),
        "hanweb": HanwebStyle(),
        "gkmlpt": TableStyle("南岭市人民政府", gkmlpt_url),
        "xxgk": TableStyle("东湖市人民政府", xxgk_url),
    }
    builder.family_columns = []
    for host, city_columns in CITY_COLUMNS.items():
        for key, name, style, agencies in city_columns:
            column = FamilyColumn(host, key, name, agencies)
            builder.family_columns.append(column)
            path = f"/col/col{key}/" if style == "hanweb" else key if key.startswith("/") else "/gkmlpt/"
            for agency_name in agencies:
                agency = Agency(agency_name, agency_name + ("人民政府办公室" if agency_name == CITY_NAMES[host] else ""),
                                host, path, YEARS)  # fmt: skip
                for year in YEARS:
                    page = builder.report(agency, year, style=styles[style])
                    page.profile = PROFILE_OF_HOST[host]
                    builder.pages[page.url] = page
                    column.reports.append(page)


def add_lists(builder: PortalBuilder) -> None:
    """The list pages of every family city, in its CMS's own form (after the generator's)."""
    from tests.replica.generator import Page

    for host in CITY_COLUMNS:
        builder.pages[f"http://{host}/robots.txt"] = Page(
            url=f"http://{host}/robots.txt", kind="robots", content_type="text/plain", meta_charset=None,
            body=b"User-agent: *\nDisallow: /search/\n",
        )  # fmt: skip
    for column in builder.family_columns:
        for url, title, body in list_pages(column):
            builder.pages[url] = Page(url=url, kind="list", title=title, body=body.encode("utf-8"),
                                      profile=PROFILE_OF_HOST[column.host])  # fmt: skip
    for url, kind, title, body in entry_pages():
        builder.pages[url] = Page(url=url, kind=kind, title=title, body=body.encode("utf-8"))


def column_links(host: str) -> list[tuple[str, str]]:
    """(href, link text) of each report column of a city, as its 政府信息公开 page links it."""
    links = []
    for key, name, style, _ in CITY_COLUMNS[host]:
        if style == "trs":
            links.append((key + ("list.shtml" if key == "/zwgk/bmndbg/" else "index.html"), name))
        elif style == "hanweb":
            links.append((f"/col/col{key}/index.html", name))
        elif style == "gkmlpt":
            links.append((f"/gkmlpt/index#{key}", name))
        else:
            links.append((key + "list.html", name))
    return links


def entry_pages() -> list[tuple[str, str, str, str]]:
    """Each city's home page, its 政府信息公开 page (report columns among other columns) and
    the other columns' empty lists: (url, kind, title, html)."""
    out = []
    for host, city in CITY_NAMES.items():
        site, entry = f"{city}人民政府", ENTRY[host]
        folder = entry.rsplit("/", 1)[0] + "/"
        others = [
            (f"/col/col{4103 + n}/index.html" if host == YUNCHUAN else f"{folder}{code}/index.html", name)
            for n, (code, name) in enumerate(OTHER_COLUMNS)
        ]
        catalogue = [("/gkmlpt/index", "政府信息公开目录")] if host == NANLING else []
        links = [*others[:2], *column_links(host), *others[2:], *catalogue]
        items = "".join(f'<li><a href="{href}">{name}</a></li>' for href, name in links)
        out.append((f"http://{host}{entry}", "other", "政府信息公开",
                    chrome("政府信息公开", site, f'{crumb(site, "政府信息公开")}<ul class="columns">{items}</ul>')))  # fmt: skip
        for href, name in others:
            out.append((f"http://{host}{href}", "other", name, list_page(site, name, "", "")))
        home = (f'<div class="banner">{site}</div><ul class="nav"><li><a href="{entry}">政府信息公开</a></li>'
                '<li><a href="/xwzx/index.html">新闻中心</a></li><li><a href="/bsfw/index.html">办事服务</a></li></ul>')  # fmt: skip
        out.append((f"http://{host}/", "home", site, chrome("首页", site, home)))
    return out


def list_pages(column: FamilyColumn) -> list[tuple[str, str, str]]:
    if column.host == QINGHE:
        return trs_lists(column)
    if column.host == YUNCHUAN:
        return [hanweb_column_page(column)]
    if column.host == NANLING:
        return [gkmlpt_shell(column)]
    return xxgk_lists(column)


def chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def item_html(page: Page, base: str) -> str:
    href = "./" + page.url.removeprefix(base) if page.url.startswith(base) else urlsplit(page.url).path
    return f'<li><a href="{href}" title="{page.title}" target="_blank">{page.title}</a><span>{page.published}</span></li>'


def list_page(site: str, name: str, items: str, pager: str) -> str:
    return chrome(
        name, site, f'{crumb(site, name)}<ul class="list">{items}</ul><div class="page" id="page_div">{pager}</div>'
    )


def trs_lists(column: FamilyColumn) -> list[tuple[str, str, str]]:
    """Four-argument pager (0-based current) on the main column, six-argument (1-based) on the
    department column."""
    base = f"http://{column.host}{column.key}"
    six = column.key == "/zwgk/bmndbg/"
    reports = column.listed()
    pages = chunks(reports, TRS_DEPARTMENT_PAGE_SIZE if six else TRS_PAGE_SIZE)
    out = []
    for n, chunk in enumerate(pages):
        if six:
            name = "list.shtml" if n == 0 else f"list_{n + 1}.shtml"
            call = f"createPageHTML('page_div', {len(pages)}, {n + 1}, 'list', 'shtml', {len(reports)});"
        else:
            name = "index.html" if n == 0 else f"index_{n}.html"
            call = f'createPageHTML({len(pages)}, {n}, "index", "html");'
        items = "".join(item_html(p, base) for p in chunk)
        pager = f'<script type="text/javascript">{call}</script>'
        out.append((base + name, column.name, list_page("青禾市人民政府", column.name, items, pager)))
    return out


def hanweb_params(column: FamilyColumn) -> dict[str, str]:
    return {"col": "1", "appid": "1", "webid": HANWEB_WEBID, "path": "/", "columnid": column.key,
            "sourceContentType": "1", "unitid": HANWEB_UNITID, "webname": HANWEB_WEBNAME, "permissiontype": "0"}  # fmt: skip


def hanweb_records(column: FamilyColumn, start: int, end: int) -> str:
    """Records start..end (1-based, inclusive) as the datastore's <record> elements."""
    base = f"http://{column.host}/col/col{column.key}/"
    return "".join(
        f"<record><![CDATA[{item_html(p, base)}]]></record>" for p in column.listed()[start - 1 : end]
    )


def hanweb_column_page(column: FamilyColumn) -> tuple[str, str, str]:
    total = len(column.reports)
    group = HANWEB_PER_PAGE * HANWEB_GROUP_PAGES
    params = {k: v for k, v in hanweb_params(column).items() if k not in ("col", "sourceContentType")}
    nextgroup = f'<a href="{DATAPROXY}?page=1&amp;{urlencode(params).replace("&", "&amp;")}"></a>'
    datastore = (
        '<script type="text/xml"><datastore>'
        f"<nextgroup><![CDATA[{nextgroup}]]></nextgroup>"
        f"<totalrecord>{total}</totalrecord><recordset>{hanweb_records(column, 1, group)}</recordset>"
        "</datastore></script>"
    )
    script = (
        '<script type="text/javascript" src="/module/web/jpage/jpage.js"></script>'
        f'<script type="text/javascript">jpageInit({{proxyUrl: "{DATAPROXY}", perPage: {HANWEB_PER_PAGE}, '
        f"groupPages: {HANWEB_GROUP_PAGES}, totalRecord: {total}, columnid: {column.key}}});</script>"
    )
    content = f'{crumb("云川市人民政府", column.name)}<div id="{int(column.key) + 3000}">{datastore}</div>{script}'

    url = f"http://{column.host}/col/col{column.key}/index.html"
    return url, column.name, chrome(column.name, "云川市人民政府", content)


def gkmlpt_shell(column: FamilyColumn) -> tuple[str, str, str]:
    """The one catalogue page of the city (categories are its URL's fragment), a shell."""
    content = (
        '<div id="app">正在加载……</div>'
        f"<script>window._CONFIG = {{ SID: '{GKMLPT_SID}', ROOT: '/gkmlpt/', API: '/gkmlpt/api/' }};</script>"
        '<script src="/gkmlpt/static/app.js"></script>'
    )
    return f"http://{column.host}/gkmlpt/index", "政府信息公开目录", chrome("政府信息公开目录", "南岭市人民政府", content)


def xxgk_lists(column: FamilyColumn) -> list[tuple[str, str, str]]:
    base = f"http://{column.host}{column.key}"
    pages = chunks(column.listed(), XXGK_PAGE_SIZE)
    out = []
    for n, chunk in enumerate(pages, start=1):
        name = "list.html" if n == 1 else f"list_{n}.html"
        items = "".join(item_html(p, base) for p in chunk)
        pager = (
            f'<span class="count">共{len(pages)}页 当前第{n}页</span><span id="pager"></span>'
            f"<script>var pageCount = {len(pages)}, pageNo = {n};"
            'for (var i = 1; i <= pageCount; i++) { document.getElementById("pager").innerHTML +='
            ' \'<a href="list\' + (i > 1 ? "_" + i : "") + \'.html">\' + i + "</a> "; }</script>'
        )
        out.append((base + name, column.name, list_page("东湖市人民政府", column.name, items, pager)))
    return out


# -- the dynamic endpoints ------------------------------------------------------------------------
def answer(builder: PortalBuilder, method: str, url: str, body: bytes) -> Page | None:
    """The answer of dataproxy.jsp (POST) or the gkmlpt API (GET) on a family host, else None."""
    from tests.replica.generator import Page

    if not builder.families:
        return None
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if parts.hostname == YUNCHUAN and parts.path == DATAPROXY:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        column = find_column(builder, YUNCHUAN, form.get("columnid") if method == "POST" else None)
        if column is None or not all(k in form for k in ("appid", "webid", "path", "unitid")):
            return Page(url=url, kind="data", status=400, content_type="text/xml",
                        body=b"<datastore><totalrecord>0</totalrecord></datastore>")  # fmt: skip
        start, end = int_of(query.get("startrecord"), 1), int_of(query.get("endrecord"), 0)
        end = min(end, start + HANWEB_PER_PAGE * HANWEB_GROUP_PAGES - 1)  # a group at most
        total = len(column.reports)
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><datastore>'
            f"<totalrecord>{total}</totalrecord><totalpage>{math.ceil(total / HANWEB_PER_PAGE)}</totalpage>"
            f"<recordset>{hanweb_records(column, start, end)}</recordset></datastore>"
        )
        return Page(url=url, kind="data", content_type="text/xml", body=xml.encode("utf-8"))
    match = re.fullmatch(r"/gkmlpt/api/all/(\d+)", parts.path)
    if parts.hostname == NANLING and match and method == "GET":
        column = find_column(builder, NANLING, match[1])
        if column is None or query.get("sid") != GKMLPT_SID:
            return Page(url=url, kind="data", status=404, content_type="application/json", body=b'{"error":"no"}')
        page = max(1, int_of(query.get("page"), 1))
        chunk = column.listed()[(page - 1) * GKMLPT_PAGE_SIZE : page * GKMLPT_PAGE_SIZE]
        data = {"total": len(column.reports), "page": page, "articles": [gkmlpt_article(p) for p in chunk]}
        return Page(url=url, kind="data", content_type="application/json", meta_charset=None,
                    body=json.dumps(data, ensure_ascii=False).encode("utf-8"))  # fmt: skip
    return None


def gkmlpt_article(page: Page) -> dict:
    moment = int(datetime.combine(date.fromisoformat(page.published), time(9, 30), tzinfo=UTC).timestamp())
    article_id = int(page.url.rsplit("post_", 1)[1].removesuffix(".html"))
    return {
        "id": article_id,
        "title": page.title,
        "url": page.url,
        "publisher": page.metadata.get("发布机构", ""),
        "identifier": page.metadata.get("索引号", ""),
        "document_number": page.metadata.get("文号", ""),
        "display_publish_time": moment,
        "create_time": moment,
    }


def find_column(builder: PortalBuilder, host: str, key: str | None) -> FamilyColumn | None:
    return next((c for c in builder.family_columns if c.host == host and c.key == key), None)


def int_of(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default
