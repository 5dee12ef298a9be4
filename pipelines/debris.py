"""Debris that copying leaves in report text, removed with a count of what was cut:

- doubled punctuation (`，，`, `,,`) and a comma before the enumeration comma (`，、`): Chinese
  text never writes either;
- a year split by a space before 年 (`201 2年`), as farms' inserts and removals leave it;
- a line break right after 《 or before 》: a title is never broken there.
"""

from __future__ import annotations

import re

DOUBLED_GATE = ("，，", ",,", "，、", ",、")  # the forms seen; each test is a full scan
DOUBLED = re.compile(r"([，,])\1+")
COMMA_BEFORE_ENUMERATION = re.compile(r"[，,](?=、)")
SPLIT_YEAR = re.compile(r"(\d{1,3}) (\d{1,3})年")
SPLIT_YEAR_GATE = re.compile(r" \d{1,3}年")  # starts with a literal: the engine skips ahead
BROKEN_TITLE = re.compile(r"《[ \t]*\n[ \t\n]*|\n[ \t]*(?=》)")  # no \\s* before \\n: linear


def remove_debris(text: str) -> tuple[str, int]:
    count = 0
    if any(pair in text for pair in DOUBLED_GATE):
        text, n = DOUBLED.subn(r"\1", text)
        count += n
        text, n = COMMA_BEFORE_ENUMERATION.subn("", text)
        count += n
    if SPLIT_YEAR_GATE.search(text):

        def join(match: re.Match) -> str:
            nonlocal count
            year = match.group(1) + match.group(2)
            before = text[match.start() - 1 : match.start()]
            if len(year) == 4 and year[:2] in ("19", "20") and not (before.isdigit() or before == "."):
                count += 1
                return year + "年"
            return match.group()

        text = SPLIT_YEAR.sub(join, text)
    if any(mark in text for mark in ("《\n", "\n》", "《 \n", "\n 》")):  # before the pattern
        text, n = BROKEN_TITLE.subn(lambda m: "《" if m.group().startswith("《") else "", text)
        count += n
    return text, count
