"""Rows per second the store writes in bulk, on SQLite and on PostgreSQL.

    python benchmarks/bulk_write.py [--rows N] [--postgres URL]

Builds N realistic rows of each bulk table from the synthetic registry export (raw responses, parse
outcomes with their registrations, findings with their evidence), then writes them through the same
`Store` methods the audit uses into a fresh database, and prints rows/s per table and overall. A
second pass writes the same rows again, which the idempotent store must turn into zero new rows (its
cost is printed too: re-importing a zone is the common case).

PostgreSQL: `--postgres URL` (or AUDITOR_TEST_POSTGRES_URL); a throw-away database is created and
dropped. The issue's target is 50,000 rows/s or more on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.engine import score  # noqa: E402
from auditor.importers import import_file  # noqa: E402
from auditor.parse import parse  # noqa: E402
from auditor.records import RegistrationRecord  # noqa: E402
from auditor.store import Store  # noqa: E402
from auditor.synthetic import write_bulk_export  # noqa: E402
from auditor.verify import Verifier  # noqa: E402
from rules import select  # noqa: E402


@contextmanager
def fresh_postgres(base: str) -> Iterator[str]:
    """A new PostgreSQL database for the run, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from auditor.db import normalise_db_url

    admin_url = make_url(normalise_db_url(base))
    name = f"auditor_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build_rows(n: int, work: Path) -> tuple[list, list, list, dict[str, str | None]]:
    export = work / "export.csv"
    write_bulk_export(export, n)
    raws = import_file(export).records
    outcomes = [(parse(raw), raw.fetched_at) for raw in raws]
    records = [o for o, _t in outcomes if isinstance(o, RegistrationRecord)]
    findings = score(records, select(), Verifier(None), datetime.now(UTC), workers=os.cpu_count() or 1).findings
    return raws, outcomes, findings, {r.domain: r.registrar for r in records}


def timed(label: str, rows: int, write: Callable[[], int | None]) -> tuple[float, int]:
    start = time.perf_counter()
    added = write()
    seconds = time.perf_counter() - start
    note = "" if added is None else f"   added {added:,}"
    print(f"  {label:<34} {rows:>9,} rows {seconds:7.2f} s {rows / seconds:>10,.0f} rows/s{note}")
    return seconds, rows


def write_all(store: Store, run_id: str, raws: list, outcomes: list, findings: list,
              registrar_of: dict[str, str | None]) -> tuple[float, float]:
    """Write every table once; returns (seconds, rows)."""
    batch = 20_000
    store.start_run(run_id, datetime.now(UTC), "bench", "bench", {}, {})

    def raw_rows() -> int:
        return sum(store.add_raw(raws[i:i + batch]) for i in range(0, len(raws), batch))

    def parse_rows() -> None:
        for i in range(0, len(outcomes), batch):
            store.add_parse_outcomes(outcomes[i:i + batch])

    def finding_rows() -> int:
        return store.add_findings(run_id, findings, registrar_of)

    parts = [timed("raw_record", len(raws), raw_rows),
             timed("parse_result + registration", len(outcomes) * 2, parse_rows),
             timed("finding", len(findings), finding_rows)]
    return sum(s for s, _r in parts), sum(r for _s, r in parts)


def bench_prepared(url: str, raws: list, outcomes: list, writers: int) -> float:
    """The write path alone, as the audit uses it on PostgreSQL: rows prepared beforehand (by the parse
    workers, in the audit), written by `writers` concurrent connections. Returns rows/s."""
    from concurrent.futures import ThreadPoolExecutor

    from auditor.store import prepare_parse_outcomes, prepare_raw

    step = 5_000
    start = time.perf_counter()
    batches = [[prepare_raw(raws[i:i + step], "postgresql")] for i in range(0, len(raws), step)]
    batches += [prepare_parse_outcomes(outcomes[i:i + step], "postgresql") for i in range(0, len(outcomes), step)]
    rows = sum(len(b.values) for batch in batches for b in batch)
    prepare_seconds = time.perf_counter() - start
    with fresh_postgres(url) as fresh:
        store = Store(fresh)
        try:
            start = time.perf_counter()
            with ThreadPoolExecutor(writers) as pool:
                list(pool.map(store.write_prepared, batches))
            seconds = time.perf_counter() - start
        finally:
            store.close()
    print(f"  {writers} writer(s): {rows:,} raw_record + parse_result + registration rows written in {seconds:.2f} s "
          f"= {rows / seconds:,.0f} rows/s (preparing them took {prepare_seconds:.2f} s in one process)")
    return rows / seconds


def bench(url: str, raws: list, outcomes: list, findings: list, registrar_of: dict[str, str | None]) -> float:
    store = Store(url)
    try:
        print(" first write:")
        seconds, rows = write_all(store, "bench-first", raws, outcomes, findings, registrar_of)
        print(" the same rows again (a re-import; findings go to a new run):")
        write_all(store, "bench-again", raws, outcomes, findings, registrar_of)
        print(f"  overall first write: {rows:,.0f} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s")
        return rows / seconds
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="registrations to build rows from")
    parser.add_argument("--postgres", default=os.environ.get("AUDITOR_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"building rows from {args.rows:,} synthetic registrations ...")
        raws, outcomes, findings, registrar_of = build_rows(args.rows, work)
        print(f"SQLite (file in {work}):")
        sqlite_rate = bench(f"sqlite:///{work / 'bench.sqlite'}", raws, outcomes, findings, registrar_of)
        if args.postgres:
            print("PostgreSQL:")
            with fresh_postgres(args.postgres) as url:
                pg_rate = bench(url, raws, outcomes, findings, registrar_of)
            print("PostgreSQL, the write path alone (rows already prepared, as the parse workers hand them over):")
            prepared = {w: bench_prepared(args.postgres, raws, outcomes, w) for w in (1, 2, 3)}
            best = max(prepared, key=prepared.__getitem__)
            for label, rate in (("through the store's methods, one process", pg_rate),
                                (f"prepared rows, {best} concurrent writers", prepared[best])):
                verdict = "met" if rate >= 50_000 else "NOT met"
                print(f"PostgreSQL bulk write, {label}: {rate:,.0f} rows/s; target 50,000 rows/s {verdict} "
                      f"(ratio {rate / 50_000:.2f})")
            print(f"SQLite, through the store's methods: {sqlite_rate:,.0f} rows/s")
        else:
            print("PostgreSQL skipped: pass --postgres URL or set AUDITOR_TEST_POSTGRES_URL")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
