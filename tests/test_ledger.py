from __future__ import annotations

import datetime as dt

from summarizer.briefing.ledger import build_ledger, classify
from summarizer.briefing.merge import merge_claims, number_sources
from summarizer.models import Disagreement, Quantity
from summarizer.text.word_keys import is_reporting_verb
from tests.support.factories import article, claim, extraction, quantity

MONDAY, WEDNESDAY = dt.date(2026, 3, 2), dt.date(2026, 3, 4)


def _ledger(*rows: tuple[str, str, str, Quantity, dt.date | None]) -> list[Disagreement]:
    """rows: (outlet, sentence, claimant, figure, published)."""
    articles = [
        article(sentence, outlet=outlet, published=published)
        for outlet, sentence, _, _, published in rows
    ]
    extractions = [
        extraction(a, [claim(a, row[1], claimant=row[2], figure=row[3])])
        for a, row in zip(articles, rows, strict=True)
    ]
    sources = number_sources(articles)
    return build_ledger(merge_claims(extractions, sources), sources)


def test_explicit_as_of_dates_make_a_difference_of_time() -> None:
    ledger = _ledger(
        (
            "Courier",
            "1,200 residents were evacuated on Monday.",
            "Mayor Halvorsen",
            quantity("1,200 residents", 1200, "residents evacuated", as_of="2026-03-02"),
            MONDAY,
        ),
        (
            "Observer",
            "4,500 residents had been evacuated by Wednesday.",
            "Mayor Halvorsen",
            quantity("4,500 residents", 4500, "residents evacuated", as_of="2026-03-04"),
            WEDNESDAY,
        ),
    )

    assert len(ledger) == 1
    assert [e.quantity.text for e in ledger[0].entries] == ["1,200 residents", "4,500 residents"]
    assert [e.source for e in ledger[0].entries] == [1, 2]
    assert [d.kind for d in ledger[0].differences] == ["different_time"]


def test_the_same_claimant_updating_a_figure_is_a_difference_of_time() -> None:
    ledger = _ledger(
        (
            "Courier",
            "The mayor said 1,200 residents left.",
            "Mayor Halvorsen",
            quantity("1,200 residents", 1200, "residents evacuated"),
            MONDAY,
        ),
        (
            "Observer",
            "The mayor said 4,500 residents left.",
            "Mayor Teresa Halvorsen",
            quantity("4,500 residents", 4500, "residents evacuated"),
            WEDNESDAY,
        ),
    )
    assert [d.kind for d in ledger[0].differences] == ["different_time"]


def test_two_claimants_with_incompatible_figures_are_a_true_conflict() -> None:
    ledger = _ledger(
        (
            "Herald",
            "The company said about 20 tonnes of acid leaked.",
            "Brannock Chemical Works",
            quantity("about 20 tonnes", 20, "acid leaked", unit="tonnes", qualifier="about"),
            MONDAY,
        ),
        (
            "Agency",
            "The agency said at least 60 tonnes of acid leaked.",
            "Environment Agency",
            quantity("at least 60 tonnes", 60, "acid leaked", unit="tonnes", qualifier="at_least"),
            MONDAY,
        ),
    )

    (slot,) = ledger
    assert [d.kind for d in slot.differences] == ["conflict"]
    assert "Brannock Chemical Works" in slot.differences[0].explanation
    assert {e.claimant for e in slot.entries} == {"Brannock Chemical Works", "Environment Agency"}


def test_killed_versus_killed_or_injured_is_a_difference_of_scope() -> None:
    ledger = _ledger(
        (
            "Courier",
            "Two workers were killed.",
            "Fire Service",
            quantity("two workers", 2, "workers killed"),
            MONDAY,
        ),
        (
            "Observer",
            "16 people were killed or injured.",
            "Civil Protection",
            quantity("16 people", 16, "people killed or injured"),
            MONDAY,
        ),
    )

    assert [d.kind for d in ledger[0].differences] == ["different_scope"]


def test_overlapping_figures_are_consistent_not_a_conflict() -> None:
    ledger = _ledger(
        (
            "Courier",
            "At least 1,500 troops were sent.",
            "Agency A",
            quantity("at least 1,500", 1500, "troops sent", qualifier="at_least"),
            MONDAY,
        ),
        (
            "Herald",
            "3,000 troops were sent.",
            "Agency B",
            quantity("3,000", 3000, "troops sent"),
            MONDAY,
        ),
    )
    assert [d.kind for d in ledger[0].differences] == ["consistent"]


def test_equal_figures_are_not_a_disagreement() -> None:
    ledger = _ledger(
        (
            "Courier",
            "Two workers were killed.",
            "Fire Service",
            quantity("two workers", 2, "workers killed"),
            MONDAY,
        ),
        (
            "Herald",
            "Two workers were killed at the plant.",
            "Fire Service",
            quantity("Two workers", 2, "workers killed"),
            MONDAY,
        ),
    )
    assert ledger == []


def test_different_counted_things_are_different_slots() -> None:
    ledger = _ledger(
        (
            "Courier",
            "Two workers were killed.",
            "Fire Service",
            quantity("two workers", 2, "workers killed"),
            MONDAY,
        ),
        (
            "Herald",
            "1,200 residents were evacuated.",
            "Mayor",
            quantity("1,200 residents", 1200, "residents evacuated"),
            MONDAY,
        ),
    )
    assert ledger == []


def test_a_vague_figure_against_a_precise_one() -> None:
    first = _ledger(
        (
            "Courier",
            "Dozens of fish died in the river.",
            "unattributed",
            quantity("dozens of fish", 24, "fish dead", qualifier="vague"),
            MONDAY,
        ),
        (
            "Herald",
            "312 fish died in the river.",
            "River Trust",
            quantity("312 fish", 312, "fish dead"),
            MONDAY,
        ),
    )
    assert [d.kind for d in first[0].differences] == ["vague_vs_precise"]


def test_classify_never_collapses_figures() -> None:
    ledger = _ledger(
        (
            "Herald",
            "About 20 tonnes leaked.",
            "Company",
            quantity("about 20 tonnes", 20, "acid leaked", qualifier="about"),
            MONDAY,
        ),
        (
            "Agency",
            "At least 60 tonnes leaked.",
            "Agency",
            quantity("at least 60 tonnes", 60, "acid leaked", qualifier="at_least"),
            MONDAY,
        ),
    )
    first, second = ledger[0].entries
    kind, _ = classify(first, second)
    assert kind == "conflict"
    assert {e.quantity.value for e in ledger[0].entries} == {20, 60}


def test_slots_are_read_from_the_sentence_not_the_models_generic_label() -> None:
    # A small model labels every figure "number"; the sentences tell tonnes from people.
    ledger = _ledger(
        (
            "Herald",
            "The company said about 20 tonnes of acid leaked.",
            "Company",
            quantity("20", 20, "number", qualifier="about"),
            MONDAY,
        ),
        (
            "Agency",
            "The agency said at least 60 tonnes leaked.",
            "Agency",
            quantity("60 tonnes", 60, "number", qualifier="at_least"),
            MONDAY,
        ),
        (
            "Courier",
            "The mayor said 1,200 residents were evacuated.",
            "Mayor",
            quantity("1,200 residents", 1200, "number"),
            MONDAY,
        ),
    )

    assert [slot.slot for slot in ledger] == ["tonnes leaked"]
    assert [d.kind for d in ledger[0].differences] == ["conflict"]


def _slots(*rows: tuple[str, str]) -> list[tuple[str, list[str]]]:
    """rows: (sentence, figure as the model pointed at it); one outlet each."""
    ledger = _ledger(
        *(
            (f"Outlet {i}", sentence, "unattributed", quantity(text, None, "unknown"), None)
            for i, (sentence, text) in enumerate(rows)
        )
    )
    return [(d.slot, [e.quantity.text for e in d.entries]) for d in ledger]


def test_figures_that_count_nothing_the_sentence_names_are_not_a_disagreement() -> None:
    # Once slots named "unknown unknown" (figures "10," / "28." / "55,"), "lives live"
    # ("800 people live" / "10, 000") and "minutes called" ("10 minutes" / "1").
    assert (
        _slots(
            ("The vote was 10, then 28.", "10,"),
            ("Turnout rose by 55, the clerk said.", "55,"),
        )
        == []
    )
    assert (
        _slots(
            ("Police were called 10 minutes after the alarm.", "10 minutes"),
            ("Police were called at 1 in the morning.", "1"),
        )
        == []
    )
    assert (
        _slots(
            ("The report was published in 2024.", "2024"),
            ("The report was published in 2025.", "2025"),
        )
        == []
    )


def test_people_who_told_something_are_not_counted_in_the_slot() -> None:
    # Seen on the examples: "Two former employees told the agency ..." (the model's figure
    # "Two former employees told", its predicate "told") joined the slot of people killed
    # or injured, as a figure of people without a measuring verb.
    rows = (
        ("Courier", "Two people were killed in the blast.", "Two people", 2, "killed"),
        ("Observer", "Fourteen people were killed in the blast.", "Fourteen people", 14, "killed"),
        (
            "Herald",
            "Two former employees told the agency that an inspection of the tank had been "
            "postponed last year.",
            "Two former employees told",
            2,
            "told",
        ),
    )
    articles = [article(sentence, outlet=outlet) for outlet, sentence, *_ in rows]
    claims = [
        claim(a, a.text, figure=quantity(text, value, "people")).model_copy(
            update={"predicate": predicate}
        )
        for a, (_, _, text, value, predicate) in zip(articles, rows, strict=True)
    ]
    sources = number_sources(articles)
    extractions = [extraction(a, [c]) for a, c in zip(articles, claims, strict=True)]
    ledger = build_ledger(merge_claims(extractions, sources), sources)

    assert [(d.slot, sorted(e.source for e in d.entries)) for d in ledger] == [
        ("people killed, injured or hospitalised", [1, 2])
    ]


def test_the_predicate_ends_the_counted_phrase() -> None:
    first, second = (
        article("About 800 people live in the village.", outlet="Courier"),
        article("Some 1,000 people live in the village.", outlet="Observer"),
    )
    figures = ((first, "About 800 people live", 800), (second, "1,000 people", 1000))
    claims = [
        claim(a, a.text, figure=quantity(text, value, "people")) for a, text, value in figures
    ]
    claims = [c.model_copy(update={"predicate": "live"}) for c in claims]
    sources = number_sources([first, second])
    merged = merge_claims([extraction(first, claims[:1]), extraction(second, claims[1:])], sources)
    ledger = build_ledger(merged, sources)
    assert [d.slot for d in ledger] == ["people"]


def test_reporting_verbs_are_known_in_any_form() -> None:
    assert all(is_reporting_verb(word) for word in ("told", "Says", "reported", "announced"))
    assert not any(is_reporting_verb(word) for word in ("killed", "sent", "", "-"))
