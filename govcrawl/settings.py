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
# Seconds after which a timer writes a batch that no further row fills: what a crash can lose.
GOVCRAWL_FLUSH_SECONDS = float(os.environ.get("GOVCRAWL_FLUSH_SECONDS", "2"))
# The process stage (`govcrawl process`, govcrawl/stage.py). A crawl starts it beside itself
# (taking versions as they land) and waits for it, so the run ends fully processed; 0: it does
# not, and the versions stay pending until a `govcrawl process`.
GOVCRAWL_PROCESS_BESIDE = os.environ.get("GOVCRAWL_PROCESS_BESIDE", "1") not in ("0", "false", "False", "")
# Worker processes (0: one per core), seconds and MB of address space (above what a fresh worker
# holds) for one page; a page over a limit is stored unparsed with `limit: …`, its worker replaced.
GOVCRAWL_PROCESS_WORKERS = int(os.environ.get("GOVCRAWL_PROCESS_WORKERS", "0"))
GOVCRAWL_PROCESS_TIMEOUT = float(os.environ.get("GOVCRAWL_PROCESS_TIMEOUT", "60"))
GOVCRAWL_PROCESS_MEMORY_MB = int(os.environ.get("GOVCRAWL_PROCESS_MEMORY_MB", "1024"))
# At most this many list pages per list column (index.shtml, index_1.shtml, ...) per run: a
# column that always links to one more page (a trap) stops there, with a recorded error.
GOVCRAWL_MAX_LIST_PAGES = int(os.environ.get("GOVCRAWL_MAX_LIST_PAGES", "500"))
# Attachments (reports published as files): at most this many bytes each (Scrapy's per-request
# download_maxsize; beyond it the fetch row says `too large: …`), and at most this many followed
# per page (the rest recorded as `attachment limit: …`).
GOVCRAWL_MAX_ATTACHMENT_BYTES = int(os.environ.get("GOVCRAWL_MAX_ATTACHMENT_BYTES", str(64 * 1024 * 1024)))
GOVCRAWL_MAX_ATTACHMENTS_PER_PAGE = int(os.environ.get("GOVCRAWL_MAX_ATTACHMENTS_PER_PAGE", "20"))
# Each run's log goes to <this>/run-<id>.log; empty: a `logs` directory beside the database.
GOVCRAWL_LOG_DIR = os.environ.get("GOVCRAWL_LOG_DIR", "")
# A run whose share of failed requests exceeds this exits non-zero (and is marked failed).
GOVCRAWL_MAX_ERROR_RATE = float(os.environ.get("GOVCRAWL_MAX_ERROR_RATE", "0.2"))
# The Chromium binary for pages that need a browser; empty: /usr/lib/chromium/chromium (Debian's
# binary) when it exists, else /usr/bin/chromium (govcrawl.browser.default_chromium).
GOVCRAWL_CHROMIUM = os.environ.get("GOVCRAWL_CHROMIUM", "")
# Chromium runs with its sandbox (as root: started as `nobody`); off only where the kernel
# allows no user namespaces (then the network guard in govcrawl/browser.py is the defence).
GOVCRAWL_CHROMIUM_SANDBOX = os.environ.get("GOVCRAWL_CHROMIUM_SANDBOX", "1") not in ("0", "false", "False", "")

# Politeness toward government portals.
USER_AGENT = (
    f"govcrawl/{__version__} (research crawler for annual government information disclosure reports; "
    "obeys robots.txt)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy starts this many asyncio tasks for every response's output, however little it yields
# (its default, 100, made task bookkeeping a third of the crawl's CPU); our item pipeline only
# queues rows for the writer thread, so a few at a time keep up.
CONCURRENT_ITEMS = 4
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
# Scrapy's RemoteControl runs Python sent over HTTP: an operator who wants it sets it to True.
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
LOG_FORMATTER = "govcrawl.logformatter.OneLineLogFormatter"  # network failures: one line each

# Bounds on one page and one host (govcrawl/compression.py, govcrawl/hosts.py).
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024  # also after decompression; over it: `too large: …`
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
GOVCRAWL_HOST_TIMEOUT = 15  # s for a host's robots.txt (its first request); no answer: host dropped
GOVCRAWL_MAX_RETRY_AFTER = 120  # s of Retry-After honoured; a longer one drops the host for the run
GOVCRAWL_SHUTDOWN_GRACE = 10  # s after SIGTERM before the downloads still open are aborted
# Pick the next request from the host with the fewest downloads in flight, so a paused or
# slow host does not fill the downloader.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"

# Pages that need a browser (govcrawl/browser.py). scrapy-playwright's handler serves both
# schemes but renders only requests with meta playwright=True; the rest take Scrapy's own HTTP
# path, and Playwright and Chromium start only at the first browser request. It needs the
# asyncio reactor (Scrapy's default; set here so that stays true).
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}
ADDONS = {
    "govcrawl.browser.BrowserAddon": 0,  # launch options from GOVCRAWL_CHROMIUM and _PROXY
    "govcrawl.fleet.addon.FleetAddon": 0,  # with REDIS_URL: one worker of a fleet
}
PLAYWRIGHT_BROWSER_PROVIDER = "govcrawl.browser.LazyChromiumProvider"
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_MAX_CONTEXTS = 1  # at most 4 browser pages at once, each closed after use
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_ABORT_REQUEST = "govcrawl.browser.abort_heavy_resources"  # no images, media, fonts
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # ms

# Lower numbers are nearer the engine, higher nearer the downloader; responses pass from high
# to low. Decoding comes first on the way back, so the verdicts, the fetch recorder and the
# browser routing all see the decoded body; the recorder sits nearer the downloader than
# Retry (550) and Redirect (600), so each retried 500 and each redirect hop is its own row.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,  # lets subdomains through
    "govcrawl.offsite.ExactHostOffsiteMiddleware": 50,
    "govcrawl.middlewares.ProxyMiddleware": 100,
    # robots.txt read by its status (RFC 9309), and fetched once per host for a whole fleet
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "govcrawl.robots.RobotsRulesMiddleware": 100,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "govcrawl.browser.BrowserRoutingMiddleware": 940,
    "govcrawl.middlewares.FetchRecorderMiddleware": 950,
    "govcrawl.offsite.RedirectGuardMiddleware": 955,  # off-site, bad-scheme and looping hops
    "govcrawl.hosts.HostGateMiddleware": 956,  # robots.txt preflight, dropped hosts, Retry-After
    "govcrawl.compression.DecodingMiddleware": 960,
}
DUPEFILTER_CLASS = "govcrawl.offsite.RedirectAwareDupeFilter"  # a loop across two chains is recorded
EXTENSIONS = {
    "govcrawl.recorder.CrawlRecorder": 0,
    "scrapy.extensions.logstats.LogStats": None,  # replaced by per-host progress lines
    "govcrawl.progress.HostProgress": 10,
    "govcrawl.shutdown.ForcedShutdown": 0,
    "govcrawl.collector.FewerCollections": 0,  # the cycle collector run rarer: a sixth of the crawl's CPU
}
SCHEDULER = "govcrawl.progress.HostCountingScheduler"  # Scrapy's, counting its requests per host
# The crawl only stores pages (pending versions); `govcrawl process` processes them.
ITEM_PIPELINES = {"govcrawl.item_pipelines.StorePipeline": 900}

# A fleet of workers sharing one frontier in Redis (govcrawl/fleet/, README "Several workers,
# several machines"). Off while REDIS_URL is empty; each worker needs its own GOVCRAWL_DB.
REDIS_URL = os.environ.get("REDIS_URL", "")
# The fleet's key prefix in Redis: fleets with different names share a Redis without meeting.
GOVCRAWL_FLEET_NAME = os.environ.get("GOVCRAWL_FLEET_NAME", "govcrawl")
# This worker's name in the fleet; empty: host name, process id and a random part.
GOVCRAWL_WORKER_ID = os.environ.get("GOVCRAWL_WORKER_ID", "")
# A worker silent this long is dead: its in-flight requests go back into the frontier.
GOVCRAWL_FLEET_LEASE_SECONDS = float(os.environ.get("GOVCRAWL_FLEET_LEASE_SECONDS", "15"))
# How often a request waiting for a free slot of its host (fleet-wide limit) asks again.
GOVCRAWL_FLEET_POLL_SECONDS = float(os.environ.get("GOVCRAWL_FLEET_POLL_SECONDS", "0.05"))
# How often an idle worker looks for new requests in the frontier, and whether the workers it
# waits for are done (Scrapy's own idle check is every 5 s).
GOVCRAWL_FLEET_WAKE_SECONDS = float(os.environ.get("GOVCRAWL_FLEET_WAKE_SECONDS", "0.5"))
