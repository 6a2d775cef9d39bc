"""Records scored per second by the full rule set (DNS off), and the effect of caching on distinct values.

    python benchmarks/score_speed.py [N]

Builds N registrations from the labelled set's records, varying domain, mailbox and the last digits of
phone numbers so most values are distinct (a worst case for the caches), then scores them twice: the
first pass pays for every library call, the second shows the cached cost. Prints records/s for both,
and the same ratio for one process scoring a zone with realistic repetition (a registrar's or
proxy's data repeated across domains).

Scoring runs as in an audit: the records frozen out of the garbage collector's sight and the
collector off (`auditor.pipeline.audit_gc`). With the collector on, scoring 100k records of the
bulk export took 150 us a record instead of 119: a figure measured that way overstates the audit's.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from auditor.engine import score
from auditor.importers import discover, import_file
from auditor.parse import parse
from auditor.pipeline import audit_gc
from auditor.records import RegistrationRecord
from auditor.verify import Verifier, check_email_syntax, check_phone
from rules import select

ROOT = Path(__file__).resolve().parent.parent


def base_records() -> list[RegistrationRecord]:
    files, _missing = discover([ROOT / "fixtures" / "labelled"])
    out = []
    for path in files:
        for raw in import_file(path).records:
            rec = parse(raw)
            if isinstance(rec, RegistrationRecord):
                out.append(rec)
    return out


def vary(records: list[RegistrationRecord], n: int, distinct: bool) -> list[RegistrationRecord]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        rec = records[i % len(records)]
        contacts = []
        for c in rec.contacts:
            if distinct and c.email and "@" in c.email:
                local, _, dom = c.email.partition("@")
                c = replace(c, email=f"{local}{i}@{dom}")
            if distinct and c.phone and c.phone[-1].isdigit():
                c = replace(c, phone=c.phone[:-2] + f"{rng.randrange(100):02d}")
            contacts.append(c)
        out.append(replace(rec, domain=f"d{i}-{rec.domain}", contacts=tuple(contacts)))
    return out


def run(records: list[RegistrationRecord]) -> float:
    rules = select()
    start = time.perf_counter()
    score(records, rules, Verifier(None), datetime.now(UTC))
    return len(records) / (time.perf_counter() - start)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with audit_gc():
        measure(n)


def measure(n: int) -> None:
    base = base_records()
    distinct = vary(base, n, distinct=True)
    realistic = vary(base, n, distinct=False)
    gc.freeze()  # the records are long-lived, as an audit's are (pipeline.keep_long_lived)
    check_email_syntax.cache_clear()
    check_phone.cache_clear()
    cold = run(distinct)
    warm = run(distinct)
    check_email_syntax.cache_clear()
    check_phone.cache_clear()
    repeated = run(realistic)
    print(f"{n} records, {len(select())} rules, DNS off, one process, garbage collector off as in an audit")
    print(f"  mostly distinct values, cold caches: {cold:10,.0f} records/s")
    print(f"  same records again, warm caches:     {warm:10,.0f} records/s   ({warm / cold:.1f}x)")
    print(f"  values repeating as in a real zone:  {repeated:10,.0f} records/s   ({repeated / cold:.1f}x)")


if __name__ == "__main__":
    main()
