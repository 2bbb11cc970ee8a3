"""Typed progress of a run: the events `brief(on_progress=...)` is called with.

Each `ProgressEvent` says what happened (its `stage`), to which article, and where the run
stands: articles done of all, tokens spent so far, seconds since the run began. Its
`message` (also `str(event)`) is the one line the command line prints for it.

`ProgressReporter` stamps events with the run's figures; the stages below use it and never
build events themselves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from summarizer.models import Briefing

if TYPE_CHECKING:
    from summarizer.runtime.usage import Budget


class ProgressStage(StrEnum):
    """What a `ProgressEvent` reports."""

    READING = "reading"
    """Inputs read: feeds, copies folded, articles left out as seen before, the count."""
    STARTING_MODEL = "starting model"
    """The embedded model is being started (once, when the first request is due)."""
    EXTRACTING = "extracting"
    """An article's extraction began."""
    EXTRACTED = "extracted"
    """An article was extracted and grounded: its claims, events and verified quotes."""
    FAILED = "failed"
    """An article could not be extracted; the run goes on without it."""
    MERGING = "merging"
    """Merging of every extracted article began."""
    EMBEDDING = "embedding"
    """Merging by meaning is done: how many sentence vectors it used."""
    ADJUDICATING = "adjudicating"
    """The model's judgement of borderline pairs is done."""
    WARNING = "warning"
    """Something the run works around (a cache or store it cannot use)."""
    DONE = "done"
    """The briefing is built: its claims and events."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ArticleRef(_Frozen):
    """Which article an event is about: its label (path, URL or title), `index` of `total`."""

    label: str
    index: int
    total: int


class ProgressEvent(_Frozen):
    """One step of a run, with where the run stands.

    Example:
        >>> brief(["examples/articles"], on_progress=print)  # doctest: +SKIP
        [1/5] extracting examples/articles/01-courier.txt
    """

    stage: ProgressStage
    message: str
    """The one line printed for this event (`str(event)`)."""
    article: ArticleRef | None = None
    articles_done: int = 0
    """Articles finished so far: extracted, failed, or not started (a budget stopped them)."""
    articles_total: int = 0
    """Articles to brief; 0 until the inputs are read."""
    claims: int | None = None
    events: int | None = None
    verified_quotes: int | None = None
    prompt_tokens: int = 0
    """Prompt tokens the run has spent so far, every request counted (re-asks included)."""
    output_tokens: int = 0
    """Output tokens the run has spent so far."""
    elapsed_seconds: float = 0.0
    """Seconds since the run began."""

    def __str__(self) -> str:
        return self.message


ProgressCallback = Callable[[ProgressEvent], None]


class ProgressReporter:
    """Builds each event with the run's figures and hands it to the callback (if any)."""

    def __init__(
        self,
        callback: ProgressCallback | None,
        *,
        started: float | None = None,
        budget: Budget | None = None,
    ) -> None:
        self._callback = callback
        self._started = time.monotonic() if started is None else started
        self._budget = budget
        self.articles_total = 0
        self.articles_done = 0

    def report(
        self,
        stage: ProgressStage,
        message: str,
        *,
        article: ArticleRef | None = None,
        claims: int | None = None,
        events: int | None = None,
        verified_quotes: int | None = None,
    ) -> None:
        if self._callback is None:
            return
        budget = self._budget
        self._callback(
            ProgressEvent(
                stage=stage,
                message=message,
                article=article,
                articles_done=self.articles_done,
                articles_total=self.articles_total,
                claims=claims,
                events=events,
                verified_quotes=verified_quotes,
                prompt_tokens=budget.prompt_tokens if budget is not None else 0,
                output_tokens=budget.completion_tokens if budget is not None else 0,
                elapsed_seconds=round(time.monotonic() - self._started, 3),
            )
        )

    def warning(self, problem: str) -> None:
        self.report(ProgressStage.WARNING, f"warning: {problem}")


def done_message(briefing: Briefing) -> str:
    """The line that ends a run: what the briefing holds, and how long it took."""
    return (
        f"done: {len(briefing.claims)} claims, {len(briefing.events)} events, "
        f"{len(briefing.disagreements)} disagreements from {len(briefing.sources)} sources "
        f"in {briefing.stats.wall_seconds:.1f} s"
    )
