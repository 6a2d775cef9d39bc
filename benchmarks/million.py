"""One million synthetic registrations: import → parse → score → findings stored, on SQLite and PostgreSQL.

    python benchmarks/million.py [--n 1000000] [--workers N] [--postgres URL] [--export FILE]

Generates a registry-style CSV export of N registrations (`auditor.synthetic.write_bulk_export`: 16
countries, realistic names, addresses and numbers, about 10 % planted defects), then runs the same audit
`auditor audit EXPORT --no-dns` runs, in this process, once into a fresh SQLite file and once into a
fresh PostgreSQL database (when `--postgres URL` or AUDITOR_TEST_POSTGRES_URL is given). For each it
prints the wall time, registrations per second, the CPU time of all processes per registration, the
time per stage, the peak memory (all processes summed, and the largest one), and the ratio to
the issue's target (one million in two minutes on a 2-core machine, i.e. 8,333 registrations/s).
`--export FILE` reuses (or keeps) the generated export. DNS checks are off: a zone-wide audit with DNS
is bound by the resolver, not by this code.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bulk_write import fresh_postgres  # noqa: E402

from auditor.pipeline import AuditOptions, run_audit  # noqa: E402
from auditor.synthetic import write_bulk_export  # noqa: E402

TARGET_SECONDS_PER_MILLION = 120.0


def peak_rss_gib() -> float:
    """Peak resident memory of the largest single process: this one or one of its finished workers."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024 / 1024


class SummedMemory(threading.Thread):
    """Samples the proportional set size (PSS) of this process and all its descendants, summed: what
    the audit takes from the machine. The largest single process's peak (above) leaves out the workers
    and the pages they copied. Linux only (/proc); reports None elsewhere.

    The kernel walks every page table of a process to answer, in this process's time, so a sample costs
    more the more memory the audit holds: sampling every 2 s took 0.6 of 58.1 s of CPU at 200k but 9.4
    of 303.7 s at 1M (3 %, on cores the audit needs). So each wait is `COST_RATIO` times what the last
    sample cost (1 % of a core), between `INTERVAL` and `LONGEST` (sampling every 5 s saw a peak
    0.2 GiB lower at 200k: figures from before this change were sampled every 2 s). `cpu` is what
    sampling cost in all (included in the CPU time printed)."""

    INTERVAL = 2.0
    LONGEST = 5.0
    COST_RATIO = 100

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.cpu = 0.0
        self._done = threading.Event()

    @staticmethod
    def _tree(pid: int) -> list[int]:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return [pid]
        return [pid, *(p for child in children for p in SummedMemory._tree(int(child)))]

    @staticmethod
    def _pss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return 0

    def run(self) -> None:
        wait = self.INTERVAL
        while not self._done.wait(wait):
            before = time.thread_time()
            self.peak = max(self.peak, sum(self._pss(p) for p in self._tree(os.getpid())))
            wait = min(self.LONGEST, max(self.INTERVAL, self.COST_RATIO * (time.thread_time() - before)))
        self.cpu = time.thread_time()

    def stop(self) -> float | None:
        self._done.set()
        self.join()
        return self.peak / 1024**3 if self.peak else None


def cpu_seconds() -> float:
    """User and system CPU time of this process and of its children that have been waited for (the
    audit's workers, once it has returned)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def audit(label: str, export: Path, db_url: str, out: Path, n: int, workers: int) -> float:
    memory = SummedMemory()
    memory.start()
    start, cpu_start = time.perf_counter(), cpu_seconds()
    result = run_audit([export], out, db_url, AuditOptions(dns=False, workers=workers))
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    summed = memory.stop()
    summary = result.summary
    target = TARGET_SECONDS_PER_MILLION * n / 1_000_000
    print(f"{label}: {n:,} registrations in {wall:,.1f} s = {n / wall:,.0f} registrations/s; "
          f"target {target:,.0f} s for this size: {'met' if wall <= target else 'NOT met'} "
          f"(ratio to target {wall / target:.2f}); peak memory of all processes "
          f"{f'{summed:.1f} GiB' if summed else 'unknown'}, of the largest {peak_rss_gib():.1f} GiB")
    # CPU time is steadier than wall time on a shared machine, and says what cores alone cannot fix
    allowed = TARGET_SECONDS_PER_MILLION * (os.cpu_count() or 1)  # seconds a million = us a registration
    print(f"    CPU time of all processes {cpu:,.1f} s = {cpu / n * 1e6:,.0f} us a registration "
          f"(the target allows {allowed:,.0f} us on {os.cpu_count()} cores, all busy; "
          f"{memory.cpu:.1f} s of it sampled the memory)")
    for stage, seconds in summary.get("timings_seconds", {}).items():
        print(f"    {stage:<34} {seconds:8.1f} s")
    print(f"    records audited {summary['records_audited']:,}, findings {summary['findings']['total']:,}")
    return wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--postgres", default=os.environ.get("AUDITOR_TEST_POSTGRES_URL"))
    parser.add_argument("--export", type=Path, help="reuse this export if it exists, else write it here")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; {args.workers} scoring workers")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        export = args.export or work / "export.csv"
        if not export.exists():
            start = time.perf_counter()
            planted = write_bulk_export(export, args.n)
            print(f"generated {args.n:,} registrations ({export.stat().st_size / 1e6:,.0f} MB, "
                  f"{sum(planted.values()):,} planted defects) in {time.perf_counter() - start:,.1f} s")
        if not args.skip_sqlite:
            audit("SQLite", export, f"sqlite:///{work / 'million.sqlite'}", work / "out-sqlite", args.n, args.workers)
        if args.postgres:
            with fresh_postgres(args.postgres) as url:
                audit("PostgreSQL", export, url, work / "out-postgres", args.n, args.workers)
        else:
            print("PostgreSQL skipped: pass --postgres URL or set AUDITOR_TEST_POSTGRES_URL")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
