"""Gaps a blind probe of the rules found: doubled keyboard runs, placeholder streets in other languages,
field labels in other languages, and placeholder postcodes reported twice (FAL004 and UNV008)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from auditor.engine import score
from auditor.records import RegistrationRecord
from auditor.verify import Verifier
from rules import select
from rules.gibberish import is_gibberish
from rules.placeholders import placeholder_text

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def record(**contact: Any) -> RegistrationRecord:
    registrant = {"role": "registrant", "name": "Anna Schmidt", "email": "anna@baeckerei-schmidt.zz",
                  "phone": "+49.3012345678", "street": ["Invalidenstraße 12"], "city": "Berlin",
                  "postcode": "10115", "country": "DE", **contact}
    return RegistrationRecord.from_dict({"domain": "example-shop.zz", "source": "whois", "contacts": [registrant],
                                         "created_at": "2020-01-01T00:00:00+00:00",
                                         "expires_at": "2030-01-01T00:00:00+00:00"})


def findings(rec: RegistrationRecord, *rule_ids: str) -> list[tuple[str, str]]:
    result = score([rec], select(*rule_ids), Verifier(None), NOW)
    assert not result.errors
    return sorted((f.rule_id, f.field) for f in result.findings)


# 1. a keyboard run typed twice

@pytest.mark.parametrize("name", ["asdfasdf", "Qwerqwer", "asdasd", "jkljkl", "Sdfsdf", "Asdfasdf Qwerqwer",
                                  "Asdasd Qweqwe", "azerazer", "xcvxcv"])
def test_a_keyboard_run_typed_twice_is_a_placeholder_name(name: str) -> None:
    assert placeholder_text(name) == "keyboard sequence"
    # FAL001 reports it, FAL006 (random typing) leaves placeholders to it
    assert findings(record(name=name), "FAL001", "FAL006") == [("FAL001", "name")]


@pytest.mark.parametrize("name", ["Lulu", "Bora Bora", "Mimi", "Baba", "Coco", "Dada", "Kiki", "Tintin",
                                  "Walla Walla", "Sing Sing", "Sasa", "Lulu Tintin", "Mahmah", "Bonbon"])
def test_real_names_that_repeat_a_syllable_are_not_keyboard_runs(name: str) -> None:
    assert placeholder_text(name) is None
    assert findings(record(name=name), "FAL001", "FAL006") == []


# 2. placeholder streets in other languages

@pytest.mark.parametrize("street", ["Rue de Test", "1 rue du Test", "Via Test 1", "Teststraat 1", "Mustergasse 1",
                                    "Rua Teste, 123", "Rua Exemplo 1", "Calle Falsa 123", "Beispielstraße 1",
                                    "Musterweg 5", "Voorbeeldlaan 3", "Avenida Ejemplo 10", "Muster-Allee 2",
                                    "Teststraße", "Musterstraße", "Rua Falsa"])
def test_test_and_example_streets_in_other_languages_are_placeholders(street: str) -> None:
    assert placeholder_text(street)
    assert findings(record(street=[street]), "FAL004") == [("FAL004", "street")]


@pytest.mark.parametrize("street", ["Testerstraße 4", "Rue du Testament 2", "Via Teste 3", "Am Musterplatz 1",
                                    "Mustermannstraße 7", "Rue des Tests", "Hauptstraße 5", "Via Roma 1",
                                    "Calle Mayor 3", "Rua Augusta 12", "Kalverstraat 1", "Plaza Mayor 1"])
def test_real_streets_with_such_a_word_inside_are_not(street: str) -> None:
    assert placeholder_text(street) is None
    assert findings(record(street=[street]), "FAL004") == []


# 3. a placeholder postcode is FAL004's alone

@pytest.mark.parametrize(("country", "region", "postcode", "city"), [("IN", "West Bengal", "000000", "Kolkata"),
                                                                     ("BR", "BA", "00000-000", "Salvador")])
def test_a_placeholder_postcode_is_reported_once_by_fal004(country: str, region: str, postcode: str, city: str) -> None:
    rec = record(country=country, region=region, postcode=postcode, city=city, street=["1 Main Road"])
    assert findings(rec, "FAL004", "UNV004", "UNV008") == [("FAL004", "postcode")]


def test_a_real_postcode_of_another_region_is_still_unv008() -> None:
    rec = record(country="BR", region="BA", postcode="01310-100", city="Salvador", street=["Rua Chile 1"])
    assert findings(rec, "FAL004", "UNV004", "UNV008") == [("UNV008", "postcode")]


# 4. FAL005: the docs say an expiry however far ahead is not a finding, and the code agrees

def test_an_expiry_more_than_99_years_after_creation_is_not_a_finding() -> None:
    rec = RegistrationRecord.from_dict({"domain": "example-shop.zz", "source": "whois", "contacts": [],
                       "created_at": "2020-01-01T00:00:00+00:00", "expires_at": "2120-01-01T00:00:00+00:00"})
    assert findings(rec, "FAL005") == []
    doc = select("FAL005")[0].doc.sections["Not a finding"]
    assert "99 years" in doc and "not checked" in doc


# 5. field labels typed as the name, in other languages

@pytest.mark.parametrize("name", ["First Name Last Name", "Vorname Nachname", "Nachname, Vorname", "Nom Prénom",
                                  "Nombre Apellido", "Nombre y Apellidos", "Nome Cognome", "Voornaam Achternaam"])
def test_field_labels_in_other_languages_are_placeholder_names(name: str) -> None:
    assert placeholder_text(name) == "the field's own label typed as its value"
    assert findings(record(name=name), "FAL001") == [("FAL001", "name")]


@pytest.mark.parametrize("city", ["Nome", "Nombre de Dios", "Nom"])
def test_a_single_label_word_is_not_a_placeholder(city: str) -> None:
    """"Nome" is a city in Alaska, Nombre de Dios one in Mexico: only labels written together are placeholders."""
    assert placeholder_text(city) is None


@pytest.mark.parametrize("value", ["Kissstr.", "Messstr. 4", "Nussstr.", "Bär", "Bar", "Baz"])
def test_real_names_faker_found_flagged_are_not_placeholders_or_gibberish(value: str) -> None:
    """German street names with three s abbreviated ("Kissstr."), the surname Bär, the town of Bar."""
    assert not is_gibberish(value) and placeholder_text(value) is None
