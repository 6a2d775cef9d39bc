"""A distributed crawl: three `auditor crawl` processes share one frontier and one per-server budget through
Redis, and one PostgreSQL store.

The loopback servers count every query beyond their limit in any sliding second as a violation, and
stamp each answer with a serial number, so a domain asked twice would give two different raw records:
"each domain stored once" is checked by counting rows, not trusted to a unique constraint. One test
SIGKILLs a worker (its whole process group: the CLI and its crawl process) while it holds leases; the
others must finish its domains, losing none and storing none twice.

Needs AUDITOR_TEST_POSTGRES_URL and AUDITOR_TEST_REDIS_URL (.ci/run sets both); skipped without them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor.loopback.rdap_server import LoopbackRdapServer
from auditor.loopback.whois_server import LoopbackWhoisServer, RateLimit
from auditor.records import FetchStatus, RawRecord, Source
from auditor.store import CrawlStore

REDIS_ENV = "AUDITOR_TEST_REDIS_URL"
ALLOWED = 20.0  # what each loopback server allows: anything more in a sliding second is a violation
SANDBOX = ["--connect-only-to", "127.0.0.0/8", "--no-dns", "--quiet"]


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set (.ci/run sets it to the Redis on 127.0.0.1:6379)")
    return url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Any]:
    from spiders.shared import connect

    client = connect(redis_url)
    client.ping()  # set but unreachable is a failure, not a skip
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: Any) -> Iterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    name = f"auditor-test:{uuid.uuid4().hex[:10]}"
    yield name
    keys = list(redis_client.scan_iter(f"{name}:*", count=1000))
    if keys:
        redis_client.delete(*keys)


def whois_record(domain: str) -> bytes:
    return f"Domain Name: {domain}\r\nRegistrar: R\r\nCreation Date: 2020-01-02\r\nRegistrant Name: Ada\r\n".encode()


def rdap_record(domain: str) -> bytes:
    return json.dumps({"objectClassName": "domain", "ldhName": domain, "status": ["active"]}).encode()


class Crawl:
    """The loopback servers, the domain list, and the commands of one distributed crawl."""

    def __init__(self, tmp: Path, db: str, redis: str, prefix: str, domains: int, rate: float, lease: float) -> None:
        self.tmp, self.db, self.redis, self.prefix, self.rate = tmp, db, redis, prefix, rate
        self.job = f"dist-{uuid.uuid4().hex[:8]}"
        self.domains = [f"w{i:03d}.zz" for i in range(domains)]
        (tmp / "domains.txt").write_text("\n".join(self.domains) + "\n")
        self.whois = LoopbackWhoisServer(whois_record, fault=RateLimit(per_second=ALLOWED), stamp=True)
        self.rdap = LoopbackRdapServer(rdap_record, fault=RateLimit(per_second=ALLOWED), stamp=True)
        self.shared = ["--db", db, "--redis", redis, "--redis-prefix", prefix, "--lease", str(lease)]

    def seeder(self) -> list[str]:
        return [sys.executable, "-m", "auditor", "crawl", str(self.tmp / "domains.txt"), "--out", str(self.tmp / "out"),
                "--protocol", "both", "--whois-server", self.whois.address, "--rdap-url", self.rdap.base_url,
                "--rate", f"*={self.rate}", "--job", self.job, *self.shared, *SANDBOX]

    def worker(self, n: int) -> list[str]:
        return [sys.executable, "-m", "auditor", "crawl", "--worker", "--out", str(self.tmp / f"worker{n}"),
                *self.shared, *SANDBOX]

    def key(self, name: str) -> str:
        return f"{self.prefix}:job:{self.job}:{name}"


def start(command: list[str]) -> subprocess.Popen[str]:
    """A process in a session of its own, so that it and its crawl process can be killed together."""
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
    return value


def finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        raise AssertionError(f"a crawl process did not finish:\n{out[-3000:]}") from None
    return process.returncode, out


def run_three(crawl: Crawl, redis_client: Any, during: Callable[[list[subprocess.Popen[str]]], None] | None = None
              ) -> list[subprocess.Popen[str]]:
    """The seeding command, then two workers once the job is published; `during` runs while they crawl."""
    seeder = start(crawl.seeder())
    try:
        wait_for(lambda: redis_client.exists(crawl.key("settings")), 30, "the job to be published")
    except AssertionError:
        os.killpg(seeder.pid, signal.SIGKILL)
        raise AssertionError(seeder.communicate()[0][-3000:]) from None
    processes = [seeder, start(crawl.worker(1)), start(crawl.worker(2))]
    if during is not None:
        try:
            during(processes)
        except BaseException:
            for p in processes:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
            raise
    return processes


def stored(db: str, job: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """(frontier rows, answer links, raw records) of the job, as the store holds them."""
    store = CrawlStore(db)
    try:
        return store.targets(job), store.responses(job), store.count("raw_record")
    finally:
        store.close()


def assert_each_domain_stored_once(crawl: Crawl) -> None:
    targets, responses, raws = stored(crawl.db, crawl.job)
    expected = {(d, p) for d in crawl.domains for p in ("whois", "rdap")}
    assert len(targets) == len(expected) and {(t["domain"], t["protocol"]) for t in targets} == expected
    assert [t for t in targets if t["state"] != "done"] == []  # none lost
    answers = Counter((r["domain"], r["protocol"]) for r in responses)
    assert set(answers) == expected and set(answers.values()) == {1}  # one answer link each: none twice
    assert {r["status"] for r in responses} == {"ok"}
    assert raws == len(expected)  # one raw record each, although every answer's bytes differ


@pytest.mark.slow
@pytest.mark.postgres
def test_three_workers_share_the_frontier_and_stay_within_each_servers_rate(
        tmp_path: Path, postgres_url: str, redis_url: str, redis_client: Any, prefix: str) -> None:
    rate = 15.0  # below ALLOWED: three processes on a small machine jitter more than one
    crawl = Crawl(tmp_path, postgres_url, redis_url, prefix, domains=90, rate=rate, lease=10)
    with crawl.whois, crawl.rdap:
        processes = run_three(crawl, redis_client)
        results = [finish(p) for p in processes]
        servers = {"whois": crawl.whois, "rdap": crawl.rdap}
        for code, out in results:
            assert code == 0, out[-3000:]

        for name, server in servers.items():
            assert server.log.violations == 0, name
            assert len(server.queries) == len(crawl.domains), name  # no lease expired: each domain asked once
            assert server.log.achieved_rate() <= rate * 1.02, name
            # close to the limit once every process has started (starting Scrapy takes the CPU for a while)
            later = [t for t, _line in server.log.entries][len(crawl.domains) // 2:]
            steady = (len(later) - 1) / (later[-1] - later[0])
            assert 0.85 * rate <= steady <= rate * 1.02, (name, steady)
    assert_each_domain_stored_once(crawl)
    settled = {k: int(v) for k, v in redis_client.hgetall(crawl.key("workers")).items()}
    assert len(settled) == 3 and all(n > 0 for n in settled.values()), settled  # all three took part
    assert sum(settled.values()) == 2 * len(crawl.domains)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["collection"]["targets"]["done"] == 2 * len(crawl.domains)  # the seeder audited everyone's answers
    assert summary["records_audited"] == len(crawl.domains)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_killed_mid_crawl_loses_nothing_and_duplicates_nothing(
        tmp_path: Path, postgres_url: str, redis_url: str, redis_client: Any, prefix: str) -> None:
    crawl = Crawl(tmp_path, postgres_url, redis_url, prefix, domains=60, rate=10.0, lease=2)
    held_at_kill: list[str] = []

    def kill_a_worker_holding_leases(processes: list[subprocess.Popen[str]]) -> None:
        victim = processes[1]
        mine = f"{socket.gethostname()}-{victim.pid}-"

        def victim_leases() -> list[str]:
            if not any(k.startswith(mine) for k in redis_client.hkeys(crawl.key("workers"))):
                return []  # it has settled nothing yet: wait until it is well under way
            owners = {**redis_client.hgetall(crawl.key("owner:whois")), **redis_client.hgetall(crawl.key("owner:rdap"))}
            return [target for target, owner in owners.items() if owner.startswith(mine)]

        held_at_kill.extend(wait_for(victim_leases, 30, "the victim to hold leases"))
        os.killpg(victim.pid, signal.SIGKILL)  # the CLI and its crawl process, mid-request

    with crawl.whois, crawl.rdap:
        processes = run_three(crawl, redis_client, kill_a_worker_holding_leases)
        victim = processes[1]
        assert victim.wait(timeout=10) == -signal.SIGKILL
        for process in (processes[0], processes[2]):
            code, out = finish(process)
            assert code == 0, out[-3000:]
        asked = {"whois": crawl.whois.queries, "rdap": crawl.rdap.queries}
        violations = crawl.whois.log.violations + crawl.rdap.log.violations

    assert held_at_kill, "the worker was killed holding no lease"
    assert_each_domain_stored_once(crawl)  # 0 lost, 0 duplicated
    assert violations == 0
    for name, queries in asked.items():
        asked_twice = len(queries) - len(set(queries))
        assert len(set(queries)) == len(crawl.domains), name
        assert asked_twice <= len(held_at_kill), (name, asked_twice)  # only what the dead worker held was asked again
    assert redis_client.zcard(crawl.key("leases:whois")) == redis_client.zcard(crawl.key("leases:rdap")) == 0


# -- the pieces, without Scrapy -----------------------------------------------------------------
def test_two_workers_booking_one_server_get_distinct_spaced_slots_and_share_the_quota(redis_client: Any, prefix: str) -> None:
    from spiders.shared import RedisBudget

    first, second = RedisBudget(redis_client, prefix), RedisBudget(redis_client, prefix)
    slots = [(first if i % 2 else second).reserve_query("whois.test:43", 0.1, "whois.test:43", 6).send_at
             for i in range(6)]
    assert all(slot is not None for slot in slots)
    gaps = [(b - a).total_seconds() for a, b in zip(slots, slots[1:], strict=False)]  # type: ignore[operator]
    assert all(abs(gap - 0.1) < 0.01 for gap in gaps), gaps
    refused = first.reserve_query("whois.test:43", 0.1, "whois.test:43", 6)
    assert refused.send_at is None and refused.used == 6
    assert refused.exhausted_until is not None and refused.exhausted_until > datetime.now(UTC) + timedelta(hours=23)
    assert second.quota_used("whois.test:43") == 6
    # a slot is not permission enough: the send itself keeps the interval after any worker's last actual send
    assert first.claim("whois.test:43", 0.1) == ("send", 0.0)
    kind, wait = second.claim("whois.test:43", 0.1)
    assert kind == "wait" and 0.08 < wait <= 0.1
    second.push_back("whois.test:43", datetime.now(UTC) + timedelta(seconds=5))
    assert first.claim("whois.test:43", 0.1)[0] == "held"  # a back-off: book again


def test_a_retry_after_seen_by_one_worker_pauses_the_server_for_another(redis_client: Any, prefix: str) -> None:
    import asyncio

    from spiders.politeness import Backoff, Policies, ServerPausedError
    from spiders.shared import RedisBudget, SharedPoliteness

    backoff = Backoff(base=0.05, maximum=2.0)
    refusing = SharedPoliteness(RedisBudget(redis_client, prefix), Policies(rates={"*": 50}), backoff)
    other = SharedPoliteness(RedisBudget(redis_client, prefix), Policies(rates={"*": 50}), backoff)
    asyncio.run(other.before_send("rdap.test:443"))  # the server is open
    assert refusing.refused("rdap.test:443", 100.0, "HTTP 429") is None  # 100 s > the longest back-off: paused
    with pytest.raises(ServerPausedError, match="asked not to be queried before"):
        asyncio.run(other.before_send("rdap.test:443"))
    held = other.budget.held_until("rdap.test:443")
    assert held is not None and 95 < (held - datetime.now(UTC)).total_seconds() <= 100

    # a short back-off: a query another worker had already booked waits for it instead of going out
    short = SharedPoliteness(RedisBudget(redis_client, prefix), Policies(rates={"*": 50}), backoff)
    asyncio.run(short.before_send("whois.test:43"))
    short.budget.push_back("whois.test:43", datetime.now(UTC) + timedelta(seconds=0.3))
    started = time.monotonic()
    asyncio.run(short.before_send("whois.test:43"))
    assert time.monotonic() - started >= 0.28


def test_an_expired_lease_goes_back_to_the_queue_and_its_owner_learns_it_lost_it(redis_client: Any, prefix: str) -> None:
    from spiders.shared import SharedFrontier

    dead = SharedFrontier(redis_client, "j", prefix, worker="dead", lease_seconds=0.2)
    alive = SharedFrontier(redis_client, "j", prefix, worker="alive", lease_seconds=5)
    assert dead.seed("whois", "s:43", [1, 2, 3]) == 3
    assert dead.seed("whois", "s:43", [1, 2, 3]) == 0  # seeding again adds nothing
    assert dead.take("whois", "s:43", 2) == [1, 2]
    assert dead.seed("whois", "s:43", [1, 2]) == 0  # nor does it queue what a worker holds
    assert alive.take("whois", "s:43", 5) == [3]
    assert alive.remaining("whois") == 3  # leased, so not over
    time.sleep(0.3)
    alive.heartbeat()  # reaps the dead worker's expired leases
    assert alive.take("whois", "s:43", 5) == [1, 2]
    dead.heartbeat()
    assert not dead.holds(1) and not dead.holds(2)  # it lost them to the live worker
    for target in (1, 2):
        alive.settled(target, final=True)
    alive.stop()  # a clean stop (Ctrl-C) hands back what it still holds, without waiting for the lease to expire
    assert not alive.holds(3) and dead.take("whois", "s:43", 5) == [3]
    dead.settled(3, final=True)
    assert alive.remaining("whois") == 0
    assert alive.settled_by() == {"alive": 2, "dead": 1}


@pytest.mark.postgres
def test_a_target_settled_by_two_workers_is_stored_once(postgres_url: str) -> None:
    from auditor.store import CrawlStore

    store = CrawlStore(postgres_url)
    try:
        store.seed_targets("j", [{"domain": "a.zz", "protocol": "whois", "server": "s:43", "url": "whois://s/a.zz",
                                  "query": None}])
        target = store.targets("j")[0]
        won = []
        for body in (b"Domain Name: a.zz\r\n% answer 1\r\n", b"Domain Name: a.zz\r\n% answer 2\r\n"):
            raw = RawRecord(Source.WHOIS, "s", "a.zz", body, datetime.now(UTC), status=FetchStatus.OK)
            response = {"domain": "a.zz", "protocol": "whois", "hop": 0, "attempt": 1, "server": "s:43"}
            won.append(store.record_answer("j", target["id"], raw, response,
                                           {"state": "done", "attempts": 1, "outcome": "ok"}, expect=(0, 0)))
        assert won == [True, False]
        assert store.count("raw_record") == 1 and len(store.responses("j")) == 1
        assert store.targets("j")[0]["state"] == "done"
    finally:
        store.close()


# -- the command line -------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "message"), [
    (["--out", "OUT"], "no SOURCE to crawl"),
    (["--worker"], "--worker needs --redis URL"),
    (["d.txt", "--worker", "--redis", "redis://127.0.0.1:1/0"], "a --worker takes no SOURCE"),
    (["--worker", "--redis", "redis://127.0.0.1:1/0", "--lease", "0"], "--lease must be above 0"),
])
def test_bad_distributed_options_are_clear_errors(tmp_path: Path, capsys: Any, args: list[str], message: str) -> None:
    from auditor.cli import main

    args = [str(tmp_path / a) if a in ("OUT", "d.txt") else a for a in args]
    assert main(["crawl", *args, "--db", str(tmp_path / "a.sqlite"), "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_a_worker_with_no_published_job_says_what_to_start_first(tmp_path: Path, capsys: Any, redis_url: str,
                                                                  prefix: str) -> None:
    from auditor.cli import main

    code = main(["crawl", "--worker", "--redis", redis_url, "--redis-prefix", prefix, "--db", str(tmp_path / "a.sqlite"),
                 "--quiet"])
    assert code == 2 and "start the seeding command first" in capsys.readouterr().err
