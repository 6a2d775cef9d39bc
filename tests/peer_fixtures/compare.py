"""Run our parser over the peer cases and compare field by field, with notation-only normalisation.

What counts as agreement (each choice is documented in docs/parser-conformance.md):

* names (registrar, registrant, contact fields) are compared case-, accent-insensitively and without punctuation;
* host names as A-label sets, without trailing dots, case-insensitively;
* a time with an explicit zone and a clock other than midnight is compared as an instant (to the second);
  a peer value without a zone or at midnight is a calendar date, compared with our date in UTC or in the
  registry's own zone (peers stamp a registry's local date as UTC midnight, or drop the zone);
* countries as ISO 3166-1 codes (peers give names or codes);
* a peer value that is itself a redaction marker ("REDACTED FOR PRIVACY") agrees with our *redacted* state;
* registry status words folded to letters and digits ("CLIENT DELETE PROHIBITED" = "clientDeleteProhibited").
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from auditor.countries import to_iso_country
from auditor.domains import normalise_domain
from auditor.parse import parse
from auditor.parse.markers import is_redaction_marker
from auditor.parse.registry import profile_for
from auditor.records import (
    FieldState,
    NoRegistration,
    ParseFailure,
    ParseOutcome,
    RawRecord,
    RegistrationRecord,
    ResponseStatus,
    Role,
    Source,
)
from tests.peer_fixtures.cases import DISPUTED, Case, PeerTime

FIELDS = ("status", "domain", "registrar", "created", "updated", "expires", "nameservers", "statuses",
          "registrant", "contacts")
#: The issue's targets over the comparable cases of all peers together.
TARGETS = {"status": 0.98, "nameservers": 0.95, "created": 0.95, "expires": 0.95, "registrar": 0.90}

_FETCHED = datetime(2024, 1, 1, tzinfo=UTC)


def fold(text: str | None) -> str:
    """Case-, accent- and punctuation-insensitive form of a name."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


_REGISTRY_ID = re.compile(r"\s*(?:\([^)]*\)|\bR\d+-[A-Z0-9]+|\[Tag = [^\]]*\])\s*$")


def fold_registrar(text: str | None) -> str:
    """Registrar names without the registry's id or URL some print after them: 'MarkMonitor Inc. (R84-AFIN)'."""
    return fold(_REGISTRY_ID.sub("", text or "")) or fold(text)


def fold_status(text: str) -> str:
    """'clientTransferProhibited https://icann.org/epp#...' -> 'clienttransferprohibited'; a remark in
    parentheses is not part of the word either ('Connected (2024/03/31)' -> 'connected')."""
    text = re.sub(r"\(?https?://\S+\)?", "", text)
    text = re.sub(r"\([^()]*\)", "", text)
    return re.sub(r"[\W_]+", "", text.casefold())


def run_parser(case: Case) -> ParseOutcome:
    raw = RawRecord(Source.WHOIS, case.server or "file", case.query, case.path.read_bytes(), _FETCHED)
    return parse(raw, tld=case.tld)


def outcome_status(outcome: ParseOutcome) -> ResponseStatus:
    if isinstance(outcome, RegistrationRecord | NoRegistration):
        return outcome.status
    return ResponseStatus.UNKNOWN


@dataclass(slots=True)
class Tally:
    """Comparable cases of one field at one peer: agreed, disagreed (we gave another value), not parsed."""

    agree: int = 0
    differ: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.agree + self.differ + self.missing

    @property
    def rate(self) -> float:
        return self.agree / self.total if self.total else 1.0

    def add(self, verdict: str) -> None:
        setattr(self, verdict, getattr(self, verdict) + 1)


@dataclass(slots=True)
class Report:
    tallies: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    notes: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # (peer, field, case, expected, ours)
    crashes: list[tuple[str, str]] = field(default_factory=list)
    disputed: list[tuple[str, str, str, str]] = field(default_factory=list)  # (case, field, verdict, reason)
    inferred: list[tuple[str, str, str, str]] = field(default_factory=list)  # peer values taken from elsewhere
    cases: int = 0

    def overall(self, fname: str) -> Tally:
        total = Tally()
        for (_peer, f), t in self.tallies.items():
            if f == fname:
                total.agree += t.agree
                total.differ += t.differ
                total.missing += t.missing
        return total


def _days(ours: datetime, offset_hours: float) -> set:
    zone = timezone(timedelta(hours=offset_hours))
    return {ours.astimezone(UTC).date(), ours.astimezone(zone).date()}


def time_agrees(ours: datetime | None, peers: tuple[PeerTime, ...], offset_hours: float) -> str:
    if ours is None:
        return "missing"
    for p in peers:
        if p.day_only or p.value.tzinfo is None:
            days = _days(ours, offset_hours)
            if p.value.tzinfo is not None:  # a calendar date the peer stamped in the registry's zone
                days.add(ours.astimezone(p.value.tzinfo).date())
            if p.value.date() in days:
                return "agree"
        elif abs((ours - p.value).total_seconds()) < 1.0:
            return "agree"
    return "differ"


def _contact_value(rec: RegistrationRecord, role: str, attr: str) -> tuple[str | None, FieldState]:
    contact = rec.contact(Role(role))
    if contact is None:
        return None, FieldState.MISSING
    return contact.value(attr), contact.state(attr)


def _name_agrees(expected: str, ours: str | None, state: FieldState, attr: str) -> str:
    if state is FieldState.REDACTED and is_redaction_marker(expected):
        return "agree"
    if ours is None:
        return "missing"
    if attr == "country":
        same = (to_iso_country(expected) or fold(expected)) == (to_iso_country(ours) or fold(ours))
    elif attr == "email":
        same = expected.strip().lower() == ours.strip().lower()
    else:
        same = fold(expected) == fold(ours)
    return "agree" if same else "differ"


def _from_a_contact(rec: RegistrationRecord, names: tuple[str, ...]) -> bool:
    """The peer's 'registrar' is a contact's name or organisation (a response that names no registrar)."""
    wanted = {fold_registrar(n) for n in names}
    return any(fold(c.name) in wanted or fold(c.organization) in wanted for c in rec.contacts)


def compare(case: Case, outcome: ParseOutcome) -> dict[str, list[tuple[str, str, str]]]:
    """{field: [(verdict, expected, ours), ...]} for every comparable field of one case."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    exp = case.expected
    if "status" in exp:
        ours = outcome_status(outcome)
        out["status"] = [("agree" if ours in exp["status"] else "differ",
                          "/".join(sorted(s.value for s in exp["status"])),
                          ours.value + (f" ({outcome.reason[:60]})" if isinstance(outcome, ParseFailure) else ""))]
    rec = outcome if isinstance(outcome, RegistrationRecord) else None
    offset = profile_for(case.server, case.tld).date_offset_hours

    def simple(name: str, verdict: str, expected: Any, ours: Any) -> None:
        out.setdefault(name, []).append((verdict, str(expected), str(ours)))

    if "domain" in exp:
        ours = getattr(outcome, "domain", None) if not isinstance(outcome, ParseFailure) else None
        simple("domain", "missing" if ours is None else ("agree" if ours == exp["domain"] else "differ"), exp["domain"], ours)
    if "registrar" in exp:
        ours = rec.registrar if rec else None
        wanted = {fold_registrar(x) for x in exp["registrar"]}
        verdict = "missing" if not ours else ("agree" if fold_registrar(ours) in wanted else "differ")
        if verdict == "missing" and rec is not None and _from_a_contact(rec, exp["registrar"]):
            out.setdefault("peer-inferred", []).append(("registrar", str(exp["registrar"]), "contact, not registrar"))
        else:
            simple("registrar", verdict, exp["registrar"], ours)
    for key, attr in (("created", "created_at"), ("updated", "updated_at"), ("expires", "expires_at")):
        if key in exp:
            ours = getattr(rec, attr) if rec else None
            simple(key, time_agrees(ours, exp[key], offset), [p.value.isoformat() for p in exp[key]],
                   ours.isoformat() if ours else None)
    if "nameservers" in exp:
        ours_ns = {normalise_domain(n) for n in rec.nameservers} if rec else set()
        verdict = "missing" if not ours_ns else ("agree" if ours_ns == set(exp["nameservers"]) else "differ")
        simple("nameservers", verdict, sorted(exp["nameservers"]), sorted(ours_ns))
    if "statuses" in exp:
        ours_st = {fold_status(s) for s in rec.statuses} - {""} if rec else set()
        peer_st = {fold_status(s) for s in exp["statuses"]} - {""}
        verdict = "missing" if not ours_st else ("agree" if ours_st == peer_st else "differ")
        simple("statuses", verdict, sorted(peer_st), sorted(ours_st))
    if "registrant" in exp:
        verdict, shown = "missing", None
        if rec is not None:
            holder = rec.contact(Role.REGISTRANT)
            values = [holder.name, holder.organization] if holder else []
            shown = values
            if any(fold(v) in {fold(x) for x in exp["registrant"]} for v in values if v):
                verdict = "agree"
            elif holder and holder.handle and fold(holder.handle) in {fold(x) for x in exp["registrant"]}:
                verdict = "agree"  # the peer reports a bare handle ("holder: mmr8008-171440") as the name; we keep it as the handle
            elif holder and holder.state("name") is FieldState.REDACTED and any(map(is_redaction_marker, exp["registrant"])):
                verdict = "agree"
            elif any(values):
                verdict = "differ"
        simple("registrant", verdict, exp["registrant"], shown)
    if "contacts" in exp:
        for (role, attr), expected in sorted(exp["contacts"].items()):
            if rec is None:
                simple("contacts", "missing", f"{role}.{attr}={expected}", None)
                continue
            ours, state = _contact_value(rec, role, attr)
            simple("contacts", _name_agrees(expected, ours, state, attr), f"{role}.{attr}={expected}",
                   f"{ours} [{state.value}]")
    return out


def evaluate(cases: list[Case], keep_notes: bool = False) -> Report:
    report = Report()
    for case in cases:
        outcome = run_parser(case)
        report.cases += 1
        if isinstance(outcome, ParseFailure) and outcome.reason.startswith("parser error"):
            report.crashes.append((case.name, outcome.reason))
        for fname, items in compare(case, outcome).items():
            if fname == "peer-inferred":
                report.inferred.extend((case.name, *item) for item in items)
                continue
            reason = DISPUTED.get((case.name, fname))
            if reason is not None:
                report.disputed.extend((case.name, fname, verdict, reason) for verdict, _e, _o in items)
                continue
            for verdict, expected, ours in items:
                report.tallies[(case.peer, fname)].add(verdict)
                if keep_notes and verdict != "agree":
                    report.notes.append((case.peer, fname, case.name, expected, ours))
    return report


def table(report: Report, peers: list[str]) -> str:
    """Agreement per field (rows) and per peer (columns): 'rate% (agreed/comparable)'."""
    head = ["field"] + peers + ["all", "target"]
    rows = [head]
    for fname in FIELDS:
        row = [fname]
        for peer in peers:
            t = report.tallies.get((peer, fname))
            row.append(f"{100 * t.rate:5.1f}% ({t.agree}/{t.total})" if t and t.total else "-")
        t = report.overall(fname)
        row.append(f"{100 * t.rate:5.1f}% ({t.agree}/{t.total})" if t.total else "-")
        target = TARGETS.get(fname)
        row.append(f">={100 * target:.0f}% {'ok' if t.rate >= target else 'BELOW'}" if target else "")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows)
