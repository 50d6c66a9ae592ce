"""The activity list's text search: codes, texts in every language, responsible parties and, for
those who may read them, the narratives of the accepted updates in force.

What is typed is looked for as written at the start of a word form, ignoring case in every
alphabet: "fenc" finds "fences", "қоршау" finds "қоршауларды", "mining" does not find
"determining". A query containing a word of a group of search terms (fixtures/search_terms.yaml)
also finds the group's other words, in any language: "забор" finds the sub-items whose Russian
translation says "ограждение" and whose Kazakh one says "қоршау".

The instruments hold a few hundred items: their texts are matched here, in Python, with the same
rules on SQLite and PostgreSQL. Narratives are matched by the database, among the updates in
force only (one per item and unit), so the cost does not grow with the history.
"""

import functools
import re
from pathlib import Path

import yaml
from django.conf import settings
from django.db.models import Q

from actions.models import Item, Progress, StatusUpdate

TERMS_FILE = Path(settings.BASE_DIR) / "fixtures" / "search_terms.yaml"
TEXT_FIELDS = ("code", "text_en", "text_ru", "text_mn", "text_kk", "responsible_raw")


@functools.cache
def term_groups() -> list[tuple[str, ...]]:
    """Each group's words, lower-cased, from every language."""
    groups = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8")) or {}
    return [
        tuple(sorted({word.lower() for words in languages.values() for word in words})) for languages in groups.values()
    ]


def _at_word_start(word: str) -> str:
    return r"(?<!\w)" + re.escape(word)


def related_terms(query: str) -> list[str]:
    """The words of every group one of whose words the query contains (at the start of a word)."""
    lowered = query.lower()
    related = []
    for group in term_groups():
        if any(re.search(_at_word_start(word), lowered) for word in group):
            related.extend(word for word in group if word not in related)
    return related


@functools.lru_cache(maxsize=256)
def matcher(query: str) -> re.Pattern:
    alternatives = [_at_word_start(query)] + [_at_word_start(word) for word in related_terms(query)]
    return re.compile("|".join(alternatives), re.IGNORECASE)


def matching_item_ids(query: str, user) -> set[int]:
    """The ids of the items the query finds for `user`."""
    query = query.strip()
    if not query:
        return set()
    found_by = matcher(query)
    found = {
        pk
        for pk, *texts in Item.objects.values_list("pk", *TEXT_FIELDS).iterator(chunk_size=1000)
        if any(text and found_by.search(text) for text in texts)
    }
    words = [query, *related_terms(query)]
    in_narrative = Q()
    for word in words:
        in_narrative |= Q(narrative__icontains=word)
    in_force = Progress.objects.filter(current__isnull=False).values("current_id")
    narratives = StatusUpdate.objects.for_user(user).accepted().filter(in_narrative, pk__in=in_force)
    found.update(narratives.values_list("item_id", flat=True))
    return found
