"""Input files as registries hand them over: compressed.

A zone's export is shipped gzipped (`export.csv.gz`), ICANN's CZDS serves zone files as `.txt.gz`,
and exports are mailed as a zip of one CSV. Every reader of an input file (the importers, the crawl's
domain sources, the memory check) opens it here, so each reads gzip, bzip2, xz and single-file zip
archives as the file inside, streamed (a zone's export is never decompressed to disk or held whole).

The compression is recognised by the file's first bytes, not its name: a `.gz` that is plain text is
read as text, and a compressed file without a suffix is still decompressed. The *format* of what is
inside is named by the suffix before the compression suffix (`export.csv.gz` is a CSV export), or the
zip member's name.

A stream that is damaged raises `CompressedInputError` where the damage is met. Only when it was
merely cut short (`truncated`) is what came before it sound: a flipped byte is detected by gzip and
zip only at the end of the stream, by its checksum, after the damaged rows were handed out.
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
#: Bytes read at a time where a limit applies (`read_at_most`).
_STEP = 1 << 16

#: What a damaged stream raises, by library (zipfile: an encrypted member, a method it lacks).
_STREAM_ERRORS = (EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile, zipfile.BadZipFile, OSError, RuntimeError,
                  NotImplementedError)


class CompressedInputError(InputError):
    """A compressed input could not be read to its end."""

    slug = "compressed-input-error"

    def __init__(self, message: str | None = None, truncated: bool = False, **details: object) -> None:
        super().__init__(message, **details)
        #: the stream was cut short (what came before is sound), rather than damaged
        self.truncated = truncated


def compression_of(path: Path) -> str | None:
    """"gzip", "bzip2", "xz", "zip" or "zstd" when the file starts like one, else None."""
    with path.open("rb") as handle:
        head = handle.read(6)
    return compression_of_bytes(head)


def compression_of_bytes(head: bytes) -> str | None:
    """`compression_of` for a file's first bytes (a compressed file inside another is refused)."""
    return next((name for magic, name in _MAGIC if head.startswith(magic)), None)


def _zip_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The one file of a zip archive (a zip of several is refused: each would be an input of its own)."""
    files = [info for info in archive.infolist() if not info.is_dir()
             and not info.filename.rsplit("/", 1)[-1].startswith((".", "__MACOSX"))
             and not info.filename.startswith("__MACOSX/")]
    if not files:
        raise CompressedInputError("an empty zip archive")
    if len(files) != 1:
        raise CompressedInputError(f"a zip archive of {len(files)} files; this tool reads a zip of one file. "
                                   "Unpack it and give the directory instead")
    return files[0]


def inner_name(path: Path, kind: str | None = "?") -> str:
    """The name of what a file holds: a zip's member, else the file's name without a compression suffix.
    Its suffix says how to read the content. `kind`: the file's compression when already known."""
    if kind == "?":
        kind = compression_of(path)
    if kind == "zip":
        try:
            with zipfile.ZipFile(path) as archive:
                return _zip_member(archive).filename.rsplit("/", 1)[-1]
        except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
            raise CompressedInputError(f"not a readable zip archive: {exc}") from exc
    return without_compression_suffix(path.name)


def without_compression_suffix(name: str) -> str:
    """A file name without its compression suffix ("zz.zone.gz" -> "zz.zone"); dropped even from a file
    that turns out not to be compressed."""
    for suffix in COMPRESSION_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def format_suffix(path: Path, kind: str | None = "?") -> str:
    """The lower-case suffix of what the file holds: ".csv" for `export.csv.gz` and `export.csv`."""
    return Path(inner_name(path, kind)).suffix.lower()


def _is_trailing_data(exc: BaseException) -> bool:
    """Did a gzip file go on after its last whole member (each checked by its CRC) with bytes that are not
    another member? `gzip -d` ignores such trailing garbage with a warning."""
    return isinstance(exc, gzip.BadGzipFile) and "Not a gzipped file" in str(exc)


class _Checked(io.RawIOBase):
    """A decompressing stream whose damage surfaces as CompressedInputError."""

    def __init__(self, inner: BinaryIO, kind: str) -> None:
        self._inner, self._kind = inner, kind

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self._inner.read1(len(buffer))  # (one step: what came before a damage is returned first)
        except _STREAM_ERRORS as exc:
            if isinstance(exc, EOFError):
                raise CompressedInputError(f"the {self._kind} stream is cut short: {exc}", truncated=True) from exc
            if _is_trailing_data(exc):
                raise CompressedInputError(f"the {self._kind} stream is followed by data that is not {self._kind}: "
                                           f"{exc}", truncated=True) from exc
            raise CompressedInputError(f"the {self._kind} stream is damaged: {exc}") from exc
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


@contextmanager
def open_input(path: Path, kind: str | None = "?") -> Iterator[BinaryIO]:
    """The file's content as a binary stream, decompressed when it is compressed. `kind`: the file's
    compression when already known (`compression_of`)."""
    if kind == "?":
        kind = compression_of(path)
    if kind is None:
        with path.open("rb") as handle:
            yield handle
        return
    if kind not in READABLE:
        raise CompressedInputError(f"{kind}-compressed, which this tool cannot read; decompress it first (zstd -d)")
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
            inner = archive.open(_zip_member(archive))  # type: ignore[assignment]
    except CompressedInputError:
        if archive is not None:
            archive.close()
        raise
    except (zipfile.BadZipFile, lzma.LZMAError, OSError, RuntimeError, NotImplementedError) as exc:
        # (zipfile: RuntimeError for an encrypted member, NotImplementedError for a method it lacks)
        if archive is not None:
            archive.close()
        raise CompressedInputError(f"not a readable {kind} file: {exc}") from exc
    stream = io.BufferedReader(_Checked(inner, kind), buffer_size=_STEP)
    try:
        yield stream  # type: ignore[misc]
    finally:
        stream.close()
        if archive is not None:
            archive.close()


def read_steps(handle: BinaryIO, size: int, chunks: list[bytes]) -> None:
    """Read up to `size` bytes into `chunks`, one step at a time: what arrived before a damaged stream's
    error is in `chunks` when it is raised, and no read allocates more than a step."""
    got = 0
    while got < size and (chunk := handle.read1(min(_STEP, size - got))):
        chunks.append(chunk)
        got += len(chunk)


def read_at_most(handle: BinaryIO, limit: int) -> bytes:
    """Up to `limit` + 1 bytes of a stream (one `read(limit + 1)` would allocate the whole limit first,
    whatever the stream holds)."""
    chunks: list[bytes] = []
    read_steps(handle, limit + 1, chunks)
    return b"".join(chunks)


def read_input(path: Path, limit: int, kind: str | None = "?") -> bytes:
    """The whole (decompressed) content of a file holding one response, refused beyond `limit` bytes:
    a small compressed file can expand to gigabytes (a decompression bomb)."""
    if kind == "?":
        kind = compression_of(path)
    with open_input(path, kind) as handle:
        data = read_at_most(handle, limit)
    if len(data) > limit:
        raise InputError(f"file too large for one response (more than {limit} bytes{' once decompressed' if kind else ''})")
    return data


def stream_damage(path: Path, kind: str | None) -> CompressedInputError | None:
    """The damage of a compressed file found by reading it to its end, or None when it reads whole: asked
    when its content made no sense, as a damaged stream hands out garbage before its checksum fails."""
    if kind is None:
        return None
    try:
        with open_input(path, kind) as handle:
            while handle.read1(_STEP):
                pass
    except CompressedInputError as exc:
        return exc
    return None


#: Where a tar archive says so (POSIX ustar and GNU tar), in its first block.
_TAR_MAGIC = slice(257, 262)


def archive_inside(head: bytes, kind: str | None) -> str | None:
    """Why content cannot be read as one input file, from its first bytes: a tar archive (many files),
    or, inside a compressed file, another compressed file. None when it can."""
    if head[_TAR_MAGIC] == b"ustar":
        return "a tar archive (many files in one): unpack it and give the directory instead"
    if kind is not None and compression_of_bytes(head) is not None:
        return f"a {compression_of_bytes(head)}-compressed file inside a {kind} one: decompress it once, then give the result"
    return None
