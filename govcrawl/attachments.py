"""Attachments: which links point at a file (a report published as PDF, DOC, XLS, …), and
whether an answer is one.

A link is an attachment when its path ends with one of the profile's file extensions
(Scrapy's `url_has_any_extension`), or when it goes to one of the profile's download
endpoints (`/module/download/downfile.jsp?…`), which serve a file whatever their URL says. A
link to an image is one only where it is offered as the report itself (its text or title
says so: 图片版 reports); a logo or a photo is not. An answer is a file when its
`Content-Disposition` says `attachment` (parsed by the standard library's email parser, which
knows RFC 2231's `filename*=`); what the file is, is decided later from its bytes
(pipelines.filetype), never from the extension or the Content-Type: a ".doc" may be HTML.

The rules are a few lines over the profile's data: Scrapy's LinkExtractor would drop these
very extensions by default and gives no title attribute.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message

from scrapy.http import Response, TextResponse
from scrapy.utils.url import url_has_any_extension
from w3lib.url import safe_url_string

from govcrawl.profiles import IMAGE_EXTENSIONS, SiteProfile

# Meta key of an attachment request: "document", or "image" (an image offered as the report).
ATTACHMENT_META = "govcrawl_attachment"


@dataclass(frozen=True)
class AttachmentLink:
    url: str  # escaped as a browser does: the URL requested and stored
    text: str  # the link's title attribute, else its text (附件：XX年度报告.pdf)
    offered_as: str  # "document" or "image"


def link_text(anchor) -> str:
    """The link's title attribute, else its text, in one line."""
    return " ".join((anchor.attrib.get("title") or " ".join(anchor.css("::text").getall())).split())


def offered_as(url: str, text: str, profile: SiteProfile) -> str | None:
    """ "document" for a file link, "image" for an image offered as the report, else None."""
    if not profile.is_on_site(url):
        return None
    if profile.is_download_endpoint(url) or url_has_any_extension(url, profile.attachment_extensions):
        return "document"
    if url_has_any_extension(url, IMAGE_EXTENSIONS) and profile.title_may_be_report(text):
        return "image"
    return None


def attachment_links(response: Response, profile: SiteProfile) -> Iterator[AttachmentLink]:
    """The attachment links of a page, in page order, each URL once."""
    if not isinstance(response, TextResponse):
        return
    seen = set()
    for anchor in response.css("a[href]"):
        href = anchor.attrib["href"].strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = safe_url_string(response.urljoin(href), response.encoding)
        text = link_text(anchor)
        kind = offered_as(url, text, profile)
        if kind is not None and url not in seen:
            seen.add(url)
            yield AttachmentLink(url, text, kind)


def content_disposition(response: Response) -> tuple[str | None, str | None]:
    """(disposition, file name) of the response's Content-Disposition, lower-case disposition."""
    raw = response.headers.get("Content-Disposition")
    if not raw:
        return None, None
    message = Message()
    message["Content-Disposition"] = raw.decode("latin-1")
    filename = message.get_filename()
    if filename and not filename.isascii():  # a UTF-8 name sent raw, read as Latin-1 above
        try:
            filename = filename.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return message.get_content_disposition(), filename


def is_attachment_answer(response: Response) -> bool:
    """The server says this answer is a file to save (`Content-Disposition: attachment`)."""
    return content_disposition(response)[0] == "attachment"
