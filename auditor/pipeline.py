"""The main job, stage by stage through the store: import -> parse -> score -> findings -> report files.

Every stage is idempotent (the store ignores what it already has), so an audit can be re-run on
the same inputs and database and add no raw record, registration or finding twice.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from auditor import __version__
from auditor.engine import PARALLEL_THRESHOLD, EngineResult, ScoreSetup, score_shares
from auditor.evidence import excerpt
from auditor.grades import GradeLines, GradeTally, grade_all
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
from auditor.shares import Share, ShareJob, Shares, task
from auditor.sizing import check_fits
from auditor.store import (
    COMMIT_EVERY,
    BackgroundWriter,
    PreparedRows,
    Store,
    prepare_grade_rows,
    prepare_parse_outcomes,
    prepare_raw,
)
from auditor.verify import DnsChecker, Verifier
from rules import select

SUMMARY_FORMAT_VERSION = 1
#: When several responses describe one domain, the newest wins; on a tie, the richer source.
SOURCE_PREFERENCE = {Source.ESCROW: 4, Source.CSV: 3, Source.RDAP: 2, Source.WHOIS: 1}


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


@contextmanager
def audit_gc() -> Iterator[None]:
    """Turn Python's cyclic garbage collector off while the block runs (forked workers inherit this);
    turn it back on afterwards if it was on.

    An audit allocates millions of objects that reference counting frees and that form no cycles: in
    a 200k audit the collector ran 31 young-generation passes (at a threshold of 100,000) that found
    nothing to collect and cost 2.4 s; at Python's default thresholds its passes took 14 % of the
    audit's time. The few cycles a run makes (567 objects after a whole 50k audit: connections, the
    report's templates) wait until it ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
    #: False when the raw records were read but not stored yet: the audit stores them as it parses them
    raws_stored: bool = True
    errors: list[dict[str, str]] = field(default_factory=list)
    #: what an input's importer noted beside its records (an export's columns it does not read, ...)
    notes: list[dict[str, str]] = field(default_factory=list)
    #: extra facts for summary.json under "collection" (a crawl's per-server counts, ...)
    details: dict[str, Any] = field(default_factory=dict)


#: Raw records per bulk write (the writer commits every COMMIT_EVERY rows, not per write).
RAW_BATCH = 2000


def import_inputs(store: Store, inputs: Iterable[str | Path], progress: Progress,
                  commit_every: int = COMMIT_EVERY, memory_check: bool = False,
                  store_raw: bool = True) -> CollectTotals:
    """Read every input into raw records and store them (a duplicate is a no-op).

    With `memory_check`, first raise InsufficientMemoryError when the audit of these inputs would not fit
    in the memory left (see auditor.sizing), before anything is read or stored. Without `store_raw`,
    only read: the audit then stores each raw record beside its parse outcome, while the shares parse
    (see `parse_raw`), instead of in a stage of its own that keeps one core busy and the others idle.
    """
    started = time.perf_counter()
    files, missing = discover(inputs)
    if memory_check:
        check_fits(files)
    totals = CollectTotals(files=len(files) + len(missing), raws_stored=store_raw)
    totals.errors.extend({"input": m.path, "reason": m.error or ""} for m in missing)
    progress.stage("import", len(files))
    batch: list[RawRecord] = []
    with store.bulk_writer(commit_every) as writer:
        for path in files:
            report: ImportReport = import_file(path)
            if report.error:
                totals.errors.append({"input": report.path, "reason": report.error})
            totals.notes.extend({"input": report.path, "note": note} for note in report.notes)
            totals.raw_records.extend(report.records)
            batch.extend(report.records)
            if len(batch) >= RAW_BATCH:  # many small files, or one export of a whole zone
                if store_raw:
                    for i in range(0, len(batch), RAW_BATCH):
                        totals.new_raw += store.add_raw(batch[i : i + RAW_BATCH], writer)
                batch = []
                keep_long_lived()
            progress.advance()
        if store_raw:
            totals.new_raw += store.add_raw(batch, writer)
    label = "import and store raw" if store_raw else "read inputs"
    totals.details["timings"] = {label: time.perf_counter() - started}
    return totals


#: Raw records per parse batch: one message back from a share, one bulk write to the store.
PARSE_BATCH = 2000


class Registered(NamedTuple):
    """What this process keeps of a parsed registration; the record itself stays in its share (see
    auditor.shares), which scores it. A named tuple: a zone's worth crosses the pipes from the parse
    workers, and it pickles in 1.7 us and unpickles in 1.1 us where a frozen dataclass took 2.9 and
    2.8 us."""

    domain: str
    source: Source
    raw_sha256: str
    parser: str
    registrar: str | None


#: A parse outcome as this process keeps it: a registration's summary, or the outcome itself.
Outcome = Registered | NoRegistration | ParseFailure


def _kept_here(outcome: ParseOutcome) -> Outcome:
    if isinstance(outcome, RegistrationRecord):
        return Registered(outcome.domain, outcome.source, outcome.raw_sha256, outcome.parser, outcome.registrar)
    return outcome


@dataclass(frozen=True)
class ParseSetup:
    """What the parse task needs (in `ShareJob.context["parse"]`): the store's dialect to prepare rows
    for and, on PostgreSQL, its URL: a worker then writes its own rows (PostgreSQL takes concurrent
    writers; on SQLite this process writes them all), and whether the raw records still need storing
    (the share then prepares their rows too, and this process writes them, ahead of the batch's own)."""

    dialect: str
    write_url: str | None = None
    store_raw: bool = False


@task("parse")
def _parse_task(share: Share) -> Iterator[tuple[str, Any]]:
    """Parse the share's raw records, keep the outcomes, and send back for each batch its first index,
    what this process keeps of each outcome, the raw records' rows when they still need storing, and
    the outcomes' rows (none when written here)."""
    setup: ParseSetup = share.job.context["parse"]
    raws = share.job.raws
    for lo in range(share.lo, share.hi, PARSE_BATCH):
        batch = raws[lo : min(lo + PARSE_BATCH, share.hi)]
        outcomes = [parse(raw) for raw in batch]
        share.outcomes.extend(outcomes)
        raw_rows = [prepare_raw(batch, setup.dialect)] if setup.store_raw else []
        rows = prepare_parse_outcomes([(o, raw.fetched_at) for raw, o in zip(batch, outcomes, strict=True)],
                                      setup.dialect)
        if setup.write_url and share.in_worker:
            _share_store(share, setup.write_url).write_prepared(rows)
            rows = []
        yield "batch", (lo, [_kept_here(o) for o in outcomes], raw_rows, rows)
        if share.in_worker:
            gc.freeze()  # the outcomes live as long as the worker (see keep_long_lived)


def _share_store(share: Share, url: str) -> Store:
    """A worker's own connection to a PostgreSQL store, closed when the worker stops."""
    store = share.state.get("store")
    if store is None:
        store = share.state["store"] = Store(url)
        share.state["close"] = store.close
    return store


#: The keys of summary.json's "contacts", in the order it gives them (counts of zero are left out).
CONTACT_COUNTS = ("contacts", "privacy_proxy", "with_redacted_fields")


def count_contacts(records: Iterable[RegistrationRecord]) -> Counter[str]:
    """How many contacts the records have, run by privacy/proxy services, with redacted fields.

    Counted slice by slice where the shares grade what they have just scored (the `finish` callback of
    `_audit_collected`): a pass of its own over a zone's records after scoring took 1.4 s at 1M, most
    of it waiting on memory that had gone cold.
    """
    counts: Counter[str] = Counter()
    for record in records:
        for contact in record.contacts:
            counts["contacts"] += 1
            if contact.privacy_service:
                counts["privacy_proxy"] += 1
            if contact.redacted:
                counts["with_redacted_fields"] += 1
    return counts


class FinishedSlice(NamedTuple):
    """What a share makes of a slice of records once it has scored them (see engine.SliceFinisher): their
    grades as lines of grades.jsonl and as record_grade rows, the grades' counts, and the contacts'."""

    lines: list[str]
    rows: PreparedRows
    tally: GradeTally
    contacts: Counter[str]


def finish_slice(records: Sequence[RegistrationRecord], findings: Sequence[Finding], verify: Verifier, run_id: str,
                 dialect: str) -> FinishedSlice:
    """Grade a slice of records where it was scored, and prepare what this process writes of the grades:
    it writes them while the shares score on (a million grade rows had been graded, sent, joined,
    prepared and written only after scoring, on one core)."""
    graded = grade_all(records, findings, verify)
    return FinishedSlice([compact_json(row) for row in graded.rows],
                         prepare_grade_rows(run_id, graded.rows, [r.registrar for r in records], dialect),
                         graded.tally, count_contacts(records))


#: The BackgroundWriter tag of the raw records' rows written while parsing (see `parse_raw`).
RAW_TAG = "raw"


def parse_raw(writer: BackgroundWriter, shares: Shares, progress: Progress) -> list[tuple[RawRecord, Outcome]]:
    """Parse every raw record of the shares' job where it lies, store each outcome once per parser
    version through `writer`, and return what this process keeps of each, in input order. When the
    job's `ParseSetup.store_raw` asks for it, the raw records are stored too, and once the writer is
    left `writer.added_by(RAW_TAG)` counts those that were new.

    The stored rows are the same however many shares there are; on SQLite this process writes them
    as the batches arrive, on PostgreSQL forked shares write their own outcomes' rows. A batch's raw
    records are written before its outcomes, so no outcome is ever stored without its raw record.
    The writes run in the writer's thread: receiving goes on while SQLite inserts and commits, and
    the caller may leave the writer (its last commit) after scoring, which needs none of it.
    """
    raws = shares.job.raws
    progress.stage("parse", len(raws))
    kept: list[Outcome | None] = [None] * len(raws)
    for _share, (kind, value) in shares.stream("parse"):
        if kind != "batch":
            continue
        start, batch, raw_rows, rows = value
        writer.write(raw_rows, tag=RAW_TAG)
        writer.write(rows)
        kept[start : start + len(batch)] = batch
        progress.advance(len(batch))
        keep_long_lived()
    return list(zip(raws, kept, strict=True))  # type: ignore[arg-type]


def latest_per_domain(outcomes: Sequence[tuple[RawRecord, Outcome]]) -> tuple[list[int], int]:
    """One registration per domain: the newest fetch, then the preferred source. Returns the indices
    of the chosen outcomes in domain order, and how many registrations they superseded."""
    best: dict[str, tuple[tuple[datetime, int, str], int]] = {}
    count = 0
    for index, (raw, outcome) in enumerate(outcomes):
        if not isinstance(outcome, Registered):
            continue
        count += 1
        key = (raw.fetched_at, SOURCE_PREFERENCE.get(outcome.source, 0), outcome.raw_sha256)
        current = best.get(outcome.domain)
        if current is None or key > current[0]:
            best[outcome.domain] = (key, index)
    chosen = [index for _key, index in sorted(best.values(), key=lambda item: outcomes[item[1]][1].domain)]  # type: ignore[union-attr]
    return chosen, count - len(chosen)


def attach_excerpts(findings: Sequence[Finding], raws: dict[str, RawRecord]) -> list[Finding]:
    """Fill each finding's evidence with the exact raw text it rests on."""
    out = []
    for f in findings:
        raw = raws.get(f.raw_sha256)
        if raw is not None and f.evidence.excerpt is None:
            text = excerpt(raw, f.evidence.location)
            if text is not None:
                f = f.with_excerpt(text)
        out.append(f)
    return out


def config_hash(config: dict[str, Any]) -> str:
    """Stable hash of what shapes the result (rules, parameters, DNS)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class AuditResult:
    """What `run_audit` produced: the run id, the summary, where the files are, and what was audited."""

    run_id: str
    summary: dict[str, Any]
    out_dir: Path
    findings: list[Finding]
    #: the audited registrations, in domain order, as this process kept them (see `records`)
    audited: list[Registered]
    db_url: str

    @property
    def records(self) -> list[RegistrationRecord]:
        """The audited registrations, read back from the store: a zone's records are not held in memory
        once the audit is done."""
        store = Store(self.db_url)
        try:
            stored = {(r.raw_sha256, r.parser): r for r, _fetched in store.registrations({a.domain for a in self.audited})}
        finally:
            store.close()
        return [stored[(a.raw_sha256, a.parser)] for a in self.audited]


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
        with audit_gc():
            # the raw records are stored while the shares parse them (see parse_raw)
            totals = import_inputs(store, inputs, progress, options.commit_every, options.memory_check,
                                   store_raw=False)
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
        with audit_gc():
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

    from reports.html import shown_domains, write_report  # reports depend on auditor, not the other way round

    timings: dict[str, float] = dict(totals.details.pop("timings", {}))
    dns_checker = DnsChecker(options.resolver, timeout=options.dns_timeout) if options.dns else None
    verify = Verifier(dns_checker)
    raws = totals.raw_records
    # each share grades its records where it scores them; the dataset rules' findings come later, so
    # the records they name are graded again below
    setup = ScoreSetup(rules, verify, now, options.rule_params,
                       finish=lambda part, found: finish_slice(part, found, verify, run_id, store.dialect))
    job = ShareJob(raws=raws, context={"score": setup, "parse": ParseSetup(
        store.dialect, store.url if store.dialect == "postgresql" else None, store_raw=not totals.raws_stored)})
    with Shares(job, options.workers if len(raws) >= PARALLEL_THRESHOLD else 1) as shares:
        # every row of the audit is written in one thread, in order: the parse stage's rows while the
        # records are scored (which does not read them), then the findings and grades while this thread
        # writes the findings and grades files; leaving the writer waits for its last commit. Those
        # files take their names only once the run is stored and finished: a failing database leaves
        # no new findings beside an old summary
        with _published_when_done([out / "findings.jsonl", out / "grades.jsonl"], run_id) as pending:
            with store.background_writer(options.commit_every) as writer:
                clock = time.perf_counter()
                outcomes = parse_raw(writer, shares, progress)
                chosen, superseded = latest_per_domain(outcomes)
                if options.only_domains is not None:
                    chosen = [i for i in chosen if outcomes[i][1].domain in options.only_domains]  # type: ignore[union-attr]
                audited: list[Registered] = [outcomes[i][1] for i in chosen]  # type: ignore[misc]
                shares.keep(chosen)
                keep_long_lived()
                timings["parse and store registrations" if totals.raws_stored
                        else "parse and store raw records and registrations"] = time.perf_counter() - clock

                progress.stage("score", len(audited))
                clock = time.perf_counter()
                grades = GradeLines(len(audited))
                contacts: Counter[str] = Counter()

                def graded(ranks: list[int], done: FinishedSlice) -> None:
                    # the writer stores a slice's grades while the shares score the next ones
                    writer.write([done.rows])
                    grades.add(ranks, done.lines, done.tally)
                    contacts.update(done.contacts)

                result: EngineResult = score_shares(shares, len(audited), on_progress=progress.advance,
                                                    on_finished=graded)
                timings["score and grade"] = time.perf_counter() - clock
                clock = time.perf_counter()
                rank_of = dict(zip((a.domain for a in audited), range(len(audited)), strict=True))
                # the raw records the findings rest on: each audited registration's (a map of every raw
                # record by hash took 0.5 s at a million)
                ranks = (rank_of.get(domain) for domain in {f.domain for f in result.findings})
                rested_on = (raws[chosen[rank]] for rank in ranks if rank is not None)
                findings = attach_excerpts(result.findings, {raw.sha256: raw for raw in rested_on})
                registrar_of = {a.domain: a.registrar for a in audited}
                writer.write([store.finding_rows(run_id, findings, registrar_of)])
                dataset_rules = {r.id for r in rules if r.scope == "dataset"}
                late = shares.records({rank_of[f.domain] for f in findings if f.rule_id in dataset_rules})
                regraded = grades.regrade(late, findings, verify)
                writer.write([prepare_grade_rows(run_id, regraded, [registrar_of.get(g["domain"]) for g in regraded],
                                                 store.dialect, update=True)])
                grade_lines = grades.complete()
                timings["grade after dataset rules, queue findings and grades"] = time.perf_counter() - clock
                clock = time.perf_counter()
                shown = shares.records(rank_of[d] for d in shown_domains(findings))
                # the workers are not needed any more: they exit (returning gigabytes of memory to the
                # system takes them seconds at a million records) while this process finishes; leaving
                # `shares` reaps them
                shares.stop()
                timings["fetch the shown records, stop the workers"] = time.perf_counter() - clock
                clock = time.perf_counter()
                progress.stage("report", 4)
                write_jsonl(pending[out / "findings.jsonl"], (f.to_dict() for f in findings))
                progress.advance()
                write_lines(pending[out / "grades.jsonl"], grade_lines)
                progress.advance()
                timings["write findings and grades files"] = time.perf_counter() - clock
                clock = time.perf_counter()
            timings["finish storing rows"] = time.perf_counter() - clock
            totals.new_raw += writer.added_by(RAW_TAG)
            clock = time.perf_counter()
            summary = build_summary(run_id, started, utcnow(), store, totals, outcomes, len(audited), superseded,
                                    findings, result, rules, verify, options, contacts)
            summary["grades"] = grades.summary()
            store.finish_run(run_id, utcnow(), {k: v.to_dict() for k, v in result.tallies.items()}, summary)
            timings["summary"] = time.perf_counter() - clock
        clock = time.perf_counter()
        write_json(out / "summary.json", summary)
        progress.advance()
        write_report(out / "report.html", summary, findings, registrar_of, list(shown.values()), rules)
        progress.advance()
        timings["write summary and report"] = time.perf_counter() - clock
        summary["timings_seconds"] = {k: round(v, 2) for k, v in timings.items()}
        write_json(out / "summary.json", summary)
    return AuditResult(run_id, summary, out, findings, audited, store.url)


def build_summary(
    run_id: str,
    started: datetime,
    finished: datetime,
    store: Store,
    totals: CollectTotals,
    outcomes: Sequence[tuple[RawRecord, Outcome]],
    audited: int,
    superseded: int,
    findings: Sequence[Finding],
    result: EngineResult,
    rules: Sequence[Any],
    verify: Verifier,
    options: AuditOptions,
    contacts: Counter[str],
) -> dict[str, Any]:
    """summary.json: accounts for every input, every raw record and every finding."""
    status_counts: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    not_registered: list[dict[str, Any]] = []
    for raw, outcome in outcomes:
        if isinstance(outcome, Registered):
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
            "import_notes": totals.notes,
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
        "records_audited": audited,
        "records_superseded": superseded,
        "records_with_findings": len({f.domain for f in findings}),
        "contacts": {key: contacts[key] for key in CONTACT_COUNTS if contacts[key]},
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


@contextmanager
def _published_when_done(paths: Sequence[Path], run_id: str) -> Iterator[dict[Path, Path]]:
    """Where to write each of `paths` while the block runs (a hidden name beside it, the run's own);
    when the block succeeds, each written file takes its name, and when it fails, none does and they
    are removed."""
    pending = {path: path.with_name(f".{path.name}.{run_id}.pending") for path in paths}
    try:
        yield pending
        for path, temporary in pending.items():
            if temporary.exists():
                os.replace(temporary, path)
    finally:
        for temporary in pending.values():
            temporary.unlink(missing_ok=True)


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
    write_lines(path, (compact_json(row) for row in rows))


def write_lines(path: Path, lines: Iterable[str]) -> None:
    """Lines already written (JSON lines), one after another, written atomically."""

    def write(handle: Any) -> None:
        for line in lines:
            handle.write(line + "\n")

    _atomic_write(path, write)


def write_json(path: Path, data: Any) -> None:
    """Pretty JSON, written atomically."""
    _atomic_write(path, lambda h: h.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"))
