"""An audit too large for the machine's memory is refused before anything is read or stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import sizing
from auditor.cli import main
from auditor.pipeline import AuditOptions, run_audit
from auditor.sizing import BASE_BYTES, BYTES_PER_RECORD, InsufficientMemoryError, count_records, estimate
from auditor.store import Store

HEADER = "domain,registrant_name,registrant_email\n"


def _export(path: Path, rows: int) -> Path:
    path.write_text(HEADER + "".join(f"d{i}.zz,Jane Roe,jane{i}@mail.zz\n" for i in range(rows)), encoding="utf-8")
    return path


def test_records_are_counted_per_line_for_exports_and_per_file_otherwise(tmp_path: Path) -> None:
    assert count_records(_export(tmp_path / "a.csv", 3)) == 4  # the header line counts too: an upper bound
    (tmp_path / "b.CSV").write_bytes(HEADER.encode() + b"d.zz,X,x@y.zz")  # no newline after the last row
    assert count_records(tmp_path / "b.CSV") == 2
    (tmp_path / "c.jsonl").write_text('{"a": 1}\n{"a": 2}\n')
    assert count_records(tmp_path / "c.jsonl") == 2
    (tmp_path / "d.zz.txt").write_text("Domain Name: d.zz\nRegistrant Name: X\n")
    assert count_records(tmp_path / "d.zz.txt") == 1
    (tmp_path / "e.csv").write_bytes(b"")
    assert count_records(tmp_path / "e.csv") == 0


def test_estimate_is_base_plus_records_plus_the_bytes_held(tmp_path: Path) -> None:
    files = [_export(tmp_path / "a.csv", 9), _export(tmp_path / "b.csv", 19)]
    found = estimate(files, available=None)
    size = sum(f.stat().st_size for f in files)
    assert (found.records, found.input_bytes) == (30, size)
    assert found.needed == BASE_BYTES + 30 * BYTES_PER_RECORD + size
    assert found.fits  # an unknown amount of free memory never refuses
    assert not estimate(files, available=found.needed - 1).fits and estimate(files, available=found.needed).fits


def test_a_million_registrations_are_estimated_near_the_measured_peak(tmp_path: Path) -> None:
    """benchmarks/million.py's audits peaked at 12.3 GiB for 1M registrations (a 280 MB export) and 3.3 GiB
    for 200k, summed over the parent and its two workers."""
    for registrations, export_bytes, measured_gib in ((1_000_000, 280e6, 12.3), (200_000, 56e6, 3.3)):
        needed = BASE_BYTES + registrations * BYTES_PER_RECORD + export_bytes
        assert measured_gib * 0.95 <= needed / 1024**3 <= measured_gib * 1.1


def test_an_audit_that_would_not_fit_is_refused_before_anything_is_stored(tmp_path: Path, monkeypatch) -> None:
    export = _export(tmp_path / "zone.csv", 50)
    monkeypatch.setattr(sizing, "available_memory", lambda: 64 * 1024 * 1024)  # less than BASE_BYTES
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with pytest.raises(InsufficientMemoryError) as raised:
        run_audit([export], tmp_path / "out", db, AuditOptions(dns=False))
    message = str(raised.value)
    assert "51 records" in message and "--no-memory-check" in message and "auditor sample" in message
    store = Store(db)
    try:
        assert store.count("raw_record") == 0 and store.count("registration") == 0
    finally:
        store.close()
    assert not (tmp_path / "out").exists()

    result = run_audit([export], tmp_path / "out", db, AuditOptions(dns=False, memory_check=False))
    assert result.summary["records_audited"] == 50


def test_the_cli_says_why_and_the_flag_overrides(tmp_path: Path, monkeypatch, capsys) -> None:
    export = _export(tmp_path / "zone.csv", 5)
    monkeypatch.setattr(sizing, "available_memory", lambda: 1024)
    args = ["audit", str(export), "--out", str(tmp_path / "out"), "--db", f"sqlite:///{tmp_path / 'a.sqlite'}",
            "--no-dns", "--quiet"]
    assert main(args) == 2
    assert "free" in capsys.readouterr().err
    assert main([*args, "--no-memory-check"]) == 0
    assert (tmp_path / "out" / "findings.jsonl").exists()


def test_a_container_limit_caps_the_free_memory(tmp_path: Path, monkeypatch) -> None:
    limit, used = tmp_path / "memory.max", tmp_path / "memory.current"
    limit.write_text("1073741824\n")
    used.write_text("268435456\n")
    monkeypatch.setattr(sizing, "_CGROUP_FILES", ((str(limit), str(used)),))
    assert sizing.available_memory() == 768 * 1024 * 1024  # this machine has more than 768 MiB free
    limit.write_text("max\n")  # cgroup v2: no limit
    assert sizing.available_memory() > 768 * 1024 * 1024


def test_this_machine_reports_its_free_memory() -> None:
    free = sizing.available_memory()
    assert free is not None and free > 0


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_rdap_files_holding_many_domains_count_each_across_chunk_boundaries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(sizing, "_CHUNK", chunk)
    monkeypatch.setattr(sizing, "ONE_RESPONSE_BYTES", 0)
    domain = '{"objectClassName": "domain", "ldhName": "d%d.zz", "entities": [{"objectClassName": "entity"}]}'
    (tmp_path / "search.json").write_text(
        '{"domainSearchResults": [' + ", ".join(domain % i for i in range(5)) + "]}")
    assert count_records(tmp_path / "search.json") == 5
    (tmp_path / "bulk.jsonl").write_text(
        '{"domainSearchResults": [' + ", ".join(domain % i for i in range(3)) + "]}\n" + domain % 9 + "\n")
    assert count_records(tmp_path / "bulk.jsonl") == 4  # more domains than lines
    (tmp_path / "one.json").write_text('{"objectClassName": "entity"}')
    assert count_records(tmp_path / "one.json") == 1
