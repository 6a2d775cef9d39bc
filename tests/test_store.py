"""The store: idempotent writes on SQLite and PostgreSQL, aware datetimes, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.errors import StoreError
from auditor.jsontext import compact_json
from auditor.pipeline import AuditOptions, run_audit
from auditor.records import RawRecord, Source
from auditor.store import _RAW, BACKGROUND_DEPTH, PreparedRows, Store, _raw_row, prepare_rows
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _raw(i: int) -> RawRecord:
    return RawRecord(Source.WHOIS, "whois.nic.zz", f"d{i}.zz", f"Domain Name: d{i}.zz\n".encode(), NOW)


def check_idempotent_raw(url: str) -> None:
    store = Store(url)
    try:
        assert store.add_raw([_raw(i) for i in range(5)]) == 5
        assert store.add_raw([_raw(i) for i in range(7)]) == 2  # only the two new ones
        assert store.count("raw_record") == 7
        # a duplicate inside one write, and a write whose first batch is new and whose second collides:
        # the colliding batch must not undo the new one (PostgreSQL's fast COPY path falls back per batch)
        assert store.add_raw([_raw(8), _raw(8)]) == 1
        batches = [prepare_rows(_RAW, [_raw_row(_raw(i)) for i in range(9, 12)], store.dialect),
                   prepare_rows(_RAW, [_raw_row(_raw(i)) for i in range(5, 14)], store.dialect)]
        assert store.write_prepared(batches) == 3 + 3  # 9-11, then 7, 12 and 13
        assert store.count("raw_record") == 14
        assert store.add_raw([_raw(i) for i in range(14)]) == 0
        got = store.raw_by_sha([_raw(3).sha256])[_raw(3).sha256]
        assert got.body == _raw(3).body and got.fetched_at == NOW  # bytes exact, time aware UTC
    finally:
        store.close()


def test_sqlite_raw_writes_are_idempotent(sqlite_url: str) -> None:
    check_idempotent_raw(sqlite_url)


@pytest.mark.postgres
def test_postgres_raw_writes_are_idempotent(postgres_url: str) -> None:
    check_idempotent_raw(postgres_url)


def check_bulk_writer_commits_in_steps(url: str) -> None:
    """A bulk writer commits every N rows (another connection sees them), and a failure part-way
    rolls back only the open transaction: writing everything again adds exactly the lost rows."""
    store, reader = Store(url), Store(url)
    try:
        with pytest.raises(RuntimeError), store.bulk_writer(commit_every=4) as writer:
            for i in range(0, 10, 2):
                assert store.add_raw([_raw(i), _raw(i + 1)], writer) == 2
                if i == 2:
                    assert reader.count("raw_record") == 4  # committed at 4 rows
            assert reader.count("raw_record") == 8
            raise RuntimeError("killed after 10 rows, 2 of them not yet committed")
        assert reader.count("raw_record") == 8
        with store.bulk_writer(commit_every=4) as writer:
            assert sum(store.add_raw([_raw(i), _raw(i + 1)], writer) for i in range(0, 12, 2)) == 4
        assert reader.count("raw_record") == 12
    finally:
        store.close()
        reader.close()


def test_sqlite_bulk_writer_commits_in_steps(sqlite_url: str) -> None:
    check_bulk_writer_commits_in_steps(sqlite_url)


def test_sqlite_bulk_writer_checkpoints_once_when_it_is_left(tmp_path: Path) -> None:
    """SQLite's checkpoint after a commit copies the transaction's pages into the database and syncs both
    files while the writer waits: a bulk writer's commits leave their pages in the WAL, and the whole
    WAL is checkpointed once, when the writer is left; its connection goes back to the pool with
    SQLite's own threshold."""
    import shutil
    import sqlite3

    from auditor.store import SQLITE_AUTOCHECKPOINT, prepare_raw

    db = tmp_path / "bulk.sqlite"
    store = Store(f"sqlite:///{db}")
    when = datetime(2026, 1, 1, tzinfo=UTC)
    batches = [[RawRecord(Source.WHOIS, "whois.example", f"d{n}-{i}.zz", f"{n} {i} ".encode() + b"x" * 1500, when)
                for i in range(2000)] for n in range(12)]  # 36 MB of bodies, each batch its own commit
    try:
        with store.bulk_writer(commit_every=2000) as writer:
            for batch in batches:
                writer.write([prepare_raw(batch, "sqlite")])
            # SQLite would have checkpointed at 1,000 pages (16 MB) and begun the WAL again
            assert Path(f"{db}-wal").stat().st_size > 30_000_000
        copy = tmp_path / "copy.sqlite"
        shutil.copyfile(db, copy)  # the database file alone: what was checkpointed into it
        with sqlite3.connect(copy) as alone:
            assert alone.execute("select count(*) from raw_record").fetchone()[0] == 12 * 2000
        with store.engine.connect() as conn:
            pages = conn.connection.driver_connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        assert pages == SQLITE_AUTOCHECKPOINT
    finally:
        store.close()


@pytest.mark.postgres
def test_postgres_bulk_writer_commits_in_steps(postgres_url: str) -> None:
    check_bulk_writer_commits_in_steps(postgres_url)


def _raw_batch(lo: int, hi: int, dialect: str) -> list[PreparedRows]:
    return [prepare_rows(_RAW, [_raw_row(_raw(i)) for i in range(lo, hi)], dialect)]


def check_background_writer(url: str) -> None:
    """The background writer writes in order and counts per tag; leaving it normally commits, leaving
    by an exception rolls back what was not committed, and a failing write reaches the producer (on
    a later write or on leaving) without hanging it, however many batches it still sends."""
    store, reader = Store(url), Store(url)
    try:
        with store.background_writer(commit_every=4) as writer:
            writer.write(_raw_batch(0, 3, store.dialect), tag="first")
            writer.write(_raw_batch(2, 6, store.dialect), tag="second")  # 2 is stored already
        assert (writer.added_by("first"), writer.added_by("second"), writer.added_by("other")) == (3, 3, 0)
        assert reader.count("raw_record") == 6
        with pytest.raises(RuntimeError), store.background_writer(commit_every=4) as writer:
            writer.write(_raw_batch(6, 10, store.dialect))  # 4 rows: committed
            writer.write(_raw_batch(10, 12, store.dialect))  # not committed when the producer fails
            raise RuntimeError("the producer failed")
        assert reader.count("raw_record") == 10
        broken = [PreparedRows("raw_record", ["no_such_column"], [("x",)])]
        with pytest.raises(Exception, match="no_such_column"), store.background_writer() as writer:
            writer.write(broken)
            for i in range(BACKGROUND_DEPTH * 3):  # more than the queue holds: must not block forever
                writer.write(_raw_batch(100 + i, 101 + i, store.dialect))
        assert reader.count("raw_record") == 10  # the failed transaction wrote nothing
    finally:
        store.close()
        reader.close()


def test_sqlite_background_writer(sqlite_url: str) -> None:
    check_background_writer(sqlite_url)


@pytest.mark.postgres
def test_postgres_background_writer(postgres_url: str) -> None:
    check_background_writer(postgres_url)


def audit_twice(url: str, out: Path) -> None:
    inputs = [FIXTURES / "demo"]
    options = AuditOptions(dns=False)
    first = run_audit(inputs, out / "one", url, options)
    store = Store(url)
    counts = {t: store.count(t) for t in ("raw_record", "registration", "parse_result")}
    store.close()
    second = run_audit(inputs, out / "two", url, options)
    store = Store(url)
    try:
        assert {t: store.count(t) for t in counts} == counts, "importing the same input twice added rows"
        assert second.summary["inputs"]["raw_records_new"] == 0
        assert second.summary["inputs"]["raw_records_already_stored"] == first.summary["inputs"]["raw_records"]
        # both runs found the same defects
        assert {f.fingerprint for f in first.findings} == {f.fingerprint for f in second.findings}
        assert store.count("audit_run") == 2
    finally:
        store.close()


def test_importing_twice_adds_nothing_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    audit_twice(sqlite_url, tmp_path)


@pytest.mark.postgres
def test_importing_twice_adds_nothing_postgres(postgres_url: str, tmp_path: Path) -> None:
    audit_twice(postgres_url, tmp_path)


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot open database"):
        Store("postgresql://nobody@127.0.0.1:1/none")


def test_bare_path_means_sqlite(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "x.sqlite"))
    try:
        assert store.dialect == "sqlite" and (tmp_path / "x.sqlite").exists()
    finally:
        store.close()


def test_compact_json_is_json_and_falls_back_for_what_orjson_refuses() -> None:
    import json
    from datetime import datetime

    from auditor.jsontext import compact_json

    value = {"name": "Jürgen", 1: [("a", None)], "at": datetime(2026, 11, 23, tzinfo=UTC)}
    assert compact_json(value) == '{"name":"Jürgen","1":[["a",null]],"at":"2026-11-23 00:00:00+00:00"}'
    assert json.loads(compact_json(2**70)) == 2**70  # beyond 64 bits: the standard library writes it
    assert compact_json("a\udc80") == '"a\udc80"'  # a lone surrogate: orjson refuses it, json keeps it as it is


def test_a_new_sqlite_store_uses_16_kib_pages(sqlite_url: str) -> None:
    """Bulk writes of registration rows are about a quarter faster with 16 KiB pages (see db.py)."""
    store = Store(sqlite_url)
    try:
        assert store.count("raw_record") == 0
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar_one() == 16384
    finally:
        store.close()


@given(st.datetimes(timezones=st.timezones(), min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_bulk_rows_store_times_as_sqlalchemy_does_on_sqlite(value: datetime) -> None:
    """The bulk path formats times itself; the text must be what SQLAlchemy's own insert would store."""
    from sqlalchemy.dialects import sqlite

    from auditor.db import UTCDateTime
    from auditor.store import _sqlite_time

    dialect = sqlite.dialect()
    sqlalchemy_text = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)(value)
    assert _sqlite_time(value) == sqlalchemy_text


def test_a_json_value_shared_by_rows_is_encoded_once_and_each_row_keeps_its_own() -> None:
    from auditor.store import _GRADE

    shared = {"registrant": {"email": {"syntax": "pass", "operability": "unknown"}}}
    rows = [{"run_id": "r", "domain": f"d{i}.zz", "registrar": None, "norc": "no_failure",
             "registrant_identified": "pass", "modes": shared if i % 2 else {"registrant": {"n": i}}}
            for i in range(6)]
    prepared = prepare_rows(_GRADE, rows, "sqlite")
    modes = [value[prepared.columns.index("modes")] for value in prepared.values]
    assert modes == [compact_json(row["modes"]) for row in rows]
    assert len({id(text) for text in modes[1::2]}) == 1  # the shared mapping was encoded once


def test_an_audit_into_an_in_memory_sqlite_database_stores_what_a_file_stores(tmp_path: Path) -> None:
    """An in-memory database is its connection's own: the bulk writes must not move to another thread."""
    options = AuditOptions(dns=False)
    in_memory = run_audit([FIXTURES / "demo"], tmp_path / "memory", "sqlite://", options)
    in_file = run_audit([FIXTURES / "demo"], tmp_path / "file", f"sqlite:///{tmp_path / 'a.sqlite'}", options)
    assert in_memory.summary["store"] == in_file.summary["store"]
    assert in_memory.summary["store"]["registrations"] > 0
    assert len(in_memory.findings) == len(in_file.findings) > 0


def _parse_outcomes_of_the_bundled_fixtures() -> list[tuple[object, datetime]]:
    """Every outcome of the bundled inputs (WHOIS, RDAP and CSV registrations, non-registrations, failures)."""
    from auditor.importers import discover, import_file
    from auditor.parse import parse

    files, _missing = discover([FIXTURES / "demo", FIXTURES / "labelled"])
    return [(parse(raw), raw.fetched_at) for path in files for raw in import_file(path).records]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_parse_rows_built_directly_equal_what_prepare_rows_builds(dialect: str) -> None:
    """`prepare_parse_outcomes` builds driver tuples itself for speed; they must be the very rows the
    generic `prepare_rows` makes of the same values, column by column, and cover every column."""
    from auditor.records import NoRegistration, ParseFailure, RegistrationRecord
    from auditor.store import _PARSE, _REG, prepare_parse_outcomes

    outcomes = _parse_outcomes_of_the_bundled_fixtures()
    kinds = {type(outcome) for outcome, _when in outcomes}
    assert {RegistrationRecord, NoRegistration, ParseFailure} <= kinds  # the fixtures exercise every branch
    results, registrations = prepare_parse_outcomes(outcomes, dialect)  # type: ignore[arg-type]
    assert set(registrations.columns) == {c.name for c in _REG.c} - {"id"}
    assert set(results.columns) == {c.name for c in _PARSE.c} - {"id"}
    expected = []
    for outcome, fetched_at in outcomes:
        if isinstance(outcome, RegistrationRecord):
            expected.append({
                "raw_sha256": outcome.raw_sha256, "parser": outcome.parser, "domain": outcome.domain,
                "source": outcome.source.value, "registrar": outcome.registrar,
                "registrar_iana_id": outcome.registrar_iana_id, "created_at": outcome.created_at,
                "updated_at": outcome.updated_at, "expires_at": outcome.expires_at, "fetched_at": fetched_at,
                "statuses": list(outcome.statuses), "nameservers": list(outcome.nameservers),
                "contacts": [c.to_storage() for c in outcome.contacts], "locations": dict(outcome.locations)})
    generic = prepare_rows(_REG, expected, dialect)
    by_column = [generic.columns.index(name) for name in registrations.columns]
    assert registrations.values == [tuple(row[i] for i in by_column) for row in generic.values]
    expected_results = [
        {"raw_sha256": o.raw_sha256, "parser": o.parser,  # type: ignore[attr-defined]
         "status": "failed" if isinstance(o, ParseFailure) else o.status.value,  # type: ignore[attr-defined]
         "domain": o.domain, "reason": getattr(o, "reason", None),  # type: ignore[attr-defined]
         "excerpt": o.excerpt if isinstance(o, ParseFailure) else None}
        for o, _when in outcomes]
    generic = prepare_rows(_PARSE, expected_results, dialect)
    by_column = [generic.columns.index(name) for name in results.columns]
    assert results.values == [tuple(row[i] for i in by_column) for row in generic.values]
    assert any(row[registrations.columns.index("created_at")] is not None for row in registrations.values)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_raw_rows_built_directly_equal_what_prepare_rows_builds(dialect: str) -> None:
    """`prepare_raw` builds driver tuples itself; they must be the rows `prepare_rows` makes of the
    raw records' dict rows, column by column, every column covered (optional fields set and unset)."""
    from auditor.records import FetchStatus
    from auditor.store import prepare_raw

    raws = [_raw(1), RawRecord(Source.RDAP, "rdap.nic.zz", "d2.zz", b"{}", NOW, status=FetchStatus.NOT_FOUND,
                               url="https://rdap.nic.zz/domain/d2.zz", origin="crawl", error="404", charset="utf-8")]
    direct = prepare_raw(raws, dialect)
    assert set(direct.columns) == {c.name for c in _RAW.c} - {"id"}
    generic = prepare_rows(_RAW, [_raw_row(r) for r in raws], dialect)
    by_column = [generic.columns.index(name) for name in direct.columns]
    assert direct.values == [tuple(row[i] for i in by_column) for row in generic.values]


def check_parse_rows_round_trip(url: str) -> None:
    from auditor.records import RegistrationRecord

    outcomes = _parse_outcomes_of_the_bundled_fixtures()
    store = Store(url)
    try:
        store.add_parse_outcomes(outcomes)  # type: ignore[arg-type]
        records = [outcome for outcome, _when in outcomes if isinstance(outcome, RegistrationRecord)]
        stored = {(r.raw_sha256, r.parser): (r, when) for r, when in store.registrations()}
        assert len(stored) == len({(r.raw_sha256, r.parser) for r in records})
        for (outcome, fetched_at) in outcomes:
            if isinstance(outcome, RegistrationRecord):
                back, when = stored[(outcome.raw_sha256, outcome.parser)]
                assert back.to_dict() == outcome.to_dict() and when == fetched_at
        assert store.count("parse_result") == len({(o.raw_sha256, o.parser) for o, _when in outcomes})  # type: ignore[attr-defined]
    finally:
        store.close()


def test_sqlite_parse_rows_round_trip(sqlite_url: str) -> None:
    check_parse_rows_round_trip(sqlite_url)


def test_postgres_parse_rows_round_trip(postgres_url: str) -> None:
    check_parse_rows_round_trip(postgres_url)


def check_stored_findings_and_grades_equal_the_files(url: str, tmp_path: Path) -> None:
    """The finding and record_grade rows (built as driver tuples) hold what findings.jsonl and grades.jsonl
    hold, with each domain's registrar."""
    import json

    from auditor.store import _FINDING, _FINDING_COLUMNS, _GRADE, _GRADE_COLUMNS

    assert set(_FINDING_COLUMNS) == {c.name for c in _FINDING.c} - {"id"}
    assert set(_GRADE_COLUMNS) == {c.name for c in _GRADE.c} - {"id"}
    result = run_audit([FIXTURES / "demo"], tmp_path / "out", url, AuditOptions(dns=False))
    out = tmp_path / "out"
    written_grades = [json.loads(line) for line in (out / "grades.jsonl").read_text().splitlines()]
    written_findings = {f["fingerprint"]: f for f in map(json.loads, (out / "findings.jsonl").read_text().splitlines())}
    registrar_of = {a.domain: a.registrar for a in result.audited}
    store = Store(url)
    try:
        findings, grades = store.findings(result.run_id), store.grades(result.run_id)
    finally:
        store.close()

    assert len(grades) == len(written_grades) == len(result.audited) > 0
    assert {r["domain"]: (r["norc"], r["registrant_identified"], r["modes"], r["registrar"]) for r in grades} == {
        w["domain"]: (w["norc"], w["registrant_identified"], w["modes"], registrar_of[w["domain"]]) for w in written_grades}
    assert len({r["norc"] for r in grades}) > 1 and any(r["registrar"] for r in grades)

    assert len(findings) == len(written_findings) > 0
    for row in findings:
        w = written_findings[row["fingerprint"]]
        evidence = dict(w["evidence"])
        raw_sha256 = evidence.pop("raw_sha256")
        assert row == {"id": row["id"], "run_id": result.run_id, "fingerprint": w["fingerprint"], "domain": w["domain"],
                       "registrar": registrar_of.get(w["domain"]), "rule_id": w["rule"], "rule_name": w["name"],
                       "category": w["category"], "severity": w["severity"], "role": w["role"], "field": w["field"],
                       "message": w["message"], "evidence": evidence, "policy": w["policy"], "raw_sha256": raw_sha256,
                       "related_domains": w.get("related_domains")}
    assert any(row["related_domains"] for row in findings) and any(row["evidence"].get("excerpt") for row in findings)


def test_sqlite_stored_findings_and_grades(sqlite_url: str, tmp_path: Path) -> None:
    check_stored_findings_and_grades_equal_the_files(sqlite_url, tmp_path)


def test_postgres_stored_findings_and_grades(postgres_url: str, tmp_path: Path) -> None:
    check_stored_findings_and_grades_equal_the_files(postgres_url, tmp_path)


def test_sqlite_leaves_out_columns_that_are_none_in_every_row_and_stores_the_same_rows(tmp_path: Path) -> None:
    """The SQLite writer drops a batch's all-None columns from its INSERT (see `_without_empty_columns`):
    every table must then hold exactly what an INSERT of every column stores, and a batch where no
    column is all None, or where only one is left, must still be written whole."""
    import sqlite3

    from auditor.store import _without_empty_columns, prepare_parse_outcomes, prepare_raw

    outcomes = _parse_outcomes_of_the_bundled_fixtures()
    raws = [_raw(i) for i in range(3)]
    batches = [prepare_raw(raws, "sqlite"), *prepare_parse_outcomes(outcomes, "sqlite")]  # type: ignore[arg-type]
    assert any(len(_without_empty_columns(b.columns, b.values)[0]) < len(b.columns) for b in batches)
    assert _without_empty_columns(["a", "b"], [(None, 1), (None, None)]) == (["b"], [(1,), (None,)])
    assert _without_empty_columns(["a", "b"], [(1, None), (None, 2)]) == (["a", "b"], [(1, None), (None, 2)])
    assert _without_empty_columns(["a"], [(None,)]) == (["a"], [(None,)])

    store = Store(f"sqlite:///{tmp_path / 'slim.db'}")
    try:
        store.write_prepared(batches)
    finally:
        store.close()
    full = Store(f"sqlite:///{tmp_path / 'full.db'}")
    full.close()
    with sqlite3.connect(tmp_path / "full.db") as conn:
        for b in batches:
            conn.executemany(f"INSERT INTO {b.table} ({', '.join(b.columns)}) VALUES ({', '.join('?' * len(b.columns))})",
                             b.values)
    tables = {b.table for b in batches}
    with sqlite3.connect(tmp_path / "slim.db") as slim, sqlite3.connect(tmp_path / "full.db") as whole:
        for table in tables:
            query = f"SELECT * FROM {table} ORDER BY id"
            assert slim.execute(query).fetchall() == whole.execute(query).fetchall() != []
