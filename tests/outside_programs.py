"""Marks for tests that run a whole document through an outside program: tesseract (OCR),
LibreOffice (conversions) or Chromium (printing a page to PDF).

Each such test is `e2e`, as the subprocess crawls are: seconds of a real program's work per
test, left out by `pytest -m "not e2e"` and run by `make test`. A test skips, saying why, on a
machine without the program (`make office-tools`, `make chromium`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest


def runs(program: str, why: str) -> Callable:
    def mark(test: Callable) -> Callable:
        return pytest.mark.e2e(pytest.mark.skipif(shutil.which(program) is None, reason=why)(test))

    return mark


needs_ocr = runs("tesseract", "tesseract not installed (make office-tools)")
needs_office = runs("soffice", "LibreOffice not installed (make office-tools)")
needs_chromium = runs("chromium", "Chromium not installed (make chromium)")
