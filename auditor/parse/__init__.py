"""Parsing: one entry point, `parse(raw)`, dispatching by source and (for WHOIS) by server and TLD."""

from __future__ import annotations

from auditor.parse.csv_export import parse_csv_row
from auditor.parse.escrow import parse_escrow_record
from auditor.parse.rdap import parse_rdap
from auditor.parse.registry import profile_for
from auditor.parse.whois_text import client_server_hint, parse_whois_text
from auditor.records import ParseFailure, ParseOutcome, RawRecord, Source

__all__ = ["parse"]


def _tld_of(query: str) -> str | None:
    return query.rsplit(".", 1)[-1].lower() if query and "." in query else None


def parse(raw: RawRecord, tld: str | None = None) -> ParseOutcome:
    """Parse any raw record; a bug in a parser becomes a ParseFailure naming it, never a crash."""
    try:
        if raw.source is Source.RDAP:
            return parse_rdap(raw)
        if raw.source is Source.CSV:
            return parse_csv_row(raw)
        if raw.source is Source.ESCROW:
            return parse_escrow_record(raw)
        tld = tld or _tld_of(raw.query)
        server = raw.server if raw.server and "." in raw.server else client_server_hint(raw.body) or raw.server
        return parse_whois_text(raw, profile_for(server, tld), tld)
    except Exception as exc:  # noqa: BLE001 - the run must go on; the failure is recorded with its cause
        return ParseFailure(raw.sha256, f"{raw.source.value}-parser", f"parser error: {type(exc).__name__}: {exc}")
