"""Statistics for researchers: aggregates only, small cells suppressed, no personal data by construction.

Every number is a count of records (or of contact modes) with its denominator and a Wilson 95 %
interval. Nothing below the group level leaves this module: no domain, no contact value, no
registrar or country with fewer than k records (default 10), which are merged into "other". Counts
between 1 and k-1 are suppressed, and so is a second cell wherever one hidden cell could be recovered by
subtraction from a published total. When the run audited a sample, the headline proportions are
weighted by stratum (auditor.sampling) and say so.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.grades import MODES, NORC_LABELS, wilson_interval
from auditor.records import RegistrationRecord, Role, registrar_label
from auditor.sampling import stratified_estimate
from auditor.store import Store
from reports.html import bars
from reports.pack import _atomic_text, resolve_run
from reports.render import render

DEFAULT_K = 10
CATEGORIES = ("incomplete", "false", "unverifiable")
OTHER = "other (groups of fewer than k records)"


def cell(count: int, total: int, k: int) -> dict[str, Any]:
    """A proportion with its interval, or a suppressed cell."""
    if total < k or 0 < count < k:
        return {"suppressed": True, "reason": f"fewer than {k} records"}
    ci = wilson_interval(count, total)
    return {"count": count, "total": total, "rate": round(count / total, 4) if total else None,
            "ci95": [round(ci[0], 4), round(ci[1], 4)] if ci else None}


def suppress_complement(rows: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """Secondary suppression: in a table whose rows add up to a published total, one hidden cell could be
    recovered by subtraction, so hide the smallest visible cell too."""
    hidden = [r for r in rows if r.get("suppressed")]
    visible = [r for r in rows if not r.get("suppressed") and r.get("count")]
    if len(hidden) == 1 and visible:
        smallest = min(visible, key=lambda r: r["count"])
        for key in ("count", "total", "rate", "ci95"):
            smallest.pop(key, None)
        smallest.update(suppressed=True, reason=f"hidden so that a cell of fewer than {k} cannot be derived")
    return rows


def _grouped(counts: Mapping[str, tuple[int, int]], k: int) -> list[dict[str, Any]]:
    """Rows per group; groups with fewer than k records are pooled into one "other" row."""
    rows, other_hits, other_total = [], 0, 0
    for group, (hits, total) in sorted(counts.items(), key=lambda kv: (-kv[1][1], kv[0])):
        if total < k:
            other_hits += hits
            other_total += total
            continue
        rows.append({"group": group, **cell(hits, total, k)})
    if other_total:
        rows.append({"group": OTHER, **cell(other_hits, other_total, k)})
    return suppress_complement(rows, k)


def _latest(registrations: Iterable[tuple[RegistrationRecord, Any]]) -> dict[str, RegistrationRecord]:
    best: dict[str, tuple[Any, RegistrationRecord]] = {}
    for record, fetched in registrations:
        key = (fetched.isoformat() if fetched else "", record.raw_sha256)
        if record.domain not in best or key > best[record.domain][0]:
            best[record.domain] = (key, record)
    return {d: r for d, (_k, r) in best.items()}


def build_statistics(store: Store, run_id: str | None, k: int = DEFAULT_K) -> dict[str, Any]:
    """All statistics of one run (and the trend over every finished run), as plain data."""
    run = resolve_run(store, run_id)
    grades = store.grades(run["id"])
    audited = {g["domain"] for g in grades}
    findings = store.findings(run["id"])
    records = _latest(store.registrations(audited))
    n = len(audited)
    flagged = {f["domain"] for f in findings}
    by_category: dict[str, set[str]] = defaultdict(set)
    by_rule: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        by_category[f["category"]].add(f["domain"])
        by_rule[f["rule_id"]].add(f["domain"])
    registrar_of = {g["domain"]: registrar_label(g.get("registrar")) for g in grades}
    country_of = {}
    for domain in audited:
        rec = records.get(domain)
        holder = rec.contact(Role.REGISTRANT) if rec else None
        country = holder.country if holder and holder.country and len(holder.country) == 2 else None
        country_of[domain] = country or "(unknown or withheld)"

    def per_group(mapping: Mapping[str, str]) -> list[dict[str, Any]]:
        totals = Counter(mapping[d] for d in audited)
        hits = Counter(mapping[d] for d in flagged if d in mapping)
        return _grouped({g: (hits[g], totals[g]) for g in totals}, k)

    rules_meta = run.get("rules") or {}
    tallies = run.get("tallies") or {}
    rule_rows = []
    for rule_id in sorted(rules_meta):
        evaluated = (tallies.get(rule_id) or {}).get("evaluated", n) if rules_meta[rule_id].get("scope") == "record" else n
        rule_rows.append({"group": rule_id, "name": rules_meta[rule_id].get("name"),
                          "category": rules_meta[rule_id].get("category"),
                          **cell(len(by_rule.get(rule_id, ())), min(evaluated, n) or n, k)})
    norc = Counter(g["norc"] for g in grades)
    assessable = n - norc.get("unassessable", 0)
    norc_rows = suppress_complement([{"group": label, **cell(norc.get(label, 0), assessable, k)}
                                     for label in NORC_LABELS if label != "unassessable"], k)
    norc_rows.append({"group": "unassessable", **cell(norc.get("unassessable", 0), n, k)})
    ars = _ars(grades, k)
    stats: dict[str, Any] = {
        "format_version": 1,
        "run_id": run["id"],
        "run_started_at": str(run["started_at"]),
        "small_cell_threshold": k,
        "note": "Aggregates only: no domain names or contact data. Cells with 1 to k-1 records are suppressed; "
                "registrars and countries with fewer than k records are pooled. Intervals: Wilson 95 %.",
        "records_audited": n,
        "records_with_findings": cell(len(flagged), n, k),
        "by_category": [{"group": c, **cell(len(by_category.get(c, ())), n, k)} for c in CATEGORIES],
        "by_rule": rule_rows,
        "by_registrar": per_group(registrar_of),
        "by_registrant_country": per_group(country_of),
        "norc": norc_rows,
        "ars": ars,
        "over_time": _trend(store, k),
    }
    design = (run.get("config") or {}).get("sample_design")
    if design:
        stats["sample"] = _weighted(design, registrar_of, flagged, by_category, audited)
    return stats


def _ars(grades: Sequence[Mapping[str, Any]], k: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for role in (Role.REGISTRANT.value, Role.ADMINISTRATIVE.value, Role.TECHNICAL.value):
        for mode in MODES:
            for test in ("syntax", "operability"):
                c = Counter(((g.get("modes") or {}).get(role) or {}).get(mode, {}).get(test) for g in grades)
                c.pop(None, None)
                assessed = c["pass"] + c["fail"]
                out.setdefault(role, {}).setdefault(mode, {})[test] = {
                    **cell(c["pass"], assessed, k), "not_assessable": c["not_assessable"], "unknown": c["unknown"]}
    return out


def _trend(store: Store, k: int) -> list[dict[str, Any]]:
    rows = []
    for run in sorted((r for r in store.runs() if r.get("finished_at")), key=lambda r: str(r["started_at"])):
        summary = run.get("summary") or {}
        n = summary.get("records_audited") or 0
        hits = summary.get("records_with_findings") or 0
        row = {"group": f"{str(run['started_at'])[:16]} ({run['id'][:8]})", "run_id": run["id"],
               "date": str(run["started_at"])[:10], **cell(hits, n, k)}
        rows.append(row)
    return rows


def _weighted(design: Mapping[str, Any], registrar_of: Mapping[str, str], flagged: set[str],
              by_category: Mapping[str, set[str]], audited: set[str]) -> dict[str, Any]:
    key = design.get("stratify")
    stratum_of = {d: (registrar_of[d] if key == "registrar" else (d.rsplit(".", 1)[-1] if key == "tld" else "all"))
                  for d in audited}

    def estimate(hits_set: set[str]) -> dict[str, Any] | None:
        strata: dict[str, dict[str, int]] = defaultdict(lambda: {"hits": 0, "audited": 0})
        for d in audited:
            strata[stratum_of[d]]["audited"] += 1
            strata[stratum_of[d]]["hits"] += d in hits_set
        return stratified_estimate(strata, design)

    return {
        "statement": f"Estimated from a {design.get('method', 'random sample')} of {design.get('sample_size')} of "
                     f"{design.get('population')} registrations (designed for ±{design.get('margin')} at "
                     f"{design.get('confidence')} confidence; seed {design.get('seed')}).",
        "records_with_findings": estimate(flagged),
        "by_category": {c: estimate(set(by_category.get(c, ()))) for c in CATEGORIES},
    }


def statistics_csv(stats: Mapping[str, Any]) -> str:
    """One row per cell: section, group, measure, count, total, rate, interval, suppressed."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["section", "group", "measure", "count", "total", "rate", "ci95_low", "ci95_high", "suppressed"])

    def row(section: str, group: str, measure: str, c: Mapping[str, Any]) -> None:
        ci = c.get("ci95") or [None, None]
        writer.writerow([section, group, measure, c.get("count"), c.get("total"), c.get("rate"), ci[0], ci[1],
                         "yes" if c.get("suppressed") else ""])

    row("overall", "all", "records with findings", stats["records_with_findings"])
    for section in ("by_category", "by_rule", "by_registrar", "by_registrant_country", "norc"):
        for c in stats[section]:
            row(section, c["group"], "records", c)
    for role, modes in stats["ars"].items():
        for mode, tests in modes.items():
            for test, c in tests.items():
                row("ars", f"{role}.{mode}", f"{test} pass", c)
    for c in stats["over_time"]:
        row("over_time", f"{c['date']} {c['run_id']}", "records with findings", c)
    return buf.getvalue()


def _chart(rows: Sequence[Mapping[str, Any]], label: str = "group") -> dict[str, Any]:
    return bars([(str(r[label]), r["count"]) for r in rows if not r.get("suppressed") and r.get("count")])


def write_statistics(stats: Mapping[str, Any], out_dir: Path) -> list[Path]:
    """statistics.json, statistics.csv and statistics.html (charts inline, no scripts)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    trend = [r for r in stats["over_time"] if not r.get("suppressed")]
    points = []
    if trend:
        width, height = 860, 160
        for i, r in enumerate(trend):
            x = 40 + (width - 60) * (i / max(len(trend) - 1, 1))
            y = height - 20 - (height - 40) * (r["rate"] or 0)
            points.append({"x": round(x, 1), "y": round(y, 1), "label": r["date"], "rate": r["rate"]})
    html = render("statistics.html", stats=stats, points=points,
                  category_chart=_chart(stats["by_category"]), rule_chart=_chart(stats["by_rule"]),
                  registrar_chart=_chart(stats["by_registrar"]), country_chart=_chart(stats["by_registrant_country"]),
                  norc_chart=_chart(stats["norc"]))
    paths = [out_dir / "statistics.json", out_dir / "statistics.csv", out_dir / "statistics.html"]
    _atomic_text(paths[0], json.dumps(stats, ensure_ascii=False, indent=2, default=str) + "\n")
    _atomic_text(paths[1], statistics_csv(stats))
    _atomic_text(paths[2], html)
    return paths
