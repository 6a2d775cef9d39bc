"""An audit killed with SIGKILL and run again loses and duplicates nothing; an unreachable database is a
clear error that leaves no partial output behind."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.store import Store
from auditor.synthetic import write_bulk_export
from tests.conftest import ROOT

ROWS = 6000


def auditor(*args: str) -> list[str]:
    return [sys.executable, "-m", "auditor", *args]


def _count(db: Path, table: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 (fixed names)
    except sqlite3.Error:
        return 0  # not created yet, or locked by the writer for a moment


def _finding_keys(store: Store, run_id: str) -> list[tuple[str, str, str, str, str]]:
    return [(f["domain"], f["rule_id"], f["role"], f["field"], f["fingerprint"]) for f in store.findings(run_id)]


def test_audit_killed_mid_way_then_run_again_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    write_bulk_export(export, ROWS)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    # the reference: one uninterrupted audit in its own database
    ref_db = tmp_path / "ref.sqlite"
    done = subprocess.run(auditor("audit", str(export), "--out", str(tmp_path / "ref"), "--db", str(ref_db),
                                  "--no-dns", "--quiet"), env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    # the same audit, killed once the parsed registrations start arriving in the store
    db = tmp_path / "audit.sqlite"
    out = tmp_path / "out"
    # small transactions, so that the kill lands with part of the parse stage committed
    cmd = auditor("audit", str(export), "--out", str(out), "--db", str(db), "--no-dns", "--quiet",
                  "--commit-every", "1000")
    victim = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _count(db, "parse_result") == 0 and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert victim.poll() is None, "the audit finished before it could be killed: raise ROWS"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    killed_at = _count(db, "parse_result")
    assert 0 < killed_at < ROWS
    assert not (out / "summary.json").exists()  # no output pretends the killed run finished

    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr

    ref, resumed = Store(f"sqlite:///{ref_db}"), Store(f"sqlite:///{db}")
    try:
        for table in ("raw_record", "parse_result", "registration"):
            assert resumed.count(table) == ref.count(table), table  # 0 lost, 0 duplicated
        assert resumed.count("raw_record") == ROWS
        runs = resumed.runs()
        finished = [r for r in runs if r.get("finished_at")]
        assert len(runs) == 2 and len(finished) == 1  # the killed run stays visibly unfinished
        summary = json.loads((out / "summary.json").read_text())
        assert summary["run_id"] == finished[0]["id"]
        ref_run = next(r for r in ref.runs() if r.get("finished_at"))
        keys, ref_keys = _finding_keys(resumed, finished[0]["id"]), _finding_keys(ref, ref_run["id"])
        assert len(keys) == len(set(keys))  # no finding twice
        assert keys == ref_keys  # and exactly the uninterrupted run's findings
        lines = (out / "findings.jsonl").read_text().splitlines()
        assert len(lines) == len(keys)
    finally:
        ref.close()
        resumed.close()


def test_unreachable_database_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    unreachable = "postgresql://nobody@127.0.0.1:1/none"
    (tmp_path / "in.txt").write_text("Domain Name: example.zz\nRegistrant Name: A\n")
    audit = subprocess.run(auditor("audit", str(tmp_path / "in.txt"), "--out", str(tmp_path / "out"),
                                   "--db", unreachable, "--no-dns", "--quiet"),
                           env=env, capture_output=True, text=True, timeout=120)
    report = subprocess.run(auditor("report", "--by", "registrar", "--out", str(tmp_path / "packs"),
                                    "--db", unreachable, "--no-pdf"),
                            env=env, capture_output=True, text=True, timeout=120)
    for done in (audit, report):
        assert done.returncode != 0
        assert "cannot open database" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert not (tmp_path / "packs").exists() or not any((tmp_path / "packs").iterdir())


@pytest.mark.parametrize("failing", ["grade rows", "finish run"])
def test_a_store_failing_at_the_end_of_an_audit_leaves_the_last_runs_files(tmp_path: Path, monkeypatch,  # type: ignore[no-untyped-def]
                                                                              failing: str) -> None:
    """The findings and grades files are written while their rows are stored; when storing them, or
    finishing the run after them, fails, the audit fails and the output directory keeps the previous
    run's findings, grades and summary (no new findings beside an old summary, no hidden files left)."""
    import auditor.pipeline as pipeline
    from auditor.pipeline import AuditOptions, run_audit
    from auditor.store import PreparedRows
    from tests.conftest import FIXTURES, demo_inputs

    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'db.sqlite'}"
    run_audit(demo_inputs(FIXTURES), out, db, AuditOptions(dns=False))
    before = {name: (out / name).read_bytes() for name in ("findings.jsonl", "grades.jsonl", "summary.json")}
    assert before["findings.jsonl"] and before["grades.jsonl"]

    def failing_rows(run_id, grades, registrars, dialect, update=False):  # type: ignore[no-untyped-def]
        return PreparedRows("no_such_table", ["run_id"], [(run_id,)])

    def failing_finish(self, *args):  # type: ignore[no-untyped-def]
        raise RuntimeError("no_such_table: the store went away")

    if failing == "grade rows":
        monkeypatch.setattr(pipeline, "prepare_grade_rows", failing_rows)
    else:
        monkeypatch.setattr(Store, "finish_run", failing_finish)
    with pytest.raises(Exception, match="no_such_table"):  # a run whose files would differ: one rule only
        run_audit(demo_inputs(FIXTURES), out, db, AuditOptions(dns=False, select=("INC001",)))
    assert {name: (out / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
