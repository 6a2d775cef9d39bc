"""Audit configuration from `auditor.toml` or a `[tool.auditor]` table in `pyproject.toml`.

Looked up in this order: the file given with `--config`, `./auditor.toml`, `./pyproject.toml`
(only when it has a `[tool.auditor]` table). Command-line options override the file. Example::

    select = ["INC", "FAL", "UNV", "PAT"]     # rule ids or prefixes; default: all
    ignore = ["UNV007"]
    profile = "auto"                          # required-field profile for INC001 (nis2, raa, auto, ...)
    dns = true
    resolver = "127.0.0.1:53"
    dns_timeout = 3.0

    [profiles.my-registry]                    # a profile of your own
    registrant = ["name", "email", "phone", "street", "city", "country"]
    administrative = ["email"]

    [tld_profiles]                            # which profile "auto" uses per TLD
    zz = "my-registry"

    [rules.PAT002]                            # any rule's parameters
    min_domains = 20
    window_hours = 12

    [deadlines]                               # evidence packs: days to correct, per TLD
    zz = 21

    small_cell = 10                           # statistics: cells below this count are suppressed
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.records import CONTACT_FIELDS, Role

#: The rules that read the required-field profile.
PROFILE_RULES = ("INC001", "INC003")

KNOWN_KEYS = frozenset({"select", "ignore", "profile", "profiles", "tld_profiles", "rules", "dns", "resolver", "dns_timeout",
                        "deadlines", "small_cell"})


@dataclass
class AuditConfig:
    """What a configuration file says; every field optional."""

    source: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    profile: str | None = None
    profiles: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    tld_profiles: dict[str, str] = field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    dns: bool | None = None
    resolver: str | None = None
    dns_timeout: float | None = None
    deadlines: dict[str, int] = field(default_factory=dict)  # TLD -> days to correct (evidence packs)
    small_cell: int | None = None  # statistics: suppress cells below this count

    def rule_params(self) -> dict[str, dict[str, Any]]:
        """Per-rule parameters, with the profile settings folded into those of the rules that read the
        required-field profile (INC001 reports what it demands; INC003 leaves those fields to it)."""
        params = {rule_id: dict(values) for rule_id, values in self.rules.items()}
        for rule_id in PROFILE_RULES:
            inc = params.setdefault(rule_id, {})
            if self.profile:
                inc.setdefault("profile", self.profile)
            if self.profiles:
                inc.setdefault("profiles", self.profiles)
            if self.tld_profiles:
                inc.setdefault("tld_profiles", self.tld_profiles)
            if not inc:
                params.pop(rule_id)
        return params


def find_config(explicit: str | Path | None = None, cwd: Path | None = None) -> Path | None:
    """The configuration file in effect, if any."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--config {path}: no such file")
        return path
    cwd = cwd or Path.cwd()
    if (cwd / "auditor.toml").is_file():
        return cwd / "auditor.toml"
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            return None
        if "auditor" in data.get("tool", {}):
            return pyproject
    return None


def load_config(explicit: str | Path | None = None, cwd: Path | None = None) -> AuditConfig:
    """Read and validate the configuration; a clear ConfigError for anything wrong."""
    path = find_config(explicit, cwd)
    if path is None:
        return AuditConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("auditor", {})
    return parse_config(data, str(path))


def parse_config(data: dict[str, Any], source: str = "<config>") -> AuditConfig:
    """Validate a configuration mapping."""
    from rules import load_rules
    from rules.incomplete import REQUIRED_FIELD_PROFILES

    unknown = set(data) - KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(KNOWN_KEYS))}")
    registry = load_rules()
    for key in ("select", "ignore"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: {key} must be a list of rule ids or prefixes")
        for prefix in value:
            if not any(rule_id.startswith(prefix.upper()) for rule_id in registry):
                raise ConfigError(f"{source}: {key} entry {prefix!r} matches no rule")
    profiles = data.get("profiles", {})
    for name, roles in profiles.items():
        for role, fields in roles.items():
            if role not in {r.value for r in Role}:
                raise ConfigError(f"{source}: profile {name!r}: unknown role {role!r}")
            bad = [f for f in fields if f not in CONTACT_FIELDS]
            if bad:
                raise ConfigError(f"{source}: profile {name!r}: unknown field(s) {', '.join(bad)}")
    known_profiles = set(REQUIRED_FIELD_PROFILES) | set(profiles) | {"auto"}
    profile = data.get("profile")
    if profile is not None and profile not in known_profiles:
        raise ConfigError(f"{source}: profile {profile!r} is not defined; known: {', '.join(sorted(known_profiles))}")
    for tld, name in data.get("tld_profiles", {}).items():
        if name not in known_profiles:
            raise ConfigError(f"{source}: tld_profiles.{tld} names an undefined profile {name!r}")
    rules = data.get("rules", {})
    for rule_id, params in rules.items():
        rule = registry.get(rule_id)
        if rule is None:
            raise ConfigError(f"{source}: rules.{rule_id}: no such rule")
        bad = set(params) - set(rule.params) - ({"profile", "profiles", "tld_profiles"} if rule_id in PROFILE_RULES else set())
        if bad:
            raise ConfigError(f"{source}: rules.{rule_id}: unknown parameter(s) {', '.join(sorted(bad))}; "
                              f"known: {', '.join(sorted(rule.params)) or 'none'}")
    timeout = data.get("dns_timeout")
    deadlines = data.get("deadlines", {})
    if not all(isinstance(v, int) and v > 0 for v in deadlines.values()):
        raise ConfigError(f"{source}: deadlines must map TLDs to a positive number of days")
    small_cell = data.get("small_cell")
    if small_cell is not None and (not isinstance(small_cell, int) or small_cell < 1):
        raise ConfigError(f"{source}: small_cell must be a positive integer")
    return AuditConfig(
        source=source,
        select=tuple(data.get("select", ())),
        ignore=tuple(data.get("ignore", ())),
        profile=profile,
        profiles=profiles,
        tld_profiles={k.lower().lstrip("."): v for k, v in data.get("tld_profiles", {}).items()},
        rules=rules,
        dns=data.get("dns"),
        resolver=data.get("resolver"),
        dns_timeout=float(timeout) if timeout is not None else None,
        deadlines={k.lower().lstrip("."): v for k, v in deadlines.items()},
        small_cell=small_cell,
    )
