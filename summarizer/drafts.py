"""What the model returns for one chunk: one entry per sentence, built as a schema per chunk.

Measured on the embedded 1.5B model under a grammar: a free list of claims came back
empty, with one item, or with one claim repeated fifteen times. One required entry per
sentence, opened by the sentence itself pinned as a constant, keeps the model aligned
with the text, makes it consider every sentence once, and makes every quote verbatim.
Optional objects are skipped by a small model, so a sentence that states a figure gets a
required `quantity`, decided by deterministic code.

Validators carry the semantic checks, so instructor re-asks with a precise message: a
quote that is not the sentence, a figure not written in the sentence, a date not ISO.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator

from summarizer.models import PARTIAL_DATE_PATTERN, EventType, Polarity, Qualifier
from summarizer.quotes import locate_quote
from summarizer.sentences import Sentence

NO_EVENT = "none"
# "unknown" is left out: offered it, the small model answered it for every sentence.
DraftCertainty = Literal["certain", "probable", "possible"]
_PARTIAL_DATE = re.compile(PARTIAL_DATE_PATTERN)


def _check_date(value: str | None) -> str | None:
    if value is not None and not _PARTIAL_DATE.match(value):
        raise ValueError(f"date {value!r} must be YYYY-MM-DD, YYYY-MM or YYYY, or null")
    return value


class _Draft(BaseModel):
    model_config = ConfigDict(extra="ignore")


class QuantityDraft(_Draft):
    text: str = Field(description="The figure exactly as written, e.g. 'at least 300 homes'.")
    value: float = Field(description="The number (for a range, its low end).")
    low: float | None = None
    high: float | None = None
    unit: str
    counted: str = Field(description="What is counted, e.g. 'homes flooded'.")
    qualifier: Qualifier
    as_of: str | None = Field(default=None, pattern=PARTIAL_DATE_PATTERN)

    _as_of = field_validator("as_of")(_check_date)


class SentenceDraft(_Draft):
    """The facts of one sentence; `quote` is the sentence itself."""

    quote: str
    claimant: str = Field(description="Who the sentence names as its source, or 'unattributed'.")
    subject: str
    predicate: str
    object: str
    certainty: DraftCertainty
    polarity: Polarity

    @field_validator("quote")
    @classmethod
    def _quote_in_text(cls, quote: str, info: ValidationInfo) -> str:
        chunk_text = (info.context or {}).get(CHUNK_TEXT)
        if chunk_text is not None and locate_quote(chunk_text, quote) is None:
            raise ValueError(f"quote {quote!r} is not in the article; copy it word for word")
        return quote


class _Figure(_Draft):
    """Present on sentences that state a figure: the quantity is required."""

    quantity: QuantityDraft

    @field_validator("quantity")
    @classmethod
    def _figure_in_sentence(cls, quantity: QuantityDraft, info: ValidationInfo) -> QuantityDraft:
        sentence = info.data.get("quote")
        # Case may differ ("Thousands" opening the sentence); the figure is not shown as a quote.
        if sentence and locate_quote(sentence.lower(), quantity.text.lower()) is None:
            raise ValueError(
                f"quantity text {quantity.text!r} is not written in the sentence; "
                "copy the figure as written"
            )
        return quantity


class _Dated(_Draft):
    """Present on sentences that say when: they may report a timeline event."""

    event: EventType | Literal["none"] = Field(description="Type of event reported, or 'none'.")
    date: str | None = Field(default=None, pattern=PARTIAL_DATE_PATTERN)

    _date = field_validator("date")(_check_date)


# The key under which extraction passes the chunk's text to the validators.
CHUNK_TEXT = "chunk_text"


def sentence_key(index: int) -> str:
    """The JSON key of the sentence numbered `index` (from 1), as shown in the prompt."""
    return f"s{index}"


def response_model_for(sentences: Sequence[Sentence]) -> type[BaseModel]:
    """A response model with one required entry per sentence, opened by the sentence itself.

    Sentences with a figure must carry a quantity; sentences that say when carry an event
    type (or "none") and a date.
    """
    fields: dict[str, Any] = {}
    for index, sentence in enumerate(sentences, start=1):
        bases: tuple[type[_Draft], ...] = (SentenceDraft,)
        if sentence.has_figure:
            bases += (_Figure,)
        if sentence.has_time:
            bases += (_Dated,)
        fields[sentence_key(index)] = (
            create_model(
                f"Sentence{index}",
                __base__=_combined(bases),
                quote=(_pinned(sentence.text), ...),
            ),
            ...,
        )
    return create_model("ChunkFacts", __base__=_Draft, **fields)


def _pinned(text: str) -> Any:
    """A type that admits exactly `text`: a grammar constant, and a validation check."""
    return cast(Any, Literal).__getitem__(text)


@cache
def _combined(bases: tuple[type[_Draft], ...]) -> type[_Draft]:
    if len(bases) == 1:
        return bases[0]
    # Field order is generation order: the sentence's own fields first, then the extras.
    return type("".join(b.__name__.strip("_") for b in bases), tuple(reversed(bases)), {})
