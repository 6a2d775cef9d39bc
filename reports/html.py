"""report.html for `auditor audit`: overview per rule and per registrar, then every finding.

Data first (plain dicts built here), then the template; no markup is assembled in Python.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.domains import unicode_domain
from auditor.records import Finding, RegistrationRecord, Role, registrar_label
from reports.render import render
from rules.base import Rule

CATEGORIES = ("incomplete", "false", "unverifiable")
#: report.html lists findings for at most this many domains; findings.jsonl and the packs hold all.
MAX_DOMAIN_SECTIONS = 2000


def registrar_rows(findings: Sequence[Finding], registrar_of: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """Per registrar: records, records with findings, findings per category (`registrar_of` maps every
    audited domain to its registrar)."""
    records_by: Counter[str] = Counter(registrar_label(reg) for reg in registrar_of.values())
    flagged: dict[str, set[str]] = defaultdict(set)
    per_cat: dict[str, Counter[str]] = defaultdict(Counter)
    for f in findings:
        reg = registrar_label(registrar_of.get(f.domain))
        flagged[reg].add(f.domain)
        per_cat[reg][f.category.value] += 1
    rows = []
    for reg, total in records_by.items():
        rows.append({"registrar": reg, "records": total, "flagged": len(flagged[reg]),
                     "share": len(flagged[reg]) / total if total else 0.0,
                     **{c: per_cat[reg][c] for c in CATEGORIES}})
    rows.sort(key=lambda r: (-r["flagged"], r["registrar"]))
    return rows


def rule_rows(summary: dict[str, Any], rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """Per rule: what it is, how often it fired, over how many records, how much it could not check."""
    by_rule = summary["findings"]["by_rule"]
    rows = []
    for r in rules:
        info = by_rule.get(r.id, {})
        rows.append({"id": r.id, "name": r.name, "category": r.category.value, "severity": r.severity.value,
                     "summary": r.doc.summary, "findings": info.get("findings", 0),
                     "records_failed": info.get("records_failed", 0),
                     "records_evaluated": info.get("records_evaluated", 0),
                     "could_not_check": info.get("could_not_check", 0), "policies": list(r.policy_ids)})
    return rows


def shown_domains(findings: Sequence[Finding]) -> list[str]:
    """The domains report.html has a section for: the first MAX_DOMAIN_SECTIONS with findings, in order."""
    return sorted({f.domain for f in findings})[:MAX_DOMAIN_SECTIONS]


def domain_sections(findings: Sequence[Finding], records: Sequence[RegistrationRecord]) -> list[dict[str, Any]]:
    """Findings grouped by domain, in domain order, for the shown domains (`records` holds theirs)."""
    rec_by = {r.domain: r for r in records}
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        grouped[f.domain].append(f)
    sections = []
    for domain in shown_domains(findings):
        rec = rec_by.get(domain)
        holder = rec.contact(Role.REGISTRANT) if rec else None
        sections.append({
            "holder": " / ".join(v for v in (holder.name, holder.organization) if v) if holder else None,
            "domain": domain,
            "unicode": unicode_domain(domain),
            "registrar": rec.registrar if rec else None,
            "source": rec.source.value if rec else None,
            "raw_sha256": rec.raw_sha256 if rec else None,
            "findings": [f.to_dict() for f in sorted(grouped[domain], key=lambda f: (f.rule_id, f.role, f.field))],
        })
    return sections


def bars(items: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """Data for an inline SVG bar chart (drawn by the template)."""
    peak = max((v for _k, v in items), default=0) or 1
    return {"rows": [{"label": k, "value": v, "width": round(100.0 * v / peak, 1)} for k, v in items],
            "height": 24 * len(items) + 8}


def write_report(path: Path, summary: dict[str, Any], findings: Sequence[Finding],
                 registrar_of: Mapping[str, str | None], records: Sequence[RegistrationRecord],
                 rules: Sequence[Rule]) -> None:
    """Render report.html atomically: `registrar_of` maps every audited domain to its registrar, `records`
    holds at least the registrations of the shown domains (see shown_domains)."""
    registrars = registrar_rows(findings, registrar_of)
    rule_table = rule_rows(summary, rules)
    html = render(
        "report.html",
        summary=summary,
        rules=rule_table,
        registrars=registrars,
        domains=domain_sections(findings, records),
        domains_total=len({f.domain for f in findings}),
        domains_shown=MAX_DOMAIN_SECTIONS,
        category_chart=bars([(c, summary["findings"]["by_category"].get(c, 0)) for c in CATEGORIES]),
        rule_chart=bars([(f'{r["id"]} {r["name"]}', r["findings"]) for r in rule_table if r["findings"]]),
        registrar_chart=bars([(r["registrar"], r["flagged"]) for r in registrars[:15]]),
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
