"""Property-based fuzzing: no input makes a parser fail internally.

`parse()` turns an exception inside a parser into a ParseFailure whose reason starts with
"parser error", so the run goes on; here that reason is itself the failure. Bounded for CI
(derandomised, a few hundred examples per property); raise ``AUDITOR_FUZZ_EXAMPLES`` for a long run,
see docs/parser-conformance.md.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auditor.parse import parse
from auditor.parse.labels import FIELD_WORDS, RECORD_LABELS, ROLE_WORDS
from auditor.records import NoRegistration, ParseFailure, RawRecord, RegistrationRecord, Source

EXAMPLES = int(os.environ.get("AUDITOR_FUZZ_EXAMPLES", "250"))
#: CI runs the same examples every time; AUDITOR_FUZZ_RANDOM=1 explores new ones (hypothesis keeps failures found).
DERANDOMIZE = os.environ.get("AUDITOR_FUZZ_RANDOM", "") != "1"
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _check(raw: RawRecord, tld: str | None = None) -> None:
    outcome = parse(raw, tld=tld)
    assert isinstance(outcome, RegistrationRecord | NoRegistration | ParseFailure)
    if isinstance(outcome, ParseFailure):
        assert not outcome.reason.startswith("parser error"), outcome.reason
    if isinstance(outcome, RegistrationRecord):
        assert outcome.domain == outcome.domain.lower() and outcome.domain.isascii()  # an A-label
        for when in (outcome.created_at, outcome.updated_at, outcome.expires_at):
            assert when is None or when.tzinfo is not None


_LABELS = sorted(RECORD_LABELS) + [f"{r} {f}" for r in list(ROLE_WORDS)[:12] for f in list(FIELD_WORDS)[:20]]
_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["REDACTED FOR PRIVACY", "2024-01-02T03:04:05Z", "27-Apr-2004", "2005/05/30 (JST)", "ns1.x.zz",
                     "Not Disclosed", "No match for", "Too many queries", "free", "00/00/0000", "31/02/2020",
                     "9999-99-99", "Bücher.de", "xn--", "a" * 300, "GMT+99", "12:30", "[", "%", ":"]),
)
_LINE = st.one_of(
    st.builds(lambda lab, sep, val: f"{lab}{sep}{val}", st.sampled_from(_LABELS),
              st.sampled_from([": ", ":", "......: ", "\t", "#. . . ", " : "]), _VALUES),
    st.builds(lambda lab, val: f"[{lab}] {val}", st.sampled_from(_LABELS), _VALUES),
    st.builds(lambda ind, val: " " * ind + val, st.integers(0, 8), _VALUES),
    st.sampled_from(["", "%", "% comment", ">>> Last update of WHOIS database: 2024-01-01T00:00:00Z <<<",
                     "[Querying whois.nic.zz]", "Registrant:", "Name Servers:", "nic-hdl: AB123-ZZ"]),
)
_WHOIS_TEXT = st.lists(_LINE, max_size=40).map("\n".join)
_ENCODING = st.sampled_from(["utf-8", "cp1252", "latin-1", "shift_jis", "euc_kr", "koi8_r", "utf-16"])


@FUZZ
@given(st.binary(max_size=4000), st.sampled_from([None, "de", "jp", "kr", "ru", "zz", "xn--p1ai"]))
def test_whois_parser_on_arbitrary_bytes(body: bytes, tld: str | None) -> None:
    _check(RawRecord(Source.WHOIS, "file", "fuzz.zz", body, NOW), tld)


@FUZZ
@given(_WHOIS_TEXT, _ENCODING, st.sampled_from(["\n", "\r\n", "\r"]),
       st.sampled_from(["file", "whois.denic.de", "whois.jprs.jp", "whois.nic.it", "whois.dot.tk", "whois.eu"]))
def test_whois_parser_on_whois_like_text(text: str, encoding: str, newline: str, server: str) -> None:
    body = text.replace("\n", newline).encode(encoding, errors="replace")
    _check(RawRecord(Source.WHOIS, server, "fuzz.zz", body, NOW))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["objectClassName", "ldhName", "entities", "roles", "vcardArray", "events", "eventAction",
                         "eventDate", "nameservers", "status", "redacted", "name", "prePath", "errorCode",
                         "handle", "publicIds", "remarks", "notices", "unicodeName", "x"]), inner, max_size=6),
    max_leaves=30,
)


@FUZZ
@given(_JSON)
def test_rdap_parser_on_json_like_documents(doc: object) -> None:
    if isinstance(doc, dict) and doc.get("objectClassName") is None and len(doc) % 2:
        doc = {**doc, "objectClassName": "domain", "ldhName": "fuzz.zz"}  # reach past the first checks
    _check(RawRecord(Source.RDAP, "rdap.zz", "fuzz.zz", json.dumps(doc).encode(), NOW))


@FUZZ
@given(st.binary(max_size=2000))
def test_rdap_parser_on_arbitrary_bytes(body: bytes) -> None:
    _check(RawRecord(Source.RDAP, "rdap.zz", "fuzz.zz", body, NOW))


@FUZZ
@given(st.lists(st.lists(st.text(max_size=15), min_size=1, max_size=6), min_size=1, max_size=3),
       st.sampled_from(["domain,registrant_name,created,nameservers", "domain,status,registrant_redacted,expires",
                        "x,y"]))
def test_csv_parser_on_arbitrary_rows(rows: list[list[str]], header: str) -> None:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header.split(","))
    writer.writerows(rows)
    _check(RawRecord(Source.CSV, "export", "", buf.getvalue().encode("utf-8", errors="replace"), NOW))


@example("a,b\n,a b;\n")  # a header and one plain row: the row is split without the csv module
@example("a\n\x00,b\n")
@given(st.text(alphabet='ab,"\r\n ;\x00', max_size=60))
def test_csv_header_cache_reads_every_text_as_the_csv_module_does(text: str) -> None:
    """The parser reads a repeated header line from a cache, and a plain row line by splitting it; it
    must split every text exactly like the csv module reading it whole (quotes, carriage returns, empty
    lines, NULs included)."""
    import csv
    import io

    from auditor.parse.csv_export import _header_and_rows

    def read(how):  # type: ignore[no-untyped-def]
        try:
            return [list(r) for r in how()]
        except csv.Error as exc:  # a bare carriage return inside an unquoted field
            return str(exc)

    assert read(lambda: _header_and_rows(text)) == read(lambda: csv.reader(io.StringIO(text)))


@example("1 Main St")
@example(" a |\x0cb\u2028 ")
@given(st.text(alphabet="ab |\n\r\x0b\x0c\x1c\x85\u2028", max_size=30))
def test_street_cells_split_into_the_lines_every_line_break_makes(value: str) -> None:
    """A street cell's lines: the parser's one-line shortcut gives what splitting at "|" and at every
    line break str.splitlines knows, then dropping blank lines, gives."""
    from auditor.parse.csv_export import _street_lines

    expected = [line.strip() for line in value.replace("|", "\n").splitlines() if line.strip()]
    assert _street_lines(value) == expected
