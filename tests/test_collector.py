"""The crawl's cycle collector runs rarer once its engine has started (govcrawl/collector.py)."""

from __future__ import annotations

import gc

import pytest
from scrapy import signals
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from govcrawl.collector import FewerCollections
from govcrawl.spiders.reports import ReportsSpider

PYTHON_DEFAULT_GEN0 = 700


@pytest.fixture
def collector_restored():
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_the_crawl_settles_its_collector_when_the_engine_starts(collector_restored):
    assert "govcrawl.collector.FewerCollections" in get_project_settings().getdict("EXTENSIONS")
    gc.unfreeze()
    gc.set_threshold(PYTHON_DEFAULT_GEN0, 10, 10)
    crawler = get_crawler(ReportsSpider, {"MEMUSAGE_ENABLED": False})
    extension = FewerCollections.from_crawler(crawler)  # held, as Scrapy holds its extensions
    assert gc.get_freeze_count() == 0
    crawler.signals.send_catch_log(signals.engine_started)
    assert gc.get_threshold()[0] >= 10 * PYTHON_DEFAULT_GEN0  # thousands of requests between collections
    assert gc.get_freeze_count() > 10_000  # what the crawl loaded is out of the collector's walks
    del extension
