"""How mirrors, browsers and content farms garble copies of report pages, by the real mechanisms.

Every garbler here does what the damaging software does, never the inverse of our cleaner:

- decoders: a browser's (WHATWG) GBK decoder, which maps byte 0x80 to `€`, keeps user-defined
  pairs as private-use characters and loses only a lead byte before ASCII; Latin-1 and
  WHATWG windows-1252 views of GBK or Big5 bytes; a "UTF-8, else one Latin-1 character per
  byte" decoder (seen on mirrors: `Ŀ¼ҳ` for 目录页); each may run twice, over part of a page,
  or on bytes some of which were lost;
- OpenCC's own s2tw / s2twp (Taiwan localisation with phrases), and a one-to-one conversion
  table that takes the wrong one of a one-to-many pair (`製度`, `全麵`, seen on real copies);
- content farms: pinyin readings inserted after characters (toned on Traditional pages, toneless
  and repeated up to four times, cut off at the end of an excerpt), spam title lines, gambling
  keywords, dates and document numbers with their 年/月/日/〕/号 dropped.

The facts these follow (strings seen on real pages) are in tests/golden/garbling/*.json.
The replica's generator uses to_traditional, annotate, utf8_read_as_gbk and
unambiguous_squashed_date; tests/garbled_corpus.py uses the rest.
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


def to_taiwan(text: str, phrases: bool = True) -> str:
    """OpenCC's Taiwan localisation: s2twp (with Taiwan vocabulary: 資訊, 檔案, 程式) or s2tw."""
    return _opencc("s2twp" if phrases else "s2tw").convert(text)


# A one-to-one Simplified -> Traditional table that always takes the same member of a
# one-to-many pair: where the page meant the other one, the copy is over-converted
# (制度 -> 製度, 全面 -> 全麵, 体系 -> 體係, 咨询 -> 谘詢 seen on real copies).
ONE_TO_ONE = str.maketrans(
    {"制": "製", "面": "麵", "系": "係", "咨": "谘", "干": "幹", "发": "髮", "里": "裡", "台": "颱",
     "范": "範", "只": "隻", "余": "餘", "复": "複", "松": "鬆", "冲": "衝", "历": "曆", "征": "徵",
     "采": "採", "斗": "鬥", "准": "準", "确": "確"}
)  # fmt: skip


def over_convert(text: str) -> str:
    """s2t, then the one-to-one table over what s2t left Simplified (a naive converter)."""
    return to_traditional(text).translate(ONE_TO_ONE)


def stray_traditional(text: str, rng: random.Random, share: float = 0.02) -> str:
    """A Simplified page with a few characters typed or pasted in Traditional (準确)."""
    convert = _opencc("s2t").convert
    return HANZI.sub(lambda m: convert(m.group()) if rng.random() < share else m.group(), text)


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


def annotate_text(text: str, rng: random.Random, toned: bool, repeats: int = 1, share: float = 0.3) -> str:
    """Plain-text form of `annotate`; `repeats` up to 4 as on real farm pages (公(gong)(gong)(gong)(gong))."""

    def one(ch: re.Match) -> str:
        char = ch.group()
        if rng.random() >= share:
            return char
        return char + f"({_reading(char, toned)})" * rng.randint(1, repeats)

    return HANZI.sub(one, text)


# -- decoders ----------------------------------------------------------------------------------
def browser_gbk_decode(data: bytes) -> str:
    """Bytes read as GBK by a browser (the WHATWG gb18030 decoder every browser uses for the
    label "gbk"; Windows' code page 936 differs only in its error handling): byte 0x80 is `€`,
    user-defined pairs become private-use characters, a lead byte before an ASCII byte is lost
    (U+FFFD) and the ASCII byte read again, any other bad pair is one U+FFFD for both bytes."""
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte < 0x80:
            out.append(chr(byte))
            i += 1
            continue
        if byte == 0x80:
            out.append("€")
            i += 1
            continue
        if byte == 0xFF or i + 1 >= n:
            out.append("\ufffd")
            i += 1
            continue
        second = data[i + 1]
        if 0x30 <= second <= 0x39:  # a four-byte sequence, or the lead is lost
            if i + 3 < n and 0x81 <= data[i + 2] <= 0xFE and 0x30 <= data[i + 3] <= 0x39:
                out.append(data[i : i + 4].decode("gb18030", "replace")[:1])
                i += 4
            else:
                out.append("\ufffd")
                i += 1
            continue
        if 0x40 <= second <= 0x7E or 0x80 <= second <= 0xFE:
            try:
                out.append(data[i : i + 2].decode("gb18030"))
                i += 2
                continue
            except UnicodeDecodeError:
                pass
        out.append("\ufffd")
        i += 1 if second < 0x80 else 2
    return "".join(out)


def utf8_read_as_gbk(html: str) -> str:
    """The page's UTF-8 bytes read as GBK by a browser or Windows, as a mirror saved it."""
    return browser_gbk_decode(html.encode("utf-8"))


def windows_1252_decode(data: bytes) -> str:
    """The WHATWG windows-1252 decoder (what browsers use for "latin1" and "iso-8859-1"): the
    five bytes cp1252 leaves undefined become the C1 controls of the same value."""
    return "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252") for b in data
    )


def utf8_else_latin1_decode(data: bytes) -> str:
    """UTF-8 where the bytes are UTF-8, else one windows-1252 character per byte (a lenient
    decoder seen on mirrors: GBK's 目录页 comes out as `Ŀ¼ҳ`)."""
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        length = 2 if 0xC2 <= byte < 0xE0 else 3 if 0xE0 <= byte < 0xF0 else 4 if 0xF0 <= byte < 0xF5 else 1
        if length > 1:
            try:
                out.append(data[i : i + length].decode("utf-8"))
                i += length
                continue
            except UnicodeDecodeError:
                pass
        out.append(windows_1252_decode(data[i : i + 1]))
        i += 1
    return "".join(out)


def latin_view(text: str, source: str = "gbk", view: str = "latin-1") -> str:
    """Text stored in `source` (gbk, big5) and read with `view` (latin-1, windows-1252,
    utf8-else-latin1); the result is what a mirror serves as UTF-8."""
    data = text.encode(source, "replace")
    if view == "latin-1":
        return data.decode("latin-1")
    if view == "windows-1252":
        return windows_1252_decode(data)
    return utf8_else_latin1_decode(data)


def lose_bytes(data: bytes, rng: random.Random, share: float = 0.002) -> bytes:
    """Bytes lost on the way (a cut connection resumed, a filter dropping bytes)."""
    return bytes(b for b in data if rng.random() >= share)


def japanese_read_as_gbk(text: str, encoding: str) -> str:
    """A Japanese page (EUC-JP or Shift_JIS) read as GBK by a browser."""
    return browser_gbk_decode(text.encode(encoding))


# -- dates and document numbers ----------------------------------------------------------------
DATE = re.compile(r"(20\d{2})年(\d{1,2})月(\d{1,2})日")
DOC_NUMBER = re.compile(r"〔(20\d{2})〕(\d{1,4})号")


def squash_dates(text: str, rng: random.Random) -> str:
    """Drop 年/月/日 around the digits of dates and 〕/号 of document numbers, as real copies
    show (`2021926`, `201811日`, `〔202130`, `〔20191 号`)."""

    def date_(m: re.Match) -> str:
        y, mo, d = m.groups()
        return rng.choice([f"{y}{mo}{d}", f"{y}{mo}{d}日", f"{y}年{mo}{d}日", f"{y}{mo}月{d}日"])

    def number(m: re.Match) -> str:
        y, n = m.groups()
        return rng.choice([f"〔{y}{n}", f"〔{y}{n} 号", f"〔{y}{n}号"])

    return DOC_NUMBER.sub(number, DATE.sub(date_, text))


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
