"""Run-together table-三 rows settled jointly by the column identities (pipelines.joint_split).

The tables here are written by hand: a 2019-format table 三 whose rows and columns add up,
printed with its cells run together. Expected values are the numbers written into the table."""

from __future__ import annotations

from decimal import Decimal

from pipelines.cells import text_cells
from pipelines.joint_split import joint_choice
from pipelines.values import read_tables

HEADER = ["申请人情况", "自然人", "法人或其他组织", "总计", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
ROWS_2019 = [
    ("一、本年新收政府信息公开申请数量", "new_received"),
    ("二、上年结转政府信息公开申请数量", "carried_over"),
    ("三、本年度办理结果", None),
    ("（一）予以公开", "granted"),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_granted"),
    ("（三）不予公开", None),
    ("1.属于国家秘密", "denied.state_secret"),
    ("2.其他法律行政法规禁止公开", "denied.law_prohibited"),
    ("3.危及“三安全一稳定”", "denied.three_safeties_one_stability"),
    ("4.保护第三方合法权益", "denied.third_party_rights"),
    ("5.属于三类内部事务信息", "denied.internal_affairs"),
    ("6.属于四类过程性信息", "denied.process_information"),
    ("7.属于行政执法案卷", "denied.law_enforcement_files"),
    ("8.属于行政查询事项", "denied.administrative_query"),
    ("（四）无法提供", None),
    ("1.本机关不掌握相关政府信息", "unable.not_held"),
    ("2.没有现成信息需要另行制作", "unable.needs_creation"),
    ("3.补正后申请内容仍不明确", "unable.unclear_after_correction"),
    ("（五）不予处理", None),
    ("1.信访举报投诉类申请", "not_processed.petition_complaint"),
    ("2.重复申请", "not_processed.duplicate"),
    ("3.要求提供公开出版物", "not_processed.publications"),
    ("4.无正当理由大量反复申请", "not_processed.mass_repeated"),
    ("5.要求行政机关确认或重新出具已获取信息", "not_processed.confirm_or_reissue"),
    ("（六）其他处理", "other.total"),
    ("（七）总计", "total"),
    ("四、结转下年度继续办理", "carried_forward"),
]
COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")
ZERO = (0, 0, 0, 0, 0, 0, 0)


def table(rows: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """The given result rows, the rest zero, with 总计 and 本年新收 made to add up."""
    full = {key: rows.get(key, ZERO) for _, key in ROWS_2019 if key}
    results = [key for _, key in ROWS_2019 if key and key not in ("new_received", "carried_over", "total", "carried_forward")]
    full["total"] = tuple(sum(full[key][c] for key in results) for c in range(7))
    full["new_received"] = tuple(full["total"][c] + full["carried_forward"][c] - full["carried_over"][c] for c in range(7))
    return full


def run_together_page(rows: dict[str, tuple[int, ...]], zeros_empty: bool = False) -> str:
    """Table 三 with each row's cells run together; `zeros_empty`: a 0 was printed as an empty cell."""
    lines = ["三、收到和处理政府信息公开申请情况", *HEADER]
    for label, key in ROWS_2019:
        lines.append(label + ("".join(str(n) for n in rows[key] if n or not zeros_empty) if key else ""))
    return "\n".join(lines)


def read(rows: dict[str, tuple[int, ...]]):
    reading = read_tables(text_cells(run_together_page(rows)))
    return {key: int(v.value) for key, v in reading.values.items()}, reading.problems


def expected(rows: dict[str, tuple[int, ...]], key: str) -> dict[str, int]:
    return {f"applications.{key}.{c}": n for c, n in zip(COLUMNS, rows[key], strict=True)}


def test_rows_with_several_splits_are_settled_by_the_column_identities():
    # 予以公开 110000011 adds up as 1,10,0,0,0,0,11 and as 11,0,0,0,0,0,11; 部分公开 1200003
    # only as 1,2,0,0,0,0,3. 总计 and 本年新收 then differ between the two readings of 予以公开.
    rows = table({"granted": (1, 10, 0, 0, 0, 0, 11), "partially_granted": (1, 2, 0, 0, 0, 0, 3)})
    assert rows["total"] == (2, 12, 0, 0, 0, 0, 14)
    values, problems = read(rows)
    assert expected(rows, "granted").items() <= values.items()
    assert expected(rows, "partially_granted").items() <= values.items()
    assert expected(rows, "total").items() <= values.items()
    assert not [p for p in problems if "run together" in p]


def test_two_rows_that_could_trade_their_splits_are_left_out():
    # 1.属于国家秘密 and 2.其他法律行政法规禁止公开 both print 110000011: (1,10,…,11) and
    # (11,0,…,11) in either order add up to the same columns, so no split is certain
    rows = table({"denied.state_secret": (1, 10, 0, 0, 0, 0, 11), "denied.law_prohibited": (11, 0, 0, 0, 0, 0, 11)})
    values, problems = read(rows)
    assert not any(key.startswith(("applications.denied.state_secret.", "applications.denied.law_prohibited.")) for key in values)
    assert sum("run together" in p and "no split" in p for p in problems) == 2
    assert expected(rows, "total").items() <= values.items()  # the certain rows are kept


def test_a_table_that_breaks_its_row_identity_settles_nothing():
    rows = table({"granted": (1, 10, 0, 0, 0, 0, 11)})
    rows["unable.not_held"] = (3, 0, 0, 0, 0, 0, 0)  # printed 总计 left empty: 3 ≠ 0
    rows["total"] = tuple(a + b for a, b in zip(rows["total"], (3, 0, 0, 0, 0, 0, 0), strict=True))
    rows["new_received"] = tuple(a + b for a, b in zip(rows["new_received"], (3, 0, 0, 0, 0, 0, 0), strict=True))
    page_rows = dict(rows)
    page_rows["unable.not_held"] = ()  # printed apart, cell per line below
    lines = run_together_page(page_rows).split("\n")
    at = lines.index("1.本机关不掌握相关政府信息")
    lines[at + 1 : at + 1] = ["3", "0", "0", "0", "0", "0", "0"]
    reading = read_tables(text_cells("\n".join(lines)))
    assert reading.values["applications.unable.not_held.natural_person"].value == 3
    assert not any(key.startswith("applications.granted.") for key in reading.values)
    assert any("'(一)予以公开'" in p and "no split" in p for p in reading.problems)


def test_joint_choice_needs_the_whole_table():
    rows = table({"granted": (1, 10, 0, 0, 0, 0, 11)})
    known = {
        f"applications.{key}.{c}": Decimal(n)
        for key, numbers in rows.items() if key != "granted" for c, n in zip(COLUMNS, numbers, strict=True)
    }  # fmt: skip
    candidates = [[
        {f"applications.granted.{c}": Decimal(n) for c, n in zip(COLUMNS, split, strict=True)}
        for split in ((1, 10, 0, 0, 0, 0, 11), (11, 0, 0, 0, 0, 0, 11))
    ]]  # fmt: skip
    assert joint_choice(known, candidates) == [0]
    del known["applications.denied.state_secret.research"]  # one cell of the table lost
    assert joint_choice(known, candidates) is None


def test_many_rows_with_many_splits_cost_a_bounded_search():
    import time

    from pipelines.limits import collecting

    results = [key for _, key in ROWS_2019 if key and key not in ("new_received", "carried_over", "total", "carried_forward")]
    rows = table(dict.fromkeys(results, (11, 1, 11, 1, 11, 1, 36)))  # 11111111136: 20 cuts add up
    started = time.perf_counter()
    with collecting() as noted:
        values, problems = read(rows)
    assert time.perf_counter() - started < 5
    for key in results:
        for column, number in expected(rows, key).items():
            assert values.get(column, number) == number
    assert any("MAX_STEPS" in line for line in noted)
    assert any("no split into 7 cells is certain" in p for p in problems)


def test_a_digit_run_with_dead_ends_everywhere_costs_a_bounded_time():
    # 24 ones then 15 zeros as a table-四 row of 15 cells: the zeros can only be 15 cells, so
    # every cut of the ones is a dead end; counting only finished splits, this took 16-32 s
    import time

    from pipelines.run_together import candidate_splits

    started = time.process_time()
    assert candidate_splits("1" * 24 + " " + "0" * 15, 15, lambda numbers: True, 50) is None
    assert time.process_time() - started < 2


RESULT_ROWS = [key for _, key in ROWS_2019 if key and key not in ("new_received", "carried_over", "total", "carried_forward")]


def totals_printed_0(rows: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """The table as a report prints it that fills every result row's 总计 with 0."""
    return {key: (*numbers[:6], 0) if key in RESULT_ROWS else numbers for key, numbers in rows.items()}


def read_never_wrong(rows: dict[str, tuple[int, ...]]):
    """`read`, asserting that every value read is the one printed."""
    values, problems = read(rows)
    for key, number in values.items():
        row, column = key[len("applications."):].rsplit(".", 1)
        assert number == rows[row][COLUMNS.index(column)], key
    return values, problems


def test_a_report_printing_its_result_rows_totals_as_0_is_read_by_its_columns():
    # 2581200110 has no split adding up to its 总计 (0); with the 总计 column no ground, the
    # six applicant columns' identities settle every row: 258 12 0 0 1 1 0, not 25 81 2 0 0 1 10
    rows = totals_printed_0(table({
        "granted": (258, 12, 0, 0, 1, 1, 272), "partially_granted": (3, 0, 0, 0, 0, 0, 3),
        "unable.not_held": (252, 12, 0, 0, 1, 0, 265), "denied.administrative_query": (10, 2, 0, 0, 0, 0, 12),
    }))  # fmt: skip
    assert rows["granted"] == (258, 12, 0, 0, 1, 1, 0)
    values, problems = read(rows)
    for key in rows:
        assert expected(rows, key).items() <= values.items(), key
    assert not [p for p in problems if "run together" in p]


def test_a_row_adding_up_by_chance_where_totals_are_printed_0_is_not_read_so():
    # 1 0 0 0 54 1 with 总计 printed 0 runs together as 10005410, which also adds up as
    # 1 0 0 0 5 4 10. One application more carried forward than the columns balance: the
    # columns settle nothing, and no row whose digits could end in a 总计 of 0 is read by its
    # own 总计.
    rows = totals_printed_0(table({"granted": (258, 12, 0, 0, 1, 1, 272), "unable.unclear_after_correction": (1, 0, 0, 0, 54, 1, 56)}))
    rows["carried_forward"] = (rows["carried_forward"][0] + 1, *rows["carried_forward"][1:6], rows["carried_forward"][6] + 1)
    values, problems = read_never_wrong(rows)
    assert "applications.unable.unclear_after_correction.legal_services" not in values
    assert any("10005410" in p and "no split" in p for p in problems)
    assert expected(rows, "denied.state_secret").items() <= values.items()  # 0000000 is certain


def test_where_totals_are_printed_0_and_the_columns_settle_nothing_no_split_rests_on_its_row_total():
    # 上年结转 printed 22 33 0 0 419 27 with a 总计 of 492 (its cells add up to 501: a
    # misprint) runs together as 22330041927492, which adds up as 22 330 0 41 92 7 492. In a
    # table printing its result rows' 总计 as 0 whose columns then settle nothing, a row's own
    # 总计 is no ground: only rows whose digits cut into 7 numbers one way are read.
    rows = totals_printed_0(table({"granted": (258, 12, 0, 0, 1, 1, 272)}))
    rows["carried_over"] = (22, 33, 0, 0, 419, 27, 492)
    values, problems = read_never_wrong(rows)
    assert "applications.carried_over.commercial" not in values
    assert any("22330041927492" in p and "no split" in p for p in problems)
    assert expected(rows, "denied.state_secret").items() <= values.items()


def test_no_run_together_row_is_split_where_the_report_prints_empty_cells():
    # The report leaves its zeros empty; run together, 2 27 88 2 _ 58 177 is 22788258177,
    # which also adds up as 2 2 78 82 5 8 177. Rows of fewer than 7 digits (予以公开 33) show
    # the empty cells, so no row of the table is split.
    rows = table({"unable.unclear_after_correction": (2, 27, 88, 2, 0, 58, 177), "granted": (3, 0, 0, 0, 0, 0, 3)})
    reading = read_tables(text_cells(run_together_page(rows, zeros_empty=True)))
    assert not any(key.startswith("applications.") for key in reading.values)
    assert any("22788258177" in p and "prints empty cells" in p for p in reading.problems)


def test_no_table_two_row_is_cut_where_the_report_prints_empty_cells():
    # 规章 printed _ _ 305 and 规范性文件 12 _ _, run together: 规章305 cuts one way only, into
    # 3 0 5, which is wrong; 规范性文件12 (2 digits for 3 cells) shows the empty cells.
    header = ["二、主动公开政府信息情况", "信息内容本年新制作数量本年新公开数量对外公开总数量"]
    reading = read_tables(text_cells("\n".join([*header, "规章305", "规范性文件12"])))
    assert not any(key.startswith("active.") for key in reading.values)
    assert any("'规章'" in p and "prints empty cells" in p for p in reading.problems)
    printed = read_tables(text_cells("\n".join([*header, "规章00305", "规范性文件1200"])))  # zeros printed
    assert {key: int(v.value) for key, v in printed.values.items() if key.startswith("active.regulations.")} == {
        "active.regulations.new_made": 0, "active.regulations.new_published": 0, "active.regulations.total_published": 305}


def test_a_row_printed_with_no_number_among_run_together_rows_shows_the_empty_cells():
    # Every row that prints a figure prints at least 7 digits (22788258177 in three rows:
    # 2 27 88 2 _ 58 177, the table's only applications); the rows of zeros print their label
    # alone. A label alone between rows run together shows the empty cells as well. (The three
    # rows cut alike into 2 2 78 82 5 8 177, so every identity held over the wrong numbers.)
    rows = table({"unable.unclear_after_correction": (2, 27, 88, 2, 0, 58, 177)})
    assert rows["new_received"] == rows["total"] == (2, 27, 88, 2, 0, 58, 177)
    reading = read_tables(text_cells(run_together_page(rows, zeros_empty=True)))
    assert not any(key.startswith("applications.") for key in reading.values)
    assert any("22788258177" in p and "prints empty cells" in p for p in reading.problems)
