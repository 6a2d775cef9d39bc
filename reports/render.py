"""The one Jinja2 environment: autoescape always on, undefined names are errors.

Registration data is attacker-controlled; every value reaches HTML only through this environment.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Templates from reports/templates, escaped by default whatever their file name."""
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda part, whole: f"{100.0 * part / whole:.1f}%" if whole else "n/a"
    return env


def render(template: str, **context: Any) -> str:
    """Render one template with the given context."""
    return environment().get_template(template).render(**context)
