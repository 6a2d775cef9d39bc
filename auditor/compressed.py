"""Input files as registries hand them over: compressed.

A zone's export is shipped gzipped (`export.csv.gz`), ICANN's CZDS serves zone files as `.txt.gz`,
and exports are mailed as a zip of one CSV. Every reader of an input file (the importers, the crawl's
domain sources, the memory check) opens it here, so each reads gzip, bzip2, xz and single-file zip
archives as the file inside, streamed (a zone's export is never decompressed to disk or held whole).

The compression is recognised by the file's first bytes, not its name: a `.gz` that is plain text is
read as text, and a compressed file without a suffix is still decompressed. The *format* of what is
inside is named by the suffix before the compression suffix (`export.csv.gz` is a CSV export), or the
zip member's name.

A stream that is damaged or cut short raises `CompressedInputError` where the damage is met; what was
read before it stays usable (the importers keep those rows and report the error).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from auditor.errors import InputError

#: (magic bytes, compression) in the order they are tried.
_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"PK\x03\x04", "zip"),
          (b"PK\x05\x06", "zip"), (b"\x28\xb5\x2f\xfd", "zstd"))
#: Suffixes that name a compression (dropped to find the format of what is inside).
COMPRESSION_SUFFIXES = (".gz", ".gzip", ".bz2", ".xz", ".zip", ".zst")
#: Compressions this module can read (zstd is recognised to say so clearly: Python 3.11 has no reader).
READABLE = ("gzip", "bzip2", "xz", "zip")

#: What a damaged or truncated stream raises, by library.
_STREAM_ERRORS = (EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile, zipfile.BadZipFile, OSError)


class CompressedInputError(InputError):
    """A compressed input could not be read to its end."""

    slug = "compressed-input-error"


def compression_of(path: Path) -> str | None:
    """"gzip", "bzip2", "xz", "zip" or "zstd" when the file starts like one, else None."""
    with path.open("rb") as handle:
        head = handle.read(6)
    return next((name for magic, name in _MAGIC if head.startswith(magic)), None)


def _zip_member(archive: zipfile.ZipFile, path: Path) -> zipfile.ZipInfo:
    """The one file of a zip archive (a zip of several is refused: each would be an input of its own)."""
    files = [info for info in archive.infolist() if not info.is_dir()
             and not info.filename.rsplit("/", 1)[-1].startswith((".", "__MACOSX"))
             and not info.filename.startswith("__MACOSX/")]
    if len(files) != 1:
        raise CompressedInputError(
            f"{path.name}: a zip archive of {len(files)} files; this tool reads a zip of one file. "
            "Unpack it and give the directory instead")
    return files[0]


def inner_name(path: Path) -> str:
    """The name of what a file holds: a zip's member, else the file's name without a compression suffix.
    Its suffix says how to read the content."""
    kind = compression_of(path)
    if kind == "zip":
        try:
            with zipfile.ZipFile(path) as archive:
                return _zip_member(archive, path).filename.rsplit("/", 1)[-1]
        except zipfile.BadZipFile as exc:
            raise CompressedInputError(f"{path.name}: not a readable zip archive: {exc}") from exc
    name = path.name
    for suffix in COMPRESSION_SUFFIXES:  # (dropped even from a file that is not compressed after all)
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def format_suffix(path: Path) -> str:
    """The lower-case suffix of what the file holds: ".csv" for `export.csv.gz` and `export.csv`."""
    return Path(inner_name(path)).suffix.lower()


class _Checked(io.RawIOBase):
    """A decompressing stream whose damage surfaces as CompressedInputError naming the file."""

    def __init__(self, inner: BinaryIO, path: Path, kind: str) -> None:
        self._inner, self._path, self._kind = inner, path, kind

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self._inner.read1(len(buffer))  # (one step: what came before a damage is returned first)
        except _STREAM_ERRORS as exc:
            raise CompressedInputError(f"{self._path.name}: the {self._kind} stream is damaged or cut short: "
                                       f"{exc}") from exc
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


@contextmanager
def open_input(path: Path) -> Iterator[BinaryIO]:
    """The file's content as a binary stream, decompressed when it is compressed."""
    kind = compression_of(path)
    if kind is None:
        with path.open("rb") as handle:
            yield handle
        return
    if kind not in READABLE:
        raise CompressedInputError(f"{path.name}: {kind}-compressed, which this tool cannot read; "
                                   "decompress it first (zstd -d)")
    archive: zipfile.ZipFile | None = None
    try:
        if kind == "gzip":
            inner: BinaryIO = gzip.open(path, "rb")  # type: ignore[assignment]
        elif kind == "bzip2":
            inner = bz2.open(path, "rb")  # type: ignore[assignment]
        elif kind == "xz":
            inner = lzma.open(path, "rb")  # type: ignore[assignment]
        else:
            archive = zipfile.ZipFile(path)
            inner = archive.open(_zip_member(archive, path))  # type: ignore[assignment]
    except (zipfile.BadZipFile, lzma.LZMAError, OSError) as exc:
        raise CompressedInputError(f"{path.name}: not a readable {kind} file: {exc}") from exc
    stream = io.BufferedReader(_Checked(inner, path, kind), buffer_size=1 << 16)
    try:
        yield stream  # type: ignore[misc]
    finally:
        stream.close()
        if archive is not None:
            archive.close()


def read_input(path: Path, limit: int) -> bytes:
    """The whole (decompressed) content of a file holding one response, refused beyond `limit` bytes:
    a small compressed file can expand to gigabytes (a decompression bomb)."""
    with open_input(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"file too large for one response (more than {limit} bytes"
                         f"{' once decompressed' if compression_of(path) else ''})")
    return data
