"""Every rule's examples run as tests, and every rule passes the registry checklist (ruff + GX style)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from auditor.engine import score
from auditor.records import RegistrationRecord
from auditor.verify import MailDomain, MailDomainCheck, Verifier
from rules import load_rules
from rules.base import DOC_SECTIONS, RULE_ID_RE, RULE_NAME_RE

NOW = datetime(2026, 11, 23, tzinfo=UTC)
RULES = load_rules()


class StubDns:
    """Answers mail-domain questions from a case's "dns" table (a plain object, for unit tests)."""

    description = "stub"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def check(self, domain: str) -> MailDomainCheck:
        verdict = MailDomain(self.answers.get(domain, "accepts"))
        return MailDomainCheck(verdict, f"stub answer for {domain}: {verdict.value}")

    def prefetch(self, domains: Any) -> None:
        pass


def cases() -> list[Any]:
    out = []
    for rule in sorted(RULES.values(), key=lambda r: r.id):
        for i, case in enumerate(rule.examples()):
            out.append(pytest.param(rule.id, case, id=f"{rule.id}-{i}-{case['title'][:40]}"))
    return out


@pytest.mark.parametrize(("rule_id", "case"), cases())
def test_rule_example(rule_id: str, case: dict[str, Any]) -> None:
    rule = RULES[rule_id]
    # a dataset rule's example is a list of records; a record rule's is one record
    inputs = case["in"] if isinstance(case["in"], list) else [case["in"]]
    records = [RegistrationRecord.from_dict(r) for r in inputs]
    answers = case.get("dns", {})  # null: DNS checks switched off
    verify = Verifier(StubDns(answers) if answers is not None else None)  # type: ignore[arg-type]
    result = score(records, [rule], verify, NOW)
    got = sorted((f.domain, f.role, f.field) for f in result.findings)
    want = sorted((o.get("domain", records[0].domain), o["role"], o["field"]) for o in case["out"])
    assert got == want, [f.message for f in result.findings]
    assert not result.errors
    for f in result.findings:
        assert f.rule_id == rule_id and f.policy and f.message


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_checklist(rule_id: str) -> None:
    rule = RULES[rule_id]
    assert RULE_ID_RE.match(rule.id)
    assert RULE_NAME_RE.match(rule.name), "kebab-case name saying the defect"
    prefix_category = {"INC": "incomplete", "FAL": "false", "UNV": "unverifiable"}
    if rule.id[:3] in prefix_category:
        assert rule.category.value == prefix_category[rule.id[:3]]
    assert rule.doc.summary, "a one-line summary of what it checks"
    for section in DOC_SECTIONS:
        assert rule.doc.sections.get(section), f"docstring section '## {section}'"
    assert rule.policies, "at least one policy reference"
    examples = rule.examples()
    assert any(c["out"] for c in examples), "at least one positive example"
    assert any(not c["out"] for c in examples), "at least one negative example"
    # the function is named after the rule (snake case of the name)
    assert rule.func.__name__ == rule.name.replace("-", "_")


def test_rule_names_are_unique() -> None:
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names))


def test_registering_the_same_id_twice_is_refused() -> None:
    from auditor.records import Category, Severity
    from rules.base import rule

    with pytest.raises(ValueError, match="registered twice"):
        @rule(id="INC001", name="some-other-rule", category=Category.INCOMPLETE, severity=Severity.LOW, policy=())
        def other(record, ctx):  # type: ignore[no-untyped-def]
            return iter(())


def test_a_rule_that_raises_is_counted_not_fatal() -> None:
    from auditor.records import Category, Severity
    from rules.base import REGISTRY, rule

    @rule(id="TST999", name="always-crashes", category=Category.FALSE, severity=Severity.LOW, policy=())
    def always_crashes(record, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    @rule(id="TST998", name="fails-every-other", category=Category.FALSE, severity=Severity.LOW, policy=())
    def fails_every_other(record, ctx):  # type: ignore[no-untyped-def]
        if record.domain.startswith(("b", "d")):
            yield ctx.finding(record, "one")
            yield ctx.finding(record, "two", field="name")

    try:
        records = [RegistrationRecord(domain=f"{c}.zz") for c in "abcde"]
        result = score(records, [REGISTRY["TST999"], REGISTRY["TST998"]], Verifier(None), NOW)
        assert result.tallies["TST999"].errors == 5 and result.errors[0]["error"] == "RuntimeError: boom"
        # the denominators: a record a rule raised on was still evaluated by it
        assert result.tallies["TST999"].to_dict() == {"evaluated": 5, "failed": 0, "findings": 0, "unchecked": 0,
                                                      "errors": 5}
        assert result.tallies["TST998"].to_dict() == {"evaluated": 5, "failed": 2, "findings": 4, "unchecked": 0,
                                                      "errors": 0}
    finally:
        REGISTRY.pop("TST999")
        REGISTRY.pop("TST998")


def _fold_reference(value: str) -> str:
    """fold() as first written, for every input: NFKD, combining marks dropped, casefold, punctuation to spaces."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w/]+", " ", text).split())


def test_fictional_ranges_are_found_by_country_code_as_by_scanning_the_table() -> None:
    """placeholder_phone_digits looks a number up in its own country's fictional ranges; the answer must
    be what scanning the whole table in order gives, for numbers inside and outside every range."""
    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    from rules.placeholders import FICTIONAL_RANGES, placeholder_phone_digits

    def reference(country_code: str, national: str) -> str | None:
        if not national:
            return "no subscriber digits"
        if len(set(national)) == 1:
            return "all digits the same"
        if national in "01234567890123456789" and len(national) >= 6 or (
                national in "98765432109876543210" and len(national) >= 6):
            return "a sequential run of digits"
        return next((reason for cc, pattern, reason in FICTIONAL_RANGES
                     if cc == country_code and pattern.match(national)), None)

    codes = sorted({cc for cc, _p, _r in FICTIONAL_RANGES} | {"49", "7"})

    @settings(max_examples=2000, derandomize=True, deadline=None)
    @given(st.sampled_from(codes), st.text(alphabet="0123456789", max_size=12))
    @example("1", "2025550143")  # NANP 555-01XX
    @example("44", "7700900123")  # Ofcom drama range
    @example("61", "255501234")
    @example("33", "199123456")  # ARCEP
    @example("44", "2025550143")  # NANP's fiction range under another code: not fiction there
    @example("1", "7700900123")  # Ofcom's under NANP: not fiction there
    @example("33", "7700900123")
    @example("49", "2025550143")  # a code with no fictional range at all
    def same(country_code: str, national: str) -> None:
        assert placeholder_phone_digits(country_code, national) == reference(country_code, national)

    same()


def test_fold_fast_ascii_path_matches_the_full_normalisation() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from rules.placeholders import fold

    @settings(max_examples=3000, derandomize=True, deadline=None)
    @given(st.text(alphabet=st.characters(max_codepoint=0x24F), max_size=40))
    def same(value: str) -> None:
        assert fold.__wrapped__(value) == _fold_reference(value)

    same()
    for value in ("Jürgen MÜLLER-Straße", "N/A", "  ", "Ｆｕｌｌｗｉｄｔｈ", "ÆØÅ æøå", "İstanbul"):
        assert fold.__wrapped__(value) == _fold_reference(value)


def test_a_findings_excerpt_set_by_with_excerpt_equals_dataclasses_replace() -> None:
    """`Finding.with_excerpt` builds the finding positionally for speed: every field, including any added
    later, must come through as `dataclasses.replace` would carry it."""
    from dataclasses import fields, replace

    from auditor.records import Category, Evidence, Finding, Severity

    def filled(cls: type, **fixed: Any) -> Any:
        return cls(**{f.name: fixed.get(f.name, f"{cls.__name__}.{f.name}") for f in fields(cls)})

    evidence = filled(Evidence, excerpt=None)
    finding = filled(Finding, category=Category.FALSE, severity=Severity.HIGH, evidence=evidence,
                     policy=("p1", "p2"), related_domains=("a.zz", "b.zz"))
    made = finding.with_excerpt("name: N/A")
    assert made == replace(finding, evidence=replace(evidence, excerpt="name: N/A"))
    assert made.evidence.excerpt == "name: N/A" and finding.evidence.excerpt is None


@pytest.mark.parametrize("value", ["Doe, John", "Test 1", "test123", "Test User 1", "123 Fake St.", "Musterstraße 1",
                                   "Calle Falsa 123", "Your Name Here", "Lorem Ipsum Dolor Sit", "Anytown USA"])
def test_fictitious_and_numbered_placeholders_are_placeholders(value: str) -> None:
    from rules.placeholders import placeholder_text

    assert placeholder_text(value), value


@pytest.mark.parametrize("value", ["No 5", "No. 12, MG Road", "Test Valley Borough Council", "Demo 2000 GmbH",
                                   "Hauptstraße 5", "A1 Telekom", "3M", "Route 66", "Apartment 12",
                                   "Street 12",  # Kuwait's and Cambodia's streets are numbered
                                   "Santa Claus"])  # a town in Indiana: fictitious only as a person
def test_real_values_with_numbers_or_placeholder_words_inside_are_not(value: str) -> None:
    from rules.placeholders import placeholder_text

    assert placeholder_text(value) is None, value


@pytest.mark.parametrize("value", ["Mickey Mouse", "Jane Roe", "Santa Claus", "Erika Musterfrau"])
def test_cartoon_and_textbook_people_are_fictitious_names(value: str) -> None:
    from rules.placeholders import fictitious_person

    assert fictitious_person(value)


@pytest.mark.parametrize("email", ["noreply@gmail.com", "no-reply@company.de", "donotreply@sky.com"])
def test_no_reply_mailboxes_are_placeholder_emails(email: str) -> None:
    from rules.placeholders import placeholder_email

    assert placeholder_email(email)


@pytest.mark.parametrize("value", ["Bwlchgwyn", "Cwmtwrch", "Heol Llwchwr", "Pwllgloyw", "Crwth", "Bwlchtocyn", "Plwmp"])
def test_welsh_place_names_are_not_random_typing(value: str) -> None:
    """"w" is a vowel in Welsh: these have no a, e, i, o, u or y between their consonants."""
    from rules.gibberish import is_gibberish

    assert not is_gibberish(value)


@pytest.mark.parametrize("value", ["Xkqzvbw Jfhdksl", "sdfsdf", "Wxcvbn Qsdfgh", "Zxcvbnw"])
def test_keyboard_mash_with_a_w_is_still_random_typing(value: str) -> None:
    from rules.gibberish import is_gibberish

    assert is_gibberish(value)


def test_modifier_letters_do_not_make_a_latin_name_another_script() -> None:
    from rules.patterns import _latin

    assert _latin("kaʻahumanu") and _latin("ilʼin") and _latin("łukasz") and not _latin("王小明")


def test_a_missing_country_the_profile_demands_is_reported_once() -> None:
    """INC001 reports a country its required-field profile demands; INC003 reports one only beyond it (review: an
    export row without a country got both under the raa, eurid, denic, nominet and sidn profiles)."""
    row = {"domain": "example-shop.zz", "source": "csv", "contacts": [{
        "role": "registrant", "name": "Åsa Öberg", "email": "admin@oberg-handel.zz", "phone": "+46.739359169",
        "street": ["Kungsgatan 129"], "city": "Malmö", "postcode": "211 20"}]}
    record = RegistrationRecord.from_dict(row)
    rules = [RULES["INC001"], RULES["INC003"]]
    for profile, rule_id in (("raa", "INC001"), ("nis2", "INC003")):
        params = {"INC001": {"profile": profile}, "INC003": {"profile": profile}}
        result = score([record], rules, Verifier(None), NOW, params=params)
        assert [(f.rule_id, f.field) for f in result.findings if f.field == "country"] == [(rule_id, "country")], profile
