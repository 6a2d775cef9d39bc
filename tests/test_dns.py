"""Mail-domain checks against a real DNS server on loopback: MX, null MX, NXDOMAIN, SERVFAIL, timeout."""

from __future__ import annotations

import dns.zone
import pytest

from auditor.loopback.dns_server import LoopbackDnsServer, ZoneData
from auditor.verify import DnsChecker, MailDomain

ZONE = """\
$TTL 300
@ SOA ns.zz. host.zz. 1 3600 600 86400 300
@ NS ns.zz.
ns A 127.0.0.1
good MX 10 mx.good.zz.
mx.good A 192.0.2.1
nullmx MX 0 .
implicit A 192.0.2.5
implicit6 AAAA 2001:db8::5
txtonly TXT "v=spf1 -all"
"""


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    zone = dns.zone.from_text(ZONE, origin="zz.", relativize=False)
    data = ZoneData({"zz.": zone}, {"broken.zz": "servfail", "slow.zz": "timeout", "refusing.zz": "refused"})
    with LoopbackDnsServer(data) as srv:
        yield srv


@pytest.mark.parametrize(
    ("domain", "verdict"),
    [
        ("good.zz", MailDomain.ACCEPTS),
        ("implicit.zz", MailDomain.ACCEPTS),
        ("implicit6.zz", MailDomain.ACCEPTS),
        ("nullmx.zz", MailDomain.NULL_MX),
        ("txtonly.zz", MailDomain.NO_MAIL_HOST),
        ("missing.zz", MailDomain.NXDOMAIN),
        ("broken.zz", MailDomain.UNCHECKED),
        ("slow.zz", MailDomain.UNCHECKED),
        ("refusing.zz", MailDomain.UNCHECKED),
        ("not-our-zone.example", MailDomain.UNCHECKED),
    ],
)
def test_mail_domain_verdicts(server: LoopbackDnsServer, domain: str, verdict: MailDomain) -> None:
    checker = DnsChecker(server.address, timeout=0.5)
    result = checker.check(domain)
    assert result.verdict is verdict, result.detail
    assert result.detail


def test_each_distinct_domain_is_asked_once(server: LoopbackDnsServer) -> None:
    checker = DnsChecker(server.address, timeout=0.5)
    before = server.queries
    checker.prefetch(["good.zz", "good.zz", "nullmx.zz"])
    for _ in range(5):
        checker.check("good.zz")
        checker.check("nullmx.zz")
    assert server.queries - before == 2  # one MX query per domain, then the cache


def test_unreachable_resolver_is_could_not_check() -> None:
    checker = DnsChecker("127.0.0.1:9", timeout=0.3)  # discard port: nothing answers
    assert checker.check("good.zz").verdict is MailDomain.UNCHECKED


def test_rule_through_real_dns_never_turns_failure_into_a_finding(server: LoopbackDnsServer) -> None:
    """UNV002 over the loopback server: NXDOMAIN and null MX are findings; SERVFAIL and timeout are not."""
    from datetime import UTC, datetime

    from auditor.engine import score
    from auditor.records import RegistrationRecord
    from auditor.verify import Verifier
    from rules import select

    emails = {"a.zz": "x@missing.zz", "b.zz": "x@nullmx.zz", "c.zz": "x@broken.zz", "d.zz": "x@slow.zz",
              "e.zz": "x@good.zz", "f.zz": "x@txtonly.zz"}
    records = [RegistrationRecord.from_dict({"domain": d, "contacts": [{"role": "registrant", "name": "A B", "email": e}]})
               for d, e in emails.items()]
    result = score(records, select("UNV002"), Verifier(DnsChecker(server.address, timeout=0.5)), datetime.now(UTC))
    assert sorted(f.domain for f in result.findings) == ["a.zz", "b.zz", "f.zz"]
    assert result.tallies["UNV002"].unchecked == 2
    assert all(f.evidence.detail for f in result.findings)  # the DNS answer is part of the evidence
