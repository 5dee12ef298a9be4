"""Is a 200 answer really the page asked for? Empty, binary and error-looking answers are suspect.

A CMS glitch can answer 200 with nothing, an image, or its "page not found" template (a soft
404). Such an answer must not become the stored document: it would count as settled and the
real report would never be fetched. `suspect_reason` names what is wrong, for the fetch row's
`suspect 200: …` error, or returns None for a plausible page.

The file signatures are a short hand-written table: only the formats a portal plausibly
serves by mistake matter here, and a NUL byte in the first kilobyte catches the rest
(text pages in the encodings Chinese portals use never contain one), so a file-type library
would add a dependency for no gain. The error-page test reads only the title and the first
headings of a short page, with bounded, non-backtracking patterns.
"""

from __future__ import annotations

import re

from pipelines.encoding import decode_page
from pipelines.text import strip_scripts

# Leading bytes of non-text formats (longest first where they share a prefix).
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP"),  # also docx, xlsx, ofd
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2"),  # doc, xls, wps
    (b"\x1f\x8b", "gzip"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"BM", "BMP"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x7fELF", "ELF"),
    (b"MZ", "EXE"),
    (b"{\\rtf", "RTF"),
    (b"\x00asm", "WebAssembly"),
)
TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")  # UTF-16 text has NULs: its BOM says so

# An error page is short: a real report (tables, paragraphs) runs to thousands of characters.
ERROR_PAGE_MAX_TEXT = 1500
# Phrases a portal's error template puts in its title or heading.
ERROR_PHRASES = re.compile(
    r"页面不存在|页面未找到|找不到|未找到|不存在|出错了|错误页|访问出错|无法访问|已被删除|已删除|"
    r"(?<!\d)40[034](?!\d)|(?<!\d)50[023](?!\d)|not found|forbidden|internal server error|service unavailable",
    re.I,
)
TITLE_OR_HEADING = re.compile(r"<(title|h[1-3])\b[^>]{0,500}>([^<]{0,300})", re.I)
TAGS = re.compile(r"<[^>]{0,2000}>")


def binary_kind(body: bytes) -> str | None:
    """The non-text format of a body ('PNG', 'PDF', …, or 'binary' for NUL bytes), or None."""
    for signature, name in SIGNATURES:
        if body.startswith(signature):
            return name
    if not body.startswith(TEXT_BOMS) and b"\x00" in body[:1024]:
        return "binary"
    return None


def error_phrase(body: bytes, content_type: str | None = None) -> str | None:
    """The error phrase found in the title or a heading of a short page (a soft 404), or None."""
    if len(body) > 64 * ERROR_PAGE_MAX_TEXT:  # far too long for an error template
        return None
    text = decode_page(body, content_type).text  # the crawl's own decoder: GBK pages often declare nothing
    visible = TAGS.sub("", strip_scripts(text))
    if len("".join(visible.split())) > ERROR_PAGE_MAX_TEXT:
        return None
    for _, heading in TITLE_OR_HEADING.findall(text[:20000]):
        match = ERROR_PHRASES.search(heading)
        if match:
            return match.group(0)
    return None


def suspect_reason(body: bytes, content_type: str | None = None) -> str | None:
    """Why a 200 answer is not believable as the page asked for, or None.

    'empty body', 'binary body (PNG)', 'error page (页面不存在)'.
    """
    if not body.strip():
        return "empty body"
    kind = binary_kind(body)
    if kind:
        return f"binary body ({kind})"
    phrase = error_phrase(body, content_type)
    if phrase:
        return f"error page ({phrase})"
    return None
