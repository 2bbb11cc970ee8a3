"""Show a run's progress on stderr: a live bar on a terminal, one line per event elsewhere.

The command line picks one display (`ProgressBar`, `ProgressLines`, or `NoProgress` for
--quiet) and passes it to `brief` as `on_progress`. Each is a context manager around the
run, so the bar is taken down however the run ends, an error or Ctrl-C included.
"""

from __future__ import annotations

from typing import Self, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from summarizer.runtime.progress import ProgressEvent, ProgressStage

__all__ = ["NoProgress", "ProgressBar", "ProgressDisplay", "ProgressLines"]

# Stages that had no line of their own before progress was typed: the start of merging,
# and the end, which the command line reports after the token ledger with where the
# briefing went. Plain output leaves them out, so scripts reading stderr see what they did.
_BAR_ONLY = frozenset({ProgressStage.MERGING, ProgressStage.DONE})
# Lines worth keeping on screen, printed above the bar; an article's start and result
# only move the bar.
_ABOVE_THE_BAR = frozenset(
    {
        ProgressStage.READING,
        ProgressStage.STARTING_MODEL,
        ProgressStage.FAILED,
        ProgressStage.WARNING,
        ProgressStage.EMBEDDING,
        ProgressStage.ADJUDICATING,
    }
)
_BAR_DESCRIPTIONS = {
    ProgressStage.READING: "reading",
    ProgressStage.STARTING_MODEL: "starting the model",
    ProgressStage.MERGING: "merging",
    ProgressStage.DONE: "done",
}
_DESCRIPTION_WIDTH = 40
_RUN_LONG_SECONDS = 24 * 3600.0


class ProgressDisplay:
    """Shows the events of one run; use it as a context manager around the run."""

    def __call__(self, event: ProgressEvent) -> None:
        """Show one event."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None


class NoProgress(ProgressDisplay):
    """Shows nothing (--quiet)."""


class ProgressLines(ProgressDisplay):
    """One line per event, the event's message, for logs and pipes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage not in _BAR_ONLY:
            print(event.message, file=self._stream, flush=True)


class ProgressBar(ProgressDisplay):
    """A live bar: articles done of all, time left, output tokens per second of the run.

    Warnings, failures and the run's other notable lines are printed above it.
    """

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn(
                "{task.description}",
                markup=False,
                table_column=Column(width=_DESCRIPTION_WIDTH, no_wrap=True, overflow="ellipsis"),
            ),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("articles"),
            TimeRemainingColumn(elapsed_when_finished=True),
            TextColumn("{task.fields[output_rate]}", markup=False),
            console=console,
            # An article of the embedded model takes minutes: within rich's default 30 s
            # window no two finish, and the time left would never be shown.
            speed_estimate_period=_RUN_LONG_SECONDS,
        )
        self._task = self._progress.add_task("reading", total=None, output_rate="")

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._progress.stop()

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage in _ABOVE_THE_BAR:
            self._progress.console.print(Text(event.message))
        self._progress.update(
            self._task,
            description=_description(event),
            # None leaves the total as it was: unknown until the inputs are read.
            total=event.articles_total or None,
            completed=event.articles_done,
            output_rate=_output_rate(event),
        )


def _description(event: ProgressEvent) -> str | None:
    """What the bar says it is doing; None keeps what it said."""
    if event.stage is ProgressStage.EXTRACTING and event.article is not None:
        return f"extracting {event.article.label}"
    return _BAR_DESCRIPTIONS.get(event.stage)


def _output_rate(event: ProgressEvent) -> str:
    if event.output_tokens == 0 or event.elapsed_seconds <= 0:
        return ""
    return f"{event.output_tokens / event.elapsed_seconds:,.1f} output tok/s"
