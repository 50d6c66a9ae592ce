"""Natural order of printed codes: 1.2.9 < 1.2.10 < 1.3.1 (a), the same on every database.

Each part of a code becomes four characters, digits zero-padded and letters padded with zeros on
the left ("1.3.1 (d)" -> "0001" "0003" "0001" "000d"). Only digits and letters are used because
PostgreSQL's locale collations skip punctuation and spaces, where SQLite compares bytes: with
fixed-width alphanumerics the two agree.
"""

import re

PART = re.compile(r"\d+|[^\W\d_]+")
WIDTH = 4


def natural_sort_key(code: str) -> str:
    return "".join(part.lower().rjust(WIDTH, "0")[-WIDTH:] for part in PART.findall(code))
