"""PAT: patterns across records that no single record shows.

These rules see the whole audited set at once. They never fire on privacy/proxy contacts (a
service's data is shared by design) and only look at the registrant, whose data should be the holder's.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import lru_cache

from auditor.domains import registrable_domain
from auditor.parse.markers import is_redaction_marker
from auditor.records import (
    Category,
    Contact,
    FieldState,
    Finding,
    RegistrationRecord,
    Role,
    Severity,
    registrar_label,
)
from rules import placeholders, policies
from rules.base import Fact, Grouping, RuleContext, finding_from_fact, rule

#: German's umlauts as typed without them: "Müller" is also written "Mueller" (fold gives "muller").
_SPELLED_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


#: Two-letter words of names that do not tell one holder from another: particles, titles, generations.
_NAME_PARTICLES = frozenset({"da", "di", "du", "do", "le", "la", "el", "al", "of", "mr", "ms", "dr", "jr", "sr", "st"})


def _words(text: str) -> list[str]:
    """The distinctive words: three letters or more, and two characters of another script ("田中 花子": Japanese
    and Chinese names are two characters a part). A name made only of shorter words keeps its two-letter ones
    that are no particle ("Li Na", "Xu Xu"); beside a longer word they would tie unrelated holders together
    ("Acme UK", "Zeta UK")."""
    folded = [t for t in placeholders.fold(text).replace("/", " ").split() if t not in placeholders.LEGAL_FORMS]
    words = [t for t in folded if len(t) >= 3 or (len(t) == 2 and not _latin(t))]
    return words or [t for t in folded if len(t) == 2 and t not in _NAME_PARTICLES]


def identity_tokens(contact: Contact) -> frozenset[str]:
    """Distinctive words of a contact's name and organisation; a word with an umlaut also as it is typed
    without one, so that "Jürgen Müller" and "Juergen Mueller" (and "Jurgen Muller") share theirs. A
    placeholder ("Test User") names nobody (FAL001 reports it), so it contradicts nobody either."""
    if contact.state("name") is FieldState.REDACTED:
        return frozenset()
    text = " ".join(v for v in (contact.name, contact.organization) if v and not placeholders.placeholder_text(v))
    tokens = _words(text)
    spelled = text.translate(_SPELLED_UMLAUTS)
    if spelled != text:
        tokens += _words(spelled)
    return frozenset(tokens)


@lru_cache(maxsize=4096)
def _latin(token: str) -> bool:
    """Is the word written in Latin letters (accents, ł, ø and ß included)?"""
    # modifier letters (Hawaiian ʻokina, the apostrophe ʼ of transliterations) belong to any script
    return all(not ch.isalpha() or unicodedata.category(ch) == "Lm" or unicodedata.name(ch, "").startswith("LATIN")
               for ch in token)


def _one_script(a: frozenset[str], b: frozenset[str]) -> bool:
    """Can the two sets of words be compared: both written in Latin letters, or both not? "王小明" and
    "Wang Xiaoming" are one name in two scripts, not two people."""
    return all(_latin(t) for t in a) == all(_latin(t) for t in b)


def _registrant(record: RegistrationRecord) -> Contact | None:
    contact = record.contact(Role.REGISTRANT)
    return contact if contact is not None and not contact.privacy_service else None


def _identity_keys(record: RegistrationRecord, contact: Contact, ctx: RuleContext) -> Iterator[tuple[str, str, str]]:
    """(field, key, shown value) for the identifiers one holder should not share with another."""
    email = contact.email or ""
    if contact.state("email") is FieldState.PRESENT and "@" in email and not placeholders.placeholder_email(email) \
            and not is_redaction_marker(email):
        yield "email", email.lower(), email
    if contact.state("phone") is FieldState.PRESENT and not placeholders.placeholder_phone(contact.phone, contact.country):
        check = ctx.verify.phone(contact.phone or "", contact.country)
        if check.e164 and check.verdict.value == "valid":
            yield "phone", check.e164, contact.phone or ""
    if contact.handle and any(ch.isalnum() for ch in contact.handle) and not is_redaction_marker(contact.handle):
        yield "record", f"{record.tld}:{contact.handle}", contact.handle  # handles are registry-scoped


def _owner_label(field: str, key: str) -> str | None:
    """The organisation a mailbox belongs to: 'google' for dns-admin@google.com."""
    if field != "email" or "@" not in key:
        return None
    domain = registrable_domain(key.rsplit("@", 1)[1])
    label = domain.split(".")[0]
    return label if len(label) >= 2 else None


#: Distinct holder names compared within one group; enough to find a contradiction, bounded in cost.
MAX_COMPARED = 64


def _contradiction(field: str, key: str, members: Sequence[Fact]) -> str | None:
    """Why the holders sharing one identifier cannot all be right, or None when they can.

    Each member's data: (key, names shown, folded names, distinctive tokens, country, domain label).
    """
    owner = _owner_label(field, key)
    if owner is not None:
        # a corporate mailbox shared by the group's own companies ("dns-admin@google.com" for Google LLC and
        # Google Ireland Holdings) is the holder's, whatever the country; so are the holders' own domains
        names = "".join(m.data[2] for m in members).replace(" ", "")
        # a two-letter label ("vw" of domains@vw.com) only as a whole word of a holder's name ("VW")
        owned = owner in names if len(owner) >= 3 else any(owner in m.data[2].split() for m in members)
        if owned or owner in {m.data[5] for m in members}:
            return None
    names = sorted({m.data[1] for m in members if m.data[1]})
    countries = sorted({m.data[4] for m in members if m.data[4] and len(m.data[4]) == 2 and m.data[4].isupper()})
    # distinct token sets only (a portfolio repeats one holder many times), and at most MAX_COMPARED of them
    token_sets = list(dict.fromkeys(m.data[3] for m in members if m.data[3]))[:MAX_COMPARED]
    for i, a in enumerate(token_sets):
        for b in token_sets[i + 1 :]:
            if not (a & b) and _one_script(a, b):
                where = f" in {', '.join(countries)}" if len(countries) > 1 else ""
                return "names " + "; ".join(repr(n) for n in names[:4]) + where
    if field != "phone" and len(countries) > 1 and all(m.data[6] for m in members):
        # (not for a shared phone number: a head office's number serves its branches abroad)
        # one person (no organisation: no subsidiaries) cannot live in two countries at once: at least one
        # record's address is another person's or out of date
        return "one person, " + "; ".join(repr(n) for n in names[:4]) + f", living in {', '.join(countries)}"
    return None


def _identity_group(fact: Fact) -> tuple[str, str]:
    """PAT001 compares the holders that share one (field, value)."""
    return (fact.field, fact.data[0])


def _identity_group_keys(record: RegistrationRecord, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    """The groups of `_identity_facts(record)`, without building the facts."""
    contact = _registrant(record)
    if contact is not None:
        for field, key, _value in _identity_keys(record, contact, ctx):
            yield (field, key)


def _identity_facts(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Fact]:
    contact = _registrant(record)
    if contact is None:
        return
    shown = contact.name or contact.organization or ""
    folded = placeholders.fold(f"{contact.name or ''} {contact.organization or ''}")
    tokens = identity_tokens(contact)
    person = _is_person(contact)
    for field, key, value in _identity_keys(record, contact, ctx):
        location = contact.location("handle" if field == "record" else field)
        yield Fact(record.domain, record.raw_sha256, Role.REGISTRANT.value, field, value, location,
                   (key, shown, folded, tokens, contact.country, record.domain.split(".")[0], person))


def _is_person(contact: Contact) -> bool:
    """A natural person, as far as the record says: no organisation, and a name of two words or more (given
    name and surname) with no legal form, business word or digit in it. Many registries print a firm as the
    holder's one name ("Siemens", "Hotel Sonnenhof"); a type that says so ("person", "individual") decides."""
    if contact.organization or contact.state("organization") is FieldState.REDACTED or not contact.name:
        return False
    kind = (contact.kind or "").strip().lower()
    if kind:
        return kind in ("person", "individual", "natural person", "private", "private person")
    words = placeholders.fold(contact.name).split()
    return (len(words) >= 2 and not any(ch.isdigit() for ch in contact.name)
            and not any(w in placeholders.FIRM_FORMS or w in _BUSINESS_WORDS for w in words))


#: Words that make a holder's one name a business's ("Hotel Sonnenhof", "Studio Rossi", "Praxis Dr. Weber").
_BUSINESS_WORDS = frozenset({
    "hotel", "restaurant", "cafe", "pizzeria", "shop", "store", "studio", "agency", "agentur", "agence", "bakery",
    "baeckerei", "backerei", "group", "gruppe", "holding", "holdings", "services", "service", "solutions", "systems",
    "consulting", "media", "design", "software", "tech", "technologies", "international", "club", "verein",
    "association", "foundation", "stiftung", "school", "schule", "university", "universitat", "hospital", "clinic",
    "klinik", "praxis", "kanzlei", "bank", "insurance", "church", "kirche", "city", "council", "stadt", "gemeinde",
    "trust", "partners", "partner", "immobilien", "bau", "auto", "team", "net", "online", "web", "digital",
})


@rule(
    id="PAT001",
    name="identity-reused-with-conflicting-details",
    category=Category.FALSE,
    severity=Severity.MEDIUM,
    scope="dataset",
    policy=(policies.NIS2_28_1, policies.RAA_WAPS_1E),
    extract=_identity_facts,
    grouping=Grouping(_identity_group, _identity_group_keys,
                      min_size=lambda _params: 2),  # a value shared by two domains at least
)
def identity_reused_with_conflicting_details(facts: Sequence[Fact], ctx: RuleContext) -> Iterator[Finding]:
    """One registrant email, phone number or contact handle appears with contradictory holder names.

    Registrants are grouped by email address, by valid phone number (E.164) and by registry contact
    handle. A group is contradictory when two of its holders share no distinctive word of their
    names ("Anna Schmidt" and "Schmidt GmbH" agree; "Anna Schmidt" and "Li Wei" do not; "Xu Xu" and
    "田中 花子" have words to compare); the countries they give are listed as supporting evidence.

    ## Why it matters
    One mailbox or number cannot belong to unrelated holders in several countries: at least one of
    the records names the wrong holder, or a reseller's address stands in for its customers', so
    the real holders cannot be reached.

    ## Not a finding
    Privacy/proxy contacts, the same holder spelled differently or with and without a legal form,
    a corporate mailbox shared by the group's own companies in several countries (the mailbox's
    domain names the holders: dns-admin@google.com for Google LLC and Google Ireland), different
    countries alone (subsidiaries), administrative and technical contacts (registrars share these on
    purpose), redacted values, placeholder names ("Test User": FAL001 reports them, and they name nobody
    to contradict), names in different scripts ("王小明" and "Wang Xiaoming").

    ## Remedy
    Ask the registrar which holder each domain belongs to and to correct the others.
    """
    groups: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    for fact in facts:
        groups[_identity_group(fact)].append(fact)
    flagged: set[tuple[str, str]] = set()
    for (field, key), members in sorted(groups.items()):
        domains = sorted({m.domain for m in members})
        if len(domains) < 2:
            continue
        reason = _contradiction(field, key, members)
        if reason is None:
            continue
        for member in members:
            if (member.domain, field) in flagged:
                continue
            flagged.add((member.domain, field))
            others = [d for d in domains if d != member.domain]
            yield finding_from_fact(ctx, member, f"registrant {field} {member.value!r} is shared with {len(others)} "
                                    f"other domain(s) whose holders contradict each other ({reason})",
                                    related_domains=others[:50])


def _holder_fingerprint(contact: Contact) -> tuple[str, ...] | None:
    parts = tuple(placeholders.fold(contact.value(f) or "") for f in ("name", "organization", "email", "phone", "street"))
    if sum(1 for p in parts if p) < 2:
        return None  # too little published to call two holders identical
    return parts


def _bulk_group(fact: Fact) -> tuple[str, ...]:
    """PAT002 looks for bursts among the registrations of one holder fingerprint."""
    return fact.data[0]


def _bulk_group_keys(record: RegistrationRecord, ctx: RuleContext) -> Iterator[tuple[str, ...]]:
    """The groups of `_bulk_facts(record)`, without building the facts."""
    contact = _registrant(record)
    if contact is not None and record.created_at is not None:
        fingerprint = _holder_fingerprint(contact)
        if fingerprint is not None:
            yield fingerprint


def _bulk_facts(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Fact]:
    contact = _registrant(record)
    if contact is None or record.created_at is None:
        return
    fingerprint = _holder_fingerprint(contact)
    if fingerprint is not None:
        yield Fact(record.domain, record.raw_sha256, Role.REGISTRANT.value, "record",
                   contact.name or contact.organization or contact.email, record.location("created_at"),
                   (fingerprint, record.created_at.timestamp()))


@rule(
    id="PAT002",
    name="bulk-registration-identical-data",
    category=Category.UNVERIFIABLE,
    severity=Severity.LOW,
    scope="dataset",
    policy=(policies.NIS2_28_3,),
    params={"min_domains": 10, "window_hours": 24},
    extract=_bulk_facts,
    grouping=Grouping(_bulk_group, _bulk_group_keys, min_size=lambda params: int(params.get("min_domains", 10))),
)
def bulk_registration_identical_data(facts: Sequence[Fact], ctx: RuleContext) -> Iterator[Finding]:
    """Many domains registered within a short window with identical registrant data (default: 10 in 24 hours).

    ## Why it matters
    Bulk registrations are where most malicious registrations come from (Interisle's cybercrime supply
    chain studies: bulk registrations up 177 %); NIS2 recital 111 and registry practice (EURid APEWS,
    DNS Belgium) ask for risk-based verification of exactly these. This is a signal to verify the
    holder, not proof that the data is false.

    ## Not a finding
    Privacy/proxy registrations, records with too little published data to compare, portfolios
    registered over a longer period than the window. Thresholds are parameters (`min_domains`,
    `window_hours`).

    ## Remedy
    Verify the holder's identity once for the whole batch (eID, business register, documents).
    """
    min_domains = int(ctx.params.get("min_domains", 10))
    window = float(ctx.params.get("window_hours", 24)) * 3600
    groups: dict[tuple[str, ...], list[Fact]] = defaultdict(list)
    for fact in facts:
        groups[_bulk_group(fact)].append(fact)
    for members in groups.values():
        if len(members) < min_domains:
            continue
        members.sort(key=lambda m: (m.data[1], m.domain))
        in_burst: set[int] = set()
        start = 0
        for end in range(len(members)):
            while members[end].data[1] - members[start].data[1] > window:
                start += 1
            if end - start + 1 >= min_domains:
                in_burst.update(range(start, end + 1))
        burst = [members[i] for i in sorted(in_burst)]
        domains = [m.domain for m in burst]
        for member in burst:
            yield finding_from_fact(ctx, member, f"one of {len(burst)} domains registered within {window / 3600:g} "
                                    "hours with identical registrant data",
                                    related_domains=[d for d in domains if d != member.domain][:50])


def _placeholder_values(contact: Contact) -> Iterator[tuple[str, str]]:
    for field in ("name", "organization", "street", "city"):
        value = contact.value(field)
        if contact.state(field) is FieldState.PRESENT and placeholders.placeholder_text(value):
            yield field, value or ""
    if contact.state("email") is FieldState.PRESENT and placeholders.placeholder_email(contact.email):
        yield "email", contact.email or ""
    for field in ("phone", "fax"):
        value = contact.value(field)
        if contact.state(field) is FieldState.PRESENT:
            reason = placeholders.placeholder_phone(value, contact.country)
            if reason and not placeholders.filler_number(contact, reason):
                yield field, value or ""
    if contact.state("postcode") is FieldState.PRESENT and placeholders.placeholder_postcode(contact.postcode):
        yield "postcode", contact.postcode or ""


def _placeholder_group(fact: Fact) -> tuple[str, str, str]:
    """PAT003 counts one placeholder (field, folded value) within one registrar."""
    registrar, folded = fact.data
    return (registrar, fact.field, folded)


def _placeholder_group_keys(record: RegistrationRecord, ctx: RuleContext) -> Iterator[tuple[str, str, str]]:
    """The groups of `_placeholder_facts(record)`, without building the facts."""
    for contact in record.contacts:
        if not contact.privacy_service:
            for field, value in _placeholder_values(contact):
                yield (registrar_label(record.registrar), field, placeholders.fold(value))


def _placeholder_facts(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Fact]:
    for contact in record.contacts:
        if contact.privacy_service:
            continue
        for field, value in _placeholder_values(contact):
            yield Fact(record.domain, record.raw_sha256, contact.role.value, field, value, contact.location(field),
                       (registrar_label(record.registrar), placeholders.fold(value)))


@rule(
    id="PAT003",
    name="placeholder-reused-across-registrar",
    category=Category.FALSE,
    severity=Severity.HIGH,
    scope="dataset",
    policy=(policies.GAO_06_165, policies.RAA_3_7_7_2, policies.NIS2_28_3),
    params={"min_domains": 3},
    extract=_placeholder_facts,
    grouping=Grouping(_placeholder_group, _placeholder_group_keys,
                      min_size=lambda params: int(params.get("min_domains", 3))),
)
def placeholder_reused_across_registrar(facts: Sequence[Fact], ctx: RuleContext) -> Iterator[Finding]:
    """The same placeholder value appears in several domains of one registrar (default: 3 or more).

    One finding per registrar and value, on the first domain in name order, listing the others:
    the defect is the registrar's process (a form that accepts "+1.5555555555", a reseller filling
    in dummy data), not one holder's.

    ## Why it matters
    A placeholder repeated across a registrar's portfolio shows that its validation (RAA WAPS, NIS2
    Art. 28(3) verification procedures) lets dummy data through systematically; one notice to the
    registrar fixes them all.

    ## Not a finding
    Placeholders that occur once or twice (the per-record FAL rules report those), privacy/proxy data,
    redacted values.

    ## Remedy
    Ask the registrar to review its validation and correct every listed domain.
    """
    min_domains = int(ctx.params.get("min_domains", 3))
    groups: dict[tuple[str, str, str], list[Fact]] = defaultdict(list)
    for fact in facts:
        groups[_placeholder_group(fact)].append(fact)
    for (registrar, field, _folded), members in sorted(groups.items()):
        domains = sorted({m.domain for m in members})
        if len(domains) < min_domains:
            continue
        first = min(members, key=lambda m: (m.domain, m.role))
        yield finding_from_fact(ctx, first, f"placeholder {field} {first.value!r} is used in {len(domains)} domains of "
                                f"registrar {registrar}", role="registrar", related_domains=domains[1:201])
