"""Run rules over registrations: per-record rules first, then dataset (cross-record) rules.

The engine owns the denominators: every rule's tally says how many records it evaluated, how many
failed, and how many values it could not check, so percentages in reports are honest.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditor.records import CONTACT_FIELDS, FieldState, Finding, RegistrationRecord
from auditor.verify import Verifier
from rules.base import Rule, RuleContext, Tally
from rules.placeholders import placeholder_email

#: Records of one source needed before its publication habits are trusted.
MIN_PUBLICATION_SAMPLE = 5


class PublicationProfile:
    """What each source publishes, learnt from the audited records themselves.

    A WHOIS or RDAP response shows what a registry chooses to publish; a field it never shows for a
    role (registrant emails on .nl, phones on .it) is not published, and its absence proves nothing.
    Records are grouped by source, TLD and parser; a field counts as published for a role when most
    (at least half) of that group's contacts in that role show it — a value, a redaction, or an
    empty label. Below `MIN_PUBLICATION_SAMPLE` contacts the answer is "unknown".
    """

    def __init__(self, records: Sequence[RegistrationRecord]) -> None:
        self.shown: dict[tuple[str, str, str, str, str], int] = {}
        self.contacts: dict[tuple[str, str, str, str], int] = {}
        self.registrants: dict[tuple[str, str, str], list[int]] = {}
        for record in records:
            key = self._key(record)
            seen = self.registrants.setdefault(key, [0, 0])
            seen[1] += 1
            roles = set()
            for contact in record.contacts:
                if contact.role.value in roles:
                    continue
                roles.add(contact.role.value)
                self.contacts[(*key, contact.role.value)] = self.contacts.get((*key, contact.role.value), 0) + 1
                for name in CONTACT_FIELDS:
                    if contact.state(name) is not FieldState.MISSING or contact.location(name):
                        k = (*key, contact.role.value, name)
                        self.shown[k] = self.shown.get(k, 0) + 1
            if "registrant" in roles:
                seen[0] += 1

    @staticmethod
    def _key(record: RegistrationRecord) -> tuple[str, str, str]:
        return (record.source.value, record.tld, record.parser)

    def publishes(self, record: RegistrationRecord, role: str, field_name: str) -> bool | None:
        """True / False when the group is large enough to tell, None otherwise."""
        key = self._key(record)
        total = self.contacts.get((*key, role), 0)
        if total < MIN_PUBLICATION_SAMPLE:
            return None
        return self.shown.get((*key, role, field_name), 0) * 2 >= total

    def publishes_registrant(self, record: RegistrationRecord) -> bool | None:
        """Do this source's records usually carry a registrant contact?"""
        with_registrant, total = self.registrants.get(self._key(record), [0, 0])
        if total < MIN_PUBLICATION_SAMPLE:
            return None
        return with_registrant * 2 >= total


@dataclass
class EngineResult:
    """Findings plus what is needed to interpret them."""

    findings: list[Finding] = field(default_factory=list)
    tallies: dict[str, Tally] = field(default_factory=dict)
    unchecked: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)


def mail_domains(records: Sequence[RegistrationRecord], verify: Verifier) -> set[str]:
    """Distinct mail domains worth a DNS look-up (present, well formed, not placeholders)."""
    domains: set[str] = set()
    for record in records:
        for contact in record.contacts:
            if contact.state("email") is FieldState.PRESENT and not placeholder_email(contact.email):
                syntax = verify.email_syntax(contact.email or "")
                if syntax.valid:
                    domains.add(syntax.domain)
    return domains


def score(
    records: Sequence[RegistrationRecord],
    rules: Sequence[Rule],
    verify: Verifier,
    now: datetime,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    on_record: Callable[[], None] | None = None,
) -> EngineResult:
    """Evaluate the rules; a rule that raises is counted as an error for that record, never fatal."""
    params = params or {}
    result = EngineResult()
    contexts: dict[str, RuleContext] = {}
    publication = PublicationProfile(records)
    for r in rules:
        tally = Tally()
        result.tallies[r.id] = tally
        contexts[r.id] = RuleContext(r, verify, now, {**r.params, **params.get(r.id, {})}, tally,
                                     publication=publication)
    if verify.dns is not None and any(r.id == "UNV002" or r.params.get("needs_dns") for r in rules):
        verify.dns.prefetch(mail_domains(records, verify))
    record_rules = [r for r in rules if r.scope == "record"]
    dataset_rules = [r for r in rules if r.scope == "dataset"]
    for record in records:
        for r in record_rules:
            ctx = contexts[r.id]
            ctx.tally.evaluated += 1
            try:
                found = list(r.func(record, ctx))
            except Exception as exc:  # noqa: BLE001 - one rule's bug must not stop the audit
                ctx.tally.errors += 1
                result.errors.append({"rule": r.id, "domain": record.domain,
                                      "error": f"{type(exc).__name__}: {exc}",
                                      "where": traceback.format_exc(limit=-1).strip().splitlines()[-3]})
                continue
            if found:
                ctx.tally.failed += 1
                ctx.tally.findings += len(found)
                result.findings.extend(found)
        if on_record is not None:
            on_record()
    for r in dataset_rules:
        ctx = contexts[r.id]
        ctx.tally.evaluated += len(records)
        try:
            found = list(r.func(records, ctx))
        except Exception as exc:  # noqa: BLE001
            ctx.tally.errors += 1
            result.errors.append({"rule": r.id, "domain": "*", "error": f"{type(exc).__name__}: {exc}"})
            continue
        ctx.tally.failed += len({f.domain for f in found})
        ctx.tally.findings += len(found)
        result.findings.extend(found)
    for r in rules:
        if contexts[r.id].unchecked_reasons:
            result.unchecked[r.id] = dict(contexts[r.id].unchecked_reasons)
    return result
