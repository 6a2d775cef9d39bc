"""ARS-style mode grades, NORC-style record labels, Wilson intervals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditor.engine import score
from auditor.grades import grade_record, summarise, wilson_interval
from auditor.records import RegistrationRecord
from auditor.verify import Verifier
from rules import select

NOW = datetime(2026, 11, 23, tzinfo=UTC)
GOOD = {"role": "registrant", "name": "Anna Schmidt", "email": "anna@schmidt.zz", "phone": "+49.3012345678",
        "street": ["Invalidenstraße 12"], "city": "Berlin", "postcode": "10115", "country": "DE"}


def graded(**contact: object) -> dict:  # type: ignore[type-arg]
    record = RegistrationRecord.from_dict({"domain": "x.zz", "contacts": [{**GOOD, **contact}]})
    verify = Verifier(None)
    result = score([record], select(), verify, NOW)
    return grade_record(record, result.findings, verify).to_dict()


def test_clean_record_has_no_failure() -> None:
    g = graded()
    assert g["norc"] == "no_failure"
    assert g["modes"]["registrant"]["email"] == {"syntax": "pass", "operability": "unknown"}  # DNS off
    assert g["modes"]["registrant"]["phone"] == {"syntax": "pass", "operability": "pass"}


def test_redacted_record_is_unassessable() -> None:
    g = graded(name=None, email=None, phone=None, street=[], city=None, postcode=None,
               redacted=["name", "email", "phone", "street", "city", "postcode"])
    assert g["norc"] == "unassessable"
    assert g["modes"]["registrant"]["email"]["syntax"] == "not_assessable"


def test_placeholder_identity_and_dead_contact_modes_is_full_failure() -> None:
    g = graded(name="John Doe", email="noemail@gmail.com", phone="+49.0000", street=["N/A"])
    assert g["norc"] == "full_failure" and g["registrant_identified"] == "fail"


def test_reachable_but_one_bad_mode_is_limited_failure() -> None:
    assert graded(phone="+49.301")["norc"] == "limited_failure"


def test_low_severity_only_is_minimal_failure() -> None:
    assert graded(phone="+44.2071234567")["norc"] == "minimal_failure"  # UNV007 only


def test_summary_rates_have_denominators_and_intervals() -> None:
    records = [RegistrationRecord.from_dict({"domain": f"d{i}.zz", "contacts": [GOOD if i % 4 else {**GOOD, "email": "x"}]})
               for i in range(20)]
    verify = Verifier(None)
    result = score(records, select(), verify, NOW)
    grades = [grade_record(r, [f for f in result.findings if f.domain == r.domain], verify) for r in records]
    email = summarise(grades)["ars"]["registrant"]["email"]["syntax"]
    assert (email["pass"], email["fail"]) == (15, 5) and email["pass_rate"] == 0.75
    low, high = email["ci95"]
    assert low < 0.75 < high


@pytest.mark.parametrize(("k", "n", "low", "high"), [(0, 10, 0.0, 0.2775), (7, 10, 0.3968, 0.8922), (50, 100, 0.4038, 0.5962)])
def test_wilson_interval_known_values(k: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(k, n)  # type: ignore[misc]
    assert lo == pytest.approx(low, abs=1e-4) and hi == pytest.approx(high, abs=1e-4)


def test_wilson_without_denominator() -> None:
    assert wilson_interval(0, 0) is None
