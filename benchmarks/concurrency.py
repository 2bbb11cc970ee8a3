"""Concurrency benchmark: what our client adds on top of the model's own latency.

Measures the wall time of one `abrief` call over 200 short synthetic articles (one chunk
each, no figures, dates or times, so every answer needs only the sentence fields) against
the OpenAI stub (`summarizer/testing/stub.py`) in its own process, answering after a fixed
0.2 s, at concurrency 16, mode `json_schema`, response cache off.

Baseline: the stub's latency alone, 200 / 16 x 0.2 s = 2.5 s (2.6 s in whole waves of
16); target within 1.2x of it, <= 3.0 s. The concurrent run is timed twice: as
`summarizer brief` runs it (the CLI freezes what its imports built out of the cyclic
garbage collector before it starts, `gc.freeze()`; the target applies here), and as a
library call in a plain process, where full collections rescan that heap again and
again (shown beside it). A third run at concurrency 1 over 20 more
articles is held against 20 x 0.2 s = 4.0 s: what is left over is our per-request
overhead (prompt rendering, per-chunk schema building, instructor, parsing, merging).
Both runs also report the client's CPU time: at concurrency 16 one event loop does that
work one request after another, so it is a floor under the concurrent wall time. The
stub's `/stats` must show 200 requests with 16 in flight at most. One untimed article
goes first, so lazy imports and connection set-up are not charged to either run.
`--profile` adds one more, untimed, run under cProfile and splits its CPU time by stage
(the raw profile is written as `concurrency.prof` beside the results).

    python -m benchmarks.concurrency [--articles 200] [--concurrency 16] [--latency 0.2]
        [--baseline-articles 20] [--results-dir benchmarks/results] [--profile]

Prints a table of figures beside their targets and writes `concurrency.json` and
`concurrency.md` into the results folder. The exit code is 0 whenever the measurement
ran, whether or not a target was met: look for FAIL in the table (a missed target is a
finding to profile, not a crash). The figures depend on the machine and how busy it is.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx2

from benchmarks._report import RESULTS_DIR, Figure, table_lines, write_report
from summarizer import Article, Briefing, Settings, abrief, article_from_text
from summarizer.extraction.chunking import split_into_chunks
from summarizer.testing.stub import STUB_MODEL, StubStats, stub_process
from summarizer.text.sentences import split_sentences

TARGET_RATIO = 1.2
ABOUT = (
    "Wall time of one `abrief` call over short synthetic one-chunk articles against the "
    "OpenAI stub in its own process (fixed latency per answer), cache off, mode json_schema; "
    "target within 1.2x of the stub's latency alone. A concurrency-1 run over a few articles "
    "shows the client's own time per request. Figures are machine- and load-dependent."
)

_PLACES = (
    "Alderbrook Ashcombe Belmere Corrow Dunhallow Elmstead Fernwick Garrow Holloway Ivybridge "
    "Kelso Larkhill Millbrook Northam Oakridge Pellwood Quarrendon Rookley Selham Thornbury"
).split()
_SPEAKERS = (
    "The harbour authority",
    "Local farmers",
    "The water company",
    "The regional council",
    "A spokesperson for the port",
    "The teachers' union",
    "Environmental groups",
    "The hospital trust",
    "Shop owners",
    "The rail operator",
)
_VERBS = (
    "asked for",
    "criticised",
    "welcomed",
    "rejected",
    "supported",
    "questioned",
    "called for",
    "announced",
)
_TOPICS = (
    "a review of the flood defences",
    "new rules on river dredging",
    "the plan to close the old bridge",
    "a public inquiry into the spill",
    "funding for the new clinic",
    "the decision to raise water charges",
    "stricter checks on factory waste",
    "the proposal to move the market",
)
_FOLLOW_UPS = (
    "Critics said the plan had been rushed through without a proper hearing.",
    "Officials said the work would go ahead as planned.",
    "Residents said they had not been consulted about the change.",
    "The council said it would publish its reasons in full.",
    "Campaigners said the decision ignored the advice of local experts.",
    "A senior engineer said the site needed urgent repairs.",
)
_OUTLETS = ("The Valley Courier", "Northern Herald", "Coastal Press", "The Riverside Signal")


@dataclass(frozen=True)
class _Run:
    """One timed `abrief` call and what the stub saw during it."""

    articles: int
    concurrency: int
    seconds: float
    cpu_seconds: float
    briefing: Briefing
    stub: StubStats


def synthetic_articles(count: int, *, seed: int = 0, chunk_chars: int = 2400) -> list[Article]:
    """`count` distinct three-sentence articles, each one chunk with no figure or time.

    Raises:
        ValueError: the vocabulary cannot give `count` distinct articles, or a sentence
            would ask for a quantity or an event (a vocabulary mistake).
    """
    rng = random.Random(seed)
    combinations = len(_PLACES) * len(_SPEAKERS) * len(_VERBS) * len(_TOPICS)
    if count > combinations:
        raise ValueError(f"at most {combinations} distinct articles, not {count}")
    seen: set[tuple[str, str, str, str]] = set()
    articles: list[Article] = []
    while len(articles) < count:
        place, speaker = rng.choice(_PLACES), rng.choice(_SPEAKERS)
        verb, topic = rng.choice(_VERBS), rng.choice(_TOPICS)
        if (place, speaker, verb, topic) in seen:
            continue
        seen.add((place, speaker, verb, topic))
        text = (
            f"{speaker} in {place} {verb} {topic}. "
            f"{rng.choice(_FOLLOW_UPS)}\n{rng.choice(_FOLLOW_UPS)}"
        )
        article = article_from_text(
            text, title=f"{place}: {speaker} {verb} {topic}", outlet=rng.choice(_OUTLETS)
        )
        _check_plain(article, chunk_chars)
        articles.append(article)
    return articles


def _check_plain(article: Article, chunk_chars: int) -> None:
    sentences = split_sentences(article.text)
    marked = [s.text for s in sentences if s.has_figure or s.has_time]
    if marked:
        raise ValueError(f"synthetic sentence(s) read as a figure or a time: {marked}")
    if len(split_into_chunks(article.text, max_chars=chunk_chars)) != 1:
        raise ValueError(f"synthetic article is more than one chunk: {article.title}")


def _settings(base_url: str, concurrency: int) -> Settings:
    # Built directly, not resolved: no environment variable or user config may change a run.
    return Settings(
        base_url=base_url,
        api_key="not-needed",
        model=STUB_MODEL,
        mode="json_schema",
        concurrency=concurrency,
        cache_dir=None,
    )


def _stub_call(base_url: str, method: str, path: str) -> StubStats:
    root = base_url.removesuffix("/v1")
    with httpx2.Client(base_url=root, trust_env=False) as client:
        response = client.request(method, path)
        response.raise_for_status()
        stats: StubStats = response.json()
        return stats


async def _timed(base_url: str, articles: Sequence[Article], concurrency: int) -> _Run:
    _stub_call(base_url, "POST", "/stats/reset")
    started, cpu_started = time.perf_counter(), time.process_time()
    briefing = await abrief(articles, settings=_settings(base_url, concurrency))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    stub = _stub_call(base_url, "GET", "/stats")
    return _Run(len(articles), concurrency, seconds, cpu_seconds, briefing, stub)


async def _measure(
    base_url: str,
    articles: Sequence[Article],
    other_articles: Sequence[Article],
    baseline_articles: Sequence[Article],
    warm_up: Article,
    *,
    concurrency: int,
) -> tuple[_Run, _Run, _Run]:
    await abrief([warm_up], settings=_settings(base_url, 1))
    # Other articles: the same ones again would find their response models cached.
    plain = await _timed(base_url, other_articles, concurrency)
    # As `summarizer brief` runs it: the CLI freezes what the imports built out of the
    # cyclic collector (`gc.freeze()` in cli.main) before it starts.
    gc.collect()
    gc.freeze()
    try:
        as_cli = await _timed(base_url, articles, concurrency)
    finally:
        gc.unfreeze()
    sequential = await _timed(base_url, baseline_articles, 1)
    return as_cli, plain, sequential


def figures_for(concurrent: _Run, plain: _Run, sequential: _Run, latency: float) -> list[Figure]:
    """The table: wall times beside their ideals, the stub's counts, the client's own time."""
    ideal = concurrent.articles / concurrent.concurrency * latency
    limit = TARGET_RATIO * ideal
    baseline_ideal = sequential.articles * latency
    overhead = (sequential.seconds - baseline_ideal) / sequential.articles
    briefed = sum(1 for line in concurrent.briefing.stats.by_article if line.outcome == "briefed")
    many, one = concurrent.concurrency, sequential.concurrency
    return [
        Figure(f"ideal, {concurrent.articles} x {latency:g} s / {many}", ideal, "s"),
        Figure(
            f"wall time, {concurrent.articles} articles at concurrency {many}, as the CLI runs",
            concurrent.seconds,
            "s",
            f"<= {limit:.2f} s ({TARGET_RATIO:g}x ideal)",
            concurrent.seconds <= limit,
        ),
        Figure("ratio to ideal", concurrent.seconds / ideal, "x"),
        Figure("the same, a library call in a plain process", plain.seconds, "s"),
        Figure("ratio to ideal, plain process", plain.seconds / ideal, "x"),
        Figure(
            "articles briefed",
            briefed,
            target=f"== {concurrent.articles}",
            passed=briefed == concurrent.articles,
        ),
        Figure(
            "stub requests",
            concurrent.stub["requests"],
            target=f"== {concurrent.articles}",
            passed=concurrent.stub["requests"] == concurrent.articles,
        ),
        Figure(
            "stub max in flight",
            concurrent.stub["max_in_flight"],
            target=f"== {many}",
            passed=concurrent.stub["max_in_flight"] == many,
        ),
        # One event loop does the client's work one request after another: its CPU time
        # is a floor under the concurrent wall time, whatever the concurrency.
        Figure(f"client CPU, concurrency {many} run", concurrent.cpu_seconds, "s"),
        Figure(
            "client CPU per request",
            concurrent.cpu_seconds / concurrent.articles * 1000,
            "ms",
        ),
        Figure(f"baseline ideal, {sequential.articles} x {latency:g} s", baseline_ideal, "s"),
        Figure(
            f"baseline wall time, {sequential.articles} articles at concurrency {one}",
            sequential.seconds,
            "s",
        ),
        Figure("baseline time per request beyond latency", overhead * 1000, "ms"),
        Figure(
            "baseline client CPU per request",
            sequential.cpu_seconds / sequential.articles * 1000,
            "ms",
        ),
    ]


# Where the client's time goes: (what, file path fragment, function), cumulative time.
_STAGES = (
    (
        "response model per chunk (drafts.response_model_for)",
        "summarizer/extraction/drafts.py",
        "response_model_for",
    ),
    ("cache key, schema included (extract._key)", "summarizer/extraction/extract.py", "_key"),
    (
        "prompt rendering (extract.build_messages)",
        "summarizer/extraction/extract.py",
        "build_messages",
    ),
    (
        "instructor request preparation, schema included",
        "instructor/v2/providers/openai/",
        "prepare_request",
    ),
    (
        "instructor async-validator scan",
        "instructor/v2/validation/async_validators.py",
        "reject_async_validators",
    ),
    ("instructor answer parsing", "instructor/v2/providers/openai/", "parse_response"),
    ("openai request transform", "openai/_utils/_transform.py", "async_maybe_transform"),
    ("openai response parsing", "openai/_base_client.py", "_process_response"),
    ("HTTP send and receive (httpx2)", "httpx2/_client.py", "send"),
    ("grounding (ground.ground_extraction)", "summarizer/grounding/ground.py", "ground_extraction"),
    ("merge claims (merge.merge_claims)", "summarizer/briefing/merge.py", "merge_claims"),
    ("merge events (merge.merge_events)", "summarizer/briefing/merge.py", "merge_events"),
    ("disagreement ledger (ledger.build_ledger)", "summarizer/briefing/ledger.py", "build_ledger"),
)


@dataclass(frozen=True)
class Stage:
    """CPU time one stage took in the profiled run (cumulative, so stages can nest)."""

    name: str
    seconds: float
    share: float
    ms_per_request: float


def profile_stages(
    base_url: str, articles: Sequence[Article], concurrency: int, path: Path
) -> list[Stage]:
    """Profile one more concurrent run (untimed) and split its CPU time into stages.

    The profiler slows every call, so the seconds are inflated; the shares are the finding.
    Stages can nest (HTTP inside instructor's call), so the shares need not add up to 100%.
    The raw profile is written to `path` for `python -m pstats`.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(abrief(articles, settings=_settings(base_url, concurrency)))
    profiler.disable()
    path.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(path)
    entries = profiler.getstats()
    # The event loop's wait for sockets is idle time, not CPU.
    total = sum(entry.inlinetime for entry in entries if not _is_idle_wait(entry.code))
    stages = [Stage("all client CPU (profiled)", total, 1.0, total / len(articles) * 1000)]
    for name, fragment, function in _STAGES:
        seconds = sum(
            entry.totaltime
            for entry in entries
            if not isinstance(entry.code, str)
            and entry.code.co_name == function
            and fragment in Path(entry.code.co_filename).as_posix()
        )
        stages.append(Stage(name, seconds, seconds / total, seconds / len(articles) * 1000))
    return stages


def _is_idle_wait(code: object) -> bool:
    return isinstance(code, str) and "select.epoll" in code


def stage_lines(stages: Sequence[Stage]) -> list[str]:
    """The profile as a Markdown table (readable as plain text too)."""
    lines = ["| stage | seconds | share | ms per request |", "|---|---|---|---|"]
    lines += [
        f"| {s.name} | {s.seconds:.3f} | {s.share:.0%} | {s.ms_per_request:.1f} |" for s in stages
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark, print its table, write the results; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.concurrency",
        description="Wall time of abrief over synthetic articles against the OpenAI stub.",
    )
    parser.add_argument("--articles", type=int, default=200, help="articles in the timed run")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--latency", type=float, default=0.2, help="stub seconds per answer")
    parser.add_argument(
        "--baseline-articles", type=int, default=20, help="articles in the concurrency-1 run"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where to write")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile one more (untimed) concurrent run and split its CPU time by stage",
    )
    options = parser.parse_args(argv)
    if min(options.articles, options.concurrency, options.baseline_articles) < 1:
        parser.error("--articles, --concurrency and --baseline-articles must be at least 1")
    if options.latency <= 0:
        parser.error("--latency must be positive")

    count = options.articles
    *articles, warm_up = synthetic_articles(3 * count + options.baseline_articles + 1)
    timed, other, profiled = (articles[k * count : (k + 1) * count] for k in range(3))
    baseline = articles[3 * count :]
    profile_path = options.results_dir / "concurrency.prof"
    stages: list[Stage] = []
    with stub_process(latency=options.latency) as base_url:
        concurrent, plain, sequential = asyncio.run(
            _measure(
                base_url,
                timed,
                other,
                baseline,
                warm_up,
                concurrency=options.concurrency,
            )
        )
        if options.profile:
            # Articles of its own: the timed ones would find their response models cached.
            stages = profile_stages(base_url, profiled, options.concurrency, profile_path)
    figures = figures_for(concurrent, plain, sequential, options.latency)
    print("\n".join(table_lines(figures)))
    profile_section: list[str] = []
    if stages:
        print("", *stage_lines(stages), sep="\n")
        profile_section = [
            "## Where the client's CPU time goes",
            "",
            "From one more run under cProfile (inflated by the profiler; read the shares). "
            f"Raw profile: `{profile_path.name}`.",
            "",
            *stage_lines(stages),
        ]
    paths = write_report(
        "concurrency",
        title="Concurrency: abrief against a fixed-latency stub",
        about=ABOUT,
        parameters={
            "articles": options.articles,
            "concurrency": options.concurrency,
            "latency_s": options.latency,
            "baseline_articles": options.baseline_articles,
            "mode": "json_schema",
            "cache": False,
        },
        figures=figures,
        details={
            "concurrent_stub_stats": concurrent.stub,
            "plain_process_stub_stats": plain.stub,
            "baseline_stub_stats": sequential.stub,
            "concurrent_llm_calls": concurrent.briefing.stats.llm_calls,
            "concurrent_failures": [f.message for f in concurrent.briefing.stats.failures],
            "profile": [asdict(stage) for stage in stages],
        },
        extra_markdown=profile_section,
        directory=options.results_dir,
    )
    print("wrote " + " and ".join(str(path) for path in paths))


if __name__ == "__main__":
    main()
