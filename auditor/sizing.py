"""Will an audit fit in this machine's memory? Checked before anything is read or stored.

An audit holds every raw response and every parsed registration of its inputs until it has written its
files (docs/performance.md: about 12 GiB per million registrations, all processes together). A zone export too large for the
machine would otherwise run for the better part of an hour and then be killed by the kernel, so the
audit estimates what it needs from the inputs' sizes and refuses at once, saying what to do instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.compressed import COMPRESSION_SUFFIXES, compression_of, format_suffix, open_input
from auditor.errors import AuditorError, InputError

#: Peak memory per registration and a fixed part (the libraries, the value caches), summed over the audit's
#: processes (the parent and its workers, PSS), fitted to two runs of benchmarks/million.py on SQLite
#: with two workers (synthetic CSV exports, two contacts per registration): 200k registrations peaked at
#: 3.3 GiB, one million at 12.3 GiB. Together with the inputs' own bytes this estimates 3.3 and 12.7 GiB.
#: (Since the collector is off during audits and raws are stored while parsing: 3.1 and 11.4 GiB, left
#: as a margin.)
BYTES_PER_RECORD = 12 * 1024
BASE_BYTES = 1024 * 1024 * 1024
#: Suffixes the importers read as one record per line (a header line counted too: an over-estimate of one).
LINE_RECORD_SUFFIXES = (".csv", ".tsv", ".jsonl")
_CHUNK = 1 << 20


class InsufficientMemoryError(AuditorError):
    """The inputs are too large to audit in one run on this machine."""

    slug = "insufficient-memory"


@dataclass(frozen=True)
class MemoryEstimate:
    """What an audit of some inputs is expected to need, and what the machine has free."""

    records: int
    input_bytes: int
    needed: int
    available: int | None  # None when the platform does not say

    @property
    def fits(self) -> bool:
        return self.available is None or self.needed <= self.available


def count_records(path: Path) -> int:
    """Records the importers will read from one file (see `measure`)."""
    return measure(path)[0]


def measure(path: Path) -> tuple[int, int]:
    """Records the importers will read from one file, and the bytes they will read (its content, once
    decompressed: see auditor.compressed).

    Records are the lines of a CSV or JSONL file (an upper bound, as a quoted cell may hold a line
    break), the domain objects of an RDAP file or line that holds several and of an escrow deposit, one
    for any other file. A compressed file is read through; one that is damaged is measured up to the
    damage (the import reports it).
    """
    if (not path.name.lower().endswith(COMPRESSION_SUFFIXES)
            and Path(path.name).suffix.lower() not in (*LINE_RECORD_SUFFIXES, ".xml", ".json")):
        return 1, path.stat().st_size  # one response (a directory of crawled ones is read once, by the import)
    kind = compression_of(path)
    suffix = format_suffix(path, kind)
    if suffix == ".xml":
        deposit_domains = _Matches(_DOMAIN_END_TAG)
        size = 0
        for chunk in _chunks(path, kind):
            deposit_domains.feed(chunk)
            size += len(chunk)
        return max(deposit_domains.total(), 1), size
    # an RDAP file this small holds one response (compressed: a sixteenth, about what JSON shrinks to)
    small = ONE_RESPONSE_BYTES // 16 if kind else ONE_RESPONSE_BYTES
    if suffix not in LINE_RECORD_SUFFIXES and (suffix != ".json" or path.stat().st_size < small):
        return 1, path.stat().st_size
    lines = size = 0
    rdap_domains = _Matches(_RDAP_DOMAIN)  # an RDAP search result or array holds many domains in one file or line
    last = b"\n"
    for chunk in _chunks(path, kind):
        lines += chunk.count(b"\n")
        size += len(chunk)
        last = chunk[-1:]
        if suffix in (".json", ".jsonl"):
            rdap_domains.feed(chunk)
    if suffix == ".json":
        return max(1, rdap_domains.total()), size
    return max(lines + (last != b"\n"), rdap_domains.total()), size


#: An RDAP file smaller than this is taken for one response without reading it.
ONE_RESPONSE_BYTES = 256 * 1024
_RDAP_DOMAIN = re.compile(rb'"objectClassName"\s*:\s*"domain"')
#: The closing tag of an escrow deposit's domain object (RFC 9022), whatever its prefix.
_DOMAIN_END_TAG = re.compile(rb"</(?:[\w.-]+:)?domain>")


def _chunks(path: Path, kind: str | None) -> Iterator[bytes]:
    """The file's content chunk by chunk, decompressed (`kind`: its compression); up to the damage of a
    damaged compressed file."""
    try:
        with open_input(path, kind) as handle:
            while chunk := handle.read1(_CHUNK):  # (read1: what came before a damage is kept)
                yield chunk
    except InputError:
        return


class _Matches:
    """The matches of a pattern in bytes read chunk by chunk, each counted once though a chunk boundary
    cuts it: a match starting in the last `overlap` bytes read waits for the next chunk (`overlap` must be
    at least the longest match)."""

    def __init__(self, pattern: re.Pattern[bytes], overlap: int = 256) -> None:
        self.pattern, self.overlap = pattern, overlap
        self._counted = 0
        self._carried = b""

    def feed(self, chunk: bytes) -> None:
        data = self._carried + chunk
        cut = max(len(data) - self.overlap, 0)
        self._counted += sum(1 for m in self.pattern.finditer(data) if m.start() < cut)
        self._carried = data[cut:]

    def total(self) -> int:
        return self._counted + len(self.pattern.findall(self._carried))


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


#: (limit, usage) files of a container's memory cgroup: version 2, then version 1.
_CGROUP_FILES = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                 ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"))


def available_memory() -> int | None:
    """Bytes this process can still use: the kernel's MemAvailable, capped by a container's cgroup
    limit (a registry's batch job often runs in one; the host's free memory says nothing about it)."""
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        available = None
    if available is None and hasattr(os, "sysconf"):
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError):
            available = None
    for limit_file, used_file in _CGROUP_FILES:
        limit, used = _read_int(limit_file), _read_int(used_file)
        if limit is not None and used is not None:  # cgroup v2 writes "max" when there is no limit
            room = max(0, limit - used)
            available = room if available is None else min(available, room)
            break
    return available


def estimate(files: Sequence[Path], available: int | None = None) -> MemoryEstimate:
    """The memory an audit of `files` needs: every registration's share, plus the raw bytes held."""
    measured = [_measured_or_nothing(f) for f in files]
    records, size = sum(n for n, _ in measured), sum(b for _, b in measured)
    return MemoryEstimate(records, size, BASE_BYTES + records * BYTES_PER_RECORD + size, available)


def _measured_or_nothing(path: Path) -> tuple[int, int]:
    """`measure`, or nothing for a file the import will report as unreadable (a zip of several files)."""
    try:
        return measure(path)
    except (InputError, OSError):
        return 0, 0


def _size(n: int) -> str:
    return f"{n / 1024**3:,.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:,.1f} MiB"


def check_fits(files: Sequence[Path]) -> MemoryEstimate:
    """Raise InsufficientMemoryError when the audit of `files` would not fit in the memory left."""
    found = estimate(files, available_memory())
    if not found.fits:
        raise InsufficientMemoryError(
            f"the inputs hold up to {found.records:,} records ({_size(found.input_bytes)}); one audit run keeps "
            f"them all in memory, about {_size(found.needed)}, and this machine has {_size(found.available or 0)} "
            "free. Audit a statistical sample (`auditor sample`), audit the export in parts (per registrar, "
            "say; patterns across parts are then not compared), use a machine with more memory, or pass "
            "--no-memory-check to try anyway.",
            records=found.records, needed=found.needed, available=found.available,
        )
    return found
