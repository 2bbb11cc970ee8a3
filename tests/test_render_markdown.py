"""Unit tests for the Markdown renderer: pure function, hand-built briefing, no HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from summarizer.models import (
    Actor,
    ArticleFailure,
    ArticleUsage,
    Briefing,
    Citation,
    Corroboration,
    Difference,
    Disagreement,
    LedgerEntry,
    MergedClaim,
    MergedEvent,
    PreviousClaim,
    Quantity,
    RunStats,
    SincePrevious,
    Source,
    TokenUsage,
)
from summarizer.render.render_markdown import render_markdown

VERIFIED_QUOTE = "about 1,500 soldiers had arrived by October"
UNVERIFIED_QUOTE = "a secret fleet carried twelve thousand men"


def _citation(source: int, *, quote: str | None, status: str, item: str = "c1") -> Citation:
    return Citation.model_validate(
        {
            "source": source,
            "article_id": f"a{source}",
            "claim_or_event_id": item,
            "quote": quote,
            "status": status,
        }
    )


def _quantity(text: str, *, as_of: str | None) -> Quantity:
    return Quantity(text=text, counted="troops in the region", qualifier="about", as_of=as_of)


def _briefing(**overrides: object) -> Briefing:
    verified = _citation(1, quote=VERIFIED_QUOTE, status="verified")
    unverified = _citation(2, quote=None, status="unverified", item="c2")
    fields: dict[str, object] = {
        "generated_at": dt.datetime(2024, 12, 5, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        "sources": [
            Source(number=2, article_id="a2", title="Fleet | report", outlet="Daily Wire-less"),
            Source(
                number=1,
                article_id="a1",
                title="Troops arrive",
                outlet="Harbor Gazette",
                url="https://example.org/troops",
                published=dt.date(2024, 10, 20),
            ),
        ],
        "events": [
            MergedEvent(
                id="e1",
                type="deployment",
                description="Troops arrive\nat the border",
                date="2024-10",
                date_precision="month",
                actors=[Actor(name="Army", role="deployer")],
                citations=[verified, verified, unverified],
            )
        ],
        "claims": [
            MergedClaim(
                id="m1",
                statement="About 1,500 soldiers arrived by October.",
                subject="soldiers",
                predicate="arrived",
                object="border",
                certainty="probable",
                polarity="asserted",
                citations=[verified],
                corroboration=Corroboration(
                    outlets=["Harbor Gazette", "Daily Wire-less", "Third Post"],
                    outlet_count=3,
                    claimants=["Defence Ministry"],
                    independent_origins=2,
                ),
            ),
            MergedClaim(
                id="m2",
                statement="A fleet carried twelve thousand men.",
                subject="fleet",
                predicate="carried",
                object="men",
                certainty="possible",
                polarity="denied",
                citations=[unverified],
                corroboration=Corroboration(
                    outlets=["Daily Wire-less"],
                    outlet_count=1,
                    claimants=[],
                    independent_origins=1,
                ),
            ),
        ],
        "disagreements": [
            Disagreement(
                slot="troops in the region",
                entries=[
                    LedgerEntry(
                        source=1,
                        claim_id="c1",
                        outlet="Harbor Gazette",
                        claimant="Defence Ministry",
                        quantity=_quantity("about 1,500", as_of="2024-10"),
                        published=dt.date(2024, 10, 20),
                        citation=verified,
                    ),
                    LedgerEntry(
                        source=2,
                        claim_id="c2",
                        outlet="Daily Wire-less",
                        claimant="Officials | unnamed",
                        quantity=_quantity("12,000", as_of=None),
                        published=dt.date(2024, 12, 1),
                        citation=unverified,
                        certainty="possible",
                    ),
                ],
                differences=[
                    Difference(
                        first=0,
                        second=1,
                        kind="different_time",
                        explanation="October figure vs December figure",
                    )
                ],
            )
        ],
        "stats": RunStats(
            model="qwen2.5-coder-1.5b",
            endpoint="http://127.0.0.1:8080/v1",
            articles=3,
            llm_calls=4,
            reasks=1,
            prompt_tokens=12345,
            completion_tokens=678,
            cache_hits=2,
            wall_seconds=12.345,
            by_article=[
                ArticleUsage(
                    source="a.md",
                    outcome="briefed",
                    usage=TokenUsage(calls=4, prompt_tokens=12345, completion_tokens=678, reasks=1),
                ),
                ArticleUsage(source="b.md", outcome="briefed", usage=TokenUsage(cache_hits=2)),
                ArticleUsage(source="broken.html", outcome="failed", usage=TokenUsage()),
            ],
            failures=[ArticleFailure(source="broken.html", message="no main text")],
        ),
    }
    fields.update(overrides)
    return Briefing.model_validate(fields)


@pytest.fixture
def markdown() -> str:
    return render_markdown(_briefing(), full=True)


def test_sections_appear_in_order(markdown: str) -> None:
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert markdown.startswith("# Briefing\n")
    assert headings == [
        "## Key points",
        "## Disagreements",
        "## Timeline",
        "## Claims",
        "## Sources",
        "## Run statistics",
    ]


def test_the_short_briefing_leads_with_key_points_and_keeps_statistics_out() -> None:
    short = render_markdown(_briefing())
    headings = [line for line in short.splitlines() if line.startswith("## ")]

    assert headings == [
        "## Key points",
        "## Disagreements",
        "## Timeline",
        "## Sources",
        "## Articles that failed",
    ]
    assert "Token ledger" not in short
    assert "## Run statistics" in render_markdown(_briefing(), stats=True)


def test_summary_counts_and_utc_time(markdown: str) -> None:
    assert "2 sources, 1 event, 2 claims, 1 disagreement; generated 2024-12-05 14:30 UTC" in (
        markdown
    )


def test_an_unverified_citation_cannot_carry_a_quote() -> None:
    with pytest.raises(ValidationError, match="unverified citation must not carry a quote"):
        _citation(2, quote=UNVERIFIED_QUOTE, status="unverified")


def test_unverified_quote_text_never_appears(markdown: str) -> None:
    assert UNVERIFIED_QUOTE not in markdown
    assert "  - \\[2\\] (quote not verified)" in markdown
    assert "| (not verified) |" in markdown


def test_verified_quote_appears_with_its_source(markdown: str) -> None:
    assert f'  - > "{VERIFIED_QUOTE}" [[1]][s1]' in markdown
    # The duplicated verified citation on the event is shown once.
    assert markdown.count(f'> "{VERIFIED_QUOTE}" [[1]][s1]') == 2


def test_timeline_bullet_flattens_newlines_and_dedupes_citations(markdown: str) -> None:
    assert "- 2024-10 — deployment — Troops arrive at the border [[1]][s1] \\[2\\]\n" in markdown


def test_claim_details_and_denial(markdown: str) -> None:
    assert (
        "  - certainty: probable · claimed by: Defence Ministry · "
        "3 outlets, 2 independent origins · [[1]][s1]"
    ) in markdown
    assert "- **Denied:** A fleet carried twelve thousand men." in markdown
    assert "claimed by: unattributed · 1 outlet, 1 independent origin · \\[2\\]" in markdown
    assert "**Denied:** About" not in markdown


def test_ledger_table_rows_and_pipe_escaping(markdown: str) -> None:
    assert "### troops in the region" in markdown
    assert (
        "| [[1]][s1] | Harbor Gazette | Defence Ministry | about 1,500 | about | certain | "
        f'2024-10 (as stated) | "{VERIFIED_QUOTE}" |'
    ) in markdown
    assert (
        "| \\[2\\] | Daily Wire-less | Officials &#124; unnamed | 12,000 | about | possible | "
        "2024-12-01 (published) | (not verified) |"
    ) in markdown
    assert "- [[1]][s1] vs \\[2\\]: different time — October figure vs December figure" in markdown


def test_sources_sorted_and_described(markdown: str) -> None:
    one = "- [[1]][s1] Harbor Gazette — Troops arrive (2024-10-20) https://example.org/troops"
    two = "- \\[2\\] Daily Wire-less — Fleet | report (undated)"
    assert one in markdown
    assert two in markdown
    assert markdown.index(one) < markdown.index(two)


def test_a_source_with_an_address_is_defined_as_a_link_at_the_end(markdown: str) -> None:
    # Source 2 has neither URL nor path: its number is not a link, and has no definition.
    assert markdown.endswith("\n\n[s1]: <https://example.org/troops>\n")
    assert "[s2]" not in markdown


def test_run_statistics(markdown: str) -> None:
    stats = markdown[markdown.index("## Run statistics") :]
    for line in [
        "- Model: qwen2.5-coder-1.5b",
        "- Spent: 4 LLM call(s) (1 re-asks, 0 retries), 2 answer(s) from cache; "
        "12,345 prompt + 678 output tokens; cost unknown (no price for this model)",
        "- Wall time: 12.3 s",
        "### Token ledger",
        "| a.md | briefed | 4 | 1 | 0 | 0 | 12,345 | 678 | ? |",
        "| b.md | briefed | 0 | 0 | 0 | 2 | 0 | 0 | ? |",
        "| broken.html | failed | 0 | 0 | 0 | 0 | 0 | 0 | ? |",
        "| **Total** |  | 4 | 1 | 0 | 2 | 12,345 | 678 | ? |",
        "### Articles that failed",
        "- broken.html: no main text",
    ]:
        assert line in stats
    assert "### Warnings" not in stats


def test_empty_briefing_says_so() -> None:
    rendered = render_markdown(_briefing(events=[], claims=[], disagreements=[]), full=True)
    assert "No conflicting figures found." in rendered
    assert "No events found." in rendered
    assert "No claims found." in rendered


def test_layout_breaking_text_is_neutralised() -> None:
    claim = _briefing().claims[0].model_copy(update={"statement": "# Not a heading\n- nor a list"})
    rendered = render_markdown(_briefing(claims=[claim]), full=True)
    assert "- &#35; Not a heading - nor a list" in rendered


def test_rendering_is_deterministic() -> None:
    assert render_markdown(_briefing()) == render_markdown(_briefing())
    assert render_markdown(_briefing(), full=True) == render_markdown(_briefing(), full=True)


def _with_novelty() -> Briefing:
    briefing = _briefing()
    first, second = briefing.claims
    changed = first.model_copy(
        update={
            "novelty": "changed",
            "previously": PreviousClaim(
                id="old1",
                statement="About 1,200 soldiers arrived by October.",
                quantity_text="about 1,200",
                certainty="possible",
                polarity="asserted",
            ),
            "quantity": _quantity("about 1,500", as_of="2024-10"),
        }
    )
    return briefing.model_copy(
        update={
            "claims": [changed, second.model_copy(update={"novelty": "new"})],
            "since_previous": SincePrevious(
                previous_generated_at=dt.datetime(2024, 12, 4, 9, 5, tzinfo=dt.UTC),
                new=1,
                changed=1,
                unchanged=0,
                no_longer_reported=["Ships left the | harbour.", "# A heading-like claim"],
            ),
        }
    )


def test_novelty_line_marks_and_no_longer_reported_section() -> None:
    rendered = render_markdown(_with_novelty(), full=True)
    assert (
        "generated 2024-12-05 14:30 UTC\n\n"
        "Since the briefing of 2024-12-04 09:05 UTC: 1 new, 1 changed, 0 unchanged, "
        "2 no longer reported.\n\n## Key points"
    ) in rendered
    assert (
        "- **Changed** (was: about 1,200; certainty possible) — "
        "About 1,500 soldiers arrived by October.\n"
    ) in rendered
    assert "- **New** — **Denied:** A fleet carried twelve thousand men.\n" in rendered
    assert (
        "## No longer reported\n\n- Ships left the | harbour.\n- &#35; A heading-like claim\n\n"
        "## Sources"
    ) in rendered


def test_a_change_of_wording_alone_shows_the_previous_statement() -> None:
    briefing = _briefing()
    claim = briefing.claims[1].model_copy(
        update={
            "novelty": "changed",
            "previously": PreviousClaim(
                id="old2",
                statement="A fleet carried 12,000 men.",
                certainty="possible",
                polarity="denied",
            ),
        }
    )
    rendered = render_markdown(briefing.model_copy(update={"claims": [claim]}), full=True)
    assert '- **Changed** (was: "A fleet carried 12,000 men.") — **Denied:** A fleet' in rendered
    assert "Since the briefing" not in rendered


def test_unchanged_claims_and_an_empty_list_add_nothing() -> None:
    briefing = _briefing()
    unchanged = [c.model_copy(update={"novelty": "unchanged"}) for c in briefing.claims]
    since = SincePrevious(
        previous_generated_at=dt.datetime(2024, 12, 4, 9, 5), new=0, changed=0, unchanged=2
    )
    rendered = render_markdown(
        briefing.model_copy(update={"claims": unchanged, "since_previous": since})
    )
    assert "Since the briefing of 2024-12-04 09:05 UTC: 0 new, 0 changed, 2 unchanged, " in (
        rendered
    )
    assert "**New**" not in rendered
    assert "**Changed**" not in rendered
    assert "## No longer reported" not in rendered


def test_without_a_previous_briefing_nothing_about_novelty_is_shown(markdown: str) -> None:
    assert "Since the briefing" not in markdown
    assert "**New**" not in markdown
    assert "No longer reported" not in markdown


def test_a_hedged_figure_says_so_in_the_short_briefing() -> None:
    short = render_markdown(_briefing())
    assert "  - about 1,500, as of 2024-10 — Defence Ministry [[1]][s1]\n" in short
    assert "  - 12,000 (possible), 2024-12-01" in short
