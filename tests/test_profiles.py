"""Site profiles classify the replica's URLs as the spider needs."""

from __future__ import annotations

import pytest

from govcrawl.profiles import available_profiles, load_profile, parse_years
from tests.replica.generator import build_portal


@pytest.fixture(scope="module")
def profile():
    return load_profile("panzhihua")


def test_profile_tells_list_pages_from_articles(profile):
    portal = build_portal(200)
    for page in portal.pages.values():
        on_site = page.url.split("/")[2] in profile.allowed_hosts
        on_report_column = on_site and "/xwzx/" not in page.url and "/art/" not in page.url
        if page.kind == "list" and on_report_column:
            assert profile.is_list_page(page.url), page.url
        elif page.kind in ("annual_report", "notice", "work_summary", "missing") and on_report_column:
            assert profile.is_article_page(page.url), page.url
        if page.kind in ("home", "robots") or not on_report_column:
            assert not profile.is_list_page(page.url) and not profile.is_article_page(page.url), page.url


def test_off_site_copies_are_not_ours(profile):
    assert not profile.is_article_page("http://coffeezulin.com/zfxxgk1/zfxxgknb/xxgknb/1234567.shtml")
    assert profile.is_article_page("http://www.panzhihua.gov.cn/zfxxgk1/zfxxgknb/xxgknb/1234567.shtml")


def test_titles(profile):
    assert profile.title_may_be_report("攀枝花市东区2019年政府信息公开工作年度报告")
    assert profile.title_may_be_report("攀枝花钒钛高新区管委会关于2018年度政务公开工作总结")
    assert not profile.title_may_be_report("攀枝花市2024年政务公开工作要点")
    assert profile.year_in_title("攀枝花市东区2019年政府信息公开工作年度报告") == 2019
    assert profile.year_in_title("攀枝花市政府信息公开工作年度报告") is None


def test_years_argument():
    assert parse_years("2019-2025") == range(2019, 2026)
    assert parse_years("2021") == range(2021, 2022)
    assert parse_years(None) is None
    with pytest.raises(ValueError):
        parse_years("2025-2019")


def test_unknown_profile_names_the_known_ones():
    assert "panzhihua" in available_profiles()
    with pytest.raises(ValueError, match="panzhihua"):
        load_profile("nowhere")
