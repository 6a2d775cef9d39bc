"""Data escrow deposits (RFC 9022, XML model): imported as one raw record per domain, parsed, audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import sizing
from auditor.evidence import excerpt
from auditor.importers import import_file
from auditor.parse import parse
from auditor.parse.escrow import escrow_excerpt
from auditor.pipeline import AuditOptions, run_audit
from auditor.records import ParseFailure, RawRecord, RegistrationRecord, Role, Source
from tests.conftest import FIXTURES

DEPOSIT = FIXTURES / "escrow" / "zz-deposit.xml"


def _records() -> dict[str, RegistrationRecord]:
    report = import_file(DEPOSIT)
    assert report.error is None
    out = {}
    for raw in report.records:
        record = parse(raw)
        assert isinstance(record, RegistrationRecord), record
        out[record.domain] = record
    return out


def test_a_deposit_gives_one_raw_record_per_domain_dated_by_its_watermark() -> None:
    report = import_file(DEPOSIT)
    assert [raw.query for raw in report.records] == [
        "bakery-muller.zz", "cheap-pills-online.zz", "xn--mller-kva.zz", "orphan.zz"]
    raw = report.records[0]
    assert raw.source is Source.ESCROW and raw.server == "escrow:zz-deposit.xml"
    assert raw.fetched_at == datetime(2026, 11, 20, tzinfo=UTC)
    assert raw.origin == f"{DEPOSIT}:domain 1"
    assert sizing.count_records(DEPOSIT) == 4


def test_contacts_and_registrar_written_after_the_domains_are_resolved() -> None:
    record = _records()["bakery-muller.zz"]
    assert (record.registrar, record.registrar_iana_id) == ("Alpha Registrar GmbH", "9001")
    assert record.statuses == ("ok",)
    assert record.nameservers == ("ns1.alpha-registrar.zz", "ns2.alpha-registrar.zz")
    assert (record.created_at, record.expires_at, record.updated_at) == (
        datetime(2019, 5, 6, 7, 8, 9, tzinfo=UTC), datetime(2027, 5, 6, 7, 8, 9, tzinfo=UTC),
        datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    # the internationalised (ASCII) postal info first; disclose flag="0" is about publishing, not holding
    assert (holder.handle, holder.name, holder.organization, holder.street, holder.city, holder.postcode,
            holder.country, holder.phone, holder.email) == (
        "C-MULLER", "Anna Muller", "Baeckerei Muller GmbH", ("Hauptstrasse 12",), "Berlin", "10115", "DE",
        "+49.3012345678", "anna@bakery-muller.zz")
    assert holder.redacted == frozenset()
    admin, tech = record.contact(Role.ADMINISTRATIVE), record.contact(Role.TECHNICAL)
    assert admin is not None and admin.handle == "C-MULLER"
    assert tech is not None and (tech.handle, tech.email) == ("C-HOST", "hostmaster@alpha-registrar.zz")


def test_host_attributes_idn_and_a_registrar_without_iana_id() -> None:
    records = _records()
    pills = records["cheap-pills-online.zz"]
    assert pills.nameservers == ("ns1.cheap-pills-online.zz",)
    assert pills.statuses == ("clientTransferProhibited", "clientHold")
    assert (pills.registrar, pills.registrar_iana_id) == ("Beta Names Ltd", None)
    assert "xn--mller-kva.zz" in records


def test_a_contact_the_deposit_lacks_is_there_by_handle_only() -> None:
    holder = _records()["orphan.zz"].contact(Role.REGISTRANT)
    assert holder is not None and holder.handle == "C-GONE" and holder.is_empty


def test_locations_lead_back_to_the_deposits_elements() -> None:
    report = import_file(DEPOSIT)
    raw = report.records[1]
    record = parse(raw)
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    assert excerpt(raw, holder.location("email")) == "email: test@example.com"
    assert excerpt(raw, holder.location("city")) == "city: Anytown"
    assert excerpt(raw, record.location("created_at")) == "crDate: 2026-11-01T10:00:00.0Z"
    assert escrow_excerpt(raw.body, "rdeDom:domain/no-such-element") is None
    assert escrow_excerpt(b"not xml", "rdeDom:domain") is None


def test_an_audit_of_a_deposit(tmp_path: Path) -> None:
    """The deposit is the registry's own data: an absent field is missing (no publication profile asked),
    placeholders are false, and each finding's excerpt is the deposit's element."""
    result = run_audit([DEPOSIT], tmp_path / "out", f"sqlite:///{tmp_path / 'a.sqlite'}",
                       AuditOptions(dns=False, workers=1, now=datetime(2026, 11, 24, tzinfo=UTC)))
    found = {(f.domain, f.rule_id, f.field) for f in result.findings}
    assert ("cheap-pills-online.zz", "FAL001", "name") in found
    assert ("cheap-pills-online.zz", "FAL002", "email") in found
    assert ("orphan.zz", "INC001", "email") in found
    assert not any(domain == "bakery-muller.zz" for domain, _rule, _field in found)
    fal001 = next(f for f in result.findings if f.rule_id == "FAL001")
    assert fal001.evidence.excerpt == "name: John Doe"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["parsing"]["outcomes"] == {"registered": 4}
    assert summary["store"]["raw_records"] == 4


_BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rde:deposit xmlns:rde="urn:ietf:params:xml:ns:rde-1.0"><rde:contents>&lol2;</rde:contents></rde:deposit>
"""


@pytest.mark.parametrize(("body", "reason"), [
    (_BILLION_LAUGHS, "DTD"),
    (b"<?xml version='1.0'?><feed><entry/></feed>", "not an RFC 9022 escrow deposit"),
    (b"<rde:deposit type='DIFF' xmlns:rde='urn:ietf:params:xml:ns:rde-1.0'/>", "audit the FULL deposit"),
    (b"<rde:deposit xmlns:rde='urn:ietf:params:xml:ns:rde-1.0'><rde:contents>", "unreadable .xml"),
    (b"\xff\xfe garbage", "unreadable .xml"),
    (b"<rde:deposit type='FULL' xmlns:rde='urn:ietf:params:xml:ns:rde-1.0' "
     b"xmlns:rdeDom='urn:ietf:params:xml:ns:rdeDomain-1.0' xmlns:rdeCsv='urn:ietf:params:xml:ns:rdeCsv-1.0'>"
     b"<rde:contents><rdeDom:domain><rdeCsv:csv name='domain' sep=','><rdeCsv:files>"
     b"<rdeCsv:file>domain.csv</rdeCsv:file></rdeCsv:files></rdeCsv:csv></rdeDom:domain></rde:contents>"
     b"</rde:deposit>", "CSV model"),
])
def test_a_bad_deposit_is_an_import_error_with_its_reason(tmp_path: Path, body: bytes, reason: str) -> None:
    path = tmp_path / "deposit.xml"
    path.write_bytes(body)
    report = import_file(path)
    assert report.records == () and report.error is not None and reason in report.error


def test_domain_objects_are_counted_across_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sizing, "_CHUNK", 7)  # every closing tag straddles a boundary somewhere
    assert sizing.count_records(DEPOSIT) == 4
    path = tmp_path / "d.xml"
    path.write_bytes(b"<x:domain></x:domain>" * 5 + b"<domain/></domain>")
    assert sizing.count_records(path) == 6


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: f"<rdeRecord>{t}</rdeRecord>".encode()))
def test_no_escrow_record_makes_the_parser_fail_internally(body: bytes) -> None:
    outcome = parse(RawRecord(Source.ESCROW, "escrow:x.xml", "x.zz", body, datetime(2026, 1, 1, tzinfo=UTC)))
    assert isinstance(outcome, RegistrationRecord | ParseFailure)
    if isinstance(outcome, ParseFailure):
        assert not outcome.reason.startswith("parser error"), outcome.reason


def test_a_large_deposit_is_read_in_linear_time_with_flat_memory(tmp_path: Path) -> None:
    """Objects the pass does not want (hosts, and domains in the contacts pass) are dropped as well: kept,
    each removal scanned them all (40k domains took 73 s)."""
    import time

    ns = ('xmlns:rde="urn:ietf:params:xml:ns:rde-1.0" xmlns:rdeDom="urn:ietf:params:xml:ns:rdeDomain-1.0" '
          'xmlns:rdeHost="urn:ietf:params:xml:ns:rdeHost-1.0" xmlns:rdeContact="urn:ietf:params:xml:ns:rdeContact-1.0"')
    n = 6000

    def deposit(count: int) -> Path:
        path = tmp_path / f"d{count}.xml"
        with path.open("w") as out:
            out.write(f'<rde:deposit type="FULL" {ns}><rde:contents>')
            for i in range(count):
                out.write(f"<rdeDom:domain><rdeDom:name>d{i}.zz</rdeDom:name><rdeDom:registrant>c{i}"
                          f"</rdeDom:registrant></rdeDom:domain>")
            out.writelines(f"<rdeHost:host><rdeHost:name>ns{i}.zz</rdeHost:name></rdeHost:host>" for i in range(count))
            out.writelines(f"<rdeContact:contact><rdeContact:id>c{i}</rdeContact:id></rdeContact:contact>"
                           for i in range(count))
            out.write("</rde:contents></rde:deposit>")
        return path

    timings = []
    for count in (n, 4 * n):
        path = deposit(count)
        started = time.process_time()
        assert len(import_file(path).records) == count
        timings.append(time.process_time() - started)
    # four times the objects: about four times the time when linear, sixteen when quadratic
    assert timings[1] < 10 * timings[0] + 1.0, timings


def test_escrow_ids_with_a_slash_and_a_registrar_without_a_name(tmp_path: Path) -> None:
    body = (DEPOSIT.read_text().replace("C-DOE", "C/DOE").replace("<rdeRegistrar:name>Beta Names Ltd</rdeRegistrar:name>", ""))
    path = tmp_path / "deposit.xml"
    path.write_text(body)
    raw = next(r for r in import_file(path).records if r.query == "cheap-pills-online.zz")
    record = parse(raw)
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and holder.handle == "C/DOE"
    assert excerpt(raw, holder.location("email")) == "email: test@example.com"
    assert record.registrar == "beta" and excerpt(raw, record.location("registrar")) == "clID: beta"


def test_the_localised_postal_info_fills_what_the_international_one_leaves_out(tmp_path: Path) -> None:
    """RFC 5733 allows both forms; a postcode given only in the "loc" form is the contact's all the same."""
    body = DEPOSIT.read_text(encoding="utf-8").replace(
        "<contact:city>Berlin</contact:city>\n          <contact:pc>10115</contact:pc>\n          <contact:cc>DE</contact:cc>\n"
        "        </contact:addr>\n      </rdeContact:postalInfo>\n      <rdeContact:postalInfo type=\"loc\">",
        "<contact:cc>DE</contact:cc>\n        </contact:addr>\n      </rdeContact:postalInfo>\n"
        "      <rdeContact:postalInfo type=\"loc\">", 1)
    assert body != DEPOSIT.read_text(encoding="utf-8")
    path = tmp_path / "deposit.xml"
    path.write_text(body, encoding="utf-8")
    raw = next(r for r in import_file(path).records if r.query == "bakery-muller.zz")
    record = parse(raw)
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and (holder.name, holder.street, holder.city, holder.postcode) == (
        "Anna Muller", ("Hauptstrasse 12",), "Berlin", "10115")
    assert excerpt(raw, holder.location("postcode")) == "pc: 10115"
