"""Is this body a text page at all? Names what it is instead when it is not.

Pure: bytes in, a short type name out (`PNG`, `JPEG`, `GIF`, `PDF`, `ZIP`, `OLE2`, `GZIP`, or
`binary` for bytes that are no text in any encoding), or None for text. `file_kind` then
names the document inside a container from its bytes alone: OLE2 as DOC, WPS, XLS or ET (by
its stream names), ZIP as DOCX, XLSX or OFD (by its member names) or ODT or ODS (by its
`mimetype` member). Never the extension or
Content-Type: a ".doc" is often HTML, MHT or XML, which is text here and read as a page.

Hand-written: a handful of fixed signatures and a text test; libmagic bindings (python-magic)
need a system library and a 10 MB database, and the pure-Python detectors (filetype,
puremagic) do not say whether unknown bytes are text, which is the question asked here.
"""

from __future__ import annotations

import codecs
import io
import zipfile

SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP"),  # also DOCX, XLSX and other Office Open XML files
    (b"PK\x05\x06", "ZIP"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2"),  # DOC, XLS, PPT of Office 97-2003
    (b"\x1f\x8b", "GZIP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
DESCRIPTIONS = {
    "PNG": "a PNG image",
    "JPEG": "a JPEG image",
    "GIF": "a GIF image",
    "PDF": "a PDF document",
    "ZIP": "a ZIP archive (DOCX and XLSX files are ZIP archives too)",
    "OLE2": "an OLE2 compound file (DOC, XLS or PPT)",
    "GZIP": "gzip-compressed data",
    "TIFF": "a TIFF image",
    "DOC": "a Word 97-2003 document (DOC)",
    "WPS": "a WPS Writer document",
    "XLS": "an Excel 97-2003 workbook (XLS)",
    "ET": "a WPS Spreadsheets workbook (ET)",
    "DOCX": "a Word document (DOCX)",
    "XLSX": "an Excel workbook (XLSX)",
    "OFD": "an OFD document (China's fixed-layout format)",
    "ODT": "an OpenDocument text (ODT)",
    "ODS": "an OpenDocument spreadsheet (ODS)",
    "ENCRYPTED_OFFICE": "a password-protected Office document",
    "binary": "binary data, not text in any encoding (NUL or control bytes, or undecodable bytes)",
}
# Text with a BOM for a wide encoding holds NUL bytes: such a BOM means text.
WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
SAMPLE = 65_536  # bytes looked at: enough to judge, and the cost does not grow with the body
MAX_CONTROL_SHARE = 0.01  # C0 control bytes other than tab, CR, LF, FF, ESC: text has none
MAX_UNDECODABLE_SHARE = 0.05  # U+FFFD per character in the best of UTF-8 / GB18030 / Big5
TEXT_CONTROLS = frozenset(b"\t\n\r\x0c\x1b")
CONTROL_BYTES = bytes(byte for byte in range(0x20) if byte not in TEXT_CONTROLS)


def binary_kind(body: bytes) -> str | None:
    """The type of a body that is not text, or None for text (an empty body is text: empty)."""
    head = body[:1024].lstrip()
    for signature, name in SIGNATURES:
        if head.startswith(signature):
            return name
    sample = body[:SAMPLE]
    if not sample or sample.startswith(WIDE_BOMS):
        return None
    if b"\x00" in sample:
        return "binary"
    controls = len(sample) - len(sample.translate(None, CONTROL_BYTES))  # counted in C, not per byte
    if controls > MAX_CONTROL_SHARE * len(sample):
        return "binary"
    if not sample.isascii() and not any(  # text in one of them is enough: most pages stop at UTF-8
        undecodable_share(sample, codec) <= MAX_UNDECODABLE_SHARE for codec in ("utf-8", "gb18030", "big5")
    ):
        return "binary"
    return None


def undecodable_share(sample: bytes, codec: str) -> float:
    # the sample may cut the last character in two: one replacement more, harmless
    text = sample.decode(codec, "replace")
    return text.count("\ufffd") / max(1, len(text))


def describe(kind: str) -> str:
    return DESCRIPTIONS.get(kind, kind)


# OLE2 directory entries are UTF-16LE names; the first that occurs names the document.
OLE2_STREAMS = (
    ("EncryptedPackage".encode("utf-16-le"), "ENCRYPTED_OFFICE"),  # a DOCX/XLSX under a password
    ("WpsCustomData".encode("utf-16-le"), "WPS"),
    ("ETExtData".encode("utf-16-le"), "ET"),
    ("WordDocument".encode("utf-16-le"), "DOC"),
    ("Workbook".encode("utf-16-le"), "XLS"),
    ("Book".encode("utf-16-le"), "XLS"),  # Excel 5/95
)
# ZIP members that name the document (the central directory lists them; nothing is inflated).
ZIP_MEMBERS = (("word/document.xml", "DOCX"), ("xl/workbook.xml", "XLSX"), ("OFD.xml", "OFD"))
# An OpenDocument file names its type in its first member, `mimetype`, stored uncompressed.
ODF_TYPES = {b"application/vnd.oasis.opendocument.text": "ODT", b"application/vnd.oasis.opendocument.spreadsheet": "ODS"}
MAX_MIMETYPE_BYTES = 100


def file_kind(body: bytes) -> str | None:
    """`binary_kind`, with containers told apart: DOC/WPS/XLS/ET for OLE2, DOCX/XLSX/OFD for ZIP."""
    return signed_kind(body) or binary_kind(body)


def signed_kind(body: bytes) -> str | None:
    """The type a body's signature names, containers told apart; None when no signature
    matches (text, or binary bytes of no known type). Cheap: the first bytes only, so the
    process stage asks it of every page."""
    head = body[:1024].lstrip()
    kind = next((name for signature, name in SIGNATURES if head.startswith(signature)), None)
    if kind == "OLE2":
        return ole2_kind(body)
    if kind == "ZIP":
        return zip_kind(body)
    return kind


def ole2_kind(body: bytes) -> str:
    return next((kind for name, kind in OLE2_STREAMS if name in body), "OLE2")


def zip_kind(body: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        names = set(archive.namelist())
        for member, kind in ZIP_MEMBERS:
            if member in names:
                return kind
        if "mimetype" in names and archive.getinfo("mimetype").file_size <= MAX_MIMETYPE_BYTES:
            return ODF_TYPES.get(archive.read("mimetype").strip(), "ZIP")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, NotImplementedError):
        return "ZIP"
    return "ZIP"
