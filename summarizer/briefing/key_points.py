"""Key points: the few lines an analyst reads first, ranked by what they weigh.

Candidates are the merged claims, the merged events no claim already tells, and the
disputed figures. Each is scored on independent origins (a fact three claimants back
outranks one that three outlets copied from one), the outlets carrying it, whether its
figure is in dispute, whether it is something that happened, and how recent its newest
report is; hedged claims weigh a little less. A candidate that repeats the sentences of
one ranked above it is left out, so ten key points say ten things (two disputes are two
things even when one sentence states both figures). Only lines checked
against their quotes can lead: an unchecked one never becomes a key point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from summarizer.briefing.ledger import distinct_figures
from summarizer.models import (
    Briefing,
    Certainty,
    Citation,
    Disagreement,
    KeyPoint,
    KeyPointKind,
    MergedClaim,
    MergedEvent,
    ShownLine,
    Source,
)

# What each consideration weighs; an independent origin counts most.
ORIGIN_WEIGHT = 2.0
OUTLET_WEIGHT = 1.0
DISPUTE_WEIGHT = 3.0
EVENT_WEIGHT = 1.0
RECENCY_WEIGHT = 1.0
_HEDGE_PENALTY: dict[Certainty, float] = {
    "certain": 0.0,
    "probable": 0.25,
    "possible": 0.5,
    "unknown": 1.0,
}
# A candidate whose sentences are this much a ranked one's says the same thing again.
_REPEATS = 0.5

_Sentence = tuple[int, int | None]


@dataclass(frozen=True)
class _Candidate:
    kind: KeyPointKind
    ref: str
    story: int
    line: ShownLine
    sentences: frozenset[_Sentence]
    sources: list[int]
    reasons: list[str]
    score: float


def key_points(
    claims: Sequence[MergedClaim],
    events: Sequence[MergedEvent],
    disagreements: Sequence[Disagreement],
    sources: Sequence[Source],
    *,
    top: int,
) -> list[KeyPoint]:
    """The `top` most important claims, events and disputes, best first.

    Ties keep the briefing's own order (claims by backing, then events by time), so equal
    input ranks equally.
    """
    recency = _recency(sources)
    event_sentences = {s for event in events for s in _sentences(event.citations)}
    disputed = {entry.claim_id for d in disagreements for entry in d.entries}
    candidates = [_dispute(d) for d in disagreements]
    candidates += [
        _claim(claim, recency, event_sentences)
        for claim in claims
        if claim.id not in disputed and _showable(claim.shown)
    ]
    claim_sentences = {s for claim in claims for s in _sentences(claim.citations)}
    candidates += [
        _event(event, recency)
        for event in events
        if _showable(event.shown) and not _sentences(event.citations) <= claim_sentences
    ]
    ranked = sorted(enumerate(candidates), key=lambda pair: (-pair[1].score, pair[0]))
    chosen: list[_Candidate] = []
    told: set[_Sentence] = set()
    for _, candidate in ranked:
        if len(chosen) == top:
            break
        if candidate.kind != "disagreement" and _repeats(candidate, told):
            continue
        chosen.append(candidate)
        told |= candidate.sentences
    return [
        KeyPoint(
            rank=rank,
            story=c.story,
            kind=c.kind,
            ref=c.ref,
            line=c.line,
            sources=c.sources,
            reasons=c.reasons,
            score=round(c.score, 3),
        )
        for rank, c in enumerate(chosen, start=1)
    ]


def key_point_citations(briefing: Briefing) -> list[list[Citation]]:
    """The citations of what each key point stands for (its claim, event or disputed
    figures), in the key points' order."""
    cited: dict[str, list[Citation]] = {c.id: c.citations for c in briefing.claims}
    cited |= {e.id: e.citations for e in briefing.events}
    cited |= {d.slot: [entry.citation for entry in d.entries] for d in briefing.disagreements}
    return [cited.get(point.ref, []) for point in briefing.key_points]


def _repeats(candidate: _Candidate, told: set[_Sentence]) -> bool:
    # One sentence may state two disputed figures: each dispute is a point of its own.
    shared = len(candidate.sentences & told)
    return bool(candidate.sentences) and shared >= _REPEATS * len(candidate.sentences)


def _showable(line: ShownLine | None) -> bool:
    return line is not None and line.kind != "unchecked" and not _heading(line.text)


def _heading(text: str) -> bool:
    """A subheading read as a sentence ("Elite Troops and Massive Munitions"): no verb to
    find, but no closing punctuation either, and it says nothing on its own."""
    return not text.rstrip("\"'\u201d\u2019)").endswith((".", "!", "?"))


def _sentences(citations: Sequence[Citation]) -> frozenset[_Sentence]:
    return frozenset((c.source, c.start) for c in citations if c.quote is not None)


def _recency(sources: Sequence[Source]) -> dict[int, float]:
    """Each source's place between the oldest (0) and the newest (1) publication day."""
    days = sorted({s.published for s in sources if s.published is not None})
    if len(days) < 2:
        return {s.number: 0.0 for s in sources}
    span = (days[-1] - days[0]).days or 1
    oldest: dt.date = days[0]
    return {s.number: ((s.published - oldest).days / span) if s.published else 0.0 for s in sources}


def _newest(citations: Sequence[Citation], recency: dict[int, float]) -> float:
    return max((recency.get(c.source, 0.0) for c in citations), default=0.0)


def _claim(
    claim: MergedClaim, recency: dict[int, float], event_sentences: set[_Sentence]
) -> _Candidate:
    backing = claim.corroboration
    sentences = _sentences(claim.citations)
    happened = bool(sentences & event_sentences)
    score = (
        ORIGIN_WEIGHT * backing.independent_origins
        + OUTLET_WEIGHT * backing.outlet_count
        + (EVENT_WEIGHT if happened else 0.0)
        + RECENCY_WEIGHT * _newest(claim.citations, recency)
        - _HEDGE_PENALTY[claim.certainty]
    )
    reasons = [
        _plural(backing.independent_origins, "independent origin"),
        _plural(backing.outlet_count, "outlet"),
    ]
    if happened:
        reasons.append("an event")
    if claim.certainty != "certain":
        reasons.append(f"hedged: {claim.certainty}")
    assert claim.shown is not None
    return _Candidate(
        kind="claim",
        ref=claim.id,
        story=claim.story,
        line=claim.shown,
        sentences=sentences,
        sources=sorted({c.source for c in claim.citations}),
        reasons=reasons,
        score=score,
    )


def _event(event: MergedEvent, recency: dict[int, float]) -> _Candidate:
    cited = sorted({c.source for c in event.citations})
    score = (
        (ORIGIN_WEIGHT + OUTLET_WEIGHT) * len(cited)
        + EVENT_WEIGHT
        + RECENCY_WEIGHT * _newest(event.citations, recency)
    )
    assert event.shown is not None
    return _Candidate(
        kind="event",
        ref=event.id,
        story=event.story,
        line=event.shown,
        sentences=_sentences(event.citations),
        sources=cited,
        reasons=[_plural(len(cited), "source"), "an event"],
        score=score,
    )


def _dispute(disagreement: Disagreement) -> _Candidate:
    # Each figure once, as first written ("10,000 soldiers" and "10,000 troops" are one).
    figures = [group[0].quantity.text for group in distinct_figures(disagreement)]
    cited = sorted({entry.source for entry in disagreement.entries})
    kinds = sorted({d.kind for d in disagreement.differences if d.kind != "consistent"})
    text = f"{disagreement.slot}: " + " vs ".join(figures)
    return _Candidate(
        kind="disagreement",
        ref=disagreement.slot,
        story=disagreement.story,
        line=ShownLine(text=text, kind="checked"),
        sentences=_sentences([entry.citation for entry in disagreement.entries]),
        sources=cited,
        reasons=["figures in dispute", *(k.replace("_", " ") for k in kinds)],
        score=DISPUTE_WEIGHT + (ORIGIN_WEIGHT + OUTLET_WEIGHT) * len(cited) / 2,
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
