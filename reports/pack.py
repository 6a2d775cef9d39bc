"""Evidence packs: what a registry needs before it can act on an inaccuracy, one pack per scope.

A pack (one directory per registrar, domain or rule) holds:

* ``index.html`` (self-contained, works offline or attached to an email) and ``index.pdf``;
* ``findings.csv`` (spreadsheet formulas neutralised) and ``findings.json`` (versioned);
* ``raw/<sha256>.<ext>``: every raw response a finding rests on, byte for byte;
* ``rules.html``: each cited rule with the policy text it rests on;
* ``PERSONAL-DATA.txt``: the notice that the pack contains personal data;
* ``MANIFEST.sha256`` (``sha256sum -c``), ``manifest.json`` and, with a key, ``manifest.json.sig`` (Ed25519).

Directory and file names are hashes or fixed names, never registration data. Each pack is written
into a temporary directory and renamed into place, so a failure never leaves a half-written pack.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.domains import unicode_domain
from auditor.errors import AuditorError
from auditor.records import RawRecord, Source, registrar_label, utcnow
from auditor.store import Store
from reports.actions import deadline_for, requested_action
from reports.exports import findings_csv, findings_json
from reports.manifest import write_manifest
from reports.render import render
from rules import load_rules
from rules.policies import BY_ID as POLICIES

SCOPES = ("registrar", "domain", "rule")
PERSONAL_DATA_NOTICE = """\
This evidence pack contains personal data.

It quotes domain-registration data (names, postal addresses, email addresses, telephone numbers) as
published by a registry or exported by a registry or registrar, to document inaccuracies under the
policies cited in rules.html. Process it only for that purpose, share it only with the parties
responsible for correcting the data (registry, registrar, competent authority), keep it no longer
than the correction and any dispute require, and protect it as your data-protection obligations
(GDPR Art. 5, 32) demand. Aggregate statistics (`auditor stats`) carry no personal data and are the
right thing to publish.
"""


@dataclass
class PackOptions:
    """How packs are built."""

    scope: str = "registrar"
    pdf: bool = True
    signing_key: Path | None = None
    deadlines: Mapping[str, int] = field(default_factory=dict)
    generated_at: datetime | None = None


@dataclass
class PackInfo:
    """One pack written."""

    scope: str
    key: str
    directory: Path
    findings: int
    domains: int


def scope_id(scope: str, key: str) -> str:
    """A directory name for a scope value that is never the (attacker-controlled) value itself."""
    return f"{scope}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"


def _raw_extension(raw: RawRecord) -> str:
    return {Source.RDAP: "json", Source.CSV: "csv", Source.ESCROW: "xml"}.get(raw.source, "txt")


def resolve_run(store: Store, run: str | None) -> dict[str, Any]:
    """The run asked for (an id or a unique prefix), or the newest finished one."""
    runs = [r for r in store.runs() if r.get("finished_at")]
    if not runs:
        raise AuditorError("no finished audit run in this database; run `auditor audit` first")
    if run is None:
        return runs[0]
    matches = [r for r in runs if r["id"].startswith(run)]
    if len(matches) != 1:
        raise AuditorError(f"run {run!r} matches {len(matches)} runs; `auditor runs` lists them")
    return matches[0]


def _finding_rows(store: Store, run: dict[str, Any], generated: datetime,
                  deadlines: Mapping[str, int]) -> list[dict[str, Any]]:
    registry = load_rules()
    rows = []
    raws = store.raw_by_sha({f["raw_sha256"] for f in store.findings(run["id"]) if f["raw_sha256"]})
    for f in store.findings(run["id"]):
        rule = registry.get(f["rule_id"])
        deadline = deadline_for(f["domain"], deadlines)
        raw = raws.get(f["raw_sha256"] or "")
        evidence = f["evidence"] or {}
        rows.append({
            "domain": f["domain"], "unicode": unicode_domain(f["domain"]), "registrar": f["registrar"],
            "rule": f["rule_id"], "name": f["rule_name"], "category": f["category"], "severity": f["severity"],
            "role": f["role"], "field": f["field"], "message": f["message"], "value": evidence.get("value"),
            "location": evidence.get("location"), "excerpt": evidence.get("excerpt"), "detail": evidence.get("detail"),
            "expected": evidence.get("expected"), "raw_sha256": f["raw_sha256"],
            "raw_file": f"raw/{f['raw_sha256']}.{_raw_extension(raw)}" if raw else None,
            "fetched_at": raw.fetched_at.isoformat() if raw else None,
            "server": raw.server if raw else None, "query": raw.query if raw else None,
            "policy": ", ".join(f["policy"] or []),
            "policies": [{"id": p, "title": POLICIES[p].title if p in POLICIES else p} for p in f["policy"] or []],
            "requested_action": requested_action(f["category"], rule.doc.sections.get("Remedy") if rule else None),
            "deadline": deadline.due(generated).date().isoformat(), "deadline_days": deadline.days,
            "deadline_basis": deadline.basis, "deadline_working_days": deadline.working_days,
            "related_domains": f["related_domains"] or [], "fingerprint": f["fingerprint"],
        })
    return rows


def _group(rows: Sequence[dict[str, Any]], scope: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        key = {"registrar": registrar_label(row["registrar"]), "domain": row["domain"], "rule": row["rule"]}[scope]
        groups[key].append(row)
    return dict(sorted(groups.items()))


def build_packs(store: Store, run_id: str | None, out_dir: Path, options: PackOptions) -> list[PackInfo]:
    """Write one pack per scope value of a run under out_dir/<scope>/, plus an overview page."""
    if options.scope not in SCOPES:
        raise AuditorError(f"--by must be one of {', '.join(SCOPES)}")
    run = resolve_run(store, run_id)
    generated = options.generated_at or utcnow()
    rows = _finding_rows(store, run, generated, options.deadlines)
    grades = {g["domain"]: g for g in store.grades(run["id"])}
    raws = store.raw_by_sha({r["raw_sha256"] for r in rows if r["raw_sha256"]})
    registry = load_rules()
    base = out_dir / options.scope
    base.mkdir(parents=True, exist_ok=True)
    packs = []
    for key, group in _group(rows, options.scope).items():
        directory = base / scope_id(options.scope, key)
        _write_pack_atomically(directory, lambda tmp, key=key, group=group: _fill_pack(
            tmp, options, run, key, group, grades, raws, registry, generated))
        packs.append(PackInfo(options.scope, key, directory, len(group), len({r["domain"] for r in group})))
    overview = render("packs_overview.html", run=run, scope=options.scope, generated=generated.isoformat(),
                      packs=[{"key": p.key, "dir": p.directory.relative_to(out_dir).as_posix(), "findings": p.findings,
                              "domains": p.domains} for p in packs])
    _atomic_text(out_dir / f"{options.scope}-packs.html", overview)
    _atomic_text(out_dir / f"{options.scope}-packs.json", json.dumps(
        {"run_id": run["id"], "scope": options.scope, "packs": [
            {"key": p.key, "directory": p.directory.relative_to(out_dir).as_posix(), "findings": p.findings,
             "domains": p.domains} for p in packs]}, ensure_ascii=False, indent=2) + "\n")
    return packs


def _fill_pack(tmp: Path, options: PackOptions, run: dict[str, Any], key: str, group: list[dict[str, Any]],
               grades: dict[str, dict[str, Any]], raws: dict[str, RawRecord], registry: Mapping[str, Any],
               generated: datetime) -> None:
    (tmp / "raw").mkdir()
    shas = sorted({r["raw_sha256"] for r in group if r["raw_sha256"]})
    for sha in shas:
        raw = raws.get(sha)
        if raw is not None:
            (tmp / "raw" / f"{sha}.{_raw_extension(raw)}").write_bytes(raw.body)
    domains = []
    by_domain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in group:
        by_domain[row["domain"]].append(row)
    for domain, findings in sorted(by_domain.items()):
        raw_shas = sorted({r["raw_sha256"] for r in findings if r["raw_sha256"]})
        domains.append({
            "domain": domain, "unicode": unicode_domain(domain), "registrar": findings[0]["registrar"],
            "grade": grades.get(domain), "findings": sorted(findings, key=lambda r: (r["rule"], r["role"], r["field"])),
            "raws": [{"sha256": s, "file": f"raw/{s}.{_raw_extension(raws[s])}", "server": raws[s].server,
                      "query": raws[s].query, "fetched_at": raws[s].fetched_at.isoformat(), "url": raws[s].url,
                      "source": raws[s].source.value} for s in raw_shas if s in raws],
        })
    cited = sorted({r["rule"] for r in group})
    rules = []
    for rule_id in cited:
        rule = registry.get(rule_id)
        meta = (run.get("rules") or {}).get(rule_id, {})
        rules.append({
            "id": rule_id, "name": meta.get("name") or (rule.name if rule else ""),
            "version": meta.get("version") or (rule.version if rule else ""),
            "category": meta.get("category") or (rule.category.value if rule else ""),
            "summary": rule.doc.summary if rule else meta.get("summary", ""),
            "sections": dict(rule.doc.sections) if rule else {},
            "policies": [{"id": p, "title": POLICIES[p].title, "url": POLICIES[p].url, "excerpt": POLICIES[p].excerpt}
                         for p in (rule.policy_ids if rule else meta.get("policies", [])) if p in POLICIES],
        })
    context = {"run": run, "scope": options.scope, "key": key, "generated": generated.isoformat(),
               "domains": domains, "findings_total": len(group), "rules": rules, "tool_version": __version__}
    (tmp / "index.html").write_text(render("pack_index.html", **context), encoding="utf-8")
    (tmp / "rules.html").write_text(render("pack_rules.html", **context), encoding="utf-8")
    (tmp / "findings.csv").write_text(findings_csv(group), encoding="utf-8")
    meta = {"run_id": run["id"], "scope": options.scope, "scope_value": key, "generated_at": generated.isoformat(),
            "tool_version": __version__}
    (tmp / "findings.json").write_text(findings_json(group, meta), encoding="utf-8")
    (tmp / "PERSONAL-DATA.txt").write_text(PERSONAL_DATA_NOTICE, encoding="utf-8")
    if options.pdf:
        from weasyprint import HTML  # heavy import, only when a PDF is wanted

        HTML(filename=str(tmp / "index.html"), base_url=str(tmp)).write_pdf(str(tmp / "index.pdf"))
    write_manifest(tmp, {
        "run_id": run["id"], "tool_version": __version__, "generated_at": generated.isoformat(),
        "scope": options.scope, "scope_value": key, "config_hash": run.get("config_hash"),
        "rule_versions": {r["id"]: r["version"] for r in rules}, "signed": options.signing_key is not None,
    }, options.signing_key)


def _write_pack_atomically(directory: Path, fill: Any) -> None:
    """Fill a temporary sibling directory, then swap it into place; nothing half-written survives."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        fill(tmp)
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(directory, old)
            os.replace(tmp, directory)
            shutil.rmtree(old)
        else:
            os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
