from __future__ import annotations

from summarizer.briefing.merge import merge_claims, merge_events, number_sources
from summarizer.runtime.embeddings import LocalEmbedder
from tests.support.factories import article, claim, event, extraction, quantity

COURIER = "Two workers were killed at the plant. The mayor ordered an evacuation."
HERALD = "Two workers were killed at the chemical plant, officials said. Fish died."


def test_the_same_claim_from_two_outlets_becomes_one_entry_citing_both() -> None:
    courier, herald = article(COURIER, outlet="Courier"), article(HERALD, outlet="Herald")
    extractions = [
        extraction(courier, [claim(courier, "Two workers were killed at the plant.")]),
        extraction(
            herald,
            [
                claim(
                    herald,
                    "Two workers were killed at the chemical plant",
                    quote="Two workers were killed at the chemical plant",
                )
            ],
        ),
    ]
    merged = merge_claims(extractions, number_sources([courier, herald]))

    assert len(merged) == 1
    assert [c.source for c in merged[0].citations] == [1, 2]
    assert merged[0].corroboration.outlet_count == 2
    # Both unattributed: each outlet counts as its own origin.
    assert merged[0].corroboration.independent_origins == 2


def test_claims_relayed_from_one_claimant_count_as_one_origin() -> None:
    courier, herald = article(COURIER, outlet="Courier"), article(HERALD, outlet="Herald")
    extractions = [
        extraction(
            courier,
            [
                claim(
                    courier,
                    "Two workers were killed at the plant.",
                    claimant="Fire Chief Marcus Doyle",
                )
            ],
        ),
        extraction(
            herald,
            [
                claim(
                    herald,
                    "Two workers were killed at the plant.",
                    claimant="fire chief Marcus Doyle",
                )
            ],
        ),
    ]
    merged = merge_claims(extractions, number_sources([courier, herald]))

    assert merged[0].corroboration.outlet_count == 2
    assert merged[0].corroboration.independent_origins == 1


def test_merging_never_upgrades_certainty() -> None:
    courier, herald = article(COURIER, outlet="Courier"), article(HERALD, outlet="Herald")
    extractions = [
        extraction(courier, [claim(courier, "Two workers were killed at the plant.")]),
        extraction(
            herald, [claim(herald, "Two workers were killed at the plant.", certainty="possible")]
        ),
    ]
    merged = merge_claims(extractions, number_sources([courier, herald]))

    assert merged[0].certainty == "possible"
    assert {c.certainty for c in merged[0].citations} == {"certain", "possible"}


def test_a_denial_never_merges_with_the_assertion() -> None:
    courier, herald = article(COURIER, outlet="Courier"), article(HERALD, outlet="Herald")
    extractions = [
        extraction(courier, [claim(courier, "Inspections were skipped at the plant.")]),
        extraction(
            herald, [claim(herald, "Inspections were skipped at the plant.", polarity="denied")]
        ),
    ]
    merged = merge_claims(extractions, number_sources([courier, herald]))

    assert sorted(m.polarity for m in merged) == ["asserted", "denied"]


def test_different_figures_stay_separate_claims() -> None:
    courier, herald = article(COURIER, outlet="Courier"), article(HERALD, outlet="Herald")
    extractions = [
        extraction(
            courier,
            [
                claim(
                    courier,
                    "About 20 tonnes of acid leaked.",
                    figure=quantity("about 20 tonnes", 20, "acid leaked"),
                )
            ],
        ),
        extraction(
            herald,
            [
                claim(
                    herald,
                    "At least 60 tonnes of acid leaked.",
                    figure=quantity("at least 60 tonnes", 60, "acid leaked"),
                )
            ],
        ),
    ]
    merged = merge_claims(extractions, number_sources([courier, herald]))

    assert len(merged) == 2


def test_unrelated_claims_do_not_merge() -> None:
    courier = article(COURIER, outlet="Courier")
    extractions = [
        extraction(
            courier,
            [
                claim(courier, "Two workers were killed at the plant."),
                claim(courier, "The mayor ordered an evacuation."),
            ],
        ),
    ]
    assert len(merge_claims(extractions, number_sources([courier]))) == 2


def test_unverified_quotes_are_cited_without_their_text() -> None:
    courier = article(COURIER, outlet="Courier")
    extractions = [extraction(courier, [claim(courier, "Workers died", quote="not in the text")])]
    merged = merge_claims(extractions, number_sources([courier]))

    citation = merged[0].citations[0]
    assert citation.status == "unverified"
    assert citation.quote is None and citation.start is None


def test_events_merge_across_outlets_and_sort_on_a_timeline() -> None:
    courier, herald = article(COURIER, outlet="Courier"), article(HERALD, outlet="Herald")
    extractions = [
        extraction(
            courier,
            [],
            [
                event(
                    courier,
                    "The mayor ordered an evacuation.",
                    date="2026-03-03",
                    type_="statement",
                ),
                event(courier, "Two workers were killed at the plant.", date="2026-03-02"),
            ],
        ),
        extraction(
            herald,
            [],
            [
                event(herald, "Two workers were killed at the chemical plant", date="2026-03-02"),
            ],
        ),
    ]
    merged = merge_events(extractions, number_sources([courier, herald]))

    assert [e.date for e in merged] == ["2026-03-02", "2026-03-03"]
    assert [c.source for c in merged[0].citations] == [1, 2]


def test_events_on_different_days_stay_apart() -> None:
    courier, herald = article(COURIER, outlet="Courier"), article(HERALD, outlet="Herald")
    extractions = [
        extraction(
            courier,
            [],
            [event(courier, "Two workers were killed at the plant.", date="2026-03-02")],
        ),
        extraction(
            herald, [], [event(herald, "Two workers were killed at the plant.", date="2026-03-05")]
        ),
    ]
    assert len(merge_events(extractions, number_sources([courier, herald]))) == 2


CLIMB_1 = "A climber fell 300 metres and died on the glacier."
CLIMB_2 = "The climber died after a fall of 300 metres on the glacier, police said."


def test_the_happenings_of_one_sentence_stay_apart_and_each_meets_its_own() -> None:
    first, second = article(CLIMB_1, outlet="Courier"), article(CLIMB_2, outlet="Herald")
    extractions = [
        extraction(
            first,
            [],
            [
                event(first, CLIMB_1, date=None, trigger="fell"),
                event(first, CLIMB_1, date=None, trigger="died", type_="casualties"),
            ],
        ),
        extraction(
            second,
            [],
            [
                event(second, CLIMB_2, date=None, trigger="died", type_="casualties"),
                event(second, CLIMB_2, date=None, trigger="fall"),
            ],
        ),
    ]
    sources = number_sources([first, second])

    merged = merge_events(extractions, sources, embedder=LocalEmbedder())

    by_word = {
        tuple(sorted(c.trigger or "" for c in e.citations)): [c.source for c in e.citations]
        for e in merged
    }
    assert by_word == {("died", "died"): [1, 2], ("fall", "fell"): [1, 2]}


def test_events_named_by_different_words_stay_apart_by_wording_alone() -> None:
    first, second = article(CLIMB_1, outlet="Courier"), article(CLIMB_1, outlet="Herald")
    extractions = [
        extraction(first, [], [event(first, CLIMB_1, date=None, trigger="fell")]),
        extraction(second, [], [event(second, CLIMB_1, date=None, trigger="died")]),
    ]
    assert len(merge_events(extractions, number_sources([first, second]))) == 2


def test_merge_is_deterministic() -> None:
    courier, herald = article(COURIER, outlet="Courier"), article(HERALD, outlet="Herald")
    extractions = [
        extraction(courier, [claim(courier, "Two workers were killed at the plant.")]),
        extraction(herald, [claim(herald, "Two workers were killed at the plant.")]),
    ]
    sources = number_sources([courier, herald])
    assert merge_claims(extractions, sources) == merge_claims(extractions, sources)
