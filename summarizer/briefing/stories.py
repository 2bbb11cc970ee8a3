"""Stories: cluster a day's articles into the stories they tell, before anything is merged.

Claims of different stories never merge, and the briefing gives each story its own section.
Two articles tell the same story when their words and, above all, the names and figures
they mention are close, each weighted by how rare it is in the day's pile (TF-IDF).
Look-alike stories (two earthquakes, two arrests of players of one team) share their common
words ("earthquake", "arrested", the team); the names that tell them apart (the two players)
are rarer, so names count twice, as single words and as pairs of words, with their rarity
squared. A possessive ends a name and is dropped, so "Reyes's" counts as "Reyes". Articles
published days apart are less likely one story. Groups are joined by average link: a group
joins another only when its articles are close to that group's articles on average.

Rarity alone cannot part two look-alikes when the later story recalls the earlier one's
protagonist in passing. What parts them is who each story is about: a name that every
article of a group repeats, which the other group mentions much less often. Two groups
whose protagonists are each other's passing mentions are two stories, however close their
words. (Joining articles left alone to their closest group was tried: it also drew a lone
article of a look-alike story into its sibling, so it is not done.)

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
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from summarizer.models import Article

__all__ = ["STORY_SIMILARITY", "cluster_stories", "tfidf_vectors"]

# The average similarity above which two groups of articles are one story.
STORY_SIMILARITY = 0.14
# Rarity is judged as if the day's pile came with this many articles about other things.
# Within the pile alone, five articles of one story make its own words ("climber",
# "avalanche") common, hence worthless, and split it; a pile of hundreds barely changes.
# Measured on ECB+ dev one topic at a time and as one pile, and on BASIL (docs/merging.md).
_BACKGROUND_ARTICLES = 80
# Names and figures against words, in the similarity of two articles.
_NAME_WEIGHT = 2.0
# Within this many days of each other, articles' dates say nothing; beyond, similarity
# halves every _DATE_HALF_LIFE_DAYS.
_SAME_DAYS = 3
_DATE_HALF_LIFE_DAYS = 7.0
# A group's protagonist is named in every one of its articles, this many times per article
# on average; a group mentioning it less than _PASSING_SHARE as often only names it in
# passing.
_PROTAGONIST_MENTIONS = 2.0
_PASSING_SHARE = 0.25
_STOPWORDS = frozenset(
    "a an the of to in on at by for from with and or as is are was were be been being has have "
    "had that this these those it its their there said says according he she they his her them "
    "we our you your i not no but if so than then also after before about into over more most "
    "will would could can may might who which what when where while up out new one two".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+|\d[\d,.]*")
# A capitalised word may end in an apostrophe, straight or curly (a possessive).
_CAPITALISED = r"[A-Z][a-zA-Z'\u2019-]*[a-zA-Z]['\u2019]?"
_NAME = re.compile(rf"\b{_CAPITALISED}(?:\s+{_CAPITALISED})*")
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_FIGURE = re.compile(r"\b\d[\d,.]*\d\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?\n]\s*)$")

Vectors = npt.NDArray[np.float32]
Counts = npt.NDArray[np.float64]
Apart = Callable[[Sequence[int], Sequence[int]], bool]


def cluster_stories(
    articles: Sequence[Article], *, threshold: float = STORY_SIMILARITY
) -> list[list[int]]:
    """Groups of article indices, one per story, largest first (ties: first article first)."""
    if not articles:
        return []
    texts = [f"{article.title}\n{article.text}" for article in articles]
    runs = [_name_runs(text) for text in texts]
    words = tfidf_vectors(texts, background=_BACKGROUND_ARTICLES)
    names = _weighted_vectors(
        [_names_and_figures(text, text_runs) for text, text_runs in zip(texts, runs, strict=True)],
        idf_power=2,
        background=_BACKGROUND_ARTICLES,
    )
    named = names.any(axis=1)
    # Names weigh in only where both articles mention some; short texts may mention none.
    both_named = np.outer(named, named)
    similarity = words @ words.T
    similarity = np.where(
        both_named, (similarity + _NAME_WEIGHT * (names @ names.T)) / (1 + _NAME_WEIGHT), similarity
    ).astype(np.float32)
    similarity *= _date_factor([article.published for article in articles])
    mentions = _head_mentions(runs)
    groups = average_link(
        similarity,
        threshold,
        apart=lambda first, second: _different_protagonists(mentions, first, second),
    )
    return sorted(groups, key=lambda members: (-len(members), members[0]))


def tfidf_vectors(texts: Sequence[str], *, background: int = 0) -> Vectors:
    """Unit TF-IDF vectors (sublinear term frequency, smoothed IDF) over the texts' words;
    `background` more documents, none with any of the words, count in the IDF."""
    return _weighted_vectors(
        [Counter(_words(text)) for text in texts], idf_power=1, background=background
    )


def _weighted_vectors(
    documents: Sequence[Counter[str]], *, idf_power: int, background: int
) -> Vectors:
    frequency = Counter(term for document in documents for term in document)
    vocabulary = {term: index for index, term in enumerate(sorted(frequency))}
    count = len(documents)
    total = 1 + count + background
    idf = {t: (math.log(total / (1 + df)) + 1.0) ** idf_power for t, df in frequency.items()}
    vectors = np.zeros((count, len(vocabulary)), dtype=np.float32)
    for row, document in enumerate(documents):
        for term, tf in document.items():
            vectors[row, vocabulary[term]] = (1.0 + math.log(tf)) * idf[term]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    normalised: Vectors = vectors / np.maximum(norms, 1e-12)
    return normalised


def _name_runs(text: str) -> list[list[str]]:
    """The names a text mentions, each as its lower-cased words without stop words.

    A name is a run of capitalised words. A possessive ends it ("Hawks' Omar Reyes" is two
    names) and is dropped ("Reyes's" is "reyes"); a single capitalised word that opens a
    sentence is not taken for a name.
    """
    runs: list[list[str]] = []
    for match in _NAME.finditer(text):
        opens_sentence = bool(
            _SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()])
        )
        for number, name in enumerate(_split_at_possessives(match.group().split())):
            words = [word.lower() for word in name if word.lower() not in _STOPWORDS]
            if words and not (len(words) == 1 and number == 0 and opens_sentence):
                runs.append(words)
    return runs


def _split_at_possessives(words: Sequence[str]) -> list[list[str]]:
    names: list[list[str]] = [[]]
    for word in words:
        names[-1].append(_POSSESSIVE.sub("", word))
        if _POSSESSIVE.search(word):
            names.append([])
    return [name for name in names if name]


def _names_and_figures(text: str, runs: Sequence[Sequence[str]]) -> Counter[str]:
    """The words of the text's names, pairs of them ("omar reyes"), and its figures."""
    terms: Counter[str] = Counter()
    for words in runs:
        terms.update(words)
        terms.update(" ".join(pair) for pair in itertools.pairwise(words))
    terms.update(_FIGURE.findall(text))
    return terms


def _head_mentions(runs: Sequence[Sequence[Sequence[str]]]) -> Counts:
    """How often each article mentions each name by its last word, for the last words of
    names of two words or more (a surname, a ship's name: not a lone "British" or "CNN")."""
    heads = [Counter(words[-1] for words in text_runs) for text_runs in runs]
    named = sorted({words[-1] for text_runs in runs for words in text_runs if len(words) > 1})
    columns = {head: column for column, head in enumerate(named)}
    counts = np.zeros((len(runs), len(columns)), dtype=np.float64)
    for row, article_heads in enumerate(heads):
        for head, mentions in article_heads.items():
            if head in columns:
                counts[row, columns[head]] = mentions
    return counts


def _different_protagonists(mentions: Counts, first: Sequence[int], second: Sequence[int]) -> bool:
    """Whether each of two groups has a protagonist that the other names only in passing."""
    # One article's most repeated name is too often an aside: only groups have protagonists.
    if len(first) < 2 or len(second) < 2:
        return False
    first_mentions, second_mentions = mentions[list(first)], mentions[list(second)]
    return _has_own_protagonist(first_mentions, second_mentions) and _has_own_protagonist(
        second_mentions, first_mentions
    )


def _has_own_protagonist(group: Counts, other: Counts) -> bool:
    """Whether a name is in every article of `group`, `_PROTAGONIST_MENTIONS` times per
    article on average, and `other` names it less than `_PASSING_SHARE` as often."""
    rate = group.mean(axis=0)
    protagonists = (group > 0).all(axis=0) & (rate >= _PROTAGONIST_MENTIONS)
    in_passing = other.mean(axis=0) < _PASSING_SHARE * rate
    return bool((protagonists & in_passing).any())


def _date_factor(dates: Sequence[dt.date | None]) -> Vectors:
    days = np.array([d.toordinal() if d else np.nan for d in dates], dtype=np.float64)
    gaps = np.abs(days[:, None] - days[None, :])
    factor = 0.5 ** (np.maximum(gaps - _SAME_DAYS, 0.0) / _DATE_HALF_LIFE_DAYS)
    # An undated article says nothing about when: no penalty.
    known: Vectors = np.nan_to_num(factor, nan=1.0).astype(np.float32)
    return known


def average_link(
    similarity: Vectors, threshold: float, *, apart: Apart | None = None
) -> list[list[int]]:
    """Agglomerative clustering: join the closest pair of groups while their mean
    similarity reaches `threshold`, unless `apart` says the two groups are different
    stories (then the next closest pair is tried). Quadratic in memory, cubic at worst in
    time: meant for a day's articles (hundreds), not for claims."""
    groups: dict[int, list[int]] = {i: [i] for i in range(len(similarity))}
    # Sum of pairwise similarities between groups; mean = sum / (size_a * size_b).
    sums = similarity.astype(np.float64).copy()
    np.fill_diagonal(sums, -np.inf)
    active = np.ones(len(similarity), dtype=bool)
    sizes = np.ones(len(similarity), dtype=np.float64)
    kept_apart = np.zeros((len(similarity), len(similarity)), dtype=bool)
    while active.sum() > 1:
        means = sums / np.outer(sizes, sizes)
        means[~active, :] = -np.inf
        means[:, ~active] = -np.inf
        means[kept_apart] = -np.inf
        first, second = np.unravel_index(int(np.argmax(means)), means.shape)
        if means[first, second] < threshold:
            break
        keep, drop = int(min(first, second)), int(max(first, second))
        if apart is not None and apart(groups[keep], groups[drop]):
            kept_apart[keep, drop] = kept_apart[drop, keep] = True
            continue
        groups[keep].extend(groups.pop(drop))
        sums[keep, :] += sums[drop, :]
        sums[:, keep] += sums[:, drop]
        sums[keep, keep] = -np.inf
        sizes[keep] += sizes[drop]
        active[drop] = False
        # The grown group is judged afresh against the groups its parts were kept apart from.
        kept_apart[keep, :] = kept_apart[:, keep] = False
    return [sorted(members) for members in groups.values()]


def _words(text: str) -> list[str]:
    return [
        word
        for word in (match.lower().strip(".,'") for match in _WORD.findall(text))
        if word and word not in _STOPWORDS
    ]
