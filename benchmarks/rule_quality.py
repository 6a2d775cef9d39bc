"""Measured rule quality.

    python benchmarks/rule_quality.py                 # labelled set + demo zone: recall per rule, false positives
    python benchmarks/rule_quality.py --peers [DIR]   # also audit real recordings (../shared/peer-fixtures) and list
                                                      # every finding per rule, for inspection

The labelled sets are audited exactly as `auditor audit` does, with DNS answered by the loopback server
serving their zone. Peer recordings are audited with DNS off (their mail domains are real and this
machine has no network), so UNV002 does not run there.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from auditor.loopback.dns_server import LoopbackDnsServer, ZoneData
from auditor.pipeline import AuditOptions, run_audit

ROOT = Path(__file__).resolve().parent.parent


def labelled(name: str, dns_dir: Path) -> None:
    data = ROOT / "fixtures" / name
    answers = json.loads((data / "expected.json").read_text())["domains"]
    faults = json.loads((dns_dir / "faults.json").read_text())
    with tempfile.TemporaryDirectory() as tmp, LoopbackDnsServer(ZoneData.from_directory(dns_dir, faults)) as dns:
        inputs = [p for p in (data / "whois", data / "rdap", data / "export", data / "broken") if p.exists()]
        result = run_audit(inputs, tmp, f"sqlite:///{tmp}/a.sqlite", AuditOptions(resolver=dns.address, dns_timeout=2))
    got = {(f.domain, f.rule_id, f.role, f.field) for f in result.findings}
    expected = {(d, e["rule"], e["role"], e["field"]) for d, i in answers.items() for e in i["expected"]}
    kinds = Counter(i["kind"] for i in answers.values())
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in expected:
        per[e[1]][1] += 1
        per[e[1]][0] += e in got
    clean_flagged = {f.domain for f in result.findings if answers.get(f.domain, {}).get("kind") == "clean"}
    protected = [f for f in result.findings if answers.get(f.domain, {}).get("kind") in ("redacted", "proxy")
                 and f.category.value in ("incomplete", "false")]
    print(f"\n== {name}: {len(answers)} registrations {dict(kinds)}")
    print(f"{'rule':8} {'found':>6} {'planted':>8} {'recall':>7}")
    for rule_id in sorted(per):
        found, planted = per[rule_id]
        print(f"{rule_id:8} {found:6} {planted:8} {found / planted:7.1%}")
    print(f"findings not planted: {len(got - expected)}; clean records with a finding: {len(clean_flagged)} of "
          f"{kinds['clean']} ({len(clean_flagged) / max(kinds['clean'], 1):.2%}); incomplete/false findings on "
          f"redacted or proxy records: {len(protected)}")


def peers(directory: Path) -> None:
    inputs = [directory / "richardpenman-whois" / "samples" / "whois", directory / "likexian-whois-parser" / "testdata" / "noterror",
              directory / "io-developer-php-whois" / "tld", directory / "mboot-whoisdomain" / "testdata",
              directory / "weppos-whois-parser" / "responses"]
    inputs = [p for p in inputs if p.exists()]
    with tempfile.TemporaryDirectory() as tmp:
        result = run_audit(inputs, tmp, f"sqlite:///{tmp}/a.sqlite", AuditOptions(dns=False))
    s = result.summary
    print(f"\n== peer recordings: {s['inputs']['raw_records']} responses, {s['records_audited']} registrations audited")
    by_rule: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for f in result.findings:
        by_rule[f.rule_id].append(f)
    for rule_id in sorted(by_rule):
        print(f"\n{rule_id} ({len(by_rule[rule_id])} findings)")
        for f in by_rule[rule_id]:
            print(f"   {f.domain:34} {f.role}.{f.field}: {f.evidence.value!r}  -- {f.message[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peers", nargs="?", const=str(ROOT.parent / "shared" / "peer-fixtures"), default=None)
    args = parser.parse_args()
    labelled("labelled", ROOT / "fixtures" / "labelled" / "dns")
    labelled("demo", ROOT / "fixtures" / "dns")
    if args.peers:
        peers(Path(args.peers))


if __name__ == "__main__":
    main()
