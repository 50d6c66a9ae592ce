"""Counts read straight from the source text, to check the fixtures against."""

import re
from collections import Counter
from functools import cache

from django.conf import settings

SOURCE = settings.BASE_DIR / "sources" / "002_d62196322e579d63.txt"

# Line ranges (1-based, inclusive) of each instrument in the source: sources/README.md.
ULAANBAATAR_RECOMMENDATIONS = (171, 386)
CAMI_TABLE = (855, 2405)
VILM_TABLE = (2559, 4068)


@cache
def lines(first: int, last: int) -> list[str]:
    return SOURCE.read_text(encoding="utf-8").split("\n")[first - 1 : last]


def cami_activity_codes() -> set[str]:
    """Every printed activity number ("1.1.10", "2.2.2"); a code printed twice (as in the note
    "2.3.8. plus CMS, Saiga MoU") counts once."""
    pattern = re.compile(r"(?:^|\s)(\d\.\d+\.\d+)\.?\s")
    return {match.group(1) for line in lines(*CAMI_TABLE) for match in pattern.finditer(line)}


def cami_subitems_per_activity() -> Counter:
    """Lettered sub-items that start a line ("a) develop common standards for maps,")."""
    counts: Counter = Counter()
    activity = re.compile(r"^\s*(?:[^\d]*\s)?(\d\.\d+\.\d+)\.?\s")
    current = None
    for line in lines(*CAMI_TABLE):
        match = activity.match(line)
        if match and " plus " not in line and "Kyrgyz state agency" not in line:
            current = match.group(1)
        if re.match(r"^\s*[a-l]\)\s", line):
            counts[current] += 1
    return counts


def vilm_action_codes() -> set[str]:
    """Every numbered action ("1.1", "9. 2", "14.1."), wherever the table put it on the line."""
    pattern = re.compile(r"(?:^|\s)(\d{1,2})\.\s?(\d{1,2})\.?\s+\S")
    return {f"{m.group(1)}.{m.group(2)}" for line in lines(*VILM_TABLE) for m in pattern.finditer(line)}


def ulaanbaatar_recommendation_codes() -> list[str]:
    pattern = re.compile(r"^\s*(\d{1,2})\.\s")
    return [m.group(1) for line in lines(*ULAANBAATAR_RECOMMENDATIONS) for m in [pattern.match(line)] if m]
