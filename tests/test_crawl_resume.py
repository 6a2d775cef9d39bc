"""`auditor crawl` killed with SIGKILL mid-way and started again: it finishes the remaining domains
without losing or duplicating a record, and the killed crawl's process does not live on.

The server stamps every answer with a serial number, so asking again for a domain already stored would
add a second raw record: "no duplicate" is checked on real bytes, not on a unique constraint alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.loopback.whois_server import LoopbackWhoisServer
from auditor.store import CrawlStore

DOMAINS = [f"resume{i:02d}.zz" for i in range(30)]


def record(domain: str) -> bytes:
    return f"Domain Name: {domain}\r\nRegistrar: R\r\nCreation Date: 2020-01-02\r\nRegistrant Name: Ada\r\n".encode()


def crawl_command(tmp: Path, server: LoopbackWhoisServer) -> list[str]:
    return [sys.executable, "-m", "auditor", "crawl", str(tmp / "domains.txt"), "--out", str(tmp / "out"),
            "--db", str(tmp / "crawl.sqlite"), "--whois-server", server.address, "--rate", "*=10", "--no-dns",
            "--quiet", "--connect-only-to", "127.0.0.0/8", "--job", "resume-test"]


def wait_for(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_then_resume_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    (tmp_path / "domains.txt").write_text("\n".join(DOMAINS) + "\n")
    with LoopbackWhoisServer(record, stamp=True) as server:
        first = subprocess.Popen(crawl_command(tmp_path, server), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: len(server.queries) >= 10, timeout=30)
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        time.sleep(0.3)
        at_kill = len(server.queries)
        time.sleep(1.0)
        assert len(server.queries) == at_kill, "the killed crawl's process went on querying"
        assert at_kill < len(DOMAINS), "the crawl finished before it could be killed"

        second = subprocess.run(crawl_command(tmp_path, server), capture_output=True, text=True, timeout=90)
        assert second.returncode == 0, second.stdout + second.stderr
        queries = server.queries

    assert set(queries) == set(DOMAINS)
    assert len(queries) <= len(DOMAINS) + 1  # at most the answer in flight at the kill was asked twice
    store = CrawlStore(f"sqlite:///{tmp_path / 'crawl.sqlite'}")
    try:
        targets = store.targets("resume-test")
        assert len(targets) == len(DOMAINS) and all(t["state"] == "done" for t in targets)
        raws = store.collected_raw("resume-test")
        assert sorted(r.query for r in raws) == sorted(DOMAINS)  # one stored answer per domain: none lost, none twice
        assert store.count("raw_record") == len(DOMAINS)
        ok = [r for r in store.responses("resume-test") if r["status"] == "ok"]
        assert sorted(r["domain"] for r in ok) == sorted(DOMAINS)
    finally:
        store.close()
    summary = (tmp_path / "out" / "summary.json").read_text()
    assert '"records_audited": 30' in summary
