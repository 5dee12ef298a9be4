"""OFD reports (GB/T 33190): read to the values the replica printed, with page and box.

The files are built by the replica's generator (tests.replica.ofd_file: our ruled PDF as an OFD
package, words as TextObjects and rules as PathObjects); expected values are the generator's
facts. Bad packages are recorded problems.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from pipelines.filetype import file_kind
from pipelines.process import process_page
from tests.replica.attachments import render_attachment
from tests.test_file_readers import make_report, problems_of, wrong_and_missing


@pytest.mark.parametrize(("fmt", "year"), [("2021", 2022), ("2019", 2020)])
def test_every_value_of_an_ofd_report_is_read_with_its_page_and_box(fmt, year):
    report = make_report(seed=4, fmt=fmt, year=year)
    body = render_attachment("ofd", report)
    assert file_kind(body) == "OFD"
    page = process_page(body)
    assert wrong_and_missing(page, report.values) == ([], [])
    assert page.decoded.method == "ofdkit" and page.parsed.doc_kind == "annual_report"
    assert page.parsed.metadata.report_year == year and page.parsed.validation_status == "ok"
    values = page.parsed.values
    applications = [values[key].where for key in values if key.startswith("applications.")]
    assert {where["page"] for where in applications} == {1, 2}  # table 三 printed over a page break
    if fmt == "2021":  # its break falls inside the table: one table, read whole
        assert len({where["table"] for where in applications}) == 1
    x0, top, x1, bottom = values["reviews.total"].where["bbox"]
    assert 0 < x0 < x1 <= 595.3 and 0 < top < bottom <= 841.9  # points, on an A4 page


def test_ofd_running_headers_and_page_numbers_are_dropped():
    report = make_report(seed=4)
    text = process_page(render_attachment("ofd", report)).text
    assert report.title in text
    assert f"{report.agency}政务公开" not in text and "— 1 —" not in text


def ofd_package(members: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return out.getvalue()


def test_a_damaged_ofd_is_a_recorded_problem():
    body = ofd_package({"OFD.xml": "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'><ofd:DocBody>"})
    assert file_kind(body) == "OFD"
    assert any("the OFD is damaged" in p for p in problems_of(body))


def test_an_ofd_zip_bomb_is_refused_before_it_is_inflated():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("OFD.xml", "<ofd:OFD/>")
        with package.open("Doc_0/Pages/Page_0/Content.xml", "w") as member:
            for _ in range(300):  # 300 MB of zeros, a few hundred KB packed
                member.write(b"\0" * 2**20)
    assert any("zip bomb" in p for p in problems_of(out.getvalue()))


def test_an_ofd_of_images_only_says_it_holds_no_text():
    body = render_attachment("ofd", make_report(seed=4))
    with zipfile.ZipFile(io.BytesIO(body)) as package:  # every TextObject dropped: the rules remain
        members = {name: package.read(name) for name in package.namelist()}
    import re

    for name in members:
        if name.endswith("Content.xml"):
            members[name] = re.sub(rb"<ofd:TextObject .*?</ofd:TextObject>", b"", members[name])
    assert any("no text on any page" in p for p in problems_of(ofd_package(members)))



def test_a_closed_rectangle_path_gives_four_rules_in_points():
    from pipelines.ofd_reader import segments

    edges = segments("M 0 0 L 30 0 L 30 5 L 0 5 C", 10, 20, [1, 0, 0, 1, 0, 0])  # a cell 30 x 5 mm at (10, 20) mm
    point = 72 / 25.4
    h = sorted((round(e["top"] / point, 3), round(e["x0"] / point, 3), round(e["x1"] / point, 3))
               for e in edges if e["orientation"] == "h")  # fmt: skip
    v = sorted((round(e["x0"] / point, 3), round(e["top"] / point, 3), round(e["bottom"] / point, 3))
               for e in edges if e["orientation"] == "v")  # fmt: skip
    assert h == [(20, 10, 40), (25, 10, 40)] and v == [(10, 20, 25), (40, 20, 25)]
    assert segments("M 0 0 B 5 5 10 5 15 0", 0, 0, [1, 0, 0, 1, 0, 0]) == []  # a curve draws no rule


def members_of(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as package:
        return {name: package.read(name) for name in package.namelist()}


def test_pages_declared_in_gbk_are_read_whole_with_their_rules():
    # Chinese producers write their page XML in GB2312/GBK, declared so; expat takes no such
    # declaration, so a reader that hands it the bytes loses the table rules, or the file
    report = make_report(seed=4)
    members = members_of(render_attachment("ofd", report))
    pages = [name for name in members if name.endswith("Content.xml") and "/Pages/" in name]
    assert pages
    for name in pages:
        xml = re.sub(r"^<\?xml[^>]*\?>", "", members[name].decode("utf-8"))
        members[name] = ('<?xml version="1.0" encoding="GBK"?>' + xml).encode("gbk")
    page = process_page(ofd_package(members))
    assert wrong_and_missing(page, report.values) == ([], [])
    assert page.parsed.validation_status == "ok"


def test_one_damaged_page_costs_that_page_only():
    report = make_report(seed=4)
    body = render_attachment("ofd", report)
    members = members_of(body)
    second = sorted(name for name in members if name.endswith("Content.xml") and "/Pages/" in name)[1]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    damaged = bytearray(out.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(damaged))).getinfo(second)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for at in range(start + 10, start + min(60, info.compress_size)):
        damaged[at] ^= 0x5A  # the page's deflated bytes, not the zip's directory
    page = process_page(bytes(damaged))
    assert any(p.startswith("unreadable page: OFD page 2") for p in page.parsed.problems), page.parsed.problems
    assert report.title in page.text  # page 1 is read
    assert wrong_and_missing(page, report.values)[0] == []
