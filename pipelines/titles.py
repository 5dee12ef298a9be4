"""A page's title: from its metadata and headings, else from its first lines.

Real pages print their title on one line or wrapped over two or three, among header fields,
breadcrumbs and column names (pipelines/chrome.py), and page starts without a title line begin
with a sentence: breadcrumbs, chrome, column names and sentences are never the title, and a
page whose title is not printed has none (None) rather than its first sentence.
"""

from __future__ import annotations

import re

from lxml import etree

from pipelines.chrome import CJK, is_breadcrumb, is_chrome, is_column_name
from pipelines.text import text_content

MAX_TITLE = 200  # characters of a title candidate looked at: a longer one is not a title
MAX_LINE = 100  # a longer line is a paragraph
MAX_LINES = 150  # lines looked at before the body
TITLE_WORDS = re.compile(r"年度报告|年报|工作报告|工作总结|范文|通知|通报|函|要点|报告|汇编|\d篇")
# How a document's title ends: its kind of document.
TITLE_END = re.compile(
    r"(?:报告|年报|通知|通报|函|总结|小结|要点|方案|规则|办法|意见|决定|公告|通告|批复|计划|细则|制度|汇编|范文|范本|"
    r"\d篇|篇[)）])$"
)
YEAR = re.compile(r"(?:19|20)\d{2}\s*年")
# A qualifier after the kind of document: …工作规则（试行）, …年度报告（摘要）.
QUALIFIER = re.compile(r"[（(](?:试行|暂行|草案|征求意见稿|修订|修订稿|摘要|全文|第[一二三四五六七八九十\d]{1,2}号)[）)]$")
HEADING = re.compile(r"^(?:[一二三四五六七八九十]{1,3}\s*[、.．\s]|[（(][一二三四五六七八九十\d]{1,3}[）)]|第[一二三四五六七八九十\d]{1,3}[章条节部]|\d{1,2}\s*[、.．])")
# A title line that cannot end there: 贺州市人民政府办公室关于公布 / …年度报告的通知.
OPEN_ENDED = ("关于", "关于公布", "关于印发", "关于转发", "关于做好", "印发", "转发", "公布")
SENTENCE_MARKS = re.compile(r"[。；！？]|[：:，,]$")
SENTENCE_OPENINGS = ("根据", "按照", "依据", "依照", "为", "现将", "现就", "本报告", "本年度", "本年报", "今年", "全年")
# A site name after the title: from the first separator on (the title is cut there by hand,
# since a pattern running to the end from every separator backtracks quadratically).
SITE_SEPARATOR = re.compile(r"[_|｜—-]")
TRIM = " |\t\u3000"


def page_title(root: etree._Element | None, text: str) -> str | None:
    markup = markup_candidates(root) if root is not None else []
    for title in markup:
        if TITLE_WORDS.search(title) and not is_column_name(title):
            return title
    lines = head_lines(text)
    printed = line_candidates(lines)
    dated = [title for title in printed if YEAR.search(title) and not is_column_name(title)]
    a_list = len(set(dated)) >= 3  # a column page listing reports: its own name is its title
    if not a_list:
        undated = [title for title in printed if not is_column_name(title)]
        if dated or undated:
            return (dated or undated)[0]
    columns = [title for title in [*markup, *printed] if is_column_name(title)]
    if columns:
        return columns[0]
    return next(iter(markup), None) or plain_title(lines)


def markup_candidates(root: etree._Element) -> list[str]:
    metas = {
        (m.get("name") or m.get("property") or "").lower(): (m.get("content") or "").strip()
        for m in root.iter("meta")
    }
    headings = [" ".join(text_content(h)[:MAX_TITLE].split()) for h in root.iter("h1", "h2", "h3")]
    page_title = without_site_name((root.findtext(".//title") or "")[:MAX_TITLE].strip())
    found = [
        (metas.get("articletitle") or "")[:MAX_TITLE],
        (metas.get("og:title") or "")[:MAX_TITLE],
        *[heading for heading in headings if TITLE_WORDS.search(heading)],
        page_title,
    ]
    return [title.strip(TRIM) for title in found if title and not is_breadcrumb(title) and not sentence(title)]


def without_site_name(title: str) -> str:
    """'某区2019年报告_某区人民政府' -> '某区2019年报告'."""
    separator = SITE_SEPARATOR.search(title)
    return title[: separator.start()].rstrip() if separator else title


def head_lines(text: str) -> list[str]:
    """The lines above the body: up to the first section heading or paragraph."""
    out = []
    for line in text.splitlines()[:MAX_LINES]:
        line = line.strip(TRIM)
        if not line:
            continue
        if HEADING.match(line) or (len(line) >= 40 and sentence(line) and not is_chrome(line)):
            break
        out.append(line)
    return out


def sentence(line: str) -> bool:
    return len(line) > MAX_LINE or bool(SENTENCE_MARKS.search(line)) or line.startswith(SENTENCE_OPENINGS)


def title_like(line: str) -> bool:
    return bool(CJK.search(line)) and not (is_chrome(line) or is_breadcrumb(line) or sentence(line))


def line_candidates(lines: list[str]) -> list[str]:
    """Lines, and runs of two or three lines, that end as a document's title does."""
    found = []
    like = [title_like(line) for line in lines]
    for i, line in enumerate(lines):
        if not like[i]:
            continue
        if ends_as_title(line):
            found.append(line)
            continue
        if is_column_name(line):
            continue
        joined, about = line, line.endswith(OPEN_ENDED)
        for j, following in enumerate(lines[i + 1 : i + 3], i + 1):
            complete = YEAR.search(following) and TITLE_END.search(following)
            if not like[j] or (complete and not about):
                break
            joined += following
            if ends_as_title(joined):
                if YEAR.search(joined):
                    found.append(joined)
                break
    return found


def ends_as_title(line: str) -> bool:
    """The line ends with a kind of document, perhaps qualified: …制度（试行）."""
    return bool(TITLE_END.search(QUALIFIER.sub("", line)))


def plain_title(lines: list[str]) -> str | None:
    """A page whose title says no kind of document (a news item): its first printed line."""
    return next((line for line in lines if title_like(line) and len(line) <= 80 and len(line) >= 4), None)
