"""Placeholder and fictitious values, as data: what registrants type when they do not want to answer.

Sources: GAO-06-165's "patently false" examples ((999) 999-9999, XXXXX), DENIC's accepted dummy
``+49.0000``, the fictional telephone ranges numbering regulators reserve for drama (NANP 555-01XX,
Ofcom, ACMA, ARCEP), RFC 2606 example domains, and the classic "John Doe" / "Max Mustermann" names.
Each check returns the reason (for the finding's message) or None.

>>> placeholder_text("N/A"), placeholder_text("asdfgh"), placeholder_text("Acme GmbH")
('a "not applicable" marker', 'keyboard sequence', None)
>>> placeholder_phone_digits("49", "0000"), placeholder_phone_digits("1", "2025550143")
('all digits the same', 'NANP 555-01XX range reserved for fiction')
>>> placeholder_email("noemail@gmail.com")
'placeholder mailbox name "noemail"'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from auditor.domains import is_reserved_example
from auditor.records import Contact, FieldState
from auditor.verify import PhoneVerdict, check_phone

#: Placeholder streets in other languages: a street-type word with a "test", "example" or "fake" word,
#: as each language writes it: (street types, placeholder words, words between them, one word). German
#: and Dutch write one word or two ("Musterweg", "Teststraat", "Muster-Gasse"); the Romance languages
#: two, with or without a "de" ("Rue de Test", "Via Test", "Rua Exemplo"). "test" and "fake" go with
#: every street type. Matched as whole values only: "Testerstraße" and "Rue du Testament" stay real.
_STREET_PLACEHOLDERS: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool], ...] = (
    (("strasse", "weg", "gasse", "allee", "platz"), ("muster", "beispiel"), ("",), True),  # DE, AT, CH
    (("straat", "laan", "weg", "plein"), ("voorbeeld",), ("",), True),  # NL, BE
    (("rue", "avenue", "boulevard", "allee", "place"), ("exemple", "fictive"), ("", "de", "du", "d"), False),  # FR
    (("via", "viale", "piazza"), ("esempio", "falsa", "falso"), ("", "di", "del", "dell"), False),  # IT
    (("rua", "avenida"), ("teste", "exemplo", "falsa", "falso"), ("", "de", "do", "da"), False),  # PT, BR
    (("calle", "avenida", "plaza", "carrer"), ("ejemplo", "exemple", "falsa", "falso"), ("", "de", "del", "d"),
     False),  # ES, CA
)


def _placeholder_streets() -> dict[str, str]:
    """The folded spellings of _STREET_PLACEHOLDERS ("rue de test", "musterweg", "muster weg")."""
    streets: set[str] = set()
    for types, fakes, links, one_word in _STREET_PLACEHOLDERS:
        for fake in (*fakes, "test", "fake"):
            for street in types:
                if one_word:
                    streets.update((fake + street, f"{fake} {street}"))
                else:
                    streets.update(" ".join(w for w in (street, link, fake) if w) for link in links)
    return dict.fromkeys(sorted(streets), "a test or dummy value")


#: Whole values (folded) that stand for "nothing" or "test".
PLACEHOLDER_WORDS: dict[str, str] = {
    **_placeholder_streets(),
    **dict.fromkeys(("n a", "na", "n.a", "n/a", "not applicable", "nvt", "k a", "keine angabe"),
                    'a "not applicable" marker'),
    **dict.fromkeys(("none", "null", "nil", "nothing", "no", "nobody", "noone", "no one", "empty", "void",
                     "unknown", "unk", "not known", "not provided", "notprovided", "not available", "tbd",
                     "to be defined", "tba", "later", "pending", "undefined", "blank", "no name", "noname",
                     "no address", "no street", "nowhere", "somewhere", "anywhere", "whatever",
                     "definir direccion", "sin direccion", "no aplica", "no disponible", "ninguno", "ninguna",
                     "nao informado", "non renseigne", "aucun", "aucune", "keine", "nicht vorhanden", "brak",
                     "nessuno", "nessuna", "geen"),
                    "a placeholder for no data"),
    **dict.fromkeys(("test", "tester", "testing", "test test", "testname", "test name", "test user", "testuser",
                     "test company", "test street", "teststreet", "teststrasse", "test strasse", "test city",
                     "testcity", "test org", "testorg", "demo", "sample", "example", "dummy", "fake", "foo",
                     "foo bar", "foobar", "lorem ipsum", "abc", "abcd", "abcde", "abc abc",
                     "xyz", "abc xyz", "asdf", "qwer", "yxcv", "zxcv", "hjkl"),
                    "a test or dummy value"),
    **dict.fromkeys(("john doe", "jane doe", "john q public", "max mustermann", "erika mustermann",
                     "mustermann", "musterfirma", "muster gmbh", "musterstrasse", "musterstraße",
                     "musterstadt", "mario rossi", "fulano de tal", "joe bloggs", "joe blow", "anytown",
                     "any town", "123 fake street", "fake street", "123 main street test",
                     # written surname first, as registries list people ("Doe, John")
                     "doe john", "doe jane", "mustermann max", "mustermann erika", "bloggs joe",
                     "mustermann gmbh", "muster ag", "anytown usa", "fake st", "calle falsa", "rua falsa"),
                    "a well-known fictitious identity"),
    **dict.fromkeys(("name", "your name", "full name", "first name", "last name", "firstname lastname",
                     "first name last name", "last name first name", "first last", "name surname",
                     # the same labels in German, French, Spanish, Italian and Dutch forms
                     "vorname nachname", "nachname vorname", "vor und nachname", "name vorname", "nom prenom",
                     "prenom nom", "nom et prenom", "nombre apellido", "nombre apellidos", "nombre y apellidos",
                     "apellido nombre", "apellidos nombre", "nome cognome", "cognome nome", "nome e cognome",
                     "voornaam achternaam", "achternaam voornaam",
                     "registrant", "registrant name", "owner", "domain owner", "holder", "domain holder", "company",
                     "company name",
                     "organisation", "organization", "street", "address", "street address", "city", "town",
                     "state", "country", "postcode", "zip", "email", "phone", "your name here", "your company",
                     "your company name", "your address", "your city", "your street", "enter name",
                     "enter your name"),
                    "the field's own label typed as its value"),
}
#: The stand-ins of forms and textbooks, and cartoon characters: fictitious as a person's or an
#: organisation's name only ("Santa Claus" is a town in Indiana).
FICTITIOUS_PEOPLE: frozenset[str] = frozenset({
    "jane roe", "richard roe", "fred bloggs", "joe public", "erika musterfrau", "max musterfrau", "mickey mouse",
    "minnie mouse", "donald duck", "daffy duck", "bugs bunny", "homer simpson", "santa claus", "father christmas",
})
#: Legal-form words that do not distinguish one holder from another (with the particles and conjunctions of
#: firms' and people's names: "the", "van", "und").
LEGAL_FORMS = frozenset({
    "gmbh", "mbh", "ag", "kg", "ohg", "ug", "ev", "ltd", "limited", "llc", "inc", "incorporated", "corp",
    "corporation", "co", "company", "plc", "llp", "lp", "sarl", "sas", "sa", "sasu", "eurl", "bv", "nv", "vof",
    "ab", "as", "asa", "aps", "oy", "oyj", "spa", "srl", "sl", "sp", "zoo", "kk", "pty", "pvt", "ltda", "the",
    "and", "und", "et", "de", "van", "von", "der", "den",
})
#: The legal forms alone: what makes "Test GmbH" a firm (never a particle of a person's name: "De Rossi").
FIRM_FORMS = LEGAL_FORMS - {"the", "and", "und", "et", "de", "van", "von", "der", "den"}
#: Reasons that stay placeholders with a number beside them ("Test 1", "test123", "123 Fake St",
#: "Musterstraße 1"): a house number does not make "Fake Street" real. Field labels and "no data" words
#: are left out: "Street 12" is an address in Kuwait, "No 5" the start of one.
_NUMBERED_REASONS = frozenset({"a test or dummy value", "a well-known fictitious identity"})
_DIGITS = "0123456789"

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "azertyuiop", "qsdfghjklm", "yxcvbnm",
                  "wxcvbn", "qazwsxedc")
_REPEATED_CHAR = re.compile(r"^(.)\1{2,}$")
#: A unit of three letters or more typed twice or more ("asdfasdf", "jkljkl").
_REPEATED_UNIT = re.compile(r"^([a-z]{3,}?)\1+$")
_VOWELS = frozenset("aeiouy")
_ONLY_PUNCT_OR_DIGITS = re.compile(r"^[\W\d_]+$")
_NOT_WORD = re.compile(r"[^\w/]+")


@lru_cache(maxsize=200_000)
def fold(value: str) -> str:
    """Lower-case, accents and punctuation removed, single spaces."""
    if value.isascii():  # most values: NFKD changes nothing, nothing combines, casefold is lower
        text = value.lower()
    else:
        text = unicodedata.normalize("NFKD", value)
        text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def on_keyboard_row(letters: str) -> bool:
    """Do the letters lie along one keyboard row (QWERTY, QWERTZ, AZERTY) or its left column, either way?"""
    return any(letters in row or letters in row[::-1] for row in _KEYBOARD_ROWS)


def _is_keyboard_run(letters: str) -> bool:
    """Five letters or more along one keyboard row ("asdfgh"), or a run typed again and again: a unit of
    three letters or more that lies on a row or has no vowel ("asdfasdf", "qwerqwer", "jkljkl", "sdfsdf").
    Real reduplicated names repeat a syllable with a vowel off the rows ("Lulu", "Tintin", "Walla Walla")."""
    if len(letters) >= 5 and on_keyboard_row(letters):
        return True
    repeated = _REPEATED_UNIT.match(letters)
    return bool(repeated) and (not set(repeated.group(1)) & _VOWELS or on_keyboard_row(repeated.group(1)))


def fictitious_person(value: str | None) -> str | None:
    """Why a person's or organisation's name is a fictitious identity (FICTITIOUS_PEOPLE), beyond
    `placeholder_text`."""
    if value and fold(value) in FICTITIOUS_PEOPLE:
        return "a well-known fictitious identity"
    return None


@lru_cache(maxsize=200_000)
def placeholder_text(value: str | None) -> str | None:
    """Why a name, organisation, street or city value is a placeholder (None when it is not)."""
    if not value:
        return None
    folded = fold(value)
    if not folded:
        return "punctuation only"
    if folded in PLACEHOLDER_WORDS:
        return PLACEHOLDER_WORDS[folded]
    compact = folded.replace(" ", "")
    if _REPEATED_CHAR.match(compact):
        return "one character repeated"
    if _ONLY_PUNCT_OR_DIGITS.match(value.strip()) and len(compact) < 5:
        return "digits or punctuation only"
    words = folded.split()
    if all(w.isalpha() for w in words) and all(_is_keyboard_run(w) for w in words):
        return "keyboard sequence"
    if len(words) > 1 and all(w == words[0] for w in words) and words[0] in PLACEHOLDER_WORDS:
        return PLACEHOLDER_WORDS[words[0]]
    if folded.startswith("lorem ipsum "):
        return "a test or dummy value"
    unnumbered = " ".join(stripped for w in words if (stripped := w.strip(_DIGITS)))
    if unnumbered != folded and PLACEHOLDER_WORDS.get(unnumbered) in _NUMBERED_REASONS:
        return PLACEHOLDER_WORDS[unnumbered]
    # a test word with a legal form beside it ("Test GmbH", "Example Inc.", "Dummy Company Ltd")
    unformed = [w for w in unnumbered.split() if w not in FIRM_FORMS]
    if len(unformed) < len(unnumbered.split()) and " ".join(unformed) in _TEST_FIRM_WORDS:
        return "a test or dummy value"
    return None


#: Test words that make a placeholder firm with a legal form beside them ("Test GmbH", "Sample AG"); not short
#: ones that are real firms' names too ("ABC Ltd", "XYZ GmbH", "Demo GmbH"), nor people's names ("Mario De Rossi").
_TEST_FIRM_WORDS = frozenset({"test", "testing", "tester", "test test", "sample", "example", "dummy", "fake", "foo",
                              "foobar", "foo bar", "test company", "test org", "testorg", "testfirma", "test firma"})


#: Mailbox names used to avoid giving an address.
PLACEHOLDER_LOCAL_PARTS = frozenset({
    "noemail", "no-email", "no_email", "nomail", "no-mail", "none", "null", "nil", "na", "n.a", "fake",
    "fakeemail", "fake-email", "dummy", "asdf", "qwerty", "test", "testing", "nobody", "notprovided",
    "not-provided", "not.provided", "unknown", "youremail", "your.email", "your-email", "yourname", "email",
    "someone", "somebody", "xxx", "example", "sample", "noaddress",
    # no-reply mailboxes: automated senders that nobody reads
    "noreply", "no-reply", "no_reply", "no.reply", "donotreply", "do-not-reply", "do_not_reply", "do.not.reply",
    "dontreply", "dont-reply",
})
#: Mail domains that are placeholders in practice (real RFC 2606 names are covered separately).
PLACEHOLDER_MAIL_DOMAINS = frozenset({
    "test.com", "test.net", "test.org", "test.de", "domain.com", "domain.tld", "yourdomain.com", "mydomain.com",
    "yourcompany.com", "company.com", "noemail.com", "nomail.com", "none.com", "no-email.com", "fake.com",
    "fakeemail.com", "dummy.com", "asdf.com", "xxx.xxx", "email.email", "mail.mail", "nowhere.com",
    "donotreply.com", "tempuri.org", "localhost.localdomain",
})


@lru_cache(maxsize=200_000)
def placeholder_email(email: str | None) -> str | None:
    """Why an email value is a placeholder (None when it is not)."""
    if not email:
        return None
    value = email.strip().lower()
    if "@" not in value:
        reason = placeholder_text(value)
        return f"not an address but {reason}" if reason else None
    local, _, domain = value.rpartition("@")
    domain = domain.strip(".")
    if is_reserved_example(domain):
        return f"reserved example domain {domain} (RFC 2606)"
    if domain in PLACEHOLDER_MAIL_DOMAINS:
        return f"placeholder mail domain {domain}"
    if local in PLACEHOLDER_LOCAL_PARTS or _REPEATED_CHAR.match(local or ""):
        return f'placeholder mailbox name "{local}"'
    first_label = domain.split(".")[0]
    if local and len(local) <= 2 and local == first_label:
        return "mailbox and domain are the same one or two characters"
    return None


#: Fictional ranges reserved by numbering regulators: (country code, regex on the national number, reason).
FICTIONAL_RANGES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("1", re.compile(r"^\d{3}55501\d{2}$"), "NANP 555-01XX range reserved for fiction"),
    ("44", re.compile(r"^(?:11[3-8]4960|1214960|1314960|1414960|1514960|1614960|1914980|2079460|2890180|"
                      r"2920180|1632960|7700900|8081570|9098790|3069990)\d{3}$"),
     "Ofcom range reserved for drama"),
    ("61", re.compile(r"^(?:[2378](?:5550|7010)\d{4}|491570\d{3}|49157[1-9]\d{3})$"),
     "ACMA range reserved for fiction"),
    ("33", re.compile(r"^(?:199|26191|35301|46571|53649|63998|97448)\d+$"),
     "ARCEP range reserved for fiction"),
)


#: FICTIONAL_RANGES by country code (a number is tested only against its own country's ranges).
_FICTIONAL_BY_CODE: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    cc: tuple((pattern, reason) for code, pattern, reason in FICTIONAL_RANGES if code == cc)
    for cc, _pattern, _reason in FICTIONAL_RANGES
}


def _same_digit(digits: str) -> bool:
    """All characters the same (a non-empty string)."""
    return digits.count(digits[0]) == len(digits)


def _is_sequential(digits: str) -> bool:
    if len(digits) < 6:
        return False
    asc = "01234567890123456789"
    desc = asc[::-1]
    return digits in asc or digits in desc


def placeholder_phone_digits(country_code: str, national: str) -> str | None:
    """Why a number (country code, national significant number) is a placeholder."""
    if not national:
        return "no subscriber digits"
    if _same_digit(national):
        return "all digits the same"
    if _is_sequential(national):
        return "a sequential run of digits"
    for pattern, reason in _FICTIONAL_BY_CODE.get(country_code, ()):
        if pattern.match(national):
            return reason
    return None


_NON_DIGITS = re.compile(r"\D")
_WITH_COUNTRY_CODE = re.compile(r"^\s*\+\s*(\d{1,3})[.\s-]+(.*)$")


@lru_cache(maxsize=200_000)
def placeholder_phone(phone: str | None, country: str | None = None) -> str | None:
    """Why a phone or fax value is a placeholder: read from the value, then as a number of its country."""
    if not phone:
        return None
    digits = _NON_DIGITS.sub("", phone)
    if not digits:
        reason = placeholder_text(phone)
        return f"not a number but {reason}" if reason else "no digits at all"
    if _same_digit(digits):
        return "all digits the same"
    m = _WITH_COUNTRY_CODE.match(phone)
    if m:
        national = digits[len(m.group(1)):]  # the digits after the country code's
        if national and _same_digit(national):
            return "all digits after the country code the same"
        if _is_sequential(national):
            return "a sequential run of digits"
    elif _is_sequential(digits):
        return "a sequential run of digits"
    check = check_phone(phone, country)
    if check.verdict in (PhoneVerdict.VALID, PhoneVerdict.INVALID) and check.country_code:
        return placeholder_phone_digits(str(check.country_code), check.national_number)
    return None


def filler_number(contact: Contact, reason: str) -> bool:
    """Is a placeholder phone a registrar's filler for a withheld contact ("Data Protected" with "+1.0000000000"):
    one digit repeated in the number of a contact whose name is redacted and who shows no organisation? It is
    part of the redaction, not the holder's data (FAL003 and PAT003 leave it)."""
    return ("the same" in reason and contact.state("name") is FieldState.REDACTED
            and contact.state("organization") is not FieldState.PRESENT)


@lru_cache(maxsize=200_000)
def placeholder_postcode(postcode: str | None) -> str | None:
    """Why a postcode is a placeholder: all zeros, all X, or a no-data word."""
    if not postcode:
        return None
    compact = re.sub(r"[\s-]", "", postcode).upper()
    if compact and set(compact) == {"0"}:
        return "all zeros"
    if len(compact) >= 5 and set(compact) == {"9"}:
        return "all nines"  # "99999": no five-digit system assigns it (four nines are a place in some)
    if compact and set(compact) <= {"X"}:
        return "X placeholder"
    reason = PLACEHOLDER_WORDS.get(fold(postcode))
    return reason
