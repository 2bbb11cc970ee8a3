"""Split text into sentences with offsets, for sentence-by-sentence extraction."""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.text.words import MONTHS, MULTIPLIERS, NUMBER_WORD_VALUES, WEEKDAYS

# A sentence ends at . ! or ? (optionally followed by a closing quote or bracket) before
# whitespace and a capital letter, digit or opening quote.
_BOUNDARY = re.compile(
    r"(?<=[.!?])(?P<close>[\"'\u2019\u201d)\]]?)\s+(?=[A-Z0-9\"'\u2018\u201c(\[])"
)
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "prof",
        "sen",
        "rep",
        "gov",
        "no",
        "vs",
        "inc",
        "ltd",
        "co",
        "corp",
        "jan",
        "feb",
        "mar",
        "apr",
        "aug",
        "sept",
        "sep",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "a.m",
        "p.m",
        "e.g",
        "i.e",
    }
)
_ROUGH_NUMBER_WORDS = "hundreds thousands millions billions dozens half double triple".split()
NUMBER_WORDS = frozenset([*NUMBER_WORD_VALUES, *MULTIPLIERS, *_ROUGH_NUMBER_WORDS])
# Sentences that state a figure get a required quantity in the extraction schema.
_NUMBER = re.compile(r"\d|\b(" + "|".join(sorted(NUMBER_WORDS)) + r")\b", re.IGNORECASE)
# Sentences that say when something happened may report a timeline event.
_TIME = re.compile(
    r"\b("
    + "|".join(WEEKDAYS)
    + "|today|yesterday|tonight|morning|afternoon|evening|overnight|"
    + "|".join(MONTHS)
    + r"|last week|this week|\d{1,2}:\d{2}|a\.m\.|p\.m\.|(?:19|20)\d{2})\b",
    re.IGNORECASE,
)
_MONTH_PREFIXES = "|".join(sorted({month[:3] for month in MONTHS}))
# Numbers that are dates or clock times, not figures: "March 3, 2026", "4:30 a.m.", "in 2024".
_DATE_OR_TIME = re.compile(
    r"\b(?:19|20)\d{2}\b|\b\d{1,2}:\d{2}\b|\b\d{1,2}\s*(?:a\.m\.|p\.m\.|am|pm)|"
    rf"\b(?:{_MONTH_PREFIXES})[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTH_PREFIXES})[a-z]*\b",
    re.IGNORECASE,
)
_MIN_WORDS = 3


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text; `text == source[start:end]`."""

    start: int
    end: int
    text: str

    @property
    def has_figure(self) -> bool:
        return _NUMBER.search(_DATE_OR_TIME.sub(" ", self.text)) is not None

    @property
    def has_time(self) -> bool:
        return _TIME.search(self.text) is not None


def split_sentences(text: str) -> list[Sentence]:
    """Split `text` into sentences, one paragraph (line) at a time.

    Lines too short to state a fact (headings, bylines, "No comments:") are skipped.
    """
    sentences: list[Sentence] = []
    for line in re.finditer(r"[^\n]+", text):
        cursor = line.start()
        for end, next_start in sentence_ends(text, line.start(), line.end()):
            sentences.append(Sentence(cursor, end, text[cursor:end]))
            cursor = next_start
        if cursor < line.end():
            tail = text[cursor : line.end()].rstrip()
            sentences.append(Sentence(cursor, cursor + len(tail), tail))
    return [s for s in sentences if len(s.text.split()) >= _MIN_WORDS]


def sentence_ends(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Where each sentence of `text[start:end]` but the last ends, and the next begins.

    A full stop after an abbreviation ("Dr.", "Sept.", "U.S.") ends no sentence.
    """
    ends: list[tuple[int, int]] = []
    cursor = start
    for boundary in _BOUNDARY.finditer(text, start, end):
        if _ends_with_abbreviation(text[cursor : boundary.start()]):
            continue
        ends.append((boundary.start() + len(boundary.group("close")), boundary.end()))
        cursor = boundary.end()
    return ends


def _ends_with_abbreviation(fragment: str) -> bool:
    words = fragment.split()
    if not words or not words[-1].endswith("."):
        return False
    last = words[-1].lower().strip("(\"'").removesuffix(".")
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())
