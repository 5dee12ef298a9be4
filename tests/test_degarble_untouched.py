"""The clean-text gate (pipelines.untouched): it may send a clean text through every transform,
but it must never pass by a text that a transform would change or note something about.

Each test compares the gate's answer with what the full run of transforms (`transformed`,
no gate) does to the same text: on the garbled corpus, on the same passages inside HTML with
tags cut into them, on the real seeds and examples, and on every article page of the replica."""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

import pytest

from pipelines.degarble import Degarbled, degarble, transformed, untouched
from pipelines.encoding import decode_page
from pipelines.limits import collecting
from pipelines.process import degarble_html
from pipelines.text import looks_like_html, markup_text, strip_scripts
from pipelines.untouched import might_change
from tests.garbled_corpus import corpus, degarbled, japanese_pages
from tests.replica.generator import build_portal

DATA = Path(__file__).parent / "data"
ARTICLE_KINDS = {"annual_report", "work_summary", "notice", "other", "copy"}


def full_result(text: str) -> tuple[bool, Degarbled]:
    """(whether any transform changed the text, counted a change or noted a problem), result."""
    with collecting() as problems:
        result = transformed(text)
    acted = result.text != text or any(t["count"] for t in result.transforms) or bool(problems)
    return acted, result


def full_run(text: str) -> tuple[bool, list[dict]]:
    """(whether any transform changed the text, counted a change or noted a problem), record."""
    acted, result = full_result(text)
    return acted, result.transforms


def gate_holds(text: str) -> tuple[bool, Degarbled]:
    """The gate lets `text` by only when the full run leaves it as it was with a zero record;
    gives whether the full run acted on it, and its result."""
    acted, result = full_result(text)
    clean = untouched(text)
    if acted:
        assert clean is None, text[:300]
    elif clean is not None:
        assert clean.text == text and clean.transforms == result.transforms
    return acted, result


def assert_gate_holds(text: str) -> bool:
    return gate_holds(text)[0]


@cache
def samples():
    return corpus(1)


def test_every_garbled_passage_is_caught_and_degarbled_as_before():
    caught: dict[str, int] = {}
    for sample, result in zip(samples(), degarbled(1), strict=True):  # degarble's, shared with test_degarble_corpus
        acted, full = gate_holds(sample.garbled)  # the transforms run once: their result is compared below
        caught[sample.kind] = caught.get(sample.kind, 0) + acted
        assert result == full
    # every kind of damage is there to be caught, and the full run acts on it
    assert set(caught) == {"G1", "G3", "G4", "G5", "G6", "G7", "G8", "K"}
    assert all(caught.values()), caught


def test_japanese_pages_are_caught():
    for _, text in japanese_pages():
        assert might_change(text)
        assert any(t["name"] == "not_chinese" for t in degarble(text).transforms)


def cut_into_tags(text: str, rng: random.Random) -> str:
    """`text` as an HTML page with tags put between characters at random places."""
    tags = ['<span class="a">', "</span>", "<br>", '<a href="/x/20210926_1.html">', "</a>", "<td>"]
    pieces = ['<html><head><meta charset="utf-8"><title>t</title></head><body>']
    for char in text:
        if rng.random() < 0.03:
            pieces.append(rng.choice(tags))
        pieces.append(char)
    return "".join([*pieces, "</body></html>"])


def test_tags_in_the_text_never_hide_damage_from_the_gate():
    acted_on = 0
    for n, sample in enumerate(samples()):
        html = cut_into_tags(sample.garbled, random.Random(n))
        text = markup_text(html)
        acted, _ = full_run(text)
        acted_on += acted
        if acted:
            assert untouched(html) is None, html[:300]
        elif untouched(html) is not None:
            assert degarble_html(html).text == html
    assert acted_on > len(samples()) * 0.8  # tags cut few repairs short: most passages still count


@pytest.mark.parametrize("path", sorted((DATA / "seeds").glob("*.txt")) + sorted((DATA / "examples").glob("*.html")))
def test_real_pages(path):
    text = path.read_text(encoding="utf-8")
    if looks_like_html(text):
        html = strip_scripts(text)
        acted, _ = full_run(markup_text(html))
        assert not acted or untouched(html) is None
    else:
        assert_gate_holds(text)


def test_replica_pages_clean_ones_pass_the_gate_and_garbled_copies_do_not():
    passed = {"clean": 0, "copy": 0}
    total = {"clean": 0, "copy": 0}
    garbled_copies = 0
    for page in build_portal(300).pages.values():
        if page.kind not in ARTICLE_KINDS:
            continue
        decoded = decode_page(page.body, page.headers()[0][1]).text
        if not looks_like_html(decoded):
            assert_gate_holds(decoded)
            continue
        html = strip_scripts(decoded)
        acted, record = full_run(markup_text(html))
        clean = untouched(html)
        group = "copy" if page.kind == "copy" else "clean"
        total[group] += 1
        passed[group] += clean is not None
        garbled_copies += acted and group == "copy"
        if acted:
            assert clean is None, page.url
        elif clean is not None:
            assert clean.transforms == record and degarble_html(html) == clean
    # the replica's clean pages hold no damage (one has a rare hanzi, 钛); of its copies, those
    # garbled in their text (not only in their declared charset) are stopped, as asserted above
    assert passed["clean"] >= 0.95 * total["clean"], (passed, total)
    assert garbled_copies >= 0.5 * total["copy"], (garbled_copies, total)


def test_the_gate_and_run_finder_patterns_are_linear():
    from pipelines.mojibake import suspect_character
    from pipelines.untouched import _gate
    from tests.test_regex_linear import LIMIT_S, slowest_input

    for pattern in (*_gate(), suspect_character()):
        took, which = slowest_input(pattern)
        assert took < LIMIT_S, (pattern.pattern[:80], which)


def test_most_real_pages_that_need_nothing_pass_the_gate():
    # real portal pages carry a few rare hanzi (浏 of 无障碍浏览, place names) and `·`: neither
    # sends a page through every transform
    left_alone, passed = 0, 0
    for path in sorted((DATA / "examples").glob("*.html")):
        html = strip_scripts(path.read_text(encoding="utf-8"))
        acted, _ = full_run(markup_text(html))
        if not acted:
            left_alone += 1
            passed += untouched(html) is not None
    assert left_alone >= 6 and passed >= 0.75 * left_alone, (passed, left_alone)


def test_random_text_with_a_little_of_every_damage_never_slips_by():
    # short texts of ordinary characters with a few of every kind of trigger among them (marks,
    # brackets, readings in both cases, view characters, rare hanzi, squashed digits, kana):
    # wherever the gate lets one by, the full run must leave it as it was
    ordinary = list("政府信息公开工作年度报告本机关收到申请 abc12")
    triggers = list("(（)）abQwenzhèngŪūǖ·—“”…|\n 20192312〔〕号，,、《》浏岚钛區€ÕþÐÅ¸®ÏëàÂ<>ぁーア⽂\u3000\xa0-_/.")
    rng = random.Random(15)
    let_by = 0
    for _ in range(3000):
        size = rng.randint(3, 60)
        text = "".join(rng.choice(triggers) if rng.random() < 0.15 else rng.choice(ordinary) for _ in range(size))
        let_by += not assert_gate_holds(text) and untouched(text) is not None
    assert let_by > 1000  # the gate is not simply always shut
