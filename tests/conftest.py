"""Shared fixtures: a temporary SQLite store, a fresh PostgreSQL database, loopback servers, the demo run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.demo import demo_dns, demo_inputs
from auditor.loopback.dns_server import LoopbackDnsServer
from auditor.pipeline import AuditOptions, AuditResult, run_audit

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PEER_FIXTURES = ROOT.parent / "shared" / "peer-fixtures"
POSTGRES_ENV = "AUDITOR_TEST_POSTGRES_URL"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'auditor.sqlite'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set (.ci/run sets it to the PostgreSQL on 127.0.0.1:5432)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from auditor.db import normalise_db_url

    admin_url = make_url(normalise_db_url(base))
    name = f"auditor_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def dns_server() -> Iterator[LoopbackDnsServer]:
    """The demo zones served on 127.0.0.1 (UDP and TCP)."""
    with LoopbackDnsServer(demo_dns(FIXTURES)) as server:
        yield server


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory, dns_server: LoopbackDnsServer) -> AuditResult:
    """One audit of the bundled zone, shared by the end-to-end tests."""
    out = tmp_path_factory.mktemp("demo-out")
    options = AuditOptions(dns=True, resolver=dns_server.address, dns_timeout=2.0)
    return run_audit(demo_inputs(FIXTURES), out, f"sqlite:///{out / 'auditor.sqlite'}", options)
