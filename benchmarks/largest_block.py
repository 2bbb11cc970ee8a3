"""Check the merge's largest claim block against every pair, at sizes the baseline can't run.

The merge scaling benchmark compares the whole stage with the all-pairs baseline up to
10,000 claims. Past that, the one block that leaves all pairs for word lookups (the claims
without a figure) is checked here on its own: every pair of its distinct texts is scored
with rapidfuzz's `cdist` on every core (token_sort_ratio at the floor `2 * threshold - 100`,
then `similarity` for what passes), and its components are compared with the ones
`similar_groups` finds for the same texts.

    python -m benchmarks.largest_block [--size 100000] [--seed 20260302]

At 100,000 claims the block holds about 66,000 texts, so 2.2 billion pairs: about
2.5 minutes on 2 cores. Prints the figures and exits 0 when the components are equal, 1
when they differ.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process

from summarizer.briefing.merge import CLAIM_OVERLAP, CLAIM_SIMILARITY, comparable_text, figure_key
from summarizer.testing.synthetic_claims import synthetic_corpus
from summarizer.text.near_duplicates import similar_groups, similarity

_ROWS_PER_CALL = 1000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.largest_block")
    parser.add_argument("--size", type=int, default=100_000, help="claims in the pile")
    parser.add_argument("--seed", type=int, default=20260302)
    options = parser.parse_args(argv)
    corpus = synthetic_corpus(options.size, seed=options.seed)
    claims = [claim for extraction in corpus.extractions for claim in extraction.claims]
    blocks = [(claim.polarity, figure_key(claim.quantity)) for claim in claims]
    largest = Counter(blocks).most_common(1)[0][0]
    texts = [comparable_text(c.statement) for c, b in zip(claims, blocks, strict=True)]
    texts = [text for text, block in zip(texts, blocks, strict=True) if block == largest]
    print(f"{options.size:,} claims: largest block {largest}, {len(texts):,} texts", flush=True)

    started = time.perf_counter()
    found = similar_groups(texts, [None] * len(texts), CLAIM_SIMILARITY, overlap=CLAIM_OVERLAP)
    print(f"similar_groups: {len(found):,} groups in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    expected, scored, similar = _all_pairs_groups(texts, CLAIM_SIMILARITY)
    print(
        f"every pair: {len(expected):,} groups in {time.perf_counter() - started:.1f} s "
        f"({scored:,} pairs over the floor, {similar:,} near-duplicates)"
    )
    same = sorted(found) == sorted(expected)
    print("groups equal" if same else "GROUPS DIFFER")
    return 0 if same else 1


def _all_pairs_groups(texts: Sequence[str], threshold: float) -> tuple[list[list[int]], int, int]:
    """Components of `similarity >= threshold` over every pair, and the pairs counted.

    Written apart from near_duplicates.py on purpose (its own union-find, no filter but the
    token_sort floor), so that the check does not lean on the code it checks."""
    first_of: dict[str, int] = {}
    for index, text in enumerate(texts):
        if text:
            first_of.setdefault(text, index)
    distinct = list(first_of.values())
    sorted_words = [" ".join(sorted(texts[i].split())) for i in distinct]
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for index, text in enumerate(texts):
        if text:
            parent[root(index)] = root(first_of[text])
    scored = similar = 0
    for begin in range(0, len(distinct), _ROWS_PER_CALL):
        scores = process.cdist(
            sorted_words[begin : begin + _ROWS_PER_CALL],
            sorted_words,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=2 * threshold - 100 - 1,
            dtype=np.uint8,
            workers=-1,
        )
        rows, columns = np.nonzero(scores)
        for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
            a, b = distinct[begin + row], distinct[column]
            if a < b:
                scored += 1
                if similarity(texts[a], texts[b]) >= threshold:
                    similar += 1
                    parent[root(b)] = root(a)
    groups: dict[int, list[int]] = {}
    for index in range(len(texts)):
        groups.setdefault(root(index), []).append(index)
    return list(groups.values()), scored, similar


if __name__ == "__main__":
    raise SystemExit(main())
