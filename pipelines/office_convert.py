"""DOC, WPS, ET, ODT and ODS files: LibreOffice headless (Debian's nogui packages) converts them to DOCX
or XLSX, which the DOCX and sheet readers then read (the result names both: the reader is
"libreoffice+python-docx"). An XLS is read by xlrd directly (pipelines.sheet_reader).

LibreOffice runs as a child under SUBPROCESS_TIMEOUT with a profile of its own in a temporary
folder (two workers converting at once must not share one). The worker's address-space limit
(govcrawl.stage) is lifted in the child, which maps far more than it uses; the time limit
bounds it instead. A password-protected or damaged file gives no output: a recorded problem.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipelines.file_reading import FileReading
from pipelines.limits import SUBPROCESS_TIMEOUT, dies_with_its_parent

TARGETS = {
    "DOC": ("doc", "docx"), "WPS": ("wps", "docx"), "ET": ("et", "xlsx"), "ODT": ("odt", "docx"), "ODS": ("ods", "xlsx"),
}


def unlimited_address_space() -> None:
    """LibreOffice maps far more address space than a worker's limit allows, and dies with its worker."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    dies_with_its_parent()


def convert(body: bytes, suffix: str, target: str) -> tuple[bytes | None, str | None]:
    """(converted bytes, None), or (None, the problem)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None, "unreadable file: LibreOffice is not installed (`make office-tools`)"
    with tempfile.TemporaryDirectory(prefix="govcrawl-office-") as work:
        source = Path(work) / f"file.{suffix}"
        source.write_bytes(body)
        try:
            subprocess.run(
                [soffice, f"-env:UserInstallation=file://{work}/profile", "--headless", "--norestore",
                 "--convert-to", target, "--outdir", work, str(source)],
                capture_output=True, timeout=SUBPROCESS_TIMEOUT, preexec_fn=unlimited_address_space,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return None, f"unreadable file: LibreOffice did not convert it within SUBPROCESS_TIMEOUT ({SUBPROCESS_TIMEOUT} s)"
        out = Path(work) / f"file.{target}"
        if not out.exists():
            return None, ("unreadable file: LibreOffice could not open it (password-protected or damaged)")
        return out.read_bytes(), None


def read_converted(body: bytes, kind: str) -> FileReading:
    suffix, target = TARGETS[kind]
    converted, problem = convert(body, suffix, target)
    if converted is None:
        return FileReading("libreoffice", problems=[problem])
    if target == "docx":
        from pipelines.docx_reader import read_docx

        return read_docx(converted, reader="libreoffice+python-docx")
    from pipelines.sheet_reader import read_xlsx

    return read_xlsx(converted, reader="libreoffice+openpyxl")
