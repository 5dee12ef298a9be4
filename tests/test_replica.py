"""The replica portal itself: deterministic, scalable, and as varied as the issue asks."""

from __future__ import annotations

import gzip
import http.client
import re
import zlib
from collections import Counter

import pytest

from tests.replica import tables
from tests.replica.generator import build_portal
from tests.replica.process import Replica


def test_same_seed_same_bytes():
    first, second = build_portal(200, seed=3), build_portal(200, seed=3)
    assert {u: p.body for u, p in first.pages.items()} == {u: p.body for u, p in second.pages.items()}
    assert first.manifest() == second.manifest()


def test_size_knob():
    small, large = build_portal(200), build_portal(2000)
    assert 150 <= len(small.pages) <= 270
    assert 1700 <= len(large.pages) <= 2400


def test_formats_encodings_and_kinds_are_all_there():
    portal = build_portal(200)
    reports = [p for p in portal.pages.values() if p.kind == "annual_report"]
    assert {p.format for p in reports} == {"2021", "2019", "legacy"}
    gbk = [p for p in reports if p.encoding == "gbk"]
    assert any(p.header_charset == "utf-8" for p in gbk)  # a lying header
    assert any(p.header_charset is None and p.meta_charset is None for p in gbk)
    assert any(p.encoding == "utf-8" and p.meta_charset is None for p in reports)
    for p in gbk:
        assert p.body.decode("gbk") and b"charset=utf-8" not in p.body
    kinds = Counter(p.kind for p in portal.pages.values())
    assert {"notice", "work_summary", "other", "list", "robots", "missing", "redirect"} <= set(kinds)
    assert {p.twin_of for p in reports if p.twin_of} <= {p.url for p in reports}
    hosts = {p.url.split("/")[2] for p in reports}
    assert {
        "www.panzhihua.gov.cn",
        "wap.panzhihua.gov.cn",
        "www.pzhsxq.gov.cn",
        "www.scdongqu.gov.cn",
    } <= hosts


def test_table_values_satisfy_the_identities_except_the_planted_one():
    portal = build_portal(200)
    columns = tables.application_columns()
    checked = 0
    for page in portal.pages.values():
        if page.kind != "annual_report" or not page.values:
            continue
        v = page.values
        balance_ok = all(
            v[f"applications.new_received.{c}"] + v[f"applications.carried_over.{c}"]
            == v[f"applications.total.{c}"] + v[f"applications.carried_forward.{c}"]
            for c in columns
        )
        assert balance_ok == (page.planted_inconsistency is None), page.url
        for group in ("reviews", "litigation_direct", "litigation_after_review"):
            parts = sum(v[f"{group}.{m}"] for m in ("maintained", "corrected", "other", "pending"))
            assert parts == v[f"{group}.total"]
        checked += 1
    assert checked > 50


def test_report_pages_print_their_table_labels():
    portal = build_portal(200)
    report = next(p for p in portal.pages.values() if p.format == "2021" and p.encoding == "utf-8")
    html = report.body.decode()
    for _, row in tables.application_rows("2021"):
        assert row["label"] in html
    assert "本年制发件数" in html and "本年新制作数量" not in html
    assert "发布时间:" in html and "来源:" in html


def fetch_through(replica: Replica, url: str, accept_encoding: str | None) -> tuple[dict, bytes]:
    """One proxied GET as a client sends it: the response headers and the raw body bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", replica.port, timeout=30)
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    connection.request("GET", url, headers={**headers, "Host": url.split("/")[2]})
    response = connection.getresponse()
    body = response.read()  # http.client undoes chunking, never Content-Encoding
    connection.close()
    return {"status": response.status, **{k.lower(): v for k, v in response.getheaders()}}, body


def test_bodies_are_compressed_per_host_and_lists_chunked():
    portal = build_portal(200)
    report = {
        host: next(p for p in portal.pages.values() if p.kind == "annual_report" and f"//{host}/" in p.url)
        for host in ("www.panzhihua.gov.cn", "www.screnhe.gov.cn", "www.scyanbian.gov.cn")
    }
    list_page = "http://www.panzhihua.gov.cn/zfxxgk1/zfxxgknb/index.shtml"
    with Replica(size=200) as replica:
        city, renhe, yanbian = (fetch_through(replica, p.url, "gzip, deflate") for p in report.values())
        plain, _ = fetch_through(replica, report["www.panzhihua.gov.cn"].url, None)
        refused, _ = fetch_through(replica, report["www.panzhihua.gov.cn"].url, "gzip;q=0, identity")
        listed = fetch_through(replica, list_page, "gzip")
    assert city[0]["content-encoding"] == "gzip" and city[0]["vary"] == "Accept-Encoding"
    assert gzip.decompress(city[1]) == report["www.panzhihua.gov.cn"].body
    assert renhe[0]["content-encoding"] == "deflate"
    assert zlib.decompress(renhe[1]) == report["www.screnhe.gov.cn"].body
    assert "content-encoding" not in yanbian[0] and yanbian[1] == report["www.scyanbian.gov.cn"].body
    assert "content-encoding" not in plain and "content-encoding" not in refused
    assert listed[0]["transfer-encoding"] == "chunked" and "content-length" not in listed[0]
    assert gzip.decompress(listed[1]) == portal.pages[list_page].body


def test_hostile_mode_has_every_case_and_leaves_the_other_pages_alone():
    normal, hostile = build_portal(200), build_portal(200, hostile=True)
    cases = Counter(p.hostile for p in hostile.pages.values() if p.hostile)
    assert set(cases) == {
        "oversize_body", "gzip_bomb", "no_length", "span_bomb", "huge_table", "mojibake_holes",
        "adversarial_title", "adversarial_script", "pagination_trap", "silent_host", "slow_drip",
        "truncated_body", "retry_after", "forbidden", "redirect_loop", "offsite_redirect",
        "bad_scheme_redirect", "offsite_start_redirect", "empty_200_then_report", "huge_number",
        "deep_nesting", "loopback_script",
    }  # fmt: skip
    assert not any(p.hostile for p in normal.pages.values())
    unreachable = {p.url for p in hostile.pages.values() if p.reachable is False}
    assert {u for u in unreachable if "//www.scmiyi.gov.cn/" in u} == {
        u for u in normal.pages if "//www.scmiyi.gov.cn/" in u
    }
    assert {u for u in normal.pages if "/zwgk/xxgkml/xxgknb/" in u} <= unreachable
    # Only list pages that link the new columns change; every other page is byte for byte the same.
    changed = {u for u, p in normal.pages.items() if hostile.pages[u].body != p.body}
    assert all(hostile.pages[u].kind in ("list", "home") or hostile.pages[u].hostile for u in changed)
    table = next(p for p in hostile.pages.values() if p.hostile == "huge_table")
    assert table.body.count(b"<tr>") == 100_000
    number = next(p for p in hostile.pages.values() if p.hostile == "huge_number")
    assert re.search(rb"\d{5000}", number.body)
    nested = next(p for p in hostile.pages.values() if p.hostile == "deep_nesting")
    assert nested.body.count(b"<div>") > 300
    holes = next(p for p in hostile.pages.values() if p.hostile == "mojibake_holes").body.decode("utf-8")
    assert holes.count("\ufffd") > 10_000


@pytest.mark.e2e  # a real replica server / scrapy subprocess
def test_hostile_answers_on_the_wire():
    portal = build_portal(200, hostile=True)
    url = {p.hostile: p.url for p in portal.pages.values() if p.hostile}
    with Replica(size=200, hostile=True) as replica:
        bomb_headers, bomb = fetch_through(replica, url["gzip_bomb"], "gzip")
        retry, _ = fetch_through(replica, url["retry_after"], None)
        first = fetch_through(replica, url["empty_200_then_report"], None)
        second = fetch_through(replica, url["empty_200_then_report"], None)
        _, trap = fetch_through(replica, url["pagination_trap"].replace("index.", "index_41."), None)
        connection = http.client.HTTPConnection("127.0.0.1", replica.port, timeout=30)
        connection.request("GET", url["oversize_body"])
        oversize = connection.getresponse()
        oversize_start = oversize.read(1_000_000)
        connection.close()
        connection = http.client.HTTPConnection("127.0.0.1", replica.port, timeout=30)
        connection.request("GET", url["truncated_body"])
        response = connection.getresponse()
        with pytest.raises(http.client.IncompleteRead):
            response.read()
        connection = http.client.HTTPConnection("127.0.0.1", replica.port, timeout=2)
        connection.request("GET", "http://www.scmiyi.gov.cn/robots.txt")
        with pytest.raises(TimeoutError):
            connection.getresponse()
    assert bomb_headers["content-encoding"] == "gzip" and len(bomb) < 2_000_000
    inflated = zlib.decompressobj(31).decompress(bomb, 200_000_000)
    assert len(inflated) == 200_000_000  # and more behind it
    assert (retry["status"], retry["retry-after"]) == (429, "3600")
    assert (first[0]["status"], first[1]) == (200, b"")
    assert second[1] == portal.pages[url["empty_200_then_report"]].body
    assert b'href="index_42.shtml"' in trap
    assert oversize.getheader("Content-Length") == str(200 * 1024 * 1024)
    assert oversize_start.startswith(b"<!DOCTYPE html>") and len(oversize_start) == 1_000_000
