"""The command line: parse options, call the library, render, map errors to one line."""

from __future__ import annotations

import datetime as dt
import gc
import importlib.metadata
import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from summarizer.config import DISTRIBUTION, STRUCTURED_MODES, resolve_settings
from summarizer.errors import (
    DependencyVersionError,
    InputError,
    RunError,
    SummarizerError,
    UserError,
)
from summarizer.inputs.feeds import parse_since
from summarizer.inputs.gather import Window
from summarizer.pipeline import brief as run_brief
from summarizer.pipeline import remember_briefing
from summarizer.render.progress_display import (
    NoProgress,
    ProgressBar,
    ProgressDisplay,
    ProgressLines,
)
from summarizer.render.render_html import render_html
from summarizer.render.render_json import render_json
from summarizer.render.render_markdown import render_markdown
from summarizer.render.render_usage import usage_summary, usage_table
from summarizer.render.schemas import schema_documents, write_schemas
from summarizer.runtime.doctor import SetupCheck, check_setup
from summarizer.runtime.embedding_weights import EMBEDDING_MODEL_NAME, ensure_embedding_model
from summarizer.runtime.progress import done_message
from summarizer.storage.article_store import ArticleStore
from summarizer.storage.cache import CACHE_FILE_NAME, ResponseCache
from summarizer.storage.vector_cache import VECTOR_CACHE_FILE_NAME, VectorCache

# The briefing was written, but a budget stopped the run before every article was done.
BUDGET_EXIT_CODE = 3
# Ctrl-C, as shells report a process stopped by SIGINT (typer returns it too).
INTERRUPTED_EXIT_CODE = 130
# `summarizer doctor` found something that would make a run fail.
DOCTOR_PROBLEM_EXIT_CODE = 1

app = typer.Typer(
    name="summarizer",
    help="Turn a pile of news articles into a short, cited briefing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"summarizer {importlib.metadata.version(DISTRIBUTION)}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Turn a pile of news articles into a short, cited briefing."""


class OutputFormat(StrEnum):
    md = "md"
    json = "json"
    html = "html"


# The format -o's suffix asks for when --format is not given; any other suffix gets md.
_FORMAT_BY_SUFFIX = {
    ".json": OutputFormat.json,
    ".md": OutputFormat.md,
    ".markdown": OutputFormat.md,
    ".html": OutputFormat.html,
    ".htm": OutputFormat.html,
}
_RENDERERS = {
    OutputFormat.md: render_markdown,
    OutputFormat.json: render_json,
    OutputFormat.html: render_html,
}
# `-o -`: standard output, as with no -o at all.
_STDOUT = "-"


@app.command()
def brief(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Article files, folders or globs (.txt, .md, .html), URLs of pages or "
            "RSS/Atom feeds; - reads one article from stdin."
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write here instead of stdout; - is stdout."),
    ] = None,
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="md, json or html (default: from -o's suffix: .json json, .html html; else md).",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible endpoint; none means the embedded model."),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name at the endpoint.")] = None,
    api_key: Annotated[str | None, typer.Option(help="Key for the endpoint.")] = None,
    mode: Annotated[
        str | None,
        typer.Option(help=f"Structured-output mode: {', '.join(STRUCTURED_MODES)}."),
    ] = None,
    gguf: Annotated[
        Path | None, typer.Option(help="Serve this GGUF locally instead of the default model.")
    ] = None,
    max_reasks: Annotated[
        int | None, typer.Option(help="Re-asks per request when output fails validation.")
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(help="Requests in flight at once (default: 1 embedded, 4 otherwise).", min=1),
    ] = None,
    cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help="Reuse and store answers (response cache).")
    ] = True,
    max_tokens: Annotated[
        int | None,
        typer.Option(help="Stop sending requests after this many tokens (prompt + output).", min=1),
    ] = None,
    max_cost: Annotated[
        float | None, typer.Option(help="Stop sending requests after this many US dollars.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Feed entries published in the last span: 90m, 24h, 2d, 1w."),
    ] = None,
    on_date: Annotated[
        str | None,
        typer.Option("--date", help="Feed entries published on this day (UTC): 2026-05-13."),
    ] = None,
    new_only: Annotated[
        bool, typer.Option("--new-only", help="Leave out articles briefed before.")
    ] = False,
    previous: Annotated[
        Path | None,
        typer.Option(help="Mark claims new or changed since this earlier briefing (.json)."),
    ] = None,
    fetch_timeout: Annotated[
        float | None,
        typer.Option(help="Seconds each web page or feed may take (default 20).", min=0.1),
    ] = None,
    remember: Annotated[
        bool,
        typer.Option(
            "--remember/--no-remember",
            help="Record the briefed articles in the article store (what --new-only reads).",
        ),
    ] = True,
    embeddings: Annotated[
        bool,
        typer.Option(
            "--embeddings/--no-embeddings",
            help="Merge claims told in other words too (sentence embeddings).",
        ),
    ] = True,
    embedding_model: Annotated[
        str | None,
        typer.Option(
            help="Embedding model the endpoint serves (/v1/embeddings) for merging by "
            "meaning; default: the local all-MiniLM-L6-v2."
        ),
    ] = None,
    adjudicate: Annotated[
        bool,
        typer.Option(
            "--adjudicate/--no-adjudicate",
            help="Ask the model whether borderline pairs of merging by meaning state the "
            "same thing (cached, counted in the token ledger).",
        ),
    ] = False,
    max_adjudications: Annotated[
        int | None,
        typer.Option(
            help="Borderline pairs the model judges per run at most (default 100).", min=1
        ),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option(help="Key points the briefing leads with (default 10).", min=1),
    ] = None,
    max_article_chars: Annotated[
        int | None,
        typer.Option(
            help="Characters of text one article may have (default 100,000); a longer one "
            "is listed as failed, never sent.",
            min=1,
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Markdown: every claim and event with its quotes, and the statistics."
        ),
    ] = False,
    show_stats: Annotated[
        bool,
        typer.Option("--stats", help="Markdown: the run statistics and token ledger at the end."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
) -> None:
    """Write a cited briefing of the articles.

    Example: summarizer brief examples/articles -o briefing.md
    """
    target = None if output in (None, _STDOUT) else Path(output)
    chosen = _format_for(target, output_format)
    if target is not None:
        _check_writable(target)
    settings = resolve_settings(
        base_url=base_url,
        api_key=api_key,
        model=model,
        mode=mode,
        gguf=gguf,
        max_reasks=max_reasks,
        concurrency=concurrency,
        cache=cache,
        max_tokens=max_tokens,
        max_cost=max_cost,
        remember=remember,
        fetch_timeout=fetch_timeout,
        embeddings=embeddings,
        embedding_model=embedding_model,
        adjudicate=adjudicate,
        max_adjudications=max_adjudications,
        top=top,
        max_article_chars=max_article_chars,
    )
    window = Window(
        since=parse_since(since) if since is not None else None,
        on_date=_day(on_date) if on_date is not None else None,
    )
    with _progress_display(quiet) as display:
        briefing = run_brief(
            paths,
            settings=settings,
            on_progress=display,
            window=window,
            new_only=new_only,
            previous=previous,
            # Recorded below, once the briefing is written: a briefing that never reached
            # its file must not make the next --new-only run skip its articles.
            record=False,
        )
    stats = briefing.stats
    for failure in stats.failures:
        typer.echo(f"warning: {failure.source}: {failure.message}", err=True)
    if not briefing.sources and stats.seen_before:
        typer.echo(
            f"nothing new: all {len(stats.seen_before)} article(s) were briefed before; "
            "no briefing written",
            err=True,
        )
        return
    text = (
        render_markdown(briefing, full=full, stats=show_stats)
        if chosen is OutputFormat.md
        else _RENDERERS[chosen](briefing)
    )
    if target is None:
        sys.stdout.write(text)
    else:
        _write(target, text)
    problem = remember_briefing(settings, briefing)
    if problem:
        typer.echo(f"warning: {problem}", err=True)
    if not quiet:
        for line in usage_table(stats):
            _progress(line)
        _progress(usage_summary(stats))
        _progress(done_message(briefing) + (f" -> {target}" if target else ""))
    for warning in stats.warnings:
        typer.echo(f"warning: {warning}", err=True)
    # Stopped early, the briefing written: a refusal for good first, then a budget.
    for reason, code in (
        (stats.refused_by_endpoint, 1),
        (stats.stopped_by_budget, BUDGET_EXIT_CODE),
    ):
        if reason:
            typer.echo(
                f"error: {reason}; the briefing covers the "
                f"{len(briefing.sources)} of {stats.articles} articles that finished",
                err=True,
            )
            raise SystemExit(code)


@app.command()
def doctor(
    base_url: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible endpoint; none means the embedded model."),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name at the endpoint.")] = None,
    api_key: Annotated[str | None, typer.Option(help="Key for the endpoint.")] = None,
    gguf: Annotated[
        Path | None, typer.Option(help="Check this GGUF instead of the default model.")
    ] = None,
    embedding_model: Annotated[
        str | None,
        typer.Option(help="Embedding model the endpoint serves (/v1/embeddings)."),
    ] = None,
) -> None:
    """Check what a briefing would use (endpoint, models, caches, store) without running one.

    Example: summarizer doctor --base-url http://localhost:11434/v1 --model qwen2.5:7b
    """
    settings = resolve_settings(
        base_url=base_url,
        api_key=api_key,
        model=model,
        gguf=gguf,
        embedding_model=embedding_model,
    )
    checks = check_setup(settings)
    width = max(len(check.name) for check in checks)
    for check in checks:
        typer.echo(_doctor_line(check, width))
    if any(check.status == "problem" for check in checks):
        raise SystemExit(DOCTOR_PROBLEM_EXIT_CODE)


@app.command()
def schema(
    write: Annotated[Path | None, typer.Option(help="Write every schema into this folder.")] = None,
) -> None:
    """Print the briefing's JSON Schema, or write all of them.

    Example: summarizer schema --write schemas
    """
    if write is None:
        sys.stdout.write(schema_documents()["briefing.schema.json"])
        return
    for path in write_schemas(write):
        typer.echo(f"wrote {path}", err=True)


cache_app = typer.Typer(
    help="Show or clear the response cache and the vector cache.", no_args_is_help=True
)
app.add_typer(cache_app, name="cache")


@cache_app.command("show")
def cache_show() -> None:
    """Where the response and vector caches are, and what they hold.

    Example: summarizer cache show
    """
    with ResponseCache(_cache_dir() / CACHE_FILE_NAME) as cache:
        summary = cache.summary()
    typer.echo(f"path: {summary.path}")
    typer.echo(f"answers: {summary.answers} ({summary.size_bytes / 1024:,.0f} KiB on disk)")
    typer.echo(f"tokens they cost when first asked: {summary.saved_tokens:,}")
    for model, count in summary.by_model.items():
        typer.echo(f"  {model}: {count}")
    if summary.oldest is not None and summary.newest is not None:
        typer.echo(f"stored between {_when(summary.oldest)} and {_when(summary.newest)}")
    with VectorCache(_cache_dir() / VECTOR_CACHE_FILE_NAME) as vector_cache:
        vectors = vector_cache.summary()
    typer.echo(f"vectors path: {vectors.path}")
    typer.echo(
        f"sentence vectors: {vectors.vectors} ({vectors.size_bytes / 1024:,.0f} KiB on disk)"
    )
    for embedder, count in vectors.by_embedder.items():
        typer.echo(f"  {embedder}: {count}")


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete every stored answer and sentence vector.

    Example: summarizer cache clear
    """
    path = _cache_dir() / CACHE_FILE_NAME
    with ResponseCache(path) as cache:
        removed = cache.clear()
    typer.echo(f"removed {removed} answer(s) from {path}")
    vectors_path = _cache_dir() / VECTOR_CACHE_FILE_NAME
    with VectorCache(vectors_path) as vector_cache:
        removed = vector_cache.clear()
    typer.echo(f"removed {removed} sentence vector(s) from {vectors_path}")


store_app = typer.Typer(
    help="Show or clear the article store (what was briefed, for --new-only).",
    no_args_is_help=True,
)
app.add_typer(store_app, name="store")


@store_app.command("show")
def store_show() -> None:
    """Where the article store is, and what it remembers.

    Example: summarizer store show
    """
    with ArticleStore.open(_store_dir()) as store:
        summary = store.summary()
    typer.echo(f"path: {summary.path}")
    typer.echo(f"articles briefed: {summary.articles} ({summary.size_bytes / 1024:,.0f} KiB)")
    for outlet, count in summary.by_outlet.items():
        typer.echo(f"  {outlet}: {count}")
    if summary.first_briefed is not None and summary.last_briefed is not None:
        typer.echo(
            f"briefed between {summary.first_briefed:%Y-%m-%d %H:%M} and "
            f"{summary.last_briefed:%Y-%m-%d %H:%M} UTC"
        )


@store_app.command("clear")
def store_clear() -> None:
    """Forget every briefed article (the next --new-only run briefs everything).

    Example: summarizer store clear
    """
    directory = _store_dir()
    with ArticleStore.open(directory) as store:
        removed = store.clear()
    typer.echo(f"forgot {removed} article(s) in {directory}")


models_app = typer.Typer(help="Fetch the local models before a run.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("fetch")
def models_fetch() -> None:
    """Fetch and verify the sentence-embedding model (all-MiniLM-L6-v2, 87 MB, once).

    Example: summarizer models fetch
    """
    files = ensure_embedding_model()
    typer.echo(f"{EMBEDDING_MODEL_NAME}: verified in {files.weights.parent}")


def _format_for(output: Path | None, chosen: OutputFormat | None) -> OutputFormat:
    """--format when given, else what -o's suffix says, else Markdown (stdout included)."""
    if chosen is not None:
        return chosen
    if output is None:
        return OutputFormat.md
    return _FORMAT_BY_SUFFIX.get(output.suffix.lower(), OutputFormat.md)


def _check_writable(output: Path) -> None:
    """Fail before the run, not after it, when -o cannot be written."""
    folder = output.parent
    if output.is_dir():
        raise UserError(f"-o {output}: is a folder", hint="name a file in it")
    if not folder.is_dir():
        raise UserError(f"-o {output}: there is no folder {folder}", hint="create it first")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise UserError(f"-o {output}: not writable", hint="check its permissions")


def _write(output: Path, text: str) -> None:
    """Write `text` to a file beside `output`, then put it in `output`'s place in one step:
    a full disk or a crash leaves the previous file as it was, never half a briefing."""
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise RunError(
            f"-o {output}: cannot write the briefing ({error.strerror or error}); "
            "a previous file there is unchanged"
        ) from error


def _progress_display(quiet: bool) -> ProgressDisplay:
    if quiet:
        return NoProgress()
    console = Console(stderr=True)
    if sys.stderr.isatty() and not console.is_dumb_terminal:
        return ProgressBar(console)
    return ProgressLines(sys.stderr)


def _doctor_line(check: SetupCheck, name_width: int) -> str:
    hint = f" (hint: {check.hint})" if check.hint else ""
    return f"{check.name:<{name_width}}  {check.status:<9}  {check.detail}{hint}"


def _store_dir() -> Path:
    data_dir = resolve_settings().data_dir
    assert data_dir is not None  # resolve_settings always names one unless told not to
    return data_dir


def _cache_dir() -> Path:
    cache_dir = resolve_settings().cache_dir
    assert cache_dir is not None  # resolve_settings always names one unless told not to
    return cache_dir


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--date {text!r}: not a day", hint="write it as 2026-05-13") from None


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _progress(message: str) -> None:
    typer.echo(message, err=True)


def main() -> None:
    """Console entry point: run the app, turning our errors into one line and an exit code."""
    # Libraries (instructor) log failures we already report in one line; keep stderr ours.
    logging.getLogger().addHandler(logging.NullHandler())
    try:
        # Imported here rather than at the top, so that a typer of another release than the
        # adapter is written for is reported as one line too.
        from summarizer.runtime.adapters import typer_internals
    except DependencyVersionError as error:
        _fail(error, 2)
    # What the imports built lives as long as the process: keep it out of the cyclic
    # collector's full passes, which otherwise rescan it again and again (0.15-0.2 s of a
    # 3 s run at concurrency 16; docs/performance.md). A library leaves this to its caller.
    gc.freeze()
    try:
        # Not standalone: click would print its usage errors as a box; ours are one line.
        code = app(standalone_mode=False)
    except typer_internals.UsageError as error:
        typer.echo(f"error: {typer_internals.usage_message(error)}", err=True)
        raise SystemExit(typer_internals.usage_exit_code(error)) from None
    except (typer.Abort, KeyboardInterrupt):
        _interrupted()
    except UserError as error:
        _fail(error, 2)
    except SummarizerError as error:
        _fail(error, 1)
    except Exception as error:  # the CLI boundary: never show a traceback to a user
        if os.environ.get("SUMMARIZER_DEBUG"):
            raise
        typer.echo(
            f"error: unexpected {type(error).__name__}: {error} "
            "(set SUMMARIZER_DEBUG=1 to see the traceback)",
            err=True,
        )
        raise SystemExit(1) from None
    # --help, typer.Exit and Ctrl-C come back as an exit code, a finished command as None.
    if code == INTERRUPTED_EXIT_CODE:
        _interrupted()
    if isinstance(code, int) and code != 0:
        raise SystemExit(code)


def _interrupted() -> NoReturn:
    typer.echo(
        "interrupted: no briefing written; the answers received so far are in the "
        "response cache (unless --no-cache), so the same command goes on from there",
        err=True,
    )
    raise SystemExit(INTERRUPTED_EXIT_CODE)


def _fail(error: SummarizerError, code: int) -> NoReturn:
    typer.echo(f"error: {error.one_line()}", err=True)
    raise SystemExit(code)
