"""Build rules/data/name_model.json: letter-trigram statistics of real names, for gibberish detection.

Not used at run time; re-run when changing the model:
    pip install -e ".[dev]" && python rules/data/build_name_model.py

Source data: the first names, last names, company words, street and city names that Faker (MIT) ships
for its Latin-script locales. Only counts of letter trigrams are kept, folded to a-z, so the model is
small and carries no names. Half of the names (every other one) are held out to measure how often a
real name would be called gibberish; the script prints that rate.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path

from faker import Faker
from faker.config import AVAILABLE_LOCALES

OUT = Path(__file__).with_name("name_model.json")
ATTRS = ("first_names", "last_names", "first_names_male", "first_names_female", "street_names", "cities",
         "city_names", "street_suffixes", "company_suffixes")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def words_of_locale(locale: str) -> set[str]:
    fake = Faker(locale)
    words: set[str] = set()
    for provider in fake.providers:
        for attr in ATTRS:
            values = getattr(provider, attr, None)
            if isinstance(values, dict):
                values = list(values)
            if isinstance(values, (list, tuple)):
                for value in values:
                    if isinstance(value, str):
                        for word in fold(value).replace("-", " ").split():
                            if word.isascii() and word.isalpha() and len(word) >= 2:
                                words.add(word)
    return words


def main() -> None:
    words: set[str] = set()
    for locale in AVAILABLE_LOCALES:
        try:
            words |= words_of_locale(locale)
        except Exception:  # noqa: BLE001 - a locale without these providers adds nothing
            continue
    ordered = sorted(words)
    train, held_out = ordered[::2], ordered[1::2]
    counts: Counter[str] = Counter()
    for word in train:
        padded = f"^{word}$"
        for i in range(len(padded) - 2):
            counts[padded[i : i + 3]] += 1
    context: Counter[str] = Counter()
    for tri, n in counts.items():
        context[tri[:2]] += n
    model = {"source": "Faker name, street and city lists (Latin-script locales), letter trigrams",
             "words": len(train), "trigrams": dict(sorted(counts.items())), "contexts": dict(sorted(context.items()))}
    OUT.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")
    # held-out check uses the same scoring as rules/gibberish.py
    from rules.gibberish import _model, is_gibberish, word_score

    _model.cache_clear()
    word_score.cache_clear()
    scores = sorted(word_score(w) for w in held_out if len(w) >= 5)
    print(f"{len(train)} training words, {len(counts)} trigrams -> {OUT}")
    for q in (0.001, 0.005, 0.01, 0.05):
        print(f"held-out real words: {q:.1%} quantile of score = {scores[int(q * len(scores))]:.2f}")
    flagged = [w for w in held_out if is_gibberish(w)]
    print(f"held-out real words called gibberish: {len(flagged)} of {len(held_out)}: {flagged[:20]}")


if __name__ == "__main__":
    main()
