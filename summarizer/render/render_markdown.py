"""Render a `Briefing` as Markdown a person can read and check in seconds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence, Set

from summarizer.briefing.key_points import key_point_citations
from summarizer.briefing.ledger import distinct_figures
from summarizer.models import (
    CERTAINTY_ORDER,
    Briefing,
    Citation,
    Difference,
    DifferenceKind,
    Disagreement,
    LedgerEntry,
    MergedClaim,
    MergedEvent,
    RunStats,
    ShownLine,
    SincePrevious,
    Source,
)
from summarizer.render.markdown_escape import escape_markdown, link_destination
from summarizer.render.render_usage import usage_summary, usage_table

_DIFFERENCE_WORDS: dict[DifferenceKind, str] = {
    "conflict": "true conflict",
    "different_time": "different time",
    "different_scope": "different scope or measure",
    "vague_vs_precise": "vague vs precise",
    "consistent": "consistent (no real conflict)",
}


# An event named by one of these is a statement: its key point says what was said.
_REPORTING = frozenset({"said", "says", "say", "told", "tells", "stated", "added"})


def render_markdown(briefing: Briefing, *, full: bool = False, stats: bool = False) -> str:
    """Render a briefing as Markdown, what matters first.

    Sections, in order: a count line; the key points (`Briefing.key_points`), each one
    line with its citations; the disagreement ledger; the timeline; then, with `full`,
    every claim with its quotes; the sources; and, with `stats` (or `full`), the run
    statistics and token ledger. Without `full` the ledger lists each distinct figure
    once with who gives it, the timeline holds the events told by two or more sources (at
    most as many as there are key points) and one line says how many claims and events
    only the full briefing (or the JSON) lists. When the articles tell several stories,
    each story has its own ledger, timeline and claims, largest story first.

    A line is shown as the model wrote it only when its quote says all of it (`shown`,
    `summarizer.grounding.statement_check`); otherwise the source's own sentence is shown, in
    quotation marks. A citation's quote is shown only when grounding verified or repaired
    it. A briefing compared with a previous one (`mark_novelty`) also says what changed
    since: one line under the counts, each new or changed claim marked, and the claims no
    longer reported. A source number links to the source (a reference to its http(s) URL,
    else its file path, defined at the end); text from articles, pages and file names is
    escaped so that no HTML, link or layout comes out of it (`summarizer.render.markdown_escape`).
    The output depends only on the briefing, so equal input renders equal text.

    Args:
        briefing: The merged briefing to render.
        full: Every claim and event with its quotes, and the run statistics.
        stats: The run statistics and token ledger (always in the JSON).

    Returns:
        The Markdown document, ending with a single newline.
    """
    linked = _linked(briefing.sources)
    sections = [_summary_section(briefing), _key_points_section(briefing, linked)]
    no_longer_reported = _no_longer_reported_section(briefing.since_previous)
    if len(briefing.stories) <= 1:
        sections += _story_sections(briefing, story=None, level="##", linked=linked, full=full)
        sections.append(no_longer_reported)
    else:
        for story in briefing.stories:
            refs = " ".join(_cite(number, linked) for number in story.sources)
            sections.append([f"## Story {story.number}: {_text(story.title)}", "", refs])
            sections += _story_sections(
                briefing, story=story.number, level="###", linked=linked, full=full
            )
        sections.append(no_longer_reported)
    if not full:
        sections.append(_left_for_full(briefing))
    sections.append(_sources_section(briefing.sources, linked, full=full))
    if stats or full:
        sections.append(_stats_section(briefing.stats))
    else:
        sections.append(_failures_section(briefing.stats))
    sections.append(_link_definitions(briefing.sources))
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def _story_sections(
    briefing: Briefing, *, story: int | None, level: str, linked: Set[int], full: bool
) -> list[list[str]]:
    """Disagreements, timeline and (in full) claims of one story (None: of the briefing)."""
    events = [e for e in briefing.events if story in (None, e.story)]
    disagreements = [d for d in briefing.disagreements if story in (None, d.story)]
    if not full:
        return [
            _short_disagreements_section(disagreements, level, linked),
            _short_timeline_section(
                _timeline_events(events), level, linked, _key_point_sentences(briefing)
            ),
        ]
    return [
        _disagreements_section(disagreements, level, linked),
        _timeline_section(events, level, linked),
        _claims_section([c for c in briefing.claims if story in (None, c.story)], level, linked),
    ]


def _key_points_section(briefing: Briefing, linked: Set[int]) -> list[str]:
    lines = ["## Key points", ""]
    if not briefing.key_points:
        return [*lines, "No key points: nothing was found that its quotes confirm."]
    claims = {claim.id: claim for claim in briefing.claims}
    for point in briefing.key_points:
        claim = claims.get(point.ref) if point.kind == "claim" else None
        text = _claim_line(claim, point.line) if claim else _shown(point.line)
        refs = " ".join(_cite(number, linked) for number in point.sources)
        lines.append(f"{point.rank}. {text} {refs}".rstrip())
    return lines


def _shown(line: ShownLine | None, fallback: str = "") -> str:
    """A shown line: the model's checked words, or the source's own in quotation marks."""
    if line is None:
        return _text(fallback)
    if line.kind == "verbatim":
        return f"\u201c{_text(line.text)}\u201d"
    if line.kind == "unchecked":
        return f"{_text(line.text)} (not verified)"
    return _text(line.text)


def _claim_line(claim: MergedClaim, line: ShownLine | None) -> str:
    """A claim's shown line, with its denial and hedge when its words are not the source's."""
    text = _shown(line, claim.statement)
    if line is not None and line.kind == "verbatim":
        return text
    if claim.polarity == "denied":
        text = f"**Denied:** {text}"
    return f"{text} ({claim.certainty})" if claim.certainty != "certain" else text


def _timeline_events(events: list[MergedEvent]) -> list[MergedEvent]:
    """The events a short briefing's timeline shows: those two or more sources tell."""
    return [e for e in events if len({c.source for c in e.citations}) > 1]


def _key_point_sentences(briefing: Briefing) -> dict[tuple[int, int | None], int]:
    """Each sentence a key point stands for, with the key point's rank."""
    ranks: dict[tuple[int, int | None], int] = {}
    for point, citations in zip(briefing.key_points, key_point_citations(briefing), strict=True):
        for citation in citations:
            if citation.quote is not None:
                ranks.setdefault((citation.source, citation.start), point.rank)
    return ranks


def _short_timeline_section(
    events: list[MergedEvent], level: str, linked: Set[int], told: dict[tuple[int, int | None], int]
) -> list[str]:
    """Events in time order, a line a day; an event a key point tells is named by its word
    and points to the key point instead of repeating it."""
    if not events:
        return []
    days: dict[str, list[str]] = {}
    for event in events:
        rank = next((told[k] for c in event.citations if (k := (c.source, c.start)) in told), None)
        if rank is None:
            item = f"{_shown(event.shown, event.description)} {_refs(event.citations, linked)}"
        else:
            word = next((c.trigger for c in event.citations if c.trigger), event.type)
            if word.lower() in _REPORTING:
                continue
            item = f"{_text(word)} (key point {rank})"
        entries = days.setdefault(event.date or "undated", [])
        if item not in entries:
            entries.append(item)
    lines = [f"- {day} — {'; '.join(items)}" for day, items in days.items() if items]
    return [f"{level} Timeline", "", *lines] if lines else []


def _short_disagreements_section(
    disagreements: list[Disagreement], level: str, linked: Set[int]
) -> list[str]:
    """Each disputed slot: its distinct figures, who gives each, and why they differ."""
    if not disagreements:
        return []
    lines = [f"{level} Disagreements", ""]
    for disagreement in disagreements:
        kinds = sorted({_DIFFERENCE_WORDS[d.kind] for d in disagreement.differences})
        why = f" ({'; '.join(kinds)})" if kinds else ""
        lines.append(f"- **{_text(disagreement.slot)}**{why}:")
        for entries in distinct_figures(disagreement):
            claimants = sorted({e.claimant for e in entries if e.claimant != "unknown"})
            by = f" — {', '.join(_text(c) for c in claimants)}" if claimants else ""
            refs = " ".join(_cite(n, linked) for n in sorted({e.source for e in entries}))
            figure = f"{_text(entries[0].quantity.text)}{_hedge(entries)}"
            lines.append(f"  - {figure}, {_short_as_of(entries[0])}{by} {refs}")
    return lines


def _hedge(entries: Sequence[LedgerEntry]) -> str:
    """ " (possible)" when every source of a figure hedges it ("might surge to as many as
    100,000"): shown bare, a figure reads as a count reported as fact."""
    surest = min((CERTAINTY_ORDER.index(e.certainty) for e in entries), default=0)
    return "" if surest == 0 else f" ({CERTAINTY_ORDER[surest]})"


def _left_for_full(briefing: Briefing) -> list[str]:
    pointed = {point.ref for point in briefing.key_points}
    claims = sum(1 for c in briefing.claims if c.id not in pointed)
    events = len(briefing.events)
    return [
        f"Everything else ({_plural(claims, 'claim')}, {_plural(events, 'event')}, quotes): "
        "`--full` or the JSON."
    ]


def _failures_section(stats: RunStats) -> list[str]:
    failures = [f"{f.source}: {f.message}" for f in stats.failures]
    lines = (
        ["## Articles that failed", "", *(f"- {_text(f)}" for f in failures)] if failures else []
    )
    if stats.stopped_by_budget:
        lines += ["", f"**Stopped early**: {_text(stats.stopped_by_budget)}"]
    if stats.refused_by_endpoint:
        refusal = _text(stats.refused_by_endpoint)
        lines += ["", f"**Stopped early**: the endpoint refused: {refusal}"]
    return lines


def _text(value: str) -> str:
    """Model- or source-produced text made safe to place anywhere on one Markdown line."""
    return escape_markdown(value)


def _cell(value: str) -> str:
    return escape_markdown(value, in_table=True)


def _linked(sources: Iterable[Source]) -> frozenset[int]:
    """The numbers of the sources with an address a link may point to."""
    return frozenset(
        s.number for s in sources if link_destination(url=s.url, path=s.path) is not None
    )


def _cite(number: int, linked: Set[int]) -> str:
    # `[[1]][s1]` shows "[1]" as the link; the label `s1` is defined at the end. Without a
    # link the brackets are escaped: Python-Markdown reads `[1] [[2]][s2]` as a reference
    # from `[1]` (it allows a space before the label) and breaks the link after it.
    return f"[[{number}]][s{number}]" if number in linked else f"\\[{number}\\]"


def _link_definitions(sources: Iterable[Source]) -> list[str]:
    lines: list[str] = []
    for source in sorted(sources, key=lambda s: s.number):
        destination = link_destination(url=source.url, path=source.path)
        if destination is not None:
            lines.append(f"[s{source.number}]: <{destination}>")
    return lines


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _shown_quote(citation: Citation) -> str | None:
    # The status check guards against a quote left on a citation grounding rejected.
    if citation.status == "unverified" or citation.quote is None:
        return None
    return citation.quote


def _refs(citations: Iterable[Citation], linked: Set[int]) -> str:
    return " ".join(_cite(number, linked) for number in sorted({c.source for c in citations}))


def _quote_lines(citations: list[Citation], linked: Set[int]) -> list[str]:
    lines: list[str] = []
    for citation in sorted(citations, key=lambda c: c.source):
        quote = _shown_quote(citation)
        cited = _cite(citation.source, linked)
        if quote is None:
            line = f"  - {cited} (quote not verified)"
        else:
            line = f'  - > "{_text(quote)}" {cited}'
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


def _timeline_section(events: list[MergedEvent], level: str, linked: Set[int]) -> list[str]:
    lines = [f"{level} Timeline", ""]
    if not events:
        return [*lines, "No events found."]
    for event in events:
        place = f" ({_text(event.location)})" if event.location else ""
        # A sentence may report several happenings: the event's own word says which.
        word = next((c.trigger for c in event.citations if c.trigger), None)
        kind = f"{event.type} ({_text(word)})" if word else event.type
        lines.append(
            f"- {event.date or 'undated'} — {kind} — "
            f"{_shown(event.shown, event.description)}{place} "
            f"{_refs(event.citations, linked)}".rstrip()
        )
        lines.extend(_quote_lines(event.citations, linked))
    return lines


def _claim_details(claim: MergedClaim, linked: Set[int]) -> str:
    corroboration = claim.corroboration
    claimants = ", ".join(_text(name) for name in corroboration.claimants) or "unattributed"
    parts = [
        f"certainty: {claim.certainty}",
        f"claimed by: {claimants}",
        f"{_plural(corroboration.outlet_count, 'outlet')}, "
        f"{_plural(corroboration.independent_origins, 'independent origin')}",
    ]
    refs = _refs(claim.citations, linked)
    if refs:
        parts.append(refs)
    return "  - " + " · ".join(parts)


def _claims_section(claims: list[MergedClaim], level: str, linked: Set[int]) -> list[str]:
    lines = [f"{level} Claims", ""]
    if not claims:
        return [*lines, "No claims found."]
    for claim in claims:
        own_words = claim.shown is not None and claim.shown.kind == "verbatim"
        denial = "**Denied:** " if claim.polarity == "denied" and not own_words else ""
        lines.append(f"- {_novelty_mark(claim)}{denial}{_shown(claim.shown, claim.statement)}")
        lines.append(_claim_details(claim, linked))
        lines.extend(_quote_lines(claim.citations, linked))
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


def _short_as_of(entry: LedgerEntry) -> str:
    if entry.quantity.as_of:
        return f"as of {entry.quantity.as_of}"
    return entry.published.isoformat() if entry.published else "undated"


def _ledger_row(entry: LedgerEntry, linked: Set[int]) -> str:
    quote = _shown_quote(entry.citation)
    cells = [
        _cite(entry.source, linked),
        _cell(entry.outlet),
        _cell(entry.claimant),
        _cell(entry.quantity.text),
        entry.quantity.qualifier.replace("_", " "),
        entry.certainty,
        _as_of(entry),
        f'"{_cell(quote)}"' if quote is not None else "(not verified)",
    ]
    return "| " + " | ".join(cells) + " |"


def _difference_line(disagreement: Disagreement, difference: Difference, linked: Set[int]) -> str:
    first = _cite(disagreement.entries[difference.first].source, linked)
    second = _cite(disagreement.entries[difference.second].source, linked)
    kind = _DIFFERENCE_WORDS[difference.kind]
    return f"- {first} vs {second}: {kind} — {_text(difference.explanation)}"


def _disagreements_section(
    disagreements: list[Disagreement], level: str, linked: Set[int]
) -> list[str]:
    lines = [f"{level} Disagreements", ""]
    if not disagreements:
        return [*lines, "No conflicting figures found."]
    for disagreement in disagreements:
        lines += [
            f"{level}# {_text(disagreement.slot)}",
            "",
            "| Source | Outlet | Claimant | Figure | Qualifier | Certainty | As of | Quote |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        lines.extend(_ledger_row(entry, linked) for entry in disagreement.entries)
        if disagreement.differences:
            lines.append("")
            lines.extend(
                _difference_line(disagreement, d, linked) for d in disagreement.differences
            )
        lines.append("")
    return lines[:-1]


def _source_line(source: Source, linked: Set[int], full: bool) -> str:
    published = source.published.isoformat() if source.published else "undated"
    cited = _cite(source.number, linked)
    if not full and source.number in linked:
        # The number leads to the article; its title and address are in the full briefing.
        return f"- {cited} {_text(source.outlet)} ({published})"
    location = source.url or source.path
    where = f" {_text(location)}" if location else ""
    line = f"- {cited} {_text(source.outlet)} — {_text(source.title)} ({published}){where}"
    if source.also_carried_by:
        carriers = "; ".join(
            " ".join(_text(part) for part in (c.outlet, c.url or c.path) if part)
            for c in source.also_carried_by
        )
        line += f"\n  - also carried by: {carriers}"
    return line


def _sources_section(sources: list[Source], linked: Set[int], *, full: bool) -> list[str]:
    lines = ["## Sources", ""]
    if not sources:
        return [*lines, "No sources."]
    return lines + [_source_line(s, linked, full) for s in sorted(sources, key=lambda s: s.number)]


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
    if stats.refused_by_endpoint:
        lines.append(f"- **Refused by the endpoint**: {_text(stats.refused_by_endpoint)}")
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
