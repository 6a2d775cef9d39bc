"""`auditor crawl` end to end: sources (zone file, AXFR from a loopback DNS server, CSV column), both
protocols against loopback servers, the audit of what was collected, and clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import dns.zone
import pytest

from auditor.cli import main
from auditor.loopback.dns_server import LoopbackDnsServer, ZoneData
from auditor.loopback.rdap_server import LoopbackRdapServer
from auditor.loopback.whois_server import LoopbackWhoisServer

ZONE = """\
$ORIGIN zz.
$TTL 3600
@ SOA ns1.nic.zz. hostmaster.nic.zz. 1 3600 600 604800 300
@ NS ns1.nic.zz.
ns1.nic A 127.0.0.1
alpha NS ns1.alpha.zz.
ns1.alpha A 127.0.0.1
bravo NS ns.example.net.
charlie NS ns.example.net.
delta NS ns.example.net.
"""
SANDBOX = ["--connect-only-to", "127.0.0.0/8", "--allow-referrals-to", "127.0.0.0/8"]


def whois_answer(domain: str) -> bytes | None:
    if domain == "delta.zz":
        return None  # the server answers "No match"
    return (f"Domain Name: {domain}\r\nRegistrar: Loopback Registrar\r\nCreation Date: 2021-03-04\r\n"
            f"Registrant Name: Test Holder\r\nRegistrant Email: holder@{domain}\r\nRegistrant Phone: 12345\r\n"
            "Registrant Country: ZZ\r\n").encode()


def rdap_answer(domain: str) -> bytes | None:
    if domain.startswith(("charlie", "delta")):
        return None
    return json.dumps({"objectClassName": "domain", "ldhName": domain, "status": ["active"],
                       "events": [{"eventAction": "registration", "eventDate": "2021-03-04T00:00:00Z"}],
                       "entities": []}).encode()


@pytest.fixture(scope="module")
def servers():  # type: ignore[no-untyped-def]
    with LoopbackWhoisServer(whois_answer) as whois, LoopbackRdapServer(rdap_answer) as rdap:
        yield whois, rdap


def test_zone_file_both_protocols_crawled_then_audited(tmp_path: Path, servers) -> None:  # type: ignore[no-untyped-def]
    whois, rdap = servers
    (tmp_path / "zz.zone").write_text(ZONE)
    out = tmp_path / "out"
    code = main(["crawl", str(tmp_path / "zz.zone"), "--out", str(out), "--db", str(tmp_path / "a.sqlite"),
                 "--protocol", "both", "--whois-server", f"zz={whois.address}", "--rdap-url", f"zz={rdap.base_url}",
                 "--rate", "*=50", "--no-dns", "--quiet", *SANDBOX])
    assert code == 0
    assert sorted(whois.queries) == ["alpha.zz", "bravo.zz", "charlie.zz", "delta.zz"]
    summary = json.loads((out / "summary.json").read_text())
    collection = summary["collection"]
    assert collection["kind"] == "crawl" and collection["targets"]["total"] == 8 and collection["targets"]["done"] == 8
    w = collection["servers"][f"whois {whois.address}"]
    r = collection["servers"][f"rdap 127.0.0.1:{rdap.port}"]
    assert (w["ok"], w["not_found"], w["rate_limited"], w["error"]) == (3, 1, 0, 0)
    assert (r["ok"], r["not_found"]) == (2, 2)
    assert summary["inputs"]["raw_records"] == 8
    assert summary["parsing"]["outcomes"]["registered"] == 5
    assert summary["records_audited"] == 3  # one registration per domain, RDAP or WHOIS
    assert (out / "findings.jsonl").exists() and (out / "report.html").exists()
    assert json.loads((out / "crawl.json").read_text())["job"] == collection["job"]


def test_axfr_and_csv_sources_in_one_crawl(tmp_path: Path, servers) -> None:  # type: ignore[no-untyped-def]
    whois, _rdap = servers
    zone = dns.zone.from_text(ZONE, origin="zz.", relativize=False)
    (tmp_path / "export.csv").write_text("Domain Name;holder\nEcho.ZZ;x\nalpha.zz;y\nnot a domain;z\n")
    with LoopbackDnsServer(ZoneData({"zz.": zone})) as dns_server:
        code = main(["crawl", f"axfr://127.0.0.1:{dns_server.port}/zz", f"csv:{tmp_path / 'export.csv'}#domain name",
                     "--out", str(tmp_path / "out"), "--db", str(tmp_path / "a.sqlite"), "--whois-server", whois.address,
                     "--rate", "*=50", "--no-dns", "--quiet", *SANDBOX])
    assert code == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    sources = {s["source"].split(":", 1)[0]: s for s in summary["collection"]["sources"]}
    assert sources["axfr"]["domains"] == 4
    assert sources["csv"]["domains"] == 2 and sources["csv"]["rejected"][0]["where"] == "row 4"
    assert summary["collection"]["targets"]["total"] == 5  # alpha.zz is in both sources, asked once


def test_the_same_command_again_asks_nothing_new(tmp_path: Path, servers) -> None:  # type: ignore[no-untyped-def]
    whois, _rdap = servers
    (tmp_path / "d.txt").write_text("foxtrot.zz\ngolf.zz\n")
    args = ["crawl", str(tmp_path / "d.txt"), "--out", str(tmp_path / "out"), "--db", str(tmp_path / "a.sqlite"),
            "--whois-server", whois.address, "--rate", "*=50", "--no-dns", "--quiet", *SANDBOX]
    before = len(whois.queries)
    assert main(args) == 0 and len(whois.queries) == before + 2
    assert main(args) == 0 and len(whois.queries) == before + 2
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["inputs"]["raw_records"] == 2 and summary["inputs"]["raw_records_new"] == 0


def test_quota_left_domains_exit_3_and_say_so(tmp_path: Path, servers, capsys) -> None:  # type: ignore[no-untyped-def]
    whois, _rdap = servers
    (tmp_path / "d.txt").write_text("hotel.zz\nindia.zz\njuliett.zz\n")
    code = main(["crawl", str(tmp_path / "d.txt"), "--out", str(tmp_path / "out"), "--db", str(tmp_path / "a.sqlite"),
                 "--whois-server", whois.address, "--rate", "*=50", "--quota", f"{whois.address}=1", "--no-dns", "--quiet",
                 *SANDBOX])
    assert code == 3
    text = capsys.readouterr().out
    assert "left for the next run: 2 domain(s)" in text and "quota of 1 queries per 24 h used up" in text


def test_domains_without_a_server_are_skipped_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("example.za\nexample.unknowntld\n")
    code = main(["crawl", str(tmp_path / "d.txt"), "--out", str(tmp_path / "out"), "--db", str(tmp_path / "a.sqlite"),
                 "--protocol", "whois", "--no-dns", "--quiet", *SANDBOX])
    assert code == 0
    skipped = json.loads((tmp_path / "out" / "summary.json").read_text())["collection"]["skipped"]
    reasons = {s["domain"]: s["reason"] for s in skipped}
    assert "no public port-43 WHOIS" in reasons["example.za"]
    assert "--whois-server" in reasons["example.unknowntld"]


@pytest.mark.parametrize(("args", "message"), [
    (["missing.txt"], "cannot read"),
    (["d.txt", "--rate", "x=fast"], "is not a number"),
    (["d.txt", "--rate", "*=0"], "must be above 0"),
    (["d.txt", "--allow-referrals-to", "not-a-network"], "crawl settings"),
    (["csv:d.txt#registrant"], "no column 'registrant'"),
    (["d.txt", "--rdap-url", "ftp://x/"], "not an http(s) URL"),
    (["d.txt", "--max-attempts", "0"], "at least 1"),
])
def test_bad_input_is_a_clear_error(tmp_path: Path, capsys, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "d.txt").write_text("domain\nkilo.zz\n")
    args = [str(tmp_path / a) if a.endswith(".txt") and not a.startswith("csv:") else a for a in args]
    args = [f"csv:{tmp_path / 'd.txt'}#registrant" if a.startswith("csv:") else a for a in args]
    code = main(["crawl", *args, "--out", str(tmp_path / "out"), "--db", str(tmp_path / "a.sqlite"), "--quiet"])
    assert code == 2
    assert message in capsys.readouterr().err


def test_axfr_refused_is_a_clear_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    zone = dns.zone.from_text(ZONE, origin="zz.", relativize=False)
    with LoopbackDnsServer(ZoneData({"zz.": zone}, {"zz.": "refused"})) as dns_server:
        code = main(["crawl", f"axfr://127.0.0.1:{dns_server.port}/zz", "--out", str(tmp_path / "out"),
                     "--db", str(tmp_path / "a.sqlite"), "--quiet"])
    assert code == 2 and "refused the transfer" in capsys.readouterr().err
