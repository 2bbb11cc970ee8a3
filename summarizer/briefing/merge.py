"""Merge: one entry per distinct claim and event across articles, each citing every source.

Deterministic: the same extractions always give the same briefing. Claims merge only when
their wording is close, their polarity is the same and their figures (if any) are equal;
claims about the same counted thing with different figures stay separate and meet in the
disagreement ledger (see `ledger.py`). Certainty is never upgraded by merging.

Merged entries are connected components of "close enough", found without comparing all
pairs (`near_duplicates.py`): claims meet only claims of equal polarity and figure, events
only events of their type on a date they can share, which is exact, and groups of up to
2,000 compare every pair; larger groups compare a pair only when the words the shorter text
shares with the other make up `CLAIM_OVERLAP` of its characters (`EVENT_OVERLAP` for
events), a bound tested against all pairs rather than proven, as similarity counts
characters.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Generic, TypeVar

from rapidfuzz import fuzz

from summarizer.briefing.paraphrase import CLOSE, facts_of, join_by_meaning
from summarizer.grounding.statement_check import shown_line
from summarizer.models import (
    CERTAINTY_ORDER,
    UNATTRIBUTED,
    Actor,
    Article,
    ArticleExtraction,
    Certainty,
    Citation,
    Claim,
    Corroboration,
    Event,
    Evidence,
    MergedClaim,
    MergedEvent,
    Quantity,
    Source,
)
from summarizer.runtime.collector import cycle_collection_paused
from summarizer.runtime.embeddings import Embedder, Matrix
from summarizer.text.near_duplicates import medoid, similar_groups
from summarizer.text.union_find import UnionFind
from summarizer.text.word_keys import word_key

CLAIM_SIMILARITY = 82.0
EVENT_SIMILARITY = 70.0
# Share of a text's characters a near-duplicate is assumed to hold in shared words, past
# 2,000 texts (see near_duplicates.py); events may share less at their lower threshold.
CLAIM_OVERLAP = 0.4
EVENT_OVERLAP = 0.3
CLAIMANT_SIMILARITY = 88.0
# Cosine of two events' own words, embedded alone, from which they may name one happening.
SAME_HAPPENING = 0.72
# Sentence cosine from which two events named by one word ("fell" / "fallen") may join:
# outlets tell one fall in sentences further apart than paraphrases of one claim. Other
# pairs keep paraphrase.CLOSE. Measured on ECB+ topic 23 (docs/merging.md).
SAME_WORD_CLOSE = 0.4
_T = TypeVar("_T", Claim, Event)
# Whether two claims state the same fact, or two events report the same happening, asked of
# the pairs that embeddings and what the texts state leave open (`adjudication.py`).
Adjudicate = Callable[[Claim | Event, Claim | Event], bool]
_STOPWORDS = frozenset(
    "a an the of to in on at by for from with and or as is are was were be been has have had "
    "that this these those it its their there said says according".split()
)


@dataclass(frozen=True)
class SourcedItem(Generic[_T]):
    """A claim or event together with the numbered source it came from."""

    item: _T
    source: Source


def number_sources(articles: Sequence[Article]) -> list[Source]:
    """Number the articles 1..n in the order given."""
    return [
        Source(
            number=number,
            article_id=article.id,
            title=article.title,
            outlet=article.outlet,
            author=article.author,
            url=article.url,
            canonical_url=article.canonical_url,
            path=article.path,
            published=article.published,
            also_carried_by=article.also_carried_by,
            text=article.text,
        )
        for number, article in enumerate(articles, start=1)
    ]


@cycle_collection_paused()
def merge_claims(
    extractions: Sequence[ArticleExtraction],
    sources: Sequence[Source],
    *,
    embedder: Embedder | None = None,
    story: int = 1,
    adjudicate: Adjudicate | None = None,
) -> list[MergedClaim]:
    """Cluster duplicate claims across articles into merged, cited claims.

    With an `embedder`, claims that state the same fact in other words are joined too
    (`paraphrase.join_by_meaning`); without, only near-identical wording merges.
    `adjudicate`, with an embedder, decides the pairs left open there (borderline pairs).
    """
    items = _sourced(sources, [(e.article_id, e.claims) for e in extractions])
    texts = [comparable_text(entry.item.statement) for entry in items]
    blocks = [(entry.item.polarity, figure_key(entry.item.quantity)) for entry in items]
    clusters = similar_groups(texts, blocks, CLAIM_SIMILARITY, overlap=CLAIM_OVERLAP)
    if embedder is not None and len(items) > 1:
        sentences = [meaning_text(entry.item) for entry in items]
        clusters = _joined_by_meaning(
            clusters, items, sentences, embedder.embed(sentences), blocks, adjudicate=adjudicate
        )
    merged = [
        _merged_claim([items[i] for i in members], [texts[i] for i in members], story)
        for members in clusters
    ]
    return sorted(merged, key=_claim_order)


@cycle_collection_paused()
def merge_events(
    extractions: Sequence[ArticleExtraction],
    sources: Sequence[Source],
    *,
    embedder: Embedder | None = None,
    story: int = 1,
    adjudicate: Adjudicate | None = None,
) -> list[MergedEvent]:
    """Cluster duplicate events across articles; return them in timeline order.

    With an `embedder`, events told in other words are joined too when their dates agree;
    the model's event type, often a guess between neighbours ("attack" / "incident"), does
    not keep them apart then. `adjudicate`, with an embedder, decides the borderline pairs.
    """
    items = _sourced(sources, [(e.article_id, e.events) for e in extractions])
    texts = [comparable_text(entry.item.description) for entry in items]
    # One sentence may report several happenings ("fell" and "died"): its events share a
    # description, and only their own words tell them apart.
    happenings = [happening_key(entry.item.trigger) for entry in items]
    clusters = similar_groups(
        texts,
        [(entry.item.type, happening) for entry, happening in zip(items, happenings, strict=True)],
        EVENT_SIMILARITY,
        overlap=EVENT_OVERLAP,
        dates=[entry.item.date for entry in items],
    )
    if embedder is not None and len(items) > 1:
        sentences = [meaning_text(entry.item) for entry in items]
        vectors = embedder.embed(sentences)
        same_happening = _SameHappening(items, happenings, sentences, vectors, embedder)
        clusters = _joined_by_meaning(
            clusters,
            items,
            sentences,
            vectors,
            [story] * len(items),
            close=SAME_WORD_CLOSE,
            compatible=same_happening,
            adjudicate=adjudicate,
        )
    merged = [
        _merged_event([items[i] for i in members], [texts[i] for i in members], story)
        for members in clusters
    ]
    return sorted(merged, key=_timeline_order)


def _joined_by_meaning(
    clusters: list[list[int]],
    items: Sequence[SourcedItem[Claim]] | Sequence[SourcedItem[Event]],
    sentences: Sequence[str],
    vectors: Matrix,
    blocks: Sequence[Hashable],
    *,
    close: float = CLOSE,
    compatible: Callable[[int, int], bool] | None = None,
    adjudicate: Adjudicate | None = None,
) -> list[list[int]]:
    """`sentences[i]` is item i's `meaning_text`, `vectors[i]` its embedding."""
    dates = [entry.item.date if isinstance(entry.item, Event) else None for entry in items]
    return join_by_meaning(
        clusters,
        vectors,
        blocks,
        [facts_of(sentence, when) for sentence, when in zip(sentences, dates, strict=True)],
        close=close,
        compatible=compatible,
        adjudicate=None if adjudicate is None else _by_index(adjudicate, items),
    )


def _by_index(
    adjudicate: Adjudicate,
    items: Sequence[SourcedItem[Claim]] | Sequence[SourcedItem[Event]],
) -> Callable[[int, int], bool]:
    def judged_same(first: int, second: int) -> bool:
        return adjudicate(items[first].item, items[second].item)

    return judged_same


def happening_key(trigger: str | None) -> str | None:
    """An event's own word reduced to one key: "fell", "fallen" and "falling" are one, so
    are "died", "dies" and "dying"."""
    return word_key(trigger) if trigger else None


class _SameHappening:
    """Whether two events may be one happening, by their own words.

    Two events of one sentence are two happenings ("fell" and "died"). Events of different
    sentences may be one when their words share a key (`happening_key`), or when their
    sentences are close as paraphrases (`CLOSE`) and their words mean nearly the same out
    of context ("died" / "killed"), which their embeddings tell.
    """

    def __init__(
        self,
        items: Sequence[SourcedItem[Event]],
        happenings: Sequence[str | None],
        sentences: Sequence[str],
        sentence_vectors: Matrix,
        embedder: Embedder,
    ) -> None:
        self._items = items
        self._happenings = happenings
        # Where each event was read: two events of one sentence are two happenings.
        self._sentences = [
            (e.item.article_id, text) for e, text in zip(items, sentences, strict=True)
        ]
        words = sorted({(e.item.trigger or "").lower() for e in items} - {""})
        vectors = embedder.embed(words)
        self._vector = {word: vectors[row] for row, word in enumerate(words)}
        # Joining is asked from SAME_WORD_CLOSE: other words need the paraphrase bar.
        self._sentence_vectors = sentence_vectors

    def __call__(self, first: int, second: int) -> bool:
        a, b = self._items[first].item, self._items[second].item
        if self._sentences[first] == self._sentences[second]:
            return a.trigger == b.trigger
        if self._happenings[first] == self._happenings[second]:
            return True
        if not (a.trigger and b.trigger):
            return False
        sentences = self._sentence_vectors
        if float(sentences[first] @ sentences[second]) < CLOSE:
            return False
        cosine = float(self._vector[a.trigger.lower()] @ self._vector[b.trigger.lower()])
        return cosine >= SAME_HAPPENING


def meaning_text(item: Claim | Event) -> str:
    """What is embedded and read to compare meanings: the sentence the claim or event was
    read from (the source's words, not the model's paraphrase of them)."""
    located = next((e.quote for e in item.evidence if e.status != "unverified"), None)
    return located or (item.statement if isinstance(item, Claim) else item.description)


def _sourced(
    sources: Sequence[Source], items_by_article: Sequence[tuple[str, Sequence[_T]]]
) -> list[SourcedItem[_T]]:
    by_article = {source.article_id: source for source in sources}
    return [
        SourcedItem(item, by_article[article_id])
        for article_id, items in items_by_article
        for item in items
    ]


def comparable_text(text: str) -> str:
    """Lowercased words without stopwords or punctuation; numbers without separators."""
    text = re.sub(r"(?<=\d)[,\u202f ](?=\d{3}\b)", "", text.lower())
    words = re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text)
    return " ".join(word for word in words if word not in _STOPWORDS)


def figure_key(quantity: Quantity | None) -> tuple[float | None, ...] | None:
    """The numbers of a figure, for deciding whether two figures are the same."""
    if quantity is None:
        return None
    return (quantity.value, quantity.low, quantity.high)


def cluster(count: int, same: Callable[[int, int], bool]) -> list[list[int]]:
    """Group 0..count-1 into connected components of `same`, in first-seen order."""
    joined = UnionFind(count)
    for i in range(count):
        for j in range(i + 1, count):
            if joined.find(i) != joined.find(j) and same(i, j):
                joined.union(i, j)
    return joined.groups()


def same_claimant(first: str, second: str) -> bool:
    """Whether two claimant names name the same source; 'unattributed' matches nobody."""
    a, b = _normal_claimant(first), _normal_claimant(second)
    if UNATTRIBUTED in (a, b):
        return False
    return fuzz.token_set_ratio(a, b) >= CLAIMANT_SIMILARITY


def claimant_groups(names: Sequence[str]) -> list[str]:
    """Distinct claimants, treating near-identical spellings as one ('NIS' stays apart)."""
    # Equal normal forms always match, so only the first spelling of each is compared.
    first_spellings: dict[str, str] = {}
    for name in names:
        normal = _normal_claimant(name)
        if normal != UNATTRIBUTED:
            first_spellings.setdefault(normal, name)
    named = list(first_spellings.values())
    groups = cluster(len(named), lambda i, j: same_claimant(named[i], named[j]))
    return [named[members[0]] for members in groups]


def citation_for(
    item: Claim | Event,
    source: Source,
    evidence: Evidence,
    *,
    claimant: str | None = None,
    certainty: Certainty | None = None,
) -> Citation:
    """A citation that shows the quote only when grounding verified or repaired it."""
    shown = evidence.status != "unverified"
    trigger = item.trigger if isinstance(item, Event) else None
    return Citation(
        source=source.number,
        article_id=source.article_id,
        claim_or_event_id=item.id,
        claimant=claimant,
        certainty=certainty,
        quote=evidence.quote if shown else None,
        start=evidence.start if shown else None,
        end=evidence.end if shown else None,
        status=evidence.status,
        trigger=trigger if shown else None,
    )


def _merged_claim(
    members: list[SourcedItem[Claim]], texts: Sequence[str], story: int
) -> MergedClaim:
    claims = [m.item for m in members]
    chosen = medoid(texts)
    representative = claims[chosen]
    cited = [
        [
            citation_for(m.item, m.source, ev, claimant=m.item.claimant, certainty=m.item.certainty)
            for ev in m.item.evidence
        ]
        for m in members
    ]
    least_sure = max((c.certainty for c in claims), key=CERTAINTY_ORDER.index)
    return MergedClaim(
        id=_stable_id("mc", [c.id for c in claims]),
        story=story,
        statement=representative.statement,
        shown=shown_line(
            representative.statement, _read_from(cited[chosen]), representative.polarity
        ),
        subject=representative.subject,
        predicate=representative.predicate,
        object=representative.object,
        certainty=least_sure,
        polarity=representative.polarity,
        quantity=representative.quantity,
        citations=_dedupe(chain.from_iterable(cited)),
        corroboration=_corroboration(members),
    )


def _corroboration(members: Sequence[SourcedItem[Claim]]) -> Corroboration:
    outlets = sorted({m.source.outlet for m in members})
    claimants = claimant_groups([m.item.claimant for m in members])
    unattributed_outlets = {
        m.source.outlet for m in members if _normal_claimant(m.item.claimant) == UNATTRIBUTED
    }
    return Corroboration(
        outlets=outlets,
        outlet_count=len(outlets),
        claimants=claimants,
        independent_origins=len(claimants) + len(unattributed_outlets),
    )


def _merged_event(
    members: list[SourcedItem[Event]], texts: Sequence[str], story: int
) -> MergedEvent:
    events = [m.item for m in members]
    chosen = medoid(texts)
    representative = events[chosen]
    dated = sorted((e for e in events if e.date), key=lambda e: -len(e.date or ""))
    best_date = dated[0] if dated else representative
    cited = [[citation_for(m.item, m.source, ev) for ev in m.item.evidence] for m in members]
    actors: dict[str, Actor] = {}
    for event in events:
        for actor in event.actors:
            actors.setdefault(actor.name.lower(), actor)
    return MergedEvent(
        id=_stable_id("me", [e.id for e in events]),
        story=story,
        type=representative.type,
        description=representative.description,
        shown=shown_line(representative.description, _read_from(cited[chosen]), "asserted"),
        date=best_date.date,
        date_precision=best_date.date_precision if best_date.date else "unknown",
        location=next((e.location for e in events if e.location), None),
        actors=list(actors.values()),
        citations=_dedupe(chain.from_iterable(cited)),
    )


def _read_from(citations: Sequence[Citation]) -> Citation | None:
    """Of one item's citations, the verified one of the sentence its own statement was
    written from."""
    return next((c for c in citations if c.status != "unverified"), None)


def _dedupe(citations: Iterable[Citation]) -> list[Citation]:
    seen: dict[tuple[int, str | None, str], Citation] = {}
    for citation in citations:
        key = (citation.source, citation.quote, citation.status)
        seen.setdefault(key, citation)
    return sorted(seen.values(), key=lambda c: (c.source, c.start or 0))


@lru_cache(maxsize=4096)
def _normal_claimant(name: str) -> str:
    text = re.sub(r"[^a-z0-9 ]", " ", name.lower())
    words = [w for w in text.split() if w not in {"the", "a", "an"}]
    joined = " ".join(words)
    return UNATTRIBUTED if joined in {"", "unattributed", "unknown", "none", "n a"} else joined


def _stable_id(prefix: str, member_ids: Sequence[str]) -> str:
    digest = hashlib.sha256("|".join(sorted(member_ids)).encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"


def _claim_order(claim: MergedClaim) -> tuple[int, int, int]:
    # Most widely backed first, then by where it first appears.
    first = min(c.source for c in claim.citations) if claim.citations else 0
    return (-claim.corroboration.independent_origins, -claim.corroboration.outlet_count, first)


def _timeline_order(event: MergedEvent) -> tuple[int, str, int]:
    first = min(c.source for c in event.citations) if event.citations else 0
    return (0 if event.date else 1, event.date or "", first)
