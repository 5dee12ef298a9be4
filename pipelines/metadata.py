"""Title, issuing agency, year covered, publish date and 来源 of a page, and its kind.

HTML pages are read from their metadata first (the portals' ArticleTitle / PubDate /
ContentSource meta tags, the article heading, <title>), plain text from its first lines.
The kind comes from the title, with the body as a tie-breaker: precision matters as much as
recall, so a notice that mentions 年度报告 is a notice, and a 范文 compilation is not a report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lxml import etree

from pipelines.degarble import published_date
from pipelines.text import text_content

DOC_KINDS = ("annual_report", "work_summary", "notice", "template_essay", "other")
TITLE_WORDS = re.compile(r"年度报告|年报|工作报告|工作总结|范文|通知|函|要点|报告")
YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
SOURCE = re.compile(r"来源\s*[:：]\s*([^\s|｜]{2,40})")
PERIOD = re.compile(r"统计期限自\s*((?:19|20)\d{2})\s*年")
# A site name after the title: from the first separator on (the title is cut there by hand,
# since a pattern running to the end from every separator backtracks quadratically).
SITE_SEPARATOR = re.compile(r"[_|｜—-]")
PUBDATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
ESSAY_LINE = re.compile(r"^篇[1-9一二三四五六七八九十][ \t]*$", re.M)
MAX_TITLE = 200  # characters of a title candidate looked at: a longer one is not a title

ESSAY = re.compile(r"范文|精选\d*篇|篇[1-9一二三四五六七八九十]\b")
NOTICE_END = re.compile(r"(?:通知|通报|函|意见|公告|批复|方案)$")
REPORT = re.compile(r"年度报告|年报|工作报告|年度工作报告")
DISCLOSURE = re.compile(r"信息公开|政务公开")
SUMMARY = re.compile(r"工作总结|工作情况总结")


@dataclass
class Metadata:
    title: str | None
    agency: str | None
    report_year: int | None
    published_date: str | None  # YYYY-MM-DD
    source: str | None


def read_metadata(tree: etree._Element | None, text: str) -> Metadata:
    """`tree` is the clean page's element tree (None for plain text), `text` its plain text."""
    meta = html_metadata(tree) if tree is not None else {}
    title = meta.get("title") or title_from_lines(text)
    published = meta.get("published") or published_date(text)
    source_match = SOURCE.search(text)
    source = meta.get("source") or (source_match.group(1) if source_match else None)
    return Metadata(
        title=title,
        agency=agency_of(title) or source,
        report_year=report_year(title, text, published),
        published_date=published.isoformat() if published else None,
        source=source,
    )


def html_metadata(root: etree._Element) -> dict:
    metas = {
        (m.get("name") or m.get("property") or "").lower(): (m.get("content") or "").strip()
        for m in root.iter("meta")
    }
    out: dict = {}
    headings = [
        " ".join(text_content(h)[:MAX_TITLE].split())
        for h in root.iter("h1", "h2", "h3")
        if TITLE_WORDS.search(text_content(h)[:MAX_TITLE])
    ]
    page_title = (root.findtext(".//title") or "")[:MAX_TITLE]
    candidates = [
        (metas.get("articletitle") or "")[:MAX_TITLE],
        (metas.get("og:title") or "")[:MAX_TITLE],
        *headings,
        without_site_name(page_title.strip()),
    ]
    out["title"] = next((c for c in candidates if c and TITLE_WORDS.search(c)), None) or next(
        (c for c in candidates if c), None
    )
    pub = PUBDATE.match(metas.get("pubdate", ""))
    if pub:
        try:
            out["published"] = date(*map(int, pub.groups()))
        except ValueError:
            pass
    if metas.get("contentsource"):
        out["source"] = metas["contentsource"]
    return out


def without_site_name(title: str) -> str:
    """'某区2019年报告_某区人民政府' -> '某区2019年报告'."""
    separator = SITE_SEPARATOR.search(title)
    return title[: separator.start()].rstrip() if separator else title


def title_from_lines(text: str) -> str | None:
    lines = [line.strip(" |\t") for line in text.splitlines()[:60]]
    lines = [line for line in lines if line]
    titled = [line for line in lines if len(line) <= 80 and YEAR.search(line) and TITLE_WORDS.search(line)]
    return titled[0] if titled else (lines[0][:80] if lines else None)


def agency_of(title: str | None) -> str | None:
    """The issuer as printed before the year: 攀枝花市东区2019年… -> 攀枝花市东区."""
    if not title:
        return None
    match = YEAR.search(title)
    if not match:
        return None
    agency = title[: match.start()].rstrip()
    while agency.endswith("关于"):  # by hand: a pattern anchored at the end backtracks on long runs
        agency = agency[:-2].rstrip()
    return agency or None


def report_year(title: str | None, text: str, published: date | None) -> int | None:
    """The year the report covers (its title's year), not the year it was published."""
    match = YEAR.search(title or "") or PERIOD.search(text)
    if match:
        return int(match.group(1))
    return published.year - 1 if published else None


def classify(title: str | None, text: str, value_count: int) -> str:
    """One of DOC_KINDS."""
    title = title or ""
    if ESSAY.search(title) or len(ESSAY_LINE.findall(text)) >= 2:
        return "template_essay"
    if NOTICE_END.search(title):
        return "notice" if REPORT.search(title) else "other"
    dated = YEAR.search(title) is not None  # a column or list page is titled 年报 without a year
    if dated and REPORT.search(title) and DISCLOSURE.search(title):
        return "annual_report"
    if dated and SUMMARY.search(title) and DISCLOSURE.search(title):
        return "work_summary"
    if value_count >= 20:  # the standard tables under a title that does not say so
        return "annual_report"
    return "other"
