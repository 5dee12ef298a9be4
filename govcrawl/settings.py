"""Scrapy settings for govcrawl. Defaults are for the real portals: polite and slow.

Override per run with `-s NAME=value` (the replica demo and the tests lift the delays).
"""

import os

from govcrawl import __version__

BOT_NAME = "govcrawl"
SPIDER_MODULES = ["govcrawl.spiders"]
NEWSPIDER_MODULE = "govcrawl.spiders"
COMMANDS_MODULE = "govcrawl.commands"  # `scrapy crawl` that exits non-zero when the run failed

# Where the data goes, which portal family, and an optional HTTP proxy for every request.
GOVCRAWL_DB = os.environ.get("GOVCRAWL_DB", "data/govcrawl.db")
GOVCRAWL_SITE = os.environ.get("GOVCRAWL_SITE", "panzhihua")
GOVCRAWL_PROXY = os.environ.get("GOVCRAWL_PROXY", "")
# Rows per write transaction: a crash loses at most one batch (and the next run fetches it).
GOVCRAWL_BATCH_SIZE = int(os.environ.get("GOVCRAWL_BATCH_SIZE", "200"))
# A run whose share of failed requests exceeds this exits non-zero (and is marked failed).
GOVCRAWL_MAX_ERROR_RATE = float(os.environ.get("GOVCRAWL_MAX_ERROR_RATE", "0.2"))

# Politeness toward government portals.
USER_AGENT = (
    f"govcrawl/{__version__} (research crawler for annual government information disclosure reports; "
    "obeys robots.txt)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    "govcrawl.middlewares.ProxyMiddleware": 100,
    "govcrawl.middlewares.FetchRecorderMiddleware": 950,
}
EXTENSIONS = {
    "govcrawl.recorder.CrawlRecorder": 0,
}
ITEM_PIPELINES = {
    "govcrawl.item_pipelines.EncodingPipeline": 100,
    "govcrawl.item_pipelines.DegarblePipeline": 200,
    "govcrawl.item_pipelines.ParsePipeline": 300,
    "govcrawl.item_pipelines.StorePipeline": 900,
}
