"""Extract: ask the model for events and claims, chunk by chunk, for one article.

The result keeps the model's proposed quotes as unverified evidence; grounding comes next.
One chunk that fails is a warning on the article, not the end of the article.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ValidationError

from summarizer.chunking import Chunk, halve, split_into_chunks
from summarizer.dates import date_named_in
from summarizer.drafts import CHUNK_TEXT, NO_EVENT, response_model_for, sentence_key
from summarizer.llm import Deadline, StructuredLLM, Truncated, Unparseable, UsageMeter
from summarizer.models import (
    Article,
    ArticleExtraction,
    Claim,
    DatePrecision,
    Event,
    Evidence,
    Quantity,
)
from summarizer.numbers import numbers_in_figure
from summarizer.prompts import load_prompt
from summarizer.sentences import Sentence, split_sentences


async def extract_article(llm: StructuredLLM, article: Article) -> ArticleExtraction:
    """Ask the model for the events and claims of one article, chunk by chunk.

    Raises:
        ProviderError: the endpoint failed for good; the caller decides about the article.
    """
    settings = llm.settings
    meter = UsageMeter()
    deadline = Deadline(settings.article_deadline)
    warnings: list[str] = []
    claims: list[Claim] = []
    events: list[Event] = []
    pending = split_into_chunks(article.text, max_chars=settings.chunk_chars)
    requests = 0
    while pending:
        chunk = pending.pop(0)
        sentences = split_sentences(chunk.text)
        if not sentences:
            continue
        requests += 1
        drafts = await _extract_chunk(llm, article, chunk, sentences, meter, deadline, warnings)
        if isinstance(drafts, list):
            pending[:0] = drafts
            continue
        for index, sentence in enumerate(sentences, start=1):
            draft = drafts.get(sentence_key(index))
            if draft is None:
                continue
            claim = _claim(article, chunk, sentence, draft)
            claims.append(claim)
            if getattr(draft, "event", NO_EVENT) != NO_EVENT:
                events.append(_event(claim, draft, date_named_in(sentence.text, article.published)))
    return ArticleExtraction(
        article_id=article.id,
        claims=claims,
        events=events,
        chunks=requests,
        usage=meter.snapshot(),
        warnings=warnings,
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


async def _extract_chunk(
    llm: StructuredLLM,
    article: Article,
    chunk: Chunk,
    sentences: list[Sentence],
    meter: UsageMeter,
    deadline: Deadline,
    warnings: list[str],
) -> dict[str, BaseModel] | list[Chunk]:
    """One chunk's drafts by sentence key; halves to retry instead when output was cut off."""
    where = f"chunk at {chunk.start}-{chunk.end}"
    response_model = response_model_for(sentences)
    try:
        answer = await llm.complete(
            messages=build_messages(article, sentences),
            response_model=response_model,
            context={CHUNK_TEXT: chunk.text},
            meter=meter,
            deadline=deadline,
        )
    except Truncated:
        halves = halve(chunk)
        if halves is None:
            warnings.append(f"{where}: the answer hit the output limit and cannot be split")
            return {}
        return halves
    except Unparseable as error:
        lenient = _lenient_parse(error.last_text, response_model)
        warnings.append(
            f"{where}: answer still invalid after re-asks ({_first_line(error)}); "
            f"kept the {len(lenient)} of {len(sentences)} sentence(s) that were valid"
        )
        return lenient
    return {key: getattr(answer, key) for key in type(answer).model_fields}


def _lenient_parse(text: str | None, response_model: type[BaseModel]) -> dict[str, BaseModel]:
    """Keep each sentence entry that is valid on its own, rather than losing the chunk."""
    try:
        data = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    kept: dict[str, BaseModel] = {}
    for key, field in response_model.model_fields.items():
        entry_model = field.annotation
        if not (isinstance(entry_model, type) and issubclass(entry_model, BaseModel)):
            continue
        try:
            kept[key] = entry_model.model_validate(data.get(key))
        except ValidationError:
            continue
    return kept


def _item_id(article: Article, kind: str, offset: int) -> str:
    key = f"{article.id}:{kind}:{offset}"
    return f"{kind[0]}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _statement(draft: Any) -> str:
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
    return (text[:1].upper() + text[1:] + ".") if text else draft.quote


def _claim(article: Article, chunk: Chunk, sentence: Sentence, draft: Any) -> Claim:
    quantity = None
    if getattr(draft, "quantity", None) is not None:
        fields = draft.quantity.model_dump()
        # Digits in the figure's own text beat the model's reading of them (see numbers.py).
        read = numbers_in_figure(fields["text"])
        if read is not None:
            fields["value"], fields["low"], fields["high"] = read
        quantity = Quantity.model_validate(fields)
    return Claim(
        id=_item_id(article, "claim", chunk.start + sentence.start),
        article_id=article.id,
        statement=_statement(draft),
        subject=draft.subject.strip(),
        predicate=draft.predicate.strip(),
        object=draft.object.strip(),
        claimant=draft.claimant.strip() or "unattributed",
        certainty=draft.certainty,
        polarity=draft.polarity,
        quantity=quantity,
        evidence=[
            Evidence(
                article_id=article.id,
                quote=draft.quote,
                proposed_quote=draft.quote,
                status="unverified",
            )
        ],
    )


def _event(claim: Claim, draft: Any, named: str | None) -> Event:
    # The date the sentence itself names wins over the model's guess (see dates.py).
    date = named if named is not None else draft.date
    return Event(
        id="e" + claim.id[1:],
        article_id=claim.article_id,
        type=draft.event,
        description=claim.statement,
        actors=[],
        location=None,
        date=date,
        date_precision=_precision(date),
        evidence=claim.evidence,
    )


_PRECISION_BY_LENGTH: dict[int, DatePrecision] = {10: "day", 7: "month", 4: "year"}


def _precision(date: str | None) -> DatePrecision:
    return _PRECISION_BY_LENGTH.get(len(date or ""), "unknown")


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:160] if text else type(error).__name__
