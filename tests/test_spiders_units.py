"""The crawl's parts on their own: server selection, the SSRF guard, answer verdicts, policies and back-off,
and the store's frontier and politeness state (SQLite, and PostgreSQL when available)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditor.records import FetchStatus, RawRecord, Source, utcnow
from auditor.store import CrawlStore
from spiders.guard import AddressGuard, RefusedTargetError, forbidden_kind
from spiders.job import CrawlJob
from spiders.outcome import rdap_verdict, retry_after_seconds, text_retry_hint, whois_verdict
from spiders.politeness import Backoff, Policies, Politeness, QuotaExhaustedError, ServerPausedError
from spiders.servers import NoServerError, RdapDirectory, WhoisDirectory, split_host_port

# -- server selection -----------------------------------------------------------------------------


def test_bundled_map_gives_the_query_formats_of_the_issue() -> None:
    whois = WhoisDirectory()
    assert whois.target("müller.de".encode("idna").decode()).query == "-T dn,ace xn--mller-kva.de"
    assert whois.target("example.jp").query == "example.jp/e"
    assert whois.target("example.dk").query == "--show-handles example.dk"
    assert whois.target("example.dk").server == "whois.punktum.dk:43"
    assert whois.target("example.fr").query == "example.fr"


def test_longest_zone_and_overrides_win() -> None:
    assert WhoisDirectory().target("shop.co.ca").server == "whois.co.ca:43"
    assert WhoisDirectory().target("shop.ca").server != "whois.co.ca:43"
    whois = WhoisDirectory(overrides={"*": "10.9.9.9", "uk": "127.0.0.1:4343"})
    assert whois.target("a.co.uk").server == "127.0.0.1:4343"
    assert whois.target("a.de").server == "10.9.9.9:43"
    assert whois.target("a.de").query == "a.de"  # a server not in the map gets the plain query


def test_no_server_says_why() -> None:
    with pytest.raises(NoServerError, match="no public port-43 WHOIS"):
        WhoisDirectory().target("example.za")
    with pytest.raises(NoServerError, match="web form only"):
        WhoisDirectory().target("example.gr")
    with pytest.raises(NoServerError, match="--rdap-url"):
        RdapDirectory().target("example.zz")


def test_rdap_bootstrap_and_a_file_of_ones_own(tmp_path: Path) -> None:
    assert RdapDirectory().target("example.com").url == "https://rdap.verisign.com/com/v1/domain/example.com"
    bootstrap = {"services": [[["zz", "yy"], ["http://plain.example/", "https://secure.example/rdap/"]]]}
    (tmp_path / "dns.json").write_text(json.dumps(bootstrap))
    rdap = RdapDirectory(tmp_path / "dns.json")
    assert rdap.target("a.zz").url == "https://secure.example/rdap/domain/a.zz"  # HTTPS first
    assert rdap.target("a.zz").server == "secure.example:443"
    with pytest.raises(ValueError, match="http"):
        RdapDirectory(overrides={"*": "whois://x"})


@pytest.mark.parametrize(("spec", "expected"), [
    ("whois.x", ("whois.x", 43)), ("127.0.0.1:4343", ("127.0.0.1", 4343)), ("[::1]:43", ("::1", 43)), ("[::1]", ("::1", 43)),
])
def test_host_port(spec: str, expected: tuple[str, int]) -> None:
    assert split_host_port(spec, 43) == expected


@pytest.mark.parametrize("spec", ["", "host:port", "host:0", "host:70000", ":43"])
def test_bad_host_port(spec: str) -> None:
    with pytest.raises(ValueError):
        split_host_port(spec, 43)


# -- SSRF guard -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("100.64.1.1", "not global"), ("224.0.0.1", "multicast"),
    ("0.0.0.0", "unspecified"), ("240.0.0.1", "private"), ("::1", "loopback"), ("fe80::1", "link-local"),
    ("fd00::1", "private"), ("::ffff:10.0.0.1", "private"), ("93.184.216.34", None), ("2a00:1450:4001::1", None),
])
def test_forbidden_kinds(address: str, kind: str | None) -> None:
    assert forbidden_kind(address) == kind


def test_guard_allows_only_what_was_allowed() -> None:
    guard = AddressGuard(["127.0.0.0/8"])
    guard.check("127.0.0.5", ["127.0.0.5"])
    with pytest.raises(RefusedTargetError, match="private"):
        guard.check("internal.example", ["10.1.1.1"])
    with pytest.raises(RefusedTargetError, match="loopback"):
        AddressGuard().check("localhost", ["127.0.0.1"])


def test_sandbox_never_resolves_names_nor_leaves_its_networks() -> None:
    guard = AddressGuard(egress=["127.0.0.0/8"])
    assert asyncio.run(guard.addresses("127.0.0.1", 43, untrusted=False)) == ["127.0.0.1"]
    with pytest.raises(RefusedTargetError, match="host names are not resolved"):
        asyncio.run(guard.addresses("whois.example", 43, untrusted=False))
    with pytest.raises(RefusedTargetError, match="may only connect to 127.0.0.0/8"):
        asyncio.run(guard.addresses("192.0.2.1", 43, untrusted=False))
    with pytest.raises(RefusedTargetError, match="private address"):  # the SSRF reason comes first
        asyncio.run(guard.addresses("10.0.0.1", 43, untrusted=True))


# -- verdicts ---------------------------------------------------------------------------------------


def raw(body: bytes, source: Source = Source.WHOIS) -> RawRecord:
    return RawRecord(source, "s", "example.zz", body, utcnow())


def test_whois_verdicts() -> None:
    throttled = whois_verdict(raw(b"% Too many queries from your IP. Try again in 2 minutes.\r\n"))
    assert throttled.status is FetchStatus.RATE_LIMITED and throttled.hint == 120 and throttled.refusal
    assert whois_verdict(raw(b'No match for domain "EXAMPLE.ZZ".\r\n')).status is FetchStatus.NOT_FOUND
    record = b"Domain Name: example.zz\r\nRegistrar: R\r\nCreation Date: 2020-01-01\r\n"
    assert whois_verdict(raw(record)).status is FetchStatus.OK
    empty = whois_verdict(raw(b""))
    assert empty.status is FetchStatus.ERROR and empty.retryable
    binary = whois_verdict(raw(bytes(range(256))))
    assert binary.status is FetchStatus.ERROR and not binary.retryable


def test_rdap_verdicts() -> None:
    body = b'{"objectClassName": "domain", "ldhName": "example.zz"}'
    limited = rdap_verdict(raw(b"{}", Source.RDAP), 429, "7")
    assert limited.status is FetchStatus.RATE_LIMITED and limited.retry_after == 7
    assert rdap_verdict(raw(body, Source.RDAP), 404, None).status is FetchStatus.NOT_FOUND
    busy = rdap_verdict(raw(b"", Source.RDAP), 503, None)
    assert busy.status is FetchStatus.ERROR and busy.retryable
    assert not rdap_verdict(raw(b"", Source.RDAP), 403, None).retryable
    assert rdap_verdict(raw(body, Source.RDAP), 200, None).status is FetchStatus.OK
    assert "not an RDAP answer" in (rdap_verdict(raw(b"<html>", Source.RDAP), 200, None).error or "")


def test_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("Thu, 01 Jan 2026 12:01:30 GMT", now) == 90
    assert retry_after_seconds(None) is None and retry_after_seconds("") is None
    assert text_retry_hint("please wait 30 seconds") == 30 and text_retry_hint("try again in 1 hour") == 3600


# -- policies and back-off -------------------------------------------------------------------------


def test_published_limits_are_the_defaults() -> None:
    policies = Policies()
    uk = policies.for_server("whois.nic.uk:43")
    assert (uk.rate, uk.quota) == (5.0, 1000) and "Nominet" in uk.source
    assert policies.for_server("whois.eu:43").interval == pytest.approx(4.08)
    assert policies.for_server("whois.nic.fr:43").quota_key("whois.nic.fr:43") == "group:afnic"
    assert policies.for_server("whois.nic.re:43").quota_key("whois.nic.re:43") == "group:afnic"
    unknown = policies.for_server("whois.unknown.example:43")
    assert (unknown.rate, unknown.quota) == (1.0, None)


def test_overrides_match_host_port_then_host_then_star() -> None:
    policies = Policies(rates={"*": 2.0, "whois.eu": 0.1, "127.0.0.1:4343": 20.0}, quotas={"whois.eu": 10})
    assert policies.for_server("whois.eu:43").rate == 0.1 and policies.for_server("whois.eu:43").quota == 10
    assert policies.for_server("127.0.0.1:4343").rate == 20.0
    assert policies.for_server("127.0.0.1:4344").rate == 2.0
    with pytest.raises(ValueError):
        Policies(rates={"*": 0})


def test_backoff_doubles_up_to_the_maximum() -> None:
    assert [Backoff(1, 10).wait(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = CrawlStore(f"sqlite:///{tmp_path / 'c.sqlite'}")
    yield s
    s.close()


def test_refusals_back_off_then_pause(store: CrawlStore) -> None:
    politeness = Politeness(store, Policies(), Backoff(base=1, maximum=30, give_up_after=3))
    assert politeness.refused("s:43", None, "limit") == 1
    assert politeness.refused("s:43", None, "limit", hint=20) == 20  # the server's own hint is a floor
    assert politeness.refused("s:43", None, "limit") is None and "3 refusals" in politeness.paused["s:43"]
    with pytest.raises(ServerPausedError):
        asyncio.run(politeness.before_send("s:43"))
    assert politeness.refused("t:43", 3600, "HTTP 429") is None  # a Retry-After beyond the maximum pauses at once
    assert politeness.refused("u:43", 5, "HTTP 429") == 5
    politeness.answered("u:43")
    assert politeness.refused("u:43", None, "x") == 1  # an answer resets the streak
    not_before = store.next_allowed("t:43")
    assert not_before is not None and not_before > utcnow() + timedelta(seconds=3500)


def test_gate_spaces_queries_and_stops_at_the_quota(store: CrawlStore) -> None:
    politeness = Politeness(store, Policies(rates={"*": 20.0}, quotas={"q:43": 3}), Backoff())

    async def three() -> list[float]:
        loop = asyncio.get_running_loop()
        times = []
        for _ in range(3):
            await politeness.before_send("q:43")
            times.append(loop.time())
        return times

    times = asyncio.run(three())
    assert all(b - a >= 0.05 for a, b in zip(times, times[1:], strict=False))
    with pytest.raises(QuotaExhaustedError, match="quota of 3"):
        asyncio.run(politeness.before_send("q:43"))
    fresh = Politeness(store, Policies(rates={"*": 20.0}, quotas={"q:43": 3}), Backoff())  # a restarted crawl
    with pytest.raises(QuotaExhaustedError):
        asyncio.run(fresh.before_send("q:43"))


# -- the store's crawl state ----------------------------------------------------------------------------


def check_reservations(store: CrawlStore) -> None:
    now = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    first = store.reserve_query("a:43", 2.0, "a", 3, now)
    second = store.reserve_query("a:43", 2.0, "a", 3, now)
    assert first.send_at == now and second.send_at == now + timedelta(seconds=2)
    store.reserve_query("a:43", 2.0, "a", 3, now)
    full = store.reserve_query("a:43", 2.0, "a", 3, now)
    assert full.send_at is None and full.used == 3
    assert full.exhausted_until == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # the bucket leaves the 25-hour window
    assert store.reserve_query("a:43", 2.0, "a", 3, now + timedelta(hours=25, minutes=31)).send_at is not None
    store.push_back("a:43", now + timedelta(days=3))
    store.push_back("a:43", now)  # never brings the time forward
    assert store.next_allowed("a:43") == now + timedelta(days=3)


def check_answers(store: CrawlStore) -> None:
    target = {"domain": "x.zz", "protocol": "whois", "server": "w:43", "url": "whois://w:43/x.zz", "query": "x.zz"}
    assert store.seed_targets("job", [target]) == 1
    assert store.seed_targets("job", [{**target, "server": "v:43", "url": "whois://v:43/x.zz"}]) == 0
    [row] = store.open_targets("job", "whois")
    assert row["server"] == "v:43"  # a target not yet asked follows today's server choice
    answer = RawRecord(Source.WHOIS, "v", "x.zz", b"Domain Name: x.zz\r\n", utcnow(), status=FetchStatus.OK)
    response = {"domain": "x.zz", "protocol": "whois", "hop": 0, "attempt": 1, "server": "v:43"}
    for _ in range(2):  # the same answer settled twice (a replay) adds nothing
        store.record_answer("job", row["id"], answer, response, {"state": "done", "attempts": 1, "outcome": "ok"})
    failed = RawRecord(Source.WHOIS, "v", "x.zz", b"", utcnow(), status=FetchStatus.ERROR, error="timeout")
    store.record_answer("job", row["id"], failed, {**response, "attempt": 2}, {"state": "done"})
    assert store.count("raw_record") == 2 and len(store.responses("job")) == 2
    assert [r.sha256 for r in store.collected_raw("job")] == [answer.sha256]  # failures are reported, not audited
    assert store.open_targets("job", "whois") == []
    store.seed_targets("job", [{**target, "server": "u:43"}])
    assert store.targets("job")[0]["server"] == "v:43"  # a done target is never re-pointed


def test_store_crawl_state_sqlite(store: CrawlStore) -> None:
    check_reservations(store)
    check_answers(store)


@pytest.mark.postgres
def test_store_crawl_state_postgres(postgres_url: str) -> None:
    store = CrawlStore(postgres_url)
    try:
        check_reservations(store)
        check_answers(store)
    finally:
        store.close()


def test_job_file_round_trip_and_typos(tmp_path: Path) -> None:
    job = CrawlJob("j", "sqlite:///x", rates={"*": 2.0}, allow_networks=("127.0.0.0/8",))
    assert CrawlJob.from_json(job.write(tmp_path / "j.json").read_text()) == job
    with pytest.raises(TypeError):
        CrawlJob.from_json(json.dumps({"job": "j", "db_url": "x", "rate": 3}))


def test_start_is_lazy_fair_and_bounded_per_server(store: CrawlStore) -> None:
    from spiders.base import PER_SERVER
    from spiders.whois import WhoisSpider

    def target(name: str, server: str) -> dict[str, str]:
        return {"domain": name, "protocol": "whois", "server": server, "url": f"whois://{server}/{name}", "query": name}

    store.seed_targets("job", [target(f"a{i}.zz", "a:43") for i in range(50)] + [target(f"b{i}.zz", "b:43") for i in range(3)])
    spider = WhoisSpider(CrawlJob("job", store.url), store, Politeness(store, Policies(), Backoff()), AddressGuard())

    async def scenario() -> tuple[list[str], list[str]]:
        got: list[str] = []

        async def consume() -> None:
            async for request in spider.start():
                got.append(request.meta["attempt"].target["domain"])

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.3)
        first = list(got)
        spider.outstanding["a:43"] -= 5  # five of a's targets settled
        await asyncio.sleep(0.3)
        task.cancel()
        return first, list(got)

    first, second = asyncio.run(scenario())
    assert sum(d.startswith("a") for d in first) == PER_SERVER and sum(d.startswith("b") for d in first) == 3
    assert first[:2] == ["a0.zz", "b0.zz"]  # round-robin: b's domains are not behind a's backlog
    assert len(second) == len(first) + 5


def test_job_file_never_holds_the_database_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spiders.job import DB_URL_ENV

    job = CrawlJob("j", "postgresql://auditor:s3cret@db.example:5432/audit")
    text = job.write(tmp_path / "j.json").read_text()
    assert "s3cret" not in text and "db.example" in text
    monkeypatch.setenv(DB_URL_ENV, job.db_url)
    assert CrawlJob.from_json(text).with_db_from_env().db_url == job.db_url
