"""Immutable value types shared by every stage: raw responses, parsed registrations, findings.

No I/O and no database here. Collections are tuples, instants are timezone-aware UTC.

>>> c = Contact(role=Role.REGISTRANT, email="a@b.zz", redacted=frozenset({"phone"}))
>>> c.state("email"), c.state("phone"), c.state("name")
(<FieldState.PRESENT: 'present'>, <FieldState.REDACTED: 'redacted'>, <FieldState.MISSING: 'missing'>)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Source(StrEnum):
    """Where a raw record came from."""

    WHOIS = "whois"
    RDAP = "rdap"
    CSV = "csv"
    ESCROW = "escrow"  # a registry's data escrow deposit (RFC 9022)


#: Sources that are a registry's or registrar's own data (an export, an escrow deposit), not what a public
#: service chose to publish: every field it holds is there, so an absent one is missing.
OWN_DATA_SOURCES = frozenset({Source.CSV, Source.ESCROW})
#: Where a field withheld by the server for this one answer is said to be (a rate limit's "Reduced
#: information"): followed by the notice. Such a field says nothing of what the registry publishes.
WITHHELD_BY_THE_SERVER = "the answer's notice: "


class FetchStatus(StrEnum):
    """Outcome of the fetch (collection), not of parsing."""

    OK = "ok"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    ERROR = "error"


class ResponseStatus(StrEnum):
    """What a response says about the domain, decided by the parser."""

    REGISTERED = "registered"
    AVAILABLE = "available"
    RESERVED = "reserved"
    INVALID_QUERY = "invalid_query"
    THROTTLED = "throttled"
    UNKNOWN = "unknown"


class Role(StrEnum):
    """Contact roles, named as in RFC 9083 section 10.2.4."""

    REGISTRANT = "registrant"
    ADMINISTRATIVE = "administrative"
    TECHNICAL = "technical"
    BILLING = "billing"


class FieldState(StrEnum):
    """The tri-state every contact field has: a redacted value is never "missing"."""

    PRESENT = "present"
    MISSING = "missing"
    REDACTED = "redacted"


class Category(StrEnum):
    """The three kinds of inaccuracy the mission names."""

    INCOMPLETE = "incomplete"
    FALSE = "false"
    UNVERIFIABLE = "unverifiable"


class Severity(StrEnum):
    """How urgently a finding should be acted on."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


#: Contact fields in output order; `field` in findings.jsonl takes one of these or "record".
CONTACT_FIELDS: tuple[str, ...] = (
    "name",
    "organization",
    "email",
    "phone",
    "fax",
    "street",
    "city",
    "postcode",
    "region",
    "country",
)


_STORED_CONTACT_FIELDS = ("handle", "name", "organization", "email", "phone", "fax", "city", "region", "postcode",
                          "country", "country_published", "identifier", "kind", "privacy_service")


#: How a registration without a registrar is named wherever findings, grades or strata are grouped by
#: registrar (reports, the evidence packs, PAT003, sampling), so they all group it the same way.
NO_REGISTRAR = "(no registrar given)"


def registrar_label(registrar: str | None) -> str:
    """The registrar to group by: its name, or NO_REGISTRAR."""
    return registrar or NO_REGISTRAR


def utcnow() -> datetime:
    """Aware UTC now (one place, so tests can reason about it)."""
    return datetime.now(UTC)


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256, the project's one hash."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class RawRecord:
    """Exactly what arrived, with provenance. The body is never altered."""

    source: Source
    server: str
    query: str
    body: bytes
    fetched_at: datetime
    status: FetchStatus = FetchStatus.OK
    url: str | None = None
    origin: str | None = None  # the file or crawl job it came from, for the summary
    error: str | None = None
    charset: str | None = None  # decoder's guess, recorded at collection or import
    sha256: str = ""

    def __post_init__(self) -> None:
        if not self.sha256:
            object.__setattr__(self, "sha256", sha256_hex(self.body))


class RowLocations:
    """Where the fields of one export row were read: "row 12, column registrant_city" for each field.

    It stands for the tuple of (field, location) pairs it renders (iteration, `dict()`, equality and
    hash are the tuple's), but holds only the row's label and a map of fields to columns that every
    row read under the same header shares (`shared_columns`). A zone export's million rows each held
    their own location strings and pairs: 1.6 KB of a parse worker's memory a registration, which the
    kernel must hand out page by page.
    """

    __slots__ = ("row", "columns")

    def __init__(self, row: str, columns: tuple[tuple[str, str], ...]) -> None:
        self.row = row  # "row 12"
        self.columns = columns  # (("city", "column registrant_city"), ...), sorted by field

    def get(self, name: str) -> str | None:
        """Where the field was read, if it was."""
        for key, column in self.columns:
            if key == name:
                return f"{self.row}, {column}"
        return None

    def as_dict(self) -> dict[str, str]:
        """Field -> location, as `dict(locations)` gives it for the tuple this stands for."""
        row = self.row
        return {key: f"{row}, {column}" for key, column in self.columns}

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((key, f"{self.row}, {column}") for key, column in self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RowLocations):
            if self.row == other.row and self.columns == other.columns:
                return True
            return tuple(self) == tuple(other)  # the same pairs, split otherwise: equal, as their hashes are
        return tuple(self) == other if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (RowLocations, (self.row, self.columns))


#: Locations as a record or contact holds them: (field, location) pairs sorted by field, or a RowLocations.
Locations = tuple[tuple[str, str], ...] | RowLocations

_SHARED_COLUMNS: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}
#: How many distinct field-to-column maps are shared; beyond it (a file whose rows leave ever other cells
#: empty) each row keeps its own.
SHARED_COLUMNS_BOUND = 4096


def shared_columns(columns: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The (field, column) pairs of `columns` sorted by field, as one tuple shared by every row that has them."""
    pairs = tuple(sorted(columns.items()))
    shared = _SHARED_COLUMNS.get(pairs)
    if shared is None:
        if len(_SHARED_COLUMNS) >= SHARED_COLUMNS_BOUND:
            return pairs
        shared = _SHARED_COLUMNS[pairs] = pairs
    return shared


def locations_dict(locations: Locations) -> dict[str, str]:
    """Field -> where it was read."""
    return locations.as_dict() if type(locations) is RowLocations else dict(locations)


def _find(locations: Locations, name: str) -> str | None:
    if type(locations) is RowLocations:
        return locations.get(name)
    for key, where in locations:
        if key == name:
            return where
    return None


@dataclass(frozen=True, slots=True)
class Contact:
    """One role's contact data as published.

    A field is *present* when it has a value, *redacted* when its name is in `redacted`, *missing*
    otherwise. `privacy_service` names a recognised privacy/proxy service whose data stands in for
    the holder's. `locations` maps a field to where in the raw response its value (or its redaction)
    was read: "line 12" for WHOIS text, a JSONPath for RDAP, "row 3" for CSV.
    """

    role: Role
    handle: str | None = None
    name: str | None = None
    organization: str | None = None
    email: str | None = None
    phone: str | None = None
    fax: str | None = None
    street: tuple[str, ...] = ()
    city: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 when identifiable, else as published
    country_published: str | None = None  # the value as it appeared, when it was a name
    identifier: str | None = None  # company / VAT / national registration number, when published
    kind: str | None = None  # "individual" | "org" when the registry says
    redacted: frozenset[str] = frozenset()
    privacy_service: str | None = None
    locations: Locations = ()
    #: memo of `state()`; rules ask for the same states many times per record
    _states: dict[str, FieldState] = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle as plain values: records cross process boundaries in parallel audits."""
        return (_contact_from_state, (self.role.value, self.handle, self.name, self.organization, self.email,
                                      self.phone, self.fax, self.street, self.city, self.region, self.postcode,
                                      self.country, self.country_published, self.identifier, self.kind,
                                      tuple(self.redacted), self.privacy_service, self.locations))

    def value(self, name: str) -> str | None:
        """The field as one string (street lines joined), or None."""
        if name == "street":
            return ", ".join(self.street) if self.street else None
        return getattr(self, name)

    def state(self, name: str) -> FieldState:
        """Present, redacted or missing; redaction wins over a placeholder value."""
        cached = self._states.get(name)
        if cached is not None:
            return cached
        if name in self.redacted:
            result = FieldState.REDACTED
        else:
            result = FieldState.PRESENT if self.value(name) else FieldState.MISSING
        self._states[name] = result
        return result

    def location(self, name: str) -> str | None:
        """Where in the raw response the field was read, if known."""
        return _find(self.locations, name)

    @property
    def is_empty(self) -> bool:
        """True when nothing but the role (and maybe a handle) is known."""
        return not any(self.value(f) for f in CONTACT_FIELDS) and not self.redacted

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with each field's state spelled out for readers."""
        out: dict[str, Any] = {"role": self.role.value}
        for f in fields(self):
            if f.name in ("role", "locations", "redacted", "_states"):
                continue
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        out["redacted"] = sorted(self.redacted)
        out["states"] = {name: self.state(name).value for name in CONTACT_FIELDS}
        out["locations"] = locations_dict(self.locations)
        return out

    def to_storage(self) -> dict[str, Any]:
        """The compact stored form: only what is set (`from_dict` reads it back)."""
        out: dict[str, Any] = {"role": self.role.value}
        for name in _STORED_CONTACT_FIELDS:
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.street:
            out["street"] = list(self.street)
        if self.redacted:
            out["redacted"] = sorted(self.redacted)
        if self.locations:
            out["locations"] = locations_dict(self.locations)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Contact:
        """Inverse of `to_dict` (unknown keys such as `states` are ignored)."""
        known = {f.name for f in fields(cls)} - {"_states"}
        kwargs: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        kwargs["role"] = Role(kwargs["role"])
        kwargs["street"] = tuple(kwargs.get("street") or ())
        kwargs["redacted"] = frozenset(kwargs.get("redacted") or ())
        kwargs["locations"] = tuple(sorted((kwargs.get("locations") or {}).items()))
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class RegistrationRecord:
    """One parsed registration, normalised across WHOIS, RDAP and CSV."""

    domain: str  # A-label, lower case, no trailing dot
    status: ResponseStatus = ResponseStatus.REGISTERED
    registrar: str | None = None
    registrar_iana_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    expires_at: datetime | None = None
    statuses: tuple[str, ...] = ()
    nameservers: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    raw_sha256: str = ""
    parser: str = ""
    source: Source = Source.WHOIS
    locations: Locations = ()  # record-level fields: "created_at" -> "line 4"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle as plain values (see Contact.__reduce__)."""
        return (_record_from_state, (self.domain, self.status.value, self.registrar, self.registrar_iana_id,
                                     _ts(self.created_at), _ts(self.updated_at), _ts(self.expires_at), self.statuses,
                                     self.nameservers, self.contacts, self.raw_sha256, self.parser,
                                     self.source.value, self.locations))

    @property
    def tld(self) -> str:
        """Last label of the domain (A-label)."""
        return self.domain.rsplit(".", 1)[-1]

    def contact(self, role: Role) -> Contact | None:
        """The first contact with this role, if any."""
        for c in self.contacts:
            if c.role == role:
                return c
        return None

    def location(self, name: str) -> str | None:
        """Where a record-level field was read."""
        return _find(self.locations, name)

    def with_contacts(self, contacts: Iterable[Contact]) -> RegistrationRecord:
        """A copy with other contacts (records are immutable)."""
        return replace(self, contacts=tuple(contacts))

    def to_dict(self) -> dict[str, Any]:
        """The normalised JSON shape `auditor parse` prints and rule examples use."""
        return {
            "domain": self.domain,
            "status": self.status.value,
            "registrar": self.registrar,
            "registrar_iana_id": self.registrar_iana_id,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "expires_at": _iso(self.expires_at),
            "statuses": list(self.statuses),
            "nameservers": list(self.nameservers),
            "contacts": [c.to_dict() for c in self.contacts],
            "raw_sha256": self.raw_sha256,
            "parser": self.parser,
            "source": self.source.value,
            "locations": locations_dict(self.locations),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RegistrationRecord:
        """Inverse of `to_dict`; missing keys take their defaults (handy for rule examples)."""
        return cls(
            domain=data["domain"],
            status=ResponseStatus(data.get("status", "registered")),
            registrar=data.get("registrar"),
            registrar_iana_id=data.get("registrar_iana_id"),
            created_at=_from_iso(data.get("created_at")),
            updated_at=_from_iso(data.get("updated_at")),
            expires_at=_from_iso(data.get("expires_at")),
            statuses=tuple(data.get("statuses") or ()),
            nameservers=tuple(data.get("nameservers") or ()),
            contacts=tuple(Contact.from_dict(c) for c in data.get("contacts") or ()),
            raw_sha256=data.get("raw_sha256", ""),
            parser=data.get("parser", ""),
            source=Source(data.get("source", "whois")),
            locations=tuple(sorted((data.get("locations") or {}).items())),
        )


@dataclass(frozen=True, slots=True)
class NoRegistration:
    """A well-formed answer that holds no registration to audit (available, throttled, ...)."""

    status: ResponseStatus
    raw_sha256: str
    parser: str
    domain: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Why a raw record could not be read as a registration."""

    raw_sha256: str
    parser: str
    reason: str
    excerpt: str = ""
    domain: str | None = None


ParseOutcome = RegistrationRecord | NoRegistration | ParseFailure


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """A citation a finding rests on."""

    id: str
    title: str
    url: str
    excerpt: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """The observed value and where in the raw response it came from."""

    value: str | None
    location: str | None = None
    excerpt: str | None = None  # the raw line or JSON fragment it was read from
    expected: str | None = None  # what a valid value looks like, when that helps
    detail: str | None = None  # e.g. the DNS answer behind a mail-domain finding

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle as plain values (see Contact.__reduce__): findings come back from scoring workers."""
        return (Evidence, (self.value, self.location, self.excerpt, self.expected, self.detail))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, omitting empty keys except `value`."""
        out: dict[str, Any] = {"value": self.value}
        for key in ("location", "excerpt", "expected", "detail"):
            v = getattr(self, key)
            if v is not None:
                out[key] = v
        return out


#: Bump when the fields that make up a fingerprint change, so old and new never collide.
FINGERPRINT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Finding:
    """One defect on one record (or one group of records, for cross-record rules)."""

    rule_id: str
    rule_name: str
    category: Category
    severity: Severity
    domain: str
    role: str  # a Role value, or "registrar" / "record"
    field: str  # one of CONTACT_FIELDS, or "record"
    message: str
    evidence: Evidence
    policy: tuple[str, ...] = ()
    raw_sha256: str = ""
    related_domains: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle as plain values (see Contact.__reduce__)."""
        return (Finding, (self.rule_id, self.rule_name, self.category, self.severity, self.domain, self.role,
                          self.field, self.message, self.evidence, self.policy, self.raw_sha256,
                          self.related_domains))

    def with_excerpt(self, excerpt: str) -> Finding:
        """This finding with its evidence's excerpt set: what `dataclasses.replace` twice gives, in less
        than half the time (4.3 -> 1.9 us; an audit sets one on each of a zone's findings)."""
        e = self.evidence
        return Finding(self.rule_id, self.rule_name, self.category, self.severity, self.domain, self.role,
                       self.field, self.message, Evidence(e.value, e.location, excerpt, e.expected, e.detail),
                       self.policy, self.raw_sha256, self.related_domains)

    @property
    def fingerprint(self) -> str:
        """Stable identity across runs: rule, domain, where, and the observed value."""
        key = "\x1f".join(
            (
                str(FINGERPRINT_VERSION),
                self.rule_id,
                self.domain,
                self.role,
                self.field,
                self.evidence.value or "",
                self.raw_sha256,
            )
        )
        return sha256_hex(key.encode("utf-8"))[:32]

    def to_dict(self) -> dict[str, Any]:
        """One line of findings.jsonl (the output contract in the README)."""
        out: dict[str, Any] = {
            "domain": self.domain,
            "rule": self.rule_id,
            "name": self.rule_name,
            "category": self.category.value,
            "severity": self.severity.value,
            "role": self.role,
            "field": self.field,
            "message": self.message,
            "evidence": {**self.evidence.to_dict(), "raw_sha256": self.raw_sha256 or None},
            "policy": list(self.policy),
            "fingerprint": self.fingerprint,
        }
        if self.related_domains:
            out["related_domains"] = list(self.related_domains)
        return out


_ROLES_BY_VALUE = {r.value: r for r in Role}
_STATUS_BY_VALUE = {s.value: s for s in ResponseStatus}
_SOURCE_BY_VALUE = {s.value: s for s in Source}


def _contact_from_state(role: str, *values: Any) -> Contact:
    (handle, name, organization, email, phone, fax, street, city, region, postcode, country, country_published,
     identifier, kind, redacted, privacy_service, locations) = values
    return Contact(_ROLES_BY_VALUE[role], handle, name, organization, email, phone, fax, street, city, region,
                   postcode, country, country_published, identifier, kind, frozenset(redacted), privacy_service,
                   locations)


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _from_ts(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _record_from_state(domain: str, status: str, registrar: str | None, iana: str | None, created: float | None,
                       updated: float | None, expires: float | None, statuses: tuple[str, ...],
                       nameservers: tuple[str, ...], contacts: tuple[Contact, ...], raw_sha256: str, parser: str,
                       source: str, locations: Locations) -> RegistrationRecord:
    return RegistrationRecord(domain, _STATUS_BY_VALUE[status], registrar, iana, _from_ts(created), _from_ts(updated),
                              _from_ts(expires), statuses, nameservers, contacts, raw_sha256, parser,
                              _SOURCE_BY_VALUE[source], locations)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _from_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an importer made of one input file."""

    path: str
    records: tuple[RawRecord, ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = field(default=())
