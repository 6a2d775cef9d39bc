"""The main job on the bundled ccTLD: every planted defect found, nothing on clean, redacted or proxy
records, every input accounted for, registration data escaped in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.demo import known_answers, score_findings
from auditor.pipeline import AuditOptions, AuditResult, run_audit
from tests.conftest import FIXTURES

CONTRACT_KEYS = {"domain", "rule", "category", "severity", "role", "field", "message", "evidence"}
ROLES = {"registrant", "administrative", "technical", "billing", "registrar", "record"}
FIELDS = {"name", "organization", "email", "phone", "fax", "street", "city", "postcode", "region", "country", "record"}


def test_every_planted_defect_is_found(demo_run: AuditResult) -> None:
    score = score_findings(demo_run.findings, known_answers(FIXTURES))
    assert score["missed"] == []
    assert score["recall"] == 1.0


def test_no_finding_on_clean_redacted_or_proxy_records(demo_run: AuditResult) -> None:
    answers = known_answers(FIXTURES)["domains"]
    for f in demo_run.findings:
        kind = answers[f.domain]["kind"]
        assert kind == "defect", f"{f.rule_id} on a {kind} record {f.domain}: {f.message}"
        assert f.category.value in ("incomplete", "false", "unverifiable")


def test_findings_jsonl_follows_the_contract(demo_run: AuditResult) -> None:
    lines = (demo_run.out_dir / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(demo_run.findings) > 0
    for line in lines:
        row = json.loads(line)
        assert CONTRACT_KEYS <= row.keys()
        assert row["category"] in ("incomplete", "false", "unverifiable")
        assert row["role"] in ROLES and row["field"] in FIELDS
        assert "value" in row["evidence"] and row["evidence"]["raw_sha256"]
        if row["field"] != "record":
            assert row["evidence"].get("location"), row


def test_evidence_points_into_the_raw_response(demo_run: AuditResult) -> None:
    by_rule = {}
    for f in demo_run.findings:
        by_rule.setdefault(f.rule_id, f)
    fal002 = by_rule["FAL002"]
    assert fal002.evidence.value and fal002.evidence.excerpt and fal002.evidence.value in fal002.evidence.excerpt


def test_summary_accounts_for_every_input(demo_run: AuditResult) -> None:
    s = demo_run.summary
    demo_files = [p for p in (FIXTURES / "demo").rglob("*") if p.is_file() and p.name != "expected.json"]
    assert s["inputs"]["files"] == len(demo_files)
    outcomes = s["parsing"]["outcomes"]
    assert sum(outcomes.values()) == s["inputs"]["raw_records"]
    assert outcomes["available"] == 1 and outcomes["throttled"] == 1
    failed_inputs = {Path(f["input"]).name for f in s["parsing"]["failures"]}
    assert failed_inputs == {Path(p).name for p in known_answers(FIXTURES)["parse_failures"]}
    assert all(f["reason"] for f in s["parsing"]["failures"])
    assert s["records_audited"] == len(known_answers(FIXTURES)["domains"])
    totals = s["findings"]
    assert sum(totals["by_category"].values()) == totals["total"] == len(demo_run.findings)
    assert sum(r["findings"] for r in totals["by_rule"].values()) == totals["total"]


def test_dns_failure_is_could_not_check_not_a_finding(demo_run: AuditResult) -> None:
    assert demo_run.summary["could_not_check"].get("UNV002")
    assert not any(f.domain.startswith("") and "dns-broken" in (f.evidence.value or "") for f in demo_run.findings)


def test_registrant_script_name_is_escaped(tmp_path: Path) -> None:
    attack = "<script>alert(1)</script>"
    whois = (f"Domain Name: xss.zz\nCreation Date: 2020-01-01\nRegistrar: <b>Evil</b> Registrar\n"
             f"Registrant Name: {attack}\nRegistrant Email: noemail@gmail.com\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "xss.zz.txt").write_text(whois)
    result = run_audit([tmp_path / "in"], tmp_path / "out", f"sqlite:///{tmp_path / 'db.sqlite'}", AuditOptions(dns=False))
    html = (result.out_dir / "report.html").read_text(encoding="utf-8")
    assert attack not in html and "<b>Evil</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_cli_audit_parse_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = FIXTURES / "demo"
    assert main(["audit", str(demo / "rdap"), "--out", str(tmp_path / "out"), "--db", str(tmp_path / "a.sqlite"),
                 "--no-dns", "--quiet"]) == 0
    assert (tmp_path / "out" / "summary.json").exists() and (tmp_path / "out" / "report.html").exists()
    capsys.readouterr()
    some_file = sorted((demo / "whois").glob("*.txt"))[0]
    assert main(["parse", str(some_file)]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert parsed["domain"] and parsed["contacts"]
    assert main(["rules"]) == 0
    assert "placeholder-name" in capsys.readouterr().out
    assert main(["rule", "FAL003"]) == 0
    text = capsys.readouterr().out
    assert "Why it matters" in text and "+49.0000" in text and "GAO-06-165" in text
    assert main(["rule", "NOPE01"]) == 2


def test_cli_demo(tmp_path: Path) -> None:
    assert main(["demo", "--out", str(tmp_path / "demo"), "--quiet"]) == 0
    assert (tmp_path / "demo" / "report.html").exists()


def test_summary_counts_the_audited_records_contacts(demo_run: AuditResult) -> None:
    """summary.json's contact counts (made where the shares grade) equal a count over the audited records
    read back from the store, and the demo has privacy/proxy and redacted contacts to count."""
    contacts = [c for record in demo_run.records for c in record.contacts]
    expected = {"contacts": len(contacts), "privacy_proxy": sum(1 for c in contacts if c.privacy_service),
                "with_redacted_fields": sum(1 for c in contacts if c.redacted)}
    assert expected["privacy_proxy"] and expected["with_redacted_fields"]
    assert demo_run.summary["contacts"] == expected
    assert list(demo_run.summary["contacts"]) == ["contacts", "privacy_proxy", "with_redacted_fields"]
