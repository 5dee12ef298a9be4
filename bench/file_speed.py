"""Pages per second of reading reports published as files, through the process stage's own
composition (pipelines.process.process_body), one worker (one core).

Run from the repository root: `python -m bench.file_speed [--reports 5] [--ocr-reports 1]`.

The files are the replica's attachments (tests.replica.attachments), each report with its own
values: a ruled PDF (pdfplumber, tables over page breaks), the same layout as an OFD (ofdkit
and the PDF reader's table functions), a DOCX (python-docx), and a scanned PDF (OCR with
tesseract chi_sim). For each kind it prints the pages read per second (PDF pages; a DOCX
counts as the PDF pages of the same report, an OFD has the PDF's pages), ms per file, and the share of the
generator's values read right and read wrong. Writes bench/results/file_speed.json.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from types import SimpleNamespace

from pipelines.process import process_body
from tests.replica import tables
from tests.replica.attachments import render_attachment

RESULTS = Path(__file__).parent / "results" / "file_speed.json"


def reports(count: int, seed: int = 0) -> list[SimpleNamespace]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        fmt = rng.choice(["2019", "2021"])
        year = 2020 if fmt == "2019" else rng.randint(2021, 2024)
        agency = f"某某县第{n + 1}局"
        out.append(SimpleNamespace(title=f"{agency}{year}年政府信息公开工作年度报告", agency=agency, year=year,
                                   published=None, format=fmt,
                                   values=tables.make_values(rng, fmt, busy=rng.choice([2, 20, 60]))))  # fmt: skip
    return out


def pdf_pages(body: bytes) -> int:
    import pypdfium2

    return len(pypdfium2.PdfDocument(body))


def measure(kind: str, items: list[SimpleNamespace]) -> dict:
    seconds, pages, right, wrong, total = 0.0, 0, 0, 0, 0
    for report in items:
        body = render_attachment(kind, report)
        pages += pdf_pages(render_attachment("pdf", report) if kind in ("docx", "ofd") else body)
        start = time.perf_counter()
        rows = process_body(body)
        seconds += time.perf_counter() - start
        got = {row["key"]: row["value"] for row in rows.values}
        total += len(report.values)
        right += sum(1 for key, value in report.values.items() if key in got and got[key] == float(value))
        wrong += sum(1 for key, value in report.values.items() if key in got and got[key] != float(value))
    return {
        "kind": kind, "files": len(items), "pages": pages, "seconds": round(seconds, 2),
        "pages_per_s": round(pages / seconds, 2), "ms_per_file": round(1000 * seconds / len(items)),
        "values": total, "right_share": round(right / total, 4), "wrong": wrong,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=5)
    parser.add_argument("--ocr-reports", type=int, default=1)
    args = parser.parse_args()
    items = reports(args.reports)
    process_body(render_attachment("pdf", items[0]))  # warm-up: libraries and the spec load once
    rows = [measure("pdf", items), measure("ofd", items), measure("docx", items),
            measure("pdf_scanned", items[: args.ocr_reports])]  # fmt: skip
    print("| file kind | files | pages | pages/s | ms per file | values right | values wrong |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['kind']} | {row['files']} | {row['pages']} | {row['pages_per_s']} | {row['ms_per_file']} |"
              f" {row['right_share']:.1%} | {row['wrong']} |")  # fmt: skip
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
