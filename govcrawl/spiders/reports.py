"""The `reports` spider: walk a portal family's annual-report columns, send report pages on.

Everything portal-specific comes from the site profile (govcrawl/profiles/<site>.yaml).
Re-crawls are incremental: list pages are always fetched (that is where new years appear),
article links already stored are not; with `-a revalidate=1` every stored document is
re-requested conditionally, so an edited report becomes a new version and a deleted one is
marked gone.

Bounded and lossless: at most GOVCRAWL_MAX_LIST_PAGES list pages per column (a column is a
list URL with its `index_N` page part removed), the first page beyond it recorded as a
`pagination limit: …` fetch row; links are compared with stored URLs in canonical form
(w3lib), so a link with non-ASCII characters is not fetched again on every run; a 200 that
is empty, binary or an error template (pipelines.suspect) is recorded as `suspect 200: …` and
makes no document, so the next run asks again.

Attachments (govcrawl.attachments): a report page's file links (附件：XX年度报告.pdf, a
download endpoint) and a list's links straight to a file whose title may be a report are
fetched as documents of their own, linked to the page that offered them (`document_links`),
each bounded by GOVCRAWL_MAX_ATTACHMENT_BYTES (Scrapy's per-request `download_maxsize`: a
larger one is a `too large: …` fetch row) and at most GOVCRAWL_MAX_ATTACHMENTS_PER_PAGE per
page. A stored attachment is known like any document, and revalidated like one; one whose
last answer failed is asked for again by the next run (its page, stored, is not fetched
again). An answer that says it is a file (`Content-Disposition: attachment`) or is no text is
taken as an attachment wherever it was linked from.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator

import scrapy
from parsel import Selector, SelectorList
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url, safe_url_string

from govcrawl import pagers
from govcrawl.attachments import (
    ATTACHMENT_META,
    AttachmentLink,
    attachment_links,
    is_attachment_answer,
    link_text,
    may_offer_files,
    offered_as,
)
from govcrawl.failures import describe
from govcrawl.items import PageItem
from govcrawl.profiles import load_profile, parse_years
from govcrawl.recorder import CrawlRecorder
from pipelines.filetype import binary_kind
from pipelines.store import FetchRecord, PageMark, Revalidation
from pipelines.suspect import suspect_reason_of_kind

# Answers to a conditional re-request that the article callback handles itself.
REVALIDATION_STATUSES = [304, 404, 410]
# The `-a` arguments the spider takes (names starting with _ are a scheduler's, e.g. scrapyd's _job).
SPIDER_ARGUMENTS = ("site", "years", "revalidate")
TRUE, FALSE = ("1", "true", "yes"), ("0", "false", "no")
DEFAULT_MAX_LIST_PAGES = 500
DEFAULT_MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_ATTACHMENTS_PER_PAGE = 20
PAGE_PART = re.compile(r"_\d+(?=\.[A-Za-z]+$)")  # index_7.shtml -> index.shtml


class BadArgument(ValueError):
    """A spider argument that cannot be used: the crawl does not start."""


def check_arguments(arguments: dict[str, str], default_site: str) -> str | None:
    """The one-line reason the spider arguments are unusable, or None (before the crawl starts)."""
    unknown = sorted(name for name in arguments if name not in SPIDER_ARGUMENTS and not name.startswith("_"))
    if unknown:
        return (
            f"unknown spider argument {unknown[0]!r}; the reports spider takes: {', '.join(SPIDER_ARGUMENTS)}"
        )
    revalidate = (arguments.get("revalidate") or "0").lower()
    if revalidate not in TRUE + FALSE:
        return f"revalidate={arguments['revalidate']!r}: expected 1 or 0"
    try:
        load_profile(arguments.get("site") or default_site)
        parse_years(arguments.get("years"))
    except ValueError as error:
        return str(error)
    return None


def link_key(url: str) -> str:
    """The form links and stored URLs are compared in (w3lib: escaped, percent escapes in one
    case, query sorted, no fragment), so that a stored link is recognised however it is written."""
    return canonicalize_url(url)


def list_column(url: str) -> str:
    """The list a page belongs to: its URL without the page part (index_3.shtml -> index.shtml)."""
    return PAGE_PART.sub("", url.partition("?")[0])


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(
        self, site: str | None = None, years: str | None = None, revalidate: str | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        self.site_arg, self.years_arg = site, years
        self.revalidate = (revalidate or "0").lower() in TRUE

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.site = spider.site_arg or crawler.settings.get("GOVCRAWL_SITE")
        try:
            spider.profile = load_profile(spider.site)
            spider.years = parse_years(spider.years_arg)
        except ValueError as error:  # `scrapy crawl` checks first (govcrawl.commands.crawl)
            raise BadArgument(str(error)) from None
        spider.max_list_pages = crawler.settings.getint("GOVCRAWL_MAX_LIST_PAGES", DEFAULT_MAX_LIST_PAGES)
        spider.max_attachment_bytes = crawler.settings.getint(
            "GOVCRAWL_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_ATTACHMENT_BYTES
        )
        spider.max_attachments_per_page = crawler.settings.getint(
            "GOVCRAWL_MAX_ATTACHMENTS_PER_PAGE", DEFAULT_MAX_ATTACHMENTS_PER_PAGE
        )
        spider.list_pages = defaultdict(set)  # column -> list page URLs requested this run
        spider.columns_cut = set()
        spider.allowed_domains = list(spider.profile.allowed_hosts)
        spider.arguments = {"site": spider.site, "years": spider.years_arg, "revalidate": spider.revalidate}
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        recorder = CrawlRecorder.of(self.crawler)
        if hasattr(self, "state"):  # JOBDIR: this run may continue a paused one
            recorder.resume(self.state)
        self.known = {link_key(url) for url in recorder.store.known_links()}
        for url in self.profile.start_urls:
            self.list_pages[list_column(url)].add(url)
            # Lists are always revisited: that is where new years appear.
            yield scrapy.Request(url, callback=self.parse_list, errback=self.failed, dont_filter=True)
        for url, referer in recorder.store.unsettled_links():
            # an attachment that failed: its page, stored, will not offer it again
            if offered_as(url, "", self.profile) == "document" and link_key(url) not in self.known:
                yield self.attachment_request(AttachmentLink(url, "", "document"), referer)
        if self.revalidate:
            for target in recorder.store.revalidation_targets():
                if self.profile.is_on_site(target.url):
                    yield self.revalidation(target)

    def revalidation(self, target: Revalidation) -> scrapy.Request:
        validators = {"If-None-Match": target.etag, "If-Modified-Since": target.last_modified}
        headers = {name: value for name, value in validators.items() if value}
        kind = target.offered_as or offered_as(target.url, "", self.profile)
        if kind is not None:  # an attachment, or a dead link to one
            return self.attachment_request(AttachmentLink(target.url, "", kind), target.referer, headers, True)
        return scrapy.Request(
            target.url,
            headers=headers,
            callback=self.parse_article,
            errback=self.failed,
            cb_kwargs={"link_title": None, "list_page": target.referer},
            meta={"handle_httpstatus_list": REVALIDATION_STATUSES},
        )

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        """A list page: its links, the other pages its pager names (plain or script,
        govcrawl.pagers), and the family's list API where the records come from one."""
        self.crawler.stats.inc_value("govcrawl/list_pages")
        yield from self.follow_links(response.css("a[href]"), response)
        text = response.text if isinstance(response, TextResponse) else ""
        for url in pagers.list_page_urls(text, response.url, self.profile.second_page):
            if self.profile.is_list_page(url) and self.within_list_limit(url, response.url):
                yield scrapy.Request(url, callback=self.parse_list, errback=self.failed)
        store = pagers.datastore(text)
        if store is not None:  # Hanweb: the first records sit in the page's <datastore>
            yield from self.datastore_requests(store, response, response.url)
        if self.profile.family == "gkmlpt" and (sid := pagers.gkmlpt_sid(text)):
            page_url = getattr(response.request, "url", None) or response.url  # with its #category
            yield from self.gkmlpt_request(page_url, pagers.gkmlpt_category(page_url), 1, sid)

    def follow_links(self, anchors: SelectorList, response: Response) -> Iterator[scrapy.Request]:
        """Requests for the list pages, articles and report files among a list's links."""
        encoding = getattr(response, "encoding", "utf-8")
        for anchor in anchors:
            # Escaped as a browser does (query in the page's encoding): the URL requested and stored.
            url = safe_url_string(response.urljoin(anchor.attrib["href"].strip()), encoding)
            if self.profile.is_list_page(url):
                if self.within_list_limit(url, response.url):
                    yield scrapy.Request(url, callback=self.parse_list, errback=self.failed)
            elif self.profile.is_article_page(url):
                title = (anchor.attrib.get("title") or " ".join(anchor.css("::text").getall())).strip()
                yield from self.article_request(url, title, response.url)
            elif (kind := offered_as(url, title := link_text(anchor), self.profile)) and self.wanted(title):
                # a list linking straight to the report's file
                yield from self.attachment_requests([AttachmentLink(url, title, kind)], response.url)

    def article_request(self, url: str, title: str, list_page: str) -> Iterator[scrapy.Request]:
        if link_key(url) in self.known:  # stored by an earlier run
            self.crawler.stats.inc_value("govcrawl/article_links_known")
        elif self.wanted(title):
            self.crawler.stats.inc_value("govcrawl/article_links_followed")
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.failed,
                cb_kwargs={"link_title": title, "list_page": list_page},
            )
        else:
            self.crawler.stats.inc_value("govcrawl/article_links_skipped")

    def datastore_requests(
        self, store: pagers.DataStore, response: Response, column_page: str, had: int = 0
    ) -> Iterator[scrapy.Request]:
        """The records of a Hanweb datastore, then (hanweb profiles) a POST for the next ones."""
        fragments = Selector(text="".join(store.records) or "<p></p>")
        yield from self.follow_links(fragments.css("a[href]"), response)
        api = self.profile.api
        column_id = pagers.hanweb_column_id(column_page, store)
        if self.profile.family != "hanweb" or column_id is None or not store.records:
            return
        group = int(api["perpage"]) * int(api["group_pages"])
        span = pagers.next_records(had + len(store.records), store.total, group)
        if span is None:
            return
        start, end = span
        url = response.urljoin(
            f"{api['path']}?startrecord={start}&endrecord={end}&perpage={api['perpage']}"
        )
        if not self.within_list_limit(url, column_page, column=f"{column_page} (dataproxy)"):
            return
        form = {**{k: str(v) for k, v in api["form"].items()}, "columnid": column_id}
        for name in ("webid", "unitid", "appid"):  # the page's own values over the profile's
            form[name] = store.params.get(name) or form.get(name, "")
        yield scrapy.FormRequest(
            url,
            formdata=form,
            callback=self.parse_dataproxy,
            errback=self.failed,
            cb_kwargs={"column_page": column_page, "had": start - 1},
        )

    def parse_dataproxy(self, response: Response, column_page: str, had: int) -> Iterator[scrapy.Request]:
        """An answer of Hanweb's dataproxy.jsp: its records, and the request for the next ones."""
        self.crawler.stats.inc_value("govcrawl/list_api_pages")
        store = pagers.datastore(response.text if isinstance(response, TextResponse) else "")
        if store is None:
            self.logger.warning("no datastore in the answer of %s", response.url)
            return
        yield from self.datastore_requests(store, response, column_page, had)

    def gkmlpt_request(self, page_url: str, category: str, page: int, sid: str) -> Iterator[scrapy.Request]:
        url = pagers.gkmlpt_api_url(page_url, self.profile.api["path"], category, page, sid)
        column = f"{page_url.split('#', 1)[0]}#{category} (api)"
        if self.within_list_limit(url, page_url, column=column):
            yield scrapy.Request(
                url,
                callback=self.parse_gkmlpt,
                errback=self.failed,
                cb_kwargs={"page_url": page_url, "category": category, "page": page, "sid": sid},
            )

    def parse_gkmlpt(
        self, response: Response, page_url: str, category: str, page: int, sid: str
    ) -> Iterator[scrapy.Request]:
        """A page of the gkmlpt API: its articles, and (from page 1) the requests for the rest."""
        self.crawler.stats.inc_value("govcrawl/list_api_pages")
        answer = pagers.gkmlpt_page(response.text if isinstance(response, TextResponse) else "")
        if answer is None:
            self.logger.warning("not a gkmlpt API answer: %s", response.url)
            return
        for url, title in answer.articles:
            url = safe_url_string(response.urljoin(url))
            if self.profile.is_article_page(url):
                yield from self.article_request(url, title, response.url)
        if page == 1 and answer.articles:
            for number in range(2, pagers.api_page_count(answer.total, len(answer.articles)) + 1):
                yield from self.gkmlpt_request(page_url, category, number, sid)

    def attachment_request(
        self,
        link: AttachmentLink,
        offered_by: str | None,
        headers: dict[str, str] | None = None,
        revalidation: bool = False,
    ) -> scrapy.Request:
        return scrapy.Request(
            link.url,
            headers=headers,
            callback=self.parse_attachment,
            errback=self.failed,
            cb_kwargs={
                "offered_by": offered_by,
                "link_text": link.text or None,
                "offered_as": link.offered_as,
            },
            meta={
                "download_maxsize": self.max_attachment_bytes,
                ATTACHMENT_META: link.offered_as,
                "handle_httpstatus_list": REVALIDATION_STATUSES if revalidation else [],
            },
        )

    def attachment_requests(self, links: list[AttachmentLink], offered_by: str) -> Iterator[scrapy.Request]:
        """Requests for the links not stored yet, at most GOVCRAWL_MAX_ATTACHMENTS_PER_PAGE; the
        first link beyond gets a fetch row (status NULL) saying why it was not requested."""
        followed = 0
        for link in links:
            if link_key(link.url) in self.known:
                self.crawler.stats.inc_value("govcrawl/attachment_links_known")
                continue
            if followed == self.max_attachments_per_page:
                self.crawler.stats.inc_value("govcrawl/attachment_limited_pages")
                recorder = CrawlRecorder.of(self.crawler)
                recorder.store.record_fetch(
                    FetchRecord(
                        run_id=recorder.run_id,
                        url=link.url,
                        referer=offered_by,
                        error=f"attachment limit: more than GOVCRAWL_MAX_ATTACHMENTS_PER_PAGE "
                        f"({self.max_attachments_per_page}) attachments on {offered_by}; {link.url} and later"
                        " ones not requested",
                    )
                )
                return
            followed += 1
            self.crawler.stats.inc_value("govcrawl/attachment_links_followed")
            yield self.attachment_request(link, offered_by)

    def within_list_limit(self, url: str, referer: str, column: str | None = None) -> bool:
        """Count a list page (or a list API's page) against its column's GOVCRAWL_MAX_LIST_PAGES;
        the first page beyond the limit gets a fetch row (status NULL) saying why it was not
        requested."""
        column = column or list_column(url)
        pages = self.list_pages[column]
        if url in pages:
            return True  # already counted; the dupefilter drops the repeat
        if len(pages) < self.max_list_pages:
            pages.add(url)
            return True
        if column not in self.columns_cut:
            self.columns_cut.add(column)
            self.crawler.stats.inc_value("govcrawl/pagination_limited_columns")
            recorder = CrawlRecorder.of(self.crawler)
            recorder.store.record_fetch(
                FetchRecord(
                    run_id=recorder.run_id,
                    url=url,
                    referer=referer,
                    error=f"pagination limit: more than GOVCRAWL_MAX_LIST_PAGES ({self.max_list_pages}) "
                    f"list pages in column {column}; {url} and later pages not requested",
                )
            )
            self.logger.warning("pagination limit reached in %s: %d list pages", column, self.max_list_pages)
        return False

    def wanted(self, title: str) -> bool:
        if not self.profile.title_may_be_report(title):
            return False
        year = self.profile.year_in_title(title)
        return self.years is None or year is None or year in self.years

    def parse_article(
        self, response: Response, link_title: str | None, list_page: str | None
    ) -> Iterator[PageItem | scrapy.Request]:
        kind = binary_kind(response.body) if response.status == 200 else None
        if kind or (response.status == 200 and is_attachment_answer(response)):
            # a file where a page was expected: stored as an attachment if it is a document
            if self.settled(response, "document", kind):
                yield self.attachment_item(response, list_page, link_title, "document", kind)
            return
        if not self.settled(response, None, kind):
            return
        yield self.page_item(response, list_page, link_title)
        if not may_offer_files(response.body, self.profile):
            return
        links = list(attachment_links(response, self.profile))
        if links:
            yield from self.attachment_requests(links, response.url)

    def parse_attachment(
        self, response: Response, offered_by: str | None, link_text: str | None, offered_as: str
    ) -> Iterator[PageItem]:
        """A file a page offered: stored as a document of its own, linked to that page."""
        kind = binary_kind(response.body) if response.status == 200 else None
        if self.settled(response, offered_as, kind):
            yield self.attachment_item(response, offered_by, link_text, offered_as, kind)

    def attachment_item(
        self,
        response: Response,
        offered_by: str | None,
        link_text: str | None,
        offered_as: str,
        kind: str | None,
    ) -> PageItem:
        self.crawler.stats.inc_value(f"govcrawl/attachments/{kind or 'text'}")
        return self.page_item(response, offered_by, link_text, offered_as)

    def settled(self, response: Response, offered_as: str | None, kind: str | None) -> bool:
        """False when the answer makes no version: a revalidation's 304/404/410 (marked on the
        document) or a suspect 200 (marked on the fetch row)."""
        meta = response.meta
        if response.status in REVALIDATION_STATUSES:  # 304 unchanged, 404/410 gone
            CrawlRecorder.of(self.crawler).store.mark_page(
                PageMark(self.run_id, response.url, response.status, meta.get("govcrawl_fetched_at"))
            )
            return False
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        suspect = suspect_reason_of_kind(response.body, kind, content_type, offered_as)
        if suspect is not None:  # kept in `bodies` by the fetch row; not a settled answer
            self.crawler.stats.inc_value("govcrawl/suspect_answers")
            self.logger.warning("suspect 200 at %s: %s", response.url, suspect)
            fetch_id = meta.get("govcrawl_fetch_id")
            if fetch_id is not None:
                CrawlRecorder.of(self.crawler).store.mark_fetch_error(
                    fetch_id, f"suspect 200: {suspect}", response.url
                )
            return False
        return True

    def page_item(
        self, response: Response, referer: str | None, link_title: str | None, offered_as: str | None = None
    ) -> PageItem:
        meta = response.meta
        return PageItem(
            url=(meta.get("redirect_urls") or [response.url])[0],
            final_url=response.url,
            status=response.status,
            body=response.body,
            referer=referer,
            link_title=link_title,
            fetched_at=meta.get("govcrawl_fetched_at"),
            fetch_id=meta.get("govcrawl_fetch_id"),
            run_id=getattr(self, "run_id", None),  # set by the CrawlRecorder extension
            via="browser" if meta.get("playwright") else "http",
            offered_as=offered_as,
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
                fetch_id, describe(failure.value, failure.request.url), failure.request.url
            )
        self.logger.warning("failed %s: %s", failure.request.url, failure.getErrorMessage())
