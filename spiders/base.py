"""What the WHOIS and RDAP spiders share: work from the store's frontier, settle each answer, retry politely.

A spider's requests come from the frontier (``crawl_target`` rows that are not done), never from a
list in memory, so a crawl that was killed starts again where the store says it stopped. Every
answer, failed attempt and refusal becomes one `Settled` item: the raw record, its link to the job and
the target's new state, written in one transaction by the pipeline.

A target's life: ``pending`` -> asked; an ok or not_found answer is ``done``, or, when it names
another server (a registrar's WHOIS, an RDAP ``related`` link), the target moves to that server at hop 1
and is ``done`` after that answer (whatever it is: the registry's answer is already stored). A refusal
(rate limit) or a transient failure backs the server off and asks again, up to ``max_attempts`` times
per run; then the target stays ``rate_limited`` or ``error`` for the next run. A server paused for the
run (quota used up, too many refusals) leaves its targets as they are, with a note.

In a distributed crawl (``frontier``: spiders/shared.py) the targets come from leases on the shared
queue in Redis instead of pages of the store, each settlement is stored only if the row is still where
the worker found it (another worker whose lease had expired may have settled it first), and a worker
that lost a target to another worker sends nothing more for it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from auditor.records import FetchStatus, RawRecord, Source, utcnow
from auditor.store import CrawlStore
from spiders.guard import AddressGuard, RefusedTargetError
from spiders.job import CrawlJob
from spiders.outcome import Verdict
from spiders.politeness import Politeness, ServerPausedError
from spiders.servers import Target

if TYPE_CHECKING:
    from spiders.shared import SharedFrontier

FINAL = (FetchStatus.OK, FetchStatus.NOT_FOUND)


@dataclass
class Settled:
    """One answer (or one failed attempt) and the target's new state, stored together.

    `fence` is the row's (hop, attempts) when the attempt was made: a distributed crawl stores the
    settlement only if the row is still there. `final` is False when a follow-up query comes next.
    """

    target_id: int
    update: dict[str, Any]
    raw: RawRecord | None = None
    response: dict[str, Any] | None = None
    fence: tuple[int, int] = (0, 0)
    final: bool = True


class LeaseLostError(Exception):
    """Another worker of a distributed crawl settled this target first: nothing more is sent for it."""


@dataclass
class Reading:
    """An answer as the spider reads it: raw record, verdict, the hop to follow or a note on it, and the back-off.

    `wait` is what the politeness gate said after a refusal: seconds until the server may be asked
    again, or None when it is paused for the run (or when there was no refusal).
    """

    raw: RawRecord
    verdict: Verdict
    hop: Target | None = None
    note: str | None = None
    wait: float | None = None


@dataclass
class Attempt:
    """What a request carries in ``meta["attempt"]``: the target row, which try this is, and of this run."""

    target: dict[str, Any]
    number: int
    this_run: int = 1
    visited: list[str] = field(default_factory=list)
    counted: str = ""  # the server the target is counted under in FrontierSpider.outstanding


#: Requests a server may have waiting in Scrapy at once; it is asked one at a time anyway.
PER_SERVER = 32
#: Seconds between two looks at the shared queue while this worker has queries in flight (a late refill
#: leaves the server idle), and while only other workers hold leases (one of them may die).
REFILL_SECONDS = 0.01
IDLE_SECONDS = 0.1


@dataclass
class _Page:
    rows: list[dict[str, Any]] = field(default_factory=list)
    after: int = 0


class FrontierSpider(scrapy.Spider):
    """Base of the WHOIS and RDAP spiders; subclasses say how to ask and how to read an answer."""

    protocol: ClassVar[str]
    source: ClassVar[Source]

    def __init__(self, job: CrawlJob, store: CrawlStore, politeness: Politeness, guard: AddressGuard,
                 *args: Any, frontier: SharedFrontier | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        self.store = store
        self.frontier = frontier  # the shared queue of a distributed crawl, else None
        self.politeness = politeness  # read by the download handlers
        self.guard = guard  # read by the download handlers
        self.outstanding: Counter[str] = Counter()  # targets handed to Scrapy and not yet settled, by start server

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The open targets, round-robin by server, at most `PER_SERVER` waiting per server.

        Pages come from the store as they are needed, so neither the frontier nor Scrapy's scheduler
        ever holds a whole zone, and a slow server's backlog never stands in front of the others.
        """
        if self.frontier is not None:
            async for request in self._start_shared(self.frontier):
                yield request
            return
        pages = {server: _Page() for server in self.store.open_servers(self.job.job, self.protocol)}
        while pages:
            sent = False
            for server, page in list(pages.items()):
                if self.outstanding[server] >= PER_SERVER:
                    continue
                if not page.rows:
                    page.rows = self.store.open_targets_of(self.job.job, self.protocol, server, page.after)
                    if not page.rows:
                        del pages[server]
                        continue
                target = page.rows.pop(0)
                page.after = target["id"]
                self.outstanding[server] += 1
                sent = True
                yield self.ask(Attempt(target, target["attempts"] + 1, 1, list(target.get("visited") or []), server))
            if not sent and pages:
                await asyncio.sleep(0.05)

    async def _start_shared(self, frontier: SharedFrontier) -> AsyncIterator[scrapy.Request]:
        """Leased targets, round-robin by server, at most `LEASED_PER_SERVER` per server; until no worker has any left.

        The queue may be empty while other workers still hold leases: this worker waits, since a lease
        of a worker that died comes back to the queue when it expires.
        """
        from spiders.shared import LEASED_PER_SERVER

        store = self.store
        servers: list[str] = []
        listed = 0.0
        empty: dict[str, float] = {}  # server -> when its queue was last found empty
        while True:
            now = time.monotonic()
            if now - listed > 1.0:  # a new server's queue appears when a seeding command runs again
                servers, listed = frontier.servers(self.protocol), now
            sent = False
            for server in servers:
                room = LEASED_PER_SERVER - self.outstanding[server]
                if room <= 0 or now - empty.get(server, float("-inf")) < IDLE_SECONDS:
                    continue
                ids = frontier.take(self.protocol, server, room)
                if not ids:
                    empty[server] = now  # look again a little later: only an expired lease or a new seeding refills it
                    continue
                rows = {row["id"]: row for row in store.targets_by_id(ids)}
                for target_id in ids:
                    target = rows.get(target_id)
                    if target is None or target["state"] == "done":  # settled by a worker that died before releasing it
                        frontier.settled(target_id, final=True, count=False)
                        continue
                    self.outstanding[server] += 1
                    sent = True
                    yield self.ask(Attempt(target, target["attempts"] + 1, 1, list(target.get("visited") or []), server))
            if sent:
                continue
            if any(self.outstanding.values()):
                await asyncio.sleep(REFILL_SECONDS)
            elif frontier.remaining(self.protocol) == 0:
                return
            else:
                listed = 0.0
                empty.clear()
                await asyncio.sleep(IDLE_SECONDS)

    # -- protocol specifics -----------------------------------------------------------------
    def ask(self, attempt: Attempt) -> scrapy.Request:
        """The request for one attempt."""
        raise NotImplementedError

    def read(self, response: Response, attempt: Attempt) -> tuple[RawRecord, Verdict, Target | None, str | None]:
        """(raw record, verdict, the next hop to follow or None, a note on a hop not followed)."""
        raise NotImplementedError

    def failed(self, exc: BaseException, attempt: Attempt) -> tuple[RawRecord, Verdict]:
        """The raw record (what arrived, maybe nothing) and verdict of a failed exchange."""
        raise NotImplementedError

    # -- shared flow ----------------------------------------------------------------------------
    def commit(self, item: Settled) -> None:
        """Store a settlement (called by the pipeline); in a distributed crawl, only once, then the lease moves on."""
        if self.frontier is None:
            self.store.record_answer(self.job.job, item.target_id, item.raw, item.response, item.update)
            return
        if not self.frontier.holds(item.target_id):
            return  # lost to another worker before this answer came in
        if self.store.record_answer(self.job.job, item.target_id, item.raw, item.response, item.update,
                                    expect=item.fence):
            self.frontier.settled(item.target_id, item.final)
        else:
            self.logger.info("target %s was settled by another worker; this answer is not stored", item.target_id)
            self.frontier.drop(item.target_id)

    def admit(self, request: scrapy.Request) -> None:
        """Raise LeaseLostError when the request's target now belongs to another worker (checked before the gate)."""
        attempt: Attempt | None = request.meta.get("attempt")
        if self.frontier is not None and attempt is not None and not self.frontier.holds(attempt.target["id"]):
            raise LeaseLostError(f"target {attempt.target['id']} was settled by another worker")

    def request_meta(self, attempt: Attempt) -> dict[str, Any]:
        """Meta every request carries: the attempt, its politeness slot, and whether it came from a response."""
        target = attempt.target
        return {"attempt": attempt, "download_slot": target["server"], "untrusted": target["hop"] > 0,
                "dont_retry": True}

    def observe(self, request: scrapy.Request, response: Response | None, exc: BaseException | None) -> Reading | None:
        """Read an answer or failure the moment its download ends, and tell the politeness gate.

        The download handlers call this before they return, that is before Scrapy frees the server's
        slot: the next query to the server already sees this answer's back-off or pause. The reading is
        kept in the request's meta for the callback.
        """
        attempt: Attempt | None = request.meta.get("attempt")
        if attempt is None:
            return None
        if exc is None and response is not None:
            raw, verdict, hop, note = self.read(response, attempt)
        else:
            raw, verdict = self.failed(exc or RuntimeError("no response"), attempt)
            hop, note = None, None
        server = attempt.target["server"]
        wait = None
        if verdict.refusal:
            wait = self.politeness.refused(server, verdict.retry_after, verdict.error or verdict.status.value, verdict.hint)
        else:
            self.politeness.answered(server)
        reading = Reading(raw, verdict, hop, note, wait)
        request.meta["reading"] = reading
        return reading

    def on_answer(self, response: Response) -> Iterator[Any]:
        attempt: Attempt = response.meta["attempt"]
        reading = response.meta.get("reading") or self.observe(response.request, response, None)  # type: ignore[arg-type]
        yield from self._counted(attempt, self.settle(attempt, reading))

    def on_failure(self, failure: Failure) -> Iterator[Any]:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        attempt: Attempt = request.meta["attempt"]
        yield from self._counted(attempt, self._failed(request, attempt, failure.value))

    def _failed(self, request: scrapy.Request, attempt: Attempt, exc: BaseException) -> Iterator[Any]:
        target = attempt.target
        fence = (target["hop"], attempt.number - 1)
        if isinstance(exc, LeaseLostError):  # nothing was sent: another worker has it
            return
        if isinstance(exc, ServerPausedError):  # nothing was sent: no attempt used
            yield Settled(target["id"], {"note": f"not asked: {exc}"}, fence=fence)
            return
        if isinstance(exc, RefusedTargetError):  # nothing was sent: the guard said no
            update = self._done_after_hop(attempt, str(exc)) if target["hop"] else {"state": "error", "note": str(exc)}
            yield Settled(target["id"], update, fence=fence)
            return
        yield from self.settle(attempt, request.meta.get("reading") or self.observe(request, None, exc))

    def _counted(self, attempt: Attempt, outputs: Iterator[Any]) -> Iterator[Any]:
        """Pass the callback's outputs on; when none is a follow-up request, the target leaves `outstanding`."""
        follow_up = False
        try:
            for item in outputs:
                follow_up = follow_up or isinstance(item, scrapy.Request)
                yield item
        finally:
            if not follow_up:
                self.outstanding[attempt.counted] -= 1

    def settle(self, attempt: Attempt, reading: Reading | None) -> Iterator[Any]:
        """Store the answer with the target's new state; ask again, or follow the hop, when there is reason to."""
        assert reading is not None
        raw, verdict, hop, note = reading.raw, reading.verdict, reading.hop, reading.note
        target = attempt.target
        fence = (target["hop"], attempt.number - 1)
        response = {"domain": target["domain"], "protocol": self.protocol, "hop": target["hop"],
                    "attempt": attempt.number, "server": target["server"]}
        update: dict[str, Any] = {"attempts": attempt.number, "outcome": verdict.status.value, "note": verdict.error or note}
        again = reading.wait is not None and verdict.retryable and attempt.this_run < self.job.max_attempts
        if verdict.status in FINAL and hop is not None:
            visited = [*attempt.visited, target["server"]]
            update.update(state="pending", hop=1, server=hop.server, url=hop.url, query=hop.query, visited=visited,
                          attempts=0, note=None)
            yield Settled(target["id"], update, raw, response, fence, final=False)
            nxt = {**target, "hop": 1, "server": hop.server, "url": hop.url, "query": hop.query, "visited": visited}
            yield self.ask(Attempt(nxt, 1, 1, visited, attempt.counted))
            return
        if target["hop"] > 0 and not again:
            update.update(self._done_after_hop(attempt, verdict.error if verdict.status not in FINAL else note))
        elif verdict.status in FINAL:
            update["state"] = "done"
        else:
            update["state"] = verdict.status.value  # rate_limited | error: asked again now, or next run
        yield Settled(target["id"], update, raw, response, fence, final=not again)
        if again:
            yield self.ask(Attempt(target, attempt.number + 1, attempt.this_run + 1, attempt.visited, attempt.counted))

    def _done_after_hop(self, attempt: Attempt, note: str | None) -> dict[str, Any]:
        """A hop-1 target is done whatever the hop gave: the registry's own answer is stored."""
        hop_note = f"referral to {attempt.target['server']}: {note}" if note else None
        return {"state": "done", "note": hop_note, "attempts": attempt.number}

    def raw(self, attempt: Attempt, body: bytes, status: FetchStatus, *, url: str | None, charset: str | None,
            error: str | None, server: str) -> RawRecord:
        """The raw record of one answer, with its provenance."""
        return RawRecord(self.source, server, attempt.target["domain"], body, utcnow(), status=status, url=url,
                         origin=f"crawl:{self.job.job}", error=error, charset=charset)
