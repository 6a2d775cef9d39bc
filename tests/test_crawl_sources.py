"""Domain sources: list file, zone file (RFC 1035 master format), AXFR from a loopback DNS server, CSV column."""

from __future__ import annotations

from pathlib import Path

import dns.zone
import pytest

from auditor.errors import InputError
from auditor.loopback.dns_server import LoopbackDnsServer, ZoneData
from auditor.sources import DomainSource, parse_source, read_domains

ZONE = """\
$TTL 3600
@ IN SOA ns1.nic.zz. hostmaster.nic.zz. 2026010101 3600 600 604800 300
@ IN NS ns1.nic.zz.
ns1.nic IN A 192.0.2.53
example IN NS ns1.example.zz.
example IN NS ns2.example.net.
ns1.example IN A 192.0.2.1
xn--bcher-kva IN NS ns.example.net.
www.example IN A 192.0.2.80
sub.delegated IN NS ns.example.net.
mail IN MX 10 mx.example.net.
"""
DELEGATIONS = ["example.zz", "xn--bcher-kva.zz", "sub.delegated.zz"]


@pytest.mark.parametrize(("spec", "expected"), [
    ("domains.txt", DomainSource("list", "domains.txt")),
    ("list:my.zone", DomainSource("list", "my.zone")),
    ("zz.zone", DomainSource("zone", "zz.zone")),
    ("zone:root.db#ZZ.", DomainSource("zone", "root.db", zone="zz.")),
    ("export.CSV", DomainSource("csv", "export.CSV", column="domain")),
    ("csv:x.csv#Domain Name", DomainSource("csv", "x.csv", column="Domain Name")),
    ("axfr://127.0.0.1/zz", DomainSource("axfr", "127.0.0.1:53", zone="zz.")),
    ("axfr://[::1]:5353/zz.", DomainSource("axfr", "::1:5353", zone="zz.")),
])
def test_source_syntax(spec: str, expected: DomainSource) -> None:
    assert parse_source(spec) == expected


def test_list_file_normalises_dedupes_and_reports_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("# a sample\nExample.ZZ.\n\nbücher.zz  # IDN\nexample.zz\nno spaces allowed.zz\n-\n")
    result = read_domains(parse_source(str(tmp_path / "d.txt")))
    assert result.domains == ["example.zz", "xn--bcher-kva.zz"]
    assert [(r["where"], r["reason"]) for r in result.rejected] == [("line 6", "not a domain name"),
                                                                     ("line 7", "not a domain name")]


def test_zone_file_gives_the_delegations(tmp_path: Path) -> None:
    (tmp_path / "zz.zone").write_text(ZONE)
    assert read_domains(parse_source(str(tmp_path / "zz.zone"))).domains == DELEGATIONS
    (tmp_path / "root.db").write_text("$ORIGIN zz.\n" + ZONE)
    assert read_domains(parse_source(f"zone:{tmp_path / 'root.db'}")).domains == DELEGATIONS


def test_zone_without_delegations_or_unreadable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "zz.zone").write_text("$TTL 1\n@ SOA ns. h. 1 1 1 1 1\n@ NS ns.\nwww A 192.0.2.1\n")
    with pytest.raises(InputError, match="delegates no names"):
        read_domains(parse_source(str(tmp_path / "zz.zone")))
    (tmp_path / "bad.zone").write_text("this is not a zone file\n")
    with pytest.raises(InputError, match="not an RFC 1035 zone file"):
        read_domains(parse_source(str(tmp_path / "bad.zone")))
    (tmp_path / "latin1.txt").write_bytes("caf\xe9.zz\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_domains(parse_source(str(tmp_path / "latin1.txt")))


def test_axfr_from_a_loopback_server() -> None:
    zone = dns.zone.from_text(ZONE, origin="zz.", relativize=False)
    many = "\n".join(f"d{i} IN NS ns.example.net." for i in range(700))  # several AXFR messages
    big = dns.zone.from_text("$TTL 1\n@ SOA ns. h. 1 1 1 1 1\n@ NS ns.\n" + many, origin="big.", relativize=False)
    with LoopbackDnsServer(ZoneData({"zz.": zone, "big.": big})) as server:
        transferred = read_domains(parse_source(f"axfr://127.0.0.1:{server.port}/zz")).domains
        assert sorted(transferred) == sorted(DELEGATIONS)  # in the server's order
        assert len(read_domains(parse_source(f"axfr://127.0.0.1:{server.port}/big")).domains) == 700
        with pytest.raises(InputError, match="refused the transfer"):
            read_domains(parse_source(f"axfr://127.0.0.1:{server.port}/other"))


def test_axfr_cut_short_is_a_clear_error() -> None:
    zone = dns.zone.from_text(ZONE, origin="zz.", relativize=False)
    with LoopbackDnsServer(ZoneData({"zz.": zone}, {"zz.": "timeout"})) as server, \
            pytest.raises(InputError, match="closed the connection before the transfer ended"):
        read_domains(parse_source(f"axfr://127.0.0.1:{server.port}/zz"), timeout=0.3)


def test_csv_column_by_folded_name(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("Registrant;Domain-Name\nA;one.zz\nB;\nC;two.zz\nD;bad name\n")
    result = read_domains(parse_source(f"csv:{tmp_path / 'e.csv'}#domain name"))
    assert result.domains == ["one.zz", "two.zz"] and result.rejected[0]["where"] == "row 5"
    with pytest.raises(InputError, match="no column 'domain'; columns: Registrant, Domain-Name"):
        read_domains(parse_source(str(tmp_path / "e.csv")))
