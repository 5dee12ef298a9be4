"""Render a golden case (tests/golden/reports/*.json: facts of one real report) into a page.

The facts are numbers under canonical keys plus the labels and headers as the report printed
them; the prose around the tables is our own filler. A case is rendered in its observed shape
(`layout.shape`) or in any other shape real reports are seen in, so one set of facts tests the
reader on every layout:

- html_table: real <table>s with row and column spans;
- cell_per_line: a flattened table, one cell per line (empty cells print as 0);
- pipe_rows: one `| a | b |` row per table row;
- pdf_text: text extracted from a PDF: label and numbers on one line, long labels wrapped onto
  the next line, a page footer (`— 4 —`) inside table 三;
- sub_tables: like cell_per_line, but table 四 printed as three 5-cell sub-tables, each under
  its group label;
- fused_header: pipe rows, table 四's header fused (行政复议行政诉讼) and its measure words
  split apart (`| 结果 | 维持 | 结果 | 纠正 | …`);
- bare_total: one cell per line, table 四's header lost but for a bare 总计;
- wrapped_header: one cell per line, each of table 二's column headers wrapped over two cells
  of the flattened Word table (`本年新` / `制作数量`, as a real township report prints them);
- cut_header: one cell per line, each of table 二's column headers cut to its first line, as a
  copy prints a wrapped header whose second line it lost (`本年新` / `本年新` / `对外公`,
  `本年增/` as real bureau reports' copies print them);
- run_together: each row's cells run together with no separator (a third-party copy), table
  四's 15-cell data row into one digit run too.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "reports"
SHAPES = ("html_table", "cell_per_line", "pipe_rows", "pdf_text", "sub_tables", "fused_header", "bare_total", "wrapped_header",
          "cut_header", "run_together")
COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")
GROUPS = ("reviews", "litigation_direct", "litigation_after_review")
MEASURES = ("maintained", "corrected", "other", "pending", "total")
FILLER = "本机关按照年度工作安排推进公开工作，相关情况说明如下。"
WRAP = 16  # characters of a label that fit on one line of an extracted PDF


def cases() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(GOLDEN.glob("*.json"))}


def printed(value: float | int) -> str:
    return str(int(value)) if float(value) == int(value) else repr(value)


# -- the tables as rows of printed cells ---------------------------------------------------
def active_blocks(case: dict) -> list[tuple[list[str], list[list[str]]]]:
    """[(header cells, [row cells, ...])] of table 二, from the printed headers and the values."""
    keys = [key for key in case["values"] if key.startswith("active.")]
    blocks = []
    for block in case["tables"]["active"]:
        rows = []
        for label in block["rows"]:
            item = next(key.split(".")[1] for key in keys if active_label_of(key, case) == label)
            measures = [key for key in keys if key.split(".")[1] == item]
            rows.append([label] + [printed_active(case, key) for key in measures])
        blocks.append((block["header"], rows))
    return blocks


def printed_active(case: dict, key: str) -> str:
    value = case["values"][key]
    if not key.endswith("centralized_procurement.total_amount"):
        return printed(value)
    if "万元" in case["layout"].get("units", ""):
        return f"{printed(value / 10000)}万元"
    return f"{printed(value)}元"


ITEM_LABELS = {
    "regulations": ("规章",), "normative_documents": ("规范性文件", "行政规范性文件"),
    "licensing": ("行政许可",), "other_management_services": ("其他对外管理服务事项",),
    "penalty": ("行政处罚",), "coercion": ("行政强制",), "fees": ("行政事业性收费",),
    "centralized_procurement": ("政府集中采购",),
}  # fmt: skip


def active_label_of(key: str, case: dict) -> str | None:
    item = key.split(".")[1]
    printed_rows = [row for block in case["tables"]["active"] for row in block["rows"]]
    return next((label for label in ITEM_LABELS[item] if label in printed_rows), None)


def application_rows(case: dict) -> list[tuple[list[str], list[str]]]:
    """[(printed label parts, 7 printed numbers)] of table 三 in printed order."""
    keys = list(dict.fromkeys(key.rsplit(".", 1)[0] for key in case["values"] if key.startswith("applications.")))
    labels = case["tables"]["applications"]["row_labels"]
    assert len(keys) == len(labels) * 7 // 7
    return [
        (parts, [printed(case["values"][f"{row}.{column}"]) for column in COLUMNS])
        for row, parts in zip(keys, labels, strict=True)
    ]


def review_numbers(case: dict) -> list[str]:
    return [printed(case["values"][f"{group}.{measure}"]) for group in GROUPS for measure in MEASURES]


def flat(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row]


# -- shapes --------------------------------------------------------------------------------
def render(case: dict, shape: str | None = None) -> tuple[str, bool]:
    """(page, is_html) of the case in `shape` (its observed shape by default)."""
    shape = shape or case["layout"]["shape"]
    lines = text_rows(case, shape) if shape != "html_table" else None
    head = [case["title"], f"发布日期：{case['published']}" if case["published"] else "", "一、总体情况", FILLER]
    if shape == "html_table":
        return html_page(case, head), True
    return "\n".join(head + lines + ["五、存在的主要问题及改进情况", FILLER, "六、其他需要报告的事项", "无。"]), False


def text_rows(case: dict, shape: str) -> list[str]:
    lines = table_lines(case, shape)
    if shape == "cell_per_line" and case["layout"].get("zeros_empty"):
        lines = empty_runs(lines, case["layout"]["zeros_empty"])
    return lines


def empty_runs(lines: list[str], tables: list[str]) -> list[str]:
    """Zeros of the named tables printed as empty cells, a run of N of them as one line of N
    non-breaking spaces (a flattened Word table)."""
    out: list[str] = []
    table, run = "", 0
    for line in [*lines, ""]:
        table = {"二、": "二", "三、": "三", "四、": "四"}.get(line[:2], table) if line.endswith("情况") else table
        if line == "0" and table in tables:
            run += 1
            continue
        if run:
            out.append("\u00a0" * run)
            run = 0
        out.append(line)
    return out[:-1]


def table_lines(case: dict, shape: str) -> list[str]:
    out = ["二、主动公开政府信息情况"]
    for header, rows in active_blocks(case):
        printed_header = wrapped(header) if shape == "wrapped_header" else cut(header) if shape == "cut_header" else header
        out += row_lines(printed_header, shape)
        for row in rows:
            out += row_lines(row, shape)
    out.append("三、收到和处理政府信息公开申请情况")
    for header_row in case["tables"]["applications"]["column_headers"]:
        out += row_lines(header_row, shape if shape != "run_together" else "cell_per_line")
    for n, (parts, numbers) in enumerate(application_rows(case)):
        if shape == "pdf_text" and n == 12:
            out.append("— 4 —")  # a page footer inside the table
        out += application_lines(parts, numbers, shape)
    out.append("四、政府信息公开行政复议、行政诉讼情况")
    if shape == "sub_tables":
        for group, label in zip(GROUPS, ("行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）"), strict=True):
            out += [label, "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
            out += [printed(case["values"][f"{group}.{m}"]) for m in MEASURES]
        return out
    if shape == "fused_header":
        out += ["行政复议行政诉讼", "未经复议直接起诉复议后起诉"]
        out += row_lines([word for _ in range(3) for word in FUSED_MEASURES], "pipe_rows")
        return out + row_lines(review_numbers(case), "pipe_rows")
    if shape == "bare_total":
        return [*out, "总计", *review_numbers(case)]
    for header_row in case["tables"]["reviews_litigation"]["header_rows"]:
        out += row_lines(header_row, shape if shape not in ("run_together", "pdf_text") else "cell_per_line")
    out += row_lines(review_numbers(case), shape)
    return out


FUSED_MEASURES = ("结果", "维持", "结果", "纠正", "其他", "结果", "尚未", "审结", "总计")
WRAP_HEADER = 3  # characters of a column header on its first line (本年新 / 制作数量)


def wrapped(header: list[str]) -> list[str]:
    """Table 二's header cells, each column header (not 信息内容) wrapped over two cells."""
    out = header[:1]
    for label in header[1:]:
        out += [label[:WRAP_HEADER], label[WRAP_HEADER:]] if len(label) > WRAP_HEADER + 1 else [label]
    return out


def cut(header: list[str]) -> list[str]:
    """Table 二's header cells, each column header cut to the first line of its wrapped form."""
    return [header[0], *(label[:WRAP_HEADER] if len(label) > WRAP_HEADER + 1 else label for label in header[1:])]


def row_lines(cells: list[str], shape: str) -> list[str]:
    if shape in ("cell_per_line", "sub_tables", "bare_total", "wrapped_header", "cut_header"):
        return list(cells)
    if shape in ("pipe_rows", "fused_header"):
        return ["| " + " | ".join(cells) + " |"]
    if shape == "run_together":
        return ["".join(cells)]
    return [" ".join(cells)]  # pdf_text


def application_lines(parts: list[str], numbers: list[str], shape: str) -> list[str]:
    if shape == "pdf_text":
        lines = parts[:-1]
        label = parts[-1]
        if len(label) > WRAP:  # wrapped: the numbers follow the first line, the rest comes after
            return [*lines, label[:WRAP] + " " + " ".join(numbers), label[WRAP:]]
        return [*lines, label + " " + " ".join(numbers)]
    if shape == "run_together":
        return [*parts[:-1], parts[-1] + "".join(numbers)]
    return row_lines([*parts, *numbers], shape)


# -- HTML ----------------------------------------------------------------------------------
def cell(text: str, **spans: int) -> str:
    attributes = "".join(f' {name}="{value}"' for name, value in spans.items() if value > 1)
    return f"<td{attributes}>{html.escape(text)}</td>"


def blank(number: str, zeros_empty: bool) -> str:
    return "\u00a0" if zeros_empty and number == "0" else number


def html_page(case: dict, head: list[str]) -> str:
    body = [f"<p>{html.escape(line)}</p>" for line in head if line]
    body.append("<p>二、主动公开政府信息情况</p><table>")
    for block, (header, rows) in zip(case["tables"]["active"], active_blocks(case), strict=True):
        if block.get("caption"):
            body.append(f"<tr>{cell(block['caption'], colspan=len(header))}</tr>")
        header_spans = block.get("header_spans", [1] * len(header))
        row_spans = block.get("row_spans", [1] * len(header))
        body.append("<tr>" + "".join(cell(c, colspan=n) for c, n in zip(header, header_spans, strict=True)) + "</tr>")
        body += ["<tr>" + "".join(cell(c, colspan=n) for c, n in zip(row, row_spans, strict=True)) + "</tr>" for row in rows]
    empty = case["layout"].get("zeros_empty", [])
    body.append("</table><p>三、收到和处理政府信息公开申请情况</p><table>")
    headers = case["tables"]["applications"]["column_headers"]
    body += ["<tr>" + "".join(cell(c) for c in row) + "</tr>" for row in headers]
    for parts, numbers in application_rows(case):
        label_cells = "".join(cell(p, colspan=1) for p in parts)
        body.append("<tr>" + label_cells + "".join(cell(blank(n, "三" in empty)) for n in numbers) + "</tr>")
    body.append("</table><p>四、政府信息公开行政复议、行政诉讼情况</p><table>")
    for row in case["tables"]["reviews_litigation"]["header_rows"]:
        body.append("<tr>" + "".join(cell(c) for c in row) + "</tr>")
    body.append("<tr>" + "".join(cell(blank(n, "四" in empty)) for n in review_numbers(case)) + "</tr></table>")
    body += [f"<p>{line}</p>" for line in ("五、存在的主要问题及改进情况", FILLER, "六、其他需要报告的事项", "无。")]
    return f"<html><head><title>{html.escape(case['title'])}</title></head><body>{''.join(body)}</body></html>"
