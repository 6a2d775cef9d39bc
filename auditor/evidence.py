"""The raw-response excerpt behind a finding: the WHOIS line, the RDAP JSON fragment, the CSV cell."""

from __future__ import annotations

import csv
import io
import json
import re
from functools import lru_cache
from typing import Any

from auditor.decode import decode
from auditor.errors import DecodeError
from auditor.parse.escrow import escrow_excerpt
from auditor.records import RawRecord, Source

MAX_EXCERPT = 300
_LINE = re.compile(r"^line (\d+)$")
_PATH_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([^']*)'\]")  # .name, [0], ['any key']
_ROW = re.compile(r"^row \S+, column (.+)$")


@lru_cache(maxsize=4096)
def _lines(body: bytes, tld: str | None) -> list[str]:
    try:
        text = decode(body, tld=tld).text
    except DecodeError:
        return []
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


@lru_cache(maxsize=1024)
def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None


def _resolve_path(data: Any, path: str) -> Any:
    if not path.startswith("$"):
        return None
    node = data
    for name, index, key in _PATH_TOKEN.findall(path[1:]):
        try:
            node = node[name or key] if (name or key) else node[int(index)]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def excerpt(raw: RawRecord, location: str | None) -> str | None:
    """The text at `location` in the raw response, or None when it cannot be pinned down."""
    if not location:
        return None
    m = _LINE.match(location)
    if m and raw.source is Source.WHOIS:
        lines = _lines(raw.body, raw.query.rsplit(".", 1)[-1] if "." in raw.query else None)
        idx = int(m.group(1)) - 1
        return lines[idx].strip()[:MAX_EXCERPT] if 0 <= idx < len(lines) else None
    if location.startswith("$") and raw.source is Source.RDAP:
        node = _resolve_path(_json(raw.body), location)
        if node is None:
            return None
        return json.dumps(node, ensure_ascii=False, separators=(",", ":"))[:MAX_EXCERPT]
    if raw.source is Source.ESCROW:
        text = escrow_excerpt(raw.body, location)
        return text[:MAX_EXCERPT] if text is not None else None
    m = _ROW.match(location)
    if m and raw.source is Source.CSV:
        rows = list(csv.reader(io.StringIO(raw.body.decode("utf-8", errors="replace"))))
        if len(rows) >= 2 and m.group(1) in rows[0]:
            col = rows[0].index(m.group(1))
            value = rows[1][col] if col < len(rows[1]) else ""
            return f"{m.group(1)}: {value}"[:MAX_EXCERPT]
    return None
