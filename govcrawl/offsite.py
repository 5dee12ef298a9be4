"""Off-site means exact hosts: the profile's `allowed_hosts`, no subdomains, for every request
and every redirect hop, start URLs included.

Scrapy's OffsiteMiddleware lets subdomains through and skips `dont_filter` requests, which
start URLs are and which Scrapy copies to their redirect hops; so it is replaced here:

- `ExactHostOffsiteMiddleware` (in place of Scrapy's, before robots.txt) drops any request to
  another host, `dont_filter` or not, with a fetch row `off-site: …`.
- `RedirectGuardMiddleware` (next to the recorder, before RedirectMiddleware acts) judges each
  3xx: a hop to another host is `off-site redirect: …`, to a scheme other than http(s)
  `bad redirect scheme: …`, back to a URL of its own chain `redirect loop: …` (otherwise the
  dupefilter would drop the hop back silently, or a `dont_filter` start URL would loop until
  REDIRECT_MAX_TIMES). The verdict goes to the recorder as meta `govcrawl_drop`: the hop's
  fetch row carries it and the redirect is not followed.
- `RedirectAwareDupeFilter` (DUPEFILTER_CLASS) catches the loop that spans two chains (A and
  B both linked, A redirects to B and B to A): when it drops a redirect hop whose target has
  only ever redirected in this run, the hop's fetch row gets `redirect loop: …`. A hop to a
  page that was answered (or is still on its way) is a plain duplicate: nothing is lost.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from w3lib.url import canonicalize_url, safe_url_string

from govcrawl.middlewares import DROP, record_unsent
from govcrawl.recorder import CrawlRecorder


def allowed_hosts(crawler: Crawler) -> tuple[str, ...] | None:
    """The spider's profile hosts; None when the spider has no profile (no host rule)."""
    profile = getattr(crawler.spider, "profile", None)
    return tuple(profile.allowed_hosts) if profile is not None else None


class ExactHostOffsiteMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExactHostOffsiteMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        hosts = allowed_hosts(self.crawler)
        host = urlparse_cached(request).hostname
        if hosts is None or host in hosts:
            return
        error = f"off-site: request to host {host}, not one of the profile's allowed_hosts; not sent"
        self.crawler.stats.inc_value("govcrawl/dropped/off_site")
        record_unsent(self.crawler, request, error)
        raise IgnoreRequest(error)


def redirect_problem(request: Request, response: Response, hosts: tuple[str, ...] | None) -> str | None:
    """Why this redirect must not be followed, or None."""
    location = response.headers.get("Location")
    if not (300 <= response.status < 400) or not location:
        return None
    target = safe_url_string(response.urljoin(location.decode("latin-1").strip()))
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https"):
        return f"bad redirect scheme: {request.url} redirects to {target[:200]}; not followed"
    if hosts is not None and parts.hostname not in hosts:
        return f"off-site redirect: {request.url} redirects to host {parts.hostname} ({target}); not followed"
    chain = [*request.meta.get("redirect_urls", []), request.url]
    if canonicalize_url(target) in {canonicalize_url(url) for url in chain}:
        return f"redirect loop: {request.url} redirects back to {target} ({len(chain)} hops); not followed"
    return None


class RedirectGuardMiddleware:
    """Requests are known by Scrapy's request fingerprint (its canonical URL, method and body),
    which the dupefilter has already computed and cached for each of them, rather than by
    canonicalising every answered URL a second time."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.redirecting: set[bytes] = set()  # fingerprints of requests answered with a redirect this run
        self.settled: set[bytes] = set()  # ... and of those answered otherwise

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        return self.crawler.request_fingerprinter.fingerprint(request)

    def process_response(self, request: Request, response: Response) -> Response:
        answered = self.redirecting if 300 <= response.status < 400 else self.settled
        answered.add(self.fingerprint(request))
        if request.meta.get(DROP) is None and not request.meta.get("dont_redirect"):
            problem = redirect_problem(request, response, allowed_hosts(self.crawler))
            if problem:
                self.crawler.stats.inc_value("govcrawl/dropped/" + problem.split(":", 1)[0].replace(" ", "_"))
                request.meta[DROP] = problem
        return response


class RedirectAwareDupeFilter(RFPDupeFilter):
    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectAwareDupeFilter:
        dupefilter = super().from_crawler(crawler)
        dupefilter.crawler = crawler
        return dupefilter

    def request_seen(self, request: Request) -> bool:
        seen = super().request_seen(request)
        if seen and request.meta.get("redirect_urls") and self.crawler is not None:
            self.hop_dropped(request)
        return seen

    def hop_dropped(self, request: Request) -> None:
        guard = next(
            (m for m in self.crawler.engine.downloader.middleware.middlewares if isinstance(m, RedirectGuardMiddleware)),
            None,
        )
        fetch_id = request.meta.get("govcrawl_fetch_id")  # the hop's row: Scrapy copies meta to the hop
        if guard is None or fetch_id is None:
            return
        target = guard.fingerprint(request)
        if target in guard.settled or target not in guard.redirecting:
            return
        self.crawler.stats.inc_value("govcrawl/dropped/redirect_loop")
        CrawlRecorder.of(self.crawler).store.mark_fetch_error(
            fetch_id,
            f"redirect loop: {request.meta['redirect_urls'][-1]} redirects to {request.url},"
            " which only redirected in this run; not followed",
        )
