"""Small helpers that make generated sentences read as a person would write them.

    count(1, "place")                   -> "1 place"
    count(3, "child", "children")       -> "3 children"
    count(0, "vacancy", "vacancies")    -> "no vacancies"
    join_words(["a", "b", "c"])         -> "a, b and c"
    long_date(date(2026, 3, 3))         -> "3 March 2026"
    date_and_time(datetime(...))        -> "3 March 2026 at 14:05"
    ages_at_home((11,))                 -> "one child aged 11"
    ages_at_home((5, 8))                -> "2 children aged 5 and 8"
    with_article("household")           -> "a household"
    not_enough_room("H1", 1)            -> "H1 has no vacancy left"
    days(1)                             -> "1 day"

Pages (as Jinja filters), the CLI, exports and the panel paper use these, and the
sentence audit (tests/api/test_sentences.py) scans what they render for the mistakes
these avoid ("1 places", "fewer than 1 vacancies", "the child's a language").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def plural(n: int | float, singular: str, plural_form: str | None = None) -> str:
    """The noun for `n` things: `singular` for exactly 1, else the plural (`singular`
    + "s" unless given)."""
    return singular if n == 1 else (plural_form or singular + "s")


def count(n: int, singular: str, plural_form: str | None = None, *, zero: str = "no") -> str:
    """`n` and its noun ("1 place", "3 places"); none is `zero` ("no places")."""
    noun = plural(n, singular, plural_form)
    return f"{zero} {noun}" if n == 0 and zero else f"{n:,} {noun}"


def days(n: int) -> str:
    """ "1 day", "12 days"."""
    return count(n, "day", zero="")


def join_words(items: Iterable[str], conjunction: str = "and") -> str:
    """A list in a sentence: "a", "a and b", "a, b and c" (no comma before `and`)."""
    parts = [p for p in items if p]
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return ", ".join(parts[:-1]) + f" {conjunction} " + parts[-1]


def long_date(day: date | str | None, *, empty: str = "Not recorded") -> str:
    """A date as people write it: "3 March 2026" (`empty` for None or ""). An ISO text
    ("2026-03-03", or a timestamp starting so, as frozen JSON holds it) is read first."""
    if day is None or day == "":
        return empty
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def date_and_time(moment: datetime | None, *, empty: str = "Not recorded") -> str:
    """ "3 March 2026 at 14:05" (the time as stored: UTC for the service's records)."""
    if moment is None:
        return empty
    return f"{long_date(moment.date())} at {moment:%H:%M}"


def with_article(noun_phrase: str) -> str:
    """The phrase with "a" or "an" before it, by its first letter's sound (vowel
    letters, except a "u" said "you": a unit, an unrelated child)."""
    word = noun_phrase.strip()
    lowered = word.lower()
    vowel = lowered[:1] in "aeiou" and not lowered.startswith(("uni", "use", "usu", "eu", "one"))
    return ("an " if vowel or lowered.startswith(("hour", "honest")) else "a ") + word


def ages_at_home(ages: Sequence[int]) -> str:
    """The children already in a home: "no other children", "one child aged 11",
    "2 children aged 5 and 8"."""
    if not ages:
        return "no other children"
    listed = join_words(str(a) for a in sorted(ages))
    if len(ages) == 1:
        return f"one child aged {listed}"
    return f"{len(ages)} children aged {listed}"


def not_enough_room(household: str, needed: int) -> str:
    """Why a household cannot take `needed` more children now."""
    if needed <= 1:
        return f"{household} has no vacancy left"
    return f"{household} has fewer than {needed} vacancies left"


def sentence(text: str) -> str:
    """`text` with a capital first letter and one full stop at its end."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def percent(fraction: float) -> str:
    """A share as a whole percentage: "45%"."""
    return f"{round(fraction * 100):d}%"


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
