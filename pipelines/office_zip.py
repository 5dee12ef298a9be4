"""Refuse a DOCX or XLSX that would inflate past MAX_UNZIPPED_BYTES (a zip bomb), from its
central directory alone: the declared sizes are read, nothing is inflated. A member whose
data inflates past its declared size is stopped by zipfile itself (it checks the size and
CRC as it reads)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import TypeVar

from pipelines.limits import MAX_UNZIPPED_BYTES

T = TypeVar("T")


def too_big(body: bytes) -> str | None:
    """A problem line when the archive is over the limit or unreadable; None when it may be opened."""
    try:
        members = zipfile.ZipFile(io.BytesIO(body)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        return f"unreadable file: the archive is damaged ({type(error).__name__}: {str(error)[:200]})"
    total = sum(member.file_size for member in members)
    if total > MAX_UNZIPPED_BYTES:
        return (f"limit: the archive would inflate to {total} bytes, over MAX_UNZIPPED_BYTES"
                f" ({MAX_UNZIPPED_BYTES}); not opened (a zip bomb)")  # fmt: skip
    return None


def open_package(body: bytes, open_bytes: Callable[[io.BytesIO], T], what: str, problems: list[str]) -> T | None:
    """A DOCX or XLSX opened by its library, or None with the reason in `problems`: over the
    inflate limit (checked before anything is inflated), or damaged."""
    problem = too_big(body)
    if problem is None:
        try:
            return open_bytes(io.BytesIO(body))
        except Exception as error:  # the library's own failure on a bad file
            problem = f"unreadable file: the {what} is damaged ({type(error).__name__}: {str(error)[:200]})"
    problems.append(problem)
    return None
