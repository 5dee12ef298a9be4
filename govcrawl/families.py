"""Which CMS family a portal runs, and how its lists page, read from its pages' markup.

Pure functions over one page's HTML (and its URL), for `govcrawl profile draft`. The families
and their signs (the conventions govcrawl/pagers.py reads when crawling):

- TRS WCM (`trs`): a `createPageHTML(...)` pager call; articles at `…/YYYYMM/tYYYYMMDD_<id>.html`.
- Hanweb / 大汉 (`hanweb`): a `<script type="text/xml"><datastore>` of records, a jpage script
  or a `/module/web/jpage/dataproxy.jsp` proxy; columns at `/col/col<N>/index.html`, articles at
  `/art/YYYY/M/D/art_<column>_<id>.html`.
- gkmlpt (`gkmlpt`, 广东 政府信息公开目录): a `/gkmlpt/` catalogue shell naming its site (`SID`).
- 政府信息公开平台 (`xxgk_platform`): article pages that lead with the 索引号 / 发布机构 / 成文日期
  table; its lists often only state their count (共N页) and write the page links by script.
- panzhihua's family (profile family `plain`): lists `index.shtml`, `index_1.shtml`… with plain
  page links, articles `<column>/<numeric id>.shtml`.
- anything else: `plain`, undecided.

Hand-written: no library knows these CMS conventions (Scrapy and w3lib see links only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html
from w3lib.html import replace_entities

from govcrawl import pagers

TRS_ARTICLE = re.compile(r"/\d{6}/t\d{8}_\d+\.s?html?$")
HANWEB_ARTICLE = re.compile(r"^/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$")
HANWEB_COLUMN = re.compile(r"^/col/col\d+/index\.html$")
HANWEB_SCRIPT = re.compile(r"/module/web/jpage/|\bjpage\b|<datastore>")
GKMLPT = re.compile(r"/gkmlpt/")
NUMERIC_SHTML = re.compile(r"/\d+\.shtml$")
PROXY_URL = re.compile(r"""proxyUrl\s*:\s*["']([^"']+)["']""")
PER_PAGE = re.compile(r"\bper[Pp]age\s*:\s*(\d{1,4})\b")
GROUP_PAGES = re.compile(r"\bgroup(?:Pages|Size)\s*:\s*(\d{1,3})\b")
# The metadata table of a 政府信息公开平台 article, as its text prints it (labels may be spaced).
TABLE_LABELS = (
    re.compile(r"索\s?引\s?号"),
    re.compile(r"发\s?布\s?机\s?[构关]|发\s?布\s?单\s?位|发\s?文\s?机\s?关"),
    re.compile(r"成\s?文\s?日\s?期|发\s?文\s?日\s?期|生\s?成\s?日\s?期"),
)
PAGER_WORDS = ("下一页", "尾页", "末页", "上一页")


@dataclass
class Link:
    url: str
    text: str


@dataclass
class PageSigns:
    """What one page says of its portal's family and of its list's pager."""

    family: str | None  # trs, hanweb, gkmlpt, xxgk_platform, panzhihua, or None (no sign)
    evidence: list[str] = field(default_factory=list)
    pager: str = "none"  # createPageHTML, stated_count, links, datastore, api, none
    pages: int | None = None  # the page count the pager states
    second_page: int | None = None  # 1 or 2 when the pager tells page 2's suffix


def links(html: str, url: str) -> list[Link]:
    """Every link of the page with its text (or title attribute), absolute, fragment kept."""
    try:
        root = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    out = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        text = " ".join((anchor.text_content() or "").split()) or (anchor.get("title") or "").strip()
        title = (anchor.get("title") or "").strip()
        out.append(Link(urljoin(url, replace_entities(href)), title if len(title) > len(text) else text))
    return out


def breadcrumb(html: str) -> str | None:
    """The page's 当前位置 / crumb line, as printed (首页 > 政府信息公开 > …)."""
    try:
        root = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return None
    for element in root.iter("div", "p", "span", "nav", "ol", "ul"):
        marked = "crumb" in (element.get("class") or "").lower() or "position" in (element.get("class") or "")
        text = " ".join(element.text_content().split())
        if marked or text.startswith(("当前位置", "您的位置", "您现在的位置")):
            return text[:200] or None
    return None


def list_records(html: str, url: str) -> list[Link]:
    """Links of a list page: its markup's, and those inside a Hanweb datastore's records."""
    found = links(html, url)
    store = pagers.datastore(html)
    if store is not None:
        for record in store.records:
            found += links(f"<div>{record}</div>", url)
    return found


def page_signs(html: str, url: str) -> PageSigns:
    """The family signs and the pager of one list (or column) page."""
    path = urlsplit(url).path
    call = pagers.page_call(html)
    store = pagers.datastore(html)
    if GKMLPT.search(path) and pagers.gkmlpt_sid(html):
        return PageSigns("gkmlpt", [f"gkmlpt catalogue shell (SID '{pagers.gkmlpt_sid(html)}')"], pager="api")
    if store is not None or (HANWEB_COLUMN.match(path) and HANWEB_SCRIPT.search(html)):
        evidence = ["a <datastore> of records in a text/xml script"] if store is not None else []
        evidence += [f"column URL {path}"] if HANWEB_COLUMN.match(path) else []
        evidence += [f"jpage proxy {m[1]}" for m in PROXY_URL.finditer(html)][:1]
        total = store.total if store is not None else None
        return PageSigns("hanweb", evidence, pager="datastore", pages=total)
    if call is not None:
        numbering = pagers.call_numbering(call, pagers.page_number(url))
        form = f"createPageHTML, {call.arguments}-argument form ({call.pages} pages, current {call.current})"
        return PageSigns("trs", [form], pager="createPageHTML", pages=call.pages, second_page=numbering)
    page_links = links(html, url)
    counts = pagers.stated_counts(html)
    own = pagers.page_number(url)
    if own is not None and pagers.links_to_own_list(html, url, own[0]):
        signs = PageSigns(None, pager="links", pages=max(counts) if counts else None)
    elif counts:
        signs = PageSigns(None, [f"states its count (共{max(counts)}页), no page links"], "stated_count", max(counts))
    elif any(link.text in PAGER_WORDS for link in page_links):
        signs = PageSigns(None, pager="links")
    else:
        signs = PageSigns(None)
    articles = [link.url for link in page_links]
    if any(TRS_ARTICLE.search(urlsplit(a).path) for a in articles):
        signs.family, signs.evidence = "trs", [*signs.evidence, "articles at …/YYYYMM/tYYYYMMDD_<id>.html"]
    elif path.endswith(".shtml") and any(NUMERIC_SHTML.search(urlsplit(a).path) for a in articles):
        signs.family = "panzhihua"
        signs.evidence = [*signs.evidence, "lists index.shtml, articles <column>/<numeric id>.shtml"]
    return signs


def has_metadata_table(text: str) -> bool:
    """Does an article's text lead with the 索引号 / 发布机构 / 成文日期 table?"""
    head = text[:3000]
    return all(label.search(head) for label in TABLE_LABELS)


def hanweb_api(html: str) -> dict:
    """The jpage settings a Hanweb column page gives: proxy path, records per page, pages per
    request, and the form fields its <nextgroup> link names. Missing ones are left out."""
    api: dict = {}
    if proxy := PROXY_URL.search(html):
        api["path"] = urlsplit(proxy[1]).path
    if per_page := PER_PAGE.search(html):
        api["perpage"] = int(per_page[1])
    if group := GROUP_PAGES.search(html):
        api["group_pages"] = int(group[1])
    store = pagers.datastore(html)
    if store is not None and store.params:
        api["form"] = {k: v for k, v in store.params.items() if k not in ("page", "columnid", "startrecord", "endrecord", "perpage")}
    return api


def path_pattern(path: str, keep: str = "") -> str:
    """A regular expression for paths like `path`: `keep` (a column's folder) literally, every
    run of digits after it as \\d+ (\\d{6} and \\d{8} where TRS dates are)."""
    rest = path[len(keep) :] if keep and path.startswith(keep) else path
    kept = keep if keep and path.startswith(keep) else ""
    pieces = re.split(r"(\d+)", rest)
    out = []
    for i, piece in enumerate(pieces):
        out.append(r"\d+" if i % 2 else re.escape(piece))
    return "^" + re.escape(kept) + "".join(out) + "$"
