"""Every read and idempotent write of the store, in one place.

Writes are bulk Core inserts with "on conflict do nothing" on the natural keys (the SQLModel ORM is
about 6x slower per row), so importing or auditing the same input twice adds nothing. SQL is only
ever built by SQLAlchemy with bound parameters; registration data never becomes SQL text.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import is_not, itemgetter
from typing import Any

from sqlalchemy import JSON, Table, bindparam, func, select
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
    UTCDateTime,
    make_engine,
    normalise_db_url,
)
from auditor.jsontext import compact_json
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
    locations_dict,
)

CHUNK = 2000
#: Rows a bulk writer writes before it commits. On SQLite every commit writes each page the
#: transaction touched to the WAL, and rows keyed by hashes touch pages all over the unique indexes,
#: so each commit rewrites about all of them and the cost grows with the zone: 100k registrations'
#: parse rows took 6.8 s committing every 2,000 rows, 3.1 s every 50,000; a million raw and
#: parse_result rows took 25.8 s committing every 50,000 and 18.2 s every 500,000, the same as one
#: commit at the end. An audit killed mid-stage redoes the stage anyway (every write skips stored rows).
COMMIT_EVERY = 500_000
#: SQLite's own checkpoint threshold (pages in the WAL), which a bulk writer's connection gets back.
SQLITE_AUTOCHECKPOINT = 1000
#: Tables written in bulk through the driver (see Store.write_prepared).
BULK_TABLES = frozenset({"raw_record", "parse_result", "registration", "finding", "record_grade"})


def _sqlite_time(v: datetime) -> str:
    """The text SQLAlchemy stores for a UTCDateTime on SQLite (year zero-padded, which strftime's %Y is
    not on every platform), about twice as fast as strftime."""
    return v.astimezone(UTC).isoformat(sep=" ", timespec="microseconds")[:26]


def _converter(column_type: Any, dialect: str) -> Any:
    """How a Python value of this column becomes a driver value (what SQLAlchemy's type would do);
    None when the driver takes the value as it is."""
    if isinstance(column_type, JSON):
        # A value many rows share (a grade's "modes" mapping: a few hundred distinct among millions of
        # rows) is encoded once. Keyed by identity: the rows being prepared hold every value, so no id
        # is reused while this converter lives (one `prepare_rows` call).
        encoded: dict[int, str] = {}

        def to_json(v: Any) -> str | None:
            if v is None:
                return None
            text = encoded.get(id(v))
            if text is None:
                text = encoded[id(v)] = compact_json(v)
            return text
        return to_json
    if isinstance(column_type, UTCDateTime):
        if dialect == "sqlite":
            cache: dict[datetime, str] = {}  # a batch shares few timestamps (the import's fetch time)

            def to_text(v: datetime | None) -> str | None:
                if v is None:
                    return None
                text = cache.get(v)
                if text is None:
                    text = cache[v] = _sqlite_time(v)
                return text
            return to_text
        return lambda v: None if v is None else (v if v.tzinfo else v.replace(tzinfo=UTC))
    return None


def _driver_rows(rows: Sequence[dict[str, Any]], columns: list[str], converters: list[Any]) -> list[tuple[Any, ...]]:
    """Rows as tuples in column order, converting only the columns that need it."""
    special = [(i, f) for i, f in enumerate(converters) if f is not None]
    values = []
    for row in rows:
        value = [row[col] for col in columns]
        for i, f in special:
            value[i] = f(value[i])
        values.append(tuple(value))
    return values


_RAW = RawRecordRow.__table__  # type: ignore[attr-defined]
_PARSE = ParseResultRow.__table__  # type: ignore[attr-defined]
_REG = RegistrationRow.__table__  # type: ignore[attr-defined]
_RUN = AuditRunRow.__table__  # type: ignore[attr-defined]
_FINDING = FindingRow.__table__  # type: ignore[attr-defined]
_GRADE = RecordGradeRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class PreparedRows:
    """Rows of one table as the driver takes them: plain values in column order, nothing left to convert.

    Preparing is pure and costs more than writing (JSON, timestamps), so parse workers prepare their
    own outcomes and the one writing process only writes (`Store.write_prepared`).
    """

    table: str
    columns: list[str]
    values: list[tuple[Any, ...]]
    #: when set, the rows are already stored: each updates the stored row whose these columns match it
    update_by: tuple[str, ...] = ()


def prepare_grade_rows(run_id: str, grades: Sequence[dict[str, Any]], registrars: Sequence[str | None], dialect: str,
                       update: bool = False) -> PreparedRows:
    """The record_grade rows of a run's grades (`registrars[i]` is the registrar of `grades[i]`'s domain):
    new rows, or with `update` the new grades of rows already stored. Pure, so the scoring workers
    prepare the rows of what they grade."""
    # driver tuples built directly, as for the parse rows (a zone has a million of them); the grades
    # hold their "modes" mappings while this runs, so the identity-keyed JSON converter is safe here
    modes_json = _converter(_GRADE.c.modes.type, dialect)
    values = [(run_id, g["domain"], registrar, g["norc"], g["registrant_identified"], modes_json(g["modes"]))
              for g, registrar in zip(grades, registrars, strict=True)]
    return PreparedRows(_GRADE.name, _GRADE_COLUMNS, values, update_by=("run_id", "domain") if update else ())


def prepare_rows(table: Table, rows: Sequence[dict[str, Any]], dialect: str) -> PreparedRows:
    """Dict rows (any mix of keys) to a `PreparedRows` for this dialect."""
    columns = sorted({k for row in rows for k in row})
    if any(len(row) != len(columns) for row in rows):
        rows = [{k: row.get(k) for k in columns} for row in rows]  # executemany and COPY need one shape
    converters = [_converter(table.c[col].type, dialect) for col in columns]
    return PreparedRows(table.name, columns, _driver_rows(rows, columns, converters))


def prepare_raw(records: Sequence[RawRecord], dialect: str) -> PreparedRows:
    """The raw_record rows of some raw records (pure: parse workers prepare the raws they parse),
    built as driver tuples directly like the parse rows (1.6 -> 0.7 us a row)."""
    when = _converter(_RAW.c.fetched_at.type, dialect)
    return PreparedRows(_RAW.name, _RAW_COLUMNS, [_raw_values(r, when) for r in records])


def _raw_values(r: RawRecord, when: Any = None) -> tuple[Any, ...]:
    """A raw record's row in `_RAW_COLUMNS` order, its fetch time converted by `when` (as it is without)."""
    return (r.source.value, r.server, r.query, r.sha256, r.status.value,
            when(r.fetched_at) if when else r.fetched_at, r.body, r.url, r.origin, r.charset, r.error)


#: The columns of the rows built as driver tuples directly, in the order they are filled: raw_record
#: (`prepare_raw`), parse_result and registration (`prepare_parse_outcomes`), finding
#: (`Store.finding_rows`), record_grade (`prepare_grade_rows`).
_RAW_COLUMNS = ["source", "server", "query", "sha256", "status", "fetched_at", "body", "url", "origin", "charset",
                "error"]
_PARSE_COLUMNS = ["raw_sha256", "parser", "status", "domain", "reason", "excerpt"]
_FINDING_COLUMNS = ["run_id", "fingerprint", "domain", "registrar", "rule_id", "rule_name", "category", "severity",
                    "role", "field", "message", "evidence", "policy", "raw_sha256", "related_domains"]
_GRADE_COLUMNS = ["run_id", "domain", "registrar", "norc", "registrant_identified", "modes"]
_REG_COLUMNS = ["raw_sha256", "parser", "domain", "source", "registrar", "registrar_iana_id", "created_at",
                "updated_at", "expires_at", "fetched_at", "statuses", "nameservers", "contacts", "locations"]


def prepare_parse_outcomes(outcomes: Sequence[tuple[ParseOutcome, datetime]], dialect: str) -> list[PreparedRows]:
    """The parse_result and registration rows of some outcomes (pure: runs in parse workers).

    Built as driver tuples directly, without the dict rows `prepare_rows` takes: a zone has one of each
    per registration, and the dicts cost as much as the rest of the preparing (registration rows of
    50k records: 25 us each through `prepare_rows`, 14 us this way). Each value is converted as
    `prepare_rows` would (the same `_converter`), so both give the same rows.
    """
    when = _converter(_REG.c.created_at.type, dialect)
    results: list[tuple[Any, ...]] = []
    registrations: list[tuple[Any, ...]] = []
    for outcome, fetched_at in outcomes:
        if isinstance(outcome, RegistrationRecord):
            results.append((outcome.raw_sha256, outcome.parser, outcome.status.value, outcome.domain, None, None))
            registrations.append(_registration_values(outcome, fetched_at, when))
        elif isinstance(outcome, NoRegistration):
            results.append((outcome.raw_sha256, outcome.parser, outcome.status.value, outcome.domain,
                            outcome.reason, None))
        else:
            results.append((outcome.raw_sha256, outcome.parser, "failed", outcome.domain, outcome.reason,
                            outcome.excerpt))
    return [PreparedRows(_PARSE.name, _PARSE_COLUMNS, results), PreparedRows(_REG.name, _REG_COLUMNS, registrations)]


def _registration_values(rec: RegistrationRecord, fetched_at: datetime | None, when: Any) -> tuple[Any, ...]:
    """A registration's row in `_REG_COLUMNS` order, its times converted by `when`."""
    return (rec.raw_sha256, rec.parser, rec.domain, rec.source.value, rec.registrar, rec.registrar_iana_id,
            when(rec.created_at), when(rec.updated_at), when(rec.expires_at), when(fetched_at),
            compact_json(list(rec.statuses)), compact_json(list(rec.nameservers)),
            compact_json([c.to_storage() for c in rec.contacts]), compact_json(locations_dict(rec.locations)))


def _unique_violation() -> type[Exception]:
    """psycopg's unique-violation error (imported late: SQLite-only installs never load psycopg)."""
    from psycopg.errors import UniqueViolation

    return UniqueViolation


def _copy_rows(cursor: Any, table: str, names: str, values: Sequence[tuple[Any, ...]]) -> None:
    """PostgreSQL COPY of prepared rows into a table (ours or its staging twin; never a name from data)."""
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for value in values:
            copy.write_row(value)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _without_empty_columns(columns: Sequence[str], values: Sequence[tuple[Any, ...]]) -> tuple[Sequence[str], Sequence[tuple[Any, ...]]]:
    """The batch without the columns that are None in every row: SQLite stores NULL there all the same
    (no column of ours has a default), and Python's sqlite3 binds each None through its adapter
    registry, which cost the writer thread 3 us a registration (a zone export's url, charset, error,
    reason, excerpt, ...: 100k registrations' raw, parse and registration rows took 20.9 us each with
    every column, 17.5-18.1 without these)."""
    if not values:
        return columns, values
    # column by column, stopping at the first value that is not None (transposing a million grade rows
    # with zip(*values) took 1.6 s)
    keep = [i for i in range(len(columns)) if any(map(is_not, map(itemgetter(i), values), repeat(None)))]
    if not keep or len(keep) == len(columns):  # nothing to leave out (or only NULLs: the rows stay whole)
        return columns, values
    pick = itemgetter(*keep)
    rows = [(value,) for value in map(pick, values)] if len(keep) == 1 else list(map(pick, values))
    return [columns[i] for i in keep], rows


class Store:
    """The project's database: SQLite by default, PostgreSQL at scale, the same code on both."""

    def __init__(self, url: str) -> None:
        self.url = normalise_db_url(url)
        self.engine: Engine = make_engine(self.url)
        self.dialect = self.engine.dialect.name

    @property
    def in_memory(self) -> bool:
        """An in-memory SQLite database, which only the connection that made it can see."""
        database = self.engine.url.database
        return self.dialect == "sqlite" and (not database or database == ":memory:" or "mode=memory" in self.url)

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()

    # -- generic insert-ignore -----------------------------------------------------------
    def _insert_ignore(self, table: Table, rows: Sequence[dict[str, Any]]) -> int:
        """Insert rows, skipping those that collide with a unique key; returns rows added.

        Bulk tables go through the driver directly: `INSERT OR IGNORE` with executemany on SQLite, `COPY`
        into a temporary table then `INSERT ... ON CONFLICT DO NOTHING` on PostgreSQL. Column names come
        from our models, values are always bound parameters or COPY data, never SQL text.
        """
        if not rows:
            return 0
        if table.name in BULK_TABLES:
            return self.write_prepared([prepare_rows(table, rows, self.dialect)])
        keys = {k for row in rows for k in row}
        if any(len(row) != len(keys) for row in rows):
            rows = [{k: row.get(k) for k in keys} for row in rows]  # executemany needs one shape
        with self.engine.begin() as conn:
            return self._insert_ignore_on(conn, table, rows)

    def _insert_ignore_on(self, conn: Any, table: Table, rows: Sequence[dict[str, Any]]) -> int:
        """`_insert_ignore` through SQLAlchemy, inside a transaction the caller holds.

        RETURNING yields only the rows actually inserted, on SQLite and PostgreSQL alike.
        """
        make = pg_insert if self.dialect == "postgresql" else sqlite_insert
        statement = make(table).on_conflict_do_nothing().returning(table.c.id)
        return sum(len(conn.execute(statement, list(chunk)).all()) for chunk in _chunks(rows) if chunk)

    def write_prepared(self, batches: Sequence[PreparedRows]) -> int:
        """Write rows `prepare_rows` made (perhaps in another process), skipping those already stored.

        One transaction for all the batches. Returns the rows added.
        """
        with self.bulk_writer() as writer:
            return writer.write(batches)

    def bulk_writer(self, commit_every: int = COMMIT_EVERY) -> BulkWriter:
        """A writer that holds one transaction across many `write` calls (see `BulkWriter`)."""
        return BulkWriter(self, commit_every)

    def background_writer(self, commit_every: int = COMMIT_EVERY) -> BackgroundWriter:
        """A `BulkWriter` in a thread of its own (see `BackgroundWriter`)."""
        return BackgroundWriter(self, commit_every)

    def _write_batch(self, dbapi: Any, cursor: Any, batch: PreparedRows) -> int:
        if batch.update_by:
            _update_rows(cursor, batch, "?" if self.dialect == "sqlite" else "%s")
            return 0
        if self.dialect == "sqlite":
            columns, values = _without_empty_columns(batch.columns, batch.values)
            before = dbapi.total_changes
            cursor.executemany(f"INSERT OR IGNORE INTO {batch.table} ({', '.join(columns)}) VALUES "
                               f"({', '.join('?' for _ in columns)})", values)
            return int(dbapi.total_changes - before)
        names = ", ".join(batch.columns)
        # Optimistic path: COPY straight into the table, which is about twice as fast as staging then
        # INSERT ... ON CONFLICT. It fails as a whole on the first row that collides with a unique key
        # (a re-import, a duplicate inside the batch, a concurrent writer), and the savepoint then
        # undoes it and the batch goes through the staging path, which skips the stored rows.
        # (An explicit SAVEPOINT: psycopg's own transaction() block would COMMIT when it happens to open
        # the transaction, behind SQLAlchemy's back.)
        cursor.execute("SAVEPOINT bulk_copy")
        try:
            _copy_rows(cursor, batch.table, names, batch.values)
        except _unique_violation():
            cursor.execute("ROLLBACK TO SAVEPOINT bulk_copy")
        else:
            cursor.execute("RELEASE SAVEPOINT bulk_copy")
            return len(batch.values)
        # one staging table per connection and table, emptied at each commit (creating and dropping it
        # in every transaction costs catalog writes)
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS bulk_{batch.table} "
                       f"(LIKE {batch.table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        _copy_rows(cursor, f"bulk_{batch.table}", names, batch.values)
        cursor.execute(f"INSERT INTO {batch.table} ({names}) SELECT {names} FROM bulk_{batch.table} "
                       f"ON CONFLICT DO NOTHING")
        added = max(int(cursor.rowcount), 0)
        cursor.execute(f"TRUNCATE bulk_{batch.table}")  # for the next batch of this table in the same transaction
        return added

    # -- raw records ---------------------------------------------------------------------
    def add_raw(self, records: Iterable[RawRecord], writer: BulkWriter | None = None) -> int:
        """Store raw responses; an identical (source, server, query, bytes) is a no-op.

        With a `writer`, inside its transaction (committed by the writer), else in one of their own.
        """
        records = list(records)
        if not records:
            return 0
        if writer is None:
            return self._insert_ignore(_RAW, [_raw_row(r) for r in records])
        return writer.write([prepare_raw(records, self.dialect)])

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
        self.write_prepared(prepare_parse_outcomes(outcomes, self.dialect))

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
        return self.write_prepared([self.finding_rows(run_id, findings, registrar_of)])

    def finding_rows(self, run_id: str, findings: Sequence[Finding], registrar_of: dict[str, str | None]) -> PreparedRows:
        """The finding table's rows of a run's findings, for `add_findings` or a writer."""
        # driver tuples built directly (see `prepare_parse_outcomes`); a rule's policy tuple is shared by
        # all its findings, which `findings` holds while this runs, so the identity-keyed converter is safe
        policy_json = _converter(_FINDING.c.policy.type, self.dialect)
        values = [
            (run_id, f.fingerprint, f.domain, registrar_of.get(f.domain), f.rule_id, f.rule_name, f.category.value,
             f.severity.value, f.role, f.field, f.message, compact_json(f.evidence.to_dict()), policy_json(f.policy),
             f.raw_sha256 or None, compact_json(list(f.related_domains)) if f.related_domains else None)
            for f in findings
        ]
        return PreparedRows(_FINDING.name, _FINDING_COLUMNS, values)

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


class BulkWriter:
    """Bulk writes that share one transaction and commit every `commit_every` rows, and at the end.

    A stage that writes a zone batch by batch would otherwise commit per batch, which on SQLite
    costs more than the inserts (see COMMIT_EVERY). Use it as a context manager: leaving normally
    commits what is left; an exception rolls the open transaction back, and since every bulk write
    skips rows already stored, re-running the stage writes exactly the rows that were lost.
    """

    def __init__(self, store: Store, commit_every: int = COMMIT_EVERY) -> None:
        self.store = store
        self.commit_every = commit_every
        self._conn: Any = None
        self._transaction: Any = None
        self._pending = 0
        self._checkpoint_due = False  # commits of this writer left their pages in SQLite's WAL

    def __enter__(self) -> BulkWriter:
        return self

    def __exit__(self, exc_type: Any, _exc: Any, _tb: Any) -> None:
        if exc_type is None:
            self._end(commit=True, last=True)
            if self._checkpoint_due:  # the last rows were committed before the writer was left
                with self.store.engine.connect() as conn:
                    conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                self._checkpoint_due = False
        else:
            self._end(commit=False)

    def write(self, batches: Sequence[PreparedRows]) -> int:
        """Write prepared batches (skipping stored rows); returns the rows added."""
        if not any(batch.values for batch in batches):
            return 0  # no transaction for nothing (PostgreSQL parse workers write their own rows)
        if self._conn is None:
            self._conn = self.store.engine.connect()
            if self.store.dialect == "sqlite":
                # SQLite checkpoints after a commit once the WAL holds SQLITE_AUTOCHECKPOINT pages: it
                # copies the transaction's pages into the database and syncs both files, and the writer
                # waits, and with it the parse workers whose rows it holds (a 1M audit's parse stage
                # spent 8 of its 54 s so). The writer checkpoints once, when it is left; until then its
                # commits leave their pages in the WAL (which grows as large as what it writes).
                self._sqlite_autocheckpoint(0)
            self._transaction = self._conn.begin()
        dbapi = self._conn.connection.driver_connection
        cursor = dbapi.cursor()
        added = 0
        try:
            for batch in batches:
                if batch.values:
                    added += self.store._write_batch(dbapi, cursor, batch)
                    self._pending += len(batch.values)
        finally:
            cursor.close()
        if self._pending >= self.commit_every:
            self.commit()
        return added

    def commit(self) -> None:
        """Make what was written so far durable."""
        self._end(commit=True)

    def _end(self, commit: bool, last: bool = False) -> None:
        """Commit or roll back, and give the connection back. The `last` commit, as the writer is left,
        may checkpoint again: on SQLite, the whole WAL of the writer's life, once."""
        if self._conn is None:
            return
        sqlite = self.store.dialect == "sqlite"
        try:
            if sqlite and last:
                self._sqlite_autocheckpoint(SQLITE_AUTOCHECKPOINT)
            if commit:
                self._transaction.commit()
                self._checkpoint_due = sqlite and not last
            else:
                self._transaction.rollback()
        finally:
            try:
                if sqlite:
                    self._sqlite_autocheckpoint(SQLITE_AUTOCHECKPOINT)  # the pool's next user gets it as it was
            finally:
                self._conn.close()
                self._conn = self._transaction = None
                self._pending = 0

    def _sqlite_autocheckpoint(self, pages: int) -> None:
        self._conn.connection.driver_connection.execute(f"PRAGMA wal_autocheckpoint={pages}")


#: Batches a BackgroundWriter holds before `write` waits for it.
BACKGROUND_DEPTH = 64
_DONE = object()  # the producer has no more batches: commit and stop
_ABORT = object()  # the producer failed: roll the open transaction back and stop


class _AbortedError(Exception):
    """Raised inside the writer thread to leave its BulkWriter by the rollback path."""


class BackgroundWriter:
    """A `BulkWriter` whose writes run in a thread of its own, in the order they were given.

    The process that receives a zone's rows from the parse workers also writes them. Written inline,
    each commit (seconds on a large SQLite file) stopped it reading its pipes, so the workers blocked
    sending (1.76 of 2 cores were busy in the parse stage of a 1M audit). The driver releases the GIL while SQLite inserts and commits, so
    in this thread the writes overlap the receiving. Use it as a context manager: leaving normally
    commits what is left (and raises the thread's error, if any); leaving by an exception rolls the
    open transaction back, as a `BulkWriter` does. `write` raises the thread's error as soon as it
    is known, so a failing database stops the stage instead of filling memory.
    """

    def __init__(self, store: Store, commit_every: int = COMMIT_EVERY, depth: int = BACKGROUND_DEPTH) -> None:
        self._added_by_tag: dict[str, int] = {}
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        # an in-memory SQLite database is one connection's own: another thread would open another,
        # empty one, so such a store is written here, inline
        self._inline = store.bulk_writer(commit_every) if store.in_memory else None
        if self._inline is None:
            self._thread = threading.Thread(target=self._run, args=(store, commit_every), name="background-writer",
                                            daemon=True)
            self._thread.start()

    def _run(self, store: Store, commit_every: int) -> None:
        try:
            with store.bulk_writer(commit_every) as writer:
                while (item := self._queue.get()) is not _DONE:
                    if item is _ABORT:
                        raise _AbortedError
                    tag, batches = item
                    added = writer.write(batches)
                    self._added_by_tag[tag] = self._added_by_tag.get(tag, 0) + added
        except _AbortedError:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the producer, which raises it
            self._error = exc
            while (item := self._queue.get()) is not _DONE and item is not _ABORT:
                pass  # keep taking batches, so a producer waiting on a full queue never hangs

    def write(self, batches: Sequence[PreparedRows], tag: str = "") -> None:
        """Queue prepared batches for writing; `added_by(tag)` later counts the rows they added."""
        if self._inline is not None:
            self._added_by_tag[tag] = self._added_by_tag.get(tag, 0) + self._inline.write(batches)
            return
        if self._error is not None:
            raise self._error
        self._queue.put((tag, batches))

    def added_by(self, tag: str) -> int:
        """Rows added by the writes queued with this tag (complete once the writer has been left)."""
        return self._added_by_tag.get(tag, 0)

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._inline is not None:
            self._inline.__exit__(exc_type, exc, tb)
            return
        self._queue.put(_DONE if exc_type is None else _ABORT)
        self._thread.join()
        if exc_type is None and self._error is not None:
            raise self._error


def _update_rows(cursor: Any, batch: PreparedRows, placeholder: str) -> None:
    """Set the other columns of the stored rows that `batch.update_by`'s columns name (table and column
    names are the schema's own, never the data's: the values are bound parameters)."""
    columns = [c for c in batch.columns if c not in batch.update_by]
    order = [batch.columns.index(c) for c in (*columns, *batch.update_by)]
    assignments = ", ".join(f"{c} = {placeholder}" for c in columns)
    keys = " AND ".join(f"{c} = {placeholder}" for c in batch.update_by)
    cursor.executemany(f"UPDATE {batch.table} SET {assignments} WHERE {keys}",
                       [tuple(row[i] for i in order) for row in batch.values])


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


# -- crawl state (collection by `auditor crawl`) -------------------------------------------------

#: "Never asked" for a server's next permitted query time.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A rolling 24-hour quota is counted over this many whole clock hours (the current one included),
#: so the window is never shorter than 24 hours.
QUOTA_WINDOW_HOURS = 25


@dataclass(frozen=True, slots=True)
class Reservation:
    """A server's answer to "may I send a query?": the time to send it, or when the quota reopens."""

    send_at: datetime | None
    used: int
    exhausted_until: datetime | None = None


class CrawlStore(Store):
    """The store plus a crawl's frontier, its answers and the per-server politeness state.

    Every answer is written in one transaction with the frontier row it settles, so a crawl killed at
    any instant resumes without losing or duplicating a record. The per-server next-query time and the
    quota counters live here too, so a restart (or a second process) cannot ask a server sooner or more
    often than its policy allows.
    """

    def __init__(self, url: str) -> None:
        super().__init__(url)
        from auditor.db import CrawlQuotaRow, CrawlResponseRow, CrawlServerRow, CrawlTargetRow

        self._target: Table = CrawlTargetRow.__table__  # type: ignore[attr-defined]
        self._response: Table = CrawlResponseRow.__table__  # type: ignore[attr-defined]
        self._server: Table = CrawlServerRow.__table__  # type: ignore[attr-defined]
        self._quota: Table = CrawlQuotaRow.__table__  # type: ignore[attr-defined]

    # -- the frontier ---------------------------------------------------------------------
    def seed_targets(self, job: str, targets: Sequence[dict[str, Any]]) -> int:
        """Add the targets the job does not have yet; re-point those not yet asked at today's server.

        Each target: domain, protocol, server, url, query. Returns how many were new.
        """
        now = datetime.now(UTC)
        rows = [{**t, "job": job, "first_server": t["server"], "hop": 0, "visited": [], "state": "pending",
                 "attempts": 0, "updated_at": now} for t in targets]
        t = self._target
        statement = (t.update()
                     .where(t.c.job == job, t.c.domain == bindparam("b_domain"), t.c.protocol == bindparam("b_protocol"),
                            t.c.hop == 0, t.c.state != "done")
                     .values(server=bindparam("b_server"), first_server=bindparam("b_server"), url=bindparam("b_url"),
                             query=bindparam("b_query")))
        with self.engine.begin() as conn:
            added = self._insert_ignore_on(conn, t, rows)
            for chunk in _chunks(rows):
                conn.execute(statement, [{"b_domain": r["domain"], "b_protocol": r["protocol"], "b_server": r["server"],
                                          "b_url": r["url"], "b_query": r["query"]} for r in chunk])
        return added

    def open_targets(self, job: str, protocol: str) -> list[dict[str, Any]]:
        """The job's targets of one protocol that are not done, in the order they were added."""
        t = self._target
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.job == job, t.c.protocol == protocol, t.c.state != "done")
                                .order_by(t.c.id))
            return [dict(r._mapping) for r in rows]

    def open_servers(self, job: str, protocol: str) -> list[str]:
        """The servers the job's open targets of one protocol are waiting for (the next server to ask)."""
        t = self._target
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.server).where(t.c.job == job, t.c.protocol == protocol, t.c.state != "done")
                                .distinct().order_by(t.c.server))
            return [r[0] for r in rows]

    def open_targets_of(self, job: str, protocol: str, server: str, after_id: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        """One page of a server's open targets, by id after `after_id` (keyset paging: the frontier is never all in memory)."""
        t = self._target
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.job == job, t.c.protocol == protocol, t.c.server == server,
                                                t.c.state != "done", t.c.id > after_id).order_by(t.c.id).limit(limit))
            return [dict(r._mapping) for r in rows]

    def record_answer(self, job: str, target_id: int, raw: RawRecord | None, response: dict[str, Any] | None,
                      target: dict[str, Any], expect: tuple[int, int] | None = None) -> bool:
        """Store one answer, its link to the job and the frontier row's new state, all or nothing.

        With `expect` = (hop, attempts), as the row was when the target was asked, the row is settled
        only if it is still there (not done, same hop and attempt count): when another worker of a
        distributed crawl settled it meanwhile, nothing is written and the answer returns False.
        """
        t = self._target
        where = [t.c.id == target_id]
        if expect is not None:
            where += [t.c.state != "done", t.c.hop == expect[0], t.c.attempts == expect[1]]
        with self.engine.begin() as conn:
            won = conn.execute(t.update().where(*where).values(**target, updated_at=datetime.now(UTC))).rowcount
            if expect is not None and won != 1:
                return False
            if raw is not None and response is not None:
                self._insert_ignore_on(conn, _RAW, [_raw_row(raw)])
                self._insert_ignore_on(conn, self._response, [{
                    **response, "job": job, "raw_source": raw.source.value, "raw_server": raw.server,
                    "raw_query": raw.query, "sha256": raw.sha256, "status": raw.status.value,
                    "fetched_at": raw.fetched_at, "error": raw.error}])
        return True

    def targets_by_id(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The frontier rows of these ids, in id order."""
        t = self._target
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(t).where(t.c.id.in_(list(ids))).order_by(t.c.id))]

    def target_counts(self, job: str) -> list[tuple[str, str, str, int]]:
        """(protocol, registry server, state, count) for the job's targets."""
        t = self._target
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.protocol, t.c.first_server, t.c.state, func.count())
                                .where(t.c.job == job).group_by(t.c.protocol, t.c.first_server, t.c.state))
            return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    def response_counts(self, job: str) -> list[tuple[str, str, str, int]]:
        """(protocol, answering server, fetch status, count) for every answer the job received."""
        r = self._response
        with self.engine.connect() as conn:
            rows = conn.execute(select(r.c.protocol, r.c.server, r.c.status, func.count())
                                .where(r.c.job == job).group_by(r.c.protocol, r.c.server, r.c.status))
            return [(x[0], x[1], x[2], int(x[3])) for x in rows]

    def unfinished_targets(self, job: str) -> list[dict[str, Any]]:
        """The job's targets that are not done, with their last outcome and note."""
        t = self._target
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.job == job, t.c.state != "done").order_by(t.c.id))
            return [dict(x._mapping) for x in rows]

    def targets(self, job: str) -> list[dict[str, Any]]:
        """Every target of the job."""
        t = self._target
        with self.engine.connect() as conn:
            return [dict(x._mapping) for x in conn.execute(select(t).where(t.c.job == job).order_by(t.c.id))]

    def responses(self, job: str) -> list[dict[str, Any]]:
        """Every answer the job received, oldest first."""
        r = self._response
        with self.engine.connect() as conn:
            return [dict(x._mapping) for x in conn.execute(select(r).where(r.c.job == job).order_by(r.c.id))]

    def collected_raw(self, job: str, statuses: Iterable[str] = ("ok", "not_found", "rate_limited")) -> list[RawRecord]:
        """The raw records the job's answers point at (each once), for the audit stage."""
        r = self._response
        identity = (_RAW.c.source == r.c.raw_source) & (_RAW.c.server == r.c.raw_server) & (
            _RAW.c.query == r.c.raw_query) & (_RAW.c.sha256 == r.c.sha256)
        query = (select(_RAW).where(_RAW.c.id.in_(
            select(_RAW.c.id).join(r, identity).where(r.c.job == job, r.c.status.in_(list(statuses)))))
            .order_by(_RAW.c.id))
        with self.engine.connect() as conn:
            return [_raw_from_row(row) for row in conn.execute(query)]

    # -- politeness: next permitted query and quotas, shared across processes -------------------
    def reserve_query(self, server: str, interval: float, quota_key: str | None = None, quota: int | None = None,
                      now: datetime | None = None, not_before: datetime | None = None) -> Reservation:
        """Book the next permitted send time of `server` and count it against the quota, atomically.

        The slot is the latest of now, the server's next permitted time, and `not_before` (the caller's
        own constraint, e.g. an interval after its last actual send). The first statement writes, so on
        SQLite the transaction holds the write lock from the start; on PostgreSQL the server's row is
        locked. Two processes therefore never get the same slot.
        """
        now = now or datetime.now(UTC)
        s, q = self._server, self._quota
        hour = now.replace(minute=0, second=0, microsecond=0)
        with self.engine.begin() as conn:
            self._insert_ignore_on(conn, s, [{"server": server, "next_at": _EPOCH, "updated_at": now}])
            conn.execute(s.update().where(s.c.server == server).values(updated_at=now))
            next_at = conn.execute(select(s.c.next_at).where(s.c.server == server).with_for_update()).scalar_one()
            used = 0
            if quota is not None and quota_key:
                buckets = conn.execute(select(q.c.hour, q.c.used).where(
                    q.c.server == quota_key, q.c.hour > hour - timedelta(hours=QUOTA_WINDOW_HOURS))).all()
                used = sum(b.used for b in buckets)
                if used >= quota:
                    oldest = min((b.hour for b in buckets if b.used), default=hour)
                    return Reservation(None, used, oldest + timedelta(hours=QUOTA_WINDOW_HOURS))
            send_at = max(now, next_at, not_before or now)
            conn.execute(s.update().where(s.c.server == server).values(next_at=send_at + timedelta(seconds=interval)))
            if quota_key:
                make = pg_insert if self.dialect == "postgresql" else sqlite_insert
                statement = make(q).values(server=quota_key, hour=hour, used=1)
                conn.execute(statement.on_conflict_do_update(index_elements=["server", "hour"],
                                                             set_={"used": q.c.used + 1}))
            return Reservation(send_at, used + 1)

    def push_back(self, server: str, until: datetime) -> None:
        """No query to `server` before `until` (a back-off or a Retry-After), for every process."""
        s = self._server
        with self.engine.begin() as conn:
            self._insert_ignore_on(conn, s, [{"server": server, "next_at": _EPOCH, "updated_at": datetime.now(UTC)}])
            conn.execute(s.update().where(s.c.server == server, s.c.next_at < until).values(next_at=until))

    def next_allowed(self, server: str) -> datetime | None:
        """When `server` may next be asked (None: never asked from this database)."""
        s = self._server
        with self.engine.connect() as conn:
            return conn.execute(select(s.c.next_at).where(s.c.server == server)).scalar_one_or_none()

    def quota_used(self, quota_key: str, now: datetime | None = None) -> int:
        """Queries counted against a quota in the rolling window ending now."""
        now = now or datetime.now(UTC)
        q = self._quota
        hour = now.replace(minute=0, second=0, microsecond=0)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.coalesce(func.sum(q.c.used), 0)).where(
                q.c.server == quota_key, q.c.hour > hour - timedelta(hours=QUOTA_WINDOW_HOURS))).scalar_one()
            return int(total)


def _raw_row(r: RawRecord) -> dict[str, Any]:
    """A raw record as a raw_record row (for inserts through SQLAlchemy, which converts the time)."""
    return dict(zip(_RAW_COLUMNS, _raw_values(r), strict=True))
