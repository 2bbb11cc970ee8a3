"""Word lists more than one reader needs: months, weekdays, number words, qualifiers."""

from __future__ import annotations

from summarizer.models import Qualifier

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# "may" is a month only when written in full, and then ambiguous enough.
MONTH_ABBREVIATIONS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sept",
    "sep",
    "oct",
    "nov",
    "dec",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_ABBREVIATIONS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Spelled-out numbers and what they are worth ("dozen" too); the multipliers apart.
NUMBER_WORD_VALUES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}  # fmt: skip
MULTIPLIERS = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
# The words before a figure that qualify it, by the qualifier they give (`Quantity`).
QUALIFIER_PHRASES: dict[Qualifier, tuple[str, ...]] = {
    "about": (
        "about",
        "around",
        "approximately",
        "roughly",
        "some",
        "nearly",
        "almost",
        "an estimated",
        "estimated",
        "close to",
    ),
    "at_least": ("at least", "more than", "over", "upwards of", "in excess of"),
    "up_to": (
        "up to",
        "as many as",
        "no more than",
        "fewer than",
        "less than",
        "under",
        "at most",
    ),
}
QUALIFIER_WORDS = frozenset(
    word for phrases in QUALIFIER_PHRASES.values() for phrase in phrases for word in phrase.split()
)
# Verbs that tell who said something, not what happened ("Politico reported").
REPORTING_VERBS = (
    "say",
    "tell",
    "state",
    "add",
    "report",
    "announce",
    "claim",
    "confirm",
    "write",
    "note",
    "explain",
    "describe",
)
