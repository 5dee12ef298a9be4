"""Dates and document numbers whose 年/月/日/〕/号 a copy dropped (`2021926` for 2021年9月26日,
`〔202130` and `〔20191 号` for 〔2021〕30号 and 〔2019〕1号, `201811日`, `20171月1日`), put back
only where one reading is left:

- a document number: 〔 and a four-digit year make the split certain;
- a date with some of its marks: the digits must split into one valid month and day (or one
  on or before the page's own publish date);
- a date with none of its marks (`2019312`): one reading within the year before the publish
  date, as before.
The whole squashed form is replaced, 日 included, so a repair never writes 日日.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from pipelines.dates import published_date

DOCUMENT_NUMBER = re.compile(r"〔(20\d{2})(\d{1,4}) ?(号|號)?(?![\d〕])")
# Not inside a URL, a file name or an identifier (t20130117_80725.htm).
MARKED_DATE = re.compile(
    r"(20(?<![A-Za-z0-9_/.\-=]20)\d{2})(?:(\d{1,2})月(\d{1,2})日|年?(\d{2,4})日)(?![\d])"
)
SQUASHED_DATE = re.compile(r"(20(?<![A-Za-z0-9_/.\-=]20)\d{2})(\d{2,4})(?![\d.A-Za-z_/\-])")


def date_readings(year: int, digits: str) -> list[date]:
    out = []
    for split in range(1, len(digits)):
        month, day = digits[:split], digits[split:]
        if len(month) > 2 or len(day) > 2 or month.startswith("0") and len(month) == 1:
            continue
        try:
            out.append(date(year, int(month), int(day)))
        except ValueError:
            continue
    return out


def repair_document_numbers(text: str) -> tuple[str, int]:
    if "〔" not in text:
        return text, 0
    return DOCUMENT_NUMBER.subn(lambda m: f"〔{m.group(1)}〕{m.group(2)}{m.group(3) or '号'}", text)


def repair_dates(text: str, published: date | None = None) -> tuple[str, int]:
    text, numbers = repair_document_numbers(text)
    marked = SQUASHED_DATE.search(text) or MARKED_DATE.search(text)
    if not marked:
        return text, numbers
    published = published or published_date(text)
    repaired = 0

    def with_marks(match: re.Match) -> str:
        nonlocal repaired
        year = int(match.group(1))
        if match.group(2):
            readings = _valid(year, match.group(2), match.group(3))
        else:
            readings = date_readings(year, match.group(4))
            if len(readings) > 1 and published:
                readings = [d for d in readings if d <= published]
        if len(readings) != 1:
            return match.group()
        repaired += 1
        d = readings[0]
        return f"{d.year}年{d.month}月{d.day}日"

    text = MARKED_DATE.sub(with_marks, text)
    if published is None or not SQUASHED_DATE.search(text):
        return text, numbers + repaired
    earliest = published - timedelta(days=366)

    def bare(match: re.Match) -> str:
        nonlocal repaired
        if match.start() and (text[match.start() - 1].isdigit() or text[match.start() - 1] == "."):
            return match.group()
        year, digits = int(match.group(1)), match.group(2)
        plausible = [d for d in date_readings(year, digits) if earliest <= d <= published]
        if len(plausible) != 1:
            return match.group()
        repaired += 1
        d = plausible[0]
        return f"{d.year}年{d.month}月{d.day}日"

    return SQUASHED_DATE.sub(bare, text), numbers + repaired


def _valid(year: int, month: str, day: str) -> list[date]:
    try:
        return [date(year, int(month), int(day))]
    except ValueError:
        return []
