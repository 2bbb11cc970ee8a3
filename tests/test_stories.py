"""Stories: articles clustered before merging, look-alike stories kept apart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from summarizer.briefing import stories
from summarizer.briefing.stories import cluster_stories
from summarizer.inputs.ingest import article_from_text, read_path

REPO = Path(__file__).resolve().parent.parent


def test_the_examples_are_one_story() -> None:
    articles = read_path(REPO / "examples" / "articles")
    assert cluster_stories(articles) == [[0, 1, 2, 3, 4]]


def test_a_look_alike_story_stays_apart_from_the_one_it_resembles() -> None:
    # 01 and 02 tell one warehouse fire in other words; 03 is another fire, told in
    # sentences close to 01's, in another town with other names.
    articles = read_path(REPO / "examples" / "paraphrase")
    assert cluster_stories(articles) == [[0, 1], [2]]


def test_two_piles_are_told_apart_and_the_larger_comes_first() -> None:
    fire = read_path(REPO / "examples" / "paraphrase")[:2]
    acid = read_path(REPO / "examples" / "articles")[:3]
    assert cluster_stories([*fire, *acid]) == [[2, 3, 4], [0, 1]]


def test_articles_weeks_apart_are_less_alike_than_the_same_articles_days_apart() -> None:
    text = "The Lenne Valley council approved the Harbour Road budget. Mayor Ann Corr voted for it."
    other = "The Lenne Valley council met about the Harbour Road plan. Mayor Ann Corr spoke."

    def pair(gap_days: int) -> list[list[int]]:
        first = article_from_text(text, published=dt.date(2026, 3, 1))
        second = article_from_text(other, published=dt.date(2026, 3, 1) + dt.timedelta(gap_days))
        return cluster_stories([first, second])

    assert pair(2) == [[0, 1]]
    assert pair(120) == [[0], [1]]


# Two arrests of players of one team, weeks apart, undated: the second story's articles
# recall the first arrest in passing.
_FIRST_ARREST = [
    "Hawks winger Dale Pryce arrested after late-night crash\n"
    "Harbour City Hawks winger Dale Pryce was arrested early on Sunday on suspicion of "
    "drink-driving after his car hit a barrier on the Quayside ring road. Pryce, 27, failed a "
    "roadside breath test, the Harbour City police said. Pryce was released on bail. The Hawks "
    "said they were aware of the arrest and would speak to Pryce. Pryce is due to play in the "
    "cup semi-final on Saturday.",
    "Pryce held on drink-driving charge\n"
    "Police in Harbour City arrested Dale Pryce, the Hawks winger, in the early hours of "
    "Sunday. Officers stopped Pryce on the Quayside ring road after his car struck a barrier. "
    "Pryce was held overnight and released. The club said Pryce would train as usual. Pryce "
    "has scored nine goals this season.",
    "Hawks stand by Pryce after arrest\n"
    "The Harbour City Hawks said on Monday that Dale Pryce will remain in the squad for the "
    "semi-final despite his arrest on suspicion of drink-driving. Pryce apologised to the "
    "club's supporters. Coach Lena Varga said Pryce had made a mistake. Pryce will appear "
    "before magistrates next month.",
]
_SECOND_ARREST = [
    "Hawks defender Omar Reyes arrested on drink-driving suspicion\n"
    "Harbour City Hawks defender Omar Reyes was arrested on suspicion of drink-driving, the "
    "club's second such arrest in weeks after Dale Pryce's last month. Reyes was stopped on "
    "the harbour bridge after police saw his car weaving. Reyes, 31, failed a breath test and "
    "was released on bail. The Hawks said Reyes would be disciplined.",
    "Reyes arrested after police stop on harbour bridge\n"
    "Police in Harbour City arrested Omar Reyes, the Hawks defender, late on Friday. Officers "
    "stopped Reyes on the harbour bridge. Reyes was held overnight and released on bail. The "
    "club said Reyes would miss the league match on Tuesday.",
    "Hawks fine Reyes after drink-driving arrest\n"
    "The Harbour City Hawks have fined Omar Reyes two weeks' wages after his arrest on "
    "suspicion of drink-driving, weeks after Dale Pryce's. Police in Harbour City said "
    "the breath test of Reyes showed twice the legal limit. The defender apologised to the "
    "club's supporters in a statement from Reyes's lawyer. Reyes will appear before "
    "magistrates next month.",
]


def test_a_story_that_recalls_a_look_alike_in_passing_stays_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    articles = [article_from_text(text) for text in [*_FIRST_ARREST, *_SECOND_ARREST]]
    assert cluster_stories(articles) == [[0, 1, 2], [3, 4, 5]]
    # What keeps them apart is who each story is about: by words and names alone, one story.
    monkeypatch.setattr(stories, "_PROTAGONIST_MENTIONS", float("inf"))
    assert cluster_stories(articles) == [[0, 1, 2, 3, 4, 5]]


def test_a_story_whose_suspect_is_named_only_later_stays_one_story() -> None:
    early = [
        "Woman killed by hit-and-run driver in Marlow\n"
        "A woman was struck and killed by a driver who fled outside the Eastgate market in "
        "Marlow on Wednesday night. Police named her as Greta Holm, 64, of Dunmere. Holm was "
        "crossing the car park when she was hit. Holm's family asked for privacy. Police are "
        "looking for a grey van.",
        "Police appeal after Eastgate hit-and-run\n"
        "Marlow police appealed for witnesses after Greta Holm died in a hit-and-run outside "
        "the Eastgate market. Holm, a retired nurse, was walking to her car. Officers said the "
        "driver of a grey van did not stop. Holm died at the scene.",
    ]
    later = [
        "Man charged over Eastgate hit-and-run death\n"
        "A Marlow man has been charged with causing death by dangerous driving after a woman "
        "was killed outside the Eastgate market. Tomas Brandt, 36, was arrested on Friday. "
        "Brandt was driving a grey van, police said. Brandt will appear in court on Monday.",
        "Brandt held after van found\n"
        "Police arrested Tomas Brandt after finding a damaged grey van at his home in Marlow. "
        "Brandt is accused of killing Greta Holm in the Eastgate market car park. Brandt told "
        "officers he had been drinking, according to the charge.",
    ]
    articles = [article_from_text(text) for text in [*early, *later]]
    assert cluster_stories(articles) == [[0, 1, 2, 3]]


def test_a_possessive_ends_a_name_and_is_dropped() -> None:
    runs = stories._name_runs("He met the Hawks' Omar Reyes. Later, Reyes's lawyer spoke.")
    assert runs == [["hawks"], ["omar", "reyes"], ["reyes"]]


def test_no_articles_no_stories() -> None:
    assert cluster_stories([]) == []


def test_a_small_pile_of_one_story_is_one_story_though_its_words_are_in_every_article() -> None:
    # Judged by the pile alone, "climber", "fall" and "Mount Tasman" are in every article
    # and worth nothing; the fourth article then parted from the others (one of two stories
    # found before rarity counted a background of other articles).
    texts = [
        "A British climber died after a fall on Mount Tasman on Saturday. His guide raised "
        "the alarm by radio. The weather had turned in the afternoon.",
        "Rescue teams flew to Mount Tasman to recover a British climber who died in a fall. "
        "Strong winds kept the helicopter grounded until Sunday.",
        "The family of a British climber killed in a fall on Mount Tasman paid tribute to "
        "him. He had climbed in the Alps for twenty years, his brother said.",
        "Police named the British climber who died in a fall on Mount Tasman as Owen Hale, "
        "41. A coroner will investigate, a police spokeswoman said.",
    ]
    articles = [article_from_text(text, fallback_name=f"a{i}") for i, text in enumerate(texts)]
    assert cluster_stories(articles) == [[0, 1, 2, 3]]
