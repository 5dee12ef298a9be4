"""Is a 200 answer really the page asked for? Empty, binary and error-looking answers are suspect.

A CMS glitch can answer 200 with nothing, an image, or its "page not found" template (a soft
404). Such an answer must not become the stored document: it would count as settled and the
real report would never be fetched. `suspect_reason` names what is wrong, for the fetch row's
`suspect 200: …` error, or returns None for a plausible page.

An attachment (a file a page offers: govcrawl.attachments) is asked for as a file: there, bytes
of a known document type (PDF, an OLE2 or ZIP container, OFD, …) are the answer, not a
suspect one; an image is one only where it was offered as the report (图片版). Bytes of no
known type are suspect either way.

Whether a body is text at all is pipelines.filetype's answer (the same one `govcrawl parse`
gives). The error-page test reads only the title and the first headings of a short page, with
bounded, non-backtracking patterns.
"""

from __future__ import annotations

import codecs
import re

from pipelines.encoding import decode_page
from pipelines.filetype import binary_kind
from pipelines.text import strip_scripts

# An error page is short: a real report (tables, paragraphs) runs to thousands of characters.
ERROR_PAGE_MAX_TEXT = 1500
# Phrases a portal's error template puts in its title or heading.
ERROR_PHRASES = re.compile(
    r"页面不存在|页面未找到|找不到|未找到|不存在|出错了|错误页|访问出错|无法访问|已被删除|已删除|"
    r"(?<!\d)40[034](?!\d)|(?<!\d)50[023](?!\d)|not found|forbidden|internal server error|service unavailable",
    re.I,
)
TITLE_OR_HEADING = re.compile(rb"<(title|h[1-3])\b[^>]{0,500}>([^<]{0,900})", re.I)
TAGS = re.compile(r"<[^>]{0,2000}>")
HEAD_BYTES = 60_000  # where a template puts its title and first headings
# Named by pipelines.filetype but no document: unknown bytes, a compressed stream, pictures.
IMAGE_KINDS = frozenset({"PNG", "JPEG", "GIF", "TIFF", "BMP", "WEBP"})
NOT_DOCUMENTS = frozenset({"binary", "GZIP"}) | IMAGE_KINDS


def error_phrase(body: bytes, content_type: str | None = None) -> str | None:
    """The error phrase found in the title or a heading of a short page (a soft 404), or None.

    Headings are found in the bytes and only they are decoded: decoding the whole page (with
    charset detection when it declares nothing) is left for the rare page whose heading
    names an error, to confirm that it is short."""
    if len(body) > 64 * ERROR_PAGE_MAX_TEXT:  # far too long for an error template
        return None
    head = body[:HEAD_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # markup not in ASCII bytes
        head = decode_page(head, content_type).text.encode("utf-8")
    headings = [heading for _, heading in TITLE_OR_HEADING.findall(head)]
    if not headings:
        return None
    joined = b"\n".join(headings)
    try:
        text = joined.decode("utf-8")
    except UnicodeDecodeError:  # the crawl's own decoder: GBK pages often declare nothing
        text = decode_page(joined, content_type).text
    match = ERROR_PHRASES.search(text)
    if not match:
        return None
    visible = TAGS.sub("", strip_scripts(decode_page(body, content_type).text))
    if len("".join(visible.split())) > ERROR_PAGE_MAX_TEXT:
        return None
    return match.group(0)


def expected_file(kind: str, offered_as: str | None) -> bool:
    """Bytes of this type answer a link offered as a file: "document" or "image" (the report
    as a picture); None for a page."""
    if offered_as is None:
        return False
    return kind not in NOT_DOCUMENTS or (offered_as == "image" and kind in IMAGE_KINDS)


def suspect_reason(body: bytes, content_type: str | None = None, offered_as: str | None = None) -> str | None:
    """Why a 200 answer is not believable as the page (or, with `offered_as`, the file) asked
    for, or None.

    'empty body', 'binary body (PNG)', 'error page (页面不存在)'.
    """
    return suspect_reason_of_kind(body, binary_kind(body), content_type, offered_as)


def suspect_reason_of_kind(
    body: bytes, kind: str | None, content_type: str | None = None, offered_as: str | None = None
) -> str | None:
    """suspect_reason for a body whose pipelines.filetype kind the caller has already."""
    if not body.strip():
        return "empty body"
    if kind:
        return None if expected_file(kind, offered_as) else f"binary body ({kind})"
    phrase = error_phrase(body, content_type)
    if phrase:
        return f"error page ({phrase})"
    return None
