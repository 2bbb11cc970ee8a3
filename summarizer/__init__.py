"""summarizer: turn a pile of news articles into a short, cited, deduplicated briefing.

Library first: everything the CLI does is one call here.

    >>> from summarizer import brief, render_markdown  # doctest: +SKIP
    >>> print(render_markdown(brief(["examples/articles"])))  # doctest: +SKIP
"""

from summarizer.briefing.novelty import load_previous, mark_novelty
from summarizer.config import Settings, resolve_settings
from summarizer.errors import (
    ConfigError,
    EmbeddedModelError,
    ExtractionError,
    InputError,
    ProviderError,
    RunError,
    SummarizerError,
    UserError,
)
from summarizer.inputs.fetch import FetchLimits
from summarizer.inputs.gather import Gathered, Window, gather_articles
from summarizer.inputs.html_extract import article_from_html
from summarizer.inputs.ingest import article_from_text, collect_articles
from summarizer.models import (
    Article,
    ArticleExtraction,
    Briefing,
    Carrier,
    Citation,
    Claim,
    Disagreement,
    Event,
    Evidence,
    MergedClaim,
    MergedEvent,
    Quantity,
    RunStats,
    Story,
)
from summarizer.pipeline import abrief, brief, remember_briefing
from summarizer.render.render_html import render_html
from summarizer.render.render_json import render_json
from summarizer.render.render_markdown import render_markdown
from summarizer.runtime.doctor import SetupCheck, check_setup
from summarizer.runtime.progress import ArticleRef, ProgressCallback, ProgressEvent, ProgressStage
from summarizer.storage.article_store import ArticleStore

__all__ = [
    "Article",
    "ArticleExtraction",
    "ArticleRef",
    "ArticleStore",
    "Briefing",
    "Carrier",
    "Citation",
    "Claim",
    "ConfigError",
    "Disagreement",
    "EmbeddedModelError",
    "Event",
    "Evidence",
    "ExtractionError",
    "FetchLimits",
    "Gathered",
    "InputError",
    "MergedClaim",
    "MergedEvent",
    "ProgressCallback",
    "ProgressEvent",
    "ProgressStage",
    "ProviderError",
    "Quantity",
    "RunError",
    "RunStats",
    "Settings",
    "SetupCheck",
    "Story",
    "SummarizerError",
    "UserError",
    "Window",
    "abrief",
    "article_from_html",
    "article_from_text",
    "brief",
    "check_setup",
    "collect_articles",
    "gather_articles",
    "load_previous",
    "mark_novelty",
    "remember_briefing",
    "render_html",
    "render_json",
    "render_markdown",
    "resolve_settings",
]
