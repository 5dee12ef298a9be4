"""Title, issuing agency, year covered, publish date and 来源 of a page, and its kind.

One module per question: pipelines.titles (title lines, chrome, breadcrumbs), pipelines.agency,
pipelines.years, pipelines.dates, pipelines.kinds (the kind). HTML pages are read from their
metadata first (the portals' ArticleTitle / PubDate / ContentSource meta tags, the headings,
<title>), then from their printed lines; the page's URL is evidence too (a report column's path,
a year in a slug, a content farm's host).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lxml import etree

from pipelines.agency import agency_in_heading, agency_in_opening, agency_in_table, agency_of
from pipelines.dates import published_date
from pipelines.kinds import DOC_KINDS, classify
from pipelines.titles import page_title
from pipelines.years import report_year

__all__ = ["DOC_KINDS", "Metadata", "classify", "read_metadata"]

# …up to a space or a bar, or to a date label run into it (来源：平潭县人民政府时间：2022-02-08)
SOURCE = re.compile(r"来源\s*[:：]\s*([^\s|｜]{2,40}?)(?=(?:发布|發布)?(?:时间|時間|日期)[:：]|[\s|｜]|$)")
PUBDATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


@dataclass
class Metadata:
    title: str | None
    agency: str | None
    report_year: int | None
    published_date: str | None  # YYYY-MM-DD
    source: str | None


def read_metadata(tree: etree._Element | None, text: str, url: str | None = None) -> Metadata:
    """`tree` is the clean page's element tree (None for plain text), `text` its plain text,
    `url` where it was fetched (None when unknown)."""
    metas = meta_tags(tree) if tree is not None else {}
    title = page_title(tree, text)
    published = meta_date(metas) or published_date(text)
    source_match = SOURCE.search(text)
    source = metas.get("contentsource") or (source_match.group(1) if source_match else None)
    return Metadata(
        title=title,
        agency=agency_of(title) or agency_in_table(text) or agency_in_heading(text) or agency_in_opening(text),
        report_year=report_year(title, text, url),
        published_date=published.isoformat() if published else None,
        source=source,
    )


def meta_tags(root: etree._Element) -> dict[str, str]:
    return {
        (m.get("name") or m.get("property") or "").lower(): (m.get("content") or "").strip()
        for m in root.iter("meta")
    }


def meta_date(metas: dict[str, str]) -> date | None:
    match = PUBDATE.match(metas.get("pubdate", ""))
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None
