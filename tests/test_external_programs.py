"""External programs processing starts (tesseract, pdftotext, LibreOffice) end with the worker
that started them: a file over the time limit leaves nothing running on."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

from tests.outside_programs import needs_ocr
from tests.replica import tables
from tests.replica.attachments import render_attachment


def processes_marked(mark: str) -> list[int]:
    """Pids of the live processes whose environment holds `mark` (inherited from our child)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if mark.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:  # gone, or not ours to read
            continue
    return found


@needs_ocr
def test_ocr_of_a_scan_over_the_time_limit_is_killed_with_its_worker(tmp_path):
    import pypdfium2

    agency = "某某市人民政府办公室"
    report = SimpleNamespace(title=f"{agency}2022年政府信息公开工作年度报告", agency=agency, year=2022,
                             published=None, format="2021", values=tables.make_values(random.Random(3), "2021", busy=20))  # fmt: skip
    document = pypdfium2.PdfDocument(render_attachment("pdf", report))
    scan = tmp_path / "scan.png"
    image = io.BytesIO()
    document[0].render(scale=300 / 72).to_pil().convert("L").save(image, format="PNG")
    scan.write_bytes(image.getvalue())
    mark = f"GOVCRAWL_TEST_MARK={uuid.uuid4().hex}"
    env = {**os.environ, "GOVCRAWL_PROCESS_TIMEOUT": "1", mark.split("=")[0]: mark.split("=")[1]}
    done = subprocess.run(
        [sys.executable, "-m", "govcrawl.cli", "parse", str(scan)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 3 and "GOVCRAWL_PROCESS_TIMEOUT" in done.stderr, done.stderr
    deadline = time.monotonic() + 1
    while processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_marked(mark) == []  # tesseract takes seconds more on this page
