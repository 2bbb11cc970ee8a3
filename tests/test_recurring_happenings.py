"""Happenings the model named in several articles of a story, found again in sentences it
read for another happening, as the sentences write them."""

from __future__ import annotations

from summarizer.briefing.recurring_happenings import MIN_ARTICLES, with_recurring_happenings
from summarizer.models import ArticleExtraction
from tests.support.factories import article, claim, event, extraction

FELL = "The climber fell 600 metres from the summit ridge on Saturday."


def _told_fell(outlet: str, sentence: str = FELL) -> ArticleExtraction:
    source = article(sentence, outlet=outlet)
    return extraction(
        source,
        [claim(source, sentence)],
        [event(source, sentence, date="2026-03-07", trigger=sentence.split()[2])],
    )


def _story(*extra: ArticleExtraction) -> list[ArticleExtraction]:
    return [_told_fell(f"outlet {n}") for n in range(MIN_ARTICLES)] + list(extra)


def _triggers(result: list[ArticleExtraction]) -> list[str | None]:
    return [e.trigger for e in result[-1].events]


def test_a_sentence_that_writes_the_storys_happening_gets_it_undated_in_its_own_word() -> None:
    sentence = "The man died on Sunday after falling from the ridge, police said."
    source = article(sentence, outlet="the last")
    died = event(source, sentence, date="2026-03-08", trigger="died")

    result = with_recurring_happenings(
        _story(extraction(source, [claim(source, sentence)], [died]))
    )

    assert _triggers(result) == ["died", "falling"]
    found = result[-1].events[1]
    assert found.date is None  # "Sunday" is when he died, maybe not when he fell
    assert found.evidence == result[-1].claims[0].evidence
    assert found.type == "incident"  # the type the model gave the happening elsewhere


def test_a_happening_named_in_fewer_articles_is_not_looked_for() -> None:
    sentence = "The man died on Sunday after falling from the ridge."
    source = article(sentence, outlet="the last")
    died = event(source, sentence, date="2026-03-08", trigger="died")
    few = [_told_fell(f"outlet {n}") for n in range(MIN_ARTICLES - 1)]

    result = with_recurring_happenings(
        [*few, extraction(source, [claim(source, sentence)], [died])]
    )

    assert _triggers(result) == ["died"]


def test_a_sentence_that_only_says_it_may_have_happened_gets_nothing() -> None:
    sentence = "The man may have fallen from the ridge before dawn."
    source = article(sentence, outlet="the last")

    result = with_recurring_happenings(_story(extraction(source, [claim(source, sentence)])))

    assert _triggers(result) == []


def test_reporting_is_not_a_happening_to_look_for() -> None:
    reported = "The paper reported the rescue on Monday."
    stories = [_told_fell(f"outlet {n}", reported) for n in range(MIN_ARTICLES)]
    sentence = "Another outlet reported that the rescue was delayed."
    source = article(sentence, outlet="the last")

    result = with_recurring_happenings([*stories, extraction(source, [claim(source, sentence)])])

    assert _triggers(result) == []


def test_a_happening_its_sentence_already_tells_is_not_added_twice() -> None:
    result = with_recurring_happenings(_story(_told_fell("the last")))

    assert _triggers(result) == ["fell"]
