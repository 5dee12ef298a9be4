"""Repair of mojibake: text whose UTF-8 bytes were decoded as GBK (or GB18030), once or more.

Every character of such text stands for the GBK bytes it was read from, so re-encoding a run
of non-ASCII characters gives back the UTF-8 bytes, except where the decoder dropped a byte
(each U+FFFD is one lost byte). UTF-8 is self-synchronising, so the bytes around a hole say
what kind of byte was lost, and only bytes a GBK decoder would have dropped there are
possible; among the characters that fit, the guess follows the page's own character pairs,
then jieba's word frequencies. Runs that do not come back as Chinese are left alone by the
repair and cut by `cut_unresolved_mojibake`.

No library does this: ftfy handles only the Latin-1/cp1252 cases, and a plain
gb18030-then-UTF-8 round trip fails on the first lost byte.

Bounded (pipelines.limits): a lost byte with more than MAX_HOLE_CANDIDATES possible
characters (three lost bytes of one character give 262,144), and every lost byte after a page
has tried MAX_PAGE_CANDIDATES in all, stays U+FFFD, with a `limit:` recorded.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from pipelines.hanzi import common_hanzi, hanzi_score, uncommon_hanzi
from pipelines.latin_view import LENIENT_SIGN, lenient_view_page
from pipelines.limits import MAX_HOLE_CANDIDATES, MAX_PAGE_CANDIDATES, collecting, note

# A run of non-ASCII characters is the unit of repair: UTF-8 read as GBK turns every non-ASCII
# byte sequence into such a run (U+FFFD where a byte was lost), and ASCII passes unchanged.
MOJIBAKE_RUN = re.compile(r"[^\x00-\x7f]{2,}")
GOOD_SCORE = 0.9
# Characters other than common hanzi that a lost byte may plausibly have belonged to.
PLAUSIBLE_SYMBOL = re.compile(r"[\u00a0-\u00ff\u2010-\u2027\u3000-\u301f\uff01-\uff5e]")


def _mojibake_bytes(run: str) -> list[int | None] | None:
    """The bytes a GBK decoder read to produce `run`; each U+FFFD stands for one lost byte.

    A browser's GBK decoder (WHATWG gb18030) and Windows' cp936 read byte 0x80 as `€`, which
    GB18030 itself encodes as A2 E3; UTF-8 puts 0x80 after every character ending in it
    (一 is E4 B8 80), so `€` stands for 0x80 here. Private-use characters (user-defined
    pairs, which browsers keep) go back to their pairs through GB18030 as they should."""
    raw: list[int | None] = []
    for char in run:
        if char == "\ufffd":
            raw.append(None)
            continue
        if char == "€":  # 0x80 or A2 E3: told apart by the UTF-8 around it (below)
            raw.append(EURO)
            continue
        try:
            raw.extend(char.encode("gb18030"))
        except UnicodeEncodeError:
            return None
    return _resolve_euro(raw) if EURO in raw else raw


EURO = -1  # a `€` not yet told apart


def _resolve_euro(raw: list[int | None]) -> list[int | None]:
    """Each `€` is byte 0x80 or the pair A2 E3 (GB18030's own €: a UTF-8 continuation byte,
    then a lead). Both start with a continuation byte; the pair is the one that fits where one
    continuation byte is missing and more continuation bytes follow."""
    out: list[int | None] = []
    need = 0  # continuation bytes the current UTF-8 character still needs
    for i, byte in enumerate(raw):
        if byte == EURO:
            following = raw[i + 1] if i + 1 < len(raw) else None
            next_continues = following == EURO or (following is not None and 0x80 <= following < 0xC0)
            if need == 1 and next_continues:
                out += [0xA2, 0xE3]
                need = 2
                continue
            byte = 0x80
        out.append(byte)
        if byte is None:
            need = max(0, need - 1)
        elif 0x80 <= byte < 0xC0:
            need = max(0, need - 1)
        else:
            need = 1 if 0xC0 <= byte < 0xE0 else 2 if 0xE0 <= byte < 0xF0 else 3 if 0xF0 <= byte < 0xF8 else 0
    return out


@cache
def _gbk_pair_valid(lead: int, trail: int) -> bool:
    try:
        bytes([lead, trail]).decode("gbk")
        return True
    except UnicodeDecodeError:
        return False


def _could_be_lost(byte: int, following: int | None, browser: bool = False) -> bool:
    """Would a GBK decoder have dropped `byte` (as U+FFFD) when `following` came next?
    A browser's decoder never drops 0x80 (it reads it as `€`)."""
    if browser and byte == 0x80:
        return False
    if byte in (0x80, 0xFF) or following is None:
        return True
    return not _gbk_pair_valid(byte, following)


class _Budget:
    """Candidate characters a page may still try."""

    def __init__(self, browser: bool = False) -> None:
        self.left = MAX_PAGE_CANDIDATES
        self.browser = browser  # the page was read by a browser's decoder (it shows `€`)

    def take(self, count: int) -> bool:
        if count > MAX_HOLE_CANDIDATES:
            note(f"limit: lost bytes with more than MAX_HOLE_CANDIDATES ({MAX_HOLE_CANDIDATES})"
                 " possible characters left as U+FFFD")  # fmt: skip
            return False
        if count > self.left:
            note(f"limit: mojibake repair tried MAX_PAGE_CANDIDATES ({MAX_PAGE_CANDIDATES})"
                 " characters; later lost bytes left as U+FFFD")  # fmt: skip
            return False
        self.left -= count
        return True


def _char_candidates(
    raw: list[int | None], i: int, after: int | None, budget: _Budget
) -> tuple[str, int] | None:
    """The characters the UTF-8 sequence starting at raw[i] may have been, and its length.

    UTF-8 is self-synchronising, so the bytes around a hole tell whether the lost byte was a
    lead or a continuation byte; only bytes a GBK decoder would have lost there are tried.
    Over budget, the sequence is one U+FFFD: it stands for a character, but not a known one.
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
    for j, span in enumerate(spans, start=i):
        if raw[j] is None:  # a hole: its span is a range
            following = raw[j + 1] if j + 1 < n else after
            spans[j - i] = _lost_candidates(span.start, span.stop, following, budget.browser)
    count = 1
    for span in spans:
        count *= len(span)
    if count > 1 and not budget.take(count):  # a certain character costs nothing
        return "\ufffd", length
    key = tuple(tuple(span) for span in spans)
    chars = _utf8_decodings(key) if count > 1 else _utf8_decodings.__wrapped__(key)  # one: no reuse
    return (chars, length) if chars else None


@cache
def _lost_candidates(start: int, stop: int, following: int | None, browser: bool) -> tuple[int, ...]:
    """The bytes of range(start, stop) a GBK decoder would have lost before `following`."""
    return tuple(b for b in range(start, stop) if _could_be_lost(b, following, browser)) or tuple(
        range(start, stop)
    )


# The same holes come back from run to run and page to page. Each entry is at most
# MAX_HOLE_CANDIDATES characters (16 KB), so the cache stays under 8 MB.
@lru_cache(maxsize=512)
def _utf8_decodings(spans: tuple[tuple[int, ...], ...]) -> str:
    """Every UTF-8 character a byte from each span in turn may make, in order."""
    options: list[list[int]] = [[]]
    for span in spans:
        options = [o + [b] for o in options for b in span]
    chars = []
    for option in options:
        try:
            chars.append(bytes(option).decode("utf-8"))
        except UnicodeDecodeError:
            continue
    return "".join(chars)


def _utf8_with_holes(
    raw: list[int | None], after: int | None, budget: _Budget
) -> tuple[list[str], list[tuple[int, str]]] | None:
    """Decode UTF-8 bytes with holes: (characters, [(index, possible characters)] for the
    holes that leave a choice), or None if the bytes are not UTF-8."""
    out: list[str] = []
    holes: list[tuple[int, str]] = []
    i = invalid = 0
    while i < len(raw):
        byte = raw[i]
        if byte is not None and byte < 0x80:
            out.append(chr(byte))
            i += 1
            continue
        found = _char_candidates(raw, i, after, budget)
        if found is None:
            # Not UTF-8 here: a byte was lost before the GBK decoder saw the page (no U+FFFD
            # marks it). UTF-8 resynchronises at the next lead byte: one character is lost.
            invalid += 1
            if invalid * 20 > len(raw):
                return None  # not UTF-8 at all
            out.append("\ufffd")
            i += 1
            while i < len(raw) and (raw[i] is None or 0x80 <= raw[i] < 0xC0):
                i += 1
            continue
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
    holes: list[tuple[int, str]]  # (index, possible characters) where a byte was lost
    certain: str  # the characters the bytes fix for certain, NUL where a byte was lost
    score: float  # hanzi score of `certain`
    certain_hanzi: int


def _undo_rounds(run: str, after: str, budget: _Budget) -> _Decoded | None:
    """Undo up to three rounds of UTF-8-read-as-GBK; stop at the first that reads as Chinese."""
    current, first = run, None
    for _ in range(3):
        raw = _mojibake_bytes(current)
        decoded = None if raw is None else _utf8_with_holes(raw, ord(after) if after else None, budget)
        if decoded is None:
            break
        chars, holes = decoded
        lost = {index for index, _ in holes}
        certain = "".join("\0" if i in lost else ch for i, ch in enumerate(chars))
        result = _Decoded(chars, holes, certain, *hanzi_score(certain))
        first = first or result
        if result.certain_hanzi and result.score >= GOOD_SCORE:
            return result
        for index, options in holes:
            # A hole of an inner round: U+FFFD or € most likely (the outer round's decoder made
            # them), else a character whose two GBK bytes the next round must guess.
            chars[index] = next((ch for ch in "\ufffd€" if ch in options), "\ufffd\ufffd")
        current = "".join(chars)
    return first


def _fill_holes(decoded: _Decoded, before: str, after: str, pairs: Counter, seen: Counter) -> str:
    """Choose each lost character by the character pairs it makes with its neighbours on this
    page, then by the words it makes with them (jieba's dictionary), then by how often the
    page uses it, then by how common it is."""
    get = _word_frequencies().get
    chars = decoded.chars
    for index, options in decoded.holes:
        options = _plausible(options)
        left = "".join(chars[max(0, index - 2) : index]) or before
        right = "".join(chars[index + 1 : index + 3]) or after
        by_context = _by_context(options, left[-1:], right[:1]) or _closing(
            options, "".join(chars[max(0, index - 60) : index])
        )
        if by_context:
            chars[index] = by_context
            continue
        l1, l2, r1, r2 = left[-1:], left[-2:], right[:1], right[:2]
        # The lost byte is mostly the last of a run, so the left neighbours say the most. Each
        # measure in turn decides among those the previous ones left tied, the first of the
        # best kept (as max() over the tuple of measures would pick, for a fraction of lookups).
        tied = _first_best(options, [1000 * pairs.get((l1, ch), 0) + get(l1 + ch, 0) + get(l2 + ch, 0)
                                     + get(l1 + ch + r1, 0) for ch in options])  # fmt: skip
        if len(tied) > 1:
            tied = _first_best(
                tied, [1000 * pairs.get((ch, r1), 0) + get(ch + r1, 0) + get(ch + r2, 0) for ch in tied]
            )
        if len(tied) > 1:
            tied = _first_best(tied, [seen.get(ch, 0) for ch in tied])
        if len(tied) > 1:
            tied = _first_best(tied, [get(ch, 0) for ch in tied])
        chars[index] = tied[0]
    return "".join(chars)


# What follows a number in a report: units, counters and date parts, most used first.
AFTER_DIGIT = "号年月日件个条人次项份家万元天期批类名位篇%"


# The words of a portal page's chrome, which stand alone between tags and line ends, where a
# byte is lost and no neighbour tells the word (jieba would prefer 首都, 打击, 关键).
PAGE_CHROME = frozenset(
    {"首页", "打印", "关闭", "返回", "登录", "注册", "注销", "搜索", "更多", "收藏", "分享", "字号"}
)


def _by_context(options: str, left: str, right: str) -> str | None:
    """The lost character where its neighbours leave one reading: a byte is mostly lost
    before ASCII, so beside digits, spaces and line ends; there the page's pairs and jieba's
    words (of hanzi) say nothing, while the layout of report text does."""
    chrome = next((ch for ch in options if left + ch in PAGE_CHROME), None)
    if chrome:
        return chrome  # 首页 before a line end, not the commoner 首都
    if left in "(（" and right in ")）" and left and right:
        return next((ch for ch in "一二三四五六七八九十" if ch in options), None)  # 第(一)项
    if right in "(（" and right and "第" in options:
        return "第"
    if left.isdigit() and right.isdigit() and "〕" in options:
        return "〕"  # 〔2021〕30号
    if right.isdigit() and "〔" in options and not left.isdigit():
        return "〔"
    if left.isdigit():
        return next((ch for ch in AFTER_DIGIT if ch in options), None)
    if right in ("", "\n", " ", "<") and "。" in options:
        return "。"
    return None


def _closing(options: str, left: str) -> str | None:
    """》 or 」 where the text before opened one and did not close it."""
    for opening, closing in ("《》", "「」", "『』", "【】"):
        if closing in options and left.rfind(opening) > left.rfind(closing):
            return closing
    return None


@lru_cache(maxsize=512)  # options are the cached strings of _utf8_decodings
def _plausible(options: str) -> str:
    """The options a lost character may plausibly have been (all of them if none is)."""
    common = common_hanzi()
    return "".join(ch for ch in options if ch in common or PLAUSIBLE_SYMBOL.match(ch)) or options


def _first_best(options: Sequence[str], scores: list[int]) -> list[str]:
    """The options with the highest score, in their order."""
    top = max(scores)
    return [option for option, score in zip(options, scores, strict=True) if score == top]


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
    tried = set()
    budget = _Budget(browser="€" in text)
    for match in suspect_runs(text):
        run = match.group()
        if "\ufffd" not in run and (not might_be_mojibake(run) or hanzi_score(run)[0] >= GOOD_SCORE):
            continue  # reads as Chinese already
        tried.add(match.start())
        after = text[match.end() : match.end() + 1]
        decoded = _undo_rounds(run, after, budget)
        if decoded is not None:
            found.append((match, decoded))
    judged = [(m, d) for m, d in found if d.certain_hanzi and d.score >= GOOD_SCORE]
    if not judged:
        return text, 0
    looks_chinese = [m for m in MOJIBAKE_RUN.finditer(text) if m.start() not in tried]
    # On a page of mojibake, a short run of common-looking characters (鎬昏 for 总计) is
    # mojibake too when its bytes are whole UTF-8 of common hanzi: GBK text that is not
    # mojibake almost never re-encodes to valid UTF-8.
    for match in looks_chinese:
        decoded = _undo_rounds(match.group(), "", budget) if not _never_utf8(match.group()) else None
        if (
            decoded is not None
            and not decoded.holes
            and decoded.certain_hanzi
            and decoded.score >= GOOD_SCORE
        ):
            found.append((match, decoded))
    found.sort(key=lambda item: item[0].start())
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


def _never_utf8(run: str) -> bool:
    """A quick no: UTF-8 read as GBK never makes a first character whose lead byte is not a
    UTF-8 lead byte (C2-F4)."""
    first = run[0].encode("gb18030", "ignore")[:1]
    return not first or not 0xC2 <= first[0] <= 0xF4


def might_repair_or_cut(text: str) -> bool:
    """Could repair_mojibake or cut_unresolved_mojibake change `text` or note anything? Each
    suspect run is asked what those steps would ask of it, on a budget of its own: a page
    whose runs all read as Chinese, none decoding back to Chinese, is left alone by both.

    Also of an HTML page with its tags: its text's runs are runs of the page, in the same
    order, with the same character after them, so they decode the same on no more budget."""
    if "€" in text:  # a browser's decoder: its lost bytes are told apart by the page's `€`
        return True  # (a `€` in a tag would tell them apart otherwise than the text's do)
    budget = _Budget()
    with collecting() as problems:
        for match in suspect_runs(text):
            run = match.group()
            score, count = hanzi_score(run)
            if "\ufffd" in run or count >= 6 and score < 0.5:
                return True  # repaired or cut
            if score >= GOOD_SCORE:
                continue
            decoded = _undo_rounds(run, text[match.end() : match.end() + 1], budget)
            if decoded is not None and decoded.certain_hanzi and decoded.score >= GOOD_SCORE:
                return True
    return bool(problems)


def suspect_runs(text: str) -> list[re.Match]:
    """The runs of MOJIBAKE_RUN that hold U+FFFD or a rare hanzi, in order: the only ones either
    step can change. Found from those characters (a clean page has a few), not by a Python call
    per run: a run reaches back to the ASCII character before it (searched in the reversed text)."""
    runs: list[re.Match] = []
    suspect, pos, reverse = suspect_character(), 0, ""
    while hit := suspect.search(text, pos):
        reverse = reverse or text[::-1]
        before = ASCII.search(reverse, len(text) - hit.start())
        run = MOJIBAKE_RUN.match(text, len(text) - before.start() if before else 0)
        if run:
            runs.append(run)
        pos = run.end() if run else hit.end()
    return runs


ASCII = re.compile(r"[\x00-\x7f]")


@cache
def rare_hanzi() -> re.Pattern:
    """A hanzi that lowers a run's hanzi_score: uncommon, or a compatibility ideograph."""
    return re.compile(uncommon_hanzi().pattern[:-1] + "\uf900-\ufaff]")


def cut_unresolved_mojibake(text: str) -> tuple[str, int]:
    """Remove runs that still read as mojibake: they are not text, and must not pass as it."""
    if not might_be_mojibake(text):
        return text, 0
    removed = 0

    rare = rare_hanzi()
    latin_page = lenient_view_page(text)

    def cut(match: re.Match) -> str:
        nonlocal removed
        run = match.group()
        if "\ufffd" not in run and not rare.search(run):
            return run  # its hanzi (if any) are all common: it scores 1 and stays
        if latin_page and LENIENT_SIGN.search(run):
            return run  # GBK through a Latin view, not UTF-8 read as GBK: latin_view's
        score, count = hanzi_score(run)
        if count >= 6 and score < 0.5 or "\ufffd" in run and score < GOOD_SCORE:
            removed += len(run)
            return ""
        return run

    pieces, last = [], 0
    for match in suspect_runs(text):
        pieces += [text[last : match.start()], cut(match)]
        last = match.end()
    return "".join(pieces) + text[last:], removed




@cache
def suspect_character() -> re.Pattern:
    """U+FFFD or a rare hanzi (rare_hanzi: uncommon_hanzi and more)."""
    return re.compile("[\ufffd" + rare_hanzi().pattern[1:])
