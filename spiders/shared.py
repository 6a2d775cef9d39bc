"""A distributed crawl: several worker processes share one frontier and one per-server budget in Redis.

The SQL store stays the record of what was asked and answered (``crawl_target``, ``crawl_response``,
``raw_record``, exactly as in a single-process crawl). Redis only coordinates the workers:

**The queue and its leases.** Each (protocol, server) has a queue, a sorted set of target ids scored
by id (``ZPOPMIN`` hands them out in the order they were added; ``ZADD NX`` makes seeding idempotent).
Taking a target moves it, in one Lua script, from the queue into the protocol's *lease set*: a sorted
set scored by the lease's expiry on Redis's clock, with the owner worker and the queue it came from in
two hashes. A worker's heartbeat thread extends its own leases every third of the lease time; any
worker's heartbeat also *reaps*: leases whose expiry has passed go back to their queue. A worker killed
at any instant (SIGKILL, a lost machine) therefore loses nothing: its leases stop being extended and
its targets are handed out again within one lease time. A sorted set of leases was chosen over the
LMOVE-into-a-per-worker-list pattern because expiry is a score range (one ``ZRANGEBYSCORE``), not a
scan of every worker's list plus a liveness key per worker.

**Settling exactly once.** A lease can expire while its worker is alive but stalled, and another worker
may then ask the same domain. The answer is stored by a compare-and-set on the frontier row
(`CrawlStore.record_answer` with `expect`): the row is updated only if it is still at the hop and attempt count
the worker read when it took the target, and the raw record and answer link are written only when that
update won, in the same transaction. Whichever worker settles first wins; the other's answer is
dropped (never a second raw record, even when the server stamps each answer) and it stops working on
the target. The Redis side of a settlement (lease released, or re-claimed for a follow-up such as a
retry or a referral hop) comes after the commit, so a crash between the two only means a lease that
expires and a target that is taken again, read from the store, and found already done.

**The budget.** Each server's next permitted send time, its "do not ask before" hold (a back-off or a
Retry-After) and its quota counters (hourly buckets over the last 25 hours, as in the SQL store) are
Redis keys, booked by one Lua script per query: no two workers can get the same slot, and the quota
cannot be overrun. A booked slot is not yet permission to send: a worker that wakes late (a busy
event loop, a starved CPU) would squeeze its query against the next worker's, so right before sending
it *claims* the send (`RedisBudget.claim`), which is granted only one interval after the last actual
send of any worker and when no back-off holds, else says how long to wait or to book again. The
scripts read Redis's own clock (``TIME``) and return *delays*, so workers on machines whose clocks
disagree still keep the same pace. Budget keys are per server, not per job, like
the ``crawl_server`` and ``crawl_quota`` tables they replace in a distributed crawl.

Single Redis only (or a primary with replicas): the scripts touch keys they compute, which Redis
Cluster does not allow.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from auditor.db import redact_url
from auditor.store import CrawlStore, Reservation
from spiders.job import CrawlJob
from spiders.politeness import Politeness, sleep_until

if TYPE_CHECKING:
    import redis


log = logging.getLogger(__name__)

#: Key prefix when none is given: every key of a crawl starts with it.
DEFAULT_PREFIX = "auditor:crawl"
#: How many targets of one server a worker holds leased at once (one is asked at a time anyway).
LEASED_PER_SERVER = 4
#: How many expired leases one reaping pass moves back to their queues.
REAP_BATCH = 500

_NOW = """
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function s(x) return string.format('%.0f', x) end
"""

# KEYS: queue, leases, owner, where   ARGV: worker, lease_us, n
_TAKE = _NOW + """
local expiry = s(now_us() + tonumber(ARGV[2]))
local popped = redis.call('ZPOPMIN', KEYS[1], ARGV[3])
local ids = {}
for i = 1, #popped, 2 do
  local id = popped[i]
  redis.call('ZADD', KEYS[2], expiry, id)
  redis.call('HSET', KEYS[3], id, ARGV[1])
  redis.call('HSET', KEYS[4], id, KEYS[1])
  ids[#ids + 1] = id
end
return ids
"""

# KEYS: leases, owner, where, workers   ARGV: worker, lease_us, id, final (1|0), queue, count (1|0)
_SETTLED = _NOW + """
local id = ARGV[3]
local queue = redis.call('HGET', KEYS[3], id) or ARGV[5]
redis.call('ZREM', queue, id)  -- reaped and queued again meanwhile: not to be asked again
if ARGV[4] == '1' then
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  if ARGV[6] == '1' then redis.call('HINCRBY', KEYS[4], ARGV[1], 1) end
else
  redis.call('ZADD', KEYS[1], s(now_us() + tonumber(ARGV[2])), id)
  redis.call('HSET', KEYS[2], id, ARGV[1])
  redis.call('HSET', KEYS[3], id, queue)
end
return 1
"""

# KEYS: leases, owner   ARGV: worker, lease_us, id...   -> the ids this worker no longer owns
_HEARTBEAT = _NOW + """
local expiry = s(now_us() + tonumber(ARGV[2]))
local lost = {}
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then
    redis.call('ZADD', KEYS[1], 'XX', expiry, ARGV[i])
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
"""

# KEYS: leases, owner, where   ARGV: limit   -> how many expired leases went back to their queue
_REAP = _NOW + """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', s(now_us()), 'LIMIT', 0, ARGV[1])
for _, id in ipairs(ids) do
  local queue = redis.call('HGET', KEYS[3], id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  if queue then redis.call('ZADD', queue, 'NX', id, id) end
end
return #ids
"""

# KEYS: leases, owner, where   ARGV: worker, id...   -> a stopping worker's leases back to their queues now
_GIVE_BACK = """
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[2], id) == ARGV[1] then
    local queue = redis.call('HGET', KEYS[3], id)
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    if queue then redis.call('ZADD', queue, 'NX', id, id) end
    n = n + 1
  end
end
return n
"""

# KEYS: queue, leases, servers   ARGV: server, id...   -> how many were added (leased ones are not)
_SEED = """
local added = 0
for i = 2, #ARGV do
  if not redis.call('ZSCORE', KEYS[2], ARGV[i]) then
    added = added + redis.call('ZADD', KEYS[1], 'NX', ARGV[i], ARGV[i])
  end
end
redis.call('SADD', KEYS[3], ARGV[1])
return added
"""

# KEYS: leases, servers   ARGV: queue key prefix   -> targets queued or leased (one atomic look)
_REMAINING = """
local n = redis.call('ZCARD', KEYS[1])
for _, server in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  n = n + redis.call('ZCARD', ARGV[1] .. server)
end
return n
"""

# KEYS: next, hold, quota   ARGV: interval_us, not_before_offset_us, quota (-1: none), window_hours
# -> {delay_us, used} or {-1, used, reopens_in_us}
_RESERVE = _NOW + """
local now = now_us()
local hour = math.floor(now / 3600000000)
local window = tonumber(ARGV[4])
local quota = tonumber(ARGV[3])
local used, oldest = 0, nil
local buckets = redis.call('HGETALL', KEYS[3])
for i = 1, #buckets, 2 do
  local bucket, n = tonumber(buckets[i]), tonumber(buckets[i + 1])
  if bucket > hour - window then
    used = used + n
    if n > 0 and (oldest == nil or bucket < oldest) then oldest = bucket end
  else
    redis.call('HDEL', KEYS[3], buckets[i])
  end
end
if quota >= 0 and used >= quota then
  return {-1, used, s(((oldest or hour) + window) * 3600000000 - now)}
end
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
local send_at = math.max(now, next_at, now + tonumber(ARGV[2]))
local after = send_at + tonumber(ARGV[1])
redis.call('SET', KEYS[1], s(after), 'PX', s(math.floor((after - now) / 1000) + 90000000))
redis.call('HINCRBY', KEYS[3], hour, 1)
redis.call('EXPIRE', KEYS[3], (window + 1) * 3600)
return {s(send_at - now), used + 1}
"""

# KEYS: next, hold   ARGV: offset_us   (no query before now + offset, for every worker)
_PUSH_BACK = _NOW + """
local now = now_us()
local until_ = now + tonumber(ARGV[1])
local keep = s(math.floor((until_ - now) / 1000) + 90000000)
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') < until_ then redis.call('SET', key, s(until_), 'PX', keep) end
end
return 1
"""

# KEYS: last, hold   ARGV: interval_us   -> {0}: send now (recorded) | {1, held_us}: book again | {2, wait_us}
_CLAIM = _NOW + """
local now = now_us()
local hold = tonumber(redis.call('GET', KEYS[2]) or '0')
if hold > now then return {1, s(hold - now)} end
local due = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1])
if now < due then return {2, s(due - now)} end
redis.call('SET', KEYS[1], s(now), 'PX', s(math.floor(tonumber(ARGV[1]) / 1000) + 3600000))
return {0}
"""

# KEYS: a time key   -> microseconds from now until it (nil when unset)
_UNTIL = _NOW + """
local at = redis.call('GET', KEYS[1])
if not at then return false end
return s(tonumber(at) - now_us())
"""


def worker_name() -> str:
    """This worker's name in Redis: host, process id, and a random part (process ids are reused)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def connect(url: str) -> redis.Redis:
    """A Redis client that answers in text."""
    import redis

    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=30, health_check_interval=30)


def _local(offset_us: int | str) -> datetime:
    """A delay Redis computed on its clock, as an instant on this machine's clock."""
    return datetime.now(UTC) + timedelta(microseconds=int(offset_us))


def _offset_us(when: datetime) -> int:
    return int((when - datetime.now(UTC)).total_seconds() * 1_000_000)


class SharedFrontier:
    """One job's queues and leases in Redis, as one worker sees them (its own leases are `held`)."""

    def __init__(self, client: redis.Redis, job: str, prefix: str = DEFAULT_PREFIX, worker: str | None = None,
                 lease_seconds: float = 30.0) -> None:
        if lease_seconds <= 0:
            raise ValueError("the lease must be above 0 seconds")
        self.client = client
        self.job = job
        self.prefix = prefix
        self.worker = worker or worker_name()
        self.lease_us = int(lease_seconds * 1_000_000)
        self.lease_seconds = lease_seconds
        self.base = f"{prefix}:job:{job}"
        self.held: dict[int, tuple[str, str]] = {}  # target id -> (protocol, queue key)
        self.lock = threading.Lock()
        self._scripts = {name: client.register_script(text) for name, text in (
            ("take", _TAKE), ("settled", _SETTLED), ("heartbeat", _HEARTBEAT), ("reap", _REAP),
            ("give_back", _GIVE_BACK), ("seed", _SEED), ("remaining", _REMAINING))}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_job(cls, job: CrawlJob) -> SharedFrontier:
        """The frontier of a crawl job that names a Redis URL."""
        if not job.redis_url:
            raise ValueError("the crawl job names no Redis URL")
        return cls(connect(job.redis_url), job.job, job.redis_prefix, job.worker, job.lease_seconds)

    # -- keys -------------------------------------------------------------------------------
    def queue_key(self, protocol: str, server: str) -> str:
        return f"{self.base}:queue:{protocol}:{server}"

    def _keys(self, protocol: str) -> tuple[str, str, str]:
        return f"{self.base}:leases:{protocol}", f"{self.base}:owner:{protocol}", f"{self.base}:where:{protocol}"

    def _servers_key(self, protocol: str) -> str:
        return f"{self.base}:servers:{protocol}"

    @property
    def workers_key(self) -> str:
        """Hash: worker name -> targets it settled for good."""
        return f"{self.base}:workers"

    # -- the job's settings -----------------------------------------------------------------
    def publish(self, job: CrawlJob) -> None:
        """Publish how to crawl (passwords hidden; each worker names its own database and Redis)."""
        public = replace(job, db_url=redact_url(job.db_url), redis_url=redact_url(job.redis_url or ""), worker=None)
        self.client.set(f"{self.base}:settings", public.to_json())
        self.client.sadd(f"{self.prefix}:jobs", self.job)

    @staticmethod
    def published(client: redis.Redis, prefix: str, job: str | None) -> CrawlJob:
        """The settings a seeding command published; without a job name, the one job that has work left."""
        if job is None:
            names = sorted(client.smembers(f"{prefix}:jobs"))  # type: ignore[arg-type]
            busy = [n for n in names if any(SharedFrontier(client, n, prefix).remaining(p) for p in ("whois", "rdap"))]
            if len(busy) != 1:
                found = ", ".join(busy or names) or "none"
                raise LookupError(f"{'no crawl job has' if not busy else 'several crawl jobs have'} work in Redis under "
                                  f"{prefix!r} (jobs: {found}); name one with --job, or start the seeding command first")
            job = busy[0]
        text = client.get(f"{prefix}:job:{job}:settings")
        if not text:
            raise LookupError(f"no crawl job {job!r} in Redis under {prefix!r}: start the seeding command "
                              "(auditor crawl SOURCE... --redis URL) first")
        return CrawlJob.from_json(str(text))

    # -- work -------------------------------------------------------------------------------
    def seed(self, protocol: str, server: str, ids: Sequence[int]) -> int:
        """Queue targets (idempotent: a queued or leased target is not queued twice)."""
        leases, _owner, _where = self._keys(protocol)
        keys = [self.queue_key(protocol, server), leases, self._servers_key(protocol)]
        return int(self._scripts["seed"](keys=keys, args=[server, *ids]))

    def servers(self, protocol: str) -> list[str]:
        """The servers the protocol has queues for."""
        return sorted(self.client.smembers(self._servers_key(protocol)))  # type: ignore[arg-type]

    def take(self, protocol: str, server: str, n: int) -> list[int]:
        """Lease up to `n` targets of a server's queue (lowest ids first)."""
        queue = self.queue_key(protocol, server)
        with self.lock:  # registered before the heartbeat can see them
            ids = [int(i) for i in self._scripts["take"](keys=[queue, *self._keys(protocol)],
                                                          args=[self.worker, self.lease_us, n])]
            for target_id in ids:
                self.held[target_id] = (protocol, queue)
        return ids

    def holds(self, target_id: int) -> bool:
        """Whether this worker still works on a target (not lost to another worker)."""
        return target_id in self.held

    def settled(self, target_id: int, final: bool, count: bool = True) -> None:
        """A settlement was stored: release the lease (final) or renew it for the follow-up query.

        `count`: the worker settled it (False for a target taken but found already done).
        """
        with self.lock:
            where = self.held.get(target_id)
            if where is None:
                return
            protocol, queue = where
            leases, owner, wheres = self._keys(protocol)
            self._scripts["settled"](keys=[leases, owner, wheres, self.workers_key],
                                     args=[self.worker, self.lease_us, target_id, int(final), queue, int(count)])
            if final:
                del self.held[target_id]

    def drop(self, target_id: int) -> None:
        """Another worker settled this target first: stop working on it, leave its lease alone."""
        with self.lock:
            self.held.pop(target_id, None)

    def remaining(self, protocol: str) -> int:
        """Targets of the protocol queued or leased by any worker (0: the protocol's work is over)."""
        leases, _owner, _where = self._keys(protocol)
        return int(self._scripts["remaining"](keys=[leases, self._servers_key(protocol)],
                                              args=[f"{self.base}:queue:{protocol}:"]))

    def settled_by(self) -> dict[str, int]:
        """Targets settled for good, by worker."""
        return {k: int(v) for k, v in self.client.hgetall(self.workers_key).items()}  # type: ignore[union-attr]

    # -- liveness ---------------------------------------------------------------------------
    def heartbeat(self) -> None:
        """Extend this worker's leases, forget those another worker took over, and re-queue expired ones."""
        with self.lock:
            by_protocol: dict[str, list[int]] = {}
            for target_id, (protocol, _queue) in self.held.items():
                by_protocol.setdefault(protocol, []).append(target_id)
        for protocol, ids in by_protocol.items():
            leases, owner, _where = self._keys(protocol)
            lost = self._scripts["heartbeat"](keys=[leases, owner], args=[self.worker, self.lease_us, *ids])
            for target_id in lost:
                log.warning("lease of target %s passed to another worker", target_id)
                self.drop(int(target_id))
        for protocol in ("whois", "rdap"):
            if self._scripts["reap"](keys=list(self._keys(protocol)), args=[REAP_BATCH]):
                log.info("expired %s leases went back to the queue", protocol)

    def start_heartbeat(self) -> None:
        """Beat every third of the lease time in a thread: a busy crawl loop never lets a lease lapse."""
        def beat() -> None:
            while not self._stop.wait(self.lease_seconds / 3):
                try:
                    self.heartbeat()
                except Exception:  # noqa: BLE001 - Redis unreachable for a moment: the next beat tries again
                    log.exception("heartbeat failed")

        self._thread = threading.Thread(target=beat, name="lease-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and hand back what this worker still holds (a clean stop, e.g. Ctrl-C)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.lock:
            by_protocol: dict[str, list[int]] = {}
            for target_id, (protocol, _queue) in self.held.items():
                by_protocol.setdefault(protocol, []).append(target_id)
            self.held.clear()
        for protocol, ids in by_protocol.items():
            with contextlib.suppress(Exception):  # Redis gone: the leases expire and are reaped instead
                self._scripts["give_back"](keys=list(self._keys(protocol)), args=[self.worker, *ids])

    def forget(self) -> int:
        """Delete every key of this job (tests; an abandoned job). Returns how many keys went."""
        keys = list(self.client.scan_iter(f"{self.base}:*", count=1000))
        self.client.srem(f"{self.prefix}:jobs", self.job)
        return int(self.client.delete(*keys)) if keys else 0


def seed_from_store(store: CrawlStore, frontier: SharedFrontier, job: str, protocols: Iterable[str] = ("whois", "rdap")) -> int:
    """Queue every target of the job that is not done, server by server, a page at a time. Returns how many were new."""
    added = 0
    for protocol in protocols:
        for server in store.open_servers(job, protocol):
            after = 0
            while page := store.open_targets_of(job, protocol, server, after, limit=1000):
                added += frontier.seed(protocol, server, [row["id"] for row in page])
                after = page[-1]["id"]
    return added


class RedisBudget:
    """The per-server next send time, hold and quota counters in Redis: what `Politeness` books through.

    Same three calls as `CrawlStore` (`reserve_query`, `push_back`, `next_allowed`), so the gate's
    logic is the same in a single-process and a distributed crawl; plus `held_until`, the latest back-off
    any worker set, which a query that waited for its slot checks before it goes.
    """

    def __init__(self, client: redis.Redis, prefix: str = DEFAULT_PREFIX, window_hours: int = 25) -> None:
        self.client = client
        self.prefix = prefix
        self.window_hours = window_hours
        self._reserve = client.register_script(_RESERVE)
        self._push_back = client.register_script(_PUSH_BACK)
        self._until = client.register_script(_UNTIL)
        self._claim = client.register_script(_CLAIM)

    def _next(self, server: str) -> str:
        return f"{self.prefix}:server:{server}:next"

    def _hold(self, server: str) -> str:
        return f"{self.prefix}:server:{server}:hold"

    def reserve_query(self, server: str, interval: float, quota_key: str | None = None, quota: int | None = None,
                      now: datetime | None = None, not_before: datetime | None = None) -> Reservation:
        """Book the server's next slot and count it against the quota, atomically for every worker.

        `now` is ignored: Redis's clock decides, so workers with skewed clocks keep one pace.
        """
        quota_hash = f"{self.prefix}:quota:{quota_key or server}"
        offset = _offset_us(not_before) if not_before is not None else 0
        reply = self._reserve(keys=[self._next(server), self._hold(server), quota_hash],
                              args=[int(interval * 1_000_000), offset, -1 if quota is None else quota, self.window_hours])
        if int(reply[0]) < 0:
            return Reservation(None, int(reply[1]), _local(reply[2]))
        return Reservation(_local(reply[0]), int(reply[1]))

    def push_back(self, server: str, until: datetime) -> None:
        """No query to `server` before `until`, for every worker: both its next slot and its hold move."""
        self._push_back(keys=[self._next(server), self._hold(server)], args=[_offset_us(until)])

    def claim(self, server: str, interval: float) -> tuple[str, float]:
        """Ask to send now: ("send", 0) and the send is recorded; ("wait", seconds) since the last actual
        send of any worker is too recent; ("held", seconds) when a back-off holds (book again)."""
        reply = self._claim(keys=[f"{self.prefix}:server:{server}:last", self._hold(server)],
                            args=[int(interval * 1_000_000)])
        kind = {0: "send", 1: "held", 2: "wait"}[int(reply[0])]
        return kind, int(reply[1]) / 1_000_000 if len(reply) > 1 else 0.0

    def next_allowed(self, server: str) -> datetime | None:
        """When the server may next be asked (None: never booked)."""
        reply = self._until(keys=[self._next(server)])
        return None if reply is None else _local(reply)

    def held_until(self, server: str) -> datetime | None:
        """The end of the latest back-off or Retry-After any worker set for the server."""
        reply = self._until(keys=[self._hold(server)])
        return None if reply is None else _local(reply)

    def quota_used(self, quota_key: str) -> int:
        """Queries counted against a quota key in the window (for tests and reports)."""
        buckets = self.client.hgetall(f"{self.prefix}:quota:{quota_key}")
        hour = int(datetime.now(UTC).timestamp() // 3600)
        return sum(int(n) for h, n in buckets.items() if int(h) > hour - self.window_hours)  # type: ignore[union-attr]


class SharedPoliteness(Politeness):
    """The gate with its budget in Redis: a query that waited for its slot still claims the send, so the
    actual sends of all workers keep the interval and no query goes out after another worker backed off."""

    budget: RedisBudget

    def __init__(self, budget: RedisBudget, *args: Any, **kwargs: Any) -> None:
        super().__init__(budget, *args, **kwargs)  # type: ignore[arg-type]
        self.budget = budget

    async def clear_to_send(self, server: str, interval: float) -> bool:
        while True:
            kind, wait = self.budget.claim(server, interval)
            if kind != "wait":
                return kind == "send"
            await sleep_until(datetime.now(UTC) + timedelta(seconds=wait))

