"""Parse, rule and grade cost of two checkouts, measured in alternation: a change's effect on a noisy machine.

    python benchmarks/paired.py --old PATH [--new PATH] [--records N] [--rounds R] [--export FILE]

On a shared 2-core machine the speed of the same code moves by 30 % from one minute to the next, so
two runs of `million.py` one after the other cannot show a 5 % change. This script starts one
long-lived process per checkout (`--old`, e.g. a `git worktree` of the commit before; `--new`,
this checkout by default), each reading the same registry export (`auditor.synthetic`, generated
when `--export` does not exist), and then asks them in turn, old and new alternately, to parse,
score (every record rule and every dataset rule's map step) and grade the next N records, with
fresh values each round as in a zone (cold caches). Each round's pair ran within seconds of each
other, so the ratio new/old of a pair is what the change did; the median of those ratios is printed
with their range, beside the median CPU time a record of each.

The worker uses internal functions (`auditor.engine._contexts`, `PublicationProfile`,
`auditor.grades.grade_all`), so both checkouts must have them (every commit since this script).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("parse", "rules", "grade")
#: Slices of the export a worker cycles through, so each round sees values it has not cached.
SLICES = 8


def worker(export: Path, records: int) -> None:
    """Time one round (parse, score, grade the next slice) per line read on stdin; print JSON per round."""
    from auditor.engine import PublicationProfile, _contexts
    from auditor.grades import grade_all
    from auditor.importers import import_file
    from auditor.parse import parse
    from auditor.records import RegistrationRecord
    from auditor.verify import Verifier
    from rules import select

    gc.disable()  # as in an audit (pipeline.audit_gc)
    raws = import_file(export).records[: records * SLICES]
    gc.freeze()
    rules = select()
    verify = Verifier(None)
    for round_no, _line in enumerate(sys.stdin):
        part = raws[(round_no % SLICES) * records : (round_no % SLICES + 1) * records]
        t0 = time.process_time()
        outcomes = [parse(raw) for raw in part]
        t1 = time.process_time()
        recs = [o for o in outcomes if isinstance(o, RegistrationRecord)]
        contexts = _contexts(rules, verify, datetime.now(UTC), {}, PublicationProfile(recs))
        t2 = time.process_time()
        found = []
        for rec in recs:
            for r in rules:
                ctx = contexts[r.id]
                if r.scope == "record":
                    found.extend(r.func(rec, ctx))
                elif r.grouping is not None:
                    list(r.grouping.keys(rec, ctx))
                elif r.extract is not None:
                    list(r.extract(rec, ctx))
        t3 = time.process_time()
        grade_all(recs, found, verify)
        t4 = time.process_time()
        del outcomes, recs, found
        per = 1e6 / len(part)
        print(json.dumps({"parse": (t1 - t0) * per, "rules": (t3 - t2) * per, "grade": (t4 - t3) * per}), flush=True)


def start(tree: Path, export: Path, records: int) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", "--export", str(export),
                             "--records", str(records)],
                            cwd=tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, help="the checkout to compare against (e.g. a git worktree)")
    parser.add_argument("--new", type=Path, default=ROOT, help="the checkout measured (default: this one)")
    parser.add_argument("--records", type=int, default=5000, help="records a round (default 5,000)")
    parser.add_argument("--rounds", type=int, default=12, help="pairs of rounds measured (default 12)")
    parser.add_argument("--export", type=Path, help="the registry export to read (generated when missing; "
                        "default: auditor-paired-N.csv in the temporary directory)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.export, args.records)
        return 0
    if args.old is None:
        parser.error("--old PATH is required")
    export = (args.export or Path(tempfile.gettempdir()) / f"auditor-paired-{args.records * SLICES}.csv").resolve()
    if not export.exists():
        sys.path.insert(0, str(ROOT))
        from auditor.synthetic import write_bulk_export

        write_bulk_export(export, args.records * SLICES)
    procs = {"old": start(args.old.resolve(), export, args.records), "new": start(args.new.resolve(), export, args.records)}
    results: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    try:
        for round_no in range(args.rounds + 1):
            order = ("old", "new") if round_no % 2 else ("new", "old")  # neither always goes first
            for name in order:
                proc = procs[name]
                proc.stdin.write("go\n")  # type: ignore[union-attr]
                proc.stdin.flush()  # type: ignore[union-attr]
                line = proc.stdout.readline()  # type: ignore[union-attr]
                if not line:
                    raise SystemExit(f"the {name} checkout's worker stopped (see its error above)")
                if round_no:  # the first round warms both up
                    results[name].append(json.loads(line))
    finally:
        for proc in procs.values():
            proc.stdin.close()  # type: ignore[union-attr]
            proc.wait()
    print(f"{args.rounds} pairs of rounds of {args.records:,} records, old {args.old}, new {args.new}; "
          "CPU time a record (process time)")
    totals = {name: [sum(r[p] for p in PARTS) for r in rows] for name, rows in results.items()}
    for part, old, new in [(p, [r[p] for r in results["old"]], [r[p] for r in results["new"]]) for p in PARTS] + \
            [("total", totals["old"], totals["new"])]:
        ratios = [n / o for o, n in zip(old, new, strict=True)]
        print(f"  {part:6s} old {statistics.median(old):8.1f} us   new {statistics.median(new):8.1f} us   "
              f"new/old median {statistics.median(ratios):.3f} (pairs {min(ratios):.2f} to {max(ratios):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
