"""Group near-duplicate texts without comparing every pair.

Two texts are near-duplicates when `similarity` (the mean of rapidfuzz's token_set_ratio and
token_sort_ratio) reaches a threshold; groups are the connected components of that relation
within blocks of items that may merge at all. Components do not depend on which true pairs
are found first, only on finding enough of them, so the work is spent on choosing pairs:

- A block of at most `ALL_PAIRS_UP_TO` texts compares every pair: the result is exactly that
  of the all-pairs definition.
- A larger block compares a pair only when one text contains one of the other's `rare_words`
  rarest words (light-stemmed, rarity counted within the block). Similarity is character
  based, so this is a bound rather than a proof: a pair that differs in each text's rarest
  words yet matches is missed. On seeded corpora with typos, synonyms and inflections,
  3 words for a threshold of 82 and 4 for 70 found every component the all-pairs definition
  finds (see tests/test_merge_scaling.py and benchmarks/merge_scaling.py).

Either way a pair is scored only after a necessary condition checked in C: token_set_ratio
is at most 100, so the mean reaches `threshold` only if token_sort_ratio reaches
`2 * threshold - 100`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Sequence

from rapidfuzz import fuzz, process

ALL_PAIRS_UP_TO = 2000
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
    compatible: Callable[[int, int], bool] | None = None,
) -> list[list[int]]:
    """Connected components of "same block, `compatible`, similarity >= threshold".

    Ordered as an all-pairs union-find would give them: groups by their first member,
    members ascending. `compatible(i, j)` is asked with i < j.
    """
    if threshold <= 51:
        raise ValueError("the token_sort bound needs a threshold above 51")
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_block: dict[Hashable, list[int]] = {}
    for index, block in enumerate(blocks):
        by_block.setdefault(block, []).append(index)
    sort_floor = 2 * threshold - 100 - 1
    for members in by_block.values():
        for i, j in sorted(_candidate_pairs(members, texts, sort_floor, rare_words)):
            if root(i) == root(j) or (compatible is not None and not compatible(i, j)):
                continue
            if similarity(texts[i], texts[j]) >= threshold:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def medoid(texts: Sequence[str]) -> int:
    """Index of the text with the greatest summed similarity to the others; ties: earliest."""
    count = len(texts)
    sample = (
        range(count)
        if count <= MEDOID_ALL_PAIRS_UP_TO
        else sorted(
            {k * (count - 1) // (MEDOID_ALL_PAIRS_UP_TO - 1) for k in range(MEDOID_ALL_PAIRS_UP_TO)}
        )
    )
    return max(
        range(count),
        key=lambda i: (sum(similarity(texts[i], texts[j]) for j in sample), -i),
    )


def _candidate_pairs(
    members: Sequence[int], texts: Sequence[str], sort_floor: float, rare_words: int
) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, worth scoring: their sorted words pass `sort_floor`."""
    if len(members) < 2:
        return set()
    sorted_words = [" ".join(sorted(texts[m].split())) for m in members]
    if len(members) <= ALL_PAIRS_UP_TO:
        positions = range(len(members))
        close = _close_pairs(positions, positions, sorted_words, sort_floor, later_only=True)
    else:
        close = set()
        for queries, posting in _shared_rare_words(members, texts, rare_words):
            close |= _close_pairs(queries, posting, sorted_words, sort_floor, later_only=False)
    return {(members[a], members[b]) for a, b in close}


def _shared_rare_words(
    members: Sequence[int], texts: Sequence[str], rare_words: int
) -> Iterable[tuple[list[int], list[int]]]:
    """(texts probing a word, texts holding it), by position in `members`."""
    words = [{_stem(word) for word in texts[m].split()} for m in members]
    holders: dict[str, list[int]] = {}
    for position, stems in enumerate(words):
        for stem in stems:
            holders.setdefault(stem, []).append(position)
    probers: dict[str, list[int]] = {}
    for position, stems in enumerate(words):
        for stem in sorted(stems, key=lambda s: (len(holders[s]), s))[:rare_words]:
            probers.setdefault(stem, []).append(position)
    return ((queries, holders[stem]) for stem, queries in probers.items())


def _close_pairs(
    queries: Sequence[int],
    choices: Sequence[int],
    sorted_words: Sequence[str],
    sort_floor: float,
    *,
    later_only: bool,
) -> set[tuple[int, int]]:
    """Pairs (a, b), a < b, of a query and a choice whose token_sort_ratio passes the floor."""
    choice_texts = [sorted_words[c] for c in choices]
    pairs: set[tuple[int, int]] = set()
    for row, query in enumerate(queries):
        # With queries == choices, each pair is met again from its other end: skip it.
        start = row + 1 if later_only else 0
        for _, _, column in process.extract(
            sorted_words[query],
            choice_texts[start:] if start else choice_texts,
            scorer=fuzz.ratio,
            score_cutoff=sort_floor,
            limit=None,
        ):
            other = choices[start + column]
            if other != query:
                pairs.add((min(query, other), max(query, other)))
    return pairs


def _stem(word: str) -> str:
    stem = _SUFFIX.sub("", word)
    return stem if len(stem) >= 3 else word
