"""robots.txt read by its answer's status (RFC 9309 2.3.1) and shared by a fleet, driven
in-process with saved responses: the download is the only stand-in (a saved answer per
host), the middleware, the host gate, Protego and, for the fleet, a real redis-server are real.

Expected readings come from RFC 9309: 2xx gives the rules; 4xx (and a redirect chain that did
not end at an answer) "unavailable": everything allowed; 5xx and failed fetches "unreachable":
complete disallow.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from govcrawl.fleet.private_redis import PrivateRedis
from govcrawl.hosts import HostGateMiddleware
from govcrawl.robots import RobotsRulesMiddleware, rules_body

HOST = "www.panzhihua.gov.cn"
ROBOTS = b"User-agent: *\nDisallow: /zfxxgk1/zfxxgknb/xxgknb/preview/\n"
ALLOWED = f"http://{HOST}/zfxxgk1/zfxxgknb/xxgknb/index.shtml"
FORBIDDEN = f"http://{HOST}/zfxxgk1/zfxxgknb/xxgknb/preview/"


class SavedAnswers:
    """The engine's download of robots.txt, answered from saved responses (or failures)."""

    def __init__(self, answers: dict[str, Response | Exception | list[Response]]):
        self.answers = answers
        self.asked: list[str] = []

    async def download_async(self, request: Request) -> Response:
        self.asked.append(request.url)
        answer = self.answers[request.url]
        if isinstance(answer, list):  # one answer after the other, the last one again
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def crawl_pieces(answers: dict, **settings) -> tuple[RobotsRulesMiddleware, HostGateMiddleware, SavedAnswers]:
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True, "GOVCRAWL_HOST_TIMEOUT": 15,
                                         "GOVCRAWL_MAX_RETRY_AFTER": 120, "GOVCRAWL_FLEET_LEASE_SECONDS": 2,
                                         "GOVCRAWL_FLEET_POLL_SECONDS": 0.02, **settings})
    crawler.stats = MemoryStatsCollector(crawler)
    gate = HostGateMiddleware(crawler)
    saved = SavedAnswers(answers)
    crawler.engine = SimpleNamespace(
        download_async=saved.download_async,
        downloader=SimpleNamespace(slots={}, middleware=SimpleNamespace(middlewares=[gate])),
    )
    return RobotsRulesMiddleware(crawler), gate, saved


def robots_answer(status: int, body: bytes = b"", host: str = HOST) -> dict:
    url = f"http://{host}/robots.txt"
    return {url: Response(url, status=status, body=body)}


def outcome(robots: RobotsRulesMiddleware, gate: HostGateMiddleware, url: str) -> str:
    """What becomes of a request: refused by robots.txt, refused by the host gate, or sent."""
    request = Request(url)
    try:
        asyncio.run(robots.process_request(request))
    except IgnoreRequest:
        return "forbidden"
    try:
        gate.process_request(request)
    except IgnoreRequest as refusal:
        return str(refusal).split(":", 1)[0]
    return "sent"


ERROR_PAGE = b"<html><h1>error</h1>Disallow: /</html>"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, ROBOTS, ROBOTS),
        (204, b"", b""),
        (301, ERROR_PAGE, b""),  # redirects given up: unavailable
        (404, ERROR_PAGE, b""),
        (410, ERROR_PAGE, b""),
        (403, ERROR_PAGE, b""),  # RFC 9309: 401 and 403 are "unavailable" too
        (429, ERROR_PAGE, None),
        (500, ERROR_PAGE, None),
        (503, ERROR_PAGE, None),
        (304, b"", None),
    ],
)
def test_an_answer_is_read_by_its_status(status, body, expected):
    assert rules_body(status, body) == expected


def test_the_rules_of_a_2xx_are_obeyed():
    robots, gate, _ = crawl_pieces(robots_answer(200, ROBOTS))
    assert outcome(robots, gate, ALLOWED) == "sent"
    assert outcome(robots, gate, FORBIDDEN) == "forbidden"


@pytest.mark.parametrize("status", [404, 403])
def test_an_unavailable_robots_txt_allows_everything_even_if_its_error_page_reads_like_rules(status):
    # an error page whose text happens to hold a Disallow line is not a robots.txt
    robots, gate, _ = crawl_pieces(robots_answer(status, b"User-agent: *\nDisallow: /\n"))
    assert outcome(robots, gate, FORBIDDEN) == "sent"


@pytest.mark.parametrize("status", [500, 503])
def test_an_unreachable_robots_txt_sends_nothing_to_the_host_and_says_why(status):
    # Scrapy's own middleware would parse the error page and allow everything
    robots, gate, _ = crawl_pieces(robots_answer(status, b"<html><h1>Service Unavailable</h1></html>"))
    assert outcome(robots, gate, ALLOWED) == "robots unreachable"
    assert f"HTTP {status}" in gate.dropped[HOST]
    assert outcome(robots, gate, f"http://{HOST}/other.shtml") == "robots unreachable"


def test_a_busy_robots_txt_is_asked_again_as_a_page_would_be():
    # a portal answering a burst with 429 (Retry-After: 0) or a 503, then its rules
    url = f"http://{HOST}/robots.txt"
    busy = [Response(url, status=429, headers={"Retry-After": "0"}), Response(url, status=503), Response(url, status=200, body=ROBOTS)]
    robots, gate, saved = crawl_pieces({url: busy}, RETRY_TIMES=2)
    assert outcome(robots, gate, ALLOWED) == "sent"
    assert outcome(robots, gate, FORBIDDEN) == "forbidden"
    assert saved.asked == [url] * 3
    assert HOST not in gate.dropped


def test_a_robots_txt_busy_beyond_the_retries_drops_the_host():
    url = f"http://{HOST}/robots.txt"
    robots, gate, saved = crawl_pieces({url: [Response(url, status=429)]}, RETRY_TIMES=2)
    assert outcome(robots, gate, ALLOWED) == "robots unreachable"
    assert "HTTP 429" in gate.dropped[HOST]
    assert saved.asked == [url] * 3


def test_a_robots_txt_asking_to_wait_too_long_is_not_asked_again():
    url = f"http://{HOST}/robots.txt"
    answer = Response(url, status=429, headers={"Retry-After": "3600"})
    robots, gate, saved = crawl_pieces({url: [answer]}, RETRY_TIMES=2)
    gate.response_downloaded(answer, Request(url, meta={"dont_obey_robotstxt": True}))  # as the engine signals it
    assert outcome(robots, gate, ALLOWED) == "retry-after"
    assert saved.asked == [url]


def test_a_robots_request_refused_by_a_middleware_does_not_open_the_host():
    # Scrapy's own middleware turns an IgnoreRequest of the robots.txt request into "allow all"
    robots, gate, _ = crawl_pieces({f"http://{HOST}/robots.txt": IgnoreRequest("refused on the way")})
    assert outcome(robots, gate, FORBIDDEN) == "robots unreachable"
    assert outcome(robots, gate, ALLOWED) == "robots unreachable"


@pytest.mark.parametrize(
    "refusal",
    [
        f"off-site redirect: http://{HOST}/robots.txt redirects to host www.gov.cn (http://www.gov.cn/robots.txt); not followed",
        f"redirect loop: http://{HOST}/robots.txt redirects back to http://{HOST}/robots.txt (2 hops); not followed",
        "max redirections reached",
    ],
)
def test_a_robots_redirect_chain_given_up_means_no_rules(refusal):
    # RFC 9309 2.3.1.2: unavailable, as a 4xx; the host is not dropped
    robots, gate, _ = crawl_pieces({f"http://{HOST}/robots.txt": IgnoreRequest(refusal)})
    assert outcome(robots, gate, FORBIDDEN) == "sent"
    assert HOST not in gate.dropped


def test_a_robots_fetch_cancelled_by_our_own_shutdown_does_not_blame_the_host():
    from twisted.internet.error import ConnectionAborted

    from govcrawl.middlewares import FORCED_SHUTDOWN_STAT

    robots, gate, _ = crawl_pieces({f"http://{HOST}/robots.txt": ConnectionAborted()})
    robots.crawler.stats.set_value(FORCED_SHUTDOWN_STAT, True)
    with pytest.raises(IgnoreRequest, match=r"^cancelled: the crawl was stopped"):
        asyncio.run(robots.process_request(Request(ALLOWED)))
    assert HOST not in gate.dropped and not robots.crawler.stats.get_value("robotstxt/unreachable")


def test_a_host_that_does_not_answer_is_left_to_the_host_gate():
    # the gate drops such a host with its own message when the preflight fails (tests of
    # the hostile replica); the robots reading must not replace that message
    from scrapy.exceptions import DownloadTimeoutError

    robots, gate, _ = crawl_pieces({f"http://{HOST}/robots.txt": DownloadTimeoutError("took too long")})
    assert outcome(robots, gate, ALLOWED) == "sent"
    assert HOST not in gate.dropped


def test_without_a_host_gate_an_unreachable_host_is_refused_by_the_rules():
    robots, gate, _ = crawl_pieces(robots_answer(503))
    robots.crawler.engine.downloader.middleware.middlewares = []
    assert outcome(robots, gate, ALLOWED) == "forbidden"


def test_one_worker_of_a_fleet_fetches_robots_txt_for_all():
    with PrivateRedis() as redis_url:
        fleet = {"REDIS_URL": redis_url, "GOVCRAWL_FLEET_NAME": "robots-test"}
        first, first_gate, first_saved = crawl_pieces(robots_answer(200, ROBOTS), GOVCRAWL_WORKER_ID="w1", **fleet)
        second, second_gate, second_saved = crawl_pieces({}, GOVCRAWL_WORKER_ID="w2", **fleet)
        assert outcome(first, first_gate, ALLOWED) == "sent"
        # the second worker never downloads robots.txt (it has no saved answer) and obeys the rules
        assert outcome(second, second_gate, FORBIDDEN) == "forbidden"
        assert outcome(second, second_gate, ALLOWED) == "sent"
        assert first_saved.asked == [f"http://{HOST}/robots.txt"] and second_saved.asked == []
        assert second.crawler.stats.get_value("robotstxt/shared_by_fleet") == 1


def test_a_worker_waits_while_another_fetches_and_fetches_itself_when_that_failed():
    with PrivateRedis() as redis_url:
        fleet = {"REDIS_URL": redis_url, "GOVCRAWL_FLEET_NAME": "robots-test"}
        waiting, gate, saved = crawl_pieces(robots_answer(200, ROBOTS), GOVCRAWL_WORKER_ID="w2", **fleet)
        state = waiting.fleet
        assert state.take_robots_fetch(HOST, "w1", 30)  # w1 is fetching

        async def w1_shares_later():
            await asyncio.sleep(0.3)
            state.share_robots_rules(HOST, ROBOTS, "w1")

        async def both():
            sharing = asyncio.create_task(w1_shares_later())
            try:
                await waiting.process_request(Request(FORBIDDEN))
            finally:
                await sharing

        with pytest.raises(IgnoreRequest):
            asyncio.run(both())
        assert saved.asked == []  # it waited for w1's rules

        # another host: w1 held the lease and gave up without rules (its fetch failed)
        other = "www.screnhe.gov.cn"
        retrying, gate, saved = crawl_pieces(robots_answer(200, ROBOTS, other), GOVCRAWL_WORKER_ID="w3", **fleet)
        assert state.take_robots_fetch(other, "w1", 30)
        state.release_robots_fetch(other, "w1")
        assert outcome(retrying, gate, f"http://{other}/zfxxgk1/zfxxgknb/xxgknb/preview/") == "forbidden"
        assert saved.asked == [f"http://{other}/robots.txt"]


def test_a_fleet_run_forgets_its_robots_rules_when_it_ends():
    with PrivateRedis() as redis_url:
        robots, gate, _ = crawl_pieces(
            robots_answer(200, ROBOTS), GOVCRAWL_WORKER_ID="w1", REDIS_URL=redis_url, GOVCRAWL_FLEET_NAME="t"
        )
        assert outcome(robots, gate, ALLOWED) == "sent"
        assert robots.fleet.robots_rules(HOST) == ROBOTS
        robots.fleet.end_run()
        assert robots.fleet.robots_rules(HOST) is None


def test_a_redis_error_while_the_fleet_rules_are_looked_up_leaves_no_request_waiting():
    from redis.exceptions import ConnectionError as RedisConnectionError

    with PrivateRedis() as redis_url:
        fleet = {"REDIS_URL": redis_url, "GOVCRAWL_FLEET_NAME": "t"}
        robots, gate, _ = crawl_pieces(robots_answer(200, ROBOTS), GOVCRAWL_WORKER_ID="w1", **fleet)
        looked_up = robots.fleet.robots_rules
        calls = []

        def down_once_while_waiting(netloc):  # another worker is fetching; Redis fails at the 2nd look
            calls.append(netloc)
            if len(calls) == 2:
                raise RedisConnectionError("blip")
            return looked_up(netloc)

        robots.fleet.take_robots_fetch(HOST, "w0", 60)  # held by another worker

        robots.fleet.robots_rules = down_once_while_waiting

        async def two_requests():
            first = asyncio.ensure_future(robots.process_request(Request(ALLOWED)))
            second = asyncio.ensure_future(robots.process_request(Request(ALLOWED + "?2")))
            return await asyncio.wait_for(asyncio.gather(first, second, return_exceptions=True), 10)

        first, second = asyncio.run(two_requests())
        assert isinstance(first, RedisConnectionError)
        assert isinstance(second, RedisConnectionError)  # it waited on the first, and heard why
        robots.fleet.release_robots_fetch(HOST, "w0")
        assert outcome(robots, gate, ALLOWED) == "sent"  # the next request asks again


def test_rules_shared_between_a_workers_look_and_its_lease_are_used_not_fetched_again():
    with PrivateRedis() as redis_url:
        fleet = {"REDIS_URL": redis_url, "GOVCRAWL_FLEET_NAME": "t"}
        late, gate, saved = crawl_pieces(robots_answer(200, ROBOTS), GOVCRAWL_WORKER_ID="w2", **fleet)
        looked_up = late.fleet.robots_rules
        looks = []

        def w1_shares_right_after_the_first_look(netloc):
            rules = looked_up(netloc)
            if not looks:  # w1 fetched, shared and gave the lease back while w2 was between steps
                assert late.fleet.take_robots_fetch(netloc, "w1", 30)
                late.fleet.share_robots_rules(netloc, ROBOTS, "w1")
            looks.append(rules)
            return rules

        late.fleet.robots_rules = w1_shares_right_after_the_first_look
        assert outcome(late, gate, FORBIDDEN) == "forbidden"
        assert outcome(late, gate, ALLOWED) == "sent"
        assert saved.asked == []  # w2 took the lease, found w1's rules, and fetched nothing
        assert late.fleet.server.get(late.fleet.keys.robots_fetch(HOST)) is None  # lease given back


def test_shared_rules_are_kept_a_day_at_most_even_when_the_run_never_ends():
    from govcrawl.fleet.state import ROBOTS_RULES_SECONDS

    with PrivateRedis() as redis_url:
        robots, gate, _ = crawl_pieces(
            robots_answer(200, ROBOTS), GOVCRAWL_WORKER_ID="w1", REDIS_URL=redis_url, GOVCRAWL_FLEET_NAME="t"
        )
        assert outcome(robots, gate, ALLOWED) == "sent"
        ttl = robots.fleet.server.ttl(robots.fleet.keys.robots)
        assert ROBOTS_RULES_SECONDS == 86400 and 86400 - 5 <= ttl <= 86400
        robots.fleet.share_robots_rules("www.other.gov.cn", b"", "w1")  # a later host does not extend it
        assert robots.fleet.server.ttl(robots.fleet.keys.robots) <= ttl
