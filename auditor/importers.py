"""What a registry or registrar already holds, turned into RawRecords (bytes kept as they are).

Inputs: RDAP domain responses (``*.json``, or ``*.jsonl`` with one response per line), raw port-43
WHOIS responses (``*.txt`` and any other file), CSV exports (``*.csv`` or ``*.tsv``, any common separator, columns in the README) and full
data escrow deposits (``*.xml``, RFC 9022).
A directory is read recursively in name order. Every input file ends up in the summary: as raw
records, or as an import error with its reason. Nothing is skipped silently.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from auditor.compressed import (
    CompressedInputError,
    archive_inside,
    compression_of,
    format_suffix,
    inner_name,
    open_input,
    read_input,
    read_steps,
    stream_damage,
    without_compression_suffix,
)
from auditor.decode import decode
from auditor.domains import looks_like_domain, normalise_domain
from auditor.errors import DecodeError, InputError
from auditor.parse import escrow
from auditor.parse.csv_export import classify_column, unread_columns
from auditor.parse.dates import parse_date
from auditor.records import FetchStatus, ImportReport, RawRecord, Source

#: A single response file larger than this is refused (a WHOIS answer is a few kB, RDAP tens of kB).
MAX_RESPONSE_FILE_BYTES = 16 * 1024 * 1024
#: CSV exports and JSON-lines files are streamed, but a row or line larger than this is refused.
MAX_ROW_BYTES = 1024 * 1024

#: Registry and registrar exports: comma, semicolon, tab or bar separated (the dialect is sniffed).
TABLE_SUFFIXES = (".csv", ".tsv")

_DOMAIN_LINE = re.compile(r"^\s*(?:domain(?: name)?|domainname|\[domain name\])\s*[:.\]]*\s*(\S+)", re.I | re.M)
_SERVER_BANNER = re.compile(r"^\s*\[(?:querying\s+)?(whois\.[a-z0-9.-]+)\]\s*$", re.I | re.M)


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[ImportReport]]:
    """Expand directories; paths that do not exist become import errors, not exceptions."""
    files: list[Path] = []
    missing: list[ImportReport] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and not p.name.endswith((".expected.json", ".expected"))
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append(ImportReport(str(path), error="no such file or directory"))
    return files, missing


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def import_file(path: Path) -> ImportReport:
    """Read one input file into raw records; never raises for bad content.

    A file may be compressed (gzip, bzip2, xz, a zip of one file: see auditor.compressed); its format is
    that of the file inside. When a streamed file (an export, JSON lines) is cut short, the records read
    before the cut are kept beside the error, which says where it stopped; a compressed file damaged
    part-way gives none (its checksum fails only at its end, after the damaged rows were read).
    """
    try:
        kind = compression_of(path)
        suffix = format_suffix(path, kind)
        refused = archive_inside(_head(path, 512, kind), kind) if kind else None
    except OSError as exc:
        return ImportReport(str(path), error=f"cannot read: {exc.strerror or exc}")
    except InputError as exc:
        return ImportReport(str(path), error=str(exc))
    if refused:
        return ImportReport(str(path), error=refused)
    records: list[RawRecord] = []
    try:
        if suffix in TABLE_SUFFIXES:
            records.extend(_csv_records(path, suffix, kind))
            kept = tuple(records)
            return ImportReport(str(path), records=kept, notes=_export_notes(kept))
        if suffix == ".jsonl":
            records.extend(_jsonl_records(path, kind))
            return ImportReport(str(path), records=tuple(records))
        if suffix == ".xml":
            records.extend(escrow_records(path, kind))
            return ImportReport(str(path), records=tuple(records))
        body = read_input(path, MAX_RESPONSE_FILE_BYTES, kind)
    except CompressedInputError as exc:
        return _import_failed(path, suffix, records, exc)
    except OSError as exc:
        return ImportReport(str(path), records=tuple(records), error=_stopped(f"cannot read: {exc.strerror or exc}", records))
    except (csv.Error, UnicodeDecodeError, ValueError, DecodeError, SyntaxError, InputError) as exc:
        # (an XML file that is not well formed raises ElementTree's ParseError, a SyntaxError)
        if not isinstance(exc, InputError):
            # content that makes no sense may be a damaged stream's garbage, handed out before its checksum failed
            damage = stream_damage(path, kind)
            if damage is not None and not damage.truncated:
                return _import_failed(path, suffix, records, damage)
        reason = str(exc) if isinstance(exc, InputError) else f"unreadable {suffix or 'file'}: {exc}"
        if suffix not in TABLE_SUFFIXES + (".jsonl", ".xml"):  # one response, too large: perhaps a zone file
            names_only = _names_without_data(_head(path, 65536, kind))
            if names_only:
                return ImportReport(str(path), error=_crawl_instead(names_only, path))
        return ImportReport(str(path), records=tuple(records), error=_stopped(reason, records))
    if suffix == ".json":
        return ImportReport(str(path), records=tuple(rdap_records(body, path, _mtime(path), str(path))))
    refused = archive_inside(body[:512], None)
    if refused:
        return ImportReport(str(path), error=refused)
    names_only = _names_without_data(body)
    if names_only:
        return ImportReport(str(path), error=_crawl_instead(names_only, path))
    return ImportReport(str(path), records=(whois_record(body, path, _mtime(path)),))


def _import_failed(path: Path, suffix: str, records: list[RawRecord], exc: CompressedInputError) -> ImportReport:
    """What a compressed file whose stream broke imports: the records before a cut, else nothing."""
    if exc.truncated and suffix != ".xml":
        return ImportReport(str(path), records=tuple(records), error=_stopped(str(exc), records))
    if suffix == ".xml":
        why = "a deposit's domains refer to contacts anywhere in it"
    else:
        why = "its checksum fails only at its end, so no record read before the damage can be trusted"
    return ImportReport(str(path), error=f"{exc}; nothing was imported from it ({why})")


def _crawl_instead(what: str, path: Path) -> str:
    return (f"{what}: domain names without registration data; `auditor crawl {path.name} --out DIR` collects "
            "their records and audits them")


def _stopped(reason: str, records: list[RawRecord]) -> str:
    """An import error's reason, saying what was kept when the file failed part-way."""
    if not records:
        return reason
    return (f"{reason} (reading stopped there; the {len(records):,} records before it, up to {records[-1].origin}, "
            "are audited)")


#: The lines only a zone file has: $ORIGIN or $TTL, an SOA record, or a record with a TTL, a class and
#: a type (ICANN's CZDS files: "example.zz.	86400	in	ns	ns1.example.zz.").
ZONE_FILE_LINE = re.compile(r"^\s*(?:\$ORIGIN|\$TTL|\S*\s+(?:\d+\s+)?(?:IN\s+)?(?:\d+\s+)?SOA\s"
                            r"|\S+\s+\d+\s+IN\s+NS\s)", re.I | re.M)


def starts_like_a_zone_file(text: str) -> bool:
    """Is the first line that is not blank or a comment a zone file's ($ORIGIN, $TTL, SOA, "name TTL IN NS")?
    (One zone-like line further down a list is rejected as that line, not taken for a zone file.)"""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", ";")):
            return ZONE_FILE_LINE.match(line) is not None
    return False


def _names_without_data(body: bytes) -> str | None:
    """"a zone file" or "a list of domain names" when that is all the file is: passed to the audit by
    mistake instead of to the crawl, it would be one parse failure with no reason an operator can act on."""
    text = body[:65536].decode("utf-8", "replace")
    if starts_like_a_zone_file(text):
        return "a zone file"
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith((";", "%"))]
    if lines and all(" " not in line and ":" not in line and looks_like_domain(line) for line in lines):
        return "a list of domain names"
    return None


def _export_notes(records: tuple[RawRecord, ...]) -> tuple[str, ...]:
    """What an operator should know of an export that imported: the columns no field is read from."""
    if not records:
        return ()
    header = next(csv.reader([records[0].body.decode("utf-8").split("\n", 1)[0]]), [])
    unread = unread_columns(header)
    return (f"columns not read (no known field by these names): {', '.join(unread)}",) if unread else ()


def rdap_records(body: bytes, path: Path, fetched_at: datetime, origin: str) -> Iterator[RawRecord]:
    """The RDAP responses of one file or line: itself, or each domain of a search result (RFC 9083
    section 8, `domainSearchResults`) or of a JSON array of domain objects, as a bulk RDAP export writes them.

    A domain taken out of such a document is stored as that object re-serialised (with the document's
    `rdapConformance` when it has none of its own), so its JSONPath locations point into its own body.
    """
    data = _json_or_none(body)
    objects: list[Any] | None = None
    conformance = None
    if isinstance(data, list):
        objects = data
    elif isinstance(data, dict) and isinstance(data.get("domainSearchResults"), list):
        objects, conformance = data["domainSearchResults"], data.get("rdapConformance")
        if not objects:
            return  # a search that found nothing: no domain to audit
    if not objects:  # one response (or an empty list, which the parser then reports)
        yield _rdap_raw(body, data, path, fetched_at, origin)
        return
    for number, item in enumerate(objects, start=1):
        if isinstance(item, dict) and conformance is not None and "rdapConformance" not in item:
            item = {"rdapConformance": conformance, **item}
        yield _rdap_raw(json.dumps(item, ensure_ascii=False).encode("utf-8"), item, path, fetched_at,
                        f"{origin}:object {number}")


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig")) if len(body) < MAX_RESPONSE_FILE_BYTES else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None


def _rdap_raw(body: bytes, data: Any, path: Path, fetched_at: datetime, origin: str) -> RawRecord:
    query, server, url = _stem_domain(path), "file", None
    if isinstance(data, dict):
        ldh = data.get("ldhName") or data.get("unicodeName")
        if isinstance(ldh, str) and looks_like_domain(ldh):
            query = normalise_domain(ldh)
        for link in data.get("links") or []:
            if isinstance(link, dict) and link.get("rel") == "self" and isinstance(link.get("href"), str):
                url = link["href"]
                server = urlsplit(url).hostname or server
                break
    status = FetchStatus.OK
    if isinstance(data, dict) and data.get("errorCode") == 404:
        status = FetchStatus.NOT_FOUND
    return RawRecord(Source.RDAP, server, query, body, fetched_at, status=status, url=url, origin=origin)


def whois_record(body: bytes, path: Path, fetched_at: datetime) -> RawRecord:
    """A port-43 response file; the domain from the response, else the file name."""
    head = body[:65536].decode("latin-1")
    query = ""
    m = _DOMAIN_LINE.search(head)
    if m and looks_like_domain(m.group(1)):
        query = normalise_domain(m.group(1))
    if not query:
        query = _stem_domain(path)
    server = "file"
    banner = _SERVER_BANNER.search(head[:2000])
    if banner:
        server = banner.group(1).lower()
    return RawRecord(Source.WHOIS, server, query, body, fetched_at, origin=str(path))


def _stem_domain(path: Path) -> str:
    """The domain a response file is named after ("example.zz.txt", "whois_example.zz", "example.zz.json.gz")."""
    name = without_compression_suffix(path.name)
    for suffix in (".json", ".jsonl", ".txt", ".whois", ".rdap"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    name = name.split("_", 1)[-1] if "_" in name and not looks_like_domain(name) else name
    return normalise_domain(name) if looks_like_domain(name) else ""


#: Excel's first line naming the separator of a "CSV" it saved (`sep=;`): not the header.
_EXCEL_SEPARATOR_LINE = re.compile(r"sep=(.)\r?\n")
#: The decoding error handler of a UTF-8 export (see `_legacy_bytes`).
LEGACY_BYTES = "auditor-legacy-bytes"


def _legacy_bytes(error: UnicodeError) -> tuple[str, int]:
    """Read bytes that are not UTF-8 in an export that otherwise is as Windows-1252, the commonest
    legacy encoding of registry back-ends: one row pasted from an old system must not cost the
    other rows (the encoding is chosen from the first MiB only)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return bytes(error.object[error.start : error.end]).decode("cp1252", errors="replace"), error.end


codecs.register_error(LEGACY_BYTES, _legacy_bytes)


def export_dialect(sample: str, tab_first: bool = False) -> tuple[type[csv.Dialect], bool]:
    """The dialect of a registry's or registrar's export from its first lines, and whether its first
    line is Excel's `sep=X` (to skip): the separator as sniffed (comma, semicolon, tab or bar), quotes
    always `"`. csv.Sniffer also guesses the quote character, and a nickname in single quotes
    ("Robert 'Bob' Smith") made it pick `'`: a later cell starting with an apostrophe ('s-Gravenhage)
    then swallowed the rest of the file into one cell. `tab_first`: a `.tsv` file, tab-separated when its
    header line has a tab (the sniffer could pick a comma from ragged rows)."""
    excel = _EXCEL_SEPARATOR_LINE.match(sample)
    if excel:
        delimiter, skipinitialspace = excel.group(1), False
    elif tab_first and "\t" in sample.split("\n", 1)[0]:
        delimiter, skipinitialspace = "\t", False  # a .tsv whose header has tabs: whatever the rows look like
    else:
        try:
            sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t|")
            delimiter, skipinitialspace = sniffed.delimiter, sniffed.skipinitialspace
        except csv.Error:
            delimiter, skipinitialspace = ",", False
    if delimiter == "," and not skipinitialspace:
        return csv.excel, bool(excel)
    return type("ExportDialect", (csv.excel,), {"delimiter": delimiter, "skipinitialspace": skipinitialspace}), bool(excel)


def _csv_records(path: Path, suffix: str = ".csv", kind: str | None = None) -> Iterator[RawRecord]:
    """One raw record per row: the header line and that row, re-serialised as a two-line CSV.
    `suffix` is the format's (".tsv" is tab-separated when its header has a tab), `kind` the file's
    compression."""
    fetched_at = _mtime(path)
    sample_bytes = _head(path, 1 << 20, kind)
    try:
        sample_bytes[:-4].decode("utf-8")
        encoding, errors = "utf-8-sig", LEGACY_BYTES
    except UnicodeDecodeError:
        encoding, errors = decode(sample_bytes).encoding, "strict"  # a legacy export (Windows-1252, ...)
    # the dialect from the first lines (a compressed stream cannot seek back: the content is opened again)
    sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample_bytes[:32768])[:8192]
    with open_input(path, kind) as binary, io.TextIOWrapper(binary, encoding=encoding, errors=errors, newline="") as handle:
        dialect, separator_line = export_dialect(sample, tab_first=suffix == ".tsv")
        if separator_line:
            handle.readline()
        reader = _csv_rows(handle, dialect)
        header, header_line = next(reader, ([], ""))
        if not header:
            raise ValueError("empty CSV (no header row)")
        # the column the parser reads the domain from ("domain", "Domain Name", "DomainName", "fqdn")
        domain_col = next((i for i, h in enumerate(header) if classify_column(h) == ("record", "domain")), None)
        if domain_col is None:
            raise ValueError("CSV has no 'domain' column; see the README for the expected columns")
        # every record's body is the header line then its row, both written the same way
        # the name inside: the same export shipped compressed or not gives the same raw records
        server, origin = f"csv:{inner_name(path, kind)}"[:255], f"{path}:row "
        for row_no, (row, line) in enumerate(reader, start=2):
            if not "".join(row).strip():  # a blank row
                continue
            body = (header_line + line).encode("utf-8")
            if len(body) > MAX_ROW_BYTES:
                raise ValueError(f"row {row_no} larger than {MAX_ROW_BYTES} bytes")
            domain = row[domain_col].strip() if domain_col < len(row) else ""
            query = normalise_domain(domain) if looks_like_domain(domain) else domain[:255]
            yield RawRecord(Source.CSV, server, query, body, fetched_at, origin=f"{origin}{row_no}")


def _head(path: Path, size: int, kind: str | None = "?") -> bytes:
    """The first `size` bytes of the content, or as many as come before a compressed stream's damage (the
    read that follows meets the damage after the rows before it)."""
    chunks: list[bytes] = []
    try:
        with open_input(path, kind) as handle:
            read_steps(handle, size, chunks)
    except CompressedInputError:
        pass
    return b"".join(chunks)


def _csv_rows(handle: Iterable[str], dialect: type[csv.Dialect] | csv.Dialect) -> Iterator[tuple[list[str], str]]:
    """The CSV records of a handle opened with newline="", each as (its cells, the line `csv.writer`
    with its default dialect and "\n" writes for them): the records' bodies are written one way,
    whatever the dialect of the export.

    A zone export is a million plain lines: with commas between the cells and no quote at all, its
    cells are the line split on commas and writing them again gives the line back, so both come from
    the line itself (importing a row took 11.0 us through the csv module, 6.4 to 7.0 us so). Any other line,
    and every record of another dialect, goes through `csv.reader`, which reads as many lines as a
    quoted cell spans, and `csv.writer`.
    """
    plain = (dialect.delimiter == "," and dialect.quotechar == '"' and not dialect.escapechar
             and not dialect.skipinitialspace)
    limit = csv.field_size_limit()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    lines = _bounded_lines(handle)
    for line in lines:
        if plain and '"' not in line and len(line) < limit:
            text = line.rstrip("\r\n")  # one line ending at most (newline="" splits at each)
            yield (text.split(",") if text else []), text + "\n"  # an empty line has no cell at all
        else:
            row = next(csv.reader(itertools.chain((line,), lines), dialect), [])
            buf.seek(0)
            buf.truncate()
            writer.writerow(row)
            yield row, buf.getvalue()


def _bounded_lines(handle: Any) -> Iterator[Any]:
    """The lines of a handle, refused as soon as one is longer than MAX_ROW_BYTES: a small compressed file
    can hold a line of gigabytes, which iterating over the handle would read whole first."""
    while line := handle.readline(MAX_ROW_BYTES + 1):
        if len(line) > MAX_ROW_BYTES:
            raise ValueError(f"a line longer than {MAX_ROW_BYTES} bytes")
        yield line


def _jsonl_records(path: Path, kind: str | None = "?") -> Iterator[RawRecord]:
    fetched_at = _mtime(path)
    with open_input(path, kind) as handle:
        for line_no, line in enumerate(_bounded_lines(handle), start=1):
            if not line.strip():
                continue
            yield from rdap_records(line.strip(), path, fetched_at, f"{path}:line {line_no}")


def escrow_records(path: Path, kind: str | None = "?") -> Iterator[RawRecord]:
    """One raw record per domain of a data escrow deposit (RFC 9022, XML model; decrypted, not the .ryde).

    A deposit writes each contact and registrar once and has domains refer to them by id, in any order,
    so it is read twice as a stream: first its contacts, registrars and watermark, then its domains.
    Each domain's raw record is a small XML document (see auditor.parse.escrow): the domain's element,
    then the contacts and registrar it refers to, each serialised as it stands in the deposit. Its time
    is the deposit's watermark, the moment the data describes. A DTD is refused (no entity expansion).
    """
    contact_tag, registrar_tag, watermark_tag = (escrow.qname("rdeContact", "contact"),
                                                 escrow.qname("rdeRegistrar", "registrar"), escrow.qname("rde", "watermark"))
    id_tag = {contact_tag: escrow.qname("rdeContact", "id"), registrar_tag: escrow.qname("rdeRegistrar", "id")}
    by_id: dict[str, dict[str, bytes]] = {contact_tag: {}, registrar_tag: {}}  # object tag -> id -> the object
    watermark: datetime | None = None
    for element in _deposit_objects(path, (contact_tag, registrar_tag, watermark_tag), kind):
        if element.tag == watermark_tag:
            watermark = parse_date((element.text or "").strip())
            continue
        key = (element.findtext(id_tag[element.tag]) or "").strip()
        if key:
            by_id[element.tag][key] = _serialised(element)
    contacts, registrars = by_id[contact_tag], by_id[registrar_tag]
    fetched_at = watermark or _mtime(path)
    server, origin = f"escrow:{inner_name(path, kind)}"[:255], f"{path}:domain "
    name_tag, registrant_tag, contact_ref_tag, registrar_ref_tag = (
        escrow.qname("rdeDom", local) for local in ("name", "registrant", "contact", "clID"))
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<' + escrow.RECORD_ROOT.encode() + b">\n"
    tail = b"</" + escrow.RECORD_ROOT.encode() + b">\n"
    for number, domain in enumerate(_deposit_objects(path, (escrow.qname("rdeDom", "domain"),), kind), start=1):
        name = (domain.findtext(name_tag) or "").strip()
        handles = [(domain.findtext(registrant_tag) or "").strip()]
        handles += [(el.text or "").strip() for el in domain.iter(contact_ref_tag)]
        registrar = (domain.findtext(registrar_ref_tag) or "").strip()
        parts = [head, _serialised(domain)]
        parts += [contacts[h] for h in dict.fromkeys(handles) if h in contacts]
        if registrar in registrars:
            parts.append(registrars[registrar])
        parts.append(tail)
        query = normalise_domain(name) if looks_like_domain(name) else name[:255]
        yield RawRecord(Source.ESCROW, server, query, b"".join(parts), fetched_at, origin=f"{origin}{number}")


#: The namespace of RFC 9022's CSV model, as ElementTree writes a tag in it.
_CSV_MODEL = "{urn:ietf:params:xml:ns:rdeCsv-1.0}"


def _deposit_objects(path: Path, tags: tuple[str, ...], kind: str | None = "?") -> Iterator[Element]:
    """The elements of these tags in a deposit, streamed: each object is dropped from the tree once read."""
    with open_input(path, kind) as handle:
        yield from _objects_of(handle, tags)


def _objects_of(handle: Any, tags: tuple[str, ...]) -> Iterator[Element]:
    """`_deposit_objects` of an open deposit."""
    root_checked = False
    parents: list[Element] = []
    for event, element in SafeET.iterparse(handle, events=("start", "end"), forbid_dtd=True):
        if event == "start":
            if not root_checked:
                if element.tag != escrow.qname("rde", "deposit"):
                    raise ValueError(f"not an RFC 9022 escrow deposit (root element {element.tag!r})")
                if element.get("type", "FULL") != "FULL":
                    # a domain there may refer to contacts that did not change, which only the full deposit holds
                    raise ValueError(f"a {element.get('type')} escrow deposit holds only changes: audit the FULL "
                                     "deposit (this tool does not apply differential deposits to it)")
                root_checked = True
            parents.append(element)
            continue
        parents.pop()
        if element.tag.startswith(_CSV_MODEL):
            raise ValueError("an RFC 9022 deposit in the CSV model (its data lies in separate CSV files): this tool "
                             "reads the XML model; import the CSV files as exports, or ask for an XML-model deposit")
        if element.tag in tags:
            yield element
        # every object under <rde:contents> (and each element yielded) is dropped once read, wanted or not:
        # its parent then holds one child at a time, so memory stays flat and removing it costs nothing
        if len(parents) == 2 or (parents and element.tag in tags):
            parents[-1].remove(element)


def _serialised(element: Element) -> bytes:
    """An element as XML, its namespaces declared on it, one per line after it."""
    element.tail = None
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=False) + b"\n"
