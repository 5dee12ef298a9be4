"""The page's own publish date, from its header: 发布时间:2022-01-29, 发布时间 2022-01-29 (no
colon), 发布日期2026-01-27, a label on one line and its date on the next, 公开日期: | 2015-08-03
(a header table's cells), 公告日期:2023-03-22 (a listed company's bulletin), or a bare date
before 作者/来源/点击数, perhaps with its time (2022年01月18日来源:…, 2017-03-28 10:18 来源:…), or a
date label run into the field before it (来源：平潭县人民政府时间：2022-02-08);
last, a date with its time of day on one of the page's first lines, unlabelled (a content farm's
生活百科 2023-01-26 17:49).

A catalogue entry's date (生成日期, 发文日期) is taken only when no publish date is printed; the
date a document was signed (成文日期) and an archive, repeal or effect date (归档时间, 废止时间,
生效时间) never are. On a 政府信息公开平台 page the metadata table prints 成文日期 and 发布日期 side
by side: the page's published_date is its 发布日期; the 成文日期 is not stored (no column holds it)
and never stands in for the publish date, as a document is often signed weeks before it is put up.
"""

from __future__ import annotations

import re
from datetime import date

HEAD_CHARS = 6000  # the header is near the top; a date deep in the body is not the page's
DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
GAP = r"[ \t]*[:：]?\s*(?:\|[ \t]*)?"  # a colon or none, a line break or a header-table cell
PUBLISHED = re.compile(
    r"(?:(?:发布|發布|更新|发表|發表|公开|公開|公告)(?:时间|時間|日期)|(?<![\u4e00-\u9fff])(?:时间|時間|日期))" + GAP + DATE
)
# A date with its time of day on a short header line with no label: 生活百科 2023-01-26 17:49….
# Only among the page's first lines, and never on a line that labels another kind of date.
STAMPED = re.compile(r"^[^\n。；：:]{0,12}?" + DATE + r"[ \t]+\d{1,2}:\d{2}", re.M)
STAMP_LINES = 8
OTHER_DATES = re.compile(r"成文|归档|废止|生效|生成|发文|截止|截至")
# A header line whose fields ran together (a page printed to PDF, a copy's text): 来源：平潭县人民
# 政府时间：2022-02-08. 时间 after a Hanzi is a date label here, as the field before it ends.
FIELDS_RUN_TOGETHER = re.compile(r"(?:来源|作者|发布机构|发布单位)[ \t]*[:：][^\n:：]{1,40}?(?:时间|時間|日期)" + GAP + DATE)
CREATED = re.compile(r"(?:生成|发文|發文)(?:日期|时间)" + GAP + DATE)
# 2017-03-28 10:18 来源: …: a time of day may stand between the date and the field after it.
BARE = re.compile(r"^" + DATE + r"日?(?:[ \t]+\d{1,2}:\d{2}(?::\d{2})?)?[ \t]*(?:作者|来源|點擊|点击|浏览|阅读)", re.M)


def published_date(text: str) -> date | None:
    head = text[:HEAD_CHARS]
    for pattern in (PUBLISHED, FIELDS_RUN_TOGETHER, BARE, CREATED):
        for match in pattern.finditer(head):
            found = valid(match)
            if found:
                return found
    first = [line for line in head.splitlines() if line.strip()][:STAMP_LINES]
    for line in first:
        match = STAMPED.match(line.strip())
        if match and not OTHER_DATES.search(line):
            found = valid(match)
            if found:
                return found
    return None


def valid(match: re.Match) -> date | None:
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None
