"""Country values in any language to ISO 3166-1 (auditor.countries with CLDR's names)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from auditor import countries
from auditor.countries import to_iso_country

DATA = Path(countries.__file__).parent / "data"


@pytest.mark.parametrize(("value", "code"), [
    ("Россия", "RU"), ("Россия ", "RU"), ("Србија", "RS"), ("Srbija", "RS"), ("Éire", "IE"), ("ایران", "IR"),
    ("台灣", "TW"), ("中国", "CN"), ("한국", "KR"), ("대한민국", "KR"), ("ไทย", "TH"), ("Северна Македонија", "MK"),
    ("Trinidad & Tobago", "TT"), ("Bosnia & Herzegovina", "BA"), ("The Bahamas", "BS"), ("The Gambia", "GM"),
    ("DR Congo", "CD"), ("Congo - Brazzaville", "CG"), ("Myanmar (Burma)", "MM"), ("UAE", "AE"), ("Deutschland", "DE"),
])
def test_names_people_write_in_any_language(value: str, code: str) -> None:
    assert to_iso_country(value) == code


@pytest.mark.parametrize("value", ["Narnia", "Atlantis", "Wakanda", "Europe", "EU", "Asia", "Earth", "none", "N/A",
                                   "Unknown", "Test", "XX", "ZZ", "Freedonia", "Country"])
def test_places_that_are_no_country_stay_unknown(value: str) -> None:
    assert to_iso_country(value) is None


def test_the_bundled_names_are_folded_as_the_table_folds_them_and_none_is_ambiguous() -> None:
    spec = importlib.util.spec_from_file_location("derive_country_names", DATA / "derive_country_names.py")
    assert spec and spec.loader
    derive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(derive)
    for sample in ("Trinidad & Tobago", "Côte d’Ivoire", "São Tomé & Príncipe", "Россия", "台灣"):
        assert derive._fold(sample) == countries._fold(sample)
    data = json.loads((DATA / "country-names.json").read_text("utf-8"))
    ambiguous = set(data["ambiguous"])
    seen: dict[str, str] = {}
    for code, names in data["names"].items():
        for name in names:
            folded = countries._fold(name)
            assert folded not in ambiguous
            assert seen.setdefault(folded, code) == code, (name, code, seen[folded])
