"""Brief an article once when it arrives more than once, and keep every outlet that carried it.

Two articles are the same article when they have the same canonical URL (after
`normalize_url`), the same text (the same id) or the same words, or when one is a
syndicated near-copy of the other (`is_near_copy`): every sentence of one is in the
other, which may add lines (a credit, a subscription note). Two versions that differ in
one sentence ("1,200 evacuated" updated to "4,500") are two articles: folding them would
hide the figure that changed, so both are briefed and the ledger shows the difference.
Copies are grouped transitively; each group keeps one article, in the position where the
group first arrived, and lists the others in `also_carried_by`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import courlan

from summarizer.models import Article, Carrier
from summarizer.text.sentences import split_sentences
from summarizer.text.union_find import UnionFind

# Near-copy rule: the texts' 5-word shingles (lowercase words, punctuation ignored). The
# shorter text is a near-copy of the longer one when at least 80% of its shingles occur in
# the longer one and it is at least half as long. On the test site the wire copy (credit
# line, other headline) holds all of the original's shingles, while two outlets' own
# reports of the same closure, naming the same pier and figures, share 9%.
SHINGLE_WORDS = 5
NEAR_COPY_CONTAINMENT = 0.8
MIN_LENGTH_RATIO = 0.5
# Below this many shingles (about 14 words) overlap says little: only identical words count.
MIN_SHINGLES = 10
# The shingle test only finds candidates cheaply; a copy must then hold every sentence of
# the shorter text, word for word (case and punctuation aside).

_WORD = re.compile(r"\w+")
_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")

_Shingle = tuple[str, ...]


def normalize_url(url: str) -> str:
    """The form of a URL used to compare addresses.

    courlan's normalization (trafilatura's own: scheme and host lowercased, default port
    dropped, query parameters sorted, tracking parameters such as `utm_*`, `fbclid`, `ref`,
    `mc_cid` and `_ga` removed), then without the fragment and a trailing slash.

    Args:
        url: An absolute URL.

    Returns:
        The normalized URL.
    """
    parts = urlsplit(courlan.normalize_url(url.strip(), trailing_slash=False))
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), parts.query, ""))


def is_near_copy(a: str, b: str) -> bool:
    """Tell whether two article texts are the same article, one perhaps a syndicated copy.

    True when their words are identical, or when the shorter text (at least `MIN_SHINGLES`
    5-word shingles, and at least half as long as the other) has 80% or more of its shingles
    in the longer one and every one of its sentences is in the longer one. An added credit
    line, a changed headline or a trimmed ending keep a copy a copy; a changed sentence, or
    another outlet's own report of the same event, does not.

    Args:
        a: One article's text.
        b: The other article's text.
    """
    words_a, words_b = _words(a), _words(b)
    if words_a and words_a == words_b:
        return True
    shingles_a, shingles_b = _shingles(words_a), _shingles(words_b)
    return _overlap_is_copy(
        len(shingles_a & shingles_b), len(shingles_a), len(shingles_b)
    ) and _holds_every_sentence(_sentence_keys(a), _sentence_keys(b))


def dedupe_articles(articles: Sequence[Article]) -> list[Article]:
    """Keep one article per group of copies, in the position where the group first arrived.

    The kept article lists every other copy in `also_carried_by` (outlet, title, URL and
    path), followed by the copies those carried; a carrier identical to the kept article or
    to an earlier carrier is listed once. The kept article is the first to arrive, unless
    copies share a canonical URL and one of them is by the outlet that URL names (the
    original a syndicated copy points at): that one is kept.

    Args:
        articles: Articles in arrival order.

    Returns:
        The deduplicated articles; articles without copies are returned unchanged.
    """
    groups = UnionFind(len(articles))
    keys: dict[int, frozenset[tuple[str, ...]]] = {}

    def sentence_keys(index: int) -> frozenset[tuple[str, ...]]:
        if index not in keys:
            keys[index] = _sentence_keys(articles[index].text)
        return keys[index]

    first_with_url: dict[str, int] = {}
    first_with_id: dict[str, int] = {}
    first_with_words: dict[tuple[str, ...], int] = {}
    by_shingle: defaultdict[_Shingle, list[int]] = defaultdict(list)
    shingle_counts: list[int] = []
    for index, article in enumerate(articles):
        for address in {article.url, article.canonical_url} - {None}:
            assert address is not None
            groups.union(index, first_with_url.setdefault(normalize_url(address), index))
        groups.union(index, first_with_id.setdefault(article.id, index))
        words = _words(article.text)
        if words:
            groups.union(index, first_with_words.setdefault(tuple(words), index))
        shingles = _shingles(words)
        # Only articles sharing a shingle are compared, so the cost grows with the
        # shingles articles have in common, not with the number of pairs.
        shared: Counter[int] = Counter()
        for shingle in shingles:
            shared.update(by_shingle[shingle])
            by_shingle[shingle].append(index)
        for other, count in shared.items():
            if _overlap_is_copy(
                count, len(shingles), shingle_counts[other]
            ) and _holds_every_sentence(sentence_keys(index), sentence_keys(other)):
                groups.union(index, other)
        shingle_counts.append(len(shingles))
    # Groups come out in arrival order, each in the position of its first copy.
    return [_merge([articles[i] for i in group]) for group in groups.groups()]


def _merge(copies: list[Article]) -> Article:
    if len(copies) == 1:
        return copies[0]
    kept = _original(copies)
    carriers: list[Carrier] = []
    seen = {_carrier_key(_carrier(kept))}
    candidates = list(kept.also_carried_by)
    for copy in copies:
        if copy is not kept:
            candidates += [_carrier(copy), *copy.also_carried_by]
    for carrier in candidates:
        key = _carrier_key(carrier)
        if key not in seen:
            seen.add(key)
            carriers.append(carrier)
    return kept.model_copy(update={"also_carried_by": carriers})


def _original(copies: list[Article]) -> Article:
    # The copy read from the address the others call canonical is the original.
    canonical = {normalize_url(c.canonical_url) for c in copies if c.canonical_url}
    for copy in copies:
        if copy.url and normalize_url(copy.url) in canonical:
            return copy
    # Local files know no address of their own: the outlet the canonical URL names.
    url_counts = Counter(normalize_url(copy.url) for copy in copies if copy.url)
    for copy in copies:
        if copy.url and url_counts[normalize_url(copy.url)] > 1 and _outlet_named_in(copy):
            return copy
    return copies[0]


def _outlet_named_in(article: Article) -> bool:
    parts = urlsplit(article.url or "")
    address = _ALPHANUMERIC.sub("", f"{parts.hostname or ''}{parts.path}".lower())
    outlet = _ALPHANUMERIC.sub("", article.outlet.lower())
    names = {outlet, outlet.removeprefix("the")}
    return any(len(name) >= 3 and name in address for name in names)


def _carrier(article: Article) -> Carrier:
    return Carrier(outlet=article.outlet, title=article.title, url=article.url, path=article.path)


def _carrier_key(carrier: Carrier) -> tuple[str, str, str | None, str | None]:
    url = normalize_url(carrier.url) if carrier.url else None
    return (carrier.outlet, carrier.title, url, carrier.path)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _shingles(words: list[str]) -> set[_Shingle]:
    return {
        tuple(words[start : start + SHINGLE_WORDS])
        for start in range(max(len(words) - SHINGLE_WORDS + 1, 0))
    }


def _overlap_is_copy(shared: int, size_a: int, size_b: int) -> bool:
    smaller, larger = sorted((size_a, size_b))
    if smaller < MIN_SHINGLES or smaller < MIN_LENGTH_RATIO * larger:
        return False
    return shared >= NEAR_COPY_CONTAINMENT * smaller


def _sentence_keys(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(
        words for sentence in split_sentences(text) if (words := tuple(_words(sentence.text)))
    )


def _holds_every_sentence(
    first: frozenset[tuple[str, ...]], second: frozenset[tuple[str, ...]]
) -> bool:
    smaller, larger = sorted((first, second), key=len)
    return smaller <= larger
