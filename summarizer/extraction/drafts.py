"""What the model returns for one chunk: one entry per sentence, built as a schema per chunk.

Measured on the embedded 1.5B model under a grammar: a free list of claims came back
empty, with one item, or with one claim repeated fifteen times. One required entry per
sentence, opened by the sentence itself pinned as a constant, keeps the model aligned
with the text and makes it consider every sentence once. (Without the pinned sentence
the model drifted: its entry "s6" described sentence 8, and it wrote the whole clause as
the subject.) Optional objects are skipped by a small model, so a sentence that states a
figure gets a required `quantity`, decided by deterministic code.

Every output token costs a forward pass, so beyond that anchor the model writes only what
code cannot know: who says it, the fact in three parts, one stance, what a figure counts
and which figure it is, the event type and date. The figure's exact text, numbers and
qualifier are read from the sentence (numbers.py), so a loosely quoted figure is read,
not re-asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any, ClassVar, Literal, Self, cast

from instructor import ResponseSchema
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.json_schema import model_json_schema
from pydantic_core import PydanticCustomError

from summarizer.models import PARTIAL_DATE_PATTERN, Certainty, EventType, Polarity
from summarizer.text.sentences import Sentence

# Happenings one sentence may report ("arrested and charged" is two).
MAX_EVENTS = 3
# Certainty and polarity in one word, one field less to write. "unknown" is left out:
# offered it, the small model answered it for every sentence.
Stance = Literal["asserted", "probable", "possible", "denied"]
STANCES: dict[str, tuple[Certainty, Polarity]] = {
    "asserted": ("certain", "asserted"),
    "probable": ("probable", "asserted"),
    "possible": ("possible", "asserted"),
    "denied": ("certain", "denied"),
}
_PARTIAL_DATE = re.compile(PARTIAL_DATE_PATTERN)


def _check_date(value: str | None) -> str | None:
    if value is not None and not _PARTIAL_DATE.match(value):
        raise ValueError(f"date {value!r} must be YYYY-MM-DD, YYYY-MM or YYYY, or null")
    return value


class _Draft(BaseModel):
    model_config = ConfigDict(extra="ignore")


class QuantityDraft(_Draft):
    text: str = Field(description="The figure as written, e.g. 'at least 300 homes'.")
    unit: str
    counted: str = Field(description="What is counted, e.g. 'homes flooded'.")


class Happening(_Draft):
    """One thing the sentence reports as having happened, named by the sentence's own word."""

    word: str = Field(description="The sentence's own verb or noun for it, e.g. 'flooded'.")
    type: EventType


class SentenceDraft(_Draft):
    """The facts of one sentence; `quote` is the sentence itself, pinned per sentence."""

    quote: str
    claimant: str = Field(description="Who the sentence names as its source, or 'unattributed'.")
    subject: str
    predicate: str
    object: str
    stance: Stance
    events: list[Happening] = Field(max_length=MAX_EVENTS)


class _Figure(_Draft):
    """Present on sentences that state a figure: the quantity is required."""

    quantity: QuantityDraft


class _Dated(_Draft):
    """Present on sentences that say when: the date of what they report."""

    date: str | None = Field(default=None, pattern=PARTIAL_DATE_PATTERN)

    _date = field_validator("date")(_check_date)


class _ChunkFacts(_Draft, ResponseSchema):
    """Base of every chunk's answer model.

    Already an instructor `ResponseSchema`, so instructor need not wrap it in a new class
    per request, and its JSON Schema is built once and shared by the cache key and the
    request: both cost more client time than sending the request itself.
    """

    # The chunk's sentences, in order: entry sN must quote the Nth exactly. Set on each
    # chunk's own model (see response_model_for); the JSON Schema pins them as constants.
    pinned: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _quotes_are_the_sentences(self) -> Self:
        for index, text in enumerate(self.pinned, start=1):
            key = sentence_key(index)
            if getattr(self, key).quote != text:
                raise PydanticCustomError(
                    "literal_error",
                    "{key}.quote should be exactly {expected}",
                    {"key": key, "expected": repr(text)},
                )
        return self

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        return schema_of(cls)


# Words that never name a happening: articles, pronouns, auxiliaries, prepositions.
_NOT_EVENT_WORDS = frozenset(
    "a an the this that these those it its he she they them his her their him we our you i "
    "me my your who whom whose which what and or but nor so yet if as than then there here "
    "is are was were be been being am has have had having do does did will would shall should "
    "can could may might must not no never also to of by up out off in on at for with from "
    "into onto over under about after before during since until while through".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


def event_words(sentence: str) -> tuple[str, ...]:
    """The words of a sentence that may name what it reports as happening, as written,
    each once, in order: the choices the schema offers for an event's `word`."""
    words = (word for word in _WORD.findall(sentence) if word.lower() not in _NOT_EVENT_WORDS)
    return tuple(dict.fromkeys(words))


def sentence_key(index: int) -> str:
    """The JSON key of the sentence numbered `index` (from 1), as shown in the prompt."""
    return f"s{index}"


def response_model_for(sentences: Sequence[Sentence]) -> type[BaseModel]:
    """A response model with one required entry per sentence, in the sentences' order.

    Each entry's quote is pinned to its sentence. Sentences with a figure must carry a
    quantity; sentences that say when carry an event type (or "none") and a date.
    """
    return _model_for(tuple((s.text, s.has_figure, s.has_time) for s in sentences))


# Bounded: every chunk's model is new (its sentences are pinned), a long run makes thousands.
@lru_cache(maxsize=256)
def _model_for(shape: tuple[tuple[str, bool, bool], ...]) -> type[_ChunkFacts]:
    # A subclass of the model for the chunk's shape (which sentences have a figure or a
    # time), which is built once: a model built from scratch per chunk, with each quote
    # a Literal, cost 3 ms of client time per request (docs/performance.md).
    shaped = _shaped_model(tuple((has_figure, has_time) for _, has_figure, has_time in shape))
    pinned = tuple(text for text, _, _ in shape)
    namespace = {"__module__": __name__, "__qualname__": shaped.__qualname__, "pinned": pinned}
    metaclass: Any = type(shaped)
    return cast(type[_ChunkFacts], metaclass(shaped.__name__, (shaped,), namespace))


@lru_cache(maxsize=64)
def _shaped_model(flags: tuple[tuple[bool, bool], ...]) -> type[_ChunkFacts]:
    fields: dict[str, Any] = {
        sentence_key(index): (_entry_model(index, has_figure, has_time), ...)
        for index, (has_figure, has_time) in enumerate(flags, start=1)
    }
    return create_model("ChunkFacts", __base__=_ChunkFacts, **fields)


@cache
def _entry_model(index: int, has_figure: bool, has_time: bool) -> type[_Draft]:
    bases: tuple[type[_Draft], ...] = (SentenceDraft,)
    if has_figure:
        bases += (_Figure,)
    if has_time:
        bases += (_Dated,)
    return create_model(f"Sentence{index}", __base__=_combined(bases), quote=(str, ...))


def valid_entries(entries: dict[str, Any], response_model: type[BaseModel]) -> dict[str, BaseModel]:
    """Each sentence entry of an answer that is valid on its own, its quote its sentence.

    One bad entry does not lose the chunk's other sentences.
    """
    pinned = response_model.pinned if issubclass(response_model, _ChunkFacts) else ()
    kept: dict[str, BaseModel] = {}
    for index, (key, field) in enumerate(response_model.model_fields.items()):
        entry_model = field.annotation
        if not (isinstance(entry_model, type) and issubclass(entry_model, BaseModel)):
            continue
        try:
            entry = entry_model.model_validate(entries.get(key))
        except ValidationError:
            continue
        if index < len(pinned) and getattr(entry, "quote", None) != pinned[index]:
            continue
        kept[key] = entry
    return kept


@cache
def _combined(bases: tuple[type[_Draft], ...]) -> type[_Draft]:
    if len(bases) == 1:
        return bases[0]
    # Field order is generation order: the sentence's own fields first, then the extras.
    return type("".join(b.__name__.strip("_") for b in bases), tuple(reversed(bases)), {})


@lru_cache(maxsize=256)
def schema_of(response_model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of a response model, built once per model (never mutate it)."""
    if issubclass(response_model, _ChunkFacts):
        return _chunk_schema(response_model)
    return model_json_schema(response_model)


def _chunk_schema(response_model: type[_ChunkFacts]) -> dict[str, Any]:
    """The schema pydantic writes for the chunk's model, put together from its entries'.

    Each quote is a constant, as pydantic writes a Literal (a grammar constant for
    llama.cpp). pydantic's own generator took 1.8 ms for a three-sentence chunk, more than
    sending its request; the entries' schemas are built once. tests/test_drafts.py holds
    the result to pydantic's, byte for byte.
    """
    definitions: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for index, (key, field) in enumerate(response_model.model_fields.items()):
        entry_model = cast(type[BaseModel], field.annotation)
        entry = dict(_entry_schema(entry_model))
        entry_definitions = dict(entry.pop("$defs", {}))
        if index < len(response_model.pinned):
            sentence = response_model.pinned[index]
            quote = {"const": sentence, **entry["properties"]["quote"]}
            entry["properties"] = {**entry["properties"], "quote": quote}
            words = event_words(sentence)
            if words:
                # Each sentence offers its own words: a Happening model of its own.
                name = f"{Happening.__name__}{index + 1}"
                happening = entry_definitions.pop(Happening.__name__)
                definitions[name] = _pinned_words(happening, name, words)
                events = {**entry["properties"]["events"], "items": {"$ref": f"#/$defs/{name}"}}
                entry["properties"] = {**entry["properties"], "events": events}
        definitions.update(entry_definitions)
        definitions[entry_model.__name__] = entry
        properties[key] = {"$ref": f"#/$defs/{entry_model.__name__}"}
    return {
        "$defs": dict(sorted(definitions.items())),
        "properties": properties,
        "required": list(properties),
        "title": response_model.__name__,
        "type": "object",
    }


def _pinned_words(happening: dict[str, Any], name: str, words: Sequence[str]) -> dict[str, Any]:
    # As pydantic writes a subclass whose `word` is a Literal: one value is a constant
    # (written first), several an enum (written after the description).
    word = {key: value for key, value in happening["properties"]["word"].items() if key != "type"}
    if len(words) == 1:
        pinned = {"const": words[0], **word, "type": "string"}
    else:
        pinned = {"description": word.pop("description"), "enum": list(words), **word}
        pinned["type"] = "string"
    return {
        "properties": {**happening["properties"], "word": pinned},
        "required": happening["required"],
        "title": name,
        "type": "object",
    }


@cache
def _entry_schema(entry_model: type[BaseModel]) -> dict[str, Any]:
    # Entry models are few (one per position and kind of sentence), so all are kept.
    return model_json_schema(entry_model)
