"""The year a report covers (not the year it was published), from the strongest evidence:
the title's year; the statistics period (统计期限为 / 统计期为 / 统计时限为 / 统计期限自 …
YYYY年1月1日); the opening statement (现将我局2019年…报告如下, 现就<机关>2009年度…报告如下, 现公布…2022年…报告); a
sentence opening with the year (`2022年，`, `2019年度我局`); the URL (…/2019n/…, 2020ndgb,
n2021n.htm, fbtime=2018). Nothing else: a year guessed from the publish date would be wrong for
a late report and for every notice, so a page without evidence has none.
"""

from __future__ import annotations

import re

from pipelines.chrome import report_url
from pipelines.titles import YEAR

OPENING_CHARS = 3000
Y = r"((?:19|20)\d{2})\s*年"
PERIOD = re.compile(
    r"统计(?:期限|期|时限|时间|数据时限|数据的期限)[^。；\d]{0,8}?" + Y
    + r"|(?:所列|统计)[^。；\d]{0,12}?" + Y + r"\s*1\s*月\s*1\s*日\s*(?:起)?\s*(?:至|到|—|-|～)"
)
STATEMENT = re.compile(
    r"(?:现将|现就|现公布|现发布|现向社会公布|特向社会公布|特向社会公开|特公布|向社会公开|向社会公布|编制|现编制|制定|形成)[^。；\d]{0,40}?" + Y
    + r"度?[^。；]{0,40}?(?:报告|总结|小结)"
    # the report named at the opening of a line: 大竹县2009年政府信息公开工作年度报告(以下简称年报)
    + r"|(?:^|\n)[\u4e00-\u9fff]{2,30}?" + Y + r"度?[^。；，,\n]{0,24}?(?:年度报告|年报)[（(]以下简称"
)
OPENING_YEAR = re.compile(
    r"(?:^|\n)[ \t]*" + Y + r"度?[ \t]*(?:以来)?[ \t]*[，,]"
    + r"|" + Y + r"度?\s*[，,]?\s*(?:我|本)(?:局|办|镇|乡|街道|单位|区|县|市|委|中心|室|院|所|厅)"
)
# A year in a URL's path or query: 2019n/, 2020ndgb, n2021n.htm, fbtime=2018, timeFrame=2021.
URL_YEAR = re.compile(r"(?<![0-9])((?:19|20)\d{2})(?=n|年)|(?:fbtime|timeframe|year|nd)=((?:19|20)\d{2})(?![0-9])", re.I)


def report_year(title: str | None, text: str, url: str | None = None) -> int | None:
    match = YEAR.search(title or "")
    if match:
        return int(match.group()[:4])
    opening = text[:OPENING_CHARS]
    for pattern in (PERIOD, STATEMENT, OPENING_YEAR):
        match = pattern.search(opening)
        if match:
            return int(next(group for group in match.groups() if group))
    # The page's printed date is no evidence (reports come late, notices early); the URL's year,
    # or its filing month in a report column when reports are due, is.
    return url_year(url)


# The month a CMS files a page under (/201803/, t20180309_406390): its publication.
URL_PUBLISHED = re.compile(r"/((?:19|20)\d{2})(0[1-9]|1[0-2])/|(?<![0-9A-Za-z])t((?:19|20)\d{2})(0[1-9]|1[0-2])\d{2}_")
# A report is due by 31 March (2008 rules) or 31 January (2019 rules) of the year after the
# one it covers: one filed in a report column in those months covers the year before.
DUE_BY_MONTH = 3


def url_year(url: str | None) -> int | None:
    if not url or not report_url(url) and not URL_YEAR.search(url.split("?")[0].rsplit("/", 1)[-1]):
        return None
    match = URL_YEAR.search(url)
    if match:
        return int(next(group for group in match.groups() if group))
    published = URL_PUBLISHED.search(url.split("?")[0]) if report_url(url) else None
    if published is None:
        return None
    year, month = (int(group) for group in published.groups() if group)
    return year - 1 if month <= DUE_BY_MONTH else None
