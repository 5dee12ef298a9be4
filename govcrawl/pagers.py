"""Every page of a list, however its pager is written: read from the list page's markup.

Government CMSs often write their pagers by script, so the page links a crawler looks for are
not in the markup. What is there, and what this module reads:

- TRS WCM's `createPageHTML(...)` call, in its four-argument form `createPageHTML(pages,
  current, "index", "html")` (current page counted from 0: page 2 is `index_1.html`) and its
  six-argument form `createPageHTML('page_div', pages, current, 'list', 'shtml', records)`
  (counted from 1: page 2 is `list_2.shtml`); arguments may be variables set in the page
  (`var countPage = 5`). Which numbering a site uses is read from the call on the column's
  first page (its current page is 0 or 1); a profile may say it (`pager: {second_page: …}`).
- A page count stated in the markup (共N页, 1/N页, a pager's `pageCount = N`) where no link
  leads to a numbered page of the list (the pager is script): the other pages are named like this one,
  `<name>_<n>.<ext>`, page 2 being `_1` unless the profile says `_2`. A page whose pager does
  link its neighbours (or names pages `?page=N`) is left to those links.
- Hanweb (大汉) jpage columns: the first records sit inside `<script type="text/xml">
  <datastore>` as `<record><![CDATA[<li>…]]></record>`, with `<totalrecord>` and a
  `<nextgroup>` link whose query names the column (columnid, webid, unitid, …); the rest are
  asked of `/module/web/jpage/dataproxy.jsp?startrecord=&endrecord=&perpage=` with a POST of
  the column's fields, whose XML answer has the same shape.
- gkmlpt (广东 政府信息公开目录): the catalogue shell's script names the site (`SID: '…'`),
  its URL's fragment the category; its lists are `/gkmlpt/api/all/<category>?page=N&sid=…`
  answering JSON `{"total": T, "articles": [{"title", "url", …}]}`.

Hand-written: these are CMS conventions no library reads (w3lib and Scrapy see links only).
Sources of the conventions: TRS and Hanweb column pages and gkmlpt catalogue pages of many
city portals, and public crawlers that post to dataproxy.jsp (jiangsu.gov.cn sites) or read
the gkmlpt API (gd.gov.cn, sz.gov.cn). Every regular expression here is linear (no nested
repetition), and counts are only used under GOVCRAWL_MAX_LIST_PAGES.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

from w3lib.html import replace_entities

CREATE_PAGE = re.compile(r"createPageHTML\s*\(([^()]{0,300})\)")
ARGUMENT = re.compile(r"""(\d+)|"([^"]*)"|'([^']*)'|([A-Za-z_$][\w$]*)""")  # one, stripped
# 共5页; 第1/5页 or 1/5页; a pager script's count variable
STATED_COUNT = re.compile(
    r"共\s*(\d{1,5})\s*页|\d{1,5}\s*/\s*(\d{1,5})\s*页|\b(?:pageCount|totalPage|countPage|pageTotal)\s*[=:]\s*(\d{1,5})\b"
)


def stated_counts(html: str) -> list[int]:
    """The page counts a list states (共6页, 1/6页, pageCount = 6)."""
    return [int(next(n for n in groups if n)) for groups in STATED_COUNT.findall(html)]


PAGE_NAME = re.compile(r"^(?P<stem>[A-Za-z]\w*?)(?:_(?P<n>\d+))?\.(?P<ext>s?html?|jsp|php|aspx?)$")
TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>")
HREF = re.compile(r"""href\s*=\s*["']([^"']*)["']""")
COLUMN_IN_URL = re.compile(r"/col/col(\d+)/")
GKMLPT_SID = re.compile(r"""\bSID\s*:\s*["'](\d+)["']""")


@dataclass(frozen=True)
class PageCall:
    """A createPageHTML(...) call: the column's page count, this page's number, the names."""

    pages: int
    current: int
    prefix: str
    suffix: str
    arguments: int  # 4 or 6: the form of the call


def page_call(html: str) -> PageCall | None:
    """The page's createPageHTML(...) call (either form), its variables resolved; None if none."""
    for match in CREATE_PAGE.finditer(html):
        values = [resolve(html, argument) for argument in match[1].split(",")]
        if len(values) == 4:
            pages, current, prefix, suffix = values
        elif len(values) == 6:
            _, pages, current, prefix, suffix, _ = values
        else:
            continue
        if isinstance(pages, int) and isinstance(current, int) and isinstance(prefix, str) and isinstance(suffix, str):
            return PageCall(pages, current, prefix, suffix, len(values))
    return None


def resolve(html: str, argument: str) -> int | str | None:
    """An argument's value: a number, a string, or a variable assigned one in the page."""
    match = ARGUMENT.fullmatch(argument.strip())
    if match is None:
        return None
    number, double, single, name = match.groups()
    if number is not None:
        return int(number)
    if name is None:
        return double if double is not None else single
    assigned = re.search(rf"\b{re.escape(name)}\s*=\s*(?:(\d+)|\"([^\"]*)\"|'([^']*)')", html)
    if assigned is None:
        return None
    return int(assigned[1]) if assigned[1] is not None else assigned[2] if assigned[2] is not None else assigned[3]


def call_numbering(call: PageCall, own: tuple[str, int | None] | None) -> int:
    """The suffix of page 2 (1 or 2) as the call tells it. On the column's first page its
    current page is 0 (page 2 is _1) or 1 (page 2 is _2). On page _k, current k+1 means pages
    are counted from 1 but named from _1; current k fits either counting, and the form
    decides (four arguments: counted from 0, TRS's own script; six: from 1)."""
    number = own[1] if own else None
    if number is None:
        return 1 if call.current == 0 else 2
    if call.current == number + 1:
        return 1
    return 1 if call.arguments == 4 else 2


def page_number(url: str) -> tuple[str, int | None] | None:
    """('index', 3) for …/index_3.html, ('index', None) for …/index.html; None for other names."""
    match = PAGE_NAME.match(urlsplit(url).path.rsplit("/", 1)[-1])
    return (match["stem"], int(match["n"]) if match["n"] else None) if match else None


def sibling(url: str, name: str) -> str:
    return urljoin(url.split("?", 1)[0].split("#", 1)[0], name)


def numbered_pages(url: str, stem: str, ext: str, pages: int, second_page: int) -> list[str]:
    """The names of pages 2..pages: `<stem>_1…` when page 2 is `_1`, `<stem>_2…` when `_2`."""
    first = second_page
    return [sibling(url, f"{stem}_{n}.{ext}") for n in range(first, first + pages - 1)]


def list_page_urls(html: str, url: str, second_page: int | None = None) -> list[str]:
    """The other pages of the list `url` is a page of, as its markup states them (script
    pagers included): [] when it states none. `second_page` (1 or 2, from the profile)
    overrides the numbering read from the page."""
    call = page_call(html)
    if call is not None:
        if second_page is None:
            second_page = call_numbering(call, page_number(url))
        return numbered_pages(url, call.prefix, call.suffix, call.pages, second_page)
    counts = stated_counts(html)
    own = page_number(url)
    if not counts or own is None or urlsplit(url).query:  # ?page=N lists are not named _N
        return []
    if links_to_own_list(html, url, own[0]):  # a pager of plain links: those are followed
        return []
    ext = urlsplit(url).path.rsplit(".", 1)[1]
    return numbered_pages(url, own[0], ext, max(counts), second_page or 1)


def links_to_own_list(html: str, url: str, stem: str) -> bool:
    """Does the markup link a numbered page of this list (`<stem>_N.<ext>`, `<stem>.<ext>?page=N`)?
    A link back to the first page alone (首页) is no pager."""
    here = url.split("#", 1)[0]
    folder = urlsplit(here).path.rsplit("/", 1)[0]
    for href in HREF.findall(html):
        target = urljoin(here, replace_entities(href.strip())).split("#", 1)[0]
        parts = urlsplit(target)
        named = page_number(target)
        if (
            target != here
            and parts.path.rsplit("/", 1)[0] == folder
            and named is not None
            and named[0] == stem
            and (named[1] is not None or parts.query)
        ):
            return True
    return False


# -- Hanweb jpage --------------------------------------------------------------------------------
@dataclass(frozen=True)
class DataStore:
    """The records a Hanweb page or dataproxy answer holds, and what it says of the column."""

    records: list[str]  # each an HTML fragment (<li><a href=…>…</a>…</li>)
    total: int | None  # <totalrecord>
    params: dict[str, str]  # the <nextgroup> link's query: columnid, webid, unitid, …


def datastore(text: str) -> DataStore | None:
    """The page's (or answer's) datastore; None when it has none."""
    inner = between(text, "<datastore>", "</datastore>")
    if inner is None:
        return None
    total = TOTAL_RECORD.search(inner)
    params: dict[str, str] = {}
    if (group := cdata(between(inner, "<nextgroup>", "</nextgroup>") or "")) and (href := HREF.search(group)):
        query = urlsplit(replace_entities(href[1])).query
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    records = [cdata(piece.split("</record>", 1)[0]) for piece in inner.split("<record>")[1:] if "</record>" in piece]
    return DataStore([r for r in records if r], int(total[1]) if total else None, params)


def between(text: str, start: str, end: str) -> str | None:
    """The text between the first `start` and the next `end` (found, not matched by a regular
    expression: an unclosed start repeated must not cost a scan to the end for each)."""
    begin = text.find(start)
    if begin < 0:
        return None
    finish = text.find(end, begin)
    return text[begin + len(start) : finish if finish >= 0 else len(text)]


def cdata(text: str) -> str:
    """The content of a `<![CDATA[…]]>` section (the text itself when it has none)."""
    text = text.strip()
    if text.startswith("<![CDATA["):
        return text[len("<![CDATA[") :].rsplit("]]>", 1)[0]
    return text


def hanweb_column_id(url: str, store: DataStore) -> str | None:
    if store.params.get("columnid", "").isdigit():
        return store.params["columnid"]
    match = COLUMN_IN_URL.search(urlsplit(url).path)
    return match[1] if match else None


def next_records(after: int, total: int | None, group: int) -> tuple[int, int] | None:
    """The record range to ask for once `after` records are had (1-based, inclusive), or None."""
    if total is None or after >= total:
        return None
    return after + 1, min(total, after + group)


# -- gkmlpt --------------------------------------------------------------------------------------
def gkmlpt_sid(html: str) -> str | None:
    match = GKMLPT_SID.search(html)
    return match[1] if match else None


def gkmlpt_category(url: str) -> str:
    """The category a catalogue URL names in its fragment (…/gkmlpt/index#2031); 0 is all."""
    fragment = urlsplit(url).fragment
    return fragment if fragment.isdigit() else "0"


def gkmlpt_api_url(page_url: str, template: str, category: str, page: int, sid: str) -> str:
    return urljoin(page_url, template.format(category=category, page=page, sid=sid))


@dataclass(frozen=True)
class ApiPage:
    total: int
    articles: list[tuple[str, str]]  # (url, title)


def gkmlpt_page(text: str) -> ApiPage | None:
    """One answer of the gkmlpt API; None when it is not one (not JSON, no articles list)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        return None
    articles = [
        (a["url"], str(a.get("title") or ""))
        for a in data["articles"]
        if isinstance(a, dict) and isinstance(a.get("url"), str)
    ]
    total = data.get("total")
    return ApiPage(total if isinstance(total, int) and total >= 0 else len(articles), articles)


def api_page_count(total: int, per_page: int) -> int:
    """Pages of a paged API, from its total and the size of its first (full) page."""
    return math.ceil(total / per_page) if per_page else 1
