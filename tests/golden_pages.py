"""Renders a golden page case (tests/golden/pages/*.json) from its facts into a page.

The facts are short strings as a real page printed them (title lines, breadcrumb, header
fields, chrome, section headings, addressee lines) and the cues its opening gave (a statistics
period, 现公布<机关><年>…, 本报告由<机关>编制, …): the sentences around them are our own filler,
never the real page's. Each case renders as plain text and as HTML of plain blocks (no
<title>, no headings: the hardest case, where only the printed lines tell the title).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from tests.replica.garble import to_traditional

PAGES = Path(__file__).parent / "golden" / "pages"
FILLER = "此处为测试生成的填充文字，记述该项工作的一般做法。"
FORMS = ("text", "html")


def cases() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(PAGES.glob("*.json"))}


def cue_sentence(cue: list) -> list[str]:
    """Our own sentence (or lines) around one cue of a real page's opening."""
    kind, *args = cue
    if kind == "period":
        word, year = args
        if word.endswith(("自", "从")):
            return [f"本文所列数据{word}{year}年1月1日起至{year}年12月31日止。"]
        return [f"本文所列数据{word}{year}年1月1日至{year}年12月31日。"]
    if kind == "year_opening":
        return [f"{args[0]}本单位按照上级部署推进各项公开工作。"]
    if kind == "year_mention":
        return [f"（一）工作开展情况。{args[0]}，本单位持续推进有关工作。"]
    if kind == "publishes":
        verb, agency, year, extra = args
        if extra == "year_first":
            return [f"依照有关规定，{verb}{year}年度{agency}政府信息公开工作年度报告。"]
        if verb.endswith("《"):
            return [f"依照有关规定，{verb}{agency}{year}年政府信息公开工作年度报告{extra}。"]
        return [f"依照有关规定，{verb}{agency}{extra}{year}年政府信息公开工作年度报告。"]
    if kind == "compiled_by":
        if len(args) == 2:  # a word between the agency and 编制: 由<机关>组织编制
            return [f"本报告依照有关规定，由{args[0]}{args[1]}编制。"]
        return [f"本报告依照有关规定，由{args[0]}结合有关统计数据编制。"]
    if kind == "compiled_named":  # <简称>编制了<机关><年>年…年度报告
        subject, agency, year = args
        return [f"依照有关规定，{subject}编制了{agency}{year}年政府信息公开工作年度报告。"]
    if kind == "report_on":  # 现就<机关><年>…情况汇总报告如下
        verb, subject, year, what = args
        return [f"依照有关规定，{verb}{subject}{year}{what}报告如下："]
    if kind == "year_subject":  # 2024年,<机关>深入…: the overview's first sentence
        year, agency, adverb = args
        return [f"{year}年，{agency}{adverb}落实有关规定，推进各项公开工作。"]
    if kind == "run_in":  # headings running into their paragraph, a line longer than a heading
        return [f"{heading}。{FILLER}{FILLER}" for heading in args[0]]
    if kind == "compiled_for":
        agency, year = args
        return [f"本报告是依照有关规定，由{agency}编制的{year}年度政府信息公开年度报告。"]
    if kind == "compiles_own":
        subject, year = args
        return [f"依照有关规定，编制{subject}{year}年政府信息公开工作年度报告。"]
    if kind == "report_as":
        subject, year, what = args
        return [f"依照有关规定，现将{subject}{year}{what}报告如下："]
    if kind == "summary_as":
        subject, year = args
        return [f"依照有关要求，现将{subject}{year}年度政务公开工作总结如下："]
    if kind == "cites_notice":
        return [f"按照《{args[0]}》的安排，编写本文。"]
    if kind == "named_in_opening":
        name, alias = args
        return [f"{name}{alias}依照有关规定编写，共分六个部分。"]
    if kind == "addressees":
        return [args[0], "现就有关事项通知如下："]
    if kind == "opening_agency":
        year, agency = args
        return [f"{year}年，{agency}依照有关规定编制本报告。"]
    if kind == "issues":
        return [f"《{args[0]}》已经同意，现印发给你们，请认真贯彻落实。"]
    if kind == "lines":
        return list(args[0])
    if kind == "compiles_this":
        return ["依照有关规定编制本报告。"]
    if kind == "mentions_sections":
        return ["会议围绕总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况等板块作了讲解。"]
    raise ValueError(f"unknown cue {kind}")


def page_lines(case: dict) -> list[str]:
    shape = case["shape"]
    lines = [text for _, text in shape["head"]]
    for cue in shape["cues"]:
        lines.extend(cue_sentence(cue))
    for heading in shape["sections"]:
        lines.extend([heading, FILLER])
    return [*lines, *shape["tail"]]


def render(case: dict, form: str) -> tuple[bytes, str | None]:
    """(body, content type) of the case in one form. A page served in Traditional characters
    (a mirror's conversion, "script": "traditional") has its filler converted too; a page printed
    as one run of text ("layout": "one_line") is rendered so."""
    lines = page_lines(case)
    if case.get("script") == "traditional":
        lines = [to_traditional(line) for line in lines]
    if case.get("layout") == "one_line":  # a page whose text runs on, headings inline
        lines = [" ".join(lines)]
    if form == "text":
        return "\n".join(lines).encode("utf-8"), None
    blocks = "\n".join(f"<div>{html.escape(line)}</div>" for line in lines)
    page = f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{blocks}\n</body></html>'
    return page.encode("utf-8"), "text/html; charset=utf-8"
