"""A fleet of crawl workers on one Redis (govcrawl/fleet), tried as a new user would: a real
redis-server on loopback, real `scrapy crawl` workers against the replica portal, real SQLite
shards merged with `govcrawl merge` and processed with `govcrawl process`.

The fleet's result is judged against a one-process crawl of the same replica by natural
keys (URLs, body hashes, value keys and values), never by row ids.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest
from redis import Redis
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.test import get_crawler

from govcrawl.fleet.private_redis import PrivateRedis
from govcrawl.fleet.state import FleetState, lease_of
from govcrawl.fleet.worker import FleetWorker
from tests.conftest import holdings
from tests.replica.demo import merge_and_process, run_fleet, shard_paths
from tests.test_fleet_take import NextCall

pytestmark = pytest.mark.timeout(900)
e2e = pytest.mark.e2e  # the tests of real crawls (the fleet, the shared crawl): real subprocesses

# Fleet-wide politeness as for real portals (the replica settings lift it to 16 per host).
POLITE = {"CONCURRENT_REQUESTS_PER_DOMAIN": "2"}
# A killed worker is found dead after 3 s (the default, 15 s, only makes the test slower).
QUICK_LEASE = {"GOVCRAWL_FLEET_LEASE_SECONDS": "3"}


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one instant (an end before a start at the same instant)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = peak = 0
    for _, step in events:
        open_now += step
        peak = max(peak, open_now)
    return peak


def overlaps_by_host(log: list[dict]) -> dict[str, int]:
    by_host: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for entry in log:
        if entry["url"].startswith("http://"):
            by_host[entry["url"].split("/")[2]].append((entry["time"], entry.get("end", float("inf"))))
    return {host: max_overlap(intervals) for host, intervals in by_host.items()}


@pytest.fixture(scope="module")
def fleet(fleet_replica, tmp_path_factory):
    """Three workers with at most 2 requests per host fleet-wide, merged and processed."""
    db = tmp_path_factory.mktemp("fleet") / "fleet.db"
    shards = shard_paths(db, 3)
    first = len(fleet_replica.request_log())
    with PrivateRedis() as redis_url:
        statuses = run_fleet(shards, fleet_replica.proxy, redis_url, {**POLITE, **QUICK_LEASE})
        leftovers = sorted(key.decode() for key in Redis.from_url(redis_url).keys("*"))
    log = fleet_replica.request_log()[first:]
    assert statuses == [0, 0, 0], [shard.with_suffix(".log").read_text()[-2000:] for shard in shards]
    assert merge_and_process(shards, db) == 0
    return holdings(db), shards, log, leftovers


@e2e
def test_seeds_are_requested_once_per_fleet_run(fleet_replica, fleet):
    _, _, log, _ = fleet
    roots = [e["url"] for e in log if e["url"].endswith("/index.shtml") and e["status"] == 200]
    assert roots, "no list root was requested"
    assert len(roots) == len(set(roots)), "a seed was pushed by more than one worker"


@e2e
def test_three_workers_hold_what_one_process_holds(one_process_holdings, fleet):
    expected = one_process_holdings
    merged, shards, _, _ = fleet
    assert expected["documents"] and expected["values"]
    assert merged["documents"] == expected["documents"]
    assert merged["versions"] == expected["versions"]
    assert merged["values"] == expected["values"]
    assert merged["pending"] == 0
    # the work was shared: more than one shard stored documents
    stored = [holdings(shard)["documents"] for shard in shards]
    assert sum(1 for documents in stored if documents) >= 2, [len(d) for d in stored]


def closed_at(shard: Path) -> float:
    """When a worker closed its spider, from its run log (local time, to the second)."""
    for log in (shard.parent / f"{shard.stem}-logs").glob("run-*.log"):
        for line in log.read_text(encoding="utf-8").splitlines():
            if "Closing spider (finished)" in line:
                return time.mktime(time.strptime(line[:19], "%Y-%m-%d %H:%M:%S"))
    raise AssertionError(f"{shard.stem} did not finish")


@e2e
def test_no_worker_quits_while_the_fleet_still_works(fleet):
    """A worker whose queue ran dry waits while others may still produce: every worker
    closes after the fleet's last request arrived (log times are to the second)."""
    _, shards, log, _ = fleet
    last_request = max(entry["time"] for entry in log)
    assert all(closed_at(shard) >= int(last_request) for shard in shards), (
        [closed_at(shard) for shard in shards],
        last_request,
    )


@e2e
def test_a_finished_run_leaves_no_frontier_behind(fleet):
    *_, leftovers = fleet
    assert not [k for k in leftovers if k.endswith((":requests", ":dupefilter", ":seeds")) or ":inflight:" in k]


@e2e
def test_robots_txt_is_fetched_once_per_host_by_the_whole_fleet_and_obeyed(fleet_replica, fleet):
    _, _, log, _ = fleet
    robots = [entry["url"] for entry in log if entry["url"].endswith("/robots.txt")]
    hosts = {entry["url"].split("/")[2] for entry in log if entry["url"].startswith("http://")}
    assert sorted(robots) == sorted(f"http://{host}/robots.txt" for host in hosts)
    forbidden = {page["url"] for page in fleet_replica.manifest()["pages"] if page.get("fault") == "robots_disallowed"}
    assert forbidden and not forbidden & {entry["url"] for entry in log}


@e2e
def test_at_most_two_requests_at_once_per_host_across_workers(fleet):
    """From the replica's own log (arrival to answer of each request). The replica answers
    most pages at once, so a host's overlaps show only where two requests meet on its slow
    pages, which a run may or may not bring; the fleet as a whole downloads in parallel."""
    _, _, fleet_log, _ = fleet
    fleet_peaks = overlaps_by_host(fleet_log)
    assert fleet_peaks and max(fleet_peaks.values()) <= 2, fleet_peaks
    whole_fleet = overlaps_by_host([{**entry, "url": "http://fleet/"} for entry in fleet_log if entry["url"].startswith("http://")])
    assert whole_fleet["fleet"] >= 2  # the workers did download in parallel


def test_overlaps_are_counted_per_host():
    log = [
        {"url": "http://a/1", "time": 0.0, "end": 3.0},
        {"url": "http://a/2", "time": 1.0, "end": 2.0},
        {"url": "http://a/3", "time": 1.5, "end": 4.0},
        {"url": "http://a/4", "time": 4.0, "end": 5.0},  # starts as /3 ends: not at once
        {"url": "http://b/1", "time": 1.0, "end": 2.0},
        {"url": "/__replica__/secret", "time": 1.0, "end": 2.0},
    ]
    assert overlaps_by_host(log) == {"a": 3, "b": 1}


def test_a_request_taken_is_in_flight_until_given_back():
    with PrivateRedis() as redis_url:
        server = Redis.from_url(redis_url)
        state = FleetState(server, "t")
        server.execute_command("ZADD", state.keys.requests, -5, b"high")
        server.execute_command("ZADD", state.keys.requests, 0, b"low\x00 bytes")
        assert state.take("w1") == b"high"  # the lowest score (highest priority) first
        assert state.take("w1") == b"low\x00 bytes"
        assert state.take("w1") is None
        assert state.frontier_size() == 0 and state.in_flight("w1") == 2
        server.hdel(state.keys.inflight("w1"), lease_of(b"high"))  # stored
        server.sadd(state.keys.workers, "w1")  # no heartbeat: dead
        assert state.reclaim_dead() == {"w1": 1}
        assert server.zrange(state.keys.requests, 0, -1, withscores=True) == [(b"low\x00 bytes", 0.0)]
        assert state.workers() == []


def test_an_idle_worker_kept_open_by_another_is_woken_once_that_one_holds_nothing():
    """A worker that went idle while another held requests in flight is woken (its engine asked
    to look again, which asks the spider_idle handlers again) as soon as the other has stored
    them, not at Scrapy's next idle check 5 s later: before, each fleet run ended up to 5 s
    after its last request. Driven in-process on a real redis-server."""
    with PrivateRedis() as redis_url:
        server = Redis.from_url(redis_url)
        state = FleetState(server, "t")
        crawler = get_crawler(
            settings_dict={"REDIS_URL": redis_url, "GOVCRAWL_WORKER_ID": "w1", "GOVCRAWL_FLEET_LEASE_SECONDS": 15}
        )
        slot = SimpleNamespace(inprogress=set(), nextcall=NextCall(), scheduler=SimpleNamespace(state=state, held={}))
        crawler.engine = SimpleNamespace(_slot=slot)
        worker = FleetWorker(crawler)
        for name in ("w1", "w2"):
            server.sadd(state.keys.workers, name)
            server.set(state.keys.alive(name), "1")
        server.hset(state.keys.inflight("w2"), "lease", b"request")
        with pytest.raises(DontCloseSpider):
            worker.spider_idle(None)
        worker.wake()
        assert slot.nextcall.scheduled == 0  # w2 still holds its request
        server.hdel(state.keys.inflight("w2"), "lease")  # w2 stored it
        worker.wake()
        assert slot.nextcall.scheduled == 1
        worker.spider_idle(None)  # asked again: nothing left anywhere, so it may close


def test_a_host_slot_of_a_dead_worker_expires():
    with PrivateRedis() as redis_url:
        state = FleetState(Redis.from_url(redis_url), "t")
        assert state.acquire_host("a.example", 2, 1.0, "one")
        assert state.acquire_host("a.example", 2, 1.0, "two")
        assert not state.acquire_host("a.example", 2, 1.0, "three")
        assert state.acquire_host("b.example", 2, 1.0, "other host")
        state.release_host("a.example", "one")
        assert state.acquire_host("a.example", 2, 1.0, "three")
        assert not state.acquire_host("a.example", 2, 1.0, "four")
        time.sleep(1.2)  # "two" and "three" were never given back
        assert state.acquire_host("a.example", 2, 1.0, "four")


def test_the_private_redis_is_gone_after_use():
    with PrivateRedis() as redis_url:
        server = Redis.from_url(redis_url)
        assert server.ping()
        assert server.config_get("save")["save"] == "" and server.config_get("appendonly")["appendonly"] == "no"
    with pytest.raises(Exception):  # noqa: B017 (refused connection, whichever class redis-py uses)
        server.ping()


def test_without_redis_url_the_crawl_is_one_process():
    from scrapy.settings import Settings

    from govcrawl.fleet.addon import FleetAddon

    settings = Settings()
    settings.setmodule("govcrawl.settings", priority="project")
    settings.set("REDIS_URL", "", priority="project")
    FleetAddon().update_settings(settings)
    assert settings.get("SCHEDULER") == "govcrawl.progress.HostCountingScheduler"
    settings.set("REDIS_URL", "redis://127.0.0.1:1/0", priority="cmdline")
    settings.set("GOVCRAWL_WORKER_ID", "kept", priority="cmdline")
    FleetAddon().update_settings(settings)
    assert settings.get("SCHEDULER") == "govcrawl.fleet.scheduler.FleetScheduler"
    assert settings.getbool("SCHEDULER_PERSIST") and not settings.getbool("GOVCRAWL_PROCESS_BESIDE")
    assert settings.get("GOVCRAWL_WORKER_ID") == "kept"


def fleet_scheduler(redis_url: str, worker: str):
    """A worker's FleetScheduler on the fleet "t", open, driven by hand."""
    import scrapy
    from scrapy.settings import Settings

    from govcrawl.fleet.addon import FleetAddon
    from govcrawl.fleet.scheduler import FleetScheduler

    class Seeded(scrapy.Spider):
        name = "seeded"

        def parse(self, response):
            pass

    settings = Settings({"REDIS_URL": redis_url, "GOVCRAWL_WORKER_ID": worker, "GOVCRAWL_FLEET_NAME": "t"})
    FleetAddon().update_settings(settings)
    fleet = {name: settings[name] for name in ("REDIS_URL", "GOVCRAWL_WORKER_ID", "GOVCRAWL_FLEET_NAME",
             "DUPEFILTER_CLASS", "SCHEDULER_QUEUE_KEY", "SCHEDULER_DUPEFILTER_KEY", "SCHEDULER_PERSIST")}  # fmt: skip
    crawler = get_crawler(Seeded, fleet)
    crawler.spider = crawler._create_spider()
    scheduler = FleetScheduler.from_crawler(crawler)
    scheduler.open(crawler.spider)
    return scheduler


def test_a_seed_is_pushed_by_the_first_worker_only_and_a_taken_request_is_held():
    import scrapy

    with PrivateRedis() as redis_url:
        schedulers = [fleet_scheduler(redis_url, worker) for worker in ("w1", "w2")]
        seed = "http://www.example.gov.cn/index.shtml"
        pushed = [
            s.enqueue_request(scrapy.Request(seed, dont_filter=True, meta={"is_start_request": True}))
            for s in schedulers
        ]
        assert pushed == [True, False]
        found = [s.enqueue_request(scrapy.Request("http://www.example.gov.cn/1.shtml")) for s in schedulers]
        assert found == [True, False]  # the duplicate filter is shared
        state = schedulers[1].state
        assert state.frontier_size() == 2
        taken = schedulers[1].next_request()
        assert taken.url in (seed, "http://www.example.gov.cn/1.shtml")
        assert state.in_flight("w2") == 1 and state.in_flight("w1") == 0
        assert list(schedulers[1].held.values()) == [taken]


def test_a_worker_killed_while_it_queues_a_request_never_leaves_it_seen_and_unqueued(monkeypatch):
    """A worker killed as it queues a request (here: its Redis connections cut after the first
    command): the request is either queued and marked seen, or neither, so another worker
    that finds it later queues it; never marked seen and lost to the fleet run."""
    import redis
    import scrapy

    with PrivateRedis() as redis_url:
        scheduler = fleet_scheduler(redis_url, "w1")
        scheduler.enqueue_request(scrapy.Request("http://www.example.gov.cn/warm.shtml"))  # scripts loaded
        before = scheduler.state.frontier_size()
        commands = {"left": 1}
        send = redis.Redis.execute_command

        def cut_after_one(self, *args, **options):
            if commands["left"] == 0:
                raise redis.ConnectionError("the worker was killed")
            commands["left"] -= 1
            return send(self, *args, **options)

        request = scrapy.Request("http://www.example.gov.cn/2.shtml")
        monkeypatch.setattr(redis.Redis, "execute_command", cut_after_one)
        try:
            scheduler.enqueue_request(request)
        except redis.ConnectionError:
            pass
        monkeypatch.undo()
        seen = scheduler.server.sismember(scheduler.state.keys.dupefilter, scheduler.df.request_fingerprint(request))
        queued = scheduler.state.frontier_size() == before + 1
        assert seen == queued
        another = fleet_scheduler(redis_url, "w2")
        assert another.enqueue_request(scrapy.Request("http://www.example.gov.cn/2.shtml")) is not queued
        assert scheduler.state.frontier_size() == before + 1  # queued once, by one worker or the other
