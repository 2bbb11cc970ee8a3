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
from dataclasses import dataclass
from itertools import pairwise

from summarizer.briefing.merge import figure_key, same_claimant
from summarizer.models import (
    Citation,
    Difference,
    DifferenceKind,
    Disagreement,
    LedgerEntry,
    MergedClaim,
    Quantity,
    Source,
)
from summarizer.runtime.collector import cycle_collection_paused
from summarizer.text.figures import CASUALTY_WORDS, FigureContext, figure_context, plural
from summarizer.text.numbers import figure_spans, read_figure
from summarizer.text.word_keys import is_reporting_verb

EVERY_PAIR_UP_TO = 20
# Figures of these measure time or name a date, they count nothing a ledger compares.
_NOT_COUNTS = frozenset(
    "second minute hour day week month year decade century time percent per cent".split()
)
# Vague figures have no interval; in a large slot they follow every figure that has one.
_VAGUE = (math.inf, math.inf)


@dataclass(frozen=True)
class _Sighting:
    """One figure one cited sentence states, and the claim it was read with."""

    claim: MergedClaim
    citation: Citation
    quantity: Quantity


def distinct_figures(disagreement: Disagreement) -> list[list[LedgerEntry]]:
    """A slot's entries grouped by the figure a reader sees as one ("10,000 soldiers" and
    "10,000 troops"; not "thousands" and "hundreds", told apart by their words), in order."""
    groups: dict[object, list[LedgerEntry]] = {}
    for entry in disagreement.entries:
        numbers = figure_key(entry.quantity)
        vague = numbers == (None, None, None)
        key = (numbers, entry.quantity.text.lower() if vague else "")
        groups.setdefault(key, []).append(entry)
    return list(groups.values())


@cycle_collection_paused()
def build_ledger(
    claims: Sequence[MergedClaim], sources: Sequence[Source], *, story: int = 1
) -> list[Disagreement]:
    """Group one story's figures into slots; keep the slots whose figures differ.

    Every figure of every verified sentence of an asserted claim is read, not only the one
    the model chose for the claim: "evacuated 1,200 residents and sent 60 firefighters"
    states two figures of two slots.
    """
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


def disputed_slots(claims: Sequence[MergedClaim]) -> dict[tuple[str, str], list[_Sighting]]:
    """Every slot two sources give different figures for, with the figures seen for it."""
    slots: dict[tuple[str, str], list[_Sighting]] = {}
    for claim in claims:
        if claim.polarity != "asserted":
            continue
        for sighting, slot in _sightings(claim):
            slots.setdefault(slot, []).append(sighting)
    _attach_figures_without_a_verb(slots)
    _attach_casualty_nouns(slots)
    return {slot: sightings for slot, sightings in slots.items() if _disputed(sightings)}


def _disputed(sightings: Sequence[_Sighting]) -> bool:
    """Two different figures from two different sources: one article giving "one" and "two
    states" in a sentence is not a disagreement."""
    figures_by_source: dict[int, set[tuple[float | None, ...] | None]] = {}
    for sighting in sightings:
        figures_by_source.setdefault(sighting.citation.source, set()).add(
            figure_key(sighting.quantity)
        )
    every_figure = set().union(*figures_by_source.values()) if figures_by_source else set()
    return len(figures_by_source) >= 2 and len(every_figure) >= 2


def _sightings(claim: MergedClaim) -> list[tuple[_Sighting, tuple[str, str]]]:
    found: list[tuple[_Sighting, tuple[str, str]]] = []
    seen: set[tuple[int, str]] = set()
    for citation in claim.citations:
        sentence = citation.quote
        if sentence is None:
            continue
        for start, end in figure_spans(sentence):
            figure = read_figure(sentence, sentence[start:end])
            if figure is None or (figure.value is None and figure.qualifier != "vague"):
                continue
            if (citation.source, figure.text) in seen:
                continue
            slot = _slot_of(figure.text, sentence, claim.predicate)
            if slot is None:
                continue
            seen.add((citation.source, figure.text))
            chosen = (
                claim.quantity if claim.quantity and claim.quantity.text == figure.text else None
            )
            quantity = Quantity(
                text=figure.text,
                value=figure.value,
                low=figure.low,
                high=figure.high,
                unit=None,
                counted=_slot_label(slot),
                qualifier=figure.qualifier,
                as_of=chosen.as_of if chosen else None,
            )
            found.append((_Sighting(claim, citation, quantity), slot))
    return found


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


def _entries(sightings: Sequence[_Sighting], by_number: dict[int, Source]) -> list[LedgerEntry]:
    entries = [
        LedgerEntry(
            source=sighting.citation.source,
            claim_id=sighting.claim.id,
            outlet=by_number[sighting.citation.source].outlet,
            claimant=sighting.citation.claimant or "unattributed",
            quantity=sighting.quantity,
            published=by_number[sighting.citation.source].published,
            citation=sighting.citation,
            certainty=sighting.claim.certainty,
        )
        for sighting in sightings
    ]
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


def _slot_of(figure_text: str, sentence: str, predicate: str) -> tuple[str, str] | None:
    """What the figure counts and how, as its verified sentence says; None when the sentence
    names nothing it counts (a bare "10," or "1") or the figure is a time span: the model's
    own label for what is counted is not evidence, and a slot named from it ("unknown
    unknown") misleads."""
    context = figure_context(figure_text, sentence, verb=predicate)
    if not context.noun or context.noun in _NOT_COUNTS or _counts_a_source(figure_text, sentence):
        return None
    return context.slot


def _counts_a_source(figure_text: str, sentence: str) -> bool:
    """Whether the figure counts who said something ("Two former employees told the agency
    ..."), not anything the sentence reports: a reporting verb ends its phrase."""
    position = sentence.lower().find(figure_text.lower())
    after = sentence[position + len(figure_text) :].split()[:1] if position >= 0 else []
    return any(is_reporting_verb(word.strip(",.;:")) for word in figure_text.split()[1:] + after)


def _attach_figures_without_a_verb(slots: dict[tuple[str, str], list[_Sighting]]) -> None:
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


def _attach_casualty_nouns(slots: dict[tuple[str, str], list[_Sighting]]) -> None:
    """ "Casualties might exceed 30" counts the same as "16 people killed or injured":
    a figure whose noun is itself a casualty word joins the story's largest
    casualty slot."""
    casualty = [key for key in slots if key[1] == "casualty" and key[0] not in CASUALTY_WORDS]
    if not casualty:
        return
    biggest = max(casualty, key=lambda key: len(slots[key]))
    for key in [k for k in slots if k[0] in CASUALTY_WORDS and k != biggest]:
        slots[biggest].extend(slots.pop(key))


def _context(entry: LedgerEntry) -> FigureContext:
    return figure_context(entry.quantity.text, entry.citation.quote or "")


def _slot_label(slot: tuple[str, str]) -> str:
    noun, measure = slot
    if not measure:
        return noun
    if measure == "casualty":
        return f"{plural(noun)} killed, injured or hospitalised"
    return f"{plural(noun)} {measure}"
