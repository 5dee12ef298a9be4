"""Plain text of an HTML page, for people and full-text search: one line per block, table
cells separated by tabs, scripts and styles dropped.

`parse_html` is the one HTML parse of processing: libxml2 with its huge_tree option, which
builds elements nested up to 2048 deep (without it, everything below depth 256 is silently
dropped). A page nested deeper still is read as text with its tags stripped, and the
`limit:` is recorded, so no text is lost silently.
"""

from __future__ import annotations

import html as html_entities
import re

import lxml.html
from lxml import etree

from pipelines.limits import MAX_NESTING, note

BLOCKS = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "title", "section", "article", "header", "footer", "dd", "dt", "blockquote", "pre",
}  # fmt: skip
CELLS = {"td", "th"}
# Possessive and atomic: a comment ends at its first -->, never re-split when the tag fails.
HTML_START = re.compile(r"^\s*+(?:<!--(?>.*?-->)\s*+)*+<(?:!doctype|html|head|body|meta|div|p|table)\b", re.I | re.S)
# Script, style and noscript elements and comments, found by their start and then the nearest
# end (see strip_scripts): one lazy pattern scans to the end of the page from every unclosed start.
SCRIPT_START = re.compile(r"<(?:(script|style|noscript)\b|!--)", re.I)
SCRIPT_END = {name: re.compile(rf"</{name}\s*>", re.I) for name in ("script", "style", "noscript")}
COMMENT_END = re.compile(r"-->")
TAG = re.compile(r"<[^<>]*>")
BLOCK_TAG = re.compile(r"<(?:/?(?:p|div|br|tr|li|table|h[1-6]|title|section|dd|dt|pre)\b)[^<>]*>", re.I)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
SPACES = re.compile(r"[ \t\r\f\v]+")


def looks_like_html(document: str) -> bool:
    return bool(HTML_START.match(document[:2000]))


def strip_scripts(html: str) -> str:
    """Remove <script>, <style>, <noscript> and comments: never report text, often large.

    Linear where one lazy pattern is not: each start is paired with the first end after it,
    and once a kind has no end left, its later starts are kept as they are without a search
    (a start never closed stays in the page, as it always did)."""
    kept, pos, unclosed = [], 0, set()
    for start in SCRIPT_START.finditer(html):
        if start.start() < pos:
            continue
        kind = (start.group(1) or "!--").lower()
        end = None if kind in unclosed else (SCRIPT_END.get(kind) or COMMENT_END).search(html, start.end())
        if end is None:
            unclosed.add(kind)
            continue
        kept.append(html[pos : start.start()])
        pos = end.end()
    kept.append(html[pos:])
    return "".join(kept)


def parse_html(html: str) -> etree._Element | None:
    """The element tree of a page; None when libxml2 cannot build it whole (nested deeper than
    it allows: a `limit:` is recorded) or at all: the caller then reads `tags_stripped`."""
    parser = lxml.html.HTMLParser(huge_tree=True)
    try:
        root = lxml.html.fromstring(XML_DECLARATION.sub("", html), parser=parser)
    except (etree.ParserError, ValueError):
        return None
    if any("Excessive depth" in error.message for error in parser.error_log):
        note(f"limit: elements nested deeper than MAX_NESTING ({MAX_NESTING}); the page read as text without its markup")
        return None
    return root


def tags_stripped(html: str) -> str:
    """A page's text without an element tree: block tags become line breaks, others go."""
    return html_entities.unescape(TAG.sub("", BLOCK_TAG.sub("\n", html)))


def html_to_text(html: str) -> str:
    root = parse_html(html)
    if root is None:
        return normalise_lines(tags_stripped(html))
    etree.strip_elements(root, etree.Comment, "script", "style", "noscript", with_tail=False)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in BLOCKS:
            element.tail = "\n" + (element.tail or "")
        elif element.tag in CELLS:
            element.tail = "\t" + (element.tail or "")
    return normalise_lines(root.text_content())


def normalise_lines(text: str) -> str:
    lines = (SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
