"""The crawler against real WHOIS (TCP port 43 protocol) and RDAP (HTTP) servers on loopback, each playing
one named fault: every fault ends as a clear outcome, nothing is lost, a refusal is never a registration.

One crawl runs against all the faulty servers at once (each server has its own zone), so the module
costs one crawl process; each test then reads one fault's result from the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from auditor.crawl import CrawlOptions, CrawlReport, run_crawl
from auditor.loopback.rdap_server import LoopbackRdapServer, Redirect
from auditor.loopback.whois_server import (
    Drop,
    Garbage,
    Hang,
    LoopbackWhoisServer,
    Oversize,
    RateLimit,
    Referral,
    Refuse,
    Trickle,
)
from auditor.parse import parse
from auditor.records import NoRegistration, ResponseStatus
from auditor.store import CrawlStore

LOOPBACK = ("127.0.0.0/8", "::1/128")
RECORD = (b"Domain Name: {d}\r\nRegistrar: Loopback Registrar Ltd\r\nCreation Date: 2020-01-02\r\n"
          b"Registrant Name: Ada Example\r\nRegistrant Email: ada@example.net\r\n")
SHIFT_JIS_RECORD = ("Domain Name: one.jp\r\nRegistrar: 株式会社テスト\r\nCreation Date: 2020-01-02\r\n"
                    "Registrant Name: 山田太郎\r\n").encode("shift_jis")
RDAP = ('{{"objectClassName": "domain", "ldhName": "{d}", "status": ["active"], '
        '"events": [{{"eventAction": "registration", "eventDate": "2020-01-02T00:00:00Z"}}], "entities": []}}')

#: Short limits so that every fault costs well under the run's few seconds.
TUNING: dict[str, Any] = {
    "rates": {"*": 50.0}, "backoff_base": 0.05, "backoff_max": 2.0, "max_attempts": 2, "give_up_after": 50,
    "timeout": 1.2, "connect_timeout": 1.0, "read_timeout": 0.4, "whois_max_bytes": 65536, "rdap_max_bytes": 65536,
    "allow_networks": LOOPBACK, "egress_networks": LOOPBACK,
}


def whois_record(domain: str) -> bytes:
    return RECORD.replace(b"{d}", domain.encode())


def rdap_record(domain: str) -> bytes:
    return RDAP.format(d=domain).encode()


@dataclass
class FaultRun:
    report: CrawlReport
    store: CrawlStore
    servers: dict[str, Any]

    def target(self, domain: str, protocol: str = "whois") -> dict[str, Any]:
        return next(t for t in self.store.targets(self.report.job) if t["domain"] == domain and t["protocol"] == protocol)

    def answers(self, domain: str, protocol: str = "whois") -> list[dict[str, Any]]:
        return [r for r in self.store.responses(self.report.job) if r["domain"] == domain and r["protocol"] == protocol]

    def raw(self, answer: dict[str, Any]) -> Any:
        return self.store.raw_by_sha([answer["sha256"]])[answer["sha256"]]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultRun]:
    tmp = tmp_path_factory.mktemp("faults")
    registrar = LoopbackWhoisServer(lambda d: whois_record(d) + b"Registrant Phone: +1.2025550100\r\n")
    rdap_registrar = LoopbackRdapServer(lambda d: rdap_record(d))
    loop_b = LoopbackWhoisServer(whois_record)
    whois = {
        "ok": LoopbackWhoisServer(whois_record),
        "hang": LoopbackWhoisServer(whois_record, fault=Hang(), hang_limit=5),
        "drop": LoopbackWhoisServer(whois_record, fault=Drop()),
        "cut": LoopbackWhoisServer(whois_record, fault=Drop(after=40)),
        "trickle": LoopbackWhoisServer(whois_record, fault=Trickle(chunk=1, interval=0.05)),
        "oversize": LoopbackWhoisServer(whois_record, fault=Oversize(size=300_000)),
        "refuse": LoopbackWhoisServer(whois_record, fault=Refuse()),
        "limit": LoopbackWhoisServer(whois_record, faults={"once.limit": RateLimit(first=1, retry_after=0)}),
        "garbage": LoopbackWhoisServer(whois_record, fault=Garbage()),
        "thin": LoopbackWhoisServer(whois_record),  # its Referral fault is set once the registrar has a port
        "loopa": LoopbackWhoisServer(whois_record),
        "private": LoopbackWhoisServer(whois_record, fault=Referral(to="10.20.30.40")),
        "slow": LoopbackWhoisServer(whois_record, fault=Trickle(chunk=4096, interval=0.3)),  # 0.3 s to answer
        "jp": LoopbackWhoisServer(lambda d: SHIFT_JIS_RECORD),
    }
    rdap = {
        "rok": LoopbackRdapServer(lambda d: rdap_record(d) if d.startswith("has") else None),
        "r429": LoopbackRdapServer(rdap_record, faults={"once.r429": RateLimit(first=1, retry_after=1)}),
        "rhang": LoopbackRdapServer(rdap_record, fault=Hang(), hang_limit=5),
        "rdrop": LoopbackRdapServer(rdap_record, fault=Drop()),
        "rgarbage": LoopbackRdapServer(rdap_record, fault=Garbage()),
        "rbig": LoopbackRdapServer(rdap_record, fault=Oversize(size=300_000)),
        "rrel": LoopbackRdapServer(rdap_record),
        "rpriv": LoopbackRdapServer(rdap_record, fault=Referral(to="http://10.20.30.40/")),
        "rmoved": LoopbackRdapServer(rdap_record),
        "rredirpriv": LoopbackRdapServer(rdap_record, fault=Redirect(to="http://10.20.30.40/")),
    }
    started = [registrar.start(), rdap_registrar.start(), loop_b.start(),
               *(s.start() for s in whois.values()), *(s.start() for s in rdap.values())]
    try:
        whois["thin"].fault = Referral(to=registrar.address)
        whois["loopa"].fault = Referral(to=loop_b.address)
        loop_b.fault = Referral(to=whois["loopa"].address)
        rdap["rrel"].fault = Referral(to=rdap_registrar.base_url)
        rdap["rmoved"].fault = Redirect(to=rdap_registrar.base_url)
        slow = ("hang", "trickle", "jp")  # one domain each: their faults cost the full timeout per try
        domains = [f"{name}.{zone}" for zone in whois for name in (("one",) if zone in slow else ("one", "two"))]
        domains += ["once.limit", "three.slow"]
        domains += ["has.rok", "missing.rok", "once.r429", "one.rhang", "one.rdrop", "one.rgarbage", "one.rbig",
                    "one.rrel", "one.rpriv", "one.rmoved", "one.rredirpriv"]
        (tmp / "domains.txt").write_text("\n".join(domains) + "\n")
        options = CrawlOptions(whois_servers={z: s.address for z, s in whois.items()},
                               rdap_urls={z: s.base_url for z, s in rdap.items()}, tuning=TUNING)
        db = f"sqlite:///{tmp / 'crawl.sqlite'}"
        report = run_crawl([str(tmp / "domains.txt")], db, options, tmp / "out")
        store = CrawlStore(db)
        yield FaultRun(report, store, {**whois, **rdap, "registrar": registrar, "rdap_registrar": rdap_registrar,
                                       "loop_b": loop_b})
        store.close()
    finally:
        for server in started:
            server.stop()


def test_every_domain_is_accounted_for(run: FaultRun) -> None:
    targets = run.store.targets(run.report.job)
    assert len(targets) == 2 * 11 + 3 + 2 + 11
    assert run.report.exit_code == 0
    assert {t["state"] for t in targets} <= {"done", "error"}
    for t in targets:
        assert t["state"] == "done" or t["note"], t  # an unfinished target always says why


def test_healthy_server_answers_are_stored_as_ok(run: FaultRun) -> None:
    assert run.target("one.ok")["state"] == "done"
    [answer] = run.answers("one.ok")
    assert answer["status"] == "ok" and run.raw(answer).body == whois_record("one.ok")
    assert sorted(run.servers["ok"].queries) == ["one.ok", "two.ok"]


@pytest.mark.parametrize(("zone", "reason", "tries"), [
    ("hang", "no data for 0.4 s", 2),
    ("drop", "connection reset after 0 bytes", 2),
    ("refuse", "connection refused", 2),
    ("trickle", "answer not complete after 1.2 s", 2),
])
def test_transport_faults_are_errors_retried_within_the_limit(run: FaultRun, zone: str, reason: str, tries: int) -> None:
    target = run.target(f"one.{zone}")
    assert target["state"] == "error" and reason in target["note"]
    answers = run.answers(f"one.{zone}")
    assert [a["attempt"] for a in answers] == list(range(1, tries + 1))
    assert all(a["status"] == "error" and reason in a["error"] for a in answers)


def test_a_cut_answer_keeps_the_bytes_that_arrived(run: FaultRun) -> None:
    answer = run.answers("one.cut")[0]
    assert answer["status"] == "error" and "connection reset after 40 bytes" in answer["error"]
    assert run.raw(answer).body == whois_record("one.cut")[:40]


def test_a_trickled_answer_keeps_what_arrived_before_the_deadline(run: FaultRun) -> None:
    body = run.raw(run.answers("one.trickle")[0]).body
    assert 0 < len(body) < len(whois_record("one.trickle"))
    assert whois_record("one.trickle").startswith(body)


def test_an_oversized_answer_is_cut_at_the_cap_and_not_asked_again(run: FaultRun) -> None:
    [answer] = run.answers("one.oversize")
    assert answer["status"] == "error" and "larger than 65536 bytes" in answer["error"]
    assert len(run.raw(answer).body) == 65536
    assert run.target("one.oversize")["state"] == "error"


def test_garbage_bytes_are_kept_as_an_error_and_not_parsed_as_a_record(run: FaultRun) -> None:
    [answer] = run.answers("one.garbage")
    assert answer["status"] == "error" and "binary data" in answer["error"]
    assert len(run.raw(answer).body) == 512
    raws = run.store.collected_raw(run.report.job)
    assert answer["sha256"] not in {r.sha256 for r in raws}  # failed attempts are reported, not audited


def test_a_rate_limit_text_is_backed_off_retried_and_never_a_registration(run: FaultRun) -> None:
    answers = run.answers("once.limit")
    assert [a["status"] for a in answers] == ["rate_limited", "ok"]
    assert run.target("once.limit")["state"] == "done"
    refusal = run.raw(answers[0])
    assert isinstance(parse(refusal), NoRegistration) and parse(refusal).status is ResponseStatus.THROTTLED
    times = [t for t, line in run.servers["limit"].log.entries if line == "once.limit"]
    assert times[1] - times[0] >= 0.05 * 0.95  # the back-off


def test_http_429_waits_for_retry_after(run: FaultRun) -> None:
    answers = run.answers("once.r429", "rdap")
    assert [a["status"] for a in answers] == ["rate_limited", "ok"]
    times = [t for t, _line in run.servers["r429"].log.entries]
    assert times[1] - times[0] >= 0.98  # Retry-After: 1
    assert run.target("once.r429", "rdap")["state"] == "done"


def test_rdap_not_found_and_found(run: FaultRun) -> None:
    assert [a["status"] for a in run.answers("has.rok", "rdap")] == ["ok"]
    assert [a["status"] for a in run.answers("missing.rok", "rdap")] == ["not_found"]
    assert run.target("missing.rok", "rdap")["state"] == "done"


@pytest.mark.parametrize(("domain", "reason", "tries"), [
    ("one.rhang", "no complete answer within the download timeout", 2),
    ("one.rdrop", "the connection", 2),
    ("one.rgarbage", "not an RDAP answer", 1),
    ("one.rbig", "larger than the size cap", 1),
])
def test_rdap_faults_are_errors(run: FaultRun, domain: str, reason: str, tries: int) -> None:
    answers = run.answers(domain, "rdap")
    assert len(answers) == tries and all(a["status"] == "error" for a in answers)
    assert reason in run.target(domain, "rdap")["note"]


def test_registrar_referral_is_followed_once(run: FaultRun) -> None:
    answers = run.answers("one.thin")
    assert [(a["hop"], a["server"], a["status"]) for a in answers] == [
        (0, run.servers["thin"].address, "ok"), (1, run.servers["registrar"].address, "ok")]
    assert run.target("one.thin")["state"] == "done"
    assert "one.thin" in run.servers["registrar"].queries


def test_referral_loop_is_detected_and_not_followed(run: FaultRun) -> None:
    a, b = run.servers["loopa"], run.servers["loop_b"]
    assert a.queries.count("one.loopa") == 1 and b.queries.count("one.loopa") == 1
    target = run.target("one.loopa")
    assert target["state"] == "done" and "referral loop" in target["note"]


def test_referral_to_a_private_address_is_refused(run: FaultRun) -> None:
    target = run.target("one.private")
    assert target["state"] == "done"
    assert "10.20.30.40" in target["note"] and "private address" in target["note"]
    assert [a["hop"] for a in run.answers("one.private")] == [0]  # nothing was sent to it


def test_rdap_related_link_is_followed_and_a_private_one_refused(run: FaultRun) -> None:
    assert [(a["hop"], a["status"]) for a in run.answers("one.rrel", "rdap")] == [(0, "ok"), (1, "ok")]
    assert run.servers["rdap_registrar"].queries.count("/domain/one.rrel") == 1
    target = run.target("one.rpriv", "rdap")
    assert target["state"] == "done" and "private address" in target["note"]


def test_rdap_redirects_are_followed_and_one_to_a_private_address_refused(run: FaultRun) -> None:
    answers = run.answers("one.rmoved", "rdap")
    assert [a["status"] for a in answers] == ["ok"]  # the answer of the server redirected to
    assert "/domain/one.rmoved" in run.servers["rdap_registrar"].queries
    target = run.target("one.rredirpriv", "rdap")
    assert "10.20.30.40" not in str(run.servers["rdap_registrar"].queries)
    assert "private address" in (target["note"] or ""), target


def test_summary_counts_answers_per_server(run: FaultRun) -> None:
    servers = run.report.details()["servers"]
    limit = servers[f"whois {run.servers['limit'].address}"]
    assert (limit["ok"], limit["rate_limited"], limit["targets"], limit["done"]) == (3, 1, 3, 3)
    hang = servers[f"whois {run.servers['hang'].address}"]
    assert (hang["error"], hang["remaining"]) == (2, 1)
    assert servers[f"whois {run.servers['registrar'].address}"]["ok"] == 2


def test_download_latency_feeds_autothrottle(run: FaultRun) -> None:
    # the server takes 0.3 s to answer; AutoThrottle (target concurrency 0.5) then leaves it idle as long
    # again, which it can only do because the handler reports the latency
    times = [t for t, _line in run.servers["slow"].log.entries]
    assert len(times) == 3
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.5


def test_charset_guess_is_recorded_with_the_bytes(run: FaultRun) -> None:
    [answer] = run.answers("one.jp")
    raw = run.raw(answer)
    assert raw.body == SHIFT_JIS_RECORD and raw.charset == "shift_jis"
    assert "山田太郎" in raw.body.decode(raw.charset)


def test_one_query_at_a_time_per_server(run: FaultRun) -> None:
    for name, server in run.servers.items():
        assert server.log.most_connections <= 1, name
