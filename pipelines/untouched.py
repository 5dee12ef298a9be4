"""Is a text clean? A few scans that tell whether any de-garbling transform could change it.

Each transform starts with its own test of what it needs in order to change anything (rare
hanzi, kana, a pair of Latin-view characters, `(pinyin)`, `〔2021…`, …). On a clean page every
test fails, yet each scans the whole text, and an HTML page's text must first be told from its
tags (pipelines.text.markup_text): on clean pages that work cost more than detecting the
encoding did. `might_change` asks all the tests at once:

- one scan for the characters whose presence a transform needs (U+FFFD, kana, Kangxi
  radicals, characters only Traditional text has, zero-width, private-use and odd spaces,
  letters only a lenient Latin view makes, characters beyond the BMP, Hangul), and for two
  Latin-view characters in one run of which one is not a mark real text puts beside ASCII;
- one alternation of the transforms' own patterns, each starting with a literal character, so
  that the regex engine skips ahead to the few places where one could begin;
- where the page has a rare hanzi (real pages do: 浏 of 无障碍浏览): the mojibake steps change
  only a run that holds U+FFFD or reads as mojibake (pipelines.mojibake.suspect_runs, scored),
  and a Shift_JIS view shows kana only from lead bytes 81-83, which only characters outside
  GB2312 give (two at most each): a page with fewer than MIN_KANA / 2 of them is not Japanese.

Each part is built from the transform's own pattern or list where one exists, so the gate
cannot drift from the test it stands for; it may say "might change" where a transform then
finds nothing (the full run decides), never the reverse (tests/test_degarble_untouched.py
holds it to that on the garbled corpus and the replica's and the real pages).

On an HTML page with its tags: none of these matches holds `<` or `>`, and what a pattern
looks at around its match is inside the same piece of text or is the `<` or `>` that bounds
it, which markup_text's tag mark `<>` keeps; a run of non-ASCII characters of the text is one
of the page. So a match in the page's text is a match in the page, and a page with none
needs no markup scan.

Python's re has no multi-pattern search and no library here offers one for these patterns
(pyahocorasick takes literals only), hence this module.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import islice


def might_change(text: str) -> bool:
    """False only when no de-garbling transform would change `text` or note anything."""
    characters, patterns = _gate()
    if characters.search(text) or patterns.search(text):
        return True
    return _rare_hanzi_matter(text)


def _rare_hanzi_matter(text: str) -> bool:
    from pipelines.japanese import MIN_KANA
    from pipelines.mojibake import might_repair_or_cut, suspect_character

    if not suspect_character().search(text):
        return False
    if might_repair_or_cut(text):
        return True
    # pipelines.japanese: MIN_KANA kana of a Shift_JIS view need lead bytes 81-83, which only a
    # character outside GB2312 gives (two at most each), so MIN_KANA / 2 such characters
    enough = (MIN_KANA + 1) // 2
    return len(list(islice(_outside_gb2312().finditer(text), enough))) == enough


@cache
def _outside_gb2312() -> re.Pattern[str]:
    """A character that is neither ASCII nor in GB2312 (whose bytes are all A1-FE)."""
    inside = []
    for code in range(0x80, 0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        try:
            chr(code).encode("gb2312")
        except UnicodeEncodeError:
            continue
        inside.append(chr(code))
    return re.compile("[^\\x00-\\x7f" + re.escape("".join(inside)) + "]")


@cache
def _gate() -> tuple[re.Pattern[str], re.Pattern[str]]:
    from pipelines import debris, degarble, farm, japanese, kangxi, latin_view, squashed
    from pipelines.hanzi import HANZI
    from pipelines.simplify import stray_traditional

    def inside(pattern: re.Pattern[str]) -> str:
        """The inside of a one-class pattern `[...]`."""
        source = pattern.pattern
        assert source.startswith("[") and source.endswith("]") and source.count("[") == 1, source
        return source[1:-1]

    rare = "".join(
        [
            "\ufffd",
            inside(japanese.KANA),  # with ー, which japanese counts
            inside(kangxi.RADICALS),
            inside(stray_traditional()),  # traditional, stray_traditional
            inside(degarble.NOISE_CHARS),
            re.escape(latin_view._lenient_letters()),  # a lenient view: every run is read
            "\uac00-\ud7af\U00010000-\U0010ffff",
        ]
    )
    # latin_view reads a run of view characters (and printable ASCII) holding two of them, one
    # not a text mark: a mark and the next view character in its run, or the reverse
    view = {chr(c) for c in range(0x80, 0x800)} | set(latin_view.CP1252_SPECIALS)
    marks = re.escape("".join(sorted(view & set(latin_view.TEXT_MARKS))))
    others = re.escape("".join(sorted(view - set(latin_view.TEXT_MARKS))))
    in_run = r"[\x21-\x3b\x3d\x3f-\x7e]*"
    characters = (
        f"[{rare}{marks}{others}]"
        f"(?:(?<=[{rare}])|(?<=[{others}]){in_run}[{marks}{others}]|(?<=[{marks}]){in_run}[{others}])"
    )
    # annotations: a bracket after a hanzi (ANNOTATED, case-insensitive as it is), or holding a
    # tone-marked reading (ORPHAN_ANNOTATION); the others run only after one was removed
    tones = degarble.TONE_MARKS
    reading = degarble.ANNOTATED.pattern.split("((?:[(（]", 1)[1].split(")+)", 1)[0]
    assert reading.startswith(" ?[a-zü") and "[)）]" in reading, reading
    hanzi = inside(HANZI)
    portal = farm.PORTAL_URL.pattern.removeprefix("(?:网站|网址|门户)")
    assert portal != farm.PORTAL_URL.pattern
    branches = [
        *(f"{bracket}(?<=[{hanzi}]{bracket})(?i:{reading})" for bracket in (r"\(", "（")),
        *(f"{bracket} ?[a-zü{tones}]{{0,6}}[{tones}]" for bracket in (r"\(", "（")),
        *map(re.escape, farm.SPAM_GATE + farm.GAMBLING_GATE),
        *(word + portal for word in ("网站", "网址", "门户")),  # farm: a mirror's address
        r"\|(?:\|\||[ \t]*\n)",  # noise: PIPE_RUNS (|||) and PIPE_LINES (a lone | before \n)
        *map(re.escape, debris.DOUBLED_GATE),
        r"年(?<= \d年)|年(?<= \d\d年)|年(?<= \d\d\d年)",  # debris.SPLIT_YEAR_GATE, 年 first
        r"《 ?\n|》(?<=\n》)|》(?<=\n 》)",  # debris: a title broken after 《 or before 》
        squashed.DOCUMENT_NUMBER.pattern,
        _from_literal_two(squashed.SQUASHED_DATE.pattern),
        _from_literal_two(squashed.MARKED_DATE.pattern),
    ]
    assert all(b[0] not in "([" or b.startswith(r"\(") for b in branches), branches
    return re.compile(characters), re.compile("|".join(branches))


def _from_literal_two(pattern: str) -> str:
    """A date pattern that opens with its year group `(20…` made to open with the literal 2,
    so the whole alternation keeps a set of first characters the engine can skip ahead by."""
    assert pattern.startswith("(20"), pattern
    return "2(?:0" + pattern[3:]
