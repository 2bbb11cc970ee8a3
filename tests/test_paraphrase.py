"""Joining claims told in other words: embeddings propose, what the texts state decides."""

from __future__ import annotations

import pytest

from summarizer.briefing.paraphrase import facts_of, join_by_meaning
from summarizer.runtime.embeddings import LocalEmbedder


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


def _join(
    embedder: LocalEmbedder, texts: list[str], blocks: list[object] | None = None
) -> list[list[int]]:
    return join_by_meaning(
        [[i] for i in range(len(texts))],
        embedder.embed(texts),
        blocks or [None] * len(texts),
        [facts_of(text) for text in texts],
    )


def test_paraphrases_sharing_a_name_are_joined(embedder: LocalEmbedder) -> None:
    texts = [
        "Smoke from the fire closed the A614 road for six hours.",
        "The A614 was shut for six hours because of the smoke.",
        "The owner, Calder Logistics, said the cause of the fire was not yet known.",
        "Calder Logistics, which owns the building, said it did not yet know what had "
        "started the blaze.",
    ]
    assert _join(embedder, texts) == [[0, 1], [2, 3]]


def test_close_texts_that_state_other_facts_stay_apart(embedder: LocalEmbedder) -> None:
    texts = [
        "Police evacuated the residents of 40 nearby homes in Wexley.",
        "Police evacuated the residents of 12 nearby homes in Wexley.",
        "Troops arrived in Kursk in October, Ukraine's intelligence said.",
        "Troops arrived in Kursk in December, Ukraine's intelligence said.",
        "The minister said the plant would reopen.",
        "The minister said the plant would not reopen.",
    ]
    assert _join(embedder, texts) == [[0], [1], [2], [3], [4], [5]]


def test_blocks_are_never_crossed(embedder: LocalEmbedder) -> None:
    texts = ["The A614 was closed for six hours.", "The A614 was closed for six hours."]
    assert _join(embedder, texts, blocks=["story 1", "story 2"]) == [[0], [1]]
    assert _join(embedder, texts, blocks=["story 1", "story 1"]) == [[0, 1]]


def test_dates_at_different_precision_agree_when_one_contains_the_other() -> None:
    june = facts_of("It happened.", when="2026-06")
    assert not june.conflicts_with(facts_of("It happened.", when="2026-06-09"))
    assert june.conflicts_with(facts_of("It happened.", when="2026-07-01"))
    assert not june.conflicts_with(facts_of("It happened."))


def test_facts_are_read_from_the_text() -> None:
    facts = facts_of("On Tuesday, North Korea sent 12,000 troops to Russia in October 2024.")
    assert facts.names >= {"north", "korea", "russia"}
    assert "tuesday" not in facts.names and "october" not in facts.names
    assert facts.numbers == {"12000"}
    assert facts.months == {"october"} and facts.years == {"2024"}
    assert not facts.negated
    assert facts_of("The ministry denied that troops were sent.").negated
    # "may" is a verb here, not the month.
    assert facts_of("Acid may have reached the intake.").months == frozenset()


def test_large_blocks_are_bucketed_and_still_find_exact_paraphrases(
    embedder: LocalEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from summarizer.briefing import paraphrase

    texts = [f"Ship number {i} docked at Port Alva on pier {i}." for i in range(40)]
    texts += ["The A614 was shut for six hours because of smoke."] * 2
    monkeypatch.setattr(paraphrase, "EXACT_UP_TO", 10)
    groups = _join(embedder, texts)
    assert [40, 41] in groups
