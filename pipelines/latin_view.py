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

from pipelines.hanzi import HANZI, hanzi_score

CP1252_SPECIALS = bytes(range(0x80, 0xA0)).decode("cp1252", "ignore")
# Characters a Latin view makes of bytes 0x80-0xFF; valid UTF-8 pairs give U+0080-U+07FF, and
# a three-byte sequence across GBK pairs a character of U+0800-U+FFFF (mostly Hangul).
VIEW_CHARS = f"\u0080-\u07ff{CP1252_SPECIALS}\uac00-\ud7af"
# A run starts at a view character; GBK and Big5 trail bytes include printable ASCII (Big5's
# 政 is AC 46: `¬F`), so ASCII other than space and the tag mark <> continues it.
VIEW_RUN = re.compile(f"[{VIEW_CHARS}][{VIEW_CHARS}\x21-\x3b\x3d\x3f-\x7e]*")
# Two view characters in a row: the fast test of a page (clean Chinese text has none).
SUSPECT = re.compile(f"[\u00a1-\u00ff{CP1252_SPECIALS}][\u00a1-\u00ff{CP1252_SPECIALS}]")
ENCODINGS = ("gbk", "big5", "utf-8")
GOOD_SCORE = 0.9
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


def _readings(run: str) -> dict[str, tuple[str, float, int, int]]:
    """encoding -> (text, score, hanzi, replacement characters), undoing up to ROUNDS views."""
    found: dict[str, tuple[str, float, int, int]] = {}
    current = run
    for _ in range(ROUNDS):
        next_round = None
        for prefer in (True, False):
            raw = view_bytes(current, prefer)
            for encoding in ENCODINGS:
                text = raw.decode(encoding, "replace")
                lost = text.count("\ufffd")
                score, hanzi = hanzi_score(text)
                if encoding == "utf-8" and not lost and _is_view(text):
                    next_round = next_round or text
                best = found.get(encoding)
                if hanzi and (best is None or score - lost / hanzi > best[1] - best[3] / best[2]):
                    found[encoding] = (text, score, hanzi, lost)
            if any(r[1] >= GOOD_SCORE for r in found.values()):
                break
        if any(r[1] >= GOOD_SCORE for r in found.values()) or next_round is None:
            break
        current = next_round
    return found


def repair_latin_view(text: str) -> tuple[str, int]:
    """Replace runs that are GBK/Big5 (or UTF-8) shown through a Latin view with the Chinese
    they were; counts the characters written."""
    if not SUSPECT.search(text):
        return text, 0
    runs = []
    votes = dict.fromkeys(ENCODINGS, 0)
    for match in VIEW_RUN.finditer(text):
        if len(match.group()) < 2:
            continue
        readings = _readings(match.group())
        good = {e: r for e, r in readings.items() if r[1] >= GOOD_SCORE and r[3] <= max(1, r[2] // 20)}
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
