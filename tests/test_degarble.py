"""De-garbling on the real seeds (passages checked by hand) and on the replica's garbled copies."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest
from rapidfuzz.distance import LCSseq

from pipelines.dates import published_date
from pipelines.degarble import degarble, remove_annotations, repair_dates, to_simplified
from pipelines.process import process_page
from tests.replica.generator import build_portal
from tests.replica.process import Replica

SEEDS = Path(__file__).parent / "data" / "seeds"
EXAMPLES = Path(__file__).parent / "data" / "examples"
PINYIN_BRACKET = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}[)）]")
GENUINE = re.compile(
    r"[(（](?:[一二三四五六七八九十]+|试行|暂行|\d{4}|以下简称[^)）]*|国令第\d+号|[a-z]+)[)）]"
)


def seed(name: str) -> str:
    return next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def content_counts(result) -> dict[str, int]:
    return {t["name"]: t["count"] for t in result.transforms}


@pytest.mark.parametrize(
    ("name", "annotations", "passages"),
    [
        ("000", 161, [
            "攀枝花钒钛高新区管委会关于2018年度政务公开工作总结",
            "www.panzhihua.gov.cn 发布时间:2019-01-28 来源:钒钛高新区党政办 选择阅读字号:[ 大 中 小 ] 阅读次数:",
            "(一)政务公开工作机制及各项工作制度不断完善",
        ]),
        ("003", 0, [
            "攀枝花市水利局2018年政府信息公开工作年度报告",
            "《攀枝花市水利局政府信息公开(暂行)规定》的规定编制",
            "通过市政府门户网站(公众信息网)公开政府信息396余条",
            "2019年3月12日\n\n审核: 何强   责任编辑: 王瑶",
        ]),
        ("004", 2759, [
            "政务公开工作要点范文",
            "导语:如何才能写好一篇政务公开工作要点,这就需要搜集整理更多的资料和文献",
            "杜绝公开内容和实际操作“两张皮”的现象发生",
        ]),
    ],
)  # fmt: skip
def test_seeds_come_out_simplified_without_annotations(name, annotations, passages):
    original = seed(name)
    result = degarble(original)
    counts = content_counts(result)
    assert counts["annotations"] == annotations
    assert counts["traditional"] > 500
    assert not PINYIN_BRACKET.search(result.text)
    assert to_simplified(result.text)[1] == 0  # nothing Traditional left
    for passage in passages:
        assert passage in result.text.replace("\xa0", " ")
    # every genuine parenthetical of the original is still there
    genuine = [m.group() for m in GENUINE.finditer(original) if not PINYIN_BRACKET.fullmatch(m.group())]
    simplified = [to_simplified(g)[0] for g in genuine]
    for g in simplified:
        assert result.text.count(g) >= simplified.count(g), g


@pytest.mark.parametrize("name", ["001", "002"])
def test_clean_simplified_seeds_pass_through(name):
    original = seed(name)
    result = degarble(original)
    counts = content_counts(result)
    assert {k: v for k, v in counts.items() if k != "noise"} == dict.fromkeys(counts.keys() - {"noise"}, 0)
    # only spacing noise changed: the same text once non-breaking spaces and pipe runs are set aside
    squeeze = lambda s: re.sub(r"[\s|]+", "", s)  # noqa: E731
    assert squeeze(result.text) == squeeze(original)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.html")), ids=lambda p: p.stem)
def test_clean_examples_pass_through(path):
    page = process_page(path.read_bytes(), "text/html")
    counts = content_counts(page.clean.degarbled)
    assert counts["mojibake"] == counts["annotations"] == counts["traditional"] == counts["dates"] == 0
    assert counts["mojibake_unresolved"] == 0


def test_annotation_kinds_and_genuine_parentheticals():
    text = "區(qū)關(guān) 文(wen)章(zhang) 政(zheng)(zheng)府(fu)(fu) 第(一)项 条例(试行) 规定(暫行) (2019) 《条例》(以下简称《条例》) (国令第711号) 反(fan) 我们(men) 方案(a)"
    cleaned, removed = remove_annotations(text)
    assert (
        cleaned
        == "區關 文章 政府 第(一)项 条例(试行) 规定(暫行) (2019) 《条例》(以下简称《条例》) (国令第711号) 反 我们 方案(a)"
    )
    assert removed == 10


def test_dates_are_repaired_only_when_certain():
    assert published_date("發布時間:2019-03-15") is not None
    assert repair_dates("发布时间:2019-03-15\n2019312") == ("发布时间:2019-03-15\n2019年3月12日", 1)
    # 2019112 could be 1月12日 or 11月2日, both before the publish date: left alone
    assert repair_dates("发布时间:2019-12-15\n2019112") == ("发布时间:2019-12-15\n2019112", 0)
    # no publish date on the page: nothing is certain
    assert repair_dates("2019312") == ("2019312", 0)


def test_double_mojibake_that_does_not_resolve_is_cut_and_counted():
    clean = seed("001")
    twice = clean.encode("utf-8").decode("gbk", "replace").encode("utf-8").decode("gbk", "replace")
    result = degarble(twice)
    assert content_counts(result)["mojibake_unresolved"] > 0
    assert "锟" not in result.text  # the tell-tale of re-garbled U+FFFD


def character_accuracy(expected: str, actual: str) -> float:
    """Characters of `expected` found in order in `actual` (their longest common subsequence)."""
    return LCSseq.similarity(expected, actual) / max(1, len(expected))


def test_replica_garbled_copies_come_back(tmp_path):
    """Fetch every garbled copy through the replica and de-garble it: >= 99.5% of characters."""
    with Replica(size=200) as replica:
        copies = [p for p in replica.manifest()["pages"] if p["kind"] == "copy"]
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": replica.proxy}))
        matched = total = 0
        by_garbling: dict[str, list[float]] = {}
        for copy in copies:
            with opener.open(copy["url"], timeout=30) as response:
                page = process_page(response.read(), response.headers.get("Content-Type"))
            expected = copy["clean_text"]
            accuracy = character_accuracy(expected, page.text)
            by_garbling.setdefault(copy["garbling"], []).append(accuracy)
            matched += accuracy * len(expected)
            total += len(expected)
            genuine = GENUINE.findall(expected)
            if copy["garbling"] != "utf8_read_as_gbk":  # there, bytes are lost with the brackets
                assert [g for g in genuine if g not in page.text] == [], copy["url"]  # no false removals
    assert {
        "traditional+squashed_date",
        "annotations:toned",
        "annotations:toneless",
        "annotations:doubled",
        "utf8_read_as_gbk",
        "gbk_declared_utf8",
    } == set(by_garbling)
    summary = {k: round(min(v), 4) for k, v in by_garbling.items()}
    assert matched / total >= 0.995, summary


def test_replica_manifest_clean_text_is_the_original_text():
    portal = build_portal(200)
    copy = next(p for p in portal.pages.values() if p.garbling == "annotations:toned")
    original = portal.pages[copy.copy_of]
    assert process_page(original.body).text == copy.clean_text
