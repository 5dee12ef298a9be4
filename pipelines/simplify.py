"""Traditional -> Simplified: whole Traditional pages, Taiwan-localised passages, and stray
Traditional characters in Simplified pages.

- A page is Traditional when at least TRADITIONAL_SHARE of its hanzi are characters only
  Traditional text uses; it is converted with OpenCC's t2s, line by line, except that a line
  showing Taiwan vocabulary (資訊, 程式, 入口網站: phrases OpenCC's s2twp writes and plain
  conversion never does, pipelines/data/taiwan_phrases.txt; not 檔案, which is also the
  mainland 档案) is converted with tw2sp, which
  turns that vocabulary back (資訊 -> 信息, 程式 -> 程序). tw2sp is never used on a line without
  that evidence: there it would rewrite mainland words (文件 -> 文档, 执行 -> 运行).
- On a Simplified page, a character that t2s changes and that GB2312 lacks (準 in 準确, 製 in
  製度 over-converted) is not Simplified text: it is converted with its neighbours as context.
  Characters GB2312 has (乾, 於, 著) are left alone: Simplified text uses them.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

from pipelines.hanzi import HANZI, common_hanzi

TRADITIONAL_SHARE = 0.02  # of hanzi that only Traditional text uses; clean Simplified pages: 0
SAMPLE = 10_000  # characters looked at to decide
TAIWAN_PHRASES = Path(__file__).parent / "data" / "taiwan_phrases.txt"
# Taiwan vocabulary seen on real localised copies (issue 15), beside the harvested list.
SEEN_TAIWAN = ("資訊", "程式", "巨觀", "最佳化", "入口網站", "計畫", "軟體", "網路", "釋出")


@cache
def converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def t2s():
    return converter("t2s")


@cache
def traditional_only() -> re.Pattern:
    """Matches a common character that t2s would change: only Traditional text uses it."""
    chars = sorted(ch for ch in common_hanzi() if t2s().convert(ch) != ch)
    return re.compile("[" + "".join(chars) + "]")


@cache
def taiwan_vocabulary() -> re.Pattern:
    lines = TAIWAN_PHRASES.read_text(encoding="utf-8").splitlines()
    phrases = {line for line in lines if line and not line.startswith("#")} | set(SEEN_TAIWAN)
    return re.compile("|".join(sorted(map(re.escape, phrases), key=len, reverse=True)))


@cache
def stray_traditional() -> re.Pattern:
    """A hanzi t2s changes that GB2312 (the Simplified character set) does not have."""
    chars = []
    for code in range(0x4E00, 0xA000):
        ch = chr(code)
        try:
            ch.encode("gb2312")
            continue
        except UnicodeEncodeError:
            pass
        if t2s().convert(ch) != ch:
            chars.append(ch)
    return re.compile("[" + "".join(chars) + "]")


@lru_cache(maxsize=4)  # asked by to_simplified, then fix_stray_traditional, of the same text
def is_traditional(text: str) -> bool:
    sample = text[:SAMPLE]
    hanzi = len(HANZI.findall(sample))
    return bool(hanzi) and len(traditional_only().findall(sample)) >= TRADITIONAL_SHARE * hanzi


@lru_cache(maxsize=4)
def has_traditional(text: str) -> bool:
    """Any character Simplified text never has: the one scan a clean Simplified page pays."""
    return stray_traditional().search(text) is not None


def to_simplified(text: str) -> tuple[str, int]:
    """Convert a Traditional page (Taiwan-localised lines with tw2sp); counts the hanzi changed."""
    if not has_traditional(text) or not is_traditional(text):
        return text, 0
    taiwan = taiwan_vocabulary()
    lines = text.split("\n")
    out = [converter("tw2sp" if taiwan.search(line) else "t2s").convert(line) for line in lines]
    converted = "\n".join(out)
    return converted, changed(text, converted)


def fix_stray_traditional(text: str) -> tuple[str, int]:
    """On a Simplified page, convert the characters only Traditional text has, each with two
    neighbours on either side as context for OpenCC's phrases."""
    if not has_traditional(text) or is_traditional(text):
        return text, 0
    strays = stray_traditional()
    count = 0

    def fix(match: re.Match) -> str:
        nonlocal count
        start = match.start()
        window = text[max(0, start - 2) : start + 3]
        converted = t2s().convert(window)
        if len(converted) != len(window):
            return match.group()
        char = converted[start - max(0, start - 2)]
        count += char != match.group()
        return char

    return strays.sub(fix, text), count


def changed(before: str, after: str) -> int:
    if len(before) != len(after):  # OpenCC maps characters one to one, phrases may not
        return sum(1 for _ in HANZI.finditer(before))
    return sum(a != b for a, b in zip(before, after, strict=True))
