"""Print the agreement table: ``python -m tests.peer_fixtures [--notes FIELD] [--peer PEER] [--update-baseline]``."""

from __future__ import annotations

import argparse
import json
import sys
import time

from tests.peer_fixtures import BASELINE, baseline_levels
from tests.peer_fixtures.cases import ENV_VAR, LOADERS, all_cases, peer_root
from tests.peer_fixtures.compare import FIELDS, evaluate, table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.peer_fixtures", description=__doc__)
    ap.add_argument("--peer", action="append", choices=sorted(LOADERS), help="only these peers")
    ap.add_argument("--notes", action="append", choices=FIELDS, help="list the disagreements of these fields")
    ap.add_argument("--update-baseline", action="store_true", help=f"write the reached levels to {BASELINE.name}")
    args = ap.parse_args(argv)
    root = peer_root()
    if root is None:
        print(f"peer fixtures not found (set {ENV_VAR} or put them at ../shared/peer-fixtures)", file=sys.stderr)
        return 2
    peers = args.peer or list(LOADERS)
    cases = [c for c in all_cases(root) if c.peer in peers]
    start = time.perf_counter()
    report = evaluate(cases, keep_notes=bool(args.notes))
    elapsed = time.perf_counter() - start
    print(f"{report.cases} recordings from {len(peers)} peers parsed in {elapsed:.2f} s; parser crashes: {len(report.crashes)}")
    print(table(report, peers))
    print(f"disputed peer expectations (left out above, see docs/parser-conformance.md): {len(report.disputed)}")
    for name, fname, verdict, reason in report.disputed:
        print(f"  {fname:8} {name}: {reason} [ours {'agrees' if verdict == 'agree' else 'differs'}]")
    print(f"peer 'registrar' values that are a contact's name, in responses naming no registrar (left out): {len(report.inferred)}")
    for name, reason in report.crashes:
        print(f"CRASH {name}: {reason}")
    for _peer, fname, case, expected, ours in report.notes:
        if fname in (args.notes or ()):
            print(f"[{fname}] {case}\n    peer: {expected}\n    ours: {ours}")
    if args.update_baseline:
        if args.peer:
            print("--update-baseline needs every peer", file=sys.stderr)
            return 2
        levels = baseline_levels(report)
        BASELINE.write_text(json.dumps(levels, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {BASELINE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
