"""Page chrome, breadcrumbs, column names and content-farm hosts, as harvested from real pages
(pipelines/data/page_chrome.yaml): what is printed around an article and is never its title.

Hand-written: no library knows these portals' header lines (readability-style extractors
find the article block, which our page starts do not mark up).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

DATA = Path(__file__).parent / "data" / "page_chrome.yaml"
LEADING_MARKS = re.compile(r"^[\s•·●■◆▪|【\[-]+")  # - : a list of header fields (huli.gov.cn)
CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def chrome_data() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


@cache
def chrome_lines() -> frozenset[str]:
    return frozenset(chrome_data()["chrome_lines"])


@cache
def chrome_labels() -> tuple[str, ...]:
    """Without their spaces: portals print 索 引 号, 标 题, 有 效 性."""
    return tuple(sorted({label.replace(" ", "") for label in chrome_data()["chrome_labels"]}, key=len, reverse=True))


def is_chrome(line: str) -> bool:
    """A header field (发布时间:…, 索引号 …), a hit counter, a tool link, or a line without a
    Chinese character (a code, a date, a separator)."""
    if line in chrome_lines() or not CJK.search(line):
        return True
    bare = LEADING_MARKS.sub("", line)
    return bare in chrome_lines() or bare.replace(" ", "").startswith(chrome_labels())


@cache
def breadcrumb_markers() -> re.Pattern:
    return re.compile("|".join(re.escape(marker) for marker in chrome_data()["breadcrumb_markers"]))


@cache
def breadcrumb_separators() -> re.Pattern:
    return re.compile("|".join(re.escape(separator) for separator in chrome_data()["breadcrumb_separators"]))


def is_breadcrumb(line: str) -> bool:
    data = chrome_data()
    if breadcrumb_markers().search(line) or len(breadcrumb_separators().findall(line)) >= 2:
        return True
    # separated by spaces: 梅州市人民政府门户网站 梅州市人社局 政府信息公开年报 <title>
    words = line.split()
    return len(words) >= 3 and any(word in data["column_names"] for word in words)


def is_column_name(line: str) -> bool:
    return line in chrome_data()["column_names"]


def host_of(url: str | None) -> str:
    try:
        return (urlsplit(url).hostname or "") if url else ""
    except ValueError:
        return ""


def on_content_farm(url: str | None) -> bool:
    host = host_of(url)
    return any(host == farm or host.endswith("." + farm) for farm in chrome_data()["content_farm_hosts"])


HEAD_CHARS = 1500  # where a document-sharing site prints its boilerplate


def essay_page(text: str) -> bool:
    """The page prints a document-sharing site's boilerplate (由会员分享, 加入Vip免费下载…)."""
    head = text[:HEAD_CHARS]
    return any(marker in head for marker in chrome_data()["essay_markers"])


def report_url(url: str | None) -> bool:
    """The URL is in a report column (…/zfxxgknb/…, xxgkAnnualReport.jsp, …/2020ndgb/…)."""
    if not url:
        return False
    lowered = url.lower()
    return any(segment.lower() in lowered for segment in chrome_data()["report_url_segments"])
