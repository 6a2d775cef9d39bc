"""Domain names: A-label normalisation and public-suffix look-ups, always offline.

tldextract's default extractor fetches the public suffix list over the network on first use; the
one extractor here is built from the snapshot bundled with the package and never fetches.

>>> normalise_domain("Bücher.DE.")
'xn--bcher-kva.de'
>>> registrable_domain("mail.google.co.uk")
'google.co.uk'
>>> is_reserved_example("foo@example.com".split("@")[1])
True
"""

from __future__ import annotations

import re
from functools import lru_cache

import idna
import tldextract

#: RFC 2606 / RFC 6761 names that can never belong to a real holder.
RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "local"})
RESERVED_SECOND_LEVEL = frozenset({"example.com", "example.net", "example.org"})


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)


@lru_cache(maxsize=65536)
def normalise_domain(name: str) -> str:
    """Lower-case A-label without a trailing dot; falls back to plain lower case for odd input."""
    name = name.strip().strip(".").lower()
    if not name:
        return name
    if name.isascii():
        return name
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError:
        try:
            return name.encode("idna").decode("ascii")
        except UnicodeError:
            return name


def unicode_domain(name: str) -> str:
    """U-label form for display only."""
    try:
        return idna.decode(name)
    except idna.IDNAError:
        return name


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """The registrable part (eTLD+1) of a host name, or the host itself when unknown."""
    if _TWO_PLAIN_LABELS.fullmatch(host):
        return host  # the name is its own registrable part, or a suffix (then the host too)
    return _registrable_by_suffix(host)


#: Two lower-case ASCII labels (most mail domains). tldextract reads more than this as a host (full-width
#: and ideographic dots, whitespace, a scheme, user, port or path around it), so nothing else is shortcut.
_TWO_PLAIN_LABELS = re.compile(r"[a-z0-9-]+\.[a-z0-9-]+")


def _registrable_by_suffix(host: str) -> str:
    """`registrable_domain` through the public suffix list (a test checks the shortcut against it)."""
    ext = _extractor()(host)
    if ext.domain and ext.suffix:
        return f"{ext.domain}.{ext.suffix}"
    return host.lower()


def public_suffix(host: str) -> str:
    """The public suffix of a host (``co.uk`` for ``google.co.uk``), empty when unknown."""
    return _extractor()(host).suffix


@lru_cache(maxsize=1)
def _top_level_domains() -> frozenset[str]:
    """Every top-level domain of the root zone, as A-labels: the last labels of the rules in the ICANN
    section of the public suffix list bundled with tldextract (which follows IANA's root zone database)."""
    suffixes = _extractor()._get_tld_extractor().tlds(include_psl_private_domains=False)
    # the last label of every rule: some TLDs appear only under theirs ("co.za", "*.er", "!www.ck")
    return frozenset(normalise_domain(suffix.rsplit(".", 1)[-1]) for suffix in suffixes)


def top_level_domain_exists(host: str, own: str = "") -> bool:
    """Is the last label of `host` (a name, or an email address) a top-level domain of the root zone, or
    `own` (the audited zone's, which may be a private one)? Offline; ".con" is not.

    >>> top_level_domain_exists("gmail.com"), top_level_domain_exists("gmail.con"), top_level_domain_exists("a@b.zz", "zz")
    (True, False, True)
    """
    label = host.rpartition(".")[2].lower()
    if label in _top_level_domains() or (label and label == own):
        return True  # the common case, without normalising the name
    label = normalise_domain(host.rpartition("@")[2]).rpartition(".")[2]  # "例え.テスト", "shop.ZZ."
    return label in _top_level_domains() or (bool(label) and label == own)


def is_reserved_example(host: str) -> bool:
    """True for RFC 2606 / 6761 reserved names (example.com, *.test, *.invalid, ...)."""
    labels = host.lower().strip(".").rsplit(".", 2)
    if labels[-1] in RESERVED_TLDS:
        return True
    return ".".join(labels[-2:]) in RESERVED_SECOND_LEVEL  # the name itself or any name under it


#: A plain lower-case ASCII name whose labels start and end with a letter or digit: it passes the
#: check below as it is (the check runs for every row of a zone's export, twice).
_PLAIN_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+")


def looks_like_domain(name: str) -> bool:
    """Cheap syntax check for a domain name taken from a file name or a response."""
    name = name.strip(".")
    if "." not in name or len(name) > 253 or " " in name:
        return False
    return _PLAIN_DOMAIN.fullmatch(name) is not None or _labels_look_right(name)


def _labels_look_right(name: str) -> bool:
    """Every label of the name's A-label form has 1 to 63 characters, letters, digits or hyphens."""
    labels = normalise_domain(name).split(".")
    return all(0 < len(label) <= 63 and label.replace("-", "").isalnum() for label in labels)
