"""Politeness against real servers on loopback: the rate a server allows is never exceeded, quotas hold
across runs, a server that keeps refusing or runs out of quota is paused alone while the others go on,
and a Retry-After longer than the crawl will wait pauses the server, in this run and the next."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.crawl import CrawlOptions, CrawlReport, run_crawl
from auditor.loopback.rdap_server import LoopbackRdapServer
from auditor.loopback.whois_server import LoopbackWhoisServer, QuotaExhausted, RateLimit
from auditor.store import CrawlStore

LOOPBACK = ("127.0.0.0/8", "::1/128")
ALLOWED = 20.0  # what the paced server allows (it refuses, and counts, anything more in any second)
RATE = 18.0  # what the crawl is told: the server's own clock sees a few ms of thread-scheduling jitter,
#             so the test keeps 10 % headroom; benchmarks/crawl_rate.py measures the tight case


def record(domain: str) -> bytes:
    return f"Domain Name: {domain}\r\nRegistrar: R\r\nCreation Date: 2020-01-02\r\nRegistrant Name: Ada\r\n".encode()


@dataclass
class Runs:
    first: CrawlReport
    second: CrawlReport
    servers: dict[str, Any]
    queries_after_first: dict[str, int]
    db: str

    def targets(self, zone: str) -> list[dict[str, Any]]:
        store = CrawlStore(self.db)
        try:
            return [t for t in store.targets(self.first.job) if t["domain"].endswith(f".{zone}")]
        finally:
            store.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    tmp = tmp_path_factory.mktemp("politeness")
    servers: dict[str, Any] = {
        "paced": LoopbackWhoisServer(record, fault=RateLimit(per_second=ALLOWED)),
        "quota": LoopbackWhoisServer(record),
        "refuses": LoopbackWhoisServer(record, fault=RateLimit(first=10**6)),
        "exhausted": LoopbackWhoisServer(record, fault=QuotaExhausted(after=2)),
        "healthy": LoopbackWhoisServer(record),
        "later": LoopbackRdapServer(lambda d: b'{"objectClassName": "domain", "ldhName": "%s"}' % d.encode(),
                                    fault=RateLimit(first=10**6, retry_after=100)),
    }
    counts = {"paced": 40, "quota": 6, "refuses": 4, "exhausted": 5, "healthy": 6, "later": 3}
    for server in servers.values():
        server.start()
    try:
        domains = [f"d{i}.{zone}" for zone, n in counts.items() for i in range(n)]
        (tmp / "domains.txt").write_text("\n".join(domains))
        whois = {z: s.address for z, s in servers.items() if isinstance(s, LoopbackWhoisServer)}
        tuning = {"rates": {"*": 50.0, servers["paced"].address: RATE}, "quotas": {servers["quota"].address: 3},
                  "backoff_base": 0.05, "backoff_max": 2.0, "max_attempts": 10, "give_up_after": 3, "timeout": 2.0,
                  "allow_networks": LOOPBACK, "egress_networks": LOOPBACK}
        options = CrawlOptions(whois_servers=whois, rdap_urls={"later": servers["later"].base_url}, tuning=tuning)
        db = f"sqlite:///{tmp / 'crawl.sqlite'}"
        first = run_crawl([str(tmp / "domains.txt")], db, options, tmp / "out1")
        after_first = {z: len(s.queries) for z, s in servers.items()}
        second = run_crawl([str(tmp / "domains.txt")], db, options, tmp / "out2")
        yield Runs(first, second, servers, after_first, db)
    finally:
        for server in servers.values():
            server.stop()


def test_the_allowed_rate_is_never_exceeded_and_nearly_reached(runs: Runs) -> None:
    paced = runs.servers["paced"]
    assert paced.log.violations == 0
    assert len(paced.queries) == 40 and all(t["state"] == "done" for t in runs.targets("paced"))
    times = [t for t, _line in paced.log.entries]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # never two at once: queries are spaced, not sent in bursts (a burst shows gaps near 0; the server
    # stamps arrivals in its own threads, so on a loaded machine a gap can look shorter than it was sent)
    assert min(gaps) >= 0.25 / RATE
    assert 0.85 * RATE <= paced.log.achieved_rate() <= RATE * 1.02


def test_a_quota_stops_that_server_and_holds_across_runs(runs: Runs) -> None:
    assert runs.queries_after_first["quota"] == 3
    assert len(runs.servers["quota"].queries) == 3  # the second run sent nothing: the count is in the database
    targets = runs.targets("quota")
    assert sum(t["state"] == "done" for t in targets) == 3
    waiting = [t for t in targets if t["state"] != "done"]
    assert len(waiting) == 3 and all("quota of 3 queries per 24 h used up" in t["note"] for t in waiting)


def test_a_server_that_keeps_refusing_is_paused_after_three(runs: Runs) -> None:
    assert runs.queries_after_first["refuses"] == 3
    notes = [t["note"] for t in runs.targets("refuses")]
    assert sum("3 refusals or failures in a row" in (n or "") for n in notes) >= 1
    assert all(t["state"] != "done" for t in runs.targets("refuses"))


def test_a_server_side_quota_exhaustion_pauses_only_that_server(runs: Runs) -> None:
    assert runs.queries_after_first["exhausted"] == 2 + 3  # two answers, then three refusals
    assert sum(t["state"] == "done" for t in runs.targets("exhausted")) == 2
    assert all(t["state"] == "done" for t in runs.targets("healthy"))  # the others went on
    assert runs.queries_after_first["healthy"] == 6


def test_a_long_retry_after_pauses_the_server_in_this_run_and_the_next(runs: Runs) -> None:
    assert runs.queries_after_first["later"] == 1 and len(runs.servers["later"].queries) == 1
    store = CrawlStore(runs.db)
    try:
        not_before = store.next_allowed(f"127.0.0.1:{runs.servers['later'].port}")
    finally:
        store.close()
    assert not_before is not None and (not_before - datetime.now(UTC)).total_seconds() > 80
    notes = [t["note"] or "" for t in runs.targets("later")]
    assert any("asked not to be queried before" in n or "asked to wait 100 s" in n for n in notes)


def test_the_second_run_only_asks_what_is_left(runs: Runs) -> None:
    for zone in ("paced", "healthy"):
        assert len(runs.servers[zone].queries) == runs.queries_after_first[zone]
    assert runs.second.targets["done"] == runs.first.targets["done"]
    assert runs.second.job == runs.first.job


def test_summary_names_each_servers_limit(runs: Runs) -> None:
    servers = runs.first.details()["servers"]
    paced = servers[f"whois {runs.servers['paced'].address}"]
    assert paced["policy"]["rate"] == RATE and paced["ok"] == 40
    quota = servers[f"whois {runs.servers['quota'].address}"]
    assert quota["policy"]["quota_per_24h"] == 3 and quota["remaining"] == 3


def test_policy_file_path(tmp_path: Path) -> None:
    from spiders.politeness import Policies

    policies = Policies()
    assert policies.for_server("whois.nic.uk:43").quota == 1000


def test_a_server_nobody_published_a_limit_for_gets_one_query_a_second_and_says_so() -> None:
    """A server outside the bundled policies and without --rate (a registrar a referral names): its
    policy's source is a text (it was the slot's descriptor, and the audit's JSON failed on it)."""
    import json

    from spiders.politeness import DEFAULT_SOURCE, Policies

    policy = Policies().for_server("whois.unlisted-registrar.example:43")
    assert policy.rate == 1.0 and policy.source == DEFAULT_SOURCE
    json.dumps({"source": policy.source})
