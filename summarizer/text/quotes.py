"""Find a proposed quote in a text: exactly, or after a bounded normalization.

The normalization only folds what does not change meaning: runs of whitespace, non-breaking
spaces, curly versus straight quote marks, and quote marks wrapped around the whole quote.
Anything else (a changed word, dropped punctuation, case) is not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

_QUOTE_MARKS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
}
_OPENING = "\"'\u2018\u201c\u00ab"
_CLOSING = "\"'\u2019\u201d\u00bb"


@dataclass(frozen=True)
class QuoteMatch:
    start: int
    end: int
    status: Literal["verified", "repaired"]


def locate_quote(text: str, quote: str, *, near: int = 0) -> QuoteMatch | None:
    """Locate `quote` in `text`, preferring the occurrence at or after `near`.

    Returns a `verified` match for an exact occurrence, a `repaired` match when only the
    bounded normalization finds it (offsets then span the text's own characters), or None.
    """
    if not quote.strip():
        return None
    exact = _find(text, quote, near)
    if exact >= 0:
        return QuoteMatch(exact, exact + len(quote), "verified")
    folded_text, positions = _fold(text)
    folded_quote, _ = _fold(_unwrap(quote.strip()))
    if not folded_quote:
        return None
    near_folded = next((i for i, p in enumerate(positions) if p >= near), 0)
    found = _find(folded_text, folded_quote, near_folded)
    if found < 0:
        return None
    start = positions[found]
    end = positions[found + len(folded_quote) - 1] + 1
    return QuoteMatch(start, end, "repaired")


def _unwrap(quote: str) -> str:
    """Drop quote marks wrapped around the whole quote, only as a balanced pair."""
    while len(quote) >= 2 and quote[0] in _OPENING and quote[-1] in _CLOSING:
        quote = quote[1:-1].strip()
    return quote


def _find(haystack: str, needle: str, near: int) -> int:
    found = haystack.find(needle, near)
    return found if found >= 0 else haystack.find(needle)


def _fold(text: str) -> tuple[str, list[int]]:
    """Fold quote marks and whitespace runs; `positions[i]` is where folded[i] came from."""
    folded: list[str] = []
    positions: list[int] = []
    previous_space = False
    for index, char in enumerate(text):
        if char.isspace():
            if previous_space:
                continue
            folded.append(" ")
            positions.append(index)
            previous_space = True
            continue
        previous_space = False
        folded.append(_QUOTE_MARKS.get(char, char))
        positions.append(index)
    return "".join(folded), positions
