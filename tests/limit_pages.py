"""Hostile single pages for the processing limits (issue 12), and a measurement of each.

Every page is built here from a few lines of code, so a test can make a small one and the
measurement a full-sized one. `python -m tests.limit_pages` processes each page in its own
subprocess and prints its time and its peak memory above a warmed-up baseline.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

EXAMPLES = Path(__file__).parent / "data" / "examples"
HTML = "text/html; charset=utf-8"


def page(body: str, head: str = "") -> bytes:
    return f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>".encode()


def span_bomb(cells: int = 2000) -> bytes:
    """Every cell claims a huge rowspan and colspan."""
    row = "<td rowspan=100000 colspan=100000>1</td>" * 10
    return page("<table>" + f"<tr>{row}</tr>" * (cells // 10) + "</table>")


def huge_table(rows: int = 100_000) -> bytes:
    """A 100,000-row table of numbers under report-like labels."""
    body = "".join(f"<tr><td>其他{i}</td>" + "<td>1</td>" * 7 + "</tr>" for i in range(rows))
    return page(f"<h1>某某区2021年政府信息公开工作年度报告</h1><table>{body}</table>")


def mojibake_holes(holes: int = 2000, lost: int = 3) -> bytes:
    return ("<html><head><meta charset='utf-8'></head><body><p>" + mojibake_with_holes(holes, lost)).encode()


def mojibake_with_holes(holes: int = 2000, lost: int = 3) -> str:
    """UTF-8 read as GBK and saved as UTF-8 (a mirror's mistake), with a hole after every
    sentence: a 4-byte sequence that lost its last three bytes (64^3 candidates each), or with
    `lost=2` a 3-byte one that lost two before a line break (64^2 = 4096 candidates each)."""
    sentence = "本机关收到政府信息公开申请共计办理完毕".encode().decode("gbk", "replace")
    if lost == 3:
        hole = bytes([0xE4, 0xB8]).decode("gbk") + bytes([0x81, 0xF0]).decode("gbk") + "\ufffd" * 3
    else:
        hole = bytes([0xE4, 0xB8]).decode("gbk") + bytes([0xAD, 0xE4]).decode("gb18030") + "\ufffd" * 2 + "\n"
    return (sentence + hole) * holes


def adversarial_title(size: int = 100_000) -> bytes:
    """Titles and headings made of long runs of what the title and agency patterns quantify."""
    spaces = " " * size
    title = f"2021{spaces}年{spaces}-{'_' * size}\n{spaces}x"
    heading = "报告" + "关于 " * (size // 3) + "2021年政府信息公开工作年度报告"
    return page(f"<h1>{heading}</h1><p>正文</p>", head=f"<title>{title}</title>")


def adversarial_scripts(size: int = 100_000) -> bytes:
    """Unterminated scripts, styles and comments: a lazy scan to their end from each one."""
    opens = "<script>fetch (" * (size // 15) + "<style>a" * (size // 8) + "<!--" * (size // 4)
    return page("<p>正文</p>" + opens)


def deep_nesting(depth: int = 5000) -> bytes:
    """Report text below the depth libxml2 keeps by default."""
    return page("<div>" * depth + "<p>深处的正文：收到政府信息公开申请12件。</p>" + "</div>" * depth)


def long_figure(digits: int = 5000) -> bytes:
    """A standard report whose first table-三 figure has 5,000 digits."""
    html = (EXAMPLES / "2021.html").read_text(encoding="utf-8")
    marker = "本年新收政府信息公开申请数量"
    start = html.index(marker)
    cell = html.index("<td", start + len(marker))
    value_start = html.index(">", cell) + 1
    value_end = html.index("<", value_start)
    return (html[:value_start] + "9" * digits + html[value_end:]).encode()


def cut_short() -> bytes:
    """A standard report whose table 三 stops part way (the rest of the page lost)."""
    html = (EXAMPLES / "2021.html").read_text(encoding="utf-8")
    return html[: html.index("不予公开")].encode()


def huge_text(chars: int = 8_000_000) -> bytes:
    return page("<p>" + "政府信息公开。" * (chars // 7) + "</p>")


CASES: dict[str, Callable[[], bytes]] = {
    "span_bomb": span_bomb,
    "huge_table": huge_table,
    "mojibake_holes": mojibake_holes,
    "mojibake_holes_4096": lambda: mojibake_holes(lost=2),
    "adversarial_title": adversarial_title,
    "adversarial_scripts": adversarial_scripts,
    "deep_nesting": deep_nesting,
    "long_figure": long_figure,
    "cut_short": cut_short,
    "huge_text": huge_text,
}


def measure(case: str) -> None:
    """Run in a subprocess: warm up on a real report, then process the hostile page."""
    from pipelines.process import process_page, stored_rows

    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a runaway fails, not the machine

    warm = (EXAMPLES / "2021.html").read_bytes()
    process_page(warm, HTML)
    process_page(mojibake_holes(2), None)  # loads jieba, as a real crawl would
    body = CASES[case]()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = process_page(body, None)
    stored_rows(result.decoded, result.clean, result.parsed)
    took = time.perf_counter() - start
    extra = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    status = result.parsed.validation_status
    problems = "; ".join(p[:90] for p in result.parsed.problems[:3])
    print(f"{case:20} {took:7.2f} s {extra:7.0f} MB  {status:10} {problems}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        measure(sys.argv[2])
        return
    timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 120
    for case in CASES:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "tests.limit_pages", "--one", case],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            line = done.stdout.strip() or done.stderr.strip().splitlines()[-1]
        except subprocess.TimeoutExpired:
            line = f"{case:20} over {timeout:.0f} s (stopped)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
