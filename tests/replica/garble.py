"""How mirror and content-farm sites garble copies of report pages (see the seeds).

Each garbler takes a clean HTML page (str) and returns the garbled HTML; only text between
tags is touched, as on the real copies.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from functools import cache

TEXT_NODE = re.compile(r">([^<]+)<")
HANZI = re.compile(r"[\u4e00-\u9fff]")


@cache
def _opencc(config: str):
    import opencc

    return opencc.OpenCC(config)


def to_traditional(html: str) -> str:
    return _opencc("s2t").convert(html)


def _reading(char: str, toned: bool) -> str:
    from pypinyin import Style, pinyin

    return pinyin(char, style=Style.TONE if toned else Style.NORMAL)[0][0]


def annotate(html: str, rng: random.Random, style: str, share: float = 0.3) -> str:
    """Insert pinyin after a share of the characters: style toned 區(qū), toneless 文(wen),
    or doubled 政(zheng)(zheng)."""

    def node(match: re.Match) -> str:
        def one(ch: re.Match) -> str:
            char = ch.group()
            if rng.random() >= share:
                return char
            reading = _reading(char, toned=style == "toned")
            return char + f"({reading})" * (2 if style == "doubled" else 1)

        return ">" + HANZI.sub(one, match.group(1)) + "<"

    return TEXT_NODE.sub(node, html)


def utf8_read_as_gbk(html: str) -> str:
    """The page's UTF-8 bytes decoded as GBK by a careless copier (lost bytes become U+FFFD)."""
    return html.encode("utf-8").decode("gbk", errors="replace")


def unambiguous_squashed_date(published: date, rng: random.Random) -> date:
    """A signature date a few days before publication whose squashed form ("2019312") has
    only one reading on or before the publish date, as a mirror's copy would print it."""
    for back in range(3, 60):
        candidate = published - timedelta(days=back + rng.randint(0, 5))
        digits = f"{candidate.month}{candidate.day}"
        readings = []
        for split in range(1, len(digits)):
            try:
                d = date(candidate.year, int(digits[:split]), int(digits[split:]))
            except ValueError:
                continue
            if published - timedelta(days=366) <= d <= published:
                readings.append(d)
        if readings == [candidate]:
            return candidate
    raise ValueError(f"no unambiguous date before {published}")
