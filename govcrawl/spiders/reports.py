"""The `reports` spider: walk a portal family's annual-report columns, send report pages on.

Everything portal-specific comes from the site profile (govcrawl/profiles/<site>.yaml).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from govcrawl.items import PageItem
from govcrawl.middlewares import header_dict
from govcrawl.profiles import load_profile, parse_years
from govcrawl.recorder import CrawlRecorder


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, site: str | None = None, years: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.site_arg, self.years_arg = site, years

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.site = spider.site_arg or crawler.settings.get("GOVCRAWL_SITE")
        spider.profile = load_profile(spider.site)
        spider.years = parse_years(spider.years_arg)
        spider.allowed_domains = list(spider.profile.allowed_hosts)
        spider.arguments = {"site": spider.site, "years": spider.years_arg}
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.profile.start_urls:
            # Lists are always revisited: that is where new years appear.
            yield scrapy.Request(url, callback=self.parse_list, errback=self.failed, dont_filter=True)

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        for anchor in response.css("a[href]"):
            url = response.urljoin(anchor.attrib["href"].strip())
            if self.profile.is_list_page(url):
                yield scrapy.Request(url, callback=self.parse_list, errback=self.failed)
            elif self.profile.is_article_page(url):
                title = (anchor.attrib.get("title") or " ".join(anchor.css("::text").getall())).strip()
                if self.wanted(title):
                    self.crawler.stats.inc_value("govcrawl/article_links_followed")
                    yield scrapy.Request(
                        url,
                        callback=self.parse_article,
                        errback=self.failed,
                        cb_kwargs={"link_title": title, "list_page": response.url},
                    )
                else:
                    self.crawler.stats.inc_value("govcrawl/article_links_skipped")

    def wanted(self, title: str) -> bool:
        if not self.profile.title_may_be_report(title):
            return False
        year = self.profile.year_in_title(title)
        return self.years is None or year is None or year in self.years

    def parse_article(self, response: Response, link_title: str, list_page: str) -> Iterator[PageItem]:
        meta = response.meta
        yield PageItem(
            url=(meta.get("redirect_urls") or [response.url])[0],
            final_url=response.url,
            status=response.status,
            headers=header_dict(response.headers),
            body=response.body,
            referer=list_page,
            link_title=link_title,
            fetched_at=meta.get("govcrawl_fetched_at"),
            fetch_id=meta.get("govcrawl_fetch_id"),
            run_id=getattr(self, "run_id", None),  # set by the CrawlRecorder extension
            via="browser" if meta.get("playwright") else "http",
        )

    def failed(self, failure: Failure) -> None:
        """A request that ended in failure: make sure its last exchange says why.

        HTTP errors and download exceptions were recorded with the exchange; what is left are
        failures decided after it (e.g. a redirect chain given up).
        """
        self.crawler.stats.inc_value("govcrawl/failed_requests")
        meta = failure.request.meta
        fetch_id = meta.get("govcrawl_fetch_id")
        if fetch_id is not None and not meta.get("govcrawl_fetch_error") and not failure.check(HttpError):
            CrawlRecorder.of(self.crawler).store.mark_fetch_error(
                fetch_id, f"{failure.type.__name__}: {failure.getErrorMessage()}"
            )
        self.logger.warning("failed %s: %s", failure.request.url, failure.getErrorMessage())
