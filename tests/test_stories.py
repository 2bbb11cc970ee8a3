"""Stories: articles clustered before merging, look-alike stories kept apart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from summarizer.ingest import article_from_text, read_path
from summarizer.stories import cluster_stories

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


def test_no_articles_no_stories() -> None:
    assert cluster_stories([]) == []
