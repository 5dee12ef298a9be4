"""Deterministic generator of the replica portal: every page it serves, and its manifest.

The replica looks like the panzhihua.gov.cn family (hosts, column paths, list pagination,
article ids, page header; see the README's replica section): a city portal and its mobile
twin, five district and county sites with their departments and towns, annual reports in the
2021, 2019 and legacy formats, near-miss pages, navigation noise, robots.txt and faults.
`size` is the approximate number of pages; the same seed and size give the same bytes.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from typing import Protocol

from pipelines.text import html_to_text
from tests.replica import attachment_pages, browser_pages, families, garble, tables, texts
from tests.replica import hostile as hostile_cases

LIST_PAGE_SIZE = 15
NEWEST_REPORT_YEAR = 2025  # reports on 2025 were published in early 2026
CITY = "www.panzhihua.gov.cn"
WAP = "wap.panzhihua.gov.cn"

# (host, name, area code used in column paths; "" for 东区, which has none)
DISTRICTS = [
    ("www.pzhsxq.gov.cn", "西区", "xq"),
    ("www.scdongqu.gov.cn", "东区", ""),
    ("www.screnhe.gov.cn", "仁和区", "rhq"),
    ("www.scmiyi.gov.cn", "米易县", "myx"),
    ("www.scyanbian.gov.cn", "盐边县", "ybx"),
]
CITY_DEPARTMENTS = [
    ("srmzfbgs", "市人民政府办公室"),
    ("sfzggw", "市发展和改革委员会"),
    ("sjyj", "市教育局"),
    ("skjj", "市科学技术局"),
    ("sjxj", "市经济和信息化局"),
    ("smzj", "市民政局"),
    ("ssfj", "市司法局"),
    ("sczj", "市财政局"),
    ("srsj", "市人力资源和社会保障局"),
    ("szrzyj", "市自然资源和规划局"),
    ("ssthjj", "市生态环境局"),
    ("szjj", "市住房和城乡建设局"),
    ("sjtysj", "市交通运输局"),
    ("sslj", "市水利局"),
    ("snyncj", "市农业农村局"),
    ("sswj", "市商务局"),
    ("swgj", "市文化广播电视和旅游局"),
    ("swjw", "市卫生健康委员会"),
    ("syjj", "市应急管理局"),
    ("sscjgj", "市市场监督管理局"),
    ("stjj", "市统计局"),
    ("sybj", "市医疗保障局"),
]
DISTRICT_DEPARTMENTS = [
    ("qzfb", "区政府办"),
    ("jyj", "教育局"),
    ("czj", "财政局"),
    ("mzj", "民政局"),
    ("wjj", "卫生健康局"),
    ("scjgj", "市场监督管理局"),
    ("zjj", "住房和城乡建设局"),
    ("nyncj", "农业农村局"),
]
TOWNS = [
    ("yqjd", "玉泉街道"),
    ("glpz", "格里坪镇"),
    ("yjz", "银江镇"),
    ("bcgjd", "炳草岗街道"),
    ("rhz", "仁和镇"),
    ("dtz", "大田镇"),
    ("plz", "攀莲镇"),
    ("bgz", "丙谷镇"),
    ("tzlz", "桐子林镇"),
    ("hgz", "红格镇"),
]
# Article ids are global and rise with time (PORTAL.md): first id of each publication year.
ID_BASE = {
    2009: 300_000,
    2010: 380_000,
    2011: 450_000,
    2012: 520_000,
    2013: 560_000,
    2014: 610_000,
    2015: 660_000,
    2016: 700_000,
    2017: 750_000,
    2018: 800_000,
    2019: 1_000_000,
    2020: 1_400_000,
    2021: 1_800_000,
    2022: 4_100_000,
    2023: 7_000_000,
    2024: 10_050_000,
    2025: 10_150_000,
    2026: 10_270_000,
    2027: 10_400_000,  # reports on 2026, published when the replica travels in time
}
ROBOTS_DISALLOWED = ("/search/", "/zfxxgk1/zfxxgknb/xxgknb/preview/")
# Hosts that serve garbled copies of family reports under the same paths (not family hosts).
MIRROR = "www.pzh-mirror.test"  # Traditional text, squashed dates, its own domain in the text
CONTENT_FARM = "www.gwy-fanwen.test"  # pinyin annotations: toned, toneless, doubled
MOJIBAKE_HOST = "www.pzh-archive.test"  # UTF-8 read as GBK, served as UTF-8
GBK_AS_UTF8_HOST = "old.pzh-mirror.test"  # GBK bytes declared as UTF-8 in header and meta
COPIES_COLUMN = "/nianbao/"  # where each copy host lists its copies (the copies profile crawls it)
OFFSITE_LINKS = [("http://www.gov.cn/", "中国政府网"), ("http://www.sc.gov.cn/", "四川省人民政府")]


UTF8_META = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'


def report_format(year: int) -> str:
    return "2021" if year >= 2021 else "2019" if year >= 2019 else "legacy"


@dataclass
class Page:
    url: str
    kind: str  # annual_report | work_summary | notice | other | list | home | robots | redirect | missing
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html"
    header_charset: str | None = "utf-8"
    meta_charset: str | None = "utf-8"
    encoding: str = "utf-8"
    title: str | None = None
    agency: str | None = None
    year: int | None = None
    published: str | None = None
    format: str | None = None
    fault: str | None = None
    location: str | None = None
    twin_of: str | None = None
    copy_of: str | None = None
    garbling: str | None = None
    clean_text: str | None = None  # for garbled copies: the text de-garbling must give back
    values: dict[str, float] = field(default_factory=dict)
    prose_values: dict[str, int] = field(default_factory=dict)  # legacy figures stated in prose
    table_style: str | None = None  # how the statistics tables are printed (tables.STYLES)
    planted_inconsistency: str | None = None
    modified: str | None = None  # ISO date of the last edit, when the page was edited
    hostile: str | None = None  # the hostile case this page serves (tests/replica/hostile.py)
    reachable: bool | None = None  # False: a correct crawl cannot store it (hostile mode)
    # a report published as a file (attachments mode, tests/replica/attachment_pages.py)
    disposition: str | None = None  # Content-Disposition header
    offered_by: str | None = None  # the page linking to the file
    file_kind: str | None = None  # how the file was built (pdf, docx, xlsx, html_doc, …)
    true_type: str | None = None  # what pipelines.filetype names its bytes (None: text)
    link_style: str | None = None  # how it is linked (article_link, list_link, downfile, …)
    # families mode (tests/replica/families.py): the site profile whose crawl must find the page,
    # and the 索引号/发布机构/成文日期/文号 table an article page prints, as printed
    profile: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def headers(self) -> list[tuple[str, str]]:
        content_type = self.content_type + (f"; charset={self.header_charset}" if self.header_charset else "")
        headers = [("Content-Type", content_type), ("Server", "replica")]
        if self.location:
            headers.append(("Location", self.location))
        if self.disposition:
            headers.append(("Content-Disposition", self.disposition))
        if self.status == 200:
            headers += self.validators()
        return headers

    def validators(self) -> list[tuple[str, str]]:
        """ETag and Last-Modified, as a static CMS page has them: for conditional re-requests."""
        changed = date.fromisoformat(self.modified or self.published or "2026-01-01")
        moment = datetime.combine(changed, time(8, 0), tzinfo=UTC)
        return [
            ("ETag", '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'),
            ("Last-Modified", format_datetime(moment, usegmt=True)),
        ]

    def manifest_entry(self) -> dict:
        entry = {k: v for k, v in self.__dict__.items() if k != "body" and v not in (None, {}, "")}
        entry["length"] = len(self.body)
        return entry


def same_report(original: Page, **fields) -> Page:
    """A new page carrying `original`'s report metadata (a twin or a copy of it elsewhere)."""
    metadata = ("title", "agency", "year", "published", "format", "table_style")
    return Page(**{name: getattr(original, name) for name in metadata}, **fields)


class ArticleStyle(Protocol):
    """How a CMS family addresses and prints an article (tests/replica/families.py)."""

    def url(self, agency: Agency, article_id: int, published: date) -> str: ...

    def html(self, page: Page, agency: Agency, body_html: str) -> str: ...


@dataclass
class Agency:
    name: str  # as printed in titles
    source: str  # 来源 in the page header
    host: str
    column: str  # column path, ending with "/"
    years: range
    wap_column: str | None = None  # the mobile twin's column for the same articles


@dataclass
class Column:
    host: str
    path: str
    name: str
    children: list[str] = field(default_factory=list)  # sub-column paths
    articles: list[Page] = field(default_factory=list)


class PortalBuilder:
    def __init__(
        self, size: int, seed: int, hostile: bool = False, attachments: bool = False, families: bool = False
    ):
        self.rng = random.Random(seed)
        self.size = size
        self.hostile = hostile
        self.attachments = attachments
        self.families = families
        self.family_columns: list = []  # tests/replica/families.py
        self.pages: dict[str, Page] = {}
        self.columns: dict[tuple[str, str], Column] = {}
        self.next_id: dict[int, int] = dict(ID_BASE)
        self.gbk_pages = 0
        self.newest_year = NEWEST_REPORT_YEAR

    # -- plan ----------------------------------------------------------------------------------
    def agencies(self) -> list[Agency]:
        out: list[Agency] = []
        recent = range(2016, NEWEST_REPORT_YEAR + 1)
        fixed_pages = 120
        units = max(4, (self.size - fixed_pages) // 16)
        city_count, district_count = (units + 1) // 2, units // 2
        for i in range(city_count):
            code, name = CITY_DEPARTMENTS[i % len(CITY_DEPARTMENTS)]
            round_ = i // len(CITY_DEPARTMENTS)
            if round_:
                code, name = f"{code}{round_}", f"{name}直属单位{round_}"
            out.append(
                Agency(
                    name="攀枝花" + name,
                    source="攀枝花" + name,
                    host=CITY,
                    column=f"/zfxxgk1/zfxxgknb/sjbmzfxxgkgzndbg/{code}/",
                    years=recent,
                    wap_column=f"/zfxxgk1/pzhszfxxgkgzndbg/sjbmzfxxgkgzndbg/{code}/",
                )
            )
        out.append(
            Agency("攀枝花市", "攀枝花市人民政府办公室", CITY, "/zfxxgk1/zfxxgknb/xxgknb/", range(2019, 2026))
        )
        out.append(
            Agency("攀枝花市", "攀枝花市人民政府办公室", CITY, "/zwgk/xxgkml/xxgknb/", range(2009, 2019))
        )
        for host, district, area in DISTRICTS:
            out.append(
                Agency(
                    f"攀枝花市{district}",
                    f"攀枝花市{district}人民政府办公室",
                    host,
                    self.district_root(area) + f"{area}xxgkgzndbg/",
                    range(2018, 2026),
                )
            )
        for i in range(district_count):
            host, district, area = DISTRICTS[i % 2]  # 西区 and 东区 carry the departments and towns
            if i % 4 < 2:
                code, name = DISTRICT_DEPARTMENTS[(i // 2) % len(DISTRICT_DEPARTMENTS)]
                column = f"xqjbmzfxxgkgzndbg_3/{code}{i // 16 or ''}/"
            else:
                code, name = TOWNS[(i // 2) % len(TOWNS)]
                column = f"xzjdzfxxgkgzndbg_3/{code}{i // 16 or ''}/"
            agency = f"攀枝花市{district}{name}" + (f"{i // 16}" if i // 16 else "")
            out.append(Agency(agency, agency, host, self.district_root(area) + column, range(2020, 2026)))
        return out

    @staticmethod
    def district_root(area: str) -> str:
        return f"/zfxxgk/zfxxgknb/{area}/" if area else "/zfxxgk/zfxxgknb/xxgkgzndbg/"

    def new_id(self, published: date) -> int:
        self.next_id[published.year] += self.rng.randint(1, 40)
        return self.next_id[published.year]

    # -- build ---------------------------------------------------------------------------------
    def build(self) -> dict[str, Page]:
        self.column_tree()
        planted = False
        for agency in self.agencies():
            for year in agency.years:
                plant = not planted and report_format(year) == "2021" and agency.host != CITY
                page = self.report(agency, year, plant)
                planted = planted or plant
                self.add_article(agency.host, agency.column, page)
                if agency.wap_column:
                    self.add_article(WAP, agency.wap_column, self.wap_twin(page, agency))
        self.near_misses()
        self.garbled_copies()
        self.faults()
        browser_pages.add_pages(self)
        if self.hostile:
            hostile_cases.add_pages(self)
        if self.attachments:
            attachment_pages.add_pages(self)
        if self.families:
            families.add_pages(self)
        self.list_pages()
        browser_pages.add_js_lists(self)
        self.hosts()
        if self.hostile:
            hostile_cases.after_lists(self)
        return self.pages

    def column_tree(self) -> None:
        city_root = "/zfxxgk1/zfxxgknb/"
        self.column(CITY, city_root, "政府信息公开年报")
        self.column(
            CITY, city_root + "sjbmzfxxgkgzndbg/", "市级部门政府信息公开工作年度报告", parent=city_root
        )
        self.column(CITY, city_root + "xxgknb/", "攀枝花市政府信息公开年报", parent=city_root)
        self.column(CITY, "/zwgk/xxgkml/xxgknb/", "信息公开年报")
        wap_root = "/zfxxgk1/pzhszfxxgkgzndbg/"
        self.column(WAP, wap_root, "攀枝花市政府信息公开工作年度报告")
        self.column(WAP, wap_root + "sjbmzfxxgkgzndbg/", "市级部门政府信息公开工作年度报告", parent=wap_root)
        for host, district, area in DISTRICTS:
            root = self.district_root(area)
            self.column(host, root, "信息公开工作年度报告")
            self.column(host, root + f"{area}xxgkgzndbg/", f"{district}信息公开工作年度报告", parent=root)
            self.column(
                host, root + "xqjbmzfxxgkgzndbg_3/", "县(区)级部门政府信息公开工作年度报告", parent=root
            )
            self.column(
                host, root + "xzjdzfxxgkgzndbg_3/", "(乡镇、街道)政府信息公开工作年度报告", parent=root
            )

    def column(self, host: str, path: str, name: str, parent: str | None = None) -> Column:
        key = (host, path)
        if key not in self.columns:
            self.columns[key] = Column(host, path, name)
            if parent is None and path.count("/") > 2:
                parent = path.rsplit("/", 2)[0] + "/"
            if parent and (host, parent) in self.columns:
                self.columns[(host, parent)].children.append(path)
        return self.columns[key]

    def add_article(self, host: str, column_path: str, page: Page) -> None:
        column = self.columns.get((host, column_path)) or self.column(
            host, column_path, (page.agency or "").replace("攀枝花", "")
        )
        column.articles.append(page)
        self.pages[page.url] = page

    def report(self, agency: Agency, year: int, plant: bool = False, style: ArticleStyle | None = None) -> Page:
        """One annual report; `style` gives another CMS family's article URL and page chrome."""
        rng = self.rng
        published = date(year + 1, rng.randint(1, 3), rng.randint(1, 28))
        article_id = self.new_id(published)
        url = style.url(agency, article_id, published) if style else None
        fmt = report_format(year)
        title = agency.name + rng.choice(
            [
                f"{year}年政府信息公开工作年度报告",
                f"{year}年度政府信息公开工作年度报告",
                f"{year}年政府信息公开年度报告",
            ]
        )
        page = Page(
            url=url or f"http://{agency.host}{agency.column}{article_id}.shtml",
            kind="annual_report",
            title=title,
            agency=agency.name,
            year=year,
            published=published.isoformat(),
            format=fmt,
        )
        blank_zeros = rng.random() < 0.4
        if fmt != "legacy":
            page.table_style = rng.choices(tables.STYLES, weights=[4, 3, 2, 2])[0]
        if fmt == "legacy":
            body_html = self.legacy_body(page, rng)
        else:
            page.values = tables.make_values(rng, fmt, busy=rng.choice([2, 5, 20, 60]))
            if plant:  # one report whose printed grand total is off by one, as real ones can be
                page.planted_inconsistency = "applications.new_received.total"
                page.values["applications.new_received.total"] += 1
            body_html = self.standard_body(page, agency, blank_zeros)
        html = style.html(page, agency, body_html) if style else article_html(page, agency.source, body_html)
        self.encode(page, html, old=year <= 2014)
        return page

    def standard_body(self, page: Page, agency: Agency, blank_zeros: bool) -> str:
        year, fmt, values = page.year, page.format, page.values
        n1, n2 = self.rng.randint(100, 9000), self.rng.randint(10, 900)
        overview = [p.format(year=year, agency=agency.name, n1=n1, n2=n2) for p in texts.OVERVIEW]
        if fmt == "2021":
            fee = self.rng.choice(
                ["无收取信息处理费情况", f"收取信息处理费共计{self.rng.randint(1, 9) * 10}元"]
            )
            other = [p.format(fee=fee, agency=agency.name) for p in texts.OTHER_MATTERS_2021]
        else:
            other = texts.OTHER_MATTERS_2019
        return "\n".join(
            [
                heading("一、总体情况"),
                paragraphs(overview),
                heading("二、主动公开政府信息情况"),
                tables.render_active(values, fmt, page.table_style, blank_zeros, self.rng),
                heading("三、收到和处理政府信息公开申请情况"),
                tables.render_applications(values, fmt, page.table_style, blank_zeros, self.rng),
                heading("四、政府信息公开行政复议、行政诉讼情况"),
                tables.render_reviews(values, page.table_style, blank_zeros, self.rng),
                heading("五、存在的主要问题及改进情况"),
                paragraphs(texts.PROBLEMS),
                heading("六、其他需要报告的事项"),
                paragraphs(other),
            ]
        )

    def legacy_body(self, page: Page, rng: random.Random) -> str:
        year = page.year
        published_count, received, granted = rng.randint(100, 3000), rng.randint(0, 30), 0
        granted = rng.randint(0, received)
        reviews = rng.choice([0, 0, 1])
        page.prose_values = {"applications.new_received.total": received, "reviews.total": reviews}
        if received:  # the granted count is only stated when there were applications
            page.prose_values["applications.granted.total"] = granted
        application_text = (
            f"{year}年，共受理信息公开申请{received}件，其中同意公开{granted}件。"
            if received
            else f"{year}年未收到有关政府信息公开申请。"
        )
        review_text = (
            f"{year}年，发生因政府信息公开申请行政复议{reviews}件。"
            if reviews
            else f"{year}年，未发生因政府信息公开申请行政复议、提起行政诉讼的情况。"
        )
        return "\n".join(
            [
                paragraphs([texts.LEGACY_INTRO.format(year=year)]),
                heading("一、概述"),
                paragraphs([f"{year}年，{page.agency}认真贯彻落实《条例》，政府信息公开工作有序推进。"]),
                heading("二、主动公开政府信息情况"),
                paragraphs([f"{year}年，全年主动公开政府信息{published_count}条。"]),
                heading("三、政府信息依申请公开工作情况"),
                paragraphs([application_text]),
                heading("四、因政府信息公开申请行政复议、提起行政诉讼的情况"),
                paragraphs([review_text]),
                heading("五、主要问题和改进措施"),
                paragraphs([texts.LEGACY_PROBLEMS]),
            ]
        )

    def wap_twin(self, page: Page, agency: Agency) -> Page:
        twin = same_report(
            page,
            url=f"http://{WAP}{agency.wap_column}{page.url.rsplit('/', 1)[1]}",
            kind=page.kind,
            values=page.values,
            prose_values=page.prose_values,
            twin_of=page.url,
        )
        html = page.body.decode(page.encoding).replace(f"charset={page.meta_charset}", "charset=utf-8")
        html = html.replace('<div class="header">', '<div class="header m-header">', 1)
        self.encode(twin, html, old=False)
        return twin

    def encode(self, page: Page, html: str, old: bool) -> None:
        """Old pages are GBK; some declare it wrongly or not at all (a third of each)."""
        if not old:
            variant = self.rng.random()
            if variant < 0.1:  # UTF-8 with no declaration anywhere
                page.header_charset = page.meta_charset = None
                html = html.replace(UTF8_META, "")
            if UTF8_META not in html:  # a copy of a page that declared nothing
                page.meta_charset = None
            page.body = html.encode("utf-8")
            return
        page.encoding = "gbk"
        variant = self.gbk_pages % 3
        self.gbk_pages += 1
        page.meta_charset = None if variant == 2 else "gb2312"
        page.header_charset = "utf-8" if variant == 1 else None  # variant 1: the header lies
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={page.meta_charset}">'
        html = html.replace(
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
            meta if page.meta_charset else "",
        )
        page.body = html.encode("gbk")

    # -- garbled copies ------------------------------------------------------------------------
    def garbled_copies(self) -> None:
        originals = sorted(
            (
                p
                for p in self.pages.values()
                if p.kind == "annual_report" and not p.twin_of and p.encoding == "utf-8"
            ),
            key=lambda p: p.url,
        )
        per_host = max(4, self.size // 50)
        plans = [
            (MIRROR, "traditional+squashed_date"),
            (CONTENT_FARM, "annotations:toned"),
            (CONTENT_FARM, "annotations:toneless"),
            (CONTENT_FARM, "annotations:doubled"),
            (MOJIBAKE_HOST, "utf8_read_as_gbk"),
            (GBK_AS_UTF8_HOST, "gbk_declared_utf8"),
        ]
        for n, (host, garbling) in enumerate(plans):
            for original in originals[n :: len(plans)][:per_host]:
                self.garbled_copy(original, host, garbling)

    def garbled_copy(self, original: Page, host: str, garbling: str) -> None:
        html = original.body.decode("utf-8")
        if host == MIRROR:
            html = html.replace("www.panzhihua.gov.cn 发布时间", f"{host} 发布时间")
            signed = garble.unambiguous_squashed_date(date.fromisoformat(original.published), self.rng)
            clean_sign = f"{signed.year}年{signed.month}月{signed.day}日"
            html = html.replace(
                '</div>\n<div class="tools">', f'<p>{clean_sign}</p></div>\n<div class="tools">', 1
            )
        clean = html
        if garbling == "traditional+squashed_date":
            html = garble.to_traditional(html).replace(clean_sign, f"{signed.year}{signed.month}{signed.day}")
        elif garbling.startswith("annotations:"):
            html = garble.annotate(html, self.rng, garbling.split(":")[1])
        elif garbling == "utf8_read_as_gbk":
            html = garble.utf8_read_as_gbk(html)
        url = original.url.replace(original.url.split("/")[2], host, 1)
        page = same_report(
            original,
            url=url,
            kind="copy",
            copy_of=original.url,
            garbling=garbling,
            clean_text=html_to_text(clean),
        )
        if garbling == "gbk_declared_utf8":
            page.encoding, page.header_charset, page.meta_charset = "gbk", "utf-8", "utf-8"
            page.body = html.encode("gbk")
        else:
            page.body = html.encode("utf-8")
        self.column(host, COPIES_COLUMN, "政府信息公开工作年度报告")
        self.add_article(host, COPIES_COLUMN, page)  # listed on its host, as copy sites list them

    # -- pages that are not reports, faults ----------------------------------------------------
    def near_misses(self) -> None:
        city_reports = "/zfxxgk1/zfxxgknb/xxgknb/"
        for year in (2020, 2022, 2024):
            self.simple_article(
                CITY,
                city_reports,
                "notice",
                f"关于做好{year}年度政府信息公开工作年度报告编制发布工作的通知",
                "各县（区）人民政府，市级各部门：请按照《条例》和国办公开办函〔2021〕30号要求，"
                f"于{year + 1}年1月31日前编制完成并公开本单位{year}年度政府信息公开工作年度报告。",
                date(year, 12, 20),
            )
            self.simple_article(
                CITY,
                city_reports,
                "other",
                f"攀枝花市{year}年政务公开工作要点",
                "一、深化重点领域信息公开。二、加强政策解读回应。三、夯实公开工作基础。",
                date(year, 4, 2),
            )
        self.simple_article(
            CITY,
            "/zwgk/xxgkml/xxgknb/",
            "work_summary",
            "攀枝花钒钛高新区管委会关于2018年度政务公开工作总结",
            "2018年钒钛高新区管委会认真贯彻落实上级关于政务公开工作的部署，扎实推进政务公开工作。",
            date(2019, 1, 28),
            year=2018,
            agency="攀枝花钒钛高新区管委会",
        )
        for i, title in enumerate(texts.NEWS):
            self.simple_article(
                CITY,
                "/xwzx/",
                "other",
                title,
                title + "。会议要求进一步做好政务公开工作。",
                date(2025, 3 + i, 10),
            )
        self.column(CITY, "/xwzx/", "新闻中心")
        # Content-farm compilations of report texts (seed 004): essays, not reports.
        for title in ("政府信息公开工作年度报告范文", "2023年度政府信息公开工作年度报告（精选3篇）"):
            self.simple_article(
                CONTENT_FARM,
                "/fanwen/",
                "template_essay",
                title,
                [texts.ESSAY_INTRO, "篇1", texts.OVERVIEW[0].format(year=2023, agency="某县", n1=1, n2=2),
                 "篇2", texts.LEGACY_PROBLEMS, "篇3", texts.PROBLEMS[1]],
                date(2024, 5, 6),
            )  # fmt: skip
        # A report-looking link into a path robots.txt forbids: it must never be requested.
        self.simple_article(
            CITY,
            city_reports + "preview/",
            "other",
            "（预览）攀枝花市2025年政府信息公开工作年度报告",
            "预览稿，未正式发布。",
            date(2026, 1, 5),
            fault="robots_disallowed",
            list_in=city_reports,
        )

    def simple_article(
        self,
        host: str,
        column: str,
        kind: str,
        title: str,
        text: str | list[str],
        published: date,
        year: int | None = None,
        fault: str | None = None,
        list_in: str | None = None,
        agency: str = "攀枝花市",
    ) -> Page:
        article_id = self.new_id(published)
        page = Page(
            url=f"http://{host}{column}{article_id}.shtml",
            kind=kind,
            title=title,
            agency=agency,
            year=year,
            published=published.isoformat(),
            fault=fault,
        )
        body = paragraphs([text] if isinstance(text, str) else text)
        self.encode(page, article_html(page, "攀枝花市人民政府办公室", body), old=False)
        self.pages[page.url] = page
        self.column(host, list_in or column, title).articles.append(page)
        return page

    def faults(self) -> None:
        reports = [p for p in self.pages.values() if p.kind == "annual_report" and p.twin_of is None]
        # A 500 that succeeds on retry, and a slow page: both real reports.
        flaky = next(p for p in reports if p.url.startswith(f"http://{CITY}/zfxxgk1/") and p.year == 2023)
        flaky.fault = "flaky_500"
        slow = next(p for p in reports if not p.url.startswith(f"http://{CITY}/") and p.year == 2024)
        slow.fault = "slow"
        # A report link that is dead.
        city_reports = "/zfxxgk1/zfxxgknb/xxgknb/"
        missing = Page(
            url=f"http://{CITY}{city_reports}524901.shtml",
            kind="missing",
            status=404,
            title="攀枝花市2018年政府信息公开工作年度报告",
            published="2019-02-01",
            fault="not_found",
            body=error_page(404),
        )
        self.pages[missing.url] = missing
        self.columns[(CITY, city_reports)].articles.append(missing)
        # A redirect chain (301 then 302) from a listed old address to where the report lives.
        host, _, area = DISTRICTS[1]
        column = self.district_root(area) + f"{area}xxgkgzndbg/"
        final = next(p for p in reports if p.url.startswith(f"http://{host}{column}") and p.year == 2022)
        self.columns[(host, column)].articles.remove(final)
        hop2 = f"http://{host}/art/{final.url.rsplit('/', 1)[1]}"
        old_id = int(final.url.rsplit("/", 1)[1].removesuffix(".shtml")) - 1
        while f"http://{host}{column}{old_id}.shtml" in self.pages:
            old_id -= 1
        hop1 = Page(
            url=f"http://{host}{column}{old_id}.shtml",
            kind="redirect",
            status=301,
            location=hop2,
            fault="redirect_chain",
            title=final.title,
            body=b"",
        )
        self.pages[hop1.url] = hop1
        self.pages[hop2] = Page(
            url=hop2, kind="redirect", status=302, location=final.url, fault="redirect_chain"
        )
        self.columns[(host, column)].articles.append(hop1)
        final.fault = "redirect_target"

    # -- time travel: what happens between two scheduled crawls -----------------------------
    def publish_next_year(self) -> list[Page]:
        """Every agency still reporting publishes its report on the next year (and its twin)."""
        year = self.newest_year = self.newest_year + 1
        new = []
        for agency in self.agencies():
            if agency.years.stop != NEWEST_REPORT_YEAR + 1:
                continue  # an agency that stopped reporting earlier
            page = self.report(agency, year)
            self.add_article(agency.host, agency.column, page)
            new.append(page)
            if agency.wap_column:
                new.append(self.wap_twin(page, agency))
                self.add_article(WAP, agency.wap_column, new[-1])
        self.list_pages()
        return new

    def stable_reports(self) -> list[Page]:
        """Plain district reports of the newest published year: what time travel edits or deletes."""
        return [
            p
            for _, p in sorted(self.pages.items())
            if p.kind == "annual_report" and p.year == NEWEST_REPORT_YEAR and p.encoding == "utf-8"
            and not p.url.startswith((f"http://{CITY}/", f"http://{WAP}/"))
            and not (p.fault or p.twin_of or p.copy_of or p.planted_inconsistency or p.profile)
        ]  # fmt: skip

    def edit_report(self) -> Page:
        """The agency corrects a published report: same URL, a new body and Last-Modified."""
        page = self.stable_reports()[0]
        correction = f"（本报告于{self.newest_year + 1}年4月1日更正。）"
        marker = '\n</div>\n<div class="tools">'
        html = page.body.decode("utf-8").replace(marker, "\n" + paragraphs([correction]) + marker, 1)
        page.body = html.encode("utf-8")
        page.modified = f"{self.newest_year + 1}-04-01"
        return page

    def delete_report(self) -> Page:
        """The agency takes a report down: its URL answers 404 and the lists drop it."""
        page = self.stable_reports()[1]
        del self.pages[page.url]
        for column in self.columns.values():
            if page in column.articles:
                column.articles.remove(page)
        self.list_pages()
        return page

    # -- lists, homes, robots ------------------------------------------------------------------
    def list_pages(self) -> None:
        for url in [url for url, page in self.pages.items() if page.kind == "list"]:
            del self.pages[url]  # rebuilt from the columns (time travel changes them)
        for column in self.columns.values():
            articles = sorted(column.articles, key=lambda p: (p.published or "", p.url), reverse=True)
            chunks = [articles[i : i + LIST_PAGE_SIZE] for i in range(0, len(articles), LIST_PAGE_SIZE)] or [
                []
            ]
            for number, chunk in enumerate(chunks):
                name = "index.shtml" if number == 0 else f"index_{number}.shtml"
                url = f"http://{column.host}{column.path}{name}"
                html = list_html(column, chunk, number, len(chunks), self.columns)
                self.pages[url] = Page(url=url, kind="list", title=column.name, body=html.encode("utf-8"))
        if self.families:  # the family cities' lists, in their own CMS's forms
            families.add_lists(self)

    def hosts(self) -> None:
        for host in {c.host for c in self.columns.values()}:
            robots = "User-agent: *\n" + "".join(f"Disallow: {p}\n" for p in ROBOTS_DISALLOWED)
            self.pages[f"http://{host}/robots.txt"] = Page(
                url=f"http://{host}/robots.txt",
                kind="robots",
                content_type="text/plain",
                meta_charset=None,
                body=robots.encode("ascii"),
            )
            roots = [c for c in self.columns.values() if c.host == host and c.path.count("/") <= 4]
            links = "".join(f'<li><a href="{c.path}index.shtml">{c.name}</a></li>' for c in roots)
            html = page_html("首页", f"<ul>{links}</ul>")
            self.pages[f"http://{host}/"] = Page(
                url=f"http://{host}/", kind="home", body=html.encode("utf-8")
            )


# -- HTML templates ----------------------------------------------------------------------------
def heading(text: str) -> str:
    return f'<p style="text-indent:2em"><strong>{text}</strong></p>'


def paragraphs(items: list[str]) -> str:
    return "\n".join(f'<p style="text-indent:2em">{p}</p>' for p in items)


NAV = (
    '<div class="header"><a href="/">首页</a> <a href="/zwgk/index.shtml">政务公开</a> '
    '<a href="/xwzx/index.shtml">新闻中心</a> <a href="/search/index.html?keyword=">站内搜索</a></div>'
)


def page_html(title: str, content: str) -> str:
    footer = " | ".join(f'<a href="{url}">{name}</a>' for url, name in OFFSITE_LINKS)
    return (
        "<!DOCTYPE html><html><head>"
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f"<title>{title}_攀枝花市人民政府</title>"
        '<script type="text/javascript">var _hmt = _hmt || []; function setFont(s){document.getElementById("zoom").style.fontSize=s+"px";}</script>'
        f"</head><body>{NAV}\n{content}\n"
        f'<div class="footer">友情链接：{footer}<br>主办：攀枝花市人民政府办公室 蜀ICP备05003078号</div>'
        "</body></html>"
    )


def article_html(page: Page, source: str, body: str) -> str:
    info = f"www.panzhihua.gov.cn 发布时间:{page.published} 来源:{source} 选择阅读字号:[ 大 中 小 ] 阅读次数:"
    return page_html(
        page.title,
        (
            f'<div class="article"><h1 class="title">{page.title}</h1>\n<div class="info">{info}</div>\n'
            f'<div class="content" id="zoom">\n{body}\n</div>\n'
            '<div class="tools"><a href="javascript:window.print()">打印</a> '
            '<a href="javascript:window.close()">关闭</a></div></div>'
        ),
    )


def list_html(
    column: Column, articles: list[Page], number: int, pages: int, columns: dict[tuple[str, str], Column]
) -> str:
    children = "".join(
        f'<li><a href="{child[len(column.path) :]}index.shtml">{columns[(column.host, child)].name}</a></li>'
        for child in column.children
    )
    items = "".join(
        f'<li><a href="{relative(column, p)}" title="{p.title}" target="_blank">{shorten(p.title)}</a>'
        f"<span>{p.published}</span></li>"
        for p in articles
    )
    pager = []
    if pages > 1:
        pager.append('<a href="index.shtml">首页</a>')
        if number > 0:
            pager.append(
                f'<a href="{"index.shtml" if number == 1 else f"index_{number - 1}.shtml"}">上一页</a>'
            )
        if number < pages - 1:
            pager.append(f'<a href="index_{number + 1}.shtml">下一页</a>')
        pager.append(f'<a href="index_{pages - 1}.shtml">尾页</a> 共{pages}页')
    content = (
        f'<div class="crumb">首页 &gt; 政府信息公开 &gt; {column.name}</div>'
        + (f'<ul class="columns">{children}</ul>' if children else "")
        + f'<ul class="list">{items}</ul><div class="page">{" ".join(pager)}</div>'
    )
    return page_html(column.name, content)


def relative(column: Column, page: Page) -> str:
    prefix = f"http://{column.host}{column.path}"
    return (
        "./" + page.url[len(prefix) :] if page.url.startswith(prefix) else page.url.split(column.host, 1)[1]
    )


def shorten(title: str, limit: int = 28) -> str:
    return title if len(title) <= limit else title[:limit] + "..."


def error_page(status: int) -> bytes:
    return f"<html><body><h1>{status}</h1><p>页面不存在</p></body></html>".encode()


@dataclass
class Portal:
    pages: dict[str, Page]
    size: int
    seed: int
    builder: PortalBuilder | None = None  # for time travel
    hostile: bool = False
    attachments: bool = False
    families: bool = False

    def manifest(self) -> dict:
        return {
            "size": self.size,
            "seed": self.seed,
            "hostile": self.hostile,
            "attachments": self.attachments,
            "families": self.families,
            "pages": [p.manifest_entry() for p in sorted(self.pages.values(), key=lambda p: p.url)],
        }


def build_portal(
    size: int = 200, seed: int = 0, hostile: bool = False, attachments: bool = False, families: bool = False
) -> Portal:
    """The replica portal; `hostile` adds every hostile case of tests/replica/hostile.py,
    `attachments` the reports published as files of tests/replica/attachment_pages.py,
    `families` the four cities of other CMS families of tests/replica/families.py."""
    builder = PortalBuilder(size, seed, hostile, attachments, families)
    return Portal(builder.build(), size, seed, builder, hostile, attachments, families)
