"""De-garbling: decoded page text -> clean Simplified text, with a record of every change.

An ordered list of named transforms, each a pure function returning (text, changes):

1. mojibake       UTF-8 bytes that were decoded as GBK (once or twice) are re-encoded and
                  decoded back; runs that still look like mojibake are cut out and counted
                  (`mojibake_unresolved`) rather than kept in the clean text.
2. annotations    pinyin readings inserted after characters by content farms — 區(qū),
                  文(wen), 政(zheng)(zheng) — are removed only when the bracket holds a
                  reading of the character before it, so (一) (试行) (2019) (fan) survive.
3. traditional    Traditional -> Simplified with OpenCC t2s, only when the text is Traditional.
4. noise          zero-width characters, runs of table pipes, non-breaking/full-width spaces.
5. dates          dates squashed by mirrors ("2019312") rewritten as 2019年3月12日, only when
                  the page's own publish date leaves exactly one reading.

Already-clean Simplified text passes through with 0 changes from transforms 1, 2, 3 and 5.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, lru_cache

from pipelines.hanzi import HANZI, common_hanzi, hanzi_score, uncommon_hanzi

# -- 1. mojibake -------------------------------------------------------------------------------
# A run of non-ASCII characters is the unit of repair: UTF-8 read as GBK turns every non-ASCII
# byte sequence into such a run (U+FFFD where a byte was lost), and ASCII passes unchanged.
MOJIBAKE_RUN = re.compile(r"[^\x00-\x7f]{2,}")
GOOD_SCORE = 0.9
# Characters other than common hanzi that a lost byte may plausibly have belonged to.
PLAUSIBLE_SYMBOL = re.compile(r"[\u00a0-\u00ff\u2010-\u2027\u3000-\u301f\uff01-\uff5e]")


def _mojibake_bytes(run: str) -> list[int | None] | None:
    """The bytes a GBK decoder read to produce `run`; each U+FFFD stands for one lost byte."""
    raw: list[int | None] = []
    for char in run:
        if char == "\ufffd":
            raw.append(None)
            continue
        try:
            raw.extend(char.encode("gb18030"))
        except UnicodeEncodeError:
            return None
    return raw


@cache
def _gbk_pair_valid(lead: int, trail: int) -> bool:
    try:
        bytes([lead, trail]).decode("gbk")
        return True
    except UnicodeDecodeError:
        return False


def _could_be_lost(byte: int, following: int | None) -> bool:
    """Would a GBK decoder have dropped `byte` (as U+FFFD) when `following` came next?"""
    if byte in (0x80, 0xFF) or following is None:
        return True
    return not _gbk_pair_valid(byte, following)


def _char_candidates(raw: list[int | None], i: int, after: int | None) -> tuple[list[str], int] | None:
    """The characters the UTF-8 sequence starting at raw[i] may have been, and its length.

    UTF-8 is self-synchronising, so the bytes around a hole tell whether the lost byte was a
    lead or a continuation byte; only bytes a GBK decoder would have lost there are tried.
    """
    n = len(raw)
    if raw[i] is None:  # a lost lead byte: the continuation bytes after it tell the length
        tail = 0
        while (
            tail < 3
            and i + 1 + tail < n
            and raw[i + 1 + tail] is not None
            and 0x80 <= raw[i + 1 + tail] < 0xC0
        ):
            tail += 1
        if tail == 0:
            return None
        length = tail + 1
        spans: list = [{1: range(0xC2, 0xE0), 2: range(0xE0, 0xF0), 3: range(0xF0, 0xF5)}[tail]]
    else:
        lead = raw[i]
        length = 2 if 0xC2 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else 4 if 0xF0 <= lead < 0xF5 else 0
        if length == 0 or i + length > n:
            return None
        spans = [[lead]]
    spans += [range(0x80, 0xC0) if raw[j] is None else [raw[j]] for j in range(i + 1, i + length)]
    options: list[list[int]] = [[]]
    for j, span in enumerate(spans, start=i):
        if raw[j] is None:
            following = raw[j + 1] if j + 1 < n else after
            span = [b for b in span if _could_be_lost(b, following)] or span
        options = [o + [b] for o in options for b in span]
    chars = []
    for option in options:
        try:
            chars.append(bytes(option).decode("utf-8"))
        except UnicodeDecodeError:
            continue
    return (chars, length) if chars else None


def _utf8_with_holes(
    raw: list[int | None], after: int | None
) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """Decode UTF-8 bytes with holes: (characters, [(index, possible characters)] for the
    holes that leave a choice), or None if the bytes are not UTF-8."""
    out: list[str] = []
    holes: list[tuple[int, list[str]]] = []
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte is not None and byte < 0x80:
            out.append(chr(byte))
            i += 1
            continue
        found = _char_candidates(raw, i, after)
        if found is None:
            return None
        chars, length = found
        if len(chars) > 1:
            holes.append((len(out), chars))
        out.append(chars[0])
        i += length
    return out, holes


@cache
def _word_frequencies() -> dict[str, int]:
    """jieba's dictionary (~500k words with corpus counts), loaded on first need (~1 s)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt.FREQ


@dataclass
class _Decoded:
    chars: list[str]
    holes: list[tuple[int, list[str]]]  # (index, possible characters) where a byte was lost
    certain: str  # the characters the bytes fix for certain, NUL where a byte was lost
    score: float  # hanzi score of `certain`
    certain_hanzi: int


def _undo_rounds(run: str, after: str) -> _Decoded | None:
    """Undo up to three rounds of UTF-8-read-as-GBK; stop at the first that reads as Chinese."""
    current, first = run, None
    for _ in range(3):
        raw = _mojibake_bytes(current)
        decoded = None if raw is None else _utf8_with_holes(raw, ord(after) if after else None)
        if decoded is None:
            break
        chars, holes = decoded
        lost = {index for index, _ in holes}
        certain = "".join("\0" if i in lost else ch for i, ch in enumerate(chars))
        result = _Decoded(chars, holes, certain, *hanzi_score(certain))
        first = first or result
        if result.certain_hanzi and result.score >= GOOD_SCORE:
            return result
        current = "".join(chars)
    return first


def _fill_holes(decoded: _Decoded, before: str, after: str, pairs: Counter, seen: Counter) -> str:
    """Choose each lost character by the character pairs it makes with its neighbours on this
    page, then by the words it makes with them (jieba's dictionary), then by how often the
    page uses it, then by how common it is."""
    freq = _word_frequencies()
    common = common_hanzi()
    chars = decoded.chars
    for index, options in decoded.holes:
        options = [ch for ch in options if ch in common or PLAUSIBLE_SYMBOL.match(ch)] or options
        left = "".join(chars[max(0, index - 2) : index]) or before
        right = "".join(chars[index + 1 : index + 3]) or after

        def score(ch: str, left: str = left, right: str = right) -> tuple[int, int, int, int]:
            # The lost byte is mostly the last of a run, so the left neighbours say the most.
            on_left = 1000 * pairs[left[-1:], ch] + sum(
                freq.get(w, 0) for w in (left[-1:] + ch, left[-2:] + ch, left[-1:] + ch + right[:1])
            )
            on_right = 1000 * pairs[ch, right[:1]] + freq.get(ch + right[:1], 0) + freq.get(ch + right[:2], 0)
            return on_left, on_right, seen[ch], freq.get(ch, 0)

        chars[index] = max(options, key=score)
    return "".join(chars)


@lru_cache(maxsize=4)  # asked twice of the same page text (repair, then cut); str hashes are cached
def might_be_mojibake(text: str) -> bool:
    """Mojibake always leaves rare hanzi or U+FFFD; clean text rarely has either (fast check)."""
    return "\ufffd" in text or uncommon_hanzi().search(text) is not None


def repair_mojibake(text: str) -> tuple[str, int]:
    """Undo UTF-8 read as GBK, run by run. Counts the characters of the repaired runs.

    A run is judged on the characters its bytes fix for certain. Runs too short to judge
    (every character lost a byte) are repaired only on a page whose other runs were mojibake.
    """
    if not might_be_mojibake(text):
        return text, 0
    found = []
    for match in MOJIBAKE_RUN.finditer(text):
        run = match.group()
        if not might_be_mojibake(run) or hanzi_score(run)[0] >= GOOD_SCORE:
            continue  # reads as Chinese already
        after = text[match.end() : match.end() + 1]
        decoded = _undo_rounds(run, after)
        if decoded is not None:
            found.append((match, decoded))
    judged = [(m, d) for m, d in found if d.certain_hanzi and d.score >= GOOD_SCORE]
    if not judged:
        return text, 0
    seen = Counter(ch for _, d in judged for ch in d.certain)
    pairs: Counter = Counter()
    for match, decoded in judged:
        context = (
            text[match.start() - 1 : match.start()] + decoded.certain + text[match.end() : match.end() + 1]
        )
        pairs.update(pair for pair in zip(context, context[1:], strict=False) if "\0" not in pair)
    pieces, last, changed = [], 0, 0
    for match, decoded in found:
        if decoded.certain_hanzi and decoded.score < GOOD_SCORE:
            continue
        before, after = text[match.start() - 1 : match.start()], text[match.end() : match.end() + 1]
        repaired = _fill_holes(decoded, before, after, pairs, seen)
        pieces += [text[last : match.start()], repaired]
        last = match.end()
        changed += len(repaired)
    return "".join(pieces) + text[last:], changed


def cut_unresolved_mojibake(text: str) -> tuple[str, int]:
    """Remove runs that still read as mojibake: they are not text, and must not pass as it."""
    if not might_be_mojibake(text):
        return text, 0
    removed = 0

    def cut(match: re.Match) -> str:
        nonlocal removed
        run = match.group()
        score, count = hanzi_score(run)
        if count >= 6 and score < 0.5 or "\ufffd" in run and score < GOOD_SCORE:
            removed += len(run)
            return ""
        return run

    return MOJIBAKE_RUN.sub(cut, text), removed


# -- 2. pinyin annotations ---------------------------------------------------------------------
TONE_MARKS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
ANNOTATED = re.compile(
    rf"([\u3400-\u4dbf\u4e00-\u9fff])((?:[(（][a-zü{TONE_MARKS}:]{{1,7}}[1-5]?[)）])+)", re.IGNORECASE
)
PINYIN_IN_BRACKETS = re.compile(rf"[(（][a-zA-ZüÜ{TONE_MARKS}:]{{1,7}}[1-5]?[)）]")
BRACKETED = re.compile(r"[(（]([^)）]*)[)）]")
UNTONE = str.maketrans(
    {**{c: "aeiouü"[i // 4] if i < 24 else "nnnm"[i - 24] for i, c in enumerate(TONE_MARKS)}, "v": "ü"}
)


@cache
def readings(char: str) -> frozenset[str]:
    """Every reading of a character, tone-marked and toneless (ü kept as ü)."""
    from pypinyin import Style, pinyin  # imported on first use: ~0.45 s, ~57 MB

    toned = pinyin(char, style=Style.TONE, heteronym=True)[0]
    return frozenset(toned) | {r.translate(UNTONE) for r in toned}


def is_reading(char: str, annotation: str) -> bool:
    annotation = annotation.lower().replace("u:", "ü").rstrip("12345")
    known = readings(char)
    return annotation in known or annotation.translate(UNTONE) in known


@cache
def toned_syllables() -> frozenset[str]:
    """Every tone-marked pinyin syllable pypinyin knows."""
    from pypinyin.pinyin_dict import pinyin_dict

    syllables = {s for readings in pinyin_dict.values() for s in readings.split(",")}
    return frozenset(s for s in syllables if any(mark in s for mark in TONE_MARKS))


# A tone-marked reading after something that is not a hanzi: the annotated character itself
# was destroyed upstream (seen in seed 004: 網 -> "\ue47f\ue195W(wǎng)"). Real text never
# puts tone-marked pinyin in brackets, so the annotation goes too.
ORPHAN_ANNOTATION = re.compile(rf"(?<=[^\s\u3400-\u4dbf\u4e00-\u9fff])[(（]([a-zü{TONE_MARKS}]{{1,7}})[)）]")


def remove_annotations(text: str) -> tuple[str, int]:
    if not PINYIN_IN_BRACKETS.search(text):
        return text, 0
    removed = 0

    def orphan(match: re.Match) -> str:
        nonlocal removed
        if match.group(1).lower() in toned_syllables():
            removed += 1
            return ""
        return match.group()

    def strip(match: re.Match) -> str:
        nonlocal removed
        char, brackets = match.groups()
        annotations = BRACKETED.findall(brackets)
        if all(is_reading(char, a) for a in annotations):
            removed += len(annotations)
            return char
        return match.group()

    text = ANNOTATED.sub(strip, text)
    return ORPHAN_ANNOTATION.sub(orphan, text), removed


# -- 3. Traditional -> Simplified --------------------------------------------------------------
TRADITIONAL_SHARE = 0.02  # of hanzi that only Traditional text uses; clean Simplified pages: 0
SAMPLE = 10_000  # characters looked at to decide


@cache
def t2s():
    import opencc

    return opencc.OpenCC("t2s")


@cache
def traditional_only() -> re.Pattern:
    """Matches a common character that t2s would change: only Traditional text uses it."""
    chars = sorted(ch for ch in common_hanzi() if t2s().convert(ch) != ch)
    return re.compile("[" + "".join(chars) + "]")


def to_simplified(text: str) -> tuple[str, int]:
    sample = text[:SAMPLE]
    hanzi = len(HANZI.findall(sample))
    if not hanzi or len(traditional_only().findall(sample)) < TRADITIONAL_SHARE * hanzi:
        return text, 0
    converted = t2s().convert(text)
    if len(converted) != len(text):  # OpenCC maps characters one to one; never trust otherwise
        return converted, sum(1 for _ in HANZI.finditer(text))
    return converted, sum(a != b for a, b in zip(text, converted, strict=True))


# -- 4. noise ----------------------------------------------------------------------------------
# Zero-width characters, and private-use ones (GBK user-defined areas: never real text).
ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\ue000-\uf8ff]")
ODD_SPACES = re.compile(r"[\u00a0\u3000\u2002-\u200a\u202f]")
NOISE_CHARS = re.compile(f"[{ZERO_WIDTH.pattern[1:-1]}{ODD_SPACES.pattern[1:-1]}]")
# Table noise of flattened pages: runs of pipes, and lines holding a lone pipe.
PIPE_RUNS = re.compile(r"\|(?:[ \t]*\|)+")
PIPE_LINES = re.compile(r"\n[ \t]*\|[ \t]*(?=\n)")


def remove_noise(text: str) -> tuple[str, int]:
    changes = 0
    steps = [(PIPE_RUNS, " "), (PIPE_LINES, "\n")] if "|" in text else []
    if NOISE_CHARS.search(text):
        steps += [(ZERO_WIDTH, ""), (ODD_SPACES, " ")]
    for pattern, replacement in steps:
        text, n = pattern.subn(replacement, text)
        changes += n
    return text, changes


# -- 5. squashed dates -------------------------------------------------------------------------
PUBLISHED = re.compile(r"(?:发布时间|發布時間|发布日期|發布日期)\s*[:：]\s*(\d{4})-(\d{1,2})-(\d{1,2})")
SQUASHED_DATE = re.compile(r"(20\d{2})(\d{2,4})(?![\d.])")  # and no digit or dot before: see fix()


def published_date(text: str) -> date | None:
    """The page's own publish date, from its header line (发布时间:YYYY-MM-DD)."""
    match = PUBLISHED.search(text)
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


def date_readings(year: int, digits: str) -> list[date]:
    out = []
    for split in range(1, len(digits)):
        month, day = digits[:split], digits[split:]
        if len(month) > 2 or len(day) > 2 or month.startswith("0") and len(month) == 1:
            continue
        try:
            out.append(date(year, int(month), int(day)))
        except ValueError:
            continue
    return out


def repair_dates(text: str, published: date | None = None) -> tuple[str, int]:
    if not SQUASHED_DATE.search(text):
        return text, 0
    published = published or published_date(text)
    if published is None:
        return text, 0
    earliest = published - timedelta(days=366)
    repaired = 0

    def fix(match: re.Match) -> str:
        nonlocal repaired
        if match.start() and (text[match.start() - 1].isdigit() or text[match.start() - 1] == "."):
            return match.group()
        year, digits = int(match.group(1)), match.group(2)
        plausible = [d for d in date_readings(year, digits) if earliest <= d <= published]
        if len(plausible) != 1:
            return match.group()
        repaired += 1
        d = plausible[0]
        return f"{d.year}年{d.month}月{d.day}日"

    return SQUASHED_DATE.sub(fix, text), repaired


# -- the pipeline ------------------------------------------------------------------------------
@dataclass
class Degarbled:
    text: str
    transforms: list[dict] = field(default_factory=list)  # [{name, count}] in order

    def count(self, name: str) -> int:
        return next((t["count"] for t in self.transforms if t["name"] == name), 0)


TRANSFORMS: list[tuple[str, Callable[[str], tuple[str, int]]]] = [
    ("mojibake", repair_mojibake),
    ("mojibake_unresolved", cut_unresolved_mojibake),
    ("annotations", remove_annotations),
    ("traditional", to_simplified),
    ("noise", remove_noise),
    ("dates", repair_dates),
]


def degarble(text: str) -> Degarbled:
    """Run every transform in order; the record lists each with its number of changes."""
    record = []
    for name, transform in TRANSFORMS:
        text, count = transform(text)
        record.append({"name": name, "count": count})
    return Degarbled(text, record)
