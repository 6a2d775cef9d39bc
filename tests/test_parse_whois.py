"""The generic WHOIS parser: ICANN style, handle objects, sections, redaction, status, bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.parse import parse
from auditor.records import (
    FieldState,
    NoRegistration,
    ParseFailure,
    RawRecord,
    RegistrationRecord,
    ResponseStatus,
    Role,
    Source,
)
from tests.conftest import FIXTURES, PEER_FIXTURES

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def whois(text: str | bytes, query: str = "", server: str = "file") -> RawRecord:
    body = text if isinstance(text, bytes) else text.encode("utf-8")
    return RawRecord(Source.WHOIS, server, query, body, NOW)


def registration(text: str, query: str = "", server: str = "file") -> RegistrationRecord:
    """The registration a response parses to (it must parse to one)."""
    record = parse(whois(text, query, server))
    assert isinstance(record, RegistrationRecord), record
    return record


ICANN_STYLE = """\
Domain Name: SHOP-EXAMPLE.ZZ
Updated Date: 2024-01-02T03:04:05Z
Creation Date: 2019-05-06T07:08:09Z
Registry Expiry Date: 2027-05-06T07:08:09Z
Registrar: Alpha Registrar GmbH
Registrar IANA ID: 9001
Domain Status: clientTransferProhibited https://icann.org/epp#clientTransferProhibited
Registrant Name: REDACTED FOR PRIVACY
Registrant Organization: Schmidt GmbH
Registrant Street: Invalidenstraße 12
Registrant City: Berlin
Registrant Postal Code: 10115
Registrant Country: DE
Registrant Phone: REDACTED FOR PRIVACY
Registrant Email: Please query the RDDS service of the Registrar of Record identified in this output.
Admin Name: Anna Schmidt
Admin Email: anna@shop-example.zz
Admin Phone: +49.3012345678
Name Server: NS1.DNS-ZZ.ZZ
Name Server: ns2.dns-zz.zz.
"""


def test_icann_style_fields_and_redaction() -> None:
    rec = parse(whois(ICANN_STYLE))
    assert isinstance(rec, RegistrationRecord)
    assert rec.domain == "shop-example.zz"
    assert rec.registrar == "Alpha Registrar GmbH" and rec.registrar_iana_id == "9001"
    assert rec.created_at == datetime(2019, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert rec.expires_at and rec.expires_at.year == 2027
    assert rec.statuses == ("clientTransferProhibited",)
    assert rec.nameservers == ("ns1.dns-zz.zz", "ns2.dns-zz.zz")
    registrant = rec.contact(Role.REGISTRANT)
    assert registrant is not None
    assert registrant.state("name") is FieldState.REDACTED
    assert registrant.state("phone") is FieldState.REDACTED
    assert registrant.state("email") is FieldState.REDACTED  # a pointer to the RDDS, not an address
    assert registrant.state("fax") is FieldState.MISSING
    assert registrant.organization == "Schmidt GmbH" and registrant.country == "DE"
    assert registrant.location("city") == "line 11"
    admin = rec.contact(Role.ADMINISTRATIVE)
    assert admin is not None and admin.email == "anna@shop-example.zz"


HANDLES = """\
%% registry whois

domain:      bakkerij-jansen.zz
status:      ACTIVE
holder-c:    H123-ZZ
admin-c:     A456-ZZ
created:     2020-02-03
nserver:     ns1.dns-zz.zz

nic-hdl:     H123-ZZ
type:        ORGANIZATION
contact:     Bakkerij Jansen B.V.
address:     Damrak 70
address:     1012 AB Amsterdam
country:     NL
phone:       +31.201234567
e-mail:      info@bakkerij-jansen.zz

nic-hdl:     A456-ZZ
contact:     Sanne Visser
state:       NH
e-mail:      sanne@bakkerij-jansen.zz
"""


def test_ripe_style_handle_objects() -> None:
    rec = parse(whois(HANDLES))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None
    assert holder.handle == "H123-ZZ" and holder.name == "Bakkerij Jansen B.V."
    assert holder.street == ("Damrak 70",) and holder.postcode == "1012 AB" and holder.city == "Amsterdam"
    assert holder.email == "info@bakkerij-jansen.zz" and holder.phone == "+31.201234567"
    admin = rec.contact(Role.ADMINISTRATIVE)
    assert admin is not None and admin.region == "NH"  # "state" in a contact object is a region
    assert rec.created_at == datetime(2020, 2, 3, tzinfo=UTC)


NOMINET_STYLE = """\

    Domain name:
        shop-example.co.uk

    Registrant:
        Example Shop Ltd

    Registrant type:
        UK Limited Company, (Company number: 01234567)

    Registrar:
        Beta Domains Ltd [Tag = BETA]
        URL: https://betadomains.zz

    Relevant dates:
        Registered on: 01-Feb-2015
        Expiry date:  01-Feb-2027
        Last updated:  03-Jan-2026

    Name servers:
        ns1.dns-zz.zz
        ns2.dns-zz.zz

"""


def test_indented_sections_nominet_style() -> None:
    rec = parse(whois(NOMINET_STYLE))
    assert isinstance(rec, RegistrationRecord)
    assert rec.domain == "shop-example.co.uk"
    assert rec.registrar == "Beta Domains Ltd"  # Nominet's tag is no part of the name
    assert rec.created_at == datetime(2015, 2, 1, tzinfo=UTC)
    assert rec.nameservers == ("ns1.dns-zz.zz", "ns2.dns-zz.zz")
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.name == "Example Shop Ltd"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ('No match for domain "FREE-NAME.ZZ".\n', ResponseStatus.AVAILABLE),
        ("Domain: free-name.de\nStatus: free\n", ResponseStatus.AVAILABLE),
        ("%% Too many queries. Your IP has been blocked for 60 seconds.\n", ResponseStatus.THROTTLED),
        ("55000000002 Connection refused; access control limit reached\n", ResponseStatus.THROTTLED),
        ("Domain: reserved-name.zz\nStatus: reserved\n", ResponseStatus.RESERVED),
        ("Sorry, The domain you requested is in the reserved list.\n", ResponseStatus.RESERVED),  # CNNIC
        ("Domain Name: free-name.zz\nWe could not find the requested domain on our system\n", ResponseStatus.AVAILABLE),
    ],
)
def test_non_registrations_are_never_parsed_as_registrations(text: str, status: ResponseStatus) -> None:
    outcome = parse(whois(text, query="free-name.zz"))
    assert isinstance(outcome, NoRegistration)
    assert outcome.status is status


def test_throttled_text_is_not_available() -> None:
    outcome = parse(whois("Query rate limit exceeded - no match possible right now\n"))
    assert isinstance(outcome, NoRegistration) and outcome.status is ResponseStatus.THROTTLED


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (bytes(range(256)) * 8, "binary"),
        (b"random words without any structure at all\n" * 3, "no registration data"),
        (b"Domain Name: big.zz\n" + b"x" * 2_000_000, "too large"),
    ],
)
def test_bad_input_becomes_a_failure_with_a_reason(body: bytes, reason: str) -> None:
    outcome = parse(whois(body, query="big.zz"))
    assert isinstance(outcome, ParseFailure)
    assert reason in outcome.reason


def test_domain_from_the_query_when_the_response_lacks_it() -> None:
    rec = parse(whois("Registrant Name: Anna Schmidt\nCreation Date: 2020-01-01\n", query="anna.zz"))
    assert isinstance(rec, RegistrationRecord) and rec.domain == "anna.zz"


def test_crlf_and_latin1_response() -> None:
    text = "Domain Name: muenchen-baeckerei.zz\r\nCreation Date: 2020-01-01\r\nRegistrant Name: Jürgen Müller\r\n"
    rec = parse(whois(text.encode("cp1252")))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.name == "Jürgen Müller"


def test_demo_shift_jis_file_is_decoded() -> None:
    files = sorted((FIXTURES / "demo" / "whois").glob("*.txt"))
    names = []
    for path in files:
        rec = parse(whois(path.read_bytes(), query=path.stem))
        if isinstance(rec, RegistrationRecord) and rec.contact(Role.REGISTRANT):
            names.append(rec.contact(Role.REGISTRANT).name)  # type: ignore[union-attr]
    assert "山田 太郎" in names and "김 민준" in names


PEER_CASES = [
    # (peer file, domain, registrant name or None, expected redacted fields)
    ("likexian-whois-parser/testdata/noterror/fr_google.fr", "google.fr", "Google Ireland Holdings", set()),
    ("weppos-whois-parser/responses/whois.eu/eu/status_registered.txt", "google.eu", None, {"name", "email", "phone"}),
]


@pytest.mark.parametrize(("relpath", "domain", "name", "redacted"), PEER_CASES)
def test_peer_recordings(relpath: str, domain: str, name: str | None, redacted: set[str]) -> None:
    path = PEER_FIXTURES / relpath
    if not path.exists():
        pytest.skip("../shared/peer-fixtures is not present")
    rec = parse(whois(path.read_bytes(), query=domain))
    assert isinstance(rec, RegistrationRecord)
    assert rec.domain == domain
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None
    if name:
        assert holder.name == name
    assert redacted <= holder.redacted


def _peer(relpath: str, query: str = "", server: str = "file") -> RegistrationRecord | NoRegistration | ParseFailure:
    path = PEER_FIXTURES / relpath
    if not path.exists():
        pytest.skip("../shared/peer-fixtures is not present")
    return parse(whois(path.read_bytes(), query=query, server=server))


def test_registry_marker_makes_fields_redacted_not_missing() -> None:
    rec = _peer("richardpenman-whois/unmerged-pr119/samples/whois/google.ke", "google.ke")  # "Redacted | Registry Policy"
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.organization == "Google LLC"
    assert {holder.state(f) for f in ("name", "email", "phone")} == {FieldState.REDACTED}


def test_port_43_policy_withholds_roles_as_redacted() -> None:
    rec = _peer("weppos-whois-parser/responses/whois.denic.de/de/status_registered.txt", "google.de", "whois.denic.de")
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.state("name") is FieldState.REDACTED
    assert holder.location("name") == "registry policy (denic)"
    tech = rec.contact(Role.TECHNICAL)  # an older answer that published Tech-C keeps it as published
    assert tech is not None and tech.email == "dns-admin@google.com" and tech.country == "US" and not tech.redacted


def test_privacy_service_is_recognised() -> None:
    rec = _peer("richardpenman-whois/unmerged-pr119/samples/whois/business.bingo", "business.bingo")
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.privacy_service == "Withheld for Privacy"
    assert holder.state("email") is FieldState.REDACTED


@pytest.mark.parametrize(
    ("relpath", "query", "domain"),
    [
        ("io-developer-php-whois/tld/.de/xn--fw-via.de.txt", "", "xn--fw-via.de"),
        ("mboot-whoisdomain/testdata/google.台湾/input", "google.台湾", "google.xn--kpry57d"),  # the answer says 台灣
    ],
)
def test_idn_domains_come_out_as_a_labels(relpath: str, query: str, domain: str) -> None:
    rec = _peer(relpath, query)
    assert isinstance(rec, RegistrationRecord) and rec.domain == domain


def test_windows_1254_response_is_decoded() -> None:
    rec = _peer("io-developer-php-whois/tld/.tr/google.com.tr-win1252.txt", "google.com.tr")
    assert isinstance(rec, RegistrationRecord)
    tech = rec.contact(Role.TECHNICAL)
    assert tech is not None and tech.organization == "Beril Teknoloji Bilişim Yayıncılık Ticaret A.Ş."


@pytest.mark.parametrize(
    ("relpath", "status"),
    [
        ("weppos-whois-parser/responses/whois.nic.fr/fr/response_throttled.txt", ResponseStatus.THROTTLED),  # + "No entries found"
        ("weppos-whois-parser/responses/whois.registro.br/br/status_available_limited.txt", ResponseStatus.AVAILABLE),
        ("io-developer-php-whois/tld/.lu/free.txt", ResponseStatus.THROTTLED),
        ("weppos-whois-parser/responses/whois.jprs.jp/jp/status_reserved.txt", ResponseStatus.RESERVED),
        ("weppos-whois-parser/responses/whois.denic.de/de/status_invalid.txt", ResponseStatus.INVALID_QUERY),
        ("likexian-whois-parser/testdata/notfound/uk_likexian-have-no-money-to-register.uk", ResponseStatus.AVAILABLE),
    ],
)
def test_peer_answers_get_the_right_status(relpath: str, status: ResponseStatus) -> None:
    outcome = _peer(relpath, "")
    assert isinstance(outcome, NoRegistration) and outcome.status is status


def test_whois_client_preamble_selects_the_registry_profile() -> None:
    text = "[Querying whois.jprs.jp]\n[whois.jprs.jp]\n[Domain Name]   EXAMPLE.JP\n[Created on]   2005/05/30\n"
    rec = parse(whois(text))
    assert isinstance(rec, RegistrationRecord)
    assert rec.parser.endswith(":jprs") and rec.created_at == datetime(2005, 5, 29, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ("Domain ID:D354967-LRCC\nDomain Name:GOOGLE.BZ\nCreated On:12-Feb-2006 18:08:52 UTC\n", "created_at",
         datetime(2006, 2, 12, 18, 8, 52, tzinfo=UTC)),
        ("Domain:.............google.tg\nActivation:.........2016-08-01\n", "created_at", datetime(2016, 8, 1, tzinfo=UTC)),
        ("Nom de domaine#. . . . . .google.dz\nDate de creation#. . . . . 2002-12-12\n", "created_at",
         datetime(2002, 12, 12, tzinfo=UTC)),
        ("Nome de domínio / Domain Name: wiki.pt\nData de registo / Creation Date (dd/mm/yyyy): 09/02/2009\n",
         "created_at", datetime(2009, 2, 9, tzinfo=UTC)),
        ("Domain Name: moo.mo\nRecord created on 2018-02-05 22:59:12.55172\n", "created_at",
         datetime(2018, 2, 5, 22, 59, 12, tzinfo=UTC)),
        ("Domain name\tgoogle.ch\nRegistrar\tMarkMonitor\n", "registrar", "MarkMonitor"),
        ("Domain Name: GOOGLE.BZ\nSponsoring Registrar:MarkMonitor, Inc. (R22-LRCC)\n", "registrar", "MarkMonitor, Inc."),
    ],
)
def test_label_layouts(line: str, field: str, expected: object) -> None:
    rec = parse(whois(line, query=""))
    assert isinstance(rec, RegistrationRecord)
    assert getattr(rec, field) == expected


NIC_AT_STYLE = """\
domain:         0wnz.zz
registrant:     FMR1-ZZ
tech-c:         FMR1-ZZ
nserver:        a.ns.0wnz.zz
changed:        20221101 00:10:24

personname:     Markus Beispiel
organization:   Firma Markus Beispiel
street address: Musterweg 3
postal code:    1100
city:           Wien
country:        Austria
phone:          <data not disclosed>
e-mail:         <data not disclosed>
nic-hdl:        FMR1-ZZ
"""


def test_handle_object_named_at_its_end_and_bracketed_markers() -> None:
    rec = parse(whois(NIC_AT_STYLE))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.name == "Markus Beispiel" and holder.country == "AT"
    assert holder.state("email") is FieldState.REDACTED and holder.state("phone") is FieldState.REDACTED
    tech = rec.contact(Role.TECHNICAL)
    assert tech is not None and tech.organization == "Firma Markus Beispiel"


def test_plain_iso_fast_path_gives_the_general_answer() -> None:
    """parse_date reads plain ISO 8601 straight away; a leading space sends the same text down the general path."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from auditor.parse.dates import _PLAIN_ISO, parse_date

    digits = st.integers(0, 99).map(lambda n: f"{n:02d}")
    iso = st.builds(lambda y, mo, d, sep, h, mi, s, zone: f"{y:04d}-{mo}-{d}" + (f"{sep}{h}:{mi}{s}" if sep else "") + zone,
                    st.integers(0, 9999), digits, digits, st.sampled_from(["", "T", " "]), digits, digits,
                    st.sampled_from(["", ":00", ":59", ":61"]),
                    st.sampled_from(["", "Z", "+02:00", "-05:30", "+14:00", "+25:00"]))

    @settings(max_examples=1500, derandomize=True, deadline=None)
    @given(iso, st.sampled_from([0.0, 9.0, -5.0]))
    def same(text: str, offset: float) -> None:
        assert _PLAIN_ISO.match(text)
        assert parse_date(text, offset) == parse_date(" " + text, offset)

    same()
    # found by this test: dates that cannot be placed in UTC raised instead of reading as "not a date"
    assert parse_date("0001-01-01T00:00+02:00") is None and parse_date("2020-01-01T00:00+25:00") is None


_MARKER_WORDS = ("REDACTED", "for", "Privacy", "purposes", "Data", "protected", "not disclosed", "withheld",
                 "Please query the RDDS service", "https://", "contact", "*****", "N/A", "na", "GDPR", "masked",
                 "registrar", "Private person", "<", ">", "(", "]", "_", "|", ".", "!", " ", "  ", "Jane Doe",
                 "+49.30", "0", "12")  # values starting with a digit or plus take a shortcut


@given(st.lists(st.sampled_from(_MARKER_WORDS), max_size=6).map(" ".join),
       st.lists(st.booleans(), min_size=40, max_size=40))
def test_redaction_markers_are_read_case_insensitively(text: str, upper: list[bool]) -> None:
    """The marker patterns are matched against the lowered value; on ASCII text that must be exactly
    the case-insensitive match of the value, whatever its case."""
    import re

    from auditor.parse.markers import _WRAPPED_NA, REDACTION_PATTERNS, _unwrap, is_redaction_marker

    value = "".join(c.upper() if upper[i % 40] else c.lower() for i, c in enumerate(text))
    ignoring_case = re.compile(r"^\s*(?:" + "|".join(REDACTION_PATTERNS) + r")\s*\.?\s*$", re.IGNORECASE)
    plain = _unwrap(value)
    words = plain.split()
    half = len(words) // 2
    twice = len(words) % 2 == 0 and half > 0 and [w.lower() for w in words[:half]] == [w.lower() for w in words[half:]]
    expected = bool(value) and len(value) <= 300 and (
        bool(_WRAPPED_NA.match(value.strip()))
        or (plain.lower() not in ("n/a", "na") and (
            bool(ignoring_case.match(plain)) or (twice and bool(ignoring_case.match(" ".join(words[:half])))))))
    assert is_redaction_marker(value) == expected


@pytest.mark.parametrize(("line", "statuses"), [
    # CoCCA prints a remark after the code (and after ICANN's link): the code is the status
    ("Domain Status: serverUpdateProhibited (Secured by CoCCA Premium Registry Lock) "
     "https://icann.org/epp#serverUpdateProhibited (Secured by CoCCA Premium Registry Lock)", ["serverUpdateProhibited"]),
    ("Status: ok (paid and in zone)", ["ok"]),  # .ee
    ("Domain status : ok - Normal state.", ["ok"]),  # .kz: a gloss after a dash
    ("Domain status : clientTransferProhibited -", ["clientTransferProhibited"]),
    ("Status: clientHold, clientDeleteProhibited", ["clientHold", "clientDeleteProhibited"]),
    ("Status: Registered until expiry date.", ["Registered until expiry date"]),  # words, no remark: kept
])
def test_status_words_come_without_the_remarks_around_them(line: str, statuses: list[str]) -> None:
    text = f"Domain Name: shop-example.zz\nRegistrar: Alpha Registrar GmbH\n{line}\n"
    record = parse(whois(text))
    assert isinstance(record, RegistrationRecord)
    assert list(record.statuses) == statuses


def test_kaznic_sections_give_the_holder_and_no_status_from_its_state() -> None:
    text = """\
Domain Name............: shop-example.kz

Organization Using Domain Name
Name...................: Example LLP
Organization Name......: Example LLP
Street Address.........: ul. Abaya 10
City...................: Almaty
State..................: Almaty
Postal Code............: 050000
Country................: KZ

Administrative Contact/Agent
NIC Handle.............: EX-KZ-1
Name...................: Aigerim Example
Email Address..........: admin@shop-example.kz

Domain created: 2003-08-18 11:20:09 (GMT+0:00)
Domain status : clientTransferProhibited -
"""
    record = parse(whois(text))
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    assert (holder.organization, holder.city, holder.region, holder.postcode, holder.country) == (
        "Example LLP", "Almaty", "Almaty", "050000", "KZ")
    admin = record.contact(Role.ADMINISTRATIVE)
    assert admin is not None and admin.email == "admin@shop-example.kz"
    assert record.statuses == ("clientTransferProhibited",)


@pytest.mark.parametrize(("status_line", "expected"), [
    ("Status: ACTIVE", ResponseStatus.REGISTERED),  # DotGov prints nothing else for a registered name
    ("Statut: actif", ResponseStatus.REGISTERED),
    ("Status: clientHold", ResponseStatus.REGISTERED),
    ("Status: AVAILABLE", ResponseStatus.AVAILABLE),
    ("Status: something", None),  # an unknown word proves nothing: no verdict
])
def test_a_status_word_alone_can_say_registered(status_line: str, expected: ResponseStatus | None) -> None:
    outcome = parse(whois(f"% DOTGOV WHOIS Server ready\n   Domain Name: SHOP-EXAMPLE.GOV\n   {status_line}\n"))
    if expected is None:
        assert isinstance(outcome, ParseFailure)
    else:
        assert outcome.status is expected
        if expected is ResponseStatus.REGISTERED:
            assert isinstance(outcome, RegistrationRecord) and outcome.domain == "shop-example.gov"


def test_a_section_header_then_a_blank_line_still_owns_the_fields_below() -> None:
    text = """\
domain.............: shop-example.fi
created............: 3.4.2016 10:00:00

Holder

name...............: Example Oy
address............: Esimerkkikatu 1
country............: Finland
phone..............: +358291707007

Registrar

registrar..........: Alpha Registrar GmbH
"""
    record = parse(whois(text))
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    assert (holder.name, holder.street, holder.country, holder.phone) == (
        "Example Oy", ("Esimerkkikatu 1",), "FI", "+358291707007")
    assert record.registrar == "Alpha Registrar GmbH"


def test_a_known_label_with_a_long_note_before_its_colon() -> None:
    text = """\
Domain Name:  SHOP-EXAMPLE.HK
Registrar Name: Alpha Registrar GmbH

Registrant Contact Information:

Company English Name (It should be the same as the registered/corporation name on your Business Register Certificate or relevant documents): EXAMPLE LIMITED
Email: hostmaster@shop-example.hk
"""
    record = parse(whois(text))
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and holder.organization == "EXAMPLE LIMITED"
    assert holder.email == "hostmaster@shop-example.hk"


def test_dns_lu_role_prefixes() -> None:
    text = """\
domainname:     shop-example.lu
domaintype:     ACTIVE
nserver:        ns1.shop-example.lu
org-name:       Example S.A.
org-city:       Luxembourg
org-country:    LU
adm-name:       Anne Admin
adm-email:      admin@shop-example.lu
tec-name:       Tom Tech
tec-zipcode:    1234
tec-email:      tech@shop-example.lu
"""
    record = parse(whois(text))
    assert isinstance(record, RegistrationRecord)
    assert record.statuses == ("ACTIVE",)
    admin, tech = record.contact(Role.ADMINISTRATIVE), record.contact(Role.TECHNICAL)
    assert admin is not None and (admin.name, admin.email) == ("Anne Admin", "admin@shop-example.lu")
    assert tech is not None and (tech.name, tech.postcode, tech.email) == ("Tom Tech", "1234", "tech@shop-example.lu")
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and (holder.name, holder.city, holder.country) == ("Example S.A.", "Luxembourg", "LU")


@pytest.mark.parametrize(("text", "expected"), [
    ("notify@drs.ua 20121216134104", datetime(2012, 12, 16, 13, 41, 4, tzinfo=UTC)),  # RIPE-style "changed:"
    ("0-UANIC 20020903000000", datetime(2002, 9, 3, tzinfo=UTC)),  # UANIC's "created:"
    ("hostmaster@shop-example.zz 20200131", datetime(2020, 1, 31, tzinfo=UTC)),
    ("Mar 25 01:57:22 PDT 2009", datetime(2009, 3, 25, 8, 57, 22, tzinfo=UTC)),  # .bj: ctime without the weekday
    ("12 20200101", None),  # a number before the date is not who changed it
    ("someone 2020", None),
])
def test_dates_after_who_changed_the_record_and_ctime_without_weekday(text: str, expected: datetime | None) -> None:
    from auditor.parse.dates import parse_date

    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1577959200", datetime(2020, 1, 2, 10, tzinfo=UTC)),  # Unix time, as databases export it
    ("1577959200000", datetime(2020, 1, 2, 10, tzinfo=UTC)),  # ... in milliseconds
    ("20200102", datetime(2020, 1, 2, tzinfo=UTC)),
    ("20200102103000", datetime(2020, 1, 2, 10, 30, tzinfo=UTC)),
    ("12345", None),
    ("9999999999", None),  # beyond 2033: not a registration's time
    ("199901011200", datetime(1999, 1, 1, 12, tzinfo=UTC)),  # YYYYMMDDHHMM
    ("1/2/2020 10:00 AM", datetime(2020, 2, 1, 10, tzinfo=UTC)),  # a 12-hour clock; day first, as without one
    ("01/02/2020 10:00:00 PM", datetime(2020, 2, 1, 22, tzinfo=UTC)),
    ("13/2/2020 1:00 PM", datetime(2020, 2, 13, 13, tzinfo=UTC)),
    ("2/13/2020 1:00 PM", datetime(2020, 2, 13, 13, tzinfo=UTC)),  # the month first where it cannot be a day
    ("1/2/2020 10:00AM", datetime(2020, 2, 1, 10, tzinfo=UTC)), ("1/2/2020 10:00 p.m.", datetime(2020, 2, 1, 22, tzinfo=UTC)),
    ("Jan 2, 2020 10:00 AM", datetime(2020, 1, 2, 10, tzinfo=UTC)),
    ("2020-01-02 10:00:00 PM", datetime(2020, 1, 2, 22, tzinfo=UTC)),
    ("1/2/2020", datetime(2020, 2, 1, tzinfo=UTC)),  # no clock: the international order
])
def test_spreadsheet_and_database_dates(text: str, expected: datetime | None) -> None:
    """What exports hold: strptime read "1577959200" as 1577-09-05 09:20, a date before domain names."""
    from auditor.parse.dates import parse_date

    assert parse_date(text) == expected


def test_a_record_date_phrase_inside_a_contact_block() -> None:
    text = """\
Domain:
   shop-example.ee

Registrant:
   Example OU
   Tartu mnt 1
   Tallinn, 10145

   Record created on 22-Apr-2003
   Record changed on 28-May-2010
   Domain Currently Expires: 2030-03-03
"""
    record = parse(whois(text))
    assert isinstance(record, RegistrationRecord)
    assert (record.created_at, record.updated_at, record.expires_at) == (
        datetime(2003, 4, 22, tzinfo=UTC), datetime(2010, 5, 28, tzinfo=UTC), datetime(2030, 3, 3, tzinfo=UTC))
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and all("Record" not in line for line in holder.street)


def test_registrar_sections_of_trabis_and_kaznic() -> None:
    trabis = """\
** Domain Name: shop-example.com.tr

** Registrant:
   Example A.S.
   Hidden upon user request

** Registrar:
NIC Handle\t\t: ab12
Organization Name\t: Alpha Registrar A.S.
Address\t\t\t: Registrar Sok. 1

** Additional Info:
Created on..............: 2001-Aug-23.
"""
    record = parse(whois(trabis, query="shop-example.com.tr"))
    assert isinstance(record, RegistrationRecord)
    assert record.registrar == "Alpha Registrar A.S."
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and holder.name == "Example A.S."
    kaznic = "Domain Name............: shop-example.kz\nRegistar created: KAZNIC\nCurrent Registar: HOSTER.KZ\n"
    record = parse(whois(kaznic))
    assert isinstance(record, RegistrationRecord) and record.registrar == "HOSTER.KZ"


@pytest.mark.parametrize("block", [
    "Nameserver Information\n   Nameserver: shop-example.zz\tNS\tns1.host.zz.\n   Nameserver: shop-example.zz\tNS\tns2.host.zz.\n",
    "Nameservers\n Primary Server Hostname....: ns1.host.zz\n Primary Server Netaddress..: \n"
    " Secondary Server Hostname..: ns2.host.zz\n",
    "  Current Nameservers:\n\n    ns1.host.zz\n    ns2.host.zz\n",
    "Domain Name Servers listed in order:\n\n  ns1.host.zz   \n  ns2.host.zz   \n",
    "DNS servers\nName................: ns1.host.zz.\nIP address\nName................: ns2.host.zz.\n",
])
def test_name_server_layouts(block: str) -> None:
    text = f"Domain Name: shop-example.zz\nRegistrar: Alpha Registrar GmbH\n\n{block}"
    record = parse(whois(text))
    assert isinstance(record, RegistrationRecord)
    assert record.nameservers == ("ns1.host.zz", "ns2.host.zz")


def test_free_form_blocks_with_a_person_and_mailbox_on_one_line() -> None:
    """TWNIC: the organisation, then "person  mailbox", then voice and fax, then the address."""
    text = """\
Domain Name: shop-example.com.tw
   Registrant:

      Example Ltd.
      Anna Lin  anna@shop-example.com.tw
      +886.223456789
      +886.223456780
      1 Example Road
      Taipei
      TW

   Administrative Contact:
      Anna Lin  anna@shop-example.com.tw
      +886.223456789

   Record created on 2000-08-29 10:22:50 (UTC+8)
"""
    record = parse(whois(text))
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    assert (holder.organization, holder.name, holder.email, holder.phone, holder.fax, holder.country) == (
        "Example Ltd.", "Anna Lin", "anna@shop-example.com.tw", "+886.223456789", "+886.223456780", "TW")
    admin = record.contact(Role.ADMINISTRATIVE)
    assert admin is not None and (admin.organization, admin.name, admin.email) == (
        None, "Anna Lin", "anna@shop-example.com.tw")


HOSTMASTER_UA = """\
domain:           shop-example.com.ua
nserver:          ns1.host.zz
status:           clientTransferProhibited
created:          2011-07-21 18:03:50+03
source:           UAEPP

% Registrant:
% ===========
contact-id:       ex-1
person:           n/a
person-loc:       Олена Приклад
organization-loc: ТОВ Приклад
e-mail:           olena@shop-example.com.ua
address:          n/a
address-loc:      вул. Хрещатик, 1
address-loc:      Київ
postal-code-loc:  01001
country-loc:      UA
status:           ok
status:           linked
created:          2017-07-21 23:55:01+03
source:           UAEPP

% Administrative Contacts:
% =======================
contact-id:       ex-1
person:           n/a
person-loc:       Олена Приклад
address:          n/a
address-loc:      вул. Хрещатик, 1
address-loc:      Київ
source:           UAEPP
"""


def test_hostmaster_ua_comment_headers_loc_values_and_repeated_objects() -> None:
    record = parse(whois(HOSTMASTER_UA))
    assert isinstance(record, RegistrationRecord)
    assert record.statuses == ("clientTransferProhibited",)  # "ok", "linked" are the contact object's
    assert record.created_at == datetime(2011, 7, 21, 15, 3, 50, tzinfo=UTC)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    assert (holder.handle, holder.name, holder.organization, holder.street, holder.postcode, holder.country) == (
        "ex-1", "Олена Приклад", "ТОВ Приклад", ("вул. Хрещатик, 1", "Київ"), "01001", "UA")
    admin = record.contact(Role.ADMINISTRATIVE)
    assert admin is not None and admin.street == ("вул. Хрещатик, 1", "Київ")  # the object printed again adds nothing


def test_a_lone_na_stays_for_the_rules_to_judge() -> None:
    text = "Domain Name: shop-example.zz\nRegistrar: Alpha\nRegistrant Name: n/a\nRegistrant Street: -\n"
    holder = parse(whois(text)).contact(Role.REGISTRANT)  # type: ignore[union-attr]
    assert holder is not None and holder.name == "n/a" and holder.street == ("-",)


@pytest.mark.parametrize(("lines", "expected"), [
    (["Jane Roe <jane@example.com>"], (None, "Jane Roe", "jane@example.com")),
    (["Jane Roe (jane@example.com)"], (None, "Jane Roe", "jane@example.com")),
    (["Jane Roe", "Email jane@example.com"], (None, "Jane Roe", "jane@example.com")),
    (["Jane Roe", "jane@example.com", "Bob  bob@example.com"], (None, "Jane Roe", "jane@example.com")),
])
def test_free_form_mailbox_lines(lines: list[str], expected: tuple[str | None, str, str]) -> None:
    block = "".join(f"      {line}\n" for line in lines)
    record = parse(whois(f"Domain Name: shop-example.zz\nRegistrar: Alpha\n   Registrant:\n{block}"))
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and (holder.organization, holder.name, holder.email) == expected


@pytest.mark.parametrize(("text", "statuses"), [
    ("Domain Name: example.zz\nRegistrar: Foo\nRegistrant:\nStatus: active\n", ("active",)),
    ("Domain Name: example.zz\nRegistrar: Foo\nRegistrant:\n\nStatus: active\n", ("active",)),
    ("Domain Name: example.zz\nRegistrar: Foo\nStatus: ok (paid, and in zone)\n", ("ok",)),
    ("Domain Name: example.zz\nRegistrar: Foo\nStatus: clientHold - Registrar hold; see https://x.zz/\n", ("clientHold",)),
])
def test_status_lines_outside_hostmaster_ua_contact_objects(text: str, statuses: tuple[str, ...]) -> None:
    record = parse(whois(text))
    assert isinstance(record, RegistrationRecord) and record.statuses == statuses


def test_registro_br_owner_and_its_contact_objects() -> None:
    text = """\
domain:      shop-example.com.br
owner:       Exemplo Comercio Ltda
owner-c:     ABC12
admin-c:     ABC12
tech-c:      DEF34
nserver:     ns1.host.zz
created:     19990518 #162310
expires:     20300518

nic-hdl-br:  ABC12
person:      Ana Exemplo
e-mail:      ana@shop-example.com.br
country:     BR

nic-hdl-br:  DEF34
person:      Tecnico Exemplo
e-mail:      tec@host.zz
"""
    record = parse(whois(text))
    assert isinstance(record, RegistrationRecord)
    holder, admin, tech = (record.contact(r) for r in (Role.REGISTRANT, Role.ADMINISTRATIVE, Role.TECHNICAL))
    assert holder is not None and (holder.organization, holder.name, holder.email) == (
        "Exemplo Comercio Ltda", "Ana Exemplo", "ana@shop-example.com.br")
    assert admin is not None and admin.email == "ana@shop-example.com.br"
    assert tech is not None and (tech.name, tech.email) == ("Tecnico Exemplo", "tec@host.zz")


def test_tci_domain_objects_name_their_holder() -> None:
    """.ru/.su/.рф: "org:" or "person:" in the domain object is the holder; "admin-contact:" is a web form."""
    text = """\
domain:        SHOP-EXAMPLE.RU
nserver:       ns1.host.zz.
state:         REGISTERED, DELEGATED, VERIFIED
org:           Example LLC
phone:         +7 495 1234567
e-mail:        info@shop-example.ru
registrar:     RU-CENTER-RU
admin-contact: https://www.nic.ru/whois
created:       1997-09-23T09:45:07Z
paid-till:     2030-09-30T21:00:00Z
source:        TCI

Last updated on 2022-07-03T03:51:30Z
"""
    record = parse(whois(text, server="whois.tcinet.ru"))
    assert isinstance(record, RegistrationRecord)
    assert record.updated_at is None  # "Last updated on" closes every answer, found or not: the database's time
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    assert (holder.organization, holder.phone, holder.email) == ("Example LLC", "+7 495 1234567", "info@shop-example.ru")
    assert record.contact(Role.ADMINISTRATIVE) is None and record.registrar == "RU-CENTER-RU"


def test_nominets_address_opt_out_notice_over_two_lines_is_a_redacted_street() -> None:
    text = ("\n    Domain name:\n        example.co.uk\n\n    Registrant:\n        John Smith\n\n"
            "    Registrant's address:\n        The registrant is a non-trading individual who has opted to have their\n"
            "        address omitted from the WHOIS service.\n\n    Registrar:\n        Example Registrar Ltd [Tag = EXAMPLE]\n\n"
            "    Relevant dates:\n        Registered on: 01-Jan-2010\n        Expiry date:  01-Jan-2030\n")
    record = parse(whois(text, "example.co.uk", "whois.nic.uk"))
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and holder.name == "John Smith" and holder.street == ()
    assert holder.state("street") is FieldState.REDACTED


def test_afnics_anonymised_contact_and_kosovos_code() -> None:
    from auditor.countries import iso_codes, to_iso_country
    from auditor.parse.markers import is_redaction_marker

    assert is_redaction_marker("Ano Nymous")  # AFNIC's "anonymous: YES" contact
    assert (to_iso_country("XK"), to_iso_country("Kosovo"), to_iso_country("U.K.")) == ("XK", "XK", "GB")
    assert "XK" in iso_codes()


@pytest.mark.parametrize(("lines", "street", "city", "postcode", "region"), [
    (["Ulice 1", "Praha 1", "11000", "CZ"], ["Ulice 1"], "Praha 1", "11000", None),  # CZ.NIC: a part a line
    (["1600 Amphitheatre Parkway", "Mountain View", "CA", "94043", "US"], ["1600 Amphitheatre Parkway"],
     "Mountain View", "94043", "CA"),
    (["Hauptstr. 5", "10115 Berlin", "Germany"], ["Hauptstr. 5"], "Berlin", "10115", None),
    (["1 Main Street", "Springfield"], ["1 Main Street", "Springfield"], None, None, None),  # nothing to tell
    (["Ulice 1", "Praha 10", "10100", "CZ"], ["Ulice 1"], "Praha 10", "10100", None),
    (["Level 3", "1 George St", "2000", "AU"], ["Level 3", "1 George St", "2000"], None, None, None),  # no city
    (["Bahnhofstrasse", "12", "8001", "CH"], ["Bahnhofstrasse", "12", "8001"], None, None, None),
    (["Brivibas iela 1", "1010 Riga", "Latvia"], ["Brivibas iela 1"], "Riga", "1010", None),  # without "LV-"
    (["Av. Juarez 1", "C.P. 06600 Ciudad de Mexico", "MX"], ["Av. Juarez 1"], "Ciudad de Mexico", "06600", None),
    (["Unit 5", "3A Ocean Drive", "AU"], ["Unit 5", "3A Ocean Drive"], None, None, None),
    (["Google Inc", "1600 Amphitheatre Parkway", "US"], ["Google Inc", "1600 Amphitheatre Parkway"], None, None, None),
    # CZ.NIC's foreign address: the state after the postcode
    (["1600 Amphitheatre Parkway", "Mountain View", "94043", "CA", "US"], ["1600 Amphitheatre Parkway"],
     "Mountain View", "94043", "CA"),
    # NIC.CR, NIC.VE: the state by name, or its code in any case, between the city and the postcode
    (["P.O. Box 8102", "Reno", "Nevada", "89507", "US"], ["P.O. Box 8102"], "Reno", "89507", "Nevada"),
    (["1600 Amphitheatre Parkway", "Mountain View", "Ca", "94043", "US"], ["1600 Amphitheatre Parkway"],
     "Mountain View", "94043", "Ca"),
    # Traficom, .ax: the postcode before the city
    (["Kreuzstr. 60", "40210", "Duesseldorf", "DE"], ["Kreuzstr. 60"], "Duesseldorf", "40210", None),
    (["1600 Amphitheatre Parkway", "94043", "Mountain View", "US"], ["1600 Amphitheatre Parkway"], "Mountain View",
     "94043", None),
    # a city that is also a state's name, under a street line: the city
    (["Musterstr. 1", "Berlin", "10115", "DE"], ["Musterstr. 1"], "Berlin", "10115", None),
    (["Hauptplatz 1", "Wien", "1010", "AT"], ["Hauptplatz 1"], "Wien", "1010", None),
    # a city named as its state, under a street line with no number (review: the street became the city)
    (["Google Brasil", "Avenida Brigadeiro Faria Lima", "Sao Paulo", "04538-133", "BR"],
     ["Google Brasil", "Avenida Brigadeiro Faria Lima"], "Sao Paulo", "04538-133", None),
    (["Barrow Street", "Dublin", "D04 E5W5", "IE"], ["Barrow Street"], "Dublin", "D04 E5W5", None),
    (["Am Markt", "Berlin", "10115", "DE"], ["Am Markt"], "Berlin", "10115", None),
    (["George Street", "Tasmania", "7000", "AU"], ["George Street"], "Tasmania", "7000", None),
    # the state's code after the city on the "city postcode" line (red-team: "Toronto, ON" was the city)
    (["1 King St W", "Toronto, ON M5V 2T6", "CA"], ["1 King St W"], "Toronto", "M5V 2T6", "ON"),
    (["1600 Amphitheatre Pkwy", "Mountain View, CA 94043", "US"], ["1600 Amphitheatre Pkwy"], "Mountain View", "94043", "CA"),
    # a postcode's place holding no valid postcode: read as the postcode, so that it is checked (red-team)
    (["241 King Street West", "Toronto, ON 12345", "CA"], ["241 King Street West"], "Toronto", "12345", "ON"),
    (["Veldstraat 28", "100 Gent", "BE"], ["Veldstraat 28"], "Gent", "100", None),
    (["Apt 5", "1000 Broadway", "US"], ["Apt 5", "1000 Broadway"], None, None, None),  # no street line above it
    (["174 King Street West", "Montréal, QC XXX XXX", "CA"], ["174 King Street West"], "Montréal", "XXX XXX", "QC"),
    (["3F.-2, No.187, Zhongyang Rd.", "New Taipei City, New Taipei City", "TW"],  # a word is no postcode
     ["3F.-2, No.187, Zhongyang Rd.", "New Taipei City, New Taipei City"], None, None, None),
])
def test_bare_address_lines_give_up_their_city_postcode_and_state(lines: list[str], street: list[str], city: str | None,
                                                                  postcode: str | None, region: str | None) -> None:
    from auditor.parse.contact import peel_address_lines

    peeled = peel_address_lines(lines)
    assert (peeled.street, peeled.city, peeled.postcode, peeled.region) == (street, city, postcode, region)


@pytest.mark.parametrize(("value", "marker"), [
    ("Hidden Valley Ranch", False), ("Withheld Farm", False), ("Data Protected Ltd", False),  # names of places and firms
    ("HIDDEN!", True), ("HIDDEN! Details are available at https://whois.cctld.by", True), ("Hidden by request", True),
    ("Withheld for privacy", True), ("Data protected, not disclosed", True), ("DATA PROTECTED (GDPR)", True),
    ("Withheld – GDPR", True), ("Hidden / Private", True), ("Hidden [GDPR]", True), ("Withheld pursuant to GDPR", True),
    ("Hidden from public view", True), ("Data protected GDPR", True),
])
def test_withheld_and_hidden_are_markers_alone_or_with_their_reason_not_as_a_names_first_word(value: str, marker: bool) -> None:
    from auditor.parse.markers import is_redaction_marker

    assert is_redaction_marker(value) is marker


def test_a_street_starting_with_a_marker_word_and_a_numbered_line_is_kept() -> None:
    from auditor.parse.contact import withheld_street

    assert not withheld_street(("Hidden Valley Ranch", "1200 County Road 5"))
    assert withheld_street(("Data withheld in accordance with", "GDPR Art. 6(1)(f)"))  # a number inside is no address
    assert withheld_street(("Data not disclosed", "REDACTED FOR PRIVACY"))


def test_a_label_naming_the_role_opens_that_roles_fields() -> None:
    """"Contact: Registrant" (.pr) and "Contact Type: owner" (.tn, .tg): the fields below are that role's.
    Not in IANA's record of a top-level domain above a referral: those are the TLD manager's."""
    text = ("Domain: shop.zz\nContact:      Registrant\nOrganization: Shop Ltd\nName:         Ann Lee\n"
            "E-mail:       ann@shop.zz\n\nContact:      Technical\nName:         Tom Tech\nE-mail:       tom@host.zz\n")
    record = parse(whois(text, "shop.zz", "whois.nic.zz"))
    assert isinstance(record, RegistrationRecord)
    holder, tech = record.contact(Role.REGISTRANT), record.contact(Role.TECHNICAL)
    assert holder is not None and (holder.organization, holder.name, holder.email) == ("Shop Ltd", "Ann Lee", "ann@shop.zz")
    assert tech is not None and (tech.name, tech.email) == ("Tom Tech", "tom@host.zz")
    referral = ("% IANA WHOIS server\n\ndomain:       ZZ\n\ncontact:      administrative\nname:         TLD Manager\n"
                "e-mail:       tld@nic.zz\n\nwhois:        whois.nic.zz\n\nDomain Name: shop.zz\n"
                "Registrar: Alpha Registrar\nCreation Date: 2020-01-01T00:00:00Z\n"
                "Admin Name: REDACTED FOR PRIVACY\nAdmin Email: REDACTED FOR PRIVACY\n")
    record = parse(whois(referral, "shop.zz", "whois.iana.org"))
    assert isinstance(record, RegistrationRecord)
    admin = record.contact(Role.ADMINISTRATIVE)
    assert admin is not None and admin.name is None and admin.state("name") is FieldState.REDACTED


@pytest.mark.parametrize("text", [
    'Error for "widget.co.uk".\n\nThe WHOIS query quota for 192.0.2.77 has been exceeded\nand will be replenished in 46 seconds.\n',
    "Queried interval is too short.\n",
    "Requests of this client are not permitted. Please use https://www.nic.ch/whois/ for queries.\n",  # SWITCH
])
def test_more_registries_rate_limit_refusals_are_throttled(text: str) -> None:
    outcome = parse(whois(text, query="widget.zz"))
    assert isinstance(outcome, NoRegistration) and outcome.status is ResponseStatus.THROTTLED


def test_an_answer_cut_down_by_a_rate_limit_withholds_what_it_leaves_out() -> None:
    """registro.br answers "Reduced information" past its rate limit: a registration, whose absent contact
    fields the server withheld (they are not missing from the registration)."""
    text = ("% Query rate limit exceeded. Reduced information.\n\ndomain:      exemplo.com.br\n"
            "owner:       Exemplo Comercio Ltda\nnserver:     a.dns.br\ncreated:     20180101\n")
    rec = parse(whois(text, query="exemplo.com.br", server="whois.registro.br"))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.name == "Exemplo Comercio Ltda"
    for field in ("email", "phone", "street", "country"):
        assert holder.state(field) is FieldState.REDACTED, field
    assert holder.location("email") == "the answer's notice: Query rate limit exceeded. Reduced information."
    # with no holder shown at all, the holder is there, withheld
    rec = parse(whois(text.replace("owner:       Exemplo Comercio Ltda\n", ""), query="exemplo.com.br",
                      server="whois.registro.br"))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.state("name") is FieldState.REDACTED


def test_numbered_address_labels_and_names_in_two_parts() -> None:
    """.nz "registrant_contact_address1/2" are street lines; HKIRC's "Given name" and "Family name" make
    the name; ATI's "First Name"/"Last Name" too."""
    text = ("domain_name: bakery.co.nz\nregistrar_name: Freeparking\ndomain_datecreated: 2020-01-01T00:00:00+13:00\n"
            "registrant_contact_name: Example Bakery Limited\nregistrant_contact_address1: 12 Queen Street\n"
            "registrant_contact_address2: Level 3\nregistrant_contact_city: Auckland\nregistrant_contact_country: NZ\n\n"
            "Administrative Contact Information:\nGiven name: Wai Man\nFamily name: Chan\nEmail: wm@bakery.co.nz\n")
    rec = parse(whois(text, query="bakery.co.nz"))
    assert isinstance(rec, RegistrationRecord)
    holder, admin = rec.contact(Role.REGISTRANT), rec.contact(Role.ADMINISTRATIVE)
    assert holder is not None and holder.street == ("12 Queen Street", "Level 3")
    assert admin is not None and admin.name == "Wai Man Chan"


@pytest.mark.parametrize(("value", "name"), [
    ("World4You Internet Services GmbH ( https://nic.at/registrar/434 )", "World4You Internet Services GmbH"),
    ("Tucows Inc t/a Tucows [Tag = TUCOWS-CA]", "Tucows Inc t/a Tucows"),
    ("MarkMonitor Inc. (R84-AFIN)", "MarkMonitor Inc."),
    ("Registrar (Europe) Ltd", "Registrar (Europe) Ltd"),
])
def test_registrar_names_without_what_registries_print_after_them(value: str, name: str) -> None:
    rec = parse(whois(f"Domain Name: shop.zz\nRegistrar: {value}\nRegistrar IANA ID: not applicable\n"
                      "Creation Date: 2020-01-01\n", query="shop.zz"))
    assert isinstance(rec, RegistrationRecord)
    assert rec.registrar == name and rec.registrar_iana_id is None


def test_dns_belgium_registrant_not_shown_and_the_registrars_own_contacts() -> None:
    text = ("Domain:\tvoorbeeld.be\nStatus:\tNOT AVAILABLE\nRegistered:\tTue Mar 15 2011\n\nRegistrant:\n"
            "\tNot shown, please visit www.dnsbelgium.be for webbased whois.\n\nRegistrar Technical Contacts:\n"
            "\tOrganisation:\tCombell nv\n\tLanguage:\tnl\n\tPhone:\t+32.92187979\n\tEmail:\tsupport@combell.com\n\n\n"
            "Registrar:\n\tName:\t Combell nv\n\tWebsite: https://www.combell.com\n\nNameservers:\n\tns1.combell.net\n")
    rec = parse(whois(text, query="voorbeeld.be", server="whois.dns.be"))
    assert isinstance(rec, RegistrationRecord)
    assert rec.registrar == "Combell nv"
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.name is None and holder.organization is None
    assert holder.state("name") is FieldState.REDACTED and holder.state("organization") is FieldState.REDACTED
    assert all(c.email != "support@combell.com" for c in rec.contacts)


@pytest.mark.parametrize("line", ["holder:           (not shown)", "registrant:     <data not disclosed>"])
def test_a_contact_reference_that_is_a_redaction_notice_withholds_the_whole_contact(line: str) -> None:
    rec = parse(whois(f"domain: shop.zz\n{line}\nnserver: ns1.shop.zz\ncreated: 2020-01-01\n", query="shop.zz"))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None
    assert all(holder.state(f) is FieldState.REDACTED for f in ("name", "email", "phone", "street", "country"))
    assert holder.location("email") == "line 2"


def test_a_street_line_under_a_postcode_given_on_its_own_is_not_read_as_postcode_and_city() -> None:
    """JPRS gives [Postal code] on its own: "2-21-1 Shibuya", the last address line, is street."""
    text = ("Domain Information:\n[Domain Name]                   EXAMPLE-SHOTEN.JP\n\n"
            "[Created on]                    2010/04/01\n\nContact Information:\n[Name]                          Example Shoten\n"
            "[Postal code]                   150-0002\n[Postal Address]                Tokyo\n"
            "                                Shibuya-ku\n                                2-21-1 Shibuya\n")
    rec = parse(whois(text, query="example-shoten.jp", server="whois.jprs.jp"))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.street == ("Tokyo", "Shibuya-ku", "2-21-1 Shibuya")
    assert holder.postcode == "150-0002" and holder.city is None


def test_jprs_answers_in_japanese() -> None:
    """JPRS answers in Japanese when "/e" is not asked for: the same fields under Japanese labels."""
    text = ("[ JPRS database provides information on network administration. ]\n\nDomain Information: [ドメイン情報]\n"
            "a. [ドメイン名]                 REISHO.CO.JP\ne. [そしきめい]                 れいしょうかぶしきがいしゃ\n"
            "f. [組織名]                     例商株式会社\ng. [Organization]               Reisho K.K.\n"
            "m. [登録担当者]                 TY1234JP\nn. [技術連絡担当者]             KW5678JP\n"
            "p. [ネームサーバ]               ns1.reisho.co.jp\n[状態]                          Connected (2025/03/31)\n"
            "[登録年月日]                    2001/03/22\n[最終更新]                      2024/04/01 01:05:03 (JST)\n")
    rec = parse(whois(text, query="reisho.co.jp", server="whois.jprs.jp"))
    assert isinstance(rec, RegistrationRecord)
    assert rec.created_at == datetime(2001, 3, 21, 15, tzinfo=UTC) and rec.nameservers == ("ns1.reisho.co.jp",)
    assert rec.statuses == ("Connected",)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.organization == "例商株式会社"
    admin, tech = rec.contact(Role.ADMINISTRATIVE), rec.contact(Role.TECHNICAL)
    assert admin is not None and admin.handle == "TY1234JP" and tech is not None and tech.handle == "KW5678JP"


def test_a_redaction_notice_in_place_of_a_handle_is_no_handle() -> None:
    text = ("Domain: shop.dk\nRegistered: 2020-01-01\n\nRegistrant\nHandle: ***N/A***\nName: Anna Jensen\n"
            "Address: Vej 1\nPostalcode: 8000\nCity: Aarhus\nCountry: DK\n")
    rec = parse(whois(text, query="shop.dk"))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.name == "Anna Jensen" and holder.handle is None


@pytest.mark.parametrize(("value", "utc"), [
    ("2014-07-22 15:32:10 CLST", datetime(2014, 7, 22, 18, 32, 10, tzinfo=UTC)),  # NIC Chile, summer time
    ("2014-07-22 15:32:10 CLT", datetime(2014, 7, 22, 19, 32, 10, tzinfo=UTC)),
    ("2020-01-01 10:00 ACDT", datetime(2019, 12, 31, 23, 30, tzinfo=UTC)),
])
def test_zone_abbreviations_registries_print(value: str, utc: datetime) -> None:
    from auditor.parse.dates import parse_date
    assert parse_date(value) == utc


def test_internetstiftelsen_names_the_holder_by_handle_only() -> None:
    text = "state:            active\ndomain:           shop.se\nholder:           shop1234-00001\ncreated:          2008-10-20\n"
    rec = parse(whois(text, query="shop.se", server="whois.iis.se"))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.handle == "shop1234-00001"
    assert holder.state("name") is FieldState.REDACTED and holder.location("name") == "registry policy (iis)"


def test_fields_a_rate_limit_withheld_say_nothing_of_what_the_registry_publishes() -> None:
    """Three answers cut down at a rate limit beside two full ones without emails: the registry's habit
    is learnt from the full ones (no email published), so no email is reported missing."""
    from auditor.engine import PublicationProfile

    full = "domain:      shop{n}.com.br\nowner:       Loja {n} Ltda\nnserver:     a.dns.br\ncreated:     20180101\n"
    reduced = "% Query rate limit exceeded. Reduced information.\n\n" + full
    recs = [parse(whois((reduced if n < 3 else full).format(n=n), query=f"shop{n}.com.br", server="whois.registro.br"))
            for n in range(5)]
    assert all(isinstance(r, RegistrationRecord) for r in recs)
    profile = PublicationProfile(recs)  # type: ignore[arg-type]
    assert profile.publishes(recs[4], "registrant", "email") is False  # type: ignore[arg-type]


def test_icann_format_contact_ids_are_the_contacts_handles() -> None:
    text = ("Domain Name: shop.zz\nCreation Date: 2020-01-01T00:00:00Z\nRegistry Registrant ID: C-SHARED-1\n"
            "Registrant Name: Anna Schmidt\nRegistry Admin ID: REDACTED FOR PRIVACY\nAdmin Name: Bob Jones\n"
            "Registry Tech ID: C-TECH-2\nTech Name: Carla Diaz\n")
    rec = parse(whois(text, query="shop.zz"))
    assert isinstance(rec, RegistrationRecord)
    assert [(c.role, c.handle) for c in rec.contacts] == [
        (Role.REGISTRANT, "C-SHARED-1"), (Role.ADMINISTRATIVE, None), (Role.TECHNICAL, "C-TECH-2")]


def test_auda_registrant_id_is_the_holders_registration_number() -> None:
    text = ("Domain Name: shop.com.au\nRegistrant: Shop Pty Ltd\nRegistrant ID: ABN 33102417032\n"
            "Registrant Contact ID: C-1\nRegistrant Contact Name: Anna Smith\n")
    rec = parse(whois(text, query="shop.com.au", server="whois.auda.org.au"))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.identifier == "ABN 33102417032" and holder.handle == "C-1"


NIC_AT_ORGANISATION = """\
domain:         example-shop.at
registrar:
registrant:     ES1234567-NICAT
tech-c:         HM7654321-NICAT
nserver:        ns1.example-dns.at
changed:        20200427 16:03:40
source:         AT-DOM

personname:
organization:   Example Shop GmbH
street address: Hauptplatz 8
postal code:    5020
city:           Salzburg
country:        Austria
phone:          +43662123456
e-mail:         office@example-shop.at
nic-hdl:        ES1234567-NICAT
changed:        20121116 16:58:21
source:         AT-DOM

personname:     Hostmaster Team
organization:
street address: Ringstrasse 7
postal code:    1010
city:           Wien
country:        Austria
e-mail:         hostmaster@example-dns.at
nic-hdl:        HM7654321-NICAT
source:         AT-DOM
"""


def test_an_empty_field_neither_opens_a_section_nor_hides_the_object_whose_handle_comes_last() -> None:
    """NIC.AT: "registrar:" left empty above "registrant: <handle>" opened a registrar section that took the
    reference; an organisation's object opens with "personname:" left empty, and its handle comes last."""
    record = registration(NIC_AT_ORGANISATION, "example-shop.at", "whois.nic.at")
    assert record.registrar is None
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and holder.handle == "ES1234567-NICAT"
    assert (holder.organization, holder.email, holder.city, holder.postcode, holder.country) == (
        "Example Shop GmbH", "office@example-shop.at", "Salzburg", "5020", "AT")
    tech = record.contact(Role.TECHNICAL)
    assert tech is not None and (tech.name, tech.city) == ("Hostmaster Team", "Wien")


ISOC_IL_STYLE = """\
query:        example-shop.co.il

reg-name:     example-shop
domain:       example-shop.co.il

descr:        Example Holdings ltd.
descr:        POB 1234
descr:        kiryat ono
descr:        5512203
descr:        Israel
phone:        +972 52 3444778
e-mail:       office AT example-shop.co.il
admin-c:      DT-DA1-IL
nserver:      ns1.example-dns.co.il
status:       Transfer Locked

person:       Domain Admin
address      Example Holdings ltd.
phone:        +972 52 3444778
e-mail:       office AT example-shop.co.il
nic-hdl:      DT-DA1-IL
"""

ISNIC_STYLE = """\
domain:       example-shop.is
descr:        Example Shop ehf
descr:        Laugavegur 12
descr:        101 Reykjavik
descr:        IS
e-mail:       dns@example-shop.is
admin-c:      ES58-IS
nserver:      ns1.example-dns.is
created:      May 22 2002
source:       ISNIC

role:         Example Shop Hostmaster
address:      Laugavegur 12
e-mail:       hostmaster@example-shop.is
nic-hdl:      ES58-IS
source:       ISNIC
"""


@pytest.mark.parametrize(("text", "server", "query", "name", "email", "phone", "country"), [
    (ISOC_IL_STYLE, "whois.isoc.org.il", "example-shop.co.il", "Example Holdings ltd.", "office@example-shop.co.il",
     "+972 52 3444778", "IL"),
    (ISNIC_STYLE, "whois.isnic.is", "example-shop.is", "Example Shop ehf", "dns@example-shop.is", None, "IS"),
])
def test_the_holder_written_into_a_ripe_style_domain_object(text: str, server: str, query: str, name: str, email: str,
                                                            phone: str | None, country: str) -> None:
    """ISNIC, ISOC-IL (and the old DNS.hr) write the holder into the domain object: "descr:" lines, then the
    object's own "e-mail:" and "phone:"; ISOC-IL spells the "@" out. The contacts' objects stay theirs."""
    record = registration(text, query, server)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    assert (holder.name, holder.email, holder.phone, holder.country) == (name, email, phone, country)
    admin = record.contact(Role.ADMINISTRATIVE)
    assert admin is not None and admin.name != name


def test_a_descr_line_of_a_contacts_object_is_not_a_holder() -> None:
    text = "domain: example-shop.zz\nadmin-c: AB1-ZZ\n\nperson: Anna Schmidt\ndescr: Hostmaster\nnic-hdl: AB1-ZZ\n"
    record = registration(text, "example-shop.zz")
    assert record.contact(Role.REGISTRANT) is None


@pytest.mark.parametrize(("text", "server", "shown", "withheld"), [
    # .IE: the holder's name only; the contacts by handle
    ("Domain: example-shop.ie\nDomain Holder: Example Shop Limited\nAdmin-c: AB1-IEDR\nAccount Name: Blacknight\n"
     "Registration Date: 19-March-1999\n", "whois.weare.ie", {"name": "Example Shop Limited"},
     {"email", "phone", "street", "city", "postcode", "country"}),
    # DNS-LU: the holder's country, the rest on its web gateway
    ("domainname: example-shop.lu\ndomaintype: ACTIVE\nownertype: ORGANISATION\norg-country: LU\n"
     "registrar-name: Fondation Restena\n", "whois.dns.lu", {"country": "LU"}, {"name", "organization", "email", "street"}),
    # CZ.NIC: a contact's email and phone only where its holder disclosed them
    ("domain: example-shop.cz\nregistrant: ES-1\nregistrar: REG-EXAMPLE\nregistered: 21.07.2000 15:21:00\n\n"
     "contact: ES-1\norg: Example Shop s.r.o.\naddress: Ulice 1\naddress: Praha 1\naddress: 11000\naddress: CZ\n",
     "whois.nic.cz", {"organization": "Example Shop s.r.o.", "city": "Praha 1"}, {"email", "phone"}),
    # Norid: no holder at all
    ("Domain Information\n\nNORID Handle...............: EXA1D-NORID\nDomain Name................: example-shop.no\n"
     "Registrar Handle...........: REG466-NORID\n\nAdditional information:\nCreated:         2001-02-26\n",
     "whois.norid.no", {}, {"name", "organization", "email", "phone", "street"}),
])
def test_fields_a_registry_never_publishes_on_port_43_are_redacted(text: str, server: str, shown: dict[str, str],
                                                                    withheld: set[str]) -> None:
    record = registration(text, "", server)
    assert record.registrar
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    assert {f: holder.value(f) for f in shown} == shown
    assert {f: holder.state(f) for f in withheld} == dict.fromkeys(withheld, FieldState.REDACTED)
    assert all(holder.location(f) and "registry policy" in holder.location(f) for f in withheld)


def test_a_profile_names_only_roles_and_contact_fields() -> None:
    from auditor.parse.registry import _profile

    with pytest.raises(ValueError, match="not a contact field"):
        _profile("x", {"withheld_fields": {"registrant": ["mail"]}})
    with pytest.raises(ValueError, match="not a role"):
        _profile("x", {"withheld_fields": {"holder": ["email"]}})


def test_a_closing_sentence_under_an_empty_status_header_is_no_status() -> None:
    text = ("Domain:\texample-shop.be\nStatus:\tNOT AVAILABLE\nRegistered:\tWed Apr 1 1998\n\nNameservers:\n"
            "\tns1.example-dns.be\n\nKeys:\n\nFlags:\n\nPlease visit www.dns.be for more info.\n")
    record = registration(text, "example-shop.be", "whois.dns.be")
    assert record.statuses == ("NOT AVAILABLE",)


def test_an_afnic_contact_that_chose_anonymity_withholds_every_field_it_does_not_show() -> None:
    text = ("domain: example-shop.fr\nstatus: ACTIVE\nholder-c: ANO00-FRNIC\nadmin-c: ANO00-FRNIC\n"
            "nserver: ns1.example-dns.fr\ncreated: 2014-12-22T00:00:00Z\nsource: FRNIC\n\n"
            "nic-hdl: ANO00-FRNIC\ntype: PERSON\ncontact: Ano Nymous\nregistrar: KIFCORP\nanonymous: YES\n"
            "remarks: this person chose to restrict access to his/her personal data\nsource: FRNIC\n")
    record = registration(text, "example-shop.fr", "whois.nic.fr")
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and holder.handle == "ANO00-FRNIC"
    for field in ("name", "email", "phone", "street", "city", "postcode", "country"):
        assert holder.state(field) is FieldState.REDACTED, field
    assert holder.location("email") == "line 13"


def test_withheld_fields_make_up_no_contact_the_answer_does_not_name() -> None:
    text = "domain: example-shop.cz\nregistrar: REG-EXAMPLE\nregistered: 21.07.2000 15:21:00\nnserver: ns1.example-dns.cz\n"
    record = registration(text, "example-shop.cz", "whois.nic.cz")
    assert record.contacts == ()


def test_dk_hostmasters_administrator_block_is_the_administrative_contact() -> None:
    text = ("Domain:               example-shop.dk\nDNS:                  example-shop.dk\nRegistered:           1999-01-10\n"
            "Status:               Active\n\nRegistrant\nHandle:               ES1-DK\nName:                 Example Shop ApS\n"
            "Address:              Vestergade 1\nPostalcode:           1456\nCity:                 København K\n"
            "Country:              DK\nPhone:                +4533123456\n\nAdministrator\nHandle:               AB2-DK\n"
            "Name:                 Anne Berg\nAddress:              Vestergade 1\nPostalcode:           1456\n"
            "City:                 København K\nCountry:              DK\n\nNameservers\nHostname:             ns1.example-dns.dk\n")
    record = registration(text, "example-shop.dk", "whois.punktum.dk")
    admin = record.contact(Role.ADMINISTRATIVE)
    assert admin is not None and (admin.handle, admin.name, admin.postcode) == ("AB2-DK", "Anne Berg", "1456")
    assert admin.state("email") is FieldState.REDACTED
    assert record.contact(Role.REGISTRANT).name == "Example Shop ApS"  # type: ignore[union-attr]


def test_jprs_state_of_a_co_jp_domain_gives_its_expiry() -> None:
    text = ("Domain Information:\na. [Domain Name]                EXAMPLE-SHOP.CO.JP\n"
            "g. [Organization]               Example Shop K.K.\np. [Name Server]                ns1.example-dns.jp\n"
            "[State]                         Connected (2019/03/31)\n[Registered Date]               2001/03/22\n")
    record = registration(text, "example-shop.co.jp", "whois.jprs.jp")
    assert record.expires_at == datetime(2019, 3, 30, 15, tzinfo=UTC)  # 31 March in Japan
    assert record.statuses == ("Connected",)


def test_two_addresses_in_one_email_field_give_the_first() -> None:
    text = ("Domain: example-shop.pt\nCreation Date: 30/07/1998 00:00:00\nOwner Name: Example Shop Lda\n"
            "Owner Email: geral@example-shop.pt,secretariado@example-shop.pt\nName Server: ns1.example-dns.pt\n")
    record = registration(text, "example-shop.pt", "whois.dns.pt")
    assert record.contact(Role.REGISTRANT).email == "geral@example-shop.pt"  # type: ignore[union-attr]


def test_a_country_under_a_withholding_notice_is_the_holders_country_not_its_name() -> None:
    text = ("Domain Name: example-shop.tw\n   Registrant:\n\n      Not displayed due to GDPR\n      FR\n\n"
            "   Record expires on 2020-05-23 (YYYY-MM-DD)\n   Record created on 2008-05-23 (YYYY-MM-DD)\n"
            "   Registration Service Provider: GANDI SAS\n")
    record = registration(text, "example-shop.tw", "whois.twnic.net.tw")
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and holder.name is None and holder.country == "FR"
    assert holder.state("country") is FieldState.PRESENT and holder.state("name") is FieldState.REDACTED


def test_trabis_free_form_holder_with_an_empty_fax_line_keeps_its_country() -> None:
    text = ("** Domain Name: example-shop.com.tr\n\n** Registrant:\n   Example Shop A.S.\n   Kaktus Sk. 18\n   Beykoz\n"
            "   Istanbul,\n     Türkiye\n   info@example-shop.com.tr\n   + 90-216-2222500-\n   + \n\n"
            "** Additional Info:\nCreated on..............: 2001-Aug-23.\nExpires on..............: 2030-Aug-22.\n")
    record = registration(text, "example-shop.com.tr", "whois.trabis.gov.tr")
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and holder.country == "TR" and holder.street[-1] == "Istanbul"
    assert (holder.phone, holder.fax) == ("+ 90-216-2222500-", None)


def test_a_single_descr_line_describes_the_domain_and_names_no_holder() -> None:
    text = "domain:      example-shop.in.ua\ndescr:       example-shop.in.ua\nadmin-c:     AB1-UANIC\nnserver:     ns1.example-dns.ua\n"
    record = registration(text, "example-shop.in.ua", "whois.in.ua")
    assert record.contact(Role.REGISTRANT) is None


def test_the_older_iedr_answer_names_the_holder_in_its_first_descr_line() -> None:
    text = ("domain:       example-shop.ie\ndescr:        Example Shop Limited\ndescr:        Body Corporate (Ltd,PLC,Company)\n"
            "descr:        Registered Business Name\nadmin-c:      AB1-IEDR\nregistration: 21-March-2002\n"
            "holder-type:  Billable\nnserver:      ns1.example-dns.ie\nsource:       IEDR\n")
    record = registration(text, "example-shop.ie", "whois.iedr.ie")
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and holder.name == "Example Shop Limited" and holder.kind is None
    assert holder.state("email") is FieldState.REDACTED


def test_a_state_code_in_a_withheld_holders_address_is_no_country() -> None:
    """(review: the first two-letter code under a withholding notice was taken for the country: "CA" for Canada)"""
    text = ("Domain Name: example-shop.zz\nCreation Date: 2020-01-01T00:00:00Z\nRegistrant:\n   REDACTED FOR PRIVACY\n"
            "   1600 Amphitheatre Pkwy\n   Mountain View\n   CA\n   94043\n   US\n")
    holder = parse(whois(text, "example-shop.zz")).contact(Role.REGISTRANT)  # type: ignore[union-attr]
    assert holder is not None and holder.country == "US"


def test_a_registrars_descr_lines_are_not_the_holder() -> None:
    text = ("domain:   example-shop.zz\nadmin-c:  AB1-ZZ\nnserver:  ns1.example-dns.zz\n\nregistrar: REG-1\n"
            "descr:    Example Registrar Ltd\ndescr:    1 Registrar Road\ne-mail:   support@registrar.zz\n")
    record = registration(text, "example-shop.zz")
    assert record.contact(Role.REGISTRANT) is None


def test_a_jprs_state_other_than_connected_gives_no_expiry() -> None:
    text = ("Domain Information:\na. [Domain Name]                EXAMPLE-SHOP.CO.JP\n"
            "p. [Name Server]                ns1.example-dns.jp\n[State]                         Deleted (2019/03/31)\n"
            "[Registered Date]               2001/03/22\n")
    record = registration(text, "example-shop.co.jp", "whois.jprs.jp")
    assert record.expires_at is None


def test_an_address_line_na_followed_by_more_address_lines_stays() -> None:
    """Hostmaster.ua's "address: n/a" is replaced by its "address-loc:" twin; a repeated "address:" is another line
    (red-team: "address: N/A / address: 28013 Madrid" lost its placeholder line, and INC003 said "no city")."""
    text = ("domain: example-shop.zz\nholder-c: MF1-ZZ\nnserver: ns1.example-dns.zz\n\nperson: María Fernández\n"
            "address: N/A\naddress: 28013 Madrid\ncountry: ES\ne-mail: maria@example-shop.zz\nnic-hdl: MF1-ZZ\n")
    holder = parse(whois(text, "example-shop.zz")).contact(Role.REGISTRANT)  # type: ignore[union-attr]
    assert holder is not None and holder.street == ("N/A",) and (holder.city, holder.postcode) == ("Madrid", "28013")


@pytest.mark.parametrize(("value", "marker"), [
    ("REDACTED POSTAL CODE", True), ("REDACTED PHONE", True), ("Redacted Registrant Email", True),
    ("GDPR Masked GDPR Masked", True), ("Redacted Street Cafe", False), ("Hans Hans", False),
])
def test_a_redaction_word_with_the_field_it_stands_in_for_or_written_twice_is_a_marker(value: str, marker: bool) -> None:
    """(red-team: "REDACTED POSTAL CODE" raised UNV004, "REDACTED PHONE" FAL003, "GDPR Masked GDPR Masked" on a
    masked "postcode city" line INC003)"""
    from auditor.parse.markers import is_redaction_marker

    assert is_redaction_marker(value) is marker


@pytest.mark.parametrize(("lines", "country", "street", "city", "postcode", "region"), [
    # (second review) an unknown country kept the last line out of the address altogether
    (["Hauptstraße 5", "10115 Berlin"], "REDACTED FOR PRIVACY", ["Hauptstraße 5"], "Berlin", "10115", None),
    (["10 Anson Road", "Singapore"], "SG", ["10 Anson Road", "Singapore"], None, None, None),  # a city-state's city
    # a US street line under a unit line is no "postcode city" (US postcodes come after the city)
    (["Suite 500", "1000 Broadway"], "US", ["Suite 500", "1000 Broadway"], None, None, None),
    (["1 Main St", "Boston, MA 02110 USA"], "US", ["1 Main St"], "Boston", "02110", "MA"),  # the country after it
    (["1 MG Rd", "Mumbai, Maharashtra 400 001"], "IN", ["1 MG Rd", "Mumbai, Maharashtra 400 001"], None, None, None),
    (["Av Juarez 1", "06600 Ciudad de Mexico MEX"], "MX", ["Av Juarez 1"], "Ciudad de Mexico MEX", "06600", None),
])
def test_address_lines_with_a_given_country(lines: list[str], country: str, street: list[str], city: str | None,
                                            postcode: str | None, region: str | None) -> None:
    from auditor.parse.contact import peel_address_lines

    peeled = peel_address_lines(lines, country)
    assert (peeled.street, peeled.city, peeled.postcode, peeled.region) == (street, city, postcode, region)
