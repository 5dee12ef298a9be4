"""De-garbling: decoded page text -> clean Simplified text, with a record of every change.

An ordered list of named transforms, each a pure function returning (text, changes); each
kind of damage has its own module:

mojibake            UTF-8 read as GBK (a browser's decoder with `€` for 0x80, or a strict
                    codec), once or twice: re-encoded and decoded back (pipelines.mojibake).
mojibake_unresolved runs that still read as mojibake are cut out and counted.
radicals            Kangxi radicals of PDF text layers -> characters (pipelines.kangxi).
latin_view          GBK/Big5 shown through a Latin-1 / windows-1252 / "UTF-8 else Latin-1"
                    view, once or twice (pipelines.latin_view); the cut leaves its runs alone.
farm                content-farm spam lines and gambling keywords (pipelines.farm).
annotations         pinyin readings after characters (區(qū), 文(wen), 政(zheng)(zheng), with
                    inner spaces or a lost bracket), removed only when the bracket holds a
                    reading of the character before it, so (一) (试行) (2019) (fan) survive.
traditional         Traditional -> Simplified, Taiwan vocabulary only where a line shows it
stray_traditional   and stray Traditional characters on Simplified pages (pipelines.simplify).
noise               zero-width characters, runs of table pipes, non-breaking/full-width spaces.
debris              doubled punctuation, split years, titles broken after 《 (pipelines.debris).
dates               document numbers and dates whose marks a copy dropped (pipelines.squashed).

A Japanese page read as GBK (pipelines.japanese) is flagged and gets only radicals and noise.
Already-clean Simplified text passes through with 0 changes but spacing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from pipelines.debris import remove_debris
from pipelines.farm import remove_farm_damage
from pipelines.japanese import japanese_reading
from pipelines.kangxi import unify_radicals
from pipelines.latin_view import repair_latin_view
from pipelines.limits import note
from pipelines.mojibake import cut_unresolved_mojibake, might_be_mojibake, repair_mojibake
from pipelines.simplify import fix_stray_traditional, to_simplified
from pipelines.squashed import repair_dates
from pipelines.untouched import might_change

# -- 2. pinyin annotations ---------------------------------------------------------------------
TONE_MARKS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# Farms also leave a space inside the brackets: (huì ), ( huì).
ANNOTATED = re.compile(
    rf"([\u3400-\u4dbf\u4e00-\u9fff])((?:[(（] ?[a-zü{TONE_MARKS}:]{{1,7}}[1-5]? ?[)）])+)", re.IGNORECASE
)
PINYIN_IN_BRACKETS = re.compile(rf"[(（] ?[a-zA-ZüÜ{TONE_MARKS}:]{{1,7}}[1-5]? ?[)）]")
BRACKETED = re.compile(r"[(（] ?([^()（） ]*) ?[)）]")  # no bracket inside: linear
# A reading whose opening bracket was lost (动dòng)): removed when it is a reading of the
# character before it.
OPEN_LOST = re.compile(rf"([\u3400-\u4dbf\u4e00-\u9fff])([a-zü{TONE_MARKS}]{{1,7}}) ?[)）]")
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
ORPHAN_ANNOTATION = re.compile(
    rf"(?<=[^\s\u3400-\u4dbf\u4e00-\u9fff])[(（] ?([a-zü{TONE_MARKS}]{{1,7}}) ?[)）]"
)


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
        annotations = list(BRACKETED.finditer(brackets))
        readings = 0
        while readings < len(annotations) and is_reading(char, annotations[readings].group(1)):
            readings += 1
        if not readings:
            return match.group()
        removed += readings
        rest = brackets[annotations[readings].start() :] if readings < len(annotations) else ""
        return char + rest  # a bracket after the readings ((PPP)) is the page's own

    def open_lost(match: re.Match) -> str:
        nonlocal removed
        char, letters = match.groups()
        if is_reading(char, letters):
            removed += 1
            return char
        return match.group()

    def cut_off(match: re.Match) -> str:
        nonlocal removed
        if match.group(1) in syllable_prefixes():
            removed += 1
            return ""
        return match.group()

    text = ANNOTATED.sub(strip, text)
    text = OPEN_LOST.sub(open_lost, text) if removed else text
    text = ORPHAN_ANNOTATION.sub(orphan, text)
    if removed >= CUT_OFF_EVIDENCE:  # a page full of readings: a cut-off one after debris goes too
        text = CUT_OFF_READING.sub(cut_off, text)
    return text, removed


# A reading cut short after something that is not a hanzi ((sh) where 是(shì) lost its
# character), on a page that shows many readings: two to six letters that begin a pinyin
# syllable ((kg), (km) begin none).
CUT_OFF_READING = re.compile(r"(?<=[^\s\u3400-\u4dbf\u4e00-\u9fff(（])[(（]([a-z]{2,6})[)）]")
CUT_OFF_EVIDENCE = 5


@cache
def syllable_prefixes() -> frozenset[str]:
    """Every beginning (two letters or more) of a toneless pinyin syllable."""
    from pypinyin.pinyin_dict import pinyin_dict

    syllables = {s.translate(UNTONE) for readings in pinyin_dict.values() for s in readings.split(",")}
    return frozenset(s[:n] for s in syllables for n in range(2, len(s) + 1))


# -- 3. Traditional -> Simplified: pipelines.simplify ------------------------------------------

# -- 4. noise ----------------------------------------------------------------------------------
# Zero-width characters, and private-use ones (GBK user-defined areas: never real text).
ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\ue000-\uf8ff]")
ODD_SPACES = re.compile(r"[\u00a0\u3000\u2002-\u200a\u202f]")
# A line of nothing but non-breaking spaces is a run of empty cells of a flattened table (seed
# 001): one per NBSP, which the parser counts, so those lines keep them.
BLANK_CELLS_LINE = re.compile(r"^ *\u00a0[ \u00a0]*$", re.M)  # spaces up to the first NBSP: linear
NOISE_CHARS = re.compile(f"[{ZERO_WIDTH.pattern[1:-1]}{ODD_SPACES.pattern[1:-1]}]")
# Table noise of flattened pages: runs of pipes, and lines holding a lone pipe.
PIPE_RUNS = re.compile(r"\|{3,}")  # "| 3 |  | 4 |" is a table row whose empty cells must stay
PIPE_LINES = re.compile(r"\n[ \t]*\|[ \t]*(?=\n)")


def remove_noise(text: str) -> tuple[str, int]:
    changes = 0
    steps = [(PIPE_RUNS, " "), (PIPE_LINES, "\n")] if "|" in text else []
    if NOISE_CHARS.search(text):
        steps += [(ZERO_WIDTH, ""), (ODD_SPACES, " ")]
    for pattern, replacement in steps:
        if pattern is ODD_SPACES:
            text, n = replace_outside_blank_cells(text, replacement)
        else:
            text, n = pattern.subn(replacement, text)
        changes += n
    return text, changes


def replace_outside_blank_cells(text: str, replacement: str) -> tuple[str, int]:
    out, changes, start = [], 0, 0
    for blank in BLANK_CELLS_LINE.finditer(text):
        part, n = ODD_SPACES.subn(replacement, text[start : blank.start()])
        out += [part, blank.group()]
        changes += n
        start = blank.end()
    part, n = ODD_SPACES.subn(replacement, text[start:])
    return "".join([*out, part]), changes + n


# -- 5. squashed dates and document numbers: pipelines.squashed --------------------------------


def might_be_japanese(text: str) -> bool:
    """Kana, or the rare hanzi of a mis-read page: the cheap test before the real one."""
    return KANA.search(text) is not None or might_be_mojibake(text)


KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa]")


# -- the pipeline ------------------------------------------------------------------------------
@dataclass
class Degarbled:
    text: str
    transforms: list[dict] = field(default_factory=list)  # [{name, count}] in order

    def count(self, name: str) -> int:
        return next((t["count"] for t in self.transforms if t["name"] == name), 0)


TRANSFORMS: list[tuple[str, Callable[[str], tuple[str, int]]]] = [
    ("mojibake", repair_mojibake),  # the record of every page starts with these two
    ("mojibake_unresolved", cut_unresolved_mojibake),
    ("radicals", unify_radicals),
    ("latin_view", repair_latin_view),
    ("farm", remove_farm_damage),
    ("annotations", remove_annotations),
    ("traditional", to_simplified),
    ("stray_traditional", fix_stray_traditional),
    ("noise", remove_noise),
    ("debris", remove_debris),
    ("dates", repair_dates),
]


# What a page that is not Chinese still gets: nothing that would read it as Chinese.
NOT_CHINESE_TRANSFORMS = [(name, t) for name, t in TRANSFORMS if name in ("radicals", "noise")]


def degarble(text: str) -> Degarbled:
    """Run every transform in order; the record lists each with its number of changes.

    A Japanese page (pipelines.japanese) gets a problem line and only the transforms that do
    not read it as Chinese; its record says `not_chinese`. A text no transform would change
    (pipelines.untouched) is given back at the cost of two scans, with the same record."""
    return untouched(text) or transformed(text)


def transformed(text: str) -> Degarbled:
    """`degarble` without the clean-text gate: every transform asked in turn."""
    record = []
    transforms = TRANSFORMS
    if might_be_japanese(text):
        reason = japanese_reading(text)
        if reason:
            note(reason)
            record.append({"name": "not_chinese", "count": 1})
            transforms = NOT_CHINESE_TRANSFORMS
    for name, transform in transforms:
        text, count = transform(text)
        record.append({"name": name, "count": count})
    return Degarbled(text, record)


def untouched(text: str) -> Degarbled | None:
    """The result for a text no transform would change (pipelines.untouched), else None.

    Also for an HTML page with its tags: what the transforms look for is never inside a tag's
    mark, so a page whose tags and text together hold none of it has text that holds none
    either, and its text need not be told from its tags (pipelines.text.markup_text)."""
    if might_change(text):
        return None
    return Degarbled(text, [{"name": name, "count": 0} for name, _ in TRANSFORMS])
