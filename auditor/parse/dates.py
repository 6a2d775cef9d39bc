"""Registry date strings to timezone-aware UTC datetimes, without dateutil (it dominated python-whois' time).

Formats are tried from a fixed list; results are cached on the distinct string. A value with no
zone is read in the registry's zone when the caller knows it (JST for .jp), otherwise UTC.

>>> parse_date("2004-04-27T00:00:00Z").isoformat()
'2004-04-27T00:00:00+00:00'
>>> parse_date("27-Apr-2004").isoformat()
'2004-04-27T00:00:00+00:00'
>>> parse_date("2005/05/30 (JST)").isoformat()
'2005-05-29T15:00:00+00:00'
>>> parse_date("2019. 05. 14.").date().isoformat()
'2019-05-14'
>>> parse_date("not a date") is None
True
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

#: Zone abbreviations seen in WHOIS output, as UTC offsets in hours.
ZONE_OFFSETS: dict[str, float] = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "WET": 0, "BST": 1, "CET": 1, "MET": 1, "CEST": 2,
    "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5, "ICT": 7, "WIB": 7, "CST": -6, "CDT": -5,
    "EST": -5, "EDT": -4, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "JST": 9, "KST": 9,
    "HKT": 8, "SGT": 8, "AWST": 8, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "BRT": -3,
    "ART": -3, "CLT": -4, "TRT": 3, "WAT": 1, "CAT": 2, "EAT": 3, "SAST": 2, "BRST": -2, "AST": -4,
    "HST": -10, "AKST": -9, "MSD": 4, "CST6CDT": -6, "NZ": 12, "PHT": 8, "MYT": 8, "IRST": 3.5,
    "CLST": -3, "ACST": 9.5, "ACDT": 10.5, "AWDT": 9, "ADT": -3, "NST": -3.5, "NDT": -2.5, "WEST": 1,
    "UYT": -3, "PET": -5, "COT": -5, "VET": -4, "BOT": -4, "PYT": -4,
}

_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y%m%d%H%M%S",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y",
    "%d-%B-%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d %B %Y %H:%M:%S",
    "%d %B %Y %H:%M",
    "%d %b %Y",
    "%a %d %b %Y %H:%M:%S",
    "%a %d %b %Y",
    "%b %d %Y %H:%M:%S",
    "%d-%b-%Y %H:%M",
    "%Y/%m/%d %H:%M:%S %Z",
    "%Y.%m.%d %H:%M",
    "%Y%m%d %H:%M:%S",
    "%d-%B-%Y %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%B %d %Y %H:%M:%S",
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%a %b %d %H:%M:%S %Y",
    "%b %d %H:%M:%S %Y",  # ctime without the weekday: "Mar 25 01:57:22 PDT 2009" (.bj)
    "%a %b %d %Y",
    "%A %d %B %Y",
    "%A %d %b %Y",
    "%d-%b-%y",
    "%Y-%b-%d",
    # spreadsheet exports with a 12-hour clock ("1/2/2020 10:00 AM": the order of day and month is read
    # as for any other date, as a column of one export cannot be read one way here and another there)
    "%d.%m.%Y %I:%M %p",
    "%d.%m.%Y %I:%M:%S %p",
    "%Y-%m-%d %I:%M %p",
    "%Y-%m-%d %I:%M:%S %p",
    "%b %d %Y %I:%M %p",
    "%b %d %Y %I:%M:%S %p",
    "%B %d %Y %I:%M %p",
    "%B %d %Y %I:%M:%S %p",
)
#: "10:00AM", "10:00 p.m.": the 12-hour clock's marker as strptime's %p reads it ("10:00 AM").
_AM_PM = re.compile(r"(\d)\s*([AaPp])\.?\s*[Mm]\.?\s*$")
#: Unix time in seconds (9-10 digits) or milliseconds (12-13 digits) from 1985 until 2033, as
#: databases export it; other all-digit values are compact dates (20200102, 20200102103000) or nothing.
_EPOCH_SECONDS = range(473_385_600, 2_000_000_000)

_ZONE_TOKEN = re.compile(r"\b([A-Z]{1,5})\b")
_UTC_OFFSET = re.compile(r"\(?(?:UTC|GMT)\s*([+-])(\d{1,2})(?::?(\d{2}))?\)?")
_NUMERIC_ZONE = re.compile(r"\s*(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?\s*$")
_KOREAN = re.compile(r"^(\d{4})\.\s*(\d{1,2})\.\s*(\d{1,2})\.?$")
#: ISO 8601 / RFC 3339 without fractional seconds (which the general path drops).
_PLAIN_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?(?:Z|[+-]\d{2}:\d{2})?\Z")
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b")
_WHO_THEN_COMPACT_DATE = re.compile(r"^\S*[A-Za-z@]\S*\s+((?:19|20)\d{6}(?:\d{6})?)$")


def _all_digits(value: str, default_offset: float) -> datetime | None:
    """An all-digit value: a compact date (8 or 14 digits), or Unix time in seconds or milliseconds."""
    if len(value) == 8:
        return _aware(datetime.strptime(value, "%Y%m%d"), default_offset)
    if len(value) == 14:
        return _aware(datetime.strptime(value, "%Y%m%d%H%M%S"), default_offset)
    if len(value) == 12 and value[:2] in ("19", "20"):  # YYYYMMDDHHMM (as milliseconds: 1976, out of range)
        return _aware(datetime.strptime(value, "%Y%m%d%H%M"), default_offset)
    if len(value) in (12, 13) and int(value) // 1000 in _EPOCH_SECONDS:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    if len(value) in (9, 10) and int(value) in _EPOCH_SECONDS:
        return datetime.fromtimestamp(int(value), UTC)
    return None  # strptime would read "1577959200" as 1577-09-05 09:20:00


def _aware(value: datetime, default_offset: float) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone(timedelta(hours=default_offset)))
    return value.astimezone(UTC)


_SLASHED = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})\b")
_FRACTION = re.compile(r"(\d{2}:\d{2}:\d{2})[.,]\d+")
_NOISE = re.compile(r"\s+#\S*$|\s+(?:at|um|a las|à)\s+|\s*\((?:dd|mm|yyyy|yy)[^)]*\)\s*|^(?:on|le|am)\s+", re.IGNORECASE)


@lru_cache(maxsize=65536)
def parse_date(text: str | None, default_offset: float = 0.0, day_first: bool = True) -> datetime | None:
    """Parse a registry date; None when the text is not a date we recognise.

    `day_first` settles 03/02/2020 (3 February, the international order) against registries that write
    month first; when one number is above 12 the order is not in doubt either way. A date that cannot be
    placed in UTC (year 1 east of Greenwich, a +25:00 offset) is not a date either.
    """
    try:
        return _parse_date(text, default_offset, day_first)
    except (ValueError, OverflowError):
        return None


def _parse_date(text: str | None, default_offset: float, day_first: bool) -> datetime | None:
    if not text:
        return None
    if _PLAIN_ISO.match(text):  # the common case, which the clean-ups below would leave as it is
        try:
            return _aware(datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text),
                          default_offset)
        except ValueError:
            pass  # 2020-13-01 and the like: the general path decides
    value = text.strip().rstrip(".").strip()
    if not value or len(value) > 64:
        return None
    if not any(ch.isdigit() for ch in value):
        return None
    if value.isdigit():
        return _all_digits(value, default_offset)
    value = _NOISE.sub(" ", value).strip()
    value = _FRACTION.sub(r"\1", value)
    value = _AM_PM.sub(lambda m: f"{m.group(1)} {m.group(2).upper()}M", value)
    m = _SLASHED.match(value)
    if m:
        first, second = int(m.group(1)), int(m.group(3))
        month_first = second > 12 if (first <= 12 < second or first > 12) else not day_first
        day, month = (second, first) if month_first else (first, second)
        value = f"{day:02d}.{month:02d}.{m.group(4)}{value[m.end():]}"
    # ISO 8601 first: the common case in ICANN-style and RDAP output.
    iso = value.replace("Z", "+00:00") if value.endswith("Z") else value
    try:
        return _aware(datetime.fromisoformat(iso), default_offset)
    except ValueError:
        pass
    offset = default_offset
    m = _UTC_OFFSET.search(value)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        offset = sign * (int(m.group(2)) + int(m.group(3) or 0) / 60)
        value = (value[: m.start()] + " " + value[m.end() :]).strip()
    else:
        m = _NUMERIC_ZONE.search(value)
        if m and re.search(r"\d{1,2}:\d{2}", value[: m.start()]):
            sign = 1 if m.group(1) == "+" else -1
            offset = sign * (int(m.group(2)) + int(m.group(3) or 0) / 60)
            value = value[: m.start()].strip()
        else:
            for token in _ZONE_TOKEN.findall(value):
                if token in ZONE_OFFSETS:
                    offset = ZONE_OFFSETS[token]
                    value = re.sub(r"\(?\b" + token + r"\b\)?", " ", value).strip()
                    break
    m = _KOREAN.match(value)
    if m:
        try:
            return _aware(datetime(int(m.group(1)), int(m.group(2)), int(m.group(3))), offset)
        except ValueError:
            return None
    value = _ORDINAL.sub(r"\1", value.replace(",", " "))
    value = " ".join(value.split())
    value = value.replace("T", " ") if re.match(r"^\d{4}-\d{2}-\d{2}T", value) else value
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return _aware(parsed, offset)
    # ISO with an odd zone or fractional seconds the list above does not cover
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})", value)
    if m:
        try:
            return _aware(datetime(*map(int, m.groups())), offset)  # type: ignore[arg-type]
        except ValueError:
            return None
    # RIPE-style "changed:" and "created:" values: who, then a compact date ("notify@drs.ua 20121216134104",
    # UANIC's "0-UANIC 20020903000000")
    m = _WHO_THEN_COMPACT_DATE.match(value)
    if m:
        return _parse_date(m.group(1), offset, day_first)
    return None
