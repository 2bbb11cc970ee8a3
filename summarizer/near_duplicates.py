"""Group near-duplicate texts without comparing every pair.

Two texts are near-duplicates when `similarity` (the mean of rapidfuzz's token_set_ratio and
token_sort_ratio) reaches a threshold; groups are the connected components of that relation
among items of one block whose dates are compatible. A component does not depend on which
of its pairs are found, only on finding enough of them, so the work goes into choosing pairs:

- Items are split by block and date, and a date group meets only itself and the groups
  whose dates it can share ("2026-03" meets "2026-03-02", unknown meets all): exact.
- Equal texts in a group are one text: exact, as an equal (non-empty) text scores 100.
- Groups of up to `ALL_PAIRS_UP_TO` texts compare every pair: exact.
- Larger groups compare a pair only when one text contains one of the other's
  `rare_words` rarest words (light-stemmed, rarity counted in the groups compared).
  Similarity is character based, so this is a bound rather than a proof: a pair that
  differs in each text's rarest words and still reaches the threshold is missed. On
  seeded corpora with typos, synonyms and inflections, 3 words at a threshold of 82 and
  4 at 70 find every component the all-pairs definition finds (tests/test_merge_scaling.py,
  benchmarks/merge_scaling.py).

A pair is scored only after passing a necessary condition checked in C: token_set_ratio
is at most 100, so the mean reaches `threshold` only if token_sort_ratio reaches
`2 * threshold - 100`.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator, Sequence
from functools import lru_cache

from rapidfuzz import fuzz, process

ALL_PAIRS_UP_TO = 2000
COVERAGE = 0.0
# Past this size a medoid is chosen by similarity to an evenly spaced sample of members.
MEDOID_ALL_PAIRS_UP_TO = 200
_SUFFIX = re.compile(r"(?:ings?|ers?|ed|es|s)$")


def similarity(a: str, b: str) -> float:
    """Mean of token_set_ratio and token_sort_ratio, 0..100."""
    # token_set alone calls any subset a match; averaging with token_sort keeps
    # "acid leaked" from swallowing every longer sentence about acid.
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 2


def similar_groups(
    texts: Sequence[str],
    blocks: Sequence[Hashable],
    threshold: float,
    *,
    rare_words: int,
    dates: Sequence[str | None] | None = None,
) -> list[list[int]]:
    """Connected components of "same block, compatible dates, similarity >= threshold".

    Ordered as an all-pairs union-find gives them: by first member, members ascending.
    """
    if threshold <= 51:
        raise ValueError("the token_sort bound needs a threshold above 51")
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        parent[root(j)] = root(i)

    groups: dict[tuple[Hashable, str | None], dict[str, int]] = {}
    for index, text in enumerate(texts):
        if not text:
            continue  # scores 0 against any text and 50 against another empty one
        group = groups.setdefault((blocks[index], dates[index] if dates else None), {})
        if text in group:
            join(group[text], index)
        else:
            group[text] = index
    sorted_words = {
        i: " ".join(sorted(texts[i].split())) for g in groups.values() for i in g.values()
    }
    pairing = _Pairing(sorted_words, 2 * threshold - 100 - 1, rare_words)
    for (block, date), group in groups.items():
        members = list(group.values())
        candidates = pairing.within(members)
        for earlier in _enclosing_dates(date):
            if (block, earlier) in groups:
                candidates |= pairing.between(members, list(groups[(block, earlier)].values()))
        for i, j in sorted(candidates):
            if root(i) != root(j) and similarity(texts[i], texts[j]) >= threshold:
                join(i, j)
    components: dict[int, list[int]] = {}
    for i in range(len(texts)):
        components.setdefault(root(i), []).append(i)
    return list(components.values())


def medoid(texts: Sequence[str]) -> int:
    """Index of the text with the greatest summed similarity to the others; ties: earliest."""
    count = len(texts)
    if count <= MEDOID_ALL_PAIRS_UP_TO:
        sample: Sequence[int] = range(count)
    else:
        step = (count - 1) / (MEDOID_ALL_PAIRS_UP_TO - 1)
        sample = sorted({round(k * step) for k in range(MEDOID_ALL_PAIRS_UP_TO)})
    return max(
        range(count),
        key=lambda i: (sum(similarity(texts[i], texts[j]) for j in sample), -i),
    )


def _enclosing_dates(date: str | None) -> Iterator[str | None]:
    """The dates, unknown first, that `date` starts with, itself excluded."""
    if date is None:
        return
    yield None
    for end in range(len(date)):
        yield date[:end]


class _Pairing:
    """Candidate pairs (i, j), i < j, whose sorted words pass the token_sort floor."""

    def __init__(self, sorted_words: dict[int, str], floor: float, rare_words: int) -> None:
        self._sorted_words = sorted_words
        self._floor = floor
        self._rare_words = rare_words
        self._stems: dict[int, dict[str, int]] = {}

    def stems(self, index: int) -> dict[str, int]:
        """The text's stems, each weighing the characters of its words (spaces included)."""
        if index not in self._stems:
            weights: dict[str, int] = {}
            for word in set(self._sorted_words[index].split()):
                stem = _stem(word)
                weights[stem] = weights.get(stem, 0) + len(word) + 1
            self._stems[index] = weights
        return self._stems[index]

    def within(self, members: list[int]) -> set[tuple[int, int]]:
        if len(members) <= ALL_PAIRS_UP_TO:
            return self._scan(members, members, later_only=True)
        pairs: set[tuple[int, int]] = set()
        for probers, holders in self._rare_word_lists(members, members):
            # Probers hold the word too: pair them once, then with the other holders.
            probing = set(probers)
            pairs |= self._scan(probers, probers, later_only=True)
            others = [index for index in holders if index not in probing]
            pairs |= self._scan(probers, others, later_only=False)
        return pairs

    def between(self, left: list[int], right: list[int]) -> set[tuple[int, int]]:
        if len(left) * len(right) <= ALL_PAIRS_UP_TO * (ALL_PAIRS_UP_TO - 1) // 2:
            return self._scan(left, right, later_only=False)
        pairs: set[tuple[int, int]] = set()
        for probers, holders in self._rare_word_lists(left, right):
            pairs |= self._scan(probers, holders, later_only=False)
        for probers, holders in self._rare_word_lists(right, left):
            pairs |= self._scan(probers, holders, later_only=False)
        return pairs

    def _rare_word_lists(
        self, probing: list[int], held: list[int]
    ) -> Iterator[tuple[list[int], list[int]]]:
        """For each word, the texts of `probing` that rank it among their rarest, and the
        texts of `held` that contain it; rarity is counted over both lists."""
        holders: dict[str, list[int]] = {}
        counts: dict[str, int] = {}
        for index in held:
            for stem in self.stems(index):
                holders.setdefault(stem, []).append(index)
        for index in {*probing, *held}:
            for stem in self.stems(index):
                counts[stem] = counts.get(stem, 0) + 1
        probers: dict[str, list[int]] = {}
        for index in probing:
            weights = self.stems(index)
            unprobed = sum(weights.values())
            enough = COVERAGE * unprobed
            for rank, stem in enumerate(sorted(weights, key=lambda s: (counts[s], s))):
                if rank >= self._rare_words and unprobed < enough:
                    break
                unprobed -= weights[stem]
                if stem in holders:
                    probers.setdefault(stem, []).append(index)
        for stem, indices in probers.items():
            yield indices, holders[stem]

    def _scan(
        self, queries: list[int], choices: list[int], *, later_only: bool
    ) -> set[tuple[int, int]]:
        choice_words = [self._sorted_words[c] for c in choices]
        pairs: set[tuple[int, int]] = set()
        for row, query in enumerate(queries):
            # With queries == choices, each pair is met again from its other end: skip it.
            start = row + 1 if later_only else 0
            for _, _, column in process.extract(
                self._sorted_words[query],
                choice_words[start:] if start else choice_words,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=self._floor,
                limit=None,
            ):
                other = choices[start + column]
                if other != query:
                    pairs.add((query, other) if query < other else (other, query))
        return pairs


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    stem = _SUFFIX.sub("", word)
    return stem if len(stem) >= 3 else word
