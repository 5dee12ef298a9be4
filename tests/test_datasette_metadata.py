"""data/metadata.yml stays true to the database a crawl writes and to the report spec."""

from __future__ import annotations

import re

import pytest
import yaml

from govcrawl.serve import METADATA
from pipelines.schema import application_column_labels, application_rows, core, review_keys, review_labels


@pytest.fixture(scope="module")
def metadata() -> dict:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


def described(metadata: dict) -> dict:
    return metadata["databases"]["govcrawl"]["tables"]


def is_fts_shadow(name: str) -> bool:
    """SQLite's own tables behind an FTS5 index: internal format, no columns to explain."""
    return re.fullmatch(r".+_fts_(data|idx|docsize|config|content)", name) is not None


def test_every_table_view_and_column_is_described_and_nothing_else(crawled, metadata):
    tables = described(metadata)
    in_database = set(crawled.db.table_names()) | set(crawled.db.view_names())
    assert set(tables) - in_database == set(), "described but not in the database"
    assert in_database - set(tables) == set(), "in the database but not described"
    for name in in_database:
        entry = tables[name]
        assert entry.get("description", "").strip(), name
        if is_fts_shadow(name):
            assert entry.get("hidden") is True, name
            continue
        columns = {c.name for c in crawled.db[name].columns}
        assert set(entry.get("columns", {})) == columns, name
        assert all(str(text).strip() for text in entry["columns"].values()), name
        for facet in entry.get("facets", []):
            assert facet in columns, (name, facet)
        if "label_column" in entry:
            assert entry["label_column"] in columns, name


def test_internals_are_hidden_and_reports_search_the_trigram_index(metadata):
    tables = described(metadata)
    assert tables["bodies"]["hidden"] is True
    reports = tables["reports"]
    assert reports["facets"] == ["agency", "report_year", "doc_kind", "format", "validation_status"]
    assert (reports["fts_table"], reports["fts_pk"]) == ("document_texts_fts", "version_id")


def test_spec_labels_in_column_descriptions(metadata):
    """Descriptions name the printed labels of the spec; checked here rather than generated."""
    tables = described(metadata)
    applications = tables["applications"]["columns"]
    for column, label in application_column_labels().items():
        if column != "total":
            assert label in applications[f"received_{column}"], column
    reviews = tables["reviews_litigation"]["columns"]
    for key in review_keys():
        group, measure = review_labels(key)
        assert group in reviews[key.replace(".", "_")] and measure in reviews[key.replace(".", "_")], key


def test_outcome_labels_are_the_spec_rows(metadata):
    sql = metadata["databases"]["govcrawl"]["queries"]["outcome_shares"]["sql"]
    listed = dict(re.findall(r"\(\d+, '([a-z_.]+)', '([^']+)'\)", sql))
    outcomes = {
        row.key: row
        for row in application_rows()
        if row.key not in ("new_received", "carried_over", "total", "carried_forward")
        and not row.key.startswith("other.")
    }
    outcomes["other"] = next(row for row in application_rows() if row.key == "other.total")
    assert set(listed) == set(outcomes)
    for key, label in listed.items():
        *parent, own = label.split(" ")
        assert core(own) == outcomes[key].core, key
        assert [core(p) for p in parent] == ([outcomes[key].parent_core] if outcomes[key].parent_core else [])


def test_canned_queries_run_on_a_crawled_database(crawled, metadata):
    queries = metadata["databases"]["govcrawl"]["queries"]
    assert {"requests_received", "outcome_shares", "reviews_and_lawsuits", "failed_identities",
            "last_crawl_added", "provenance", "search"} <= set(queries)  # fmt: skip
    for name, query in queries.items():
        params = {p: "复议" for p in re.findall(r"(?<!:):(\w+)", query["sql"])}
        rows = crawled.db.execute(query["sql"], params).fetchall()
        assert rows or name == "provenance", name


def test_coverage_grid_has_the_years_a_running_crawl_will_add(tmp_path):
    """Written when the server starts: on a database still empty (a crawl just begun) the grid
    already has a column for every year up to the latest whose reports are due."""
    from datetime import date

    import sqlite_utils

    from govcrawl.serve import coverage_grid
    from pipelines.store import ensure_schema

    db = tmp_path / "new.db"
    ensure_schema(sqlite_utils.Database(db))
    sql = coverage_grid(db, today=date(2031, 6, 1))["sql"]  # reports on 2030 are due by 2031-03-31
    assert '"2008"' in sql and '"2030"' in sql and '"2031"' not in sql
    early = coverage_grid(db, today=date(2031, 3, 1))["sql"]  # not yet
    assert '"2029"' in early and '"2030"' not in early
