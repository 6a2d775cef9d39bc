"""`auditor demo`: the main job on the bundled synthetic ccTLD, collected by crawling it on loopback,
scored against the known answers written when the defects were planted.

The demo starts the zone's registry on 127.0.0.1: a port-43 WHOIS server answering from
``fixtures/demo/whois`` and an RDAP server answering from ``fixtures/demo/rdap`` (both in
auditor/loopback/), plus the DNS server for the mail checks. It crawls them the way `auditor crawl`
crawls a real registry (rate limits, back-off on the throttled answer, every answer kept), imports the
registrar's CSV export and the broken files beside it, and audits everything like `auditor audit`.
Nothing leaves the machine: the crawl may connect to loopback addresses only, and the registry's own
name, ``whois.nic.zz``, which its answers print as the registrar WHOIS server, is pointed at the
loopback server.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from auditor.crawl import CrawlOptions, Plan, ServerCount, audit_crawl, make_job, run_targets
from auditor.domains import looks_like_domain
from auditor.loopback.dns_server import LoopbackDnsServer, ZoneData
from auditor.loopback.rdap_server import LoopbackRdapServer
from auditor.loopback.whois_server import LoopbackWhoisServer
from auditor.pipeline import AuditOptions, AuditResult, Progress
from auditor.records import Finding, utcnow
from auditor.resources import fixtures_dir
from auditor.store import CrawlStore
from spiders.servers import RdapDirectory, Target, WhoisDirectory

#: How the demo crawls its own loopback registry: faster than the 1 query/s a real registry gets,
#: and with short back-offs, so the throttled answer costs a fraction of a second.
DEMO_TUNING: dict[str, Any] = {"rates": {"*": 40.0}, "backoff_base": 0.05, "backoff_max": 0.25, "max_attempts": 2,
                               "timeout": 5.0, "connect_timeout": 2.0, "read_timeout": 2.0,
                               "egress_networks": ("127.0.0.0/8", "::1/128")}


def demo_inputs(root: Path | None = None) -> list[Path]:
    """The demo's input directories (WHOIS text, RDAP JSON, CSV export, broken files)."""
    demo = (root or fixtures_dir()) / "demo"
    return [demo / "whois", demo / "rdap", demo / "export", demo / "broken"]


def demo_dns(root: Path | None = None) -> ZoneData:
    """The zones and named faults the demo's DNS server serves."""
    dns_dir = (root or fixtures_dir()) / "dns"
    faults = json.loads((dns_dir / "faults.json").read_text(encoding="utf-8"))
    return ZoneData.from_directory(dns_dir, faults)


def known_answers(root: Path | None = None) -> dict[str, Any]:
    """fixtures/demo/expected.json."""
    return json.loads(((root or fixtures_dir()) / "demo" / "expected.json").read_text(encoding="utf-8"))


def score_findings(findings: Iterable[Finding | dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """Recall over planted defects; every finding not planted is listed as unexpected."""
    got: set[tuple[str, str, str, str]] = set()
    for f in findings:
        d = f.to_dict() if isinstance(f, Finding) else f
        got.add((d["domain"], d["rule"], d["role"], d["field"]))
    expected: set[tuple[str, str, str, str]] = set()
    for domain, info in answers["domains"].items():
        for e in info["expected"]:
            expected.add((domain, e["rule"], e["role"], e["field"]))
    found = expected & got
    unexpected = sorted(got - expected)
    kinds = {d: info["kind"] for d, info in answers["domains"].items()}
    false_positives = [u for u in unexpected if kinds.get(u[0]) in ("clean", "redacted", "proxy")]
    return {
        "expected": len(expected), "found": len(found), "recall": len(found) / len(expected) if expected else 1.0,
        "missed": sorted(expected - got), "unexpected": unexpected, "false_positives": len(false_positives),
        "false_positive_findings": false_positives,
    }


def _domains(directory: Path, suffix: str) -> list[str]:
    return [p.name[: -len(suffix)] for p in sorted(directory.glob(f"*{suffix}")) if looks_like_domain(p.name[: -len(suffix)])]


def demo_targets(whois_server: str, rdap_url: str, root: Path | None = None) -> list[Target]:
    """One target per bundled answer: the WHOIS ones at the loopback port-43 server, the RDAP ones at the RDAP server."""
    demo = (root or fixtures_dir()) / "demo"
    whois = WhoisDirectory(overrides={"zz": whois_server})
    rdap = RdapDirectory(overrides={"zz": rdap_url})
    return ([whois.target(d) for d in _domains(demo / "whois", ".txt")]
            + [rdap.target(d) for d in _domains(demo / "rdap", ".json")])


class _CrawlStage:
    """The crawl as one stage of the demo's progress display."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.done: int | None = None

    def __call__(self, servers: list[ServerCount]) -> None:
        if self.progress is None:
            return
        done = sum(s.done for s in servers)
        if self.done is None:
            self.progress.stage("crawl", sum(s.targets for s in servers))
            self.done = 0
        if done > self.done:
            self.progress.advance(done - self.done)
            self.done = done


def run_demo(out_dir: Path, progress: Progress | None = None) -> tuple[AuditResult, dict[str, Any]]:
    """Crawl the bundled zone from loopback WHOIS and RDAP servers, import the export, audit, score."""
    out_dir.mkdir(parents=True, exist_ok=True)
    demo = fixtures_dir() / "demo"
    db_url = str(out_dir / "auditor.sqlite")
    with (LoopbackDnsServer(demo_dns()) as dns_server, LoopbackWhoisServer(demo / "whois") as whois,
          LoopbackRdapServer(demo / "rdap") as rdap):
        options = CrawlOptions(tuning={**DEMO_TUNING, "whois_aliases": {"whois.nic.zz": whois.address}})
        job = make_job(f"demo-{utcnow():%Y%m%dT%H%M%S%f}", db_url, options)
        store = CrawlStore(db_url)
        try:
            report = run_targets(store, job, Plan(demo_targets(whois.address, rdap.base_url)), out_dir, _CrawlStage(progress))
        finally:
            store.close()
        audit = AuditOptions(dns=True, resolver=dns_server.address, dns_timeout=2.0)
        result = audit_crawl(report, out_dir, audit, progress, also_import=[demo / "export", demo / "broken"])
    return result, score_findings(result.findings, known_answers())
