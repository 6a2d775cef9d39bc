"""Run rules over registrations: per-record rules first, then dataset (cross-record) rules.

The engine owns the denominators: every rule's tally says how many records it evaluated, how many
failed, and how many values it could not check, so percentages in reports are honest.
"""

from __future__ import annotations

import multiprocessing
import traceback
from array import array
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditor.records import CONTACT_FIELDS, FieldState, Finding, RegistrationRecord, Source
from auditor.verify import Verifier
from rules.base import Fact, Rule, RuleContext, Tally
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
            if record.source is Source.CSV:
                continue  # an export's columns are all "published"; rules never ask about CSV records
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
    #: what `score(finish=...)` returned for each slice, in record order
    finished: list[Any] = field(default_factory=list)


#: Called once per slice of records, where they are scored, with the slice and the findings of the
#: record rules on it (the dataset rules run later, over all slices).
SliceFinisher = Callable[[Sequence[RegistrationRecord], Sequence[Finding]], Any]


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


#: Below this many records a pool costs more than it saves.
PARALLEL_THRESHOLD = 20_000


@dataclass
class _Partial:
    """What scoring one slice of records produced (findings in record order, facts per dataset rule).

    For a dataset rule that declares its grouping (`Rule.grouping`), a scoring worker sends back, in
    `group_keys`, each fact's record index and the hash of its group key instead of the fact: most facts
    of a zone sit in groups too small to matter, and building and pickling them cost more than the keys.
    """

    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, list[Fact]] = field(default_factory=dict)
    group_keys: dict[str, tuple[array[int], array[int]]] = field(default_factory=dict)
    finished: list[Any] = field(default_factory=list)
    tallies: dict[str, Tally] = field(default_factory=dict)
    unchecked: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)


def _contexts(rules: Sequence[Rule], verify: Verifier, now: datetime, params: Mapping[str, Mapping[str, Any]],
              publication: PublicationProfile) -> dict[str, RuleContext]:
    return {r.id: RuleContext(r, verify, now, {**r.params, **params.get(r.id, {})}, Tally(), publication=publication)
            for r in rules}


def _error(rule_id: str, domain: str, exc: Exception) -> dict[str, str]:
    return {"rule": rule_id, "domain": domain, "error": f"{type(exc).__name__}: {exc}",
            "where": traceback.format_exc(limit=-1).strip().splitlines()[-3]}


def _score_slice(records: Sequence[RegistrationRecord], rules: Sequence[Rule], contexts: Mapping[str, RuleContext],
                 on_record: Callable[[], None] | None = None, grouped: frozenset[str] = frozenset(),
                 offset: int = 0, finish: SliceFinisher | None = None) -> _Partial:
    """Record rules, and the map step of dataset rules, over some records.

    For the dataset rules in `grouped`, only (record index, group key hash) pairs are kept (see _Partial);
    `offset` is the index of `records[0]` in the whole set.
    """
    out = _Partial(facts={r.id: [] for r in rules if r.scope == "dataset" and r.id not in grouped},
                   group_keys={rule_id: (array("q"), array("q")) for rule_id in grouped})
    record_rules = [(r, contexts[r.id]) for r in rules if r.scope == "record"]
    extractors = [(r, contexts[r.id]) for r in rules if r.scope == "dataset" and r.extract is not None]
    for index, record in enumerate(records, offset):
        for r, ctx in record_rules:
            ctx.tally.evaluated += 1
            try:
                found = list(r.func(record, ctx))
            except Exception as exc:  # noqa: BLE001 - one rule's bug must not stop the audit
                ctx.tally.errors += 1
                out.errors.append(_error(r.id, record.domain, exc))
                continue
            if found:
                ctx.tally.failed += 1
                ctx.tally.findings += len(found)
                out.findings.extend(found)
        for r, ctx in extractors:
            try:
                if r.id in grouped:
                    owners, hashes = out.group_keys[r.id]
                    for key in r.grouping.keys(record, ctx):  # type: ignore[union-attr]
                        owners.append(index)
                        hashes.append(_group_hash(key))
                else:
                    out.facts[r.id].extend(r.extract(record, ctx))  # type: ignore[misc]
            except Exception as exc:  # noqa: BLE001
                ctx.tally.errors += 1
                out.errors.append(_error(r.id, record.domain, exc))
        if on_record is not None:
            on_record()
    if finish is not None:
        out.finished.append(finish(records, out.findings))
    out.tallies = {rule_id: ctx.tally for rule_id, ctx in contexts.items()}
    out.unchecked = {rule_id: dict(ctx.unchecked_reasons) for rule_id, ctx in contexts.items() if ctx.unchecked_reasons}
    return out


#: The job forked workers read (inherited by fork: the records are never pickled on the way in).
_JOB: dict[str, Any] = {}


def _score_range(bounds: tuple[int, int]) -> _Partial:
    job = _JOB
    contexts = _contexts(job["rules"], job["verify"], job["now"], job["params"], job["publication"])
    return _score_slice(job["records"][bounds[0] : bounds[1]], job["rules"], contexts, grouped=job["grouped"],
                        offset=bounds[0], finish=job["finish"])


#: A group key's stand-in on the way back from a worker (a function of its own so a test can make
#: every key collide).
_group_hash = hash


def _grouped_rules(rules: Sequence[Rule], params: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """Dataset rules whose facts can travel as group keys: they declare a grouping whose smallest
    useful group has two facts or more (with a minimum of one, every fact matters)."""
    return frozenset(r.id for r in rules if r.scope == "dataset" and r.grouping is not None
                     and r.grouping.min_size({**r.params, **params.get(r.id, {})}) >= 2)


def _facts_that_matter(rule: Rule, ctx: RuleContext, records: Sequence[RegistrationRecord],
                       parts: Sequence[_Partial]) -> list[Fact]:
    """The facts of every record that has a fact in a group large enough to yield a finding, in record
    order, extracted again here.

    A group key's hash stands for the key: two keys with one hash only add a record that the combine
    step then finds in a small group, never lose one. (Forked workers hash strings like this process.)
    A wanted record's other facts come along too: each lands in a group that is either too small to
    yield anything or large enough that all its records are wanted, so every group is whole or harmless.
    """
    counts: Counter[int] = Counter()
    for part in parts:
        counts.update(part.group_keys[rule.id][1])
    least = rule.grouping.min_size(ctx.params)  # type: ignore[union-attr]
    wanted = sorted({owner for part in parts for owner, key in zip(*part.group_keys[rule.id], strict=True)
                     if counts[key] >= least})
    facts: list[Fact] = []
    for index in wanted:
        try:
            facts.extend(rule.extract(records[index], ctx))  # type: ignore[misc]
        except Exception:  # noqa: BLE001, S112 - the worker already counted this record's error
            continue
    return facts


def _merge(parts: Sequence[_Partial], rules: Sequence[Rule]) -> _Partial:
    merged = _Partial(facts={r.id: [] for r in rules if r.scope == "dataset"},
                      tallies={r.id: Tally() for r in rules})
    for part in parts:
        merged.findings.extend(part.findings)
        merged.errors.extend(part.errors)
        merged.finished.extend(part.finished)
        for rule_id, facts in part.facts.items():
            merged.facts[rule_id].extend(facts)
        for rule_id, tally in part.tallies.items():
            into = merged.tallies[rule_id]
            for name in ("evaluated", "failed", "findings", "unchecked", "errors"):
                setattr(into, name, getattr(into, name) + getattr(tally, name))
        for rule_id, reasons in part.unchecked.items():
            into_reasons = merged.unchecked.setdefault(rule_id, {})
            for reason, n in reasons.items():
                into_reasons[reason] = into_reasons.get(reason, 0) + n
    return merged


def score(
    records: Sequence[RegistrationRecord],
    rules: Sequence[Rule],
    verify: Verifier,
    now: datetime,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    on_record: Callable[[], None] | None = None,
    workers: int = 1,
    finish: SliceFinisher | None = None,
) -> EngineResult:
    """Evaluate the rules; a rule that raises is counted as an error for that record, never fatal.

    With `workers` > 1 (and enough records), record rules and the map step of dataset rules run in
    forked processes over contiguous slices; findings and facts come back in record order, and the
    dataset rules' combine step runs here, so the result is the same as with one process. `finish`
    runs on each slice where it was scored (see SliceFinisher), its results in `EngineResult.finished`.
    """
    params = params or {}
    publication = PublicationProfile(records)
    if verify.dns is not None and any(r.id == "UNV002" or r.params.get("needs_dns") for r in rules):
        verify.dns.prefetch(mail_domains(records, verify))
    if workers > 1 and len(records) >= PARALLEL_THRESHOLD and "fork" in multiprocessing.get_all_start_methods():
        step = -(-len(records) // (workers * 4))
        bounds = [(i, min(i + step, len(records))) for i in range(0, len(records), step)]
        grouped = _grouped_rules(rules, params)
        _JOB.update(records=records, rules=rules, verify=verify, now=now, params=params, publication=publication,
                    grouped=grouped, finish=finish)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = []
                for part in pool.imap(_score_range, bounds):
                    parts.append(part)
                    if on_record is not None:
                        for _ in range(bounds[len(parts) - 1][1] - bounds[len(parts) - 1][0]):
                            on_record()
        finally:
            _JOB.clear()
        merged = _merge(parts, rules)
        for r in rules:
            if r.id in grouped:  # a scratch context: the workers counted what extraction found
                scratch = _contexts([r], verify, now, params, publication)[r.id]
                merged.facts[r.id] = _facts_that_matter(r, scratch, records, parts)
    else:
        contexts = _contexts(rules, verify, now, params, publication)
        merged = _merge([_score_slice(records, rules, contexts, on_record, finish=finish)], rules)
    result = EngineResult(findings=merged.findings, tallies=merged.tallies, unchecked=merged.unchecked,
                          errors=merged.errors, finished=merged.finished)
    for r in rules:
        if r.scope != "dataset":
            continue
        ctx = RuleContext(r, verify, now, {**r.params, **params.get(r.id, {})}, result.tallies[r.id],
                          publication=publication)
        ctx.tally.evaluated = len(records)
        try:
            found = list(r.func(merged.facts[r.id], ctx))
        except Exception as exc:  # noqa: BLE001
            ctx.tally.errors += 1
            result.errors.append({"rule": r.id, "domain": "*", "error": f"{type(exc).__name__}: {exc}"})
            continue
        ctx.tally.failed = len({f.domain for f in found})
        ctx.tally.findings = len(found)
        result.findings.extend(found)
        if ctx.unchecked_reasons:
            result.unchecked[r.id] = dict(ctx.unchecked_reasons)
    return result
