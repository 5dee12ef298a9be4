"""Is a text clean? Two scans that tell whether any de-garbling transform could change it.

Each transform starts with its own test of what it needs in order to change anything (rare
hanzi, kana, a pair of Latin-view characters, `(pinyin)`, `〔2021…`, …). On a clean page every
test fails, yet each scans the whole text, and an HTML page's text must first be told from its
tags (pipelines.text.markup_text): on clean pages that work cost more than detecting the
encoding did. `might_change` asks all the tests at once, in two scans:

- one character class: every character whose presence a transform needs (U+FFFD, hanzi
  outside the common set, kana, Kangxi radicals, characters only Traditional text has,
  zero-width, private-use and odd spaces, Latin-view characters other than the marks real text
  puts beside ASCII, characters beyond the BMP);
- one alternation of the transforms' own patterns, each starting with a literal character, so
  that the regex engine skips ahead to the few places where one could begin.

Each part is built from the transform's own pattern or list where one exists, so the gate
cannot drift from the test it stands for; it may say "might change" where a transform then
finds nothing (the full run decides), never the reverse (tests/test_degarble_untouched.py
holds it to that on the garbled corpus and the replica's pages).

On an HTML page with its tags: none of these matches holds `<` or `>`, and what a pattern
looks at around its match is inside the same piece of text or is the `<` or `>` that bounds
it, which markup_text's tag mark `<>` keeps. So a match in the page's text is a match in the
page, and a page with none needs no markup scan.

Python's re has no multi-pattern search and no library here offers one for these patterns
(pyahocorasick takes literals only), hence this module.
"""

from __future__ import annotations

import re
from functools import cache


def might_change(text: str) -> bool:
    """False only when no de-garbling transform would change `text` or note anything."""
    rare, patterns = _gate()
    return rare.search(text) is not None or patterns.search(text) is not None


@cache
def _gate() -> tuple[re.Pattern[str], re.Pattern[str]]:
    from pipelines import debris, degarble, farm, kangxi, latin_view, squashed
    from pipelines.hanzi import uncommon_hanzi
    from pipelines.simplify import stray_traditional

    def inside(pattern: re.Pattern[str]) -> str:
        """The inside of a one-class pattern `[...]`."""
        source = pattern.pattern
        assert source.startswith("[") and source.endswith("]") and source.count("[") == 1, source
        return source[1:-1]

    marks = latin_view.TEXT_MARKS
    view = [chr(c) for c in range(0x80, 0x800)] + list(latin_view.CP1252_SPECIALS)
    rare = "".join(
        [
            "\ufffd",
            inside(uncommon_hanzi()),  # mojibake, mojibake_unresolved, Japanese
            inside(degarble.KANA),
            inside(kangxi.RADICALS),
            inside(stray_traditional()),  # traditional, stray_traditional
            inside(degarble.NOISE_CHARS),
            # latin_view: a run needs a view character that is not a text mark; its lenient
            # reading needs letters of U+0100-U+07FF (inside `view`) or characters beyond the BMP
            re.escape("".join(ch for ch in view if ch not in marks)),
            "\uac00-\ud7af\U00010000-\U0010ffff",
        ]
    )
    pinyin = degarble.PINYIN_IN_BRACKETS.pattern.removeprefix("[(（]")
    portal = farm.PORTAL_URL.pattern.removeprefix("(?:网站|网址|门户)")
    assert pinyin != degarble.PINYIN_IN_BRACKETS.pattern and portal != farm.PORTAL_URL.pattern
    branches = [
        r"\(" + pinyin,
        "（" + pinyin,  # annotations
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
    return re.compile(f"[{rare}]"), re.compile("|".join(branches))


def _from_literal_two(pattern: str) -> str:
    """A date pattern that opens with its year group `(20…` made to open with the literal 2,
    so the whole alternation keeps a set of first characters the engine can skip ahead by."""
    assert pattern.startswith("(20"), pattern
    return "2(?:0" + pattern[3:]
