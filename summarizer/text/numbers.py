"""Read a figure from its sentence: its exact text, its numbers and how it is qualified.

A small model turns "12,000" into 12 now and then, answers "exact" for "about 20 tonnes",
and writes "two teams" for "two specialist teams". So the model only points at a figure
(its proposed text); the figure's text is then taken from the sentence itself, and its
numbers and qualifier are read from that text and the words just before it.

Spelled-out numbers ("Ten thousand", "one hundred and twenty", "twenty-five") are read by
text2num; "half a million" and "a dozen" by the rules here. Plural round words
("thousands of fish") name no number and stay vague. "1.200" with three digits after each
point is a thousands separator (1,200), as European outlets write it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import text2num

from summarizer.models import Qualifier
from summarizer.text.figures import PHRASE_END
from summarizer.text.words import MONTHS, MULTIPLIERS, NUMBER_WORD_VALUES, QUALIFIER_PHRASES

_WORD_VALUES = {**NUMBER_WORD_VALUES, "a dozen": 12}
# Plural round words name no number: "thousands of fish" is vague.
_VAGUE_WORDS = "hundreds thousands millions billions dozens several many scores".split()
_NUMBER = re.compile(
    r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(thousand|million|billion)\b)?", re.IGNORECASE
)
_SPELLED_WORDS = [*(w for w in NUMBER_WORD_VALUES if w != "dozen"), *MULTIPLIERS]
_SPELLED_WORD = r"(?:" + "|".join(sorted(_SPELLED_WORDS, key=len, reverse=True)) + r")"
# A run of number words: "Ten thousand", "one hundred and twenty", "twenty-five"; not the
# multiplier of a figure in digits ("1.5 million").
_SPELLED = re.compile(
    rf"(?<![\d.,]\s)\b{_SPELLED_WORD}(?:(?:\s+|-|\s+and\s+){_SPELLED_WORD})*\b", re.IGNORECASE
)
_HALF = re.compile(r"\bhalf\s+a\s+(dozen|hundred|thousand|million|billion)\b", re.IGNORECASE)
_A_ROUND = re.compile(r"\ba\s+(dozen|hundred|thousand|million|billion)\b", re.IGNORECASE)
_ROUND_VALUES = {"dozen": 12, "hundred": 100, "thousand": 1_000, "million": 10**6, "billion": 10**9}
# "1.200" and "12.000.000": points between groups of three digits, not a decimal point.
_POINT_THOUSANDS = re.compile(
    r"\b\d{1,3}(?:\.\d{3})+\b(?!\.\d)(?!\s*(?:million|billion|thousand|per\s*cent|percent|%))",
    re.IGNORECASE,
)
_RANGE_JOINER = re.compile(r"^\s*(?:to|-|\u2013|and)\s*$", re.IGNORECASE)


def _by_first_letter(words: set[str]) -> str:
    """An alternation of `words`, longest first, as a regex that tries only the words of the
    letter it meets: one flat alternation of forty words was a tenth of merging 10k claims."""
    letters: dict[str, list[str]] = {}
    for word in sorted(words, key=lambda w: (-len(w), w)):
        letters.setdefault(word[0], []).append(re.escape(word[1:]))
    return "|".join(
        f"{re.escape(letter)}(?:{'|'.join(rests)})" for letter, rests in sorted(letters.items())
    )


# A figure in digits ends on a digit: "might exceed 3,000." is "3,000".
_IN_DIGITS = r"\d(?:[\d,.]*\d)?(?:\s*(?:thousand|million|billion)\b)?"
# "many" in "as many as a thousand" opens no figure: "a thousand" does.
_FIGURE_START = re.compile(
    _IN_DIGITS + r"|\b(?:(?:half )?a (?:dozen|hundred|"
    r"thousand|million|billion)\b|many\b(?!\s+as\b)|(?:"
    + _by_first_letter((set(_WORD_VALUES) | set(_VAGUE_WORDS)) - {"many"})
    + r")\b)",
    re.IGNORECASE,
)
_RANGE_REST = re.compile(r"\s*(?:to|-|\u2013|and)\s*" + _IN_DIGITS)
_PHRASE_WORDS = 3
_NEXT_WORD = re.compile(r"\s+([A-Za-z][A-Za-z'-]*)")
_QUALIFIERS: tuple[tuple[Qualifier, re.Pattern[str]], ...] = tuple(
    (qualifier, re.compile(r"\b(" + "|".join(phrases) + r")\s*$", re.IGNORECASE))
    for qualifier, phrases in QUALIFIER_PHRASES.items()
)


@dataclass(frozen=True)
class Figure:
    """A figure as its sentence writes it, with the numbers read from it."""

    text: str
    value: float | None
    low: float | None
    high: float | None
    qualifier: Qualifier


def read_figure(sentence: str, proposed: str) -> Figure | None:
    """The figure of `sentence` the model pointed at with `proposed` (None if none is there).

    The figure whose phrase holds the proposed text word for word; otherwise the one with the
    same number, or sharing a word with it, or else the first.
    """
    spans = figure_spans(sentence)
    if not spans:
        return None
    proposed = proposed.strip()
    at = sentence.lower().find(proposed.lower()) if proposed else -1
    containing = [(s, e) for s, e in spans if at >= 0 and s <= at < e]
    if containing:
        # The whole phrase, so "12,000" in "10,900 to 12,000 troops" reads as the range.
        start, end = containing[0][0], max(containing[0][1], at + len(proposed))
    else:
        start, end = _closest_span(sentence, spans, proposed)
    text = sentence[start:end]
    numbers = numbers_in_figure(text)
    value, low, high = numbers if numbers is not None else (None, None, None)
    return Figure(text, value, low, high, _qualifier(sentence[:start], text, numbers))


@lru_cache(maxsize=4096)
def figure_spans(sentence: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each figure: its number (or range) and the noun phrase it opens.

    Dates, years, times of day and "one of" are not figures (`is_not_a_count`). Cached:
    the ledger reads each figure of a sentence through `read_figure`, which finds them all.
    """
    spans: list[tuple[int, int]] = []
    position = 0
    while match := _FIGURE_START.search(sentence, position):
        end = match.end()
        if rest := _RANGE_REST.match(sentence, end):
            end = rest.end()
        for _ in range(_PHRASE_WORDS):
            word = _NEXT_WORD.match(sentence, end)
            # A past-tense verb ends it too: "60 tonnes | leaked".
            if word is None or word.group(1).lower() in PHRASE_END or word.group(1).endswith("ed"):
                break
            end = word.end()
        if not is_not_a_count(sentence, match.start(), end):
            spans.append((match.start(), end))
        position = end
    return tuple(spans)


def numbers_in_figure(text: str) -> tuple[float, float | None, float | None] | None:
    """(value, low, high) read from `text`, or None when it names no definite number.

    A range ("10,900 to 12,000", "10-12 million") gives its low end as the value.
    """
    text = spelled_out_as_digits(text)
    matches = list(_NUMBER.finditer(text))
    if not matches:
        word = re.search(
            r"\b(" + "|".join(sorted(_WORD_VALUES, key=len, reverse=True)) + r")\b", text.lower()
        )
        if word is None:
            return None
        return (float(_WORD_VALUES[word.group(1)]), None, None)
    first = _as_number(matches[0])
    if len(matches) >= 2 and _RANGE_JOINER.match(text[matches[0].end() : matches[1].start()]):
        second = _as_number(matches[1])
        if matches[0][2] is None and matches[1][2] is not None:
            first *= MULTIPLIERS[matches[1][2].lower()]
        return (first, first, second)
    return (first, None, None)


def spelled_out_as_digits(text: str) -> str:
    """`text` with its spelled-out numbers written in digits ("Ten thousand" -> "10000")."""
    text = _POINT_THOUSANDS.sub(lambda m: m.group().replace(".", ""), text)
    text = _HALF.sub(lambda m: str(_ROUND_VALUES[m[1].lower()] // 2), text)
    text = _A_ROUND.sub(lambda m: str(_ROUND_VALUES[m[1].lower()]), text)
    return _SPELLED.sub(_spelled_number, text)


def _spelled_number(match: re.Match[str]) -> str:
    try:
        return str(text2num(match.group().lower(), "en"))
    except ValueError:  # not one number ("one two"): leave the words as they are
        return match.group()


def _as_number(match: re.Match[str]) -> float:
    value = float(match[1].replace(",", ""))
    return value * MULTIPLIERS[match[2].lower()] if match[2] else value


def _closest_span(
    sentence: str, spans: Sequence[tuple[int, int]], proposed: str
) -> tuple[int, int]:
    wanted = numbers_in_figure(proposed)
    if wanted is not None:
        for start, end in spans:
            found = numbers_in_figure(sentence[start:end])
            if found is not None and found[0] == wanted[0]:
                return start, end
    words = set(re.findall(r"[a-z]+", proposed.lower()))
    for start, end in spans:
        if words & set(re.findall(r"[a-z]+", sentence[start:end].lower())):
            return start, end
    return spans[0]


def _qualifier(
    before: str, text: str, numbers: tuple[float, float | None, float | None] | None
) -> Qualifier:
    if numbers is None:
        return "vague"
    if numbers[2] is not None:
        return "range"
    for qualifier, pattern in _QUALIFIERS:
        if pattern.search(before):
            return qualifier
    return "exact"


# Month names and their abbreviations ("Feb. 2", "19 June").
_MONTH_NAMES = "|".join([*MONTHS, *sorted({month[:3] for month in MONTHS} - {"may"}), "sept"])
_DATE_AFTER = re.compile(rf"^(?:st|nd|rd|th)?,?\s+(?:of\s+)?(?:{_MONTH_NAMES})\b", re.IGNORECASE)
_DATE_BEFORE = re.compile(rf"\b(?:{_MONTH_NAMES})\.?\s+$", re.IGNORECASE)
_YEAR_ONLY = re.compile(r"^(?:1[89]|20)\d\d$")
_CLOCK_OR_UNIT = re.compile(r"^(?::\d|[a-z%])", re.IGNORECASE)


def is_not_a_count(sentence: str, start: int, end: int) -> bool:
    """Whether the figure at [start, end) of `sentence` is a date, a year, a time of day or a
    number glued to a unit ("152mm"), or "one of": numbers that count nothing."""
    text = sentence[start:end]
    number = re.match(r"\d+(?:[,.]\d+)*", text)
    after_number = sentence[start + number.end() :] if number else sentence[end:]
    return bool(
        (number and _YEAR_ONLY.match(number.group()))
        or sentence[:start].endswith(":")
        or (number and _DATE_AFTER.match(after_number))
        or (number and _CLOCK_OR_UNIT.match(after_number))
        or _DATE_BEFORE.search(sentence[:start])
        or re.match(r"one\s+of\b", sentence[start:], re.IGNORECASE)
    )
