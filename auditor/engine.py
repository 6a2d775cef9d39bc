"""Run rules over registrations: per-record rules first, then dataset (cross-record) rules.

The engine owns the denominators: every rule's tally says how many records it evaluated, how many
failed, and how many values it could not check, so percentages in reports are honest.
"""

from __future__ import annotations

import traceback
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress
from typing import Any

from auditor.records import (
    CONTACT_FIELDS,
    OWN_DATA_SOURCES,
    WITHHELD_BY_THE_SERVER,
    Contact,
    FieldState,
    Finding,
    RegistrationRecord,
)
from auditor.shares import PROGRESS_EVERY, Share, ShareJob, Shares, task
from auditor.verify import Verifier
from rules.base import Fact, Rule, RuleContext, Tally
from rules.placeholders import placeholder_email

#: Records of one source needed before its publication habits are trusted.
MIN_PUBLICATION_SAMPLE = 5


def _withheld_by_the_server(contact: Contact, name: str) -> bool:
    """Was the field left out of this one answer by a rate limit (see WITHHELD_BY_THE_SERVER)?"""
    return (contact.location(name) or "").startswith(WITHHELD_BY_THE_SERVER)


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
            if record.source in OWN_DATA_SOURCES:
                continue  # an export's or deposit's fields are all "published"; rules never ask about them
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
                    state = contact.state(name)
                    if state is FieldState.PRESENT or (state is FieldState.REDACTED and not _withheld_by_the_server(
                            contact, name)) or (state is FieldState.MISSING and contact.location(name)):
                        k = (*key, contact.role.value, name)
                        self.shown[k] = self.shown.get(k, 0) + 1
            if "registrant" in roles:
                seen[0] += 1

    @classmethod
    def combined(cls, parts: Sequence[PublicationProfile]) -> PublicationProfile:
        """One profile of all the records that several profiles were learnt from (shares of one set)."""
        out = cls(())
        for part in parts:
            for key, n in part.shown.items():
                out.shown[key] = out.shown.get(key, 0) + n
            for key, n in part.contacts.items():
                out.contacts[key] = out.contacts.get(key, 0) + n
            for key, (with_registrant, total) in part.registrants.items():
                seen = out.registrants.setdefault(key, [0, 0])
                seen[0] += with_registrant
                seen[1] += total
        return out

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
    #: what `score(finish=...)` returned for each slice of records (see SliceFinisher), as (the ranks of
    #: its records, that result), in the order of their first ranks; empty when `score_shares` handed
    #: each to its `on_finished`
    finished: list[tuple[list[int], Any]] = field(default_factory=list)


#: Called, where records are scored, on each slice of FINISH_EVERY records just scored, with those records
#: and the findings of the record rules on them (the dataset rules run later, over all shares). A slice
#: is finished while the values its rules checked are still in the verification caches: finishing a
#: whole share at its end re-checked every value the caches had dropped by then (grading 200k records
#: took 17.5 us a record that way, 12.6 us with every value cached).
SliceFinisher = Callable[[Sequence[RegistrationRecord], Sequence[Finding]], Any]
#: Records in one finished slice.
FINISH_EVERY = 2000


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


#: Below this many records worker processes cost more than they save.
PARALLEL_THRESHOLD = 20_000


@dataclass
class _Partial:
    """What scoring one share's records produced, each item with the rank of the record it came from.

    For a dataset rule that declares its grouping (`Rule.grouping`), a share sends back, in `group_keys`,
    each fact's record rank and the hash of its group key instead of the fact: most facts of a zone sit
    in groups too small to matter, and building and pickling them cost more than the keys.
    """

    findings: list[Finding] = field(default_factory=list)
    finding_ranks: array[int] = field(default_factory=lambda: array("q"))
    facts: dict[str, list[Fact]] = field(default_factory=dict)
    fact_ranks: dict[str, array[int]] = field(default_factory=dict)
    group_keys: dict[str, tuple[array[int], array[int]]] = field(default_factory=dict)
    tallies: dict[str, Tally] = field(default_factory=dict)
    unchecked: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _params_of(rule: Rule, params: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A rule's parameters: its defaults, overridden by the audit's (auditor.toml) for that rule."""
    return {**rule.params, **params.get(rule.id, {})}


def _contexts(rules: Sequence[Rule], verify: Verifier, now: datetime, params: Mapping[str, Mapping[str, Any]],
              publication: PublicationProfile) -> dict[str, RuleContext]:
    return {r.id: RuleContext(r, verify, now, _params_of(r, params), Tally(), publication=publication) for r in rules}


def _error(rule_id: str, domain: str, exc: Exception) -> dict[str, str]:
    return {"rule": rule_id, "domain": domain, "error": f"{type(exc).__name__}: {exc}",
            "where": traceback.format_exc(limit=-1).strip().splitlines()[-3]}


def _score_share(records: Sequence[RegistrationRecord], ranks: Sequence[int], rules: Sequence[Rule],
                 contexts: Mapping[str, RuleContext], grouped: frozenset[str] = frozenset(),
                 finish: SliceFinisher | None = None) -> Iterator[tuple[str, Any]]:
    """Record rules, and the map step of dataset rules, over some records (`ranks[i]` is the rank of
    `records[i]`): yields ("progress", records done) now and then, ("finished", (ranks, what `finish`
    returned)) for each slice as soon as it is scored, and last ("result", _Partial).

    For the dataset rules in `grouped`, only (record rank, group key hash) pairs are kept (see _Partial).
    """
    out = _Partial(facts={r.id: [] for r in rules if r.scope == "dataset" and r.id not in grouped},
                   fact_ranks={r.id: array("q") for r in rules if r.scope == "dataset" and r.id not in grouped},
                   group_keys={rule_id: (array("q"), array("q")) for rule_id in grouped})
    # (rule, its function, its context, its tally) looked up once, not once per record
    record_rules = [(r, r.func, contexts[r.id], contexts[r.id].tally) for r in rules if r.scope == "record"]
    extractors = [(r, contexts[r.id]) for r in rules if r.scope == "dataset" and r.extract is not None]
    sliced = 0  # records and findings before the slice not finished yet
    sliced_findings = 0
    for _r, _func, _ctx, tally in record_rules:
        tally.evaluated += len(records)  # every record is evaluated by every record rule, even when it raises
    for done, (rank, record) in enumerate(zip(ranks, records, strict=True), 1):
        for r, func, ctx, tally in record_rules:
            try:
                # most records pass most rules: taking the first finding, if any, is cheaper than list()
                # of an empty generator (85 against 215 ns in a microbenchmark; a review measured 30 %)
                findings = iter(func(record, ctx))
                first = next(findings, None)
                found = [first, *findings] if first is not None else None
            except Exception as exc:  # noqa: BLE001 - one rule's bug must not stop the audit
                tally.errors += 1
                out.errors.append((rank, _error(r.id, record.domain, exc)))
                continue
            if found:
                tally.failed += 1
                tally.findings += len(found)
                out.findings.extend(found)
                out.finding_ranks.extend([rank] * len(found))
        for r, ctx in extractors:
            try:
                if r.id in grouped:
                    owners, hashes = out.group_keys[r.id]
                    for key in r.grouping.keys(record, ctx):  # type: ignore[union-attr]
                        owners.append(rank)
                        hashes.append(_group_hash(key))
                else:
                    facts = list(r.extract(record, ctx))  # type: ignore[misc]
                    out.facts[r.id].extend(facts)
                    out.fact_ranks[r.id].extend([rank] * len(facts))
            except Exception as exc:  # noqa: BLE001
                ctx.tally.errors += 1
                out.errors.append((rank, _error(r.id, record.domain, exc)))
        if finish is not None and (done % FINISH_EVERY == 0 or done == len(records)):
            yield "finished", (list(ranks[sliced:done]), finish(records[sliced:done], out.findings[sliced_findings:]))
            sliced, sliced_findings = done, len(out.findings)
        if done % PROGRESS_EVERY == 0:
            yield "progress", PROGRESS_EVERY
    if records and len(records) % PROGRESS_EVERY:
        yield "progress", len(records) % PROGRESS_EVERY
    out.tallies = {rule_id: ctx.tally for rule_id, ctx in contexts.items()}
    out.unchecked = {rule_id: dict(ctx.unchecked_reasons) for rule_id, ctx in contexts.items() if ctx.unchecked_reasons}
    yield "result", out


@dataclass
class ScoreSetup:
    """What every share needs to score its records: set before the shares fork (rules hold functions,
    `finish` is a closure: neither can be pickled). Lives in `ShareJob.context["score"]`."""

    rules: Sequence[Rule]
    verify: Verifier
    now: datetime
    params: Mapping[str, Mapping[str, Any]]
    finish: SliceFinisher | None = None

    def contexts(self, publication: PublicationProfile) -> dict[str, RuleContext]:
        return _contexts(self.rules, self.verify, self.now, self.params, publication)


@task("publication")
def _publication_task(share: Share) -> Iterator[tuple[str, Any]]:
    yield "result", PublicationProfile(share.kept)


@task("mail_domains")
def _mail_domains_task(share: Share) -> Iterator[tuple[str, Any]]:
    yield "result", mail_domains(share.kept, share.job.context["score"].verify)


@task("remember_dns")
def _remember_dns_task(share: Share, answers: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    dns_checker = share.job.context["score"].verify.dns
    if dns_checker is not None:
        dns_checker.remember(answers)
    yield from ()


@task("score")
def _score_task(share: Share, publication: PublicationProfile, grouped: frozenset[str]) -> Iterator[tuple[str, Any]]:
    setup: ScoreSetup = share.job.context["score"]
    share.state["publication"] = publication  # the facts task extracts with the same profile
    yield from _score_share(share.kept, share.ranks, setup.rules, setup.contexts(publication), grouped, setup.finish)


@task("facts")
def _facts_task(share: Share, rule_id: str, ranks: Sequence[int]) -> Iterator[tuple[str, Any]]:
    """The facts of the records of these ranks that this share holds, as (rank, facts)."""
    setup: ScoreSetup = share.job.context["score"]
    rule = next(r for r in setup.rules if r.id == rule_id)
    # a scratch context: the scoring task already counted what extraction found
    ctx = _contexts([rule], setup.verify, setup.now, setup.params, share.state["publication"])[rule_id]
    where = share.rank_index()
    out = []
    for rank in ranks:
        index = where.get(rank)
        if index is None:
            continue
        try:
            out.append((rank, list(rule.extract(share.kept[index], ctx))))  # type: ignore[misc]
        except Exception:  # noqa: BLE001, S112 - the scoring task already counted this record's error
            continue
    yield "result", out


#: A group key's stand-in on the way back from a worker (a function of its own so a test can make
#: every key collide).
_group_hash = hash


def _grouped_rules(rules: Sequence[Rule], params: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """Dataset rules whose facts can travel as group keys: they declare a grouping whose smallest
    useful group has two facts or more (with a minimum of one, every fact matters)."""
    return frozenset(r.id for r in rules if r.scope == "dataset" and r.grouping is not None
                     and r.grouping.min_size(_params_of(r, params)) >= 2)


def _wanted_ranks(rule: Rule, params: Mapping[str, Any], parts: Sequence[_Partial]) -> list[int]:
    """The ranks of the records with a fact in a group large enough to yield a finding.

    A group key's hash stands for the key: two keys with one hash only add a record that the combine
    step then finds in a small group, never lose one. (Forked workers hash strings like this process.)
    A wanted record's other facts come along too: each lands in a group that is either too small to
    yield anything or large enough that all its records are wanted, so every group is whole or harmless.
    """
    counts: Counter[int] = Counter()
    for part in parts:
        counts.update(part.group_keys[rule.id][1])
    least = rule.grouping.min_size(params)  # type: ignore[union-attr]
    frequent = {key for key, n in counts.items() if n >= least}
    wanted: set[int] = set()
    for part in parts:
        owners, hashes = part.group_keys[rule.id]
        if len(owners) != len(hashes):
            raise ValueError(f"{rule.id}: {len(hashes)} group keys for {len(owners)} owners")
        # the owners whose key is frequent, picked without a Python-level loop (a million keys: 0.52 -> 0.34 s)
        wanted.update(compress(owners, map(frequent.__contains__, hashes)))
    return sorted(wanted)


def _in_rank_order(items: Sequence[Any], ranks: Sequence[int]) -> list[Any]:
    """Items from several shares, each tagged with its record's rank, in rank order (a stable sort: one
    record's items keep the order its share gave them)."""
    return [items[i] for i in sorted(range(len(items)), key=ranks.__getitem__)]


def _merge(parts: Sequence[_Partial], rules: Sequence[Rule]) -> _Partial:
    merged = _Partial(facts={r.id: [] for r in rules if r.scope == "dataset"},
                      tallies={r.id: Tally() for r in rules})
    findings: list[Finding] = []
    finding_ranks: array[int] = array("q")
    errors: list[tuple[int, dict[str, str]]] = []
    for part in parts:
        findings.extend(part.findings)
        finding_ranks.extend(part.finding_ranks)
        errors.extend(part.errors)
        for rule_id, tally in part.tallies.items():
            into = merged.tallies[rule_id]
            for name in ("evaluated", "failed", "findings", "unchecked", "errors"):
                setattr(into, name, getattr(into, name) + getattr(tally, name))
        for rule_id, reasons in part.unchecked.items():
            into_reasons = merged.unchecked.setdefault(rule_id, {})
            for reason, n in reasons.items():
                into_reasons[reason] = into_reasons.get(reason, 0) + n
    merged.findings = _in_rank_order(findings, finding_ranks)
    merged.errors = sorted(errors, key=lambda item: item[0])
    for rule_id in {k for part in parts for k in part.facts}:
        facts = [f for part in parts for f in part.facts.get(rule_id, ())]
        ranks = [r for part in parts for r in part.fact_ranks.get(rule_id, ())]
        merged.facts[rule_id] = _in_rank_order(facts, ranks)
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
    forked processes over contiguous shares of the records (see auditor.shares); findings and facts
    come back in record order, and the dataset rules' combine step runs here, so the result is the same
    as with one process. `finish` runs on each slice of records where they were scored (see
    SliceFinisher), its results in `EngineResult.finished`.
    """
    params = params or {}
    parallel = workers > 1 and len(records) >= PARALLEL_THRESHOLD
    job = ShareJob(records=records, context={"score": ScoreSetup(rules, verify, now, params, finish)})

    def records_done(n: int) -> None:
        for _ in range(n):
            on_record()  # type: ignore[misc]

    with Shares(job, workers if parallel else 1) as shares:
        shares.keep(range(len(records)))
        return score_shares(shares, len(records), on_progress=records_done if on_record else None)


def score_shares(shares: Shares, total: int, on_progress: Callable[[int], Any] | None = None,
                 on_finished: Callable[[list[int], Any], Any] | None = None) -> EngineResult:
    """`score` over records already kept in shares, `total` records in all, with the ScoreSetup the shares
    were made with: the publication profile and DNS answers of all the records, each share's scoring,
    then the dataset rules' combine step here.

    With `on_finished`, what the setup's `finish` made of each slice is handed to it (the ranks of the
    slice's records, that result) as soon as the slice arrives, in no set order, while the shares go on
    scoring; without it, `EngineResult.finished` holds them all in rank order.
    """
    setup: ScoreSetup = shares.job.context["score"]
    rules, verify, params = setup.rules, setup.verify, setup.params
    publication = PublicationProfile.combined(shares.run("publication"))
    if verify.dns is not None and any(r.id == "UNV002" or r.params.get("needs_dns") for r in rules):
        domains: set[str] = set().union(*shares.run("mail_domains"))
        verify.dns.prefetch(domains)
        if shares.forked:  # workers forked before the look-ups: hand them the answers
            shares.run("remember_dns", (verify.dns.cached(domains),))
    grouped = _grouped_rules(rules, params)
    parts: list[_Partial] = [None] * len(shares)  # type: ignore[list-item]
    finished: list[tuple[list[int], Any]] = []
    for number, (kind, value) in shares.stream("score", (publication, grouped)):
        if kind == "progress" and on_progress is not None:
            on_progress(value)
        elif kind == "finished":
            if on_finished is not None:
                on_finished(*value)
            else:
                finished.append(value)
        elif kind == "result":
            parts[number] = value
    finished.sort(key=lambda item: item[0][0] if item[0] else -1)
    merged = _merge(parts, rules)
    for r in rules:
        if r.id in grouped:
            wanted = _wanted_ranks(r, _params_of(r, params), parts)
            pairs = [pair for found in shares.run("facts", (r.id, wanted)) for pair in found]
            pairs.sort(key=lambda pair: pair[0])
            merged.facts[r.id] = [fact for _rank, facts in pairs for fact in facts]
    result = EngineResult(findings=merged.findings, tallies=merged.tallies, unchecked=merged.unchecked,
                          errors=[e for _rank, e in merged.errors], finished=finished)
    for r in rules:
        if r.scope != "dataset":
            continue
        ctx = RuleContext(r, verify, setup.now, _params_of(r, params), result.tallies[r.id],
                          publication=publication)
        ctx.tally.evaluated = total
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
