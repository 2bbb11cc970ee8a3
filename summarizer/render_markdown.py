"""Render a `Briefing` as Markdown a person can read and check in seconds."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from summarizer.models import (
    Briefing,
    Citation,
    Difference,
    DifferenceKind,
    Disagreement,
    LedgerEntry,
    MergedClaim,
    MergedEvent,
    RunStats,
    SincePrevious,
    Source,
)
from summarizer.render_usage import usage_summary, usage_table

_DIFFERENCE_WORDS: dict[DifferenceKind, str] = {
    "conflict": "true conflict",
    "different_time": "different time",
    "different_scope": "different scope or measure",
    "vague_vs_precise": "vague vs precise",
    "consistent": "consistent (no real conflict)",
}

# A line that starts like this would turn into a heading, quote or nested list.
_BLOCK_START = re.compile(r"^(#|>|[-+*=](\s|$)|\d+[.)](\s|$))")
# Backslash first, so the escapes added for the others are not themselves escaped.
_INLINE_ESCAPES = (("\\", "\\\\"), ("<", "\\<"))


def render_markdown(briefing: Briefing) -> str:
    """Render a briefing as Markdown.

    Sections, in order: summary, timeline, claims, disagreement ledger, sources and run
    statistics; when the articles tell several stories, a section per story (largest
    first) holds its own timeline, claims and disagreements. A briefing compared with a
    previous one (`mark_novelty`) also says what changed since: one line under the summary,
    each new or changed claim marked (with what a changed claim was), and a section of the
    claims no longer reported after the claims. A citation's quote is shown only when
    grounding verified or repaired it; unverified evidence is listed by source number alone.
    The output depends only on the briefing (its `generated_at` is the time shown), so
    equal input renders byte-for-byte equal text.

    Args:
        briefing: The merged briefing to render.

    Returns:
        The Markdown document, ending with a single newline.
    """
    sections = [_summary_section(briefing)]
    no_longer_reported = _no_longer_reported_section(briefing.since_previous)
    if len(briefing.stories) <= 1:
        timeline, claims, disagreements = _story_sections(briefing, story=None, level="##")
        sections += [timeline, claims, no_longer_reported, disagreements]
    else:
        for story in briefing.stories:
            refs = " ".join(f"[{number}]" for number in story.sources)
            sections.append([f"## Story {story.number}: {_text(story.title)}", "", refs])
            sections += _story_sections(briefing, story=story.number, level="###")
        sections.append(no_longer_reported)
    sections += [_sources_section(briefing.sources), _stats_section(briefing.stats)]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def _story_sections(briefing: Briefing, *, story: int | None, level: str) -> list[list[str]]:
    """Timeline, claims and disagreements of one story (None: of the whole briefing)."""
    return [
        _timeline_section([e for e in briefing.events if story in (None, e.story)], level),
        _claims_section([c for c in briefing.claims if story in (None, c.story)], level),
        _disagreements_section(
            [d for d in briefing.disagreements if story in (None, d.story)], level
        ),
    ]


def _text(value: str) -> str:
    """Model- or source-produced text made safe to place anywhere on one Markdown line."""
    flat = " ".join(value.split())
    for raw, escaped in _INLINE_ESCAPES:
        flat = flat.replace(raw, escaped)
    return "\\" + flat if _BLOCK_START.match(flat) else flat


def _cell(value: str) -> str:
    return _text(value).replace("|", "\\|")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _shown_quote(citation: Citation) -> str | None:
    # The status check guards against a quote left on a citation grounding rejected.
    if citation.status == "unverified" or citation.quote is None:
        return None
    return citation.quote


def _refs(citations: Iterable[Citation]) -> str:
    return " ".join(f"[{number}]" for number in sorted({c.source for c in citations}))


def _quote_lines(citations: list[Citation]) -> list[str]:
    lines: list[str] = []
    for citation in sorted(citations, key=lambda c: c.source):
        quote = _shown_quote(citation)
        if quote is None:
            line = f"  - [{citation.source}] (quote not verified)"
        else:
            line = f'  - > "{_text(quote)}" [{citation.source}]'
        if line not in lines:
            lines.append(line)
    return lines


def _utc(moment: dt.datetime) -> str:
    # A naive timestamp is taken to be UTC already; an aware one is converted.
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _summary_section(briefing: Briefing) -> list[str]:
    counts = ", ".join(
        [
            _plural(len(briefing.sources), "source"),
            _plural(len(briefing.events), "event"),
            _plural(len(briefing.claims), "claim"),
            _plural(len(briefing.disagreements), "disagreement"),
        ]
    )
    lines = ["# Briefing", "", f"{counts}; generated {_utc(briefing.generated_at)}"]
    since = briefing.since_previous
    if since is not None:
        lines += [
            "",
            f"Since the briefing of {_utc(since.previous_generated_at)}: {since.new} new, "
            f"{since.changed} changed, {since.unchanged} unchanged, "
            f"{len(since.no_longer_reported)} no longer reported.",
        ]
    return lines


def _timeline_section(events: list[MergedEvent], level: str) -> list[str]:
    lines = [f"{level} Timeline", ""]
    if not events:
        return [*lines, "No events found."]
    for event in events:
        place = f" ({_text(event.location)})" if event.location else ""
        # A sentence may report several happenings: the event's own word says which.
        word = next((c.trigger for c in event.citations if c.trigger), None)
        kind = f"{event.type} ({_text(word)})" if word else event.type
        lines.append(
            f"- {event.date or 'undated'} — {kind} — {_text(event.description)}{place} "
            f"{_refs(event.citations)}".rstrip()
        )
        lines.extend(_quote_lines(event.citations))
    return lines


def _claim_details(claim: MergedClaim) -> str:
    corroboration = claim.corroboration
    claimants = ", ".join(_text(name) for name in corroboration.claimants) or "unattributed"
    parts = [
        f"certainty: {claim.certainty}",
        f"claimed by: {claimants}",
        f"{_plural(corroboration.outlet_count, 'outlet')}, "
        f"{_plural(corroboration.independent_origins, 'independent origin')}",
    ]
    refs = _refs(claim.citations)
    if refs:
        parts.append(refs)
    return "  - " + " · ".join(parts)


def _claims_section(claims: list[MergedClaim], level: str) -> list[str]:
    lines = [f"{level} Claims", ""]
    if not claims:
        return [*lines, "No claims found."]
    for claim in claims:
        denial = "**Denied:** " if claim.polarity == "denied" else ""
        lines.append(f"- {_novelty_mark(claim)}{denial}{_text(claim.statement)}")
        lines.append(_claim_details(claim))
        lines.extend(_quote_lines(claim.citations))
    return lines


def _novelty_mark(claim: MergedClaim) -> str:
    if claim.novelty == "new":
        return "**New** — "
    if claim.novelty == "changed" and claim.previously is not None:
        return f"**Changed** (was: {_was(claim)}) — "
    return ""


def _was(claim: MergedClaim) -> str:
    """What differed in the previous briefing; its statement when only the wording did."""
    earlier = claim.previously
    assert earlier is not None
    figure_now = claim.quantity.text if claim.quantity else None
    parts: list[str] = []
    if earlier.quantity_text != figure_now:
        parts.append(_text(earlier.quantity_text) if earlier.quantity_text else "no figure")
    if earlier.polarity != claim.polarity:
        parts.append(earlier.polarity)
    if earlier.certainty != claim.certainty:
        parts.append(f"certainty {earlier.certainty}")
    return "; ".join(parts) or f'"{_text(earlier.statement)}"'


def _no_longer_reported_section(since: SincePrevious | None) -> list[str]:
    if since is None or not since.no_longer_reported:
        return []
    lines = ["## No longer reported", ""]
    lines += [f"- {_text(statement)}" for statement in since.no_longer_reported]
    return lines


def _as_of(entry: LedgerEntry) -> str:
    if entry.quantity.as_of:
        return f"{entry.quantity.as_of} (as stated)"
    if entry.published:
        return f"{entry.published.isoformat()} (published)"
    return "unknown"


def _ledger_row(entry: LedgerEntry) -> str:
    quote = _shown_quote(entry.citation)
    cells = [
        f"[{entry.source}]",
        _cell(entry.outlet),
        _cell(entry.claimant),
        _cell(entry.quantity.text),
        entry.quantity.qualifier.replace("_", " "),
        _as_of(entry),
        f'"{_cell(quote)}"' if quote is not None else "(not verified)",
    ]
    return "| " + " | ".join(cells) + " |"


def _difference_line(disagreement: Disagreement, difference: Difference) -> str:
    first = disagreement.entries[difference.first].source
    second = disagreement.entries[difference.second].source
    kind = _DIFFERENCE_WORDS[difference.kind]
    return f"- [{first}] vs [{second}]: {kind} — {_text(difference.explanation)}"


def _disagreements_section(disagreements: list[Disagreement], level: str) -> list[str]:
    lines = [f"{level} Disagreements", ""]
    if not disagreements:
        return [*lines, "No conflicting figures found."]
    for disagreement in disagreements:
        lines += [
            f"{level}# {_text(disagreement.slot)}",
            "",
            "| Source | Outlet | Claimant | Figure | Qualifier | As of | Quote |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        lines.extend(_ledger_row(entry) for entry in disagreement.entries)
        if disagreement.differences:
            lines.append("")
            lines.extend(_difference_line(disagreement, d) for d in disagreement.differences)
        lines.append("")
    return lines[:-1]


def _source_line(source: Source) -> str:
    published = source.published.isoformat() if source.published else "undated"
    location = source.url or source.path
    where = f" {location}" if location else ""
    line = (
        f"- [{source.number}] {_text(source.outlet)} — {_text(source.title)} ({published}){where}"
    )
    if source.also_carried_by:
        carriers = "; ".join(
            _text(c.outlet) + (f" {c.url or c.path}" if c.url or c.path else "")
            for c in source.also_carried_by
        )
        line += f"\n  - also carried by: {carriers}"
    return line


def _sources_section(sources: list[Source]) -> list[str]:
    lines = ["## Sources", ""]
    if not sources:
        return [*lines, "No sources."]
    return lines + [_source_line(s) for s in sorted(sources, key=lambda s: s.number)]


def _stats_section(stats: RunStats) -> list[str]:
    lines = [
        "## Run statistics",
        "",
        f"- Model: {_text(stats.model)}",
        f"- Endpoint: {_text(stats.endpoint)}",
        f"- Articles: {stats.articles}",
        f"- Requests in flight at most: {stats.concurrency}",
        f"- Spent: {_text(usage_summary(stats))}",
        f"- Wall time: {stats.wall_seconds:.1f} s",
    ]
    if stats.stopped_by_budget:
        lines.append(f"- **Stopped early**: {_text(stats.stopped_by_budget)}")
    if stats.by_article:
        lines += ["", "### Token ledger", "", *usage_table(stats)]
    failures = [f"{f.source}: {f.message}" for f in stats.failures]
    lines += _list_section("Articles that failed", failures)
    lines += _list_section("Warnings", stats.warnings)
    lines += _list_section("Inputs", stats.notes)
    lines += _list_section("Left out: briefed before (new only)", stats.seen_before)
    return lines


def _list_section(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return ["", f"### {title}", "", *(f"- {_text(item)}" for item in items)]
