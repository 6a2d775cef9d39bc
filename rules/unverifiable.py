"""UNV: data that cannot be used to reach or locate the holder: bad syntax, dead mail domains,
numbers outside the country's numbering plan, postcodes outside the country's format, unknown countries.

Values that FAL rules already call placeholders are left to them (one defect, one finding), and
anything the libraries or DNS could not decide is counted as "could not check", never a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.domains import is_reserved_example, registrable_domain, top_level_domain_exists
from auditor.records import OWN_DATA_SOURCES, Category, FieldState, Finding, RegistrationRecord, Severity
from auditor.verify import IdentifierVerdict, MailDomain, PhoneVerdict
from rules import policies
from rules.base import RuleContext, rule
from rules.placeholders import placeholder_email, placeholder_phone, placeholder_postcode

_NOTICE_WORDS = re.compile(r"\b(?:whois|rdds|visit|query|please|registrar|contact\s+(?:via|form|the)|web\s*form|"
                           r"link|see|refer|use\s+the|webbased|web-based)\b", re.IGNORECASE)


#: "ccops AT markmonitor.com", "support[at]nic.cd", "supportATnic.cd": how some registries display addresses
_OBFUSCATED = re.compile(r"^[^\s@]+(?:\s*(?:\[at\]|\(at\)|\{at\})\s*|\s+(?:at|AT)\s+)[^\s@]+\.[^\s@]+$"
                         r"|^[a-z0-9._%+-]+AT[a-z0-9-]+(?:\.[a-z0-9-]+)+$")


def _is_notice(value: str) -> bool:
    """A registry's notice where an address should be: no "@", and a link or notice wording."""
    if "@" in value:
        return False
    low = value.lower()
    return "http" in low or "www." in low or bool(_NOTICE_WORDS.search(value))


@rule(
    id="UNV001",
    name="email-syntax-invalid",
    category=Category.UNVERIFIABLE,
    severity=Severity.HIGH,
    policy=(policies.RAA_WAPS_1B, policies.RFC_5322),
)
def email_syntax_invalid(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A contact's email is not a syntactically valid address (RFC 5322 / RFC 6531, via email-validator).

    ## Why it matters
    An address that is not well formed cannot receive mail; the RAA's accuracy specification requires
    RFC 5322 format, and ICANN ARS counts it as a syntax failure.

    ## Not a finding
    Redacted emails, placeholder values (FAL002 reports those), internationalised addresses that are
    valid under RFC 6531, addresses a registry displays written out against spam harvesters
    ("ccops AT markmonitor.com"; in a CSV export that is a defect), and notices in place of an address ("Visit whois.example for web-based
    whois", a web-form link): those are the registry's way of withholding it, counted as could not check.

    ## Remedy
    Ask the registrar to correct the address and verify it.
    """
    for contact in record.contacts:
        if contact.state("email") is not FieldState.PRESENT or placeholder_email(contact.email):
            continue
        if _is_notice(contact.email or ""):
            ctx.unchecked("a notice in place of the email")
            continue
        if record.source not in OWN_DATA_SOURCES and _OBFUSCATED.match(contact.email or ""):
            ctx.unchecked("an address written against spam harvesters (\"x AT y\")")
            continue
        result = ctx.verify.email_syntax(contact.email or "")
        if not result.valid:
            yield ctx.finding(record, f"{contact.role.value} email {contact.email!r} is not a valid address",
                              contact=contact, field="email", value=contact.email, detail=result.reason)


@rule(
    id="UNV002",
    name="email-domain-cannot-receive-mail",
    category=Category.UNVERIFIABLE,
    severity=Severity.HIGH,
    policy=(policies.RFC_5321_MX, policies.RFC_7505, policies.NIS2_28_3),
)
def email_domain_cannot_receive_mail(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A contact's email domain cannot receive mail: it does not exist, has a null MX, or has no MX, A or AAAA.

    Each distinct mail domain is looked up once through the configured resolver: MX first, then A and
    AAAA (the implicit MX of RFC 5321 section 5.1); a single "MX 0 ." is a null MX (RFC 7505).

    With DNS checks switched off (`--no-dns`), a mail domain under a top-level domain that does not
    exist ("gmail.con", "web.dee") is still found: the root zone's list of top-level domains is
    bundled (tldextract's public suffix list). The audited domain's own top-level domain always counts
    as existing (a private or test registry's zone). With DNS on, the resolver decides alone.

    ## Why it matters
    Mail to the holder bounces, so the registry and registrar cannot reach them; ICANN ARS counts
    a bouncing email as an operability failure, and NIS2 recital 111 asks that at least one means
    of contact be verified.

    ## Not a finding
    A DNS timeout, SERVFAIL or an unreachable resolver: the outcome is "could not check" and is
    counted in summary.json. With DNS checks switched off (`--no-dns`), any mail domain under an
    existing top-level domain. Redacted or placeholder emails.

    ## Remedy
    Ask the registrar to verify the email address with the holder (RAA WAPS 1(f)).
    """
    dns_off = ctx.verify.dns is None
    for contact in record.contacts:
        if contact.state("email") is not FieldState.PRESENT or placeholder_email(contact.email):
            continue
        if dns_off and top_level_domain_exists(contact.email or "", record.tld):
            continue  # nothing else to tell without DNS (most addresses: one set look-up, no syntax check)
        syntax = ctx.verify.email_syntax(contact.email or "")
        if not syntax.valid or is_reserved_example(syntax.domain):
            continue
        check = ctx.verify.mail_domain(syntax.domain)
        if check is None:  # DNS checks are off: only what needs no look-up
            tld = syntax.domain.rsplit(".", 1)[-1]
            if tld != record.tld and not top_level_domain_exists(syntax.domain):
                yield ctx.finding(record, f"{contact.role.value} email domain {syntax.domain} does not exist: "
                                  f".{tld} is not a top-level domain", contact=contact, field="email",
                                  value=contact.email, detail=f"no top-level domain .{tld} in the root zone "
                                  "(the public suffix list bundled with tldextract)")
            continue
        if check.verdict is MailDomain.UNCHECKED:
            ctx.unchecked(check.detail)
            continue
        if check.verdict is not MailDomain.ACCEPTS:
            what = {MailDomain.NXDOMAIN: "does not exist", MailDomain.NULL_MX: "accepts no mail (null MX)",
                    MailDomain.NO_MAIL_HOST: "has no mail host (no MX, A or AAAA)"}[check.verdict]
            yield ctx.finding(record, f"{contact.role.value} email domain {syntax.domain} {what}",
                              contact=contact, field="email", value=contact.email, detail=check.detail)


@rule(
    id="UNV003",
    name="phone-invalid-for-country",
    category=Category.UNVERIFIABLE,
    severity=Severity.MEDIUM,
    policy=(policies.RAA_WAPS_1C, policies.ITU_E164),
)
def phone_invalid_for_country(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A phone or fax number is not valid in its country's numbering plan (libphonenumber metadata).

    A number written with "+country code" is checked against that country's plan; a number in
    national format is read against the contact's country. A trunk prefix written after the country
    code ("+49.0170...", "+61.0423...") is invalid: E.164 has none, and libphonenumber's lenient
    reading would drop it silently; "+44 (0)20 ..." (the convention for national callers) is valid.

    ## Why it matters
    ICANN ARS found two-thirds of failing phone numbers failed the country-specific length criteria;
    an invalid number cannot ring.

    ## Not a finding
    Redacted numbers, placeholders (FAL003), and national-format numbers of a contact with no valid
    country (counted as "could not check").

    ## Remedy
    Ask the registrar to correct the number to E.164 format (+CC.NNNN) and verify it.
    """
    for contact in record.contacts:
        for field in ("phone", "fax"):
            if contact.state(field) is not FieldState.PRESENT:
                continue
            value = contact.value(field) or ""
            if placeholder_phone(value, contact.country):
                continue
            check = ctx.verify.phone(value, contact.country)
            if check.verdict is PhoneVerdict.NO_REGION:
                ctx.unchecked("national-format number without a valid country")
                continue
            if check.verdict in (PhoneVerdict.INVALID, PhoneVerdict.UNPARSEABLE):
                where = f" for +{check.country_code}" if check.country_code else ""
                yield ctx.finding(record, f"{contact.role.value} {field} {value!r} is not a valid number{where}",
                                  contact=contact, field=field, value=value, detail=check.reason)


@rule(
    id="UNV004",
    name="postcode-invalid-for-country",
    category=Category.UNVERIFIABLE,
    severity=Severity.MEDIUM,
    policy=(policies.RAA_WAPS_1D, policies.ARS_POSTAL, policies.UPU_S42),
)
def postcode_invalid_for_country(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A postcode does not match its country's postcode format (Google's address data).

    ## Why it matters
    ICANN ARS postal criterion 9: the postal code must be syntactically valid for the country; mail
    with a malformed postcode is not delivered reliably.

    ## Not a finding
    Countries without a postcode system or without a published format, redacted postcodes, placeholder
    postcodes (FAL004), contacts whose country is not identifiable (UNV005).

    ## Remedy
    Ask the registrar to correct the postcode (and the country, if the country is what is wrong).
    """
    for contact in record.contacts:
        if contact.state("postcode") is not FieldState.PRESENT or not contact.country or len(contact.country) != 2:
            continue
        if placeholder_postcode(contact.postcode):
            continue
        check = ctx.verify.postcode(contact.country, contact.postcode or "")
        if check.applicable and not check.valid:
            examples = ", ".join(check.examples[:2])
            yield ctx.finding(record, f"{contact.role.value} postcode {contact.postcode!r} is not a {contact.country} postcode",
                              contact=contact, field="postcode", value=contact.postcode,
                              expected=f"{contact.country} format, e.g. {examples}" if examples else None)


@rule(
    id="UNV005",
    name="country-not-iso-3166",
    category=Category.UNVERIFIABLE,
    severity=Severity.HIGH,
    policy=(policies.ISO_3166, policies.ARS_POSTAL),
)
def country_not_iso_3166(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A contact's country is not an ISO 3166-1 country (neither a valid code nor a recognisable name).

    ## Why it matters
    ICANN ARS postal criteria 3 and 5: the country must be identifiable and given as an ISO 3166-1
    alpha-2 code. Without a country the address cannot be routed and the phone number cannot be read.

    ## Not a finding
    A country given by name ("Germany") that maps to a code; "UK", which ISO reserves for GB;
    redacted countries.

    ## Remedy
    Ask the registrar to correct the country to its ISO 3166-1 alpha-2 code.
    """
    for contact in record.contacts:
        if contact.state("country") is not FieldState.PRESENT:
            continue
        if ctx.verify.country(contact.country) is None:
            yield ctx.finding(record, f"{contact.role.value} country {contact.country!r} is not an ISO 3166-1 country",
                              contact=contact, field="country", value=contact.country)


@rule(
    id="UNV006",
    name="disposable-email-domain",
    category=Category.UNVERIFIABLE,
    severity=Severity.MEDIUM,
    policy=(policies.NIS2_28_3, policies.RAA_WAPS_1F),
)
def disposable_email_domain(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A contact's email is at a disposable (throw-away) mail provider (the disposable-email-domains list).

    ## Why it matters
    A throw-away mailbox stops working within minutes or days: the holder cannot be reached later, and
    verification by email (RAA WAPS 1(f), NIS2 recital 111) proves nothing lasting.

    ## Not a finding
    Ordinary free mail providers (gmail.com, outlook.com), domains on the list's allowlist, redacted emails.

    ## Remedy
    Ask the registrar to obtain a durable email address and verify it.
    """
    for contact in record.contacts:
        if contact.state("email") is not FieldState.PRESENT or placeholder_email(contact.email):
            continue
        syntax = ctx.verify.email_syntax(contact.email or "")
        if syntax.valid and ctx.verify.disposable(syntax.domain):
            yield ctx.finding(record, f"{contact.role.value} email {contact.email!r} is at a disposable mail provider",
                              contact=contact, field="email", value=contact.email, detail=syntax.domain)


#: Countries whose residents commonly use a neighbour's numbers (shared postal and telephone areas).
SHARED_AREAS: dict[str, tuple[str, ...]] = {
    "LI": ("CH",), "SM": ("IT",), "VA": ("IT",), "MC": ("FR",), "AD": ("ES", "FR"), "GI": ("ES", "GB"),
    "GG": ("GB",), "JE": ("GB",), "IM": ("GB",), "AX": ("FI",), "FO": ("DK",), "GL": ("DK",), "SJ": ("NO",),
}


@rule(
    id="UNV007",
    name="phone-country-mismatch",
    category=Category.UNVERIFIABLE,
    severity=Severity.LOW,
    policy=(policies.RAA_WAPS_1E, policies.ITU_E164),
)
def phone_country_mismatch(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A valid phone number's country calling code does not serve the contact's address country.

    ## Why it matters
    The RAA asks that contact fields be consistent with each other; a number from another country
    than the address is a common sign that one of the two is made up, and it complicates reaching
    the holder.

    ## Not a finding
    Calling codes shared by several countries (+1 serves the United States, Canada and the Caribbean,
    +44 the United Kingdom and the Crown Dependencies, +7 Russia and Kazakhstan), neighbours that share
    telephone habits (a Swiss number in Liechtenstein, an Italian one in San Marino), invalid numbers
    (UNV003), contacts without a valid country. Severity is low: expatriates and multinationals have
    legitimate foreign numbers.

    ## Remedy
    Ask the registrar to confirm the number and the address with the holder.
    """
    for contact in record.contacts:
        if contact.privacy_service or not contact.country:
            continue
        for field in ("phone", "fax"):
            if contact.state(field) is not FieldState.PRESENT:
                continue
            value = contact.value(field) or ""
            if placeholder_phone(value, contact.country):
                continue
            check = ctx.verify.phone_country(value, contact.country)
            if check is not None and not check.consistent and check.number_region not in SHARED_AREAS.get(contact.country, ()):
                yield ctx.finding(
                    record, f"{contact.role.value} {field} {value!r} is a {check.number_region or '/'.join(check.serves)} "
                    f"number but the address is in {contact.country}",
                    contact=contact, field=field, value=value, expected=f"a number of {contact.country}")


@rule(
    id="UNV008",
    name="postcode-region-mismatch",
    category=Category.UNVERIFIABLE,
    severity=Severity.MEDIUM,
    policy=(policies.RAA_WAPS_1E, policies.UPU_S42),
)
def postcode_region_mismatch(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A postcode valid for its country lies outside the given state or province (US ZIP 94043 in NY).

    Uses the area-specific postcode ranges in Google's address data, for countries that have them
    (United States, Canada, Japan, Italy, Spain, Brazil, Australia, ...).

    ## Why it matters
    The RAA accuracy specification asks that "city matches postal code" and address fields be
    consistent; an inconsistent address is not deliverable or not real.

    ## Not a finding
    Regions the address data does not recognise, countries without area-specific ranges, postcodes
    already invalid for the country (UNV004) or placeholders ("00000-000": FAL004), redacted parts.

    ## Remedy
    Ask the registrar to correct the address with the holder.
    """
    for contact in record.contacts:
        if contact.privacy_service:
            continue
        if not (contact.country and contact.region and contact.state("postcode") is FieldState.PRESENT):
            continue
        if placeholder_postcode(contact.postcode) or not ctx.verify.postcode(contact.country, contact.postcode or "").valid:
            continue
        check = ctx.verify.postcode_region(contact.country, contact.region, contact.postcode or "")
        if check.applicable and not check.valid:
            yield ctx.finding(record, f"{contact.role.value} postcode {contact.postcode!r} is not in {contact.region}, "
                              f"{contact.country}", contact=contact, field="postcode", value=contact.postcode,
                              expected=f"a {contact.region} postcode, e.g. {', '.join(check.examples[:2])}")


@rule(
    id="UNV010",
    name="region-not-in-country",
    category=Category.UNVERIFIABLE,
    severity=Severity.MEDIUM,
    policy=(policies.RAA_WAPS_1E, policies.UPU_S42, policies.ISO_3166_2),
)
def region_not_in_country(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A state or province that is not one of the country's but names another place ("Ontario" with US).

    Checked where an address needs a state or province (Google's address data: United States, Canada,
    Australia, Brazil, Mexico, Japan, China, Italy, Spain, India, ...), against the country's
    subdivisions by code or name (Google's data and ISO 3166-2 through pycountry, accents, case and
    words such as "Province" or "Shi" ignored). The finding needs evidence: the value is the whole name of a
    state or province of a country whose states are known far beyond it (United States, Canada, Australia,
    Brazil, Mexico, India, China, Japan, Argentina, Germany).

    ## Why it matters
    The RAA accuracy specification asks that address fields be consistent with each other; a state of
    another country makes the address undeliverable and is a common sign of invented data.

    ## Not a finding
    Countries whose addresses have no state or province (a region there is free text: "Greater London"),
    values that name nothing known ("Bavaria" in the United States is not in ISO 3166-2 under that name),
    local places that share a name with a subdivision elsewhere ("Kingston", Ontario; "Central", Hong
    Kong), a territory's own name ("Hong Kong SAR"), two-letter codes of another country ("CA" is
    California and Canada), former names still in use ("Distrito Federal"), redacted parts and
    privacy/proxy contacts.

    ## Remedy
    Ask the registrar to correct the address with the holder.
    """
    for contact in record.contacts:
        if not contact.region or contact.privacy_service or not contact.country \
                or contact.state("region") is not FieldState.PRESENT:  # most contacts: no region at all
            continue
        check = ctx.verify.region(contact.country, contact.region)
        if check is not None and not check.valid and check.elsewhere:
            yield ctx.finding(record, f"{contact.role.value} region {contact.region!r} is not in {contact.country}: "
                              f"it names a place in {', '.join(check.elsewhere[:3])}", contact=contact,
                              field="region", value=contact.region,
                              expected=f"a state or province of {contact.country}")


@rule(
    id="UNV009",
    name="identifier-checksum-invalid",
    category=Category.UNVERIFIABLE,
    severity=Severity.MEDIUM,
    policy=(policies.NIS2_28_3,),
)
def identifier_checksum_invalid(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A published company or VAT number fails its check digits (python-stdnum).

    Checked where a registry publishes an identifier: EU VAT numbers by their country prefix, and the
    organisation numbers of the contact's country (SIREN, CVR, KvK-BTW, orgnr, ABN, ...). An identifier
    whose digits are all zeros ("GB000000000") is a placeholder whatever its check digits say.

    ## Why it matters
    An identifier with wrong check digits matches no registered organisation; registries that verify
    against business registers (DK, BE, .nl on suspicion) cannot do so.

    ## Not a finding
    Identifiers in a format no scheme recognises (counted as could not check), schemes without check
    digits (German Handelsregister numbers, UK company numbers), personal identity numbers.

    ## Remedy
    Ask the registrar to correct the identifier and verify it against the business register.
    """
    for contact in record.contacts:
        if not contact.identifier:
            continue
        digits = [ch for ch in contact.identifier if ch.isdigit()]
        if len(digits) >= 5 and set(digits) == {"0"}:
            # "GB000000000", "000000000": zero check digits come out right, yet no register numbers anyone 0
            yield ctx.finding(record, f"{contact.role.value} identifier {contact.identifier!r} is all zeros: a "
                              "placeholder, not a registered number", contact=contact, field="record",
                              value=contact.identifier, location=contact.location("identifier"))
            continue
        check = ctx.verify.identifier(contact.identifier, contact.country)
        if check.verdict is IdentifierVerdict.UNRECOGNISED:
            ctx.unchecked("identifier in no known format for the country")
        elif check.verdict is IdentifierVerdict.CHECKSUM_INVALID:
            yield ctx.finding(record, f"{contact.role.value} identifier {contact.identifier!r} fails its {check.scheme} "
                              "check digits", contact=contact, field="record", value=contact.identifier,
                              detail=f"python-stdnum {check.scheme}", location=contact.location("identifier"))


@rule(
    id="UNV011",
    name="email-domain-mistyped-provider",
    category=Category.UNVERIFIABLE,
    severity=Severity.MEDIUM,
    policy=(policies.RAA_WAPS_1F, policies.NIS2_28_3),
)
def email_domain_mistyped_provider(record: RegistrationRecord, ctx: RuleContext) -> Iterator[Finding]:
    """A contact's email domain is a near miss of a big mail provider's: "gmail.co", "hotmial.com", "yahoo.om".

    The provider's name under a top-level domain typed for ".com" (".co", ".cm", ".om", ".ne") or under
    one where it keeps no mailboxes (".net", ".org"), or its name one keystroke off under ".com": a letter
    dropped, doubled, swapped with its neighbour or replaced by the key beside it. Offline; with DNS on,
    such a domain may well resolve.

    ## Why it matters
    The holder meant their mailbox at the provider; mail sent to the near miss goes to whoever holds
    that domain (typo-squatters register them to collect exactly this mail), or nowhere. Verifying the
    address (RAA WAPS 1(f)) would have caught it.

    ## Not a finding
    The providers' own domains in every country (yahoo.co.jp, hotmail.co.uk, outlook.de), other providers
    and firms one keystroke away (ymail.com, mail.com, email.com, cloud.com), names with another first letter
    ("fmail.com", "notmail.com"), the short names under other endings ("live.co", "aol.net"), the holder's
    own domain, a domain whose top-level domain does not exist ("gmail.con": UNV002's), redacted emails.

    ## Remedy
    Ask the registrar to correct the address with the holder and verify it.
    """
    for contact in record.contacts:
        if contact.state("email") is not FieldState.PRESENT or placeholder_email(contact.email):
            continue
        syntax = ctx.verify.email_syntax(contact.email or "")
        if not syntax.valid:
            continue
        meant = ctx.verify.mistyped_provider(syntax.domain)
        # (not the holder's own domain: tmail.com's hostmaster is theirs, whatever it looks like)
        if meant is not None and registrable_domain(syntax.domain) != registrable_domain(record.domain):
            yield ctx.finding(record, f"{contact.role.value} email {contact.email!r} is at {syntax.domain}, a near miss "
                              f"of {meant}: mail goes to that domain's holder, if anywhere",
                              contact=contact, field="email", value=contact.email, detail=f"meant: {meant}")
