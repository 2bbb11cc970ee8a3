"""Group near-duplicate texts without comparing every pair.

Two texts are near-duplicates when `similarity` (the mean of rapidfuzz's token_set_ratio and
token_sort_ratio) reaches a threshold; groups are the connected components of that relation
among items of one block whose dates are compatible. A component does not depend on which
of its pairs are found, only on finding enough of them, so the work goes into choosing pairs:

- Items are split by block and date; a date group meets only itself and the groups whose
  dates it can share ("2026-03" meets "2026-03-02", an unknown date meets all). Exact.
- Equal texts in a group are scored once: an equal non-empty text scores 100. Exact.
- A meeting of at most `ALL_PAIRS_UP_TO` texts (or as many pairs between two groups)
  compares every pair. Exact.
- A larger one compares a pair only when the words the lighter text (fewer characters)
  shares with the other make up at least `overlap` of its characters, words counting as
  shared when their first four letters are ("protesters", "protester" and "protsters"
  are one word). Each text looks up its rarest words (rarity counted in the meeting)
  until the words left out weigh less than `overlap` of it, and meets the heavier texts
  holding one of them. Similarity is counted in characters, so this is a bound, not a
  proof: near-duplicates that share less (a typo early in a long word, say) are joined
  only through other members of their component. With 0.4 at a threshold of 82 and 0.3
  at 70 the groups equal the all-pairs ones on the seeded piles of
  tests/test_merge_scaling.py and benchmarks/merge_scaling.py.

Scores are computed in C, and each only where it can still matter: as neither score
exceeds 100, the mean reaches the threshold only if token_sort_ratio reaches
`2 * threshold - 100`; without a shared or repeated word token_set_ratio compares the very
strings token_sort_ratio does, so such a pair needs token_sort_ratio itself to reach the
threshold; and pairs already joined are not scored. The final test of a pair is always
`similarity(...) >= threshold`, exactly as an all-pairs comparison would make it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Iterable, Iterator, Sequence

from rapidfuzz import fuzz, process

ALL_PAIRS_UP_TO = 2000
# Past this size a medoid is chosen by similarity to an evenly spaced sample of members.
MEDOID_ALL_PAIRS_UP_TO = 200
_PREFIX = 4
# Scores from C may differ from `similarity`'s own calls in the last bit.
_SLACK = 1e-6

# A text, the texts to score it against, and where in them its own pairs start.
_Row = tuple[int, "_Choices", int]


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
    overlap: float,
    dates: Sequence[str | None] | None = None,
) -> list[list[int]]:
    """Connected components of "same block, compatible dates, similarity >= threshold".

    Ordered as an all-pairs union-find gives them: by first member, members ascending.
    """
    joined = _UnionFind(len(texts))
    groups: dict[tuple[Hashable, str | None], dict[str, int]] = {}
    for index, text in enumerate(texts):
        if not text:
            continue  # scores 0 against any text and 50 against another empty one
        group = groups.setdefault((blocks[index], dates[index] if dates else None), {})
        if text in group:
            joined.join(group[text], index)
        else:
            group[text] = index
    scorer = _Scorer(texts, [i for group in groups.values() for i in group.values()], threshold)
    pairing = _Pairing(scorer, overlap)
    for row in _meetings(pairing, {key: list(group.values()) for key, group in groups.items()}):
        scorer.join_similar(row, joined)
    return joined.components()


def medoid(texts: Sequence[str]) -> int:
    """Index of the text with the greatest summed similarity to the others; ties: earliest."""
    count = len(texts)
    if count <= MEDOID_ALL_PAIRS_UP_TO:
        sample: Sequence[int] = range(count)
    else:
        step = (count - 1) / (MEDOID_ALL_PAIRS_UP_TO - 1)
        sample = sorted({round(k * step) for k in range(MEDOID_ALL_PAIRS_UP_TO)})
    # Clusters repeat texts; equal texts sum equal scores in the same order. Both ratios
    # come from a symmetric distance over the sum of lengths, so a pair is scored once.
    scores: dict[tuple[str, str], float] = {}
    totals: dict[str, float] = {}

    def score(first: str, second: str) -> float:
        pair = (first, second) if first <= second else (second, first)
        if pair not in scores:
            scores[pair] = similarity(*pair)
        return scores[pair]

    def total(text: str) -> float:
        if text not in totals:
            totals[text] = sum(score(text, texts[j]) for j in sample)
        return totals[text]

    return max(range(count), key=lambda i: (total(texts[i]), -i))


def _meetings(
    pairing: _Pairing, groups: dict[tuple[Hashable, str | None], list[int]]
) -> Iterator[_Row]:
    """Each group meets itself, then the groups whose dates lie within its own date.

    Same-date pairs go first: they merge most, and joined pairs need no score later.
    """
    for members in groups.values():
        yield from pairing.within(members)
    dated: dict[Hashable, list[tuple[str, list[int]]]] = {}
    for (block, date), members in groups.items():
        if date is not None:
            dated.setdefault(block, []).append((date, members))
    for (block, date), members in groups.items():
        inner = [
            index
            for later, others in dated.get(block, [])
            if later != date and (date is None or later.startswith(date))
            for index in others
        ]
        if inner:
            yield from pairing.between(inner, members)


class _UnionFind:
    def __init__(self, count: int) -> None:
        self._parent = list(range(count))

    def root(self, i: int) -> int:
        parent = self._parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, first: int, second: int) -> None:
        self._parent[self.root(second)] = self.root(first)

    def components(self) -> list[list[int]]:
        components: dict[int, list[int]] = {}
        for i in range(len(self._parent)):
            components.setdefault(self.root(i), []).append(i)
        return list(components.values())


class _Choices:
    """Texts some queries are scored against; with `by_word`, which of them hold each word."""

    def __init__(self, indices: list[int], scorer: _Scorer, *, by_word: bool) -> None:
        self.indices = indices
        self.sorted_words = [scorer.sorted_words[i] for i in indices]
        self.by_word: dict[str, list[int]] | None = None
        self.repeating: list[int] = []
        if by_word:
            self.by_word = {}
            for position, index in enumerate(indices):
                for word in scorer.word_sets[index]:
                    self.by_word.setdefault(word, []).append(position)
                if index in scorer.repeating:
                    self.repeating.append(position)

    def after(self, start: int) -> list[str]:
        """The sorted words of the choices from `start` on."""
        return self.sorted_words[start:] if start else self.sorted_words


class _Scorer:
    """Joins a row's text with the texts it is similar to, scoring only what can matter."""

    def __init__(self, texts: Sequence[str], indices: Iterable[int], threshold: float) -> None:
        self._texts = texts
        self._threshold = threshold
        # Necessary for the mean to reach the threshold, as neither score exceeds 100.
        self._floor = 2 * threshold - 100 - 1
        words = {i: texts[i].split() for i in indices}
        self.sorted_words = {i: " ".join(sorted(w)) for i, w in words.items()}
        self.word_sets = {i: frozenset(w) for i, w in words.items()}
        self.repeating = {i for i, w in words.items() if len(self.word_sets[i]) < len(w)}

    def join_similar(self, row: _Row, joined: _UnionFind) -> None:
        query, choices, start = row
        texts, threshold = self._texts, self._threshold
        query_root = joined.root(query)
        unjoined = [
            (other, sort_score)
            for other, sort_score in self._sort_survivors(query, choices, start)
            if joined.root(other) != query_root
        ]
        if not unjoined:
            return
        set_scores = process.extract(
            texts[query],
            [texts[other] for other, _ in unjoined],
            scorer=fuzz.token_set_ratio,
            processor=None,
            score_cutoff=self._floor,
            limit=None,
        )
        for _, set_score, position in set_scores:
            other, sort_score = unjoined[position]
            if (set_score + sort_score) / 2 < threshold - _SLACK:
                continue
            first, second = min(query, other), max(query, other)
            if joined.root(first) == joined.root(second):
                continue
            if similarity(texts[first], texts[second]) >= threshold:
                joined.join(first, second)

    def _sort_survivors(self, query: int, choices: _Choices, start: int) -> list[tuple[int, float]]:
        """Choices whose token_sort_ratio with the query lets the mean reach the threshold.

        Without a shared or repeated word, token_set_ratio compares the very strings
        token_sort_ratio does, so such a pair needs the threshold itself; others the floor.
        """
        near, query_words = self._threshold - _SLACK, self.word_sets[query]
        indices, repeating, word_sets = choices.indices, self.repeating, self.word_sets
        query_repeats = query in repeating
        if choices.by_word is None or query_repeats:
            scored = self._sort_scores(query, choices.after(start), self._floor)
            candidates = [(indices[start + column], score) for _, score, column in scored]
            return [
                (other, score)
                for other, score in candidates
                if score >= near
                or query_repeats
                or other in repeating
                or not query_words.isdisjoint(word_sets[other])
            ]
        survivors = [
            (indices[start + column], score)
            for _, score, column in self._sort_scores(query, choices.after(start), near)
        ]
        # The rest must share a word (or repeat one) and pass the floor only.
        sharing = sorted(
            {p for word in query_words for p in choices.by_word.get(word, ()) if p >= start}
            | {p for p in choices.repeating if p >= start}
        )
        scored = self._sort_scores(query, [choices.sorted_words[p] for p in sharing], self._floor)
        survivors += [
            (indices[sharing[column]], score) for _, score, column in scored if score < near
        ]
        return survivors

    def _sort_scores(
        self, query: int, sorted_choices: list[str], cutoff: float
    ) -> list[tuple[str, float, int]]:
        return process.extract(
            self.sorted_words[query],
            sorted_choices,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=cutoff,
            limit=None,
        )


class _Pairing:
    """Rows that cover the pairs of a meeting worth scoring: every pair of a small one,
    the pairs sharing a looked-up word in a large one."""

    def __init__(self, scorer: _Scorer, overlap: float) -> None:
        self._scorer = scorer
        self._overlap = overlap
        self._prefixes: dict[int, dict[str, int]] = {}
        self._hefts: dict[int, tuple[int, int]] = {}

    def within(self, members: list[int]) -> Iterator[_Row]:
        if len(members) <= ALL_PAIRS_UP_TO:
            yield from self._rows(members, members, later_only=True)
        else:
            yield from self._lighter_to_heavier(members, members)

    def between(self, left: list[int], right: list[int]) -> Iterator[_Row]:
        if len(left) * len(right) <= ALL_PAIRS_UP_TO * (ALL_PAIRS_UP_TO - 1) // 2:
            yield from self._rows(left, right)
        else:
            yield from self._lighter_to_heavier(left, right)
            yield from self._lighter_to_heavier(right, left)

    def _lighter_to_heavier(self, looking: list[int], held: list[int]) -> Iterator[_Row]:
        """Each text of `looking` against the heavier texts of `held` holding a word it
        looks up: a pair is found from its lighter end, whose share of shared words is
        the larger one."""
        for lookers, holders in self._looked_up(looking, held):
            holders.sort(key=self._heft)
            hefts = [self._heft(index) for index in holders]
            choices = _Choices(holders, self._scorer, by_word=False)
            for query in lookers:
                start = bisect_right(hefts, self._heft(query))
                if start < len(holders):
                    yield query, choices, start

    def _looked_up(
        self, looking: list[int], held: list[int]
    ) -> Iterator[tuple[list[int], list[int]]]:
        """For each word, the texts of `looking` that look it up and the texts of `held`
        that contain it. A text looks up its rarest words (counted over both lists) until
        the words it leaves out weigh less than `overlap` of it."""
        holders: dict[str, list[int]] = {}
        counts: dict[str, int] = {}
        for index in held:
            for prefix in self._weights(index):
                holders.setdefault(prefix, []).append(index)
        for index in {*looking, *held}:
            for prefix in self._weights(index):
                counts[prefix] = counts.get(prefix, 0) + 1
        lookers: dict[str, list[int]] = {}
        for index in looking:
            weights = self._weights(index)
            left_out = sum(weights.values())
            enough = self._overlap * left_out
            for prefix in sorted(weights, key=lambda p: (counts[p], p)):
                if left_out < enough:
                    break
                left_out -= weights[prefix]
                if prefix in holders:
                    lookers.setdefault(prefix, []).append(index)
        for prefix, indices in lookers.items():
            yield indices, holders[prefix]

    def _rows(
        self, queries: list[int], choices: list[int], *, later_only: bool = False
    ) -> Iterator[_Row]:
        """Every query against every choice (after itself, with `later_only`)."""
        # All queries share these choices, so indexing their words pays.
        shared = _Choices(choices, self._scorer, by_word=True)
        for row, query in enumerate(queries):
            # With later_only, queries == choices: each pair once, from its earlier end.
            yield query, shared, row + 1 if later_only else 0

    def _heft(self, index: int) -> tuple[int, int]:
        """Characters of the text's distinct words, then its index to break ties."""
        if index not in self._hefts:
            self._hefts[index] = (sum(self._weights(index).values()), index)
        return self._hefts[index]

    def _weights(self, index: int) -> dict[str, int]:
        """The text's word prefixes, each weighing its words' characters (and spaces)."""
        if index not in self._prefixes:
            weights: dict[str, int] = {}
            for word in self._scorer.word_sets[index]:
                weights[word[:_PREFIX]] = weights.get(word[:_PREFIX], 0) + len(word) + 1
            self._prefixes[index] = weights
        return self._prefixes[index]
