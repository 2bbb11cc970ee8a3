"""Read the date a sentence names, relative to its article's publication date.

A small model often answers the publication date for "on Monday". When the sentence
itself pins the day (an explicit date, a weekday, "yesterday", "today", "two days ago"),
that day is computed here, deterministically, and the model's answer is used only when
the sentence does not pin one.

The phrases are found by this module's own patterns; the forms dateparser reads better
("two days ago", "Sept. 5", "3 Jan 2025") are then parsed by it. It is never given a
whole sentence: it reads dates into ordinary words ("may have reached" is not May).
"""

from __future__ import annotations

import datetime as dt
import re

from summarizer.text.words import MONTHS, WEEKDAYS

_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(
    r"\b(" + "|".join(MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b",
    re.IGNORECASE,
)
_DAY_MONTH_YEAR = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(MONTHS) + r")(?:\s+(\d{4}))?\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\bin ((?:19|20)\d{2})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_AGO = re.compile(
    r"\b(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(day|week|month|year)s?\s+ago\b",
    re.IGNORECASE,
)
_SHORT_MONTH = r"(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
_SHORT_MONTH_DAY = re.compile(
    rf"\b{_SHORT_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}})\b)?", re.IGNORECASE
)
_DAY_SHORT_MONTH = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_SHORT_MONTH}(?!\w)(?:\s+(\d{{4}})\b)?", re.IGNORECASE
)
_RELATIVE = {"yesterday": -1, "today": 0, "tonight": 0, "this morning": 0}
# A sentence about what is to come names the next such weekday, not the last.
_FUTURE = re.compile(r"\b(would|will|expected|until|next|due|scheduled|plans?)\b", re.IGNORECASE)


def date_named_in(sentence: str, published: dt.date | None) -> str | None:
    """The date `sentence` names, as ISO (`2026-03-02`, or `2024` for a bare year).

    None when it names none, or names it ambiguously (two weekdays).
    """
    explicit = _explicit_date(sentence, published) or _parsed_date(sentence, published)
    if explicit is not None:
        return explicit.isoformat()
    ago = _AGO.search(sentence)
    if ago is not None and published is not None:
        day = _dateparser(ago[0], published)
        # "ten years ago" names a year, "three months ago" a month, not a day.
        width = {"year": 4, "month": 7}.get(ago[1].lower(), 10)
        return day.isoformat()[:width] if day is not None else None
    day = _relative_day(sentence, published)
    if day is not None:
        return day.isoformat()
    years = set(_YEAR.findall(sentence))
    return years.pop() if len(years) == 1 else None


def _relative_day(sentence: str, published: dt.date | None) -> dt.date | None:
    if published is None:
        return None
    lowered = sentence.lower()
    for phrase, offset in _RELATIVE.items():
        if re.search(rf"\b{phrase}\b", lowered):
            return published + dt.timedelta(days=offset)
    weekdays = {match.lower() for match in _WEEKDAY.findall(sentence)}
    if len(weekdays) != 1:
        return None
    weekday = WEEKDAYS.index(weekdays.pop())
    if _FUTURE.search(sentence):
        return published + dt.timedelta(days=(weekday - published.weekday()) % 7)
    # News reports the past: the latest such weekday on or before publication.
    return published - dt.timedelta(days=(published.weekday() - weekday) % 7)


def _explicit_date(sentence: str, published: dt.date | None) -> dt.date | None:
    iso = _ISO.search(sentence)
    if iso:
        return _safe_date(int(iso[1]), int(iso[2]), int(iso[3]))
    match = _MONTH_DAY_YEAR.search(sentence)
    if match:
        month, day, year = MONTHS.index(match[1].lower()) + 1, int(match[2]), match[3]
    else:
        match = _DAY_MONTH_YEAR.search(sentence)
        if not match:
            return None
        day, month, year = int(match[1]), MONTHS.index(match[2].lower()) + 1, match[3]
    if year is not None:
        return _safe_date(int(year), month, day)
    return _safe_date(published.year, month, day) if published is not None else None


def _parsed_date(sentence: str, published: dt.date | None) -> dt.date | None:
    """A day in a form dateparser reads: "Sept. 5", "3 Jan 2025"."""
    short = _SHORT_MONTH_DAY.search(sentence) or _DAY_SHORT_MONTH.search(sentence)
    if short is None:
        return None
    if short[1] is None and published is None:
        return None
    parsed = _dateparser(short[0].rstrip(","), published)
    if parsed is None or short[1] is not None or published is None:
        return parsed
    # No year written: the publication's, as for a month written in full.
    return _safe_date(published.year, parsed.month, parsed.day)


def _dateparser(phrase: str, published: dt.date | None) -> dt.date | None:
    import dateparser  # 0.3 s to load: only a sentence with such a phrase pays it

    base = dt.datetime.combine(published or dt.date(2000, 1, 1), dt.time())
    parsed = dateparser.parse(phrase, languages=["en"], settings={"RELATIVE_BASE": base})
    return parsed.date() if parsed is not None else None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
