"""The numbered sections of a report (一、总体情况 … 六、其他需要报告的事项) and their text.

A heading is a short line opening with the next numeral in sequence. Table rows that open
with a numeral too (一、本年新收政府信息公开申请数量, 四、结转下年度继续办理) are table
labels, not headings, so labels of the spec's tables are skipped.
"""

from __future__ import annotations

import re
from functools import cache

from pipelines.schema import application_rows, core, legacy_table_map

NUMERALS = "一二三四五六七八九十"
HEADING = re.compile(r"^(?P<numeral>[一二三四五六七八九十]{1,2})\s*[、.．]\s*(?P<title>[^\t]{2,40})$")


@cache
def table_label_cores() -> frozenset[str]:
    return frozenset(
        [row.core for row in application_rows()] + list(legacy_table_map()) + [core("本年度办理结果")]
    )


def numeral_value(numeral: str) -> int:
    if numeral == "十":
        return 10
    if numeral.startswith("十"):
        return 10 + NUMERALS.index(numeral[1]) + 1
    return NUMERALS.index(numeral[0]) + 1


def split_sections(text: str) -> list[dict]:
    """[{n, heading, text}] in order; [] when the page has no numbered sections."""
    sections: list[dict] = []
    body: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        match = HEADING.match(stripped)
        if (
            match
            and numeral_value(match.group("numeral")) == len(sections) + 1
            and not stripped.endswith(("。", "；"))
            and core(stripped) not in table_label_cores()
        ):
            if sections:
                sections[-1]["text"] = "\n".join(body).strip()
            sections.append({"n": len(sections) + 1, "heading": stripped, "text": ""})
            body = []
        elif sections and stripped:
            body.append(stripped)
    if sections:
        sections[-1]["text"] = "\n".join(body).strip()
    return sections
