"""The fleet's shared state in Redis: its keys, and the few steps that must be atomic.

One fleet (GOVCRAWL_FLEET_NAME) keeps, under `<name>:`:
- `requests`: the frontier, scrapy-redis's priority queue (a sorted set of serialized requests);
- `dupefilter`: the fingerprints of every request scheduled this fleet run (scrapy-redis);
- `seeds`: the start URLs already pushed this fleet run (the first worker pushes them);
- `workers`: the worker ids of the run; `alive:<id>`: a worker's heartbeat, expiring after
  GOVCRAWL_FLEET_LEASE_SECONDS; `inflight:<id>`: what a worker took from the frontier and has
  not stored yet (lease -> "score serialized-request");
- `list_pages`: the list pages the run's workers fetched (a run that reached none failed);
- `host:<host>`: the downloads under way to a host, fleet-wide (token -> expiry time);
- `robots`: each host's robots.txt rules as the run's first worker to need them read them
  (host -> rules, kept at most a day); `robots_fetch:<host>`: the worker fetching them now
  (expires).

Taking a request and recording it in flight is one Lua script, so a worker killed between
the two steps loses nothing; putting a dead worker's requests back is another; so is queueing
a request with its mark in the duplicate filter (and a seed with its mark in `seeds`): a
worker killed between the mark and the push would leave a request seen and never queued.
Times come from the Redis server's clock (TIME), never from the workers', which may disagree.
"""

from __future__ import annotations

import hashlib

from redis import Redis

ROBOTS_RULES_SECONDS = 24 * 3600

# KEYS: frontier, inflight. Pops the best request and records it in flight, atomically.
TAKE = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
redis.call('ZREM', KEYS[1], item[1])
redis.call('HSET', KEYS[2], redis.sha1hex(item[1]), item[2] .. ' ' .. item[1])
return item[1]
"""
# KEYS: frontier, inflight. Every request of an in-flight list back into the frontier.
GIVE_BACK = """
local entries = redis.call('HVALS', KEYS[2])
for _, entry in ipairs(entries) do
  local space = string.find(entry, ' ', 1, true)
  redis.call('ZADD', KEYS[1], tonumber(string.sub(entry, 1, space - 1)), string.sub(entry, space + 1))
end
redis.call('DEL', KEYS[2])
return #entries
"""
# KEYS: seeds, dupefilter, frontier. ARGV: the seed's URL ('' for a request that is no seed),
# the request's fingerprint ('' for one not filtered), score, serialized request.
# 1 when queued, 0 when its fingerprint was seen, -1 when another worker pushed the seed.
ENQUEUE = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return -1 end
if ARGV[2] ~= '' and redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
"""
# KEYS: host. ARGV: limit, lease seconds, token. 1 when the token got one of the host's slots.
ACQUIRE_HOST = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
  return 1
end
return 0
"""
# KEYS: a lease. ARGV: its holder. Deletes the lease only if that worker still holds it.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def lease_of(serialized: bytes) -> str:
    """The in-flight field of a request: the SHA-1 the TAKE script files it under."""
    return hashlib.sha1(serialized).hexdigest()


class FleetKeys:
    def __init__(self, name: str):
        self.name = name

    def __getattr__(self, part: str) -> str:
        if part.startswith("_"):
            raise AttributeError(part)
        return f"{self.name}:{part}"

    def alive(self, worker: str) -> str:
        return f"{self.name}:alive:{worker}"

    def inflight(self, worker: str) -> str:
        return f"{self.name}:inflight:{worker}"

    def host(self, host: str) -> str:
        return f"{self.name}:host:{host}"

    def robots_fetch(self, netloc: str) -> str:
        return f"{self.name}:robots_fetch:{netloc}"


class FleetState:
    """The fleet's keys on one Redis connection, with the scripts registered."""

    def __init__(self, server: Redis, name: str):
        self.server = server
        self.keys = FleetKeys(name)
        self.take_script = server.register_script(TAKE)
        self.give_back_script = server.register_script(GIVE_BACK)
        self.enqueue_script = server.register_script(ENQUEUE)
        self.acquire_script = server.register_script(ACQUIRE_HOST)
        self.release_script = server.register_script(RELEASE)

    def take(self, worker: str) -> bytes | None:
        return self.take_script(keys=[self.keys.requests, self.keys.inflight(worker)]) or None

    def enqueue(self, seed: str, fingerprint: str, score: float, serialized: bytes) -> int:
        """Queue a request, marked seen (and, a seed, marked pushed) in the same step: 1 when
        queued, 0 when seen before, -1 when the seed was pushed already (see ENQUEUE)."""
        keys = [self.keys.seeds, self.keys.dupefilter, self.keys.requests]
        return int(self.enqueue_script(keys=keys, args=[seed, fingerprint, score, serialized]))

    def give_back(self, worker: str) -> int:
        return int(self.give_back_script(keys=[self.keys.requests, self.keys.inflight(worker)]))

    def acquire_host(self, host: str, limit: int, lease_seconds: float, token: str) -> bool:
        return bool(self.acquire_script(keys=[self.keys.host(host)], args=[limit, lease_seconds, token]))

    def release_host(self, host: str, token: str) -> None:
        self.server.zrem(self.keys.host(host), token)

    def robots_rules(self, netloc: str) -> bytes | None:
        return self.server.hget(self.keys.robots, netloc)

    def take_robots_fetch(self, netloc: str, worker: str, lease_seconds: float) -> bool:
        """True when this worker is now the one to fetch the host's robots.txt for the fleet."""
        return bool(self.server.set(self.keys.robots_fetch(netloc), worker, nx=True, px=int(lease_seconds * 1000)))

    def share_robots_rules(self, netloc: str, rules: bytes, worker: str) -> None:
        with self.server.pipeline() as shared:
            shared.hset(self.keys.robots, netloc, rules)
            # RFC 9309 2.4: rules cached no longer than 24 hours. The clock starts with the run's
            # first rules (NX), so a fleet run that never reached end_run does not leave rules
            # for the next one to obey forever; each host's are fetched again at most daily.
            shared.expire(self.keys.robots, ROBOTS_RULES_SECONDS, nx=True)
            shared.execute()
        self.release_robots_fetch(netloc, worker)

    def release_robots_fetch(self, netloc: str, worker: str) -> None:
        self.release_script(keys=[self.keys.robots_fetch(netloc)], args=[worker])

    def frontier_size(self) -> int:
        return int(self.server.zcard(self.keys.requests))

    def workers(self) -> list[str]:
        return sorted(w.decode() for w in self.server.smembers(self.keys.workers))

    def is_alive(self, worker: str) -> bool:
        return bool(self.server.exists(self.keys.alive(worker)))

    def in_flight(self, worker: str) -> int:
        return int(self.server.hlen(self.keys.inflight(worker)))

    def reclaim_dead(self) -> dict[str, int]:
        """Requests of workers whose heartbeat expired, back to the frontier; those workers
        leave the run. Returns what came back, per dead worker."""
        reclaimed = {}
        for worker in self.workers():
            if not self.is_alive(worker):
                reclaimed[worker] = self.give_back(worker)
                self.server.srem(self.keys.workers, worker)
        return reclaimed

    def busy_elsewhere(self, worker: str) -> bool:
        """Another worker of the run holds requests in flight (or is not yet known dead)."""
        return any(self.in_flight(other) for other in self.workers() if other != worker)

    def end_run(self) -> None:
        """The run is over: forget what it scheduled, so the next fleet run starts afresh."""
        self.server.delete(
            self.keys.dupefilter, self.keys.seeds, self.keys.requests, self.keys.list_pages, self.keys.robots
        )
