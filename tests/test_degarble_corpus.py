"""De-garbling on the garbled corpus made by the real mechanisms (tests/garbled_corpus.py):
per kind of damage, character accuracy against the clean original, beside the naive baseline
(regex removal of `(pinyin)` + OpenCC t2s)."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import pytest

from pipelines.degarble import degarble
from pipelines.limits import collecting
from tests.garbled_corpus import (
    clean_sources,
    corpus,
    degarbled,
    japanese_pages,
    measure,
    naive,
    passages,
    pooled,
)

# Each kind has its own floor (one pooled threshold would hide a weak kind), a little under
# what `python -m bench.degarble_cost --accuracy` measures.
FLOOR = {"G1": 0.985, "G3": 0.975, "G4": 0.999, "G5": 0.99, "G6": 0.995, "G7": 0.995, "G8": 0.99, "K": 0.999}
OVERALL = 0.99
PINYIN_DEBRIS = re.compile(r"[(（]? ?[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]* ?[)）]")
GENUINE = re.compile(
    r"[(（](?:[一二三四五六七八九十]+|\d{1,2}|试行|暂行|以下简称[^)）]{1,12}|[\u4e00-\u9fff]{2,12})[)）]"
)
# Kinds whose every byte is still there: no genuine parenthetical may go missing.
LOSSLESS = {"G1": ("gbk as latin-1", "gbk as windows-1252", "big5 as latin-1", "part of the page"),
            "G4": None, "G5": None, "G6": None, "G7": None, "G8": None, "K": None}  # fmt: skip


@cache
def samples():
    return corpus(1)


@cache
def outputs() -> dict[int, str]:
    return {id(s): result.text for s, result in zip(samples(), degarbled(1), strict=True)}


@cache
def figures():
    repaired = {s.garbled: outputs()[id(s)] for s in samples()}  # the corpus degarbled once, for every test here
    ours = measure(samples(), repaired.__getitem__)
    baseline = measure(samples(), naive)
    return ours, baseline


@pytest.mark.parametrize("kind", sorted(FLOOR))
def test_each_kind_beats_the_naive_baseline_and_its_floor(kind):
    ours, baseline = figures()
    mine, theirs = pooled(ours, kind), pooled(baseline, kind)
    table = {v: (round(a, 4), round(baseline[(k, v)][0], 4)) for (k, v), (a, _) in ours.items() if k == kind}
    assert mine >= FLOOR[kind], table
    assert mine > theirs or mine == theirs == 1.0, table


def test_overall_accuracy():
    ours, baseline = figures()
    assert pooled(ours) >= OVERALL
    assert pooled(ours) > pooled(baseline)


def test_no_annotation_or_pinyin_debris_left():
    left = [
        (s.kind, s.variant, m.group()) for s in samples() for m in PINYIN_DEBRIS.finditer(outputs()[id(s)])
    ]
    assert left == []


def test_no_genuine_parenthetical_lost():
    lost = []
    for s in samples():
        variants = LOSSLESS.get(s.kind, ())
        if variants is not None and s.variant not in variants:
            continue
        have = Counter(GENUINE.findall(outputs()[id(s)]))
        for bracket, count in Counter(GENUINE.findall(s.clean)).items():
            if have[bracket] < count:
                lost.append((s.kind, s.variant, s.source, bracket))
    assert lost == []


def test_clean_simplified_pages_pass_unchanged():
    # one test over every source, not one per source: listing them at collection would build
    # the replica portal in every pytest-xdist worker
    changed = []
    for name, text in clean_sources():
        for passage in passages(text, limit=3):
            result = degarble(passage)
            counted = {t["name"]: t["count"] for t in result.transforms if t["count"]}
            if result.text != passage or counted:
                changed.append((name, counted, passage[:80]))
    assert changed == []


@pytest.mark.parametrize(("encoding", "page"), japanese_pages(), ids=lambda x: x if len(x) < 12 else "")
def test_japanese_pages_are_flagged_not_repaired(encoding, page):
    with collecting() as problems:
        result = degarble(page)
    assert result.text == page
    assert result.count("not_chinese") == 1
    assert any(p.startswith("not Chinese: Japanese") for p in problems)


def test_what_is_cut_is_counted():
    """Mojibake that does not read back (here: bytes lost in every run) is cut, and the
    record counts every character cut; the text around it stays."""
    junk = "\ufffd".join(["鏀垮簻淇℃", "锟斤拷锟斤", "瑙勪綋"])
    page = f"一、总体情况\n{junk}\n二、主动公开"
    result = degarble(page)
    assert result.text == "一、总体情况\n\n二、主动公开"
    assert result.count("mojibake_unresolved") == len(junk)


def test_farm_and_squashed_facts_seen_on_real_pages():
    """The strings of tests/golden/garbling/content_farm.json come out as the real page had them."""
    from tests.garbled_corpus import facts

    farm = facts()["content_farm"]
    squashed = farm["squashed"]
    page = f"{farm['spam_title_lines'][0]}\n{squashed['document_number']['as_printed']}\n发布时间:2021-09-29\n{squashed['date']['as_printed']}"
    with collecting() as problems:
        text = degarble(page).text
    assert text.split("\n") == ["国办公开办函〔2021〕30号", "发布时间:2021-09-29", "2021年9月26日"]
    assert any(p.startswith("content farm: spam line") for p in problems)


def test_debris_of_readings_and_the_mirror_domain():
    page = "区(qū)关(guān)务(wù)报(bào)告(gào) 网\ue47fW(sh)的 重量(kg) 见网站(//m.example-mirror.com/)"
    with collecting() as problems:
        text = degarble(page).text
    assert text == "区关务报告 网W的 重量(kg) 见网站(//m.example-mirror.com/)"
    assert problems == ["content farm: a site's address given as m.example-mirror.com, not a government host"]


def test_publish_date_is_read_without_a_colon():
    from pipelines.dates import published_date

    assert str(published_date("发布时间 2022-01-29 来源：区政府办")) == "2022-01-29"
    assert degarble("发布时间 2022-01-29\n2022125日").text == "发布时间 2022-01-29\n2022年1月25日"


def test_kangxi_radicals_become_characters():
    from pipelines.kangxi import unify_radicals

    assert unify_radicals("⽂件⻓期⼈民⻔户") == ("文件长期人民门户", 4)
