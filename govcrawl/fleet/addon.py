"""Scrapy add-on: with REDIS_URL set, the crawl becomes one worker of a fleet.

Swaps in the fleet's scheduler and duplicate filter (govcrawl.fleet.scheduler), adds the
fleet-wide per-host limit (govcrawl.fleet.politeness) and the worker's bookkeeping
(govcrawl.fleet.worker), keeps the frontier in Redis when a worker closes (it belongs to the
fleet), and leaves processing to after the merge (GOVCRAWL_PROCESS_BESIDE off: the merged
file is processed once, as after any crawl). Values given on the command line win over
these; without REDIS_URL nothing changes.
"""

from __future__ import annotations

import os
import socket
import uuid

from scrapy.settings import BaseSettings


def worker_id() -> str:
    """Unique across machines and restarts: host, process id and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class FleetAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        name = settings.get("GOVCRAWL_FLEET_NAME") or "govcrawl"
        fleet = {
            "GOVCRAWL_FLEET_NAME": name,
            "GOVCRAWL_WORKER_ID": settings.get("GOVCRAWL_WORKER_ID") or worker_id(),
            "SCHEDULER": "govcrawl.fleet.scheduler.FleetScheduler",
            "DUPEFILTER_CLASS": "govcrawl.fleet.scheduler.FleetDupeFilter",
            "SCHEDULER_QUEUE_KEY": f"{name}:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{name}:dupefilter",
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
            "SCHEDULER_PERSIST": True,  # a worker's close must not clear the fleet's frontier
            "SCHEDULER_FLUSH_ON_START": False,
            "GOVCRAWL_PROCESS_BESIDE": False,
        }
        for setting, value in fleet.items():
            if settings.getpriority(setting) is None or settings.getpriority(setting) <= 20:  # not from -s
                settings.set(setting, value, priority="project")
        settings["DOWNLOADER_MIDDLEWARES"]["govcrawl.fleet.politeness.FleetHostLimitMiddleware"] = 990
        settings["EXTENSIONS"]["govcrawl.fleet.worker.FleetWorker"] = 20
