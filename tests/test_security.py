"""Registration data is attacker-controlled: it must never become SQL, a path, markup or a formula,
and the test suite itself must never reach beyond loopback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.importers import import_file
from auditor.parse import parse
from auditor.pipeline import AuditOptions, run_audit
from auditor.records import NoRegistration, ParseFailure, RegistrationRecord
from auditor.store import Store


def test_the_suite_refuses_connections_outside_loopback() -> None:
    from pytest_socket import SocketConnectBlockedError

    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.1", 43), timeout=1)


def test_sql_injection_is_stored_as_data(tmp_path: Path) -> None:
    name = "Robert'); DROP TABLE registration;--"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bobby.zz.txt").write_text(
        f"Domain Name: bobby.zz\nCreation Date: 2020-01-01\nRegistrant Name: {name}\nRegistrant Email: x@y\n")
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    run_audit([tmp_path / "in"], tmp_path / "out", db, AuditOptions(dns=False))
    store = Store(db)
    try:
        records = store.registrations(["bobby.zz"])
        assert records[0][0].contacts[0].name == name
        assert store.count("registration") == 1 and store.count("finding") >= 1
    finally:
        store.close()


def test_domain_with_path_characters_never_becomes_a_path(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.txt").write_text("Domain Name: ../../etc/passwd\nRegistrant Name: N/A\nCreation Date: 2020-01-01\n")
    (tmp_path / "in" / "y.json").write_text('{"objectClassName": "domain", "ldhName": "../../evil", "entities": []}')
    result = run_audit([tmp_path / "in"], tmp_path / "out", f"sqlite:///{tmp_path / 'a.sqlite'}", AuditOptions(dns=False))
    assert result.records == []  # neither is a domain name
    created = {p.name for p in tmp_path.rglob("*")}
    assert "passwd" not in created and "evil" not in created


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=3000), suffix=st.sampled_from([".txt", ".json", ".csv", ".jsonl"]))
def test_importers_and_parsers_never_raise_on_arbitrary_bytes(tmp_path: Path, body: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(body)
    report = import_file(path)
    for raw in report.records:
        assert isinstance(parse(raw), RegistrationRecord | NoRegistration | ParseFailure)


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.text(max_size=40), min_size=1, max_size=8), max_size=6))
def test_csv_exports_with_arbitrary_cells(tmp_path: Path, rows: list[list[str]]) -> None:
    import csv

    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["domain", "registrant_name", "registrant_email", "registrant_phone", "registrant_country",
                         "admin_email", "created", "registrar"])
        writer.writerows(rows)
    report = import_file(path)
    for raw in report.records:
        assert isinstance(parse(raw), RegistrationRecord | NoRegistration | ParseFailure)


@pytest.mark.parametrize(("name", "body", "reason"), [
    ("deep.json", "[" * 200_000 + "]" * 200_000, "nested too deeply"),
    ("deep-entities.json", '{"objectClassName": "domain", "ldhName": "a.zz", "entities": '
                           + "[" * 5000 + "]" * 5000 + "}", "nested too deeply"),
    ("huge.json", '{"objectClassName": "domain", "ldhName": "a.zz", "remarks": ["' + "x" * 9_000_000 + '"]}',
     "too large"),
])
def test_json_bombs_are_parse_failures_with_a_reason(tmp_path: Path, name: str, body: str, reason: str) -> None:
    path = tmp_path / name
    path.write_text(body)
    report = import_file(path)
    assert len(report.records) == 1  # kept as evidence ...
    outcome = parse(report.records[0])
    assert isinstance(outcome, ParseFailure) and reason in outcome.reason  # ... and never a registration


def test_compressed_rdap_answers_are_read_and_a_gzip_bomb_stops_at_the_size_cap(tmp_path: Path) -> None:
    """A server that gzips unasked is read; a 64 MiB answer packed into 64 KiB of gzip stops at the cap."""
    from auditor.crawl import CrawlOptions, run_crawl
    from auditor.loopback.rdap_server import GzipBomb, Gzipped, LoopbackRdapServer
    from auditor.store import CrawlStore

    loopback = ("127.0.0.0/8", "::1/128")
    cap = 1024 * 1024
    tuning = {"rates": {"*": 50.0}, "max_attempts": 1, "timeout": 5.0, "rdap_max_bytes": cap,
              "allow_networks": loopback, "egress_networks": loopback}

    def record(domain: str) -> bytes:
        return f'{{"objectClassName": "domain", "ldhName": "{domain}", "entities": []}}'.encode()

    faults = {"bomb.zz": GzipBomb(size=64 * 1024 * 1024), "packed.zz": Gzipped()}
    with LoopbackRdapServer(record, faults=faults) as server:
        (tmp_path / "domains.txt").write_text("bomb.zz\nfine.zz\npacked.zz\n")
        db = f"sqlite:///{tmp_path / 'crawl.sqlite'}"
        report = run_crawl([str(tmp_path / "domains.txt")], db,
                           CrawlOptions(rdap_urls={"zz": server.base_url}, tuning=tuning), tmp_path / "out")
    store = CrawlStore(db)
    try:
        answers = {r["domain"]: r for r in store.responses(report.job)}
        assert answers["fine.zz"]["status"] == "ok" and answers["packed.zz"]["status"] == "ok"
        assert answers["bomb.zz"]["status"] == "error"
        assert "larger than" in answers["bomb.zz"]["error"]
        raws = store.raw_by_sha([a["sha256"] for a in answers.values() if a.get("sha256")])
        assert all(len(raw.body) <= cap for raw in raws.values())
        parsed = [parse(raw) for raw in store.collected_raw(report.job)]
        assert sorted(p.domain for p in parsed if isinstance(p, RegistrationRecord)) == ["fine.zz", "packed.zz"]
    finally:
        store.close()
