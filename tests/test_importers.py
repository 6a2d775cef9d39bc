"""Importers: every file accounted for, bad files reported with a reason, bytes kept exactly."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.importers import _csv_rows, discover, import_file
from auditor.parse import parse
from auditor.records import ParseFailure, RegistrationRecord, Role, Source
from auditor.sizing import count_records


def test_whois_file_domain_from_response_else_file_name(tmp_path: Path) -> None:
    (tmp_path / "named-in-file.zz.txt").write_bytes(b"Registrant Name: Anna\nCreation Date: 2020-01-01\n")
    (tmp_path / "other.txt").write_bytes(b"Domain Name: FROM-RESPONSE.ZZ\nCreation Date: 2020-01-01\n")
    reports = {p.name: import_file(p) for p in sorted(tmp_path.iterdir())}
    assert reports["named-in-file.zz.txt"].records[0].query == "named-in-file.zz"
    assert reports["other.txt"].records[0].query == "from-response.zz"


def test_raw_bytes_are_kept_exactly(tmp_path: Path) -> None:
    body = "Domain Name: x.zz\r\nRegistrant Name: Jürgen\r\n".encode("cp1252")
    (tmp_path / "x.zz.txt").write_bytes(body)
    raw = import_file(tmp_path / "x.zz.txt").records[0]
    assert raw.body == body and raw.source is Source.WHOIS and len(raw.sha256) == 64


def test_csv_export_columns(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(
        "Domain,Registrar,Registrant Name,Registrant Email,Registrant Phone,Registrant Country,Registrant Redacted,Admin Email\n"
        "shop.zz,Alpha,Anna Schmidt,anna@shop.zz,+49.3012345678,DE,,\n"
        "hidden.zz,Alpha,,,,DE,name;email;phone,admin@hidden.zz\n"
        "\n"
        "noadmin.zz,Alpha,Bob,,,,,\n",
        encoding="utf-8",
    )
    report = import_file(tmp_path / "export.csv")
    assert report.error is None and len(report.records) == 3
    records = [parse(r) for r in report.records]
    assert all(isinstance(r, RegistrationRecord) for r in records)
    first, hidden, noadmin = records
    assert first.contact(Role.REGISTRANT).email == "anna@shop.zz"  # type: ignore[union-attr]
    holder = hidden.contact(Role.REGISTRANT)  # type: ignore[union-attr]
    assert holder is not None and {"name", "email", "phone"} <= holder.redacted
    assert noadmin.contact(Role.ADMINISTRATIVE) is None  # type: ignore[union-attr]
    assert holder.location("country") == "row 3, column Registrant Country"


def test_csv_columns_of_one_role_under_several_prefixes_make_one_contact(tmp_path: Path) -> None:
    """A role's columns may be spread over the header and named by different prefixes (holder_, owner_,
    registrant_): they make one contact, the first non-empty value of a field wins, street columns add
    lines in column order, and each location names the column its field was first read from."""
    (tmp_path / "export.csv").write_text(
        "Tech Email,Holder Name,Domain,Registrant Street1,Domain Name,Owner Name,Registrant Street2,"
        "Registrant Email,Holder Email,Registrar,Registrant Redacted\n"
        "t@x.zz,,spread.zz,Hauptstr. 1,other.zz,Anna Schmidt,Hinterhaus,,anna@spread.zz,Alpha,phone\n",
        encoding="utf-8",
    )
    record = parse(import_file(tmp_path / "export.csv").records[0])
    assert isinstance(record, RegistrationRecord)
    assert record.domain == "spread.zz" and record.registrar == "Alpha"
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    assert (holder.name, holder.email, holder.street) == ("Anna Schmidt", "anna@spread.zz", ("Hauptstr. 1", "Hinterhaus"))
    assert holder.redacted == frozenset({"phone"})
    assert holder.location("name") == "row 2, column Owner Name"
    assert holder.location("email") == "row 2, column Holder Email"
    assert holder.location("street") == "row 2, column Registrant Street1"
    assert [c.role for c in record.contacts] == [Role.REGISTRANT, Role.TECHNICAL]


def test_csv_without_domain_column_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("name,email\nA,a@b.zz\n")
    report = import_file(tmp_path / "bad.csv")
    assert report.error and "domain" in report.error


def test_latin1_csv_is_decoded(tmp_path: Path) -> None:
    (tmp_path / "legacy.csv").write_bytes("domain,registrant_name\nmueller.zz,Jürgen Müller\n".encode("cp1252"))
    report = import_file(tmp_path / "legacy.csv")
    rec = parse(report.records[0])
    assert isinstance(rec, RegistrationRecord) and rec.contact(Role.REGISTRANT).name == "Jürgen Müller"  # type: ignore[union-attr]


def test_missing_paths_are_reported_not_raised(tmp_path: Path) -> None:
    files, missing = discover([tmp_path / "nope", tmp_path])
    assert files == [] and missing[0].error == "no such file or directory"


def test_huge_single_response_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(17 * 1024 * 1024)
    report = import_file(big)
    assert report.error and "too large" in report.error


def test_jsonl_one_response_per_line(tmp_path: Path) -> None:
    (tmp_path / "bulk.jsonl").write_text(
        '{"objectClassName":"domain","ldhName":"a.zz"}\n\n{"objectClassName":"domain","ldhName":"b.zz"}\n')
    report = import_file(tmp_path / "bulk.jsonl")
    assert [r.query for r in report.records] == ["a.zz", "b.zz"]


def _written(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet='ab,"\r\n \t;\x00\u00e9', max_size=60))
def test_csv_rows_read_any_text_as_the_csv_module_does(text: str) -> None:
    """Plain lines are split by hand: cells and re-written lines must be exactly the csv module's,
    whatever the text (quotes spanning lines, bare carriage returns, NULs, blank lines)."""
    try:
        expected = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        expected = None
    try:
        got = list(_csv_rows(io.StringIO(text, newline=""), csv.excel))
    except csv.Error:
        got = None
    if expected is None or got is None:
        assert expected is got is None
        return
    assert [cells for cells, _line in got] == expected
    for cells, line in got:
        assert line == _written(cells)


def test_a_csv_export_with_another_delimiter_is_read_through_the_csv_module(tmp_path: Path) -> None:
    export = tmp_path / "zone.csv"
    export.write_text('domain;registrar;registrant_name\nexample.zz;Reg, Inc.;"Jane ""J"" Doe"\n', encoding="utf-8")
    [raw] = import_file(export).records
    assert raw.body.decode() == 'domain,registrar,registrant_name\nexample.zz,"Reg, Inc.","Jane ""J"" Doe"\n'


def test_a_tab_separated_export_is_read_as_an_export_and_counted_by_its_lines(tmp_path: Path) -> None:
    """`.tsv` is how spreadsheets and registry back-ends save tab-separated exports: read as a table, not
    as one WHOIS response."""
    export = tmp_path / "registrar-export.tsv"
    export.write_bytes("domain\tregistrant_name\tregistrant_country\r\nb\u00fccher.zz\tJ\u00fcrgen M\u00fcller\tDE\r\n"
                       "two.zz\tAnna\tAT\r\n".encode("utf-16"))
    report = import_file(export)
    assert report.error is None and [r.source for r in report.records] == [Source.CSV, Source.CSV]
    outcomes = [parse(r) for r in report.records]
    holders = [(o.domain, o.contact(Role.REGISTRANT)) for o in outcomes]  # type: ignore[union-attr]
    assert [(domain, c.name, c.country) for domain, c in holders if c] == [
        ("xn--bcher-kva.zz", "J\u00fcrgen M\u00fcller", "DE"), ("two.zz", "Anna", "AT")]
    assert count_records(export) >= 2


def test_a_nickname_in_single_quotes_does_not_make_the_apostrophe_a_quote_character(tmp_path: Path) -> None:
    """csv.Sniffer guessed `'` as the quote character from "Robert 'Bob' Smith"; a later city starting
    with an apostrophe ('s-Gravenhage) then swallowed every row after it into one cell."""
    export = tmp_path / "zone.csv"
    export.write_text("domain,registrant_name,registrant_city,registrant_country\n"
                      "a.zz,Robert 'Bob' Smith,Boston,US\nb.zz,Ann Lee,'s-Gravenhage,NL\nc.zz,Carl,Oslo,NO\n",
                      encoding="utf-8")
    outcomes = [parse(raw) for raw in import_file(export).records]
    holders = [o.contact(Role.REGISTRANT) for o in outcomes if isinstance(o, RegistrationRecord)]
    assert [(c.city, c.country) for c in holders if c] == [("Boston", "US"), ("'s-Gravenhage", "NL"), ("Oslo", "NO")]


def test_excels_separator_line_is_not_the_header(tmp_path: Path) -> None:
    export = tmp_path / "zone.csv"
    export.write_text("sep=;\r\nDomain;Registrant Name;Created\r\nexample.zz;Hans Muster;2020-02-01\r\n", encoding="utf-8")
    [raw] = import_file(export).records
    record = parse(raw)
    assert isinstance(record, RegistrationRecord) and record.domain == "example.zz"
    assert record.contact(Role.REGISTRANT).name == "Hans Muster"  # type: ignore[union-attr]


def test_a_legacy_row_after_the_first_mib_of_a_utf8_export_costs_nothing(tmp_path: Path) -> None:
    """The encoding is chosen from the first MiB; a Windows-1252 row further down is read as such
    instead of failing the whole file."""
    export = tmp_path / "zone.csv"
    rows = "".join(f"d{i}.zz,Name {i},DE\n" for i in range(60_000))
    export.write_bytes(("domain,registrant_name,registrant_country\n" + rows).encode()
                       + "late.zz,Jos\u00e9 M\u00fcller,DE\n".encode("cp1252"))
    report = import_file(export)
    assert report.error is None and len(report.records) == 60_001
    late = parse(report.records[-1])
    assert late.contact(Role.REGISTRANT).name == "Jos\u00e9 M\u00fcller"  # type: ignore[union-attr]


def test_a_cell_over_the_csv_field_limit_is_refused_on_the_fast_path_too() -> None:
    huge = "a" * (csv.field_size_limit() + 1)
    with pytest.raises(csv.Error):
        list(_csv_rows(io.StringIO(f"domain,name\nx.zz,{huge}\n", newline=""), csv.excel))


def test_csv_headers_in_the_shapes_exports_use(tmp_path: Path) -> None:
    """CamelCase headers, a counter after the field (ns1, address2), "contact" after the role, first and last
    name columns, and a domain column named otherwise than "domain" are all read."""
    (tmp_path / "export.csv").write_text(
        "DomainName,CreationDate,ExpirationDate,ns1,ns2,RegistrantFirstName,RegistrantLastName,RegistrantEmail,"
        "registrant_address1,registrant_address2,registrant_cc,technical_contact_email\n"
        "shop.zz,2020-01-02,2030-01-02,ns1.shop.zz,ns2.shop.zz,Anna,Berg,anna@shop.zz,Main St 1,Floor 2,SE,"
        "tech@shop.zz\n",
        encoding="utf-8",
    )
    record = parse(import_file(tmp_path / "export.csv").records[0])
    assert isinstance(record, RegistrationRecord)
    assert record.domain == "shop.zz" and record.nameservers == ("ns1.shop.zz", "ns2.shop.zz")
    assert record.created_at is not None and record.expires_at is not None
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    assert (holder.name, holder.email, holder.street, holder.country) == (
        "Anna Berg", "anna@shop.zz", ("Main St 1", "Floor 2"), "SE")
    assert holder.location("name") == "row 2, column RegistrantFirstName"
    tech = record.contact(Role.TECHNICAL)
    assert tech is not None and tech.email == "tech@shop.zz"


def test_csv_a_column_named_after_the_holder_and_registry_style_columns(tmp_path: Path) -> None:
    """"Holder" holds the holder's name and the role-less contact columns beside it are the holder's;
    "Tech-C" is a handle; ICANN's "Registry Expiry Date" and "EPP Status" are the record's."""
    export = tmp_path / "zone.csv"
    export.write_text("Domain,Holder,Email,Phone,Country,Tech-C,Registry Expiry Date,EPP Status,Last Update\n"
                      "example.zz,Jan Jansen,jan@example.zz,+31.201234567,NL,TC-1,2027-01-01,ok,2024-05-06\n",
                      encoding="utf-8")
    record = parse(import_file(export).records[0])
    assert isinstance(record, RegistrationRecord)
    holder, tech = record.contact(Role.REGISTRANT), record.contact(Role.TECHNICAL)
    assert holder is not None and (holder.name, holder.email, holder.phone, holder.country) == (
        "Jan Jansen", "jan@example.zz", "+31.201234567", "NL")
    assert holder.location("name") == "row 2, column Holder"
    assert tech is not None and tech.handle == "TC-1"
    assert record.statuses == ("ok",) and record.expires_at is not None and record.updated_at is not None


def test_a_csv_row_with_more_values_than_the_header_is_a_parse_failure_not_shifted_data(tmp_path: Path) -> None:
    """An unquoted comma inside a name moves every later value one column on (the email into the country):
    the row is reported, not audited with scrambled data. Empty trailing cells are harmless."""
    export = tmp_path / "zone.csv"
    export.write_text("domain,registrant_name,registrant_email,registrant_country\n"
                      "a.zz,Smith, John,j@a.zz,DE\nb.zz,Ann Lee,ann@b.zz,NL,,\n", encoding="utf-8")
    shifted, padded = [parse(raw) for raw in import_file(export).records]
    assert isinstance(shifted, ParseFailure) and "unquoted separator" in shifted.reason and shifted.domain == "a.zz"
    assert isinstance(padded, RegistrationRecord) and padded.contact(Role.REGISTRANT).country == "NL"  # type: ignore[union-attr]


def test_csv_contact_columns_without_a_role_are_the_holders(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(
        "domain,name,email,phone,address,city,zip,country,admin_email\n"
        "shop.zz,Anna Berg,anna@shop.zz,+46.812345678,Main St 1,Stockholm,111 22,SE,admin@shop.zz\n",
        encoding="utf-8",
    )
    record = parse(import_file(tmp_path / "export.csv").records[0])
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None
    assert (holder.name, holder.email, holder.phone, holder.city, holder.postcode, holder.country) == (
        "Anna Berg", "anna@shop.zz", "+46.812345678", "Stockholm", "111 22", "SE")
    admin = record.contact(Role.ADMINISTRATIVE)
    assert admin is not None and admin.email == "admin@shop.zz"


def test_csv_bare_columns_are_not_the_holders_when_a_registrant_column_exists(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(
        "domain,registrant_name,email\nshop.zz,Anna Berg,someone@else.zz\n", encoding="utf-8")
    record = parse(import_file(tmp_path / "export.csv").records[0])
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and holder.name == "Anna Berg" and holder.email is None


def test_csv_a_redacted_first_name_makes_the_name_redacted(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(
        "domain,registrant_first_name,registrant_last_name,registrant_email\n"
        "shop.zz,REDACTED FOR PRIVACY,REDACTED FOR PRIVACY,anna@shop.zz\n", encoding="utf-8")
    record = parse(import_file(tmp_path / "export.csv").records[0])
    assert isinstance(record, RegistrationRecord)
    holder = record.contact(Role.REGISTRANT)
    assert holder is not None and holder.name is None and holder.redacted == frozenset({"name"})
    assert holder.location("name") == "row 2, column registrant_first_name"


def _rdap_domain(name: str) -> dict[str, object]:
    return {"objectClassName": "domain", "ldhName": name, "status": ["active"],
            "events": [{"eventAction": "registration", "eventDate": "2020-01-02T03:04:05Z"}],
            "links": [{"rel": "self", "href": f"https://rdap.nic.zz/domain/{name}"}]}


def test_rdap_search_results_and_arrays_give_one_record_per_domain(tmp_path: Path) -> None:
    import json

    (tmp_path / "search.json").write_text(json.dumps(
        {"rdapConformance": ["rdap_level_0"], "domainSearchResults": [_rdap_domain("a.zz"), _rdap_domain("b.zz")]}))
    (tmp_path / "array.json").write_text(json.dumps([_rdap_domain("c.zz")]))
    (tmp_path / "bulk.jsonl").write_text(json.dumps({"domainSearchResults": [_rdap_domain("d.zz")]}) + "\n")
    (tmp_path / "empty.json").write_text("[]")
    records = {p.name: import_file(p).records for p in sorted(tmp_path.iterdir())}
    assert [(r.query, r.origin) for r in records["search.json"]] == [
        ("a.zz", f"{tmp_path / 'search.json'}:object 1"), ("b.zz", f"{tmp_path / 'search.json'}:object 2")]
    assert json.loads(records["search.json"][0].body)["rdapConformance"] == ["rdap_level_0"]
    assert [r.query for r in records["array.json"]] == ["c.zz"]
    assert [(r.query, r.origin) for r in records["bulk.jsonl"]] == [("d.zz", f"{tmp_path / 'bulk.jsonl'}:line 1:object 1")]
    for name in ("search.json", "array.json", "bulk.jsonl"):
        for raw in records[name]:
            record = parse(raw)
            assert isinstance(record, RegistrationRecord) and record.domain == raw.query
            assert raw.server == "rdap.nic.zz"
    assert len(records["empty.json"]) == 1  # the parser says why it is not a response


@pytest.mark.parametrize("header_and_row", [
    "Domain,State,Expires,Created,Registrar\nexample.zz,active,2027-01-01,2010-01-01,Foo\n",  # the domain's state
    "Domain,Name,Registrar\nexample.zz,example.zz,Foo\n",  # the domain's name
])
def test_ambiguous_role_less_columns_make_no_holder(tmp_path: Path, header_and_row: str) -> None:
    (tmp_path / "export.csv").write_text(header_and_row, encoding="utf-8")
    record = parse(import_file(tmp_path / "export.csv").records[0])
    assert isinstance(record, RegistrationRecord) and record.contacts == ()


def test_csv_a_redacted_name_is_not_replaced_by_its_parts(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(
        "domain,registrant_name,registrant_first_name,registrant_email\nshop.zz,REDACTED,John,j@shop.zz\n"
        "half.zz,,Doe,j@half.zz\n", encoding="utf-8")
    (tmp_path / "parts.csv").write_text(
        "domain,registrant_first_name,registrant_last_name,registrant_email\nparts.zz,REDACTED,Doe,d@parts.zz\n",
        encoding="utf-8")
    shop, half = (parse(raw) for raw in import_file(tmp_path / "export.csv").records)
    (parts,) = (parse(raw) for raw in import_file(tmp_path / "parts.csv").records)
    for record, name, redacted in ((shop, None, {"name"}), (half, "Doe", set()), (parts, None, {"name"})):
        assert isinstance(record, RegistrationRecord)
        holder = record.contact(Role.REGISTRANT)
        assert holder is not None and holder.name == name and holder.redacted == frozenset(redacted)


def test_an_rdap_search_that_found_nothing_gives_no_record(tmp_path: Path) -> None:
    (tmp_path / "none.json").write_text('{"rdapConformance": ["rdap_level_0"], "domainSearchResults": []}')
    report = import_file(tmp_path / "none.json")
    assert report.error is None and report.records == ()


def test_an_exports_columns_that_no_field_is_read_from_are_noted_in_the_summary_and_report(tmp_path: Path) -> None:
    from auditor.pipeline import AuditOptions, run_audit

    export = tmp_path / "zone.csv"
    export.write_text("Domain,Holder,Email,Inhaber,<b>Notes</b>\nexample.zz,Jan Jansen,jan@example.zz,x,y\n",
                      encoding="utf-8")
    assert import_file(export).notes == ("columns not read (no known field by these names): Inhaber, <b>Notes</b>",)
    result = run_audit([export], tmp_path / "out", f"sqlite:///{tmp_path}/a.db", AuditOptions(dns=False, workers=1))
    assert result.summary["inputs"]["import_notes"] == [
        {"input": str(export), "note": "columns not read (no known field by these names): Inhaber, <b>Notes</b>"}]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Inhaber, &lt;b&gt;Notes&lt;/b&gt;" in html


def test_a_tsv_export_with_ragged_rows_is_read_with_tabs(tmp_path: Path) -> None:
    """A row leaving its empty trailing cells out made the sniffer pick "," and the file failed."""
    export = tmp_path / "zone.tsv"
    export.write_text("domain\tregistrant_name\tregistrant_city\tregistrant_country\na.zz\tAnn, Lee\n"
                      "b.zz\tBob\tOslo\tNO\n", encoding="utf-8")
    report = import_file(export)
    assert report.error is None
    assert [parse(raw).contact(Role.REGISTRANT).name for raw in report.records] == ["Ann, Lee", "Bob"]  # type: ignore[union-attr]


def test_a_bare_registrant_column_holds_a_name_or_in_epp_style_exports_a_handle(tmp_path: Path) -> None:
    """EPP-style exports list contact handles under "registrant"; registrars' exports the holder's name."""
    export = tmp_path / "zone.csv"
    export.write_text("domain,registrant,name,email\na.zz,C1234567,Jane Smith,jane@a.zz\nb.zz,Bob Jones,,bob@b.zz\n",
                      encoding="utf-8")
    first, second = [parse(raw).contact(Role.REGISTRANT) for raw in import_file(export).records]  # type: ignore[union-attr]
    assert first is not None and (first.handle, first.name, first.email) == ("C1234567", "Jane Smith", "jane@a.zz")
    assert second is not None and (second.handle, second.name) == (None, "Bob Jones")


def test_a_zone_file_or_a_domain_list_given_to_the_audit_is_an_import_error_that_says_what_to_do(tmp_path: Path) -> None:
    """They name domains but hold no registration data: the crawl collects it. Before, each was one parse
    failure saying only that no registration data was recognised."""
    zone = tmp_path / "zz.zone"
    zone.write_text("$ORIGIN zz.\n$TTL 3600\n@ IN SOA ns1.zz. host.zz. 1 3600 600 86400 300\nshop IN NS ns1.shop.zz.\n")
    listed = tmp_path / "domains.txt"
    listed.write_text("# to audit\nexample.zz\nshop.zz\n")
    for path, what in ((zone, "a zone file"), (listed, "a list of domain names")):
        report = import_file(path)
        assert report.records == () and report.error is not None
        assert report.error.startswith(what) and f"auditor crawl {path.name}" in report.error
    response = tmp_path / "example.zz.txt"
    response.write_text("Domain Name: example.zz\nRegistrant Name: Anna\n")
    assert import_file(response).error is None


def test_csv_locations_are_shared_between_rows_and_behave_as_the_pairs_they_stand_for(tmp_path: Path) -> None:
    """A row's locations hold its label and a field-to-column map shared by the rows that fill the same
    cells (a zone's million rows held a million copies of each location string); read, compared, hashed,
    pickled and stored, they are the (field, "row N, column C") pairs they stand for."""
    import pickle

    from auditor.records import Contact, RowLocations

    (tmp_path / "export.csv").write_text(
        "Domain,Registrar,Created,Registrant Name,Registrant Email,Registrant Country\n"
        "a.zz,Alpha,2020-01-01,Anna Schmidt,anna@a.zz,DE\n"
        "b.zz,Alpha,2020-01-01,Bob Meyer,bob@b.zz,DE\n",
        encoding="utf-8",
    )
    first, second = (parse(raw) for raw in import_file(tmp_path / "export.csv").records)
    assert isinstance(first, RegistrationRecord) and isinstance(second, RegistrationRecord)
    a, b = first.contact(Role.REGISTRANT), second.contact(Role.REGISTRANT)
    assert a is not None and b is not None
    assert isinstance(a.locations, RowLocations) and a.locations.columns is b.locations.columns  # type: ignore[union-attr]
    pairs = (("country", "row 3, column Registrant Country"), ("email", "row 3, column Registrant Email"),
             ("name", "row 3, column Registrant Name"))
    assert tuple(b.locations) == pairs and b.locations == pairs and pairs == b.locations
    assert hash(b.locations) == hash(pairs) and len(b.locations) == 3 and dict(b.locations) == dict(pairs)
    assert b.location("email") == "row 3, column Registrant Email" and b.location("phone") is None
    assert second.location("created_at") == "row 3, column Created"
    assert b != a and b == Contact(**{**{f: getattr(b, f) for f in ("role", "name", "email", "country")},
                                      "locations": pairs})
    assert pickle.loads(pickle.dumps(second)) == second
    stored = Contact.from_dict(b.to_storage())  # the store keeps the rendered pairs
    assert stored == b and stored.locations == pairs and b.to_dict()["locations"] == dict(pairs)
    assert RegistrationRecord.from_dict(second.to_dict()) == second
    one, other = RowLocations("row 3, column A", (("email", "B"),)), RowLocations("row 3", (("email", "column A, B"),))
    assert tuple(one) == tuple(other) and one == other and hash(one) == hash(other)  # the same pairs, split otherwise


def test_shared_columns_stop_sharing_at_their_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose rows fill ever other cells cannot grow the shared maps without end."""
    import auditor.records as records

    monkeypatch.setattr(records, "_SHARED_COLUMNS", {})
    monkeypatch.setattr(records, "SHARED_COLUMNS_BOUND", 2)
    first = records.shared_columns({"name": "column N", "email": "column E"})
    assert first == (("email", "column E"), ("name", "column N"))
    assert records.shared_columns({"email": "column E", "name": "column N"}) is first
    records.shared_columns({"city": "column C"})
    beyond = {"phone": "column P"}
    assert records.shared_columns(beyond) == (("phone", "column P"),)
    assert records.shared_columns(beyond) is not records.shared_columns(beyond)
    assert len(records._SHARED_COLUMNS) == 2
