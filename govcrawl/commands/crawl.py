"""`scrapy crawl` with an exit status a scheduler can trust.

Scrapy exits 0 even when every request failed. This command exits 1 when the run failed
(no list page reachable, too many failed requests, the database not writable, interrupted);
the reason is logged and stored in `crawl_runs.failure`. Spider arguments it cannot use
(an unknown site, unreadable years, an unknown `-a` name) end it before the crawl starts,
with one line on stderr and exit status 2, the usual status of a usage error. After the
crawl it waits for the process stage that ran beside it (govcrawl.recorder), so the database
is fully processed when it exits; a failed stage (its database unwritable) also exits 1.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import crawl
from scrapy.crawler import Crawler

from govcrawl.recorder import CrawlRecorder
from govcrawl.spiders.reports import ReportsSpider, check_arguments

USAGE_ERROR = 2


class Command(crawl.Command):
    crawler: Crawler | None = None

    def _create_crawler(self, spidercls) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Checked here, before Scrapy sets up logging and starts the crawler process."""
        super().process_options(args, opts)
        if args[:1] == [ReportsSpider.name]:
            problem = check_arguments(opts.spargs, self.settings.get("GOVCRAWL_SITE"))
            if problem:
                print(f"scrapy crawl {ReportsSpider.name}: {problem}", file=sys.stderr)
                sys.exit(USAGE_ERROR)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        super().run(args, opts)
        if self.exitcode == 0 and run_failed(self.crawler):
            self.exitcode = 1
        if stage_failed(self.crawler) and self.exitcode == 0:
            self.exitcode = 1


def stage_failed(crawler: Crawler | None) -> bool:
    """Wait for the process stage beside the crawl (if it ran); whether it failed."""
    if getattr(crawler, "extensions", None) is None:
        return False
    return CrawlRecorder.of(crawler).wait_for_stage() != 0


def run_failed(crawler: Crawler | None) -> bool:
    extensions = getattr(crawler, "extensions", None)
    if extensions is None:  # the crawl never started; Scrapy reports that itself
        return True
    return CrawlRecorder.of(crawler).failure is not None
