"""The standard statistics tables of a report: values under canonical keys, and their HTML.

Keys and identities come from the project's schema (pipelines.schema); labels, headers and
layouts come from the catalogue of how real reports print them (pipelines/data/
printed_labels.yaml, harvested from tests/golden/reports), not from the spec's wording, so the
replica prints what real portals print. Table 四 is printed as one 15-cell row or as three
5-cell sub-tables, both layouts of real reports. Each table is built as a grid of cells with
spans, then printed in one of several styles seen on real portals:

html    a clean <table> with rowspan/colspan and &nbsp; for empty cells
word    a Word-exported <table>: digits split across <span>s, full-width digits, units in
        cells (3件), "(一) 予以公开" brackets, 合计 / 结转下一年度 label variants, straight quotes
lines   the table flattened to one <p> per cell, a run of empty cells as one paragraph of
        non-breaking spaces (seed 001)
pipes   one <p> per row, cells between | characters
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pipelines import schema
from pipelines.printed import catalogue

STYLES = ("html", "word", "lines", "pipes")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class GridCell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    number: float | None = None  # a value cell (None for labels)
    unit: str = ""  # printed after the number (元 / 万元 cells of table 二)


Grid = list[list[GridCell]]


def application_rows(fmt: str) -> list[tuple[str, dict]]:
    rows = schema.schema()["applications"]["rows"]
    return [(key, rows[key]) for key in schema.application_row_keys(fmt)]


def application_columns() -> list[str]:
    return list(schema.application_columns())


# -- values ------------------------------------------------------------------------------------
def make_values(rng: random.Random, fmt: str, busy: int) -> dict[str, float]:
    """A report's numbers, satisfying every strict identity of the spec."""
    values: dict[str, float] = {}
    rows = [key for key, _ in application_rows(fmt)]
    outcome_rows = [r for r in rows if r not in ("new_received", "carried_over", "total", "carried_forward")]
    columns = application_columns()
    per_column = {}
    for column in columns[:-1]:
        scale = busy if column == "natural_person" else max(0, busy // 6)
        new = rng.randint(0, scale) if rng.random() < 0.8 else 0
        carried_over = rng.randint(0, 2) if new and rng.random() < 0.3 else 0
        carried_forward = rng.randint(0, min(2, new + carried_over)) if rng.random() < 0.3 else 0
        answered = new + carried_over - carried_forward
        counts = dict.fromkeys(outcome_rows, 0)
        for _ in range(answered):
            weights = [
                40 if r == "granted" else 8 if r in ("partially_granted", "unable.not_held") else 1
                for r in outcome_rows
            ]
            counts[rng.choices(outcome_rows, weights)[0]] += 1
        per_column[column] = {
            "new_received": new,
            "carried_over": carried_over,
            "total": answered,
            "carried_forward": carried_forward,
            **counts,
        }
    for row in rows:
        for column in columns[:-1]:
            values[f"applications.{row}.{column}"] = per_column[column][row]
        values[f"applications.{row}.total"] = sum(per_column[c][row] for c in columns[:-1])

    for key in schema.review_keys():
        group, measure = key.split(".")
        if measure != "total":
            values[key] = rng.choice([0, 0, 0, 1, 2])
    for group in schema.review_groups():
        values[f"{group}.total"] = sum(
            values[f"{group}.{m}"] for m in schema.review_measures() if m != "total"
        )

    for item in schema.active_items():
        for m in schema.active_measures(item, fmt):
            values[f"active.{item}.{m.measure}"] = active_value(rng, item, m.measure)
    return values


def active_value(rng: random.Random, item: str, measure: str) -> float:
    if measure == "change":
        return rng.randint(-20, 20)
    if measure == "total_amount":
        return round(rng.randint(10000, 9000000) / 100, 2) * 100  # yuan
    if measure == "fee_amount_10k_yuan":
        return round(rng.random() * 500, 2)
    if item == "regulations":
        return rng.randint(0, 3)
    return rng.randint(0, 400)


# -- grids -------------------------------------------------------------------------------------
def active_grids(values: dict[str, float], fmt: str) -> list[Grid]:
    """One grid per 第二十条 sub-table of table 二."""
    articles: dict[str, list[str]] = {}
    for item in schema.active_items():
        if schema.active_row_label(item, fmt):
            articles.setdefault(schema.active_article(item), []).append(item)
    grids = []
    for article, items in articles.items():
        measures = schema.active_measures(items[0], fmt)
        headers = catalogue()["active_column_labels"][fmt]
        grid = [
            [GridCell(f"第二十条第{article}项", colspan=len(measures) + 1)],
            [GridCell("信息内容")] + [GridCell(headers[m.measure].replace("新", "新\n", 1)) for m in measures],
        ]
        for item in items:
            row = [GridCell(catalogue()["active_row_labels"][fmt][item])]
            for m in measures:
                value = values[f"active.{item}.{m.measure}"]
                if m.measure == "total_amount" and int(value) % 100 == 0 and value >= 100000:
                    row.append(GridCell("", number=value / 10000, unit="万元"))
                else:
                    row.append(GridCell("", number=value, unit="元" if m.measure == "total_amount" else ""))
            grid.append(row)
        grids.append(grid)
    return grids


def pick(variants: list[str], values: dict[str, float]) -> str:
    """One printed variant of a label, chosen by the report's numbers (the replica's random
    stream is left as it was)."""
    return variants[int(sum(values.values())) % len(variants)]


def applications_grid(values: dict[str, float], fmt: str) -> Grid:
    header = catalogue()["application_header"]
    top, group = header["top"], header["group"]
    grid = [
        [GridCell(schema.schema()["applications"]["header_note"], rowspan=3, colspan=3),
         GridCell(header["opening"], colspan=len(top) - 1 + len(group))],
        [GridCell(label, rowspan=2) if n != 1 else GridCell(label, colspan=len(group)) for n, label in enumerate(top)],
        [GridCell(label) for label in group],
    ]  # fmt: skip
    parents = catalogue()["application_parent_labels"]
    rows = application_rows(fmt)
    outcome_count = sum(
        1 for key, _ in rows if key not in ("new_received", "carried_over", "carried_forward")
    )
    parents_seen: set[str] = set()
    for key, spec in rows:
        numbers = [GridCell("", number=values[f"applications.{key}.{c}"]) for c in application_columns()]
        label = pick(catalogue()["application_row_labels"][key], values)
        if key in ("new_received", "carried_over", "carried_forward"):
            grid.append([GridCell(label, colspan=3), *numbers])
            continue
        prefix = [GridCell(parents["results"], rowspan=outcome_count)] if key == "granted" else []
        parent = parents[key.split(".")[0]] if spec.get("parent") else None
        if parent is None:
            grid.append([*prefix, GridCell(label, colspan=2), *numbers])
        elif parent in parents_seen:
            grid.append([GridCell(label), *numbers])
        else:
            parents_seen.add(parent)
            siblings = sum(1 for k, s in rows if s.get("parent") and k.split(".")[0] == key.split(".")[0])
            grid.append([*prefix, GridCell(parent, rowspan=siblings), GridCell(label), *numbers])
    return grid


def reviews_grid(values: dict[str, float], layout: str = "one_row") -> Grid:
    header = catalogue()["review_header"]
    labels, groups = header["measures"], header["groups"]
    if layout == "sub_tables":  # three 5-cell sub-tables, each under its group label
        sub_labels = catalogue()["review_sub_table_labels"]
        grid: Grid = []
        for group in schema.review_groups():
            grid += [
                [GridCell(sub_labels[group][0], colspan=5)],
                [GridCell(label) for label in labels],
                [GridCell("", number=values[f"{group}.{m}"]) for m in schema.review_measures()],
            ]
        return grid
    return [
        [GridCell(groups["reviews"], colspan=5), GridCell(groups["litigation"], colspan=10)],
        [GridCell(label, rowspan=2) for label in labels]
        + [GridCell(groups["litigation_direct"], colspan=5),
           GridCell(groups["litigation_after_review"], colspan=5)],
        [GridCell(label) for label in labels] * 2,
        [GridCell("", number=values[key]) for key in schema.review_keys()],
    ]  # fmt: skip


# -- printing ----------------------------------------------------------------------------------
def number_text(cell: GridCell, blank_zeros: bool) -> str:
    if cell.number == 0 and blank_zeros and not cell.unit:
        return ""
    number = cell.number
    return (str(int(number)) if number == int(number) else repr(number)) + cell.unit  # never 3.2e+06


def word_label(text: str, rng: random.Random) -> str:
    """Label variants of report_formats.md, as Word-made pages print them."""
    text = text.replace("（七）总计", "（七）合计").replace("结转下年度", "结转下一年度")
    text = text.replace("“", '"').replace("”", '"')
    return text.replace("（", "(").replace("）", ") ", 1).replace("）", ")") if rng.random() < 0.5 else text


def word_number(text: str, rng: random.Random) -> str:
    if not text:
        return "<span>&nbsp;</span>"
    if rng.random() < 0.2:
        text = text.translate(FULL_WIDTH)
    if len(text) > 1 and rng.random() < 0.5:  # Word splits digits across runs: 2</span><span>0
        cut = rng.randint(1, len(text) - 1)
        return f'<span lang="EN-US">{text[:cut]}</span><span lang="EN-US">{text[cut:]}</span>'
    return f"<span>{text}</span>"


def render(grid: Grid, style: str, blank_zeros: bool, rng: random.Random) -> str:
    if style in ("html", "word"):
        rows = []
        for row in grid:
            cells = []
            for cell in row:
                if cell.number is None:
                    text = word_label(cell.text, rng) if style == "word" else cell.text
                    text = text.replace("\n", "<br />")
                else:
                    text = number_text(cell, blank_zeros)
                    if style == "word":
                        unit = "件" if text and not cell.unit and rng.random() < 0.1 else ""
                        text = word_number(text + unit, rng)
                    text = text or "&nbsp;"
                span = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + (
                    f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
                )
                cells.append(
                    f'<td{span} style="border:1px solid #000;padding:2px 4px"><p align="center">{text}</p></td>'
                )
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return f'<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse" width="600">{"".join(rows)}</table>'
    texts = [
        [
            cell.text.replace("\n", "") if cell.number is None else number_text(cell, blank_zeros)
            for cell in row
        ]
        for row in grid
    ]
    if style == "pipes":
        return "\n".join("<p>| " + " | ".join(row) + " |</p>" for row in texts)
    paragraphs, blanks = [], 0
    for text in (t for row in texts for t in row):
        if not text:
            blanks += 1
            continue
        if blanks:
            paragraphs.append("<p>" + " ".join(["&nbsp;"] * blanks) + "</p>")
            blanks = 0
        paragraphs.append(f"<p>{text}</p>")
    if blanks:
        paragraphs.append("<p>" + " ".join(["&nbsp;"] * blanks) + "</p>")
    return "\n".join(paragraphs)


def render_active(
    values: dict[str, float], fmt: str, style: str, blank_zeros: bool, rng: random.Random
) -> str:
    return "\n".join(render(grid, style, blank_zeros, rng) for grid in active_grids(values, fmt))


def render_applications(
    values: dict[str, float], fmt: str, style: str, blank_zeros: bool, rng: random.Random
) -> str:
    return render(applications_grid(values, fmt), style, blank_zeros, rng)


def render_reviews(values: dict[str, float], style: str, blank_zeros: bool, rng: random.Random) -> str:
    """Table 四 in one of the layouts real reports print. The one-row table is always drawn
    with the page's random stream, so that the rest of the replica stays as it was (its pages
    and their faults); a sub-table layout is then drawn with a stream of its own."""
    one_row = render(reviews_grid(values), style, blank_zeros, rng)
    layout = pick(catalogue()["review_layouts"], values)
    if layout == "one_row":
        return one_row
    own = random.Random(repr(sorted(values.items())))
    return render(reviews_grid(values, layout), style, blank_zeros, own)
