"""FAL: placeholders, fictitious identities and impossible values ("patently false", GAO-06-165).

Never raised on a redacted field or a privacy/proxy contact: what those show is not the holder's data.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.records import Category, FieldState, Finding, RegistrationRecord, Severity
from rules import placeholders, policies
from rules.base import RuleContext, rule


def _holder_contacts(record: RegistrationRecord):  # type: ignore[no-untyped-def]
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

    Flags values such as "N/A", "test", "asdf", "xxx", "John Doe", "Max Mustermann", the field's own
    label typed as its value ("Name"), one character repeated, and keyboard runs ("qwerty").

    ## Why it matters
    A placeholder identifies nobody. GAO-06-165 counts such values as patently false, and the RAA
    makes wilfully inaccurate data grounds for suspension.

    ## Not a finding
    Redacted names ("REDACTED FOR PRIVACY"), names of privacy/proxy services, role names such as
    "Domain Administrator" or "Hostmaster", and ordinary names that merely look unusual.

    ## Remedy
    Ask the registrar to obtain the holder's real name and verify it.
    """
    for contact in _holder_contacts(record):
        for field in ("name", "organization"):
            if contact.state(field) is not FieldState.PRESENT:
                continue
            value = contact.value(field)
            reason = placeholders.placeholder_text(value)
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
    nomail.com), placeholder mailboxes (noemail@, none@, test@, xxx@) and values such as "n/a".

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
    Redacted numbers, privacy/proxy numbers, and valid numbers that merely contain repeated digits.

    ## Remedy
    Ask the registrar to obtain and verify a working telephone number.
    """
    for contact in _holder_contacts(record):
        for field in ("phone", "fax"):
            if contact.state(field) is not FieldState.PRESENT:
                continue
            value = contact.value(field) or ""
            reason = placeholders.placeholder_phone(value, contact.country)
            if reason:
                yield ctx.finding(record, f"{contact.role.value} {field} {value!r} is a placeholder: {reason}",
                                  contact=contact, field=field, value=value)


@rule(
    id="FAL004",
    name="placeholder-address",
    category=Category.FALSE,
    severity=Severity.HIGH,
    policy=(policies.GAO_06_165, policies.RAA_WAPS_1D),
)
def placeholder_address(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A street, city or postcode is a placeholder ("N/A", "123 Fake Street", "XXXXX", "00000").

    ## Why it matters
    Post sent to such an address goes nowhere; GAO-06-165 cites a postal code of "XXXXX" as patently
    false.

    ## Not a finding
    Redacted address parts, privacy/proxy addresses, and real addresses that are merely short.

    ## Remedy
    Ask the registrar to obtain the holder's real postal address.
    """
    for contact in _holder_contacts(record):
        for field in ("street", "city"):
            if contact.state(field) is not FieldState.PRESENT:
                continue
            value = contact.value(field)
            lines = contact.street if field == "street" else (value or "",)
            reason = next((r for r in (placeholders.placeholder_text(line) for line in lines) if r), None)
            if reason:
                yield ctx.finding(record, f"{contact.role.value} {field} {value!r} is {reason}",
                                  contact=contact, field=field, value=value)
        if contact.state("postcode") is FieldState.PRESENT:
            reason = placeholders.placeholder_postcode(contact.postcode)
            if reason:
                yield ctx.finding(record, f"{contact.role.value} postcode {contact.postcode!r} is a placeholder: {reason}",
                                  contact=contact, field="postcode", value=contact.postcode)
