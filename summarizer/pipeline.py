"""The whole run, one direction: ingest -> extract -> ground -> merge -> Briefing.

`brief` and `abrief` are the library's front door; the CLI is a thin layer over `brief`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import openai

from summarizer.briefing.key_points import key_points
from summarizer.briefing.merging_stage import merge_run
from summarizer.briefing.novelty import load_previous, mark_novelty
from summarizer.config import Settings, resolve_settings
from summarizer.errors import (
    BudgetExceeded,
    ConfigError,
    InputError,
    ProviderError,
    RunError,
    UserError,
)
from summarizer.extraction.extract import extract_article
from summarizer.grounding.ground import ground_extraction
from summarizer.inputs.fetch import FetchLimits
from summarizer.inputs.gather import ArticleSource, Gathered, Window, gather_articles, source_label
from summarizer.models import (
    AdjudicationUsage,
    Article,
    ArticleExtraction,
    ArticleFailure,
    ArticleOutcome,
    ArticleUsage,
    Briefing,
    Claim,
    EmbeddingUsage,
    Event,
    RunStats,
    TokenUsage,
)
from summarizer.runtime.backend import open_backend
from summarizer.runtime.backends import Backend, client_base_url
from summarizer.runtime.concurrency import all_in_order
from summarizer.runtime.embeddings import LocalEmbedder
from summarizer.runtime.llm import StructuredLLM
from summarizer.runtime.progress import (
    ArticleRef,
    ProgressCallback,
    ProgressReporter,
    ProgressStage,
    done_message,
)
from summarizer.runtime.usage import Budget, UsageMeter
from summarizer.storage.article_store import ArticleStore
from summarizer.storage.cache import CACHE_FILE_NAME, ResponseCache

# Status codes after which every other article would fail the same way: stop the run.
_FATAL_STATUS = frozenset({401, 403, 404})


def brief(
    sources: Iterable[ArticleSource],
    *,
    settings: Settings | None = None,
    client: openai.AsyncOpenAI | openai.OpenAI | None = None,
    on_progress: ProgressCallback | None = None,
    window: Window | None = None,
    new_only: bool = False,
    previous: Path | Briefing | None = None,
    fetch_limits: FetchLimits | None = None,
    record: bool = True,
) -> Briefing:
    """Build a briefing from articles: files, folders, globs, URLs, feeds, texts, Articles.

    Example:
        >>> briefing = brief(["examples/articles"])  # doctest: +SKIP
        >>> print(briefing.claims[0].statement)  # doctest: +SKIP

    Args:
        sources: what to brief (see `gather.gather_articles` for how a `str` is read).
        settings: where and how to call the model (default: `resolve_settings()`, or with a
            `client`, `resolve_settings(base_url=<the client's base URL>)`).
        client: an `openai` client to use instead of making one (sync or async). It is the
            run's endpoint: its base URL names it in `stats.endpoint` and the response
            cache, whatever `settings.base_url` says; the model is the settings'.
        on_progress: called with each step of the run, a `ProgressEvent`: its `stage`,
            article, counts, tokens spent so far and seconds elapsed; `str(event)` is the
            line the command line prints for it (it used to be called with that line).
        window: which feed entries to take (`Window(since=...)` or `Window(on_date=...)`).
        new_only: leave out articles briefed before (the article store remembers them);
            with nothing new, the briefing has no sources and lists them in
            `stats.seen_before`, and no model is started.
        previous: a briefing (or its JSON file) to mark claims new or changed against.
        fetch_limits: time, size and redirect caps for each URL fetched (default: the
            settings' `fetch_timeout`, 5 MB, 5 redirects).
        record: record the briefed articles in the article store (what `new_only` reads)
            once the briefing is built. False leaves it to the caller, who calls
            `remember_briefing` once the briefing is safely written, as the command line
            does: an output that fails to write then leaves the articles unbriefed.

    Raises:
        UserError: bad input or configuration, or called inside a running event loop
            (a notebook): `await abrief(...)` there.
        ProviderError: the endpoint refused (bad key, unknown model) before any article
            was briefed. A refusal after that ends the run too, but the briefing of the
            articles that finished is returned, with `stats.refused_by_endpoint` saying why
            and the rest among `stats.failures`.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise UserError(
            "brief() cannot run inside a running event loop (Jupyter, asyncio)",
            hint="use `await summarizer.abrief(...)` there, with the same arguments",
        )
    briefings: list[Briefing] = []

    async def run() -> None:
        briefings.append(
            await abrief(
                sources,
                settings=settings,
                client=client,
                on_progress=on_progress,
                window=window,
                new_only=new_only,
                previous=previous,
                fetch_limits=fetch_limits,
                record=record,
            )
        )

    # Not the main task's result: on Python 3.11, restoring the SIGINT handler at the end
    # of asyncio.run formats the main task, result included, and a briefing's repr takes
    # 0.25 s per 20,000 claims.
    asyncio.run(run())
    return briefings[0]


async def abrief(
    sources: Iterable[ArticleSource],
    *,
    settings: Settings | None = None,
    client: openai.AsyncOpenAI | openai.OpenAI | None = None,
    on_progress: ProgressCallback | None = None,
    window: Window | None = None,
    new_only: bool = False,
    previous: Path | Briefing | None = None,
    fetch_limits: FetchLimits | None = None,
    record: bool = True,
) -> Briefing:
    """Async `brief`: the same arguments and result."""
    started = time.monotonic()
    if settings is None:
        # An injected client is the endpoint: its defaults (model, mode, concurrency) apply.
        settings = resolve_settings(base_url=None if client is None else client_base_url(client))
    backend = Backend.for_run(settings, client)
    budget = Budget.for_run(settings, backend)
    progress = ProgressReporter(on_progress, started=started, budget=budget)
    if new_only and settings.data_dir is None:
        raise ConfigError(
            "new-only needs the article store, and remembering is switched off",
            hint="drop --no-remember (or remember=False)",
        )
    before = load_previous(previous) if isinstance(previous, Path) else previous
    gathered = await gather_articles(
        sources,
        window=window,
        limits=fetch_limits or FetchLimits(timeout=settings.fetch_timeout),
    )
    for note in gathered.notes:
        progress.report(ProgressStage.READING, note)
    articles, too_long = _within_size_cap(gathered.articles, settings.max_article_chars)
    failures = [*gathered.failures, *too_long]
    if not articles:
        raise InputError(_summarize_failures(failures) or "no articles given")
    seen_before: list[str] = []
    if new_only:
        articles, seen_before = _unseen(articles, settings, progress)
        if not articles:
            briefing = _nothing_new(settings, backend, seen_before, gathered, started)
            progress.report(ProgressStage.DONE, done_message(briefing), claims=0, events=0)
            return briefing
    progress.articles_total = len(articles)
    progress.report(
        ProgressStage.READING,
        f"read {len(articles)} article(s); model {backend.model} at {backend.label}, "
        f"{settings.concurrency} request(s) at a time",
    )
    # Fetched and verified before any model work, so that a missing embedding model fails
    # the run in a second, not after the extraction.
    local_embedder = _local_embedder(settings)
    run = _Run(settings, budget, progress)
    with _open_cache(settings) as cache:
        # Open until merging is done: the endpoint may serve the sentence vectors too.
        async with open_backend(
            settings,
            client,
            on_start=lambda message: progress.report(ProgressStage.STARTING_MODEL, message),
            backend=backend,
        ) as llm:
            outcomes = await all_in_order(
                run.extract(llm, cache, number, article)
                for number, article in enumerate(articles, start=1)
            )
            if cache is not None and cache.problem:
                progress.warning(cache.problem)
            extractions = [o.extraction for o in outcomes if o.extraction is not None]
            failures += [o.failure for o in outcomes if o.failure is not None]
            if not extractions:
                if run.refused is not None:
                    raise run.refused
                reason = budget.exceeded or _summarize_failures(failures)
                raise RunError(f"no article could be briefed: {reason}")
            _report_merging(progress, extractions)
            merged = await merge_run(
                articles,
                extractions,
                settings=settings,
                llm=llm,
                budget=budget,
                local=local_embedder,
                cache=cache,
            )
    if merged.cache_problem:
        progress.warning(merged.cache_problem)
    if merged.embeddings is not None:
        progress.report(ProgressStage.EMBEDDING, _embedding_line(merged.embeddings))
    if merged.adjudication is not None:
        progress.report(ProgressStage.ADJUDICATING, _adjudication_line(merged.adjudication))
    parts = merged.parts
    # Every chat request of the run: the articles' and the adjudicated pairs'.
    usage = sum((o.usage for o in outcomes), TokenUsage())
    if merged.adjudication is not None:
        usage += merged.adjudication.usage
    briefing = Briefing(
        generated_at=dt.datetime.now(dt.UTC),
        sources=parts.sources,
        stories=parts.stories,
        key_points=key_points(
            parts.claims, parts.events, parts.disagreements, parts.sources, top=settings.top
        ),
        events=parts.events,
        claims=parts.claims,
        disagreements=parts.disagreements,
        stats=RunStats(
            model=backend.model,
            endpoint=backend.label,
            articles=len(articles),
            **RunStats.usage_fields(usage),
            cost_usd=_total_cost(backend.cost_of(usage), merged.embeddings),
            concurrency=settings.concurrency,
            wall_seconds=round(time.monotonic() - started, 2),
            stopped_by_budget=budget.exceeded,
            refused_by_endpoint=run.refused.one_line() if run.refused is not None else None,
            by_article=[
                ArticleUsage(
                    source=source_label(article),
                    outcome=outcome.outcome,
                    usage=outcome.usage,
                    cost_usd=backend.cost_of(outcome.usage),
                )
                for article, outcome in zip(articles, outcomes, strict=True)
            ],
            embeddings=merged.embeddings,
            adjudication=merged.adjudication,
            failures=failures,
            warnings=[
                *(
                    f"{_label_by_id(articles, e.article_id)}: {w}"
                    for e in extractions
                    for w in e.warnings
                ),
                *merged.warnings,
            ],
            notes=gathered.notes,
            seen_before=seen_before,
        ),
    )
    if record:
        problem = remember_briefing(settings, briefing)
        if problem:
            progress.warning(problem)
    progress.report(
        ProgressStage.DONE,
        done_message(briefing),
        claims=len(briefing.claims),
        events=len(briefing.events),
        verified_quotes=sum(_verified(extraction) for extraction in extractions),
    )
    return mark_novelty(briefing, before) if before is not None else briefing


def _within_size_cap(
    articles: list[Article], max_chars: int
) -> tuple[list[Article], list[ArticleFailure]]:
    """The articles of at most `max_chars` characters, and a failure for each longer one."""
    kept: list[Article] = []
    refused: list[ArticleFailure] = []
    for article in articles:
        if len(article.text) <= max_chars:
            kept.append(article)
            continue
        message = (
            f"{len(article.text):,} characters, over the cap of {max_chars:,} per article; "
            "not sent (--max-article-chars or SUMMARIZER_MAX_ARTICLE_CHARS raises it)"
        )
        refused.append(ArticleFailure(source=source_label(article), message=message))
    return kept, refused


def _local_embedder(settings: Settings) -> LocalEmbedder | None:
    if not settings.embeddings or settings.remote_embeddings:
        return None
    embedder = LocalEmbedder()
    embedder.prepare()
    return embedder


def _report_merging(progress: ProgressReporter, extractions: Sequence[ArticleExtraction]) -> None:
    claims = sum(len(extraction.claims) for extraction in extractions)
    events = sum(len(extraction.events) for extraction in extractions)
    progress.report(
        ProgressStage.MERGING,
        f"merging {claims} claims and {events} events of {len(extractions)} article(s)",
        claims=claims,
        events=events,
    )


def _embedding_line(usage: EmbeddingUsage) -> str:
    where = "local" if usage.endpoint == "local" else f"at {usage.endpoint}"
    requests = f", {usage.requests} request(s)" if usage.requests else ""
    return (
        f"merged by meaning: {usage.texts} sentence vector(s) from {usage.model} ({where}), "
        f"{usage.cache_hits} from the vector cache{requests}"
    )


def _adjudication_line(adjudication: AdjudicationUsage) -> str:
    cached = adjudication.usage.cache_hits
    return (
        f"adjudicated {adjudication.pairs} borderline pair(s): {adjudication.same} judged the "
        f"same, {adjudication.usage.calls} request(s), {cached} from cache"
    )


def _total_cost(extraction: float | None, embeddings: EmbeddingUsage | None) -> float | None:
    if embeddings is None:
        return extraction
    if extraction is None or embeddings.cost_usd is None:
        return None
    return round(extraction + embeddings.cost_usd, 6)


@dataclass(frozen=True)
class _Outcome:
    """What happened to one article: its extraction or its failure, and what it cost."""

    outcome: ArticleOutcome
    usage: TokenUsage
    extraction: ArticleExtraction | None = None
    failure: ArticleFailure | None = None


class _Run:
    """Extracts articles, a few at a time (`_articles_in_progress`), against one budget."""

    def __init__(self, settings: Settings, budget: Budget, progress: ProgressReporter) -> None:
        self.budget = budget
        self._progress = progress
        self._slots = asyncio.Semaphore(_articles_in_progress(settings.concurrency))
        # Set when the endpoint refused for good (bad key, unknown model): an article that
        # gets its slot in the moment before the run is torn down must not ask again.
        self._refused: ProviderError | None = None

    @property
    def refused(self) -> ProviderError | None:
        """The endpoint's refusal for good, if one came: no request was sent after it."""
        return self._refused

    async def extract(
        self, llm: StructuredLLM, cache: ResponseCache | None, number: int, article: Article
    ) -> _Outcome:
        which = ArticleRef(
            label=source_label(article), index=number, total=self._progress.articles_total
        )
        where = f"[{which.index}/{which.total}]"
        meter = UsageMeter(budget=self.budget)
        async with self._slots:
            if self._refused is not None:
                return self._not_started(article, meter, self._refused.one_line())
            if self.budget.exceeded is not None:
                return self._not_started(article, meter, self.budget.exceeded)
            self._progress.report(
                ProgressStage.EXTRACTING, f"{where} extracting {which.label}", article=which
            )
            started = time.monotonic()
            try:
                extraction = await extract_article(llm, article, meter=meter, cache=cache)
            except BudgetExceeded as error:
                if meter.calls == 0 and meter.cache_hits == 0:
                    return self._not_started(article, meter, error.message)
                return self._failed(which, meter, f"stopped half-way: {error.message}")
            except ProviderError as error:
                if error.status_code in _FATAL_STATUS and self._refused is None:
                    self._refused = error
                return self._failed(which, meter, error.one_line())
        grounded = ground_extraction(extraction, article)
        if not grounded.claims and not grounded.events:
            # A source that says nothing would look briefed: it failed, and says why.
            reason = (
                f"no usable answer ({extraction.warnings[0]})"
                if extraction.warnings
                else "no sentence to read (none of three or more words)"
            )
            return self._failed(which, meter, reason)
        verified = _verified(grounded)
        cached = f", {meter.cache_hits} from cache" if meter.cache_hits else ""
        self._progress.articles_done += 1
        self._progress.report(
            ProgressStage.EXTRACTED,
            f"{where} {len(grounded.claims)} claims, {len(grounded.events)} events, "
            f"{verified} verified quotes, {time.monotonic() - started:.1f} s{cached}",
            article=which,
            claims=len(grounded.claims),
            events=len(grounded.events),
            verified_quotes=verified,
        )
        return _Outcome("briefed", meter.snapshot(), extraction=grounded)

    def _failed(self, which: ArticleRef, meter: UsageMeter, message: str) -> _Outcome:
        self._progress.articles_done += 1
        self._progress.report(
            ProgressStage.FAILED, f"[{which.index}/{which.total}] failed: {message}", article=which
        )
        failure = ArticleFailure(source=which.label, message=message)
        return _Outcome("failed", meter.snapshot(), failure=failure)

    def _not_started(self, article: Article, meter: UsageMeter, reason: str) -> _Outcome:
        # No line of its own, as before: the run's end lists it among the failures.
        self._progress.articles_done += 1
        message = f"not briefed: {reason}"
        failure = ArticleFailure(source=source_label(article), message=message)
        return _Outcome("not started", meter.snapshot(), failure=failure)


def _articles_in_progress(concurrency: int) -> int:
    """How many articles may be under way at once.

    With several requests in flight, answers come back in bursts; an article already read,
    chunked and waiting with its request then goes out the moment a slot frees (5% of the
    concurrency benchmark's wall time). Such an article's deadline and progress time also
    count that wait, at most one request long. One request at a time (the embedded model)
    gains nothing from it, so there each article starts when its request can go out.
    """
    return concurrency if concurrency == 1 else 2 * concurrency


@contextlib.contextmanager
def _open_cache(settings: Settings) -> Iterator[ResponseCache | None]:
    if settings.cache_dir is None:
        yield None
        return
    with ResponseCache(settings.cache_dir / CACHE_FILE_NAME) as cache:
        yield cache


def _unseen(
    articles: list[Article], settings: Settings, progress: ProgressReporter
) -> tuple[list[Article], list[str]]:
    """Split off the articles the store says were briefed before."""
    assert settings.data_dir is not None
    with ArticleStore.open(settings.data_dir) as store:
        seen = store.seen_ids(article.id for article in articles)
        if store.problem:
            progress.warning(store.problem)
    fresh = [article for article in articles if article.id not in seen]
    seen_before = [source_label(article) for article in articles if article.id in seen]
    if seen_before:
        progress.report(
            ProgressStage.READING,
            f"new only: {len(seen_before)} article(s) briefed before, left out",
        )
    return fresh, seen_before


def _nothing_new(
    settings: Settings,
    backend: Backend,
    seen_before: list[str],
    gathered: Gathered,
    started: float,
) -> Briefing:
    return Briefing(
        generated_at=dt.datetime.now(dt.UTC),
        sources=[],
        events=[],
        claims=[],
        disagreements=[],
        stats=RunStats(
            model=backend.model,
            endpoint=backend.label,
            articles=len(seen_before),
            llm_calls=0,
            reasks=0,
            prompt_tokens=0,
            completion_tokens=0,
            concurrency=settings.concurrency,
            wall_seconds=round(time.monotonic() - started, 2),
            failures=gathered.failures,
            notes=gathered.notes,
            seen_before=seen_before,
        ),
    )


def remember_briefing(settings: Settings, briefing: Briefing) -> str | None:
    """Record the briefed articles, so that a later new-only run leaves them out.

    Returns:
        Why the article store could not be used, when it could not (the run goes on).
    """
    if settings.data_dir is None:
        return None
    with ArticleStore.open(settings.data_dir) as store:
        store.record_briefing(briefing)
        return store.problem


def _summarize_failures(failures: Sequence[ArticleFailure]) -> str:
    if not failures:
        return ""
    first = f"{failures[0].source}: {failures[0].message}"
    return first if len(failures) == 1 else f"{first} (and {len(failures) - 1} more)"


def _verified(extraction: ArticleExtraction) -> int:
    items: list[Claim | Event] = [*extraction.claims, *extraction.events]
    return sum(1 for item in items for evidence in item.evidence if evidence.status != "unverified")


def _label_by_id(articles: Sequence[Article], article_id: str) -> str:
    return next((source_label(a) for a in articles if a.id == article_id), article_id)
