"""Plain text of an HTML page, for people and full-text search: one line per block, table
cells separated by tabs, scripts and styles dropped.

`parse_html` is the one HTML parse of processing: libxml2 with its huge_tree option, which
builds elements nested up to 2048 deep (without it, everything below depth 256 is silently
dropped). A page nested deeper still is read as text with its tags stripped, and the
`limit:` is recorded, so no text is lost silently. Text, table cells and metadata are all
read from that one tree (pipelines.process).

`markup_text`, `markup_pieces` and `with_text` split a page into its text and its markup so that de-garbling
sees only the text: a regex split, not a parse, since the text must stay as written
(entities unexpanded: a `&nbsp;` is not the noise a literal NBSP may be) for the
transforms to give what they gave over the whole page.
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
LINE_SPACES = re.compile(r"[ \t]+")
# A tag, except <meta>: its content (ArticleTitle, PubDate, ContentSource) is metadata and is
# de-garbled with the text. Captured, so that re.split keeps the tags at the odd places.
MARKUP = re.compile(r"(<(?!meta\b)[^<>]*>)", re.I)
# What stands for a tag in the text handed to de-garbling: the same neighbours (> before the
# text, < after it) as in the page, and never inside text, since MARKUP takes every "<>".
TAG_MARK = "<>"


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
    parser = etree.HTMLParser(huge_tree=True)  # lxml.html's without its Python class per element
    try:
        root = lxml.html.fromstring(XML_DECLARATION.sub("", html), parser=parser)
    except (etree.ParserError, ValueError):
        return None
    if any("Excessive depth" in error.message for error in parser.error_log):
        note(f"limit: elements nested deeper than MAX_NESTING ({MAX_NESTING}); the page read as text without its markup")
        return None
    return root


# An element's text and its descendants' (what lxml.html's HtmlElement.text_content is), for
# the plain elements of parse_html.
text_content = etree.XPath("string()", smart_strings=False)


def tags_stripped(html: str) -> str:
    """A page's text without an element tree: block tags become line breaks, others go."""
    return html_entities.unescape(TAG.sub("", BLOCK_TAG.sub("\n", html)))


def markup_text(html: str) -> str:
    """A page's text alone, each tag a TAG_MARK."""
    return MARKUP.sub(TAG_MARK, html)


def markup_pieces(html: str) -> list[str]:
    """A page split into its pieces: text at even places, tags at odd ones."""
    return MARKUP.split(html)


def with_text(pieces: list[str], text: str) -> str | None:
    """The page of `markup_pieces` with its text replaced by `text` (`markup_text`, changed
    in place); None if `text` no longer has one part per place."""
    parts = text.split(TAG_MARK)
    if len(parts) * 2 - 1 != len(pieces):
        return None
    pieces = list(pieces)
    pieces[0::2] = parts
    return "".join(pieces)


def without_scripts(root: etree._Element) -> etree._Element:
    """Drop script, style and noscript elements and comments from a tree, keeping their tails."""
    etree.strip_elements(root, etree.Comment, "script", "style", "noscript", with_tail=False)
    return root


def html_to_text(html: str) -> str:
    root = parse_html(html)
    if root is None:
        return normalise_lines(tags_stripped(html))
    return tree_text(without_scripts(root))


def tree_text(root: etree._Element) -> str:
    """The plain text of a tree: a line break after each block, a tab after each cell.

    The marks are put in the tails for libxml2 to gather the text, and taken out again: the
    cells are read from the same tree next."""
    marked = [(element, element.tail) for element in root.iter(*BLOCKS, *CELLS)]
    for element, tail in marked:
        element.tail = ("\n" if element.tag in BLOCKS else "\t") + (tail or "")
    text = text_content(root)
    for element, tail in marked:
        element.tail = tail
    return normalise_lines(text)


def normalise_lines(text: str) -> str:
    """One space for each run of spaces, lines trimmed, empty lines dropped; a line of nothing
    but (non-breaking) spaces holding a non-breaking one is kept as one: a flattened table
    prints an empty cell so, and values are read from it."""
    # each line's runs of spaces in one pass over the page: the line breaks of splitlines
    # (\r, \v, \f among them) are split on before, so only spaces and tabs are left in a line
    lines = LINE_SPACES.sub(" ", text).splitlines()
    trimmed = list(map(str.strip, lines))
    if NBSP in text:
        trimmed = [line or (NBSP if NBSP in raw else "") for line, raw in zip(trimmed, lines, strict=True)]
    return "\n".join(filter(None, trimmed))


NBSP = "\u00a0"
