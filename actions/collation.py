"""Alphabetical order in each interface language, the same on PostgreSQL and SQLite.

PostgreSQL sorts with the ICU collations it ships ("kk-x-icu" puts Ә after А, Ө after О and І
after Ы). SQLite has no ICU, so the same names are registered on each SQLite connection
(actions.sqlite) with a comparison built from the alphabets below, which follows ICU's rules for
the names the tracker holds: spaces and punctuation first, then digits, then the letters of the
reader's script, then other scripts; ё is a variant of е except in Kazakh; lower case first.
"""

import unicodedata

from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Collate, NullIf
from django.utils.translation import get_language

# ICU's order of the Cyrillic letters the tracker's languages use: the root order, which Russian and
# Mongolian keep (Ө after О, Ү after У), and the Kazakh tailoring (Ё, Ұ before Ү, І after Ы).
ROOT_CYRILLIC = "аәбвгғдежзиійкқлмнңоөпрстуүұфхһцчшщъыьэюя"
CYRILLIC = {
    "en": ROOT_CYRILLIC,
    "ru": ROOT_CYRILLIC,
    "mn": ROOT_CYRILLIC,
    "kk": "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя",
}
LATIN = "abcdefghijklmnopqrstuvwxyz"
# Letters ICU treats as variants of another (a secondary difference, like an accent) where the
# language's alphabet does not list them as letters of their own (Kazakh does list ё).
VARIANTS = {"ё": "е"}
LANGUAGES = ("en", "ru", "mn", "kk")


def collation_name(language: str) -> str:
    return f"{language}-x-icu"


def _ranks(language: str) -> dict[str, int]:
    cyrillic = CYRILLIC.get(language, ROOT_CYRILLIC)
    # Readers of a Cyrillic language see Cyrillic first, as ICU orders them; English the reverse.
    scripts = (LATIN, cyrillic) if language == "en" else (cyrillic, LATIN)
    ranks, rank = {}, 0
    for alphabet in scripts:
        for letter in alphabet:
            ranks[letter] = rank
            rank += 1
    return ranks


RANKS = {language: _ranks(language) for language in LANGUAGES}
LETTERS_FROM = 3


def sort_key(text: str, language: str) -> tuple:
    """Primary (letters), secondary (accents and variants) and tertiary (case) weights."""
    ranks = RANKS.get(language, RANKS["en"])
    primary, secondary, tertiary = [], [], []
    for char in text or "":
        lower = char.lower()
        if lower in ranks:
            base, accent = lower, 0
        elif lower in VARIANTS:
            base, accent = VARIANTS[lower], 1
        else:
            # A letter with an accent sorts as its letter, after the plain one.
            decomposed = unicodedata.normalize("NFD", lower)
            base, accent = decomposed[0], int(len(decomposed) > 1)
        if base in ranks:
            primary.append((LETTERS_FROM, ranks[base]))
        elif base.isspace():
            primary.append((0, 0))
        elif base.isdigit():
            primary.append((2, unicodedata.digit(base, 0)))
        elif unicodedata.category(base)[0] in "PSZ":
            primary.append((1, ord(base)))
        else:
            primary.append((LETTERS_FROM + 1, ord(base)))
        secondary.append(accent)
        tertiary.append(0 if char == lower else 1)
    return (primary, secondary, tertiary)


def compare(language: str):
    """A comparison function for sqlite3's create_collation."""

    def collate(left: str, right: str) -> int:
        left_key, right_key = sort_key(left, language), sort_key(right, language)
        return (left_key > right_key) - (left_key < right_key)

    return collate


def in_alphabetical_order(field: str, language: str | None = None) -> Collate:
    """An order_by() expression: the field's column in the reader's language, in its alphabet."""
    language = language or get_language() or "en"
    if language not in LANGUAGES:
        language = "en"
    # Where the reader's language lacks the text, the name shown is the fallback's: sort by it.
    fallbacks = settings.MODELTRANSLATION_FALLBACK_LANGUAGES
    chain = (language, *fallbacks.get(language, fallbacks["default"]))
    shown = Coalesce(*(NullIf(F(f"{field}_{code}"), Value("")) for code in chain))
    return Collate(shown, collation_name(language))


def sorted_alphabetically(records, attribute: str = "name", language: str | None = None) -> list:
    """Records already in memory, in the order in_alphabetical_order gives in the database."""
    language = language or get_language() or "en"
    return sorted(records, key=lambda record: sort_key(getattr(record, attribute) or "", language))
