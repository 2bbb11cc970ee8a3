"""The disagreement ledger: every source's figure for the same counted thing, side by side.

Figures are never averaged or collapsed. Each difference between two figures is classified:
a difference of time (explicit as-of dates, or the same claimant updating a figure), of scope
or measure (killed vs killed-or-injured), vague vs precise, consistent (the ranges overlap,
e.g. "at least 1,500" and "3,000"), or else a true conflict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from summarizer.merge import cluster, comparable_text, figure_key
from summarizer.models import (
    Difference,
    DifferenceKind,
    Disagreement,
    LedgerEntry,
    MergedClaim,
    Quantity,
    Source,
)

SLOT_SIMILARITY = 72.0
_CASUALTY_WORDS = frozenset(
    "killed dead died deaths death injured wounded hurt hospitalised hospitalized casualties "
    "casualty missing captured".split()
)
# Words that name who is counted; casualty figures about "workers" and "people" are one slot.
_CANONICAL_NOUNS = {
    **dict.fromkeys(
        "people persons person workers worker residents resident civilians civilian "
        "individuals employees staff".split(),
        "people",
    ),
    **dict.fromkeys("troops troop soldiers soldier personnel servicemen".split(), "troops"),
}
_KIND_WORDS = {
    "different_time": "different time",
    "different_scope": "different scope or measure",
    "vague_vs_precise": "vague vs precise",
    "consistent": "consistent",
    "conflict": "true conflict",
}


def build_ledger(claims: Sequence[MergedClaim], sources: Sequence[Source]) -> list[Disagreement]:
    """Group claims with figures into slots and keep the slots whose figures differ."""
    with_figures = [c for c in claims if c.quantity is not None and c.polarity == "asserted"]
    keys = [_slot_text(c.quantity) for c in with_figures if c.quantity is not None]
    slots = cluster(
        len(with_figures),
        lambda i, j: fuzz.token_set_ratio(keys[i], keys[j]) >= SLOT_SIMILARITY,
    )
    by_number = {s.number: s for s in sources}
    ledger: list[Disagreement] = []
    for members in slots:
        slot_claims = [with_figures[i] for i in members]
        if len({figure_key(c.quantity) for c in slot_claims}) < 2:
            continue
        entries = _entries(slot_claims, by_number)
        ledger.append(
            Disagreement(
                slot=_slot_name(slot_claims),
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
        _same_claimant(first.claimant, second.claimant)
        and first.published
        and second.published
        and first.published != second.published
    ):
        return (
            "different_time",
            f"{first.claimant} gave '{a.text}' on {first.published} "
            f"and '{b.text}' on {second.published}",
        )
    measures_a, measures_b = _measures(a), _measures(b)
    if measures_a != measures_b and (measures_a or measures_b):
        return (
            "different_scope",
            f"'{a.counted}' and '{b.counted}' count different things",
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
    differences: list[Difference] = []
    for position, i in enumerate(indices):
        for j in indices[position + 1 :]:
            kind, explanation = classify(entries[i], entries[j])
            differences.append(Difference(first=i, second=j, kind=kind, explanation=explanation))
    return differences


def describe_kind(kind: DifferenceKind) -> str:
    """The kind of a difference in words."""
    return _KIND_WORDS[kind]


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


def _measures(quantity: Quantity) -> frozenset[str]:
    words = set(re.findall(r"[a-z]+", quantity.counted.lower()))
    return frozenset(words & _CASUALTY_WORDS)


def _slot_text(quantity: Quantity) -> str:
    # Casualty measures differ in word but count the same kind of thing: one slot, where
    # the differing measure is then classified as a difference of scope.
    words = comparable_text(f"{quantity.counted} {quantity.unit or ''}").split()
    canonical = ["casualty" if w in _CASUALTY_WORDS else _CANONICAL_NOUNS.get(w, w) for w in words]
    return " ".join(dict.fromkeys(canonical))


def _same_claimant(a: str, b: str) -> bool:
    if "unattributed" in (a.lower(), b.lower()):
        return False
    return fuzz.token_set_ratio(a.lower(), b.lower()) >= 88


def _slot_name(claims: Sequence[MergedClaim]) -> str:
    counted = [c.quantity.counted for c in claims if c.quantity is not None]
    return min(counted, key=lambda text: (len(text), text))
