"""Country values to ISO 3166-1 alpha-2 through one alias table built once from pycountry and Unicode
CLDR's names in every language (auditor/data/country-names.json: "Россия", "Србија", "DR Congo").

pycountry's fuzzy search runs at about 50 look-ups a second, so it is never used per record. The same
goes for states and provinces (ISO 3166-2): `region_in_country` and `countries_named_by_region` read
one index built once.

>>> to_iso_country("de"), to_iso_country("Germany"), to_iso_country("United Kingdom"), to_iso_country("Narnia")
('DE', 'DE', 'GB', None)
>>> to_iso_country("US (UNITED STATES)"), to_iso_country("Hong Kong (HK)"), to_iso_country("Estados Unidos de America")
('US', 'HK', 'US')
"""

from __future__ import annotations

import gettext
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry

#: Names registries publish that pycountry does not know. Keys are folded (see `_fold`).
EXTRA_ALIASES: dict[str, str] = {
    "uk": "GB",  # exceptionally reserved code, universally used by .uk
    "u k": "GB",
    "kosovo": "XK",  # user-assigned code the EU, CLDR and registrars use (see `iso_codes`)
    "xk": "XK",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "estados unidos de america": "US",
    "united states of america": "US",
    "u s a": "US",
    "u s": "US",
    "america": "US",
    "deutschland": "DE",
    "nederland": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "espana": "ES",
    "brasil": "BR",
    "italia": "IT",
    "osterreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "belgique": "BE",
    "belgie": "BE",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "polska": "PL",
    "cesko": "CZ",
    "czech republic": "CZ",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "korea republic of": "KR",
    "north korea": "KP",
    "taiwan": "TW",
    "hong kong": "HK",
    "macau": "MO",
    "vietnam": "VN",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "turkey": "TR",
    "turkiye": "TR",
    "ivory coast": "CI",
    "cote d ivoire": "CI",
    "cape verde": "CV",
    "swaziland": "SZ",
    "macedonia": "MK",
    "burma": "MM",
    "palestine": "PS",
    "vatican": "VA",
    "brunei": "BN",
    "micronesia": "FM",
    "nippon": "JP",
    "japan": "JP",
    "china": "CN",
    "p r china": "CN",
    "prc": "CN",
    "한국": "KR",  # what Koreans say; CLDR's Korean name is the official 대한민국
    "republic of ireland": "IE",
    "uae": "AE",
    "u a e": "AE",
    "ksa": "SA",
    "holy see": "VA",
    "sao tome": "ST",
    "dr congo": "CD",
    "drc": "CD",
    "d r congo": "CD",
    "republic of the congo": "CG",
}


def _fold(value: str) -> str:
    """Case-, accent- and punctuation-insensitive key ("&" reads as "and": "Trinidad & Tobago")."""
    text = unicodedata.normalize("NFKD", value.replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(text.split())


#: Languages whose country names are accepted (Spanish "Estados Unidos", German "Vereinigte Staaten", ...).
TRANSLATED_LANGUAGES = ("es", "fr", "de", "it", "pt", "nl", "pl", "sv", "da", "nb", "fi", "cs", "ru", "uk", "tr",
                        "ja", "ko", "zh_CN", "zh_TW", "ar", "el", "hu", "ro", "bg", "hr", "sk", "sl", "et", "lv", "lt")
_PAREN = re.compile(r"^(?P<outer>[^()]+?)\s*\((?P<inner>[^()]+)\)\s*$")


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                table.setdefault(_fold(value), code)
    for key, code in EXTRA_ALIASES.items():
        table.setdefault(_fold(key), code)
    # country names in the languages registries answer in, from pycountry's own translations
    for language in TRANSLATED_LANGUAGES:
        try:
            translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for country in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                value = getattr(country, attr, None)
                if value:
                    table.setdefault(_fold(translation.gettext(value)), country.alpha_2)
    # what people write in every language, from Unicode CLDR ("Россия", "Србија", "DR Congo": see
    # auditor/data/derive_country_names.py); the names above win where both know one
    cldr = json.loads((Path(__file__).parent / "data" / "country-names.json").read_text("utf-8"))
    for code, names in cldr["names"].items():
        for name in names:
            table.setdefault(_fold(name), code)
    return table


@lru_cache(maxsize=1)
def iso_codes() -> frozenset[str]:
    """All assigned ISO 3166-1 alpha-2 codes, and XK: Kosovo's user-assigned code, which the European
    Union, Unicode's CLDR, libphonenumber and Google's address data use, and registrars publish."""
    return frozenset(c.alpha_2 for c in pycountry.countries) | {"XK"}


@lru_cache(maxsize=4096)
def to_iso_country(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a code or a name, or None when the value names no country."""
    if not value:
        return None
    key = _fold(value)
    if not key:
        return None
    found = _aliases().get(key)
    if found is None and key.startswith("the "):
        found = _aliases().get(key[4:])  # "The Bahamas", "The Gambia"
    if found is None:
        m = _PAREN.match(value)  # "China (CN)", "US (UNITED STATES)": both halves must agree where both name one
        if m:
            outer, inner = _aliases().get(_fold(m.group("outer"))), _aliases().get(_fold(m.group("inner")))
            if outer and inner:
                found = outer if outer == inner else None
            else:
                found = outer or inner
    return found


def country_name(code: str) -> str:
    """English short name for display."""
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


#: Words that say what kind of subdivision a name is ("Beijing Shi", "Tokyo-to", "Province of Ontario").
_AREA_WORDS = frozenset({"state", "province", "prefecture", "region", "county", "territory", "district", "of", "the",
                         "shi", "sheng", "zizhiqu", "sar", "to", "fu", "ken", "do", "provincia", "estado",
                         "comunidad", "autonoma", "de", "del", "la", "el"})
_NAME_VARIANTS = re.compile(r"\s*[\[\]/,;()]\s*")


def _area_keys(name: str) -> set[str]:
    """The folded forms a subdivision's name is written in: as a whole, each variant ("Illes Balears
    [Islas Baleares]", "Murcia, Región de"), and without the words naming its kind ("Beijing Shi")."""
    keys: set[str] = set()
    for part in [name, *_NAME_VARIANTS.split(name)]:
        folded = _fold(part)
        if folded:
            keys.add(folded)
            bare = " ".join(w for w in folded.split() if w not in _AREA_WORDS)
            if bare:
                keys.add(bare)
    return keys


#: Countries whose states or provinces are known by name far beyond them, and whose names are not also
#: the names of their cities (Italy's and Spain's provinces, Switzerland's cantons are): a region naming
#: one of these in another country's address is evidence of a mix-up, not of a local place name.
WELL_KNOWN_STATES = frozenset({"US", "CA", "AU", "BR", "MX", "IN", "CN", "JP", "AR", "DE"})


def _is_territory(sub: Any) -> bool:
    """A subdivision that is a country of its own in ISO 3166-1 (CN-HK Hong Kong, CN-TW Taiwan, US-AS
    American Samoa): its name in an address of that country is no mix-up."""
    code = sub.code.split("-", 1)[1]
    return code in iso_codes() and any(to_iso_country(key) == code for key in _area_keys(sub.name))


@lru_cache(maxsize=1)
def _subdivisions() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(country -> the folded codes and names of its ISO 3166-2 subdivisions, in every form `_area_keys`
    gives: for recognising a region leniently; whole top-level name -> the countries having a first-level
    subdivision of exactly that name: strict, for naming the place a region points to instead).
    From pycountry."""
    own: dict[str, set[str]] = {}
    where: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions:
        country = sub.country_code
        own.setdefault(country, set()).update(_area_keys(sub.name) | {_fold(sub.code), _fold(sub.code.split("-", 1)[1])})
        if getattr(sub, "parent_code", None) is None and country in WELL_KNOWN_STATES and not _is_territory(sub):
            for name in (sub.name, *re.findall(r"\[([^\]]+)\]", sub.name)):  # "Illes Balears [Islas Baleares]"
                whole = _fold(re.sub(r"\s*\[[^\]]*\]", "", name) if name == sub.name else name)
                if len(whole) >= 4:
                    where.setdefault(whole, set()).add(country)
    return ({c: frozenset(k) for c, k in own.items()}, {k: frozenset(c) for k, c in where.items()})


@lru_cache(maxsize=512)
def _country_area_keys(country: str, extra_names: tuple[str, ...]) -> frozenset[str]:
    """Every folded form of a country's subdivisions, built once per country (not per region asked)."""
    return frozenset(_subdivisions()[0].get(country, frozenset()) | {key for name in extra_names for key in _area_keys(name)})


@lru_cache(maxsize=8192)
def region_in_country(country: str, region: str, extra_names: tuple[str, ...] = ()) -> bool | None:
    """Is `region` one of the country's subdivisions, by code or name (ISO 3166-2 through pycountry, and
    `extra_names` such as Google's address data gives)? None when no subdivision of the country is known."""
    if country not in _subdivisions()[0] and not extra_names:
        return None
    keys, known = _area_keys(region), _country_area_keys(country, extra_names)
    if keys & known:
        return True
    # a subdivision's everyday short name: "San Luis" for San Luis Potosí, "Santa Cruz" for Santa Cruz de Tenerife
    return any(name.startswith(key + " ") for key in keys if len(key) >= 4 for name in known)


@lru_cache(maxsize=8192)
def countries_named_by_region(region: str) -> frozenset[str]:
    """The countries whose first-level subdivision the region names, by its whole name ("Ontario",
    "California"). Codes ("CA" is California and Canada), fragments and lower levels ("Cornwall") say
    nothing here."""
    return _subdivisions()[1].get(_fold(region), frozenset())
