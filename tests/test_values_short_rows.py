"""Table-三 rows printed one cell short, on a hostile page: weighed up to a budget per page."""

from __future__ import annotations

import time

from pipelines.cells import text_cells
from pipelines.limits import collecting
from pipelines.values import MAX_SHORT_ROWS, read_tables

HEADER = ["申请人情况", "自然人", "法人或其他组织", "总计", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]


def test_thousands_of_rows_one_cell_short_cost_a_bounded_time():
    rows = ["（一）予以公开", "1", "2", "3", "4", "5", "15"] * 5_000  # 6 of 7 cells, over and over
    started = time.process_time()
    with collecting() as noted:
        reading = read_tables(text_cells("\n".join(["三、收到和处理政府信息公开申请情况", *HEADER, *rows])))
    assert time.process_time() - started < 5  # some 4 s when each row copied the rest of the page
    assert any("MAX_SHORT_ROWS" in line for line in noted)
    assert sum("has 6 of its 7 cells" in p for p in reading.problems) == MAX_SHORT_ROWS
    # the row is printed thousands of times: whatever is kept is the first printing's
    for key, value in reading.values.items():
        assert key.startswith("applications.granted."), key
        assert value.value in (1, 2, 3, 4, 5, 15)


PARTIAL_TABLE = "\n".join(["某县2021年政府信息公开工作年度报告", "三、收到和处理政府信息公开申请情况", *HEADER[:1],
                           "自然人", "法人或其他组织", "总计", *HEADER[4:]])  # fmt: skip


def test_a_row_short_because_two_cells_ran_together_gives_no_number():
    # the printed row is 1 0 2 3 0 0 6 with "2" and "3" run together by the PDF text: six cells
    # where one was not lost at all; on a table with no identities to check, nothing is certain
    from pipelines.process import process_page

    for row in ("（一）予以公开 1 0 23 0 0 6", "1.本机关不掌握相关政府信息 22 0 0 0 3 24"):
        page = process_page(f"{PARTIAL_TABLE}\n{row}\n".encode(), "text/plain; charset=utf-8").parsed
        assert not [key for key in page.values if key.startswith("applications.")], row
        assert any("table 三" in problem for problem in page.problems)
