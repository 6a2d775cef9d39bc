"""Parse the peers' recorded WHOIS responses with this parser and with python-whois, in the same run.

Prints records per second for each, the speed ratio, and how often the two agree on the fields both
fill in (domain, registrar, creation / expiry / update dates at day precision, name servers).
Not a test: timings depend on the machine. Run it from the repository root::

    python benchmarks/parse_speed.py [--repeat 3] [--root PATH]

The recordings are found as in the conformance harness (``$AUDITOR_PEER_FIXTURES`` or
``../shared/peer-fixtures``). Every file is read into memory first; only parsing is timed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.domains import normalise_domain  # noqa: E402
from auditor.parse import parse  # noqa: E402
from auditor.records import RawRecord, RegistrationRecord, Source  # noqa: E402
from tests.peer_fixtures.cases import all_cases, peer_root  # noqa: E402

FETCHED = datetime(2024, 1, 1, tzinfo=UTC)


def load(root: Path) -> list[tuple[str, str, bytes]]:
    """(query, tld, body) for every peer WHOIS recording that names its domain."""
    out = []
    for case in all_cases(root):
        if case.query and "." in case.query:
            out.append((case.query, case.tld or "", case.path.read_bytes()))
    return out


def ours(samples: list[tuple[str, str, bytes]]) -> list[object]:
    return [parse(RawRecord(Source.WHOIS, "file", q, body, FETCHED), tld=tld) for q, tld, body in samples]


def python_whois(samples: list[tuple[str, str, bytes]]) -> list[object]:
    import whois.parser  # the comparison baseline (python-whois)

    out = []
    for q, _tld, body in samples:
        text = body.decode("utf-8", errors="replace")  # python-whois takes text; it does no charset detection
        try:
            out.append(whois.parser.WhoisEntry.load(q, text))
        except Exception:  # noqa: BLE001 - python-whois raises on not-found and on formats it cannot read
            out.append(None)
    return out


def _timed(fn, samples, repeat: int) -> tuple[float, list[object]]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), []
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = fn(samples)
        best = min(best, time.perf_counter() - start)
    return best, result


def _first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else value


def _day(value: object) -> date | None:
    value = _first(value)
    return value.date() if isinstance(value, datetime) else None


def _fold(text: object) -> str:
    return " ".join(str(text).casefold().replace(",", " ").replace(".", " ").split()) if text else ""


def compare(mine: list[object], theirs: list[object]) -> dict[str, Counter]:
    """Per field: how often both gave a value, and how often those values agree."""
    tally: dict[str, Counter] = {}
    for rec, entry in zip(mine, theirs, strict=True):
        if not isinstance(rec, RegistrationRecord) or entry is None:
            continue
        pairs = {
            "domain": (rec.domain, normalise_domain(str(_first(entry.get("domain_name")) or "").lower()) or None),
            "registrar": (_fold(rec.registrar) or None, _fold(_first(entry.get("registrar"))) or None),
            "created": (rec.created_at and rec.created_at.date(), _day(entry.get("creation_date"))),
            "expires": (rec.expires_at and rec.expires_at.date(), _day(entry.get("expiration_date"))),
            "updated": (rec.updated_at and rec.updated_at.date(), _day(entry.get("updated_date"))),
            "nameservers": (frozenset(rec.nameservers) or None,
                            frozenset(normalise_domain(str(n).lower().rstrip(".")) for n in entry.get("name_servers") or [] if n) or None),
        }
        for name, (a, b) in pairs.items():
            if a and b:
                t = tally.setdefault(name, Counter())
                t["both"] += 1
                t["agree"] += a == b
    return tally


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per parser; the best time counts")
    ap.add_argument("--root", type=Path, default=None, help="the peer-fixtures folder")
    args = ap.parse_args(argv)
    root = args.root or peer_root()
    if root is None:
        print("peer fixtures not found (set AUDITOR_PEER_FIXTURES)", file=sys.stderr)
        return 2
    logging.disable(logging.CRITICAL)
    samples = load(root)
    size = sum(len(b) for _q, _t, b in samples)
    ours(samples[:50])  # imports, regex compilation and table loading are not parsing
    t_ours, mine = _timed(ours, samples, args.repeat)
    python_whois(samples[:5])
    t_pw, theirs = _timed(python_whois, samples, args.repeat)
    n = len(samples)
    print(f"{n} recorded WHOIS responses ({size / 1e6:.1f} MB), best of {args.repeat} runs")
    print(f"  auditor.parse : {t_ours:7.3f} s  {n / t_ours:9.0f} records/s")
    print(f"  python-whois  : {t_pw:7.3f} s  {n / t_pw:9.0f} records/s")
    print(f"  speed ratio   : {t_pw / t_ours:.1f}x")
    print("agreement where both give a value:")
    for name, t in compare(mine, theirs).items():
        print(f"  {name:12} {100 * t['agree'] / t['both']:5.1f}% of {t['both']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
