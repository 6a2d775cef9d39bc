"""FAL: placeholders, fictitious identities and impossible values ("patently false", GAO-06-165).

Never raised on a redacted field or a privacy/proxy contact: what those show is not the holder's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from auditor.records import Category, Contact, FieldState, Finding, RegistrationRecord, Severity
from rules import placeholders, policies
from rules.base import RuleContext, rule
from rules.gibberish import is_gibberish


def _holder_contacts(record: RegistrationRecord) -> Iterator[Contact]:
    """Contacts whose data is the holder's own (not a privacy/proxy service's)."""
    return (c for c in record.contacts if not c.privacy_service)


@rule(
    id="FAL001",
    name="placeholder-name",
    category=Category.FALSE,
    severity=Severity.HIGH,
    policy=(policies.GAO_06_165, policies.RAA_3_7_7_2, policies.NIS2_28_1),
)
def placeholder_name(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A contact's name or organisation is a placeholder or a fictitious identity.

    Flags values such as "N/A", "test", "asdf", "xxx", "John Doe" (or "Doe, John"), "Max Mustermann",
    "Mickey Mouse" (as a name only), the field's own label typed as its value ("Name", "Your Name Here", and in
    other languages "Vorname Nachname", "Nom Prénom", "Nome Cognome"), one character repeated, keyboard runs
    ("qwerty") and runs typed twice ("asdfasdf", "jkljkl"), test values with a number beside them ("Test 1",
    "test123"), and test words with a legal form ("Test GmbH", "Example Inc.", "Sample AG").

    ## Why it matters
    A placeholder identifies nobody. GAO-06-165 counts such values as patently false, and the RAA
    makes wilfully inaccurate data grounds for suspension.

    ## Not a finding
    Redacted names ("REDACTED FOR PRIVACY"), names of privacy/proxy services, role names such as
    "Domain Administrator" or "Hostmaster", ordinary names that merely look unusual, real names that
    repeat a syllable ("Lulu", "Tintin", "Bora Bora"), and firms whose short names are test words too
    ("ABC Ltd", "XYZ GmbH", "Demo GmbH").

    ## Remedy
    Ask the registrar to obtain the holder's real name and verify it.
    """
    for contact in _holder_contacts(record):
        for field in ("name", "organization"):
            if contact.state(field) is not FieldState.PRESENT:
                continue
            value = contact.value(field)
            reason = placeholders.placeholder_text(value) or placeholders.fictitious_person(value)
            if reason:
                yield ctx.finding(record, f"{contact.role.value} {field} {value!r} is {reason}",
                                  contact=contact, field=field, value=value)


@rule(
    id="FAL002",
    name="placeholder-email",
    category=Category.FALSE,
    severity=Severity.HIGH,
    policy=(policies.GAO_06_165, policies.RFC_2606, policies.NIS2_28_2),
)
def placeholder_email(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A contact's email is a placeholder: a reserved example domain, a no-mail mailbox, or not an address.

    Flags RFC 2606 / 6761 names (example.com, *.test, *.invalid), placeholder domains (test.com,
    nomail.com), placeholder mailboxes (noemail@, none@, test@, xxx@), no-reply mailboxes (noreply@,
    donotreply@) and values such as "n/a".

    ## Why it matters
    Mail to such an address reaches nobody; NIS2 Art. 28(2)(c) requires a contact email.

    ## Not a finding
    Redacted emails and web-form replacements, privacy/proxy forwarding addresses, role mailboxes
    such as hostmaster@ or info@.

    ## Remedy
    Ask the registrar to obtain a working email address and verify it (RAA WAPS 1(f)).
    """
    for contact in _holder_contacts(record):
        if contact.state("email") is not FieldState.PRESENT:
            continue
        reason = placeholders.placeholder_email(contact.email)
        if reason:
            yield ctx.finding(record, f"{contact.role.value} email {contact.email!r}: {reason}",
                              contact=contact, field="email", value=contact.email)


@rule(
    id="FAL003",
    name="placeholder-phone",
    category=Category.FALSE,
    severity=Severity.HIGH,
    policy=(policies.GAO_06_165, policies.ITU_E164, policies.NIS2_28_2),
)
def placeholder_phone(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A contact's phone or fax is a placeholder: one digit repeated, a sequential run, or a fictional range.

    Flags "+49.0000" (DENIC's accepted dummy), "(999) 999-9999", "+1.1234567890", and numbers in the
    ranges regulators reserve for fiction (NANP 555-0100 to 555-0199, Ofcom's drama ranges, ACMA's and
    ARCEP's fiction ranges).

    ## Why it matters
    Such a number cannot ring anyone. GAO-06-165 gives "(999) 999-9999" as its example of patently
    false data; ICANN ARS found phone numbers the weakest contact mode.

    ## Not a finding
    Redacted numbers, privacy/proxy numbers, valid numbers that merely contain repeated digits, and one
    digit repeated in the number of a contact whose name is withheld ("Data Protected", "+1.0000000000":
    a registrar's filler, part of the redaction).

    ## Remedy
    Ask the registrar to obtain and verify a working telephone number.
    """
    for contact in _holder_contacts(record):
        for field in ("phone", "fax"):
            if contact.state(field) is not FieldState.PRESENT:
                continue
            value = contact.value(field) or ""
            reason = placeholders.placeholder_phone(value, contact.country)
            if reason and placeholders.filler_number(contact, reason):
                ctx.unchecked("a withheld contact's filler number")
                continue
            if reason:
                yield ctx.finding(record, f"{contact.role.value} {field} {value!r} is a placeholder: {reason}",
                                  contact=contact, field=field, value=value)


def _uses_postcodes(contact: Contact, ctx: RuleContext) -> bool:
    """Only a country with a postcode system can have a placeholder postcode."""
    if not contact.country or len(contact.country) != 2:
        return False
    return ctx.verify.address_rules(contact.country)[1]


@rule(
    id="FAL004",
    name="placeholder-address",
    category=Category.FALSE,
    severity=Severity.HIGH,
    policy=(policies.GAO_06_165, policies.RAA_WAPS_1D),
)
def placeholder_address(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A street, city or postcode is a placeholder ("N/A", "123 Fake Street", "XXXXX", "00000", "99999").

    Placeholder streets are recognised in English, German, Dutch, French, Italian, Spanish and
    Portuguese: a street-type word with a test, example or fake word ("Musterstraße 1", "Teststraat 1",
    "Rue de Test", "Via Test 1", "Rua Exemplo 1", "Calle Falsa 123").

    ## Why it matters
    Post sent to such an address goes nowhere; GAO-06-165 cites a postal code of "XXXXX" as patently
    false.

    ## Not a finding
    Redacted address parts, privacy/proxy addresses, real addresses that are merely short, streets
    where such a word is only part of a longer one ("Testerstraße", "Rue du Testament"), a placeholder in
    an optional extra street line ("#4 Colony House / Not Provided"), and "N/A" as the postcode of a
    country without a postcode system (or whose country is unknown).

    ## Remedy
    Ask the registrar to obtain the holder's real postal address.
    """
    for contact in _holder_contacts(record):
        for field in ("street", "city"):
            if contact.state(field) is not FieldState.PRESENT:
                continue
            value = contact.value(field)
            lines = contact.street if field == "street" else (value or "",)
            reasons = [placeholders.placeholder_text(line) for line in lines]
            # a street is a placeholder only when no line of it is real (line 2 "N/A" is an empty optional line)
            if all(reasons):
                yield ctx.finding(record, f"{contact.role.value} {field} {value!r} is {reasons[0]}",
                                  contact=contact, field=field, value=value)
        if contact.state("postcode") is FieldState.PRESENT and _uses_postcodes(contact, ctx):
            reason = placeholders.placeholder_postcode(contact.postcode)
            if reason:
                yield ctx.finding(record, f"{contact.role.value} postcode {contact.postcode!r} is a placeholder: {reason}",
                                  contact=contact, field="postcode", value=contact.postcode)


#: No domain name was registered before the DNS went into service (the first .com: 15 March 1985).
EARLIEST_REGISTRATION = datetime(1985, 1, 1, tzinfo=UTC)


@rule(
    id="FAL005",
    name="impossible-registration-dates",
    category=Category.FALSE,
    severity=Severity.MEDIUM,
    policy=(policies.NIS2_28_1, policies.NIS2_28_2),
)
def impossible_registration_dates(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """The registration dates cannot be true: created or updated in the future, created before 1985,
    expiring before or at the moment of creation, or updated before creation.

    ## Why it matters
    The registration date is part of the NIS2 minimum data set; an impossible date shows the record was
    not maintained with due diligence, and it breaks every age-based analysis of the zone.

    ## Not a finding
    Dates the parser could not read (they are absent, not impossible), an update a few minutes before
    creation (clock skew between systems, tolerated up to a day), and an expiry however far ahead:
    registries give one to names that do not expire (ZA Central Registry's nic.capetown expires on
    2999-01-01), so an expiry more than 99 years after creation (the longest period RFC 5731 lets one
    registration or renewal add) is not checked either.

    ## Remedy
    Ask the registry to correct the dates from its own registration history.
    """
    created, expires, updated = record.created_at, record.expires_at, record.updated_at
    day = 86400
    if created is not None:
        if created > ctx.now.astimezone(UTC) and (created - ctx.now).total_seconds() > day:
            yield ctx.finding(record, f"registration date {created.date()} is in the future", field="record",
                              value=created.isoformat(), location=record.location("created_at"))
        elif created < EARLIEST_REGISTRATION:
            yield ctx.finding(record, f"registration date {created.date()} is before domain names existed (1985)",
                              field="record", value=created.isoformat(), location=record.location("created_at"))
        if expires is not None and expires <= created:
            word = "before" if expires < created else "the moment of"
            yield ctx.finding(record, f"expiry {expires.date()} is {word} registration {created.date()}",
                              field="record", value=expires.isoformat(), location=record.location("expires_at"))
        if updated is not None and (created - updated).total_seconds() > day:
            yield ctx.finding(record, f"last update {updated.date()} is before registration {created.date()}",
                              field="record", value=updated.isoformat(), location=record.location("updated_at"))
    if updated is not None and (updated - ctx.now).total_seconds() > day:
        yield ctx.finding(record, f"last update {updated.date()} is in the future", field="record",
                          value=updated.isoformat(), location=record.location("updated_at"))


@rule(
    id="FAL006",
    name="gibberish-contact-data",
    category=Category.FALSE,
    severity=Severity.MEDIUM,
    policy=(policies.GAO_06_165, policies.RAA_3_7_7_2, policies.NIS2_28_1),
)
def gibberish_contact_data(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A name, organisation, street or city is random typing ("Xkqzvbw Jfhdksl", "dfdfdf").

    Every word long enough to judge must be unlike real names under a letter-trigram model of
    real names in many languages *and* show a second sign of random typing: no vowel, a keyboard
    row, a repeated keyboard syllable, or (with a much lower score) a run of five consonants.
    Only Latin-script values are judged.

    ## Why it matters
    Keyboard mash identifies nobody; DNS Belgium screens new registrations for "meaningless
    characters" for exactly this reason.

    ## Not a finding
    Real names with unusual letter sequences ("Szczepański", "Nguyen", "Brzęczyszczykiewicz"),
    values in other scripts, values that mix one real word with gibberish, placeholders (FAL001/FAL004),
    among them keyboard runs typed once or twice ("qwerty", "sdfsdf").

    ## Remedy
    Ask the registrar to verify the holder's identity.
    """
    for contact in _holder_contacts(record):
        for field in ("name", "organization", "street", "city"):
            if contact.state(field) is not FieldState.PRESENT:
                continue
            value = contact.value(field) or ""
            lines = contact.street if field == "street" else (value,)
            if any(placeholders.placeholder_text(line) for line in lines):
                continue
            if any(is_gibberish(line) for line in lines):
                yield ctx.finding(record, f"{contact.role.value} {field} {value!r} looks like random typing",
                                  contact=contact, field=field, value=value)
