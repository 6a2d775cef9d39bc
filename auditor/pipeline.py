"""The main job, stage by stage through the store: import -> parse -> score -> findings -> report files.

Every stage is idempotent (the store ignores what it already has), so an audit can be re-run on
the same inputs and database and add no raw record, registration or finding twice.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import multiprocessing.util
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from auditor import __version__
from auditor.engine import PARALLEL_THRESHOLD, EngineResult, score
from auditor.evidence import excerpt
from auditor.grades import grade_all, join_graded
from auditor.importers import discover, import_file
from auditor.jsontext import compact_json
from auditor.parse import parse
from auditor.records import (
    Finding,
    ImportReport,
    NoRegistration,
    ParseFailure,
    ParseOutcome,
    RawRecord,
    RegistrationRecord,
    Source,
    utcnow,
)
from auditor.sizing import check_fits
from auditor.store import COMMIT_EVERY, PreparedRows, Store, prepare_parse_outcomes
from auditor.verify import DnsChecker, Verifier
from rules import select

SUMMARY_FORMAT_VERSION = 1
#: When several responses describe one domain, the newest wins; on a tie, the richer source.
SOURCE_PREFERENCE = {Source.CSV: 3, Source.RDAP: 2, Source.WHOIS: 1}


class Progress(Protocol):
    """What the pipeline reports while it works (the CLI draws it with rich)."""

    def stage(self, name: str, total: int | None) -> None: ...
    def advance(self, n: int = 1) -> None: ...


class _Silent:
    def stage(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


def keep_long_lived() -> None:
    """Tell Python's cyclic garbage collector that everything the audit holds so far is long-lived.

    A zone's records are millions of objects that live until the audit ends and form no cycles. Left
    in the collector's generations, every full collection walks all of them again, so each stage got
    slower the bigger the zone (unpickling 20k records' facts took 0.9 s instead of 0.2 s), and
    forked workers copied every page the collector touched. `gc.freeze()` moves them out of its
    sight; `audit_collected` gives them back (`gc.unfreeze()`) when it returns.
    """
    gc.freeze()


@dataclass
class AuditOptions:
    """Everything that changes an audit's result; hashed into the run's config_hash."""

    dns: bool = True
    resolver: str | None = None
    dns_timeout: float = 3.0
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    rule_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    now: datetime | None = None
    sample_design: dict[str, Any] | None = None  # from `auditor sample`: lets statistics weight strata
    only_domains: frozenset[str] | None = None  # audit only these (e.g. a sample's domains.txt)
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))  # processes for scoring
    #: rows per database transaction in the bulk stages: fewer loses less work to a kill, more is
    #: faster on SQLite (see store.COMMIT_EVERY); neither changes the result
    commit_every: int = COMMIT_EVERY
    #: refuse, before reading anything, inputs too large for this machine's memory (see auditor.sizing)
    memory_check: bool = True

    def to_config(self) -> dict[str, Any]:
        config = {"dns": self.dns, "resolver": self.resolver if self.dns else None, "dns_timeout": self.dns_timeout,
                  "select": list(self.select), "exclude": list(self.exclude), "rule_params": self.rule_params}
        if self.sample_design:
            config["sample_design"] = self.sample_design
        if self.only_domains is not None:
            config["only_domains"] = len(self.only_domains)
        return config


@dataclass
class CollectTotals:
    """What the collection stage (import of files, or a crawl) produced for the audit."""

    files: int = 0
    raw_records: list[RawRecord] = field(default_factory=list)
    new_raw: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    #: extra facts for summary.json under "collection" (a crawl's per-server counts, ...)
    details: dict[str, Any] = field(default_factory=dict)


#: Raw records per bulk write (the writer commits every COMMIT_EVERY rows, not per write).
RAW_BATCH = 2000


def import_inputs(store: Store, inputs: Iterable[str | Path], progress: Progress,
                  commit_every: int = COMMIT_EVERY, memory_check: bool = False) -> CollectTotals:
    """Read every input into raw records and store them (a duplicate is a no-op).

    With `memory_check`, first raise InsufficientMemoryError when the audit of these inputs would not fit
    in the memory left (see auditor.sizing), before anything is read or stored.
    """
    started = time.perf_counter()
    files, missing = discover(inputs)
    if memory_check:
        check_fits(files)
    totals = CollectTotals(files=len(files) + len(missing))
    totals.errors.extend({"input": m.path, "reason": m.error or ""} for m in missing)
    progress.stage("import", len(files))
    batch: list[RawRecord] = []
    with store.bulk_writer(commit_every) as writer:
        for path in files:
            report: ImportReport = import_file(path)
            if report.error:
                totals.errors.append({"input": report.path, "reason": report.error})
            totals.raw_records.extend(report.records)
            batch.extend(report.records)
            if len(batch) >= RAW_BATCH:  # many small files, or one export of a whole zone
                for i in range(0, len(batch), RAW_BATCH):
                    totals.new_raw += store.add_raw(batch[i : i + RAW_BATCH], writer)
                batch = []
                keep_long_lived()
            progress.advance()
        totals.new_raw += store.add_raw(batch, writer)
    totals.details["timings"] = {"import and store raw": time.perf_counter() - started}
    return totals


#: The raw records forked parse workers read, the store's dialect they prepare rows for, and on
#: PostgreSQL the URL they write through (inherited by fork: never pickled on the way in).
_PARSE_JOB: dict[str, Any] = {}
#: A parse worker's own connection to a PostgreSQL store (one per process, closed when it exits).
_WORKER_STORE: list[Store] = []
#: Raw records per parse batch: one task for a worker, one bulk write to the store.
PARSE_BATCH = 2000

_ParsedBatch = tuple[int, list[ParseOutcome], list[PreparedRows]]


def _parse_and_prepare(raws: Sequence[RawRecord], start: int, dialect: str) -> _ParsedBatch:
    """Parse a slice and build its storage rows: the pure, costly part of the parse stage."""
    outcomes = [parse(raw) for raw in raws]
    rows = prepare_parse_outcomes([(o, raw.fetched_at) for raw, o in zip(raws, outcomes, strict=True)], dialect)
    return start, outcomes, rows


def _worker_store(url: str) -> Store:
    if not _WORKER_STORE:
        _WORKER_STORE.append(Store(url))
        multiprocessing.util.Finalize(None, _WORKER_STORE[0].close, exitpriority=10)
    return _WORKER_STORE[0]


def _parse_range(bounds: tuple[int, int]) -> _ParsedBatch:
    start, outcomes, rows = _parse_and_prepare(_PARSE_JOB["raws"][bounds[0] : bounds[1]], bounds[0],
                                               _PARSE_JOB["dialect"])
    if _PARSE_JOB["write_url"]:  # PostgreSQL takes concurrent writers: each worker writes its own rows
        _worker_store(_PARSE_JOB["write_url"]).write_prepared(rows)
        rows = []
    return start, outcomes, rows


def _parsed_in_order(raws: Sequence[RawRecord], workers: int, store: Store) -> Iterator[_ParsedBatch]:
    """Parse outcomes and their storage rows in input order, in batches: in forked workers when there
    are enough records. On SQLite (one writer at a time) this process writes what the workers
    prepared; on PostgreSQL the workers write too, and only the outcomes come back."""
    step = PARSE_BATCH
    bounds = [(i, min(i + step, len(raws))) for i in range(0, len(raws), step)]
    if workers > 1 and len(raws) >= PARALLEL_THRESHOLD and "fork" in multiprocessing.get_all_start_methods():
        _PARSE_JOB.update(raws=raws, dialect=store.dialect,
                          write_url=store.url if store.dialect == "postgresql" else None)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                yield from pool.imap(_parse_range, bounds)
                pool.close()  # let the workers exit normally, closing their connections
                pool.join()
        finally:
            _PARSE_JOB.clear()
    else:
        for lo, hi in bounds:
            yield _parse_and_prepare(raws[lo:hi], lo, store.dialect)


def parse_raw(store: Store, raws: Sequence[RawRecord], progress: Progress,
              workers: int = 1, commit_every: int = COMMIT_EVERY) -> list[tuple[RawRecord, ParseOutcome]]:
    """Parse every raw record and store each outcome once per parser version.

    Parsing is pure, so with `workers` > 1 it runs in forked processes over slices; the outcomes come
    back in input order and the stored rows are the same whatever `workers` is.
    """
    progress.stage("parse", len(raws))
    outcomes: list[tuple[RawRecord, ParseOutcome]] = []
    with store.bulk_writer(commit_every) as writer:
        for start, batch, rows in _parsed_in_order(raws, workers, store):
            writer.write(rows)
            outcomes.extend(zip(raws[start : start + len(batch)], batch, strict=True))
            progress.advance(len(batch))
            keep_long_lived()
    return outcomes


def latest_per_domain(outcomes: Sequence[tuple[RawRecord, ParseOutcome]]) -> tuple[list[RegistrationRecord], int]:
    """One registration per domain: the newest fetch, then the preferred source. Returns (records, superseded)."""
    best: dict[str, tuple[tuple[datetime, int, str], RegistrationRecord]] = {}
    count = 0
    for raw, outcome in outcomes:
        if not isinstance(outcome, RegistrationRecord):
            continue
        count += 1
        key = (raw.fetched_at, SOURCE_PREFERENCE.get(outcome.source, 0), outcome.raw_sha256)
        current = best.get(outcome.domain)
        if current is None or key > current[0]:
            best[outcome.domain] = (key, outcome)
    records = [rec for _key, rec in sorted(best.values(), key=lambda item: item[1].domain)]
    return records, count - len(records)


def attach_excerpts(findings: Sequence[Finding], raws: dict[str, RawRecord]) -> list[Finding]:
    """Fill each finding's evidence with the exact raw text it rests on."""
    out = []
    for f in findings:
        raw = raws.get(f.raw_sha256)
        if raw is not None and f.evidence.excerpt is None:
            text = excerpt(raw, f.evidence.location)
            if text is not None:
                f = replace(f, evidence=replace(f.evidence, excerpt=text))
        out.append(f)
    return out


def config_hash(config: dict[str, Any]) -> str:
    """Stable hash of what shapes the result (rules, parameters, DNS)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class AuditResult:
    """What `run_audit` produced: the run id, the summary, and where the files are."""

    run_id: str
    summary: dict[str, Any]
    out_dir: Path
    findings: list[Finding]
    records: list[RegistrationRecord]


def run_audit(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    db_url: str,
    options: AuditOptions | None = None,
    progress: Progress | None = None,
) -> AuditResult:
    """Import the inputs, then audit them (see `audit_collected`)."""
    options = options or AuditOptions()
    progress = progress or _Silent()
    store = Store(db_url)
    try:
        totals = import_inputs(store, inputs, progress, options.commit_every, options.memory_check)
        return audit_collected(store, totals, out_dir, options, progress)
    finally:
        gc.unfreeze()  # import_inputs froze what it read (see keep_long_lived)
        store.close()


def audit_collected(
    store: Store,
    totals: CollectTotals,
    out_dir: str | Path,
    options: AuditOptions | None = None,
    progress: Progress | None = None,
) -> AuditResult:
    """Parse, score and write findings.jsonl, summary.json and report.html for collected raw records."""
    keep_long_lived()
    try:
        return _audit_collected(store, totals, out_dir, options, progress)
    finally:
        gc.unfreeze()


def _audit_collected(
    store: Store,
    totals: CollectTotals,
    out_dir: str | Path,
    options: AuditOptions | None,
    progress: Progress | None,
) -> AuditResult:
    options = options or AuditOptions()
    progress = progress or _Silent()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = utcnow()
    now = options.now or started
    rules = select(*options.select, exclude=options.exclude)
    config = options.to_config()
    config["rules"] = {r.id: r.version for r in rules}
    run_id = uuid.uuid4().hex[:16]
    store.start_run(run_id, started, __version__, config_hash(config), config,
                    {r.id: r.describe() for r in rules})

    timings: dict[str, float] = dict(totals.details.pop("timings", {}))
    clock = time.perf_counter()
    outcomes = parse_raw(store, totals.raw_records, progress, options.workers, options.commit_every)
    records, superseded = latest_per_domain(outcomes)
    keep_long_lived()
    timings["parse and store registrations"] = time.perf_counter() - clock
    if options.only_domains is not None:
        records = [r for r in records if r.domain in options.only_domains]

    dns_checker = DnsChecker(options.resolver, timeout=options.dns_timeout) if options.dns else None
    verify = Verifier(dns_checker)
    progress.stage("score", len(records))
    clock = time.perf_counter()
    # each slice is graded where it is scored (its records are there); the dataset rules' findings come
    # later, so the records they name are graded again below
    result: EngineResult = score(records, rules, verify, now, options.rule_params,
                                 on_record=lambda: progress.advance(), workers=options.workers,
                                 finish=lambda part, found: grade_all(part, found, verify))
    timings["score and grade"] = time.perf_counter() - clock
    clock = time.perf_counter()
    raws = {raw.sha256: raw for raw, _o in outcomes}
    findings = attach_excerpts(result.findings, raws)
    registrar_of = {r.domain: r.registrar for r in records}
    store.add_findings(run_id, findings, registrar_of)
    timings["store findings"] = time.perf_counter() - clock
    clock = time.perf_counter()
    dataset_rules = {r.id for r in rules if r.scope == "dataset"}
    graded = join_graded(result.finished, records, findings,
                         {f.domain for f in findings if f.rule_id in dataset_rules}, verify)
    timings["grade after dataset rules"] = time.perf_counter() - clock
    clock = time.perf_counter()
    store.add_grades(run_id, graded.rows, registrar_of)
    timings["store grades"] = time.perf_counter() - clock
    clock = time.perf_counter()
    summary = build_summary(run_id, started, utcnow(), store, totals, outcomes, records, superseded,
                            findings, result, rules, verify, options)
    summary["grades"] = graded.summary()
    timings["summary"] = time.perf_counter() - clock
    clock = time.perf_counter()
    store.finish_run(run_id, utcnow(), {k: v.to_dict() for k, v in result.tallies.items()}, summary)
    progress.stage("report", 4)
    from reports.html import write_report  # reports depend on auditor, not the other way round

    write_jsonl(out / "findings.jsonl", (f.to_dict() for f in findings))
    progress.advance()
    write_jsonl(out / "grades.jsonl", graded.rows)
    progress.advance()
    write_json(out / "summary.json", summary)
    progress.advance()
    write_report(out / "report.html", summary, findings, records, rules)
    progress.advance()
    timings["write files"] = time.perf_counter() - clock
    summary["timings_seconds"] = {k: round(v, 2) for k, v in timings.items()}
    write_json(out / "summary.json", summary)
    return AuditResult(run_id, summary, out, findings, records)


def build_summary(
    run_id: str,
    started: datetime,
    finished: datetime,
    store: Store,
    totals: CollectTotals,
    outcomes: Sequence[tuple[RawRecord, ParseOutcome]],
    records: Sequence[RegistrationRecord],
    superseded: int,
    findings: Sequence[Finding],
    result: EngineResult,
    rules: Sequence[Any],
    verify: Verifier,
    options: AuditOptions,
) -> dict[str, Any]:
    """summary.json: accounts for every input, every raw record and every finding."""
    status_counts: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    not_registered: list[dict[str, Any]] = []
    for raw, outcome in outcomes:
        if isinstance(outcome, RegistrationRecord):
            status_counts["registered"] += 1
        elif isinstance(outcome, NoRegistration):
            status_counts[outcome.status.value] += 1
            not_registered.append({"input": raw.origin, "domain": outcome.domain, "status": outcome.status.value,
                                   "raw_sha256": raw.sha256})
        elif isinstance(outcome, ParseFailure):
            status_counts["failed"] += 1
            failures.append({"input": raw.origin, "domain": outcome.domain or raw.query or None,
                             "raw_sha256": raw.sha256, "parser": outcome.parser, "reason": outcome.reason,
                             "excerpt": outcome.excerpt[:200]})
    by_rule: dict[str, dict[str, Any]] = {}
    for r in rules:
        tally = result.tallies[r.id]
        by_rule[r.id] = {"name": r.name, "category": r.category.value, "severity": r.severity.value,
                         "findings": tally.findings, "records_failed": tally.failed,
                         "records_evaluated": tally.evaluated, "could_not_check": tally.unchecked,
                         "errors": tally.errors}
    by_category = Counter(f.category.value for f in findings)
    by_severity = Counter(f.severity.value for f in findings)
    contacts = Counter()
    for rec in records:
        for c in rec.contacts:
            contacts["contacts"] += 1
            if c.privacy_service:
                contacts["privacy_proxy"] += 1
            if c.redacted:
                contacts["with_redacted_fields"] += 1
    dns_info: dict[str, Any] = {"enabled": options.dns}
    if verify.dns is not None:
        dns_info.update(resolver=verify.dns.description, mail_domains=verify.dns.stats)
    return {
        "format_version": SUMMARY_FORMAT_VERSION,
        "run_id": run_id,
        "tool_version": __version__,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "inputs": {
            "files": totals.files,
            "files_failed": len(totals.errors),
            "import_errors": totals.errors,
            "raw_records": len(totals.raw_records),
            "raw_records_new": totals.new_raw,
            "raw_records_already_stored": len(totals.raw_records) - totals.new_raw,
        },
        "parsing": {
            "outcomes": dict(sorted(status_counts.items())),
            "failures": failures,
            "not_registered": not_registered,
        },
        "collection": totals.details,
        "records_parsed": status_counts["registered"],
        "records_audited": len(records),
        "records_superseded": superseded,
        "records_with_findings": len({f.domain for f in findings}),
        "contacts": dict(contacts),
        "findings": {
            "total": len(findings),
            "by_category": {c: by_category.get(c, 0) for c in ("incomplete", "false", "unverifiable")},
            "by_severity": dict(sorted(by_severity.items())),
            "by_rule": by_rule,
        },
        "could_not_check": result.unchecked,
        "rule_errors": result.errors,
        "dns": dns_info,
        "store": {"raw_records": store.count("raw_record"), "registrations": store.count("registration")},
    }


def _atomic_write(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """One JSON object per line, written atomically."""

    def write(handle: Any) -> None:
        for row in rows:
            handle.write(compact_json(row) + "\n")

    _atomic_write(path, write)


def write_json(path: Path, data: Any) -> None:
    """Pretty JSON, written atomically."""
    _atomic_write(path, lambda h: h.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"))
