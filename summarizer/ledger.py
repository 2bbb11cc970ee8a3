"""The disagreement ledger: every source's figure for the same counted thing, side by side.

Figures are never averaged or collapsed. Each difference between two figures is classified:
a difference of time (explicit as-of dates, or the same claimant updating a figure), of scope
or measure (killed vs killed-or-injured), vague vs precise, consistent (the ranges overlap,
e.g. "at least 1,500" and "3,000"), or else a true conflict.

A slot with up to `EVERY_PAIR_UP_TO` distinct figures classifies every pair of them. A slot
with more (a huge pile of articles can put thousands of casualty figures in one slot) lists
each distinct figure against the next larger one instead, n - 1 differences rather than
n(n - 1) / 2, so the ledger stays linear in its entries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from summarizer.figures import FigureContext, figure_context
from summarizer.merge import figure_key, same_claimant
from summarizer.models import (
    Difference,
    DifferenceKind,
    Disagreement,
    LedgerEntry,
    MergedClaim,
    Quantity,
    Source,
)

EVERY_PAIR_UP_TO = 20
# Figures of these measure time or name a date, they count nothing a ledger compares.
_NOT_COUNTS = frozenset(
    "second minute hour day week month year decade century time percent per cent".split()
)
# Vague figures have no interval; in a large slot they follow every figure that has one.
_VAGUE = (math.inf, math.inf)


def build_ledger(
    claims: Sequence[MergedClaim], sources: Sequence[Source], *, story: int = 1
) -> list[Disagreement]:
    """Group one story's claims with figures into slots; keep the slots whose figures differ."""
    slots: dict[tuple[str, str], list[MergedClaim]] = {}
    for claim in claims:
        if claim.quantity is None or claim.polarity != "asserted":
            continue
        slot = _slot_of(claim)
        if slot is not None:
            slots.setdefault(slot, []).append(claim)
    _attach_figures_without_a_verb(slots)
    by_number = {s.number: s for s in sources}
    ledger: list[Disagreement] = []
    for slot, slot_claims in slots.items():
        if len({figure_key(c.quantity) for c in slot_claims}) < 2:
            continue
        entries = _entries(slot_claims, by_number)
        ledger.append(
            Disagreement(
                slot=_slot_label(slot),
                story=story,
                unit=slot_claims[0].quantity.unit if slot_claims[0].quantity else None,
                entries=entries,
                differences=_differences(entries),
            )
        )
    return ledger


def classify(first: LedgerEntry, second: LedgerEntry) -> tuple[DifferenceKind, str]:
    """Why two different figures for one slot differ, with a one-line explanation."""
    a, b = first.quantity, second.quantity
    if _interval(a) is None or _interval(b) is None:
        return "vague_vs_precise", f"'{a.text}' and '{b.text}': one figure is vague"
    if a.as_of and b.as_of and a.as_of != b.as_of:
        return "different_time", f"'{a.text}' as of {a.as_of}, '{b.text}' as of {b.as_of}"
    if (
        same_claimant(first.claimant, second.claimant)
        and first.published
        and second.published
        and first.published != second.published
    ):
        return (
            "different_time",
            f"{first.claimant} gave '{a.text}' on {first.published} "
            f"and '{b.text}' on {second.published}",
        )
    measures_a = _context(first).casualty_measures
    measures_b = _context(second).casualty_measures
    if measures_a != measures_b and (measures_a or measures_b):
        return (
            "different_scope",
            f"'{a.text}' counts {' or '.join(sorted(measures_a)) or 'something else'}, "
            f"'{b.text}' counts {' or '.join(sorted(measures_b)) or 'something else'}",
        )
    low_a, high_a = _interval(a) or (0.0, 0.0)
    low_b, high_b = _interval(b) or (0.0, 0.0)
    if low_a <= high_b and low_b <= high_a:
        return "consistent", f"'{a.text}' and '{b.text}' can both be true"
    return (
        "conflict",
        f"{first.claimant} says '{a.text}', {second.claimant} says '{b.text}'",
    )


def _entries(claims: Sequence[MergedClaim], by_number: dict[int, Source]) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for claim in claims:
        assert claim.quantity is not None
        for citation in claim.citations:
            source = by_number[citation.source]
            entries.append(
                LedgerEntry(
                    source=citation.source,
                    claim_id=claim.id,
                    outlet=source.outlet,
                    claimant=citation.claimant or "unattributed",
                    quantity=claim.quantity,
                    published=source.published,
                    citation=citation,
                )
            )
    return sorted(entries, key=lambda e: (e.source, e.quantity.text))


def _differences(entries: Sequence[LedgerEntry]) -> list[Difference]:
    # One representative entry per distinct figure; entries with equal figures agree.
    representatives: dict[tuple[float | None, ...] | None, int] = {}
    for index, entry in enumerate(entries):
        representatives.setdefault(figure_key(entry.quantity), index)
    indices = list(representatives.values())
    if len(indices) <= EVERY_PAIR_UP_TO:
        pairs = [(i, j) for position, i in enumerate(indices) for j in indices[position + 1 :]]
    else:
        by_size = sorted(indices, key=lambda i: (_interval(entries[i].quantity) or _VAGUE, i))
        pairs = [(min(i, j), max(i, j)) for i, j in pairwise(by_size)]
    differences: list[Difference] = []
    for i, j in pairs:
        kind, explanation = classify(entries[i], entries[j])
        differences.append(Difference(first=i, second=j, kind=kind, explanation=explanation))
    return differences


def _interval(quantity: Quantity) -> tuple[float, float] | None:
    value, low, high = quantity.value, quantity.low, quantity.high
    if quantity.qualifier == "vague" or (value is None and low is None and high is None):
        return None
    if low is not None or high is not None:
        return (low if low is not None else (value or 0.0), high if high is not None else math.inf)
    assert value is not None
    return {
        "about": (value * 0.9, value * 1.1),
        "at_least": (value, math.inf),
        "up_to": (0.0, value),
    }.get(quantity.qualifier, (value, value))


def _slot_of(claim: MergedClaim) -> tuple[str, str] | None:
    """What the figure counts and how, as its verified sentence says; None when the sentence
    names nothing it counts (a bare "10," or "1"), when the figure is a time span or a year
    rather than a count, or when no sentence was verified: the model's own label for what is
    counted is not evidence, and a slot named from it ("unknown unknown") misleads."""
    assert claim.quantity is not None
    sentence = next((c.quote for c in claim.citations if c.quote), None)
    if sentence is None:
        return None
    context = figure_context(claim.quantity.text, sentence, verb=claim.predicate)
    if not context.noun or context.noun in _NOT_COUNTS:
        return None
    return context.slot


def _attach_figures_without_a_verb(slots: dict[tuple[str, str], list[MergedClaim]]) -> None:
    """A figure with no measuring verb ("more than 10,000 troops") joins its noun's main slot."""
    measured: dict[str, list[tuple[str, str]]] = {}
    for key in slots:
        if key[1]:
            measured.setdefault(key[0], []).append(key)
    for noun, measure in [key for key in slots if not key[1] and key[0]]:
        peers = measured.get(noun)
        if peers:
            biggest = max(peers, key=lambda key: len(slots[key]))
            slots[biggest].extend(slots.pop((noun, measure)))


def _context(entry: LedgerEntry) -> FigureContext:
    return figure_context(entry.quantity.text, entry.citation.quote or "")


def _slot_label(slot: tuple[str, str]) -> str:
    noun, measure = slot
    if not measure:
        return noun
    plural = noun if noun in {"people", "troops"} else f"{noun}s"
    if measure == "casualty":
        return f"{plural} killed, injured or hospitalised"
    return f"{plural} {measure}"
