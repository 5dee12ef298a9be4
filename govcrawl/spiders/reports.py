"""The `reports` spider: walk a portal family's annual-report columns, send report pages on.

Everything portal-specific comes from the site profile (govcrawl/profiles/<site>.yaml).
Re-crawls are incremental: list pages are always fetched (that is where new years appear),
article links already stored are not; with `-a revalidate=1` every stored document is
re-requested conditionally, so an edited report becomes a new version and a deleted one is
marked gone.
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
from pipelines.store import PageMark, Revalidation

# Answers to a conditional re-request that the article callback handles itself.
REVALIDATION_STATUSES = [304, 404, 410]


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(
        self, site: str | None = None, years: str | None = None, revalidate: str | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        self.site_arg, self.years_arg = site, years
        self.revalidate = (revalidate or "0").lower() in ("1", "true", "yes")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.site = spider.site_arg or crawler.settings.get("GOVCRAWL_SITE")
        spider.profile = load_profile(spider.site)
        spider.years = parse_years(spider.years_arg)
        spider.allowed_domains = list(spider.profile.allowed_hosts)
        spider.arguments = {"site": spider.site, "years": spider.years_arg, "revalidate": spider.revalidate}
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        recorder = CrawlRecorder.of(self.crawler)
        if hasattr(self, "state"):  # JOBDIR: this run may continue a paused one
            recorder.resume(self.state)
        self.known = recorder.store.known_links()
        for url in self.profile.start_urls:
            # Lists are always revisited: that is where new years appear.
            yield scrapy.Request(url, callback=self.parse_list, errback=self.failed, dont_filter=True)
        if self.revalidate:
            for target in recorder.store.revalidation_targets():
                if self.profile.is_on_site(target.url):
                    yield self.revalidation(target)

    def revalidation(self, target: Revalidation) -> scrapy.Request:
        validators = {"If-None-Match": target.etag, "If-Modified-Since": target.last_modified}
        return scrapy.Request(
            target.url,
            headers={name: value for name, value in validators.items() if value},
            callback=self.parse_article,
            errback=self.failed,
            cb_kwargs={"link_title": None, "list_page": target.referer},
            meta={"handle_httpstatus_list": REVALIDATION_STATUSES},
        )

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value("govcrawl/list_pages")
        for anchor in response.css("a[href]"):
            url = response.urljoin(anchor.attrib["href"].strip())
            if self.profile.is_list_page(url):
                yield scrapy.Request(url, callback=self.parse_list, errback=self.failed)
            elif self.profile.is_article_page(url):
                title = (anchor.attrib.get("title") or " ".join(anchor.css("::text").getall())).strip()
                if url in self.known:  # stored by an earlier run (or revalidated from start())
                    self.crawler.stats.inc_value("govcrawl/article_links_known")
                elif self.wanted(title):
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

    def parse_article(
        self, response: Response, link_title: str | None, list_page: str | None
    ) -> Iterator[PageItem]:
        meta = response.meta
        if response.status in REVALIDATION_STATUSES:  # 304 unchanged, 404/410 gone
            CrawlRecorder.of(self.crawler).store.mark_page(
                PageMark(self.run_id, response.url, response.status, meta.get("govcrawl_fetched_at"))
            )
            return
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
