"""A benchmark's run of the product itself on real articles: the options such benchmarks
share, the briefing, and the figures every such run reports (model calls, adjudication,
wall time)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._report import RESULTS_DIR, Figure, adjudication_counts
from summarizer.config import Settings, resolve_settings
from summarizer.models import Article, Briefing
from summarizer.pipeline import abrief


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """How the product runs: embeddings, adjudication, endpoint, and where results go."""
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument(
        "--adjudicate", action="store_true", help="the model judges borderline pairs"
    )
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--results-dir", type=Path, default=None)


@dataclass(frozen=True)
class ProductRun:
    """One briefing of the articles, with the options it ran under and how long it took."""

    briefing: Briefing
    settings: Settings
    options: argparse.Namespace
    seconds: float

    def figures(self) -> list[Figure]:
        stats = self.briefing.stats
        return [
            Figure("model calls / cache hits", f"{stats.llm_calls} / {stats.cache_hits}"),
            Figure(
                "adjudicated pairs / judged same / failed / requests",
                adjudication_counts(stats.adjudication),
            ),
            Figure("wall time", round(self.seconds, 1), unit="s"),
        ]

    def parameters(self) -> dict[str, Any]:
        return {
            "embeddings": not self.options.no_embeddings,
            "adjudicate": self.options.adjudicate,
            "model": self.settings.model,
        }

    def report_directory(self) -> Path:
        """`write_report`'s `directory`: --results-dir if given, else benchmarks/results."""
        directory: Path = self.options.results_dir or RESULTS_DIR
        return directory


def brief_articles(articles: Sequence[Article], options: argparse.Namespace) -> ProductRun:
    """Brief `articles` as the options say (the embedded model by default, through the
    response cache), progress on stderr."""
    settings = resolve_settings(
        base_url=options.base_url,
        model=options.model,
        remember=False,
        embeddings=not options.no_embeddings,
        adjudicate=options.adjudicate,
    )
    started = time.perf_counter()
    briefing = asyncio.run(
        abrief(articles, settings=settings, on_progress=lambda m: print(m, file=sys.stderr))
    )
    return ProductRun(briefing, settings, options, time.perf_counter() - started)
