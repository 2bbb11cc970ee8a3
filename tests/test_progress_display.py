"""The CLI's progress display: plain lines off a terminal, a live bar on one, nothing with -q."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from summarizer import cli
from summarizer.render.progress_display import NoProgress, ProgressBar, ProgressLines
from summarizer.runtime.progress import ArticleRef, ProgressEvent, ProgressStage

FIRST = ArticleRef(label="articles/01.txt", index=1, total=2)
SECOND = ArticleRef(label="articles/[draft].txt", index=2, total=2)
RUN = [
    ProgressEvent(stage=ProgressStage.READING, message="read 2 article(s)", articles_total=2),
    ProgressEvent(
        stage=ProgressStage.EXTRACTING,
        message="[1/2] extracting articles/01.txt",
        article=FIRST,
        articles_total=2,
        elapsed_seconds=0.1,
    ),
    ProgressEvent(
        stage=ProgressStage.EXTRACTED,
        message="[1/2] 2 claims, 0 events, 2 verified quotes, 4.0 s",
        article=FIRST,
        articles_done=1,
        articles_total=2,
        claims=2,
        events=0,
        verified_quotes=2,
        prompt_tokens=400,
        output_tokens=100,
        elapsed_seconds=4.0,
    ),
    ProgressEvent(
        stage=ProgressStage.EXTRACTING,
        message="[2/2] extracting articles/[draft].txt",
        article=SECOND,
        articles_done=1,
        articles_total=2,
        prompt_tokens=400,
        output_tokens=100,
        elapsed_seconds=4.0,
    ),
    ProgressEvent(
        stage=ProgressStage.FAILED,
        message="[2/2] failed: HTTP 400 [bold]context too long[/bold]",
        article=SECOND,
        articles_done=2,
        articles_total=2,
        prompt_tokens=400,
        output_tokens=100,
        elapsed_seconds=5.0,
    ),
    ProgressEvent(
        stage=ProgressStage.WARNING,
        message="warning: response cache c.sqlite unusable (disk I/O error); running without it",
        articles_done=2,
        articles_total=2,
        prompt_tokens=400,
        output_tokens=100,
        elapsed_seconds=5.0,
    ),
    ProgressEvent(
        stage=ProgressStage.MERGING,
        message="merging 2 claims and 0 events of 1 article(s)",
        articles_done=2,
        articles_total=2,
        prompt_tokens=400,
        output_tokens=100,
        elapsed_seconds=5.0,
    ),
    ProgressEvent(
        stage=ProgressStage.DONE,
        message="done: 2 claims, 0 events, 0 disagreements from 1 sources in 5.0 s",
        articles_done=2,
        articles_total=2,
        prompt_tokens=400,
        output_tokens=100,
        elapsed_seconds=5.0,
    ),
]
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_plain_lines_are_the_lines_printed_before_progress_was_typed() -> None:
    stream = io.StringIO()

    with ProgressLines(stream) as display:
        for event in RUN:
            display(event)

    # Merging and the end had no line of their own; the CLI ends the run with its own.
    assert stream.getvalue().splitlines() == [
        "read 2 article(s)",
        "[1/2] extracting articles/01.txt",
        "[1/2] 2 claims, 0 events, 2 verified quotes, 4.0 s",
        "[2/2] extracting articles/[draft].txt",
        "[2/2] failed: HTTP 400 [bold]context too long[/bold]",
        "warning: response cache c.sqlite unusable (disk I/O error); running without it",
    ]


def test_the_bar_on_a_terminal_shows_articles_done_and_output_tokens_per_second() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, color_system=None, width=140)

    with ProgressBar(console) as display:
        for event in RUN:
            display(event)

    text = _CONTROL.sub("", screen.getvalue())
    lines = text.replace("\r", "\n").splitlines()
    # Warnings and failures stay above the bar, as written (no markup read into them).
    assert "warning: response cache c.sqlite unusable (disk I/O error); running without it" in (
        lines
    )
    assert "[2/2] failed: HTTP 400 [bold]context too long[/bold]" in lines
    assert "read 2 article(s)" in lines
    # An article's start and result only move the bar.
    assert not any(line.startswith("[1/2] 2 claims") for line in lines)
    final = [line for line in lines if "articles" in line][-1]
    assert final.split()[0] == "done"
    assert "2/2 articles" in final
    # 100 output tokens in the run's 5 seconds.
    assert final.endswith("20.0 output tok/s")


def test_quiet_shows_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with NoProgress() as display:
        for event in RUN:
            display(event)

    assert capsys.readouterr() == ("", "")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("quiet", "terminal", "expected"),
    [
        (True, True, NoProgress),
        (False, True, ProgressBar),
        (False, False, ProgressLines),
    ],
)
def test_the_cli_picks_the_bar_only_for_a_terminal(
    monkeypatch: pytest.MonkeyPatch, quiet: bool, terminal: bool, expected: type
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr("sys.stderr", _Terminal() if terminal else io.StringIO())

    assert type(cli._progress_display(quiet)) is expected


def test_a_dumb_terminal_gets_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setattr("sys.stderr", _Terminal())

    assert type(cli._progress_display(False)) is ProgressLines
