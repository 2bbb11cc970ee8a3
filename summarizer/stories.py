"""Stories: cluster a day's articles into the stories they tell, before anything is merged.

Claims of different stories never merge, and the briefing gives each story its own section.
Two articles tell the same story when their words and, above all, the names and figures
they mention are close, each weighted by how rare it is in the day's pile (TF-IDF).
Look-alike stories (two earthquakes, two arrests of players of one team) share their common
words ("earthquake", "arrested", "Chargers"); the names that tell them apart ("Vincent
Jackson", "Jamal Williams") are rarer, so names count twice, as single words and as pairs
of words, with their rarity squared. Articles published days apart are less likely one
story. Groups are joined by average link: a group joins another only when its articles are
close to that group's articles on average.

Measured on BASIL dev and ECB+ dev (benchmarks/story_clustering.py, docs/merging.md):
sentence embeddings of the articles did not separate look-alike stories better than the
names do, so they are not used here.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from summarizer.models import Article

__all__ = ["STORY_SIMILARITY", "cluster_stories", "tfidf_vectors"]

# The average similarity above which two groups of articles are one story.
STORY_SIMILARITY = 0.13
# Names and figures against words, in the similarity of two articles.
_NAME_WEIGHT = 2.0
# Within this many days of each other, articles' dates say nothing; beyond, similarity
# halves every _DATE_HALF_LIFE_DAYS.
_SAME_DAYS = 3
_DATE_HALF_LIFE_DAYS = 7.0
_STOPWORDS = frozenset(
    "a an the of to in on at by for from with and or as is are was were be been being has have "
    "had that this these those it its their there said says according he she they his her them "
    "we our you your i not no but if so than then also after before about into over more most "
    "will would could can may might who which what when where while up out new one two".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+|\d[\d,.]*")
_NAME = re.compile(r"\b[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)*")
_FIGURE = re.compile(r"\b\d[\d,.]*\d\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?\n]\s*)$")

Vectors = npt.NDArray[np.float32]


def cluster_stories(
    articles: Sequence[Article], *, threshold: float = STORY_SIMILARITY
) -> list[list[int]]:
    """Groups of article indices, one per story, largest first (ties: first article first)."""
    if not articles:
        return []
    texts = [f"{article.title}\n{article.text}" for article in articles]
    words = tfidf_vectors(texts)
    names = _weighted_vectors([_names_and_figures(text) for text in texts], idf_power=2)
    named = names.any(axis=1)
    # Names weigh in only where both articles mention some; short texts may mention none.
    both_named = np.outer(named, named)
    similarity = words @ words.T
    similarity = np.where(
        both_named, (similarity + _NAME_WEIGHT * (names @ names.T)) / (1 + _NAME_WEIGHT), similarity
    ).astype(np.float32)
    similarity *= _date_factor([article.published for article in articles])
    groups = average_link(similarity, threshold)
    return sorted(groups, key=lambda members: (-len(members), members[0]))


def tfidf_vectors(texts: Sequence[str]) -> Vectors:
    """Unit TF-IDF vectors (sublinear term frequency, smoothed IDF) over the texts' words."""
    return _weighted_vectors([Counter(_words(text)) for text in texts], idf_power=1)


def _weighted_vectors(documents: Sequence[Counter[str]], *, idf_power: int) -> Vectors:
    frequency = Counter(term for document in documents for term in document)
    vocabulary = {term: index for index, term in enumerate(sorted(frequency))}
    count = len(documents)
    idf = {t: (math.log((1 + count) / (1 + df)) + 1.0) ** idf_power for t, df in frequency.items()}
    vectors = np.zeros((count, len(vocabulary)), dtype=np.float32)
    for row, document in enumerate(documents):
        for term, tf in document.items():
            vectors[row, vocabulary[term]] = (1.0 + math.log(tf)) * idf[term]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    normalised: Vectors = vectors / np.maximum(norms, 1e-12)
    return normalised


def _names_and_figures(text: str) -> Counter[str]:
    """Capitalised words and runs of them ("Jamal Williams": both words and the pair), and
    figures; a single capitalised word that opens a sentence is not taken for a name."""
    terms: Counter[str] = Counter()
    for match in _NAME.finditer(text):
        name = match.group()
        if " " not in name and _SENTENCE_START.search(
            text[max(0, match.start() - 3) : match.start()]
        ):
            continue
        parts = [word.lower() for word in name.split() if word.lower() not in _STOPWORDS]
        terms.update(parts)
        terms.update(" ".join(pair) for pair in itertools.pairwise(parts))
    terms.update(_FIGURE.findall(text))
    return terms


def _date_factor(dates: Sequence[dt.date | None]) -> Vectors:
    days = np.array([d.toordinal() if d else np.nan for d in dates], dtype=np.float64)
    gaps = np.abs(days[:, None] - days[None, :])
    factor = 0.5 ** (np.maximum(gaps - _SAME_DAYS, 0.0) / _DATE_HALF_LIFE_DAYS)
    # An undated article says nothing about when: no penalty.
    known: Vectors = np.nan_to_num(factor, nan=1.0).astype(np.float32)
    return known


def average_link(similarity: Vectors, threshold: float) -> list[list[int]]:
    """Agglomerative clustering: join the closest pair of groups while their mean
    similarity reaches `threshold`. Quadratic in memory, cubic at worst in time: meant for
    a day's articles (hundreds), not for claims."""
    groups: dict[int, list[int]] = {i: [i] for i in range(len(similarity))}
    # Sum of pairwise similarities between groups; mean = sum / (size_a * size_b).
    sums = similarity.astype(np.float64).copy()
    np.fill_diagonal(sums, -np.inf)
    active = np.ones(len(similarity), dtype=bool)
    sizes = np.ones(len(similarity), dtype=np.float64)
    while active.sum() > 1:
        means = sums / np.outer(sizes, sizes)
        means[~active, :] = -np.inf
        means[:, ~active] = -np.inf
        first, second = np.unravel_index(int(np.argmax(means)), means.shape)
        if means[first, second] < threshold:
            break
        keep, drop = int(min(first, second)), int(max(first, second))
        groups[keep].extend(groups.pop(drop))
        sums[keep, :] += sums[drop, :]
        sums[:, keep] += sums[:, drop]
        sums[keep, keep] = -np.inf
        sizes[keep] += sizes[drop]
        active[drop] = False
    return [sorted(members) for members in groups.values()]


def _words(text: str) -> list[str]:
    return [
        word
        for word in (match.lower().strip(".,'") for match in _WORD.findall(text))
        if word and word not in _STOPWORDS
    ]
