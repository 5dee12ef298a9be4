"""Marks for tests that run a whole document through an outside program: tesseract (OCR),
LibreOffice (conversions) or Chromium (printing a page to PDF).

Each such test is `e2e`, as the subprocess crawls are: seconds of a real program's work per
test, left out by `pytest -m "not e2e"` and run by `make test`. A test skips, saying why, on a
machine without the program (`make office-tools`, `make chromium`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def runs(installed: bool, why: str) -> Callable:
    def mark(test: Callable) -> Callable:
        return pytest.mark.e2e(pytest.mark.skipif(not installed, reason=why)(test))

    return mark


needs_ocr = runs(shutil.which("tesseract") is not None, "tesseract not installed (make office-tools)")
needs_office = runs(shutil.which("soffice") is not None, "LibreOffice not installed (make office-tools)")


def needs_chromium(test: Callable) -> Callable:
    from govcrawl.browser import default_chromium  # where the browser tests find it (tests.browser)

    return runs(Path(default_chromium()).exists(), "Chromium not installed (make chromium)")(test)
