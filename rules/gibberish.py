"""Keyboard mash and random letters: is a Latin-script word unlike any real name?

A letter-trigram model of real names (rules/data/name_model.json, built from Faker's multilingual
name lists by rules/data/build_name_model.py) gives each word an average log-probability. A value is
called gibberish only when every word long enough to judge scores far below real names *and* shows
a second sign (no vowel, a run of five consonants, or a keyboard row) — a finding on a real name
would be worse than a missed mash.

>>> is_gibberish("Xkqzvbw Jfhdksl"), is_gibberish("Szczepański"), is_gibberish("Nguyen Thi Minh"), is_gibberish("FRDDH")
(True, False, False, False)
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from rules.placeholders import on_keyboard_row

MODEL_PATH = Path(__file__).with_name("data") / "name_model.json"
#: Average log-probability below which a word is unlike real names. Held-out real words from the
#: model's sources: 0.1 % score below -3.67 (build_name_model.py prints the quantiles).
STRONG_THRESHOLD = -3.7  # with a weak second sign (a run of five consonants)
WEAK_THRESHOLD = -3.0  # with a strong second sign (no vowel, a keyboard row, a repeated syllable)
MIN_WORD = 5
_VOWELS = set("aeiouy")
#: "w" between a consonant and another consonant is a vowel in Welsh (Bwlch, Cwmtwrch, Llwchwr, Crwth):
#: read as one for the vowel and consonant-run signs in a word that looks Welsh (the trigram score reads
#: the word as written). Only there: keyboard mash such as "sdfwgh" has a w between consonants too.
_WELSH_W = re.compile(r"(?<=[bcdfghjklmnpqrstvxz])w(?=[bcdfghjklmnpqrstvxz])")
_WELSH_LOOKING = re.compile(r"^(?:cw|gw|bw|pw|tw|dw|ll|rh|crw|trw|ffw|[a-z]{0,2}wm)|ll|dd|wch|wyn|wyd")
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}")
_REPEATED_UNIT = re.compile(r"^([a-z]{2,3})\1+[a-z]?$")


@lru_cache(maxsize=1)
def _model() -> tuple[dict[str, int], dict[str, int]]:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return data["trigrams"], data["contexts"]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


@lru_cache(maxsize=100_000)
def word_score(word: str) -> float:
    """Average log-probability per letter under the name model (add-one smoothing)."""
    trigrams, contexts = _model()
    padded = f"^{word}$"
    total = 0.0
    n = 0
    for i in range(len(padded) - 2):
        tri = padded[i : i + 3]
        total += math.log((trigrams.get(tri, 0) + 1) / (contexts.get(tri[:2], 0) + 27))
        n += 1
    return total / max(n, 1)


def _looks_typed_at_random(word: str) -> bool:
    score = word_score(word)
    repeated = _REPEATED_UNIT.match(word)
    welsh = _WELSH_LOOKING.search(word) is not None
    sounded = _WELSH_W.sub("u", word) if welsh else word
    strong_sign = (
        not (set(sounded) & _VOWELS)
        or on_keyboard_row(word[:5])
        # a repeated keyboard syllable ("asdasd"); real reduplicated names ("Gwagwa") repeat other units
        or bool(repeated and on_keyboard_row(repeated.group(1)))
    )
    if strong_sign:
        return score < WEAK_THRESHOLD
    # in a Welsh-looking word no w lengthens a run of consonants ("lchgw" in Bwlchgwyn)
    return bool(_CONSONANT_RUN.search(sounded.replace("w", "u") if welsh else word)) and score < STRONG_THRESHOLD


#: German "Straße" written "str." after a name: since 1996 "Kissstraße" keeps its three s, which alone
#: would read as random typing.
_STREET_ABBREVIATION = re.compile(r"(?i)([a-zäöüß])str\.")


@lru_cache(maxsize=100_000)
def is_gibberish(value: str | None) -> bool:
    """True when every judgeable word of a Latin-script value looks like random typing."""
    if not value:
        return False
    value = _STREET_ABBREVIATION.sub(r"\1", value)  # "Kissstr.": the stem is the name, "sss" is the spelling
    folded = _fold(value)
    if not folded.isascii():
        return False  # other scripts: no model, no verdict
    if any(w.isupper() and len(w) <= 8 for w in re.split(r"[^A-Za-z]+", value) if len(w) >= MIN_WORD):
        return False  # acronyms ("FRDDH", "CNRS") are names, not typing
    words = [w for w in re.split(r"[^a-z]+", folded) if w]
    judged = [w for w in words if len(w) >= MIN_WORD]
    if not judged or len(judged) < len(words) / 2:
        return False
    return all(_looks_typed_at_random(w) for w in judged)
