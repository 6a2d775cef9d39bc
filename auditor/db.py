"""SQLModel tables (the stored shape of the value types) and the engine factory.

SQLite is the embedded default; the same models run on PostgreSQL. Uniqueness constraints are
what make every stage idempotent: re-importing or re-auditing adds nothing it already has.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, LargeBinary, UniqueConstraint, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel, create_engine

from auditor.errors import StoreError


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always gives them back aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _dt(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


def _json() -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=True))


class RawRecordRow(SQLModel, table=True):
    """Exactly what arrived: bytes, where from, when, and its SHA-256."""

    __tablename__ = "raw_record"
    #: the identity, hash first: the one index serves look-ups by hash too
    __table_args__ = (UniqueConstraint("sha256", "source", "server", "query", name="uq_raw_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    server: str = Field(max_length=255)
    query: str = Field(max_length=255)
    sha256: str = Field(max_length=64)  # looked up through the unique key, whose first column it is
    status: str = Field(max_length=16)
    fetched_at: datetime = _dt(nullable=False)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    url: str | None = None
    origin: str | None = None
    charset: str | None = Field(default=None, max_length=32)
    error: str | None = None


class ParseResultRow(SQLModel, table=True):
    """What one parser version made of one raw record: every raw record is accounted for here."""

    __tablename__ = "parse_result"
    __table_args__ = (UniqueConstraint("raw_sha256", "parser", name="uq_parse_result"),)

    id: int | None = Field(default=None, primary_key=True)
    raw_sha256: str = Field(max_length=64)  # looked up through the unique key, whose first column it is
    parser: str = Field(max_length=64)
    status: str = Field(max_length=16)  # a ResponseStatus value, or "failed"
    domain: str | None = Field(default=None, max_length=255)
    reason: str | None = None
    excerpt: str | None = None


class RegistrationRow(SQLModel, table=True):
    """One parsed registration; contacts are stored as JSON in the value type's own shape."""

    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("raw_sha256", "parser", name="uq_registration"),)

    id: int | None = Field(default=None, primary_key=True)
    raw_sha256: str = Field(max_length=64)  # looked up through the unique key, whose first column it is
    parser: str = Field(max_length=64)
    domain: str = Field(max_length=255, index=True)
    source: str = Field(max_length=16)
    registrar: str | None = None  # per-registrar views read the run's findings and grades, not this table
    registrar_iana_id: str | None = None
    created_at: datetime | None = _dt()
    updated_at: datetime | None = _dt()
    expires_at: datetime | None = _dt()
    fetched_at: datetime | None = _dt()
    statuses: Any = _json()
    nameservers: Any = _json()
    contacts: Any = _json()
    locations: Any = _json()


class AuditRunRow(SQLModel, table=True):
    """One reproducible audit: configuration, rule versions, tallies (the denominators) and summary."""

    __tablename__ = "audit_run"

    id: str = Field(primary_key=True, max_length=32)
    started_at: datetime = _dt(nullable=False)
    finished_at: datetime | None = _dt()
    tool_version: str = Field(max_length=32)
    config_hash: str = Field(max_length=64)
    config: Any = _json()
    rules: Any = _json()
    tallies: Any = _json()
    summary: Any = _json()


class FindingRow(SQLModel, table=True):
    """One finding of one run; the fingerprint makes re-running the same audit add nothing."""

    __tablename__ = "finding"
    __table_args__ = (UniqueConstraint("run_id", "fingerprint", name="uq_finding"),)

    id: int | None = Field(default=None, primary_key=True)
    # no index of its own: the unique key (run_id, fingerprint) serves look-ups by run
    run_id: str = Field(max_length=32, foreign_key="audit_run.id")
    fingerprint: str = Field(max_length=64)
    domain: str = Field(max_length=255, index=True)
    registrar: str | None = None
    rule_id: str = Field(max_length=16, index=True)
    rule_name: str = Field(max_length=80)
    category: str = Field(max_length=16)
    severity: str = Field(max_length=8)
    role: str = Field(max_length=16)
    field: str = Field(max_length=16)
    message: str
    evidence: Any = _json()
    policy: Any = _json()
    raw_sha256: str | None = Field(default=None, max_length=64)
    related_domains: Any = _json()


class RecordGradeRow(SQLModel, table=True):
    """The ARS/NORC-style grade of one registration in one run (auditor/grades.py); no personal data."""

    __tablename__ = "record_grade"
    __table_args__ = (UniqueConstraint("run_id", "domain", name="uq_record_grade"),)

    id: int | None = Field(default=None, primary_key=True)
    # no index of its own: the unique key (run_id, domain) serves look-ups by run (a million rows each
    # paid for a second index before)
    run_id: str = Field(max_length=32, foreign_key="audit_run.id")
    domain: str = Field(max_length=255)
    registrar: str | None = None
    norc: str = Field(max_length=24)
    registrant_identified: str = Field(max_length=16)
    modes: Any = _json()


def redact_url(url: str) -> str:
    """A database URL safe to print (password hidden)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display
        return "<unparseable database URL>"


def normalise_db_url(url: str) -> str:
    """Accept a bare file path or postgresql:// and pick the installed driver."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """Create the engine and the tables; a clear StoreError when the database is unreachable."""
    url = normalise_db_url(url)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        _make_sqlite_parent(url)
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(engine, "connect", _sqlite_pragmas)
        SQLModel.metadata.create_all(engine)
    except ModuleNotFoundError as exc:
        raise StoreError(f"database driver missing for {redact_url(url)}: {exc.name} "
                         "(install the 'postgres' extra for PostgreSQL)") from exc
    except Exception as exc:  # noqa: BLE001 - every driver raises its own types
        raise StoreError(f"cannot open database {redact_url(url)}: {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc
    return engine


def _make_sqlite_parent(url: str) -> None:
    """A new SQLite file in a directory that does not exist yet: create the directory."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    # Only a new database takes a page size (before its first write; later it is a no-op). 16 KiB pages
    # hold a registration row's JSON with fewer page splits: 100k registrations' raw, parse and
    # registration rows took 4.9 s with the default 4 KiB, 3.7 s with 16 KiB, 3.3 s with 32 KiB and
    # 3.1 s with 64 KiB; the larger sizes were left alone because each small commit (a crawl records
    # every answer) writes whole pages to the WAL.
    cur.execute("PRAGMA page_size=16384")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # SQLite's default page cache is 2 MiB: a zone's unique indexes outgrow it and every insert becomes
    # random I/O. 1 GiB keeps a million registrations' indexes in memory (the pages are allocated only
    # as they are used; 256 MiB was outgrown at about a million rows: 1M audit 851 s -> 671 s).
    cur.execute("PRAGMA cache_size=-1048576")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


# -- crawl state (collection by `auditor crawl`) -----------------------------------------------


class CrawlTargetRow(SQLModel, table=True):
    """One domain to fetch by one protocol in one crawl job: the frontier a killed crawl resumes from.

    `done` means the answer chain is stored (an ok or not_found answer, and the referral hop if any);
    every other state is asked again on the next run. `server`, `url` and `query` say what to ask next:
    after a referral they point at the registrar's server (hop 1).
    """

    __tablename__ = "crawl_target"
    __table_args__ = (UniqueConstraint("job", "domain", "protocol", name="uq_crawl_target"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64, index=True)
    domain: str = Field(max_length=255)
    protocol: str = Field(max_length=8)
    first_server: str = Field(max_length=255, index=True)  # the registry's server (hop 0): progress is counted by it
    server: str = Field(max_length=255)
    url: str
    query: str | None = None
    hop: int = 0
    visited: Any = _json()
    state: str = Field(max_length=16, index=True)
    attempts: int = 0
    outcome: str | None = Field(default=None, max_length=16)
    note: str | None = None
    updated_at: datetime | None = _dt()


class CrawlResponseRow(SQLModel, table=True):
    """One answer a crawl received (or one failed attempt), pointing at its raw record by identity."""

    __tablename__ = "crawl_response"
    __table_args__ = (UniqueConstraint("job", "domain", "protocol", "hop", "attempt", name="uq_crawl_response"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64, index=True)
    domain: str = Field(max_length=255)
    protocol: str = Field(max_length=8)
    hop: int = 0
    attempt: int = 1
    server: str = Field(max_length=255)  # the politeness key (host:port) that answered
    raw_source: str = Field(max_length=16)
    raw_server: str = Field(max_length=255)
    raw_query: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    status: str = Field(max_length=16)
    fetched_at: datetime = _dt(nullable=False)
    error: str | None = None


class CrawlServerRow(SQLModel, table=True):
    """When a server may next be asked: shared by every crawl process on this database, kept across restarts."""

    __tablename__ = "crawl_server"
    __table_args__ = (UniqueConstraint("server", name="uq_crawl_server"),)

    id: int | None = Field(default=None, primary_key=True)
    server: str = Field(max_length=255)
    next_at: datetime = _dt(nullable=False)
    updated_at: datetime | None = _dt()


class CrawlQuotaRow(SQLModel, table=True):
    """Queries sent to a server (or a group of servers sharing a quota) in one clock hour."""

    __tablename__ = "crawl_quota"
    __table_args__ = (UniqueConstraint("server", "hour", name="uq_crawl_quota"),)

    id: int | None = Field(default=None, primary_key=True)
    server: str = Field(max_length=255)
    hour: datetime = _dt(nullable=False)
    used: int = 0
