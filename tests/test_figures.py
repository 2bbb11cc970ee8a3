from __future__ import annotations

import pytest

from summarizer.text.figures import figure_context
from summarizer.text.numbers import numbers_in_figure, read_figure


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,000", (12000.0, None, None)),
        ("8 million rounds", (8_000_000.0, None, None)),
        ("as many as 10,900 to 12,000", (10900.0, 10900.0, 12000.0)),
        ("10-12 million", (10_000_000.0, 10_000_000.0, 12_000_000.0)),
        ("about 20 tonnes", (20.0, None, None)),
        ("two workers", (2.0, None, None)),
        ("a dozen homes", (12.0, None, None)),
        ("thousands of fish", None),
        ("hundreds", None),
        # Spelled out, as outlets write them.
        ("Ten thousand people", (10_000.0, None, None)),
        ("Two hundred", (200.0, None, None)),
        ("twenty-five", (25.0, None, None)),
        ("one hundred and twenty troops", (120.0, None, None)),
        ("Half a million", (500_000.0, None, None)),
        ("about a million shells", (1_000_000.0, None, None)),
        ("a thousand troops", (1_000.0, None, None)),
        # A point between groups of three digits separates thousands; a decimal point stays.
        ("1.200 soldiers", (1_200.0, None, None)),
        ("12.000.000 rounds", (12_000_000.0, None, None)),
        ("1.5 million", (1_500_000.0, None, None)),
        ("3.5 percent", (3.5, None, None)),
        ("1.200 million", (1_200_000.0, None, None)),
    ],
)
def test_numbers_are_read_from_the_figure_text(
    text: str, expected: tuple[float, float | None, float | None] | None
) -> None:
    assert numbers_in_figure(text) == expected


@pytest.mark.parametrize(
    ("figure", "sentence", "slot"),
    [
        (
            "12,000",
            "Reports say 12,000 North Korean troops have been deployed.",
            ("troops", "sent"),
        ),
        (
            "10,900 to 12,000",
            "As many as 10,900 to 12,000 soldiers were dispatched.",
            ("troops", "sent"),
        ),
        ("20", "The company says about 20 tonnes of acid leaked.", ("tonne", "leaked")),
        ("60 tonnes", "The agency says at least 60 tonnes leaked.", ("tonne", "leaked")),
        (
            "1,200 residents",
            "The mayor said 1,200 residents were evacuated.",
            ("people", "evacuated"),
        ),
        ("16", "16 people were killed or injured.", ("people", "casualty")),
    ],
)
def test_the_slot_is_the_counted_noun_and_its_verb(
    figure: str, sentence: str, slot: tuple[str, str]
) -> None:
    assert figure_context(figure, sentence).slot == slot


@pytest.mark.parametrize(
    ("sentence", "proposed", "text", "numbers", "qualifier"),
    [
        ("Officials sent two specialist teams.", "two teams", "two specialist teams", 2, "exact"),
        ("The firm said about 20 tonnes of acid leaked.", "20", "20 tonnes", 20, "about"),
        ("The agency said at least 60 tonnes leaked.", "60 tonnes", "60 tonnes", 60, "at_least"),
        ("Nine people were treated.", "9", "Nine people", 9, "exact"),
        ("Up to 300 homes flooded.", "300 homes", "300 homes", 300, "up_to"),
        (
            "As many as 10,900 to 12,000 North Korean troops were sent.",
            "12,000",
            "10,900 to 12,000 North Korean troops",
            10900,
            "range",
        ),
        ("Thousands of dead fish washed up.", "thousands", "Thousands", None, "vague"),
        ("Two were killed and 14 were hurt.", "14 people", "14", 14, "exact"),
        ("Casualties might exceed 3,000.", "3,000", "3,000", 3000, "exact"),
        ("The force is 10,900 to 12,000.", "12,000", "10,900 to 12,000", 10900, "range"),
    ],
)
def test_a_figure_is_read_from_its_sentence_where_the_model_points(
    sentence: str, proposed: str, text: str, numbers: float | None, qualifier: str
) -> None:
    figure = read_figure(sentence, proposed)
    assert figure is not None
    assert (figure.text, figure.value, figure.qualifier) == (text, numbers, qualifier)


def test_a_sentence_without_a_figure_has_none() -> None:
    assert read_figure("The river rose.", "300 homes") is None


def test_a_predicate_that_repeats_the_figure_does_not_cut_its_noun() -> None:
    sentence = (
        "However, Russia's battlefield losses, north of half a million soldiers, demand more."
    )
    repeated = figure_context("half a million soldiers", sentence, verb="north of half a million")
    assert repeated.slot == ("troops", "casualty")
    # A predicate that is the verb after the figure still ends its phrase.
    assert figure_context("800 people live", "About 800 people live here.", verb="live").noun == (
        "people"
    )


def test_the_sentence_names_the_measure_before_the_model_does() -> None:
    # A predicate copied from the whole sentence carries "casualties" from beyond the
    # figure's window; "troop deployment" before the figure says what it counts.
    sentence = (
        "Reports say the North might raise its troop deployment to as many as 100,000 in case "
        "the war in the region drags on with rising casualties."
    )
    predicate = "might raise its troop deployment to as many as 100,000 if rising casualties"
    assert figure_context("100,000", sentence, verb=predicate).slot == ("troops", "sent")
    assert figure_context("as many as 100,000", sentence, verb=predicate).slot == (
        "troops",
        "sent",
    )
