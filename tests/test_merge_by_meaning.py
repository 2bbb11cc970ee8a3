"""Merging by meaning on the team's paraphrased articles, against the embedded model's
recorded answers: the same facts told in other words merge, different figures meet in one
ledger slot, and a look-alike story stays a story of its own.

Re-record with `make record` (or delete cassettes/test_merge_by_meaning and run this file
with `--record-mode=once`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer import Briefing, brief, render_markdown
from summarizer.config import Settings
from summarizer.models import MergedClaim

pytestmark = [pytest.mark.vcr, pytest.mark.default_cassette("paraphrase_briefing.yaml")]
PARAPHRASE = Path(__file__).resolve().parent.parent / "examples" / "paraphrase"
WEXLEY = {1, 2}
ASHBY = {3}


@pytest.fixture
def briefing(recorded_settings: Settings) -> Briefing:
    return brief([PARAPHRASE], settings=recorded_settings)


def _sources(claim: MergedClaim) -> set[int]:
    return {citation.source for citation in claim.citations}


def _quotes(claim: MergedClaim) -> str:
    return " | ".join(c.quote or "" for c in claim.citations)


def test_the_look_alike_story_is_a_story_of_its_own(briefing: Briefing) -> None:
    assert [set(story.sources) for story in briefing.stories] == [WEXLEY, ASHBY]
    for claim in briefing.claims:
        assert _sources(claim) <= WEXLEY or _sources(claim) <= ASHBY, _quotes(claim)
        assert claim.story == (1 if _sources(claim) <= WEXLEY else 2)
    markdown = render_markdown(briefing)
    assert "## Story 1: " in markdown and "## Story 2: " in markdown


def test_the_same_fact_in_other_words_is_one_claim_citing_both_outlets(
    briefing: Briefing,
) -> None:
    both = [claim for claim in briefing.claims if _sources(claim) == WEXLEY]
    merged = " || ".join(_quotes(claim) for claim in both)
    # "closed the A614 road for six hours" / "The A614 was shut for six hours".
    assert any("A614" in _quotes(claim) for claim in both), merged
    for claim in both:
        assert claim.corroboration.outlet_count == 2


def test_different_figures_meet_in_one_ledger_slot_and_never_merge(briefing: Briefing) -> None:
    firefighters = [d for d in briefing.disagreements if "firefighter" in d.slot]
    assert len(firefighters) == 1, [d.slot for d in briefing.disagreements]
    slot = firefighters[0]
    assert slot.story == 1
    assert sorted((e.source, e.quantity.value) for e in slot.entries) == [(1, 60.0), (2, 80.0)]
    assert {d.kind for d in slot.differences} <= {"conflict", "consistent"}
    for claim in briefing.claims:
        if claim.quantity is not None:
            values = {c.source for c in claim.citations}
            assert len(values) == 1 or claim.quantity.value not in (60.0, 80.0)
