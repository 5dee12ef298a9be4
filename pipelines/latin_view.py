"""Repair of CJK text shown through a Latin view: GBK or Big5 bytes read as Latin-1,
windows-1252, or "UTF-8 where valid, else one Latin-1 character per byte", then stored and
served as UTF-8 (`Õþ¸®ÐÅÏ¢¹«¿ª` for 政府信息公开, `Ŀ¼ҳ` for 目录页), once or twice.

Each character of such a run stands for the bytes it was read from: one byte for a Latin-1 or
windows-1252 character, its UTF-8 bytes for anything else the lenient decoder made. The bytes
are read again as GBK, Big5 or UTF-8; the page's runs vote for one source encoding, so a run
too short to judge alone follows the page. A run is replaced only when what comes back is
Chinese (common hanzi, pipelines.hanzi); anything else, real Latin text included, stays.

ftfy repairs UTF-8 read as Latin-1/cp1252 but not GBK or Big5 read that way (and not its mixed
UTF-8-else-Latin-1 form), which is most of what Chinese mirrors show, hence this module.
"""

from __future__ import annotations

import re
from functools import cache

from pipelines.hanzi import HANZI, common_hanzi, hanzi_score

CP1252_SPECIALS = bytes(range(0x80, 0xA0)).decode("cp1252", "ignore")
# Characters a Latin view makes of bytes 0x80-0xFF; valid UTF-8 pairs give U+0080-U+07FF, and
# a three-byte sequence across GBK pairs a character of U+0800-U+FFFF (mostly Hangul).
VIEW_CHARS = f"\u0080-\u07ff{CP1252_SPECIALS}\uac00-\ud7af"
# A run starts at a view character; GBK and Big5 trail bytes include printable ASCII (Big5's
# 政 is AC 46: `¬F`), so ASCII other than space and the tag mark <> continues it.
VIEW_RUN = re.compile(f"[{VIEW_CHARS}][{VIEW_CHARS}\x21-\x3b\x3d\x3f-\x7e]*")
# A lenient "UTF-8 else Latin-1" decoder also makes characters of U+0800 and beyond (common
# hanzi among them: GBK's C2FE ... may be valid UTF-8), so on a page that shows its signature
# (letters of U+0100-U+07FF other than pinyin's, or characters beyond the BMP) a run takes
# every non-ASCII character; a run that swallowed real text does not read as Chinese and stays.
PINYIN_LETTERS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"


def _lenient_letters() -> str:
    """Letters of U+0100-U+07FF that GBK has no code for (GBK has Greek, Cyrillic and pinyin's
    letters, which UTF-8 read as GBK makes), less cp1252's: only a UTF-8 decode makes them."""
    out = []
    for code in range(0x100, 0x800):
        char = chr(code)
        if char in CP1252_SPECIALS or char in PINYIN_LETTERS:
            continue
        try:
            char.encode("gbk")
        except UnicodeEncodeError:
            out.append(re.escape(char))
    return "".join(out)


LENIENT_SIGN = re.compile(f"[{_lenient_letters()}\\U00010000-\\U0010ffff]")
WIDE_RUN = re.compile("[^\\x00-\\x7f\\s][^\\x00-\\x20\\x7f<>\\s]*")
# Two view characters in a row: the fast test of a page (clean Chinese text has none).
SUSPECT = re.compile(f"[\u00a1-\u00ff{CP1252_SPECIALS}][\u00a1-\u00ff{CP1252_SPECIALS}]")
# Characters real text puts beside ASCII: pinyin's letters, quotes and dashes.
TEXT_MARKS = frozenset(PINYIN_LETTERS + "“”‘’–—…•")
NON_ASCII = re.compile(r"[^\x00-\x7f]")
ENCODINGS = ("gbk", "big5", "utf-8")
GOOD_SCORE = 0.9
WHOLE_SCORE = 0.75
ROUNDS = 3


@cache
def _cp1252_byte(char: str) -> int:
    return char.encode("cp1252")[0]


def view_bytes(run: str, prefer_cp1252: bool = True) -> bytes:
    """The bytes a Latin view read to show `run`."""
    out = bytearray()
    for char in run:
        code = ord(char)
        if code < 0x100:
            out.append(code)
        elif prefer_cp1252 and char in CP1252_SPECIALS:
            out.append(_cp1252_byte(char))
        else:
            out += char.encode("utf-8", "surrogatepass")
    return bytes(out)


def _is_view(text: str) -> bool:
    return sum(1 for c in text if c in _view_set()) >= 2 and not HANZI.search(text)


@cache
def _view_set() -> frozenset[str]:
    return frozenset(chr(c) for c in range(0x80, 0x800)) | frozenset(CP1252_SPECIALS)


def _readings(run: str, lenient: bool = False) -> dict[str, tuple[str, float, int, int]]:
    """encoding -> (text, score, hanzi, replacement characters) of the best reading, undoing
    up to ROUNDS views: a view of a view (`Ã•Ã¾` for `Õþ`) is read as UTF-8 first, and the
    deeper reading wins where it reads better."""
    best_round: dict[str, tuple[str, float, int, int]] = {}
    current: str | None = run
    for _ in range(ROUNDS):
        if current is None:
            break
        found: dict[str, tuple[str, float, int, int]] = {}
        next_round = None
        views = [view_bytes(current, True), view_bytes(current, False)]
        if lenient:
            views.append(lenient_gbk_bytes(current))
        for raw in views:
            for encoding in ENCODINGS:
                text = raw.decode(encoding, "replace")
                lost = text.count("\ufffd")
                score, hanzi = hanzi_score(text)
                if encoding == "utf-8" and not lost and _is_view(text):
                    next_round = next_round or text
                best = found.get(encoding)
                if hanzi and (best is None or _merit((text, score, hanzi, lost)) > _merit(best)):
                    found[encoding] = (text, score, hanzi, lost)
        if _top(found) > _top(best_round):
            best_round = found
        current = next_round
    return best_round


def lenient_gbk_bytes(run: str) -> bytes:
    """The GBK bytes a "UTF-8 else Latin-1" view most likely read to show `run`.

    There a character of U+0080-U+00FF (or one of cp1252's) is one byte the decoder could not
    pair, or a UTF-8 pair C2/C3 xx it could (GBK's 录 is C2 BC, shown `¼`): each choice is
    made so that the bytes read as GBK give the most common hanzi (a Viterbi search over
    "is a lead byte waiting"), which is how the alignment of the pairs is kept."""
    common = common_hanzi()
    # state: (GBK lead byte waiting for its trail or 0, continuation bytes that would complete
    # the UTF-8 sequence the last unpaired bytes began) -> (score, bytes so far). The view's
    # decoder pairs whatever is UTF-8, so an unpaired byte never completes such a sequence.
    states: dict[tuple[int, int], tuple[float, bytes]] = {(0, 0): (0.0, b"")}
    for char in run:
        options = _byte_options(char)
        nxt: dict[tuple[int, int], tuple[float, bytes]] = {}
        for (lead, need), (score, raw) in states.items():
            for n, option in enumerate(options):
                unpaired = len(option) == 1 and option[0] >= 0x80
                still = _utf8_need(need, option[0]) if unpaired else 0
                if still < 0:
                    continue  # the decoder would have read these bytes as UTF-8
                gained, waiting = _gbk_score(lead, option, common)
                total = score + gained - TWO_BYTE_COST * n
                key = (waiting, still)
                if key not in nxt or nxt[key][0] < total:
                    nxt[key] = (total, raw + option)
        states = nxt or states
    return max(states.values())[1]


def _utf8_need(need: int, byte: int) -> int:
    """After an unpaired byte: continuation bytes still missing for a UTF-8 sequence begun by
    the unpaired bytes before (0: none begun), or -1 if this byte would complete one."""
    if 0x80 <= byte < 0xC0:
        if need == 1:
            return -1
        return need - 1 if need else 0
    return 1 if 0xC2 <= byte < 0xE0 else 2 if 0xE0 <= byte < 0xF0 else 3 if 0xF0 <= byte < 0xF5 else 0


# A character read from a UTF-8 pair rather than one unpaired byte costs this much: unpaired
# bytes are far more frequent, and the pair must earn its place by the hanzi it aligns.
TWO_BYTE_COST = 0.9


def _byte_options(char: str) -> tuple[bytes, ...]:
    code = ord(char)
    if code < 0x80:
        return (bytes([code]),)
    utf8 = char.encode("utf-8", "surrogatepass")
    if code < 0x100:
        return (bytes([code]), utf8)
    if char in CP1252_SPECIALS:
        return (bytes([_cp1252_byte(char)]), utf8)
    return (utf8,)


def _gbk_score(lead: int, option: bytes, common: frozenset[str]) -> tuple[float, int]:
    """Score of reading `option` after a waiting lead byte (0: none): a common hanzi or CJK
    mark +1, another character -1 (what misaligned pairs make), a pair GBK does not have -2;
    and the lead left waiting."""
    score = 0.0
    for byte in option:
        if lead:
            try:
                char = bytes([lead, byte]).decode("gbk")
                score += (
                    1.0
                    if char in common or "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uffef"
                    else -1.0
                )
            except UnicodeDecodeError:
                score -= 2.0
            lead = 0
        elif 0x81 <= byte <= 0xFE:
            lead = byte
        elif byte >= 0x80:
            score -= 2.0
    return score, lead


def _merit(reading: tuple[str, float, int, int]) -> float:
    _, score, hanzi, lost = reading
    return score - lost / hanzi


def _top(found: dict[str, tuple[str, float, int, int]]) -> float:
    return max((_merit(r) for r in found.values() if _good(r)), default=-1.0)


def lenient_view_page(text: str) -> bool:
    """The page shows a "UTF-8 else Latin-1" view (letters GBK and pinyin never make)."""
    return len(LENIENT_SIGN.findall(text[:20000])) >= 3


def _good(reading: tuple[str, float, int, int]) -> bool:
    """Chinese: mostly common hanzi, with at most one lost byte in twenty hanzi. Bytes that
    all decode are held to less (one rare character in a short run: 无障碍浏览)."""
    _, score, hanzi, lost = reading
    if not lost:
        return score >= WHOLE_SCORE
    return score >= GOOD_SCORE and lost <= max(1, hanzi // 20)


def repair_latin_view(text: str) -> tuple[str, int]:
    """Replace runs that are GBK/Big5 (or UTF-8) shown through a Latin view with the Chinese
    they were; counts the characters written."""
    if not SUSPECT.search(text):
        return text, 0
    runs = []
    votes = dict.fromkeys(ENCODINGS, 0)
    lenient = lenient_view_page(text)
    for match in (WIDE_RUN if lenient else VIEW_RUN).finditer(text):
        non_ascii = NON_ASCII.findall(match.group())
        if len(non_ascii) < 2 or all(ch in TEXT_MARKS for ch in non_ascii):
            continue  # a tone mark (xìng), a sign (°C), pinyin before a quote (kāi)”
        readings = _readings(match.group(), lenient)
        good = {e: r for e, r in readings.items() if _good(r)}
        for encoding, reading in good.items():
            votes[encoding] += round(reading[1] * reading[2])
        runs.append((match, good))
    if not any(votes.values()):
        return text, 0
    page = max(ENCODINGS, key=lambda e: votes[e])
    pieces, last, written = [], 0, 0
    for match, good in runs:
        choice = good.get(page) or (max(good.values(), key=lambda r: r[1] * r[2]) if good else None)
        if choice is None:
            continue
        pieces += [text[last : match.start()], choice[0]]
        last = match.end()
        written += len(choice[0])
    return "".join(pieces) + text[last:], written
