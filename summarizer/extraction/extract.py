"""Extract: ask the model for events and claims, chunk by chunk, for one article.

The result keeps the model's proposed quotes as unverified evidence; grounding comes next.
One chunk that fails is a warning on the article, not the end of the article.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from summarizer.errors import first_line
from summarizer.extraction.chunking import Chunk, halve, split_into_chunks
from summarizer.extraction.drafts import (
    STANCES,
    Happening,
    event_words,
    happening_words,
    response_model_for,
    schema_of,
    sentence_key,
    valid_entries,
)
from summarizer.extraction.prompts import load_prompt
from summarizer.models import (
    Article,
    ArticleExtraction,
    Claim,
    DatePrecision,
    Event,
    Evidence,
    Quantity,
)
from summarizer.runtime.concurrency import all_in_order
from summarizer.runtime.llm import (
    ContextExceeded,
    Deadline,
    StructuredLLM,
    Truncated,
    Unparseable,
)
from summarizer.runtime.usage import UsageMeter
from summarizer.storage.cache import ResponseCache
from summarizer.text.dates import date_named_in
from summarizer.text.figures import figure_context
from summarizer.text.hedges import bounded_certainty
from summarizer.text.numbers import read_figure
from summarizer.text.sentences import Sentence, split_sentences


async def extract_article(
    llm: StructuredLLM,
    article: Article,
    *,
    meter: UsageMeter | None = None,
    cache: ResponseCache | None = None,
) -> ArticleExtraction:
    """Ask the model for the events and claims of one article, its chunks concurrently.

    Pass a `meter` to keep the article's usage even when it fails; a `cache` answers chunks
    seen before without a request and stores new answers.

    Raises:
        ProviderError: the endpoint failed for good; the caller decides about the article.
        BudgetExceeded: the run's budget ran out before the article was done.
    """
    meter = meter or UsageMeter()
    asker = _ChunkAsker(llm, article, meter, cache, Deadline(llm.settings.article_deadline))
    chunks = split_into_chunks(article.text, max_chars=llm.settings.chunk_chars)
    per_chunk = await all_in_order(asker.answers_for(chunk) for chunk in chunks)
    answers = [answer for chunk_answers in per_chunk for answer in chunk_answers]
    claims: list[Claim] = []
    events: list[Event] = []
    for answer in answers:
        for index, sentence in enumerate(answer.sentences, start=1):
            draft = answer.drafts.get(sentence_key(index))
            if draft is None:
                continue
            claim = _claim(article, answer.chunk, sentence, draft)
            claims.append(claim)
            # The date the sentence names (dates.py): asked for one, the model said null.
            date = date_named_in(sentence.text, article.published)
            events += _events(claim, draft, date, happening_words(sentence.text))
    return ArticleExtraction(
        article_id=article.id,
        claims=claims,
        events=events,
        chunks=asker.asked,
        usage=meter.snapshot(),
        warnings=[warning for answer in answers if (warning := answer.warning)],
    )


def build_messages(article: Article, sentences: list[Sentence]) -> list[dict[str, str]]:
    """The chat messages for one chunk; the article's text enters through one placeholder."""
    numbered = "\n".join(
        f"[{sentence_key(index)}] {sentence.text}" for index, sentence in enumerate(sentences, 1)
    )
    published = article.published.strftime("%Y-%m-%d (%A)") if article.published else "unknown"
    user = load_prompt("extract_user").render(published=published, article_text=numbered)
    return [
        {"role": "system", "content": load_prompt("extract_system").render()},
        {"role": "user", "content": user},
    ]


@dataclass(frozen=True)
class _ChunkAnswer:
    """The model's drafts for one chunk's sentences, by sentence key."""

    chunk: Chunk
    sentences: list[Sentence]
    drafts: dict[str, BaseModel]
    warning: str | None = None


# What the cache stores per chunk: the model's entries, or that the answer was cut off.
_ANSWERED, _PARTIAL, _TRUNCATED = "answered", "partial", "truncated"
# The prompt did not fit the model's context: split like a truncated answer.
_TOO_LONG = "too long for the context"


@dataclass
class _ChunkAsker:
    """Asks for one article's chunks, through the cache, halving chunks cut off at the limit."""

    llm: StructuredLLM
    article: Article
    meter: UsageMeter
    cache: ResponseCache | None
    deadline: Deadline
    asked: int = 0

    async def answers_for(self, chunk: Chunk) -> list[_ChunkAnswer]:
        sentences = split_sentences(chunk.text)
        if not sentences:
            return []
        self.asked += 1
        response_model = response_model_for(sentences)
        messages = build_messages(self.article, sentences)
        key = self._key(messages, response_model, chunk) if self.cache is not None else None
        stored = self._cached(key)
        if stored is None:
            stored = await self._ask(chunk, messages, response_model)
            # "Too long for the context" is stored like an answer: a re-run splits the same
            # way, from the cache, without asking again.
            if self.cache is not None and key is not None:
                self.cache.put(key, stored, **self._cost_of(stored))
        if stored["outcome"] in (_TRUNCATED, _TOO_LONG):
            halves = halve(chunk)
            if halves is None:
                limit = "output limit" if stored["outcome"] == _TRUNCATED else "model's context"
                cut_off = f"chunk at {chunk.start}-{chunk.end}: the answer hit the {limit}"
                return [_ChunkAnswer(chunk, sentences, {}, f"{cut_off} and cannot be split")]
            parts = await all_in_order(self.answers_for(half) for half in halves)
            return [answer for part in parts for answer in part]
        drafts = valid_entries(stored["entries"], response_model)
        warning: str | None = None
        if stored["outcome"] == _PARTIAL:
            warning = (
                f"chunk at {chunk.start}-{chunk.end}: answer still invalid after re-asks "
                f"({stored['problem']}); kept the {len(drafts)} of {len(sentences)} "
                "sentence(s) that were valid"
            )
        return [_ChunkAnswer(chunk, sentences, drafts, warning)]

    async def _ask(
        self, chunk: Chunk, messages: list[dict[str, str]], response_model: type[BaseModel]
    ) -> dict[str, Any]:
        # The article's chunks run concurrently: count this one's tokens on a meter of its own.
        meter = UsageMeter(budget=self.meter.budget)
        try:
            answer = await self.llm.complete(
                messages=messages,
                response_model=response_model,
                meter=meter,
                deadline=self.deadline,
            )
        except Truncated:
            stored: dict[str, Any] = {"outcome": _TRUNCATED}
        except ContextExceeded:
            stored = {"outcome": _TOO_LONG}
        except Unparseable as error:
            stored = {
                "outcome": _PARTIAL,
                "entries": _json_object(error.last_text),
                "problem": first_line(error),
            }
        else:
            stored = {"outcome": _ANSWERED, "entries": answer.model_dump(mode="json")}
        finally:
            self.meter.add(meter)
        stored["tokens"] = [meter.prompt_tokens, meter.completion_tokens]
        return stored

    def _key(
        self, messages: list[dict[str, str]], response_model: type[BaseModel], chunk: Chunk
    ) -> str:
        return self.llm.answer_key(messages, schema_of(response_model), chunk.text)

    def _cached(self, key: str | None) -> dict[str, Any] | None:
        if self.cache is None or key is None:
            return None
        hit = self.cache.get(key)
        if hit is None:
            return None
        self.meter.cache_hits += 1
        return hit.answer

    def _cost_of(self, stored: dict[str, Any]) -> dict[str, Any]:
        prompt_tokens, completion_tokens = stored["tokens"]
        return {
            "model": self.llm.settings.model,
            "endpoint": self.llm.backend.identity,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
        }


def _json_object(text: str | None) -> dict[str, Any]:
    # A raw newline or tab inside a string is invalid JSON, and all the validator sees:
    # seen from the embedded model on real news, where it cost whole chunks. Read leniently
    # here, every entry is still validated on its own (valid_entries).
    try:
        data = json.loads(text, strict=False) if text else {}
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _item_id(article: Article, kind: str, offset: int) -> str:
    key = f"{article.id}:{kind}:{offset}"
    return f"{kind[0]}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _statement(draft: Any, sentence: Sentence) -> str:
    """Subject + predicate + object as a sentence, without the model's own repetitions."""
    subject, predicate, obj = (
        " ".join(part.split()) for part in (draft.subject, draft.predicate, draft.object)
    )
    if obj.lower() in subject.lower():
        obj = ""
    words: list[str] = []
    for word in f"{subject} {predicate} {obj}".split():
        if not words or word.lower() != words[-1].lower():
            words.append(word)
    text = " ".join(words).rstrip(".")
    return (text[:1].upper() + text[1:] + ".") if text else sentence.text


def _claim(article: Article, chunk: Chunk, sentence: Sentence, draft: Any) -> Claim:
    certainty, polarity = STANCES[draft.stance]
    return Claim(
        id=_item_id(article, "claim", chunk.start + sentence.start),
        article_id=article.id,
        statement=_statement(draft, sentence),
        subject=draft.subject.strip(),
        predicate=draft.predicate.strip(),
        object=draft.object.strip(),
        claimant=draft.claimant.strip() or "unattributed",
        certainty=bounded_certainty(certainty, sentence.text),
        polarity=polarity,
        quantity=_quantity(sentence, draft),
        evidence=[
            # Where the sentence was read: grounding checks it there first, so a sentence
            # an article repeats is grounded at its own place, not the first one.
            Evidence(
                article_id=article.id,
                quote=sentence.text,
                proposed_quote=sentence.text,
                start=chunk.start + sentence.start,
                end=chunk.start + sentence.start + len(sentence.text),
                status="unverified",
            )
        ],
    )


def _quantity(sentence: Sentence, draft: Any) -> Quantity | None:
    """The sentence's figure (of several, the one the model picked), read from the sentence:
    its text and numbers (numbers.py), and what it counts and how (figures.py)."""
    figure = read_figure(sentence.text, getattr(draft, "figure", ""))
    if figure is None:
        return None
    context = figure_context(figure.text, sentence.text, verb=draft.predicate)
    return Quantity(
        text=figure.text,
        value=figure.value,
        low=figure.low,
        high=figure.high,
        unit=context.noun or None,
        counted=context.counted or figure.text,
        qualifier=figure.qualifier,
    )


def _events(claim: Claim, draft: Any, date: str | None, candidates: Sequence[str]) -> list[Event]:
    """One event per happening the model named by one of the sentence's own words.

    The schema offers only the sentence's words; a word from elsewhere (an endpoint that
    does not enforce the schema) names nothing in the text, and a name says who or where
    (`happening_words`), so neither makes an event. The verb
    of the model's own predicate names one too, if the sentence has that word.
    """
    events: list[Event] = []
    seen: set[str] = set()
    for happening in [*draft.events, *_predicate_happening(draft.predicate, candidates)]:
        if happening.word not in candidates or happening.word.lower() in seen:
            continue
        seen.add(happening.word.lower())
        suffix = f"-{len(events) + 1}" if events else ""
        events.append(
            Event(
                id="e" + claim.id[1:] + suffix,
                article_id=claim.article_id,
                type=happening.type,
                description=claim.statement,
                actors=[],
                location=None,
                date=date,
                date_precision=_precision(date),
                trigger=happening.word,
                evidence=claim.evidence,
            )
        )
    return events


def _predicate_happening(predicate: str, candidates: Sequence[str]) -> list[Happening]:
    # The small model often lists no happening, or one of two, for a sentence whose
    # predicate names one ("died", "was arrested"): on ECB+ topic 23 it answered [] for
    # most sentences (docs/extraction.md). The predicate's verb, its first word after the
    # auxiliaries ("was", "has been"), names it when the sentence itself holds that word.
    verb = next(iter(event_words(predicate)), None)
    return [Happening(word=verb, type="other")] if verb in candidates else []


_PRECISION_BY_LENGTH: dict[int, DatePrecision] = {10: "day", 7: "month", 4: "year"}


def _precision(date: str | None) -> DatePrecision:
    return _PRECISION_BY_LENGTH.get(len(date or ""), "unknown")
