"""What the model returns for one chunk: one entry per sentence, built as a schema per chunk.

Measured on the embedded 1.5B model under a grammar: a free list of claims came back
empty, with one item, or with one claim repeated fifteen times. One required entry per
sentence, opened by the sentence's first words pinned as a constant, keeps the model
aligned with the text and makes it consider every sentence once. (Without a pinned opening
the model drifted: its entry "s6" described sentence 8, and it wrote the whole clause as
the subject.) The whole sentence was pinned before: 22% of every answer's tokens, forced
but each still a forward pass; its first words anchor the entry as well (docs/performance.md
has the gold check before and after).

Every output token costs a forward pass, so beyond that anchor the model writes only what
code cannot know: who says it, the fact in three parts, one stance and the events. A
figure's text, numbers, qualifier and what it counts are read from the sentence
(numbers.py, figures.py); of a sentence with several figures the model picks the one its
fact is about, from the sentence's own figure phrases. Dates are read from the sentence
(dates.py): asked for one, the model answered null every time.
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
    model_validator,
)
from pydantic.json_schema import model_json_schema
from pydantic_core import PydanticCustomError

from summarizer.models import Certainty, EventType, Polarity
from summarizer.text.numbers import figure_spans
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
# How many of a sentence's words open its entry: enough to tell the sentences of a chunk
# apart and point the model at the right one, in under half a whole sentence's tokens.
OPENING_WORDS = 5
_WORDS = re.compile(r"\S+")


class _Draft(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Happening(_Draft):
    """One thing the sentence reports as having happened, named by the sentence's own word."""

    word: str = Field(description="The sentence's own verb or noun for it, e.g. 'flooded'.")
    type: EventType


class SentenceDraft(_Draft):
    """The facts of one sentence; `opening` is the sentence's first words, pinned per sentence."""

    opening: str
    claimant: str = Field(description="Who the sentence names as its source, or 'unattributed'.")
    subject: str
    predicate: str
    object: str
    stance: Stance
    events: list[Happening] = Field(max_length=MAX_EVENTS)


class _Figure(_Draft):
    """Present on sentences with several figures: the one the fact is about."""

    figure: str = Field(description="The figure the fact is about, as the sentence writes it.")


class _ChunkFacts(_Draft, ResponseSchema):
    """Base of every chunk's answer model.

    Already an instructor `ResponseSchema`, so instructor need not wrap it in a new class
    per request, and its JSON Schema is built once and shared by the cache key and the
    request: both cost more client time than sending the request itself.
    """

    # The chunk's sentences, in order: entry sN must open with the Nth's first words. Set on
    # each chunk's own model (see response_model_for); the JSON Schema pins the openings as
    # constants and offers each sentence's own words and figures.
    sentences: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _openings_are_the_sentences(self) -> Self:
        for index, text in enumerate(self.sentences, start=1):
            key = sentence_key(index)
            expected = opening_of(text)
            if getattr(self, key).opening != expected:
                raise PydanticCustomError(
                    "literal_error",
                    "{key}.opening should be exactly {expected}",
                    {"key": key, "expected": repr(expected)},
                )
        return self

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        return schema_of(cls)


def opening_of(sentence: str) -> str:
    """The sentence's first `OPENING_WORDS` words, as written: the constant its entry opens with."""
    words = list(_WORDS.finditer(sentence))
    if len(words) <= OPENING_WORDS:
        return sentence
    return sentence[: words[OPENING_WORDS - 1].end()]


def figure_choices(sentence: str) -> tuple[str, ...]:
    """The figure phrases of a sentence, each once, in order: the choices its entry offers
    when there are two or more (with one, the figure is known without asking)."""
    return tuple(dict.fromkeys(sentence[start:end] for start, end in figure_spans(sentence)))


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


def happening_words(sentence: str) -> tuple[str, ...]:
    """The sentence's `event_words` less the words of names: an event named "North" (of
    "North Korea"), "DPRK" or "Friday" says who, where or when, not what happened. On the
    seeds the model named 80 events "North", the first word offered by most sentences.

    A name is a capitalised word inside the sentence, or its first word when the next one
    is capitalised too ("North Korea has sent"); a first word alone ("Troops were sent")
    may be anything, and so may every word of a headline, where every word longer than
    three letters is capitalised ("British Climber Killed In Fall").
    """
    words = list(_WORD.finditer(sentence))
    if all(m.group()[0].isupper() for m in words if len(m.group()) > 3):
        return event_words(sentence)
    names: set[str] = set()
    for index, match in enumerate(words):
        if not match.group()[0].isupper():
            continue
        following = words[index + 1].group() if index + 1 < len(words) else ""
        if index > 0 or following[:1].isupper():
            names.add(match.group())
    return tuple(word for word in event_words(sentence) if word not in names)


def sentence_key(index: int) -> str:
    """The JSON key of the sentence numbered `index` (from 1), as shown in the prompt."""
    return f"s{index}"


def response_model_for(sentences: Sequence[Sentence]) -> type[BaseModel]:
    """A response model with one required entry per sentence, in the sentences' order.

    Each entry opens with its sentence's first words, pinned. A sentence with several
    figures also names the one its fact is about.
    """
    return _model_for(tuple(s.text for s in sentences))


# Bounded: every chunk's model is new (its sentences are pinned), a long run makes thousands.
@lru_cache(maxsize=256)
def _model_for(sentences: tuple[str, ...]) -> type[_ChunkFacts]:
    # A subclass of the model for the chunk's shape (which sentences have several figures),
    # which is built once: a model built from scratch per chunk, with each opening a
    # Literal, cost 3 ms of client time per request (docs/performance.md).
    shaped = _shaped_model(tuple(len(figure_choices(text)) > 1 for text in sentences))
    namespace = {
        "__module__": __name__,
        "__qualname__": shaped.__qualname__,
        "sentences": sentences,
    }
    metaclass: Any = type(shaped)
    return cast(type[_ChunkFacts], metaclass(shaped.__name__, (shaped,), namespace))


@lru_cache(maxsize=64)
def _shaped_model(several_figures: tuple[bool, ...]) -> type[_ChunkFacts]:
    fields: dict[str, Any] = {
        sentence_key(index): (_entry_model(index, figures), ...)
        for index, figures in enumerate(several_figures, start=1)
    }
    return create_model("ChunkFacts", __base__=_ChunkFacts, **fields)


@cache
def _entry_model(index: int, several_figures: bool) -> type[_Draft]:
    base = _WithFigure if several_figures else SentenceDraft
    return create_model(f"Sentence{index}", __base__=base, opening=(str, ...))


class _WithFigure(_Figure, SentenceDraft):
    """A sentence's fields, then the figure: field order is generation order."""


def valid_entries(entries: dict[str, Any], response_model: type[BaseModel]) -> dict[str, BaseModel]:
    """Each sentence entry of an answer that is valid on its own and opens its sentence.

    One bad entry does not lose the chunk's other sentences.
    """
    sentences = response_model.sentences if issubclass(response_model, _ChunkFacts) else ()
    kept: dict[str, BaseModel] = {}
    for index, (key, field) in enumerate(response_model.model_fields.items()):
        entry_model = field.annotation
        if not (isinstance(entry_model, type) and issubclass(entry_model, BaseModel)):
            continue
        try:
            entry = entry_model.model_validate(entries.get(key))
        except ValidationError:
            continue
        if index < len(sentences) and getattr(entry, "opening", None) != opening_of(
            sentences[index]
        ):
            continue
        kept[key] = entry
    return kept


@lru_cache(maxsize=256)
def schema_of(response_model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of a response model, built once per model (never mutate it)."""
    if issubclass(response_model, _ChunkFacts):
        return _chunk_schema(response_model)
    return model_json_schema(response_model)


def _chunk_schema(response_model: type[_ChunkFacts]) -> dict[str, Any]:
    """The schema pydantic writes for the chunk's model, put together from its entries'.

    Each opening is a constant, as pydantic writes a Literal (a grammar constant for
    llama.cpp), and the words and figures a sentence offers are its own. pydantic's own
    generator took 1.8 ms for a three-sentence chunk, more than sending its request; the
    entries' schemas are built once. tests/test_drafts.py holds the result to pydantic's,
    byte for byte.
    """
    definitions: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for index, (key, field) in enumerate(response_model.model_fields.items()):
        entry_model = cast(type[BaseModel], field.annotation)
        entry = dict(_entry_schema(entry_model))
        entry_definitions = dict(entry.pop("$defs", {}))
        if index < len(response_model.sentences):
            sentence = response_model.sentences[index]
            own = dict(entry["properties"])
            own["opening"] = {"const": opening_of(sentence), **own["opening"]}
            if "figure" in own:
                own["figure"] = _pinned_choices(own["figure"], figure_choices(sentence))
            words = event_words(sentence)
            if words:
                # Each sentence offers its own words: a Happening model of its own.
                name = f"{Happening.__name__}{index + 1}"
                happening = entry_definitions.pop(Happening.__name__)
                definitions[name] = {
                    "properties": {
                        **happening["properties"],
                        "word": _pinned_choices(happening["properties"]["word"], words),
                    },
                    "required": happening["required"],
                    "title": name,
                    "type": "object",
                }
                own["events"] = {**own["events"], "items": {"$ref": f"#/$defs/{name}"}}
            entry["properties"] = own
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


def _pinned_choices(field: dict[str, Any], choices: Sequence[str]) -> dict[str, Any]:
    # As pydantic writes a string field that is a Literal: one value is a constant (written
    # first), several an enum (written after the description).
    rest = {key: value for key, value in field.items() if key != "type"}
    if len(choices) == 1:
        return {"const": choices[0], **rest, "type": "string"}
    pinned = {"description": rest.pop("description"), "enum": list(choices), **rest}
    pinned["type"] = "string"
    return pinned


@cache
def _entry_schema(entry_model: type[BaseModel]) -> dict[str, Any]:
    # Entry models are few (one per position and kind of sentence), so all are kept.
    return model_json_schema(entry_model)
