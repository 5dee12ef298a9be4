"""Plain text of an HTML page, for people and full-text search: one line per block, table
cells separated by tabs, scripts and styles dropped."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

BLOCKS = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "title", "section", "article", "header", "footer", "dd", "dt", "blockquote", "pre",
}  # fmt: skip
CELLS = {"td", "th"}
HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype|html|head|body|meta|div|p|table)\b", re.I | re.S)
SCRIPTS = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
SPACES = re.compile(r"[ \t\r\f\v]+")


def looks_like_html(document: str) -> bool:
    return bool(HTML_START.match(document[:2000]))


def strip_scripts(html: str) -> str:
    """Remove <script>, <style>, <noscript> and comments: never report text, often large."""
    return SCRIPTS.sub("", html)


def html_to_text(html: str) -> str:
    try:
        root = lxml.html.fromstring(XML_DECLARATION.sub("", html))
    except (etree.ParserError, ValueError):
        return normalise_lines(html)
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
