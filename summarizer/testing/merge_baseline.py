"""The post-extraction stage before blocking (summarizer at a9c31db), as a baseline.

`merge_claims`, `merge_events` and `build_ledger` here compare every pair: claims and
events with a union-find over all pairs, the representative of a cluster against every
member, claimants against every other claimant, slots against every other slot and the
distinct figures of a slot against each other. Only what changed is copied; the helpers
that did not change are imported. `benchmarks.merge_scaling` times it against the package
and tests/test_merge_scaling.py holds the package to its results (both import it from
here, in the package, so neither imports the other).
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from summarizer.briefing.ledger import _entries, _slot_label, classify, disputed_slots
from summarizer.briefing.merge import (
    CLAIM_SIMILARITY,
    EVENT_SIMILARITY,
    SourcedItem,
    _claim_order,
    _dedupe,
    _normal_claimant,
    _sourced,
    _stable_id,
    _timeline_order,
    citation_for,
    cluster,
    comparable_text,
    figure_key,
    happening_key,
    same_claimant,
)
from summarizer.grounding.statement_check import shown_line
from summarizer.models import (
    CERTAINTY_ORDER,
    UNATTRIBUTED,
    Actor,
    ArticleExtraction,
    Citation,
    Claim,
    Corroboration,
    Difference,
    Disagreement,
    Event,
    LedgerEntry,
    MergedClaim,
    MergedEvent,
    Source,
)

__all__ = ["build_ledger", "claimant_groups", "merge_claims", "merge_events"]


def merge_claims(
    extractions: Sequence[ArticleExtraction], sources: Sequence[Source]
) -> list[MergedClaim]:
    """All-pairs `summarizer.briefing.merge.merge_claims`."""
    items = _sourced(sources, [(e.article_id, e.claims) for e in extractions])
    texts = [comparable_text(entry.item.statement) for entry in items]

    def same(i: int, j: int) -> bool:
        a, b = items[i].item, items[j].item
        if a.polarity != b.polarity or figure_key(a.quantity) != figure_key(b.quantity):
            return False
        return _similarity(texts[i], texts[j]) >= CLAIM_SIMILARITY

    clusters = cluster(len(items), same)
    merged = [_merged_claim([items[i] for i in members]) for members in clusters]
    return sorted(merged, key=_claim_order)


def merge_events(
    extractions: Sequence[ArticleExtraction], sources: Sequence[Source]
) -> list[MergedEvent]:
    """All-pairs `summarizer.briefing.merge.merge_events`."""
    items = _sourced(sources, [(e.article_id, e.events) for e in extractions])
    texts = [comparable_text(entry.item.description) for entry in items]

    def same(i: int, j: int) -> bool:
        a, b = items[i].item, items[j].item
        if a.type != b.type or not _dates_compatible(a.date, b.date):
            return False
        if happening_key(a.trigger) != happening_key(b.trigger):
            return False
        return _similarity(texts[i], texts[j]) >= EVENT_SIMILARITY

    merged = [_merged_event([items[i] for i in members]) for members in cluster(len(items), same)]
    return sorted(merged, key=_timeline_order)


def build_ledger(
    claims: Sequence[MergedClaim], sources: Sequence[Source], *, story: int = 1
) -> list[Disagreement]:
    """`summarizer.briefing.ledger.build_ledger` classifying every pair of a slot's figures."""
    by_number = {s.number: s for s in sources}
    ledger: list[Disagreement] = []
    for slot, sightings in disputed_slots(claims).items():
        entries = _entries(sightings, by_number)
        ledger.append(
            Disagreement(
                slot=_slot_label(slot),
                story=story,
                unit=None,
                entries=entries,
                differences=_differences(entries),
            )
        )
    return ledger


def claimant_groups(names: Sequence[str]) -> list[str]:
    """All-pairs `summarizer.briefing.merge.claimant_groups`."""
    named = [n for n in names if _normal_claimant(n) != UNATTRIBUTED]
    groups = cluster(len(named), lambda i, j: same_claimant(named[i], named[j]))
    return [named[members[0]] for members in groups]


def _dates_compatible(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True
    return a.startswith(b) or b.startswith(a)


def _similarity(a: str, b: str) -> float:
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 2


def _medoid(members: Sequence[int], texts: Sequence[str]) -> int:
    return max(
        members,
        key=lambda i: (sum(_similarity(texts[i], texts[j]) for j in members), -i),
    )


def _merged_claim(members: list[SourcedItem[Claim]]) -> MergedClaim:
    claims = [m.item for m in members]
    local_texts = [comparable_text(c.statement) for c in claims]
    chosen = _medoid(range(len(claims)), local_texts)
    representative = claims[chosen]
    citations = _dedupe(
        citation_for(m.item, m.source, ev, claimant=m.item.claimant, certainty=m.item.certainty)
        for m in members
        for ev in m.item.evidence
    )
    least_sure = max((c.certainty for c in claims), key=CERTAINTY_ORDER.index)
    return MergedClaim(
        id=_stable_id("mc", [c.id for c in claims]),
        statement=representative.statement,
        shown=shown_line(
            representative.statement, _read_from(members[chosen]), representative.polarity
        ),
        subject=representative.subject,
        predicate=representative.predicate,
        object=representative.object,
        certainty=least_sure,
        polarity=representative.polarity,
        quantity=representative.quantity,
        citations=citations,
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


def _merged_event(members: list[SourcedItem[Event]]) -> MergedEvent:
    events = [m.item for m in members]
    texts = [comparable_text(e.description) for e in events]
    chosen = _medoid(range(len(events)), texts)
    representative = events[chosen]
    dated = sorted((e for e in events if e.date), key=lambda e: -len(e.date or ""))
    best_date = dated[0] if dated else representative
    actors: dict[str, Actor] = {}
    for event in events:
        for actor in event.actors:
            actors.setdefault(actor.name.lower(), actor)
    return MergedEvent(
        id=_stable_id("me", [e.id for e in events]),
        type=representative.type,
        description=representative.description,
        shown=shown_line(representative.description, _read_from(members[chosen]), "asserted"),
        date=best_date.date,
        date_precision=best_date.date_precision if best_date.date else "unknown",
        location=next((e.location for e in events if e.location), None),
        actors=list(actors.values()),
        citations=_dedupe(
            citation_for(m.item, m.source, ev) for m in members for ev in m.item.evidence
        ),
    )


def _read_from(member: SourcedItem[Claim] | SourcedItem[Event]) -> Citation | None:
    item = member.item
    evidence = next((e for e in item.evidence if e.status != "unverified"), None)
    return None if evidence is None else citation_for(item, member.source, evidence)


def _differences(entries: Sequence[LedgerEntry]) -> list[Difference]:
    representatives: dict[tuple[float | None, ...] | None, int] = {}
    for index, entry in enumerate(entries):
        representatives.setdefault(figure_key(entry.quantity), index)
    indices = list(representatives.values())
    differences: list[Difference] = []
    for position, i in enumerate(indices):
        for j in indices[position + 1 :]:
            kind, explanation = classify(entries[i], entries[j])
            differences.append(Difference(first=i, second=j, kind=kind, explanation=explanation))
    return differences
