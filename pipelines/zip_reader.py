"""A ZIP archive offered for download (附件.zip): the report in it, read by its own reader.

Portals offer a report zipped, alone or with its annexes. The archive is opened only when its
declared sizes stay under MAX_UNZIPPED_BYTES (pipelines.office_zip, a zip bomb is refused
before anything is inflated). Among its members, the documents (pipelines.filetype.file_kind
of each member's bytes: a PDF, Word, WPS, Excel, OFD, OpenDocument file or scan) are the
candidates; nested archives are not opened. The document read is the only one, or else the
only one whose name says it is a report (年度报告, 年报); several such, or none, is the
archive's recorded problem, with the members' names, and nothing is read: which of them the
link meant cannot be told. The reading names the member (`zip+<reader>`, and a problem line
`read … from the ZIP archive`).

Member names are decoded as the archive's creator wrote them: a name without the UTF-8 flag
is taken as GBK (what Chinese Windows writes) when it reads as GBK, zipfile's cp437 otherwise.
Hand-written only for that choice; zipfile does the reading.
"""

from __future__ import annotations

import io
import zipfile

from pipelines.file_reading import FileReading
from pipelines.filetype import file_kind
from pipelines.office_zip import too_big

REPORT_WORDS = ("年度报告", "年报", "工作报告")
MAX_NAMES_SHOWN = 10
UTF8_FLAG = 0x800


def member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def read_zip(body: bytes) -> FileReading:
    from pipelines.file_dispatch import DOCUMENTS, read_file

    problem = too_big(body)
    if problem is not None:
        return FileReading("zip", problems=[problem])
    archive = zipfile.ZipFile(io.BytesIO(body))
    documents: list[tuple[str, bytes, str]] = []
    names = []
    try:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = member_name(info)
            names.append(name)
            data = archive.read(info)
            kind = file_kind(data)
            if kind in DOCUMENTS:
                documents.append((name, data, kind))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as error:
        # damaged, encrypted (RuntimeError) or compressed by a method zipfile lacks
        return FileReading("zip", problems=[f"unreadable file: the ZIP archive cannot be read ({type(error).__name__}: {str(error)[:200]})"])
    reports = [document for document in documents if any(word in document[0] for word in REPORT_WORDS)]
    chosen = documents if len(documents) == 1 else reports if len(reports) == 1 else []
    if not chosen:
        shown = ", ".join(names[:MAX_NAMES_SHOWN]) + (f" and {len(names) - MAX_NAMES_SHOWN} more" if len(names) > MAX_NAMES_SHOWN else "")
        which = "no document we read" if not documents else f"{len(documents)} documents, none alone named a report"
        return FileReading("zip", problems=[f"unreadable file: the ZIP archive holds {which} ({shown}); not read"])
    name, data, kind = chosen[0]
    reading = read_file(data, kind)
    reading.reader = f"zip+{reading.reader}"
    reading.problems.insert(0, f"read {name} ({kind}) from the ZIP archive of {len(names)} files")
    return reading
