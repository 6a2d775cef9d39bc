"""A reader for weppos/whois-parser's `.expected` files, a small Ruby-spec mini-language.

Each ``#property`` header is followed by assertions on ``%s`` (the property's value)::

    #created_on
      %s %CLASS{time}
      %s %TIME{1999-02-14}
    #registrant_contacts
      %s[0].name         == "Google Inc."
    #nameservers
      %s[0].name == "ns1.google.com"

`read_spec` turns a file into ``{property: [Assertion, ...]}``; the harness decides what each
property means for us. Values are Ruby literals: strings, symbols (``:registered``), ``nil``,
``true``/``false``, arrays of strings and constants (kept as their name).

>>> spec = read_spec('#status\\n  %s == :registered\\n#nameservers\\n  %s[0].name == "ns1.x.zz"\\n')
>>> spec["status"][0].value, spec["nameservers"][0].index, spec["nameservers"][0].attr
(Symbol(name='registered'), 0, 'name')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Symbol:
    """A Ruby symbol such as ``:registered``."""

    name: str


@dataclass(frozen=True, slots=True)
class Assertion:
    """One line: ``%s[index].attr OP value`` where OP is ==, CLASS, TIME, SIZE or ERROR."""

    index: int | None
    attr: str | None
    op: str
    value: Any


_HEADER = re.compile(r"^#(?P<prop>[a-z_]+\??)\s*$")
_GLUED_HEADER = re.compile(r"^(?P<body>.*\S)(?P<header>#[a-z_]+\??)\s*$")  # "... == nil#status" (no newline)
_LINE = re.compile(
    r"^\s*%s(?:\[(?P<index>\d+)\])?(?:\.(?P<attr>[a-z_]+\??))?\s*"
    r"(?:==\s*(?P<eq>.*?)|%(?P<op>CLASS|TIME|SIZE|ERROR)\{(?P<arg>.*)\})\s*$"
)


def ruby_literal(text: str) -> Any:
    """The Python value of a Ruby literal as the specs write them."""
    text = text.strip()
    if text == "nil":
        return None
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r":[a-z_]+", text):
        return Symbol(text[1:])
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text.startswith(("[", '"')):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            # Ruby escapes JSON lacks (\#, \e): keep the characters
            try:
                return json.loads(re.sub(r"\\([^\"\\/bfnrtu])", r"\1", text))
            except json.JSONDecodeError:
                return text
    return text  # a constant such as Whois::Parser::Contact::TYPE_TECHNICAL


def read_spec(source: str) -> dict[str, list[Assertion]]:
    """Parse a whole `.expected` file."""
    lines: list[str] = []
    for line in source.splitlines():
        m = _GLUED_HEADER.match(line)
        if m and "%s" in m.group("body") and not m.group("body").rstrip().endswith('"'):
            lines.extend((m.group("body"), m.group("header")))
        else:
            lines.append(line)
    spec: dict[str, list[Assertion]] = {}
    current: list[Assertion] | None = None
    for line in lines:
        header = _HEADER.match(line.strip())
        if header:
            current = spec.setdefault(header.group("prop"), [])
            continue
        m = _LINE.match(line)
        if m is None or current is None:
            continue
        index = int(m.group("index")) if m.group("index") is not None else None
        if m.group("op"):
            op, value = m.group("op"), m.group("arg")
            if op == "SIZE":
                value = int(value)
        else:
            op, value = "==", ruby_literal(m.group("eq"))
        current.append(Assertion(index, m.group("attr"), op, value))
    return spec
