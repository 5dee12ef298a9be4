"""The issuing agency: from the title, else from the opening sentences that name it.

Titles print the agency before the year (攀枝花市东区2019年…), after it (2022年上海市政府信息
公开…), or before 关于 (贺州市人民政府办公室关于公布…的通知). Untitled pages name it in their
opening: 现公布<机关><年>…年度报告, 特向社会公布<年>年度<机关>…报告, 本报告由<机关>…编制,
<机关><年>…年度报告(以下简称年报). An agency read from a sentence must start with a place
(…省, …市, …区, …县, …镇, …街道): 我局, 区政府办公室 or 为做好 are fragments, and a fragment
is left out rather than stored.

Pages of a 政府信息公开平台 lead with a metadata table (索引号 / 发布机构 / 成文日期 / 文号 …), read
from the page's text as a label and the value after it (a colon or none, a cell break, or the next
line). Its 发布机构 is taken only when it is a whole name: the real tables print 政务服务管理局
(the portal's office, not the report's agency), 市政府办, 市人力社保局 or 冠县政府 as often as a
full name, so an abbreviation or a portal office is left out. The title, when it names the
agency, is stronger evidence than the table; the table, stronger than the opening sentences.
"""

from __future__ import annotations

import re

from pipelines.titles import YEAR

OPENING_CHARS = 1500  # the opening statement is at the top of the body
MAX_TRIES = 20  # matches of one cue looked at
# Words that end the agency in a year-first title or one whose year comes late.
AFTER_AGENCY = re.compile(r"政府信息公开|政务公开|信息公开|依申请公开|政务信息公开")
ISSUING_VERBS = ("关于", "印发", "转发")
QUOTES = re.compile(r"[《》“”\"]")
BRACKETED_PREFIX = re.compile(r"^[【\[][^】\]]{0,10}[】\]]")
AGENCY = r"[\u4e00-\u9fff]{2,40}?"
ALIAS = r"(?:[（(]以下简称[^）)]{1,12}[）)])?"
YEAR_AFTER = r"\s*(?:19|20)\d{2}\s*年"
# What an opening does with the report it names: 现公布 / 特向社会公布 / 向社会公开 / 制定 / 编制 …
# 现就<机关><年>…情况汇总报告如下 names the report as 现公布 does.
VERBS = r"现公布|现发布|现予公布|现向社会公布|特向社会公布|特向社会公开|特公布|向社会公开|向社会公布|现编制|编制|制定|形成|现就"
VERB = r"(?:" + VERBS + r")了?"  # 编制了吉林市卫生健康委员会2022年…
OPENING_CUES = {  # a dict, so that tests/test_regex_linear.py finds each pattern
    # 现公布清远市清新区人民政府办公室(以下简称区政府办公室)2022年政府信息公开工作年度报告
    "publishes": re.compile(VERB + r"《?(?P<agency>" + AGENCY + ")" + ALIAS + YEAR_AFTER),
    # 特向社会公布2024年度永安市卫生健康局信息公开年度报告
    "year_first": re.compile(VERB + r"\s*(?:19|20)\d{2}\s*年度?(?P<agency>" + AGENCY + r")(?:政府)?信息公开"),
    # 2023年,杭州市人力资源和社会保障局根据…编制
    "year_then_agency": re.compile(r"(?:^|\n)[ \t]*(?:19|20)\d{2}\s*年度?[，,](?P<agency>" + AGENCY + r")(?:根据|按照|依据|依照)[^。；\n]{0,80}?编制"),
    # 2024年,城中区人民政府深入贯彻…: the subject of the overview's first sentence, when it is a
    # whole name (an agency's ending) and an adverb of the report's kind follows it
    "year_subject": re.compile(
        r"(?:^|\n)[ \t]*(?:19|20)\d{2}\s*年度?\s*[，,](?P<agency>" + AGENCY
        + r"(?:人民政府|办公室|办公厅|办事处|管委会|委员会|局|街道|镇|乡))(?=坚持|深入|认真|严格|全面|紧紧|紧密|持续|始终|进一步)"
    ),
    # 本报告由保康县农业农村局编制 / 由武进区湖塘镇人民政府编制的2018年度… (cut at AGENCY_END)
    "compiled_by": re.compile(r"由(?P<agency>[\u4e00-\u9fff]{2,60}?)编制"),
    # 大竹县2009年政府信息公开工作年度报告(以下简称年报)
    "named_at_opening": re.compile(r"(?:^|\n)(?P<agency>" + AGENCY + ")" + YEAR_AFTER + r"度?[^。；，,\n]{0,24}?(?:年度报告|年报)[（(]以下简称"),
}
# Words after the agency in 由<机关>结合有关统计数据编制 and the like.
AGENCY_END = re.compile(r"结合|根据|按照|依据|汇总|综合|在总结")
# Adverbs and verbs between the agency and 编制: 由中江县人民政府办公室组织编制 (cut at the end
# only: 组织 inside a name, as in 组织部, is the name's).
TRAILING_VERBS = re.compile(r"(?:组织|牵头|负责|统一|认真)+$")
# What the report is of, printed between the agency and the year: 特向社会公布台州电业局政府信息公开工作2021年度报告.
TRAILING_SUBJECT = re.compile(r"(?:政府信息公开|政务信息公开|政务公开|信息公开)工作$")
# A whole agency name: a place first (one or more characters before its level).
PLACE = re.compile(r"^[\u4e00-\u9fff]{1,12}?(?:自治州|自治县|新区|街道|省|市|区|县|州|旗|盟|镇|乡)|^国家")
DEICTIC = ("我", "本", "该", "其", "各")
# Words no agency name holds: a match that holds one is a piece of a sentence.
NOT_AGENCY = re.compile(r"(?<!信息)公开|公布|发布|编制|制定|印发|报告|根据|按照|依据|依照|要求|规定|关于")


# The table's labels for the issuing agency, as real tables print them (tests/golden/pages/: 发布机构,
# 发布机关, 发布单位, 发文机关, 公开责任部门); 所属机构 and 信息来源 are not the issuer.
TABLE_AGENCY = re.compile(
    r"(?:发\s?布\s?机\s?[构关]|发\s?布\s?单\s?位|发\s?文\s?机\s?关|公开责任部门)"
    r"[ \t]*[:：]?[ \t]*(?:\|[ \t]*)?\n?[ \t]*(?P<agency>[\u4e00-\u9fff（）()]{2,40})(?P<after>[ \t]*[:：]?)"
)
TABLE_CHARS = 3000  # the table stands above the article
# Other labels of the table: a value running into one of these is cut there (发布机构东湖市审计局成文日期).
TABLE_LABELS = re.compile(r"成文日期|发文日期|发布日期|生成日期|公开日期|索引号|文号|主题分类|组配分类|所属机构|信息来源")
# How a whole agency name ends; 政府 alone (冠县政府) and 办 (市政府办) are abbreviations.
WHOLE_ENDING = re.compile(r"(?:人民政府|办公室|办公厅|办事处|局|委员会|委|厅|署|管委会|管理委员会|中心|街道|镇|乡|院|所|站|馆|会|部|处)$")


def agency_in_table(text: str) -> str | None:
    """The 发布机构 of the page's metadata table, when the table prints a whole name."""
    for match in TABLE_AGENCY.finditer(text[:TABLE_CHARS]):
        agency = match.group("agency")
        cut = TABLE_LABELS.search(agency)
        if cut:
            agency = agency[: cut.start()]
        elif match.group("after").strip():  # 信息来源: a label, the cell of 发布机构 was empty
            continue
        elif text[match.end("agency") : match.end("agency") + 1] not in ("", " ", "\t", "\n", "|", "\u3000"):
            continue  # the value runs on (…街道2023年…报告): a line after an empty cell, not the cell's value
        if whole_name(agency):
            return agency
    return None


def whole_name(agency: str) -> bool:
    return bool(
        PLACE.match(agency)
        and WHOLE_ENDING.search(agency)
        and not agency.startswith(DEICTIC)
        and not NOT_AGENCY.search(agency)
        and not TABLE_LABELS.search(agency)
    )


def agency_of(title: str | None) -> str | None:
    """The issuer as the title prints it: 攀枝花市东区2019年… -> 攀枝花市东区,
    2022年上海市政府信息公开… -> 上海市, 贺州市人民政府办公室关于公布… -> 贺州市人民政府办公室."""
    if not title:
        return None
    title = BRACKETED_PREFIX.sub("", title).strip()
    about = issuing_verb(title)
    year = YEAR.search(title)
    if about and (year is None or about < year.start()):
        return whole(title[:about])
    if year is None:
        return None
    if year.start() == 0:  # year first: the agency follows the year
        rest = title[year.end() :].lstrip("度 ")
        cut = AFTER_AGENCY.search(rest)
        return whole(rest[: cut.start()] if cut else "")
    agency = title[: year.start()].rstrip()
    while agency.endswith("关于"):  # by hand: a pattern anchored at the end backtracks on long runs
        agency = agency[:-2].rstrip()
    cut = AFTER_AGENCY.search(agency)
    if cut:
        agency = agency[: cut.start()]
    return whole(agency)


def issuing_verb(title: str) -> int:
    """Where 关于 / 印发 / 转发 first stands outside a quoted title (《…关于…》 is not it); 0 if nowhere."""
    depth = 0
    for i, char in enumerate(title):
        if char == "《":
            depth += 1
        elif char == "》":
            depth = max(depth - 1, 0)
        elif depth == 0 and i and title.startswith(ISSUING_VERBS, i):
            return i
    return 0


def whole(agency: str) -> str | None:
    agency = agency.strip()
    if len(agency) < 2 or agency.startswith(DEICTIC) or QUOTES.search(agency):
        return None
    return agency


HEADING_LINES = 30  # lines of the page's head looked at for a notice's printed heading


def agency_in_heading(text: str) -> str | None:
    """A notice's printed heading names its issuer on a line of its own, above 关于…:
    新野县人民政府电子政务办公室 / 关于做好2018年…工作的 / 通 知."""
    lines = [line.strip(" \t\u3000") for line in text[:TABLE_CHARS].splitlines()]
    lines = [line for line in lines if line][:HEADING_LINES]
    for line, following in zip(lines, lines[1:], strict=False):
        if len(line) <= 40 and following.startswith("关于") and whole_name(line):
            return line
    return None


def agency_in_opening(text: str) -> str | None:
    """The agency an untitled page names in its opening sentences, when it is a whole name."""
    opening = text[:OPENING_CHARS]
    found = []
    for cue in OPENING_CUES.values():
        position = 0
        for _ in range(MAX_TRIES):  # overlapping: 编制并向社会公开<机关> is tried again at 向社会公开
            match = cue.search(opening, position)
            if match is None:
                break
            agency = match.group("agency")
            cut = AGENCY_END.search(agency)
            agency = agency[: cut.start()] if cut else agency
            agency = TRAILING_SUBJECT.sub("", TRAILING_VERBS.sub("", agency))
            if PLACE.match(agency) and not agency.startswith(DEICTIC) and not NOT_AGENCY.search(agency):
                found.append((match.start("agency"), agency))
                break
            position = match.start() + 1
    return min(found)[1] if found else None
