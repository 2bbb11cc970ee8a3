"""Certainty bounded by the sentence's own hedges, measured on hand-labelled sentences.

The sentences are the team's own, written like the examples (a chemical spill, a flood, a
bridge); each label is what a careful editor would say the sentence itself commits to.
"""

from __future__ import annotations

import pytest

from summarizer.models import Certainty
from summarizer.text.hedges import bounded_certainty, sentence_bound

LABELLED: list[tuple[str, str]] = [
    ("About 20 tonnes of hydrochloric acid leaked from the tank on Monday.", "certain"),
    ("The spill may have reached the Ostervale river by Tuesday morning.", "possible"),
    ("Investigators could not yet say what caused the rupture.", "possible"),
    ("Two workers died at the plant, the company said.", "certain"),
    ("The acid reportedly seeped into a drainage ditch behind the depot.", "probable"),
    ("Residents were told to keep their windows shut.", "certain"),
    ("The leak is likely to cost the company its operating licence.", "probable"),
    ("Officials believe the tank had not been inspected since 2024.", "probable"),
    ("The bridge will reopen in May, the mayor said.", "certain"),
    ("The council met on Tuesday to approve the repairs.", "certain"),
    ("An estimated 300 homes were flooded when the river burst its banks.", "probable"),
    ("According to early estimates, damage could exceed 4 million euros.", "possible"),
    ("The company denied that safety checks had been skipped.", "certain"),
    ("Police said the fire appears to have started in a storage shed.", "probable"),
    ("It is unclear whether the warning sirens sounded.", "possible"),
    ("The death toll has not been confirmed by the hospital.", "possible"),
    ("Rescue teams pulled 14 people from the water overnight.", "certain"),
    ("The storm is expected to reach the coast on Friday.", "probable"),
    ("Witnesses said the tank seemed to bulge before it split.", "probable"),
    ("The plant employs 240 people, most of them from Ostervale.", "certain"),
    ("Unconfirmed reports put the number of evacuated families at 60.", "possible"),
    ("The river might rise another metre before the weekend.", "possible"),
    ("Fire crews from three towns fought the blaze for six hours.", "certain"),
    ("The operator allegedly ignored two earlier warnings.", "probable"),
    ("The mayor is thought to favour a full inquiry.", "probable"),
    ("Data from the river gauge suggests the flood peaked at noon.", "probable"),
    ("Perhaps a dozen cars were swept away in the flood.", "possible"),
    ("Schools in the valley stayed closed on Wednesday.", "certain"),
    ("The contractor is suspected of using the wrong steel.", "probable"),
    ("Shipments resumed in May after the inspection.", "certain"),
    ("The union said it would probably strike next week.", "probable"),
    ("Nobody was hurt in the second fire, officials said.", "certain"),
]


def test_the_sentence_bound_agrees_with_the_labels() -> None:
    right = sum(sentence_bound(sentence) == label for sentence, label in LABELLED)
    accuracy = right / len(LABELLED)
    print(f"\nhedge bound accuracy: {right}/{len(LABELLED)} = {accuracy:.0%}")
    assert accuracy >= 0.9


@pytest.mark.parametrize(
    ("model", "sentence", "expected"),
    [
        ("certain", "The spill may have reached the river.", "possible"),
        ("certain", "The acid reportedly seeped into a ditch.", "probable"),
        # The model may be less sure than the sentence, never surer.
        ("possible", "The acid seeped into a ditch.", "possible"),
        ("probable", "The spill may have reached the river.", "possible"),
        ("certain", "Shipments resumed in May.", "certain"),
    ],
)
def test_the_models_certainty_is_bounded_never_raised(
    model: Certainty, sentence: str, expected: Certainty
) -> None:
    assert bounded_certainty(model, sentence) == expected
