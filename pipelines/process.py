"""Raw bytes of one page -> decoded, de-garbled document and its clean text.

The entry point shared by the crawl's item pipelines, `govcrawl parse` and re-processing of
stored bodies, so the same bytes always give the same result.

No input makes it raise: a limit hit (pipelines.limits) and any error are lines of the
parsed document's `problems` (`limit: …`, `processing failed: …`), and the page is kept with
what was safely read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from pipelines.degarble import Degarbled, degarble
from pipelines.encoding import Decoded, decode_page
from pipelines.limits import MAX_PROBLEMS, MAX_TEXT_CHARS, collecting, note
from pipelines.parse import ParsedDocument, parse_document
from pipelines.store import ProcessedRows
from pipelines.text import html_to_text, looks_like_html, normalise_lines, strip_scripts, tags_stripped

PROCESSOR_VERSION = "3"  # bump when processing gives something else for the same bytes


@dataclass
class CleanDocument:
    degarbled: Degarbled  # .text: the clean document (HTML without scripts, or plain text)
    is_html: bool
    text: str  # clean plain text
    problems: list[str] = field(default_factory=list)  # limits hit and errors while cleaning


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


def stored_rows(decoded: Decoded, clean: CleanDocument, parsed: ParsedDocument) -> ProcessedRows:
    """The rows one processed version adds: `document_texts`, `report_values`, `validations`."""
    result = ProcessedPage(decoded, clean, parsed).as_json()
    text_row = {
        "processor_version": PROCESSOR_VERSION,
        "encoding": decoded.encoding,
        "declared_header": decoded.declared_header,
        "declared_meta": decoded.declared_meta,
        "detected": decoded.detected,
        "confidence": decoded.confidence,
        "encoding_method": decoded.method,
        "undecodable": decoded.undecodable,
        "transforms": json.dumps(clean.degarbled.transforms),
        "doc_kind": parsed.doc_kind,
        **asdict(parsed.metadata),  # title, agency, report_year, published_date, source
        "format": parsed.format,
        "validation_status": parsed.validation_status,
        "sections": json.dumps(parsed.sections, ensure_ascii=False),
        "problems": json.dumps(parsed.problems, ensure_ascii=False),
        "result_sha256": result_hash(result),
        "text": clean.text,
    }
    values = [
        {
            "key": v.key,
            "value": float(v.value),
            "unit": v.unit,
            "source": v.source,
            "table_index": v.where.get("table"),
            "row_index": v.where.get("row"),
            "col_index": v.where.get("col"),
            "line": v.where.get("line"),
            "text_offset": v.where.get("offset"),
            "row_label": v.row_label,
            "col_label": v.col_label,
            "raw": v.raw,
        }
        for v in parsed.values.values()
    ]
    checks = [{**c.as_json(), "ok": int(c.ok), "strict": int(c.strict)} for c in parsed.validation]
    return ProcessedRows(text_row, values, checks)


def result_hash(result: dict) -> str:
    """Digest of everything processing produced: reparse makes a new version only when it moves."""
    return hashlib.sha256(json.dumps(result, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def clean_document(decoded_text: str) -> CleanDocument:
    """De-garble a decoded page (HTML or plain text) and take its plain text."""
    with collecting() as problems:
        if len(decoded_text) > MAX_TEXT_CHARS:
            note(f"limit: text of {len(decoded_text)} characters cut to MAX_TEXT_CHARS ({MAX_TEXT_CHARS})")
            decoded_text = decoded_text[:MAX_TEXT_CHARS]
        is_html = looks_like_html(decoded_text)
        try:
            document = strip_scripts(decoded_text) if is_html else decoded_text
            degarbled = degarble(document)
            text = html_to_text(degarbled.text) if is_html else degarbled.text
        except Exception as error:  # a bug on one page must not cost it: keep the decoded text
            note(failure(error))
            degarbled = Degarbled(decoded_text, [])
            text = normalise_lines(tags_stripped(decoded_text)) if is_html else decoded_text
    return CleanDocument(degarbled, is_html, text, problems)


def process_page(body: bytes, content_type: str | None = None) -> ProcessedPage:
    try:
        decoded = decode_page(body, content_type)
    except Exception as error:  # never seen; the page is kept as lossy UTF-8 with the error
        text = body.decode("utf-8", "replace")
        decoded = Decoded(text, "utf-8", None, None, None, None, 0.0, "lossy", text.count("\ufffd"))
        clean = clean_document(text)
        clean.problems.insert(0, failure(error))
        return ProcessedPage(decoded, clean, parse_clean(clean))
    clean = clean_document(decoded.text)
    return ProcessedPage(decoded, clean, parse_clean(clean))


def parse_clean(clean: CleanDocument) -> ParsedDocument:
    """Parse a clean document; a page the parser cannot handle is kept, with the error recorded,
    and every problem of cleaning and parsing is in the result's `problems`."""
    with collecting() as problems:
        try:
            parsed = parse_document(clean.degarbled.text, clean.is_html, clean.text)
        except Exception as error:  # any parser bug must not cost the page
            parsed = ParsedDocument.unparsed(failure(error))
    every = list(dict.fromkeys([*clean.problems, *problems, *parsed.problems]))
    if len(every) > MAX_PROBLEMS:
        more = f"limit: {len(every) - MAX_PROBLEMS} more problems not listed (MAX_PROBLEMS {MAX_PROBLEMS})"
        every = [*every[:MAX_PROBLEMS], more]
    parsed.problems = every
    return parsed


def failure(error: Exception) -> str:
    return f"processing failed: {type(error).__name__}: {str(error)[:300]}"


def process_body(body: bytes, content_type: str | None = None) -> ProcessedRows:
    """The one composition the process stage stores: a version's raw bytes -> its rows.

    Never raises: whatever goes wrong is in the rows' problems, or the version is stored
    unparsed with the reason."""
    try:
        page = process_page(body, content_type)
        return stored_rows(page.decoded, page.clean, page.parsed)
    except Exception as error:  # e.g. a value SQLite or JSON cannot hold
        return ProcessedRows.failed(failure(error), PROCESSOR_VERSION)
