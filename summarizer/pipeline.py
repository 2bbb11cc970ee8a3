"""The whole run, one direction: ingest -> extract -> ground -> merge -> Briefing.

`brief` and `abrief` are the library's front door; the CLI is a thin layer over `brief`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import openai

from summarizer.backend import open_backend
from summarizer.config import Settings, resolve_settings
from summarizer.errors import InputError, ProviderError, RunError, UserError
from summarizer.extract import extract_article
from summarizer.ground import ground_extraction
from summarizer.ingest import collect_articles
from summarizer.ledger import build_ledger
from summarizer.merge import merge_claims, merge_events, number_sources
from summarizer.models import (
    Article,
    ArticleExtraction,
    ArticleFailure,
    Briefing,
    Claim,
    Event,
    RunStats,
    TokenUsage,
)
from summarizer.pricing import estimate_cost

ArticleSource = str | Path | Article
ProgressCallback = Callable[[str], None]
# Status codes after which every other article would fail the same way: stop the run.
_FATAL_STATUS = frozenset({401, 403, 404})


def brief(
    sources: Iterable[ArticleSource],
    *,
    settings: Settings | None = None,
    client: openai.AsyncOpenAI | openai.OpenAI | None = None,
    on_progress: ProgressCallback | None = None,
) -> Briefing:
    """Build a briefing from articles: paths, folders, raw texts or `Article` objects.

    Example:
        >>> briefing = brief(["examples/articles"])  # doctest: +SKIP
        >>> print(briefing.claims[0].statement)  # doctest: +SKIP

    Args:
        sources: what to brief; a `str` that names an existing path is read from disk.
        settings: where and how to call the model (default: `resolve_settings()`).
        client: an `openai` client to use instead of making one (sync or async).
        on_progress: called with one line of progress at a time.

    Raises:
        UserError: bad input or configuration.
        ProviderError: the endpoint refused every request (bad key, unknown model).
    """
    return asyncio.run(abrief(sources, settings=settings, client=client, on_progress=on_progress))


async def abrief(
    sources: Iterable[ArticleSource],
    *,
    settings: Settings | None = None,
    client: openai.AsyncOpenAI | openai.OpenAI | None = None,
    on_progress: ProgressCallback | None = None,
) -> Briefing:
    """Async `brief`: the same arguments and result."""
    started = time.monotonic()
    settings = settings or resolve_settings()
    progress = on_progress or (lambda _message: None)
    articles, failures = _ingest(sources)
    if not articles:
        raise InputError(_summarize_failures(failures) or "no articles given")
    progress(f"read {len(articles)} article(s); starting {settings.endpoint_label}")
    extractions: list[ArticleExtraction] = []
    async with open_backend(settings, client) as llm:
        for number, article in enumerate(articles, start=1):
            progress(f"[{number}/{len(articles)}] extracting {_label(article)}")
            article_started = time.monotonic()
            try:
                extraction = await extract_article(llm, article)
            except ProviderError as error:
                if error.status_code in _FATAL_STATUS:
                    raise
                failures.append(ArticleFailure(source=_label(article), message=error.one_line()))
                progress(f"[{number}/{len(articles)}] failed: {error.one_line()}")
                continue
            grounded = ground_extraction(extraction, article)
            extractions.append(grounded)
            progress(
                f"[{number}/{len(articles)}] {len(grounded.claims)} claims, "
                f"{len(grounded.events)} events, {_verified(grounded)} verified quotes, "
                f"{time.monotonic() - article_started:.1f} s"
            )
    if not extractions:
        raise RunError(f"no article could be briefed: {_summarize_failures(failures)}")
    extracted_ids = {e.article_id for e in extractions}
    sources_used = number_sources([a for a in articles if a.id in extracted_ids])
    claims = merge_claims(extractions, sources_used)
    usage = sum((e.usage for e in extractions), TokenUsage())
    return Briefing(
        generated_at=dt.datetime.now(dt.UTC),
        sources=sources_used,
        events=merge_events(extractions, sources_used),
        claims=claims,
        disagreements=build_ledger(claims, sources_used),
        stats=RunStats(
            model=settings.model,
            endpoint=settings.endpoint_label,
            articles=len(articles),
            llm_calls=usage.calls,
            reasks=usage.reasks,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=estimate_cost(settings, usage),
            wall_seconds=round(time.monotonic() - started, 2),
            failures=failures,
            warnings=[
                f"{_label_by_id(articles, e.article_id)}: {w}"
                for e in extractions
                for w in e.warnings
            ],
        ),
    )


def _ingest(sources: Iterable[ArticleSource]) -> tuple[list[Article], list[ArticleFailure]]:
    """Read every source; one unreadable source is a reported failure, not the end."""
    articles: list[Article] = []
    failures: list[ArticleFailure] = []
    seen: set[str] = set()
    for source in sources:
        try:
            found = collect_articles([source])
        except UserError as error:
            failures.append(ArticleFailure(source=_short_source(source), message=error.one_line()))
            continue
        for article in found:
            if article.id in seen:
                continue
            seen.add(article.id)
            articles.append(article)
    return articles, failures


def _summarize_failures(failures: Sequence[ArticleFailure]) -> str:
    if not failures:
        return ""
    first = f"{failures[0].source}: {failures[0].message}"
    return first if len(failures) == 1 else f"{first} (and {len(failures) - 1} more)"


def _verified(extraction: ArticleExtraction) -> int:
    items: list[Claim | Event] = [*extraction.claims, *extraction.events]
    return sum(1 for item in items for evidence in item.evidence if evidence.status != "unverified")


def _label(article: Article) -> str:
    return article.path or article.url or article.title


def _label_by_id(articles: Sequence[Article], article_id: str) -> str:
    return next((_label(a) for a in articles if a.id == article_id), article_id)


def _short_source(source: ArticleSource) -> str:
    if isinstance(source, Article):
        return _label(source)
    text = str(source)
    return text if len(text) <= 80 else text[:79] + "…"
