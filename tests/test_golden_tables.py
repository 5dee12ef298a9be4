"""Real reports' facts (tests/golden/reports), rendered by our generator in every shape real
reports are printed in, read back by the parser: every value emitted and right, or left out
with a recorded problem, never a wrong one."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipelines.process import process_page
from tests.golden_render import SHAPES, cases, render


@dataclass
class Tally:
    right: int = 0
    wrong: list[str] = field(default_factory=list)
    left_out_recorded: int = 0
    left_out_silent: list[str] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return self.right + len(self.wrong) + self.left_out_recorded + len(self.left_out_silent)


def parsed_page(case: dict, shape: str):
    page, is_html = render(case, shape)
    return process_page(page.encode("utf-8"), "text/html; charset=utf-8" if is_html else "text/plain; charset=utf-8").parsed


def table_of(key: str) -> str:
    return "table 二" if key.startswith("active.") else "table 三" if key.startswith("applications.") else "table 四"


def tally(case: dict, shape: str, into: Tally) -> Tally:
    parsed = parsed_page(case, shape)
    for key, expected in case["values"].items():
        got = parsed.values.get(key)
        if got is None:
            if any(table_of(key) in problem for problem in parsed.problems):
                into.left_out_recorded += 1
            else:
                into.left_out_silent.append(key)
        elif float(got.value) == pytest.approx(expected):
            into.right += 1
        else:
            into.wrong.append(f"{key}: {got.value} != {expected}")
    return into


def test_golden_corpus_is_there():
    found = cases()
    assert len(found) >= 5
    assert len({case["portal"] for case in found.values()}) >= 2


READ_WHOLE = tuple(shape for shape in SHAPES if shape != "run_together")


@pytest.mark.parametrize("shape", SHAPES)
def test_golden_values_never_wrong_never_silently_left_out(shape):
    total = Tally()
    for case in cases().values():
        tally(case, shape, total)
    print(f"{shape}: {total.right}/{total.expected} emitted and right, {len(total.wrong)} wrong, "
          f"{total.left_out_recorded} left out with a problem, {len(total.left_out_silent)} silently")
    assert total.wrong == []
    assert total.left_out_silent == []


@pytest.mark.parametrize("shape", READ_WHOLE)
def test_golden_values_in_every_shape(shape):
    total = Tally()
    for case in cases().values():
        tally(case, shape, total)
    emitted = total.right + len(total.wrong)
    assert total.right >= 0.995 * total.expected, (total.right, total.expected)
    assert emitted > 0


@pytest.mark.parametrize("name", sorted(cases()))
def test_observed_shape_reads_every_value(name):
    case = cases()[name]
    parsed = parsed_page(case, None)
    got = {key: float(v.value) for key, v in parsed.values.items()}
    assert {key: got.get(key) for key in case["values"]} == pytest.approx(case["values"])


ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("name", sorted(name for name, case in cases().items() if case.get("page_file")))
def test_the_real_page_itself(name):
    """Where the real page is kept in the repository (tests/data), the parser reads it whole."""
    case = cases()[name]
    path = ROOT / case["page_file"]
    parsed = process_page(path.read_bytes(), "text/html" if path.suffix == ".html" else None).parsed
    got = {key: float(v.value) for key, v in parsed.values.items()}
    assert {key: got.get(key) for key in case["values"]} == pytest.approx(case["values"])


def test_the_catalogue_holds_what_the_golden_reports_print():
    """The replica prints from pipelines/data/printed_labels.yaml: every table-三 row label a
    golden report prints (brackets aside) is one of the catalogue's variants for its row."""
    from pipelines.printed import catalogue
    from pipelines.schema import squeeze

    variants = {key: {squeeze(v) for v in labels} for key, labels in catalogue()["application_row_labels"].items()}
    for name, case in cases().items():
        rows = list(dict.fromkeys(k.rsplit(".", 1)[0][len("applications."):] for k in case["values"] if k.startswith("applications.")))
        for row, parts in zip(rows, case["tables"]["applications"]["row_labels"], strict=True):
            assert squeeze(parts[-1]) in variants[row], (name, row, parts[-1])


def test_run_together_rows_of_a_report_printing_its_result_totals_as_0():
    """Shanghai's 2019 report prints 0 as the 总计 of every result row of table 三. Run
    together, those rows add up to no 总计; the applicant columns' identities settle them."""
    case = cases()["www.shanghai.gov.cn_2019_bgt"]
    assert case["values"]["applications.granted.total"] == 0 and case["values"]["applications.granted.natural_person"] == 258
    parsed = parsed_page(case, "run_together")
    table_three = {key: value for key, value in case["values"].items() if key.startswith("applications.")}
    assert {key: float(parsed.values[key].value) for key in table_three if key in parsed.values} == pytest.approx(table_three)
