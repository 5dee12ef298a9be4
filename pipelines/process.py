"""Raw bytes of one page -> decoded, de-garbled document and its clean text.

One composition, shared by the process stage (`process_body`, govcrawl/stage.py) and
`govcrawl parse` (`process_page`), so the same bytes always give the same result.

No input makes it raise: a limit hit (pipelines.limits) and any error are lines of the
parsed document's `problems` (`limit: …`, `processing failed: …`), and the page is kept with
what was safely read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from lxml import etree

from pipelines.collector import collect_less
from pipelines.degarble import Degarbled, degarble, untouched
from pipelines.encoding import Decoded, decode_page
from pipelines.file_dispatch import read_and_parse
from pipelines.filetype import signed_kind
from pipelines.fingerprint import report_fingerprint_rows
from pipelines.limits import MAX_PROBLEMS, MAX_TEXT_CHARS, collecting, note
from pipelines.parse import ParsedDocument, parse_document
from pipelines.store import ProcessedRows
from pipelines.text import (
    looks_like_html,
    markup_pieces,
    markup_text,
    normalise_lines,
    parse_html,
    strip_scripts,
    tags_stripped,
    tree_text,
    with_text,
    without_scripts,
)

PROCESSOR_VERSION = "10"  # bump when processing gives something else for the same bytes


@dataclass
class CleanDocument:
    degarbled: Degarbled  # .text: the clean document (HTML without scripts, or plain text)
    is_html: bool
    text: str  # clean plain text
    problems: list[str] = field(default_factory=list)  # limits hit and errors while cleaning
    # the clean HTML's one element tree, read by parsing and released by it; None for plain
    # text and for HTML libxml2 could not build
    tree: etree._Element | None = None


@dataclass
class ProcessedPage:
    decoded: Decoded
    clean: CleanDocument
    parsed: ParsedDocument

    @property
    def text(self) -> str:
        return self.clean.text

    def as_json(self) -> dict:
        """What `govcrawl parse` prints: the stored result, values with their provenance."""
        return {
            **self.parsed.as_json(),
            "encoding": self.decoded.evidence(),
            "transforms": self.clean.degarbled.transforms,
            "text": self.clean.text,
        }


def stored_rows(decoded: Decoded, clean: CleanDocument, parsed: ParsedDocument) -> ProcessedRows:
    """The rows one processed version adds: `document_texts`, `report_values`, `validations`."""
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
            # a file's values: the PDF page and the cell's box on it (points, from the top
            # left: x0, top, x1, bottom), or the workbook's sheet
            "page": v.where.get("page"),
            "bbox": json.dumps(v.where["bbox"]) if v.where.get("bbox") else None,
            "sheet": v.where.get("sheet"),
        }
        for v in parsed.values.values()
    ]
    checks = [{**c.as_json(), "ok": int(c.ok), "strict": int(c.strict)} for c in parsed.validation]
    text_row["result_sha256"] = result_hash(text_row, values, checks)
    # the fingerprint is made of the rows above (copies linked by pipelines.copies): not hashed
    return ProcessedRows(text_row, values, checks, fingerprints=report_fingerprint_rows(text_row, values))


def result_hash(text_row: dict, values: list[dict], checks: list[dict]) -> str:
    """Digest of the rows a version stores (all but the processor version): reprocessing
    makes a new version only when they move. The rows hold only str, int, float and None,
    whose repr is exact, in an order fixed by the code above."""
    digest = hashlib.sha256()
    for key, value in text_row.items():
        if key not in ("processor_version", "text"):
            digest.update(repr((key, value)).encode("utf-8", "surrogatepass"))
    digest.update(b"\0text\0" + text_row["text"].encode("utf-8", "surrogatepass"))
    digest.update(repr([list(row.values()) for row in values]).encode("utf-8", "surrogatepass"))
    digest.update(repr([list(row.values()) for row in checks]).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def clean_document(decoded_text: str) -> CleanDocument:
    """De-garble a decoded page (HTML or plain text), build its one tree and take its plain text.

    Of an HTML page, only the text is de-garbled, not its tags (pipelines.text.markup_text)."""
    with collecting() as problems:
        if len(decoded_text) > MAX_TEXT_CHARS:
            note(f"limit: text of {len(decoded_text)} characters cut to MAX_TEXT_CHARS ({MAX_TEXT_CHARS})")
            decoded_text = decoded_text[:MAX_TEXT_CHARS]
        is_html = looks_like_html(decoded_text)
        tree = None
        try:
            if is_html:
                degarbled = degarble_html(strip_scripts(decoded_text))
                tree = parse_html(degarbled.text)
                text = normalise_lines(tags_stripped(degarbled.text)) if tree is None else tree_text(without_scripts(tree))
            else:
                degarbled = degarble(decoded_text)
                text = degarbled.text
        except Exception as error:  # a bug on one page must not cost it: keep the decoded text
            note(failure(error))
            degarbled, tree = Degarbled(decoded_text, []), None
            text = normalise_lines(tags_stripped(decoded_text)) if is_html else decoded_text
    return CleanDocument(degarbled, is_html, text, problems, tree)


def degarble_html(html: str) -> Degarbled:
    """De-garble the text of a page, its tags left as they are; the page with its text changed.

    A transform that changed where text and tags meet (never seen) has the whole page
    de-garbled instead, as it was before text and tags were told apart."""
    clean = untouched(html)  # a page that needs nothing, tags and all: no markup scan
    if clean:
        return clean
    text = markup_text(html)
    degarbled = degarble(text)
    if degarbled.text == text:  # a clean page (most): nothing to put back
        return Degarbled(html, degarbled.transforms)
    page = with_text(markup_pieces(html), degarbled.text)
    if page is None:
        return degarble(html)
    return Degarbled(page, degarbled.transforms)


def settle_worker() -> None:
    """For a process that only processes pages, once its libraries are loaded: a page
    allocates tens of thousands of short-lived containers and leaves no cycles behind, so the
    cycle collector runs rarer and skips what the libraries loaded (pipelines.collector)."""
    collect_less()


def process_page(body: bytes, content_type: str | None = None, url: str | None = None) -> ProcessedPage:
    kind = signed_kind(body)  # a PDF, Office file or scan has a signature; a page has none
    if kind is not None:  # one of no reader (gzip, an OLE2 of no known stream) is a recorded problem
        return process_file(body, kind, url)
    try:
        decoded = decode_page(body, content_type)
    except Exception as error:  # never seen; the page is kept as lossy UTF-8 with the error
        text = body.decode("utf-8", "replace")
        decoded = Decoded(text, "utf-8", None, None, None, None, 0.0, "lossy", text.count("\ufffd"))
        clean = clean_document(text)
        clean.problems.insert(0, failure(error))
        return ProcessedPage(decoded, clean, parse_clean(clean, url))
    clean = clean_document(decoded.text)
    return ProcessedPage(decoded, clean, parse_clean(clean, url))


def process_file(body: bytes, kind: str, url: str | None = None) -> ProcessedPage:
    """A PDF, Office file or scan: read by its reader (pipelines.file_dispatch), parsed as a page.
    Its "encoding" says what the bytes are (`detected`) and what read them (`method`)."""
    reading, parsed = read_and_parse(body, kind, url)
    text = reading.text
    decoded = Decoded(text, "file", None, None, None, kind, 1.0, reading.reader, 0)
    transforms = [{"name": "compatibility_characters", "count": reading.folded}] if reading.folded else []
    clean = CleanDocument(Degarbled(text, transforms), False, text)
    parsed.problems = capped(parsed.problems)
    return ProcessedPage(decoded, clean, parsed)


def capped(problems: list[str]) -> list[str]:
    """At most MAX_PROBLEMS lines, and one saying how many more there were."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = f"limit: {len(problems) - MAX_PROBLEMS} more problems not listed (MAX_PROBLEMS {MAX_PROBLEMS})"
    return [*problems[:MAX_PROBLEMS], more]


def parse_clean(clean: CleanDocument, url: str | None = None) -> ParsedDocument:
    """Parse a clean document; a page the parser cannot handle is kept, with the error recorded,
    and every problem of cleaning and parsing is in the result's `problems`."""
    with collecting() as problems:
        try:
            parsed = parse_document(clean.degarbled.text, clean.is_html, clean.text, clean.tree, url)
        except Exception as error:  # any parser bug must not cost the page
            parsed = ParsedDocument.unparsed(failure(error))
        finally:
            clean.tree = None  # read (and marked up by the cell reader): of no further use
    parsed.problems = capped(list(dict.fromkeys([*clean.problems, *problems, *parsed.problems])))
    return parsed


def failure(error: Exception) -> str:
    return f"processing failed: {type(error).__name__}: {str(error)[:300]}"


def process_body(body: bytes, content_type: str | None = None, url: str | None = None) -> ProcessedRows:
    """The one composition the process stage stores: a version's raw bytes (fetched from
    `url`, evidence for the metadata) -> its rows.

    Never raises: whatever goes wrong is in the rows' problems, or the version is stored
    unparsed with the reason."""
    try:
        page = process_page(body, content_type, url)
        return stored_rows(page.decoded, page.clean, page.parsed)
    except Exception as error:  # e.g. a value SQLite or JSON cannot hold
        return ProcessedRows.failed(failure(error), PROCESSOR_VERSION)
