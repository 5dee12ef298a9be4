"""A fleet worker takes from the shared frontier no more than it can start soon
(govcrawl.fleet.scheduler), driven in-process: a real redis-server, the real FleetScheduler
and Scrapy's real Downloader, whose bookkeeping the helpers below move through the steps its
code takes (Downloader.fetch, _enqueue_request, _process_queue and _download). Nothing is
downloaded, so nothing depends on timing.

Scrapy's engine asks its scheduler for requests until the downloader holds
CONCURRENT_REQUESTS (here 32) of them; the fleet lets a worker download only
CONCURRENT_REQUESTS_PER_DOMAIN (here 2) at a time per host. Before the fix a worker took all
32 at once, leaving the other workers an empty frontier.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import scrapy
from scrapy import Request, signals
from scrapy.core.downloader import Downloader, Slot
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred

from govcrawl.fleet.addon import FleetAddon
from govcrawl.fleet.private_redis import PrivateRedis
from govcrawl.fleet.scheduler import FleetScheduler

CONCURRENT_REQUESTS = 32


class Fleet(scrapy.Spider):
    name = "fleet"

    def parse(self, response):
        pass


class NextCall:
    """The engine's nextcall: counts the times it was asked to run."""

    def __init__(self) -> None:
        self.scheduled = 0

    def schedule(self, delay: float = 0) -> None:
        self.scheduled += 1


class Worker:
    """One fleet worker's scheduler and downloader, with the engine's side played by hand."""

    def __init__(self, redis_url: str, worker: str):
        settings = Settings({"REDIS_URL": redis_url, "GOVCRAWL_WORKER_ID": worker, "GOVCRAWL_FLEET_NAME": "t"})
        FleetAddon().update_settings(settings)
        names = ("REDIS_URL", "GOVCRAWL_WORKER_ID", "GOVCRAWL_FLEET_NAME", "DUPEFILTER_CLASS",
                 "SCHEDULER_QUEUE_KEY", "SCHEDULER_DUPEFILTER_KEY", "SCHEDULER_QUEUE_CLASS", "SCHEDULER_PERSIST")
        crawler = get_crawler(Fleet, {
            **{name: settings[name] for name in names},
            "CONCURRENT_REQUESTS": CONCURRENT_REQUESTS,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
            "DOWNLOAD_HANDLERS": {"http": None, "https": None},  # nothing is downloaded
        })
        crawler.spider = crawler._create_spider()
        self.downloader = Downloader(crawler)
        self.nextcall = NextCall()
        crawler.engine = SimpleNamespace(downloader=self.downloader, _slot=SimpleNamespace(nextcall=self.nextcall))
        self.crawler = crawler
        self.scheduler = FleetScheduler.from_crawler(crawler)
        self.scheduler.open(crawler.spider)
        self.state = self.scheduler.state
        self.worker = worker

    def engine_turn(self) -> list[Request]:
        """ExecutionEngine._start_scheduled_requests: take until the downloader is full or the
        scheduler gives nothing; each request taken enters the downloader at once
        (Downloader.fetch adds it to `active` before the middlewares run)."""
        taken = []
        while len(self.downloader.active) < CONCURRENT_REQUESTS:
            request = self.scheduler.next_request()
            if request is None:
                break
            self.downloader.active.add(request)
            taken.append(request)
        return taken

    def slot(self, request: Request) -> Slot:
        """Its downloader slot (Downloader._get_slot, without the slots' garbage collector,
        which needs a running reactor)."""
        key = self.downloader.get_slot_key(request)
        return self.downloader.slots.setdefault(key, Slot(self.downloader.domain_concurrency, 0))

    def reaches_slot(self, request: Request) -> None:
        """Past the downloader middlewares (the fleet host slot got): queued in its downloader
        slot (Downloader._enqueue_request, which sends request_reached_downloader)."""
        slot = self.slot(request)
        slot.active.add(request)
        self.crawler.signals.send_catch_log(signals.request_reached_downloader, request=request, spider=self.crawler.spider)
        slot.queue.append((request, Deferred()))

    def starts(self, request: Request) -> None:
        """Out of its slot's queue into a transfer (Downloader._process_queue, _download)."""
        self.reaches_slot(request)
        slot = self.slot(request)
        slot.queue.remove(next(entry for entry in slot.queue if entry[0] is request))
        slot.transferring.add(request)

    def finishes(self, request: Request) -> None:
        slot = self.slot(request)
        slot.transferring.discard(request)
        slot.active.discard(request)
        self.downloader.active.discard(request)

    def held(self) -> int:
        return self.state.in_flight(self.worker)


class FleetHostSlots:
    """The fleet-wide per-host limit (govcrawl.fleet.politeness): a request gets past the
    downloader middlewares only while its host has fewer than 2 downloads in the fleet."""

    def __init__(self, limit: int = 2):
        self.limit = limit
        self.taken: dict[str, int] = {}

    def settle(self, workers: list[Worker]) -> dict[str, list[Request]]:
        """Each worker's engine takes in turn and starts what gets a host slot, until no
        engine takes anything more (nothing finishes). The requests left waiting, per worker."""
        waiting: dict[str, list[Request]] = {worker.worker: [] for worker in workers}
        progress = True
        while progress:
            progress = False
            for worker in workers:
                for request in worker.engine_turn():
                    progress = True
                    host = request.url.split("/")[2]
                    if self.taken.get(host, 0) < self.limit:
                        self.taken[host] = self.taken.get(host, 0) + 1
                        worker.starts(request)
                    else:
                        waiting[worker.worker].append(request)
        return waiting


@contextmanager
def fleet_of(count: int) -> Iterator[list[Worker]]:
    with PrivateRedis() as redis_url:
        yield [Worker(redis_url, f"w{k}") for k in range(1, count + 1)]


def push(worker: Worker, hosts: list[str], per_host: int) -> None:
    """per_host requests for each host, round by round (round n at priority -n), so the
    frontier's head goes over every host before it comes back to the first."""
    for n in range(per_host):
        for host in hosts:
            assert worker.scheduler.enqueue_request(Request(f"http://{host}/{n}.shtml", priority=-n))


def transferring(worker: Worker) -> int:
    return sum(len(slot.transferring) for slot in worker.downloader.slots.values())


def test_a_worker_on_one_host_holds_little_more_than_it_downloads():
    with fleet_of(1) as (worker,):
        push(worker, ["a.example"], 20)
        first = worker.engine_turn()
        assert len(first) == 1  # before the fix: all 20 (the downloader had room for 32)
        assert worker.engine_turn() == []  # it has not started yet
        worker.starts(first[0])
        assert worker.nextcall.scheduled == 1  # the engine is woken to take again
        second = worker.engine_turn()
        assert len(second) == 1
        worker.starts(second[0])
        third = worker.engine_turn()
        assert len(third) == 1  # the host's next request, ready when one of its 2 slots frees
        assert worker.engine_turn() == []  # it waits for a fleet host slot: nothing more
        assert worker.held() == 3 and worker.state.frontier_size() == 17
        worker.finishes(first[0])
        worker.starts(third[0])
        assert len(worker.engine_turn()) == 1 and worker.held() == 4  # one more in place of the one done
        assert worker.engine_turn() == []


def test_a_request_queued_in_its_downloader_slot_is_waiting_too():
    with fleet_of(1) as (worker,):
        push(worker, ["a.example"], 5)
        (first,) = worker.engine_turn()
        worker.starts(first)
        (second,) = worker.engine_turn()
        worker.reaches_slot(second)  # held in the slot's queue (its delay, or the slot is full)
        assert worker.engine_turn() == []
        assert worker.scheduler.downloads() == (1, 1)


def test_the_other_workers_find_work_while_the_first_ones_requests_wait():
    """The flaky fleet test's case: the worker first at a freshly filled frontier does not
    take it all; each worker holds what it downloads and one request per host it downloads
    from, and the rest stays in the frontier."""
    with fleet_of(3) as workers:
        push(workers[0], ["a.example", "b.example"], 10)
        assert [len(worker.engine_turn()) for worker in workers] == [1, 1, 1]  # before the fix: [20, 0, 0]
    with fleet_of(3) as workers:
        push(workers[0], ["a.example", "b.example"], 10)
        waiting = FleetHostSlots().settle(workers)
        held = [worker.held() for worker in workers]
        assert all(held), held  # before the fix: [20, 0, 0]
        assert sum(transferring(worker) for worker in workers) == 4  # both hosts at the fleet's limit
        for worker in workers:
            hosts = worker.scheduler.downloads()[1]
            assert len(waiting[worker.worker]) <= max(1, hosts)
            assert worker.held() == transferring(worker) + len(waiting[worker.worker])
        assert workers[0].state.frontier_size() == 20 - sum(held)


def test_a_worker_spread_over_many_hosts_keeps_every_host_busy():
    """Alone on 8 hosts, a worker fills every host's 2 fleet slots (16 downloads, as many as
    the fleet allows) and holds one more request per host, ready for the next free slot."""
    hosts = [f"h{k}.example" for k in range(8)]
    with fleet_of(1) as (worker,):
        push(worker, hosts, 10)
        waiting = FleetHostSlots().settle([worker])["w1"]
        assert transferring(worker) == 16
        assert sorted(request.url.split("/")[2] for request in waiting) == hosts  # before the fix: 16 waiting
        assert worker.scheduler.downloads() == (8, 8)
        assert worker.held() == 24 and worker.state.frontier_size() == 80 - 24


def test_without_an_engine_the_scheduler_takes_as_before():
    with fleet_of(1) as (worker,):
        push(worker, ["a.example"], 3)
        worker.crawler.engine = None
        assert [worker.scheduler.next_request() is not None for _ in range(4)] == [True, True, True, False]
