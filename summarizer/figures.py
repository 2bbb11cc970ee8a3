"""Where a figure sits in its sentence: the noun it counts and the verb that measures it.

The ledger groups figures about the same counted thing. A small model's own label for
what is counted is often generic ("number", "amount"), so the slot is read from the
verified sentence instead: in "about 20 tonnes of acid leaked", the figure counts
`tonne` and is measured by `leaked`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CASUALTY_WORDS = frozenset(
    "killed dead died deaths death injured wounded hurt hospitalised hospitalized "
    "casualties casualty missing captured".split()
)
_CANONICAL_NOUNS = {
    **dict.fromkeys(
        "people persons person workers worker residents resident civilians civilian "
        "individuals employees staff colleagues colleague patients patient".split(),
        "people",
    ),
    **dict.fromkeys("troops troop soldiers soldier personnel servicemen".split(), "troops"),
    **dict.fromkeys("tonnes tonne tons ton metric".split(), "tonne"),
}
_SKIPPED = frozenset(
    "of the a an more than some about around nearly almost over under at least up to as many "
    "much".split()
)
_IRREGULAR_VERBS = frozenset("sent left fled hurt dead died lost held made built".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
# How far after the figure the measuring verb may stand.
_VERB_WINDOW = 8


@dataclass(frozen=True)
class FigureContext:
    """What a figure counts (`noun`) and how (`measures`), read from its sentence."""

    noun: str
    measures: tuple[str, ...]

    @property
    def slot(self) -> tuple[str, str]:
        """Figures with equal slots count the same thing; casualty measures share a slot."""
        first = self.measures[0] if self.measures else ""
        return (self.noun, "casualty" if first in CASUALTY_WORDS else first)

    @property
    def casualty_measures(self) -> frozenset[str]:
        return frozenset(m for m in self.measures if m in CASUALTY_WORDS)


def figure_context(figure_text: str, sentence: str, *, fallback_verb: str = "") -> FigureContext:
    """Read the counted noun and measuring verbs of `figure_text` in `sentence`."""
    lowered = sentence.lower()
    position = lowered.find(figure_text.lower())
    figure_words = [w.lower() for w in _WORD.findall(figure_text)]
    after = _WORD.findall(lowered[position + len(figure_text) :]) if position >= 0 else []
    candidates = [w for w in figure_words if w not in _SKIPPED and not _is_number_word(w)]
    candidates += [w for w in after if w not in _SKIPPED]
    noun = _canonical(candidates[0]) if candidates else ""
    measures = tuple(w for w in (x.lower() for x in after[:_VERB_WINDOW]) if _is_measuring_verb(w))
    if not measures and fallback_verb:
        verbs = [w.lower() for w in _WORD.findall(fallback_verb)]
        measures = tuple(w for w in verbs if _is_measuring_verb(w)) or tuple(verbs[-1:])
    return FigureContext(noun=noun, measures=measures)


def _is_measuring_verb(word: str) -> bool:
    return (
        word in CASUALTY_WORDS
        or word in _IRREGULAR_VERBS
        or (len(word) > 3 and word.endswith("ed"))
    )


def _is_number_word(word: str) -> bool:
    return word in {
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "hundred",
        "hundreds",
        "thousand",
        "thousands",
        "million",
        "millions",
        "billion",
        "dozen",
        "dozens",
    }


def _canonical(word: str) -> str:
    if word in _CANONICAL_NOUNS:
        return _CANONICAL_NOUNS[word]
    return word[:-1] if word.endswith("s") and len(word) > 3 else word
