"""Small builders for typed objects, so tests state only what matters to them."""

from __future__ import annotations

import datetime as dt
from itertools import count

from summarizer.models import (
    Article,
    ArticleExtraction,
    Certainty,
    Claim,
    Event,
    Evidence,
    Polarity,
    Quantity,
    TokenUsage,
)

_ids = count(1)


def article(text: str, *, outlet: str, published: dt.date | None = None) -> Article:
    number = next(_ids)
    return Article(
        id=f"a{number:04d}",
        title=f"Story {number}",
        outlet=outlet,
        published=published,
        text=text,
    )


def evidence(source: Article, quote: str) -> Evidence:
    start = source.text.find(quote)
    if start < 0:
        return Evidence(
            article_id=source.id, quote=quote, proposed_quote=quote, status="unverified"
        )
    return Evidence(
        article_id=source.id,
        quote=quote,
        proposed_quote=quote,
        start=start,
        end=start + len(quote),
        status="verified",
    )


def quantity(text: str, value: float | None, counted: str, **fields: object) -> Quantity:
    return Quantity.model_validate(
        {"text": text, "value": value, "counted": counted, "qualifier": "exact", **fields}
    )


def claim(
    source: Article,
    statement: str,
    *,
    quote: str | None = None,
    claimant: str = "unattributed",
    certainty: Certainty = "certain",
    polarity: Polarity = "asserted",
    figure: Quantity | None = None,
) -> Claim:
    return Claim(
        id=f"c{next(_ids):04d}",
        article_id=source.id,
        statement=statement,
        subject="s",
        predicate="p",
        object="o",
        claimant=claimant,
        certainty=certainty,
        polarity=polarity,
        quantity=figure,
        evidence=[evidence(source, quote or statement)],
    )


def event(
    source: Article,
    description: str,
    *,
    date: str | None,
    type_: str = "incident",
    trigger: str | None = None,
) -> Event:
    return Event.model_validate(
        {
            "id": f"e{next(_ids):04d}",
            "article_id": source.id,
            "type": type_,
            "description": description,
            "actors": [],
            "date": date,
            "date_precision": "day" if date and len(date) == 10 else "unknown",
            "trigger": trigger,
            "evidence": [evidence(source, description)],
        }
    )


def extraction(
    source: Article, claims: list[Claim], events: list[Event] | None = None
) -> ArticleExtraction:
    return ArticleExtraction(
        article_id=source.id, claims=claims, events=events or [], chunks=1, usage=TokenUsage()
    )
