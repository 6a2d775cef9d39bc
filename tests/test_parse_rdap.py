"""RDAP: jCard per role, events, RFC 9537 redactions, error responses, hostile JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from auditor.evidence import excerpt
from auditor.parse import parse
from auditor.records import FieldState, NoRegistration, ParseFailure, RawRecord, RegistrationRecord, ResponseStatus, Role, Source
from tests.conftest import FIXTURES, PEER_FIXTURES

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def rdap(doc: Any) -> RawRecord:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return RawRecord(Source.RDAP, "rdap.nic.zz", "x.zz", body, NOW)


def vcard(*props: list[Any]) -> list[Any]:
    return ["vcard", [["version", {}, "text", "4.0"], *props]]


DOC = {
    "objectClassName": "domain",
    "ldhName": "Example-Shop.ZZ",
    "status": ["active", "client transfer prohibited"],
    "events": [{"eventAction": "registration", "eventDate": "2019-05-06T07:08:09Z"},
               {"eventAction": "expiration", "eventDate": "2027-05-06T07:08:09+02:00"}],
    "nameservers": [{"objectClassName": "nameserver", "ldhName": "NS1.DNS-ZZ.ZZ"}],
    "entities": [
        {"objectClassName": "entity", "roles": ["registrar"], "publicIds": [{"type": "IANA Registrar ID", "identifier": "9001"}],
         "vcardArray": vcard(["fn", {}, "text", "Alpha Registrar GmbH"])},
        {"objectClassName": "entity", "roles": ["registrant"], "handle": "R-1",
         "vcardArray": vcard(["fn", {}, "text", "Anna Schmidt"], ["org", {}, "text", "Schmidt GmbH"],
                             ["adr", {"cc": "DE"}, "text", ["", "", "Invalidenstraße 12", "Berlin", "", "10115", "Germany"]],
                             ["tel", {"type": ["voice"]}, "uri", "tel:+49.3012345678"],
                             ["tel", {"type": "fax"}, "uri", "tel:+49.3012345679"],
                             ["email", {}, "text", "Anna@Example-Shop.zz"])},
        {"objectClassName": "entity", "roles": ["technical", "administrative"],
         "vcardArray": vcard(["fn", {}, "text", "Hostmaster"], ["email", {}, "text", "hostmaster@alpha.zz"])},
    ],
}


def test_rdap_domain_object() -> None:
    rec = parse(rdap(DOC))
    assert isinstance(rec, RegistrationRecord)
    assert rec.domain == "example-shop.zz"
    assert rec.registrar == "Alpha Registrar GmbH" and rec.registrar_iana_id == "9001"
    assert rec.created_at == datetime(2019, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert rec.expires_at == datetime(2027, 5, 6, 5, 8, 9, tzinfo=UTC)
    assert rec.nameservers == ("ns1.dns-zz.zz",)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None
    assert (holder.name, holder.organization, holder.city, holder.postcode) == ("Anna Schmidt", "Schmidt GmbH", "Berlin", "10115")
    assert holder.street == ("Invalidenstraße 12",)
    assert holder.country == "DE" and holder.phone == "+49.3012345678" and holder.fax == "+49.3012345679"
    assert holder.email == "anna@example-shop.zz"
    assert holder.location("email") == "$.entities[1].vcardArray[1][6]"
    # one entity with two roles gives both contacts
    assert rec.contact(Role.TECHNICAL) is not None and rec.contact(Role.ADMINISTRATIVE) is not None


def test_contacts_nested_under_the_registrar_are_the_registrars_not_the_domains() -> None:
    """The ICANN profile nests the registrar's abuse contact in its entity; some servers nest a NOC with
    role "technical" there too. It must not stand in for the domain's technical contact, which may come
    later in the document."""
    noc = {"objectClassName": "entity", "roles": ["technical"],
           "vcardArray": vcard(["fn", {}, "text", "Registrar NOC"], ["email", {}, "text", "noc@registrar.zz"])}
    own = {"objectClassName": "entity", "roles": ["technical"],
           "vcardArray": vcard(["fn", {}, "text", "Tom Tech"], ["email", {}, "text", "tom@example-shop.zz"])}
    registrar = {**DOC["entities"][0], "entities": [noc]}  # type: ignore[index]
    holder = DOC["entities"][1]  # type: ignore[index]
    with_own = parse(rdap({**DOC, "entities": [registrar, holder, own]}))
    assert isinstance(with_own, RegistrationRecord) and with_own.registrar == "Alpha Registrar GmbH"
    assert with_own.contact(Role.TECHNICAL).name == "Tom Tech"  # type: ignore[union-attr]
    without_own = parse(rdap({**DOC, "entities": [registrar, holder]}))
    assert isinstance(without_own, RegistrationRecord) and without_own.contact(Role.TECHNICAL) is None


def test_an_address_given_only_as_its_label_is_split_where_it_can_be() -> None:
    """jCard allows the structured value to be empty and the label to carry the address."""
    adr = ["adr", {"label": "Hauptstr. 5\n10115 Berlin\nGermany"}, "text", ["", "", "", "", "", "", ""]]
    holder = {"objectClassName": "entity", "roles": ["registrant"], "vcardArray": vcard(["fn", {}, "text", "Anna"], adr)}
    record = parse(rdap({**DOC, "entities": [DOC["entities"][0], holder]}))  # type: ignore[index]
    assert isinstance(record, RegistrationRecord)
    contact = record.contact(Role.REGISTRANT)
    assert contact is not None and (contact.street, contact.postcode, contact.city, contact.country) == (
        ("Hauptstr. 5",), "10115", "Berlin", "DE")
    british = ["adr", {"cc": "GB", "label": "Flat 2\n221B Baker Street\nLondon NW1 6XE"}, "text", [""] * 7]
    holder["vcardArray"] = vcard(["fn", {}, "text", "Anna"], british)
    record = parse(rdap({**DOC, "entities": [DOC["entities"][0], holder]}))  # type: ignore[index]
    contact = record.contact(Role.REGISTRANT)  # type: ignore[union-attr]
    assert contact is not None and (contact.street, contact.city, contact.postcode, contact.country) == (
        ("Flat 2", "221B Baker Street"), "London", "NW1 6XE", "GB")  # read with the cc parameter's format
    australian = ["adr", {"cc": "AU", "label": "Unit 5\n3A Ocean Drive"}, "text", [""] * 7]
    holder["vcardArray"] = vcard(["fn", {}, "text", "Anna"], australian)
    contact = parse(rdap({**DOC, "entities": [DOC["entities"][0], holder]})).contact(Role.REGISTRANT)  # type: ignore[index,union-attr]
    assert contact is not None and contact.street == ("Unit 5", "3A Ocean Drive") and contact.postcode is None
    unsplittable = ["adr", {"label": "1 Main Street\nSpringfield"}, "text", ["", "", "", "", "", "", ""]]
    holder["vcardArray"] = vcard(["fn", {}, "text", "Anna"], unsplittable)
    record = parse(rdap({**DOC, "entities": [DOC["entities"][0], holder]}))  # type: ignore[index]
    contact = record.contact(Role.REGISTRANT)  # type: ignore[union-attr]
    assert contact is not None and contact.street == ("1 Main Street", "Springfield") and contact.city is None


def test_emptied_address_parts_under_a_redaction_notice_are_redacted_not_missing() -> None:
    """As "fn" is: the ICANN temporary specification's pattern keeps the state and country and empties
    the rest."""
    adr = ["adr", {}, "text", ["", "", "", "", "Oost-Vlaanderen", "", "BE"]]
    holder = {"objectClassName": "entity", "roles": ["registrant"],
              "vcardArray": vcard(["fn", {}, "text", ""], ["org", {}, "text", "Kreos BV"], adr)}
    notice = {"title": "REDACTED FOR PRIVACY", "description": ["Some of the data has been redacted."]}
    record = parse(rdap({**DOC, "entities": [DOC["entities"][0], holder], "notices": [notice]}))  # type: ignore[index]
    contact = record.contact(Role.REGISTRANT)  # type: ignore[union-attr]
    assert contact is not None and {"name", "street", "city", "postcode"} <= contact.redacted
    assert "region" not in contact.redacted and contact.region == "Oost-Vlaanderen"
    silent = parse(rdap({**DOC, "entities": [DOC["entities"][0], holder]}))  # type: ignore[index]
    contact = silent.contact(Role.REGISTRANT)  # type: ignore[union-attr]
    assert contact is not None and not contact.redacted  # nothing says it redacts: missing


def test_rfc9537_redactions_and_empty_values() -> None:
    doc = json.loads(json.dumps(DOC))
    doc["rdapConformance"] = ["rdap_level_0", "redacted"]
    registrant = doc["entities"][1]
    registrant["vcardArray"] = vcard(["fn", {}, "text", ""], ["adr", {"cc": "DE"}, "text", ["", "", "", "", "", "", ""]])
    doc["redacted"] = [
        {"name": {"type": "Registrant Name"}, "postPath": "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='fn')][3]",
         "method": "emptyValue"},
        {"name": {"type": "Registrant Email"}, "prePath": "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='email')]",
         "method": "removal"},
        {"name": {"type": "Registrant Phone"}, "method": "removal"},
        {"name": {"description": "Billing Contact"}, "method": "removal"},
    ]
    rec = parse(rdap(doc))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None
    for field in ("name", "email", "phone"):
        assert holder.state(field) is FieldState.REDACTED, field
    assert holder.state("organization") is FieldState.MISSING
    assert holder.location("email") == "$.redacted[1]"
    billing = rec.contact(Role.BILLING)
    assert billing is not None and billing.state("email") is FieldState.REDACTED


def _holder_with_empties(conformance: list[str] | None, redacted: list[dict[str, Any]] | None) -> Any:
    doc = json.loads(json.dumps(DOC))
    if conformance is not None:
        doc["rdapConformance"] = conformance
    if redacted is not None:
        doc["redacted"] = redacted
    doc["entities"][1]["vcardArray"] = vcard(["fn", {}, "text", ""], ["email", {}, "text", ""],
                                             ["adr", {"cc": "DE"}, "text", ["", "", "", "München", "", "80331", ""]])
    rec = parse(rdap(doc))
    assert isinstance(rec, RegistrationRecord)
    return rec.contact(Role.REGISTRANT)


def test_a_server_that_lists_its_redactions_leaves_other_empty_fields_missing() -> None:
    """RFC 9537: the `redacted` member must be there when a field is redacted. A server that lists its
    redactions (or declares RFC 9537 and lists none) has said what it redacted; another emptied field
    is missing, an incompleteness the rules report."""
    name_only = [{"name": {"type": "Registrant Name"}, "method": "emptyValue",
                  "postPath": "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='fn')][3]"},
                 {"name": {"type": "Registry Registrant ID"}, "method": "removal"}]  # an id: not contact data
    holder = _holder_with_empties(["rdap_level_0", "redacted"], name_only)
    assert holder.state("name") is FieldState.REDACTED
    assert (holder.state("email"), holder.state("street")) == (FieldState.MISSING, FieldState.MISSING)
    holder = _holder_with_empties(["rdap_level_0", "redacted"], None)
    assert holder.state("name") is FieldState.MISSING and holder.state("email") is FieldState.MISSING
    # a member about the holder that is not understood here may be any emptied field's: redacted
    unread = [*name_only, {"name": {"description": "Registrant Electronic Mailbox"}, "method": "emptyValue"}]
    holder = _holder_with_empties(["rdap_level_0", "redacted"], unread)
    assert holder.state("email") is FieldState.REDACTED and holder.state("street") is FieldState.REDACTED
    # before RFC 9537: a notice saying personal data is withheld covers every emptied field
    notice = json.loads(json.dumps(DOC))
    notice["notices"] = [{"title": "REDACTED FOR PRIVACY", "description": ["Personal data is not disclosed."]}]
    notice["entities"][1]["vcardArray"] = vcard(["fn", {}, "text", ""], ["email", {}, "text", ""])
    holder = parse(rdap(notice)).contact(Role.REGISTRANT)  # type: ignore[union-attr]
    assert holder.state("name") is FieldState.REDACTED and holder.state("email") is FieldState.REDACTED
    # the city and postcode given stay given
    assert _holder_with_empties(None, None).city == "München"


def test_empty_value_without_any_redaction_signal_is_missing() -> None:
    doc = json.loads(json.dumps(DOC))
    doc["entities"][1]["vcardArray"] = vcard(["fn", {}, "text", ""], ["email", {}, "text", "a@b.zz"])
    rec = parse(rdap(doc))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None and holder.state("name") is FieldState.MISSING


def test_icann_real_world_redaction_sample() -> None:
    path = PEER_FIXTURES / "icann-rdap-conformance-tool/validators/profile/response_validations/vcard/icann_org_real_world.json"
    if not path.exists():
        pytest.skip("../shared/peer-fixtures is not present")
    doc = json.loads(path.read_text())
    doc.update(objectClassName="domain", ldhName="icann.org")
    rec = parse(rdap(doc))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None
    assert {"name", "email", "phone", "street", "city", "postcode"} <= holder.redacted
    assert holder.organization == "Internet Corporation for Assigned Names and Numbers"
    admin = rec.contact(Role.ADMINISTRATIVE)
    assert admin is not None and admin.state("email") is FieldState.REDACTED  # "Administrative Contact" removed


@pytest.mark.parametrize(
    ("body", "status"),
    [({"errorCode": 404, "title": "Not Found"}, ResponseStatus.AVAILABLE),
     ({"errorCode": 429, "title": "Too Many Requests"}, ResponseStatus.THROTTLED)],
)
def test_error_responses(body: dict[str, Any], status: ResponseStatus) -> None:
    outcome = parse(rdap(body))
    assert isinstance(outcome, NoRegistration) and outcome.status is status


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"objectClassName": "domain", "ldhName": "trunc', "not JSON"),
        (b"<html>502</html>", "not JSON"),
        (b"", "empty"),
        ('{"objectClassName": "domain", "ldhName": "x.zz", "remarks": ["Zürich"]}'.encode("latin-1"), "not UTF-8"),
        (b"[" * 5000 + b"]" * 5000, "deep"),
        (b'{"objectClassName": "entity"}', "expected 'domain'"),
        (b'[1, 2, 3]', "not an RDAP object"),
        (b" " * 9_000_000, "empty"),
        (b'{"objectClassName":"domain","ldhName":"x.zz","pad":"' + b"a" * 9_000_000 + b'"}', "too large"),
    ],
)
def test_hostile_json_becomes_a_failure(body: bytes, reason: str) -> None:
    outcome = parse(rdap(body))
    assert isinstance(outcome, ParseFailure)
    assert reason in outcome.reason


def test_every_demo_rdap_file_parses() -> None:
    for path in sorted((FIXTURES / "demo" / "rdap").glob("*.json")):
        outcome = parse(RawRecord(Source.RDAP, "file", path.stem, path.read_bytes(), NOW))
        assert isinstance(outcome, RegistrationRecord), (path, outcome)


def _icann_documents() -> list:  # type: ignore[type-arg]
    root = PEER_FIXTURES / "icann-rdap-conformance-tool" / "validators"
    return sorted(root.rglob("*.json")) if root.exists() else []


def test_icann_conformance_documents_never_break_the_parser() -> None:
    docs = _icann_documents()
    if not docs:
        pytest.skip("../shared/peer-fixtures is not present")
    domains = 0
    for path in docs:
        outcome = parse(RawRecord(Source.RDAP, "rdap.zz", "", path.read_bytes(), NOW))
        if isinstance(outcome, ParseFailure):
            assert not outcome.reason.startswith("parser error"), (path, outcome.reason)
        data = json.loads(path.read_text("utf-8") or "null")
        if isinstance(data, dict) and data.get("objectClassName") == "domain" and data.get("ldhName"):
            assert isinstance(outcome, RegistrationRecord), path
            domains += 1
    assert domains >= 8


def test_icann_rfc9537_redaction_of_a_technical_email() -> None:
    path = (PEER_FIXTURES / "icann-rdap-conformance-tool" / "validators" / "profile" / "response_validations" / "vcard"
            / "valid_tech_email_redaction.json")
    if not path.exists():
        pytest.skip("../shared/peer-fixtures is not present")
    rec = parse(RawRecord(Source.RDAP, "rdap.zz", "", path.read_bytes(), NOW))
    assert isinstance(rec, RegistrationRecord)
    tech = rec.contact(Role.TECHNICAL)
    assert tech is not None and tech.state("email") is FieldState.REDACTED


def test_a_partial_value_is_redacted_not_the_holders_data() -> None:
    """RFC 9537 "Partial Value": "J. S." and "+1.416555XXXX" are what is left of the name and phone."""
    doc = json.loads(json.dumps(DOC))
    doc["rdapConformance"] = ["rdap_level_0", "redacted"]
    doc["entities"][1]["vcardArray"] = vcard(["fn", {}, "text", "J. S."], ["org", {}, "text", "Schmidt GmbH"],
                                             ["tel", {"type": "voice"}, "uri", "tel:+1.416555XXXX"],
                                             ["email", {}, "text", "anna@example-shop.zz"])
    doc["redacted"] = [
        {"name": {"type": "Registrant Name"}, "method": "partialValue",
         "path": "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='fn')][3]"},
        {"name": {"description": "Registrant Phone"}, "method": "partialValue",
         "path": "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='tel')][3]"},
        {"name": {"type": "Registrant Email"}, "method": "replacementValue",
         "path": "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='email')][3]"},
    ]
    rec = parse(rdap(doc))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None
    assert holder.state("name") is FieldState.REDACTED and holder.name is None
    assert holder.state("phone") is FieldState.REDACTED and holder.phone is None
    assert holder.location("name") == "$.entities[1].vcardArray[1][1]"  # where the part shown stands
    assert holder.organization == "Schmidt GmbH"
    assert holder.email == "anna@example-shop.zz"  # a replacement is an address the holder is reached at


def test_language_alternatives_of_an_address_give_one_address() -> None:
    """Two `adr` sharing an `altid` are one address in two languages (RFC 6350): one is read, the preferred."""
    doc = json.loads(json.dumps(DOC))
    doc["entities"][1]["vcardArray"] = vcard(
        ["fn", {}, "text", "山田 太郎"],
        ["adr", {"altid": "1", "language": "en", "pref": "2"}, "text",
         ["", "", "1-1 Chiyoda", "Chiyoda-ku", "Tokyo", "100-0001", "Japan"]],
        ["adr", {"altid": "1", "language": "ja", "pref": "1"}, "text",
         ["", "", "千代田1-1", "千代田区", "東京都", "100-0001", "日本"]],
        ["adr", {"type": "home"}, "text", ["", "", "Other Street 9", "Osaka", "", "530-0001", "JP"]])
    rec = parse(rdap(doc))
    assert isinstance(rec, RegistrationRecord)
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None
    assert holder.street == ("千代田1-1",) and holder.city == "千代田区" and holder.country == "JP"


def test_a_contact_given_as_a_jscontact_card() -> None:
    """RFC 9553 JSContact in an entity's "jscard" member (the RDAP JSContact extension), with no jCard."""
    doc = json.loads(json.dumps(DOC))
    doc["rdapConformance"] = ["rdap_level_0", "jscard_0"]
    doc["entities"][0] = {"objectClassName": "entity", "roles": ["registrar"],
                          "jscard": {"@type": "Card", "version": "1.0", "name": {"full": "Alpha Registrar GmbH"}}}
    doc["entities"][1] = {"objectClassName": "entity", "roles": ["registrant"], "handle": "JS-1", "jscard": {
        "@type": "Card", "version": "1.0", "kind": "individual",
        "name": {"components": [{"kind": "given", "value": "Marie"}, {"kind": "surname", "value": "Tremblay"}]},
        "organizations": {"o-1": {"name": "Boutique Tremblay Inc."}},
        "emails": {"work": {"address": "marie@boutique.zz", "pref": 2}, "home": {"address": "m@home.zz", "pref": 1}},
        "phones": {"v": {"features": {"voice": True}, "number": "tel:+1-514-555-0142"},
                   "f": {"features": {"fax": True}, "number": "tel:+1-514-555-0143"}},
        "addresses": {"a": {"components": [{"kind": "number", "value": "4321"}, {"kind": "name", "value": "Rue Saint-Denis"},
                                           {"kind": "separator", "value": "\n"}, {"kind": "apartment", "value": "App. 2"},
                                           {"kind": "locality", "value": "Montréal"}, {"kind": "region", "value": "QC"},
                                           {"kind": "postcode", "value": "H2J 2L6"}], "countryCode": "CA"}}}}
    rec = parse(rdap(doc))
    assert isinstance(rec, RegistrationRecord) and rec.registrar == "Alpha Registrar GmbH"
    holder = rec.contact(Role.REGISTRANT)
    assert holder is not None
    assert (holder.name, holder.organization, holder.email) == ("Marie Tremblay", "Boutique Tremblay Inc.", "m@home.zz")
    assert (holder.phone, holder.fax) == ("+1-514-555-0142", "+1-514-555-0143")
    assert holder.street == ("4321 Rue Saint-Denis", "App. 2")
    assert (holder.city, holder.region, holder.postcode, holder.country) == ("Montréal", "QC", "H2J 2L6", "CA")
    assert holder.location("organization") == "$.entities[1].jscard.organizations['o-1'].name"
    raw = rdap(doc)
    assert excerpt(raw, holder.location("email")) == '"m@home.zz"'


def _with_registrant(entity: dict[str, Any], **doc: Any) -> RegistrationRecord:
    body = {**json.loads(json.dumps(DOC)), **doc}
    body["entities"] = [body["entities"][0], {"objectClassName": "entity", **entity}]
    record = parse(rdap(body))
    assert isinstance(record, RegistrationRecord)
    return record


def test_an_entitys_own_redaction_remarks_withhold_what_it_does_not_show() -> None:
    """ICANN's 2019 RDAP profile puts "REDACTED FOR PRIVACY" on the contact entity itself (MarkMonitor, the .top
    and .xyz registries): every field it does not show is redacted; "EMAIL REDACTED FOR PRIVACY" names one."""
    whole = _with_registrant({"roles": ["registrant"], "remarks": [
        {"title": "REDACTED FOR PRIVACY", "description": ["Some of the data in this object has been removed."]}],
        "vcardArray": vcard(["org", {}, "text", "Google LLC"], ["adr", {}, "text", ["", "", "", "", "CA", "", "US"]])})
    holder = whole.contact(Role.REGISTRANT)
    assert holder is not None and holder.organization == "Google LLC" and holder.country == "US"
    for field in ("name", "email", "phone", "street", "city", "postcode"):
        assert holder.state(field) is FieldState.REDACTED, field
    assert holder.location("email") == "$.entities[1].remarks[0]"
    one = _with_registrant({"roles": ["registrant"], "remarks": [{"title": "EMAIL REDACTED FOR PRIVACY"}],
                            "vcardArray": vcard(["fn", {}, "text", "Anna Schmidt"])})
    holder = one.contact(Role.REGISTRANT)
    assert holder is not None and holder.state("email") is FieldState.REDACTED and holder.state("phone") is FieldState.MISSING


def test_a_terms_of_use_notice_naming_a_privacy_policy_says_nothing_of_redaction() -> None:
    record = _with_registrant({"roles": ["registrant"], "vcardArray": vcard(["fn", {}, "text", ""], ["org", {}, "text", "Acme"])},
                              notices=[{"title": "Terms of Service", "description": ["Use is governed by our Privacy Policy."]}])
    assert record.contact(Role.REGISTRANT).state("name") is FieldState.MISSING  # type: ignore[union-attr]


def test_server_variations_of_registrar_events_phones_and_addresses() -> None:
    """What real servers send beside RFC 9083's letter: a registrar named only by "org" (MarkMonitor), "last update"
    and "registrar expiration" events, a "Type" parameter and a fax: URI, an address of five parts (Namecheap)."""
    body = json.loads(json.dumps(DOC))
    body["entities"][0]["vcardArray"] = vcard(["org", {"type": "work"}, "text", "MarkMonitor Inc."])
    body["events"] = [{"eventAction": "last update of RDAP database", "eventDate": "2024-01-01T00:00:00Z"},
                      {"eventAction": "last update", "eventDate": "2019-11-07T17:16:24Z"},
                      {"eventAction": "registrar expiration", "eventDate": "2034-08-18T00:00:00Z"}]
    body["entities"][1]["vcardArray"] = vcard(
        ["fn", {}, "text", "Anna Schmidt"], ["tel", {"type": "voice"}, "uri", "tel:+507.8365503"],
        ["tel", {"Type": ["fax"]}, "uri", "fax:+51.17057182"],
        ["adr", {}, "text", ["Kalkofnsvegur 2", "Reykjavik", "", "101", "IS"]])
    record = parse(rdap(body))
    assert isinstance(record, RegistrationRecord) and record.registrar == "MarkMonitor Inc."
    assert record.updated_at == datetime(2019, 11, 7, 17, 16, 24, tzinfo=UTC)
    assert record.expires_at == datetime(2034, 8, 18, tzinfo=UTC)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and (holder.phone, holder.fax) == ("+507.8365503", "+51.17057182")
    assert (holder.street, holder.city, holder.postcode, holder.country) == (("Kalkofnsvegur 2",), "Reykjavik", "101", "IS")


def test_one_entity_in_several_roles_is_redacted_alike_and_a_label_under_cc_is_split() -> None:
    entity = {"roles": ["technical", "billing", "registrant"], "vcardArray": vcard(
        ["fn", {}, "text", ""],
        ["adr", {"cc": "CA", "label": "4321 Rue Somewhere\nQuebec QC G1V 2M2\nCanada"}, "text", ["", "", "", "", "", "", ""]])}
    redacted = [{"name": {"type": "Registrant Name"}, "method": "emptyValue",
                 "postPath": "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='fn')][3]"}]
    record = _with_registrant(entity, rdapConformance=["rdap_level_0", "redacted"], redacted=redacted)
    for role in (Role.REGISTRANT, Role.TECHNICAL, Role.BILLING):
        assert record.contact(role).state("name") is FieldState.REDACTED, role  # type: ignore[union-attr]
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and (holder.city, holder.region, holder.postcode) == ("Quebec", "QC", "G1V 2M2")


def test_an_error_code_written_as_text_is_read() -> None:
    outcome = parse(rdap({"errorCode": "404", "title": "Not Found"}))
    assert isinstance(outcome, NoRegistration) and outcome.status is ResponseStatus.AVAILABLE


def test_second_review_of_the_rdap_readings() -> None:
    # a top-level notice that personal data is not published is a redaction signal still
    notice = [{"title": "Data protection", "description": ["Personal data of natural persons is not published."]}]
    record = _with_registrant({"roles": ["registrant"], "vcardArray": vcard(["fn", {}, "text", ""])}, notices=notice)
    assert record.contact(Role.REGISTRANT).state("name") is FieldState.REDACTED  # type: ignore[union-attr]
    # an entity's remark that only names the GDPR withholds nothing
    record = _with_registrant({"roles": ["registrant"], "remarks": [{"description": ["Contact data is processed under the GDPR."]}],
                               "vcardArray": vcard(["fn", {}, "text", "Anna Schmidt"])})
    assert record.contact(Role.REGISTRANT).state("email") is FieldState.MISSING  # type: ignore[union-attr]
    # a structured org names the registrar by its first unit; a digit that is not ASCII is no error code
    body = json.loads(json.dumps(DOC))
    body["entities"][0]["vcardArray"] = vcard(["org", {}, "text", ["MarkMonitor Inc.", "Legal"]])
    assert parse(rdap(body)).registrar == "MarkMonitor Inc."  # type: ignore[union-attr]
    assert isinstance(parse(rdap({"errorCode": "²", "title": "x"})), ParseFailure)


def test_an_earlier_entitys_role_lends_this_one_no_redaction() -> None:
    """(second review) entity A is the registrant; entity B is registrant and technical: B's technical name is B's."""
    body = json.loads(json.dumps(DOC))
    body["rdapConformance"] = ["rdap_level_0", "redacted"]
    body["redacted"] = [{"name": {"type": "Registrant Name"}, "method": "partialValue",
                         "postPath": "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='fn')][3]"}]
    body["entities"] = [body["entities"][0],
                        {"objectClassName": "entity", "roles": ["registrant"], "vcardArray": vcard(["fn", {}, "text", "A. S."])},
                        {"objectClassName": "entity", "roles": ["registrant", "technical"],
                         "vcardArray": vcard(["fn", {}, "text", "Tech Person"])}]
    record = parse(rdap(body))
    assert isinstance(record, RegistrationRecord)
    assert record.contact(Role.TECHNICAL).name == "Tech Person"  # type: ignore[union-attr]
    assert record.contact(Role.REGISTRANT).state("name") is FieldState.REDACTED  # type: ignore[union-attr]
