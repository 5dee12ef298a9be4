"""The codebook: every canonical key of the statistics tables with its Chinese labels as the
2019 and the 2021 formats print them, an English label and the unit, from the spec
(pipelines/spec/report_schema.yaml). Served as the `codebook` view (a VALUES list: nothing
to write when versions are processed) and so downloadable as CSV or JSON."""

from __future__ import annotations

from pipelines.schema import (
    FORMATS,
    active_items,
    active_measures,
    active_row_label,
    application_column_labels,
    application_columns,
    application_rows,
    review_keys,
    review_labels,
    schema,
)

COLUMNS = ("key", "table_name", "label_2019", "label_2021", "english", "unit")


def english(key: str) -> str:
    """The key's own words, in reading order: applications.denied.state_secret.natural_person
    -> applications · denied · state secret · natural person."""
    return " · ".join(part.replace("_", " ") for part in key.split("."))


def codebook_rows() -> list[tuple[str, str, str | None, str | None, str, str]]:
    rows = []
    for item in active_items():
        measures: dict[str, dict[str, str]] = {}
        units: dict[str, str] = {}
        for fmt in FORMATS:
            row_label = active_row_label(item, fmt)
            for m in active_measures(item, fmt):
                measures.setdefault(m.measure, {})[fmt] = f"{row_label} · {m.label}" if row_label else m.label
                units[m.measure] = m.unit
        for measure, labels in measures.items():
            key = f"active.{item}.{measure}"
            rows.append((key, "二、主动公开政府信息情况", labels.get("2019"), labels.get("2021"), english(key), units[measure]))
    column_labels = application_column_labels()
    groups = schema()["applications"]["columns"]
    for row in application_rows():
        parent = schema()["applications"]["rows"][row.key].get("parent")
        row_label = f"{parent} {row.label}" if parent else row.label
        for column in application_columns():
            group = groups[column].get("group")
            column_label = f"{group} · {column_labels[column]}" if group else column_labels[column]
            label = f"{row_label} · {column_label}"
            key = f"applications.{row.key}.{column}"
            rows.append((key, "三、收到和处理政府信息公开申请情况", label if "2019" in row.formats else None,
                         label if "2021" in row.formats else None, english(key), "件"))
    for key in review_keys():
        group, measure = review_labels(key)
        parent = schema()["reviews_litigation"]["groups"][key.split(".")[0]].get("parent")
        label = " · ".join(filter(None, [parent, group, measure]))
        rows.append((key, "四、政府信息公开行政复议、行政诉讼情况", label, label, english(key), "件"))
    return rows


def quote(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def codebook_sql() -> str:
    values = ",\n  ".join("(" + ", ".join(quote(v) for v in row) + ")" for row in codebook_rows())
    return f"WITH codebook({', '.join(COLUMNS)}) AS (VALUES\n  {values}\n)\nSELECT * FROM codebook"
