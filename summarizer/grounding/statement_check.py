"""Whether a line the model wrote may be shown: does its own quote say all of it?

The model writes each claim's statement from a sentence; the sentence is located in the
article (grounding), the statement is not. A statement is shown only when every number,
negation and content word of it is in the quote it was read from, as one run in the quote's
order, and it repeats none ("Workers killed two workers."); otherwise the reader gets the
sentence itself, in quotation marks. Names, places and figures are what a small model
invents or carries over from its prompt ("300 homes were flooded by Tuesday."); words it
did not read are never shown as a source's.
"""

from __future__ import annotations

import re
from collections import Counter

from summarizer.models import Citation, Polarity, ShownLine

# Grammar, not content: a statement may add these to the quote's words.
_FUNCTION_WORDS = frozenset(
    """
    a an the of to in on at by for from with and or but as is are was were be been being am
    has have had having do does did will would shall should can could may might must that
    this these those it its it's their theirs they them he him his she her hers we our us
    you your i my me there here which who whom whose what when where while than then so if
    into onto over under about after before up down out off also very just still yet only
    more most less least some any each every all both either such own same other another
    per via s
    """.split()
)
NEGATIONS = frozenset(
    "not no never none nobody nothing neither nor without cannot n't deny denies denied "
    "denying false".split()
)
_NEGATION_KEYS = frozenset({"not"})
_WORD = re.compile(r"\d[\d,.]*\d|\d|[A-Za-z]+(?:['\u2019][A-Za-z]+)?")


def statement_problem(statement: str, quote: str, polarity: Polarity) -> str | None:
    """Why `statement` may not be shown as what `quote` says; None when it may.

    It may when its numbers, negations and content words are the quote's own words, as
    written, one run of them in the quote's order (grammar words aside: a clause of the
    sentence, its attribution or the rest cut off), and it repeats none of them more often
    than the quote does. Reordered words and words left out in the middle are how a small
    model's lines go wrong: "Tank denied scheduled inspection." from "Brannock denied that
    a scheduled inspection of the tank had been postponed", "Escalation could Ukraine."

    Args:
        statement: The model's line.
        quote: The source's sentence it was read from (verified in the article).
        polarity: The claim's polarity; a denied claim is shown as a denial, so its
            statement may leave out the quote's negation.
    """
    said = [_key(word) for word in _words(quote) if word not in _FUNCTION_WORDS]
    times = Counter(said)
    first_at: dict[str, int] = {}
    last_at: dict[str, int] = {}
    for at, key in enumerate(said):
        first_at.setdefault(key, at)
        last_at[key] = at
    position: int | None = None
    seen: Counter[str] = Counter()
    negated = False
    for word in _words(statement):
        if word in _FUNCTION_WORDS:
            continue
        key = _key(word)
        negated = negated or key in _NEGATION_KEYS
        if key not in times:
            return f"{word!r} is not in the quote"
        seen[key] += 1
        if seen[key] > times[key]:
            return f"it says {word!r} more often than the quote"
        if position is None:
            position = first_at[key]
        elif position < len(said) and said[position] == key:
            pass
        elif last_at[key] >= position:
            return f"it leaves out the quote's words before {word!r}"
        else:
            return f"{word!r} is out of the quote's order"
        position += 1
    if polarity == "asserted" and not negated and _NEGATION_KEYS.intersection(said):
        return "the quote holds a negation the statement leaves out"
    return None


def shown_line(statement: str, citation: Citation | None, polarity: Polarity) -> ShownLine:
    """The line to show for a statement read from `citation`'s sentence.

    The statement when its quote says all of it; else the quote itself (`verbatim`); the
    statement marked `unchecked` when there is no verified quote to check it against.
    """
    if citation is None or citation.quote is None:
        return ShownLine(text=statement, kind="unchecked", problem="no verified quote")
    problem = statement_problem(statement, citation.quote, polarity)
    if problem is None:
        return ShownLine(text=statement, kind="checked")
    return ShownLine(
        text=citation.quote,
        kind="verbatim",
        source=citation.source,
        start=citation.start,
        end=citation.end,
        problem=problem,
    )


def _words(text: str) -> list[str]:
    return [word.lower().replace("\u2019", "'").removesuffix("'s") for word in _WORD.findall(text)]


def _key(word: str) -> str:
    if word[0].isdigit():
        return word.replace(",", "").rstrip(".")
    if word in NEGATIONS or word.endswith("n't"):
        return "not"
    return word
