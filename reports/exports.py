"""Machine-readable exports: findings.csv with spreadsheet formulas neutralised, findings.json versioned.

Registration data is attacker-controlled: a registrant named "=HYPERLINK(...)" must not become a live
formula when a registry analyst opens the CSV in a spreadsheet (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMAT_VERSION = 1
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|")

CSV_COLUMNS = (
    "domain", "registrar", "rule", "name", "category", "severity", "role", "field", "message", "value",
    "location", "excerpt", "raw_sha256", "fetched_at", "policy", "requested_action", "deadline",
)


def neutralise(cell: Any) -> str:
    """A cell that a spreadsheet would evaluate is prefixed with an apostrophe (shown, not run)."""
    text = "" if cell is None else str(cell)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def findings_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text of finding rows (see CSV_COLUMNS), every cell neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([neutralise(row.get(col)) for col in CSV_COLUMNS])
    return buf.getvalue()


def findings_json(rows: Sequence[Mapping[str, Any]], meta: Mapping[str, Any]) -> str:
    """findings.json: {"format_version", ...meta, "findings": [...]}."""
    return json.dumps({"format_version": FORMAT_VERSION, **meta, "findings": list(rows)}, ensure_ascii=False,
                      indent=2, default=str) + "\n"
