"""The merge stage of a run: the briefing's parts, merged by meaning with the embedder the
settings name (the local all-MiniLM-L6-v2, or the endpoint's `/v1/embeddings`) behind the
vector cache, and what the vectors cost.

`assemble` is synchronous, so it runs in a worker thread; the endpoint's requests go back to
the event loop from there (`remote_embeddings.py`). The vector cache is opened, used and
closed in that thread: an SQLite connection belongs to the thread that made it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from summarizer.assemble import BriefingParts, assemble
from summarizer.config import Settings
from summarizer.embeddings import CachedEmbedder, IdentifiedEmbedder, LocalEmbedder
from summarizer.errors import BudgetExceeded
from summarizer.llm import Deadline, StructuredLLM
from summarizer.merge import meaning_text
from summarizer.models import Article, ArticleExtraction, Claim, EmbeddingUsage, Event
from summarizer.pricing import cost_of, embedding_price_of
from summarizer.remote_embeddings import RemoteEmbedder
from summarizer.usage import Budget, UsageMeter
from summarizer.vector_cache import VECTOR_CACHE_FILE_NAME, VectorCache

__all__ = ["MergedRun", "merge_run"]

LOCAL_ENDPOINT = "local"


@dataclass(frozen=True)
class MergedRun:
    """The briefing's parts, the embeddings' ledger (None when off), the briefing's warnings,
    and why the vector cache could not be used, if it could not."""

    parts: BriefingParts
    embeddings: EmbeddingUsage | None
    warnings: list[str] = field(default_factory=list)
    cache_problem: str | None = None


async def merge_run(
    articles: Sequence[Article],
    extractions: Sequence[ArticleExtraction],
    *,
    settings: Settings,
    llm: StructuredLLM,
    budget: Budget,
    local: LocalEmbedder | None = None,
) -> MergedRun:
    """Stories, merged claims and events, and the ledger of the extracted articles.

    `local` is the local model, prepared by the caller (so that a missing model fails the
    run before extraction); the run's client in `llm` serves remote embeddings.

    Raises:
        ProviderError: the endpoint's embeddings failed (the hint says how to do without).
    """
    if not settings.embeddings:
        return MergedRun(assemble(articles, extractions), None)
    meter = UsageMeter(budget=budget, embeddings=True)
    source: IdentifiedEmbedder
    if settings.remote_embeddings:
        assert settings.embedding_model is not None
        source = RemoteEmbedder(
            llm,
            model=settings.embedding_model,
            endpoint=settings.endpoint_label,
            meter=meter,
            # The whole stage has one article's allowance, retries included.
            deadline=Deadline(settings.article_deadline),
            loop=asyncio.get_running_loop(),
        )
    else:
        source = local or LocalEmbedder()
    return await asyncio.to_thread(_merge, articles, extractions, settings, source, meter)


def _merge(
    articles: Sequence[Article],
    extractions: Sequence[ArticleExtraction],
    settings: Settings,
    source: IdentifiedEmbedder,
    meter: UsageMeter,
) -> MergedRun:
    warnings: list[str] = []
    with _open_vector_cache(settings) as cache:
        embedder = CachedEmbedder(source, cache=cache)
        try:
            # Every sentence in one call first: batched requests, not a few per story.
            embedder.embed(_sentences(extractions))
            parts = assemble(articles, extractions, embedder=embedder)
        except BudgetExceeded as error:
            warnings.append(f"merged by wording alone: {error.message}")
            parts = assemble(articles, extractions)
        problem = cache.problem if cache is not None else None
    price = embedding_price_of(settings)
    usage = EmbeddingUsage(
        model=source.name,
        endpoint=settings.endpoint_label if settings.remote_embeddings else LOCAL_ENDPOINT,
        texts=embedder.texts,
        cache_hits=embedder.cache_hits,
        computed=embedder.computed,
        requests=meter.calls,
        retries=meter.retries,
        prompt_tokens=meter.prompt_tokens,
        cost_usd=None if price is None else cost_of(price, meter.prompt_tokens, 0),
    )
    return MergedRun(parts, usage, warnings, problem)


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
