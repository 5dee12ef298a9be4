"""How Chinese a text looks: the share of its hanzi that are common characters.

Clean text, Simplified or Traditional, scores about 0.97 or more; mojibake (UTF-8 read as
GBK, Big5 read as GB18030, ...) scores 0.35 or less, because wrong decodes land mostly on rare
characters. "Common" is the union of GB2312 level 1 (the 3,755 most used Simplified
characters) and Big5's 5,401 常用字: both are defined by the codecs themselves, so no word
list has to ship with the project.
"""

from __future__ import annotations

import re
from functools import cache

HANZI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@cache
def common_hanzi() -> frozenset[str]:
    chars = set()
    for lead in range(0xB0, 0xD8):  # GB2312 level 1
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes([lead, trail]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for lead in range(0xA4, 0xC7):  # Big5 常用字 (A440-C67E)
        for trail in [*range(0x40, 0x7F), *range(0xA1, 0xFF)]:
            if (lead, trail) > (0xC6, 0x7E):
                break
            try:
                chars.add(bytes([lead, trail]).decode("big5"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


def hanzi_score(text: str, sample: int = 20000) -> tuple[float, int]:
    """(share of common characters among the hanzi, number of hanzi looked at)."""
    found = HANZI.findall(text[:sample] if len(text) > sample else text)
    if not found:
        return 0.0, 0
    common = common_hanzi()
    return sum(1 for ch in found if ch in common) / len(found), len(found)


@cache
def uncommon_hanzi() -> re.Pattern:
    """Matches a hanzi outside the common set: mojibake is full of them, clean text has few."""
    common = common_hanzi()
    ranges, start = [], None
    for code in range(0x3400, 0xA000):
        inside = chr(code) not in common
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            ranges.append((start, code - 1))
            start = None
    if start is not None:
        ranges.append((start, 0x9FFF))
    return re.compile(
        "[" + "".join(f"\\u{a:04x}-\\u{b:04x}" if a < b else f"\\u{a:04x}" for a, b in ranges) + "]"
    )
