"""Happenings a story's articles name, found again in sentences the model read for less.

A sentence often reports two happenings ("died after falling") and the small model names
one, a different one in each article. Where the model named a happening in two or more
articles of a story, its word is that story's: any sentence of the story that writes a word
of the same key (`happening_key`: "fell", "falling", "fall") and has no event of that key
yet gets one, read from the same sentence, with the word as the sentence writes it, unless
the sentence only says it may have happened. The
model still proposes every happening; code only finds its other mentions, each one a word
of a verbatim sentence, so nothing is shown that the quote does not say.

Measured on ECB+ topic 23 (benchmarks/event_merging.py, docs/merging.md).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from summarizer.briefing.merge import happening_key
from summarizer.extraction.drafts import happening_words
from summarizer.models import ArticleExtraction, Claim, Event, EventType
from summarizer.text.hedges import sentence_bound
from summarizer.text.word_keys import is_reporting_verb

__all__ = ["MIN_ARTICLES", "with_recurring_happenings"]

# A happening the model named in this many articles of a story is the story's own. Three
# let words the model named three times in the five examples ("estimate") into their
# timeline; on ECB+ topic 23 three and four give the same figures (docs/merging.md).
MIN_ARTICLES = 4


def with_recurring_happenings(
    extractions: Sequence[ArticleExtraction],
) -> list[ArticleExtraction]:
    """The story's extractions, each with an event for every sentence that writes one of the
    story's happenings and had none of it (the articles are one story)."""
    named_in: defaultdict[str, set[str]] = defaultdict(set)
    types: defaultdict[str, Counter[EventType]] = defaultdict(Counter)
    for extraction in extractions:
        for event in extraction.events:
            key = happening_key(event.trigger)
            # Who told it is not what happened: "reported" is never looked for again.
            if key is not None and not is_reporting_verb(event.trigger or ""):
                named_in[key].add(extraction.article_id)
                types[key][event.type] += 1
    recurring = {key for key, articles in named_in.items() if len(articles) >= MIN_ARTICLES}
    if not recurring:
        return list(extractions)
    return [_with_found_events(extraction, recurring, types) for extraction in extractions]


def _with_found_events(
    extraction: ArticleExtraction,
    recurring: set[str],
    types: defaultdict[str, Counter[EventType]],
) -> ArticleExtraction:
    events_of: defaultdict[str, list[Event]] = defaultdict(list)
    for event in extraction.events:
        events_of[_sentence_of(event.evidence[0].quote if event.evidence else "")].append(event)
    found: list[Event] = []
    for claim in extraction.claims:
        quote = next((e.quote for e in claim.evidence if e.status != "unverified"), None)
        if quote is None or sentence_bound(quote) == "possible":
            # "The acid may have reached the intake" does not tell that it did.
            continue
        told = events_of[_sentence_of(quote)]
        keys = {happening_key(event.trigger) for event in told}
        for word in happening_words(quote):
            key = happening_key(word)
            if key is None or key not in recurring or key in keys:
                continue
            keys.add(key)
            found.append(_event(claim, word, types[key].most_common(1)[0][0], len(found)))
    if not found:
        return extraction
    return extraction.model_copy(update={"events": [*extraction.events, *found]})


def _event(claim: Claim, word: str, kind: EventType, index: int) -> Event:
    # Undated: a date the sentence names belongs to the happening the model read there
    # ("it would give an estimate of the acid released on Tuesday"), maybe not to this one.
    return Event(
        id=f"e{claim.id[1:]}-found{index + 1}",
        article_id=claim.article_id,
        type=kind,
        description=claim.statement,
        actors=[],
        location=None,
        date=None,
        date_precision="unknown",
        trigger=word,
        evidence=claim.evidence,
    )


def _sentence_of(quote: str) -> str:
    return " ".join(quote.split())
