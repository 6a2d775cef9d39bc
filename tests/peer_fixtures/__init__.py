"""Conformance harness: our parser against five other projects' recorded WHOIS responses.

`cases` reads each peer's recordings and expected parses, `compare` runs our parser and compares
field by field, `python -m tests.peer_fixtures` prints the agreement table, and
`test_conformance.py` fails when agreement drops below the committed `baseline.json`.
"""

from __future__ import annotations

from pathlib import Path

BASELINE = Path(__file__).with_name("baseline.json")


def baseline_levels(report) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    """{peer: {field: agreement rate}} rounded down to 0.1 %, the levels the test holds the parser to."""
    levels: dict[str, dict[str, float]] = {}
    for (peer, fname), tally in sorted(report.tallies.items()):
        if tally.total:
            levels.setdefault(peer, {})[fname] = int(tally.rate * 1000) / 1000
    return levels
