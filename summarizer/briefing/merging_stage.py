"""The merge stage of a run: the briefing's parts, merged by meaning with the embedder the
settings name (the local all-MiniLM-L6-v2, or the endpoint's `/v1/embeddings`) behind the
vector cache, and what the vectors cost; with `adjudicate`, the model's judgement of the
borderline pairs (`adjudication.py`) and what it cost.

`assemble` is synchronous, so it runs in a worker thread; the endpoint's requests go back to
the event loop from there (`remote_embeddings.py`, `adjudication.py`). The vector cache is
opened, used and closed in that thread: an SQLite connection belongs to the thread that made
it (the response cache, opened by the run, is used on the loop's thread).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from summarizer.briefing.adjudication import Adjudicator
from summarizer.briefing.assemble import BriefingParts, assemble
from summarizer.briefing.merge import meaning_text
from summarizer.config import Settings
from summarizer.errors import BudgetExceeded
from summarizer.models import (
    AdjudicationUsage,
    Article,
    ArticleExtraction,
    Claim,
    EmbeddingUsage,
    Event,
)
from summarizer.runtime.embeddings import CachedEmbedder, IdentifiedEmbedder, LocalEmbedder
from summarizer.runtime.llm import Deadline, StructuredLLM
from summarizer.runtime.pricing import cost_of, embedding_price_of
from summarizer.runtime.remote_embeddings import RemoteEmbedder
from summarizer.runtime.usage import Budget, UsageMeter
from summarizer.storage.cache import ResponseCache
from summarizer.storage.vector_cache import VECTOR_CACHE_FILE_NAME, VectorCache

__all__ = ["MergedRun", "merge_run"]

LOCAL_ENDPOINT = "local"


@dataclass(frozen=True)
class MergedRun:
    """The briefing's parts, the embeddings' and adjudication's ledgers (None when off), the
    briefing's warnings, and why the vector cache could not be used, if it could not."""

    parts: BriefingParts
    embeddings: EmbeddingUsage | None
    warnings: list[str] = field(default_factory=list)
    cache_problem: str | None = None
    adjudication: AdjudicationUsage | None = None


async def merge_run(
    articles: Sequence[Article],
    extractions: Sequence[ArticleExtraction],
    *,
    settings: Settings,
    llm: StructuredLLM,
    budget: Budget,
    local: LocalEmbedder | None = None,
    cache: ResponseCache | None = None,
) -> MergedRun:
    """Stories, merged claims and events, and the ledger of the extracted articles.

    `local` is the local model, prepared by the caller (so that a missing model fails the
    run before extraction); the run's client in `llm` serves remote embeddings and, with
    `settings.adjudicate`, judges borderline pairs, its answers kept in `cache`.

    Raises:
        ProviderError: the endpoint's embeddings failed (the hint says how to do without).
    """
    if not settings.embeddings:
        return MergedRun(assemble(articles, extractions), None)
    meter = UsageMeter(budget=budget, embeddings=True)
    loop = asyncio.get_running_loop()
    adjudicator = (
        Adjudicator(
            llm,
            cache=cache,
            budget=budget,
            # All its requests have one article's allowance, retries included.
            deadline=Deadline(settings.article_deadline),
            loop=loop,
            limit=settings.max_adjudications,
        )
        if settings.adjudicate
        else None
    )
    source: IdentifiedEmbedder
    if settings.remote_embeddings:
        assert settings.embedding_model is not None
        source = RemoteEmbedder(
            llm,
            model=settings.embedding_model,
            endpoint=llm.backend.label,
            meter=meter,
            # The whole stage has one article's allowance, retries included.
            deadline=Deadline(settings.article_deadline),
            loop=loop,
        )
    else:
        source = local or LocalEmbedder()
    return await asyncio.to_thread(
        _merge, articles, extractions, settings, source, meter, adjudicator, llm.backend.label
    )


def _merge(
    articles: Sequence[Article],
    extractions: Sequence[ArticleExtraction],
    settings: Settings,
    source: IdentifiedEmbedder,
    meter: UsageMeter,
    adjudicator: Adjudicator | None,
    endpoint: str,
) -> MergedRun:
    warnings: list[str] = []
    with _open_vector_cache(settings) as cache:
        embedder = CachedEmbedder(source, cache=cache)
        try:
            # Every sentence in one call first: batched requests, not a few per story.
            embedder.embed(_sentences(extractions))
            parts = assemble(articles, extractions, embedder=embedder, adjudicate=adjudicator)
        except BudgetExceeded as error:
            warnings.append(f"merged by wording alone: {error.message}")
            parts = assemble(articles, extractions)
        problem = cache.problem if cache is not None else None
    price = embedding_price_of(settings)
    usage = EmbeddingUsage(
        model=source.name,
        endpoint=endpoint if settings.remote_embeddings else LOCAL_ENDPOINT,
        texts=embedder.texts,
        cache_hits=embedder.cache_hits,
        computed=embedder.computed,
        requests=meter.calls,
        retries=meter.retries,
        prompt_tokens=meter.prompt_tokens,
        cost_usd=None if price is None else cost_of(price, meter.prompt_tokens, 0),
    )
    if adjudicator is None:
        return MergedRun(parts, usage, warnings, problem)
    warnings += adjudicator.warnings()
    return MergedRun(parts, usage, warnings, problem, adjudicator.usage())


def _sentences(extractions: Sequence[ArticleExtraction]) -> list[str]:
    items: list[Claim | Event] = []
    for extraction in extractions:
        items += extraction.claims
        items += extraction.events
    return [meaning_text(item) for item in items]


@contextlib.contextmanager
def _open_vector_cache(settings: Settings) -> Iterator[VectorCache | None]:
    if settings.cache_dir is None:
        yield None
        return
    with VectorCache(settings.cache_dir / VECTOR_CACHE_FILE_NAME) as cache:
        yield cache
