"""What the HTML report shows, as plain values: a briefing read into the template's terms.

Every string here is text, never markup; the template escapes all of it. A citation keeps
its offsets only when its source's text is in the briefing and the span lies inside it, so
that the report can open the article with exactly that span highlighted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from summarizer.models import (
    Briefing,
    Certainty,
    Citation,
    DifferenceKind,
    Disagreement,
    LedgerEntry,
    MergedClaim,
    MergedEvent,
    ShownKind,
    ShownLine,
    Source,
)
from summarizer.render.html_charts import (
    SlotChart,
    TimelineFigure,
    TimelineItem,
    slot_chart,
    timeline_figure,
)
from summarizer.render.markdown_escape import http_url

_DIFFERENCE_WORDS: dict[DifferenceKind, str] = {
    "conflict": "true conflict",
    "different_time": "different time",
    "different_scope": "different scope or measure",
    "vague_vs_precise": "vague vs precise",
    "consistent": "consistent (no real conflict)",
}


@dataclass(frozen=True)
class Cite:
    """A citation `[n]`; `start`/`end` (code points of `Source.text`) when it can be opened."""

    source: int
    start: int | None = None
    end: int | None = None
    quote: str | None = None


@dataclass(frozen=True)
class Line:
    """A shown line; `kind` None for an older briefing's statement with no check recorded."""

    text: str
    kind: ShownKind | None = None
    denied: bool = False
    certainty: Certainty = "certain"


@dataclass(frozen=True)
class PointView:
    rank: int
    line: Line
    cites: list[Cite]
    reasons: list[str]


@dataclass(frozen=True)
class RowView:
    cite: Cite
    outlet: str
    claimant: str
    figure: str
    qualifier: str
    certainty: str
    as_of: str


@dataclass(frozen=True)
class DifferenceView:
    first: Cite
    second: Cite
    kind: str
    explanation: str


@dataclass(frozen=True)
class SlotView:
    name: str
    rows: list[RowView]
    differences: list[DifferenceView]
    chart: SlotChart | None


@dataclass(frozen=True)
class EventView:
    number: int
    date: str
    kind: str
    line: Line
    location: str | None
    cites: list[Cite]
    quotes: list[Cite]


@dataclass(frozen=True)
class ClaimView:
    novelty: str | None
    line: Line
    details: list[str]
    cites: list[Cite]
    quotes: list[Cite]


@dataclass(frozen=True)
class StoryView:
    heading: str
    cites: list[Cite]
    disagreements: list[SlotView]
    timeline: TimelineFigure | None
    events: list[EventView]
    claims: list[ClaimView]


@dataclass(frozen=True)
class SourceView:
    number: int
    outlet: str
    title: str
    published: str
    href: str | None
    location: str | None
    carriers: list[str]
    readable: bool


@dataclass(frozen=True)
class ArticleText:
    """A source's text as the report carries it, for the reader panel."""

    label: str
    href: str | None
    text: str


class CitationIndex:
    """Citations of one briefing, with offsets kept only where they fit their source's text."""

    def __init__(self, sources: Iterable[Source]) -> None:
        self._lengths = {s.number: len(s.text) for s in sources if s.text is not None}

    def of(self, source: int, start: int | None, end: int | None, quote: str | None) -> Cite:
        """A citation of `source`; it opens the text only when [start, end) lies inside it."""
        length = self._lengths.get(source)
        if length is None or start is None or end is None or not 0 <= start <= end <= length:
            return Cite(source, quote=quote)
        return Cite(source, start, end, quote)

    def citation(self, citation: Citation) -> Cite:
        """A model citation: its quote and span only when grounding verified or repaired it."""
        quote = citation.quote if citation.status != "unverified" else None
        if quote is None:
            return Cite(citation.source)
        return self.of(citation.source, citation.start, citation.end, quote)

    def per_source(self, citations: Iterable[Citation]) -> list[Cite]:
        """One citation per source, in source order: the first that can be opened, if any."""
        chosen: dict[int, Cite] = {}
        for citation in citations:
            cite = self.citation(citation)
            kept = chosen.get(cite.source)
            if kept is None or (kept.start is None and cite.start is not None):
                chosen[cite.source] = cite
        return [chosen[number] for number in sorted(chosen)]

    def quotes(self, citations: Iterable[Citation]) -> list[Cite]:
        """Each distinct quote (or unverified citation) once, by source."""
        seen: dict[tuple[int, str | None, int | None], Cite] = {}
        for citation in sorted(citations, key=lambda c: c.source):
            cite = self.citation(citation)
            seen.setdefault((cite.source, cite.quote, cite.start), cite)
        return list(seen.values())


def key_point_views(briefing: Briefing, cites: CitationIndex) -> list[PointView]:
    """The key points, each citing a sentence it was read from in every source it names."""
    citations: dict[str, list[Citation]] = {c.id: c.citations for c in briefing.claims}
    citations |= {e.id: e.citations for e in briefing.events}
    citations |= {d.slot: [e.citation for e in d.entries] for d in briefing.disagreements}
    claims = {claim.id: claim for claim in briefing.claims}
    points: list[PointView] = []
    for point in briefing.key_points:
        by_source = {c.source: c for c in cites.per_source(citations.get(point.ref, []))}
        shown = point.line
        if shown.kind == "verbatim" and shown.source is not None:
            # The line is the source's own sentence: open that sentence.
            own = cites.of(shown.source, shown.start, shown.end, shown.text)
            if own.start is not None:
                by_source[shown.source] = own
        claim = claims.get(point.ref) if point.kind == "claim" else None
        points.append(
            PointView(
                rank=point.rank,
                line=_claim_line(claim, shown) if claim else _line(shown, ""),
                cites=[by_source.get(number, Cite(number)) for number in point.sources],
                reasons=point.reasons,
            )
        )
    return points


def story_views(briefing: Briefing, cites: CitationIndex) -> list[StoryView]:
    """A view per story; one for everything when the briefing predates stories."""
    if not briefing.stories:
        return [_story("Everything reported", [], briefing, None, cites)]
    return [
        _story(
            f"Story {story.number}: {story.title}",
            [Cite(number) for number in story.sources],
            briefing,
            story.number,
            cites,
        )
        for story in briefing.stories
    ]


def source_views(sources: Sequence[Source]) -> list[SourceView]:
    """The sources by number; only an http(s) address gets an `href`."""
    return [
        SourceView(
            number=source.number,
            outlet=source.outlet,
            title=source.title,
            published=source.published.isoformat() if source.published else "undated",
            href=http_url(source.url) if source.url else None,
            location=source.url or source.path,
            carriers=[
                " ".join(part for part in (c.outlet, c.url or c.path) if part)
                for c in source.also_carried_by
            ],
            readable=source.text is not None,
        )
        for source in sorted(sources, key=lambda s: s.number)
    ]


def article_texts(sources: Sequence[Source]) -> dict[str, ArticleText]:
    """The texts citations open, by source number (a JSON object's keys are strings)."""
    return {
        str(source.number): ArticleText(
            label=f"[{source.number}] {source.outlet} — {source.title}",
            href=http_url(source.url) if source.url else None,
            text=source.text,
        )
        for source in sources
        if source.text is not None
    }


def _story(
    heading: str, refs: list[Cite], briefing: Briefing, story: int | None, cites: CitationIndex
) -> StoryView:
    events = [e for e in briefing.events if story in (None, e.story)]
    event_views = [_event(number, event, cites) for number, event in enumerate(events, start=1)]
    return StoryView(
        heading=heading,
        cites=refs,
        disagreements=[_slot(d, cites) for d in briefing.disagreements if story in (None, d.story)],
        timeline=timeline_figure(
            [TimelineItem(view.number, view.date, view.line.text) for view in event_views]
        ),
        events=event_views,
        claims=[_claim(c, cites) for c in briefing.claims if story in (None, c.story)],
    )


def _line(shown: ShownLine | None, fallback: str) -> Line:
    return Line(fallback) if shown is None else Line(shown.text, shown.kind)


def _claim_line(claim: MergedClaim, shown: ShownLine | None) -> Line:
    """A claim's line, with its denial and hedge when its words are not the source's own."""
    line = _line(shown, claim.statement)
    if line.kind == "verbatim":
        return line
    return Line(line.text, line.kind, claim.polarity == "denied", claim.certainty)


def _slot(disagreement: Disagreement, cites: CitationIndex) -> SlotView:
    entries = disagreement.entries
    unit = f" ({disagreement.unit})" if disagreement.unit else ""
    return SlotView(
        name=f"{disagreement.slot}{unit}",
        rows=[_row(entry, cites) for entry in entries],
        differences=[
            DifferenceView(
                first=cites.citation(entries[d.first].citation),
                second=cites.citation(entries[d.second].citation),
                kind=_DIFFERENCE_WORDS[d.kind],
                explanation=d.explanation,
            )
            for d in disagreement.differences
        ],
        chart=slot_chart(disagreement),
    )


def _row(entry: LedgerEntry, cites: CitationIndex) -> RowView:
    return RowView(
        cite=cites.citation(entry.citation),
        outlet=entry.outlet,
        claimant=entry.claimant,
        figure=entry.quantity.text,
        qualifier=entry.quantity.qualifier.replace("_", " "),
        certainty=entry.certainty,
        as_of=_as_of(entry.quantity.as_of, entry.published),
    )


def _as_of(as_of: str | None, published: dt.date | None) -> str:
    if as_of:
        return f"{as_of} (as stated)"
    if published:
        return f"{published.isoformat()} (published)"
    return "unknown"


def _event(number: int, event: MergedEvent, cites: CitationIndex) -> EventView:
    # A sentence may report several happenings: the event's own word says which.
    word = next((c.trigger for c in event.citations if c.trigger), None)
    return EventView(
        number=number,
        date=event.date or "undated",
        kind=f"{event.type} ({word})" if word else event.type,
        line=_line(event.shown, event.description),
        location=event.location,
        cites=cites.per_source(event.citations),
        quotes=cites.quotes(event.citations),
    )


def _claim(claim: MergedClaim, cites: CitationIndex) -> ClaimView:
    corroboration = claim.corroboration
    claimants = ", ".join(corroboration.claimants) or "unattributed"
    return ClaimView(
        novelty=_novelty(claim),
        line=_claim_line(claim, claim.shown),
        details=[
            f"certainty: {claim.certainty}",
            f"claimed by: {claimants}",
            f"{_plural(corroboration.outlet_count, 'outlet')}, "
            f"{_plural(corroboration.independent_origins, 'independent origin')}",
        ],
        cites=cites.per_source(claim.citations),
        quotes=cites.quotes(claim.citations),
    )


def _novelty(claim: MergedClaim) -> str | None:
    earlier = claim.previously
    if claim.novelty == "new":
        return "New"
    if claim.novelty != "changed" or earlier is None:
        return None
    figure_now = claim.quantity.text if claim.quantity else None
    parts: list[str] = []
    if earlier.quantity_text != figure_now:
        parts.append(earlier.quantity_text or "no figure")
    if earlier.polarity != claim.polarity:
        parts.append(earlier.polarity)
    if earlier.certainty != claim.certainty:
        parts.append(f"certainty {earlier.certainty}")
    was = "; ".join(parts) or f'"{earlier.statement}"'
    return f"Changed (was: {was})"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
