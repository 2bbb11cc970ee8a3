"""The blocked merge and the bounded ledger give what the all-pairs stage gave.

`summarizer.testing.merge_baseline` is the stage before blocking. Large groups take the indexed
path only past `near_duplicates.ALL_PAIRS_UP_TO` texts; the tests lower that limit so the
indexed path runs on piles small enough to check against every pair in a test.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from itertools import pairwise

import pytest

from summarizer.briefing import ledger
from summarizer.briefing.ledger import build_ledger
from summarizer.briefing.merge import (
    CLAIM_OVERLAP,
    CLAIM_SIMILARITY,
    EVENT_OVERLAP,
    EVENT_SIMILARITY,
    claimant_groups,
    cluster,
    comparable_text,
    figure_key,
    merge_claims,
    merge_events,
    number_sources,
)
from summarizer.inputs.ingest import read_path
from summarizer.models import ArticleExtraction, Event, Source
from summarizer.testing import merge_baseline
from summarizer.testing.synthetic_claims import synthetic_corpus
from summarizer.text import near_duplicates
from summarizer.text.near_duplicates import medoid, similar_groups, similarity
from summarizer.text.sentences import split_sentences
from tests.conftest import EXAMPLES
from tests.support.factories import article, claim, extraction, quantity

_FIGURE = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)\s+([a-z]+)")


def _example_pile() -> tuple[list[ArticleExtraction], list[Source]]:
    """Every sentence of the example articles as a claim and an event, as a model might."""
    articles = read_path(EXAMPLES)
    extractions = []
    for number, source in enumerate(articles):
        claims, events = [], []
        for position, sentence in enumerate(split_sentences(source.text)):
            text = sentence.text
            said = text.split(" said ", 1)
            figure = _FIGURE.search(text)
            claims.append(
                claim(
                    source,
                    said[-1],
                    quote=text,
                    claimant=said[0] if len(said) == 2 else "unattributed",
                    polarity="denied" if " not " in text else "asserted",
                    figure=quantity(
                        f"{figure[1]} {figure[2]}",
                        float(figure[1].replace(",", "")),
                        figure[2],
                    )
                    if figure
                    else None,
                )
            )
            published = source.published or dt.date(2026, 3, 2)
            date = [published.isoformat(), published.isoformat()[:7], None][position % 3]
            events.append(_event(source.id, f"e{number}-{position}", text, date))
        extractions.append(extraction(source, claims, events))
    return extractions, number_sources(articles)


def _event(article_id: str, event_id: str, description: str, date: str | None) -> Event:
    return Event.model_validate(
        {
            "id": event_id,
            "article_id": article_id,
            "type": "casualties" if "killed" in description else "incident",
            "description": description,
            "actors": [],
            "date": date,
            "date_precision": "unknown" if date is None else "day" if len(date) == 10 else "month",
            "evidence": [],
        }
    )


def _assert_same_stage(extractions: Sequence[ArticleExtraction], sources: list[Source]) -> None:
    claims = merge_claims(extractions, sources)
    assert claims == merge_baseline.merge_claims(extractions, sources)
    assert merge_events(extractions, sources) == merge_baseline.merge_events(extractions, sources)
    assert build_ledger(claims, sources) == merge_baseline.build_ledger(claims, sources)


@pytest.mark.parametrize("all_pairs_up_to", [near_duplicates.ALL_PAIRS_UP_TO, 0])
def test_the_example_articles_merge_as_before(
    all_pairs_up_to: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(near_duplicates, "ALL_PAIRS_UP_TO", all_pairs_up_to)
    extractions, sources = _example_pile()

    _assert_same_stage(extractions, sources)


def test_a_synthetic_pile_merges_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    # The ledger's own bound is held apart: here every slot lists every pair, as before.
    monkeypatch.setattr(ledger, "EVERY_PAIR_UP_TO", 10**9)
    monkeypatch.setattr(near_duplicates, "ALL_PAIRS_UP_TO", 200)
    corpus = synthetic_corpus(700, seed=11)
    assert max(_block_sizes(corpus.extractions)) > 2 * near_duplicates.ALL_PAIRS_UP_TO

    _assert_same_stage(corpus.extractions, corpus.sources)


@pytest.mark.parametrize(
    ("seed", "articles_per_story"),
    # One story of 700 claims: its names are in most of them, the hard case for the index.
    [(1, None), (2, None), (3, 60)],
)
def test_indexed_claim_groups_equal_all_pairs(
    seed: int, articles_per_story: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(near_duplicates, "ALL_PAIRS_UP_TO", 50)
    corpus = synthetic_corpus(700, seed=seed, articles_per_story=articles_per_story)
    claims = [c for e in corpus.extractions for c in e.claims]
    texts = [comparable_text(c.statement) for c in claims]
    blocks = [(c.polarity, figure_key(c.quantity)) for c in claims]

    groups = similar_groups(texts, blocks, CLAIM_SIMILARITY, overlap=CLAIM_OVERLAP)

    assert groups == _all_pairs(texts, blocks, [None] * len(texts), CLAIM_SIMILARITY)


@pytest.mark.parametrize("seed", [4, 5])
def test_indexed_event_groups_equal_all_pairs(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(near_duplicates, "ALL_PAIRS_UP_TO", 100)
    corpus = synthetic_corpus(1200, seed=seed)
    events = [e for x in corpus.extractions for e in x.events]
    texts = [comparable_text(e.description) for e in events]
    # One type with mostly unknown dates: the undated group is large enough to be indexed
    # and meets every dated group.
    blocks = ["incident"] * len(events)
    dates = [e.date if position % 4 == 0 else None for position, e in enumerate(events)]
    assert dates.count(None) > 2 * near_duplicates.ALL_PAIRS_UP_TO

    groups = similar_groups(texts, blocks, EVENT_SIMILARITY, overlap=EVENT_OVERLAP, dates=dates)

    assert groups == _all_pairs(texts, blocks, dates, EVENT_SIMILARITY)


@pytest.mark.parametrize("threshold", [CLAIM_SIMILARITY, EVENT_SIMILARITY])
def test_bulk_scoring_in_any_chunking_equals_all_pairs(
    threshold: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of a few cells each, on threads: every chunk boundary and the threaded path.
    monkeypatch.setattr(near_duplicates, "_CELLS_PER_CALL", 37)
    monkeypatch.setattr(near_duplicates, "_THREADED_FROM_CELLS", 0)
    retold = _retold(random.Random(7), 300)
    # Close without a shared word: inflected (84), and with a repeated word (75).
    unshared = ["protesters gathered", "protester gathering", "grain grain", "grains"]
    texts = retold + unshared
    blocks = [position % 2 for position in range(len(retold))] + [2] * len(unshared)
    dates = [None, "2026-03", "2026-03-02", "2026-03-05"] * (len(retold) // 4)
    dates += [None] * len(unshared)

    groups = similar_groups(texts, blocks, threshold, overlap=EVENT_OVERLAP, dates=dates)

    assert groups == _all_pairs(texts, blocks, dates, threshold)
    assert sum(len(group) > 1 for group in groups) > 10


def _retold(rng: random.Random, count: int) -> list[str]:
    """Short facts told again with a word dropped, added, repeated, inflected or moved:
    pairs that share words, repeat one, or share none and still score close."""
    words = (
        "acid leaked river plant workers killed monday police bridge closed northern fire army "
        "port dam mine school market grain fuel homes troops sent protesters gathered square "
        "rescue crews flooded valley"
    ).split()
    facts = [rng.sample(words, rng.randrange(2, 6)) for _ in range(60)]
    texts = []
    for _ in range(count):
        text = list(rng.choice(facts))
        change, position = rng.randrange(6), rng.randrange(len(text))
        if change == 0 and len(text) > 1:
            text.pop(position)
        elif change == 1:
            text.insert(position, rng.choice(words))
        elif change == 2:
            text.append(text[position])
        elif change == 3:
            text[position] = (
                text[position].removesuffix("s")
                if text[position].endswith("s")
                else text[position] + "s"
            )
        elif change == 4:
            rng.shuffle(text)
        texts.append(" ".join(text))
    return texts


def _all_pairs(
    texts: Sequence[str], blocks: Sequence[object], dates: Sequence[str | None], threshold: float
) -> list[list[int]]:
    def same(i: int, j: int) -> bool:
        a, b = dates[i], dates[j]
        if blocks[i] != blocks[j] or not (
            a is None or b is None or a.startswith(b) or b.startswith(a)
        ):
            return False
        return similarity(texts[i], texts[j]) >= threshold

    return cluster(len(texts), same)


def _block_sizes(extractions: Sequence[ArticleExtraction]) -> list[int]:
    sizes: dict[object, int] = {}
    for claim_ in (c for e in extractions for c in e.claims):
        key = (claim_.polarity, figure_key(claim_.quantity))
        sizes[key] = sizes.get(key, 0) + 1
    return list(sizes.values())


def test_claimant_groups_equal_all_pairs() -> None:
    names = [
        "Fire Chief Marcus Doyle",
        "unattributed",
        "fire chief Marcus Doyle",
        "NIS",
        "the NIS",
        "Marcus Doyle",
        "Unknown",
        "Mayor Teresa Halvorsen",
        "Mayor Halvorsen",
        "NIS",
        "Brannock Chemical Works",
        "Brannock Chemical",
    ] * 3

    assert claimant_groups(names) == merge_baseline.claimant_groups(names)


def test_a_huge_cluster_picks_its_representative_from_a_sample() -> None:
    typical = "two workers killed plant"
    texts = ["acid leaked river"] * 5 + [typical] * 400 + ["two workers killed chemical plant"] * 95

    assert len(texts) > near_duplicates.MEDOID_ALL_PAIRS_UP_TO
    assert texts[medoid(texts)] == typical


def test_medoid_equals_the_all_pairs_definition_on_a_normal_cluster() -> None:
    texts = [
        "two workers killed plant",
        "two workers killed chemical plant",
        "workers killed plant",
        "two workers killed plant",
        "",
        "plant two workers killed monday",
    ]
    expected = max(
        range(len(texts)),
        key=lambda i: (sum(similarity(texts[i], t) for t in texts), -i),
    )

    assert medoid(texts) == expected


def _figure_claims(values: Sequence[int]) -> list[ArticleExtraction]:
    extractions = []
    for value in values:
        sentence = f"{value:,} residents were evacuated on Monday."
        source = article(sentence, outlet=f"Outlet {value}")
        figure = quantity(f"{value:,} residents", value, "residents evacuated")
        extractions.append(extraction(source, [claim(source, sentence, figure=figure)]))
    return extractions


def _sources_of(extractions: Sequence[ArticleExtraction]) -> list[Source]:
    return [
        Source(number=n, article_id=e.article_id, title="t", outlet=f"Outlet {n}")
        for n, e in enumerate(extractions, start=1)
    ]


def test_a_slot_with_many_figures_lists_each_against_the_next_larger() -> None:
    values = [1200 + 37 * k for k in range(ledger.EVERY_PAIR_UP_TO + 5)][::-1]
    extractions = _figure_claims(values)
    sources = _sources_of(extractions)

    (slot,) = build_ledger(merge_claims(extractions, sources), sources)

    figures = [e.quantity.value for e in slot.entries if e.quantity.value is not None]
    assert len(figures) == len(slot.entries)
    assert len(slot.differences) == len(values) - 1
    pairs = sorted(sorted((figures[d.first], figures[d.second])) for d in slot.differences)
    assert pairs == [[float(a), float(b)] for a, b in pairwise(sorted(values))]
    assert all(d.first < d.second for d in slot.differences)


def test_a_slot_at_the_limit_still_lists_every_pair() -> None:
    values = [1200 + 37 * k for k in range(ledger.EVERY_PAIR_UP_TO)]
    extractions = _figure_claims(values)
    sources = _sources_of(extractions)
    claims = merge_claims(extractions, sources)

    (slot,) = build_ledger(claims, sources)

    assert len(slot.differences) == len(values) * (len(values) - 1) // 2
    assert [slot] == merge_baseline.build_ledger(claims, sources)
