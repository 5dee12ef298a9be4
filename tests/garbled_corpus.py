"""A garbled corpus made by the real mechanisms (tests/replica/garble.py), with its ground truth.

Clean report text (the seeds that are clean Simplified, the examples, the replica's reports) is
cut into passages; each passage, with its page's title and header lines, is garbled by each
kind of damage seen on real pages (tests/golden/garbling/*.json); the ground truth is the clean
passage. Kinds:

G1 GBK or Big5 bytes shown as Latin-1 / windows-1252 / "UTF-8 else Latin-1" text, twice,
   mixed with clean paragraphs, with lost bytes;
G3 UTF-8 read as GBK by a browser (`€` for 0x80), twice, on part of a page, with lost bytes,
   and by Python's gbk codec;
G4 pinyin annotations as farms insert them (toned over Traditional, toneless repeated);
G5 OpenCC s2tw / s2twp, a one-to-one converter's over-conversion, stray Traditional characters;
G6 dates and document numbers with 年/月/日/〕/号 dropped;
G7 debris: annotations with inner spaces or a lost bracket, doubled punctuation, split years,
   a line break after 《;
G8 content-farm damage: spam title lines, a gambling keyword for 政府信息公开, a lone gambling
   heading;
K  Kangxi radicals for characters (PDF text layers).
G2 (Japanese pages read as GBK) is not repaired: `japanese_pages` gives them for the flag test.

`naive(text)` is the two-line baseline the issue measures against.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rapidfuzz.distance import LCSseq

from tests.replica import garble

HERE = Path(__file__).parent
SEEDS = HERE / "data" / "seeds"
EXAMPLES = HERE / "data" / "examples"
FACTS = HERE / "golden" / "garbling"
PASSAGE = 1200  # characters of one passage (before its header lines)


@dataclass
class Sample:
    kind: str  # G1 ... G8, K
    variant: str
    source: str
    clean: str
    garbled: str


@cache
def facts() -> dict:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(FACTS.glob("*.json"))}


@cache
def clean_sources() -> list[tuple[str, str]]:
    """(name, clean text) of clean Simplified report pages."""
    from pipelines.text import html_to_text
    from tests.replica.generator import build_portal

    sources = [(p.stem[:3], p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("00[12]_*.txt"))]
    for path in sorted(EXAMPLES.glob("20*.html")):
        sources.append((path.stem, html_to_text(path.read_text(encoding="utf-8"))))
    portal = build_portal(200)
    reports = sorted((p for p in portal.pages.values() if p.kind == "annual_report" and p.encoding == "utf-8"
                      and not p.twin_of), key=lambda p: p.url)  # fmt: skip
    for page in reports[:4]:
        sources.append((page.url.split("/", 3)[-1], html_to_text(page.body.decode("utf-8"))))
    return sources


def passages(text: str, limit: int = 3) -> Iterator[str]:
    """Up to `limit` passages of about PASSAGE characters, each led by the page's first two
    lines (title, header with the publish date), cut at line ends."""
    text = re.sub(r"[\xa0\u3000\u2002-\u200b]", " ", text)  # GBK and Big5 have no such spaces
    text = re.sub(r"[ \t]*\|[ \t|]*", " ", text)  # flattened table pipes: noise, not text
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    head, body = lines[:2], lines[2:]
    chunk: list[str] = []
    count = 0
    for line in body:
        chunk.append(line)
        if sum(map(len, chunk)) >= PASSAGE:
            yield "\n".join(head + chunk)
            count += 1
            chunk = []
            if count >= limit:
                return
    if chunk:
        yield "\n".join(head + chunk)


def _paragraphs(text: str, rng: random.Random, damage, share: float = 0.5) -> str:
    return "\n".join(damage(p) if rng.random() < share else p for p in text.split("\n"))


def _kangxi_of() -> dict[str, str]:
    """Character -> the Kangxi radical a PDF text layer prints for it."""
    return {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0x2F00, 0x2FD6)}


def _debris(text: str, rng: random.Random) -> str:
    text = garble.annotate_text(text, rng, toned=True, share=0.15)
    text = re.sub(r"\(([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+)\)",
                  lambda m: rng.choice([f"({m[1]} )", f"{m[1]})", f"( {m[1]})", m[0]]), text)  # fmt: skip
    text = re.sub(r"[，,]", lambda m: m[0] * 2 if rng.random() < 0.3 else m[0], text)
    text = re.sub(r"、", lambda m: "，、" if rng.random() < 0.3 else m[0], text)
    text = re.sub(r"(20\d)(\d)(?=年)", lambda m: f"{m[1]} {m[2]}" if rng.random() < 0.5 else m[0], text)
    return text.replace("《", "《\n", 2)


def _farm(text: str, rng: random.Random) -> str:
    spam = facts()["content_farm"]
    title = rng.choice(spam["spam_title_lines"])
    keyword = spam["keyword_substitution"]
    text = text.replace(keyword["replaced"], keyword["keyword"])
    lines = text.split("\n")
    lines.insert(1, spam["lone_heading"])
    return title + "\n" + "\n".join(lines)


def garblers() -> list[tuple[str, str, object]]:
    """(kind, variant, garble(text, rng) -> text)."""
    view = garble.latin_view
    kangxi = _kangxi_of()
    lose = garble.lose_bytes
    return [
        ("G1", "gbk as latin-1", lambda t, r: view(t, "gbk", "latin-1")),
        ("G1", "gbk as windows-1252", lambda t, r: view(t, "gbk", "windows-1252")),
        ("G1", "gbk as utf-8 else latin-1", lambda t, r: view(t, "gbk", "utf8")),
        ("G1", "big5 as latin-1", lambda t, r: view(garble.to_taiwan(t, phrases=False), "big5", "latin-1")),
        (
            "G1",
            "big5 as windows-1252",
            lambda t, r: view(garble.to_taiwan(t, phrases=False), "big5", "windows-1252"),
        ),
        (
            "G1",
            "gbk as latin-1, twice",
            lambda t, r: view(view(t, "gbk", "latin-1"), "utf-8", "windows-1252"),
        ),
        ("G1", "part of the page", lambda t, r: _paragraphs(t, r, lambda p: view(p, "gbk", "latin-1"))),
        ("G1", "lost bytes", lambda t, r: lose(t.encode("gbk", "replace"), r).decode("latin-1")),
        ("G3", "browser gbk", lambda t, r: garble.utf8_read_as_gbk(t)),
        ("G3", "browser gbk, twice", lambda t, r: garble.utf8_read_as_gbk(garble.utf8_read_as_gbk(t))),
        ("G3", "part of the page", lambda t, r: _paragraphs(t, r, garble.utf8_read_as_gbk)),
        ("G3", "lost bytes", lambda t, r: garble.browser_gbk_decode(lose(t.encode("utf-8"), r))),
        ("G3", "python gbk codec", lambda t, r: t.encode("utf-8").decode("gbk", "replace")),
        (
            "G4",
            "toned over traditional",
            lambda t, r: garble.annotate_text(garble.to_traditional(t), r, True),
        ),
        ("G4", "toneless, repeated", lambda t, r: garble.annotate_text(t, r, False, repeats=4)),
        ("G5", "s2tw", lambda t, r: garble.to_taiwan(t, phrases=False)),
        ("G5", "s2twp", lambda t, r: garble.to_taiwan(t)),
        ("G5", "over-conversion", lambda t, r: garble.over_convert(t)),
        ("G5", "stray traditional", lambda t, r: garble.stray_traditional(t, r)),
        ("G6", "squashed dates", lambda t, r: garble.squash_dates(t, r)),
        ("G7", "debris", _debris),
        ("G8", "content farm", _farm),
        ("K", "kangxi radicals", lambda t, r: "".join(kangxi.get(c, c) for c in t)),
    ]


@cache
def corpus(per_source: int = 2) -> tuple[Sample, ...]:
    """Every garbler over `per_source` passages of each clean source."""
    samples = []
    sources = clean_sources()
    for kind, variant, damage in garblers():
        for name, text in sources:
            for n, passage in enumerate(passages(text, limit=per_source)):
                rng = random.Random(f"{variant}/{name}/{n}")
                samples.append(Sample(kind, variant, name, passage, damage(passage, rng)))
    return tuple(samples)


@cache
def degarbled(per_source: int = 2) -> tuple:
    """degarble's result for each sample of corpus(per_source), in its order: the accuracy tests
    and the clean-text gate's tests read the same results (run once in a process that runs both)."""
    from pipelines.degarble import degarble

    return tuple(degarble(sample.garbled) for sample in corpus(per_source))


JAPANESE = [  # our own Japanese filler prose
    "市役所は情報公開制度の運用状況について、年次報告書を作成しました。",
    "請求件数は前年度より増加し、そのうち全部開示は多くの割合を占めています。",
    "今後とも、市民の皆様に分かりやすい情報提供に努めてまいります。",
]


def japanese_pages() -> list[tuple[str, str]]:
    """(encoding, page text) of a Japanese page read as GBK by a browser."""
    text = "\n".join(JAPANESE * 3)
    return [(enc, garble.japanese_read_as_gbk(text, enc)) for enc in ("euc-jp", "shift_jis")]


# -- measuring ---
def measure(samples, repair) -> dict[tuple[str, str], tuple[float, int]]:
    """(kind, variant) -> (character accuracy pooled over its samples, characters)."""
    totals: dict[tuple[str, str], list[float]] = {}
    for sample in samples:
        right = accuracy(sample.clean, repair(sample.garbled)) * len(sample.clean)
        total = totals.setdefault((sample.kind, sample.variant), [0.0, 0])
        total[0] += right
        total[1] += len(sample.clean)
    return {key: (right / size, size) for key, (right, size) in totals.items()}


def pooled(figures: dict, kind: str | None = None) -> float:
    chosen = [(a, n) for (k, _), (a, n) in figures.items() if kind in (None, k)]
    return sum(a * n for a, n in chosen) / sum(n for _, n in chosen)


def accuracy(expected: str, actual: str) -> float:
    """Characters right: those in order in both (their longest common subsequence, RapidFuzz's
    LCSseq: exact, and some twenty times quicker than difflib's matching blocks, which only
    approach it), over the longer of the two (so debris left in counts against it as much as
    text lost)."""
    return LCSseq.similarity(expected, actual) / max(1, len(expected), len(actual))


PINYIN_BRACKET = re.compile(r"\(([a-zü]+[1-5]?)\)")


@cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def naive(text: str) -> str:
    """The naive baseline: regex removal of `(pinyin)` + OpenCC t2s."""
    untoned = unicodedata.normalize("NFD", text)
    without = re.sub(r"\([a-zü\u0300-\u036f]{1,7}\)", "", untoned)
    return _t2s().convert(unicodedata.normalize("NFC", without))
