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

Pairs are scored in bulk, in C and on every core (rapidfuzz's `cdist`): a block of rows
against the choices they share, keeping only token_sort_ratio at or above
`2 * threshold - 100`, as neither score exceeds 100. The pairs kept are then filtered as
arrays: a pair already joined needs no score, and a pair without a shared or repeated word
must reach the threshold itself, since token_set_ratio then compares the very strings
token_sort_ratio does (a shared word is tested through hashed word masks, which may say
"shared" wrongly but never "not shared"). What is left goes to token_set_ratio, in bulk too
(`cpdist`, pair by pair). A pair whose two bulk scores clear the threshold by more than
float32's error joins; one within that error is scored again exactly, so the test of a pair
is `similarity(...) >= threshold`, as an all-pairs comparison would make it.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right
from collections.abc import Hashable, Iterable, Iterator, Sequence

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

ALL_PAIRS_UP_TO = 2000
# Past this size a medoid is chosen by similarity to an evenly spaced sample of members.
MEDOID_ALL_PAIRS_UP_TO = 200
_PREFIX = 4
# Bulk scores are float32 (off by under 1e-5 at 100), so they only rule pairs out below this.
_SLACK = 1e-3
# Cells of one bulk scoring call: bounds its score matrix (float32) at 16 MB.
_CELLS_PER_CALL = 4_000_000
# A bulk call may score at most 1/8 of its cells outside its rows' own pairs.
_WASTE_UP_TO = 8
# A call this small costs its overhead more than its cells: it takes rows whatever they waste.
_SMALL_CALL_CELLS = 16_384
# 64-bit words of a text's word mask.
_MASK_WORDS = 4
# Threads cost about 0.2 ms to start: smaller calls run on one core.
_THREADED_FROM_CELLS = 200_000
# The same for pairs scored one by one (`cpdist`): fewer run on one core.
_THREADED_FROM_PAIRS = 20_000

# A text and where in its block's choices its own pairs start.
_Row = tuple[int, int]
# Texts to score against, and the rows that score against them, starts never decreasing.
_Block = tuple[list[int], list[_Row]]


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
    joined = _Components(len(texts))
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
    pairing = _Pairing(texts, overlap)
    for block in _meetings(pairing, {key: list(group.values()) for key, group in groups.items()}):
        scorer.join_similar(block, joined)
    return joined.components()


def medoid(texts: Sequence[str]) -> int:
    """Index of the text with the greatest summed similarity to the others; ties: earliest."""
    count = len(texts)
    # Clusters repeat texts: equal texts have equal totals, so each distinct text is scored once.
    distinct = list(dict.fromkeys(texts))
    if len(distinct) == 1:
        return 0
    if count <= MEDOID_ALL_PAIRS_UP_TO:
        sample: Sequence[int] = range(count)
    else:
        step = (count - 1) / (MEDOID_ALL_PAIRS_UP_TO - 1)
        sample = sorted({round(k * step) for k in range(MEDOID_ALL_PAIRS_UP_TO)})
    row_of = {text: row for row, text in enumerate(distinct)}
    # `similarity` for every pair of distinct texts, in two bulk calls.
    scores = (
        process.cdist(distinct, distinct, scorer=fuzz.token_set_ratio, dtype=np.float64)
        + process.cdist(distinct, distinct, scorer=fuzz.token_sort_ratio, dtype=np.float64)
    ) / 2
    columns = [row_of[texts[j]] for j in sample]
    # Summed in the sample's order, one score at a time, as a sum over the pairs would be.
    totals = [sum(row) for row in scores[:, columns].tolist()]
    return max(range(count), key=lambda i: (totals[row_of[texts[i]]], -i))


def _meetings(
    pairing: _Pairing, groups: dict[tuple[Hashable, str | None], list[int]]
) -> Iterator[_Block]:
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


class _Components:
    """Texts joined into components, each text labelled with its component, so that whole
    arrays of pairs can be checked at once; a join relabels the smaller side."""

    def __init__(self, count: int) -> None:
        self.labels = np.arange(count, dtype=np.int64)
        self._members: dict[int, list[int]] = {}

    def same(self, first: int, second: int) -> bool:
        return bool(self.labels[first] == self.labels[second])

    def join(self, first: int, second: int) -> None:
        kept, moved = int(self.labels[first]), int(self.labels[second])
        if kept == moved:
            return
        kept_members = self._members.pop(kept, [kept])
        moved_members = self._members.pop(moved, [moved])
        if len(kept_members) < len(moved_members):
            kept, kept_members, moved_members = moved, moved_members, kept_members
        self.labels[moved_members] = kept
        kept_members += moved_members
        self._members[kept] = kept_members

    def components(self) -> list[list[int]]:
        """By first member, members ascending."""
        components: dict[int, list[int]] = {}
        for i, label in enumerate(self.labels.tolist()):
            components.setdefault(label, []).append(i)
        return list(components.values())


class _Scorer:
    """Joins rows' texts with the choices they are similar to, scoring in bulk what can matter."""

    def __init__(self, texts: Sequence[str], indices: Iterable[int], threshold: float) -> None:
        self._texts = texts
        self._threshold = threshold
        # Necessary for the mean to reach the threshold, as neither score exceeds 100.
        self._floor = 2 * threshold - 100 - 1
        self._sorted_words: dict[int, str] = {}
        # Texts sharing a word have masks sharing a bit (the converse need not hold).
        self._masks = np.zeros((len(texts), _MASK_WORDS), dtype=np.uint64)
        self._repeats = np.zeros(len(texts), dtype=bool)
        for index in indices:
            words = texts[index].split()
            self._sorted_words[index] = " ".join(sorted(words))
            self._masks[index] = _mask(words)
            self._repeats[index] = len(set(words)) < len(words)

    def join_similar(self, block: _Block, joined: _Components) -> None:
        choices, rows = block
        sorted_words = self._sorted_words
        words = [sorted_words[index] for index in choices]
        choice_array = np.array(choices, dtype=np.int64)
        for chunk in _chunks(rows, len(choices)):
            first = chunk[0][1]
            queries, starts = np.array(chunk, dtype=np.int64).T
            cells = len(chunk) * (len(choices) - first)
            sort_scores = process.cdist(
                [sorted_words[query] for query, _ in chunk],
                words[first:] if first else words,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=self._floor,
                dtype=np.float32,
                workers=-1 if cells >= _THREADED_FROM_CELLS else 1,
            )
            at_rows, at_columns = np.nonzero(sort_scores)
            pair_queries, pair_others = queries[at_rows], choice_array[at_columns + first]
            pair_scores = sort_scores[at_rows, at_columns]
            wanted = (
                # A row's pairs start at its own start; pairs already joined need no score.
                (at_columns + first >= starts[at_rows])
                & (joined.labels[pair_queries] != joined.labels[pair_others])
                # Without a shared or repeated word, token_set_ratio compares the very
                # strings token_sort_ratio does: such a pair needs the threshold itself.
                & (
                    (pair_scores >= self._threshold - _SLACK)
                    | (self._masks[pair_queries] & self._masks[pair_others]).any(axis=1)
                    | self._repeats[pair_queries]
                    | self._repeats[pair_others]
                )
            )
            self._join_pairs(pair_queries[wanted], pair_others[wanted], pair_scores[wanted], joined)

    def _join_pairs(
        self,
        queries: npt.NDArray[np.int64],
        others: npt.NDArray[np.int64],
        sort_scores: npt.NDArray[np.float32],
        joined: _Components,
    ) -> None:
        """Scores the pairs' token_set_ratio in one bulk call and joins those whose mean
        with `sort_scores` reaches the threshold."""
        if not len(queries):
            return
        texts, threshold = self._texts, self._threshold
        query_list, other_list = queries.tolist(), others.tolist()
        set_scores = process.cpdist(
            [texts[query] for query in query_list],
            [texts[other] for other in other_list],
            scorer=fuzz.token_set_ratio,
            processor=None,
            score_cutoff=self._floor,
            dtype=np.float32,
            workers=-1 if len(query_list) >= _THREADED_FROM_PAIRS else 1,
        )
        means = (set_scores + sort_scores) / 2
        near = np.flatnonzero(means >= threshold - _SLACK).tolist()
        for position, mean in zip(near, means[near].tolist(), strict=True):
            query, other = query_list[position], other_list[position]
            first, second = min(query, other), max(query, other)
            if joined.same(first, second):
                continue
            # Only a pair within float32's error of the threshold needs its exact score.
            if mean >= threshold + _SLACK or similarity(texts[first], texts[second]) >= threshold:
                joined.join(first, second)


def _mask(words: list[str]) -> list[int]:
    bits = [0] * _MASK_WORDS
    for word in words:
        bit = zlib.crc32(word.encode()) % (64 * _MASK_WORDS)
        bits[bit // 64] |= 1 << (bit % 64)
    return bits


def _chunks(rows: list[_Row], choices: int) -> Iterator[list[_Row]]:
    """Consecutive rows scored in one bulk call, from the first row's start on: as many as
    fit its cells, while the cells before a row's own start stay a small share, or as many
    as fill `_SMALL_CALL_CELLS` whatever they waste."""
    begin = 0
    while begin < len(rows):
        first = rows[begin][1]
        width = choices - first
        end = min(len(rows), begin + max(1, _CELLS_PER_CALL // width))
        stop = bisect_right(rows, first + width // _WASTE_UP_TO, begin, end, key=_start)
        stop = min(end, max(stop, begin + _SMALL_CALL_CELLS // width, begin + 1))
        yield rows[begin:stop]
        begin = stop


def _start(row: _Row) -> int:
    return row[1]


class _Pairing:
    """Blocks that cover the pairs of a meeting worth scoring: every pair of a small one,
    the pairs sharing a looked-up word in a large one."""

    def __init__(self, texts: Sequence[str], overlap: float) -> None:
        self._texts = texts
        self._overlap = overlap
        self._prefixes: dict[int, dict[str, int]] = {}
        self._hefts: dict[int, tuple[int, int]] = {}

    def within(self, members: list[int]) -> Iterator[_Block]:
        if len(members) <= ALL_PAIRS_UP_TO:
            # Each pair once, from its earlier end.
            yield members, [(query, row + 1) for row, query in enumerate(members[:-1])]
        else:
            yield from self._lighter_to_heavier(members, members)

    def between(self, left: list[int], right: list[int]) -> Iterator[_Block]:
        if len(left) * len(right) <= ALL_PAIRS_UP_TO * (ALL_PAIRS_UP_TO - 1) // 2:
            yield right, [(query, 0) for query in left]
        else:
            yield from self._lighter_to_heavier(left, right)
            yield from self._lighter_to_heavier(right, left)

    def _lighter_to_heavier(self, looking: list[int], held: list[int]) -> Iterator[_Block]:
        """Each text of `looking` against the heavier texts of `held` holding a word it
        looks up: a pair is found from its lighter end, whose share of shared words is
        the larger one."""
        for lookers, holders in self._looked_up(looking, held):
            holders.sort(key=self._heft)
            hefts = [self._heft(index) for index in holders]
            lookers.sort(key=self._heft)
            rows = [(query, bisect_right(hefts, self._heft(query))) for query in lookers]
            rows = [(query, start) for query, start in rows if start < len(holders)]
            if rows:
                yield holders, rows

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

    def _heft(self, index: int) -> tuple[int, int]:
        """Characters of the text's distinct words, then its index to break ties."""
        if index not in self._hefts:
            self._hefts[index] = (sum(self._weights(index).values()), index)
        return self._hefts[index]

    def _weights(self, index: int) -> dict[str, int]:
        """The text's word prefixes, each weighing its words' characters (and spaces)."""
        if index not in self._prefixes:
            weights: dict[str, int] = {}
            for word in set(self._texts[index].split()):
                weights[word[:_PREFIX]] = weights.get(word[:_PREFIX], 0) + len(word) + 1
            self._prefixes[index] = weights
        return self._prefixes[index]
