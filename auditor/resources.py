"""Where bundled data lives: the repository's fixtures/ in a checkout, a copy inside the wheel otherwise."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def fixtures_dir() -> Path:
    """The fixtures directory (demo zone, rule examples, DNS zones)."""
    packaged = Path(__file__).resolve().parent / "_fixtures"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "fixtures"
    return checkout
