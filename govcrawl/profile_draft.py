"""`govcrawl profile draft URL`: a site profile drafted from a portal's home page.

In the spirit of city-scrapers' genspider: a small Scrapy crawl with the project's settings
(GOVCRAWL_PROXY, robots.txt, delays, timeouts) walks from the home page to the 政府信息公开 pages
by link text (政府信息公开, 信息公开, 政务公开, …; short column names, not news titles), takes the
links named like a report column (年报, 年度报告, …; no year: a column, not a report), reads each
column's first page (family signs and pager, govcrawl.families), and fetches one report of each
column to see its address and whether it leads with the 索引号 table. A pager that only states
its count is settled by asking for its `_1` and `_2` pages. Bounded: GOVCRAWL_DRAFT_DEPTH link
levels from the home page, GOVCRAWL_DRAFT_MAX_PAGES requests in all.

The draft is YAML in the format of govcrawl/profiles/*.yaml, with comments saying what was
found (breadcrumbs, family evidence, pager) and what could not be decided; it is a start for
a person to check, not a profile to trust unread.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import scrapy
import yaml
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response, TextResponse
from scrapy.settings import Settings
from scrapy.spidermiddlewares.httperror import HttpError

from govcrawl import families, pagers
from govcrawl.families import Link, PageSigns
from pipelines.browser_signs import browser_reason
from pipelines.text import html_to_text

ENTRY_WORDS = ("政府信息公开", "信息公开", "政务公开", "公开目录")
COLUMN_WORDS = ("年报", "年度报告", "工作报告")
TITLE_KEYWORDS = ["年度报告", "年报", "工作报告", "工作总结"]
YEAR = re.compile(r"(?:19|20)\d{2}")
SUB_FOLDERS = r"(?:[a-z0-9_]+/)*"  # sub-columns of a report column (部门 / 乡镇 columns under it)
MAX_ENTRY_TEXT = 10  # an entry link is a column name, not a news title
MAX_COLUMN_TEXT = 24
DEFAULT_DEPTH = 3  # GOVCRAWL_DRAFT_DEPTH: link levels from the home page to a 政府信息公开 page
DEFAULT_MAX_PAGES = 60  # GOVCRAWL_DRAFT_MAX_PAGES: requests of one draft (robots.txt not counted)
GKMLPT_API = "/gkmlpt/api/all/{category}?page={page}&sid={sid}"
# The crawl's own pieces that record into the database or drive the browser are not wanted here:
# only the proxy and the reading of robots.txt are kept (with Scrapy's own retry, redirect and
# compression).
DRAFT_OVERRIDES = {
    "DOWNLOADER_MIDDLEWARES": {
        "govcrawl.middlewares.ProxyMiddleware": 100,
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "govcrawl.robots.RobotsRulesMiddleware": 100,
    },
    "EXTENSIONS": {},
    "ITEM_PIPELINES": {},
    "REDIS_URL": "",  # a draft is never a fleet worker
    "ADDONS": {},
    "DOWNLOAD_HANDLERS": {},
    "SCHEDULER": "scrapy.core.scheduler.Scheduler",
    "DUPEFILTER_CLASS": "scrapy.dupefilters.RFPDupeFilter",
    "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
    "LOG_FORMATTER": "scrapy.logformatter.LogFormatter",
}


@dataclass
class Column:
    url: str
    name: str
    crumb: str | None = None
    signs: PageSigns | None = None
    articles: list[Link] = field(default_factory=list)
    article_sample: str | None = None  # the report fetched
    table: bool | None = None  # did it lead with the 索引号 table?
    api: dict = field(default_factory=dict)
    probed_second_page: int | None = None
    browser: str | None = None  # the plain page's signs of a script-built list (pipelines.browser_signs)
    problems: list[str] = field(default_factory=list)


@dataclass
class Findings:
    home: str
    site_title: str | None = None
    entries: list[tuple[str, str, str | None]] = field(default_factory=list)  # (url, text, crumb)
    columns: dict[str, Column] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def is_entry(link: Link) -> bool:
    return len(link.text) <= MAX_ENTRY_TEXT and any(word in link.text for word in ENTRY_WORDS)


def is_column(link: Link) -> bool:
    text = link.text
    return len(text) <= MAX_COLUMN_TEXT and any(w in text for w in COLUMN_WORDS) and not YEAR.search(text)


def is_report(link: Link) -> bool:
    return any(word in link.text for word in TITLE_KEYWORDS) and bool(YEAR.search(link.text))


class DraftSpider(scrapy.Spider):
    """Walks from the home page to the report columns; what it saw is in `findings`."""

    name = "profile_draft"

    def __init__(self, home: str, findings: Findings, **kwargs):
        super().__init__(**kwargs)
        self.home, self.findings = home, findings
        self.host = urlsplit(home).hostname or ""
        # the portal's own hosts: its 政府信息公开 site is often a sibling (www.x.gov.cn -> xxgk.x.gov.cn)
        self.domain = self.host.removeprefix("www.")
        self.requests = 0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_depth = crawler.settings.getint("GOVCRAWL_DRAFT_DEPTH", DEFAULT_DEPTH)
        spider.max_pages = crawler.settings.getint("GOVCRAWL_DRAFT_MAX_PAGES", DEFAULT_MAX_PAGES)
        return spider

    def follow(self, url: str, callback, **meta) -> scrapy.Request | None:
        if self.requests >= self.max_pages:
            self.findings.problems.append(f"GOVCRAWL_DRAFT_MAX_PAGES ({self.max_pages}) reached: {url} not asked")
            return None
        self.requests += 1
        return scrapy.Request(url, callback=callback, errback=self.failed, meta=meta, dont_filter=meta.get("again", False))

    async def start(self):
        if request := self.follow(self.home, self.parse_page, depth=0):
            yield request

    def failed(self, failure):
        request = failure.request
        column = self.findings.columns.get(request.meta.get("column", ""))
        if failure.check(HttpError):
            problem = f"{request.url}: HTTP {failure.value.response.status}"
        else:
            problem = f"{request.url}: {failure.getErrorMessage() or failure.type.__name__}"
        (column.problems if column and not request.meta.get("probe") else self.findings.problems).append(problem)

    def on_site(self, url: str) -> bool:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return parts.scheme in ("http", "https") and (host == self.host or host.endswith("." + self.domain))

    def parse_page(self, response: Response):
        """The home page or a 政府信息公开 page: its report columns, and entries one level on."""
        if not isinstance(response, TextResponse):
            return
        depth = response.meta["depth"]
        if depth == 0:
            self.findings.site_title = response.css("title::text").get("").strip() or None
        else:
            crumb = families.breadcrumb(response.text)
            self.findings.entries.append((response.url, response.meta.get("text", ""), crumb))
        for link in families.links(response.text, response.url):
            if not self.on_site(link.url):
                continue
            key = link.url.split("#", 1)[0] if "/gkmlpt/" not in link.url else link.url
            if is_column(link) and key not in self.findings.columns:
                self.findings.columns[key] = Column(link.url, link.text)
                if request := self.follow(link.url, self.parse_column, column=key, again=True):
                    yield request
            elif is_entry(link) and depth + 1 < self.max_depth:
                if request := self.follow(link.url, self.parse_page, depth=depth + 1, text=link.text):
                    yield request

    def parse_column(self, response: Response):
        column = self.findings.columns[response.meta["column"]]
        if not isinstance(response, TextResponse):
            column.problems.append(f"{response.url}: not a page ({response.headers.get('Content-Type')})")
            return
        html = response.text
        column.crumb = families.breadcrumb(html)
        column.signs = families.page_signs(html, response.url)
        column.browser = browser_reason(response.body)
        records = families.list_records(html, response.url)
        column.articles = [link for link in records if self.on_site(link.url) and is_report(link)]
        if column.signs.family == "hanweb":
            column.api = families.hanweb_api(html)
        if column.signs.family == "gkmlpt":
            sid = pagers.gkmlpt_sid(html)
            api = pagers.gkmlpt_api_url(response.url, GKMLPT_API, pagers.gkmlpt_category(column.url), 1, sid)
            if request := self.follow(api, self.parse_gkmlpt, column=response.meta["column"]):
                yield request
            return
        if column.signs.pager == "stated_count" and (column.signs.pages or 0) >= 2:
            own = pagers.page_number(response.url)
            if own is not None:
                ext = urlsplit(response.url).path.rsplit(".", 1)[1]
                for n in (1, 2):
                    url = pagers.sibling(response.url, f"{own[0]}_{n}.{ext}")
                    meta = {"column": response.meta["column"], "probe": n}
                    if request := self.follow(url, self.parse_probe, **meta):
                        request.meta["handle_httpstatus_list"] = [404, 410]
                        yield request
        for sub in (link for link in records if self.on_site(link.url) and is_column(link)):
            key = sub.url.split("#", 1)[0]
            if key not in self.findings.columns and key.startswith(response.url.rsplit("/", 1)[0] + "/"):
                self.findings.columns[key] = Column(sub.url, sub.text)
                if request := self.follow(sub.url, self.parse_column, column=key):
                    yield request
        yield from self.sample(column)

    def sample(self, column: Column):
        if column.articles:
            column.article_sample = column.articles[0].url
            if request := self.follow(column.article_sample, self.parse_article, column=self.key_of(column)):
                yield request

    def key_of(self, column: Column) -> str:
        return next(key for key, value in self.findings.columns.items() if value is column)

    def parse_gkmlpt(self, response: Response):
        column = self.findings.columns[response.meta["column"]]
        page = pagers.gkmlpt_page(response.text) if isinstance(response, TextResponse) else None
        if page is None:
            column.problems.append(f"{response.url}: not an answer of the gkmlpt API")
            return
        column.articles = [Link(url, title) for url, title in page.articles if is_report(Link(url, title))]
        column.api = {"path": GKMLPT_API}
        yield from self.sample(column)

    def parse_probe(self, response: Response):
        column = self.findings.columns[response.meta["column"]]
        if response.status == 200 and column.probed_second_page is None:
            column.probed_second_page = response.meta["probe"]
        elif response.status == 200 and response.meta["probe"] < column.probed_second_page:
            column.probed_second_page = response.meta["probe"]

    def parse_article(self, response: Response):
        column = self.findings.columns[response.meta["column"]]
        if isinstance(response, TextResponse):
            column.table = families.has_metadata_table(html_to_text(response.text))


def draft_settings(overrides: dict[str, str] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("govcrawl.settings", priority="project")
    settings.update(DRAFT_OVERRIDES, priority="cmdline")
    settings.update(overrides or {}, priority="cmdline")
    return settings


def crawl(home: str, overrides: dict[str, str] | None = None) -> Findings:
    """Walk the portal from `home` (a Scrapy crawl, blocking) and return what was seen."""
    findings = Findings(home)
    process = CrawlerProcess(draft_settings(overrides))
    process.crawl(DraftSpider, home=home, findings=findings)
    process.start()
    return findings


# -- the draft ------------------------------------------------------------------------------------
FAMILY_ORDER = ("gkmlpt", "hanweb", "trs", "xxgk_platform", "panzhihua")
PROFILE_FAMILY = {"panzhihua": "plain"}


def column_family(column: Column) -> str | None:
    signs = column.signs
    if signs is None:
        return None
    if signs.family in ("gkmlpt", "hanweb", "trs"):
        return signs.family
    if column.table:
        return "xxgk_platform"
    if column.article_sample and families.TRS_ARTICLE.search(urlsplit(column.article_sample).path):
        return "trs"
    return signs.family


def decide_family(columns: list[Column]) -> tuple[str | None, list[str]]:
    """The family most report columns show (first of FAMILY_ORDER on a tie), and notes."""
    seen = Counter(f for f in (column_family(c) for c in columns) if f)
    if not seen:
        return None, ["no family sign on any report column: family plain, undecided"]
    best = max(seen.values())
    family = next(f for f in FAMILY_ORDER if seen.get(f) == best)
    notes = [f"columns of another family too: {dict(seen)}"] if len(seen) > 1 else []
    return family, notes


def list_path(column: Column) -> str:
    path = urlsplit(column.url).path
    if column.signs and column.signs.family == "gkmlpt":
        return "^/gkmlpt/index$"
    if column.signs and column.signs.family == "hanweb":
        return "^" + re.escape(path) + "$"
    own = pagers.page_number(column.url)
    folder = path.rsplit("/", 1)[0] + "/"
    if own is None:
        return "^" + re.escape(path) + "$"
    ext = path.rsplit(".", 1)[1]
    return "^" + re.escape(folder) + SUB_FOLDERS + re.escape(own[0]) + r"(?:_\d+)?\." + re.escape(ext) + "$"


def outermost(columns: list[Column]) -> list[Column]:
    """Columns not inside another's folder: a pattern of the outer one (sub-columns allowed)
    covers them. Hanweb and gkmlpt columns are not folders."""
    def inside(column: Column, other: Column) -> bool:
        folder, outer = folder_of(column), folder_of(other)
        return folder != outer and folder.startswith(outer) and not is_api_family(other)

    return [c for c in columns if is_api_family(c) or not any(inside(c, o) for o in columns)]


def is_api_family(column: Column) -> bool:
    return bool(column.signs and column.signs.family in ("hanweb", "gkmlpt"))


def folder_of(column: Column) -> str:
    return urlsplit(column.url).path.rsplit("/", 1)[0] + "/"


def article_paths(columns: list[Column]) -> list[str]:
    """Report addresses: a report read under its column's folder gives the form of the rest
    (its folder's sub-columns allowed), which every column with a folder is given; a report
    elsewhere (Hanweb's /art/…, gkmlpt's /gkmlpt/content/…) gives its own pattern."""
    tails, elsewhere = set(), set()
    for column in columns:
        for link in column.articles[:1]:
            path, folder = urlsplit(link.url).path, folder_of(column)
            if path.startswith(folder) and column.signs and column.signs.family != "gkmlpt":
                tails.add(families.path_pattern(path[len(folder) :])[1:-1])  # without its ^ and $
            else:
                elsewhere.add(families.path_pattern(path))
    out = set(elsewhere)
    for column in columns:
        if column.signs and column.signs.family in ("gkmlpt", "hanweb"):
            continue
        out |= {"^" + re.escape(folder_of(column)) + SUB_FOLDERS + tail + "$" for tail in tails}
    return sorted(out)


def second_page(columns: list[Column]) -> tuple[int | None, list[str]]:
    """pager.second_page when a count-only pager needed it (probed), and notes."""
    notes, probed = [], set()
    for column in columns:
        if column.signs and column.signs.pager == "stated_count":
            if column.probed_second_page is None:
                notes.append(f"{column.url}: its pager only states a count; page 2 (_1 or _2) could not be told")
            else:
                probed.add(column.probed_second_page)
    if len(probed) > 1:
        notes.append("count-only pagers disagree on page 2 (_1 on some, _2 on others): pager.second_page left out")
        return None, notes
    value = probed.pop() if probed else None
    return (value if value == 2 else None), notes


def site_name(title: str | None) -> str | None:
    """The portal's name from its home page's <title>: 首页_青禾市人民政府 -> 青禾市人民政府."""
    if not title:
        return None
    parts = [p.strip() for p in re.split(r"[_|\-—]", title) if p.strip() and p.strip() not in ("首页", "主页")]
    return parts[-1] if parts else None


def comment(lines: list[str]) -> str:
    return "".join(f"# {line}\n" for line in lines)


def draft_yaml(findings: Findings) -> str:
    """The profile draft (YAML with comments) from what the crawl found."""
    host = urlsplit(findings.home).hostname or "portal"
    labels = [p for p in host.split(".") if p not in ("www", "gov", "cn", "com", "test", "xxgk", "org")]
    name = (labels[0] if labels else host).replace("-", "_")
    columns = [c for c in findings.columns.values() if c.signs is not None]
    family, family_notes = decide_family(columns)
    head = [f"Site profile DRAFT for {host}, written by `govcrawl profile draft {findings.home}`.",
            "Check every line before crawling with it; what could not be decided is said below."]  # fmt: skip
    found = []
    for url, text, crumb in findings.entries:
        found.append(f"entry page {url} (link {text!r}){f'; breadcrumb: {crumb}' if crumb else ''}")
    for column in findings.columns.values():
        found.append(f"report column {column.name!r}: {column.url}")
        if column.crumb:
            found.append(f"  breadcrumb: {column.crumb}")
        if column.signs is not None:
            evidence = "; ".join(column.signs.evidence) or "no family sign"
            found.append(f"  family sign: {column_family(column) or 'none'} ({evidence}); pager: {column.signs.pager}")
        sample = f"; one read: {column.article_sample}" if column.article_sample else ""
        found.append(f"  reports listed on its first page: {len(column.articles)}{sample}")
        if column.table:
            found.append("  its report leads with the 索引号 / 发布机构 / 成文日期 table")
        found += [f"  problem: {p}" for p in column.problems]
    undecided = list(family_notes)
    undecided += [f"problem: {p}" for p in findings.problems]
    if not findings.columns:
        undecided.append("no report column found (no link named 年报 / 年度报告 within GOVCRAWL_DRAFT_DEPTH)")
    for column in columns:
        if column.browser:
            undecided.append(f"{column.url}: its plain page looks script-built ({column.browser}): a crawl needs"
                             " the browser for it (an article_paths entry with `render: browser`, or the"
                             " crawl's own detection)")  # fmt: skip
        elif not column.articles:
            undecided.append(f"{column.url}: no report listed on its first page (sub-columns only?)")
    pager_value, pager_notes = second_page(columns)
    undecided += pager_notes
    family_name = PROFILE_FAMILY.get(family or "", family or "plain")
    if family == "panzhihua":
        found.append("family: panzhihua's (profile family plain): plain page links, numeric .shtml articles")
    samples = [c.article_sample for c in findings.columns.values() if c.article_sample]
    hosts = sorted({urlsplit(u).hostname for u in [*(c.url for c in findings.columns.values()), *samples]} | {host})
    profile: dict = {
        "name": name,
        "description": f"{site_name(findings.site_title) or host} (drafted)",
        "family": family_name,
        "allowed_hosts": hosts,
        "start_urls": [c.url for c in findings.columns.values()],
        "list_paths": sorted({list_path(c) for c in outermost(list(findings.columns.values()))}),
        "article_paths": article_paths(outermost(columns)),
    }
    if pager_value:
        profile["pager"] = {"second_page": pager_value}
    if family_name in ("hanweb", "gkmlpt"):
        api = next((c.api for c in columns if c.api), {})
        if family_name == "hanweb":
            api = {"path": api.get("path", "/module/web/jpage/dataproxy.jsp"), "perpage": api.get("perpage"),
                   "group_pages": api.get("group_pages"), "form": {"col": "1", "sourceContentType": "1", **api.get("form", {})}}  # fmt: skip
            missing = [k for k in ("perpage", "group_pages") if api[k] is None]
            undecided += [f"api.{k}: not stated on the column page; fill it in" for k in missing]
            undecided.append("api.form: col and sourceContentType are assumed 1 (the page does not state them)")
        profile["api"] = api
    profile["title_keywords"] = TITLE_KEYWORDS
    profile["title_year"] = r"(20\d{2})\s*年"
    body = yaml.safe_dump(profile, allow_unicode=True, sort_keys=False, width=1000)
    return (
        comment(head)
        + "#\n# What was found:\n" + comment(found)
        + "#\n# Not decided:\n" + comment(undecided or ["nothing"])
        + body
    )  # fmt: skip
