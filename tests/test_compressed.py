"""Compressed inputs (auditor.compressed): read as the file inside, streamed; damage is a clear error
that keeps what was read before it; a small file that expands beyond the limits is refused."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import zipfile
from pathlib import Path

import pytest

from auditor.cli import EXIT_INCOMPLETE, main
from auditor.compressed import format_suffix, inner_name, open_input, read_at_most
from auditor.errors import InputError
from auditor.importers import MAX_RESPONSE_FILE_BYTES, MAX_ROW_BYTES, import_file
from auditor.parse import parse
from auditor.pipeline import AuditOptions, run_audit
from auditor.records import RegistrationRecord, Role
from auditor.sizing import estimate, measure
from auditor.sources import parse_source, read_domains

HEADER = "domain,registrar,created,registrant_name,registrant_email,registrant_phone,registrant_country\n"


def _export(rows: int) -> bytes:
    lines = [HEADER] + [f"shop{i}.zz,Alpha,2020-01-0{1 + i % 9},Anna Schmidt {i},anna{i}@shop{i}.zz,"
                        f"+49.30123456{i % 100:02d},DE\n" for i in range(rows)]
    return "".join(lines).encode()


def _zip(member: str, data: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
        for name, more in (extra or {}).items():
            archive.writestr(name, more)
    return buf.getvalue()


COMPRESSORS = {"export.csv.gz": gzip.compress, "export.csv.bz2": bz2.compress, "export.csv.xz": lzma.compress,
               "export.zip": lambda data: _zip("dump/export.csv", data)}


@pytest.mark.parametrize("name", sorted(COMPRESSORS))
def test_a_compressed_export_imports_as_the_export_inside(tmp_path: Path, name: str) -> None:
    data = _export(5)
    (tmp_path / "plain.csv").write_bytes(data)
    (tmp_path / name).write_bytes(COMPRESSORS[name](data))
    plain, packed = import_file(tmp_path / "plain.csv"), import_file(tmp_path / name)
    assert packed.error is None and format_suffix(tmp_path / name) == ".csv"
    assert [r.body for r in packed.records] == [r.body for r in plain.records]
    assert [r.sha256 for r in packed.records] == [r.sha256 for r in plain.records]
    assert packed.records[2].origin == f"{tmp_path / name}:row 4"
    record = parse(packed.records[0])
    assert isinstance(record, RegistrationRecord) and record.contact(Role.REGISTRANT).email == "anna0@shop0.zz"  # type: ignore[union-attr]


def test_compression_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    # a .gz that is not compressed is read as it is; a compressed file without the suffix is decompressed
    (tmp_path / "export.csv.gz").write_bytes(_export(2))
    (tmp_path / "response.txt").write_bytes(gzip.compress(b"Domain Name: packed.zz\nRegistrant Name: Anna\n"))
    assert len(import_file(tmp_path / "export.csv.gz").records) == 2
    raw = import_file(tmp_path / "response.txt").records[0]
    assert raw.query == "packed.zz" and raw.body.startswith(b"Domain Name: packed.zz")


def test_compressed_single_responses_rdap_jsonl_and_escrow(tmp_path: Path) -> None:
    rdap = b'{"objectClassName": "domain", "ldhName": "one.zz", "rdapConformance": ["rdap_level_0"]}'
    (tmp_path / "one.zz.json.gz").write_bytes(gzip.compress(rdap))
    (tmp_path / "many.jsonl.xz").write_bytes(lzma.compress(rdap + b"\n" + rdap.replace(b"one.zz", b"two.zz") + b"\n"))
    (tmp_path / "two.zz.txt.bz2").write_bytes(bz2.compress(b"Domain Name: two.zz\nRegistrant Name: Bob\n"))
    assert [r.query for r in import_file(tmp_path / "one.zz.json.gz").records] == ["one.zz"]
    assert [r.query for r in import_file(tmp_path / "many.jsonl.xz").records] == ["one.zz", "two.zz"]
    assert [r.query for r in import_file(tmp_path / "two.zz.txt.bz2").records] == ["two.zz"]
    deposit = Path(__file__).parent.parent / "fixtures" / "escrow"
    full = next(p for p in sorted(deposit.glob("*.xml")) if b'type="FULL"' in p.read_bytes()[:2000])
    (tmp_path / "deposit.xml.gz").write_bytes(gzip.compress(full.read_bytes()))
    plain, packed = import_file(full), import_file(tmp_path / "deposit.xml.gz")
    assert packed.error is None and [r.body for r in packed.records] == [r.body for r in plain.records]


def test_a_truncated_stream_keeps_the_rows_before_it_and_says_where_it_stopped(tmp_path: Path) -> None:
    data = gzip.compress(_export(3000))
    (tmp_path / "export.csv.gz").write_bytes(data[: len(data) // 2])
    report = import_file(tmp_path / "export.csv.gz")
    assert report.error is not None and "the gzip stream is cut short" in report.error
    assert 0 < len(report.records) < 3000
    assert f"the {len(report.records):,} records before it" in report.error
    assert report.records[-1].origin in report.error
    # every row kept is whole: it parses into the registration it was
    last = parse(report.records[-1])
    assert isinstance(last, RegistrationRecord) and last.contact(Role.REGISTRANT) is not None


def test_garbage_behind_a_compression_magic_is_an_error_not_a_crash(tmp_path: Path) -> None:
    for name, data in {"a.csv.gz": b"\x1f\x8b" + b"\x00" * 50, "b.csv.xz": b"\xfd7zXZ\x00garbage",
                       "c.csv.bz2": b"BZh9" + b"junk" * 10, "d.zip": b"PK\x03\x04" + b"\x00" * 30}.items():
        (tmp_path / name).write_bytes(data)
        report = import_file(tmp_path / name)
        assert report.error and not report.records, name


def test_zstd_and_zips_of_several_files_are_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "export.csv.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    assert "zstd -d" in (import_file(tmp_path / "export.csv.zst").error or "")
    (tmp_path / "two.zip").write_bytes(_zip("a.csv", _export(1), {"b.csv": _export(1)}))
    error = import_file(tmp_path / "two.zip").error or ""
    assert "a zip archive of 2 files" in error and "Unpack it" in error
    # the macOS resource forks beside the one file do not count
    (tmp_path / "mac.zip").write_bytes(_zip("export.csv", _export(1), {"__MACOSX/._export.csv": b"\x00\x05"}))
    assert inner_name(tmp_path / "mac.zip") == "export.csv" and len(import_file(tmp_path / "mac.zip").records) == 1


def test_a_decompression_bomb_is_refused_as_one_response(tmp_path: Path) -> None:
    # 20 MB of one byte compresses to about 20 kB: as one WHOIS response it would exceed the limit
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"a" * (MAX_RESPONSE_FILE_BYTES + 1024)))
    assert (tmp_path / "bomb.txt.gz").stat().st_size < 100_000
    report = import_file(tmp_path / "bomb.txt.gz")
    assert report.error and "too large for one response" in report.error and "once decompressed" in report.error
    with open_input(tmp_path / "bomb.txt.gz") as handle:
        assert len(handle.read(10)) == 10  # streamed: nothing read beyond what is asked


def test_the_memory_check_measures_what_is_inside(tmp_path: Path) -> None:
    data = _export(1000)
    (tmp_path / "export.csv.gz").write_bytes(gzip.compress(data))
    assert measure(tmp_path / "export.csv.gz") == (1001, len(data))
    found = estimate([tmp_path / "export.csv.gz"])
    assert found.records == 1001 and found.input_bytes == len(data)
    # a damaged file is measured up to the damage; a zip of several files counts for nothing (the import says why)
    packed = gzip.compress(data)
    (tmp_path / "cut.csv.gz").write_bytes(packed[: len(packed) // 2])
    (tmp_path / "two.zip").write_bytes(_zip("a.csv", data, {"b.csv": data}))
    assert 0 < estimate([tmp_path / "cut.csv.gz"]).records < 1001
    assert estimate([tmp_path / "two.zip"]).records == 0


def test_an_audit_of_a_compressed_export_equals_the_audit_of_the_export(tmp_path: Path) -> None:
    data = _export(40) + b"bad.zz,Alpha,2020-01-01,asdf asdf,test@example.com,+1.5555555555,ZZ\n"
    (tmp_path / "plain").mkdir()
    (tmp_path / "packed").mkdir()
    (tmp_path / "plain" / "export.csv").write_bytes(data)
    (tmp_path / "packed" / "export.csv.gz").write_bytes(gzip.compress(data))
    options = AuditOptions(dns=False, workers=1)
    plain = run_audit([tmp_path / "plain"], tmp_path / "out1", f"sqlite:///{tmp_path}/a.db", options)
    packed = run_audit([tmp_path / "packed"], tmp_path / "out2", f"sqlite:///{tmp_path}/b.db", options)
    assert packed.summary["inputs"]["import_errors"] == []
    assert plain.summary["records_audited"] == packed.summary["records_audited"] == 41
    assert {(f.domain, f.rule_id) for f in plain.findings} == {(f.domain, f.rule_id) for f in packed.findings}
    assert {f.rule_id for f in packed.findings if f.domain == "bad.zz"} >= {"FAL002", "UNV005"}


def test_crawl_sources_read_compressed_lists_zone_files_and_czds_zone_files(tmp_path: Path) -> None:
    (tmp_path / "domains.txt.gz").write_bytes(gzip.compress(b"one.zz\n# a comment\nTWO.zz\n"))
    assert read_domains(parse_source(str(tmp_path / "domains.txt.gz"))).domains == ["one.zz", "two.zz"]
    zone = (b"$ORIGIN zz.\n$TTL 3600\n@ IN SOA ns1.nic.zz. h.nic.zz. 1 2 3 4 5\n@ IN NS ns1.nic.zz.\n"
            b"shop IN NS ns1.shop.zz.\n")
    (tmp_path / "zz.zone.xz").write_bytes(lzma.compress(zone))
    source = parse_source(str(tmp_path / "zz.zone.xz"))
    assert source.kind == "zone" and read_domains(source).domains == ["shop.zz"]
    # ICANN's CZDS: every name written in full, lower-case class and type, named zone.txt.gz
    czds = (b"zz.\t900\tin\tsoa\tns1.nic.zz. h.nic.zz. 1 2 3 4 5\nzz.\t172800\tin\tns\tns1.nic.zz.\n"
            b"alpha.zz.\t172800\tin\tns\tns1.alpha.zz.\nbeta.zz.\t172800\tin\tns\tns1.dns.example.\n"
            b"ns1.alpha.zz.\t172800\tin\ta\t192.0.2.1\n")
    (tmp_path / "zz.txt.gz").write_bytes(gzip.compress(czds))
    found = read_domains(parse_source(str(tmp_path / "zz.txt.gz")))
    assert found.source.kind == "zone" and found.domains == ["alpha.zz", "beta.zz"] and not found.rejected


def test_a_damaged_compressed_source_is_a_clear_input_error(tmp_path: Path) -> None:
    packed = gzip.compress(b"one.zz\n" * 10000)
    (tmp_path / "domains.txt.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(InputError, match="list:.*domains.txt.gz: the gzip stream is cut short"):
        read_domains(parse_source(str(tmp_path / "domains.txt.gz")))


def test_the_audit_exits_3_when_an_input_was_not_wholly_imported(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "export.csv").write_bytes(_export(3))
    args = ["audit", str(tmp_path / "in"), "--out", str(tmp_path / "o"), "--db", str(tmp_path / "a.sqlite"),
            "--quiet", "--no-dns"]
    assert main(args) == 0
    packed = gzip.compress(_export(3000))
    (tmp_path / "in" / "more.csv.gz").write_bytes(packed[: len(packed) // 2])
    assert main(args) == EXIT_INCOMPLETE == 3
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert [e["input"] for e in summary["inputs"]["import_errors"]] == [str(tmp_path / "in" / "more.csv.gz")]
    assert 3 < summary["records_audited"] < 3003
    assert main([*args[:2], str(tmp_path / "missing.csv"), *args[2:]]) == 3


def _flip(data: bytes, at: float = 0.5) -> bytes:
    i = int(len(data) * at)
    return data[:i] + bytes([data[i] ^ 0x55]) + data[i + 1 :]


@pytest.mark.parametrize("name", sorted(COMPRESSORS))
def test_a_damaged_stream_imports_nothing_as_its_rows_cannot_be_trusted(tmp_path: Path, name: str) -> None:
    # gzip and zip find a flipped byte only by the checksum at the end, after the damaged rows were read
    (tmp_path / name).write_bytes(_flip(COMPRESSORS[name](_export(20000))))
    report = import_file(tmp_path / name)
    assert report.error and not report.records
    assert "nothing was imported from it" in report.error or "not a readable" in report.error


def test_trailing_data_after_a_whole_gzip_stream_keeps_every_row(tmp_path: Path) -> None:
    (tmp_path / "export.csv.gz").write_bytes(gzip.compress(_export(50)) + b"this is not gzip")
    report = import_file(tmp_path / "export.csv.gz")
    assert len(report.records) == 50 and "followed by data that is not gzip" in (report.error or "")


def _patched_zip(data: bytes, flag: int = 0, method: int | None = None) -> bytes:
    """A one-file zip with its general-purpose flags or compression method changed in both headers."""
    out = bytearray(data)
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        i = out.index(signature)
        out[i + flag_at] |= flag
        if method is not None:
            out[i + method_at : i + method_at + 2] = method.to_bytes(2, "little")
    return bytes(out)


def test_encrypted_zips_and_unknown_methods_are_import_errors_not_crashes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    packed = _zip("export.csv", _export(3))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "locked.zip").write_bytes(_patched_zip(packed, flag=0x1))
    (tmp_path / "in" / "deflate64.zip").write_bytes(_patched_zip(packed, method=9))
    for name in ("locked.zip", "deflate64.zip"):
        report = import_file(tmp_path / "in" / name)
        assert report.error and "not a readable zip file" in report.error and not report.records, name
    assert estimate([tmp_path / "in" / "locked.zip"]).records <= 4
    (tmp_path / "in" / "good.csv").write_bytes(_export(2))
    assert main(["audit", str(tmp_path / "in"), "--out", str(tmp_path / "o"), "--db", str(tmp_path / "a.sqlite"),
                 "--quiet", "--no-dns"]) == EXIT_INCOMPLETE
    assert "import error" in capsys.readouterr().out


def test_archives_of_many_files_and_double_compression_are_refused(tmp_path: Path) -> None:
    member = tmp_path / "export.csv"
    member.write_bytes(_export(3))
    with tarfile.open(tmp_path / "exports.tar.gz", "w:gz") as archive:
        archive.add(member, arcname="export.csv")
    with tarfile.open(tmp_path / "exports.tar", "w") as archive:
        archive.add(member, arcname="export.csv")
    (tmp_path / "twice.zip").write_bytes(_zip("export.csv.gz", gzip.compress(_export(3))))
    assert "a tar archive" in (import_file(tmp_path / "exports.tar.gz").error or "")
    assert "a tar archive" in (import_file(tmp_path / "exports.tar").error or "")
    assert "gzip-compressed file inside a zip one" in (import_file(tmp_path / "twice.zip").error or "")


def test_a_huge_line_is_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    line = b"x" * (MAX_ROW_BYTES * 8)
    (tmp_path / "export.csv.gz").write_bytes(gzip.compress(HEADER.encode() + b"a.zz," + line + b"\n"))
    (tmp_path / "rdap.jsonl.gz").write_bytes(gzip.compress(b'{"a": "' + line + b'"}\n'))
    for name in ("export.csv.gz", "rdap.jsonl.gz"):
        report = import_file(tmp_path / name)
        assert report.error and f"longer than {MAX_ROW_BYTES} bytes" in report.error and not report.records, name


def test_the_same_export_compressed_or_not_is_stored_once(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "export.csv").write_bytes(_export(20))
    (tmp_path / "b" / "export.csv.gz").write_bytes(gzip.compress(_export(20)))
    plain, packed = import_file(tmp_path / "a" / "export.csv"), import_file(tmp_path / "b" / "export.csv.gz")
    assert [(r.source, r.server, r.query, r.sha256) for r in plain.records] == \
           [(r.source, r.server, r.query, r.sha256) for r in packed.records]
    db = f"sqlite:///{tmp_path}/one.db"
    options = AuditOptions(dns=False, workers=1)
    first = run_audit([tmp_path / "a"], tmp_path / "o1", db, options)
    second = run_audit([tmp_path / "b"], tmp_path / "o2", db, options)
    assert first.summary["inputs"]["raw_records_new"] == 20 and second.summary["inputs"]["raw_records_new"] == 0


def test_a_damaged_or_cut_short_deposit_imports_nothing(tmp_path: Path) -> None:
    full = next(p for p in sorted((Path(__file__).parent.parent / "fixtures" / "escrow").glob("*.xml"))
                if b'type="FULL"' in p.read_bytes()[:2000])
    packed = gzip.compress(full.read_bytes())
    (tmp_path / "cut.xml.gz").write_bytes(packed[: len(packed) * 3 // 4])
    report = import_file(tmp_path / "cut.xml.gz")
    assert not report.records and "a deposit's domains refer to contacts anywhere in it" in (report.error or "")


def test_a_zone_file_too_large_for_one_response_gets_the_crawl_hint(tmp_path: Path) -> None:
    lines = b"".join(b"name%07d.zz.\t86400\tin\tns\tns1.dns.zz.\n" % i for i in range(MAX_RESPONSE_FILE_BYTES // 30))
    (tmp_path / "zz.txt.gz").write_bytes(gzip.compress(b"zz.\t900\tin\tsoa\tns1.zz. h.zz. 1 2 3 4 5\n" + lines))
    error = import_file(tmp_path / "zz.txt.gz").error or ""
    assert error.startswith("a zone file") and "auditor crawl zz.txt.gz" in error


def test_crawl_lists_with_a_zone_like_line_further_down_stay_lists_and_zips_of_exports_are_exports(tmp_path: Path) -> None:
    (tmp_path / "l.txt").write_text("#example.zz 3600 IN NS ns1.example.zz.\na.zz\nexample.zz 3600 IN NS ns1\nb.zz\n")
    found = read_domains(parse_source(str(tmp_path / "l.txt")))
    assert found.source.kind == "list" and found.domains == ["a.zz", "b.zz"] and len(found.rejected) == 1
    (tmp_path / "export.zip").write_bytes(_zip("export.csv", _export(3)))
    found = read_domains(parse_source(str(tmp_path / "export.zip")))
    assert found.source.kind == "csv" and found.domains == ["shop0.zz", "shop1.zz", "shop2.zz"]


def test_read_at_most_stops_one_byte_past_the_limit() -> None:
    assert read_at_most(io.BytesIO(b"x" * 10), 4) == b"xxxxx"
    assert read_at_most(io.BytesIO(b"x" * 3), 4) == b"xxx"
    assert len(read_at_most(io.BytesIO(b"x" * 300_000), 200_000)) == 200_001


def test_a_sample_is_drawn_from_a_compressed_list_or_a_zone_file(tmp_path: Path) -> None:
    from auditor.sampling import read_units

    (tmp_path / "domains.txt.gz").write_bytes(gzip.compress(b"one.zz\ntwo.zz 2020-01-01\n# note\nthree.zz\n"))
    assert read_units(tmp_path / "domains.txt.gz", "tld") == [("one.zz", "zz"), ("two.zz", "zz"), ("three.zz", "zz")]
    (tmp_path / "zz.zone").write_text("$ORIGIN zz.\n$TTL 60\n@ IN SOA a. b. 1 2 3 4 5\n@ IN NS a.\nshop IN NS ns.shop.zz.\n")
    assert read_units(tmp_path / "zz.zone", None) == [("shop.zz", "zz")]
