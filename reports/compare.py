"""Re-audit: which findings a registrar fixed, which are new, which persist, between two runs.

A finding is identified across runs by (domain, rule, role, field, observed value), not by its
fingerprint: a re-crawl brings new raw bytes even when the defect is the same. A finding of the old
run whose domain the new run did not audit is "not re-checked", never "fixed".
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from auditor.records import registrar_label
from auditor.store import Store
from reports.exports import neutralise
from reports.pack import _atomic_text, resolve_run
from reports.render import render

STATES = ("fixed", "new", "persisting", "not_rechecked")


def _key(f: dict[str, Any]) -> tuple[str, str, str, str, str]:
    return (f["domain"], f["rule_id"], f["role"], f["field"], str((f["evidence"] or {}).get("value")))


def compare_runs(store: Store, old_id: str, new_id: str) -> dict[str, Any]:
    """Per registrar and in total: fixed, new, persisting and not re-checked findings."""
    old, new = resolve_run(store, old_id), resolve_run(store, new_id)
    new_domains = {g["domain"] for g in store.grades(new["id"])}
    old_findings = {_key(f): f for f in store.findings(old["id"])}
    new_findings = {_key(f): f for f in store.findings(new["id"])}
    items: list[dict[str, Any]] = []
    for key, f in old_findings.items():
        state = "persisting" if key in new_findings else ("fixed" if f["domain"] in new_domains else "not_rechecked")
        items.append(_item(state, new_findings.get(key, f)))
    for key, f in new_findings.items():
        if key not in old_findings:
            items.append(_item("new", f))
    per_registrar: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATES, 0))
    for item in items:
        per_registrar[item["registrar"]][item["state"]] += 1
    totals = dict.fromkeys(STATES, 0)
    for item in items:
        totals[item["state"]] += 1
    return {
        "format_version": 1, "old_run": old["id"], "new_run": new["id"],
        "old_started_at": str(old["started_at"]), "new_started_at": str(new["started_at"]),
        "totals": totals,
        "per_registrar": {k: per_registrar[k] for k in sorted(per_registrar)},
        "findings": sorted(items, key=lambda i: (i["registrar"], i["state"], i["domain"], i["rule"])),
    }


def _item(state: str, f: dict[str, Any]) -> dict[str, Any]:
    return {"state": state, "registrar": registrar_label(f.get("registrar")), "domain": f["domain"],
            "rule": f["rule_id"], "name": f["rule_name"], "category": f["category"], "role": f["role"],
            "field": f["field"], "value": (f["evidence"] or {}).get("value"), "message": f["message"]}


def write_comparison(comparison: dict[str, Any], out_dir: Path) -> list[Path]:
    """compare.json, compare.csv (formulas neutralised) and compare.html."""
    out_dir.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    columns = ["state", "registrar", "domain", "rule", "name", "category", "role", "field", "value", "message"]
    writer.writerow(columns)
    for item in comparison["findings"]:
        writer.writerow([neutralise(item[c]) for c in columns])
    paths = [out_dir / "compare.json", out_dir / "compare.csv", out_dir / "compare.html"]
    _atomic_text(paths[0], json.dumps(comparison, ensure_ascii=False, indent=2) + "\n")
    _atomic_text(paths[1], buf.getvalue())
    _atomic_text(paths[2], render("compare.html", c=comparison))
    return paths
