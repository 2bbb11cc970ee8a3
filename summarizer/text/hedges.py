"""How sure a sentence itself says it is: its hedges bound the model's certainty.

A small model answers "asserted" for nearly every sentence ("may have reached" came out
certain). The sentence's own words are read deterministically: "may", "could" or
"unconfirmed" make a claim at most possible; "reportedly", "likely", "believed" or an
estimate make it at most probable. The model may be less sure than its sentence, never
more. A denial stays a denial: polarity is not read here.
"""

from __future__ import annotations

import re

from summarizer.models import CERTAINTY_ORDER, Certainty

__all__ = ["bounded_certainty", "sentence_bound"]

# "may" in lower case only: "May" is as often the month.
_MAY = re.compile(r"\bmay\b")
_POSSIBLE = re.compile(
    r"\b(?:might|could|possibly|perhaps|unconfirmed|unverified|rumou?red|"
    r"not (?:been )?(?:yet )?(?:confirmed|verified)|cannot be (?:confirmed|verified)|"
    r"it is (?:not )?(?:yet )?unclear)\b",
    re.IGNORECASE,
)
_PROBABLE = re.compile(
    r"\b(?:likely|probably|reportedly|allegedly|alleged|apparently|appears?|appeared|"
    r"seems?|seemed|believes?|believed|thought to|suspected|presumed|expected|"
    r"estimates?|estimated|an estimated|suggests?|suggested|according to (?:\w+ ){0,4}"
    r"(?:estimates?|reports?|projections?)|is said to|are said to|understood to)\b",
    re.IGNORECASE,
)


def sentence_bound(sentence: str) -> Certainty:
    """The surest certainty the sentence's own words allow."""
    if _MAY.search(sentence) or _POSSIBLE.search(sentence):
        return "possible"
    if _PROBABLE.search(sentence):
        return "probable"
    return "certain"


def bounded_certainty(certainty: Certainty, sentence: str) -> Certainty:
    """The model's certainty, lowered to what its sentence allows (never raised)."""
    bound = sentence_bound(sentence)
    return max(certainty, bound, key=CERTAINTY_ORDER.index)
