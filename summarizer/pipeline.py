"""The whole run, one direction: ingest -> extract -> ground -> merge -> Briefing.

`brief` and `abrief` are the library's front door; the CLI is a thin layer over `brief`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import openai

from summarizer.backend import open_backend
from summarizer.cache import CACHE_FILE_NAME, ResponseCache
from summarizer.concurrency import all_in_order
from summarizer.config import Settings, resolve_settings
from summarizer.errors import BudgetExceeded, InputError, ProviderError, RunError, UserError
from summarizer.extract import extract_article
from summarizer.ground import ground_extraction
from summarizer.ingest import collect_articles
from summarizer.ledger import build_ledger
from summarizer.llm import StructuredLLM
from summarizer.merge import merge_claims, merge_events, number_sources
from summarizer.models import (
    Article,
    ArticleExtraction,
    ArticleFailure,
    ArticleOutcome,
    ArticleUsage,
    Briefing,
    Claim,
    Event,
    RunStats,
    TokenUsage,
)
from summarizer.pricing import estimate_cost
from summarizer.usage import Budget, UsageMeter

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
    progress(
        f"read {len(articles)} article(s); model {settings.model} at {settings.endpoint_label}, "
        f"{settings.concurrency} request(s) at a time"
    )
    run = _Run(settings, len(articles), progress)
    with _open_cache(settings) as cache:
        async with open_backend(settings, client, on_start=progress) as llm:
            outcomes = await all_in_order(
                run.extract(llm, cache, number, article)
                for number, article in enumerate(articles, start=1)
            )
        if cache is not None and cache.problem:
            progress(f"warning: {cache.problem}")
    extractions = [o.extraction for o in outcomes if o.extraction is not None]
    failures += [o.failure for o in outcomes if o.failure is not None]
    if not extractions:
        reason = run.budget.exceeded or _summarize_failures(failures)
        raise RunError(f"no article could be briefed: {reason}")
    extracted_ids = {e.article_id for e in extractions}
    sources_used = number_sources([a for a in articles if a.id in extracted_ids])
    claims = merge_claims(extractions, sources_used)
    usage = sum((o.usage for o in outcomes), TokenUsage())
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
            retries=usage.retries,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cache_hits=usage.cache_hits,
            cost_usd=estimate_cost(settings, usage),
            concurrency=settings.concurrency,
            wall_seconds=round(time.monotonic() - started, 2),
            stopped_by_budget=run.budget.exceeded,
            by_article=[
                ArticleUsage(
                    source=_label(article),
                    outcome=outcome.outcome,
                    usage=outcome.usage,
                    cost_usd=estimate_cost(settings, outcome.usage),
                )
                for article, outcome in zip(articles, outcomes, strict=True)
            ],
            failures=failures,
            warnings=[
                f"{_label_by_id(articles, e.article_id)}: {w}"
                for e in extractions
                for w in e.warnings
            ],
        ),
    )


@dataclass(frozen=True)
class _Outcome:
    """What happened to one article: its extraction or its failure, and what it cost."""

    outcome: ArticleOutcome
    usage: TokenUsage
    extraction: ArticleExtraction | None = None
    failure: ArticleFailure | None = None


class _Run:
    """Extracts articles, at most `concurrency` at a time, against one budget."""

    def __init__(self, settings: Settings, total: int, progress: ProgressCallback) -> None:
        self.budget = Budget.for_settings(settings)
        self._total = total
        self._progress = progress
        # Articles in progress are bounded too, so an article's deadline starts when it does.
        self._slots = asyncio.Semaphore(settings.concurrency)

    async def extract(
        self, llm: StructuredLLM, cache: ResponseCache | None, number: int, article: Article
    ) -> _Outcome:
        where = f"[{number}/{self._total}]"
        meter = UsageMeter(budget=self.budget)
        async with self._slots:
            if self.budget.exceeded is not None:
                return self._not_started(article, meter)
            self._progress(f"{where} extracting {_label(article)}")
            started = time.monotonic()
            try:
                extraction = await extract_article(llm, article, meter=meter, cache=cache)
            except BudgetExceeded as error:
                if meter.calls == 0 and meter.cache_hits == 0:
                    return self._not_started(article, meter)
                return self._failed(article, meter, f"stopped half-way: {error.message}", where)
            except ProviderError as error:
                if error.status_code in _FATAL_STATUS:
                    raise
                return self._failed(article, meter, error.one_line(), where)
        grounded = ground_extraction(extraction, article)
        cached = f", {meter.cache_hits} from cache" if meter.cache_hits else ""
        self._progress(
            f"{where} {len(grounded.claims)} claims, {len(grounded.events)} events, "
            f"{_verified(grounded)} verified quotes, {time.monotonic() - started:.1f} s{cached}"
        )
        return _Outcome("briefed", meter.snapshot(), extraction=grounded)

    def _failed(self, article: Article, meter: UsageMeter, message: str, where: str) -> _Outcome:
        self._progress(f"{where} failed: {message}")
        failure = ArticleFailure(source=_label(article), message=message)
        return _Outcome("failed", meter.snapshot(), failure=failure)

    def _not_started(self, article: Article, meter: UsageMeter) -> _Outcome:
        message = f"not briefed: {self.budget.exceeded}"
        failure = ArticleFailure(source=_label(article), message=message)
        return _Outcome("not started", meter.snapshot(), failure=failure)


@contextlib.contextmanager
def _open_cache(settings: Settings) -> Iterator[ResponseCache | None]:
    if settings.cache_dir is None:
        yield None
        return
    with ResponseCache(settings.cache_dir / CACHE_FILE_NAME) as cache:
        yield cache


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
