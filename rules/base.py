"""Rule machinery: the `@rule` decorator, the registry, and the context a rule runs in.

A rule is one function with one docstring, one id, one kebab-case name, a category, a severity,
policy references and examples kept as data in ``fixtures/rules/<ID>.json``. Rules return
`Finding` data; they never render and never do I/O themselves (DNS goes through ``ctx.verify``).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditor.records import Category, Contact, Evidence, Finding, PolicyRef, RegistrationRecord, Severity
from auditor.resources import fixtures_dir
from auditor.verify import Verifier

RULE_ID_RE = re.compile(r"^[A-Z]{3}\d{3}$")
RULE_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")
DOC_SECTIONS = ("Why it matters", "Not a finding", "Remedy")

RecordRule = Callable[[RegistrationRecord, "RuleContext"], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Fact:
    """What a dataset rule needs to know about one record, taken out of it record by record.

    Dataset (cross-record) rules run as map and reduce: their `extract` function turns each record into
    a few facts (in whichever process scores that record), and the rule itself combines all facts at the
    end. A fact carries what a finding needs (domain, raw hash, role, field, value, location) and the
    rule's own payload in `data`.
    """

    domain: str
    raw_sha256: str
    role: str
    field: str
    value: str | None
    location: str | None
    data: tuple[Any, ...] = ()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle as plain values: a zone's facts travel from the scoring workers to the combine step,
        and the dataclass default (a state dict set attribute by attribute) costs several times more."""
        return (Fact, (self.domain, self.raw_sha256, self.role, self.field, self.value, self.location, self.data))


DatasetRule = Callable[[Sequence[Fact], "RuleContext"], Iterable[Finding]]
Extractor = Callable[[RegistrationRecord, "RuleContext"], Iterable[Fact]]


@dataclass(frozen=True)
class Grouping:
    """How a dataset rule's combine step groups its facts, declared so that scoring workers can send
    back group keys instead of facts (see engine.score).

    The rule promises: facts with different keys never meet in the combine step, and a group of fewer
    than `min_size(params)` facts yields no finding. `keys(record, ctx)` gives the keys of the facts
    `extract(record, ctx)` would yield, in the same order, without building them (tests compare both).
    """

    key: Callable[[Fact], Hashable]
    keys: Callable[[RegistrationRecord, RuleContext], Iterable[Hashable]]
    min_size: Callable[[Mapping[str, Any]], int]


@dataclass(frozen=True, slots=True)
class RuleDoc:
    """A rule's documentation, taken from its docstring (summary line + ## sections)."""

    summary: str
    body: str
    sections: Mapping[str, str]

    @classmethod
    def from_docstring(cls, doc: str | None) -> RuleDoc:
        text = inspect.cleandoc(doc or "")
        summary, _, rest = text.partition("\n")
        sections: dict[str, str] = {}
        body_lines: list[str] = []
        current: str | None = None
        for line in rest.splitlines():
            if line.startswith("## "):
                current = line[3:].strip()
                sections[current] = ""
                continue
            if current is None:
                body_lines.append(line)
            else:
                sections[current] = (sections[current] + "\n" + line).strip("\n")
        return cls(summary.strip(), "\n".join(body_lines).strip(), {k: v.strip() for k, v in sections.items()})


@dataclass(frozen=True)
class Rule:
    """One registered rule."""

    id: str
    name: str
    category: Category
    severity: Severity
    policies: tuple[PolicyRef, ...]
    func: Callable[..., Iterable[Finding]]
    doc: RuleDoc
    scope: str = "record"  # "record": one registration at a time; "dataset": all of them (map and reduce)
    version: int = 1
    lifecycle: str = "stable"
    params: Mapping[str, Any] = field(default_factory=dict)
    extract: Extractor | None = None  # dataset rules: record -> facts (the map step)
    grouping: Grouping | None = None  # dataset rules: how the combine step groups facts, if declared

    @property
    def policy_ids(self) -> tuple[str, ...]:
        """Ids of the cited policies, as stored in findings."""
        return tuple(p.id for p in self.policies)

    def examples(self) -> list[dict[str, Any]]:
        """The rule's example cases (fixtures/rules/<ID>.json), positive and negative."""
        path = fixtures_dir() / "rules" / f"{self.id}.json"
        if not path.is_file():
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data.get("cases", []))

    def describe(self) -> dict[str, Any]:
        """Metadata for listings, reports and run records."""
        return {
            "id": self.id, "name": self.name, "category": self.category.value, "severity": self.severity.value,
            "scope": self.scope, "version": self.version, "lifecycle": self.lifecycle,
            "summary": self.doc.summary, "policies": list(self.policy_ids), "params": dict(self.params),
        }


REGISTRY: dict[str, Rule] = {}


def rule(
    *,
    id: str,  # noqa: A002 - the rule's id is the natural name here
    name: str,
    category: Category,
    severity: Severity,
    policy: Sequence[PolicyRef],
    scope: str = "record",
    version: int = 1,
    lifecycle: str = "stable",
    params: Mapping[str, Any] | None = None,
    extract: Extractor | None = None,
    grouping: Grouping | None = None,
) -> Callable[[Callable[..., Iterable[Finding]]], Callable[..., Iterable[Finding]]]:
    """Register a rule once; a duplicate id or a malformed name is a programming error."""

    def register(func: Callable[..., Iterable[Finding]]) -> Callable[..., Iterable[Finding]]:
        if not RULE_ID_RE.match(id):
            raise ValueError(f"rule id {id!r} must look like ABC123")
        if not RULE_NAME_RE.match(name):
            raise ValueError(f"rule name {name!r} must be kebab-case")
        if id in REGISTRY and REGISTRY[id].func is not func:
            raise ValueError(f"rule id {id} registered twice")
        if (scope == "dataset") != (extract is not None):
            raise ValueError(f"rule {id}: a dataset rule needs an extract function, a record rule none")
        if grouping is not None and scope != "dataset":
            raise ValueError(f"rule {id}: only a dataset rule groups facts")
        REGISTRY[id] = Rule(id=id, name=name, category=category, severity=severity, policies=tuple(policy),
                            func=func, doc=RuleDoc.from_docstring(func.__doc__), scope=scope, version=version,
                            lifecycle=lifecycle, params=dict(params or {}), extract=extract,
                            grouping=grouping)
        return func

    return register


@dataclass
class Tally:
    """Denominators for honest percentages: what a rule looked at, and what it could not check."""

    evaluated: int = 0
    failed: int = 0  # subjects with at least one finding
    findings: int = 0
    unchecked: int = 0  # values it could not check (DNS timeout, no country to read a number against)
    errors: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"evaluated": self.evaluated, "failed": self.failed, "findings": self.findings,
                "unchecked": self.unchecked, "errors": self.errors}


class RuleContext:
    """What a rule may use: verification, a fixed clock, its parameters, and a finding factory."""

    def __init__(self, rule: Rule, verify: Verifier, now: datetime, params: Mapping[str, Any],
                 tally: Tally, publication: Any = None) -> None:
        self.rule = rule
        self.verify = verify
        self.now = now
        self.params = params
        self.tally = tally
        #: what each source publishes, learnt from the audited set (auditor.engine.PublicationProfile)
        self.publication = publication
        self.unchecked_reasons: dict[str, int] = {}

    def unchecked(self, reason: str) -> None:
        """Count a value the rule could not check (never a finding)."""
        self.tally.unchecked += 1
        self.unchecked_reasons[reason] = self.unchecked_reasons.get(reason, 0) + 1

    def finding(
        self,
        record: RegistrationRecord,
        message: str,
        *,
        contact: Contact | None = None,
        field: str = "record",
        value: str | None = None,
        role: str | None = None,
        expected: str | None = None,
        detail: str | None = None,
        location: str | None = None,
        related_domains: Sequence[str] = (),
    ) -> Finding:
        """Build a Finding with this rule's metadata and the value's location in the raw response."""
        if location is None:
            if contact is not None:
                location = contact.location(field)
            else:
                location = record.location(field)
        return Finding(
            rule_id=self.rule.id,
            rule_name=self.rule.name,
            category=self.rule.category,
            severity=self.rule.severity,
            domain=record.domain,
            role=role or (contact.role.value if contact is not None else "record"),
            field=field,
            message=message,
            evidence=Evidence(value=value, location=location, expected=expected, detail=detail),
            policy=self.rule.policy_ids,
            raw_sha256=record.raw_sha256,
            related_domains=tuple(related_domains),
        )


def finding_from_fact(ctx: RuleContext, fact: Fact, message: str, *, role: str | None = None,
                      related_domains: Sequence[str] = (), detail: str | None = None) -> Finding:
    """A Finding for the record a fact came from."""
    return Finding(
        rule_id=ctx.rule.id, rule_name=ctx.rule.name, category=ctx.rule.category, severity=ctx.rule.severity,
        domain=fact.domain, role=role or fact.role, field=fact.field, message=message,
        evidence=Evidence(value=fact.value, location=fact.location, detail=detail), policy=ctx.rule.policy_ids,
        raw_sha256=fact.raw_sha256, related_domains=tuple(related_domains),
    )
