"""Join claims or events that state the same thing in other words.

Lexical merging (`near_duplicates.py`) joins texts that share their wording. Real outlets
paraphrase: "Smoke from the fire closed the A614 road for six hours" and "The A614 was
shut for six hours because of the smoke" share few words. Sentence embeddings bring such
pairs close, but they also bring close two different facts of one story ("police evacuated
40 homes" / "police closed the road"). So embeddings only propose: a pair above `CLOSE`
must also agree on what the texts state, and share a name or a number, unless it is above
`SAME`, where wording and meaning leave little room. A name most texts of the block mention
("Wexley" in a story about Wexley) is no anchor, and two groups join only when they are
close as wholes (their centroids), so that one pair cannot chain two topics together.
A caller may pass a judge (`adjudicate`, the model: `adjudication.py`) for the borderline
pairs, those that pass every check but are neither anchored nor above `SAME`: they join
when it says they state the same thing.
Nothing here joins figures that differ or a denial with an assertion: the caller blocks on
those (`blocks`), and different figures meet in the disagreement ledger.

What the texts state (`Facts`): the names they mention (capitalised words that do not open a
sentence), the numbers they give, the months and years they name, and whether they deny.
Two texts conflict when one denies and the other does not, their dates (if both have one)
are not the same day, month or year at the precision of the less precise, or both name
months (or years, or numbers) and share none.

Candidates are found block by block (a story, a polarity and a figure), as the products of
the block's unit vectors; a block of more than `EXACT_UP_TO` texts is cut into buckets by
random hyperplanes first (locality-sensitive hashing: texts with a cosine of 0.7 share a
bucket of 8 planes in about a third of draws, so several draws are taken), so that large
piles never compare every pair.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from summarizer.text.union_find import UnionFind
from summarizer.text.words import MONTHS

__all__ = ["CLOSE", "SAME", "Facts", "facts_of", "join_by_meaning"]

Vectors = npt.NDArray[np.float32]

# Cosine of the texts' embeddings: candidates from CLOSE, joined without a shared name from SAME.
CLOSE = 0.75
SAME = 0.85
# A name in more than this share of a block's texts ("Wexley" in a story about Wexley)
# tells nothing about whether two of them state the same fact.
DISTINCTIVE_SHARE = 0.25
EXACT_UP_TO = 3000
_PLANES = 8
_DRAWS = 6
_SEED = 20241219

# The capital first, then what precedes it: looking behind at every position first was most
# of the time this takes.
_NAME = re.compile(r"\b[A-Z](?<![.!?]\s[A-Z])(?<!^[A-Z])[A-Za-z0-9'-]+")
_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# Capitalised only: "may" is far more often a verb than the month. One pattern for all
# twelve: a search per month was a fifth of merging 10k claims.
_MONTH = re.compile(r"\b(" + "|".join(m.capitalize() for m in MONTHS) + r")\b")
_NEGATION = re.compile(
    r"\b(?:not|no|never|denied|denies|deny|refused|rejected|n't|without)\b", re.IGNORECASE
)
_GENERIC_NAMES = frozenset(
    "The A An In On At It This That He She They We But And Monday Tuesday Wednesday Thursday "
    "Friday Saturday Sunday Mr Mrs Ms Dr".split()
)


_MONTH_NAMES = frozenset(MONTHS)


@dataclass(frozen=True)
class Facts:
    """What a text states that a paraphrase must keep, each read on first use: a pile's
    names are all counted, the rest is asked of the few texts that meet a candidate."""

    text: str
    # A date already read for it (an event's ISO date, at any precision).
    when: str | None = None

    @cached_property
    def names(self) -> frozenset[str]:
        found = (n.lower() for n in _NAME.findall(self.text) if n not in _GENERIC_NAMES)
        return frozenset(found) - _MONTH_NAMES

    @cached_property
    def numbers(self) -> frozenset[str]:
        return frozenset(n.replace(",", "") for n in _NUMBER.findall(self.text)) - self.years

    @cached_property
    def months(self) -> frozenset[str]:
        return frozenset(m.lower() for m in _MONTH.findall(self.text))

    @cached_property
    def years(self) -> frozenset[str]:
        return frozenset(_YEAR.findall(self.text))

    @cached_property
    def negated(self) -> bool:
        return bool(_NEGATION.search(self.text))

    def conflicts_with(self, other: Facts) -> bool:
        if self.negated != other.negated:
            return True
        if (
            self.when
            and other.when
            and not (self.when.startswith(other.when) or other.when.startswith(self.when))
        ):
            return True
        return any(
            mine and theirs and not mine & theirs
            for mine, theirs in (
                (self.months, other.months),
                (self.years, other.years),
                (self.numbers, other.numbers),
            )
        )


def facts_of(text: str, when: str | None = None) -> Facts:
    """The names, numbers, months and years `text` states, and whether it denies.

    `when` is a date already read for it (an event's ISO date, at any precision).
    """
    return Facts(text, when)


def join_by_meaning(
    groups: Sequence[Sequence[int]],
    vectors: Vectors,
    blocks: Sequence[Hashable],
    facts: Sequence[Facts],
    *,
    close: float = CLOSE,
    same: float = SAME,
    compatible: Callable[[int, int], bool] | None = None,
    adjudicate: Callable[[int, int], bool] | None = None,
) -> list[list[int]]:
    """Join `groups` (of item indices, every item in one) when two of their items mean the
    same thing.

    `vectors[i]` is item i's unit embedding, `blocks[i]` what it must share with any item it
    joins, `facts[i]` what it states; `compatible(i, j)`, if given, must also hold for a
    pair to join. `adjudicate(i, j)`, if given, decides the borderline pairs, which are
    otherwise kept apart: close, compatible, without conflict, and with their groups close
    as wholes, but neither anchored (a shared distinctive name or a number) nor at `same`.
    Groups keep their first-seen order; so do members.
    """
    count = len(vectors)
    joined = UnionFind(count)
    for members in groups:
        for member in members[1:]:
            joined.union(members[0], member)
    by_block: dict[Hashable, list[int]] = {}
    for index, block in enumerate(blocks):
        by_block.setdefault(block, []).append(index)
    common = _common_names(facts)
    # Each group's vector sum, kept by its root: a centroid without revisiting members.
    totals: dict[int, npt.NDArray[np.float64]] = {}
    for members in groups:
        root = joined.find(members[0])
        totals[root] = vectors[list(members)].sum(axis=0, dtype=np.float64)
    # Pairs within one group already are joined: filtered out as arrays, before any Python
    # work per pair (near-duplicates are most of the close pairs).
    label = np.zeros(count, dtype=np.int64)
    for number, members in enumerate(groups):
        label[list(members)] = number
    for indices in by_block.values():
        pairs = _candidate_pairs(np.array(indices, dtype=np.int64), vectors, label, close)
        # Strongest first, so a group meets its closest match before a looser one.
        for first, second, cosine in sorted(pairs, key=lambda pair: -pair[2]):
            a_root, b_root = joined.find(first), joined.find(second)
            if a_root == b_root:
                continue
            a, b = facts[first], facts[second]
            if a.conflicts_with(b):
                continue
            if compatible is not None and not compatible(first, second):
                continue
            anchored = (a.names & b.names) - common or a.numbers & b.numbers
            borderline = not (cosine >= same or anchored)
            if borderline and adjudicate is None:
                continue
            # Against chaining: the two groups as wholes must be close, not just one pair.
            if _cosine(totals[a_root], totals[b_root]) < close:
                continue
            # Last, so that the judge (a model request) is asked only what it alone decides.
            if borderline and adjudicate is not None and not adjudicate(first, second):
                continue
            joined.union(first, second)
            totals[joined.find(first)] = totals.pop(a_root) + totals.pop(b_root)
    return joined.groups()


def _common_names(facts: Sequence[Facts]) -> frozenset[str]:
    counts = Counter(name for fact in facts for name in fact.names)
    limit = max(2, DISTINCTIVE_SHARE * len(facts))
    return frozenset(name for name, count in counts.items() if count > limit)


def _cosine(first: npt.NDArray[np.float64], second: npt.NDArray[np.float64]) -> float:
    norms = float(np.linalg.norm(first)) * float(np.linalg.norm(second))
    return float(first @ second) / max(norms, 1e-12)


Indices = npt.NDArray[np.int64]


def _candidate_pairs(
    indices: Indices, vectors: Vectors, label: Indices, close: float
) -> list[tuple[int, int, float]]:
    if len(indices) < 2:
        return []
    if len(indices) <= EXACT_UP_TO:
        return _pairs_above(indices, vectors, label, close)
    found: dict[tuple[int, int], float] = {}
    generator = np.random.default_rng(_SEED)
    block = vectors[indices]
    for _ in range(_DRAWS):
        planes = generator.standard_normal((vectors.shape[1], _PLANES)).astype(np.float32)
        codes = (block @ planes > 0) @ (1 << np.arange(_PLANES))
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        for bucket in np.split(indices[order], bounds):
            for first, second, cosine in _pairs_above(bucket, vectors, label, close):
                found[(first, second)] = cosine
    return [(first, second, cosine) for (first, second), cosine in found.items()]


def _pairs_above(
    indices: Indices, vectors: Vectors, label: Indices, close: float
) -> list[tuple[int, int, float]]:
    if len(indices) < 2:
        return []
    block = vectors[indices]
    cosines = block @ block.T
    rows, columns = np.nonzero(cosines >= close)
    labels = label[indices]
    # One of each pair, and none within a group: filtered as pairs, no square mask built.
    keep = (rows < columns) & (labels[rows] != labels[columns])
    if not keep.any():
        return []
    rows, columns = rows[keep], columns[keep]
    firsts, seconds = indices[rows], indices[columns]
    low, high = np.minimum(firsts, seconds), np.maximum(firsts, seconds)
    return list(zip(low.tolist(), high.tolist(), cosines[rows, columns].tolist(), strict=True))
