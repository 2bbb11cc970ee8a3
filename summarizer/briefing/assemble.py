"""From grounded extractions to the briefing's parts: stories first, then, story by story,
merged events, merged claims and the disagreement ledger.

Claims and events of different stories never merge, and every disagreement is within one
story; each story's parts carry its number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from summarizer.briefing.ledger import build_ledger
from summarizer.briefing.merge import Adjudicate, merge_claims, merge_events, number_sources
from summarizer.briefing.recurring_happenings import with_recurring_happenings
from summarizer.briefing.stories import cluster_stories
from summarizer.models import (
    Article,
    ArticleExtraction,
    Disagreement,
    MergedClaim,
    MergedEvent,
    Source,
    Story,
)
from summarizer.runtime.collector import cycle_collection_paused
from summarizer.runtime.embeddings import Embedder

__all__ = ["BriefingParts", "assemble"]


@dataclass(frozen=True)
class BriefingParts:
    """Everything of a briefing that comes from the articles themselves."""

    sources: list[Source]
    stories: list[Story]
    events: list[MergedEvent]
    claims: list[MergedClaim]
    disagreements: list[Disagreement]


@cycle_collection_paused()
def assemble(
    articles: Sequence[Article],
    extractions: Sequence[ArticleExtraction],
    *,
    embedder: Embedder | None = None,
    adjudicate: Adjudicate | None = None,
) -> BriefingParts:
    """Number the extracted articles as sources, cluster them into stories, merge each story.

    Articles without an extraction (failed ones) are left out; the order of `articles` is
    the order of the sources. `adjudicate` decides the borderline pairs of merging by
    meaning (with an `embedder`), claims first, story by story.
    """
    by_article = {extraction.article_id: extraction for extraction in extractions}
    briefed = [article for article in articles if article.id in by_article]
    sources = number_sources(briefed)
    stories: list[Story] = []
    events: list[MergedEvent] = []
    claims: list[MergedClaim] = []
    disagreements: list[Disagreement] = []
    for number, members in enumerate(cluster_stories(briefed), start=1):
        story_sources = [sources[i] for i in members]
        story_extractions = with_recurring_happenings([by_article[briefed[i].id] for i in members])
        stories.append(
            Story(
                number=number,
                title=briefed[members[0]].title,
                sources=[source.number for source in story_sources],
            )
        )
        story_claims = merge_claims(
            story_extractions, story_sources, embedder=embedder, story=number, adjudicate=adjudicate
        )
        events += merge_events(
            story_extractions, story_sources, embedder=embedder, story=number, adjudicate=adjudicate
        )
        claims += story_claims
        disagreements += build_ledger(story_claims, story_sources, story=number)
    return BriefingParts(sources, stories, events, claims, disagreements)
