"""Where the domains to crawl come from: a list file, a zone file, a zone transfer, a CSV column.

A source is named on the command line as one string:

=================================  ===================================================================
``domains.txt``, ``list:FILE``     one domain per line; blank lines and ``#`` comments are skipped
``zz.zone``, ``zone:FILE[#ORIGIN]``  RFC 1035 master file; the delegations (NS owners below the apex).
                                   The origin is ``$ORIGIN`` in the file, else ``#ORIGIN``, else the
                                   file name without ``.zone``
``axfr://HOST[:PORT]/ZONE``        zone transfer (RFC 5936) from that server, then as a zone file
``export.csv``, ``csv:FILE[#COL]``  one column of a CSV file (default ``domain``)
=================================  ===================================================================

A file may be compressed (gzip, bzip2, xz, a zip of one file: auditor.compressed); its kind is read
from its name without the compression suffix (``zz.zone.gz`` is a zone file). A "list" whose lines are
a zone file's (ICANN's CZDS serves ``zz.txt.gz``, every name written in full) is read as a zone file,
its origin the owner of its SOA.

Names are normalised to lower-case A-labels without a trailing dot and de-duplicated in order. A line
that is not a domain is reported with its line number, never silently dropped.

>>> parse_source("axfr://127.0.0.1:5353/zz").kind, parse_source("export.csv").column
('axfr', 'domain')
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.xfr
import dns.zone

from auditor.compressed import inner_name, open_input, read_at_most, without_compression_suffix
from auditor.domains import looks_like_domain, normalise_domain
from auditor.errors import InputError
from auditor.importers import export_dialect, starts_like_a_zone_file

#: A source file larger than this is refused (a 20M-domain list is about 400 MB; split it).
MAX_SOURCE_BYTES = 2 * 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DomainSource:
    """One source of domain names, as named on the command line."""

    kind: str  # list | zone | axfr | csv
    location: str  # a path, or HOST:PORT for axfr
    zone: str | None = None  # the origin (zone files) or the zone to transfer (axfr)
    column: str = "domain"

    def describe(self) -> str:
        """How the summary names the source."""
        if self.kind == "axfr":
            return f"axfr://{self.location}/{self.zone}"
        if self.kind == "csv":
            return f"csv:{self.location}#{self.column}"
        return f"{self.kind}:{self.location}"


@dataclass
class DomainList:
    """The domains a source gave, and the lines it could not use (with the reason)."""

    source: DomainSource
    domains: list[str] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)


def parse_source(spec: str) -> DomainSource:
    """Read the command-line form of a source (see the module docstring)."""
    if spec.startswith("axfr://"):
        m = re.fullmatch(r"axfr://(\[[^\]]+\]|[^/:]+)(?::(\d+))?/([^/]+)/?", spec)
        if not m:
            raise InputError(f"{spec!r}: an AXFR source is axfr://HOST[:PORT]/ZONE")
        host = m.group(1).strip("[]")
        return DomainSource("axfr", f"{host}:{m.group(2) or 53}", zone=m.group(3).strip(".").lower() + ".")
    kind, _, rest = spec.partition(":")
    if kind in ("list", "zone", "csv") and rest:
        path, _, extra = rest.partition("#")
    else:
        path, extra = spec, ""
        name = without_compression_suffix(spec).lower()
        kind = "zone" if name.endswith(".zone") else "csv" if name.endswith((".csv", ".tsv")) else "list"
    if kind == "csv":
        return DomainSource("csv", path, column=extra or "domain")
    if kind == "zone":
        return DomainSource("zone", path, zone=extra.strip(".").lower() + "." if extra else None)
    return DomainSource("list", path)


def read_domains(source: DomainSource, timeout: float = 30.0) -> DomainList:
    """The domains of a source; an unreadable source raises InputError with the reason."""
    result = DomainList(source)
    if source.kind == "axfr":
        names = _delegations(_transfer(source, timeout), source.describe())
        _add(result, ((str(i), n) for i, n in enumerate(names, 1)))
        return result
    path = Path(source.location)
    text = _text(path, source)
    if source.kind == "list":
        inner = Path(inner_name(path)).suffix.lower()  # a zip's member: "export.zip" may hold export.csv
        if inner in (".csv", ".tsv"):
            source = dataclasses.replace(source, kind="csv")
        elif inner == ".zone" or starts_like_a_zone_file(text):
            source = dataclasses.replace(source, kind="zone")  # ICANN's CZDS: zz.txt.gz
        result.source = source
    if source.kind == "zone":
        zone = _zone_file(text, path, source)
        _add(result, ((str(i), n) for i, n in enumerate(_delegations(zone, source.describe()), 1)))
    elif source.kind == "csv":
        _add(result, _csv_column(text, source))
    else:
        _add(result, _list_lines(text))
    return result


def _add(result: DomainList, items: Iterable[tuple[str, str]]) -> None:
    seen = set(result.domains)
    for where, value in items:
        name = value.strip()
        if not name:
            continue
        if not looks_like_domain(name):
            result.rejected.append({"where": where, "value": name[:200], "reason": "not a domain name"})
            continue
        domain = normalise_domain(name)
        if domain not in seen:
            seen.add(domain)
            result.domains.append(domain)


def _text(path: Path, source: DomainSource) -> str:
    """The source file's text (decompressed: see auditor.compressed), refused beyond MAX_SOURCE_BYTES."""
    try:
        with open_input(path) as handle:
            data = read_at_most(handle, MAX_SOURCE_BYTES)
    except InputError as exc:
        raise InputError(f"{source.describe()}: {exc}") from exc
    except OSError as exc:
        raise InputError(f"{source.describe()}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_SOURCE_BYTES:
        raise InputError(f"{source.describe()}: more than {MAX_SOURCE_BYTES} bytes; split the source")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source.describe()}: not UTF-8 text (byte {exc.start}); domain sources are UTF-8") from exc


def _list_lines(text: str) -> list[tuple[str, str]]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append((f"line {number}", line))
    return out


def _csv_column(text: str, source: DomainSource) -> list[tuple[str, str]]:
    dialect, separator_line = export_dialect(text[:8192])
    reader = csv.reader(io.StringIO(text), dialect)
    if separator_line:
        next(reader, None)
    header = next(reader, None)
    if not header:
        raise InputError(f"{source.describe()}: empty CSV (no header row)")

    def fold(name: str) -> str:
        return re.sub(r"[^a-z0-9]", "", name.lower())

    matches = [i for i, h in enumerate(header) if fold(h) == fold(source.column)]
    if not matches:
        raise InputError(f"{source.describe()}: no column {source.column!r}; columns: {', '.join(header)}")
    col = matches[0]
    return [(f"row {n}", row[col] if col < len(row) else "") for n, row in enumerate(reader, 2)]


#: The owner of a zone file's first record when it is the SOA written out in full ("zz.  900  IN  SOA ...").
_ABSOLUTE_SOA = re.compile(r"^(\S+\.)\s+(?:\d+\s+)?(?:IN\s+)?(?:\d+\s+)?SOA\s", re.I | re.M)


def _zone_file(text: str, path: Path, source: DomainSource) -> dns.zone.Zone:
    """The zone: its origin is the source's, else the file's $ORIGIN, else the owner of its SOA written
    in full, else the file's name without ".zone" (or ".txt")."""
    origin = source.zone
    if origin is None and not re.search(r"^\$ORIGIN\s", text, re.M):
        soa = _ABSOLUTE_SOA.search(text[:65536])
        name = without_compression_suffix(path.name)
        origin = soa.group(1).lower() if soa else (
            name.removesuffix(".zone").removesuffix(".txt").strip(".").lower() + ".")
    try:
        return dns.zone.from_text(text, origin=origin, relativize=False, check_origin=False, filename=str(path))
    except (dns.exception.DNSException, ValueError) as exc:
        raise InputError(f"{source.describe()}: not an RFC 1035 zone file: {exc}") from exc


def _transfer(source: DomainSource, timeout: float) -> dns.zone.Zone:
    host, _, port = source.location.rpartition(":")
    try:
        address = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0][4][0]
        return dns.zone.from_xfr(dns.query.xfr(address, source.zone, port=int(port), timeout=timeout,
                                               lifetime=timeout * 4, relativize=False), relativize=False)
    except dns.xfr.TransferError as exc:
        raise InputError(f"{source.describe()}: the server refused the transfer ({dns.rcode.to_text(exc.rcode)})") from exc
    except (dns.exception.Timeout, TimeoutError) as exc:
        raise InputError(f"{source.describe()}: no answer within {timeout:g} s") from exc
    except EOFError as exc:
        raise InputError(f"{source.describe()}: the server closed the connection before the transfer ended") from exc
    except (OSError, dns.exception.DNSException, ValueError) as exc:
        raise InputError(f"{source.describe()}: zone transfer failed: {type(exc).__name__}: {exc}") from exc


def _delegations(zone: dns.zone.Zone, where: str) -> list[str]:
    """The names a zone delegates (NS records below the apex), in file or transfer order: the registered domains."""
    names = [name.to_text(omit_final_dot=True) for name, node in zone.nodes.items()
             if name != zone.origin and node.get_rdataset(zone.rdclass, dns.rdatatype.NS) is not None]
    if not names:
        raise InputError(f"{where}: the zone delegates no names (no NS records below {zone.origin})")
    return names
