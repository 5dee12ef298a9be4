"""Reports published as files on the replica (`--attachments`), linked the ways real portals
link them, on 西区's department columns:

article_link     an article page: "详见附件" and 附件：<a href="./P0….pdf">XX年度报告.pdf</a>
                 (PDF, DOCX)
downfile         the article's attachment behind the CMS's download script,
                 /module/download/downfile.jsp?classid=0&filename=<32 hex>.xlsx&showname=<escaped
                 name>.xlsx (the shape of real portals' links), answered as
                 application/octet-stream with Content-Disposition: attachment; filename*=UTF-8''…
attach_endpoint  /attach/0/<hex>: no extension at all, a PDF behind it
html_doc         a ".doc" that is really an HTML page (Word's "save as web page"), served as
                 application/msword
list_link        the list links straight to the file (PDF, DOCX)
image            the report as a picture (图片版), linked as the report; on the same page a
                 picture link that is no report ("查看大图"), which must not be fetched
too_large        a PDF larger than a small GOVCRAWL_MAX_ATTACHMENT_BYTES (the crawl test's)

Each file is a page of kind `attachment` in the manifest with its report's facts and values,
`file_kind` (how it was built), `true_type` (what pipelines.filetype names its bytes; absent
for text), `offered_by` (the page that links to it) and `link_style`; the article offering it
is of kind `attachment_article`. A separate random generator keeps every other page byte for
byte what it is without `--attachments`.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.replica import tables
from tests.replica.attachment_files import CONTENT_TYPES, EXTENSIONS, TRUE_TYPES, attachment_bytes

if TYPE_CHECKING:
    from tests.replica.generator import PortalBuilder

HOST = "www.pzhsxq.gov.cn"
ROOT = "/zfxxgk/zfxxgknb/xq/xqjbmzfxxgkgzndbg_3/"
# agency -> [(year, link style, file kind)]
CASES = {
    ("sjj", "攀枝花市西区审计局"): [
        (2024, "article_link", "pdf"),
        (2023, "article_link", "docx"),
        (2022, "downfile", "xlsx"),
        (2021, "html_doc", "html_doc"),
        (2020, "attach_endpoint", "pdf"),
    ],
    ("tjj", "攀枝花市西区统计局"): [
        (2024, "list_link", "pdf"),
        (2023, "list_link", "docx"),
        (2022, "image", "png"),
        (2021, "too_large", "big_pdf"),
        (2020, "downfile", "ofd"),
    ],
}
DECORATIVE_IMAGE = "/images/xq/banner_big.jpg"  # linked as 查看大图: not a report, never fetched
INTRO = "根据《中华人民共和国政府信息公开条例》要求，现将本单位{year}年度政府信息公开工作年度报告予以公布，详见附件。"


def add_pages(builder: PortalBuilder) -> None:
    """The attachment cases and their columns (before the generator writes list pages)."""
    normal_rng = builder.rng
    builder.rng = random.Random(f"attachments-{builder.rng.random()}")
    for (code, name), cases in CASES.items():
        column = ROOT + f"{code}/"
        builder.column(HOST, column, name)
        for year, style, kind in cases:
            add_case(builder, name, column, year, style, kind)
    builder.rng = normal_rng


def add_case(builder: PortalBuilder, agency_name: str, column: str, year: int, style: str, kind: str) -> None:
    from tests.replica.generator import Agency, Page, article_html, paragraphs

    rng = builder.rng
    agency = Agency(agency_name, agency_name, HOST, column, range(year, year + 1))
    published = date(year + 1, rng.randint(1, 3), rng.randint(1, 28))
    title = f"{agency_name}{year}年政府信息公开工作年度报告"
    file_id = builder.new_id(published)
    report = Page(
        url=file_url(column, style, kind, published, file_id, title),
        kind="attachment",
        title=title,
        agency=agency_name,
        year=year,
        published=published.isoformat(),
        format="2021",
        table_style="word",  # for html_doc: the tables as Word writes them
        content_type=CONTENT_TYPES[kind],
        header_charset=None,
        meta_charset=None,
        encoding="gbk" if kind == "html_doc" else "binary",
        file_kind=kind,
        true_type=TRUE_TYPES[kind],
        link_style=style,
    )
    report.values = tables.make_values(rng, "2021", busy=rng.choice([2, 5, 20]))
    html = builder.standard_body(report, agency, blank_zeros=False) if kind == "html_doc" else None
    report.body = attachment_bytes(kind, report, html)
    if style == "downfile":
        report.content_type = "application/octet-stream"
        report.disposition = f"attachment; filename*=UTF-8''{quote(title)}.{EXTENSIONS[kind]}"
    builder.pages[report.url] = report
    if style == "list_link":
        report.offered_by = f"http://{HOST}{column}index.shtml"
        builder.columns[(HOST, column)].articles.append(report)
        return
    article = Page(
        url=f"http://{HOST}{column}{builder.new_id(published)}.shtml",
        kind="attachment_article",
        title=title,
        agency=agency_name,
        year=year,
        published=published.isoformat(),
    )
    link = f'<a href="{report.url.split(HOST, 1)[1]}">{title}.{EXTENSIONS[kind]}</a>'
    if style == "image":
        link = (
            f'<a href="{report.url.split(HOST, 1)[1]}">{title}（图片版）</a> '
            f'<a href="{DECORATIVE_IMAGE}"><img src="{DECORATIVE_IMAGE}">查看大图</a>'
        )
    body = paragraphs([INTRO.format(year=year)]) + f'\n<p style="text-indent:2em">附件：{link}</p>'
    article.body = article_html(article, agency_name, body).encode("utf-8")
    report.offered_by = article.url
    builder.add_article(HOST, column, article)


def file_url(column: str, style: str, kind: str, published: date, file_id: int, title: str) -> str:
    stamp = f"{published:%Y%m%d}{file_id % 1_000_000:06d}"
    extension = EXTENSIONS[kind]
    if style == "downfile":  # as real portals write it: a 32-hex file name, the name shown escaped
        name = hashlib.md5(f"{file_id}".encode()).hexdigest()
        return (
            f"http://{HOST}/module/download/downfile.jsp?classid=0&filename={name}.{extension}"
            f"&showname={quote(title)}.{extension}"
        )
    if style == "attach_endpoint":
        return f"http://{HOST}/attach/0/{file_id:x}{published:%Y%m%d}"
    prefix = "W0" if style == "image" else "P0"  # TRS names pictures W0…, other files P0…
    return f"http://{HOST}{column}{prefix}{stamp}.{extension}"
