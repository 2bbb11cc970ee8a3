"""Where a figure sits in its sentence: the noun it counts and the verb that measures it.

The ledger groups figures about the same counted thing. A small model's own label for
what is counted is often generic ("number", "amount"), so the slot is read from the
verified sentence instead: in "about 20 tonnes of acid leaked", the figure counts
`tonne` and is measured by `leaked`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from summarizer.text.sentences import NUMBER_WORDS
from summarizer.text.words import QUALIFIER_WORDS

CASUALTY_WORDS = frozenset(
    "killed dead died deaths death injured wounded hurt hospitalised hospitalized "
    "casualties casualty missing captured losses".split()
)
_CANONICAL_NOUNS = {
    **dict.fromkeys(
        "people persons person workers worker residents resident civilians civilian "
        "individuals employees staff colleagues colleague patients patient".split(),
        "people",
    ),
    **dict.fromkeys(
        "troops troop soldiers soldier personnel servicemen serviceman force forces fighters "
        "fighter".split(),
        "troops",
    ),
    **dict.fromkeys("tonnes tonne tons ton metric".split(), "tonne"),
}
# Nouns that count parts of what the noun after "of" names.
_PARTITIVES = frozenset("members member units unit contingents contingent groups group".split())
_SKIPPED = QUALIFIER_WORDS | frozenset("of the a an as many much its their his her elite".split())
_IRREGULAR_VERBS = frozenset("sent left fled hurt dead died lost held made built".split())
# Words that end the noun phrase a figure opens: "12,000 North Korean troops | have been",
# "two metres | overnight".
PHRASE_END = frozenset(
    "of have has had were was are is be been being will would could may might to in into on at "
    "from for with by and or but that which who since after before during across among "
    "said says according overnight today yesterday tonight tomorrow earlier later".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
# Verbs that measure the same thing: troops "sent", "dispatched" or "deployed" are one slot.
_CANONICAL_VERBS = {
    **dict.fromkeys("sent dispatched deployed transferred moved stationed".split(), "sent"),
    **dict.fromkeys("evacuated relocated displaced".split(), "evacuated"),
    **dict.fromkeys("supplied delivered shipped provided transported".split(), "supplied"),
}
# How far after the figure the measuring verb may stand, and how far before it.
_VERB_WINDOW = 8
_VERB_BEFORE = 3


@dataclass(frozen=True)
class FigureContext:
    """What a figure counts (`noun`) and how (`measures`), read from its sentence."""

    noun: str
    measures: tuple[str, ...]

    @property
    def slot(self) -> tuple[str, str]:
        """Figures with equal slots count the same thing; casualty measures share a slot."""
        first = self.measures[0] if self.measures else ""
        if first in CASUALTY_WORDS:
            return (self.noun, "casualty")
        return (self.noun, _CANONICAL_VERBS.get(first, first))

    @property
    def counted(self) -> str:
        """What the figure counts, in words ("tonnes leaked"); empty if the sentence says not."""
        return " ".join(filter(None, [plural(self.noun) if self.noun else "", *self.measures[:1]]))

    @property
    def casualty_measures(self) -> frozenset[str]:
        return frozenset(m for m in self.measures if m in CASUALTY_WORDS)


@lru_cache(maxsize=4096)
def figure_context(figure_text: str, sentence: str, *, verb: str = "") -> FigureContext:
    """Read the counted noun and measuring verbs of `figure_text` in `sentence`.

    `verb` is the claim's predicate: its words end the figure's noun phrase ("800 people |
    live"), and a measuring verb among them serves when the sentence shows none near the
    figure.
    """
    lowered = sentence.lower()
    position = lowered.find(figure_text.lower())
    verb_words = [w.lower() for w in _WORD.findall(verb)]
    figure_words = [w.lower() for w in _WORD.findall(figure_text)]
    # A predicate that repeats the figure ("north of half a million soldiers") is not the
    # verb after it: cut there, the phrase would lose its noun.
    if verb_words and figure_text.split()[0].lower() not in verb.lower().split():
        cut = next((i for i, w in enumerate(figure_words) if w in verb_words), len(figure_words))
        figure_words = figure_words[:cut]
    after = _WORD.findall(lowered[position + len(figure_text) :]) if position >= 0 else []
    noun = _head_noun(figure_words, [w.lower() for w in after])
    implied_measure = ""
    if not noun and position >= 0:
        noun, implied_measure = _noun_before(_WORD.findall(lowered[:position]))
    measures = tuple(w for w in (x.lower() for x in after[:_VERB_WINDOW]) if _is_measuring_verb(w))
    if not measures and position >= 0:
        # The verb may come first: "the council has evacuated 1,200 residents".
        before = _WORD.findall(lowered[:position])[-_VERB_BEFORE:]
        measures = tuple(w for w in reversed(before) if _is_measuring_verb(w))[:1]
    if not measures and implied_measure:
        # The sentence's own noun ("troop deployment", "death toll") before the model's
        # words: a predicate that copies the sentence carries words the window left out
        # ("... to 100,000 in case the war drags on with rising casualties").
        measures = (implied_measure,)
    if not measures:
        # The model's predicate only when it is a verb we know measures: its other verbs
        # ("formed", "marked") name no count.
        measures = tuple(w for w in verb_words if w in _CANONICAL_VERBS or w in CASUALTY_WORDS)
    return FigureContext(noun=noun, measures=measures)


# Between a noun and the figure that counts it: "the injured might exceed 30".
_BETWEEN_NOUN_AND_FIGURE = QUALIFIER_WORDS | frozenset(
    "might may could would will can exceed exceeds exceeded reach reached reaches total "
    "totalled totaled number numbered rise rose risen surge surged grow grew stand stood be is "
    "are was were been to as many much perhaps possibly".split()
)
# "its police deployment to 400": what is deployed is the word before, and it is sent.
_MEASURE_NOUNS = {"deployment": "sent", "deployments": "sent", "toll": "casualty"}


def _noun_before(before: list[str]) -> tuple[str, str]:
    """The noun a figure counts when it stands before the figure, and the measure that noun
    itself implies ("death toll": casualty)."""
    words = [w.lower() for w in before[-6:]]
    while words and words[-1] in _BETWEEN_NOUN_AND_FIGURE:
        words.pop()
    if not words or words[-1] in PHRASE_END:
        return "", ""
    noun = words[-1]
    if noun in _MEASURE_NOUNS and len(words) >= 2:
        return _canonical(words[-2]), _MEASURE_NOUNS[noun]
    return _canonical(noun), ""


def _head_noun(figure_words: list[str], after: list[str]) -> str:
    """The last word of the noun phrase the figure opens ("North Korean troops": troops);
    of a part, the whole it is part of ("40 members of its rescue crews": crews)."""
    phrase = [w for w in figure_words if w not in NUMBER_WORDS and w not in _SKIPPED]
    if not phrase:
        # "dozens of fish", "thousands of troops": the noun comes after "of".
        phrase = _noun_phrase(after[1:] if after[:1] == ["of"] else after)
    elif phrase[-1] in _PARTITIVES and after[:1] == ["of"]:
        phrase = _noun_phrase(after[1:]) or phrase
    return _canonical(phrase[-1]) if phrase else ""


def _noun_phrase(words: list[str]) -> list[str]:
    phrase: list[str] = []
    for word in words:
        if word in PHRASE_END or _is_measuring_verb(word):
            break
        if word not in _SKIPPED:
            phrase.append(word)
    return phrase


def _is_measuring_verb(word: str) -> bool:
    return (
        word in CASUALTY_WORDS
        or word in _IRREGULAR_VERBS
        or (len(word) > 3 and word.endswith("ed"))
    )


def plural(noun: str) -> str:
    """The plural of a noun as `figure_context` names it (canonical, singular)."""
    return noun if noun in {"people", "troops"} else f"{noun}s"


def _canonical(word: str) -> str:
    if word in _CANONICAL_NOUNS:
        return _CANONICAL_NOUNS[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and len(word) > 3 else word
