"""Read the numbers of a figure written in digits: "12,000", "8 million", "10,900 to 12,000".

A small model turns "12,000" into 12 now and then. When the figure's own text is written
in digits, its numbers are read from the text; the model's value stands only for figures
in words ("two workers", "a million").
"""

from __future__ import annotations

import re

_MULTIPLIERS = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
_NUMBER = re.compile(
    r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(thousand|million|billion)\b)?", re.IGNORECASE
)
_RANGE_JOINER = re.compile(r"^\s*(?:to|-|\u2013|and)\s*$", re.IGNORECASE)


def numbers_in_figure(text: str) -> tuple[float, float | None, float | None] | None:
    """(value, low, high) read from `text`, or None when it has no number in digits.

    A range ("10,900 to 12,000", "10-12 million") gives its low end as the value.
    """
    matches = list(_NUMBER.finditer(text))
    if not matches:
        return None
    first = _as_number(matches[0])
    if len(matches) >= 2 and _RANGE_JOINER.match(text[matches[0].end() : matches[1].start()]):
        second = _as_number(matches[1])
        if matches[0][2] is None and matches[1][2] is not None:
            first *= _MULTIPLIERS[matches[1][2].lower()]
        return (first, first, second)
    return (first, None, None)


def _as_number(match: re.Match[str]) -> float:
    value = float(match[1].replace(",", ""))
    return value * _MULTIPLIERS[match[2].lower()] if match[2] else value
