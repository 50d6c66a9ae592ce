"""Read a due date out of a timeline cell as printed.

The Vilm table gives timelines in Mongolian free text: "2013 оны 7 дугаар сар" (July 2013),
"2013 оны зун" (summer 2013), "2014 он" (2014), "2013 оны эцэс" (end of 2013), "Хэрэгжиж байгаа"
(under way: ongoing). A due date is the last day of the period named, so "July 2013" is due on
31 July 2013. Where a cell names several dates, the latest is the deadline. A month without a
year takes the year the instrument was adopted.
"""

import calendar
import datetime
import re
from typing import NamedTuple

from actions.models import DuePrecision

ONGOING_WORDS = ("хэрэгжиж байгаа", "хэрэгжиж буй", "тасралтгүй", "байнга", "ongoing", "continuous")

# Mongolian season names and the last month of each season.
SEASONS = {"хавар": 5, "зун": 8, "намар": 11, "өвөл": 2}

YEAR = r"(?P<year>(?:19|20)\d\d)"
MONTH = r"(?P<month>1[0-2]|[1-9])\s*(?:-?р|-?дугаар|-?дүгээр|-?дахь)?\s*сар"
YEAR_MONTH = re.compile(YEAR + r"\s*(?:оны|он)?\s*" + MONTH, re.IGNORECASE)
MONTH_ONLY = re.compile(r"(?<!\d)" + MONTH, re.IGNORECASE)
YEAR_SEASON = re.compile(YEAR + r"\s*(?:оны|он)?\s*(?P<season>" + "|".join(SEASONS) + ")", re.IGNORECASE)
YEAR_ONLY = re.compile(YEAR)


class Due(NamedTuple):
    date: datetime.date | None
    precision: str


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def parse_timeline(text: str, default_year: int | None = None) -> Due:
    """The due date and its precision named by a timeline cell."""
    lowered = " ".join(text.lower().split())
    if not lowered:
        return Due(None, DuePrecision.NONE)

    candidates: list[Due] = []
    taken: list[tuple[int, int]] = []  # spans already read, so "2013 оны 7" is not read again as 2013

    def free(match: re.Match) -> bool:
        return all(match.end() <= start or match.start() >= end for start, end in taken)

    for match in YEAR_MONTH.finditer(lowered):
        candidates.append(Due(_month_end(int(match["year"]), int(match["month"])), DuePrecision.MONTH))
        taken.append(match.span())
    for match in YEAR_SEASON.finditer(lowered):
        if free(match):
            year, last_month = int(match["year"]), SEASONS[match["season"]]
            # Winter runs over the new year: winter 2013 ends in February 2014.
            year += 1 if last_month == 2 else 0
            candidates.append(Due(_month_end(year, last_month), DuePrecision.SEASON))
            taken.append(match.span())
    for match in MONTH_ONLY.finditer(lowered):
        if free(match) and default_year:
            candidates.append(Due(_month_end(default_year, int(match["month"])), DuePrecision.MONTH))
            taken.append(match.span())
    for match in YEAR_ONLY.finditer(lowered):
        if free(match):
            candidates.append(Due(datetime.date(int(match["year"]), 12, 31), DuePrecision.YEAR))

    if candidates:
        return max(candidates, key=lambda due: due.date)
    if any(word in lowered for word in ONGOING_WORDS):
        return Due(None, DuePrecision.ONGOING)
    return Due(None, DuePrecision.NONE)
