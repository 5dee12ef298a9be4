"""Kangxi radicals (U+2F00-U+2FD5) and CJK radical supplements (U+2E80-U+2EF3) that PDF text
layers print for ordinary characters (`⽂` for 文, `⻓` for 长): fonts map a character's glyph
to the radical's code point. Each is replaced by the character it stands for.

The Kangxi radicals carry a compatibility mapping (NFKC gives 文 for ⽂); the supplement's
simplified forms (`CJK RADICAL C-SIMPLIFIED GATE`) carry none, so they are mapped through the
Kangxi radical of the same name and OpenCC's t2s (門 -> 门). Other supplement forms are
components (⺅), not characters, and stay. Whole-text NFKC is not used: it would also rewrite
full-width punctuation and digits, which the parser reads as printed.

Used by pipelines.degarble for HTML and text, and by PDF readers: `unify_radicals(text)`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

RADICALS = re.compile(r"[\u2e80-\u2fd5]")
# Simplified side forms stand for the side component, which Unicode has as a character.
SIDE_FORMS = {0x2EB0: "纟", 0x2EC8: "讠", 0x2ED0: "钅", 0x2EE0: "饣"}
# Supplement forms with neither mapping that PDF text layers print for whole characters.
SEEN_FOR_CHARACTERS = {"⺁": "厂", "⺇": "几", "⺈": "𠂊", "⺊": "卜", "⺌": "小", "⺍": "小", "⺕": "彐",
                       "⺟": "母", "⺠": "民", "⻓": "长", "⻔": "门", "⻘": "青", "⻛": "风",
                       "⻝": "食", "⻢": "马", "⻅": "见", "⻉": "贝", "⻋": "车", "⻆": "角",
                       "⻜": "飞", "⻚": "页", "⻬": "齐", "⻰": "龙", "⻳": "龟"}  # fmt: skip


@cache
def radical_map() -> dict[int, str]:
    mapping = {code: unicodedata.normalize("NFKC", chr(code)) for code in range(0x2F00, 0x2FD6)}
    by_name = {
        unicodedata.name(chr(code)).removeprefix("KANGXI RADICAL "): text for code, text in mapping.items()
    }
    from pipelines.simplify import t2s

    for code in range(0x2E80, 0x2EF4):
        name = unicodedata.name(chr(code), "")
        decomposed = unicodedata.normalize("NFKC", chr(code))
        if decomposed != chr(code):
            mapping[code] = decomposed
        elif name.startswith("CJK RADICAL C-SIMPLIFIED "):
            full = by_name.get(name.removeprefix("CJK RADICAL C-SIMPLIFIED "))
            if full:
                mapping[code] = t2s().convert(full)
    mapping.update(SIDE_FORMS)
    for form, character in SEEN_FOR_CHARACTERS.items():
        mapping.setdefault(ord(form), character)
    return {code: text for code, text in mapping.items() if text != chr(code)}


def unify_radicals(text: str) -> tuple[str, int]:
    """Replace radicals standing for characters; counts the characters replaced."""
    if not RADICALS.search(text):
        return text, 0
    mapping = radical_map()
    count = sum(1 for ch in RADICALS.findall(text) if ord(ch) in mapping)
    return text.translate(mapping), count
