"""How fast, how often and how patiently the crawler asks each server: policies, the gate, back-off.

Every query passes `Politeness.before_send` in the download handler, at the moment it would be sent
(not when it is scheduled: Scrapy's AutoThrottle may shorten a slot's delay, and a gate before the
downloader's queue lets two queries out back to back). The gate books the next send time and counts
the query against the quota in the database (`CrawlStore.reserve_query`), so a restarted crawl, or a
second process on the same database, keeps the same pace and the same daily count. A distributed crawl
books the same way in Redis instead (`spiders.shared.RedisBudget`, the same three calls).

A rate-limit answer or a failure pushes that server's next send time back for every process: by the
HTTP Retry-After when the server sends one (to the letter: a longer wait than `Backoff.maximum` pauses
the server for the run), else by exponential back-off, never shorter than a port-43 refusal's own
"try again in N seconds" (a phrase read from prose, so it is capped at the maximum). After
`give_up_after` refusals or failures in a row, or when the quota is used up, the server is paused for
the rest of the run and its domains wait for the next one. Other servers go on.

>>> ServerPolicy(rate=0.25).interval
4.08
>>> Backoff(base=2, maximum=60).wait(1), Backoff(base=2, maximum=60).wait(4), Backoff(base=2, maximum=60).wait(9)
(2.0, 16.0, 60.0)
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.store import CrawlStore

POLICIES = Path(__file__).resolve().parent.parent / "auditor" / "data" / "server-policies.json"

#: Queries are spaced this much wider than the rate allows, so network jitter never makes two arrive
#: closer together than the server's limit.
SAFETY_MARGIN = 0.02


#: What a server's policy rests on when nobody published one.
DEFAULT_SOURCE = "no published limit: 1 query per second"


@dataclass(frozen=True, slots=True)
class ServerPolicy:
    """One server's limits: queries per second (one at a time), a rolling 24-hour quota, a shared quota group."""

    rate: float = 1.0
    quota: int | None = None
    group: str | None = None
    source: str = DEFAULT_SOURCE

    @property
    def interval(self) -> float:
        """Seconds between two queries to the server (with the safety margin)."""
        return round((1.0 + SAFETY_MARGIN) / self.rate, 6)

    def quota_key(self, server: str) -> str:
        """What the quota is counted against: the operator's group, or the server."""
        return f"group:{self.group}" if self.group else server


class Policies:
    """The published limits bundled in ``auditor/data/server-policies.json``, then the run's overrides.

    A server is looked up as ``host:port``, then ``host``; overrides (``--rate``, ``--quota``) match the
    same way, and ``*`` sets the default for servers nobody listed.
    """

    def __init__(self, path: Path | None = None, rates: dict[str, float] | None = None,
                 quotas: dict[str, int] | None = None) -> None:
        data: dict[str, Any] = json.loads((path or POLICIES).read_text("utf-8"))
        self.default: dict[str, Any] = dict(data.get("default", {}))
        self.servers: dict[str, dict[str, Any]] = {k.lower(): v for k, v in data.get("servers", {}).items()}
        self.rates = {k.lower(): float(v) for k, v in (rates or {}).items()}
        self.quotas = {k.lower(): int(v) for k, v in (quotas or {}).items()}
        for name, rate in self.rates.items():
            if rate <= 0:
                raise ValueError(f"rate for {name} must be above 0 queries per second")
        for name, quota in self.quotas.items():
            if quota < 0:
                raise ValueError(f"quota for {name} must be 0 or more")

    @staticmethod
    def _names(server: str) -> tuple[str, str]:
        host = server.rsplit(":", 1)[0].strip("[]") if ":" in server else server
        return server.lower(), host.lower()

    def _pick(self, table: dict[str, Any], server: str) -> Any:
        for name in self._names(server):
            if name in table:
                return table[name]
        return table.get("*")

    def for_server(self, server: str) -> ServerPolicy:
        """The policy for ``host:port``."""
        spec = self._pick(self.servers, server) or {}
        source = spec.get("source") or DEFAULT_SOURCE  # (not ServerPolicy.source: a slot's descriptor)
        rate = float(spec.get("rate", self.default.get("rate", 1.0)))
        quota = spec.get("quota", self.default.get("quota"))
        override_rate, override_quota = self._pick(self.rates, server), self._pick(self.quotas, server)
        if override_rate is not None or override_quota is not None:
            source = "set for this run"
        return ServerPolicy(rate=override_rate if override_rate is not None else rate,
                            quota=override_quota if override_quota is not None else quota,
                            group=spec.get("group"), source=source)


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to leave a server alone after it refused (rate limit) or failed, and when to stop asking."""

    base: float = 5.0
    maximum: float = 900.0
    give_up_after: int = 5

    def wait(self, streak: int) -> float:
        """Seconds to wait after the `streak`-th refusal or failure in a row: base, 2 base, 4 base, ... up to the maximum."""
        return float(min(self.maximum, self.base * 2 ** (max(streak, 1) - 1)))


async def sleep_until(when: datetime) -> None:
    """Sleep until an instant, to within a fraction of a millisecond: a coarse sleep, then yield until it is time.

    A plain sleep wakes a millisecond or two late whenever the event loop is busy; at 20 queries a
    second that alone costs several percent of the allowed rate.
    """
    while (left := (when - datetime.now(UTC)).total_seconds()) > 0:
        await asyncio.sleep(left - 0.002 if left > 0.003 else 0)


class ServerPausedError(Exception):
    """The server is paused for the rest of this run; its domains wait for the next run."""


class QuotaExhaustedError(ServerPausedError):
    """The server's quota is used up."""


class Politeness:
    """The gate in front of every server, backed by the store so that limits hold across restarts."""

    def __init__(self, store: CrawlStore, policies: Policies, backoff: Backoff) -> None:
        self.store = store
        self.policies = policies
        self.backoff = backoff
        self.paused: dict[str, str] = {}
        self.streaks: dict[str, int] = {}
        self.last_sent: dict[str, datetime] = {}  # per server: the earliest next send of this process
        self.turns: dict[str, asyncio.Lock] = {}

    def turn(self, server: str) -> asyncio.Lock:
        """The server's lock: one query at a time, from the gate until its answer has been read."""
        return self.turns.setdefault(server, asyncio.Lock())

    async def before_send(self, server: str) -> None:
        """Wait until `server` may be asked; raise ServerPausedError when it may not be asked in this run."""
        if server in self.paused:
            raise ServerPausedError(self.paused[server])
        policy = self.policies.for_server(server)
        now = datetime.now(UTC)
        not_before = self.store.next_allowed(server)
        if not_before is not None and (not_before - now).total_seconds() > self.backoff.maximum:
            self._pause_until(server, not_before)  # a Retry-After from an earlier run still runs: book nothing
        booking = self.store.reserve_query(server, policy.interval, policy.quota_key(server), policy.quota, now,
                                           not_before=self.last_sent.get(server))
        if booking.send_at is None:
            until = booking.exhausted_until or now
            reason = (f"quota of {policy.quota} queries per 24 h used up ({policy.source}); "
                      f"next query allowed after {until:%Y-%m-%d %H:%M} UTC")
            self.paused[server] = reason
            raise QuotaExhaustedError(reason)
        if (booking.send_at - now).total_seconds() > self.backoff.maximum:
            self._pause_until(server, booking.send_at)
        await sleep_until(booking.send_at)
        if server in self.paused:  # paused while this query waited
            raise ServerPausedError(self.paused[server])
        if not await self.clear_to_send(server, policy.interval):  # backed off by another process meanwhile
            return await self.before_send(server)
        # The next slot of this process counts from the actual send: a late wake-up never shortens a gap.
        self.last_sent[server] = datetime.now(UTC) + timedelta(seconds=policy.interval)

    async def clear_to_send(self, server: str, interval: float) -> bool:
        """Whether a query that waited for its slot may go now (False: book again). Always, here: within
        one process the turn lock orders a refusal before the next booking, and `last_sent` spaces the
        actual sends; a distributed crawl checks both across workers (spiders/shared.py)."""
        return True

    def _pause_until(self, server: str, until: datetime) -> None:
        reason = f"asked not to be queried before {until:%Y-%m-%d %H:%M:%S} UTC; paused for this run"
        self.paused[server] = reason
        raise ServerPausedError(reason)

    def answered(self, server: str) -> None:
        """An answer that was not a refusal: the server is well, the back-off starts over."""
        self.streaks.pop(server, None)

    def refused(self, server: str, retry_after: float | None, why: str, hint: float | None = None) -> float | None:
        """A rate-limit answer or a failure: back off. Returns the wait, or None when the server is now paused."""
        streak = self.streaks[server] = self.streaks.get(server, 0) + 1
        if retry_after is not None:
            wait = retry_after
        else:
            wait = max(self.backoff.wait(streak), min(hint or 0.0, self.backoff.maximum))
        self.store.push_back(server, datetime.now(UTC) + timedelta(seconds=wait))
        if streak >= self.backoff.give_up_after:
            self.paused[server] = f"{streak} refusals or failures in a row (last: {why}); paused for this run"
        elif wait > self.backoff.maximum:
            self.paused[server] = f"asked to wait {wait:.0f} s ({why}); paused for this run"
        return None if server in self.paused else wait
