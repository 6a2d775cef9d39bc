"""Every read and idempotent write of the store, in one place.

Writes are bulk Core inserts with "on conflict do nothing" on the natural keys (the SQLModel ORM is
about 6x slower per row), so importing or auditing the same input twice adds nothing. SQL is only
ever built by SQLAlchemy with bound parameters; registration data never becomes SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from auditor.db import (
    AuditRunRow,
    FindingRow,
    ParseResultRow,
    RawRecordRow,
    RecordGradeRow,
    RegistrationRow,
    make_engine,
    normalise_db_url,
)
from auditor.records import (
    Contact,
    FetchStatus,
    Finding,
    NoRegistration,
    ParseFailure,
    ParseOutcome,
    RawRecord,
    RegistrationRecord,
    ResponseStatus,
    Source,
)

CHUNK = 2000

_RAW = RawRecordRow.__table__  # type: ignore[attr-defined]
_PARSE = ParseResultRow.__table__  # type: ignore[attr-defined]
_REG = RegistrationRow.__table__  # type: ignore[attr-defined]
_RUN = AuditRunRow.__table__  # type: ignore[attr-defined]
_FINDING = FindingRow.__table__  # type: ignore[attr-defined]
_GRADE = RecordGradeRow.__table__  # type: ignore[attr-defined]


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Store:
    """The project's database: SQLite by default, PostgreSQL at scale, the same code on both."""

    def __init__(self, url: str) -> None:
        self.url = normalise_db_url(url)
        self.engine: Engine = make_engine(self.url)
        self.dialect = self.engine.dialect.name

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()

    # -- generic insert-ignore -----------------------------------------------------------
    def _insert_ignore(self, table: Table, rows: Sequence[dict[str, Any]]) -> int:
        """Insert rows, skipping those that collide with a unique key; returns rows added."""
        if not rows:
            return 0
        keys = {k for row in rows for k in row}
        if any(len(row) != len(keys) for row in rows):
            rows = [{k: row.get(k) for k in keys} for row in rows]  # executemany needs one shape
        make = pg_insert if self.dialect == "postgresql" else sqlite_insert
        added = 0
        with self.engine.begin() as conn:
            statement = make(table).on_conflict_do_nothing().returning(table.c.id)
            for chunk in _chunks(rows):
                # RETURNING yields only the rows actually inserted, on SQLite and PostgreSQL alike
                added += len(conn.execute(statement, list(chunk)).all())
        return added

    # -- raw records ---------------------------------------------------------------------
    def add_raw(self, records: Iterable[RawRecord]) -> int:
        """Store raw responses; an identical (source, server, query, bytes) is a no-op."""
        rows = [
            {
                "source": r.source.value, "server": r.server, "query": r.query, "sha256": r.sha256,
                "status": r.status.value, "fetched_at": r.fetched_at, "body": r.body, "url": r.url,
                "origin": r.origin, "charset": r.charset, "error": r.error,
            }
            for r in records
        ]
        return self._insert_ignore(_RAW, rows)

    def raw_by_sha(self, shas: Iterable[str]) -> dict[str, RawRecord]:
        """Raw records by hash (the first stored when the same bytes came twice)."""
        out: dict[str, RawRecord] = {}
        wanted = list(dict.fromkeys(shas))
        with self.engine.connect() as conn:
            for chunk in _chunks(wanted, 500):
                for row in conn.execute(select(_RAW).where(_RAW.c.sha256.in_(chunk)).order_by(_RAW.c.id)):
                    if row.sha256 not in out:
                        out[row.sha256] = _raw_from_row(row)
        return out

    def count(self, table: str) -> int:
        """Rows in a table, by table name (for tests and summaries)."""
        tables = {"raw_record": _RAW, "parse_result": _PARSE, "registration": _REG,
                  "audit_run": _RUN, "finding": _FINDING, "record_grade": _GRADE}
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(tables[table])).scalar_one())

    # -- parse results and registrations -------------------------------------------------
    def add_parse_outcomes(self, outcomes: Sequence[tuple[ParseOutcome, datetime]]) -> None:
        """Record every outcome (registration, non-registration, failure) once per parser version."""
        results: list[dict[str, Any]] = []
        registrations: list[dict[str, Any]] = []
        for outcome, fetched_at in outcomes:
            if isinstance(outcome, RegistrationRecord):
                results.append({"raw_sha256": outcome.raw_sha256, "parser": outcome.parser,
                                "status": outcome.status.value, "domain": outcome.domain})
                registrations.append(_registration_row(outcome, fetched_at))
            elif isinstance(outcome, NoRegistration):
                results.append({"raw_sha256": outcome.raw_sha256, "parser": outcome.parser,
                                "status": outcome.status.value, "domain": outcome.domain,
                                "reason": outcome.reason})
            else:
                results.append({"raw_sha256": outcome.raw_sha256, "parser": outcome.parser, "status": "failed",
                                "domain": outcome.domain, "reason": outcome.reason,
                                "excerpt": outcome.excerpt})
        self._insert_ignore(_PARSE, results)
        self._insert_ignore(_REG, registrations)

    def registrations(self, domains: Iterable[str] | None = None) -> list[tuple[RegistrationRecord, datetime | None]]:
        """Stored registrations (optionally for some domains), with when their raw was fetched."""
        query = select(_REG).order_by(_REG.c.id)
        out: list[tuple[RegistrationRecord, datetime | None]] = []
        with self.engine.connect() as conn:
            if domains is None:
                rows: Iterable[Any] = conn.execute(query)
                out = [(_registration_from_row(r), r.fetched_at) for r in rows]
            else:
                for chunk in _chunks(list(dict.fromkeys(domains)), 500):
                    rows = conn.execute(query.where(_REG.c.domain.in_(chunk)))
                    out.extend((_registration_from_row(r), r.fetched_at) for r in rows)
        return out

    # -- audit runs and findings --------------------------------------------------------------
    def start_run(self, run_id: str, started_at: datetime, tool_version: str, config_hash: str,
                  config: dict[str, Any], rules: dict[str, Any]) -> None:
        """Create the run row (idempotent on the id)."""
        self._insert_ignore(_RUN, [{"id": run_id, "started_at": started_at, "tool_version": tool_version,
                                    "config_hash": config_hash, "config": config, "rules": rules}])

    def finish_run(self, run_id: str, finished_at: datetime, tallies: dict[str, Any], summary: dict[str, Any]) -> None:
        """Store the tallies and the summary once the run is complete."""
        with self.engine.begin() as conn:
            conn.execute(_RUN.update().where(_RUN.c.id == run_id).values(
                finished_at=finished_at, tallies=tallies, summary=summary))

    def add_findings(self, run_id: str, findings: Sequence[Finding], registrar_of: dict[str, str | None]) -> int:
        """Store findings; the same finding twice in one run is stored once."""
        rows = [
            {
                "run_id": run_id, "fingerprint": f.fingerprint, "domain": f.domain,
                "registrar": registrar_of.get(f.domain), "rule_id": f.rule_id, "rule_name": f.rule_name,
                "category": f.category.value, "severity": f.severity.value, "role": f.role, "field": f.field,
                "message": f.message, "evidence": f.evidence.to_dict(), "policy": list(f.policy),
                "raw_sha256": f.raw_sha256 or None, "related_domains": list(f.related_domains) or None,
            }
            for f in findings
        ]
        return self._insert_ignore(_FINDING, rows)

    def add_grades(self, run_id: str, grades: Sequence[dict[str, Any]], registrar_of: dict[str, str | None]) -> int:
        """Store each record's grade for the run (once per domain)."""
        rows = [{"run_id": run_id, "domain": g["domain"], "registrar": registrar_of.get(g["domain"]), "norc": g["norc"],
                 "registrant_identified": g["registrant_identified"], "modes": g["modes"]} for g in grades]
        return self._insert_ignore(_GRADE, rows)

    def grades(self, run_id: str) -> list[dict[str, Any]]:
        """A run's record grades."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(_GRADE).where(_GRADE.c.run_id == run_id).order_by(_GRADE.c.domain))
            return [dict(r._mapping) for r in rows]

    def findings(self, run_id: str) -> list[dict[str, Any]]:
        """A run's findings as plain dicts, in a stable order."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(_FINDING).where(_FINDING.c.run_id == run_id)
                                .order_by(_FINDING.c.domain, _FINDING.c.rule_id, _FINDING.c.role, _FINDING.c.field))
            return [dict(r._mapping) for r in rows]

    def runs(self) -> list[dict[str, Any]]:
        """All runs, newest first."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(_RUN).order_by(_RUN.c.started_at.desc()))]


def _registration_row(rec: RegistrationRecord, fetched_at: datetime | None) -> dict[str, Any]:
    data = rec.to_dict()
    return {
        "raw_sha256": rec.raw_sha256, "parser": rec.parser, "domain": rec.domain, "source": rec.source.value,
        "registrar": rec.registrar, "registrar_iana_id": rec.registrar_iana_id, "created_at": rec.created_at,
        "updated_at": rec.updated_at, "expires_at": rec.expires_at, "fetched_at": fetched_at,
        "statuses": data["statuses"], "nameservers": data["nameservers"], "contacts": data["contacts"],
        "locations": data["locations"],
    }


def _registration_from_row(row: Any) -> RegistrationRecord:
    return RegistrationRecord(
        domain=row.domain,
        status=ResponseStatus.REGISTERED,
        registrar=row.registrar,
        registrar_iana_id=row.registrar_iana_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
        statuses=tuple(row.statuses or ()),
        nameservers=tuple(row.nameservers or ()),
        contacts=tuple(Contact.from_dict(c) for c in row.contacts or ()),
        raw_sha256=row.raw_sha256,
        parser=row.parser,
        source=Source(row.source),
        locations=tuple(sorted((row.locations or {}).items())),
    )


def _raw_from_row(row: Any) -> RawRecord:
    return RawRecord(
        source=Source(row.source), server=row.server, query=row.query, body=bytes(row.body),
        fetched_at=row.fetched_at, status=FetchStatus(row.status), url=row.url, origin=row.origin,
        error=row.error, charset=row.charset, sha256=row.sha256,
    )


__all__ = ["Store", "ParseFailure"]
