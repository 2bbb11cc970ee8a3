"""Ground every proposed quote in its article: record offsets and a verification status.

Deterministic and never silent: a quote that cannot be found stays in the data as
`unverified` (and is never displayed as a quote); a quote found only after folding
whitespace or quote marks is `repaired`, keeping the model's proposal beside the text.
"""

from __future__ import annotations

from typing import TypeVar

from summarizer.models import Article, ArticleExtraction, Claim, Event, Evidence
from summarizer.quotes import locate_quote

_Item = TypeVar("_Item", Claim, Event)


def ground_evidence(evidence: Evidence, article: Article) -> Evidence:
    """Locate one piece of evidence in its article's text."""
    match = locate_quote(article.text, evidence.proposed_quote)
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
    claims = [_ground_item(claim, article) for claim in extraction.claims]
    events = [_ground_item(event, article) for event in extraction.events]
    return extraction.model_copy(update={"claims": claims, "events": events})


def _ground_item(item: _Item, article: Article) -> _Item:
    grounded = [ground_evidence(evidence, article) for evidence in item.evidence]
    return item.model_copy(update={"evidence": grounded})
