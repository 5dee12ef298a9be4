"""The standard statistics tables of a report: values under canonical keys, and their HTML.

Row and column labels and canonical keys come from the project's copy of the schema spec
(pipelines/spec/report_schema.yaml), so the replica prints what the parser must read.
"""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

import yaml

SPEC = Path(__file__).resolve().parents[2] / "pipelines" / "spec" / "report_schema.yaml"

# Row labels of table 二 by item; the spec names them only in comments.
ACTIVE_ROW_LABELS = {
    "regulations": {"2019": "规章", "2021": "规章"},
    "normative_documents": {"2019": "规范性文件", "2021": "行政规范性文件"},
    "licensing": {"2019": "行政许可", "2021": "行政许可"},
    "other_management_services": {"2019": "其他对外管理服务事项"},
    "penalty": {"2019": "行政处罚", "2021": "行政处罚"},
    "coercion": {"2019": "行政强制", "2021": "行政强制"},
    "fees": {"2019": "行政事业性收费", "2021": "行政事业性收费"},
    "centralized_procurement": {"2019": "政府集中采购"},
}
# Sub-tables of table 二: (article item, rows in it).
ACTIVE_SUBTABLES = [
    ("（一）", ["regulations", "normative_documents"]),
    ("（五）", ["licensing", "other_management_services"]),
    ("（六）", ["penalty", "coercion"]),
    ("（八）", ["fees"]),
    ("（九）", ["centralized_procurement"]),
]
APPLICANT_GROUP = "法人或其他组织"


@cache
def schema() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def application_rows(fmt: str) -> list[tuple[str, dict]]:
    return [(key, row) for key, row in schema()["applications"]["rows"].items() if fmt in row["formats"]]


def application_columns() -> list[str]:
    return list(schema()["applications"]["columns"])


def active_measures(item: str, fmt: str) -> list[tuple[str, str]]:
    """(measure key, column label) of one table-二 row in one format."""
    out = []
    for measure, spec in schema()["active"][item].items():
        if fmt in spec["formats"]:
            label = spec["col"]
            if " / " in label:  # "处理决定数量 (2019) / 本年处理决定数量 (2021)"
                label = next(p for p in label.split(" / ") if f"({fmt})" in p).replace(f" ({fmt})", "")
            out.append((measure, label))
    return out


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

    for group in schema()["reviews_litigation"]["groups"]:
        parts = [rng.choice([0, 0, 0, 1, 2]) for _ in range(4)]
        for measure, value in zip(["maintained", "corrected", "other", "pending"], parts, strict=True):
            values[f"{group}.{measure}"] = value
        values[f"{group}.total"] = sum(parts)

    for item in ACTIVE_ROW_LABELS:
        for measure, _ in active_measures(item, fmt):
            values[f"active.{item}.{measure}"] = active_value(rng, item, measure)
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


# -- HTML --------------------------------------------------------------------------------------
def cell(text: str, rowspan: int = 1, colspan: int = 1) -> str:
    span = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    return f'<td{span} style="border:1px solid #000;padding:2px 4px"><p align="center">{text}</p></td>'


def number(value: float, blank_zeros: bool, unit: str = "") -> str:
    if value == 0 and blank_zeros:
        return "&nbsp;"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text + unit


def table(rows: list[str]) -> str:
    body = "".join(f"<tr>{r}</tr>" for r in rows)
    return f'<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse" width="600">{body}</table>'


def render_active(values: dict[str, float], fmt: str, blank_zeros: bool) -> str:
    parts = []
    for article, items in ACTIVE_SUBTABLES:
        items = [i for i in items if fmt in ACTIVE_ROW_LABELS[i]]
        if not items:
            continue
        measures = active_measures(items[0], fmt)
        rows = [cell(f"第二十条第{article}项", colspan=len(measures) + 1)]
        rows.append(
            cell("信息内容") + "".join(cell(label.replace("新", "新<br />", 1)) for _, label in measures)
        )
        for item in items:
            cells = [cell(ACTIVE_ROW_LABELS[item][fmt])]
            for measure, _ in measures:
                value = values[f"active.{item}.{measure}"]
                if measure == "total_amount":
                    text = (
                        f"{value / 10000:g}万元"
                        if int(value) % 100 == 0 and value >= 100000
                        else f"{value:g}元"
                    )
                else:
                    text = number(value, blank_zeros)
                cells.append(cell(text))
            rows.append("".join(cells))
        parts.append(table(rows))
    return "\n".join(parts)


def render_applications(values: dict[str, float], fmt: str, blank_zeros: bool) -> str:
    cols = schema()["applications"]["columns"]
    header_note = schema()["applications"]["header_note"]
    org_cols = [c for c, spec in cols.items() if spec.get("group") == APPLICANT_GROUP]
    rows = [
        cell(header_note, rowspan=3, colspan=3) + cell("申请人情况", colspan=7),
        cell(cols["natural_person"]["label"], rowspan=2)
        + cell(APPLICANT_GROUP, colspan=5)
        + cell(cols["total"]["label"], rowspan=2),
        "".join(cell(cols[c]["label"]) for c in org_cols),
    ]
    app_rows = application_rows(fmt)
    outcome_count = sum(
        1 for key, _ in app_rows if key not in ("new_received", "carried_over", "carried_forward")
    )
    parents_seen: set[str] = set()
    for key, spec in app_rows:
        label = spec["label"]
        numbers = "".join(cell(number(values[f"applications.{key}.{c}"], blank_zeros)) for c in cols)
        if key in ("new_received", "carried_over", "carried_forward"):
            rows.append(cell(label, colspan=3) + numbers)
            continue
        prefix = cell("三、本年度办理结果", rowspan=outcome_count) if key == "granted" else ""
        parent = spec.get("parent")
        if parent is None:
            rows.append(prefix + cell(label, colspan=2) + numbers)
        elif parent in parents_seen:
            rows.append(cell(label) + numbers)
        else:
            parents_seen.add(parent)
            siblings = sum(1 for _, s in app_rows if s.get("parent") == parent)
            rows.append(prefix + cell(parent, rowspan=siblings) + cell(label) + numbers)
    return table(rows)


def render_reviews(values: dict[str, float], blank_zeros: bool) -> str:
    spec = schema()["reviews_litigation"]
    measures = spec["measures"]
    labels = [m["label"] for m in measures.values()]
    groups = spec["groups"]
    rows = [
        cell(groups["reviews"]["label"], colspan=5) + cell("行政诉讼", colspan=10),
        "".join(cell(label, rowspan=2) for label in labels)
        + cell(groups["litigation_direct"]["label"], colspan=5)
        + cell(groups["litigation_after_review"]["label"], colspan=5),
        "".join(cell(label) for label in labels) * 2,
        "".join(cell(number(values[f"{g}.{m}"], blank_zeros)) for g in groups for m in measures),
    ]
    return table(rows)
