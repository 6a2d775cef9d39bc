"""Measured quality on the labelled set (fixtures/labelled): recall per defect kind, false positives on
clean records, and never an incomplete or false finding on a redacted field or a privacy/proxy contact."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from auditor.loopback.dns_server import LoopbackDnsServer, ZoneData
from auditor.pipeline import AuditOptions, AuditResult, run_audit
from auditor.records import FieldState, Role
from tests.conftest import FIXTURES

LABELLED = FIXTURES / "labelled"


@pytest.fixture(scope="module")
def labelled_run(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    faults = json.loads((LABELLED / "dns" / "faults.json").read_text())
    out = tmp_path_factory.mktemp("labelled")
    with LoopbackDnsServer(ZoneData.from_directory(LABELLED / "dns", faults)) as dns_server:
        return run_audit([LABELLED / "whois", LABELLED / "rdap", LABELLED / "export"], out,
                         f"sqlite:///{out / 'a.sqlite'}", AuditOptions(resolver=dns_server.address, dns_timeout=2.0))


def answers() -> dict:  # type: ignore[type-arg]
    return json.loads((LABELLED / "expected.json").read_text())["domains"]


def test_labelled_set_covers_at_least_ten_countries() -> None:
    countries = set()
    for path in (LABELLED / "whois").glob("*.txt"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("Registrant Country:"):
                countries.add(line.split(":", 1)[1].strip())
    assert len(countries) >= 10


def test_recall_at_least_95_percent_per_defect_kind(labelled_run: AuditResult) -> None:
    got = {(f.domain, f.rule_id, f.role, f.field) for f in labelled_run.findings}
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for domain, info in answers().items():
        for e in info["expected"]:
            per_kind[e["rule"]][1] += 1
            per_kind[e["rule"]][0] += (domain, e["rule"], e["role"], e["field"]) in got
    assert len(per_kind) >= 20  # every rule has planted cases
    for kind, (found, planted) in per_kind.items():
        assert found / planted >= 0.95, f"{kind}: {found}/{planted}"


def test_false_positives_on_at_most_one_percent_of_clean_records(labelled_run: AuditResult) -> None:
    kinds = {d: i["kind"] for d, i in answers().items()}
    clean = [d for d, k in kinds.items() if k == "clean"]
    flagged = {f.domain for f in labelled_run.findings if kinds.get(f.domain) == "clean"}
    assert len(clean) >= 300
    assert len(flagged) / len(clean) <= 0.01, sorted(flagged)


def test_no_incomplete_or_false_finding_on_redacted_fields_or_proxies(labelled_run: AuditResult) -> None:
    kinds = {d: i["kind"] for d, i in answers().items()}
    records = {r.domain: r for r in labelled_run.records}
    for f in labelled_run.findings:
        if f.category.value not in ("incomplete", "false"):
            continue
        assert kinds[f.domain] not in ("redacted", "proxy"), f
        record = records[f.domain]
        if f.role in {r.value for r in Role} and f.field != "record":
            contact = record.contact(Role(f.role))
            assert contact is not None and contact.state(f.field) is not FieldState.REDACTED, f
            assert not contact.privacy_service, f


def test_every_finding_was_planted(labelled_run: AuditResult) -> None:
    expected = {(d, e["rule"], e["role"], e["field"]) for d, i in answers().items() for e in i["expected"]}
    unexpected = sorted({(f.domain, f.rule_id, f.role, f.field) for f in labelled_run.findings} - expected)
    assert unexpected == []


def test_labelled_set_regenerates_identically(tmp_path: Path) -> None:
    """The bundled set is exactly what auditor.synthetic writes (the known answers are not hand-edited)."""
    from auditor.synthetic import write_labelled

    write_labelled(tmp_path)
    assert json.loads((tmp_path / "labelled" / "expected.json").read_text()) == json.loads((LABELLED / "expected.json").read_text())
