"""The design card's layout, and no import or data fetch that could leave the machine."""

from __future__ import annotations

from pathlib import Path

import reports
import rules
import spiders

ROOT = Path(__file__).resolve().parent.parent


def test_top_level_packages_are_ours_not_pypi_namesakes() -> None:
    # PyPI has distributions whose import names are rules, reports and spiders; ours must win.
    for module in (rules, reports, spiders):
        assert Path(module.__file__).resolve().is_relative_to(ROOT), module.__file__


def test_layout_of_the_design_card() -> None:
    for name in ("pyproject.toml", "auditor", "spiders", "rules", "reports", "tests", "fixtures", "README.md"):
        assert (ROOT / name).exists(), name
    assert not (ROOT / "fixtures" / "__init__.py").exists(), "fixtures/ is data, not a package"


def test_tldextract_never_fetches_the_suffix_list(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import requests

    def refuse(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("tldextract tried to fetch the public suffix list")

    monkeypatch.setattr(requests.Session, "send", refuse)
    from auditor.domains import _extractor, registrable_domain

    _extractor.cache_clear()
    registrable_domain.cache_clear()
    assert registrable_domain("www.example.co.uk") == "example.co.uk"
