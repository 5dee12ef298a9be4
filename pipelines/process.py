"""Raw bytes of one page -> decoded, de-garbled document and its clean text.

The entry point shared by the crawl's item pipelines, `govcrawl parse` and re-processing of
stored bodies, so the same bytes always give the same result.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.degarble import Degarbled, degarble
from pipelines.encoding import Decoded, decode_page
from pipelines.parse import ParsedDocument, parse_document
from pipelines.text import html_to_text, looks_like_html, strip_scripts

PROCESSOR_VERSION = "2"  # bump when processing gives something else for the same bytes


@dataclass
class CleanDocument:
    degarbled: Degarbled  # .text: the clean document (HTML without scripts, or plain text)
    is_html: bool
    text: str  # clean plain text


@dataclass
class ProcessedPage:
    decoded: Decoded
    clean: CleanDocument
    parsed: ParsedDocument

    @property
    def text(self) -> str:
        return self.clean.text

    def as_json(self) -> dict:
        return {
            **self.parsed.as_json(),
            "encoding": self.decoded.evidence(),
            "transforms": self.clean.degarbled.transforms,
            "text": self.clean.text,
        }


def clean_document(decoded_text: str) -> CleanDocument:
    """De-garble a decoded page (HTML or plain text) and take its plain text."""
    is_html = looks_like_html(decoded_text)
    document = strip_scripts(decoded_text) if is_html else decoded_text
    degarbled = degarble(document)
    return CleanDocument(degarbled, is_html, html_to_text(degarbled.text) if is_html else degarbled.text)


def process_page(body: bytes, content_type: str | None = None) -> ProcessedPage:
    decoded = decode_page(body, content_type)
    clean = clean_document(decoded.text)
    return ProcessedPage(decoded, clean, parse_clean(clean))


def parse_clean(clean: CleanDocument) -> ParsedDocument:
    return parse_document(clean.degarbled.text, clean.is_html, clean.text)
