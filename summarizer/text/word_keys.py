"""One key per word, whatever its inflection: "fell", "fallen" and "falling" share one."""

from __future__ import annotations

from functools import lru_cache

import simplemma
import snowballstemmer

from summarizer.text.words import REPORTING_VERBS

_STEMMER = snowballstemmer.stemmer("english")


# Few distinct words recur across thousands of items; reducing each again was a tenth of
# merging a 10k pile.
@lru_cache(maxsize=8192)
def word_key(word: str) -> str:
    """The Snowball stem of the word's lemma ("died", "dies", "dying" -> "die")."""
    lemma = simplemma.lemmatize(word.lower(), lang="en")
    stem: str = _STEMMER.stemWord(lemma)
    return stem


_REPORTING_KEYS = frozenset(word_key(verb) for verb in REPORTING_VERBS)


def is_reporting_verb(word: str) -> bool:
    """Whether `word` tells who said something ("told", "says", "reported"), in any form."""
    return bool(word) and word_key(word) in _REPORTING_KEYS
