"""The rule catalogue: built-in rules imported explicitly, third-party rules from entry points.

What runs is never a matter of import side effects elsewhere: `load_rules()` imports the built-in
modules here, then any package registered under the ``auditor.rules`` entry-point group.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from rules.base import REGISTRY, Rule, RuleContext, Tally, rule

__all__ = ["REGISTRY", "Rule", "RuleContext", "Tally", "load_rules", "rule", "select"]

_loaded = False


def load_rules() -> dict[str, Rule]:
    """Import built-in and plug-in rules once; returns the registry."""
    global _loaded
    if not _loaded:
        from rules import false_data, incomplete, patterns, unverifiable  # noqa: F401 - registers the rules

        for ep in entry_points(group="auditor.rules"):
            ep.load()
        _loaded = True
    return REGISTRY


def select(*patterns: str, exclude: tuple[str, ...] = ()) -> list[Rule]:
    """Rules whose id starts with one of the patterns (all when none), minus excluded prefixes."""
    registry = load_rules()
    chosen = [r for r in registry.values() if not patterns or any(r.id.startswith(p.upper()) for p in patterns)]
    chosen = [r for r in chosen if not any(r.id.startswith(p.upper()) for p in exclude)]
    return sorted(chosen, key=lambda r: r.id)
