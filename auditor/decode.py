"""Bytes to text for WHOIS responses: BOM, UTF-8, then legacy encodings, recording the guess.

The raw bytes are never changed; this only decides how to read them. Order of evidence:
a byte-order mark, strict UTF-8, the legacy encodings usual for the TLD (Shift-JIS for .jp,
EUC-KR for .kr, ...), then charset-normalizer's detection, and Windows-1252 as the last resort
(it maps almost every byte, and Latin-1 fills the rest, so decoding never fails on text).

>>> decode("Stra\\xdfe".encode("latin-1")).text
'Straße'
>>> decode("東京都".encode("shift_jis"), tld="jp").encoding
'shift_jis'
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes

from auditor.errors import DecodeError

#: Legacy encodings registries are known to answer in; they narrow detection for that TLD.
TLD_ENCODINGS: dict[str, tuple[str, ...]] = {
    "jp": ("shift_jis", "euc_jp", "iso2022_jp"),
    "kr": ("euc_kr",),
    "cn": ("gb18030",),
    "tw": ("big5",),
    "hk": ("big5",),
    "ru": ("koi8_r", "cp1251"),
    "su": ("koi8_r", "cp1251"),
    "xn--p1ai": ("koi8_r", "cp1251"),
    "ua": ("cp1251", "koi8_u"),
    "by": ("cp1251",),
    "bg": ("cp1251",),
    "tr": ("cp1254",),
    "pl": ("iso8859_2", "cp1250"),
    "cz": ("cp1250", "iso8859_2"),
    "sk": ("cp1250", "iso8859_2"),
    "hu": ("iso8859_2", "cp1250"),
    "th": ("tis_620",),
}

#: What detection may choose from when the TLD gives no hint: the encodings WHOIS servers use.
GENERAL_CANDIDATES = ("cp1252", "shift_jis", "euc_jp", "euc_kr", "gb18030", "big5", "koi8_r", "cp1251", "iso8859_2")

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text plus the encoding it was read with and how sure we are."""

    text: str
    encoding: str
    confident: bool


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters: not a text response."""
    sample = data[:4096]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls / len(sample) > 0.05


def decode(data: bytes, tld: str | None = None, declared: str | None = None) -> Decoded:
    """Decode a WHOIS response; raise DecodeError only for binary data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(encoding, errors="replace"), encoding.replace("-sig", ""), True)
    if looks_binary(data):
        raise DecodeError("binary data, not a text response")
    if declared:
        try:
            return Decoded(data.decode(declared), codecs.lookup(declared).name, True)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return Decoded(data.decode("utf-8"), "utf-8", True)
    except UnicodeDecodeError:
        pass
    hinted = TLD_ENCODINGS.get((tld or "").lower().strip("."), ())
    best = from_bytes(data, cp_isolation=list(hinted)).best() if hinted else None
    if best is None:
        best = from_bytes(data, cp_isolation=list(GENERAL_CANDIDATES)).best()
    if best is not None:
        try:
            return Decoded(data.decode(best.encoding), best.encoding, best.encoding in hinted)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return Decoded(data.decode("cp1252"), "cp1252", False)
    except UnicodeDecodeError:
        return Decoded(data.decode("latin-1"), "latin-1", False)
