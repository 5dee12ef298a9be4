"""pipelines.encoding: every corpus page decodes to exactly its text, whatever it declares."""

from __future__ import annotations

import json
import os

import pytest

from pipelines.encoding import (
    _UNSCORED,
    NO_HANZI,
    THRESHOLD,
    _score,
    _visible_chunks,
    declared_charsets,
    decode_page,
)
from pipelines.hanzi import hanzi_score
from tests.encoding_corpus import FAMILIES, SIMPLIFIED, TRADITIONAL, build_page, corpus

PAGES = corpus()


def diff_at(got: str, want: str) -> int | None:
    """Where two texts first differ: pytest's own diff of 200 KB strings would take minutes."""
    return None if got == want else len(os.path.commonprefix([got, want]))


def expected_method(family: str, label: str) -> str:
    if family == "utf-8":
        return "utf-8-strict"
    return "scored" if label == "none" or label.startswith("wrong") else "declared"


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_corpus_page_decodes_to_its_text(page):
    d = decode_page(page.body, page.content_type)
    assert d.encoding == page.expected
    assert diff_at(d.text, page.text) is None
    assert (d.method, d.undecodable) == (expected_method(page.family, page.label), 0)
    assert d.confidence >= 0.9
    assert d.detected == page.expected


def test_corpus_covers_what_the_brief_asks():
    assert {p.family for p in PAGES} == {"utf-8", "gbk", "gb18030", "big5"}
    assert min(len(p.body) for p in PAGES) < 300 and max(len(p.body) for p in PAGES) > 190_000
    gb18030 = [p for p in PAGES if p.family == "gb18030"]
    assert all("𠀀" in p.text for p in gb18030)  # a four-byte GB18030 character, even on tiny pages
    with pytest.raises(UnicodeEncodeError):
        gb18030[0].text.encode("gbk")
    scripts = next(p for p in PAGES if p.size.startswith("scripts"))
    assert scripts.text.index("<p>") > 30_000


def test_big5_page_also_decodes_strictly_as_gb18030_so_only_the_score_can_tell():
    page = next(p for p in PAGES if p.id == "big5-20k-none")
    garbage = page.body.decode("gb18030")  # no error: "it decoded" proves nothing
    assert garbage != page.text
    assert decode_page(page.body).encoding == "big5"


def insert_bad_bytes(text: str, codec: str, bad: bytes, cuts: list[int]) -> tuple[bytes, str]:
    """The page with `bad` inserted before each character index in `cuts`, and the text
    a correct lossy decode must give (one U+FFFD per inserted span)."""
    body, expected, prev = b"", "", 0
    for cut in cuts:
        body += text[prev:cut].encode(codec) + bad
        expected += text[prev:cut] + "\ufffd"
        prev = cut
    return body + text[prev:].encode(codec), expected + text[prev:]


@pytest.mark.parametrize(
    "family, bad",
    [("utf-8", b"\xff"), ("utf-8", b"\xe4\xb8"), ("gbk", b"\xff"), ("gb18030", b"\x80"), ("big5", b"\xff")],
    ids=["utf-8-ff", "utf-8-truncated", "gbk-ff", "gb18030-80", "big5-ff"],
)
def test_undecodable_bytes_are_replaced_and_counted(family, bad):
    text, _ = build_page(family, "20k", None, None)
    cuts = [len(text) * k // 4 for k in (1, 2, 3)]
    body, expected = insert_bad_bytes(text, FAMILIES[family][0], bad, cuts)
    d = decode_page(body, "text/html")
    assert (d.encoding, d.method, d.undecodable) == (FAMILIES[family][1], "lossy", 3)
    assert diff_at(d.text, expected) is None  # the rest intact
    assert d.confidence >= 0.9


def test_real_replacement_characters_are_not_counted_as_undecodable():
    text, _ = build_page("utf-8", "2k", None, None)
    text = text.replace("</p>", "\ufffd</p>", 1)  # the site itself published a U+FFFD
    body, expected = insert_bad_bytes(text, "utf-8", b"\xff", [len(text) // 2])
    assert decode_page(text.encode()).undecodable == 0
    d = decode_page(body)
    assert (d.text, d.undecodable) == (expected, 1)
    assert d.text.count("\ufffd") == 2


def test_evidence_is_json_ready_and_keeps_what_was_declared():
    _, body = build_page("gbk", "2k", None, "big5")
    d = decode_page(body, b"text/html; charset=UTF-8")  # Scrapy hands headers over as bytes
    evidence = json.loads(json.dumps(d.evidence()))
    assert evidence["declared"] == {"header": "utf-8", "meta": "big5", "bom": None}
    assert (evidence["detected"], evidence["chosen"], evidence["method"]) == ("gb18030", "gb18030", "scored")
    assert evidence["undecodable"] == 0 and evidence["confidence"] >= 0.97


@pytest.mark.parametrize("content_type", [None, "text/html; charset=gb2312", "text/html; charset=utf-8"])
def test_pure_ascii_page(content_type):
    page = '<!DOCTYPE html><html><head><meta charset="big5"><title>Annual report</title></head></html>'
    d = decode_page(page.encode(), content_type)
    assert (d.text, d.encoding, d.method, d.confidence, d.undecodable) == (page, "ascii", "ascii", 1.0, 0)
    assert d.declared_meta == "big5"
    assert decode_page(b"").text == ""


@pytest.mark.parametrize(
    "codec, bom", [("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("gb18030", b"\x84\x31\x95\x33")]
)
def test_bom_decides_over_declarations(codec, bom):
    text = '<html><head><meta charset="big5"></head><body>' + SIMPLIFIED[0][:200] + "</body></html>"
    d = decode_page(bom + text.encode(codec), "text/html; charset=gb2312")
    assert (d.text, d.encoding, d.bom, d.method, d.confidence) == (text, codec, codec, "bom", 1.0)


@pytest.mark.parametrize(
    "content_type, body, expected",
    [
        ("text/html; charset=GBK", b"", ("gbk", None)),
        ('text/html;charset="gb2312"', b"", ("gb2312", None)),
        ("text/html; charset=UTF8", b"", ("utf-8", None)),
        ("text/html; charset=x-gbk", b"", ("x-gbk", None)),  # unknown to Python: kept as declared
        (b"text/html; charset=big5", b"", ("big5", None)),
        ("text/html", b"<meta charset='BIG5'>", (None, "big5")),
        (None, b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=GB2312">', (None, "gb2312")),
        (None, b'<meta content="text/html; charset=gbk" http-equiv="Content-Type" />', (None, "gbk")),
        (None, b"<html>" + b" " * 5000 + b'<meta charset="gbk">', (None, None)),  # past the first 4 KB
    ],
)
def test_declared_charsets(content_type, body, expected):
    assert declared_charsets(body, content_type) == expected


@pytest.mark.parametrize("declared", ["x-gbk", "cp936", "GB_2312-80"])
def test_aliases_python_does_not_know_still_count_as_declared(declared):
    text, body = build_page("gbk", "2k", declared, None)
    d = decode_page(body, f"text/html; charset={declared}")
    assert (d.text, d.encoding, d.method) == (text, "gb18030", "declared")


def test_utf16_declared_without_bom_is_not_used():
    text, body = build_page("gbk", "2k", None, "utf-16")
    d = decode_page(body)
    assert (d.text, d.encoding, d.method, d.declared_meta) == (text, "gb18030", "scored", "utf-16")


def test_declared_single_byte_charset_is_used_when_nothing_looks_chinese():
    text = '<html><meta charset="windows-1252"><p>Caf\xe9 menu \xa9 2019</p></html>'
    d = decode_page(text.encode("cp1252"))
    assert (d.text, d.encoding, d.method, d.undecodable) == (text, "cp1252", "declared", 0)


@pytest.mark.parametrize("codec", ["gbk", "big5"])
def test_page_without_hanzi_falls_back_to_charset_normalizer_or_order(codec):
    """Full-width digits and punctuation only: no hanzi to score, both codecs may decode."""
    text = "<html><body><p>２０１９　ＡＢＣ（１）：１２３４５６７８９０，ＸＹＺ。</p></body></html>"
    d = decode_page(text.encode(codec))
    assert (d.text, d.confidence, d.undecodable) == (text, NO_HANZI, 0)
    assert d.method in {"charset-normalizer", "scored"}


def test_double_encoded_utf8_mojibake_decodes_but_scores_low():
    text, _ = build_page("utf-8", "2k", None, None)
    mojibake = text.encode("utf-8").decode("gb18030", "replace")  # read as GBK once, saved as UTF-8
    d = decode_page(mojibake.encode("utf-8"))
    assert (d.text, d.method) == (mojibake, "utf-8-strict")
    assert d.confidence < 0.5  # flagged: the text is not clean


@pytest.mark.parametrize("text", ["".join(SIMPLIFIED), "".join(TRADITIONAL), "no hanzi at all"])
def test_fast_score_matches_hanzi_score_on_clean_text(text):
    assert _score(_UNSCORED.sub("", text)) == pytest.approx(hanzi_score(text, sample=len(text)))


@pytest.mark.parametrize(
    "mojibake",
    [
        "".join(SIMPLIFIED).encode("utf-8").decode("gbk", "replace"),
        "".join(TRADITIONAL).encode("big5").decode("gb18030"),
    ],
    ids=["utf-8-as-gbk", "big5-as-gb18030"],
)
def test_fast_score_counts_misread_symbols_against_mojibake(mojibake):
    score, _ = _score(_UNSCORED.sub("", mojibake))
    assert score <= hanzi_score(mojibake, sample=len(mojibake))[0] < THRESHOLD


@pytest.mark.parametrize("codec", ["gbk", "big5"])
@pytest.mark.parametrize("chars", [8, 16, 32])
def test_short_texts_decode_too(codec, chars):
    """A wrong decode of a few characters can be all common hanzi by chance (Big5 read as
    GB18030); the kana, box drawing and private-use characters it also yields give it away."""
    text = "".join(TRADITIONAL if codec == "big5" else SIMPLIFIED)
    snippets = [text[i : i + chars] for i in range(0, len(text) - chars, 7)]
    assert [s for s in snippets if decode_page(s.encode(codec)).text != s] == []


def test_visible_chunks_skip_script_and_style():
    text = "a<script>x</script>b<STYLE type=x>y</style >c" + "d" * 5000 + "<script>never closed"
    assert "".join(_visible_chunks(text)) == "abc" + "d" * 5000
    assert "".join(_visible_chunks(text, limit=100)).startswith("abc")
    assert len("".join(_visible_chunks(text, limit=100))) < 2100  # bounded, not the whole page
