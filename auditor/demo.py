"""`auditor demo`: the main job on the bundled synthetic ccTLD, DNS served on loopback, scored
against the known answers written when the defects were planted."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from auditor.loopback.dns_server import LoopbackDnsServer, ZoneData
from auditor.pipeline import AuditOptions, AuditResult, Progress, run_audit
from auditor.records import Finding
from auditor.resources import fixtures_dir


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


def run_demo(out_dir: Path, progress: Progress | None = None) -> tuple[AuditResult, dict[str, Any]]:
    """Audit the bundled zone with DNS answered by a loopback server started here."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with LoopbackDnsServer(demo_dns()) as dns_server:
        options = AuditOptions(dns=True, resolver=dns_server.address, dns_timeout=2.0)
        result = run_audit(demo_inputs(), out_dir, str(out_dir / "auditor.sqlite"), options, progress)
    return result, score_findings(result.findings, known_answers())
