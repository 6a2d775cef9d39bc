"""Grades the way ICANN's accuracy studies report them.

**ARS-style, per contact and mode** (email, phone, postal address; ICANN WHOIS ARS phases 1 and 2):

* *syntax* passes when the value is present and well formed for its standard (RFC 5322; E.164 and
  the country's numbering plan; the country's address format with an ISO 3166 country) and is not a
  placeholder. It fails when it is missing, malformed or a placeholder.
* *operability* for email is tested: the mail domain accepts mail (MX, or A/AAAA as implicit MX;
  no null MX; not a disposable provider). The tool neither calls nor posts, so for phone and postal
  operability it reports a stated proxy: the number is valid *and* in its address country's
  numbering plan; the address is consistent (postcode within its region, no placeholder part).
* A mode whose data is redacted, or run by a privacy/proxy service, is *not assessable*; a DNS
  answer that could not be had is *unknown*. Neither counts in a pass rate's denominator.

**NORC-style, per record** (NORC 2010 for ICANN; the five failure groups), from the registrant:

| label | here |
|---|---|
| no failure | no finding on the record |
| minimal failure | only low-severity findings, or findings only on other contacts than the registrant |
| limited failure | registrant identified and reachable by at least one fully operable mode, but a medium or high finding |
| substantial failure | registrant identified but reachable by no operable mode, or reachable but not identified |
| full failure | registrant neither identified (name missing, placeholder or contradictory) nor reachable |
| unassessable | registrant data redacted or held by a privacy/proxy service, and no finding |

NORC also interviewed registrants; that criterion has no automated counterpart, so "identified"
here means a name is present and not false.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from auditor.jsontext import compact_json
from auditor.records import Contact, FieldState, Finding, RegistrationRecord, Role, Severity
from auditor.verify import MailDomain, Verifier

PASS, FAIL, UNKNOWN, NA = "pass", "fail", "unknown", "not_assessable"
MODES = ("email", "phone", "postal")
GRADED_ROLES = (Role.REGISTRANT, Role.ADMINISTRATIVE, Role.TECHNICAL)
NORC_LABELS = ("no_failure", "minimal_failure", "limited_failure", "substantial_failure", "full_failure", "unassessable")

#: Which rules speak to which mode and test (syntax or operability).
SYNTAX_RULES = {
    "email": {"INC001", "FAL002", "UNV001"},
    "phone": {"INC001", "FAL003", "UNV003"},
    "postal": {"INC001", "INC003", "FAL004", "UNV004", "UNV005"},
}
OPERABILITY_RULES = {"email": {"UNV002", "UNV006"}, "phone": {"UNV007"}, "postal": {"UNV008", "FAL006"}}
MODE_FIELDS = {"email": ("email",), "phone": ("phone",), "postal": ("street", "city", "postcode", "region", "country")}
IDENTITY_RULES = {"INC001", "FAL001", "FAL006", "PAT001"}


class ModeGrade(NamedTuple):
    """Syntax and operability of one contact mode. A named tuple: a zone's grade rows are looked up by
    their grades (see RecordGrade.to_dict), and a tuple hashes in C where a frozen dataclass did not."""

    syntax: str
    operability: str

    def to_dict(self) -> dict[str, str]:
        return {"syntax": self.syntax, "operability": self.operability}


#: The grades `grade_mode` gives, made once (it runs for every contact mode of a zone).
_NOT_ASSESSABLE = ModeGrade(NA, NA)
_FAILS = ModeGrade(FAIL, FAIL)
_INOPERABLE = ModeGrade(PASS, FAIL)
_UNKNOWN_OPERABILITY = ModeGrade(PASS, UNKNOWN)
_PASSES = ModeGrade(PASS, PASS)


@dataclass
class RecordGrade:
    """Per-contact mode grades and the record's NORC-style label."""

    domain: str
    modes: dict[str, dict[str, ModeGrade]] = field(default_factory=dict)  # role -> mode -> grade
    identified: str = NA
    norc: str = "unassessable"

    def to_dict(self) -> dict[str, Any]:
        """The stored row. Its "modes" mapping is shared with every row graded the same way (a zone has
        a few hundred distinct ones among millions of rows): read it, never change it."""
        key = tuple((role, tuple(modes.items())) for role, modes in self.modes.items())
        shared = _MODES_ROWS.get(key)
        if shared is None:
            shared = {role: {m: g.to_dict() for m, g in modes.items()} for role, modes in self.modes.items()}
            if len(_MODES_ROWS) < 100_000:  # bounded, whatever the input
                _MODES_ROWS[key] = shared
        return {"domain": self.domain, "norc": self.norc, "registrant_identified": self.identified, "modes": shared}


#: The distinct "modes" mappings of grade rows (see RecordGrade.to_dict).
_MODES_ROWS: dict[tuple[tuple[str, tuple[tuple[str, ModeGrade], ...]], ...], dict[str, dict[str, dict[str, str]]]] = {}


_REGISTRANT = Role.REGISTRANT.value

#: The postal fields that make an address: a country alone is not one.
_ADDRESS_FIELDS = MODE_FIELDS["postal"][:3]


def _mode_state(contact: Contact, mode: str) -> FieldState:
    if mode != "postal":
        return contact.state(MODE_FIELDS[mode][0])
    states = [contact.state(f) for f in _ADDRESS_FIELDS]
    if FieldState.PRESENT in states:
        return FieldState.PRESENT
    return FieldState.REDACTED if FieldState.REDACTED in states else FieldState.MISSING


def _fields_of(finding: Finding, mode: str) -> bool:
    return finding.field in MODE_FIELDS[mode]


def _questions_identity(finding: Finding) -> bool:
    """Does this registrant finding mean the holder is not identified?"""
    if finding.rule_id == "PAT001":
        return True  # the same mailbox or number names contradictory holders
    return finding.rule_id in IDENTITY_RULES and finding.field in ("name", "organization")


def grade_mode(contact: Contact, mode: str, findings: Sequence[Finding], verify: Verifier) -> ModeGrade:
    """ARS-style syntax and operability for one mode of one contact."""
    if contact.privacy_service:
        return _NOT_ASSESSABLE
    state = _mode_state(contact, mode)
    if state is FieldState.REDACTED:
        return _NOT_ASSESSABLE
    if state is FieldState.MISSING:
        return _FAILS
    if findings:  # most records have none
        mine = [f for f in findings if f.role == contact.role.value and _fields_of(f, mode)]
        if any(f.rule_id in SYNTAX_RULES[mode] for f in mine):
            return _FAILS
        if any(f.rule_id in OPERABILITY_RULES[mode] for f in mine):
            return _INOPERABLE
    if mode == "email":
        syntax = verify.email_syntax(contact.email or "")
        check = verify.mail_domain(syntax.domain) if syntax.valid else None
        if check is None or check.verdict is MailDomain.UNCHECKED:
            return _UNKNOWN_OPERABILITY
    return _PASSES


def grade_record(record: RegistrationRecord, findings: Sequence[Finding], verify: Verifier) -> RecordGrade:
    """All contact modes of a record, and its NORC-style label."""
    grade = RecordGrade(record.domain)
    for contact in record.contacts:
        if contact.role in GRADED_ROLES:
            role = contact.role.value
            if role not in grade.modes:
                grade.modes[role] = {m: grade_mode(contact, m, findings, verify) for m in MODES}
    registrant = record.contact(Role.REGISTRANT)
    own = [f for f in findings if f.role == _REGISTRANT] if findings else []
    if registrant is None:
        identified = FAIL if any(f.rule_id == "INC002" for f in findings) else NA
    elif registrant.privacy_service or registrant.state("name") is FieldState.REDACTED:
        identified = NA
    elif any(_questions_identity(f) for f in own):
        identified = FAIL
    else:
        identified = PASS if (registrant.name or registrant.organization) else FAIL
    grade.identified = identified
    modes = grade.modes.get(_REGISTRANT, {})
    if not findings:
        assessable = any(g.syntax != NA for g in modes.values())
        grade.norc = "no_failure" if (assessable or identified == PASS) else "unassessable"
        return grade
    operable = [m for m, g in modes.items() if g.syntax == PASS and g.operability in (PASS, UNKNOWN)]
    serious = [f for f in findings if f.severity is not Severity.LOW]
    if not serious or not own and all(f.role != "record" for f in findings):
        grade.norc = "minimal_failure"
    elif identified != FAIL and operable:
        grade.norc = "limited_failure"
    elif identified != FAIL or operable:
        grade.norc = "substantial_failure"
    else:
        grade.norc = "full_failure"
    return grade


@dataclass
class GradedRecords:
    """Every record's grade row (as stored, in record order) and the counts of their summary."""

    rows: list[dict[str, Any]]
    tally: GradeTally

    def summary(self) -> dict[str, Any]:
        """What `summarise_rows(self.rows)` returns, from the counts."""
        return self.tally.summary()


def _by_domain(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    by_domain: dict[str, list[Finding]] = {}
    for f in findings:
        by_domain.setdefault(f.domain, []).append(f)
    return by_domain


def grade_all(records: Sequence[RegistrationRecord], findings: Iterable[Finding], verify: Verifier) -> GradedRecords:
    """Every record's grade (as stored), in record order, with their summary counts. The scoring workers
    run it on their share (see `engine.score(finish=...)`), before the dataset rules have run."""
    by_domain = _by_domain(findings)
    graded = GradedRecords([], GradeTally())
    for record in records:
        row = grade_record(record, by_domain.get(record.domain, ()), verify).to_dict()
        graded.rows.append(row)
        graded.tally.add(row)
    return graded


class GradeLines:
    """Every record's grade as its line of grades.jsonl, in rank order, with the counts of their summary,
    gathered slice by slice as the scoring shares grade them (`add`, in any order of slices).

    The shares grade a slice before the dataset rules have run; `regrade` then grades again the records
    those rules found something on, on all their findings.
    """

    def __init__(self, total: int) -> None:
        self.lines: list[str | None] = [None] * total
        self.tally = GradeTally()

    def add(self, ranks: Sequence[int], lines: Sequence[str], tally: GradeTally) -> None:
        """The lines of the records of these ranks, and their counts."""
        if len(ranks) != len(lines):
            raise ValueError(f"{len(lines)} grade lines for {len(ranks)} records")
        for rank, line in zip(ranks, lines, strict=True):
            self.lines[rank] = line
        self.tally.merge(tally)

    def regrade(self, records: Mapping[int, RegistrationRecord], findings: Sequence[Finding],
                verify: Verifier) -> list[dict[str, Any]]:
        """Grade again the records of these ranks on all their findings; returns their new rows, in rank order."""
        if not records:
            return []
        domains = {record.domain for record in records.values()}
        by_domain = _by_domain(f for f in findings if f.domain in domains)
        rows = []
        for rank, record in sorted(records.items()):
            row = grade_record(record, by_domain.get(record.domain, ()), verify).to_dict()
            old = self.lines[rank]
            if old is None:
                raise ValueError(f"record {rank} was never graded")
            self.tally.add(json.loads(old), times=-1)
            self.tally.add(row)
            self.lines[rank] = compact_json(row)
            rows.append(row)
        return rows

    def complete(self) -> list[str]:
        """Every record's line, in rank order; a ValueError when a share's slice never arrived."""
        missing = sum(line is None for line in self.lines)
        if missing:
            raise ValueError(f"grade lines for {len(self.lines) - missing} of {len(self.lines)} records")
        return self.lines  # type: ignore[return-value]

    def summary(self) -> dict[str, Any]:
        """What `summarise_rows` returns for every record's row, from the counts."""
        return self.tally.summary()


def wilson_interval(passes: int, total: int, z: float = 1.959964) -> tuple[float, float] | None:
    """95 % Wilson score interval for a proportion (None when there is no denominator)."""
    if total <= 0:
        return None
    p = passes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(counter: Counter[str]) -> dict[str, Any]:
    assessed = counter[PASS] + counter[FAIL]
    ci = wilson_interval(counter[PASS], assessed)
    return {"pass": counter[PASS], "fail": counter[FAIL], "unknown": counter[UNKNOWN], "not_assessable": counter[NA],
            "pass_rate": round(counter[PASS] / assessed, 4) if assessed else None,
            "ci95": [round(ci[0], 4), round(ci[1], 4)] if ci else None}


def summarise(grades: Iterable[RecordGrade]) -> dict[str, Any]:
    """ARS-comparable pass rates per role and mode, all-three syntax accuracy, and the NORC distribution."""
    return summarise_rows(g.to_dict() for g in grades)


def summarise_rows(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """`summarise` over grade rows as stored (the dicts `grade_all` returns)."""
    tally = GradeTally()
    for row in rows:
        tally.add(row)
    return tally.summary()


@dataclass
class GradeTally:
    """The counts behind `summarise`, kept per share by the scoring workers and added together afterwards
    (a zone-wide audit has millions of rows: counting them in the workers spares the parent a pass).

    Rows graded the same way share one "modes" mapping (see RecordGrade.to_dict), so the mode counts
    are kept per mapping and spelled out only in `summary`.
    """

    records: int = 0
    norc: Counter[str] = field(default_factory=Counter)
    #: id of a "modes" mapping -> [that mapping, rows counted with it]
    by_modes: dict[int, list[Any]] = field(default_factory=dict)

    def add(self, row: dict[str, Any], times: int = 1) -> None:
        """Count one grade row (`times=-1` takes it out again)."""
        self.records += times
        self.norc[row["norc"]] += times
        self._add_modes(row["modes"], times)

    def _add_modes(self, modes: dict[str, Any], times: int) -> None:
        entry = self.by_modes.get(id(modes))
        if entry is None:  # the entry holds the mapping, so its id cannot be reused while counted here
            self.by_modes[id(modes)] = [modes, times]
        else:
            entry[1] += times

    def merge(self, other: GradeTally) -> None:
        """Add another share's counts to these."""
        self.records += other.records
        self.norc.update(other.norc)
        for modes, times in other.by_modes.values():
            self._add_modes(modes, times)

    def _mode_counts(self) -> tuple[dict[tuple[str, str, str], Counter[str]], Counter[str]]:
        """(role, mode, "syntax" | "operability") -> verdict counts, and the registrant's all-three syntax."""
        per_mode: dict[tuple[str, str, str], Counter[str]] = {}
        all_three: Counter[str] = Counter()
        for modes, times in self.by_modes.values():
            if not times:
                continue
            for role, graded in modes.items():
                for mode, grade in graded.items():
                    for test in ("syntax", "operability"):
                        per_mode.setdefault((role, mode, test), Counter())[grade[test]] += times
            registrant = modes.get(Role.REGISTRANT.value)
            if registrant:
                syntaxes = [registrant[m]["syntax"] for m in MODES]
                if NA in syntaxes:
                    all_three[NA] += times
                else:
                    all_three[PASS if all(s == PASS for s in syntaxes) else FAIL] += times
        return per_mode, all_three

    def summary(self) -> dict[str, Any]:
        """The summary `summarise` returns."""
        ars: dict[str, Any] = {}
        per_mode, all_three = self._mode_counts()
        for (role, mode, test), counter in sorted(per_mode.items()):
            ars.setdefault(role, {}).setdefault(mode, {})[test] = _rate(counter)
        return {
            "records": self.records,
            "method": "ICANN ARS syntax/operability per contact mode; NORC-style record labels (see auditor/grades.py). "
                      "Email operability is a DNS test; phone and postal operability are stated proxies (no calls, no post).",
            "ars": ars,
            "registrant_all_three_syntax": _rate(all_three),
            "norc": {label: self.norc.get(label, 0) for label in NORC_LABELS},
        }
