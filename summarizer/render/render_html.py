"""Render a `Briefing` as one self-contained HTML file: no network, one script, a strict CSP.

The page is `summarizer/templates/briefing.html.j2`, rendered by jinja2 with autoescaping
on: text from articles, pages, file names and the model reaches the page only as escaped
text (the articles' texts as a JSON data block, `<` written `\\u003c`). Its one stylesheet
and one script are files beside the template, written into the page whole; the page's
Content-Security-Policy allows exactly those two by their SHA-256 and nothing else, so a
script that somehow got in would not run, and nothing is fetched.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from summarizer.models import Briefing
from summarizer.render.html_views import (
    CitationIndex,
    article_texts,
    key_point_views,
    source_views,
    story_views,
)
from summarizer.render.render_usage import usage_rows, usage_summary

__all__ = ["content_security_policy", "render_html"]

_TEMPLATES = "templates"


def render_html(briefing: Briefing) -> str:
    """Render a briefing as a self-contained HTML report.

    The page holds the count line, the key points, a section per story (its disagreement
    ledgers with the differences explained and a chart of each source's figure over time,
    a timeline figure with its events, and its claims with their quotes), the sources and
    the run statistics. Every citation `[n]` opens source n's text in a panel of the page,
    its quote highlighted at exactly the citation's offsets; the texts are in the file, so
    it works offline. A source without text (a briefing written before texts were kept)
    shows its quotes only. Only http(s) addresses become links.

    Args:
        briefing: The merged briefing to render.

    Returns:
        The HTML document; equal briefings render equal text.
    """
    style, script = _asset("briefing.css"), _asset("briefing.js")
    cites = CitationIndex(briefing.sources)
    stats = briefing.stats
    return _template().render(
        csp=content_security_policy(script=script, style=style),
        style=Markup(style),
        script=Markup(script),
        counts=_counts(briefing),
        generated=_utc(briefing.generated_at),
        since=_since(briefing),
        key_points=key_point_views(briefing, cites),
        stories=story_views(briefing, cites),
        no_longer_reported=(
            briefing.since_previous.no_longer_reported if briefing.since_previous else []
        ),
        sources=source_views(briefing.sources),
        stats=stats,
        spent=usage_summary(stats),
        usage=usage_rows(stats),
        stat_lists=[
            ("Articles that failed", [f"{f.source}: {f.message}" for f in stats.failures]),
            ("Warnings", stats.warnings),
            ("Inputs", stats.notes),
            ("Left out: briefed before (new only)", stats.seen_before),
        ],
        articles={
            number: dataclasses.asdict(text)
            for number, text in article_texts(briefing.sources).items()
        },
    )


def content_security_policy(*, script: str, style: str) -> str:
    """The page's policy: nothing but the given inline script and style, images only inline."""
    return (
        f"default-src 'none'; script-src '{_sha256(script)}'; style-src '{_sha256(style)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


@cache
def _asset(name: str) -> str:
    return resources.files("summarizer.render").joinpath(_TEMPLATES, name).read_text("utf-8")


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("summarizer.render", _TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template("briefing.html.j2")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _counts(briefing: Briefing) -> str:
    return ", ".join(
        [
            _plural(len(briefing.sources), "source"),
            _plural(len(briefing.events), "event"),
            _plural(len(briefing.claims), "claim"),
            _plural(len(briefing.disagreements), "disagreement"),
        ]
    )


def _since(briefing: Briefing) -> str | None:
    since = briefing.since_previous
    if since is None:
        return None
    return (
        f"Since the briefing of {_utc(since.previous_generated_at)}: {since.new} new, "
        f"{since.changed} changed, {since.unchanged} unchanged, "
        f"{len(since.no_longer_reported)} no longer reported."
    )


def _utc(moment: dt.datetime) -> str:
    # A naive timestamp is taken to be UTC already; an aware one is converted.
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


# A notebook shows a briefing as its report (see `Briefing`).
setattr(Briefing, "_repr_html_", render_html)  # noqa: B010
