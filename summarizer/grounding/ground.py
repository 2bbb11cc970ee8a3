"""Ground every proposed quote in its article: record offsets and a verification status.

Deterministic and never silent: a quote that cannot be found stays in the data as
`unverified` (and is never displayed as a quote); a quote found only after folding
whitespace or quote marks is `repaired`, keeping the model's proposal beside the text.
A claimant whose names the article does not hold is not the article's: it becomes
"unattributed"; what a figure counts keeps only the names the article holds, and an
event's place and actors are kept only when the article names them.
"""

from __future__ import annotations

import re
from typing import TypeVar

from rapidfuzz import fuzz, process

from summarizer.models import (
    UNATTRIBUTED,
    Article,
    ArticleExtraction,
    Claim,
    Event,
    Evidence,
    Quantity,
)
from summarizer.text.quotes import locate_quote

_Item = TypeVar("_Item", Claim, Event)


def ground_evidence(evidence: Evidence, article: Article) -> Evidence:
    """Locate one piece of evidence in its article's text."""
    # Extraction proposes where it read the quote; an occurrence there (or after) wins.
    match = locate_quote(article.text, evidence.proposed_quote, near=evidence.start or 0)
    if match is None:
        return evidence.model_copy(update={"start": None, "end": None, "status": "unverified"})
    return evidence.model_copy(
        update={
            "quote": article.text[match.start : match.end],
            "start": match.start,
            "end": match.end,
            "status": match.status,
        }
    )


def ground_extraction(extraction: ArticleExtraction, article: Article) -> ArticleExtraction:
    """Ground every claim's and event's evidence of one article."""
    if extraction.article_id != article.id:
        raise ValueError(f"extraction of {extraction.article_id} grounded against {article.id}")
    words = _words(article.text)
    claims = [
        _ground_item(claim, article).model_copy(
            update={
                "claimant": grounded_claimant(claim.claimant, words),
                "quantity": _grounded_quantity(claim.quantity, words),
            }
        )
        for claim in extraction.claims
    ]
    events = [
        _ground_item(event, article).model_copy(
            update={
                "location": event.location if _named_in(event.location, words) else None,
                "actors": [actor for actor in event.actors if _named_in(actor.name, words)],
            }
        )
        for event in extraction.events
    ]
    return extraction.model_copy(update={"claims": claims, "events": events})


def _ground_item(item: _Item, article: Article) -> _Item:
    grounded = [ground_evidence(evidence, article) for evidence in item.evidence]
    return item.model_copy(update={"evidence": grounded})


# Names this long may differ in spelling by a letter; shorter ones ("Ana", "Lee") must match.
SPELLING_FROM = 6
# A capitalised word, as a name is written; "U.S." gives "U" and "S".
_NAME_WORD = re.compile(r"\b[A-Z][A-Za-z0-9]*")


def grounded_claimant(claimant: str, article_words: frozenset[str]) -> str:
    """The model's claimant when the article holds every capitalised word of it, else
    "unattributed".

    A small model fills in names from its prompt's example ("Fire Chief Ana Ruiz" came back
    as the source of a figure in a real article about troops); names are what it can invent.
    Lower-case words ("officials", "media reports") may paraphrase the article and are kept;
    a long name may be spelt a little differently ("Zelensky" for "Zelenskyy").
    """
    names = [word.lower() for word in _NAME_WORD.findall(claimant.replace("\u2019", "'"))]
    if claimant == UNATTRIBUTED or all(_holds(article_words, name) for name in names):
        return claimant
    return UNATTRIBUTED


# The words that tied the cut-off name to the rest: "in", "of", commas.
_TRAILING_LINK = r"(?:[\s,;(]+(?:in|of|at|on|from|near|and|the|for|to|by))*[\s,;(]*$"


def _named_in(name: str | None, article_words: frozenset[str]) -> bool:
    """Whether the article holds every capitalised word of a place's or actor's name."""
    if not name:
        return False
    return all(_holds(article_words, word.lower()) for word in _NAME_WORD.findall(name))


def grounded_counted(counted: str, article_words: frozenset[str]) -> str:
    """What a figure counts, up to the first name the article does not hold.

    "homes flooded in Ostervale, Alberta, Canada" from an article that names Ostervale and
    nothing further becomes "homes flooded in Ostervale": the rest is the model's.
    """
    cut = next(
        (
            match.start()
            for match in _NAME_WORD.finditer(counted)
            if not _holds(article_words, match.group().lower())
        ),
        None,
    )
    if cut is None:
        return counted
    kept = re.sub(
        r"(?:[\s,;(]+(?:in|of|at|on|from|near|and|the|for|to|by))*[\s,;(]*$", "", counted[:cut]
    )
    return kept.strip() or "unknown"


def _grounded_quantity(quantity: Quantity | None, words: frozenset[str]) -> Quantity | None:
    if quantity is None:
        return None
    return quantity.model_copy(update={"counted": grounded_counted(quantity.counted, words)})


def _holds(article_words: frozenset[str], name: str) -> bool:
    if name in article_words:
        return True
    if len(name) < SPELLING_FROM:
        return False
    return process.extractOne(name, article_words, scorer=fuzz.ratio, score_cutoff=85) is not None


def _words(text: str) -> frozenset[str]:
    return frozenset(word.lower() for word in re.findall(r"[A-Za-z0-9]+", text))
