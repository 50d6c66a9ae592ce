"""Unicode-aware LIKE and the ICU collations' names for SQLite.

SQLite's built-in LIKE folds the case of ASCII letters only, so a search for "бөхөн" would miss
"Бөхөн". Django's (i)contains lookups compile to LIKE ... ESCAPE '\\' on SQLite; replacing the
three-argument like() function makes them fold every alphabet, as PostgreSQL's UPPER does.
Alphabetical order uses PostgreSQL's ICU collations by name ("kk-x-icu"); SQLite gets
collations of the same names from actions.collation.
"""

import functools
import re

from django.db.backends.signals import connection_created
from django.dispatch import receiver

from actions import collation


@functools.lru_cache(maxsize=512)
def _pattern(like_pattern: str, escape: str) -> re.Pattern:
    parts = []
    chars = iter(like_pattern)
    for char in chars:
        if char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def unicode_like(pattern, value, escape="\\"):
    if pattern is None or value is None:
        return None
    return _pattern(pattern, escape).fullmatch(str(value)) is not None


@receiver(connection_created)
def register_unicode_like(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("like", 2, unicode_like, deterministic=True)
        connection.connection.create_function("like", 3, unicode_like, deterministic=True)
        for language in collation.LANGUAGES:
            connection.connection.create_collation(collation.collation_name(language), collation.compare(language))
